//! Resource versions as ETags (`W/"7"`), and `If-Match` as compare-and-swap.

use scim::ScimError;

pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// Check an `If-Match` header value against the current version: `*` or a list containing the
/// current ETag (weak or strong form) passes; anything else is 412.
pub fn check_if_match(if_match: Option<&str>, current: i64) -> Result<(), ScimError> {
    let Some(header) = if_match else {
        return Ok(());
    };
    if names_version(header, current) {
        Ok(())
    } else {
        Err(ScimError::PreconditionFailed(format!(
            "the resource changed: If-Match names {header} but the current version is {}; GET it again and retry",
            etag(current)
        )))
    }
}

/// Whether an `If-Match`/`If-None-Match` value (`*`, or a list of weak or strong ETags) names
/// this version.
pub fn names_version(header: &str, version: i64) -> bool {
    let wanted = version.to_string();
    header
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == wanted)
}

/// The version a rendered resource carries in `meta.version` (`W/"7"`).
pub fn version_of(body: &serde_json::Value) -> Option<i64> {
    body.pointer("/meta/version")
        .and_then(serde_json::Value::as_str)
        .and_then(|v| v.trim_start_matches("W/").trim_matches('"').parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_compares_versions() {
        assert!(check_if_match(None, 3).is_ok());
        assert!(check_if_match(Some("*"), 3).is_ok());
        assert!(check_if_match(Some("W/\"3\""), 3).is_ok());
        assert!(check_if_match(Some("\"3\""), 3).is_ok());
        assert!(check_if_match(Some("W/\"1\", W/\"3\""), 3).is_ok());
        assert!(check_if_match(Some("W/\"2\""), 3).is_err());
    }
}
