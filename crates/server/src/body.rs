//! Request bodies: read up to the configured limit and within the body timeout, and parsed
//! as JSON whatever the `Content-Type` says (`application/scim+json`, `application/json` or
//! nothing), since IdPs disagree on it.
//!
//! A body whose declared length is over the limit is refused (413) before a byte of it is
//! read, which also answers `Expect: 100-continue` at once: hyper sends `100 Continue` only
//! when a body is first read. A body that has not arrived whole by the deadline (counted from
//! the request's head) is answered 408. Both close the connection, since the rest of the
//! body is never read.

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hyper::body::Body as _;
use serde_json::Value;

use crate::AppState;
use crate::api_error::ApiError;
use crate::edge::{Api, Arrived, closing};
use scim::ScimError;

pub struct ScimBody(pub Value);

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyRefusal {
    /// Over `limit` bytes (declared, or as it arrived).
    TooLarge { limit: usize },
    /// Not whole within `after` of the request's head.
    TimedOut { after: Duration },
    /// The client broke off, or sent a malformed chunk.
    Unreadable(String),
}

impl BodyRefusal {
    /// The answer in `api`'s error shape. A 413 or 408 closes the connection: the rest of
    /// the body stays unread.
    pub fn into_response(self, api: Api) -> Response {
        match self {
            BodyRefusal::TooLarge { limit } => {
                let detail = format!(
                    "the request body is larger than {limit} bytes, the limit of this server; split the change into smaller requests"
                );
                closing(match api {
                    Api::Scim => ApiError::from(ScimError::PayloadTooLarge(detail)).into_response(),
                    Api::Rest => api.error(StatusCode::PAYLOAD_TOO_LARGE, &detail),
                })
            }
            BodyRefusal::TimedOut { after } => closing(api.error(
                StatusCode::REQUEST_TIMEOUT,
                &format!(
                    "the request body did not arrive whole within {} s of the request head, the body timeout of this server; send the request again",
                    after.as_secs_f64()
                ),
            )),
            BodyRefusal::Unreadable(e) => {
                let detail = format!("the request body could not be read: {e}");
                match api {
                    Api::Scim => ApiError::from(ScimError::InvalidSyntax(detail)).into_response(),
                    Api::Rest => api.error(StatusCode::BAD_REQUEST, &detail),
                }
            }
        }
    }
}

/// The whole body of `req`, within `state`'s size limit and body timeout.
pub async fn read(req: Request<Body>, state: &AppState) -> Result<Bytes, BodyRefusal> {
    let limit = state.config.max_body_bytes;
    let timeout = state.config.edge.body_timeout;
    let arrived = req
        .extensions()
        .get::<Arrived>()
        .map_or_else(Instant::now, |a| a.0);
    let mut body = req.into_body();
    let declared = body.size_hint().lower();
    if declared > limit as u64 {
        return Err(BodyRefusal::TooLarge { limit });
    }
    // A timeout too large to add is no deadline at all.
    let deadline = arrived
        .checked_add(timeout)
        .map(tokio::time::Instant::from_std);
    // A declared length is a promise, not a fact: a client that declares a megabyte and
    // sends nothing must not make us set one aside.
    let mut bytes = Vec::with_capacity((declared as usize).min(64 * 1024));
    loop {
        let next = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx));
        let frame = match deadline {
            Some(d) => tokio::time::timeout_at(d, next)
                .await
                .map_err(|_| BodyRefusal::TimedOut { after: timeout })?,
            None => next.await,
        };
        let Some(frame) = frame else { break };
        let frame = frame.map_err(|e| BodyRefusal::Unreadable(e.to_string()))?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > limit {
                return Err(BodyRefusal::TooLarge { limit });
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(bytes))
}

impl FromRequest<AppState> for ScimBody {
    type Rejection = Response;

    async fn from_request(req: Request<Body>, state: &AppState) -> Result<Self, Self::Rejection> {
        let bytes = read(req, state)
            .await
            .map_err(|r| r.into_response(Api::Scim))?;
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
