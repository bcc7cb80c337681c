//! The operator at the command line acts as `roster-cli` in an enterprise: the one named, the
//! only one when none is named, or the one owning an organization.

use crate::audit::Actor;
use crate::directory::{Caller, Directory};
use crate::error::DirectoryError;

impl Directory {
    pub async fn operator(&self, slug: Option<&str>) -> Result<Caller, DirectoryError> {
        let enterprises = self.store.enterprises().await?;
        let enterprise = match slug {
            Some(s) => enterprises
                .into_iter()
                .find(|e| e.slug == s)
                .ok_or_else(|| {
                    DirectoryError::Refused(format!(
                        "no enterprise '{s}' (see `roster enterprise list`)"
                    ))
                })?,
            None if enterprises.len() == 1 => enterprises
                .into_iter()
                .next()
                .ok_or_else(|| DirectoryError::Refused("no enterprise yet".into()))?,
            None => {
                return Err(DirectoryError::Refused(
                    "name the enterprise with --enterprise SLUG (see `roster enterprise list`)"
                        .into(),
                ));
            }
        };
        Ok(Caller {
            enterprise,
            actor: Actor::cli(),
            base_url: String::new(),
        })
    }

    pub async fn operator_for_org(&self, login: &str) -> Result<Caller, DirectoryError> {
        let org = self
            .store
            .organization_by_login(login)
            .await?
            .ok_or_else(|| {
                DirectoryError::Refused(format!(
                    "no organization '{login}' (see `roster org list`)"
                ))
            })?;
        let enterprise = self
            .store
            .enterprises()
            .await?
            .into_iter()
            .find(|e| e.id == org.enterprise_id)
            .ok_or_else(|| {
                DirectoryError::Internal(format!("organization {login} has no enterprise"))
            })?;
        Ok(Caller {
            enterprise,
            actor: Actor::cli(),
            base_url: String::new(),
        })
    }
}
