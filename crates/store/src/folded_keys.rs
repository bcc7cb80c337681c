//! Migration 4: the case-insensitive keys of users and groups written by `scim::fold` instead
//! of `to_lowercase()`. Both backends read their rows in pages, compute the keys here, and
//! write back the ones that change, inside the migration's transaction. Two rows whose keys
//! now collide (`straße` and `STRASSE` were two users before) cannot both stay: the migration
//! fails, changes nothing, and says which rows and how to resolve it.

use directory::store::StoreError;
use scim::fold::fold;

/// Rows read per page.
pub(crate) const PAGE: i64 = 5_000;

/// A user's keyed values as stored: (seq, enterprise, id, userName, handle, displayName) and
/// its keys as stored.
pub(crate) struct UserKeys {
    pub seq: i64,
    pub enterprise_id: i64,
    pub id: String,
    pub user_name: String,
    pub handle: String,
    pub display_name: Option<String>,
    pub user_name_lc: String,
    pub handle_lc: String,
    pub display_name_lc: Option<String>,
}

impl UserKeys {
    /// The keys it should have, when they differ from the stored ones.
    pub(crate) fn refolded(&self) -> Option<(String, String, Option<String>)> {
        let keys = (
            fold(&self.user_name),
            fold(&self.handle),
            self.display_name.as_deref().map(fold),
        );
        (keys.0 != self.user_name_lc || keys.1 != self.handle_lc || keys.2 != self.display_name_lc)
            .then_some(keys)
    }
}

/// A group's displayName and its key as stored.
pub(crate) struct GroupKeys {
    pub seq: i64,
    pub enterprise_id: i64,
    pub id: String,
    pub display_name: String,
    pub display_name_lc: String,
}

impl GroupKeys {
    pub(crate) fn refolded(&self) -> Option<String> {
        let key = fold(&self.display_name);
        (key != self.display_name_lc).then_some(key)
    }
}

/// The refusal when rewriting a key broke a uniqueness rule.
pub(crate) fn collision(kind: &str, enterprise_id: i64, id: &str, value: &str) -> StoreError {
    StoreError::Backend(format!(
        "migration 4 (case-insensitive keys folded by scim::fold) cannot finish: the {kind} '{}' (id {id}, enterprise {enterprise_id}) is the same, compared by Unicode case folding, as another one already stored (for example 'straße' and 'STRASSE'). Nothing was changed. With the previous roster release, delete or rename one of the two (DELETE /Users/{{id}} or /Groups/{{id}}), then start this release again.",
        scim::shown::shown(value)
    ))
}
