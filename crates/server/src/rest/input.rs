//! REST request input: JSON bodies (up to the configured size) and paging parameters, each
//! refused with GitHub's error JSON saying what to fix.

use std::collections::HashMap;

use axum::body::Body;
use axum::extract::{FromRequest, Query, Request};
use axum::http::StatusCode;
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

pub type Params = Query<HashMap<String, String>>;

/// A string field of a body, if present; refused when present with another type.
pub fn opt_str<'a>(body: &'a Value, field: &str) -> Result<Option<&'a str>, RestError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
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
