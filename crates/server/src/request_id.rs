//! Every request gets an id (the client's `X-Request-Id` when it sends one), echoed in the
//! response and recorded in audit events and logs.

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The request's id: the client's `X-Request-Id` when it is usable, else a new one.
pub fn pick(headers: &HeaderMap) -> String {
    headers
        .get(HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())
}

/// Echo `id` in a response.
pub fn echo(res: &mut Response, id: &str) {
    if let Ok(v) = HeaderValue::from_str(id) {
        res.headers_mut().insert(HEADER, v);
    }
}

pub async fn assign(mut req: Request, next: Next) -> Response {
    let id = pick(req.headers());
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), path = %req.uri().path());
    let mut res = next.run(req).instrument(span).await;
    echo(&mut res, &id);
    res
}
