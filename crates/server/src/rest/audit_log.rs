//! `GET /enterprises/{enterprise}/audit-log`: newest first, `per_page` and `after`/`before`
//! cursors, with a `Link` header naming the next (and previous) page.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use directory::audit_log::AuditPageRequest;
use directory::github;
use serde_json::Value;

use super::input::{Params, number};
use super::{RestResult, ok};
use crate::AppState;
use crate::rest_caller::{AuditReader, RestCaller};
use crate::rest_error::RestError;

const DOCS: &str = "https://docs.github.com/rest/enterprise-admin/audit-log";

/// Percent-encode a query value (unreserved characters stay).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub async fn list(
    State(s): State<AppState>,
    RestCaller(c, _): RestCaller<AuditReader>,
    params: Params,
) -> RestResult {
    let request = AuditPageRequest {
        phrase: params.get("phrase").cloned(),
        per_page: number(&params, "per_page").map_err(|e| e.docs(DOCS))?,
        after: params.get("after").cloned(),
        before: params.get("before").cloned(),
    };
    let page = s
        .directory
        .audit_log(&c, &request)
        .await
        .map_err(|e| RestError::from(e).docs(DOCS))?;
    let body = Value::Array(
        page.events
            .iter()
            .map(|e| github::audit_event(&c.enterprise.slug, e))
            .collect(),
    );
    let mut r = ok(&body)?;
    let url = |key: &str, cursor: &str| {
        let mut q = Vec::new();
        if let Some(p) = &request.phrase {
            q.push(format!("phrase={}", encode(p)));
        }
        if let Some(n) = request.per_page {
            q.push(format!("per_page={n}"));
        }
        q.push(format!("{key}={cursor}"));
        format!(
            "{}/enterprises/{}/audit-log?{}",
            c.base_url,
            c.enterprise.slug,
            q.join("&")
        )
    };
    let mut links = Vec::new();
    if let Some(next) = &page.next {
        links.push(format!("<{}>; rel=\"next\"", url("after", next)));
    }
    if let Some(prev) = &page.prev {
        links.push(format!("<{}>; rel=\"prev\"", url("before", prev)));
    }
    if !links.is_empty()
        && let Ok(v) = HeaderValue::from_str(&links.join(", "))
    {
        r.headers_mut().insert(header::LINK, v);
    }
    Ok(r)
}
