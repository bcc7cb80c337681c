//! Organizations of an enterprise: GitHub logins, unique across the server.

use serde_json::json;

use crate::audit;
use crate::directory::{Caller, Directory, now};
use crate::error::DirectoryError;
use crate::model::{ManagedUser, Organization};
use crate::store::Slice;

/// The longest GitHub login.
pub const MAX_LOGIN_LEN: usize = 39;

/// GitHub's login rule: letters, digits and single hyphens, not at either end, at most 39.
pub fn check_login(login: &str) -> Result<(), DirectoryError> {
    let ok = !login.is_empty()
        && login.len() <= MAX_LOGIN_LEN
        && login.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--");
    if ok {
        Ok(())
    } else {
        Err(DirectoryError::Unprocessable(format!(
            "organization login '{login}' is not valid: use 1-{MAX_LOGIN_LEN} letters, digits and single hyphens, not at either end"
        )))
    }
}

fn no_org(login: &str) -> DirectoryError {
    DirectoryError::NotFound(format!(
        "no organization '{login}' in this enterprise; GET /api/v3/enterprises/{{enterprise}}/organizations lists them"
    ))
}

impl Directory {
    pub async fn create_organization(
        &self,
        caller: &Caller,
        login: &str,
    ) -> Result<Organization, DirectoryError> {
        check_login(login)?;
        let at = now();
        let mut tx = self.store.begin().await?;
        let org = tx
            .insert_organization(caller.enterprise.id, login, at)
            .await?;
        tx.append_audit(&[caller.actor.event(
            caller.enterprise.id,
            audit::ORG_CREATE,
            ("org", &org.id.to_string(), Some(&org.login)),
            at,
            json!({ "org": org.login }),
        )])
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    pub async fn organizations(
        &self,
        caller: &Caller,
    ) -> Result<Vec<Organization>, DirectoryError> {
        Ok(self.store.organizations(caller.enterprise.id).await?)
    }

    /// The caller's enterprise's organization with this login; another enterprise's is as
    /// good as absent.
    pub async fn organization(
        &self,
        caller: &Caller,
        login: &str,
    ) -> Result<Organization, DirectoryError> {
        self.store
            .organization_by_login(login)
            .await?
            .filter(|o| o.enterprise_id == caller.enterprise.id)
            .ok_or_else(|| no_org(login))
    }

    /// Members of an organization: the users of its teams.
    pub async fn org_members(
        &self,
        caller: &Caller,
        login: &str,
        slice: Slice,
    ) -> Result<Vec<ManagedUser>, DirectoryError> {
        let org = self.organization(caller, login).await?;
        Ok(self.store.org_users(org.id, slice).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_follow_github_rules() {
        assert!(check_login("octo-org").is_ok());
        assert!(check_login("A1").is_ok());
        assert!(check_login(&"a".repeat(39)).is_ok());
        assert!(check_login(&"a".repeat(40)).is_err());
        assert!(check_login("-octo").is_err());
        assert!(check_login("octo-").is_err());
        assert!(check_login("octo--org").is_err());
        assert!(check_login("octo_org").is_err());
        assert!(check_login("").is_err());
    }
}
