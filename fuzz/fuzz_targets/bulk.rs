//! Bulk request parsing: a request that parses has at most the operations allowed and no
//! bulkId twice; every reference it makes can be substituted, after which none is left; the
//! response document renders for any outcome.

#![no_main]

use std::collections::{HashMap, HashSet};

use libfuzzer_sys::fuzz_target;
use scim::bulk::{BulkRequest, BulkResult, bulk_response, references, substitute};
use serde_json::Value;

const MAX_OPERATIONS: usize = 1000;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let Ok(request) = BulkRequest::parse(&body, MAX_OPERATIONS) else {
        return;
    };
    assert!(request.operations.len() <= MAX_OPERATIONS);
    let mut seen = HashSet::new();
    for op in &request.operations {
        if let Some(id) = op.bulk_id.as_deref().filter(|id| !id.is_empty()) {
            assert!(seen.insert(id.to_string()), "bulkId {id:?} accepted twice");
        }
    }
    let mut results = Vec::new();
    for op in &request.operations {
        let refs = references(op);
        let mut sorted = refs.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(refs, sorted, "references are sorted and distinct");
        // Resolved ids never look like references themselves.
        let resolved: HashMap<String, String> =
            refs.iter().enumerate().map(|(i, r)| (r.clone(), format!("id-{i}"))).collect();
        let mut substituted = op.clone();
        substitute(&mut substituted, &resolved);
        assert_eq!(references(&substituted), Vec::<String>::new(), "a reference survived substitution: {:?}", substituted.path);
        results.push(BulkResult {
            method: op.method,
            bulk_id: op.bulk_id.clone(),
            version: op.version.clone(),
            location: Some(substituted.path.clone()),
            status: 400,
            response: Some(Value::Null),
        });
    }
    let response = bulk_response(&results);
    assert_eq!(response["Operations"].as_array().map(Vec::len), Some(results.len()));
});
