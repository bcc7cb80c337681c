//! GitHub REST representations of organizations, teams, users, external groups and audit
//! events: the JSON GitHub's own API returns, with only the fields Roster can fill. `base` is
//! the REST root the client used (e.g. `https://roster.example.com/api/v3`).

use serde_json::{Map, Value, json};

use crate::audit_log::cursor_of;
use crate::links::ExternalGroup;
use crate::model::{LoggedEvent, ManagedUser, Organization, Team};
use crate::render::timestamp;

pub fn organization(base: &str, org: &Organization) -> Value {
    json!({
        "login": org.login,
        "id": org.id,
        "url": format!("{base}/orgs/{}", org.login),
        "members_url": format!("{base}/orgs/{}/members{{/member}}", org.login),
        "created_at": timestamp(org.created),
    })
}

fn team_url(base: &str, org: &str, team: &Team) -> String {
    format!("{base}/orgs/{org}/teams/{}", team.slug)
}

/// A team as nested in another (GitHub's `parent`).
fn team_summary(base: &str, org: &str, team: &Team) -> Value {
    json!({
        "id": team.id,
        "name": team.name,
        "slug": team.slug,
        "description": team.description,
        "privacy": team.privacy.as_str(),
        "url": team_url(base, org, team),
    })
}

pub fn team(base: &str, org: &str, team: &Team, parent: Option<&Team>) -> Value {
    let url = team_url(base, org, team);
    json!({
        "id": team.id,
        "name": team.name,
        "slug": team.slug,
        "description": team.description,
        "privacy": team.privacy.as_str(),
        "url": url,
        "members_url": format!("{url}/members{{/member}}"),
        "parent": parent.map(|p| team_summary(base, org, p)),
        "organization": { "login": org, "url": format!("{base}/orgs/{org}") },
        "external_group_id": team.group_id,
        "created_at": timestamp(team.created),
        "updated_at": timestamp(team.updated),
    })
}

/// A user as GitHub lists members: by handle (`login`).
pub fn user(base: &str, user: &ManagedUser) -> Value {
    json!({
        "login": user.handle,
        "id": user.id,
        "type": "User",
        "site_admin": false,
        "url": format!("{base}/users/{}", user.handle),
        "suspended": !user.active,
    })
}

fn primary_email(user: &ManagedUser) -> Option<String> {
    let emails = user.doc.get("emails")?.as_array()?;
    emails
        .iter()
        .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
        .or_else(|| emails.first())
        .and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn member_name(user: &ManagedUser) -> Option<String> {
    user.display_name.clone().or_else(|| {
        user.doc
            .pointer("/name/formatted")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

pub fn external_group(g: &ExternalGroup) -> Value {
    json!({
        "group_id": g.group.id,
        "group_name": g.group.display_name,
        "updated_at": timestamp(g.group.last_modified),
        "teams": g.teams.iter().map(|t| json!({ "team_id": t.id, "team_name": t.name })).collect::<Vec<_>>(),
        "members": g.members.iter().map(|u| json!({
            "member_id": u.id,
            "member_login": u.handle,
            "member_name": member_name(u),
            "member_email": primary_email(u),
        })).collect::<Vec<_>>(),
    })
}

/// An audit event as GitHub's audit log API returns it: `@timestamp` and `created_at` in
/// milliseconds, `_document_id`, the actor and token, and the event's own fields (`user`,
/// `team`, `org`, `external_group_id`…).
pub fn audit_event(enterprise: &str, e: &LoggedEvent) -> Value {
    let ms = i64::try_from(e.at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let mut out = Map::new();
    out.insert("@timestamp".into(), json!(ms));
    out.insert("_document_id".into(), json!(cursor_of(e.seq)));
    out.insert("action".into(), json!(e.action));
    out.insert("actor".into(), json!(e.actor));
    out.insert("created_at".into(), json!(ms));
    out.insert("business".into(), json!(enterprise));
    out.insert("request_id".into(), json!(e.request_id));
    out.insert("token_id".into(), json!(e.token_id));
    if let Some(data) = e.data.as_object() {
        for (k, v) in data {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    let target: &[(&str, Value)] = match e.target_type.as_str() {
        "user" => &[
            ("user", json!(e.target_name)),
            ("user_id", json!(e.target_id)),
        ],
        "group" => &[
            ("external_group_id", json!(e.target_id)),
            ("external_group_name", json!(e.target_name)),
        ],
        "team" => &[("team", json!(e.target_name))],
        "org" => &[("org", json!(e.target_name))],
        "token" => &[("token", json!(e.target_id))],
        _ => &[],
    };
    for (k, v) in target {
        if !v.is_null() {
            out.entry(k.to_string()).or_insert_with(|| v.clone());
        }
    }
    Value::Object(out)
}
