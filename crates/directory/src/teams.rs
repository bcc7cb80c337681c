//! Teams of an organization: GitHub slugs, optional parent teams, and the rule that a team
//! linked to an IdP group is never nested (no parent, no children).

use serde_json::json;

use crate::audit;
use crate::directory::{Caller, Directory, now};
use crate::error::DirectoryError;
use crate::model::{ManagedUser, NewTeam, Organization, Privacy, Team};
use crate::seats::{Seats, team_path};
use crate::store::{Slice, Tx};

/// GitHub's slug of a team name: lower-case, every run of other characters than letters and
/// digits becomes one `-`, none at either end.
pub fn team_slug(name: &str) -> String {
    let mut slug = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_string()
}

/// `POST /orgs/{org}/teams`.
#[derive(Debug, Clone, Default)]
pub struct TeamRequest {
    pub name: String,
    pub description: Option<String>,
    pub privacy: Option<Privacy>,
    pub parent_team_id: Option<i64>,
}

/// `PATCH /orgs/{org}/teams/{team_slug}`: absent fields stay; `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct TeamUpdate {
    pub description: Option<Option<String>>,
    pub privacy: Option<Privacy>,
    pub parent_team_id: Option<Option<i64>>,
}

pub(crate) fn no_team(org: &str, slug: &str) -> DirectoryError {
    DirectoryError::NotFound(format!(
        "no team '{slug}' in organization '{org}'; GET /api/v3/orgs/{org}/teams lists them"
    ))
}

fn nested_linked(team: &Team) -> DirectoryError {
    DirectoryError::Unprocessable(format!(
        "team '{}' is linked to an IdP group, and linked teams cannot have parent or child teams: unlink it first (DELETE /api/v3/orgs/{{org}}/teams/{}/external-groups)",
        team.slug, team.slug
    ))
}

/// The parent a team may take: a team of the same organization, not linked to a group, not
/// the team itself or one of its descendants.
async fn check_parent(
    tx: &mut Box<dyn Tx>,
    org: &Organization,
    parent_id: i64,
    child: Option<&Team>,
) -> Result<Team, DirectoryError> {
    let parent = tx
        .team(parent_id)
        .await?
        .filter(|p| p.org_id == org.id)
        .ok_or_else(|| {
            DirectoryError::Unprocessable(format!(
                "parent_team_id {parent_id} is not a team of organization '{}'; GET /api/v3/orgs/{}/teams lists their ids",
                org.login, org.login
            ))
        })?;
    if parent.group_id.is_some() {
        return Err(nested_linked(&parent));
    }
    if let Some(child) = child {
        let mut cursor = Some(parent.clone());
        while let Some(t) = cursor {
            if t.id == child.id {
                return Err(DirectoryError::Unprocessable(format!(
                    "team '{}' cannot be the parent of '{}': it is '{}' itself or one of its child teams",
                    parent.slug, child.slug, child.slug
                )));
            }
            cursor = match t.parent_id {
                Some(p) => tx.team(p).await?,
                None => None,
            };
        }
    }
    Ok(parent)
}

fn secret_nested(slug: &str) -> DirectoryError {
    DirectoryError::Unprocessable(format!(
        "team '{slug}' has a parent team, so its privacy must be 'closed' (GitHub does not nest secret teams)"
    ))
}

