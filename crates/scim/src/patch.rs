//! The PATCH engine (RFC 7644 §3.5.2): parse a PatchOp request, then apply it to a stored
//! document atomically — every operation succeeds or the document is left untouched.
//!
//! It accepts the dialects of real identity providers: Entra ID's capitalised ops, `"True"` /
//! `"False"` strings for booleans, flattened no-path keys (`"name.givenName"`,
//! `"urn:…:enterprise:2.0:User:employeeNumber"`), value-filter paths that create the element
//! they name (`emails[type eq "work"].value`), and `members` removal with a value list; Okta's
//! no-path `replace` of `{"active": false}` and its group rename that carries the group's own
//! `id`.
//!
//! Multi-valued attributes kept outside the document (a group's `members`, stored as rows) are
//! never written to the document: their changes come back as [`ExternalChange`]s, in order.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::controls::{self, Text};
use crate::element_key::{element_key, element_key_folded};
use crate::error::ScimError;
use crate::eval::matches_element;
use crate::filter::{self, AttrPath, CompareOp, Filter};
use crate::limits::{MAX_MEMBERS_PER_OPERATION, MAX_VALUES_PER_ATTRIBUTE, thousands};
use crate::schema::{AttrType, Attribute, Mutability, ResourceType};

/// The `schemas` value of a PATCH request body.
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Add,
    Remove,
    Replace,
}

impl OpKind {
    fn as_str(self) -> &'static str {
        match self {
            OpKind::Add => "add",
            OpKind::Remove => "remove",
            OpKind::Replace => "replace",
        }
    }
}

/// A resolved PATCH path: `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`, with
/// canonical names (extension attributes carry their URN in `attr.urn`).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath, /* sub None */
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    pub op: OpKind,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PatchRequest {
    pub operations: Vec<PatchOp>,
}

/// A change to a multi-valued attribute kept outside the document (a group's `members`, stored as rows).
#[derive(Debug, Clone, PartialEq)]
pub enum ExternalChange {
    Add {
        attr: &'static str,
        values: Vec<Value>,
    },
    /// remove the elements whose `value` equals one of these
    Remove {
        attr: &'static str,
        values: Vec<Value>,
    },
    /// remove the elements matching this resolved filter (relative paths, e.g. value eq "x")
    RemoveMatching {
        attr: &'static str,
        filter: Filter,
    },
    RemoveAll {
        attr: &'static str,
    },
    Replace {
        attr: &'static str,
        values: Vec<Value>,
    },
}

fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

/// Parse and resolve a PATCH path against `rt`.
pub(crate) fn parse_path(text: &str, rt: &ResourceType) -> Result<PatchPath, ScimError> {
    let ctx = "in PATCH path";
    let (attr, filter, sub) = filter::parse_patch_path(text)?;
    let r = filter::resolve_path(rt, &attr, ctx).map_err(ScimError::InvalidPath)?;
    let sub = match sub {
        None => None,
        Some(s) => Some(
            filter::sub_of(r.attribute, &s, ctx)
                .map_err(ScimError::InvalidPath)?
                .name
                .to_string(),
        ),
    };
    if filter.is_some() && !r.attribute.multi_valued {
        return Err(ScimError::InvalidPath(format!(
            "invalid PATCH path {text:?}: a value filter '[…]' selects elements of a multi-valued attribute, and '{}' is single-valued; use \"{}.<sub-attribute>\"",
            r.path, r.path
        )));
    }
    let filter = match filter {
        None => None,
        Some(f) => Some(f.resolve_within(r.attribute).map_err(|e| match e {
            ScimError::InvalidFilter(d) => {
                ScimError::InvalidPath(format!("invalid PATCH path {text:?}: {d}"))
            }
            other => other,
        })?),
    };
    Ok(PatchPath {
        attr: r.path,
        filter,
        sub,
    })
}

impl PatchRequest {
    /// Parse an RFC 7644 §3.5.2 PatchOp body. Keys (`Operations`, `op`, `path`, `value`) and op
    /// names are case-insensitive; `schemas`, when present, must name the PatchOp URN.
    pub fn parse(body: &Value, rt: &ResourceType) -> Result<PatchRequest, ScimError> {
        let shape = format!(
            "a PATCH body must be a JSON object {{\"schemas\": [\"{PATCH_OP_URN}\"], \"Operations\": [{{\"op\": \"add|remove|replace\", \"path\": \"…\", \"value\": …}}]}}"
        );
        let Some(obj) = body.as_object() else {
            return Err(ScimError::InvalidSyntax(shape));
        };
        if let Some(schemas) = get_ci(obj, "schemas") {
            let ok = schemas.as_array().is_some_and(|a| {
                a.iter().any(|s| {
                    s.as_str()
                        .is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_URN))
                })
            });
            if !ok {
                return Err(ScimError::InvalidSyntax(format!(
                    "\"schemas\" must be [\"{PATCH_OP_URN}\"]; {shape}"
                )));
            }
        }
        let Some(ops) = get_ci(obj, "Operations").and_then(Value::as_array) else {
            return Err(ScimError::InvalidSyntax(format!(
                "the \"Operations\" array is missing; {shape}"
            )));
        };
        let mut operations = Vec::with_capacity(ops.len());
        for (n, op) in ops.iter().enumerate() {
            let op = parse_op(op, rt).map_err(|e| with_context(e, &format!("Operations[{n}]")))?;
            operations.push(op);
        }
        Ok(PatchRequest { operations })
    }
}

fn parse_op(op: &Value, rt: &ResourceType) -> Result<PatchOp, ScimError> {
    let Some(obj) = op.as_object() else {
        return Err(ScimError::InvalidSyntax(
            "each operation must be an object with \"op\", and \"path\" and \"value\" as needed"
                .into(),
        ));
    };
    let mut kind = match get_ci(obj, "op").and_then(Value::as_str) {
        Some(s) if s.eq_ignore_ascii_case("add") => OpKind::Add,
        Some(s) if s.eq_ignore_ascii_case("remove") => OpKind::Remove,
        Some(s) if s.eq_ignore_ascii_case("replace") => OpKind::Replace,
        Some(s) => {
            return Err(ScimError::InvalidSyntax(format!(
                "unknown op {s:?}; \"op\" must be \"add\", \"remove\" or \"replace\""
            )));
        }
        None => {
            return Err(ScimError::InvalidSyntax(
                "\"op\" is missing or not a string; it must be \"add\", \"remove\" or \"replace\""
                    .into(),
            ));
        }
    };
    let mut value = get_ci(obj, "value").cloned();
    let path_text = match get_ci(obj, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(other) => {
            return Err(ScimError::InvalidPath(format!(
                "\"path\" must be a string such as \"emails[type eq \\\"work\\\"].value\", not {other}"
            )));
        }
    };
    // Tab and line breaks are whitespace to the path grammar, like spaces.
    if let Some((c, at)) = path_text
        .as_deref()
        .and_then(|p| controls::forbidden_char(p, Text::Free))
    {
        return Err(ScimError::InvalidPath(controls::refusal(
            "\"path\"",
            c,
            at,
            Text::Free,
        )));
    }
    if let Some(v) = &value {
        let root = path_text.as_deref().unwrap_or("");
        if let Some(refusal) = controls::value_refusal(v, root) {
            return Err(ScimError::InvalidValue(format!("\"value\": {refusal}")));
        }
    }
    let mut path = None;
    if let Some(text) = path_text {
        match filter::split_urn(rt, &text) {
            // A path that is an extension's URN: its value is an object of that extension's
            // attributes, the same as a no-path value keyed by the URN.
            (Some(id), "") if kind != OpKind::Remove => {
                value = value.map(|v| json!({ id: v }));
            }
            // Removing an extension's URN removes all its attributes: the same as replacing
            // each with null (which keeps the required and immutable checks).
            (Some(id), "") => {
                let Some(ext) = rt.extension(id) else {
                    return Err(ScimError::InvalidPath(format!(
                        "\"path\": \"{text}\" names the core schema; remove its attributes one by one"
                    )));
                };
                let nulls: serde_json::Map<String, Value> = ext
                    .attributes
                    .iter()
                    .map(|a| (a.name.to_string(), Value::Null))
                    .collect();
                kind = OpKind::Replace;
                value = Some(json!({ id: nulls }));
            }
            _ => path = Some(parse_path(&text, rt)?),
        }
    }
    if kind != OpKind::Remove && value.is_none() {
        return Err(ScimError::InvalidSyntax(format!(
            "\"{}\" needs a \"value\"",
            kind.as_str()
        )));
    }
    if kind == OpKind::Add && value.as_ref().is_some_and(Value::is_null) {
        return Err(ScimError::InvalidSyntax(
            "\"add\" needs a non-null \"value\"; to clear an attribute use \"remove\"".into(),
        ));
    }
    if kind == OpKind::Remove && path.is_none() {
        return Err(no_path_remove());
    }
    Ok(PatchOp {
        op: kind,
        path,
        value,
    })
}

