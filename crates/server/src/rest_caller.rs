//! The authenticated caller of the REST API (`/api/v3`): a token of the enterprise carrying
//! the scope the endpoint needs. Paths under `/enterprises/{enterprise}` must name the
//! token's enterprise; paths under `/orgs/{org}` are checked by the directory, which treats
//! another enterprise's organization as absent.

use std::collections::HashMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use directory::Caller;
use directory::model::Scope;

use crate::AppState;
use crate::caller::{admit, observe_caller, origin, over_limit_message};
use crate::observe::quota_headers;
use crate::request_id::RequestId;
use crate::rest_error::RestError;

/// The scope an endpoint needs.
pub trait NeedsScope {
    const SCOPE: Scope;
}

/// Organizations, teams and their links: `admin:org` (or `admin:enterprise`).
pub struct OrgAdmin;
impl NeedsScope for OrgAdmin {
    const SCOPE: Scope = Scope::AdminOrg;
}

/// The audit log: `read:audit_log` (or `admin:enterprise`).
pub struct AuditReader;
impl NeedsScope for AuditReader {
    const SCOPE: Scope = Scope::ReadAuditLog;
}

pub struct RestCaller<S>(pub Caller, pub PhantomData<S>);

impl<S: NeedsScope + Send> FromRequestParts<AppState> for RestCaller<S> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|Path(p)| p)
            .unwrap_or_default();
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let request_id = parts.extensions.get::<RequestId>().map(|r| r.0.clone());
        let (enterprise, actor) = state
            .directory
            .authenticate_for(
                params.get("enterprise").map(String::as_str),
                authorization,
                S::SCOPE,
                request_id,
            )
            .await
            .map_err(|e| RestError::from(e).into_response())?;
        let caller = Caller {
            enterprise,
            actor,
            base_url: format!("{}/api/v3", origin(state, parts)),
        };
        if let Err(quota) = admit(state, parts, &caller).await {
            let mut r = RestError::new(
                StatusCode::TOO_MANY_REQUESTS,
                over_limit_message(&caller, &quota),
            )
            .docs("https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api")
            .into_response();
            quota_headers(r.headers_mut(), &quota);
            return Err(r);
        }
        observe_caller(parts, &caller);
        Ok(RestCaller(caller, PhantomData))
    }
}
