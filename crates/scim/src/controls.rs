//! Characters no stored value may carry. PostgreSQL cannot store U+0000 in text or JSON at
//! all (SQLite can, so the two backends disagreed); the other control characters have no
//! meaning in a directory entry and break the logs, CSV exports and UIs that show them.
//! Free text keeps TAB, LF and CR (`addresses.formatted` has lines); identifiers keep none.
//!
//! Every write passes one of the checks here: [`crate::normalize`] for documents, the PATCH
//! parser for paths and values, the filter parser for literals.

use std::fmt::Write;

use serde_json::Value;

use crate::error::ScimError;
use crate::schema::{AttrType, Attribute, Uniqueness};

/// Where a string may contain line breaks and tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Text {
    /// TAB, LF and CR allowed.
    Free,
    /// Identifiers and references: one line, no control character at all.
    SingleLine,
}

/// The first character `s` may not carry, and its 1-based position in characters.
pub(crate) fn forbidden_char(s: &str, text: Text) -> Option<(char, usize)> {
    // Fast path: most values are printable ASCII.
    if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    s.chars()
        .enumerate()
        .find(|&(_, c)| is_forbidden(c, text))
        .map(|(i, c)| (c, i + 1))
}

fn is_forbidden(c: char, text: Text) -> bool {
    match c {
        '\t' | '\n' | '\r' => text == Text::SingleLine,
        // C0 controls, DEL and the C1 controls.
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        _ => false,
    }
}

/// Identifiers and references are one line; everything else is free text. `path` is the
/// attribute as shown (`externalId`, `members.value`).
fn text_kind(attr: &Attribute, path: &str) -> Text {
    let identifier = attr.uniqueness != Uniqueness::None
        || matches!(attr.ty, AttrType::Reference | AttrType::Binary)
        || ["externalId", "members.value", "manager.value"]
            .iter()
            .any(|p| p.eq_ignore_ascii_case(path));
    if identifier {
        Text::SingleLine
    } else {
        Text::Free
    }
}

/// Refuse a string value of `attr` that carries a character it may not. Normalize and the
/// PATCH engine both call this, so a PATCH is refused with its operation named.
pub(crate) fn check_text(attr: &Attribute, path: &str, s: &str) -> Result<(), ScimError> {
    let text = text_kind(attr, path);
    match forbidden_char(s, text) {
        Some((c, at)) => Err(ScimError::InvalidValue(refusal(
            &format!("attribute '{path}'"),
            c,
            at,
            text,
        ))),
        None => Ok(()),
    }
}

/// `U+0007`, and a name for the ones people meet.
pub(crate) fn describe(c: char) -> String {
    let code = format!("U+{:04X}", c as u32);
    match c {
        '\0' => format!("the NUL character ({code})"),
        '\t' => format!("a tab ({code})"),
        '\n' => format!("a line feed ({code})"),
        '\r' => format!("a carriage return ({code})"),
        _ => format!("the control character {code}"),
    }
}

/// The sentence for a refused character in `what` (e.g. "attribute 'name.givenName'").
pub(crate) fn refusal(what: &str, c: char, at: usize, text: Text) -> String {
    let allowed = match text {
        Text::Free => "only tab, line feed and carriage return are allowed",
        Text::SingleLine => "it must be a single line without control characters",
    };
    format!(
        "{what} contains {} at character {at}; remove it ({allowed})",
        describe(c)
    )
}

/// The refusal of free text `s` (TAB, LF and CR allowed) that carries a control character,
/// naming it as `what`: for text that is no SCIM attribute (the REST API's fields and query
/// parameters), so that every API refuses the same characters in the same words.
pub fn free_text_refusal(what: &str, s: &str) -> Option<String> {
    forbidden_char(s, Text::Free).map(|(c, at)| refusal(what, c, at, Text::Free))
}

