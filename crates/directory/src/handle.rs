//! Platform handles: the IdP `userName` normalized, plus `_SHORTCODE` (GitHub EMU's rule).
//! Under the `scim` profile, a plain RFC 7643 directory, a handle must never refuse a valid
//! userName: letters and digits of every script are kept, there is no length limit, and a
//! userName whose handle another user already has gets a handle made unique by a digest of its
//! own (folded) userName.

use sha2::{Digest, Sha256};

/// GitHub's maximum handle length, suffix included.
pub const MAX_HANDLE_LEN: usize = 39;

/// Why a userName cannot become a handle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HandleError {
    /// Nothing alphanumeric is left after normalization.
    Empty,
    /// The handle (suffix included) would be longer than the limit.
    TooLong { handle: String, len: usize },
}

/// Normalize an IdP userName into the part before the `_SHORTCODE` suffix: for an email keep
/// what precedes `@`, for `DOMAIN\user` what follows `\`; every character that is not ASCII
/// alphanumeric becomes `-`; runs of `-` collapse to one; no `-` at either end.
pub fn normalize_user_name(user_name: &str) -> String {
    normalize_with(user_name, |c| c.is_ascii_alphanumeric())
}

/// `normalize_user_name` keeping the characters `keep` accepts.
fn normalize_with(user_name: &str, keep: fn(char) -> bool) -> String {
    let mut base = user_name;
    if let Some((_, after)) = base.rsplit_once('\\') {
        base = after;
    }
    if let Some((before, _)) = base.split_once('@') {
        base = before;
    }
    let mut out = String::with_capacity(base.len());
    for c in base.chars() {
        let c = if keep(c) { c } else { '-' };
        if c == '-' && (out.is_empty() || out.ends_with('-')) {
            continue;
        }
        out.push(c);
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// The handle for `user_name` in the enterprise with `short_code`; `max_len` is `None` when
/// the profile sets no limit.
pub fn handle_for(
    user_name: &str,
    short_code: &str,
    max_len: Option<usize>,
) -> Result<String, HandleError> {
    let base = normalize_user_name(user_name);
    if base.is_empty() {
        return Err(HandleError::Empty);
    }
    let handle = format!("{base}_{short_code}");
    match max_len {
        Some(max) if handle.len() > max => Err(HandleError::TooLong {
            len: handle.len(),
            handle,
        }),
        _ => Ok(handle),
    }
}

/// The handle for `user_name` under the `scim` profile: never refused. `distinct` asks for the
/// form made unique by a digest of the folded userName, for when the plain form is taken (or
/// empty: a userName with no letters or digits at all).
pub fn open_handle_for(user_name: &str, short_code: &str, distinct: bool) -> String {
    let base = normalize_with(user_name, char::is_alphanumeric);
    if base.is_empty() || distinct {
        let digest = Sha256::digest(scim::fold::fold(user_name).as_bytes());
        let tag = hex::encode(&digest[..4]);
        let base = if base.is_empty() { "user" } else { &base };
        return format!("{base}-{tag}_{short_code}");
    }
    format!("{base}_{short_code}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_github() {
        assert_eq!(normalize_user_name("mona.lisa@example.com"), "mona-lisa");
        assert_eq!(normalize_user_name("CORP\\jdoe"), "jdoe");
        assert_eq!(normalize_user_name("--a__b--"), "a-b");
        assert_eq!(normalize_user_name("Zoë Smith"), "Zo-Smith");
        assert_eq!(
            handle_for("octocat@x.io", "acme", Some(39)).as_deref(),
            Ok("octocat_acme")
        );
    }

    #[test]
    fn enforces_the_length_limit_with_suffix() {
        let name = "a".repeat(34); // 34 + "_acme" = 39
        assert!(handle_for(&name, "acme", Some(MAX_HANDLE_LEN)).is_ok());
        let name = "a".repeat(35);
        assert!(matches!(
            handle_for(&name, "acme", Some(MAX_HANDLE_LEN)),
            Err(HandleError::TooLong { len: 40, .. })
        ));
        assert!(handle_for(&name, "acme", None).is_ok());
        assert_eq!(handle_for("@@@", "acme", None), Err(HandleError::Empty));
    }

    #[test]
    fn open_handles_never_refuse() {
        assert_eq!(
            open_handle_for("john@corp.example", "acme", false),
            "john_acme"
        );
        let other = open_handle_for("john@subsidiary.example", "acme", true);
        assert!(
            other.starts_with("john-") && other.ends_with("_acme"),
            "{other}"
        );
        assert_ne!(other, open_handle_for("john@corp.example", "acme", true));
        assert_eq!(
            open_handle_for("山田太郎@example.jp", "acme", false),
            "山田太郎_acme"
        );
        assert_eq!(open_handle_for(&"a".repeat(200), "acme", false).len(), 205);
        let empty = open_handle_for("@@@", "acme", false);
        assert!(
            empty.starts_with("user-") && empty.ends_with("_acme"),
            "{empty}"
        );
        // The same userName, however it is spelled, gets the same digest.
        assert_eq!(
            open_handle_for("JOHN@Corp.Example", "acme", true).to_lowercase(),
            open_handle_for("john@corp.example", "acme", true)
        );
    }
}
