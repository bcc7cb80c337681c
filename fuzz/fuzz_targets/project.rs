//! Projection (`attributes`, `excludedAttributes`): the first line of the input is the
//! `attributes` list, the second `excludedAttributes`, the rest a stored document (or, when it
//! is not JSON, the built-in ones). Projection never adds anything (but `schemas`), never
//! shows what is never returned, always keeps `id`, and drops every attribute excluded by name
//! (but those always returned).

#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_fuzz::{doc_for, is_part_of, resource_types};
use scim::project::{parse_attribute_list, project};
use scim::schema::Returned;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut lines = text.splitn(3, '\n');
    let attributes = parse_attribute_list(lines.next().unwrap_or(""));
    let excluded = parse_attribute_list(lines.next().unwrap_or(""));
    let given = serde_json::from_str::<Value>(lines.next().unwrap_or("")).ok();
    for rt in resource_types() {
        let doc = given.clone().unwrap_or_else(|| doc_for(&rt));
        let out = project(&doc, &rt, &attributes, &excluded);
        let (Value::Object(o), Value::Object(d)) = (&out, &doc) else {
            assert_eq!(out, doc, "a document that is not an object is returned as it is");
            continue;
        };
        for (k, v) in o {
            if k == "schemas" {
                continue;
            }
            let Some(original) = d.get(k) else {
                panic!("projection added {k:?}");
            };
            assert!(is_part_of(v, original), "projection added to {k:?}: {v} is not part of {original}");
        }
        // Keys keep the document's spelling; the schema resolves them case-insensitively.
        for k in o.keys() {
            if let Some(attr) = rt.core.attribute(k) {
                assert_ne!(attr.returned, Returned::Never, "{k:?} is never returned");
                let excluded = excluded.iter().any(|name| name.eq_ignore_ascii_case(attr.name));
                assert!(!excluded || attr.returned == Returned::Always, "{k:?} was excluded");
            }
        }
        if let Some(id) = d.get("id") {
            assert_eq!(o.get("id"), Some(id), "id is always returned");
        }
    }
});
