//! GitHub's REST API for what Roster keeps beyond SCIM: organizations, teams and their links
//! to IdP groups ("external groups"), members, and the enterprise audit log. Paths and JSON
//! mirror GitHub's so existing scripts work; handlers extract, call the directory, render.

pub mod audit_log;
pub mod external_groups;
pub mod input;
pub mod orgs;
pub mod teams;

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::rest_error::github_json;

pub type RestResult = Result<Response, crate::rest_error::RestError>;

pub fn ok(body: &Value) -> RestResult {
    Ok(github_json(StatusCode::OK, body))
}

pub fn created(body: &Value) -> RestResult {
    Ok(github_json(StatusCode::CREATED, body))
}
