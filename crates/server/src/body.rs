//! Request bodies: read up to the configured limit (413 beyond it) and parsed as JSON whatever
//! the `Content-Type` says (`application/scim+json`, `application/json` or nothing), since
//! IdPs disagree on it.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::AppState;
use crate::api_error::ApiError;
use scim::ScimError;

pub struct ScimBody(pub Value);

impl FromRequest<AppState> for ScimBody {
    type Rejection = Response;

    async fn from_request(req: Request<Body>, state: &AppState) -> Result<Self, Self::Rejection> {
        let limit = state.config.max_body_bytes;
        let bytes = axum::body::to_bytes(req.into_body(), limit).await.map_err(|_| {
            ApiError::from(ScimError::PayloadTooLarge(format!(
                "the request body is larger than {limit} bytes, the limit of this server; split the change into smaller requests"
            )))
            .into_response()
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::from(ScimError::InvalidSyntax(
                "the request needs a JSON body".into(),
            ))
            .into_response());
        }
        serde_json::from_slice(&bytes).map(ScimBody).map_err(|e| {
            ApiError::from(ScimError::InvalidSyntax(format!(
                "the body is not valid JSON: {e}"
            )))
            .into_response()
        })
    }
}

/// 405 for a method an endpoint does not serve.
pub async fn method_not_allowed() -> Response {
    crate::api_error::status_error(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not support this HTTP method",
    )
}
