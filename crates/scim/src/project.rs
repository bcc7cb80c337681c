//! `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): shaping a stored document
//! into what the client asked to see, under each attribute's `returned` rule (RFC 7643 §7).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::schema::{AttrType, Attribute, ResourceType, Returned};

/// A comma-separated attribute list (`userName,emails.value`): trimmed, empties dropped.
pub fn parse_attribute_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// The names of an `attributes` or `excludedAttributes` list, resolved against the resource
/// type into canonical schema ids, attribute and sub-attribute names. Unknown names are dropped.
/// Sets, so that a long list costs once per request, not once per attribute of every resource.
#[derive(Default)]
struct Selection {
    /// Schemas named by their URN alone (the whole extension object).
    schemas: HashSet<&'static str>,
    /// `(schema id, attribute)` named as a whole.
    whole: HashSet<(&'static str, &'static str)>,
    /// `(schema id, attribute)` → the sub-attributes named.
    subs: HashMap<(&'static str, &'static str), Vec<&'static str>>,
}

impl Selection {
    fn parse(rt: &ResourceType, names: &[String]) -> Self {
        let mut sel = Selection::default();
        for name in names {
            let name = name.trim();
            let (urn, rest) = rt.split_urn(name);
            if let (Some(urn), "") = (urn, rest) {
                sel.schemas.insert(urn);
                continue;
            }
            let (attr, sub) = match rest.split_once('.') {
                Some((a, s)) => (a, Some(s)),
                None => (rest, None),
            };
            if let Some(r) = rt.resolve(urn, attr, sub) {
                let at = (r.schema.id, r.attribute.name);
                match r.sub_attribute {
                    None => {
                        sel.whole.insert(at);
                    }
                    Some(s) => {
                        let subs = sel.subs.entry(at).or_default();
                        if !subs.contains(&s.name) {
                            subs.push(s.name);
                        }
                    }
                }
            }
        }
        sel
    }

    fn names_schema(&self, schema: &str) -> bool {
        self.schemas.contains(schema)
    }

    fn names_whole(&self, schema: &'static str, attr: &'static str) -> bool {
        self.whole.contains(&(schema, attr))
    }

    /// The sub-attributes named of `attr` (at most the few it has: duplicates are dropped).
    fn subs(&self, schema: &'static str, attr: &'static str) -> &[&'static str] {
        self.subs.get(&(schema, attr)).map_or(&[], Vec::as_slice)
    }
}

/// The document as returned to the client. `attributes` (when non-empty) keeps only the named
/// attributes; `excludedAttributes` removes the named ones from the default set. Attributes
/// returned `always` (`id`, `schemas`) cannot be left out; `never` ones (`password`) never
/// appear; `request` ones only when named in `attributes`. Names may be `attr`, `attr.sub`,
/// URN-qualified, or an extension URN alone, in any case; unknown names are ignored.
pub fn project(
    doc: &Value,
    rt: &ResourceType,
    attributes: &[String],
    excluded: &[String],
) -> Value {
    let Value::Object(doc) = doc else {
        return doc.clone();
    };
    let include = (!attributes.is_empty()).then(|| Selection::parse(rt, attributes));
    let exclude = Selection::parse(rt, excluded);
    let include = include.as_ref();

    let mut out = Map::new();
    out.insert("schemas".into(), Value::Array(Vec::new()));
    let mut present = vec![Value::String(rt.core.id.into())];

    for (key, value) in doc {
        if key.eq_ignore_ascii_case("schemas") {
            continue;
        }
        if let Some(ext) = rt.extension(key) {
            let Value::Object(ext_doc) = value else {
                continue;
            };
            let mut obj = Map::new();
            for (k, v) in ext_doc {
                let projected = match ext.attribute(k) {
                    Some(attr) => project_attribute(ext.id, attr, v, include, &exclude),
                    None => keep_unknown(ext.id, v, include, &exclude),
                };
                if let Some(p) = projected {
                    obj.insert(k.clone(), p);
                }
            }
            if !obj.is_empty() {
                present.push(Value::String(ext.id.into()));
                out.insert(ext.id.into(), Value::Object(obj));
            }
            continue;
        }
        let projected = match rt.core.attribute(key) {
            Some(attr) => project_attribute(rt.core.id, attr, value, include, &exclude),
            None => keep_unknown(rt.core.id, value, include, &exclude),
        };
        if let Some(p) = projected {
            out.insert(key.clone(), p);
        }
    }
    out.insert("schemas".into(), Value::Array(present));
    Value::Object(out)
}

