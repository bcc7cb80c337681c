//! Enterprise roles under the `github-emu` profile: GitHub's role values, their display forms
//! and the GUIDs of GitHub's Entra ID gallery app roles. A user with several roles holds the
//! most privileged one.

/// The roles GitHub EMU knows, least privileged first: the derived `Ord` is the privilege order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EnterpriseRole {
    GuestCollaborator,
    User,
    BillingManager,
    EnterpriseOwner,
}

impl EnterpriseRole {
    pub fn as_str(self) -> &'static str {
        match self {
            EnterpriseRole::GuestCollaborator => "guest_collaborator",
            EnterpriseRole::User => "user",
            EnterpriseRole::BillingManager => "billing_manager",
            EnterpriseRole::EnterpriseOwner => "enterprise_owner",
        }
    }

    /// Parse any spelling GitHub accepts: the value, the display form, a legacy name or a GUID
    /// (the GUIDs of GitHub's Entra ID app roles; several per role because they were recreated).
    pub fn parse(value: &str) -> Option<EnterpriseRole> {
        let v = value.trim().to_ascii_lowercase();
        let role = match v.as_str() {
            "user" | "27d9891d-2c17-4f45-a262-781a0e55c80a" => EnterpriseRole::User,
            "guest_collaborator"
            | "guest collaborator"
            | "restricted_user"
            | "restricted user"
            | "1ebc4a02-e56c-43a6-92a5-02ee09b90824" => EnterpriseRole::GuestCollaborator,
            "enterprise_owner"
            | "enterprise owner"
            | "981df190-8801-4618-a08a-d91f6206c954"
            | "ba4987ab-a1c3-412a-b58c-360fc407cb10" => EnterpriseRole::EnterpriseOwner,
            "billing_manager"
            | "billing manager"
            | "0e338b8c-cc7f-498a-928d-ea3470d7e7e3"
            | "e6be2762-e4ad-4108-b72d-1bbe884a0f91" => EnterpriseRole::BillingManager,
            _ => return None,
        };
        Some(role)
    }
}

/// The role values advertised as `canonicalValues` of `roles.value` under `github-emu`.
pub const CANONICAL_ROLE_VALUES: [&str; 4] = [
    "user",
    "guest_collaborator",
    "enterprise_owner",
    "billing_manager",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses_and_privilege_orders() {
        assert_eq!(
            EnterpriseRole::parse("Enterprise Owner"),
            Some(EnterpriseRole::EnterpriseOwner)
        );
        assert_eq!(
            EnterpriseRole::parse("981DF190-8801-4618-A08A-D91F6206C954"),
            Some(EnterpriseRole::EnterpriseOwner)
        );
        assert_eq!(
            EnterpriseRole::parse("restricted_user"),
            Some(EnterpriseRole::GuestCollaborator)
        );
        assert_eq!(EnterpriseRole::parse("admin"), None);
        assert!(EnterpriseRole::EnterpriseOwner > EnterpriseRole::BillingManager);
        assert!(EnterpriseRole::User > EnterpriseRole::GuestCollaborator);
    }
}
