//! What an identifying value may be. A userName names a person: two spellings a reader cannot
//! tell apart must not become two people, and nothing invisible may hide in it. Identity is
//! compared through `scim::fold` (Unicode compatibility normalization and full case folding),
//! so `josé` written as NFC or NFD, `straße` and `STRASSE`, `İstanbul` and `istanbul` are one
//! userName. Every indexed text attribute also has a length limit, the same on both backends
//! (PostgreSQL cannot index a value over ~2,700 bytes; SQLite would store a megabyte and
//! `roster migrate` would then fail).

use scim::ScimError;
use scim::fold::fold;
use scim::shown::{code_point, is_invisible, shown};

/// The longest userName, externalId or displayName, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 1024;
/// The longest folded form of a userName or displayName (folding can lengthen a value: `ß` is
/// `ss`, a ligature several letters), in bytes.
pub const MAX_FOLDED_BYTES: usize = 2048;

/// Refuse a value of an indexed text attribute that is longer than the limits.
pub fn check_length(attr: &str, value: &str, folded: bool) -> Result<(), ScimError> {
    if value.len() > MAX_KEY_BYTES {
        return Err(ScimError::InvalidValue(format!(
            "{attr} is {} bytes long; at most {MAX_KEY_BYTES} bytes (UTF-8) are accepted: shorten it at the identity provider",
            value.len()
        )));
    }
    if folded {
        let n = fold(value).len();
        if n > MAX_FOLDED_BYTES {
            return Err(ScimError::InvalidValue(format!(
                "{attr} is {n} bytes long once folded for case-insensitive comparison; at most {MAX_FOLDED_BYTES} are accepted: shorten it at the identity provider"
            )));
        }
    }
    Ok(())
}

/// Refuse a userName that is padded with white space or holds an invisible or control
/// character (a right-to-left override, a byte-order mark, a zero-width space, a newline…).
/// Roster never changes an identifier it is sent, so the IdP's data must be fixed.
pub fn check_user_name(user_name: &str) -> Result<(), ScimError> {
    if user_name.trim().is_empty() {
        return Err(ScimError::InvalidValue(
            "userName is required and must be a non-empty string".into(),
        ));
    }
    check_length("userName", user_name, true)?;
    if user_name.trim() != user_name {
        return Err(ScimError::InvalidValue(format!(
            "userName '{}' begins or ends with white space; remove the padding at the identity provider (Roster does not change identifiers)",
            shown(user_name)
        )));
    }
    if let Some((at, c)) = user_name
        .chars()
        .enumerate()
        .find(|(_, c)| is_invisible(*c))
    {
        return Err(ScimError::InvalidValue(format!(
            "userName '{}' holds {} at character {}, an invisible or control character; a userName may hold only visible characters and plain spaces",
            shown(user_name),
            code_point(c),
            at + 1
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_user_names_pass() {
        for u in [
            "mona.lisa@example.com",
            "CORP\\jdoe",
            "Barbara Jensen",
            "josé@example.com",
            "山田太郎@example.jp",
            "ömer.şahin@example.com.tr",
        ] {
            assert_eq!(check_user_name(u), Ok(()), "{u}");
        }
    }

    #[test]
    fn padding_and_invisible_characters_are_refused() {
        for u in [
            " mona@example.com",
            "mona@example.com ",
            "mona@example.com\n",
            "\u{feff}mona@example.com",
            "mona\u{202e}moc.elpmaxe@",
            "mo\u{200b}na@example.com",
            "mo\u{0}na",
            "mona\u{a0}lisa",
            "mona\u{2028}lisa",
        ] {
            let e = check_user_name(u).unwrap_err();
            assert!(matches!(e, ScimError::InvalidValue(_)), "{u}");
            assert!(
                !e.detail().contains('\u{202e}'),
                "the detail quotes it visibly"
            );
        }
        let e = check_user_name("mona\u{202e}x").unwrap_err();
        assert!(
            e.detail().contains("U+202E at character 5"),
            "{}",
            e.detail()
        );
    }

    #[test]
    fn lengths_are_bounded() {
        assert!(check_user_name(&"a".repeat(MAX_KEY_BYTES)).is_ok());
        let e = check_user_name(&"a".repeat(MAX_KEY_BYTES + 1)).unwrap_err();
        assert!(e.detail().contains("1025 bytes"), "{}", e.detail());
        // U+FDFA folds to 18 letters: within the raw limit, over the folded one.
        let long = "\u{fdfa}".repeat(300);
        assert!(long.len() <= MAX_KEY_BYTES);
        let e = check_length("displayName", &long, true).unwrap_err();
        assert!(e.detail().contains("once folded"), "{}", e.detail());
    }
}
