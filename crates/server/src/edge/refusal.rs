//! Requests refused on their head alone, before routing: a request target over
//! `max_uri_bytes` (414) and header fields over `max_header_bytes` or `MAX_HEADER_FIELDS`
//! (431). Each answer carries the error body of the API the path belongs to, and closes the
//! connection (whatever body the request has is never read).

use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::limits::{EdgeLimits, MAX_HEADER_FIELDS};
use crate::api_error::status_error;
use crate::rest_error::RestError;

/// Which API a path belongs to, for the shape of its errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// RFC 7644 error JSON, `application/scim+json` (also `/healthz` and unknown paths).
    Scim,
    /// GitHub's `{"message", "documentation_url"}` (`/api/v3/…` except its SCIM prefix).
    Rest,
}

impl Api {
    pub(crate) fn of(path: &str) -> Api {
        if path.starts_with("/api/v3/") && !path.starts_with("/api/v3/scim/") {
            Api::Rest
        } else {
            Api::Scim
        }
    }

    pub(crate) fn error(self, status: StatusCode, detail: &str) -> Response {
        match self {
            Api::Scim => status_error(status, detail),
            Api::Rest => RestError::new(status, detail).into_response(),
        }
    }
}

/// Mark a response as the last on its connection.
pub(crate) fn closing(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    r
}

fn target_bytes<B>(req: &Request<B>) -> usize {
    let uri = req.uri();
    let origin = uri.path_and_query().map_or(0, |p| p.as_str().len());
    // An absolute-form target (`GET http://host/path`) carries its scheme and authority too.
    let absolute = uri.scheme_str().map_or(0, |s| s.len() + 3)
        + uri.authority().map_or(0, |a| a.as_str().len());
    origin + absolute
}

/// The refusal of a request whose head is over the limits, if it is.
pub(crate) fn check<B>(req: &Request<B>, limits: &EdgeLimits) -> Option<Response> {
    let api = Api::of(req.uri().path());
    let target = target_bytes(req);
    if target > limits.max_uri_bytes {
        let hint = match api {
            Api::Scim => {
                "; send a long filter in the body of a POST to …/Users/.search or …/Groups/.search instead"
            }
            Api::Rest => "; shorten the query",
        };
        return Some(closing(api.error(
            StatusCode::URI_TOO_LONG,
            &format!(
                "the request target is {target} bytes long, more than the {} bytes this server accepts{hint}",
                limits.max_uri_bytes
            ),
        )));
    }
    let fields = req.headers().len();
    if fields > MAX_HEADER_FIELDS {
        return Some(closing(api.error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            &format!(
                "the request has {fields} header fields, more than the {MAX_HEADER_FIELDS} this server accepts; send fewer headers"
            ),
        )));
    }
    // As on the wire: `name: value\r\n`.
    let header_bytes: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > limits.max_header_bytes {
        return Some(closing(api.error(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            &format!(
                "the request's header fields total {header_bytes} bytes, more than the {} bytes this server accepts; send fewer or smaller headers",
                limits.max_header_bytes
            ),
        )));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_paths_are_told_from_scim_paths() {
        assert_eq!(Api::of("/api/v3/orgs/x/teams"), Api::Rest);
        assert_eq!(Api::of("/api/v3/scim/v2/enterprises/acme/Users"), Api::Scim);
        assert_eq!(Api::of("/scim/v2/enterprises/acme/Users"), Api::Scim);
        assert_eq!(Api::of("/healthz"), Api::Scim);
        assert_eq!(Api::of("/api/v3"), Api::Scim);
    }

    #[test]
    fn a_head_within_the_limits_passes() {
        let limits = EdgeLimits::default();
        let req = Request::get("/scim/v2/enterprises/acme/Users?filter=userName%20eq%20%22a%22")
            .header("authorization", "Bearer x")
            .body(())
            .unwrap();
        assert!(check(&req, &limits).is_none());
        let long = format!("/Users?filter={}", "a".repeat(limits.max_uri_bytes));
        let req = Request::get(long.as_str()).body(()).unwrap();
        let refused = check(&req, &limits).expect("refused");
        assert_eq!(refused.status(), StatusCode::URI_TOO_LONG);
        assert_eq!(refused.headers()[header::CONNECTION], "close");
    }
}