/// The refusal for the first NUL anywhere in `v`, in a key or a string, naming where it is
/// (`'emails[1].value'`, relative to `root`). NUL is refused everywhere, even where the value
/// would be ignored: no field of a SCIM request can mean it, and PostgreSQL cannot store it.
pub(crate) fn nul_refusal(v: &Value, root: &str) -> Option<String> {
    walk(v, &mut root.to_string(), &nul_in).map(|(at, c, i)| refusal(&at, c, i, Text::Free))
}

/// The refusal for the first key with a NUL, or string with a character no free text may
/// carry, in `v` (a PATCH value), naming where it is, relative to `root`. One pass, as a
/// PATCH value may hold 100,000 members.
pub(crate) fn value_refusal(v: &Value, root: &str) -> Option<String> {
    walk(v, &mut root.to_string(), &|s| forbidden_char(s, Text::Free))
        .map(|(at, c, i)| refusal(&at, c, i, Text::Free))
}

fn nul_in(s: &str) -> Option<(char, usize)> {
    s.find('\0').map(|at| ('\0', s[..at].chars().count() + 1))
}

/// Depth-first: the first key with a NUL, or the first string that `bad` finds something in,
/// as `(where, char, position)`.
fn walk(
    v: &Value,
    at: &mut String,
    bad: &dyn Fn(&str) -> Option<(char, usize)>,
) -> Option<(String, char, usize)> {
    match v {
        Value::String(s) => bad(s).map(|(c, i)| (format!("'{at}'"), c, i)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            let len = at.len();
            let _ = write!(at, "[{i}]");
            let found = walk(item, at, bad);
            at.truncate(len);
            found
        }),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            if let Some((c, i)) = nul_in(k) {
                let shown = k.escape_debug().to_string();
                let within = if at.is_empty() {
                    String::new()
                } else {
                    format!(" in '{at}'")
                };
                return Some((format!("the attribute name \"{shown}\"{within}"), c, i));
            }
            let len = at.len();
            if !at.is_empty() {
                at.push('.');
            }
            at.push_str(k);
            let found = walk(item, at, bad);
            at.truncate(len);
            found
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn free_text_keeps_tab_and_line_breaks() {
        assert_eq!(forbidden_char("a\tb\r\nc", Text::Free), None);
        assert_eq!(forbidden_char("a\nb", Text::SingleLine), Some(('\n', 2)));
        assert_eq!(forbidden_char("ab\0", Text::Free), Some(('\0', 3)));
        assert_eq!(forbidden_char("\u{7}", Text::Free), Some(('\u{7}', 1)));
        assert_eq!(forbidden_char("é\u{7f}", Text::Free), Some(('\u{7f}', 2)));
        assert_eq!(forbidden_char("\u{85}", Text::Free), Some(('\u{85}', 1)));
        assert_eq!(forbidden_char("Zoë 日本 \u{a0}", Text::SingleLine), None);
    }

    #[test]
    fn nul_is_found_in_keys_and_values_with_where() {
        assert_eq!(nul_refusal(&json!({"a": [{"b": "x\ty"}]}), ""), None);
        let d = nul_refusal(
            &json!({"emails": [{"value": "ok"}, {"value": "a\u{0}"}]}),
            "",
        );
        assert_eq!(
            d.as_deref(),
            Some(
                "'emails[1].value' contains the NUL character (U+0000) at character 2; remove it (only tab, line feed and carriage return are allowed)"
            )
        );
        let d = nul_refusal(&json!({"name": {"giv\u{0}en": "x"}}), "").unwrap_or_default();
        assert!(
            d.starts_with("the attribute name \"giv\\0en\" in 'name' contains the NUL"),
            "{d}"
        );
        let d = nul_refusal(&json!("\u{0}"), "value").unwrap_or_default();
        assert!(d.starts_with("'value' contains"), "{d}");
    }

    #[test]
    fn forbidden_characters_are_found_with_where() {
        assert_eq!(value_refusal(&json!({"a": "x\ny"}), "value"), None);
        let d = value_refusal(&json!({"a": ["ok", "x\u{1b}"]}), "value").unwrap_or_default();
        assert!(
            d.starts_with("'value.a[1]' contains the control character U+001B at character 2"),
            "{d}"
        );
    }
}
