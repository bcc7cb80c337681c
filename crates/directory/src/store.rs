//! The storage contract the directory needs. Implementations live in the `store` crate; the
//! directory never sees SQL. Writes happen inside a [`Tx`]: the directory applies its rules and
//! appends audit events there, and nothing is visible until [`Tx::commit`].

use async_trait::async_trait;
use scim::filter::{AttrPath, Filter};
use scim::schema::ResourceType;
use time::OffsetDateTime;

use crate::model::{
    AuditEvent, Enterprise, IdpGroup, ManagedUser, Member, Membership, Page, Token,
};

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueKey {
    UserName,
    Handle,
    GroupDisplayName,
    EnterpriseSlug,
    EnterpriseShortCode,
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("uniqueness violated: {0:?}")]
    Unique(UniqueKey),
    /// A transaction lost a race the database detected (serialization failure, busy); the
    /// whole operation may be retried.
    #[error("transient conflict: {0}")]
    Retryable(String),
    /// A filter the store cannot compile.
    #[error("{0}")]
    UnsupportedFilter(String),
    #[error("storage failure: {0}")]
    Backend(String),
}

/// A listing request as the store sees it.
pub struct ListQuery<'a> {
    pub resource_type: &'a ResourceType,
    pub filter: Option<&'a Filter>,
    /// Order by this attribute (then by creation order); `None`: creation order.
    pub sort: Option<&'a SortKey>,
    /// Cursor paging: start after this position (and ignore `start_index`).
    pub after: Option<&'a Position>,
    /// 1-based; used when `after` is `None`.
    pub start_index: u64,
    pub count: u64,
}

/// `sortBy`/`sortOrder`: a resolved singular attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub path: AttrPath,
    pub descending: bool,
}

/// A place in a listing's order: the creation sequence number of a resource and, when the
/// listing is sorted, its sort value (`Some(Null)` when it has none).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Position {
    pub seq: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<serde_json::Value>,
}

/// A new enterprise as the store inserts it.
pub struct NewEnterprise {
    pub slug: String,
    pub short_code: String,
    pub profile: crate::model::Profile,
    pub created: OffsetDateTime,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Start a write transaction.
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError>;

    async fn enterprise_by_slug(&self, slug: &str) -> Result<Option<Enterprise>, StoreError>;
    async fn enterprises(&self) -> Result<Vec<Enterprise>, StoreError>;
    /// The token with this secret hash, and its enterprise.
    async fn token_by_hash(&self, hash: &str) -> Result<Option<(Token, Enterprise)>, StoreError>;
    async fn tokens(&self, enterprise_id: Option<i64>) -> Result<Vec<Token>, StoreError>;

    async fn user(&self, enterprise_id: i64, id: &str) -> Result<Option<ManagedUser>, StoreError>;
    async fn users(
        &self,
        enterprise_id: i64,
        query: &ListQuery<'_>,
    ) -> Result<Page<ManagedUser>, StoreError>;
    /// The groups of each of these users.
    async fn memberships(
        &self,
        enterprise_id: i64,
        user_ids: &[String],
    ) -> Result<Vec<Membership>, StoreError>;

    async fn group(&self, enterprise_id: i64, id: &str) -> Result<Option<IdpGroup>, StoreError>;
    async fn groups(
        &self,
        enterprise_id: i64,
        query: &ListQuery<'_>,
    ) -> Result<Page<IdpGroup>, StoreError>;
    /// A group's members in a stable order.
    async fn members(&self, group_id: &str) -> Result<Vec<Member>, StoreError>;
}

#[async_trait]
pub trait Tx: Send {
    async fn insert_enterprise(
        &mut self,
        enterprise: &NewEnterprise,
    ) -> Result<Enterprise, StoreError>;
    async fn insert_token(&mut self, token: &Token, secret_hash: &str) -> Result<(), StoreError>;
    /// Mark revoked; the token as it was, if it exists.
    async fn revoke_token(
        &mut self,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Option<Token>, StoreError>;
    async fn touch_token(&mut self, id: &str, at: OffsetDateTime) -> Result<(), StoreError>;

    async fn user(
        &mut self,
        enterprise_id: i64,
        id: &str,
    ) -> Result<Option<ManagedUser>, StoreError>;
    async fn insert_user(&mut self, user: &ManagedUser) -> Result<(), StoreError>;
    /// Write `user` if the stored version is still `expected_version`; false if it was not.
    async fn update_user(
        &mut self,
        user: &ManagedUser,
        expected_version: i64,
    ) -> Result<bool, StoreError>;
    /// Erase a user: its memberships go, its row becomes an anonymous tombstone, its userName
    /// and handle are free again.
    /// Returns the ids of the groups it was a member of.
    async fn erase_user(
        &mut self,
        enterprise_id: i64,
        id: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<String>, StoreError>;
    /// Which of these ids are live users of the enterprise.
    async fn existing_users(
        &mut self,
        enterprise_id: i64,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError>;

    async fn group(&mut self, enterprise_id: i64, id: &str)
    -> Result<Option<IdpGroup>, StoreError>;
    async fn insert_group(&mut self, group: &IdpGroup) -> Result<(), StoreError>;
    async fn update_group(
        &mut self,
        group: &IdpGroup,
        expected_version: i64,
    ) -> Result<bool, StoreError>;
    async fn delete_group(&mut self, enterprise_id: i64, id: &str) -> Result<(), StoreError>;
    /// Add members; returns the ids that were not members before.
    async fn add_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError>;
    /// Remove members; returns the ids that were members.
    async fn remove_members(
        &mut self,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<String>, StoreError>;
    /// All member ids of a group.
    async fn member_ids(&mut self, group_id: &str) -> Result<Vec<String>, StoreError>;

    async fn append_audit(&mut self, events: &[AuditEvent]) -> Result<(), StoreError>;

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
