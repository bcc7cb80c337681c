//! The filter parser: parse → print → parse gives the same filter; parse → resolve → eval on
//! stored documents never panics, `not` is the negation, and resolving is idempotent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use roster_fuzz::{doc_for, print_filter, resource_types};
use scim::ScimError;
use scim::filter::{self, Filter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(parsed) = filter::parse(text) else {
        return;
    };
    let printed = print_filter(&parsed);
    match filter::parse(&printed) {
        Ok(again) => assert_eq!(again, parsed, "{text:?} printed as {printed:?} parses differently"),
        // Printing may add the parentheses a value filter's `.sub` tail implies, one level deeper.
        Err(ScimError::TooMany(_)) => {}
        Err(e) => panic!("{text:?} printed as {printed:?} does not parse: {e}"),
    }
    for rt in resource_types() {
        let Ok(resolved) = parsed.clone().resolve(&rt) else {
            continue;
        };
        match resolved.clone().resolve(&rt) {
            Ok(twice) => assert_eq!(twice, resolved, "resolving {text:?} twice differs"),
            Err(e) => panic!("{text:?} resolves, but its resolution does not: {e}"),
        }
        let doc = doc_for(&rt);
        let yes = resolved.matches(&doc, &rt);
        let not = Filter::Not(Box::new(resolved)).matches(&doc, &rt);
        assert_ne!(yes, not, "{text:?}: not (f) must be the negation of f");
    }
});
