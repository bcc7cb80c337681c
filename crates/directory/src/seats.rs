//! Team and organization membership follow IdP groups: after any change that can move a seat
//! (group members, a user's suspension or deletion, a link or unlink, a team's deletion) the
//! directory asks the store to recompute the affected rows, in the same transaction, and
//! records who joined and left as `team.*` and `org.*` events.

use std::collections::{BTreeSet, HashMap};

use serde_json::json;
use time::OffsetDateTime;

use crate::audit;
use crate::directory::{Caller, Directory};
use crate::error::DirectoryError;
use crate::model::{AuditEvent, Organization, SeatChange, Team};
use crate::store::Tx;

/// `org/slug`, as GitHub names a team in audit events.
pub(crate) fn team_path(org: &str, team: &Team) -> String {
    format!("{org}/{}", team.slug)
}

/// Collects the events of seat changes within one operation.
pub(crate) struct Seats<'a> {
    directory: &'a Directory,
    caller: &'a Caller,
    at: OffsetDateTime,
    orgs: HashMap<i64, Organization>,
    pub(crate) events: Vec<AuditEvent>,
}

impl<'a> Seats<'a> {
    pub(crate) fn new(directory: &'a Directory, caller: &'a Caller, at: OffsetDateTime) -> Self {
        Seats {
            directory,
            caller,
            at,
            orgs: HashMap::new(),
            events: Vec::new(),
        }
    }

    /// The login of an organization of the caller's enterprise (organizations never change or
    /// go, so they are read outside the transaction).
    async fn org_login(&mut self, org_id: i64) -> Result<String, DirectoryError> {
        if !self.orgs.contains_key(&org_id) {
            for o in self
                .directory
                .store
                .organizations(self.caller.enterprise.id)
                .await?
            {
                self.orgs.insert(o.id, o);
            }
        }
        Ok(self
            .orgs
            .get(&org_id)
            .map(|o| o.login.clone())
            .unwrap_or_else(|| format!("org-{org_id}")))
    }

    fn team_event(&mut self, org: &str, team: &Team, user_id: &str, login: &str, joined: bool) {
        let action = if joined {
            audit::TEAM_ADD_MEMBER
        } else {
            audit::TEAM_REMOVE_MEMBER
        };
        let path = team_path(org, team);
        self.events.push(self.caller.actor.event(
            self.caller.enterprise.id,
            action,
            ("team", &team.id.to_string(), Some(&path)),
            self.at,
            json!({ "team": path, "org": org, "user": login, "user_id": user_id, "external_group_id": team.group_id }),
        ));
    }

    /// Record a team's seat changes, then bring those users' membership of its organization
    /// in line.
    pub(crate) async fn team_changed(
        &mut self,
        tx: &mut Box<dyn Tx>,
        team: &Team,
        changes: Vec<SeatChange>,
    ) -> Result<(), DirectoryError> {
        if changes.is_empty() {
            return Ok(());
        }
        let org = self.org_login(team.org_id).await?;
        let mut logins = HashMap::new();
        for c in &changes {
            let login = c.login.clone().unwrap_or_else(|| c.user_id.clone());
            self.team_event(&org, team, &c.user_id, &login, c.joined);
            logins.insert(c.user_id.clone(), login);
        }
        let users: Vec<String> = changes.into_iter().map(|c| c.user_id).collect();
        self.org_changed(tx, team.org_id, &org, &users, &logins)
            .await
    }

    async fn org_changed(
        &mut self,
        tx: &mut Box<dyn Tx>,
        org_id: i64,
        org: &str,
        users: &[String],
        logins: &HashMap<String, String>,
    ) -> Result<(), DirectoryError> {
        for c in tx.sync_org_seats(org_id, users).await? {
            let login = c
                .login
                .clone()
                .or_else(|| logins.get(&c.user_id).cloned())
                .unwrap_or_else(|| c.user_id.clone());
            let action = if c.joined {
                audit::ORG_ADD_MEMBER
            } else {
                audit::ORG_REMOVE_MEMBER
            };
            self.events.push(self.caller.actor.event(
                self.caller.enterprise.id,
                action,
                ("org", &org_id.to_string(), Some(org)),
                self.at,
                json!({ "org": org, "user": login, "user_id": c.user_id }),
            ));
        }
        Ok(())
    }

    /// Bring one user's teams (and through them, organizations) in line with its groups and
    /// its state. `login` names the user in events (it may be erased already).
    pub(crate) async fn user_changed(
        &mut self,
        tx: &mut Box<dyn Tx>,
        user_id: &str,
        login: &str,
    ) -> Result<(), DirectoryError> {
        let changes = tx.sync_user_seats(user_id).await?;
        let mut orgs = BTreeSet::new();
        for c in changes {
            let Some(team) = tx.team(c.team_id).await? else {
                continue;
            };
            let org = self.org_login(team.org_id).await?;
            self.team_event(&org, &team, user_id, login, c.joined);
            orgs.insert(c.org_id);
        }
        let logins = HashMap::from([(user_id.to_string(), login.to_string())]);
        for org_id in orgs {
            let org = self.org_login(org_id).await?;
            self.org_changed(tx, org_id, &org, &[user_id.to_string()], &logins)
                .await?;
        }
        Ok(())
    }

    /// Bring several users in line (the members a group gained or lost), when the group feeds
    /// at least one team.
    pub(crate) async fn group_members_changed(
        &mut self,
        tx: &mut Box<dyn Tx>,
        group_id: &str,
        user_ids: &[String],
    ) -> Result<(), DirectoryError> {
        if user_ids.is_empty() || tx.linked_teams(group_id).await?.is_empty() {
            return Ok(());
        }
        for id in user_ids {
            let login = tx
                .user(self.caller.enterprise.id, id)
                .await?
                .map(|u| u.handle)
                .unwrap_or_else(|| id.clone());
            self.user_changed(tx, id, &login).await?;
        }
        Ok(())
    }
}