fn no_path_remove() -> ScimError {
    ScimError::NoTarget(
        "\"remove\" needs a \"path\" naming what to remove, e.g. \"members[value eq \\\"…\\\"]\""
            .into(),
    )
}

/// Prefix an error's detail with where it happened.
fn with_context(e: ScimError, prefix: &str) -> ScimError {
    let d = |d: String| format!("{prefix}: {d}");
    match e {
        ScimError::InvalidFilter(s) => ScimError::InvalidFilter(d(s)),
        ScimError::InvalidPath(s) => ScimError::InvalidPath(d(s)),
        ScimError::InvalidSyntax(s) => ScimError::InvalidSyntax(d(s)),
        ScimError::InvalidValue(s) => ScimError::InvalidValue(d(s)),
        ScimError::Mutability(s) => ScimError::Mutability(d(s)),
        ScimError::NoTarget(s) => ScimError::NoTarget(d(s)),
        ScimError::TooMany(s) => ScimError::TooMany(d(s)),
        other => other,
    }
}

/// Apply `request` to `doc` atomically: the operations run on a copy that replaces `doc` only
/// when all of them succeed. Attributes named in `external` (e.g. `["members"]`) are never
/// written to the document; their changes are returned in order.
pub fn apply(
    doc: &mut Value,
    request: &PatchRequest,
    rt: &ResourceType,
    external: &[&'static str],
) -> Result<Vec<ExternalChange>, ScimError> {
    let mut work = doc.clone();
    if !work.is_object() {
        return Err(ScimError::InvalidValue(
            "the stored resource is not a JSON object and cannot be patched".into(),
        ));
    }
    let mut engine = Engine {
        rt,
        external,
        changes: Vec::new(),
    };
    for (n, op) in request.operations.iter().enumerate() {
        engine
            .op(&mut work, op)
            .map_err(|e| with_context(e, &format!("Operations[{n}] ({})", op.op.as_str())))?;
    }
    *doc = work;
    Ok(engine.changes)
}

struct Engine<'a> {
    rt: &'a ResourceType,
    external: &'a [&'static str],
    changes: Vec<ExternalChange>,
}

/// What a path names, resolved.
struct Target<'a, 'p> {
    attr: &'a Attribute,
    /// The extension URN when the attribute lives under `doc[urn]`.
    ext: Option<&'static str>,
    filter: Option<&'p Filter>,
    sub: Option<&'a Attribute>,
    shown: String,
}

impl<'a> Engine<'a> {
    fn op(&mut self, work: &mut Value, op: &PatchOp) -> Result<(), ScimError> {
        match (&op.path, op.op) {
            (None, OpKind::Remove) => Err(no_path_remove()),
            (None, kind) => {
                let value = op.value.as_ref().ok_or_else(|| {
                    ScimError::InvalidSyntax(format!("\"{}\" needs a \"value\"", kind.as_str()))
                })?;
                self.no_path(work, kind, value)
            }
            (Some(path), kind) => {
                if kind != OpKind::Remove && op.value.is_none() {
                    return Err(ScimError::InvalidSyntax(format!(
                        "\"{}\" needs a \"value\"",
                        kind.as_str()
                    )));
                }
                self.path_op(work, kind, path, op.value.as_ref())
            }
        }
    }

    /// A no-path add/replace: each key of the object value is an attribute name, a dotted or
    /// URN-qualified path, or an extension URN holding an object of that extension's attributes.
    fn no_path(&mut self, work: &mut Value, kind: OpKind, value: &Value) -> Result<(), ScimError> {
        let Some(obj) = value.as_object() else {
            return Err(ScimError::InvalidValue(format!(
                "an \"{}\" without \"path\" needs an object value whose keys are attribute names, e.g. {{\"active\": false}}; got {value}",
                kind.as_str()
            )));
        };
        for (key, v) in obj {
            if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") {
                continue;
            }
            if key.eq_ignore_ascii_case("id") {
                if work.get("id") == Some(v) {
                    continue;
                }
                return Err(ScimError::Mutability(format!(
                    "id is assigned by the service provider and cannot be changed; the value carries id {v} but this resource's id is {}",
                    work.get("id").unwrap_or(&Value::Null)
                )));
            }
            match filter::split_urn(self.rt, key) {
                (Some(id), "") => {
                    let Some(inner) = v.as_object() else {
                        return Err(ScimError::InvalidValue(format!(
                            "the value under \"{id}\" must be an object of that schema's attributes; got {v}"
                        )));
                    };
                    for (k2, v2) in inner {
                        // A whole extension object may carry its own `schemas` (scim2-tester
                        // sends it); it says nothing to change.
                        if k2.eq_ignore_ascii_case("schemas") || k2.eq_ignore_ascii_case("meta") {
                            continue;
                        }
                        let text = format!("{id}:{k2}");
                        self.keyed(work, kind, &text, v2)?;
                    }
                }
                _ => self.keyed(work, kind, key, v)?,
            }
        }
        Ok(())
    }

    fn keyed(
        &mut self,
        work: &mut Value,
        kind: OpKind,
        key: &str,
        v: &Value,
    ) -> Result<(), ScimError> {
        let path = parse_path(key, self.rt).map_err(|e| match e {
            ScimError::InvalidPath(d) => {
                ScimError::InvalidValue(format!("key \"{key}\" of the value: {d}"))
            }
            other => other,
        })?;
        self.path_op(work, kind, &path, Some(v))
    }

    fn target<'p>(&self, path: &'p PatchPath) -> Result<Target<'a, 'p>, ScimError> {
        let r = self
            .rt
            .resolve(
                path.attr.urn.as_deref(),
                &path.attr.name,
                path.sub.as_deref(),
            )
            .ok_or_else(|| {
                ScimError::InvalidPath(format!(
                    "unknown attribute '{}' for {} resources",
                    path.attr, self.rt.name
                ))
            })?;
        let mut shown = r.attribute.name.to_string();
        if let Some(s) = r.sub_attribute {
            shown = format!("{shown}.{}", s.name);
        }
        Ok(Target {
            attr: r.attribute,
            ext: r.is_extension.then_some(r.schema.id),
            filter: path.filter.as_ref(),
            sub: r.sub_attribute,
            shown,
        })
    }

    fn path_op(
        &mut self,
        work: &mut Value,
        kind: OpKind,
        path: &PatchPath,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let t = self.target(path)?;
        if t.ext.is_none()
            && let Some(name) = self
                .external
                .iter()
                .find(|e| e.eq_ignore_ascii_case(t.attr.name))
        {
            return self.external_op(name, kind, &t, value);
        }
        if t.attr.mutability == Mutability::ReadOnly
            || t.sub.is_some_and(|s| s.mutability == Mutability::ReadOnly)
        {
            return Err(ScimError::Mutability(format!(
                "'{}' is read-only (set by the service provider) and cannot be changed by PATCH",
                t.shown
            )));
        }
        match (kind, value) {
            (OpKind::Remove, v) => remove(work, &t, v.filter(|v| !v.is_null())),
            (_, None) | (_, Some(Value::Null)) => remove(work, &t, None),
            (kind, Some(v)) => set(work, kind, &t, v),
        }
    }

    fn external_op(
        &mut self,
        name: &'static str,
        kind: OpKind,
        t: &Target<'_, '_>,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let whole = t.filter.is_none() && t.sub.is_none();
        let value = value.filter(|v| !v.is_null());
        let change = match kind {
            OpKind::Add | OpKind::Replace if !whole => {
                return Err(ScimError::InvalidPath(format!(
                    "{name} can only be {} as a whole list: use \"path\": \"{name}\" and a value like [{{\"value\": \"<id>\"}}]",
                    if kind == OpKind::Add {
                        "added"
                    } else {
                        "replaced"
                    }
                )));
            }
            OpKind::Add => {
                let values = member_values(name, value)?;
                if values.is_empty() {
                    return Ok(());
                }
                ExternalChange::Add { attr: name, values }
            }
            OpKind::Replace => match value {
                None => ExternalChange::RemoveAll { attr: name },
                Some(_) => ExternalChange::Replace {
                    attr: name,
                    values: member_values(name, value)?,
                },
            },
            OpKind::Remove => match (t.filter, t.sub, value) {
                (None, None, None) => ExternalChange::RemoveAll { attr: name },
                (None, None, Some(_)) => {
                    let values = member_values(name, value)?;
                    if values.is_empty() {
                        return Ok(());
                    }
                    ExternalChange::Remove { attr: name, values }
                }
                (Some(f), None, _) => ExternalChange::RemoveMatching {
                    attr: name,
                    filter: f.clone(),
                },
                _ => {
                    return Err(ScimError::InvalidPath(format!(
                        "sub-attributes of {name} cannot be removed; remove whole elements with \"{name}[value eq \\\"<id>\\\"]\""
                    )));
                }
            },
        };
        self.changes.push(change);
        Ok(())
    }
}

