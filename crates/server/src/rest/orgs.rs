//! `/enterprises/{enterprise}/organizations` and `/orgs/{org}/members`.

use axum::extract::{Path, State};
use directory::github;
use serde_json::Value;

use super::input::{Params, RestBody, required_str, slice};
use super::{RestResult, created, ok};
use crate::AppState;
use crate::rest_caller::{OrgAdmin, RestCaller};
use crate::rest_error::RestError;

const DOCS: &str = "https://docs.github.com/rest/enterprise-admin/orgs";

fn err(e: directory::DirectoryError) -> RestError {
    RestError::from(e).docs(DOCS)
}

pub async fn create(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    RestBody(body): RestBody,
) -> RestResult {
    let login = required_str(&body, "login").map_err(|e| e.docs(DOCS))?;
    let org = s
        .directory
        .create_organization(&c, login)
        .await
        .map_err(err)?;
    created(&github::organization(&c.base_url, &org))
}

pub async fn list(State(s): State<AppState>, RestCaller(c, _): RestCaller<OrgAdmin>) -> RestResult {
    let orgs = s.directory.organizations(&c).await.map_err(err)?;
    ok(&Value::Array(
        orgs.iter()
            .map(|o| github::organization(&c.base_url, o))
            .collect(),
    ))
}

pub async fn members(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<OrgAdmin>,
    Path(org): Path<String>,
    params: Params,
) -> RestResult {
    let users = s
        .directory
        .org_members(&c, &org, slice(&params)?)
        .await
        .map_err(err)?;
    ok(&Value::Array(
        users.iter().map(|u| github::user(&c.base_url, u)).collect(),
    ))
}
