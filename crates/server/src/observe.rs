//! What a request's extractors learn that its response needs: the authenticated caller (to
//! record a refused SCIM write as `*.scim_api_failure`) and the token's rate-limit quota (for
//! the `X-RateLimit-*` headers on every answer). A middleware puts an empty `Observed` in the
//! request, the caller extractors fill it, the middleware reads it on the way out.

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use directory::Caller;
use serde_json::Value;

use crate::AppState;
use directory::rate_limit::Quota;

#[derive(Default)]
pub struct Observed {
    pub caller: OnceLock<Caller>,
    pub quota: OnceLock<Quota>,
}

/// The largest error body read back to record its detail.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Unix time (seconds) `after` seconds from now, for `X-RateLimit-Reset`.
fn epoch_after(after: f64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    (now + after).ceil() as u64
}

pub fn quota_headers(headers: &mut HeaderMap, q: &Quota) {
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("x-ratelimit-limit", q.limit.to_string());
    set("x-ratelimit-remaining", q.remaining.to_string());
    set("x-ratelimit-reset", epoch_after(q.reset_after).to_string());
    if let Some(after) = q.retry_after {
        set("retry-after", (after.ceil() as u64).max(1).to_string());
    }
}

/// A SCIM write whose refusal is recorded: POST/PUT/PATCH/DELETE under a SCIM base path,
/// except searches (POST …/.search reads). `Some(true)` for /Groups.
fn scim_write(method: &Method, path: &str) -> Option<bool> {
    let writes = [Method::POST, Method::PUT, Method::PATCH, Method::DELETE];
    if !writes.contains(method)
        || !path.contains("/scim/v2/enterprises/")
        || path.ends_with(".search")
    {
        return None;
    }
    Some(path.contains("/Groups"))
}

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let observed = Arc::new(Observed::default());
    req.extensions_mut().insert(observed.clone());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut res = next.run(req).await;
    if let Some(q) = observed.quota.get() {
        quota_headers(res.headers_mut(), q);
    }
    let status = res.status();
    // Refusals of the request (4xx) are recorded; a storage failure (5xx) is not: the log has
    // it, recording would wait on the storage that just failed, and a saved change or one of
    // unknown outcome is no refusal.
    if !status.is_client_error() || status == StatusCode::TOO_MANY_REQUESTS {
        return res;
    }
    let (Some(groups), Some(caller)) = (scim_write(&method, &path), observed.caller.get()) else {
        return res;
    };
    let (parts, body) = res.into_parts();
    // Only a body known to be small is read back (error bodies are, their details being
    // bounded); anything else goes to the client untouched rather than be cut.
    let small = axum::body::HttpBody::size_hint(&body)
        .upper()
        .is_some_and(|n| n <= MAX_ERROR_BODY as u64);
    let (body, detail) = if small {
        let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY)
            .await
            .unwrap_or_default();
        let detail = serde_json::from_slice::<Value>(&bytes)
            .ok()
            .and_then(|b| b.get("detail").and_then(Value::as_str).map(str::to_string))
            .unwrap_or_default();
        (Body::from(bytes), detail)
    } else {
        (body, "(the answer was too long to record)".to_string())
    };
    if let Err(e) = state
        .directory
        .record_scim_failure(
            caller,
            groups,
            method.as_str(),
            &path,
            status.as_u16(),
            &detail,
        )
        .await
    {
        tracing::error!(error = %e, "could not record a refused SCIM write in the audit log");
    }
    Response::from_parts(parts, body)
}
