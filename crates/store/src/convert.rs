//! Conversions both backends share: times as microseconds since the epoch (the stored form),
//! scopes as a space-separated list, profiles by name, driver errors as backend errors.

use directory::model::{Profile, Scope};
use directory::store::StoreError;
use time::OffsetDateTime;

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

pub(crate) fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

pub(crate) fn from_micros(us: i64) -> Result<OffsetDateTime, StoreError> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000).map_err(backend)
}

pub(crate) fn opt_time(us: Option<i64>) -> Result<Option<OffsetDateTime>, StoreError> {
    us.map(from_micros).transpose()
}

pub(crate) fn profile(s: &str) -> Result<Profile, StoreError> {
    Profile::parse(s)
        .ok_or_else(|| StoreError::Backend(format!("unknown profile '{s}' in the database")))
}

pub(crate) fn scopes_to_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub(crate) fn scopes_from_text(text: &str) -> Vec<Scope> {
    text.split_whitespace().filter_map(Scope::parse).collect()
}
