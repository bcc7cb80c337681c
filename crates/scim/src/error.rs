//! SCIM protocol errors (RFC 7644 §3.12). Every refusal the protocol layer makes names the
//! `scimType` and carries a `detail` sentence an IdP admin can act on.

use serde_json::{Value, json};

/// The protocol layer's one error enum. `server` maps it to HTTP; the variant fixes the
/// status and `scimType`, the string is the `detail`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScimError {
    /// 400 invalidFilter: the filter does not parse, or names something that cannot be filtered.
    #[error("{0}")]
    InvalidFilter(String),
    /// 400 invalidPath: a PATCH path that does not parse or names no attribute.
    #[error("{0}")]
    InvalidPath(String),
    /// 400 invalidSyntax: the body is not the shape the request needs (bad JSON, missing `Operations`).
    #[error("{0}")]
    InvalidSyntax(String),
    /// 400 invalidValue: a value of the wrong type, a missing required attribute, a refused value.
    #[error("{0}")]
    InvalidValue(String),
    /// 400 mutability: an attempt to change an attribute that cannot change.
    #[error("{0}")]
    Mutability(String),
    /// 400 noTarget: a PATCH path with a value filter that matched nothing where a match is needed.
    #[error("{0}")]
    NoTarget(String),
    /// 400 invalidCursor (RFC 9865): a `cursor` Roster did not issue, or issued for another query.
    #[error("{0}")]
    InvalidCursor(String),
    /// 400 tooMany: a request or filter over a budget.
    #[error("{0}")]
    TooMany(String),
    /// 409 uniqueness.
    #[error("{0}")]
    Uniqueness(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 412: `If-Match` named another version.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 413: the body is over the configured limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 501: a feature the service provider does not implement.
    #[error("{0}")]
    NotImplemented(String),
}

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

impl ScimError {
    pub fn status(&self) -> u16 {
        match self {
            ScimError::InvalidFilter(_)
            | ScimError::InvalidPath(_)
            | ScimError::InvalidSyntax(_)
            | ScimError::InvalidValue(_)
            | ScimError::Mutability(_)
            | ScimError::NoTarget(_)
            | ScimError::InvalidCursor(_)
            | ScimError::TooMany(_) => 400,
            ScimError::Uniqueness(_) => 409,
            ScimError::NotFound(_) => 404,
            ScimError::PreconditionFailed(_) => 412,
            ScimError::PayloadTooLarge(_) => 413,
            ScimError::NotImplemented(_) => 501,
        }
    }

    pub fn scim_type(&self) -> Option<&'static str> {
        match self {
            ScimError::InvalidFilter(_) => Some("invalidFilter"),
            ScimError::InvalidPath(_) => Some("invalidPath"),
            ScimError::InvalidSyntax(_) => Some("invalidSyntax"),
            ScimError::InvalidValue(_) => Some("invalidValue"),
            ScimError::Mutability(_) => Some("mutability"),
            ScimError::NoTarget(_) => Some("noTarget"),
            ScimError::InvalidCursor(_) => Some("invalidCursor"),
            ScimError::TooMany(_) => Some("tooMany"),
            ScimError::Uniqueness(_) => Some("uniqueness"),
            _ => None,
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            ScimError::InvalidFilter(d)
            | ScimError::InvalidPath(d)
            | ScimError::InvalidSyntax(d)
            | ScimError::InvalidValue(d)
            | ScimError::Mutability(d)
            | ScimError::NoTarget(d)
            | ScimError::InvalidCursor(d)
            | ScimError::TooMany(d)
            | ScimError::Uniqueness(d)
            | ScimError::NotFound(d)
            | ScimError::PreconditionFailed(d)
            | ScimError::PayloadTooLarge(d)
            | ScimError::NotImplemented(d) => d,
        }
    }

    /// The RFC 7644 §3.12 error body.
    pub fn to_body(&self) -> Value {
        error_body(self.status(), self.scim_type(), self.detail())
    }
}

/// The longest `detail` an error body carries, in characters. Details quote what a client
/// sent (shortened where they are written, see `crate::shown`); this bound holds whatever a
/// detail quotes, so a refusal never grows with the request it refuses.
pub const MAX_DETAIL_CHARS: usize = 2048;

/// `detail` cut to `max` characters (at a character boundary), saying it was cut.
pub fn truncated(detail: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match detail.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(detail),
        Some((end, _)) => std::borrow::Cow::Owned(format!(
            "{}… (detail cut at {max} characters)",
            &detail[..end]
        )),
    }
}

/// An RFC 7644 §3.12 error body; `status` is a string, as the RFC's examples and Okta expect.
pub fn error_body(status: u16, scim_type: Option<&str>, detail: &str) -> Value {
    let mut body = json!({
        "schemas": [ERROR_SCHEMA],
        "status": status.to_string(),
        "detail": truncated(detail, MAX_DETAIL_CHARS),
    });
    if let Some(t) = scim_type {
        body["scimType"] = Value::String(t.to_string());
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_details_are_cut_at_a_character_boundary() {
        let long = "é".repeat(MAX_DETAIL_CHARS + 10);
        let body = error_body(400, Some("invalidValue"), &long);
        let d = body["detail"].as_str().unwrap();
        assert!(d.ends_with("… (detail cut at 2048 characters)"), "{d}");
        assert_eq!(d.chars().filter(|c| *c == 'é').count(), MAX_DETAIL_CHARS);
        assert_eq!(truncated("short", 10), "short");
    }
}
