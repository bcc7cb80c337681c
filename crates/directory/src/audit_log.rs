//! Reading the audit log: GitHub's search phrase (`action:`, `actor:`, `created:`), newest
//! first, in pages joined by opaque cursors; recording refused SCIM writes; retention.

use scim::error::truncated;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use crate::audit;
use crate::directory::{Caller, Directory, now};
use crate::error::DirectoryError;
use crate::failure_log::{Admission, MAX_RECORDED_CHARS};
use crate::model::LoggedEvent;
use crate::store::{ActionMatch, AuditQuery};

/// The most events one page returns (`per_page`), and the default.
pub const MAX_PER_PAGE: u64 = 100;
pub const DEFAULT_PER_PAGE: u64 = 30;

/// What a phrase selects (everything but paging).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Phrase {
    pub actions: Vec<ActionMatch>,
    pub actors: Vec<String>,
    pub from: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

fn bad_phrase(detail: String) -> DirectoryError {
    DirectoryError::Unprocessable(format!(
        "{detail}; the phrase supports action:NAME (or a category such as action:team), actor:LOGIN and created:>=YYYY-MM-DD (also >, <, <=, =, and A..B ranges)"
    ))
}

/// A day or an instant: `2026-01-31` or `2026-01-31T12:00:00Z`. A day stands for the whole
/// day, so it gives its start and the start of the next day.
fn bound(s: &str) -> Result<(OffsetDateTime, OffsetDateTime), DirectoryError> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Ok((t, t));
    }
    let day = Date::parse(s, format_description!("[year]-[month]-[day]")).map_err(|_| {
        bad_phrase(format!(
            "'{s}' is not a date: write YYYY-MM-DD or an RFC 3339 time such as 2026-01-31T12:00:00Z"
        ))
    })?;
    let start = day.midnight().assume_utc();
    Ok((start, start + Duration::days(1)))
}

/// Narrow `from`/`until` by a `created:` qualifier.
fn created(value: &str, phrase: &mut Phrase) -> Result<(), DirectoryError> {
    let narrow_from = |p: &mut Phrase, t: OffsetDateTime| {
        p.from = Some(p.from.map_or(t, |f| f.max(t)));
    };
    let narrow_until = |p: &mut Phrase, t: OffsetDateTime| {
        p.until = Some(p.until.map_or(t, |u| u.min(t)));
    };
    if let Some((a, b)) = value.split_once("..") {
        let (start, _) = bound(a)?;
        let (_, end) = bound(b)?;
        narrow_from(phrase, start);
        // An instant as the upper end is included.
        let end = if b.contains('T') {
            end + Duration::microseconds(1)
        } else {
            end
        };
        narrow_until(phrase, end);
        return Ok(());
    }
    let (op, rest) = [">=", "<=", ">", "<", "="]
        .iter()
        .find_map(|op| value.strip_prefix(op).map(|r| (*op, r)))
        .unwrap_or(("=", value));
    let (start, end) = bound(rest)?;
    let instant = rest.contains('T');
    match op {
        ">=" => narrow_from(phrase, start),
        ">" if instant => narrow_from(phrase, start + Duration::microseconds(1)),
        ">" => narrow_from(phrase, end),
        "<" => narrow_until(phrase, start),
        "<=" if instant => narrow_until(phrase, start + Duration::microseconds(1)),
        "<=" => narrow_until(phrase, end),
        _ if instant => {
            narrow_from(phrase, start);
            narrow_until(phrase, start + Duration::microseconds(1));
        }
        _ => {
            narrow_from(phrase, start);
            narrow_until(phrase, end);
        }
    }
    Ok(())
}

