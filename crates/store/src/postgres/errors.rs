//! PostgreSQL errors as store errors, by SQLSTATE, so the directory's retry and uniqueness
//! handling works the same on PostgreSQL and on Postgres-wire distributed SQL engines (which
//! report lost races as 40001 far more often), and so a client is told the truth about an
//! outage: 503 when nothing was changed, 507 when the disk is full, "outcome unknown" when a
//! COMMIT went out and no answer came back.
//!
//! The texts reach response bodies: plain words, never a password, a value or SQL.

use directory::store::{StoreError, UniqueKey};

use crate::convert::backend;

/// Map a driver error met before any COMMIT was sent: nothing it interrupted was saved, so
/// every outage is `Unavailable` ("changed nothing").
pub(crate) fn pg_error(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) => {
            let code = db.code().unwrap_or_default();
            match code.as_ref() {
                "40001" | "40P01" => StoreError::Retryable(db.message().to_string()),
                "23505" => StoreError::Unique(unique_key(db.constraint())),
                // JSONB and TEXT cannot hold U+0000; SQLite can, so say what to change.
                "22P05" | "22021" => StoreError::Backend(format!(
                    "PostgreSQL cannot store this value ({}): remove NUL (\\u0000) characters from it",
                    db.message()
                )),
                code => sqlstate_error(code, db.message()).unwrap_or_else(|| backend(&e)),
            }
        }
        _ => outage(&e).map_or_else(|| backend(&e), StoreError::Unavailable),
    }
}

/// Map a failure of the COMMIT round trip. Only a definite refusal by the server (a
/// serialization failure, a deadlock, a deferred constraint) means the transaction was rolled
/// back; anything else (the connection broke, the server shut down) may have come after the
/// commit was durable, so the outcome is unknown.
pub(crate) fn commit_error(e: sqlx::Error, server: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db
            .code()
            .is_some_and(|c| c.starts_with("40") || c.starts_with("23"))
    {
        return pg_error(e);
    }
    StoreError::OutcomeUnknown(format!(
        "{server} did not confirm the COMMIT: {}",
        reason(pg_error(e))
    ))
}

/// The words of a store error without its kind, to say inside another error why it came.
pub(crate) fn reason(e: StoreError) -> String {
    match e {
        StoreError::Unavailable(why) | StoreError::Full(why) | StoreError::Backend(why) => why,
        other => other.to_string(),
    }
}

/// A failure that is not about the data but about the server or the way to it, by SQLSTATE:
/// class 08 (connection exception), 53 (insufficient resources), 57P01–57P03 (shutdown,
/// crash, start-up), and the few others an operator has to act on. `None`: the statement
/// itself failed (a bug: 500).
pub(crate) fn sqlstate_error(code: &str, message: &str) -> Option<StoreError> {
    let unavailable = |why: &str| Some(StoreError::Unavailable(why.to_string()));
    match code {
        "53100" => Some(StoreError::Full(
            "PostgreSQL has no disk space left for the database; free space on the database server"
                .into(),
        )),
        "53300" => unavailable(
            "PostgreSQL has no free connection slots: other clients hold all of max_connections",
        ),
        "53200" => unavailable("PostgreSQL is out of memory"),
        "57P01" => unavailable(
            "PostgreSQL is shutting down (an administrator stopped it or ended this session)",
        ),
        "57P02" => unavailable("PostgreSQL is restarting after a crash"),
        "57P03" => {
            unavailable("PostgreSQL is starting up or shutting down and accepts no connections yet")
        }
        "57P04" => unavailable("the database was dropped"),
        "57014" => unavailable(
            "PostgreSQL cancelled the statement (it ran past --pg-statement-timeout, or an operator cancelled it)",
        ),
        "25006" => unavailable(
            "PostgreSQL accepts no writes here (a read-only standby, or default_transaction_read_only is on)",
        ),
        "3D000" => unavailable("the database named in --database does not exist"),
        // The server's own words stay in the log: they may name users and databases, and
        // these texts reach response bodies.
        c if c.starts_with("08") => {
            tracing::warn!(sqlstate = c, %message, "the connection to PostgreSQL failed");
            unavailable("the connection to PostgreSQL failed")
        }
        c if c.starts_with("53") => {
            tracing::warn!(sqlstate = c, %message, "PostgreSQL lacks resources");
            unavailable("PostgreSQL lacks resources (memory, disk or connections)")
        }
        c if c.starts_with("28") => {
            tracing::warn!(sqlstate = c, %message, "PostgreSQL refused Roster's credentials");
            unavailable(
                "PostgreSQL refused Roster's credentials: check the user and password of --database",
            )
        }
        c if c.starts_with("58") => unavailable(
            "PostgreSQL cannot read or write its own files (an I/O error on the database server)",
        ),
        _ => None,
    }
}

