//! `--database` URLs: `sqlite://PATH` (relative, or absolute as `sqlite:///var/lib/roster.db`)
//! and `postgres://…`.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl std::str::FromStr for DatabaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(path) = s.strip_prefix("sqlite://") {
            let path = path.split('?').next().unwrap_or(path);
            if path.is_empty() {
                return Err("sqlite:// needs a file path, e.g. sqlite://roster-data/roster.db or sqlite:///var/lib/roster.db".into());
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(s.to_string()));
        }
        Err(format!(
            "unsupported database URL '{s}': use sqlite://PATH (absolute: sqlite:///var/lib/roster.db) or postgres://…"
        ))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatabaseUrl::Sqlite(p) => write!(f, "sqlite://{}", p.display()),
            DatabaseUrl::Postgres(u) => write!(f, "{}", redact_password(u)),
        }
    }
}

/// The URL with its password replaced by `***`: `serve` prints the URL it runs on, and logs and
/// terminals must not carry database credentials.
fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_relative_and_absolute_sqlite_paths() {
        assert_eq!(
            "sqlite://roster-data/r.db".parse(),
            Ok(DatabaseUrl::Sqlite("roster-data/r.db".into()))
        );
        assert_eq!(
            "sqlite:///var/lib/roster.db".parse(),
            Ok(DatabaseUrl::Sqlite("/var/lib/roster.db".into()))
        );
        assert!(matches!(
            "postgres://localhost/x".parse::<DatabaseUrl>(),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert!("mysql://x".parse::<DatabaseUrl>().is_err());
        let with_password: DatabaseUrl = "postgres://roster:s3cret@db:5432/roster?sslmode=require"
            .parse()
            .unwrap();
        assert_eq!(
            with_password.to_string(),
            "postgres://roster:***@db:5432/roster?sslmode=require"
        );
        let plain: DatabaseUrl = "postgres://postgres@127.0.0.1/x".parse().unwrap();
        assert_eq!(plain.to_string(), "postgres://postgres@127.0.0.1/x");
        assert!("sqlite://".parse::<DatabaseUrl>().is_err());
    }
}