/// Refuse an operation that carries more values than [`crate::limits`] allows.
fn check_count(name: &str, count: usize, limit: usize) -> Result<(), ScimError> {
    if count <= limit {
        return Ok(());
    }
    Err(ScimError::TooMany(format!(
        "{} values for '{name}'; at most {} values per operation: split them into several operations or requests",
        thousands(count),
        thousands(limit)
    )))
}

/// Refuse a multi-valued attribute that an operation made hold more values than a stored
/// resource may (normalize would refuse the document; this names the operation).
fn check_held(name: &str, count: usize) -> Result<(), ScimError> {
    if count <= MAX_VALUES_PER_ATTRIBUTE {
        return Ok(());
    }
    Err(ScimError::TooMany(format!(
        "'{name}' would hold {} values; a multi-valued attribute may hold at most {}",
        thousands(count),
        thousands(MAX_VALUES_PER_ATTRIBUTE)
    )))
}

/// How many values a PATCH value is for a multi-valued attribute (a single value counts as one).
fn count_of(value: &Value) -> usize {
    value.as_array().map_or(1, Vec::len)
}

/// Elements of an external attribute: each an object with a string `value`; everything else
/// (`display`, `$ref`, `type`…) is dropped. Duplicates are dropped.
fn member_values(name: &str, value: Option<&Value>) -> Result<Vec<Value>, ScimError> {
    let items: Vec<&Value> = match value {
        None => vec![],
        Some(Value::Array(a)) => a.iter().collect(),
        Some(v) => vec![v],
    };
    check_count(name, items.len(), MAX_MEMBERS_PER_OPERATION)?;
    let mut seen: HashSet<&str> = HashSet::with_capacity(items.len());
    let mut out: Vec<Value> = Vec::with_capacity(items.len());
    for item in items {
        let id = item
            .as_object()
            .and_then(|o| get_ci(o, "value"))
            .and_then(Value::as_str);
        let Some(id) = id else {
            return Err(ScimError::InvalidValue(format!(
                "each element of {name} must be an object with a string \"value\" (the member's id), e.g. {{\"value\": \"2819c223\"}}; got {item}"
            )));
        };
        if seen.insert(id) {
            out.push(json!({ "value": id }));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Values: type checking and coercion

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Check and coerce one value of `attr` (an element, for a multi-valued attribute). Booleans
/// accept `"true"`/`"false"` in any case; strings accept numbers; integers and decimals accept
/// numeric strings; complex attributes get canonical sub-attribute names, read-only
/// sub-attributes dropped, and a bare scalar becomes `{"value": …}` for a single-valued
/// attribute with a `value` sub-attribute (Entra's manager); elements of a multi-valued one
/// (`emails: "x"`) must be objects, as POST and PUT require. Nulls inside objects are kept (they
/// clear on merge).
fn coerce(attr: &Attribute, shown: &str, v: &Value) -> Result<Value, ScimError> {
    let wrong = |expected: &str| {
        Err(ScimError::InvalidValue(format!(
            "'{shown}' must be {expected}; got {} ({v})",
            kind_of(v)
        )))
    };
    match attr.ty {
        AttrType::Complex => {
            let obj = match v {
                Value::Object(o) => o,
                Value::Array(a) if !attr.multi_valued && a.len() == 1 => {
                    return coerce(attr, shown, &a[0]);
                }
                Value::String(_) | Value::Number(_)
                    if !attr.multi_valued && attr.sub("value").is_some() =>
                {
                    let mut m = Map::new();
                    if let Some(sa) = attr.sub("value") {
                        m.insert(
                            sa.name.to_string(),
                            coerce(sa, &format!("{shown}.{}", sa.name), v)?,
                        );
                    }
                    return Ok(Value::Object(m));
                }
                _ => {
                    let subs: Vec<&str> = attr.sub_attributes.iter().map(|a| a.name).collect();
                    return wrong(&format!(
                        "an object with the sub-attributes {}",
                        subs.join(", ")
                    ));
                }
            };
            let mut out = Map::new();
            for (k, x) in obj {
                let Some(sa) = attr.sub(k) else {
                    let subs: Vec<&str> = attr.sub_attributes.iter().map(|a| a.name).collect();
                    return Err(ScimError::InvalidValue(format!(
                        "'{shown}' has no sub-attribute '{k}'; its sub-attributes are {}",
                        subs.join(", ")
                    )));
                };
                if sa.mutability == Mutability::ReadOnly {
                    continue;
                }
                let x = if x.is_null() {
                    Value::Null
                } else {
                    coerce(sa, &format!("{shown}.{}", sa.name), x)?
                };
                out.insert(sa.name.to_string(), x);
            }
            Ok(Value::Object(out))
        }
        AttrType::String | AttrType::Reference | AttrType::Binary => match v {
            Value::String(s) => {
                controls::check_text(attr, shown, s)?;
                Ok(v.clone())
            }
            Value::Number(n) => Ok(Value::String(n.to_string())),
            _ => wrong("a string"),
        },
        AttrType::Boolean => match v {
            Value::Bool(_) => Ok(v.clone()),
            Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => wrong("true or false"),
        },
        AttrType::Integer => match v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v.clone()),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Ok(Value::from(i)),
                Err(_) => wrong("an integer"),
            },
            _ => wrong("an integer"),
        },
        AttrType::Decimal => match v {
            Value::Number(_) => Ok(v.clone()),
            Value::String(s) => match s
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
            {
                Some(n) => Ok(Value::Number(n)),
                None => wrong("a decimal number"),
            },
            _ => wrong("a decimal number"),
        },
        AttrType::DateTime => match v {
            Value::String(s) if OffsetDateTime::parse(s, &Rfc3339).is_ok() => Ok(v.clone()),
            _ => wrong("an RFC 3339 date-time such as \"2024-05-01T12:00:00Z\""),
        },
    }
}

/// Drop null members of an element object.
fn strip_nulls(v: Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(o.into_iter().filter(|(_, x)| !x.is_null()).collect()),
        other => other,
    }
}

