//! The authenticated caller of an enterprise's SCIM API, extracted from the path's
//! `{enterprise}`, the `Authorization` header and the URL the client used.

use axum::extract::{FromRequestParts, OriginalUri, Path};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use directory::Caller;
use directory::model::Scope;
use std::collections::HashMap;

use crate::AppState;
use crate::api_error::ApiError;
use crate::request_id::RequestId;

pub struct ScimCaller(pub Caller);

/// The SCIM base URL as the client addressed it: scheme and host from the request (a proxy's
/// `X-Forwarded-Proto`/`X-Forwarded-Host` win), path up to and including `/enterprises/{slug}`.
fn base_url(parts: &Parts, slug: &str) -> String {
    let headers = &parts.headers;
    let get = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let scheme = get("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = get("x-forwarded-host")
        .or_else(|| get(header::HOST.as_str()))
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".into());
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
    format!("{scheme}://{host}{prefix}")
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
        let base_url = base_url(parts, &enterprise.slug);
        Ok(ScimCaller(Caller {
            enterprise,
            actor,
            base_url,
        }))
    }
}
