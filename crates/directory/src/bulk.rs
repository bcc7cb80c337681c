//! `POST /Bulk` (RFC 7644 §3.7): each operation runs as its own directory call (its own
//! transaction), in request order, except that an operation referring to a `bulkId` created
//! later in the request waits until that resource exists. `failOnErrors` stops the run after
//! that many errors.

use std::collections::HashMap;

use scim::ScimError;
use scim::bulk::{
    BulkMethod, BulkOperation, BulkRequest, BulkResult, bulk_response, references, substitute,
};
use serde_json::Value;

use crate::directory::{Caller, Directory};
use crate::error::DirectoryError;
use crate::versions::etag;

/// The most operations one bulk request may carry (`bulk.maxOperations`).
pub const MAX_BULK_OPERATIONS: usize = 1000;

/// What an operation targets.
enum Target<'p> {
    Users(Option<&'p str>),
    Groups(Option<&'p str>),
}

fn target(path: &str) -> Result<Target<'_>, ScimError> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let bad = || {
        ScimError::InvalidValue(format!(
            "path '{path}' names no resource: use /Users, /Users/{{id}}, /Groups or /Groups/{{id}}"
        ))
    };
    match parts.as_slice() {
        ["Users"] => Ok(Target::Users(None)),
        ["Users", id] => Ok(Target::Users(Some(id))),
        ["Groups"] => Ok(Target::Groups(None)),
        ["Groups", id] => Ok(Target::Groups(Some(id))),
        _ => Err(bad()),
    }
}

/// A successful operation: its status, the resource's location and version.
struct Done {
    status: u16,
    id: Option<String>,
    location: Option<String>,
    version: Option<i64>,
}

fn location_of(body: &Value) -> Option<String> {
    body.pointer("/meta/location")
        .and_then(Value::as_str)
        .map(str::to_string)
}

impl Directory {
    pub async fn bulk(&self, caller: &Caller, body: &Value) -> Result<Value, DirectoryError> {
        let request = BulkRequest::parse(body, MAX_BULK_OPERATIONS)?;
        let defined: HashMap<String, usize> = request
            .operations
            .iter()
            .enumerate()
            .filter_map(|(i, op)| op.bulk_id.clone().map(|b| (b, i)))
            .collect();
        let mut resolved: HashMap<String, String> = HashMap::new();
        let mut results: Vec<Option<BulkResult>> = vec![None; request.operations.len()];
        let mut failed_ids: Vec<String> = Vec::new();
        let mut errors = 0usize;
        let mut pending: Vec<usize> = (0..request.operations.len()).collect();
        'passes: while !pending.is_empty() {
            let mut progressed = false;
            let mut still = Vec::new();
            for &i in &pending {
                let op = &request.operations[i];
                let refs = references(op);
                let unresolved: Vec<&String> =
                    refs.iter().filter(|r| !resolved.contains_key(*r)).collect();
                let waiting = unresolved.iter().any(|r| {
                    defined
                        .get(*r)
                        .is_some_and(|j| results[*j].is_none() && *j != i)
                });
                if waiting {
                    still.push(i);
                    continue;
                }
                progressed = true;
                let outcome = if let Some(r) = unresolved.first() {
                    let why = if failed_ids.contains(r) {
                        "failed"
                    } else {
                        "is not defined in this request"
                    };
                    Err(DirectoryError::Scim(ScimError::InvalidValue(format!(
                        "bulkId '{r}' cannot be resolved: the operation that creates it {why}"
                    ))))
                } else {
                    let mut op = op.clone();
                    substitute(&mut op, &resolved);
                    self.bulk_operation(caller, &op).await
                };
                let result = match outcome {
                    Ok(done) => {
                        if let (Some(b), Some(id)) = (&op.bulk_id, &done.id) {
                            resolved.insert(b.clone(), id.clone());
                        }
                        BulkResult {
                            method: op.method,
                            bulk_id: op.bulk_id.clone(),
                            version: done.version.map(etag),
                            location: done.location,
                            status: done.status,
                            response: None,
                        }
                    }
                    Err(e) => {
                        errors += 1;
                        if let Some(b) = &op.bulk_id {
                            failed_ids.push(b.clone());
                        }
                        let (status, body) = e.status_and_body();
                        if status >= 500 {
                            // A storage failure inside a 200 answer: the operator must see it.
                            tracing::error!(error = %e, path = %op.path, "a bulk operation failed");
                        }
                        BulkResult {
                            method: op.method,
                            bulk_id: op.bulk_id.clone(),
                            version: None,
                            location: None,
                            status,
                            response: Some(body),
                        }
                    }
                };
                results[i] = Some(result);
                if request.fail_on_errors.is_some_and(|n| errors >= n) {
                    break 'passes;
                }
            }
            if !progressed {
                // Only a cycle of references is left.
                for &i in &still {
                    let op = &request.operations[i];
                    let e = DirectoryError::Scim(ScimError::InvalidValue("the bulkId references of this operation form a cycle; Roster cannot order them".into()));
                    let (status, body) = e.status_and_body();
                    results[i] = Some(BulkResult {
                        method: op.method,
                        bulk_id: op.bulk_id.clone(),
                        version: None,
                        location: None,
                        status,
                        response: Some(body),
                    });
                }
                break;
            }
            pending = still;
        }
        let done: Vec<BulkResult> = results.into_iter().flatten().collect();
        Ok(bulk_response(&done))
    }

    async fn bulk_operation(
        &self,
        caller: &Caller,
        op: &BulkOperation,
    ) -> Result<Done, DirectoryError> {
        let data = op.data.clone().unwrap_or(Value::Null);
        let if_match = op.version.as_deref();
        let created = |body: Value| Done {
            status: 201,
            id: body.get("id").and_then(Value::as_str).map(str::to_string),
            location: location_of(&body),
            version: crate::versions::version_of(&body),
        };
        let updated = |(body, version): (Value, i64)| Done {
            status: 200,
            id: None,
            location: location_of(&body),
            version: Some(version),
        };
        match (op.method, target(&op.path)?) {
            (BulkMethod::Post, Target::Users(None)) => Ok(created(self.create_user(caller, &data).await?)),
            (BulkMethod::Post, Target::Groups(None)) => Ok(created(self.create_group(caller, &data).await?)),
            (BulkMethod::Put, Target::Users(Some(id))) => Ok(updated(self.replace_user(caller, id, &data, if_match).await?)),
            (BulkMethod::Put, Target::Groups(Some(id))) => Ok(updated(self.replace_group(caller, id, &data, if_match).await?)),
            (BulkMethod::Patch, Target::Users(Some(id))) => Ok(updated(self.patch_user(caller, id, &data, if_match).await?)),
            (BulkMethod::Patch, Target::Groups(Some(id))) => {
                let (_, version) = self.patch_group(caller, id, &data, if_match, None).await?;
                Ok(Done { status: 204, id: None, location: Some(format!("{}/Groups/{id}", caller.base_url)), version: Some(version) })
            }
            (BulkMethod::Delete, Target::Users(Some(id))) => {
                self.delete_user(caller, id, if_match).await?;
                Ok(Done { status: 204, id: None, location: None, version: None })
            }
            (BulkMethod::Delete, Target::Groups(Some(id))) => {
                self.delete_group(caller, id, if_match).await?;
                Ok(Done { status: 204, id: None, location: None, version: None })
            }
            (m, _) => Err(ScimError::InvalidValue(format!("{} is not allowed on '{}': POST goes to /Users or /Groups, PUT/PATCH/DELETE to /Users/{{id}} or /Groups/{{id}}", m.as_str(), op.path)).into()),
        }
    }
}
