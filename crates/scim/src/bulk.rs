//! Bulk requests (RFC 7644 §3.7): parsing, `bulkId` references, and the response document.
//! Executing the operations is the directory's business.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value, json};

use crate::error::ScimError;

pub const BULK_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
pub const BULK_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

/// The prefix that makes a value a reference to a resource created earlier in the request.
const BULK_ID_PREFIX: &str = "bulkId:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl BulkMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            BulkMethod::Post => "POST",
            BulkMethod::Put => "PUT",
            BulkMethod::Patch => "PATCH",
            BulkMethod::Delete => "DELETE",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkOperation {
    pub method: BulkMethod,
    pub bulk_id: Option<String>,
    /// An ETag the resource must still have (`If-Match` of this operation).
    pub version: Option<String>,
    pub path: String,
    pub data: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BulkRequest {
    /// Stop after this many errors (`failOnErrors`); `None`: carry on through all.
    pub fail_on_errors: Option<usize>,
    pub operations: Vec<BulkOperation>,
}

fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

impl BulkRequest {
    /// Parse a BulkRequest; more than `max_operations` operations is `PayloadTooLarge`, as
    /// RFC 7644 §3.7.4 says.
    pub fn parse(body: &Value, max_operations: usize) -> Result<BulkRequest, ScimError> {
        let shape = "a bulk request is {\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:BulkRequest\"], \"Operations\": [{\"method\": \"POST\", \"path\": \"/Users\", \"bulkId\": \"…\", \"data\": {…}}]}";
        let obj = body.as_object().ok_or_else(|| {
            ScimError::InvalidSyntax(format!("the body must be a JSON object: {shape}"))
        })?;
        let ops = get_ci(obj, "Operations")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ScimError::InvalidSyntax(format!(
                    "\"Operations\" is missing or not an array: {shape}"
                ))
            })?;
        if ops.len() > max_operations {
            return Err(ScimError::PayloadTooLarge(format!(
                "the bulk request has {} operations; this server accepts at most {max_operations} per request (see maxOperations in /ServiceProviderConfig)",
                ops.len()
            )));
        }
        let fail_on_errors = match get_ci(obj, "failOnErrors") {
            None | Some(Value::Null) => None,
            Some(v) => match v.as_u64() {
                Some(n) if n >= 1 => Some(usize::try_from(n).unwrap_or(usize::MAX)),
                _ => {
                    return Err(ScimError::InvalidValue(format!(
                        "failOnErrors must be a positive integer, got {v}"
                    )));
                }
            },
        };
        let operations = ops
            .iter()
            .enumerate()
            .map(|(i, op)| parse_operation(op).map_err(|e| prefix(i, e)))
            .collect::<Result<Vec<_>, _>>()?;
        refuse_duplicate_bulk_ids(&operations)?;
        Ok(BulkRequest {
            fail_on_errors,
            operations,
        })
    }
}

/// A `bulkId` names one resource for the references of later operations (RFC 7644 §3.7.2): two
/// operations with the same one make `bulkId:X` ambiguous, so the request is refused before
/// anything runs.
fn refuse_duplicate_bulk_ids(operations: &[BulkOperation]) -> Result<(), ScimError> {
    let mut seen: HashSet<&str> = HashSet::with_capacity(operations.len());
    for op in operations {
        let Some(id) = op.bulk_id.as_deref().filter(|id| !id.is_empty()) else {
            continue;
        };
        if seen.insert(id) {
            continue;
        }
        let uses: Vec<String> = operations
            .iter()
            .enumerate()
            .filter(|(_, o)| o.bulk_id.as_deref() == Some(id))
            .map(|(j, _)| format!("Operations[{j}]"))
            .collect();
        return Err(ScimError::InvalidValue(format!(
            "bulkId {id:?} is used by {}; each operation needs a bulkId of its own, so that \"bulkId:{id}\" names one resource",
            uses.join(", ")
        )));
    }
    Ok(())
}