/// A key the schema does not define is treated as returned by default: shown unless the
/// client asked for specific attributes or excluded its whole schema.
fn keep_unknown(
    schema: &str,
    value: &Value,
    include: Option<&Selection>,
    exclude: &Selection,
) -> Option<Value> {
    let shown = match include {
        Some(inc) => inc.names_schema(schema),
        None => true,
    };
    (shown && !exclude.names_schema(schema)).then(|| value.clone())
}

fn project_attribute(
    schema: &'static str,
    attr: &Attribute,
    value: &Value,
    include: Option<&Selection>,
    exclude: &Selection,
) -> Option<Value> {
    match attr.returned {
        Returned::Never => return None,
        Returned::Always => {
            return shape(attr, value, &|_, returned| {
                matches!(returned, Returned::Always | Returned::Default)
            });
        }
        Returned::Default | Returned::Request => {}
    }
    if exclude.names_whole(schema, attr.name) || exclude.names_schema(schema) {
        return None;
    }
    let excluded_subs = exclude.subs(schema, attr.name);
    let not_excluded = |name: &str, returned: Returned| {
        returned == Returned::Always || !excluded_subs.contains(&name)
    };
    match include {
        None => {
            if attr.returned == Returned::Request {
                return None;
            }
            shape(attr, value, &|name, returned| {
                matches!(returned, Returned::Always | Returned::Default)
                    && not_excluded(name, returned)
            })
        }
        Some(inc) => {
            let whole = inc.names_whole(schema, attr.name)
                || (inc.names_schema(schema) && attr.returned != Returned::Request);
            let subs = inc.subs(schema, attr.name);
            if !whole && subs.is_empty() {
                return None;
            }
            let named = |name: &str| subs.contains(&name);
            shape(attr, value, &|name, returned| {
                let wanted = match returned {
                    Returned::Never => false,
                    Returned::Always => true,
                    Returned::Request => named(name),
                    Returned::Default => whole || named(name),
                };
                wanted && not_excluded(name, returned)
            })
        }
    }
}

