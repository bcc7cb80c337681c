//! Platform handles: the IdP `userName` normalized, plus `_SHORTCODE` (GitHub EMU's rule).

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
    let mut base = user_name;
    if let Some((_, after)) = base.rsplit_once('\\') {
        base = after;
    }
    if let Some((before, _)) = base.split_once('@') {
        base = before;
    }
    let mut out = String::with_capacity(base.len());
    for c in base.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '-' };
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
}
