//! REST request input: JSON bodies (up to the configured size) and paging parameters, each
//! refused with GitHub's error JSON saying what to fix.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use directory::store::Slice;
use serde_json::Value;

use crate::AppState;
use crate::edge::Api;
use crate::rest_error::RestError;

pub struct RestBody(pub Value);

impl FromRequest<AppState> for RestBody {
    type Rejection = Response;

    async fn from_request(req: Request<Body>, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = crate::body::read(req, state)
            .await
            .map_err(|r| r.into_response(Api::Rest))?;
        serde_json::from_slice(&bytes).map(RestBody).map_err(|e| {
            RestError::new(
                StatusCode::BAD_REQUEST,
                format!("Problems parsing JSON: {e}; send a JSON object"),
            )
            .into_response()
        })
    }
}

/// The longest string a REST field or query parameter may carry, in bytes.
pub const MAX_TEXT_BYTES: usize = 1024;

/// Refuse text that no field of this API may hold: NUL and control characters (TAB, LF and
/// CR aside), and more than [`MAX_TEXT_BYTES`]. Both backends then store the same (PostgreSQL
/// cannot store U+0000 at all).
pub fn check_text(what: &str, s: &str) -> Result<(), RestError> {
    if s.len() > MAX_TEXT_BYTES {
        return Err(RestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "{what} is {} bytes long; at most {MAX_TEXT_BYTES} are accepted",
                s.len()
            ),
        ));
    }
    match scim::controls::free_text_refusal(what, s) {
        Some(refusal) => Err(RestError::new(StatusCode::UNPROCESSABLE_ENTITY, refusal)),
        None => Ok(()),
    }
}

/// The query string's parameters, each checked like a body's text (`check_text`).
pub struct Params(HashMap<String, String>);

impl std::ops::Deref for Params {
    type Target = HashMap<String, String>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromRequestParts<AppState> for Params {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Query(params) =
            Query::<HashMap<String, String>>::try_from_uri(&parts.uri).map_err(|e| {
                RestError::new(
                    StatusCode::BAD_REQUEST,
                    format!("the query string cannot be read: {e}"),
                )
                .into_response()
            })?;
        for (name, value) in &params {
            check_text(
                &format!("the query parameter '{}'", scim::shown::shown(name)),
                value,
            )
            .map_err(IntoResponse::into_response)?;
        }
        Ok(Params(params))
    }
}

/// A string field of a body, if present; refused when present with another type, or holding
/// what no field may hold (`check_text`).
pub fn opt_str<'a>(body: &'a Value, field: &str) -> Result<Option<&'a str>, RestError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            check_text(&format!("'{field}'"), s)?;
            Ok(Some(s))
        }
        Some(_) => Err(RestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("'{field}' must be a string"),
        )),
    }
}

pub fn required_str<'a>(body: &'a Value, field: &str) -> Result<&'a str, RestError> {
    opt_str(body, field)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            RestError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("'{field}' is required: send {{\"{field}\": \"…\"}}"),
            )
        })
}

/// A positive number from the query string.
pub fn number(params: &HashMap<String, String>, name: &str) -> Result<Option<u64>, RestError> {
    match params.get(name) {
        None => Ok(None),
        Some(v) => v
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| {
                RestError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("'{name}' must be a positive whole number, not '{v}'"),
                )
            }),
    }
}

/// `page` (1-based) and `per_page` (default 30, at most 100), GitHub's paging.
pub fn page(params: &HashMap<String, String>) -> Result<(u64, u64), RestError> {
    let per_page = number(params, "per_page")?.unwrap_or(30);
    if per_page > 100 {
        return Err(RestError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "'per_page' may be at most 100",
        ));
    }
    Ok((number(params, "page")?.unwrap_or(1), per_page))
}

pub fn slice(params: &HashMap<String, String>) -> Result<Slice, RestError> {
    let (page, per_page) = page(params)?;
    Ok(Slice {
        offset: (page - 1).saturating_mul(per_page),
        limit: per_page,
    })
}