/// The way to the server failed (no SQLSTATE): what happened, in words.
fn outage(e: &sqlx::Error) -> Option<String> {
    Some(match e {
        sqlx::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            "PostgreSQL refuses connections (nothing listens at its address: it is not running)"
                .into()
        }
        sqlx::Error::Io(io) => format!("the connection to PostgreSQL failed ({io})"),
        sqlx::Error::Tls(tls) => format!("the TLS connection to PostgreSQL failed ({tls})"),
        sqlx::Error::PoolTimedOut => {
            "no PostgreSQL connection came free in time: the database does not answer or every connection is in use".into()
        }
        sqlx::Error::PoolClosed => {
            "Roster is closing its PostgreSQL connections (it is shutting down)".into()
        }
        _ => return None,
    })
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

    fn kind(code: &str) -> &'static str {
        match sqlstate_error(code, "server message") {
            Some(StoreError::Unavailable(_)) => "unavailable",
            Some(StoreError::Full(_)) => "full",
            Some(_) => "other",
            None => "statement",
        }
    }

    #[test]
    fn server_trouble_is_unavailable_and_a_full_disk_is_full() {
        for code in [
            "08000", "08003", "08006", "08001", "08004", "53000", "53200", "53300", "53400",
            "57P01", "57P02", "57P03", "57P04", "57014", "25006", "3D000", "28000", "28P01",
            "58030",
        ] {
            assert_eq!(kind(code), "unavailable", "{code}");
        }
        assert_eq!(kind("53100"), "full");
        // A statement PostgreSQL refuses on its own merits is a bug of Roster's, not an outage.
        for code in ["42601", "42P01", "22P02", "XX000", "23503"] {
            assert_eq!(kind(code), "statement", "{code}");
        }
    }

    #[test]
    fn texts_say_what_happened_without_the_servers_words_where_they_add_nothing() {
        let Some(StoreError::Unavailable(t)) = sqlstate_error("53300", "sorry, too many clients")
        else {
            panic!("53300 is unavailable");
        };
        assert!(t.contains("max_connections"), "{t}");
        let Some(StoreError::Unavailable(t)) = sqlstate_error(
            "28P01",
            "password authentication failed for user \"roster\"",
        ) else {
            panic!("28P01 is unavailable");
        };
        // The server's own words (which name the user) go to the log, not into answers.
        assert!(t.contains("credentials") && !t.contains("roster\""), "{t}");
    }

    #[test]
    fn a_commit_that_broke_on_the_way_has_an_unknown_outcome() {
        let reset = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        let e = commit_error(reset, "PostgreSQL at db:5432");
        let StoreError::OutcomeUnknown(t) = e else {
            panic!("a reset COMMIT is an unknown outcome: {e:?}");
        };
        assert!(
            t.starts_with("PostgreSQL at db:5432 did not confirm the COMMIT"),
            "{t}"
        );
        let e = commit_error(
            sqlx::Error::Protocol("unexpected message".into()),
            "PostgreSQL",
        );
        assert!(matches!(e, StoreError::OutcomeUnknown(_)), "{e:?}");
    }

    #[test]
    fn outages_without_sqlstate_are_unavailable() {
        for e in [
            sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionRefused)),
            sqlx::Error::PoolTimedOut,
            sqlx::Error::PoolClosed,
        ] {
            assert!(
                matches!(pg_error(e), StoreError::Unavailable(_)),
                "an outage changes nothing"
            );
        }
        assert!(matches!(
            pg_error(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
    }
}