/// Parse GitHub's audit log search phrase: space-separated `qualifier:value` terms; several
/// `action:` (or `actor:`) terms are alternatives.
pub fn parse_phrase(phrase: &str) -> Result<Phrase, DirectoryError> {
    let mut out = Phrase::default();
    for term in phrase.split_whitespace() {
        let (key, value) = term
            .split_once(':')
            .ok_or_else(|| bad_phrase(format!("'{term}' is not a qualifier:value term")))?;
        let value = value.trim_matches('"');
        if value.is_empty() {
            return Err(bad_phrase(format!("'{term}' has no value")));
        }
        match key.to_ascii_lowercase().as_str() {
            "action" => out.actions.push(if value.contains('.') {
                ActionMatch::Exact(value.to_string())
            } else {
                ActionMatch::Category(value.to_string())
            }),
            "actor" => out.actors.push(value.to_string()),
            "created" => created(value, &mut out)?,
            other => {
                return Err(bad_phrase(format!(
                    "the qualifier '{other}' is not supported"
                )));
            }
        }
    }
    Ok(out)
}

/// `after`/`before` cursors: opaque to clients, a log position inside.
pub fn cursor_of(seq: i64) -> String {
    hex::encode(format!("audit:{seq}"))
}

pub fn parse_cursor(cursor: &str) -> Result<i64, DirectoryError> {
    hex::decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("audit:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| {
            DirectoryError::Unprocessable(format!(
                "'{cursor}' is not an audit log cursor; use the after/before values from the Link header of a previous page"
            ))
        })
}

/// A page request of the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditPageRequest {
    pub phrase: Option<String>,
    pub per_page: Option<u64>,
    pub after: Option<String>,
    pub before: Option<String>,
}

/// One page, newest first, with the cursors to the pages around it.
#[derive(Debug, Clone)]
pub struct AuditPage {
    pub events: Vec<LoggedEvent>,
    /// `after` for the next (older) page, when there is one.
    pub next: Option<String>,
    /// `before` for the previous (newer) page, when this page was reached by a cursor.
    pub prev: Option<String>,
}