impl Directory {
    pub async fn create_team(
        &self,
        caller: &Caller,
        org_login: &str,
        request: &TeamRequest,
    ) -> Result<Team, DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let name = request.name.trim();
        let slug = team_slug(name);
        if slug.is_empty() {
            return Err(DirectoryError::Unprocessable(format!(
                "team name '{}' has no letters or digits to build a slug from; choose another name",
                request.name
            )));
        }
        let at = now();
        let mut tx = self.store.begin().await?;
        if let Some(parent) = request.parent_team_id {
            check_parent(&mut tx, &org, parent, None).await?;
        }
        let privacy = match (request.privacy, request.parent_team_id) {
            (Some(Privacy::Secret), Some(_)) => return Err(secret_nested(&slug)),
            (Some(p), _) => p,
            (None, Some(_)) => Privacy::Closed,
            (None, None) => Privacy::Secret,
        };
        let team = tx
            .insert_team(&NewTeam {
                org_id: org.id,
                name: name.to_string(),
                slug,
                description: request.description.clone(),
                privacy,
                parent_id: request.parent_team_id,
                created: at,
            })
            .await?;
        let path = team_path(&org.login, &team);
        tx.append_audit(&[caller.actor.event(
            caller.enterprise.id,
            audit::TEAM_CREATE,
            ("team", &team.id.to_string(), Some(&path)),
            at,
            json!({ "team": path, "org": org.login, "parent_team_id": team.parent_id, "privacy": privacy.as_str() }),
        )])
        .await?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn teams(
        &self,
        caller: &Caller,
        org_login: &str,
    ) -> Result<Vec<Team>, DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        Ok(self.store.teams(org.id).await?)
    }

    pub async fn team(
        &self,
        caller: &Caller,
        org_login: &str,
        slug: &str,
    ) -> Result<(Organization, Team), DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let team = self
            .store
            .team_by_slug(org.id, slug)
            .await?
            .ok_or_else(|| no_team(&org.login, slug))?;
        Ok((org, team))
    }

    /// A team's parent, for rendering.
    pub async fn team_by_id(&self, id: i64) -> Result<Option<Team>, DirectoryError> {
        Ok(self.store.team(id).await?)
    }

    pub async fn update_team(
        &self,
        caller: &Caller,
        org_login: &str,
        slug: &str,
        update: &TeamUpdate,
    ) -> Result<Team, DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let at = now();
        let mut tx = self.store.begin().await?;
        let current = tx
            .team_by_slug(org.id, slug)
            .await?
            .ok_or_else(|| no_team(&org.login, slug))?;
        let mut team = current.clone();
        if let Some(parent) = update.parent_team_id {
            if parent.is_some() && current.group_id.is_some() {
                return Err(nested_linked(&current));
            }
            if let Some(p) = parent {
                check_parent(&mut tx, &org, p, Some(&current)).await?;
            }
            team.parent_id = parent;
        }
        if let Some(d) = &update.description {
            team.description = d.clone();
        }
        if let Some(p) = update.privacy {
            team.privacy = p;
        }
        if team.parent_id.is_some() && team.privacy == Privacy::Secret {
            if update.privacy == Some(Privacy::Secret) {
                return Err(secret_nested(&team.slug));
            }
            team.privacy = Privacy::Closed;
        }
        let path = team_path(&org.login, &team);
        let ev = |action, data| {
            caller.actor.event(
                caller.enterprise.id,
                action,
                ("team", &team.id.to_string(), Some(&path)),
                at,
                data,
            )
        };
        let mut events = Vec::new();
        if team.parent_id != current.parent_id {
            events.push(ev(
                audit::TEAM_CHANGE_PARENT,
                json!({ "team": path, "org": org.login, "parent_team_id": team.parent_id, "parent_team_id_was": current.parent_id }),
            ));
        }
        if team.privacy != current.privacy {
            events.push(ev(
                audit::TEAM_CHANGE_PRIVACY,
                json!({ "team": path, "org": org.login, "privacy": team.privacy.as_str(), "privacy_was": current.privacy.as_str() }),
            ));
        }
        if team.description != current.description {
            events.push(ev(
                audit::TEAM_UPDATE,
                json!({ "team": path, "org": org.login, "description": team.description }),
            ));
        }
        if events.is_empty() {
            return Ok(current);
        }
        team.updated = at;
        tx.update_team(&team).await?;
        tx.append_audit(&events).await?;
        tx.commit().await?;
        Ok(team)
    }

    /// Delete a team: its members leave it (and organizations where it was their last team).
    pub async fn delete_team(
        &self,
        caller: &Caller,
        org_login: &str,
        slug: &str,
    ) -> Result<(), DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let at = now();
        let mut tx = self.store.begin().await?;
        let team = tx
            .team_by_slug(org.id, slug)
            .await?
            .ok_or_else(|| no_team(&org.login, slug))?;
        if tx.has_child_teams(team.id).await? {
            return Err(DirectoryError::Unprocessable(format!(
                "team '{slug}' has child teams: delete them or give them another parent first"
            )));
        }
        let gone = tx.delete_team(team.id).await?;
        let mut seats = Seats::new(self, caller, at);
        seats.team_changed(&mut tx, &team, gone).await?;
        let mut events = seats.events;
        let path = team_path(&org.login, &team);
        if let Some(group) = &team.group_id {
            events.push(caller.actor.event(
                caller.enterprise.id,
                audit::EXTERNAL_GROUP_UNLINK,
                ("group", group, None),
                at,
                json!({ "team": path, "org": org.login, "external_group_id": group, "reason": "team deleted" }),
            ));
        }
        events.push(caller.actor.event(
            caller.enterprise.id,
            audit::TEAM_DESTROY,
            ("team", &team.id.to_string(), Some(&path)),
            at,
            json!({ "team": path, "org": org.login }),
        ));
        tx.append_audit(&events).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn team_members(
        &self,
        caller: &Caller,
        org_login: &str,
        slug: &str,
        slice: Slice,
    ) -> Result<Vec<ManagedUser>, DirectoryError> {
        let (_, team) = self.team(caller, org_login, slug).await?;
        Ok(self.store.team_users(team.id, slice).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::team_slug;

    #[test]
    fn slugs_like_github() {
        assert_eq!(team_slug("Justice League"), "justice-league");
        assert_eq!(team_slug("  Ops / SRE!! "), "ops-sre");
        assert_eq!(team_slug("a__b"), "a-b");
        assert_eq!(team_slug("Über"), "ber");
        assert_eq!(team_slug("!!!"), "");
    }
}
