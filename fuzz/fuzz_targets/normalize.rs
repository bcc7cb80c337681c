//! Normalization of POST/PUT bodies for users (with the enterprise extension) and groups:
//! idempotent, its output carries no forbidden character, keeps multi-valued attributes within
//! their bounds, names every schema it holds, and survives the default projection unchanged
//! but for what is never returned.

#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_fuzz::{forbidden_text, longest_array, resource_types};
use scim::limits::{MAX_MEMBERS_PER_OPERATION, MAX_VALUES_PER_ATTRIBUTE};
use scim::normalize::normalize;
use scim::project::project;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for rt in resource_types() {
        let Ok(doc) = normalize(&body, &rt) else {
            continue;
        };
        match normalize(&doc, &rt) {
            Ok(again) => assert_eq!(again, doc, "normalize is not idempotent"),
            Err(e) => panic!("normalize refuses its own output: {e}\n{doc}"),
        }
        assert_eq!(forbidden_text(&doc), None, "a forbidden character was accepted");
        let bound = if rt.name == "Group" { MAX_MEMBERS_PER_OPERATION } else { MAX_VALUES_PER_ATTRIBUTE };
        assert!(longest_array(&doc) <= bound);
        let Some(obj) = doc.as_object() else {
            panic!("normalize returned {doc}, not an object");
        };
        let schemas: Vec<&str> = obj
            .get("schemas")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert_eq!(schemas.first().copied(), Some(rt.core.id), "the core schema comes first");
        for ext in &rt.extensions {
            assert_eq!(obj.contains_key(ext.id), schemas.contains(&ext.id), "schemas must list exactly the extensions present");
        }
        // Normalize keeps nothing that is never returned, so the default projection is the identity.
        assert_eq!(project(&doc, &rt, &[], &[]), doc, "the default projection changed a normalized document");
    }
});
