//! Managed users: provisioning, profile updates, suspension and reactivation, hard delete,
//! listing. GitHub EMU's rules (handles, immutable userName, roles) apply under `github-emu`.

use std::collections::HashMap;

use scim::ScimError;
use scim::list::SearchRequest;
use scim::normalize::normalize;
use scim::patch::PatchRequest;
use scim::project::project;
use scim::schema::ResourceType;
use scim::shown::shown;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit::{self, Actor};
use crate::directory::{Caller, Directory, ReadOptions, now, retrying};
use crate::error::DirectoryError;
use crate::handle::{HandleError, MAX_HANDLE_LEN, handle_for, open_handle_for};
use crate::identity::{check_length, check_user_name};
use crate::model::{AuditEvent, Enterprise, ManagedUser, Membership, Profile};
use crate::render;
use crate::roles::EnterpriseRole;
use crate::seats::Seats;
use crate::store::{StoreError, Tx, UniqueKey};
use crate::versions::check_if_match;

/// What the rules derive from a user document.
struct UserFields {
    user_name: String,
    handle: String,
    external_id: Option<String>,
    display_name: Option<String>,
    active: bool,
    role: Option<EnterpriseRole>,
}

fn not_found(id: &str) -> DirectoryError {
    DirectoryError::Scim(ScimError::NotFound(format!(
        "no user with id '{id}' in this enterprise"
    )))
}

fn str_attr(doc: &Value, name: &str) -> Option<String> {
    doc.get(name).and_then(Value::as_str).map(str::to_string)
}

/// Apply the profile's rules to a normalized document. An absent `active` means active; it is
/// not written into the document, which keeps exactly what the IdP sent. `distinct` asks, under
/// the `scim` profile, for the handle made unique by a digest (the plain one is taken).
fn derive_fields(
    enterprise: &Enterprise,
    doc: &Value,
    distinct: bool,
    stored: Option<&str>,
) -> Result<UserFields, DirectoryError> {
    let user_name = str_attr(doc, "userName").unwrap_or_default();
    if stored != Some(user_name.as_str()) {
        // A userName already stored is not checked again: one provisioned before these
        // rules stays writable (under github-emu it can never change).
        check_user_name(&user_name)?;
    }
    let external_id = str_attr(doc, "externalId");
    if let Some(x) = &external_id {
        check_length("externalId", x, false)?;
    }
    let display_name = str_attr(doc, "displayName");
    if let Some(d) = &display_name {
        check_length("displayName", d, true)?;
    }
    let handle = match enterprise.profile {
        Profile::GithubEmu => {
            handle_for(&user_name, &enterprise.short_code, Some(MAX_HANDLE_LEN)).map_err(|e| {
                match e {
                    HandleError::Empty => ScimError::InvalidValue(format!(
                        "userName '{}' has no letters or digits to build a handle from",
                        shown(&user_name)
                    )),
                    HandleError::TooLong { handle, len } => ScimError::InvalidValue(format!(
                        "userName '{}' gives the handle '{}', {len} characters long; handles (with the _{} suffix) may have at most {MAX_HANDLE_LEN}: shorten the userName",
                        shown(&user_name),
                        shown(&handle),
                        enterprise.short_code
                    )),
                }
            })?
        }
        Profile::Scim => open_handle_for(&user_name, &enterprise.short_code, distinct),
    };
    let role = match enterprise.profile {
        Profile::GithubEmu => enterprise_role(doc)?,
        Profile::Scim => None,
    };
    Ok(UserFields {
        handle,
        external_id,
        display_name,
        active: doc.get("active").and_then(Value::as_bool).unwrap_or(true),
        role,
        user_name,
    })
}

/// Under the `scim` profile, a write whose handle another user has is tried once more with the
/// distinct handle; a second collision means the userName itself is taken.
fn handle_taken(enterprise: &Enterprise, e: &StoreError, distinct: bool) -> bool {
    matches!(e, StoreError::Unique(UniqueKey::Handle))
        && enterprise.profile == Profile::Scim
        && !distinct
}

/// A user write worked out before the writer is taken: the new record, the version it
/// replaces, and its events.
struct UserWrite {
    user: ManagedUser,
    expected_version: i64,
    events: Vec<AuditEvent>,
    active_changed: bool,
}

