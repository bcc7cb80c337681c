//! The authenticated caller of an enterprise's SCIM API, extracted from the path's
//! `{enterprise}`, the `Authorization` header and the URL the client used.

use axum::extract::{FromRequestParts, OriginalUri, Path};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use directory::Caller;
use directory::model::Scope;
use directory::rate_limit::Quota;
use std::collections::HashMap;
use std::sync::Arc;

use crate::AppState;
use crate::api_error::{ApiError, status_error};
use crate::observe::{Observed, quota_headers};
use crate::request_id::RequestId;

pub struct ScimCaller(pub Caller);

/// Scheme, host and prefix of the URLs an answer carries (see `public_origin`).
pub fn origin(state: &AppState, parts: &Parts) -> String {
    state.config.public.of(parts)
}

/// The SCIM base URL as the client addressed it: its origin, and the path up to and including
/// `/enterprises/{slug}`.
fn base_url(state: &AppState, parts: &Parts, slug: &str) -> String {
    let path = parts
        .extensions
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_string())
        .unwrap_or_else(|| parts.uri.path().to_string());
    let marker = format!("/enterprises/{slug}");
    let prefix = match path.find(&marker) {
        Some(i) => &path[..i + marker.len()],
        None => path.as_str(),
    };
    format!("{}{prefix}", origin(state, parts))
}

/// Take a request from the caller's token bucket and remember the quota for the response
/// headers; `Err` with the quota when the token is over its limit. The buckets are the
/// directory's (in the shared database behind replicas), so the limit holds across replicas.
pub async fn admit(state: &AppState, parts: &Parts, caller: &Caller) -> Result<(), Quota> {
    let Some(token_id) = caller.actor.token_id.as_deref() else {
        return Ok(());
    };
    let Some(quota) = state.directory.take_rate(token_id).await else {
        return Ok(());
    };
    if let Some(observed) = parts.extensions.get::<Arc<Observed>>() {
        let _ = observed.quota.set(quota);
    }
    match quota.retry_after {
        Some(_) => Err(quota),
        None => Ok(()),
    }
}

/// What a refused request is told: which token, its limit, when to come back.
pub fn over_limit_message(caller: &Caller, q: &Quota) -> String {
    format!(
        "API rate limit exceeded for token {}: it may make {} requests at once, refilled at this server's configured rate; retry after {} second(s)",
        caller.actor.token_id.as_deref().unwrap_or("-"),
        q.limit,
        (q.retry_after.unwrap_or(1.0).ceil() as u64).max(1)
    )
}

/// Remember the authenticated caller for the response's way out.
pub fn observe_caller(parts: &Parts, caller: &Caller) {
    if let Some(observed) = parts.extensions.get::<Arc<Observed>>() {
        let _ = observed.caller.set(caller.clone());
    }
}

impl FromRequestParts<AppState> for ScimCaller {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Path(params): Path<HashMap<String, String>> = Path::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let slug = params.get("enterprise").cloned().unwrap_or_default();
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone());
        let (enterprise, actor) = state
            .directory
            .authenticate(&slug, authorization, Scope::ScimEnterprise, request_id)
            .await
            .map_err(|e| ApiError(e).into_response())?;
        let base_url = base_url(state, parts, &enterprise.slug);
        let caller = Caller {
            enterprise,
            actor,
            base_url,
        };
        if let Err(quota) = admit(state, parts, &caller).await {
            let mut r = status_error(
                StatusCode::TOO_MANY_REQUESTS,
                &over_limit_message(&caller, &quota),
            );
            quota_headers(r.headers_mut(), &quota);
            return Err(r);
        }
        observe_caller(parts, &caller);
        Ok(ScimCaller(caller))
    }
}
