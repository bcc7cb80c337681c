//! `roster audit`: the audit log, newest first; `--json` prints GitHub-shaped events, one per
//! line, for export.

use directory::audit_log::{AuditPageRequest, MAX_PER_PAGE};
use directory::github;
use directory::render::timestamp;

use crate::cli::AuditArgs;
use crate::enterprise_cmd::open;

pub async fn run(args: AuditArgs) -> Result<(), String> {
    let directory = open(&args.db).await?;
    let caller = directory
        .operator(args.enterprise.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let mut left = args.limit.unwrap_or(u64::MAX);
    let mut after = None;
    while left > 0 {
        let page = directory
            .audit_log(
                &caller,
                &AuditPageRequest {
                    phrase: args.phrase.clone(),
                    per_page: Some(left.min(MAX_PER_PAGE)),
                    after: after.take(),
                    before: None,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        for e in &page.events {
            if args.json {
                println!("{}", github::audit_event(&caller.enterprise.slug, e));
            } else {
                println!(
                    "{}\t{}\t{}\t{}:{}\t{}",
                    timestamp(e.at),
                    e.action,
                    e.actor,
                    e.target_type,
                    e.target_name.as_deref().unwrap_or(&e.target_id),
                    e.request_id.as_deref().unwrap_or("-")
                );
            }
        }
        left = left.saturating_sub(page.events.len() as u64);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    Ok(())
}