impl Directory {
    pub async fn audit_log(
        &self,
        caller: &Caller,
        request: &AuditPageRequest,
    ) -> Result<AuditPage, DirectoryError> {
        let phrase = parse_phrase(request.phrase.as_deref().unwrap_or(""))?;
        let per_page = request.per_page.unwrap_or(DEFAULT_PER_PAGE);
        if per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(DirectoryError::Unprocessable(format!(
                "per_page must be between 1 and {MAX_PER_PAGE}"
            )));
        }
        let after = request.after.as_deref().map(parse_cursor).transpose()?;
        let before = request.before.as_deref().map(parse_cursor).transpose()?;
        let mut events = self
            .store
            .audit_events(&AuditQuery {
                enterprise_id: caller.enterprise.id,
                actions: phrase.actions,
                actors: phrase.actors,
                from: phrase.from,
                until: phrase.until,
                older_than: after,
                newer_than: before,
                // Paging backwards reads upwards from the cursor, then turns the page over.
                oldest_first: before.is_some() && after.is_none(),
                limit: per_page + 1,
            })
            .await?;
        let more = events.len() as u64 > per_page;
        events.truncate(per_page as usize);
        let backwards = before.is_some() && after.is_none();
        if backwards {
            events.reverse();
        }
        let (next, prev) = if backwards {
            (
                events.last().map(|e| cursor_of(e.seq)),
                if more {
                    events.first().map(|e| cursor_of(e.seq))
                } else {
                    None
                },
            )
        } else {
            (
                if more {
                    events.last().map(|e| cursor_of(e.seq))
                } else {
                    None
                },
                if after.is_some() {
                    events.first().map(|e| cursor_of(e.seq))
                } else {
                    None
                },
            )
        };
        Ok(AuditPage { events, next, prev })
    }

    /// Record a refused SCIM write (`*.scim_api_failure`) in a transaction of its own: the
    /// refused change itself wrote nothing.
    pub async fn record_scim_failure(
        &self,
        caller: &Caller,
        groups: bool,
        method: &str,
        path: &str,
        status: u16,
        detail: &str,
    ) -> Result<(), DirectoryError> {
        let action = if groups {
            audit::EXTERNAL_GROUP_SCIM_API_FAILURE
        } else {
            audit::EXTERNAL_IDENTITY_SCIM_API_FAILURE
        };
        let token = caller.actor.token_id.as_deref().unwrap_or("");
        let suppressed_before = match self.failures.admit(token) {
            Admission::Record { suppressed_before } => suppressed_before,
            Admission::Suppress { first } => {
                if first {
                    tracing::warn!(
                        token,
                        "this token's refused SCIM writes are over their audit budget: further ones are counted, not recorded, until it refills"
                    );
                }
                return Ok(());
            }
        };
        let path = truncated(path, MAX_RECORDED_CHARS);
        let mut data = json!({
            "method": method,
            "path": path,
            "status": status,
            "detail": truncated(detail, MAX_RECORDED_CHARS),
        });
        if suppressed_before > 0 {
            data["suppressed_before"] = json!(suppressed_before);
        }
        let mut tx = self.store.begin().await?;
        tx.append_audit(&[caller.actor.event(
            caller.enterprise.id,
            action,
            ("request", &path, None),
            now(),
            data,
        )])
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Delete audit events older than `days` days (the retention policy); how many went.
    pub async fn prune_audit_log(&self, days: u32) -> Result<u64, DirectoryError> {
        let before = now() - Duration::days(i64::from(days));
        let mut tx = self.store.begin().await?;
        let n = tx.prune_audit(before).await?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn phrases_parse() {
        let p = parse_phrase("action:team.add_member actor:acme_admin").unwrap();
        assert_eq!(
            p.actions,
            vec![ActionMatch::Exact("team.add_member".into())]
        );
        assert_eq!(p.actors, vec!["acme_admin".to_string()]);
        let p = parse_phrase("action:team").unwrap();
        assert_eq!(p.actions, vec![ActionMatch::Category("team".into())]);
        assert!(parse_phrase("repo:x").is_err());
        assert!(parse_phrase("action").is_err());
        assert!(parse_phrase("created:>=yesterday").is_err());
        assert_eq!(parse_phrase("").unwrap(), Phrase::default());
    }

    #[test]
    fn created_dates_cover_whole_days() {
        let p = parse_phrase("created:>=2026-01-02").unwrap();
        assert_eq!(p.from, Some(datetime!(2026-01-02 0:00 UTC)));
        let p = parse_phrase("created:>2026-01-02").unwrap();
        assert_eq!(p.from, Some(datetime!(2026-01-03 0:00 UTC)));
        let p = parse_phrase("created:<2026-01-02").unwrap();
        assert_eq!(p.until, Some(datetime!(2026-01-02 0:00 UTC)));
        let p = parse_phrase("created:<=2026-01-02").unwrap();
        assert_eq!(p.until, Some(datetime!(2026-01-03 0:00 UTC)));
        let p = parse_phrase("created:2026-01-01..2026-02-01").unwrap();
        assert_eq!(p.from, Some(datetime!(2026-01-01 0:00 UTC)));
        assert_eq!(p.until, Some(datetime!(2026-02-02 0:00 UTC)));
        let p = parse_phrase("created:2026-01-02").unwrap();
        assert_eq!(p.from, Some(datetime!(2026-01-02 0:00 UTC)));
        assert_eq!(p.until, Some(datetime!(2026-01-03 0:00 UTC)));
        let p = parse_phrase("created:>=2026-01-02T10:00:00Z").unwrap();
        assert_eq!(p.from, Some(datetime!(2026-01-02 10:00 UTC)));
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(parse_cursor(&cursor_of(42)).unwrap(), 42);
        assert!(parse_cursor("zz").is_err());
        assert!(parse_cursor(&hex::encode("other:1")).is_err());
    }
}
