//! `roster enterprise …`.

use std::sync::Arc;

use directory::model::Profile;
use directory::{Directory, Limits};
use serde_json::json;
use store::{OpenMode, OpenOptions};

use crate::cli::{DatabaseArg, EnterpriseCmd};

/// The directory of a database that exists (every command but `serve` and `enterprise
/// create`, which may create and migrate one).
pub async fn open(db: &DatabaseArg) -> Result<Arc<Directory>, String> {
    open_with(db, Limits::default(), &OpenOptions::new(OpenMode::Existing)).await
}

pub async fn open_with(
    db: &DatabaseArg,
    limits: Limits,
    options: &OpenOptions,
) -> Result<Arc<Directory>, String> {
    let store = store::open_with(&db.database, options)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Arc::new(Directory::new(store, limits)))
}

pub fn profile(s: &str) -> Result<Profile, String> {
    Profile::parse(s).ok_or_else(|| format!("unknown profile '{s}': use github-emu or scim"))
}

pub async fn run(cmd: EnterpriseCmd) -> Result<(), String> {
    match cmd {
        EnterpriseCmd::Create {
            slug,
            short_code,
            profile: p,
            db,
            json,
        } => {
            let directory =
                open_with(&db, Limits::default(), &OpenOptions::new(OpenMode::Create)).await?;
            let (enterprise, issued) = directory
                .create_enterprise(&slug, &short_code, profile(&p)?)
                .await
                .map_err(|e| e.to_string())?;
            if json {
                println!(
                    "{}",
                    json!({
                        "enterprise": enterprise.slug,
                        "short_code": enterprise.short_code,
                        "profile": enterprise.profile.as_str(),
                        "setup_user": enterprise.setup_user(),
                        "scim_base_path": enterprise.scim_base_path(),
                        "token": issued.secret,
                        "token_id": issued.token.id,
                        "scopes": ["scim:enterprise"],
                    })
                );
            } else {
                println!(
                    "Created enterprise '{}' (short code {}, profile {}).",
                    enterprise.slug,
                    enterprise.short_code,
                    enterprise.profile.as_str()
                );
                println!("Setup user:     {}", enterprise.setup_user());
                println!("SCIM base path: {}", enterprise.scim_base_path());
                println!(
                    "Token ({}, scope scim:enterprise; shown once, store it now):",
                    issued.token.id
                );
                println!("{}", issued.secret);
            }
            Ok(())
        }
        EnterpriseCmd::List { db, json } => {
            let directory = open(&db).await?;
            for e in directory.enterprises().await.map_err(|e| e.to_string())? {
                if json {
                    println!(
                        "{}",
                        json!({ "enterprise": e.slug, "short_code": e.short_code, "profile": e.profile.as_str(), "setup_user": e.setup_user(), "scim_base_path": e.scim_base_path() })
                    );
                } else {
                    println!(
                        "{}\t{}\t{}\t{}",
                        e.slug,
                        e.short_code,
                        e.profile.as_str(),
                        e.scim_base_path()
                    );
                }
            }
            Ok(())
        }
    }
}
