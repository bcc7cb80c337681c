//! IdP groups: provisioning, renames, membership as set operations on member rows (adding one
//! member costs the same in a group of ten or a million), deletion, listing.

use std::collections::HashSet;

use scim::ScimError;
use scim::filter::{AttrPath, CompareOp, Filter};
use scim::list::SearchRequest;
use scim::normalize::normalize;
use scim::patch::{ExternalChange, PatchRequest};
use scim::project::project;
use scim::schema::ResourceType;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::audit;
use crate::directory::{Caller, Directory, ReadOptions, now, retrying};
use crate::error::DirectoryError;
use crate::identity::check_length;
use crate::model::{AuditEvent, IdpGroup, Member};
use crate::render;
use crate::seats::Seats;
use crate::store::Tx;
use crate::versions::check_if_match;

/// The attribute Roster keeps outside the group document.
const MEMBERS: &str = "members";

fn not_found(id: &str) -> DirectoryError {
    DirectoryError::Scim(ScimError::NotFound(format!(
        "no group with id '{id}' in this enterprise"
    )))
}

/// Split a normalized group document into the stored document and its member ids (deduplicated,
/// in the order given).
fn take_members(doc: &mut Value) -> Result<Vec<String>, DirectoryError> {
    let members = doc.as_object_mut().and_then(|m| m.remove(MEMBERS));
    member_ids(
        members
            .as_ref()
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[]),
    )
}

/// The `value` of each member element, deduplicated in order.
fn member_ids(values: &[Value]) -> Result<Vec<String>, DirectoryError> {
    let mut seen = HashSet::new();
    let mut ids = Vec::with_capacity(values.len());
    for v in values {
        let id = v
            .get("value")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| ScimError::InvalidValue("every element of members needs a non-empty string 'value': the id of a user of this enterprise".into()))?;
        if seen.insert(id) {
            ids.push(id.to_string());
        }
    }
    Ok(ids)
}

fn display_name(doc: &Value) -> Result<String, DirectoryError> {
    let name = doc
        .get("displayName")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| {
            ScimError::InvalidValue("displayName is required and must be a non-empty string".into())
        })?;
    check_length("displayName", &name, true)?;
    Ok(name)
}

fn external_id(doc: &Value) -> Result<Option<String>, DirectoryError> {
    let id = doc
        .get("externalId")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(x) = &id {
        check_length("externalId", x, false)?;
    }
    Ok(id)
}

/// The ids a member filter names when it is `value eq "…"` or an `or` of those; `None` when it
/// says anything else.
fn value_eq_ids(filter: &Filter) -> Option<Vec<String>> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: Value::String(s),
        } if path.name.eq_ignore_ascii_case("value") && path.sub.is_none() => Some(vec![s.clone()]),
        Filter::Or(a, b) => {
            let mut ids = value_eq_ids(a)?;
            ids.extend(value_eq_ids(b)?);
            Some(ids)
        }
        _ => None,
    }
}

/// What a write does to a group.
enum GroupChange {
    /// PUT: this document and exactly these members.
    Replace { doc: Value, members: Vec<String> },
    /// PATCH: these operations.
    Patch(PatchRequest),
}

/// One change of member rows, with its ids parsed and de-duplicated before the writer is
/// taken.
enum MemberOp {
    Add(Vec<String>),
    Remove(Vec<String>),
    /// Remove the members a filter on something other than the id matches.
    RemoveMatching(Filter),
    RemoveAll,
    Replace(Vec<String>),
}

impl MemberOp {
    fn of(change: ExternalChange) -> Result<MemberOp, DirectoryError> {
        Ok(match change {
            ExternalChange::Add { values, .. } => MemberOp::Add(member_ids(&values)?),
            ExternalChange::Remove { values, .. } => MemberOp::Remove(member_ids(&values)?),
            ExternalChange::RemoveMatching { filter, .. } => match value_eq_ids(&filter) {
                Some(ids) => MemberOp::Remove(ids),
                None => MemberOp::RemoveMatching(filter),
            },
            ExternalChange::RemoveAll { .. } => MemberOp::RemoveAll,
            ExternalChange::Replace { values, .. } => MemberOp::Replace(member_ids(&values)?),
        })
    }
}

/// A group write worked out before the writer is taken: the new document and the member
/// changes.
struct GroupPlan {
    doc: Value,
    members: Vec<MemberOp>,
}

/// What a write attempt came to.
enum Attempt {
    Done(IdpGroup),
    /// Another write changed the group since it was read: read again, under the writer.
    Raced,
}

/// Membership changes carried out in a transaction, for the audit log.
#[derive(Default)]
struct MemberDelta {
    added: Vec<String>,
    removed: Vec<String>,
}

