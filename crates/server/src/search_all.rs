//! The requests addressed to the SCIM root: `POST /.search` across Users and Groups
//! (RFC 7644 §3.4.3) and `POST /Bulk` (§3.7).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::api_error::ApiError;
use crate::body::ScimBody;
use crate::caller::ScimCaller;
use crate::reply::scim_json;

pub async fn search(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    let request = scim::list::SearchRequest::from_body(&body)?;
    Ok(scim_json(
        StatusCode::OK,
        &s.directory.search_all(&c, &request).await?,
    ))
}

pub async fn bulk(
    State(s): State<AppState>,
    ScimCaller(c): ScimCaller,
    ScimBody(body): ScimBody,
) -> Result<Response, ApiError> {
    Ok(scim_json(
        StatusCode::OK,
        &s.directory.bulk(&c, &body).await?,
    ))
}
