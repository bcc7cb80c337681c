//! The enterprise domain's records: what the store keeps and the directory reasons about.

use serde_json::Value;
use time::OffsetDateTime;

/// Which rule set an enterprise follows (DESIGN.md "Profiles").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// GitHub Enterprise Managed Users' rules: handle limit, immutable userName, role values.
    GithubEmu,
    /// A plain RFC 7643/7644 directory.
    Scim,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::GithubEmu => "github-emu",
            Profile::Scim => "scim",
        }
    }

    pub fn parse(s: &str) -> Option<Profile> {
        match s {
            "github-emu" => Some(Profile::GithubEmu),
            "scim" => Some(Profile::Scim),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Enterprise {
    pub id: i64,
    pub slug: String,
    pub short_code: String,
    pub profile: Profile,
    pub created: OffsetDateTime,
}

impl Enterprise {
    /// The setup user that owns the enterprise's first token (`SHORTCODE_admin`).
    pub fn setup_user(&self) -> String {
        format!("{}_admin", self.short_code)
    }

    pub fn scim_base_path(&self) -> String {
        format!("/scim/v2/enterprises/{}", self.slug)
    }
}

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The SCIM API of the token's enterprise.
    ScimEnterprise,
    /// Everything in the enterprise (GitHub accepted it for SCIM before `scim:enterprise`).
    AdminEnterprise,
    /// Organizations and teams of the enterprise (and their links to IdP groups).
    AdminOrg,
    /// Reading the enterprise's audit log.
    ReadAuditLog,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ScimEnterprise => "scim:enterprise",
            Scope::AdminEnterprise => "admin:enterprise",
            Scope::AdminOrg => "admin:org",
            Scope::ReadAuditLog => "read:audit_log",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "scim:enterprise" => Some(Scope::ScimEnterprise),
            "admin:enterprise" => Some(Scope::AdminEnterprise),
            "admin:org" => Some(Scope::AdminOrg),
            "read:audit_log" => Some(Scope::ReadAuditLog),
            _ => None,
        }
    }

    /// Every scope, as the CLI lists them.
    pub const ALL: [Scope; 4] = [
        Scope::ScimEnterprise,
        Scope::AdminEnterprise,
        Scope::AdminOrg,
        Scope::ReadAuditLog,
    ];

    /// The scope names, for messages: "scim:enterprise, admin:enterprise, …".
    pub fn names() -> String {
        Scope::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether holding `self` grants `needed`: `admin:enterprise` grants everything.
    pub fn grants(self, needed: Scope) -> bool {
        self == needed || self == Scope::AdminEnterprise
    }
}

/// A personal access token's public record; the secret exists only as a hash in the store.
#[derive(Debug, Clone)]
pub struct Token {
    pub id: String,
    pub enterprise_id: i64,
    pub owner: String,
    pub scopes: Vec<Scope>,
    pub created: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub revoked_at: Option<OffsetDateTime>,
    pub last_used_at: Option<OffsetDateTime>,
}

/// A managed user: the SCIM document as the IdP sent it (normalized, without `id`, `meta`,
/// `groups` or `password`) plus the columns that are looked up often.
#[derive(Debug, Clone)]
pub struct ManagedUser {
    pub id: String,
    pub enterprise_id: i64,
    pub user_name: String,
    /// The platform handle (`name_SHORTCODE`); kept while suspended, so it stays reserved.
    pub handle: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub active: bool,
    pub doc: Value,
    pub version: i64,
    pub created: OffsetDateTime,
    pub last_modified: OffsetDateTime,
}

/// An IdP group: its document without `members` (memberships are rows of their own).
#[derive(Debug, Clone)]
pub struct IdpGroup {
    pub id: String,
    pub enterprise_id: i64,
    pub display_name: String,
    pub external_id: Option<String>,
    pub doc: Value,
    pub version: i64,
    pub created: OffsetDateTime,
    pub last_modified: OffsetDateTime,
}

/// A group member as a group lists it.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: String,
    pub display: Option<String>,
}

/// A group a user belongs to, as the user's read-only `groups` attribute lists it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub user_id: String,
    pub group_id: String,
    pub group_display: String,
}

/// One audit log entry (GitHub's event names), written in the transaction of its change.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub enterprise_id: i64,
    pub action: &'static str,
    pub actor: String,
    pub token_id: Option<String>,
    pub request_id: Option<String>,
    pub target_type: &'static str,
    pub target_id: String,
    pub target_name: Option<String>,
    pub at: OffsetDateTime,
    pub data: Value,
}

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub total: u64,
    pub items: Vec<T>,
    /// Where the next page starts, when more results follow this one.
    pub next: Option<crate::store::Position>,
}

/// An organization of an enterprise. Logins are unique across the server, case-insensitively.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: i64,
    pub enterprise_id: i64,
    pub login: String,
    pub created: OffsetDateTime,
}

/// Who may see a team (GitHub's values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Privacy {
    /// Visible to every member of the organization (nested teams must be closed).
    Closed,
    /// Visible only to its members and organization owners.
    Secret,
}

impl Privacy {
    pub fn as_str(self) -> &'static str {
        match self {
            Privacy::Closed => "closed",
            Privacy::Secret => "secret",
        }
    }

    pub fn parse(s: &str) -> Option<Privacy> {
        match s {
            "closed" => Some(Privacy::Closed),
            "secret" => Some(Privacy::Secret),
            _ => None,
        }
    }
}

/// A team of an organization. Its members are exactly the active members of its linked IdP
/// group (none when it has no link).
#[derive(Debug, Clone)]
pub struct Team {
    pub id: i64,
    pub org_id: i64,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub privacy: Privacy,
    pub parent_id: Option<i64>,
    /// The IdP group whose active members are the team's members.
    pub group_id: Option<String>,
    pub created: OffsetDateTime,
    pub updated: OffsetDateTime,
}

/// A team as the store inserts it (the id comes from the store).
#[derive(Debug, Clone)]
pub struct NewTeam {
    pub org_id: i64,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub privacy: Privacy,
    pub parent_id: Option<i64>,
    pub created: OffsetDateTime,
}

/// A user joining or leaving a team or an organization, as the store's set operations report
/// it. `login` is the user's handle (absent once the user is erased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatChange {
    pub user_id: String,
    pub login: Option<String>,
    pub joined: bool,
}

/// A team seat a user gained or lost, from the user's side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TeamSeatChange {
    pub team_id: i64,
    pub org_id: i64,
    pub joined: bool,
}

/// An audit event as read back from the log, with its place in the log's order.
#[derive(Debug, Clone)]
pub struct LoggedEvent {
    pub seq: i64,
    pub enterprise_id: i64,
    pub action: String,
    pub actor: String,
    pub token_id: Option<String>,
    pub request_id: Option<String>,
    pub target_type: String,
    pub target_id: String,
    pub target_name: Option<String>,
    pub at: OffsetDateTime,
    pub data: Value,
}