impl MemberDelta {
    fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    fn events(&self, caller: &Caller, group: &IdpGroup) -> Vec<AuditEvent> {
        let ev = |action, user: &String| {
            caller.actor.event(
                group.enterprise_id,
                action,
                ("group", &group.id, Some(&group.display_name)),
                group.last_modified,
                json!({ "user_id": user }),
            )
        };
        self.added
            .iter()
            .map(|u| ev(audit::EXTERNAL_GROUP_ADD_MEMBER, u))
            .chain(
                self.removed
                    .iter()
                    .map(|u| ev(audit::EXTERNAL_GROUP_REMOVE_MEMBER, u)),
            )
            .collect()
    }
}

/// Refuse ids that are not users of the enterprise: a member that does not exist would be
/// silently lost otherwise.
async fn check_users(
    tx: &mut Box<dyn Tx>,
    enterprise_id: i64,
    ids: &[String],
) -> Result<(), DirectoryError> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: HashSet<String> = tx
        .existing_users(enterprise_id, ids)
        .await?
        .into_iter()
        .collect();
    let missing: Vec<&str> = ids
        .iter()
        .filter(|i| !found.contains(*i))
        .map(String::as_str)
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = missing.iter().take(5).copied().collect();
    Err(ScimError::InvalidValue(format!(
        "members must be users of this enterprise; no user has the id {}{}: provision the users first, then add them",
        shown.iter().map(|s| format!("'{s}'")).collect::<Vec<_>>().join(", "),
        if missing.len() > shown.len() { format!(" (and {} more)", missing.len() - shown.len()) } else { String::new() }
    ))
    .into())
}

/// Make the group's members exactly `wanted`.
async fn replace_members(
    tx: &mut Box<dyn Tx>,
    group_id: &str,
    wanted: &[String],
    delta: &mut MemberDelta,
) -> Result<(), DirectoryError> {
    let current = tx.member_ids(group_id).await?;
    let wanted_set: HashSet<&String> = wanted.iter().collect();
    let gone: Vec<String> = current
        .iter()
        .filter(|id| !wanted_set.contains(id))
        .cloned()
        .collect();
    delta
        .removed
        .extend(tx.remove_members(group_id, &gone).await?);
    delta.added.extend(tx.add_members(group_id, wanted).await?);
    Ok(())
}

impl Directory {
    /// `POST /Groups`.
    pub async fn create_group(
        &self,
        caller: &Caller,
        body: &Value,
    ) -> Result<Value, DirectoryError> {
        let rt = self.group_type();
        let mut doc = normalize(body, rt)?;
        let members = take_members(&mut doc)?;
        let at = now();
        let group = IdpGroup {
            id: Uuid::new_v4().to_string(),
            enterprise_id: caller.enterprise.id,
            display_name: display_name(&doc)?,
            external_id: external_id(&doc)?,
            doc,
            version: 1,
            created: at,
            last_modified: at,
        };
        let mut tx = self.store.begin().await?;
        check_users(&mut tx, caller.enterprise.id, &members).await?;
        tx.insert_group(&group).await?;
        let delta = MemberDelta {
            added: tx.add_members(&group.id, &members).await?,
            removed: Vec::new(),
        };
        let mut events = vec![caller.actor.event(
            group.enterprise_id,
            audit::EXTERNAL_GROUP_PROVISION,
            ("group", &group.id, Some(&group.display_name)),
            at,
            json!({ "external_id": group.external_id }),
        )];
        events.extend(delta.events(caller, &group));
        tx.append_audit(&events).await?;
        tx.commit().await?;
        self.render_group(caller, group, &ReadOptions::default())
            .await
            .map_err(DirectoryError::after_commit)
    }

