//! `/orgs/{org}/teams…`: create, list, read, update (parent, privacy, description), delete,
//! and members.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use directory::model::{Privacy, Team};
use directory::teams::{TeamRequest, TeamUpdate};
use directory::{Caller, github};
use serde_json::Value;

use super::input::{Params, RestBody, opt_str, required_str, slice};
use super::{RestResult, created, ok};
use crate::AppState;
use crate::rest_caller::{OrgAdmin, RestCaller};
use crate::rest_error::RestError;

const DOCS: &str = "https://docs.github.com/rest/teams/teams";

fn err(e: directory::DirectoryError) -> RestError {
    RestError::from(e).docs(DOCS)
}

fn invalid(message: String) -> RestError {
    RestError::new(StatusCode::UNPROCESSABLE_ENTITY, message).docs(DOCS)
}

fn privacy(body: &Value) -> Result<Option<Privacy>, RestError> {
    match opt_str(body, "privacy").map_err(|e| e.docs(DOCS))? {
        None => Ok(None),
        Some(p) => Privacy::parse(p).map(Some).ok_or_else(|| {
            invalid(format!(
                "privacy '{p}' is not valid: use 'secret' or 'closed'"
            ))
        }),
    }
}

/// `parent_team_id`: absent, `null` (no parent) or a team id.
fn parent(body: &Value) -> Result<Option<Option<i64>>, RestError> {
    match body.get("parent_team_id") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(v) => v.as_i64().map(|id| Some(Some(id))).ok_or_else(|| {
            invalid(
                "'parent_team_id' must be the numeric id of a team of this organization, or null"
                    .into(),
            )
        }),
    }
}

pub(super) async fn render(
    s: &AppState,
    c: &Caller,
    org: &str,
    team: &Team,
) -> Result<Value, RestError> {
    let parent = match team.parent_id {
        Some(id) => s.directory.team_by_id(id).await.map_err(err)?,
        None => None,
    };
    Ok(github::team(&c.base_url, org, team, parent.as_ref()))
}

/// `render` for a team just written: what fails now fails after the change was saved, and
/// the answer must say so.
async fn render_saved(
    s: &AppState,
    c: &Caller,
    org: &str,
    team: &Team,
) -> Result<Value, RestError> {
    let saved = |e: directory::DirectoryError| err(e.after_commit());
    let org = s.directory.organization(c, org).await.map_err(saved)?;
    let parent = match team.parent_id {
        Some(id) => s.directory.team_by_id(id).await.map_err(saved)?,
        None => None,
    };
    Ok(github::team(&c.base_url, &org.login, team, parent.as_ref()))
}

pub async fn create(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path(org): Path<String>,
    RestBody(body): RestBody,
) -> RestResult {
    let request = TeamRequest {
        name: required_str(&body, "name")
            .map_err(|e| e.docs(DOCS))?
            .to_string(),
        description: opt_str(&body, "description")
            .map_err(|e| e.docs(DOCS))?
            .map(str::to_string),
        privacy: privacy(&body)?,
        parent_team_id: parent(&body)?.flatten(),
    };
    let team = s
        .directory
        .create_team(&c, &org, &request)
        .await
        .map_err(err)?;
    created(&render_saved(&s, &c, &org, &team).await?)
}

pub async fn list(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path(org): Path<String>,
) -> RestResult {
    let org = s.directory.organization(&c, &org).await.map_err(err)?;
    let teams = s.directory.teams(&c, &org.login).await.map_err(err)?;
    let mut out = Vec::with_capacity(teams.len());
    for t in &teams {
        out.push(render(&s, &c, &org.login, t).await?);
    }
    ok(&Value::Array(out))
}

pub async fn get(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, slug)): Path<(String, String)>,
) -> RestResult {
    let (org, team) = s.directory.team(&c, &org, &slug).await.map_err(err)?;
    ok(&render(&s, &c, &org.login, &team).await?)
}

pub async fn update(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, slug)): Path<(String, String)>,
    RestBody(body): RestBody,
) -> RestResult {
    if body.get("name").is_some() {
        return Err(invalid(
            "renaming a team is not supported (its slug would change); create a new team instead"
                .into(),
        ));
    }
    let update = TeamUpdate {
        description: match body.get("description") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(_) => Some(
                opt_str(&body, "description")
                    .map_err(|e| e.docs(DOCS))?
                    .map(str::to_string),
            ),
        },
        privacy: privacy(&body)?,
        parent_team_id: parent(&body)?,
    };
    let team = s
        .directory
        .update_team(&c, &org, &slug, &update)
        .await
        .map_err(err)?;
    ok(&render_saved(&s, &c, &org, &team).await?)
}

pub async fn delete(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, slug)): Path<(String, String)>,
) -> RestResult {
    s.directory
        .delete_team(&c, &org, &slug)
        .await
        .map_err(err)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn members(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path((org, slug)): Path<(String, String)>,
    params: Params,
) -> RestResult {
    let users = s
        .directory
        .team_members(&c, &org, &slug, slice(&params)?)
        .await
        .map_err(err)?;
    ok(&Value::Array(
        users.iter().map(|u| github::user(&c.base_url, u)).collect(),
    ))
}
