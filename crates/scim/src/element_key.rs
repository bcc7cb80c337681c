//! A hashable key for a JSON value that is equal exactly when the values are equal as
//! `serde_json::Value`s, so multi-valued attributes and member lists de-duplicate and compare
//! in linear time instead of comparing every element with every other one.
//!
//! `Value` equality ignores the order of object members (the maps compare by key lookup),
//! tells integers from floats (`1` is not `1.0`) and treats `-0.0` as `0.0`; the key does the
//! same by writing objects with sorted members and numbers in their own spelling.

use serde_json::Value;

/// The key of `v`; two values have the same key exactly when they are equal.
pub(crate) fn element_key(v: &Value) -> String {
    let mut out = String::new();
    write_key(v, &mut out);
    out
}

/// The key for a comparison that ignores the case of a top-level string, as a
/// non-`caseExact` attribute does; any other value keys as [`element_key`].
pub(crate) fn element_key_folded(v: &Value, case_exact: bool) -> String {
    match v {
        Value::String(s) if !case_exact => element_key(&Value::String(crate::fold::fold(s))),
        other => element_key(other),
    }
}

fn write_key(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push('n'),
        Value::Bool(true) => out.push('t'),
        Value::Bool(false) => out.push('f'),
        Value::Number(n) => {
            // `-0.0 == 0.0` for `Value`, but they print differently.
            if n.as_f64() == Some(0.0) && n.is_f64() {
                out.push_str("d0.0");
            } else {
                out.push(if n.is_f64() { 'd' } else { 'i' });
                out.push_str(&n.to_string());
            }
            out.push(';');
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for item in items {
                write_key(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (k, v) in members {
                write_string(k, out);
                write_key(v, out);
            }
            out.push('}');
        }
    }
}

/// Length-prefixed, so no string's key is a prefix of another's and nothing needs escaping.
fn write_string(s: &str, out: &mut String) {
    out.push('s');
    out.push_str(&s.len().to_string());
    out.push(':');
    out.push_str(s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn same(a: Value, b: Value) {
        assert_eq!(a == b, element_key(&a) == element_key(&b), "{a} vs {b}");
    }

    #[test]
    fn key_equality_is_value_equality() {
        same(json!({"a": 1, "b": "x"}), json!({"b": "x", "a": 1}));
        same(json!(1), json!(1.0));
        same(json!(0.0), json!(-0.0));
        same(json!(-1), json!(-1.0));
        same(json!(u64::MAX), json!(u64::MAX as f64));
        same(json!("1"), json!(1));
        same(json!(["a", "b"]), json!(["b", "a"]));
        same(json!(["ab"]), json!(["a", "b"]));
        same(json!({"a": "b"}), json!({"ab": ""}));
        same(json!(null), json!(false));
        same(json!([]), json!({}));
        same(json!("s1:a"), json!("a"));
        same(
            json!({"value": "u1"}),
            json!({"value": "u1", "display": null}),
        );
    }

    #[test]
    fn folded_keys_ignore_case_only_for_strings_that_are_not_case_exact() {
        assert_eq!(
            element_key_folded(&json!("A@X"), false),
            element_key_folded(&json!("a@x"), false)
        );
        assert_ne!(
            element_key_folded(&json!("A@X"), true),
            element_key_folded(&json!("a@x"), true)
        );
        assert_ne!(
            element_key_folded(&json!({"v": "A"}), false),
            element_key_folded(&json!({"v": "a"}), false)
        );
    }
}
