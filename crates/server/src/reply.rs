//! Successful SCIM responses: `application/scim+json`, with `ETag` and `Location` where they
//! belong.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

pub const SCIM_JSON: &str = "application/scim+json";

pub fn scim_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON));
    r
}

/// A resource with its version as `ETag` (and `Location` on 201).
pub fn resource(status: StatusCode, body: &Value, version: i64) -> Response {
    let mut r = scim_json(status, body);
    if let Ok(v) = HeaderValue::from_str(&directory::versions::etag(version)) {
        r.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED
        && let Some(loc) = body.pointer("/meta/location").and_then(Value::as_str)
        && let Ok(v) = HeaderValue::from_str(loc)
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

pub fn no_content(version: Option<i64>) -> Response {
    let mut r = StatusCode::NO_CONTENT.into_response();
    if let Some(v) = version.and_then(|v| HeaderValue::from_str(&directory::versions::etag(v)).ok())
    {
        r.headers_mut().insert(header::ETAG, v);
    }
    r
}
