//! The directory's one error enum. `server` turns it into HTTP; the CLI into a message and a
//! non-zero exit.

use scim::ScimError;

use crate::store::{StoreError, UniqueKey};

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// A refusal with a SCIM status and `scimType`.
    #[error("{0}")]
    Scim(#[from] ScimError),
    /// 401: no usable credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// 403: credentials without the needed scope or for another enterprise's resource.
    #[error("{0}")]
    Forbidden(String),
    /// An administrative request that cannot be carried out (a taken slug, a bad short code).
    #[error("{0}")]
    Refused(String),
    /// A transaction lost a race (a concurrent write, a serialization failure); the operation
    /// is retried a few times before this reaches a caller.
    #[error("{0}")]
    Contention(String),
    /// A storage failure the caller cannot fix.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for DirectoryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unique(key) => {
                let detail = match key {
                    UniqueKey::UserName => {
                        "a user with this userName already exists in this enterprise (userName is compared case-insensitively)"
                    }
                    UniqueKey::Handle => {
                        "another user's userName normalizes to the same handle; choose a userName that differs in letters or digits"
                    }
                    UniqueKey::GroupDisplayName => {
                        "a group with this displayName already exists in this enterprise (compared case-insensitively)"
                    }
                    UniqueKey::EnterpriseSlug => "an enterprise with this slug already exists",
                    UniqueKey::EnterpriseShortCode => {
                        "an enterprise with this short code already exists"
                    }
                    UniqueKey::Other => "a resource with these unique values already exists",
                };
                match key {
                    UniqueKey::EnterpriseSlug | UniqueKey::EnterpriseShortCode => {
                        DirectoryError::Refused(detail.to_string())
                    }
                    _ => DirectoryError::Scim(ScimError::Uniqueness(detail.to_string())),
                }
            }
            StoreError::UnsupportedFilter(d) => DirectoryError::Scim(ScimError::InvalidFilter(d)),
            StoreError::Retryable(d) => DirectoryError::Contention(d),
            StoreError::Backend(d) => DirectoryError::Internal(d),
        }
    }
}
