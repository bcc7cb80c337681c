//! `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`, per enterprise: the User schema
//! differs between profiles (`userName` mutability, role values), so each enterprise is told
//! the truth about itself.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use scim::discovery::{
    Capabilities, Pagination, resource_type_json, schema_json, service_provider_config,
};
use scim::list::list_response;
use scim::schema::{ResourceType, Schema};
use serde::Deserialize;

use crate::AppState;
use crate::api_error::ApiError;
use crate::caller::ScimCaller;
use crate::reply::scim_json;

#[derive(Deserialize)]
pub struct DocPath {
    #[allow(dead_code)]
    enterprise: String,
    id: String,
}

fn capabilities(s: &AppState) -> Capabilities {
    Capabilities {
        patch: true,
        bulk: Some((
            u32::try_from(directory::bulk::MAX_BULK_OPERATIONS).unwrap_or(u32::MAX),
            s.config.max_body_bytes as u64,
        )),
        filter_max_results: u32::try_from(s.directory.limits().max_results).unwrap_or(u32::MAX),
        change_password: false,
        sort: true,
        etag: true,
        pagination: Some(Pagination {
            cursor: true,
            default_page_size: s.directory.limits().default_count,
            max_page_size: s.directory.limits().max_results,
        }),
    }
}

fn types<'a>(s: &'a AppState, c: &directory::Caller) -> [&'a ResourceType; 2] {
    [
        s.directory.user_type(c.enterprise.profile),
        s.directory.group_type(),
    ]
}

fn schemas<'a>(s: &'a AppState, c: &directory::Caller) -> Vec<&'a Schema> {
    let mut out = Vec::new();
    for rt in types(s, c) {
        out.push(&rt.core);
        out.extend(rt.extensions.iter());
    }
    out
}

pub async fn service_provider(State(s): State<AppState>, ScimCaller(c): ScimCaller) -> Response {
    let location = format!("{}/ServiceProviderConfig", c.base_url);
    scim_json(
        StatusCode::OK,
        &service_provider_config(&location, &capabilities(&s)),
    )
}

pub async fn resource_types(State(s): State<AppState>, ScimCaller(c): ScimCaller) -> Response {
    let all: Vec<_> = types(&s, &c)
        .iter()
        .map(|rt| resource_type_json(rt, &c.base_url))
        .collect();
    let n = all.len() as u64;
    scim_json(StatusCode::OK, &list_response(all, n, 1))
}

pub async fn resource_type(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<DocPath>,
) -> Result<Response, ApiError> {
    let rt = types(&s, &c)
        .into_iter()
        .find(|rt| rt.name.eq_ignore_ascii_case(&p.id))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no resource type '{}'; this server has User and Group",
                p.id
            ))
        })?;
    Ok(scim_json(
        StatusCode::OK,
        &resource_type_json(rt, &c.base_url),
    ))
}

pub async fn all_schemas(State(s): State<AppState>, ScimCaller(c): ScimCaller) -> Response {
    let all: Vec<_> = schemas(&s, &c)
        .into_iter()
        .map(|sc| schema_json(sc, &c.base_url))
        .collect();
    let n = all.len() as u64;
    scim_json(StatusCode::OK, &list_response(all, n, 1))
}

pub async fn schema(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<DocPath>,
) -> Result<Response, ApiError> {
    let sc = schemas(&s, &c)
        .into_iter()
        .find(|sc| sc.id.eq_ignore_ascii_case(&p.id))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "no schema '{}' on this server; GET /Schemas lists them",
                p.id
            ))
        })?;
    Ok(scim_json(StatusCode::OK, &schema_json(sc, &c.base_url)))
}