/// What a write attempt came to.
enum Attempt<T> {
    Done(T),
    /// Another write changed the user since it was read: read again, under the writer.
    Raced,
    /// Under the `scim` profile, another user has the handle: try the distinct one.
    HandleTaken,
}

/// The most privileged of the user's roles; an unknown role value is refused.
fn enterprise_role(doc: &Value) -> Result<Option<EnterpriseRole>, DirectoryError> {
    let Some(roles) = doc.get("roles").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut best = None;
    for role in roles {
        let Some(value) = role.get("value").and_then(Value::as_str) else {
            return Err(ScimError::InvalidValue(
                "every element of roles needs a string 'value'".into(),
            )
            .into());
        };
        let parsed = EnterpriseRole::parse(value).ok_or_else(|| {
            ScimError::InvalidValue(format!(
                "role '{}' is not a GitHub enterprise role; use user, guest_collaborator, enterprise_owner or billing_manager (or their display names, or GitHub's role GUIDs)",
                shown(value)
            ))
        })?;
        best = best.max(Some(parsed));
    }
    Ok(best)
}

/// The audit events a change from `before` to `after` causes, besides the update itself.
fn transition_events(
    actor: &Actor,
    user: &ManagedUser,
    before: Option<(bool, bool)>,
    after: &UserFields,
) -> Vec<AuditEvent> {
    let ev = |action| {
        actor.event(
            user.enterprise_id,
            action,
            ("user", &user.id, Some(&user.handle)),
            user.last_modified,
            json!({ "user_name": user.user_name }),
        )
    };
    let mut events = Vec::new();
    let (was_active, was_owner) = before.unwrap_or((true, false));
    if was_active && !after.active {
        events.push(ev(audit::USER_SUSPEND));
    }
    if !was_active && after.active && before.is_some() {
        events.push(ev(audit::USER_UNSUSPEND));
    }
    let is_owner = after.role == Some(EnterpriseRole::EnterpriseOwner);
    if is_owner && !was_owner {
        events.push(ev(audit::BUSINESS_ADD_ADMIN));
    }
    if was_owner && !is_owner {
        events.push(ev(audit::BUSINESS_REMOVE_ADMIN));
    }
    events
}

impl Directory {
    fn users_of(&self, caller: &Caller) -> &ResourceType {
        self.user_type(caller.enterprise.profile)
    }

    /// `POST /Users`. Everything but the insert itself is worked out before the writer is
    /// taken.
    pub async fn create_user(
        &self,
        caller: &Caller,
        body: &Value,
    ) -> Result<Value, DirectoryError> {
        let rt = self.users_of(caller);
        let doc = normalize(body, rt)?;
        let at = now();
        let id = Uuid::new_v4().to_string();
        let mut distinct = false;
        loop {
            let fields = derive_fields(&caller.enterprise, &doc, distinct, None)?;
            let user = ManagedUser {
                id: id.clone(),
                enterprise_id: caller.enterprise.id,
                user_name: fields.user_name.clone(),
                handle: fields.handle.clone(),
                external_id: fields.external_id.clone(),
                display_name: fields.display_name.clone(),
                active: fields.active,
                doc: doc.clone(),
                version: 1,
                created: at,
                last_modified: at,
            };
            let mut events = vec![
                caller.actor.event(
                    user.enterprise_id,
                    audit::USER_CREATE,
                    ("user", &user.id, Some(&user.handle)),
                    at,
                    json!({ "user_name": user.user_name }),
                ),
                caller.actor.event(
                    user.enterprise_id,
                    audit::EXTERNAL_IDENTITY_PROVISION,
                    ("user", &user.id, Some(&user.handle)),
                    at,
                    json!({ "user_name": user.user_name, "external_id": user.external_id }),
                ),
            ];
            events.extend(transition_events(&caller.actor, &user, None, &fields));
            let mut tx = self.store.begin().await?;
            match tx.insert_user(&user).await {
                Err(e) if handle_taken(&caller.enterprise, &e, distinct) => {
                    distinct = true;
                    continue;
                }
                other => other?,
            }
            tx.append_audit(&events).await?;
            tx.commit().await?;
            return Ok(render::user(&caller.base_url, &user, Some(&[])));
        }
    }