/// `value` with only the sub-attributes `keep` accepts (called with the canonical name and its
/// `returned`; keys the schema does not define count as returned by default). An element or
/// object emptied by this is dropped, and so is the attribute when nothing is left.
fn shape(attr: &Attribute, value: &Value, keep: &dyn Fn(&str, Returned) -> bool) -> Option<Value> {
    if attr.ty != AttrType::Complex {
        return Some(value.clone());
    }
    let filter = |obj: &Map<String, Value>| -> Option<Value> {
        let mut out = Map::new();
        for (k, v) in obj {
            let (name, returned) = match attr.sub(k) {
                Some(sub) => (sub.name, sub.returned),
                None => (k.as_str(), Returned::Default),
            };
            if keep(name, returned) {
                out.insert(k.clone(), v.clone());
            }
        }
        (obj.is_empty() || !out.is_empty()).then_some(Value::Object(out))
    };
    match value {
        Value::Object(obj) => filter(obj),
        Value::Array(items) => {
            let out: Vec<Value> = items
                .iter()
                .filter_map(|item| match item {
                    Value::Object(obj) => filter(obj),
                    other => Some(other.clone()),
                })
                .collect();
            (items.is_empty() || !out.is_empty()).then_some(Value::Array(out))
        }
        other => Some(other.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::{
        ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA, group_resource_type, user_resource_type,
    };
    use crate::schema::Mutability;
    use serde_json::json;

    fn user() -> ResourceType {
        user_resource_type(Mutability::Immutable, vec![])
    }

    fn doc() -> Value {
        json!({
            "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
            "id": "u1",
            "externalId": "00u1",
            "userName": "isa@example.com",
            "name": {"givenName": "Isa", "familyName": "Ruiz"},
            "active": true,
            "password": "should never be stored, never shown",
            "emails": [
                {"value": "isa@example.com", "type": "work", "primary": true},
                {"value": "isa@home.example", "type": "home"}
            ],
            "groups": [{"value": "g1", "display": "Eng"}],
            ENTERPRISE_USER_SCHEMA: {
                "employeeNumber": "42",
                "department": "R&D",
                "manager": {"value": "m1", "displayName": "Boss"}
            },
            "meta": {
                "resourceType": "User",
                "created": "2024-05-01T12:00:00Z",
                "lastModified": "2024-05-02T12:00:00Z",
                "location": "https://x/Users/u1",
                "version": "W/\"3\""
            }
        })
    }

    fn p(attrs: &[&str], excl: &[&str]) -> Value {
        let a: Vec<String> = attrs.iter().map(|s| s.to_string()).collect();
        let e: Vec<String> = excl.iter().map(|s| s.to_string()).collect();
        project(&doc(), &user(), &a, &e)
    }

    #[test]
    fn parse_lists() {
        assert_eq!(
            parse_attribute_list(" userName, emails.value ,,name "),
            vec!["userName", "emails.value", "name"]
        );
        assert!(parse_attribute_list("").is_empty());
        assert!(parse_attribute_list(" , ").is_empty());
    }

    #[test]
    fn default_drops_never_and_keeps_the_rest() {
        let out = p(&[], &[]);
        let mut want = doc();
        if let Some(o) = want.as_object_mut() {
            o.remove("password");
        }
        // manager.displayName is returned on request only.
        if let Some(m) = want[ENTERPRISE_USER_SCHEMA]["manager"].as_object_mut() {
            m.remove("displayName");
        }
        assert_eq!(out, want);
        assert!(out.get("password").is_none());
    }

    #[test]
    fn attributes_keep_only_named_plus_always() {
        assert_eq!(
            p(&["userName"], &[]),
            json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "isa@example.com"})
        );
        // Case-insensitive, and password cannot be asked for.
        assert_eq!(
            p(&["USERNAME", "Password"], &[]),
            json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "isa@example.com"})
        );
    }

    #[test]
    fn unknown_names_are_ignored() {
        assert_eq!(
            p(&["bogus", "name.bogus", "urn:example:x:y"], &[]),
            json!({"schemas": [USER_SCHEMA], "id": "u1"})
        );
        assert_eq!(p(&[], &["bogus"]), p(&[], &[]));
    }

    #[test]
    fn sub_attribute_of_multi_valued_keeps_each_element_with_that_sub() {
        assert_eq!(
            p(&["emails.value"], &[]),
            json!({
                "schemas": [USER_SCHEMA],
                "id": "u1",
                "emails": [{"value": "isa@example.com"}, {"value": "isa@home.example"}]
            })
        );
        assert_eq!(
            p(&["Emails.Primary"], &[])["emails"],
            json!([{"primary": true}]),
            "elements without the sub-attribute are dropped"
        );
        assert_eq!(
            p(&["emails.value", "emails.type"], &[])["emails"],
            json!([
                {"value": "isa@example.com", "type": "work"},
                {"value": "isa@home.example", "type": "home"}
            ])
        );
    }

    #[test]
    fn sub_attribute_of_single_complex() {
        assert_eq!(
            p(&["name.givenName", "meta.lastModified"], &[]),
            json!({
                "schemas": [USER_SCHEMA],
                "id": "u1",
                "name": {"givenName": "Isa"},
                "meta": {"lastModified": "2024-05-02T12:00:00Z"}
            })
        );
        // Whole and sub together: whole wins.
        assert_eq!(
            p(&["name.givenName", "name"], &[])["name"],
            json!({"givenName": "Isa", "familyName": "Ruiz"})
        );
    }

    #[test]
    fn urn_qualified_names() {
        assert_eq!(
            p(
                &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"],
                &[]
            ),
            json!({
                "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
                "id": "u1",
                ENTERPRISE_USER_SCHEMA: {"employeeNumber": "42"}
            })
        );
        assert_eq!(
            p(
                &["URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER:manager.value"],
                &[]
            )[ENTERPRISE_USER_SCHEMA],
            json!({"manager": {"value": "m1"}})
        );
        assert_eq!(
            p(
                &["urn:ietf:params:scim:schemas:core:2.0:User:userName"],
                &[]
            ),
            json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "isa@example.com"})
        );
    }

    #[test]
    fn extension_urn_alone_selects_the_whole_extension() {
        let out = p(&[ENTERPRISE_USER_SCHEMA], &[]);
        assert_eq!(out["schemas"], json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]));
        let mut want = doc()[ENTERPRISE_USER_SCHEMA].clone();
        if let Some(m) = want["manager"].as_object_mut() {
            m.remove("displayName");
        }
        assert_eq!(
            out[ENTERPRISE_USER_SCHEMA], want,
            "all but what is returned on request"
        );
        assert!(out.get("userName").is_none());
        let asked = p(
            &["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName"],
            &[],
        );
        assert_eq!(
            asked[ENTERPRISE_USER_SCHEMA]["manager"]["displayName"],
            "Boss"
        );
    }

    #[test]
    fn extension_left_empty_is_dropped() {
        let out = p(
            &[
                "userName",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
            ],
            &[],
        );
        assert_eq!(
            out,
            json!({"schemas": [USER_SCHEMA], "id": "u1", "userName": "isa@example.com"})
        );
    }

    #[test]
    fn excluded_attributes() {
        let out = p(&[], &["emails", "ID", "meta", "name.familyName"]);
        assert!(out.get("emails").is_none());
        assert!(out.get("meta").is_none());
        assert_eq!(out["id"], "u1", "id is returned always");
        assert_eq!(out["name"], json!({"givenName": "Isa"}));
        assert_eq!(out["userName"], "isa@example.com");
        assert!(out.get("password").is_none());
    }

    #[test]
    fn excluding_the_extension_or_all_its_attributes_drops_it_from_schemas() {
        let out = p(&[], &[ENTERPRISE_USER_SCHEMA]);
        assert!(out.get(ENTERPRISE_USER_SCHEMA).is_none());
        assert_eq!(out["schemas"], json!([USER_SCHEMA]));
        let e = ENTERPRISE_USER_SCHEMA;
        let out = p(
            &[],
            &[
                &format!("{e}:employeeNumber"),
                &format!("{e}:department"),
                &format!("{e}:manager"),
            ],
        );
        assert!(out.get(ENTERPRISE_USER_SCHEMA).is_none());
        assert_eq!(out["schemas"], json!([USER_SCHEMA]));
    }

    #[test]
    fn group_excluded_members() {
        let g = json!({
            "schemas": [GROUP_SCHEMA],
            "id": "g1",
            "displayName": "Eng",
            "members": [{"value": "u1", "display": "Isa"}],
            "meta": {"resourceType": "Group"}
        });
        let out = project(&g, &group_resource_type(), &[], &["members".into()]);
        assert_eq!(
            out,
            json!({
                "schemas": [GROUP_SCHEMA],
                "id": "g1",
                "displayName": "Eng",
                "meta": {"resourceType": "Group"}
            })
        );
        let out = project(&g, &group_resource_type(), &["members.value".into()], &[]);
        assert_eq!(
            out,
            json!({"schemas": [GROUP_SCHEMA], "id": "g1", "members": [{"value": "u1"}]})
        );
    }

    #[test]
    fn request_returned_attributes_only_when_named() {
        let mut rt = group_resource_type();
        let mut secret = rt.core.attributes[0].clone();
        secret.name = "auditNote";
        secret.returned = Returned::Request;
        rt.core.attributes.push(secret);
        let g = json!({"id": "g1", "displayName": "Eng", "auditNote": "x"});
        assert!(project(&g, &rt, &[], &[]).get("auditNote").is_none());
        assert!(
            project(&g, &rt, &["displayName".into()], &[])
                .get("auditNote")
                .is_none()
        );
        assert_eq!(
            project(&g, &rt, &["AUDITNOTE".into()], &[])["auditNote"],
            "x"
        );
    }

    #[test]
    fn empty_arrays_in_the_document_survive_default_projection() {
        let g = json!({"id": "g1", "displayName": "Eng", "members": []});
        let out = project(&g, &group_resource_type(), &[], &[]);
        assert_eq!(out["members"], json!([]));
    }

    #[test]
    fn keys_outside_the_schema_follow_default_rules() {
        let g = json!({"id": "g1", "displayName": "Eng", "x-note": 1});
        let rt = group_resource_type();
        assert_eq!(project(&g, &rt, &[], &[])["x-note"], 1);
        assert!(
            project(&g, &rt, &["displayName".into()], &[])
                .get("x-note")
                .is_none()
        );
    }
}