/// The elements of a multi-valued value (a single value counts as one), coerced; nulls and
/// empty objects dropped.
fn coerce_elements(attr: &Attribute, shown: &str, v: &Value) -> Result<Vec<Value>, ScimError> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        if item.is_null() {
            continue;
        }
        let e = strip_nulls(coerce(attr, shown, item)?);
        if e.as_object().is_some_and(Map::is_empty) {
            continue;
        }
        out.push(e);
    }
    Ok(out)
}

fn is_primary(e: &Value) -> bool {
    e.get("primary") == Some(&Value::Bool(true))
}

/// Set `primary` false on every element but `keep`.
fn clear_primary(items: &mut [Value], keep: usize) {
    for (i, e) in items.iter_mut().enumerate() {
        if i != keep
            && is_primary(e)
            && let Some(o) = e.as_object_mut()
        {
            o.insert("primary".into(), Value::Bool(false));
        }
    }
}

/// Append each element of `new` that is not already in `items` (as it stands when that element
/// comes); a primary element makes every other one non-primary. Linear: elements are looked up
/// by key, and each element loses its primary flag at most once.
fn append_new(items: &mut Vec<Value>, new: Vec<Value>) {
    // How many elements of `items` have each key (elements may repeat in a stored document).
    let mut present: HashMap<String, usize> = HashMap::with_capacity(items.len() + new.len());
    for e in items.iter() {
        *present.entry(element_key(e)).or_default() += 1;
    }
    let mut primaries: Vec<usize> = (0..items.len())
        .filter(|&i| is_primary(&items[i]))
        .collect();
    for e in new {
        let key = element_key(&e);
        if present.contains_key(&key) {
            continue;
        }
        let primary = is_primary(&e);
        present.insert(key, 1);
        items.push(e);
        if primary {
            for i in primaries.drain(..) {
                let old = element_key(&items[i]);
                if let Some(n) = present.get_mut(&old) {
                    *n -= 1;
                    if *n == 0 {
                        present.remove(&old);
                    }
                }
                if let Some(o) = items[i].as_object_mut() {
                    o.insert("primary".into(), Value::Bool(false));
                }
                *present.entry(element_key(&items[i])).or_default() += 1;
            }
            primaries.push(items.len() - 1);
        }
    }
}

/// Equal values for an immutability check: JSON-equal, or equal ignoring case for a string
/// attribute that is not caseExact.
fn same_value(attr: &Attribute, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(x), Value::String(y)) if !attr.case_exact => crate::fold::same(x, y),
        _ => a == b,
    }
}

fn immutable_error(shown: &str) -> ScimError {
    ScimError::Mutability(format!(
        "{shown} cannot be modified once provisioned; send the value it already has, or leave it out"
    ))
}

// ---------------------------------------------------------------------------------------------
// Document access

/// The object holding the attribute: the document, or `doc[urn]` for an extension (created,
/// and its URN added to `schemas`, when `create`).
fn container<'d>(
    work: &'d mut Value,
    ext: Option<&str>,
    create: bool,
) -> Option<&'d mut Map<String, Value>> {
    let root = work.as_object_mut()?;
    let Some(urn) = ext else {
        return Some(root);
    };
    if create {
        if let Some(Value::Array(schemas)) = root.get_mut("schemas")
            && !schemas
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
        {
            schemas.push(Value::String(urn.to_string()));
        }
        let slot = root
            .entry(urn.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
    }
    root.get_mut(urn)?.as_object_mut()
}

/// After a removal: drop an extension object that became empty, and its URN from `schemas`.
fn tidy_extension(work: &mut Value, ext: Option<&str>) {
    let (Some(urn), Some(root)) = (ext, work.as_object_mut()) else {
        return;
    };
    if root
        .get(urn)
        .is_some_and(|v| v.as_object().is_some_and(Map::is_empty))
    {
        root.remove(urn);
        if let Some(Value::Array(schemas)) = root.get_mut("schemas") {
            schemas.retain(|s| !s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)));
        }
    }
}

fn internal() -> ScimError {
    ScimError::InvalidValue("the stored resource is not a JSON object and cannot be patched".into())
}

/// The `eq` conditions of a value filter (through `and`), as an element: Entra's
/// `emails[type eq "work"].value` creates `{"type": "work", "value": …}`.
fn eq_conditions(f: &Filter, out: &mut Map<String, Value>) {
    match f {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } if !value.is_null() && path.sub.is_none() => {
            out.insert(path.name.clone(), value.clone());
        }
        Filter::And(a, b) => {
            eq_conditions(a, out);
            eq_conditions(b, out);
        }
        _ => {}
    }
}

