//! Stored records to SCIM documents: the stored attributes plus `id`, `meta` and the
//! attributes kept outside the document (`groups` of a user, `members` of a group).

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use scim::definitions::ENTERPRISE_USER_SCHEMA;

use crate::model::{IdpGroup, ManagedUser, Member, Membership};
use crate::versions::etag;

pub fn timestamp(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// `schemas` and `id` first, then the stored attributes, then `extra`, then `meta`.
fn assemble(doc: &Value, id: &str, extra: Option<(&str, Value)>, meta: Value) -> Value {
    let mut out = Map::new();
    if let Some(s) = doc.get("schemas") {
        out.insert("schemas".into(), s.clone());
    }
    out.insert("id".into(), Value::String(id.to_string()));
    if let Some(map) = doc.as_object() {
        for (k, v) in map {
            if k != "schemas" {
                out.insert(k.clone(), v.clone());
            }
        }
    }
    if let Some((k, v)) = extra {
        out.insert(k.to_string(), v);
    }
    out.insert("meta".into(), meta);
    Value::Object(out)
}

fn meta(
    resource_type: &str,
    created: OffsetDateTime,
    last_modified: OffsetDateTime,
    location: String,
    version: i64,
) -> Value {
    json!({
        "resourceType": resource_type,
        "created": timestamp(created),
        "lastModified": timestamp(last_modified),
        "location": location,
        "version": etag(version),
    })
}

/// A user as SCIM returns it; `groups` is `None` when it was not loaded (not requested).
pub fn user(base_url: &str, user: &ManagedUser, groups: Option<&[&Membership]>) -> Value {
    let extra = groups.filter(|g| !g.is_empty()).map(|groups| {
        let list = groups
            .iter()
            .map(|m| {
                json!({
                    "value": m.group_id,
                    "$ref": format!("{base_url}/Groups/{}", m.group_id),
                    "display": m.group_display,
                    "type": "direct",
                })
            })
            .collect();
        ("groups", Value::Array(list))
    });
    let mut out = assemble(
        &user.doc,
        &user.id,
        extra,
        meta(
            "User",
            user.created,
            user.last_modified,
            format!("{base_url}/Users/{}", user.id),
            user.version,
        ),
    );
    link_manager(&mut out, base_url);
    out
}

/// Give an enterprise `manager` stored as a bare `{"value": id}` (Entra ID sends only that)
/// its `$ref`, so clients that follow references find the manager.
fn link_manager(user: &mut Value, base_url: &str) {
    let Some(manager) = user
        .get_mut(ENTERPRISE_USER_SCHEMA)
        .and_then(|e| e.get_mut("manager"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    if manager.contains_key("$ref") {
        return;
    }
    if let Some(id) = manager
        .get("value")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        manager.insert(
            "$ref".into(),
            Value::String(format!("{base_url}/Users/{id}")),
        );
    }
}

/// The id of the enterprise `manager` a stored user document names, if any.
pub fn manager_id(doc: &Value) -> Option<&str> {
    doc.get(ENTERPRISE_USER_SCHEMA)?
        .get("manager")?
        .get("value")?
        .as_str()
}

/// Give a rendered user's manager its `displayName` from `names` (manager id → name).
pub fn name_manager(user: &mut Value, names: &std::collections::HashMap<String, String>) {
    let Some(manager) = user
        .get_mut(ENTERPRISE_USER_SCHEMA)
        .and_then(|e| e.get_mut("manager"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    let name = manager
        .get("value")
        .and_then(Value::as_str)
        .and_then(|id| names.get(id))
        .cloned();
    if let Some(name) = name {
        manager.insert("displayName".into(), Value::String(name));
    }
}

/// A group as SCIM returns it; `members` is `None` when it was not loaded (not requested).
pub fn group(base_url: &str, group: &IdpGroup, members: Option<&[Member]>) -> Value {
    let extra = members.filter(|m| !m.is_empty()).map(|members| {
        let list = members
            .iter()
            .map(|m| {
                let mut v = json!({
                    "value": m.user_id,
                    "$ref": format!("{base_url}/Users/{}", m.user_id),
                    "type": "User",
                });
                if let Some(d) = &m.display {
                    v["display"] = Value::String(d.clone());
                }
                v
            })
            .collect();
        ("members", Value::Array(list))
    });
    assemble(
        &group.doc,
        &group.id,
        extra,
        meta(
            "Group",
            group.created,
            group.last_modified,
            format!("{base_url}/Groups/{}", group.id),
            group.version,
        ),
    )
}
