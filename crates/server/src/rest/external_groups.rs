//! External groups: IdP groups as GitHub's REST API shows them, and team links to them.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use directory::github;
use serde_json::{Value, json};

use super::input::{Params, RestBody, check_text, page};
use super::{RestResult, ok};
use crate::AppState;
use crate::rest_caller::{OrgAdmin, RestCaller};
use crate::rest_error::RestError;

const DOCS: &str = "https://docs.github.com/rest/teams/external-groups";

fn err(e: directory::DirectoryError) -> RestError {
    RestError::from(e).docs(DOCS)
}

/// `group_id` of a link request: the SCIM group's id, as a string (or a number, as GitHub's
/// own ids are).
fn group_id(body: &Value) -> Result<String, RestError> {
    match body.get("group_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => {
            check_text("'group_id'", s).map_err(|e| e.docs(DOCS))?;
            Ok(s.trim().to_string())
        }
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(RestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "'group_id' is required: send {\"group_id\": \"ID\"} with the id of a SCIM group of this enterprise",
        )
        .docs(DOCS)),
    }
}

pub async fn link(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, slug)): Path<(String, String)>,
    RestBody(body): RestBody,
) -> RestResult {
    let id = group_id(&body)?;
    let outcome = s
        .directory
        .link_team(&c, &org, &slug, &id)
        .await
        .map_err(err)?;
    let mut out = github::external_group(&outcome.group);
    if let (Some(replaced), Some(map)) = (&outcome.replaced, out.as_object_mut()) {
        map.insert("replaced_group_id".into(), json!(replaced));
        map.insert(
            "message".into(),
            json!(format!(
                "team '{slug}' was linked to group {replaced}; that link was replaced"
            )),
        );
    }
    ok(&out)
}

pub async fn unlink(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, slug)): Path<(String, String)>,
) -> RestResult {
    s.directory
        .unlink_team(&c, &org, &slug)
        .await
        .map_err(err)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn of_team(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, slug)): Path<(String, String)>,
) -> RestResult {
    let group = s
        .directory
        .team_external_group(&c, &org, &slug)
        .await
        .map_err(err)?;
    let groups: Vec<Value> = group
        .iter()
        .map(|g| {
            json!({ "group_id": g.group.id, "group_name": g.group.display_name, "updated_at": directory::render::timestamp(g.group.last_modified) })
        })
        .collect();
    ok(&json!({ "groups": groups }))
}

pub async fn list(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path(org): Path<String>,
    params: Params,
) -> RestResult {
    let (page, per_page) = page(&params).map_err(|e| e.docs(DOCS))?;
    let (groups, _more) = s
        .directory
        .external_groups(
            &c,
            &org,
            params.get("display_name").map(String::as_str),
            page,
            per_page,
        )
        .await
        .map_err(err)?;
    ok(&json!({ "groups": groups.iter().map(github::external_group).collect::<Vec<_>>() }))
}

pub async fn get(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, id)): Path<(String, String)>,
) -> RestResult {
    let group = s
        .directory
        .external_group(&c, &org, &id)
        .await
        .map_err(err)?;
    ok(&github::external_group(&group))
}