fn prefix(i: usize, e: ScimError) -> ScimError {
    let d = format!("Operations[{i}]: {}", e.detail());
    match e {
        ScimError::InvalidValue(_) => ScimError::InvalidValue(d),
        _ => ScimError::InvalidSyntax(d),
    }
}

fn parse_operation(op: &Value) -> Result<BulkOperation, ScimError> {
    let obj = op
        .as_object()
        .ok_or_else(|| ScimError::InvalidSyntax("each operation must be an object".into()))?;
    let method = match get_ci(obj, "method")
        .and_then(Value::as_str)
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("POST") => BulkMethod::Post,
        Some("PUT") => BulkMethod::Put,
        Some("PATCH") => BulkMethod::Patch,
        Some("DELETE") => BulkMethod::Delete,
        other => {
            return Err(ScimError::InvalidSyntax(format!(
                "\"method\" must be POST, PUT, PATCH or DELETE, got {other:?}"
            )));
        }
    };
    let text = |key: &str| -> Result<Option<String>, ScimError> {
        match get_ci(obj, key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(ScimError::InvalidValue(format!(
                "\"{key}\" must be a string, got {v}"
            ))),
        }
    };
    let path = text("path")?.ok_or_else(|| {
        ScimError::InvalidSyntax("\"path\" is required, e.g. \"/Users\" or \"/Groups/{id}\"".into())
    })?;
    let bulk_id = text("bulkId")?;
    if method == BulkMethod::Post && bulk_id.as_deref().is_none_or(str::is_empty) {
        return Err(ScimError::InvalidValue(
            "a POST operation needs a \"bulkId\" (RFC 7644 §3.7)".into(),
        ));
    }
    let data = get_ci(obj, "data").filter(|d| !d.is_null()).cloned();
    if method != BulkMethod::Delete && data.is_none() {
        return Err(ScimError::InvalidSyntax(format!(
            "a {} operation needs \"data\"",
            method.as_str()
        )));
    }
    Ok(BulkOperation {
        method,
        bulk_id,
        version: text("version")?,
        path,
        data,
    })
}

