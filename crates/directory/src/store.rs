//! The storage contract the directory needs. Implementations live in the `store` crate; the
//! directory never sees SQL. Writes happen inside a [`Tx`]: the directory applies its rules and
//! appends audit events there, and nothing is visible until [`Tx::commit`].

use async_trait::async_trait;
use scim::filter::{AttrPath, Filter};
use scim::schema::ResourceType;
use time::OffsetDateTime;

use crate::model::{
    AuditEvent, Enterprise, IdpGroup, LoggedEvent, ManagedUser, Member, Membership, NewTeam,
    Organization, Page, SeatChange, Team, TeamSeatChange, Token,
};
use crate::rate_limit::{Quota, RateLimit};

/// Which uniqueness rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueKey {
    UserName,
    Handle,
    GroupDisplayName,
    EnterpriseSlug,
    EnterpriseShortCode,
    OrganizationLogin,
    TeamSlug,
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
    /// The database cannot take this request now (unreachable, every connection busy, the
    /// file read-only, locked by another process, or gone); nothing was changed. The text
    /// says which, in words an operator can act on, and carries no secret.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The disk (or the database's quota) is full; nothing was changed.
    #[error("storage full: {0}")]
    Full(String),
    /// A COMMIT was sent and no answer came back (the connection broke, the disk failed, the
    /// wait ran out): the change may or may not have been saved.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
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

/// A window of a plain listing (`per_page`/`page`).
#[derive(Debug, Clone, Copy)]
pub struct Slice {
    pub offset: u64,
    pub limit: u64,
}

/// Which actions an audit query selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionMatch {
    /// This exact action (`team.add_member`).
    Exact(String),
    /// Every action of a category (`team` selects `team.*`).
    Category(String),
}

/// An audit log query: conditions of one kind are alternatives (OR), kinds combine with AND.
/// Results come newest first unless `oldest_first`.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub enterprise_id: i64,
    pub actions: Vec<ActionMatch>,
    pub actors: Vec<String>,
    /// Events at or after this time.
    pub from: Option<OffsetDateTime>,
    /// Events strictly before this time.
    pub until: Option<OffsetDateTime>,
    /// Only events older than this log position (the `after` cursor of a newest-first listing).
    pub older_than: Option<i64>,
    /// Only events newer than this log position (the `before` cursor).
    pub newer_than: Option<i64>,
    pub oldest_first: bool,
    pub limit: u64,
}

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Start a write transaction.
    async fn begin(&self) -> Result<Box<dyn Tx>, StoreError>;

    /// Whether the store can serve reads and writes now, answered within a short, bounded
    /// time (`/readyz`): a load balancer takes a replica whose database is gone out of
    /// rotation.
    async fn ready(&self) -> Result<(), StoreError>;

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

    // Organizations, teams, their members, the audit log (sqlite/orgs.rs, sqlite/audit.rs).

    /// The organization with this login (compared case-insensitively), in any enterprise.
    async fn organization_by_login(&self, login: &str) -> Result<Option<Organization>, StoreError>;
    async fn organizations(&self, enterprise_id: i64) -> Result<Vec<Organization>, StoreError>;
    /// An organization's teams, in creation order.
    async fn teams(&self, org_id: i64) -> Result<Vec<Team>, StoreError>;
    async fn team_by_slug(&self, org_id: i64, slug: &str) -> Result<Option<Team>, StoreError>;
    async fn team(&self, id: i64) -> Result<Option<Team>, StoreError>;
    /// The teams linked to an IdP group, in every organization.
    async fn linked_teams(&self, group_id: &str) -> Result<Vec<Team>, StoreError>;
    /// A group's members as users (for external-group listings), in membership order.
    async fn group_users(&self, group_id: &str) -> Result<Vec<ManagedUser>, StoreError>;
    /// A team's members, ordered by handle.
    async fn team_users(&self, team_id: i64, slice: Slice) -> Result<Vec<ManagedUser>, StoreError>;
    /// An organization's members, ordered by handle.
    async fn org_users(&self, org_id: i64, slice: Slice) -> Result<Vec<ManagedUser>, StoreError>;
    async fn audit_events(&self, query: &AuditQuery) -> Result<Vec<LoggedEvent>, StoreError>;

    /// Take one request from `token_id`'s bucket under `limit` (a missing bucket starts full)
    /// and say what is left; a refusal is a `Quota` with `retry_after`, not an error. Every
    /// replica sharing the store must see the same bucket: the limit is per token, not per
    /// process.
    async fn take_rate(&self, token_id: &str, limit: &RateLimit) -> Result<Quota, StoreError>;
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

    // Organizations and teams (sqlite/orgs_tx.rs); memberships derived from IdP groups
    // (sqlite/seats.rs); audit retention (sqlite/audit.rs).

    async fn insert_organization(
        &mut self,
        enterprise_id: i64,
        login: &str,
        at: OffsetDateTime,
    ) -> Result<Organization, StoreError>;
    async fn insert_team(&mut self, team: &NewTeam) -> Result<Team, StoreError>;
    async fn team(&mut self, id: i64) -> Result<Option<Team>, StoreError>;
    async fn team_by_slug(&mut self, org_id: i64, slug: &str) -> Result<Option<Team>, StoreError>;
    /// Whether any team names this one as its parent.
    async fn has_child_teams(&mut self, team_id: i64) -> Result<bool, StoreError>;
    /// Write a team's description, privacy and parent.
    async fn update_team(&mut self, team: &Team) -> Result<(), StoreError>;
    /// Link a team to an IdP group (`None`: unlink).
    async fn set_team_group(
        &mut self,
        team_id: i64,
        group_id: Option<&str>,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// The teams linked to an IdP group.
    async fn linked_teams(&mut self, group_id: &str) -> Result<Vec<Team>, StoreError>;
    /// Delete a team and its member rows; the members it had.
    async fn delete_team(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError>;
    /// Make a team's members exactly the active members of its linked group (none when it has
    /// no link), by set operations; who joined and who left.
    async fn sync_team_seats(&mut self, team_id: i64) -> Result<Vec<SeatChange>, StoreError>;
    /// Make a user's team memberships exactly the teams linked to the groups it is a member
    /// of (none while suspended or once erased); the teams it joined and left.
    async fn sync_user_seats(&mut self, user_id: &str) -> Result<Vec<TeamSeatChange>, StoreError>;
    /// Make these users' membership of an organization exactly "member of one of its teams";
    /// who joined and who left.
    async fn sync_org_seats(
        &mut self,
        org_id: i64,
        user_ids: &[String],
    ) -> Result<Vec<SeatChange>, StoreError>;
    /// Delete audit events older than `before` (retention); how many went.
    async fn prune_audit(&mut self, before: OffsetDateTime) -> Result<u64, StoreError>;

    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
