//! The one place errors become HTTP: status, `scimType`, `detail`, and the headers that go
//! with them (401 carries `WWW-Authenticate`).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use directory::DirectoryError;
use scim::ScimError;
use scim::error::error_body;

use crate::reply::scim_json;

#[derive(Debug)]
pub struct ApiError(pub DirectoryError);

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        ApiError(e)
    }
}

impl From<ScimError> for ApiError {
    fn from(e: ScimError) -> Self {
        ApiError(DirectoryError::Scim(e))
    }
}

impl ApiError {
    pub fn not_found(detail: impl Into<String>) -> ApiError {
        ScimError::NotFound(detail.into()).into()
    }
}

/// A SCIM error response with a status that `ScimError` does not cover.
pub fn status_error(status: StatusCode, detail: &str) -> Response {
    scim_json(status, &error_body(status.as_u16(), None, detail))
}

/// Log what a refusal does not tell the client: storage failures and given-up retries, with
/// the store's own words (which stay out of response bodies).
pub fn log(e: &DirectoryError) {
    match e {
        DirectoryError::Contention(detail) => {
            tracing::warn!(%detail, "gave up after repeated write conflicts")
        }
        DirectoryError::Internal(detail) => tracing::error!(%detail, "internal error"),
        DirectoryError::Unavailable(detail) => {
            tracing::error!(%detail, "refused a request: the database is unavailable")
        }
        DirectoryError::StorageFull(detail) => {
            tracing::error!(%detail, "refused a request: the storage is full")
        }
        DirectoryError::OutcomeUnknown(detail) => {
            tracing::error!(%detail, "a commit was not confirmed: its outcome is unknown")
        }
        DirectoryError::SavedUnread(detail) => {
            tracing::error!(%detail, "a change was saved but could not be read back for the answer")
        }
        _ => {}
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        log(&self.0);
        let (status, body) = self.0.status_and_body();
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = scim_json(status, &body);
        if let DirectoryError::Unauthenticated(_) = self.0 {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"roster\""),
            );
        }
        if let Some(after) = self.0.retry_after()
            && let Ok(v) = HeaderValue::from_str(&after.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        r
    }
}