/// The bulkIds an operation refers to, in its path and anywhere in its data.
pub fn references(op: &BulkOperation) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => {
                if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                    out.push(id.to_string());
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for seg in op.path.split('/') {
        if let Some(id) = seg.strip_prefix(BULK_ID_PREFIX) {
            out.push(id.to_string());
        }
    }
    if let Some(d) = &op.data {
        walk(d, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// Replace every `bulkId:X` (in the path and data) with the id `X` resolved to.
pub fn substitute(op: &mut BulkOperation, resolved: &HashMap<String, String>) {
    fn walk(v: &mut Value, resolved: &HashMap<String, String>) {
        match v {
            Value::String(s) => {
                if let Some(id) = s.strip_prefix(BULK_ID_PREFIX).and_then(|b| resolved.get(b)) {
                    *s = id.clone();
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, resolved)),
            Value::Object(o) => o.values_mut().for_each(|x| walk(x, resolved)),
            _ => {}
        }
    }
    op.path = op
        .path
        .split('/')
        .map(|seg| {
            match seg
                .strip_prefix(BULK_ID_PREFIX)
                .and_then(|b| resolved.get(b))
            {
                Some(id) => id.clone(),
                None => seg.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("/");
    if let Some(d) = &mut op.data {
        walk(d, resolved);
    }
}

/// The outcome of one operation, as the BulkResponse reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct BulkResult {
    pub method: BulkMethod,
    pub bulk_id: Option<String>,
    pub version: Option<String>,
    pub location: Option<String>,
    pub status: u16,
    /// The error body of a failed operation.
    pub response: Option<Value>,
}

pub fn bulk_response(results: &[BulkResult]) -> Value {
    let ops: Vec<Value> = results
        .iter()
        .map(|r| {
            let mut o = json!({ "method": r.method.as_str(), "status": r.status.to_string() });
            if let Some(b) = &r.bulk_id {
                o["bulkId"] = json!(b);
            }
            if let Some(v) = &r.version {
                o["version"] = json!(v);
            }
            if let Some(l) = &r.location {
                o["location"] = json!(l);
            }
            if let Some(resp) = &r.response {
                o["response"] = resp.clone();
            }
            o
        })
        .collect();
    json!({ "schemas": [BULK_RESPONSE_SCHEMA], "Operations": ops })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(ops: Value) -> Value {
        json!({ "schemas": [BULK_REQUEST_SCHEMA], "Operations": ops })
    }

    #[test]
    fn parses_operations_and_finds_references() {
        let r = BulkRequest::parse(
            &req(json!([
                { "method": "post", "path": "/Users", "bulkId": "u1", "data": { "userName": "a" } },
                { "method": "POST", "path": "/Groups", "bulkId": "g1", "data": { "displayName": "G", "members": [{ "value": "bulkId:u1" }] } },
                { "method": "DELETE", "path": "/Users/bulkId:u1", "version": "W/\"1\"" }
            ])),
            10,
        )
        .unwrap();
        assert_eq!(r.operations.len(), 3);
        assert_eq!(r.operations[0].method, BulkMethod::Post);
        assert_eq!(references(&r.operations[1]), vec!["u1"]);
        assert_eq!(references(&r.operations[2]), vec!["u1"]);
        let mut op = r.operations[1].clone();
        substitute(
            &mut op,
            &HashMap::from([("u1".to_string(), "ID1".to_string())]),
        );
        assert_eq!(op.data.unwrap()["members"][0]["value"], "ID1");
        let mut del = r.operations[2].clone();
        substitute(
            &mut del,
            &HashMap::from([("u1".to_string(), "ID1".to_string())]),
        );
        assert_eq!(del.path, "/Users/ID1");
    }

    #[test]
    fn refuses_bad_shapes_and_too_many_operations() {
        assert!(matches!(
            BulkRequest::parse(&json!([]), 10),
            Err(ScimError::InvalidSyntax(_))
        ));
        let one = json!({ "method": "DELETE", "path": "/Users/x" });
        let many = req(Value::Array(vec![one; 11]));
        assert!(matches!(
            BulkRequest::parse(&many, 10),
            Err(ScimError::PayloadTooLarge(_))
        ));
        let no_bulk_id = req(json!([{ "method": "POST", "path": "/Users", "data": {} }]));
        assert!(
            matches!(BulkRequest::parse(&no_bulk_id, 10), Err(ScimError::InvalidValue(d)) if d.contains("bulkId"))
        );
        let bad_method = req(json!([{ "method": "GET", "path": "/Users" }]));
        assert!(BulkRequest::parse(&bad_method, 10).is_err());
        let bad_fail = json!({ "failOnErrors": 0, "Operations": [] });
        assert!(BulkRequest::parse(&bad_fail, 10).is_err());
    }

    #[test]
    fn duplicate_bulk_ids_are_refused_naming_the_id_and_the_operations() {
        let post = |id: &str| json!({ "method": "POST", "path": "/Users", "bulkId": id, "data": { "userName": id } });
        let e = BulkRequest::parse(
            &req(json!([post("u1"), post("u2"), { "method": "PATCH", "path": "/Users/x", "bulkId": "u1", "data": {} }, post("u2"), post("u1")])),
            10,
        )
        .unwrap_err();
        assert_eq!(
            e,
            ScimError::InvalidValue(
                "bulkId \"u1\" is used by Operations[0], Operations[2], Operations[4]; each operation needs a bulkId of its own, so that \"bulkId:u1\" names one resource".into()
            )
        );
        // the same id in another case is another id, and operations without one never clash
        let ok = BulkRequest::parse(
            &req(
                json!([post("u1"), post("U1"), { "method": "DELETE", "path": "/Users/a" }, { "method": "DELETE", "path": "/Users/b", "bulkId": "" }, { "method": "DELETE", "path": "/Users/c", "bulkId": "" }]),
            ),
            10,
        );
        assert!(ok.is_ok(), "{ok:?}");
    }
}
