//! PATCH parse + apply on stored user and group documents. Apply is atomic (a refused request
//! leaves the document as it was); a request it accepts yields a document that normalize
//! accepts too, whose normalized form is stable, carries no forbidden character and keeps
//! every multi-valued attribute within its bound; a group's members never enter its document.

#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_fuzz::{doc_for, forbidden_text, longest_array, resource_types};
use scim::limits::MAX_VALUES_PER_ATTRIBUTE;
use scim::normalize::normalize;
use scim::patch::{PatchRequest, apply};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    for rt in resource_types() {
        let Ok(request) = PatchRequest::parse(&body, &rt) else {
            continue;
        };
        let external: &[&'static str] = if rt.name == "Group" { &["members"] } else { &[] };
        let stored = doc_for(&rt);
        let mut doc = stored.clone();
        let Ok(_changes) = apply(&mut doc, &request, &rt, external) else {
            assert_eq!(doc, stored, "a refused PATCH changed the document");
            continue;
        };
        assert_eq!(doc.get("id"), stored.get("id"), "PATCH changed the id");
        if rt.name == "Group" {
            assert!(doc.get("members").is_none(), "members were written to the group document");
        }
        let normalized = match normalize(&doc, &rt) {
            Ok(n) => n,
            Err(e) => panic!("apply accepted a PATCH whose result normalize refuses: {e}\n{doc}"),
        };
        match normalize(&normalized, &rt) {
            Ok(again) => assert_eq!(again, normalized, "normalize is not idempotent"),
            Err(e) => panic!("normalize refuses its own output: {e}\n{normalized}"),
        }
        assert_eq!(forbidden_text(&normalized), None, "a forbidden character was stored");
        assert!(longest_array(&normalized) <= MAX_VALUES_PER_ATTRIBUTE);
    }
});
