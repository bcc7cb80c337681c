//! How a value a client sent is quoted back in an error `detail` (and so in the audit log):
//! short, and with every invisible or control character spelled out. A refusal must say what
//! was wrong without echoing a 60 KB value into every response and audit event, and without
//! letting a right-to-left override or a newline rearrange the message a person reads.

use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// The most characters of a value quoted in a detail.
pub const MAX_SHOWN_CHARS: usize = 80;

/// Whether `c` is invisible or a control character: it would not show as itself in a message.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::PrivateUse
            | GeneralCategory::Surrogate
    ) || (c.is_whitespace() && c != ' ')
}

/// `value` as quoted in a detail: at most [`MAX_SHOWN_CHARS`] characters (then `…` and how many
/// more), invisible characters as `\u{…}`.
pub fn shown(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_SHOWN_CHARS * 2) + 2);
    for (count, c) in value.chars().enumerate() {
        if count == MAX_SHOWN_CHARS {
            let rest = value.chars().count() - count;
            out.push_str(&format!("… ({rest} more characters)"));
            return out;
        }
        if is_invisible(c) {
            out.push_str(&format!("\\u{{{:04X}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// A JSON value as quoted in a detail: its text, shortened the same way.
pub fn shown_json(value: &serde_json::Value) -> String {
    shown(&value.to_string())
}

/// `U+202E`: a character named by its code point.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", c as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_shown_as_they_are() {
        assert_eq!(shown("mona@example.com"), "mona@example.com");
        assert_eq!(shown("Zoë Smith"), "Zoë Smith");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "a".repeat(60_000);
        let s = shown(&long);
        assert!(s.len() < 200, "{s}");
        assert!(s.ends_with("… (59920 more characters)"), "{s}");
    }

    #[test]
    fn invisible_characters_are_spelled_out() {
        assert_eq!(shown("evil\u{202e}gpj.exe"), "evil\\u{202E}gpj.exe");
        assert_eq!(
            shown("a\nb\u{0}c\u{feff}"),
            "a\\u{000A}b\\u{0000}c\\u{FEFF}"
        );
        assert_eq!(shown("a\u{a0}b"), "a\\u{00A0}b");
        assert_eq!(code_point('\u{202e}'), "U+202E");
    }
}
