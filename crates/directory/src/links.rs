//! Links between teams and IdP groups ("external groups" in GitHub's REST API). A team links to
//! at most one group; a group may feed many teams; linked teams are never nested. Linking,
//! unlinking and deleting a group move seats in the same transaction.

use serde_json::json;
use time::OffsetDateTime;

use crate::audit;
use crate::directory::{Caller, Directory, now};
use crate::error::DirectoryError;
use crate::model::{AuditEvent, IdpGroup, ManagedUser, Organization, Team};
use crate::seats::{Seats, team_path};
use crate::store::{ListQuery, Tx};
use crate::teams::no_team;

/// An IdP group as GitHub's external-group endpoints show it: with its members and the teams
/// of one organization it feeds.
#[derive(Debug, Clone)]
pub struct ExternalGroup {
    pub group: IdpGroup,
    pub teams: Vec<Team>,
    pub members: Vec<ManagedUser>,
}

/// What a link request did.
#[derive(Debug, Clone)]
pub struct LinkOutcome {
    pub group: ExternalGroup,
    /// The group the team was linked to before, when linking replaced another link.
    pub replaced: Option<String>,
}

fn no_group(id: &str) -> DirectoryError {
    DirectoryError::NotFound(format!(
        "no IdP group with id '{id}' in this enterprise; the id is the SCIM group's id (GET /scim/v2/enterprises/{{enterprise}}/Groups lists them)"
    ))
}

fn link_event(
    caller: &Caller,
    action: &'static str,
    org: &str,
    team: &Team,
    group_id: &str,
    group_name: Option<&str>,
    at: OffsetDateTime,
) -> AuditEvent {
    let path = team_path(org, team);
    caller.actor.event(
        caller.enterprise.id,
        action,
        ("group", group_id, group_name),
        at,
        json!({ "team": path, "org": org, "external_group_id": group_id, "external_group_name": group_name }),
    )
}

