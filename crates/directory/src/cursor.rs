//! RFC 9865 cursors: an opaque string holding a position in a listing's stable order and a
//! fingerprint of the query it belongs to. A position does not go stale when resources are
//! added or removed, so cursors do not expire; one used with another filter or sort is refused.

use scim::ScimError;
use sha2::{Digest, Sha256};

use crate::store::Position;

/// Fingerprint of what a cursor is valid for.
fn fingerprint(
    resource: &str,
    filter: Option<&str>,
    sort: Option<&str>,
    descending: bool,
) -> String {
    let mut h = Sha256::new();
    h.update(resource.as_bytes());
    h.update([0]);
    h.update(filter.unwrap_or("").trim().as_bytes());
    h.update([0]);
    h.update(sort.unwrap_or("").to_ascii_lowercase().as_bytes());
    h.update([u8::from(descending)]);
    hex::encode(&h.finalize()[..6])
}

/// The query a cursor belongs to.
pub struct CursorScope<'a> {
    pub resource: &'a str,
    pub filter: Option<&'a str>,
    pub sort: Option<&'a str>,
    pub descending: bool,
}

impl CursorScope<'_> {
    /// `FINGERPRINT.HEX(JSON position)`: only RFC 3986 unreserved characters, as RFC 9865 asks.
    pub fn encode(&self, p: &Position) -> String {
        let json = serde_json::to_vec(p).unwrap_or_default();
        format!(
            "{}.{}",
            fingerprint(self.resource, self.filter, self.sort, self.descending),
            hex::encode(json)
        )
    }

    pub fn decode(&self, cursor: &str) -> Result<Position, ScimError> {
        let invalid = |why: &str| {
            ScimError::InvalidCursor(format!(
                "cursor '{cursor}' {why}; start again with cursor= (empty) and follow nextCursor"
            ))
        };
        let (fp, body) = cursor
            .split_once('.')
            .ok_or_else(|| invalid("was not issued by Roster"))?;
        if fp != fingerprint(self.resource, self.filter, self.sort, self.descending) {
            return Err(invalid(
                "belongs to another query (filter, sortBy or sortOrder differ)",
            ));
        }
        let bytes = hex::decode(body).map_err(|_| invalid("is damaged"))?;
        serde_json::from_slice(&bytes).map_err(|_| invalid("is damaged"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_and_refuses_other_queries() {
        let scope = CursorScope {
            resource: "User",
            filter: Some("active eq true"),
            sort: Some("userName"),
            descending: false,
        };
        let p = Position {
            seq: 42,
            key: Some(json!("bob")),
        };
        let c = scope.encode(&p);
        assert!(
            c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "-._~".contains(ch))
        );
        assert_eq!(scope.decode(&c), Ok(p));
        let other = CursorScope {
            filter: Some("active eq false"),
            ..scope
        };
        assert!(matches!(other.decode(&c), Err(ScimError::InvalidCursor(_))));
        assert!(scope_default().decode("nonsense").is_err());
        assert!(scope_default().decode("abc.zz").is_err());
    }

    fn scope_default() -> CursorScope<'static> {
        CursorScope {
            resource: "User",
            filter: None,
            sort: None,
            descending: false,
        }
    }
}
