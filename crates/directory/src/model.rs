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
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ScimEnterprise => "scim:enterprise",
            Scope::AdminEnterprise => "admin:enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "scim:enterprise" => Some(Scope::ScimEnterprise),
            "admin:enterprise" => Some(Scope::AdminEnterprise),
            _ => None,
        }
    }

    /// Whether holding `self` grants `needed`.
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