impl Directory {
    /// Link a team to an IdP group; its members become the group's active members.
    pub async fn link_team(
        &self,
        caller: &Caller,
        org_login: &str,
        slug: &str,
        group_id: &str,
    ) -> Result<LinkOutcome, DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let at = now();
        let mut tx = self.store.begin().await?;
        let team = tx
            .team_by_slug(org.id, slug)
            .await?
            .ok_or_else(|| no_team(&org.login, slug))?;
        let group = tx
            .group(caller.enterprise.id, group_id)
            .await?
            .ok_or_else(|| no_group(group_id))?;
        let replaced = team.group_id.clone().filter(|g| g != &group.id);
        if team.group_id.as_deref() != Some(group.id.as_str()) {
            if team.parent_id.is_some() {
                return Err(DirectoryError::Unprocessable(format!(
                    "team '{slug}' has a parent team, and teams linked to an IdP group cannot be nested: remove its parent first (PATCH /api/v3/orgs/{}/teams/{slug} with \"parent_team_id\": null)",
                    org.login
                )));
            }
            if tx.has_child_teams(team.id).await? {
                return Err(DirectoryError::Unprocessable(format!(
                    "team '{slug}' has child teams, and teams linked to an IdP group cannot be nested: move or delete its child teams first"
                )));
            }
            let mut events = Vec::new();
            if let Some(old) = &replaced {
                let old_name = tx
                    .group(caller.enterprise.id, old)
                    .await?
                    .map(|g| g.display_name);
                events.push(link_event(
                    caller,
                    audit::EXTERNAL_GROUP_UNLINK,
                    &org.login,
                    &team,
                    old,
                    old_name.as_deref(),
                    at,
                ));
            }
            events.push(link_event(
                caller,
                audit::EXTERNAL_GROUP_LINK,
                &org.login,
                &team,
                &group.id,
                Some(&group.display_name),
                at,
            ));
            tx.set_team_group(team.id, Some(&group.id), at).await?;
            let mut linked = team.clone();
            linked.group_id = Some(group.id.clone());
            let changes = tx.sync_team_seats(team.id).await?;
            let mut seats = Seats::new(self, caller, at);
            seats.team_changed(&mut tx, &linked, changes).await?;
            events.extend(seats.events);
            tx.append_audit(&events).await?;
            tx.commit().await?;
        }
        Ok(LinkOutcome {
            group: self
                .external_group_of(&org, group)
                .await
                .map_err(DirectoryError::after_commit)?,
            replaced,
        })
    }

    /// Unlink a team from its IdP group; the team is left without members. Unlinking a team
    /// without a link changes nothing. Returns the group it was linked to.
    pub async fn unlink_team(
        &self,
        caller: &Caller,
        org_login: &str,
        slug: &str,
    ) -> Result<Option<String>, DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let at = now();
        let mut tx = self.store.begin().await?;
        let team = tx
            .team_by_slug(org.id, slug)
            .await?
            .ok_or_else(|| no_team(&org.login, slug))?;
        let Some(group_id) = team.group_id.clone() else {
            return Ok(None);
        };
        let name = tx
            .group(caller.enterprise.id, &group_id)
            .await?
            .map(|g| g.display_name);
        let mut events = vec![link_event(
            caller,
            audit::EXTERNAL_GROUP_UNLINK,
            &org.login,
            &team,
            &group_id,
            name.as_deref(),
            at,
        )];
        tx.set_team_group(team.id, None, at).await?;
        let changes = tx.sync_team_seats(team.id).await?;
        let mut seats = Seats::new(self, caller, at);
        seats.team_changed(&mut tx, &team, changes).await?;
        events.extend(seats.events);
        tx.append_audit(&events).await?;
        tx.commit().await?;
        Ok(Some(group_id))
    }

    /// Inside a group's deletion: unlink every team it fed, emptying them.
    pub(crate) async fn unlink_deleted_group(
        &self,
        tx: &mut Box<dyn Tx>,
        caller: &Caller,
        group: &IdpGroup,
        at: OffsetDateTime,
    ) -> Result<Vec<AuditEvent>, DirectoryError> {
        let teams = tx.linked_teams(&group.id).await?;
        let mut seats = Seats::new(self, caller, at);
        let mut events = Vec::new();
        for team in teams {
            tx.set_team_group(team.id, None, at).await?;
            let changes = tx.sync_team_seats(team.id).await?;
            seats.team_changed(tx, &team, changes).await?;
            let org = self
                .store
                .organizations(caller.enterprise.id)
                .await?
                .into_iter()
                .find(|o| o.id == team.org_id)
                .map(|o| o.login)
                .unwrap_or_default();
            events.push(link_event(
                caller,
                audit::EXTERNAL_GROUP_UNLINK,
                &org,
                &team,
                &group.id,
                Some(&group.display_name),
                at,
            ));
        }
        let mut all = seats.events;
        all.extend(events);
        Ok(all)
    }

    async fn external_group_of(
        &self,
        org: &Organization,
        group: IdpGroup,
    ) -> Result<ExternalGroup, DirectoryError> {
        let teams = self
            .store
            .linked_teams(&group.id)
            .await?
            .into_iter()
            .filter(|t| t.org_id == org.id)
            .collect();
        let members = self.store.group_users(&group.id).await?;
        Ok(ExternalGroup {
            group,
            teams,
            members,
        })
    }

    /// `GET /orgs/{org}/external-group/{group_id}`.
    pub async fn external_group(
        &self,
        caller: &Caller,
        org_login: &str,
        group_id: &str,
    ) -> Result<ExternalGroup, DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let group = self
            .store
            .group(caller.enterprise.id, group_id)
            .await?
            .ok_or_else(|| no_group(group_id))?;
        self.external_group_of(&org, group).await
    }

    /// `GET /orgs/{org}/external-groups`: the enterprise's IdP groups, a page at a time
    /// (`page` is 1-based), optionally those whose name contains `display_name`.
    pub async fn external_groups(
        &self,
        caller: &Caller,
        org_login: &str,
        display_name: Option<&str>,
        page: u64,
        per_page: u64,
    ) -> Result<(Vec<ExternalGroup>, bool), DirectoryError> {
        let org = self.organization(caller, org_login).await?;
        let filter = match display_name.filter(|d| !d.is_empty()) {
            Some(d) => Some(
                scim::filter::parse(&format!(
                    "displayName co {}",
                    serde_json::Value::String(d.to_string())
                ))?
                .resolve(self.group_type())?,
            ),
            None => None,
        };
        let query = ListQuery {
            resource_type: self.group_type(),
            filter: filter.as_ref(),
            sort: None,
            after: None,
            start_index: page.saturating_sub(1).saturating_mul(per_page) + 1,
            count: per_page,
        };
        let listed = self.store.groups(caller.enterprise.id, &query).await?;
        let more = listed.next.is_some();
        let mut out = Vec::with_capacity(listed.items.len());
        for g in listed.items {
            out.push(self.external_group_of(&org, g).await?);
        }
        Ok((out, more))
    }

    /// `GET /orgs/{org}/teams/{team_slug}/external-groups`: the team's group, if linked.
    pub async fn team_external_group(
        &self,
        caller: &Caller,
        org_login: &str,
        slug: &str,
    ) -> Result<Option<ExternalGroup>, DirectoryError> {
        let (org, team) = self.team(caller, org_login, slug).await?;
        let Some(group_id) = team.group_id else {
            return Ok(None);
        };
        match self.store.group(caller.enterprise.id, &group_id).await? {
            Some(group) => Ok(Some(self.external_group_of(&org, group).await?)),
            None => Ok(None),
        }
    }
}
