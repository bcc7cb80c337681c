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
    /// A resource of the REST API (organization, team, IdP group) that does not exist for the
    /// caller. SCIM resources use `ScimError::NotFound`.
    #[error("{0}")]
    NotFound(String),
    /// A well-formed request that breaks a rule (a taken login, a nested linked team): 422.
    #[error("{0}")]
    Unprocessable(String),
    /// A transaction lost a race (a concurrent write, a serialization failure); the operation
    /// is retried a few times before this reaches a caller.
    #[error("{0}")]
    Contention(String),
    /// The database cannot take requests now; nothing was changed (503 with `Retry-After`).
    #[error("{0}")]
    Unavailable(String),
    /// The disk is full; nothing was changed (507).
    #[error("{0}")]
    StorageFull(String),
    /// The change was sent to be committed and no answer came back: it may have been saved
    /// (503; the client must read before it retries).
    #[error("{0}")]
    OutcomeUnknown(String),
    /// The change was committed, but reading it back for the answer failed: the client must
    /// not take the refusal for "nothing happened" (503; read the resource).
    #[error("{0}")]
    SavedUnread(String),
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
                    UniqueKey::OrganizationLogin => {
                        "an organization with this login already exists on this server (logins are compared case-insensitively); choose another login"
                    }
                    UniqueKey::TeamSlug => {
                        "a team with this name (or one giving the same slug) already exists in this organization; choose another name"
                    }
                    UniqueKey::Other => "a resource with these unique values already exists",
                };
                match key {
                    UniqueKey::EnterpriseSlug | UniqueKey::EnterpriseShortCode => {
                        DirectoryError::Refused(detail.to_string())
                    }
                    UniqueKey::OrganizationLogin | UniqueKey::TeamSlug => {
                        DirectoryError::Unprocessable(detail.to_string())
                    }
                    _ => DirectoryError::Scim(ScimError::Uniqueness(detail.to_string())),
                }
            }
            StoreError::UnsupportedFilter(d) => DirectoryError::Scim(ScimError::InvalidFilter(d)),
            StoreError::Retryable(d) => DirectoryError::Contention(d),
            StoreError::Unavailable(d) => DirectoryError::Unavailable(d),
            StoreError::Full(d) => DirectoryError::StorageFull(d),
            StoreError::OutcomeUnknown(d) => DirectoryError::OutcomeUnknown(d),
            StoreError::Backend(d) => DirectoryError::Internal(d),
        }
    }
}

/// What `Retry-After` says when the database is unavailable.
pub const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

impl DirectoryError {
    /// This error as it must be told when it happened after the change was committed (while
    /// rendering the answer): whatever failed, the change itself was saved.
    pub fn after_commit(self) -> DirectoryError {
        match self {
            DirectoryError::Scim(_) => self,
            DirectoryError::Unavailable(d)
            | DirectoryError::StorageFull(d)
            | DirectoryError::OutcomeUnknown(d) => DirectoryError::SavedUnread(d),
            other => {
                // Other failures' words are for the log only, as their own answers keep them.
                tracing::error!(error = %other, "reading back a saved change failed");
                DirectoryError::SavedUnread("a storage failure the server log describes".into())
            }
        }
    }

    /// Seconds a client should wait before retrying, for the errors that have a retry time.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            // Not after a saved change (SavedUnread): it must not be sent again.
            DirectoryError::Contention(_) | DirectoryError::OutcomeUnknown(_) => Some(1),
            DirectoryError::Unavailable(_) => Some(UNAVAILABLE_RETRY_SECONDS),
            _ => None,
        }
    }

    /// The HTTP status and RFC 7644 §3.12 body of this error: what a client is told, whether
    /// in a response of its own or inside a bulk response.
    pub fn status_and_body(&self) -> (u16, serde_json::Value) {
        use scim::error::error_body;
        match self {
            DirectoryError::Scim(e) => (e.status(), e.to_body()),
            DirectoryError::Unauthenticated(d) => (401, error_body(401, None, d)),
            DirectoryError::Forbidden(d) => (403, error_body(403, None, d)),
            DirectoryError::Refused(d) => (400, error_body(400, None, d)),
            DirectoryError::NotFound(d) => (404, error_body(404, None, d)),
            DirectoryError::Unprocessable(d) => (400, error_body(400, None, d)),
            DirectoryError::Contention(_) => (
                503,
                error_body(
                    503,
                    None,
                    "the resource is being changed by many requests at once; retry shortly",
                ),
            ),
            DirectoryError::Unavailable(d) => (
                503,
                error_body(
                    503,
                    None,
                    &format!(
                        "Roster cannot use its database right now ({d}); the request changed nothing. Retry after {UNAVAILABLE_RETRY_SECONDS} seconds; the server log has the details."
                    ),
                ),
            ),
            DirectoryError::StorageFull(d) => (
                507,
                error_body(
                    507,
                    None,
                    &format!(
                        "Roster's storage is full ({d}); the request changed nothing. An operator must free disk space; retry after that."
                    ),
                ),
            ),
            DirectoryError::OutcomeUnknown(d) => (
                503,
                error_body(
                    503,
                    None,
                    &format!(
                        "the outcome of this request is unknown: Roster sent the change to its database, which did not confirm it ({d}). It may or may not have been saved; read the resource before retrying."
                    ),
                ),
            ),
            DirectoryError::SavedUnread(d) => (
                503,
                error_body(
                    503,
                    None,
                    &format!(
                        "the change was saved, but Roster could not read it back to answer ({d}); GET the resource to see it, and do not send the change again"
                    ),
                ),
            ),
            DirectoryError::Internal(_) => (
                500,
                error_body(
                    500,
                    None,
                    "Roster could not complete the request because of an internal error; it changed nothing. The server log has the details.",
                ),
            ),
        }
    }
}
