//! PostgreSQL errors as store errors, by SQLSTATE, so the directory's retry and uniqueness
//! handling works the same on PostgreSQL and on Postgres-wire distributed SQL engines (which
//! report lost races as 40001 far more often).

use directory::store::{StoreError, UniqueKey};

use crate::convert::backend;

/// Map a driver error: 40001 (serialization failure) and 40P01 (deadlock) may be retried;
/// 23505 names the rule it broke by constraint (or unique index) name.
pub(crate) fn pg_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        match db.code().as_deref() {
            Some("40001" | "40P01") => return StoreError::Retryable(db.message().to_string()),
            Some("23505") => return StoreError::Unique(unique_key(db.constraint())),
            // JSONB and TEXT cannot hold U+0000; SQLite can, so say what to change.
            Some("22P05" | "22021") => {
                return StoreError::Backend(format!(
                    "PostgreSQL cannot store this value ({}): remove NUL (\\u0000) characters from it",
                    db.message()
                ));
            }
            _ => {}
        }
    }
    if let sqlx::Error::PoolTimedOut = e {
        return StoreError::Backend(
            "timed out waiting for a PostgreSQL connection: the database is unreachable or every connection is busy".into(),
        );
    }
    backend(e)
}

fn unique_key(constraint: Option<&str>) -> UniqueKey {
    match constraint {
        Some("users_user_name") => UniqueKey::UserName,
        Some("users_handle") => UniqueKey::Handle,
        Some("groups_display_name") => UniqueKey::GroupDisplayName,
        Some("enterprises_slug") => UniqueKey::EnterpriseSlug,
        Some("enterprises_short_code") => UniqueKey::EnterpriseShortCode,
        Some("organizations_login") => UniqueKey::OrganizationLogin,
        Some("teams_slug") => UniqueKey::TeamSlug,
        _ => UniqueKey::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_map_to_rules() {
        assert_eq!(unique_key(Some("users_user_name")), UniqueKey::UserName);
        assert_eq!(unique_key(Some("users_handle")), UniqueKey::Handle);
        assert_eq!(
            unique_key(Some("groups_display_name")),
            UniqueKey::GroupDisplayName
        );
        assert_eq!(
            unique_key(Some("organizations_login")),
            UniqueKey::OrganizationLogin
        );
        assert_eq!(unique_key(Some("teams_slug")), UniqueKey::TeamSlug);
        assert_eq!(unique_key(Some("tokens_secret_hash")), UniqueKey::Other);
        assert_eq!(unique_key(None), UniqueKey::Other);
    }
}