/// add / replace with a non-null value.
fn set(work: &mut Value, kind: OpKind, t: &Target<'_, '_>, value: &Value) -> Result<(), ScimError> {
    let attr = t.attr;
    let name = attr.name;
    // An empty string is unassigned (RFC 7643 §2.5), as normalize reads it: setting one is
    // removing the attribute, with the checks removal has (required, immutable).
    if t.filter.is_none()
        && t.sub.is_none()
        && !attr.multi_valued
        && attr.ty != AttrType::Complex
        && value.as_str() == Some("")
    {
        return remove(work, t, None);
    }
    let obj = container(work, t.ext, true).ok_or_else(internal)?;

    // attr[filter] and attr[filter].sub
    if let Some(filter) = t.filter {
        let new = match t.sub {
            Some(sa) => coerce(sa, &t.shown, value)?,
            None => {
                let mut e = coerce_elements(attr, name, value)?;
                if e.len() != 1 {
                    return Err(ScimError::InvalidValue(format!(
                        "a path with a value filter names elements of '{name}'; its value must be one element object, got {value}"
                    )));
                }
                e.remove(0)
            }
        };
        let mut items = match obj.remove(name) {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => vec![],
            Some(other) => vec![other],
        };
        let matched: Vec<usize> = (0..items.len())
            .filter(|&i| matches_element(filter, &items[i], attr))
            .collect();
        let mut primary_at = None;
        if matched.is_empty() {
            if kind == OpKind::Replace && t.sub.is_none() {
                if !items.is_empty() {
                    obj.insert(name.to_string(), Value::Array(items));
                }
                return Err(ScimError::NoTarget(format!(
                    "no element of '{name}' matches the path's filter, so there is nothing to replace; use \"add\" to create one"
                )));
            }
            let mut created = Map::new();
            eq_conditions(filter, &mut created);
            match (t.sub, new) {
                (Some(sa), v) => {
                    created.insert(sa.name.to_string(), v);
                }
                (None, Value::Object(o)) => created.extend(o),
                (None, _) => {}
            }
            // The filter's literals become values: they get the checks any value gets (a
            // literal may spell a control character as a JSON escape, "\b").
            let created = coerce(attr, name, &Value::Object(created))?;
            if !matches_element(filter, &created, attr) {
                if !items.is_empty() {
                    obj.insert(name.to_string(), Value::Array(items));
                }
                return Err(ScimError::NoTarget(format!(
                    "no element of '{name}' matches the path's filter, and none can be created from it; only eq conditions joined by and can create one"
                )));
            }
            if is_primary(&created) {
                primary_at = Some(items.len());
            }
            items.push(created);
            check_held(name, items.len())?;
        } else {
            for &i in &matched {
                match (t.sub, kind) {
                    (Some(sa), _) => {
                        if let Some(o) = items[i].as_object_mut() {
                            o.insert(sa.name.to_string(), new.clone());
                        } else {
                            items[i] = json!({ sa.name: new.clone() });
                        }
                    }
                    (None, OpKind::Replace) => items[i] = new.clone(),
                    (None, _) => {
                        if let (Some(o), Value::Object(n)) = (items[i].as_object_mut(), &new) {
                            o.extend(n.clone());
                        } else {
                            items[i] = new.clone();
                        }
                    }
                }
                if is_primary(&items[i]) {
                    primary_at = Some(i);
                }
            }
        }
        if let Some(p) = primary_at {
            clear_primary(&mut items, p);
        }
        obj.insert(name.to_string(), Value::Array(items));
        return Ok(());
    }

    // attr.sub
    if let Some(sa) = t.sub {
        let v = coerce(sa, &t.shown, value)?;
        match obj.get_mut(name) {
            Some(Value::Array(items)) if attr.multi_valued && !items.is_empty() => {
                if is_primary(&json!({ sa.name: &v })) && items.len() > 1 {
                    return Err(ScimError::InvalidValue(format!(
                        "'{}' set to true would make all {} elements of '{name}' primary; at most one may be: name it with a filter, e.g. \"{name}[value eq \\\"…\\\"].primary\"",
                        t.shown,
                        items.len()
                    )));
                }
                for e in items.iter_mut() {
                    if let Some(o) = e.as_object_mut() {
                        o.insert(sa.name.to_string(), v.clone());
                    }
                }
            }
            Some(Value::Object(o)) if !attr.multi_valued => {
                if sa.mutability == Mutability::Immutable
                    && let Some(old) = o.get(sa.name).filter(|x| !x.is_null())
                {
                    if same_value(sa, old, &v) {
                        return Ok(());
                    }
                    return Err(immutable_error(&t.shown));
                }
                o.insert(sa.name.to_string(), v);
            }
            _ => {
                let e = json!({ sa.name: v });
                let new = if attr.multi_valued { json!([e]) } else { e };
                obj.insert(name.to_string(), new);
            }
        }
        return Ok(());
    }

    // the whole attribute
    if attr.multi_valued {
        check_count(name, count_of(value), MAX_VALUES_PER_ATTRIBUTE)?;
        let new = coerce_elements(attr, name, value)?;
        if kind == OpKind::Replace {
            if new.iter().filter(|e| is_primary(e)).count() > 1 {
                return Err(ScimError::InvalidValue(format!(
                    "at most one element of '{name}' may have \"primary\": true"
                )));
            }
            if new.is_empty() {
                obj.remove(name);
            } else {
                obj.insert(name.to_string(), Value::Array(new));
            }
            return Ok(());
        }
        let mut items = match obj.remove(name) {
            Some(Value::Array(a)) => a,
            Some(Value::Null) | None => vec![],
            Some(other) => vec![other],
        };
        append_new(&mut items, new);
        check_held(name, items.len())?;
        if !items.is_empty() {
            obj.insert(name.to_string(), Value::Array(items));
        }
        return Ok(());
    }

    let v = coerce(attr, name, value)?;
    if attr.ty == AttrType::Complex {
        // RFC 7644 §3.5.2.1/.3: sub-attributes given replace those present, others stay.
        let Value::Object(new) = v else {
            return Err(internal());
        };
        let slot = obj
            .entry(name.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        if let Some(o) = slot.as_object_mut() {
            for (k, x) in new {
                if x.is_null() {
                    o.remove(&k);
                } else {
                    o.insert(k, x);
                }
            }
            if o.is_empty() {
                obj.remove(name);
            }
        }
        return Ok(());
    }
    if attr.mutability == Mutability::Immutable
        && let Some(old) = obj.get(name).filter(|x| !x.is_null())
    {
        if same_value(attr, old, &v) {
            return Ok(());
        }
        return Err(immutable_error(name));
    }
    obj.insert(name.to_string(), v);
    Ok(())
}

/// remove (or add/replace with null). `value` is Entra's list of elements to remove.
fn remove(work: &mut Value, t: &Target<'_, '_>, value: Option<&Value>) -> Result<(), ScimError> {
    let attr = t.attr;
    let name = attr.name;
    let required = || ScimError::InvalidValue(format!("{name} is required and cannot be removed"));
    let Some(obj) = container(work, t.ext, false) else {
        return Ok(());
    };
    let Some(current) = obj.get_mut(name) else {
        return Ok(());
    };
    if attr.mutability == Mutability::Immutable
        && t.sub.is_none()
        && t.filter.is_none()
        && !current.is_null()
    {
        return Err(immutable_error(name));
    }
    match (t.filter, t.sub) {
        (None, None) => {
            if let (Some(list), true) = (value, attr.multi_valued) {
                let targets: Vec<&Value> = match list {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                let value_sub = attr.sub("value");
                let key_of = |v: &Value| -> Value {
                    match (value_sub, v) {
                        (Some(sa), Value::Object(o)) => {
                            get_ci(o, sa.name).cloned().unwrap_or(Value::Null)
                        }
                        _ => v.clone(),
                    }
                };
                check_count(name, targets.len(), MAX_VALUES_PER_ATTRIBUTE)?;
                let cmp_attr = value_sub.unwrap_or(attr);
                // `same_value` as a key: case folded for a string that is not caseExact.
                let keys: HashSet<String> = targets
                    .into_iter()
                    .map(key_of)
                    .filter(|k| !k.is_null())
                    .map(|k| element_key_folded(&k, cmp_attr.case_exact))
                    .collect();
                if let Value::Array(items) = current {
                    items.retain(|e| {
                        !keys.contains(&element_key_folded(&key_of(e), cmp_attr.case_exact))
                    });
                }
            } else {
                if attr.required {
                    return Err(required());
                }
                *current = Value::Null;
            }
        }
        (None, Some(sa)) => match current {
            Value::Array(items) => {
                for e in items.iter_mut() {
                    if let Some(o) = e.as_object_mut() {
                        o.remove(sa.name);
                    }
                }
            }
            Value::Object(o) => {
                o.remove(sa.name);
            }
            _ => {}
        },
        (Some(filter), sub) => {
            if let Value::Array(items) = current {
                match sub {
                    None => items.retain(|e| !matches_element(filter, e, attr)),
                    Some(sa) => {
                        for e in items.iter_mut() {
                            if matches_element(filter, e, attr)
                                && let Some(o) = e.as_object_mut()
                            {
                                o.remove(sa.name);
                            }
                        }
                    }
                }
            } else if current.is_object() && matches_element(filter, current, attr) {
                match sub {
                    None => *current = Value::Null,
                    Some(sa) => {
                        if let Some(o) = current.as_object_mut() {
                            o.remove(sa.name);
                        }
                    }
                }
            }
        }
    }
    // Drop what became empty: empty elements, an empty array or object, the attribute itself.
    if let Value::Array(items) = current {
        items.retain(|e| !e.is_null() && !e.as_object().is_some_and(Map::is_empty));
    }
    let now_empty = match &*current {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    if now_empty {
        if attr.required {
            return Err(required());
        }
        obj.remove(name);
    }
    tidy_extension(work, t.ext);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::fixtures::{ENTERPRISE_URN, USER_URN, group, user, user_with};

    const GID: &str = "e9e30dba-f08f-4109-8486-d5c6a331660a";

    fn user_doc() -> Value {
        json!({
            "schemas": [USER_URN],
            "id": "u-1",
            "userName": "bjensen@example.com",
            "displayName": "Babs",
            "active": true,
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}],
            "meta": {"created": "2024-01-10T08:00:00Z"}
        })
    }

    fn group_doc() -> Value {
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": GID, "displayName": "Admins"})
    }

    fn body(ops: Value) -> Value {
        json!({"schemas": [PATCH_OP_URN], "Operations": ops})
    }

    /// Parse and apply against a User; the patched doc or the error.
    fn patch_user(rt: &ResourceType, doc: &Value, ops: Value) -> Result<Value, ScimError> {
        let req = PatchRequest::parse(&body(ops), rt)?;
        let mut d = doc.clone();
        apply(&mut d, &req, rt, &[])?;
        Ok(d)
    }

    fn ok(ops: Value) -> Value {
        patch_user(&user(), &user_doc(), ops).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn err(ops: Value) -> ScimError {
        match patch_user(&user(), &user_doc(), ops) {
            Err(e) => e,
            Ok(d) => panic!("expected an error, got {d}"),
        }
    }

    fn patch_group(ops: Value) -> Result<(Value, Vec<ExternalChange>), ScimError> {
        let rt = group();
        let req = PatchRequest::parse(&body(ops), &rt)?;
        let mut d = group_doc();
        let changes = apply(&mut d, &req, &rt, &["members"])?;
        Ok((d, changes))
    }

    // --- parse ------------------------------------------------------------------------------

    #[test]
    fn parse_shapes() {
        let rt = user();
        let req = PatchRequest::parse(
            &json!({"operations": [{"OP": "Replace", "Path": "Name.GivenName", "Value": "B"}]}),
            &rt,
        )
        .unwrap();
        assert_eq!(
            req.operations,
            vec![PatchOp {
                op: OpKind::Replace,
                path: Some(PatchPath {
                    attr: AttrPath::new("name", None),
                    filter: None,
                    sub: Some("givenName".into())
                }),
                value: Some(json!("B")),
            }]
        );
        let req = PatchRequest::parse(
            &body(json!([{"op": "add", "path": "EMAILS[TYPE eq \"work\"].VALUE", "value": "x"}])),
            &rt,
        )
        .unwrap();
        let path = req.operations[0].path.clone().unwrap();
        assert_eq!(path.attr, AttrPath::new("emails", None));
        assert_eq!(path.sub.as_deref(), Some("value"));
        assert_eq!(
            path.filter,
            Some(Filter::Compare {
                path: AttrPath::new("type", None),
                op: CompareOp::Eq,
                value: json!("work")
            })
        );
        let req = PatchRequest::parse(
            &body(json!([{"op": "remove", "path": format!("{ENTERPRISE_URN}:manager")}])),
            &rt,
        )
        .unwrap();
        let path = req.operations[0].path.clone().unwrap();
        assert_eq!(path.attr.urn.as_deref(), Some(ENTERPRISE_URN));
        assert_eq!(path.attr.name, "manager");
    }

    #[test]
    fn parse_errors() {
        let rt = user();
        let p = |b: Value| PatchRequest::parse(&b, &rt);
        assert!(
            matches!(p(json!([])), Err(ScimError::InvalidSyntax(d)) if d.contains("Operations"))
        );
        assert!(
            matches!(p(json!({"schemas": [PATCH_OP_URN]})), Err(ScimError::InvalidSyntax(d)) if d.contains("missing"))
        );
        assert!(matches!(
            p(json!({"Operations": {}})),
            Err(ScimError::InvalidSyntax(_))
        ));
        assert!(matches!(
            p(json!({"schemas": ["urn:x"], "Operations": []})),
            Err(ScimError::InvalidSyntax(_))
        ));
        // schemas absent: lenient
        assert!(p(json!({"Operations": []})).is_ok());
        assert!(
            matches!(p(body(json!([{"op": "merge", "path": "a", "value": 1}]))), Err(ScimError::InvalidSyntax(d)) if d.contains("merge"))
        );
        assert!(
            matches!(p(body(json!([{"op": "add", "path": "nickName"}]))), Err(ScimError::InvalidSyntax(d)) if d.contains("value"))
        );
        assert!(matches!(
            p(body(json!([{"op": "replace"}]))),
            Err(ScimError::InvalidSyntax(_))
        ));
        assert!(matches!(
            p(body(json!([{"op": "remove"}]))),
            Err(ScimError::NoTarget(_))
        ));
        assert!(
            matches!(p(body(json!([{"op": "remove", "path": "foo"}]))), Err(ScimError::InvalidPath(d)) if d.contains("unknown attribute 'foo'"))
        );
        assert!(
            matches!(p(body(json!([{"op": "remove", "path": "name.middle"}]))), Err(ScimError::InvalidPath(d)) if d.contains("middle"))
        );
        assert!(matches!(
            p(body(
                json!([{"op": "remove", "path": "emails[foo eq \"x\"]"}])
            )),
            Err(ScimError::InvalidPath(_))
        ));
        assert!(matches!(
            p(body(json!([{"op": "remove", "path": "emails[type eq"}]))),
            Err(ScimError::InvalidPath(_))
        ));
        assert!(matches!(
            p(body(json!([{"op": "remove", "path": 7}]))),
            Err(ScimError::InvalidPath(_))
        ));
    }

    #[test]
    fn non_ascii_paths_are_errors_not_panics() {
        for path in [
            "urn:ietf:params:scim:schemas:core:2.0:Us\u{e9}r:userName",
            "é",
            "emails[tÿpe eq \"x\"]",
        ] {
            assert!(
                patch_user(
                    &user(),
                    &user_doc(),
                    json!([{"op": "remove", "path": path}])
                )
                .is_err()
            );
            assert!(
                patch_user(
                    &user(),
                    &user_doc(),
                    json!([{"op": "add", "value": {path: "x"}}])
                )
                .is_err()
            );
        }
    }

    // --- add / replace with a path ----------------------------------------------------------

    #[test]
    fn add_simple_and_complex() {
        let d = ok(json!([
            {"op": "add", "path": "nickName", "value": "Babs"},
            {"op": "add", "path": "name", "value": {"formatted": "Ms. Barbara J Jensen"}},
            {"op": "add", "path": "NAME.givenname", "value": "Barb"}
        ]));
        assert_eq!(d["nickName"], "Babs");
        assert_eq!(
            d["name"],
            json!({"givenName": "Barb", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen"})
        );
    }

    #[test]
    fn add_multi_valued_appends_dedupes_and_moves_primary() {
        let d = ok(json!([{"op": "add", "path": "emails", "value": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@home.org", "type": "home", "primary": "True"}
        ]}]));
        assert_eq!(
            d["emails"],
            json!([
                {"value": "bjensen@example.com", "type": "work", "primary": false},
                {"value": "babs@home.org", "type": "home", "primary": true}
            ])
        );
        // a single object is one element
        let d = ok(
            json!([{"op": "add", "path": "phoneNumbers", "value": {"value": "555", "type": "work"}}]),
        );
        assert_eq!(d["phoneNumbers"], json!([{"value": "555", "type": "work"}]));
    }

    #[test]
    fn replace_multi_valued_whole() {
        let d = ok(
            json!([{"op": "replace", "path": "emails", "value": [{"value": "new@x.org", "type": "work"}]}]),
        );
        assert_eq!(d["emails"], json!([{"value": "new@x.org", "type": "work"}]));
        let e = err(json!([{"op": "replace", "path": "emails", "value": [
            {"value": "a", "primary": true}, {"value": "b", "primary": true}]}]));
        assert!(matches!(e, ScimError::InvalidValue(d) if d.contains("primary")));
    }

    #[test]
    fn replace_complex_merges() {
        let d = ok(json!([{"op": "replace", "path": "name", "value": {"familyName": "Smith"}}]));
        assert_eq!(
            d["name"],
            json!({"givenName": "Barbara", "familyName": "Smith"})
        );
    }

    #[test]
    fn value_filter_paths() {
        // replace the matched element's sub-attribute
        let d = ok(
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.org"}]),
        );
        assert_eq!(
            d["emails"],
            json!([{"value": "b@x.org", "type": "work", "primary": true}])
        );
        // replace the matched element whole
        let d = ok(
            json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "c@x.org", "type": "work"}}]),
        );
        assert_eq!(d["emails"], json!([{"value": "c@x.org", "type": "work"}]));
        // no match, no sub: noTarget
        let e = err(
            json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "c@x.org"}}]),
        );
        assert!(matches!(e, ScimError::NoTarget(_)));
        // setting primary on one clears the others
        let d = ok(json!([
            {"op": "add", "path": "emails", "value": {"value": "h@x.org", "type": "home"}},
            {"op": "replace", "path": "emails[type eq \"home\"].primary", "value": "True"}
        ]));
        assert_eq!(d["emails"][0]["primary"], false);
        assert_eq!(d["emails"][1]["primary"], true);
    }

    #[test]
    fn entra_value_path_creates_the_element() {
        let d = ok(json!([
            {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
            {"op": "Replace", "path": "emails[type eq \"home\"].value", "value": "h@x.org"},
            {"op": "Add", "path": "roles[type eq \"app\" and display eq \"Admin\"]", "value": {"value": "admin"}}
        ]));
        assert_eq!(
            d["phoneNumbers"],
            json!([{"type": "mobile", "value": "+1 555"}])
        );
        assert_eq!(d["emails"][1], json!({"type": "home", "value": "h@x.org"}));
        assert_eq!(
            d["roles"],
            json!([{"type": "app", "display": "Admin", "value": "admin"}])
        );
        // a filter that cannot describe a new element
        let e = err(
            json!([{"op": "add", "path": "emails[type eq \"home\" or type eq \"other\"].value", "value": "x"}]),
        );
        assert!(matches!(e, ScimError::NoTarget(_)));
    }

    #[test]
    fn extension_attributes_go_under_the_urn_and_into_schemas() {
        let d = ok(json!([
            {"op": "add", "path": format!("{ENTERPRISE_URN}:employeeNumber"), "value": 701984},
            {"op": "replace", "path": format!("{ENTERPRISE_URN}:manager"), "value": "boss-id"}
        ]));
        assert_eq!(d[ENTERPRISE_URN]["employeeNumber"], "701984");
        assert_eq!(d[ENTERPRISE_URN]["manager"], json!({"value": "boss-id"}));
        assert_eq!(d["schemas"], json!([USER_URN, ENTERPRISE_URN]));
        // removing the last one drops the object and the schema
        let rt = user();
        let d2 = patch_user(
            &rt,
            &d,
            json!([
                {"op": "remove", "path": format!("{ENTERPRISE_URN}:employeeNumber")},
                {"op": "remove", "path": format!("{ENTERPRISE_URN}:manager")}
            ]),
        )
        .unwrap();
        assert!(d2.get(ENTERPRISE_URN).is_none());
        assert_eq!(d2["schemas"], json!([USER_URN]));
        // a path that is the extension URN itself
        let d = ok(json!([{"op": "add", "path": ENTERPRISE_URN, "value": {"department": "R&D"}}]));
        assert_eq!(d[ENTERPRISE_URN]["department"], "R&D");
        // manager as a list of one, and read-only displayName dropped
        let d = ok(
            json!([{"op": "replace", "path": format!("{ENTERPRISE_URN}:manager"),
                           "value": [{"value": "m2", "displayName": "Boss"}]}]),
        );
        assert_eq!(d[ENTERPRISE_URN]["manager"], json!({"value": "m2"}));
    }

    #[test]
    fn a_bare_string_is_not_an_element_of_a_multi_valued_attribute() {
        // POST and PUT refuse `emails: "x"`; PATCH must not store it as `[{"value": "x"}]`.
        for value in [json!("x@example.com"), json!(["x@example.com"])] {
            let e = err(json!([{"op": "replace", "path": "emails", "value": value}]));
            assert!(matches!(e, ScimError::InvalidValue(_)), "{e:?}");
        }
    }

    // --- no-path add / replace --------------------------------------------------------------

    #[test]
    fn okta_deactivation_and_reactivation() {
        let d = ok(json!([{"op": "replace", "value": {"active": false}}]));
        assert_eq!(d["active"], false);
        let d = ok(json!([{"op": "replace", "value": {"active": true}}]));
        assert_eq!(d["active"], true);
    }

    #[test]
    fn okta_group_rename_carries_its_id() {
        let (d, changes) =
            patch_group(json!([{"op": "replace", "value": {"id": GID, "displayName": "Ops"}}]))
                .unwrap();
        assert_eq!(d["displayName"], "Ops");
        assert!(changes.is_empty());
        let e =
            patch_group(json!([{"op": "replace", "value": {"id": "other", "displayName": "Ops"}}]))
                .unwrap_err();
        assert!(matches!(e, ScimError::Mutability(d) if d.contains("id")));
        // meta and schemas are ignored
        let (d, _) = patch_group(json!([{"op": "replace", "value": {"schemas": ["x"], "meta": {"created": "04-12-2018 00:00:00"}, "displayName": "Ops"}}])).unwrap();
        assert_eq!(d["schemas"], group_doc()["schemas"]);
        assert!(d.get("meta").is_none());
    }

    #[test]
    fn entra_flattened_keys_and_string_booleans() {
        let d = ok(json!([{"op": "Replace", "value": {
            "name.givenName": "Barb",
            "NAME.familyName": "J",
            format!("{ENTERPRISE_URN}:employeeNumber"): "42",
            format!("{ENTERPRISE_URN}:manager.value"): "boss",
            ENTERPRISE_URN: {"department": "Sales"},
            format!("{USER_URN}:displayName"): "Barbara",
            "active": "False",
            "emails[type eq \"home\"].value": "h@x.org"
        }}]));
        assert_eq!(d["name"], json!({"givenName": "Barb", "familyName": "J"}));
        assert_eq!(
            d[ENTERPRISE_URN],
            json!({"employeeNumber": "42", "manager": {"value": "boss"}, "department": "Sales"})
        );
        assert_eq!(d["displayName"], "Barbara");
        assert_eq!(d["active"], false);
        assert_eq!(d["emails"][1], json!({"type": "home", "value": "h@x.org"}));
        let e = err(json!([{"op": "replace", "value": {"active": "nope"}}]));
        assert!(matches!(e, ScimError::InvalidValue(d) if d.contains("active")));
    }

    #[test]
    fn no_path_add_appends_and_replace_replaces() {
        let more = json!({"emails": [{"value": "h@x.org", "type": "home"}]});
        let d = ok(json!([{"op": "add", "value": more}]));
        assert_eq!(d["emails"].as_array().map(Vec::len), Some(2));
        let d = ok(json!([{"op": "replace", "value": more}]));
        assert_eq!(d["emails"], json!([{"value": "h@x.org", "type": "home"}]));
        let e = err(json!([{"op": "add", "value": "x"}]));
        assert!(matches!(e, ScimError::InvalidValue(_)));
        let e = err(json!([{"op": "add", "value": {"bogus": 1}}]));
        assert!(matches!(e, ScimError::InvalidValue(d) if d.contains("bogus")));
    }

    // --- remove -----------------------------------------------------------------------------

    #[test]
    fn remove_targets() {
        let d = ok(json!([{"op": "remove", "path": "name.givenName"}]));
        assert_eq!(d["name"], json!({"familyName": "Jensen"}));
        let d =
            ok(json!([{"op": "remove", "path": "name"}, {"op": "remove", "path": "displayName"}]));
        assert!(d.get("name").is_none() && d.get("displayName").is_none());
        let d = ok(json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]));
        assert!(d.get("emails").is_none());
        let d = ok(json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
        assert_eq!(
            d["emails"],
            json!([{"value": "bjensen@example.com", "type": "work"}])
        );
        // a filter matching nothing is a success that changes nothing
        let d = ok(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]));
        assert_eq!(d, user_doc());
        // removing something absent is fine
        let d = ok(json!([{"op": "remove", "path": "nickName"}]));
        assert_eq!(d, user_doc());
    }

    #[test]
    fn remove_with_value_list_removes_only_those() {
        let rt = user();
        let doc = ok(
            json!([{"op": "add", "path": "emails", "value": [{"value": "a@x"}, {"value": "b@x"}]}]),
        );
        let d = patch_user(
            &rt,
            &doc,
            json!([{"op": "Remove", "path": "emails", "value": [{"value": "A@X"}]}]),
        )
        .unwrap();
        let values: Vec<&Value> = d["emails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["value"])
            .collect();
        assert_eq!(values, vec!["bjensen@example.com", "b@x"]);
    }

    #[test]
    fn remove_required_or_read_only() {
        let e = err(json!([{"op": "remove", "path": "userName"}]));
        assert!(matches!(e, ScimError::InvalidValue(d) if d.contains("userName is required")));
        let e = err(json!([{"op": "replace", "path": "userName", "value": null}]));
        assert!(matches!(e, ScimError::InvalidValue(_)));
        let e = err(json!([{"op": "remove", "path": "id"}]));
        assert!(matches!(e, ScimError::Mutability(_)));
        let e = err(
            json!([{"op": "replace", "path": "meta.created", "value": "2024-01-01T00:00:00Z"}]),
        );
        assert!(matches!(e, ScimError::Mutability(_)));
        let e = err(json!([{"op": "add", "value": {"groups": [{"value": "g"}]}}]));
        assert!(matches!(e, ScimError::Mutability(d) if d.contains("groups")));
    }

    // --- immutability -----------------------------------------------------------------------

    #[test]
    fn immutable_user_name() {
        let rt = user_with(Mutability::Immutable);
        let e = patch_user(
            &rt,
            &user_doc(),
            json!([{"op": "replace", "path": "userName", "value": "other"}]),
        )
        .unwrap_err();
        assert!(
            matches!(e, ScimError::Mutability(d) if d.contains("userName cannot be modified once provisioned"))
        );
        let e = patch_user(
            &rt,
            &user_doc(),
            json!([{"op": "replace", "value": {"userName": "other"}}]),
        )
        .unwrap_err();
        assert!(matches!(e, ScimError::Mutability(_)));
        // the same value (case aside) is not a change; the stored case is kept
        let d = patch_user(&rt, &user_doc(), json!([{"op": "replace", "value": {"userName": "BJensen@example.com", "active": false}}])).unwrap();
        assert_eq!(d["userName"], "bjensen@example.com");
        assert_eq!(d["active"], false);
        // may be set when absent
        let mut doc = user_doc();
        doc.as_object_mut().unwrap().remove("userName");
        let d = patch_user(
            &rt,
            &doc,
            json!([{"op": "add", "path": "userName", "value": "n"}]),
        )
        .unwrap();
        assert_eq!(d["userName"], "n");
        // and with the ReadWrite profile it changes
        let d = ok(json!([{"op": "replace", "path": "userName", "value": "other"}]));
        assert_eq!(d["userName"], "other");
    }

    // --- types ------------------------------------------------------------------------------

    #[test]
    fn type_checks() {
        let e = err(json!([{"op": "replace", "path": "displayName", "value": {"a": 1}}]));
        assert!(matches!(e, ScimError::InvalidValue(d) if d.contains("displayName")));
        let e = err(json!([{"op": "replace", "path": "name", "value": "x"}]));
        assert!(matches!(e, ScimError::InvalidValue(d) if d.contains("name")));
        let e =
            err(json!([{"op": "add", "path": "emails", "value": [{"value": "a", "kind": "x"}]}]));
        assert!(matches!(e, ScimError::InvalidValue(d) if d.contains("kind")));
        let d = ok(
            json!([{"op": "add", "path": "urn:example:params:scim:schemas:extension:test:2.0:User:loginCount", "value": "7"}]),
        );
        assert_eq!(
            d["urn:example:params:scim:schemas:extension:test:2.0:User"]["loginCount"],
            7
        );
        let e = err(
            json!([{"op": "add", "path": "urn:example:params:scim:schemas:extension:test:2.0:User:loginCount", "value": "seven"}]),
        );
        assert!(matches!(e, ScimError::InvalidValue(_)));
        let d = ok(
            json!([{"op": "add", "path": "emails", "value": [{"value": "a", "primary": "False"}]}]),
        );
        assert_eq!(d["emails"][1]["primary"], false);
    }

    // --- atomicity --------------------------------------------------------------------------

    #[test]
    fn a_failing_operation_changes_nothing() {
        let rt = user();
        let req = PatchRequest::parse(
            &body(json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "add", "path": "emails", "value": [{"value": "x", "primary": true}]},
                {"op": "replace", "path": "active", "value": "maybe"}
            ])),
            &rt,
        )
        .unwrap();
        let mut d = user_doc();
        let e = apply(&mut d, &req, &rt, &[]).unwrap_err();
        assert!(matches!(&e, ScimError::InvalidValue(d) if d.contains("Operations[2]")));
        assert_eq!(d, user_doc());
        // the group: no external change escapes either
        let e = patch_group(json!([
            {"op": "add", "path": "members", "value": [{"value": "u1"}]},
            {"op": "replace", "path": "displayName", "value": {"x": 1}}
        ]));
        assert!(e.is_err());
    }

    // --- external members -------------------------------------------------------------------

    #[test]
    fn members_become_external_changes() {
        let (d, changes) = patch_group(json!([
            {"op": "add", "path": "members", "value": [{"value": "u1", "display": "Babs", "$ref": null}, {"value": "u2", "displayName": "x", "type": "User"}]},
            {"op": "remove", "path": "members[value eq \"u3\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "u4"}]},
            {"op": "replace", "path": "members", "value": [{"value": "u5"}]},
            {"op": "remove", "path": "members"},
            {"op": "replace", "value": {"members": [{"value": "u6"}], "displayName": "Ops"}},
            {"op": "add", "value": {"members": [{"value": "u7"}]}}
        ]))
        .unwrap();
        assert_eq!(
            d,
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": GID, "displayName": "Ops"})
        );
        assert_eq!(
            changes,
            vec![
                ExternalChange::Add {
                    attr: "members",
                    values: vec![json!({"value": "u1"}), json!({"value": "u2"})]
                },
                ExternalChange::RemoveMatching {
                    attr: "members",
                    filter: Filter::Compare {
                        path: AttrPath::new("value", None),
                        op: CompareOp::Eq,
                        value: json!("u3")
                    }
                },
                ExternalChange::Remove {
                    attr: "members",
                    values: vec![json!({"value": "u4"})]
                },
                ExternalChange::Replace {
                    attr: "members",
                    values: vec![json!({"value": "u5"})]
                },
                ExternalChange::RemoveAll { attr: "members" },
                ExternalChange::Replace {
                    attr: "members",
                    values: vec![json!({"value": "u6"})]
                },
                ExternalChange::Add {
                    attr: "members",
                    values: vec![json!({"value": "u7"})]
                },
            ]
        );
    }

    #[test]
    fn entra_member_removal_with_a_value_list_never_removes_all() {
        let (_, changes) = patch_group(json!([{"op": "Remove", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]}])).unwrap();
        assert_eq!(
            changes,
            vec![ExternalChange::Remove {
                attr: "members",
                values: vec![json!({"value": "u1"}), json!({"value": "u2"})]
            }]
        );
        let (_, changes) =
            patch_group(json!([{"op": "Remove", "path": "members", "value": []}])).unwrap();
        assert!(changes.is_empty());
    }

    #[test]
    fn bad_member_elements() {
        for bad in [
            json!(["u1"]),
            json!([{"value": 5}]),
            json!([{"display": "x"}]),
            json!("u1"),
        ] {
            let e =
                patch_group(json!([{"op": "add", "path": "members", "value": bad}])).unwrap_err();
            assert!(
                matches!(&e, ScimError::InvalidValue(d) if d.contains("\"value\"")),
                "{e:?}"
            );
        }
        let e = patch_group(
            json!([{"op": "replace", "path": "members[value eq \"u1\"].display", "value": "x"}]),
        )
        .unwrap_err();
        assert!(matches!(e, ScimError::InvalidPath(_)));
    }

    #[test]
    fn members_in_the_document_when_not_external() {
        let rt = group();
        let req = PatchRequest::parse(
            &body(json!([
                {"op": "add", "path": "members", "value": [{"value": "u1"}, {"value": "u2"}]},
                {"op": "remove", "path": "members[value eq \"u1\"]"}
            ])),
            &rt,
        )
        .unwrap();
        let mut d = group_doc();
        let changes = apply(&mut d, &req, &rt, &[]).unwrap();
        assert!(changes.is_empty());
        assert_eq!(d["members"], json!([{"value": "u2"}]));
    }
}
