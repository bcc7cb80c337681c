//! The one place REST (`/api/v3`) errors become HTTP: GitHub's `{"message", "documentation_url"}`
//! as `application/json`, with the status GitHub uses (422 for a request that breaks a rule).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use directory::DirectoryError;
use serde_json::{Value, json};

pub const REST_DOCS: &str = "https://docs.github.com/rest";

#[derive(Debug)]
pub struct RestError {
    pub status: StatusCode,
    pub message: String,
    pub docs: &'static str,
    retry_after: Option<u64>,
    authenticate: bool,
}

impl RestError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> RestError {
        RestError {
            status,
            message: message.into(),
            docs: REST_DOCS,
            retry_after: None,
            authenticate: false,
        }
    }

    /// Point `documentation_url` at the page of this area of the API.
    pub fn docs(mut self, docs: &'static str) -> RestError {
        self.docs = docs;
        self
    }
}

impl From<DirectoryError> for RestError {
    fn from(e: DirectoryError) -> Self {
        crate::api_error::log(&e);
        let (status, body) = e.status_and_body();
        let status = match e {
            DirectoryError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        };
        let message = body
            .get("detail")
            .and_then(Value::as_str)
            .unwrap_or("the request failed")
            .to_string();
        let mut r = RestError::new(status, message);
        r.retry_after = e.retry_after();
        r.authenticate = matches!(e, DirectoryError::Unauthenticated(_));
        r
    }
}

/// A GitHub-shaped JSON response.
pub fn github_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    r
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut r = github_json(
            self.status,
            &json!({ "message": self.message, "documentation_url": self.docs }),
        );
        if let Some(after) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&after.to_string())
        {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if self.authenticate {
            r.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"roster\""),
            );
        }
        r
    }
}

/// 404 for a REST path that does not exist.
pub async fn rest_not_found() -> Response {
    RestError::new(
        StatusCode::NOT_FOUND,
        "Not Found: no such endpoint; the REST API serves /api/v3/enterprises/{enterprise}/organizations, /api/v3/enterprises/{enterprise}/audit-log and /api/v3/orgs/{org}/…",
    )
    .into_response()
}

/// 405 for a method a REST endpoint does not serve.
pub async fn rest_method_not_allowed() -> Response {
    RestError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "this endpoint does not support this HTTP method",
    )
    .into_response()
}