    /// `GET /Groups/{id}`: the group and its version.
    pub async fn get_group(
        &self,
        caller: &Caller,
        id: &str,
        opts: &ReadOptions,
    ) -> Result<(Value, i64), DirectoryError> {
        let group = self
            .store
            .group(caller.enterprise.id, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let version = group.version;
        Ok((self.render_group(caller, group, opts).await?, version))
    }

    /// Render one group (see `render_groups`).
    async fn render_group(
        &self,
        caller: &Caller,
        group: IdpGroup,
        opts: &ReadOptions,
    ) -> Result<Value, DirectoryError> {
        self.render_groups(caller, vec![group], opts)
            .await?
            .pop()
            .ok_or_else(|| DirectoryError::Internal("rendering a group produced nothing".into()))
    }

    /// Render groups, loading members only when they will be returned.
    pub(crate) async fn render_groups(
        &self,
        caller: &Caller,
        groups: Vec<IdpGroup>,
        opts: &ReadOptions,
    ) -> Result<Vec<Value>, DirectoryError> {
        let rt = self.group_type();
        let with_members = opts.wants(MEMBERS);
        let mut out = Vec::with_capacity(groups.len());
        for g in &groups {
            let members: Option<Vec<Member>> = if with_members {
                Some(self.store.members(&g.id).await?)
            } else {
                None
            };
            let doc = render::group(&caller.base_url, g, members.as_deref());
            out.push(project(&doc, rt, &opts.attributes, &opts.excluded));
        }
        Ok(out)
    }

    /// `PUT /Groups/{id}`: replace the document and the member list.
    pub async fn replace_group(
        &self,
        caller: &Caller,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
    ) -> Result<(Value, i64), DirectoryError> {
        let rt = self.group_type();
        let mut doc = normalize(body, rt)?;
        let members = take_members(&mut doc)?;
        let change = GroupChange::Replace { doc, members };
        let group = retrying(|| self.write_group(caller, id, if_match, &change)).await?;
        let version = group.version;
        Ok((
            self.render_group(caller, group, &ReadOptions::default())
                .await
                .map_err(DirectoryError::after_commit)?,
            version,
        ))
    }

    /// `PATCH /Groups/{id}`: document operations apply to the document, member operations to
    /// member rows, all in one transaction. Returns the group when `opts` asks for it.
    pub async fn patch_group(
        &self,
        caller: &Caller,
        id: &str,
        body: &Value,
        if_match: Option<&str>,
        opts: Option<&ReadOptions>,
    ) -> Result<(Option<Value>, i64), DirectoryError> {
        let rt = self.group_type();
        let request = PatchRequest::parse(body, rt)?;
        let change = GroupChange::Patch(request);
        let group = retrying(|| self.write_group(caller, id, if_match, &change)).await?;
        let version = group.version;
        match opts {
            Some(opts) => Ok((
                Some(
                    self.render_group(caller, group, opts)
                        .await
                        .map_err(DirectoryError::after_commit)?,
                ),
                version,
            )),
            None => Ok((None, version)),
        }
    }

    /// Change a group as `change` says: the group is read and the change worked out (PATCH
    /// applied, member ids parsed) without the writer; under the writer the member rows
    /// change and the group is written as compare-and-swap on the version it was read at. If
    /// another write got there first, the group is read and worked out again under the writer.
    async fn write_group(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<&str>,
        change: &GroupChange,
    ) -> Result<IdpGroup, DirectoryError> {
        let enterprise_id = caller.enterprise.id;
        let current = self
            .store
            .group(enterprise_id, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let plan = self.plan_group_write(&current, if_match, change)?;
        let tx = self.store.begin().await?;
        if let Attempt::Done(group) = self.carry_out_group(caller, tx, current, plan).await? {
            return Ok(group);
        }
        let mut tx = self.store.begin().await?;
        let current = tx
            .group(enterprise_id, id)
            .await?
            .ok_or_else(|| not_found(id))?;
        let plan = self.plan_group_write(&current, if_match, change)?;
        match self.carry_out_group(caller, tx, current, plan).await? {
            Attempt::Done(group) => Ok(group),
            Attempt::Raced => Err(DirectoryError::Contention(format!(
                "group {id} changed concurrently"
            ))),
        }
    }

    fn plan_group_write(
        &self,
        current: &IdpGroup,
        if_match: Option<&str>,
        change: &GroupChange,
    ) -> Result<GroupPlan, DirectoryError> {
        check_if_match(if_match, current.version)?;
        Ok(match change {
            GroupChange::Replace { doc, members } => GroupPlan {
                doc: doc.clone(),
                members: vec![MemberOp::Replace(members.clone())],
            },
            GroupChange::Patch(request) => {
                let rt = self.group_type();
                let mut full = current.doc.clone();
                full["id"] = Value::String(current.id.clone());
                let changes = scim::patch::apply(&mut full, request, rt, &[MEMBERS])?;
                GroupPlan {
                    doc: normalize(&full, rt)?,
                    members: changes
                        .into_iter()
                        .map(MemberOp::of)
                        .collect::<Result<_, _>>()?,
                }
            }
        })
    }

    /// Carry out a planned group write under the writer.
    async fn carry_out_group(
        &self,
        caller: &Caller,
        mut tx: Box<dyn Tx>,
        current: IdpGroup,
        plan: GroupPlan,
    ) -> Result<Attempt, DirectoryError> {
        let enterprise_id = caller.enterprise.id;
        let rt = self.group_type();
        let mut delta = MemberDelta::default();
        for op in plan.members {
            apply_member_op(&mut tx, rt, &current, op, &mut delta).await?;
        }
        let doc = plan.doc;
        let doc_changed = doc != current.doc;
        if !doc_changed && delta.is_empty() {
            return Ok(Attempt::Done(current));
        }
        let at = now();
        let group = IdpGroup {
            id: current.id.clone(),
            enterprise_id,
            display_name: display_name(&doc)?,
            external_id: external_id(&doc)?,
            doc,
            version: current.version + 1,
            created: current.created,
            last_modified: at,
        };
        if !tx.update_group(&group, current.version).await? {
            return Ok(Attempt::Raced);
        }
        let mut events = Vec::new();
        if doc_changed {
            events.push(caller.actor.event(
                enterprise_id,
                audit::EXTERNAL_GROUP_UPDATE,
                ("group", &group.id, Some(&group.display_name)),
                at,
                json!({ "previous_display_name": current.display_name }),
            ));
        }
        events.extend(delta.events(caller, &group));
        let mut seats = Seats::new(self, caller, at);
        let touched: Vec<String> = delta.added.iter().chain(&delta.removed).cloned().collect();
        seats
            .group_members_changed(&mut tx, &group.id, &touched)
            .await?;
        events.extend(seats.events);
        tx.append_audit(&events).await?;
        tx.commit().await?;
        Ok(Attempt::Done(group))
    }

    /// `DELETE /Groups/{id}`.
    pub async fn delete_group(
        &self,
        caller: &Caller,
        id: &str,
        if_match: Option<&str>,
    ) -> Result<(), DirectoryError> {
        let enterprise_id = caller.enterprise.id;
        retrying(|| async {
            let mut tx = self.store.begin().await?;
            let current = tx
                .group(enterprise_id, id)
                .await?
                .ok_or_else(|| not_found(id))?;
            check_if_match(if_match, current.version)?;
            let at = now();
            let members = tx.member_ids(id).await?;
            tx.delete_group(enterprise_id, id).await?;
            let mut gone = current.clone();
            gone.last_modified = at;
            let mut events = MemberDelta {
                added: Vec::new(),
                removed: members,
            }
            .events(caller, &gone);
            events.extend(
                self.unlink_deleted_group(&mut tx, caller, &current, at)
                    .await?,
            );
            events.push(caller.actor.event(
                enterprise_id,
                audit::EXTERNAL_GROUP_DELETE,
                ("group", id, Some(&current.display_name)),
                at,
                json!({}),
            ));
            tx.append_audit(&events).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// `GET /Groups` and `POST /Groups/.search`.
    pub async fn list_groups(
        &self,
        caller: &Caller,
        request: &SearchRequest,
    ) -> Result<Value, DirectoryError> {
        let listing = self.listing(request, self.group_type())?;
        let page = self
            .store
            .groups(caller.enterprise.id, &listing.query())
            .await?;
        let opts = ReadOptions {
            attributes: request.attributes.clone(),
            excluded: request.excluded_attributes.clone(),
        };
        let resources = self.render_groups(caller, page.items, &opts).await?;
        Ok(listing.response(resources, page.total, page.next.as_ref()))
    }
}

/// Carry out one member change on member rows.
async fn apply_member_op(
    tx: &mut Box<dyn Tx>,
    rt: &ResourceType,
    group: &IdpGroup,
    op: MemberOp,
    delta: &mut MemberDelta,
) -> Result<(), DirectoryError> {
    match op {
        MemberOp::Add(ids) => {
            check_users(tx, group.enterprise_id, &ids).await?;
            delta.added.extend(tx.add_members(&group.id, &ids).await?);
        }
        MemberOp::Remove(ids) => {
            delta
                .removed
                .extend(tx.remove_members(&group.id, &ids).await?);
        }
        MemberOp::RemoveMatching(filter) => {
            // A filter on something other than the member id: test each member as the group
            // would list it.
            let test = Filter::ValuePath {
                path: AttrPath {
                    urn: None,
                    name: MEMBERS.into(),
                    sub: None,
                },
                filter: Box::new(filter),
            };
            let ids: Vec<String> = tx
                .member_ids(&group.id)
                .await?
                .into_iter()
                .filter(|id| {
                    let doc = json!({ MEMBERS: [{ "value": id, "type": "User" }] });
                    test.matches(&doc, rt)
                })
                .collect();
            delta
                .removed
                .extend(tx.remove_members(&group.id, &ids).await?);
        }
        MemberOp::RemoveAll => {
            let ids = tx.member_ids(&group.id).await?;
            delta
                .removed
                .extend(tx.remove_members(&group.id, &ids).await?);
        }
        MemberOp::Replace(ids) => {
            check_users(tx, group.enterprise_id, &ids).await?;
            replace_members(tx, &group.id, &ids, delta).await?;
        }
    }
    Ok(())
}
