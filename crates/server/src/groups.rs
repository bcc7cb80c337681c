//! `/Groups` handlers. A group PATCH answers 204 (Entra ID's guidance: returning every member
//! is costly), or 200 with the projected group when the request names `attributes` or
//! `excludedAttributes`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;

use crate::AppState;
use crate::api_error::ApiError;
use crate::body::ScimBody;
use crate::caller::ScimCaller;
use crate::reply::{no_content, resource, scim_json};
use crate::search::{QueryPairs, read_options, search_request};
use crate::users::{ResourcePath, header as header_str, not_modified};

pub async fn list(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    q: QueryPairs,
) -> Result<Response, ApiError> {
    let request = search_request(q)?;
    Ok(scim_json(
        StatusCode::OK,
        &s.directory.list_groups(&c, &request).await?,
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
        &s.directory.list_groups(&c, &request).await?,
    ))
}

pub async fn create(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let group = s.directory.create_group(&c, &body).await?;
    Ok(resource(
        StatusCode::CREATED,
        &group,
        directory::versions::version_of(&group).unwrap_or(1),
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
    let (group, version) = s.directory.get_group(&c, &p.id, &opts).await?;
    if let Some(r) = not_modified(&headers, version) {
        return Ok(r);
    }
    Ok(resource(StatusCode::OK, &group, version))
}

pub async fn replace(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<ResourcePath>,
    headers: HeaderMap,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let (group, version) = s
        .directory
        .replace_group(&c, &p.id, &body, header_str(&headers, header::IF_MATCH))
        .await?;
    Ok(resource(StatusCode::OK, &group, version))
}

pub async fn patch(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<ResourcePath>,
    headers: HeaderMap,
    q: QueryPairs,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let opts = read_options(q)?;
    let wants_body = !opts.is_empty();
    let (group, version) = s
        .directory
        .patch_group(
            &c,
            &p.id,
            &body,
            header_str(&headers, header::IF_MATCH),
            wants_body.then_some(&opts),
        )
        .await?;
    Ok(match group {
        Some(g) => resource(StatusCode::OK, &g, version),
        None => no_content(Some(version)),
    })
}

pub async fn delete(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    Path(p): Path<ResourcePath>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    s.directory
        .delete_group(&c, &p.id, header_str(&headers, header::IF_MATCH))
        .await?;
    Ok(no_content(None))
}
