//! Audit event names (GitHub's) and the builder the directory uses for each change.

use serde_json::Value;
use time::OffsetDateTime;

use crate::model::AuditEvent;

pub const USER_CREATE: &str = "user.create";
pub const EXTERNAL_IDENTITY_PROVISION: &str = "external_identity.provision";
pub const EXTERNAL_IDENTITY_UPDATE: &str = "external_identity.update";
pub const EXTERNAL_IDENTITY_DEPROVISION: &str = "external_identity.deprovision";
pub const USER_SUSPEND: &str = "user.suspend";
pub const USER_UNSUSPEND: &str = "user.unsuspend";
pub const USER_DELETE: &str = "user.delete";
pub const BUSINESS_ADD_ADMIN: &str = "business.add_admin";
pub const BUSINESS_REMOVE_ADMIN: &str = "business.remove_admin";
pub const EXTERNAL_GROUP_PROVISION: &str = "external_group.provision";
pub const EXTERNAL_GROUP_UPDATE: &str = "external_group.update";
pub const EXTERNAL_GROUP_DELETE: &str = "external_group.delete";
pub const EXTERNAL_GROUP_ADD_MEMBER: &str = "external_group.add_member";
pub const EXTERNAL_GROUP_REMOVE_MEMBER: &str = "external_group.remove_member";
pub const EXTERNAL_GROUP_LINK: &str = "external_group.link";
pub const EXTERNAL_GROUP_UNLINK: &str = "external_group.unlink";
pub const EXTERNAL_IDENTITY_SCIM_API_FAILURE: &str = "external_identity.scim_api_failure";
pub const EXTERNAL_GROUP_SCIM_API_FAILURE: &str = "external_group.scim_api_failure";
pub const TEAM_CREATE: &str = "team.create";
pub const TEAM_DESTROY: &str = "team.destroy";
pub const TEAM_ADD_MEMBER: &str = "team.add_member";
pub const TEAM_REMOVE_MEMBER: &str = "team.remove_member";
pub const TEAM_CHANGE_PARENT: &str = "team.change_parent_team";
pub const TEAM_CHANGE_PRIVACY: &str = "team.change_privacy";
pub const TEAM_UPDATE: &str = "team.update";
pub const ORG_CREATE: &str = "org.create";
pub const ORG_ADD_MEMBER: &str = "org.add_member";
pub const ORG_REMOVE_MEMBER: &str = "org.remove_member";
pub const BUSINESS_CREATE: &str = "business.create";
pub const TOKEN_CREATE: &str = "personal_access_token.create";
pub const TOKEN_REVOKE: &str = "personal_access_token.revoke";

/// Who made a change and in which request: the token's owner and id, and the request id.
#[derive(Debug, Clone)]
pub struct Actor {
    pub name: String,
    pub token_id: Option<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// An operator at the command line.
    pub fn cli() -> Actor {
        Actor {
            name: "roster-cli".to_string(),
            token_id: None,
            request_id: None,
        }
    }

    /// An event by this actor; `target` is (type, id, name).
    pub fn event(
        &self,
        enterprise_id: i64,
        action: &'static str,
        target: (&'static str, &str, Option<&str>),
        at: OffsetDateTime,
        data: Value,
    ) -> AuditEvent {
        let (target_type, target_id, target_name) = target;
        AuditEvent {
            enterprise_id,
            action,
            actor: self.name.clone(),
            token_id: self.token_id.clone(),
            request_id: self.request_id.clone(),
            target_type,
            target_id: target_id.to_string(),
            target_name: target_name.map(str::to_string),
            at,
            data,
        }
    }
}