    /// `GET /Users/{id}`: the user and its version (for the ETag).
    pub async fn get_user(
        &self,
        caller: &Caller,
        id: &str,
        opts: &ReadOptions,
    ) -> Result<(Value, i64), DirectoryError> {
        let user = self
            .store
            .user(caller.enterprise.id, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let version = user.version;
        Ok((self.render_user(caller, user, opts).await?, version))
    }

    /// Render one user (see `render_users`).
    async fn render_user(
        &self,
        caller: &Caller,
        user: ManagedUser,
        opts: &ReadOptions,
    ) -> Result<Value, DirectoryError> {
        self.render_users(caller, vec![user], opts)
            .await?
            .pop()
            .ok_or_else(|| DirectoryError::Internal("rendering a user produced nothing".into()))
    }

    /// Render users with their groups (loaded only when requested) and project them.
    pub(crate) async fn render_users(
        &self,
        caller: &Caller,
        users: Vec<ManagedUser>,
        opts: &ReadOptions,
    ) -> Result<Vec<Value>, DirectoryError> {
        let rt = self.users_of(caller);
        let memberships = if opts.wants("groups") && !users.is_empty() {
            let ids: Vec<String> = users.iter().map(|u| u.id.clone()).collect();
            self.store.memberships(caller.enterprise.id, &ids).await?
        } else {
            Vec::new()
        };
        let mut by_user: HashMap<&str, Vec<&Membership>> = HashMap::new();
        for m in &memberships {
            by_user.entry(m.user_id.as_str()).or_default().push(m);
        }
        let managers = self.manager_names(caller, &users, opts).await?;
        Ok(users
            .iter()
            .map(|u| {
                let groups = by_user.get(u.id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                let mut doc = render::user(&caller.base_url, u, Some(groups));
                render::name_manager(&mut doc, &managers);
                project(&doc, rt, &opts.attributes, &opts.excluded)
            })
            .collect())
    }

    /// The display names of these users' managers, looked up only when a read asks for
    /// `manager.displayName` (it is returned on request).
    async fn manager_names(
        &self,
        caller: &Caller,
        users: &[ManagedUser],
        opts: &ReadOptions,
    ) -> Result<HashMap<String, String>, DirectoryError> {
        let asked = opts
            .attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().ends_with("manager.displayname"));
        let mut names = HashMap::new();
        if !asked {
            return Ok(names);
        }
        for u in users {
            let Some(id) = render::manager_id(&u.doc) else {
                continue;
            };
            if names.contains_key(id) {
                continue;
            }
            if let Some(m) = self.store.user(caller.enterprise.id, id).await? {
                let name = m
                    .display_name
                    .clone()
                    .unwrap_or_else(|| m.user_name.clone());
                names.insert(id.to_string(), name);
            }
        }
        Ok(names)
    }

    /// `PUT /Users/{id}`: replace the profile. The userName may not change under `github-emu`.
    pub async fn replace_user(
        &self,
        caller: &Caller,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<(Value, i64), DirectoryError> {
        let rt = self.users_of(caller);
        let doc = normalize(body, rt)?;
        let user =
            retrying(|| self.write_user(caller, id, if_match, |_current| Ok(doc.clone()))).await?;
        let version = user.version;
        Ok((
            self.render_user(caller, user, &ReadOptions::default())
                .await
                .map_err(DirectoryError::after_commit)?,
            version,
        ))
    }

    /// `PATCH /Users/{id}`: RFC 7644 §3.5.2, all operations or none.
    pub async fn patch_user(
        &self,
        caller: &Caller,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<(Value, i64), DirectoryError> {
        let rt = self.users_of(caller);
        let request = PatchRequest::parse(body, rt)?;
        let user = retrying(|| {
            self.write_user(caller, id, if_match, |current| {
                let mut full = current.doc.clone();
                full["id"] = Value::String(current.id.clone());
                scim::patch::apply(&mut full, &request, rt, &[])?;
                Ok(normalize(&full, rt)?)
            })
        })
        .await?;
        let version = user.version;
        Ok((
            self.render_user(caller, user, &ReadOptions::default())
                .await
                .map_err(DirectoryError::after_commit)?,
            version,
        ))
    }

    /// Change a user: compute its new document with `change`, apply the rules, write it as
    /// compare-and-swap and record the events. The user is first read and the change worked out
    /// without the writer (parsing, PATCH, validation and events can take a while for a big
    /// request, and every other write would queue behind it); only if another write changed
    /// the user meanwhile is it read and worked out again under the writer.
    async fn write_user(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<&str>,
        change: impl Fn(&ManagedUser) -> Result<Value, DirectoryError>,
    ) -> Result<ManagedUser, DirectoryError> {
        let mut distinct = false;
        let mut locked = false;
        loop {
            let attempt = if locked {
                let mut tx = self.store.begin().await?;
                let current = tx
                    .user(caller.enterprise.id, id)
                    .await?
                    .ok_or_else(|| not_found(id))?;
                match self.plan_user_write(caller, &current, if_match, &change, distinct)? {
                    None => Attempt::Done(current),
                    Some(plan) => self.carry_out(caller, tx, plan, distinct).await?,
                }
            } else {
                let current = self
                    .store
                    .user(caller.enterprise.id, id)
                    .await?
                    .ok_or_else(|| not_found(id))?;
                match self.plan_user_write(caller, &current, if_match, &change, distinct)? {
                    None => Attempt::Done(current),
                    Some(plan) => {
                        let tx = self.store.begin().await?;
                        self.carry_out(caller, tx, plan, distinct).await?
                    }
                }
            };
            match attempt {
                Attempt::Done(user) => return Ok(user),
                Attempt::HandleTaken => distinct = true,
                Attempt::Raced if !locked => locked = true,
                Attempt::Raced => {
                    return Err(DirectoryError::Contention(format!(
                        "user {id} changed concurrently"
                    )));
                }
            }
        }
    }

    /// Work out a change of `current`: `None` when nothing changes (IdPs resend unchanged
    /// profiles; no new version, no event).
    fn plan_user_write(
        &self,
        caller: &Caller,
        current: &ManagedUser,
        if_match: Option<&str>,
        change: &impl Fn(&ManagedUser) -> Result<Value, DirectoryError>,
        distinct: bool,
    ) -> Result<Option<UserWrite>, DirectoryError> {
        let enterprise = &caller.enterprise;
        check_if_match(if_match, current.version)?;
        let doc = change(current)?;
        let mut fields = derive_fields(enterprise, &doc, distinct, Some(&current.user_name))?;
        if enterprise.profile == Profile::GithubEmu && fields.user_name != current.user_name {
            return Err(ScimError::Mutability(format!(
                "userName cannot be modified once provisioned (it is '{}', the request says '{}'); to rename, delete the user and provision it again",
                shown(&current.user_name),
                shown(&fields.user_name)
            ))
            .into());
        }
        if scim::fold::same(&fields.user_name, &current.user_name) {
            // The handle follows the userName only when the userName changes: an update of
            // anything else never moves it (a distinct handle stays distinct).
            fields.handle = current.handle.clone();
        }
        // What the user was: active, and an owner (a stored role that no longer parses is
        // not one).
        let before = (
            current.active,
            enterprise.profile == Profile::GithubEmu
                && enterprise_role(&current.doc).ok().flatten()
                    == Some(EnterpriseRole::EnterpriseOwner),
        );
        if doc == current.doc {
            return Ok(None);
        }
        let at = now();
        let user = ManagedUser {
            id: current.id.clone(),
            enterprise_id: enterprise.id,
            user_name: fields.user_name.clone(),
            handle: fields.handle.clone(),
            external_id: fields.external_id.clone(),
            display_name: fields.display_name.clone(),
            active: fields.active,
            doc,
            version: current.version + 1,
            created: current.created,
            last_modified: at,
        };
        let mut events = vec![caller.actor.event(
            enterprise.id,
            audit::EXTERNAL_IDENTITY_UPDATE,
            ("user", &user.id, Some(&user.handle)),
            at,
            json!({ "user_name": user.user_name }),
        )];
        events.extend(transition_events(
            &caller.actor,
            &user,
            Some(before),
            &fields,
        ));
        Ok(Some(UserWrite {
            active_changed: user.active != current.active,
            user,
            expected_version: current.version,
            events,
        }))
    }

    /// Write a planned change under the writer: compare-and-swap on the version it was
    /// planned from, the seats it moves, its events, the commit.
    async fn carry_out(
        &self,
        caller: &Caller,
        mut tx: Box<dyn Tx>,
        plan: UserWrite,
        distinct: bool,
    ) -> Result<Attempt<ManagedUser>, DirectoryError> {
        let UserWrite {
            user,
            expected_version,
            mut events,
            active_changed,
        } = plan;
        match tx.update_user(&user, expected_version).await {
            Ok(true) => {}
            Ok(false) => return Ok(Attempt::Raced),
            Err(e) if handle_taken(&caller.enterprise, &e, distinct) => {
                return Ok(Attempt::HandleTaken);
            }
            Err(e) => return Err(e.into()),
        }
        if active_changed {
            // Suspension empties the user's teams and organizations; reactivation restores
            // what its groups say.
            let mut seats = Seats::new(self, caller, user.last_modified);
            seats.user_changed(&mut tx, &user.id, &user.handle).await?;
            events.extend(seats.events);
        }
        tx.append_audit(&events).await?;
        tx.commit().await?;
        Ok(Attempt::Done(user))
    }

    /// `DELETE /Users/{id}`: irreversible. The identity is erased, memberships end, the
    /// userName may be provisioned again.
    pub async fn delete_user(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), DirectoryError> {
        let enterprise = &caller.enterprise;
        retrying(|| async {
            let mut tx = self.store.begin().await?;
            let current = tx
                .user(enterprise.id, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            check_if_match(if_match, current.version)?;
            let at = now();
            let groups = tx.erase_user(enterprise.id, id, at).await?;
            // Each of those groups lost a member: a new version, so ETags and If-Match see it.
            for group_id in &groups {
                let Some(mut group) = tx.group(enterprise.id, group_id).await? else {
                    continue;
                };
                let expected = group.version;
                group.version += 1;
                group.last_modified = at;
                if !tx.update_group(&group, expected).await? {
                    return Err(DirectoryError::Contention(format!(
                        "group {group_id} changed concurrently"
                    )));
                }
            }
            let mut events: Vec<AuditEvent> = groups
                .iter()
                .map(|g| {
                    caller.actor.event(
                        enterprise.id,
                        audit::EXTERNAL_GROUP_REMOVE_MEMBER,
                        ("group", g, None),
                        at,
                        json!({ "user_id": id, "user": current.handle }),
                    )
                })
                .collect();
            let mut seats = Seats::new(self, caller, at);
            seats.user_changed(&mut tx, id, &current.handle).await?;
            events.extend(seats.events);
            events.push(caller.actor.event(
                enterprise.id,
                audit::EXTERNAL_IDENTITY_DEPROVISION,
                ("user", id, Some(&current.handle)),
                at,
                json!({ "user_name": current.user_name }),
            ));
            events.push(caller.actor.event(
                enterprise.id,
                audit::USER_DELETE,
                ("user", id, Some(&current.handle)),
                at,
                json!({}),
            ));
            tx.append_audit(&events).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// `GET /Users` and `POST /Users/.search`: a ListResponse.
    pub async fn list_users(
        &self,
        caller: &Caller,
        request: &SearchRequest,
    ) -> Result<Value, DirectoryError> {
        let rt = self.users_of(caller);
        let listing = self.listing(request, rt)?;
        let page = self
            .store
            .users(caller.enterprise.id, &listing.query())
            .await?;
        let opts = ReadOptions {
            attributes: request.attributes.clone(),
            excluded: request.excluded_attributes.clone(),
        };
        let resources = self.render_users(caller, page.items, &opts).await?;
        Ok(listing.response(resources, page.total, page.next.as_ref()))
    }

    pub(crate) fn compile_filter(
        &self,
        filter: Option<&str>,
        rt: &ResourceType,
    ) -> Result<Option<scim::filter::Filter>, DirectoryError> {
        match filter.map(str::trim).filter(|f| !f.is_empty()) {
            None => Ok(None),
            Some(f) => Ok(Some(scim::filter::parse(f)?.resolve(rt)?)),
        }
    }

    pub(crate) fn page_size(&self, requested: Option<u64>) -> u64 {
        requested
            .unwrap_or(self.limits.default_count)
            .min(self.limits.max_results)
    }
}
