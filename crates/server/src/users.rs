//! `/Users` handlers: extract, call the directory, render.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::Deserialize;

use crate::AppState;
use crate::api_error::ApiError;
use crate::body::ScimBody;
use crate::caller::ScimCaller;
use crate::reply::{no_content, resource, scim_json};
use crate::search::{QueryPairs, read_options, search_request};

#[derive(Deserialize)]
pub struct ResourcePath {
    #[allow(dead_code)]
    enterprise: String,
    pub id: String,
}

pub fn header(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// 304 when `If-None-Match` names the current version.
pub fn not_modified(headers: &HeaderMap, version: i64) -> Option<Response> {
    let tags = header(headers, header::IF_NONE_MATCH)?;
    directory::versions::names_version(tags, version).then(|| {
        let mut r = no_content(Some(version));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r
    })
}

pub async fn list(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let request = search_request(q)?;
    Ok(scim_json(
        StatusCode::OK,
        &s.directory.list_users(&c, &request).await?,
    ))
}

pub async fn search(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let request = scim::list::SearchRequest::from_body(&body)?;
    Ok(scim_json(
        StatusCode::OK,
        &s.directory.list_users(&c, &request).await?,
    ))
}

pub async fn create(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let user = s.directory.create_user(&c, &body).await?;
    Ok(resource(
        StatusCode::CREATED,
        &user,
        directory::versions::version_of(&user).unwrap_or(1),
    ))
}

pub async fn get(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<ResourcePath>,
    headers: HeaderMap,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let opts = read_options(q)?;
    let (user, version) = s.directory.get_user(&c, &p.id, &opts).await?;
    if let Some(r) = not_modified(&headers, version) {
        return Ok(r);
    }
    Ok(resource(StatusCode::OK, &user, version))
}

pub async fn replace(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<ResourcePath>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let (user, version) = s
        .directory
        .replace_user(&c, &p.id, &body, header(&headers, header::IF_MATCH))
        .await?;
    Ok(resource(StatusCode::OK, &user, version))
}

pub async fn patch(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<ResourcePath>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let (user, version) = s
        .directory
        .patch_user(&c, &p.id, &body, header(&headers, header::IF_MATCH))
        .await?;
    Ok(resource(StatusCode::OK, &user, version))
}

pub async fn delete(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<ResourcePath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.directory
        .delete_user(&c, &p.id, header(&headers, header::IF_MATCH))
        .await?;
    Ok(no_content(None))
}
