//! SQLite rows to domain records.

use directory::model::{
    Enterprise, IdpGroup, LoggedEvent, ManagedUser, Organization, Privacy, Team, Token,
};
use directory::store::StoreError;
use rusqlite::Row;
use rusqlite::types::FromSql;

pub(crate) use super::errors::backend;
pub(crate) use crate::convert::{micros, scopes_to_text};

/// Column `name` of a row.
pub(crate) fn get<T: FromSql>(r: &Row<'_>, name: &str) -> Result<T, StoreError> {
    r.get(name).map_err(backend)
}
use crate::convert::{from_micros, opt_time, profile, scopes_from_text};

pub(crate) fn enterprise_from(r: &Row<'_>) -> Result<Enterprise, StoreError> {
    enterprise_named(r, "id", "created")
}

/// An enterprise joined under `e_`-prefixed column names.
pub(crate) fn enterprise_from_prefixed(r: &Row<'_>) -> Result<Enterprise, StoreError> {
    enterprise_named(r, "e_id", "e_created")
}

/// An enterprise whose `id` and `created` columns have these names.
fn enterprise_named(r: &Row<'_>, id: &str, created: &str) -> Result<Enterprise, StoreError> {
    Ok(Enterprise {
        id: get(r, id)?,
        slug: get(r, "slug")?,
        short_code: get(r, "short_code")?,
        profile: profile(&get::<String>(r, "profile")?)?,
        created: from_micros(get(r, created)?)?,
    })
}

pub(crate) fn token_from(r: &Row<'_>) -> Result<Token, StoreError> {
    let scopes: String = get(r, "scopes")?;
    Ok(Token {
        id: get(r, "id")?,
        enterprise_id: get(r, "enterprise_id")?,
        owner: get(r, "owner")?,
        scopes: scopes_from_text(&scopes),
        created: from_micros(get(r, "created")?)?,
        expires_at: opt_time(get(r, "expires_at")?)?,
        revoked_at: opt_time(get(r, "revoked_at")?)?,
        last_used_at: opt_time(get(r, "last_used_at")?)?,
    })
}

fn doc(r: &Row<'_>) -> Result<serde_json::Value, StoreError> {
    let text: String = get(r, "doc")?;
    serde_json::from_str(&text).map_err(backend)
}

pub(crate) fn user_from(r: &Row<'_>) -> Result<ManagedUser, StoreError> {
    Ok(ManagedUser {
        id: get(r, "id")?,
        enterprise_id: get(r, "enterprise_id")?,
        user_name: get(r, "user_name")?,
        handle: get(r, "handle")?,
        external_id: get(r, "external_id")?,
        display_name: get(r, "display_name")?,
        active: get(r, "active")?,
        doc: doc(r)?,
        version: get(r, "version")?,
        created: from_micros(get(r, "created")?)?,
        last_modified: from_micros(get(r, "last_modified")?)?,
    })
}

pub(crate) fn group_from(r: &Row<'_>) -> Result<IdpGroup, StoreError> {
    Ok(IdpGroup {
        id: get(r, "id")?,
        enterprise_id: get(r, "enterprise_id")?,
        display_name: get(r, "display_name")?,
        external_id: get(r, "external_id")?,
        doc: doc(r)?,
        version: get(r, "version")?,
        created: from_micros(get(r, "created")?)?,
        last_modified: from_micros(get(r, "last_modified")?)?,
    })
}

pub(crate) fn organization_from(r: &Row<'_>) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: get(r, "id")?,
        enterprise_id: get(r, "enterprise_id")?,
        login: get(r, "login")?,
        created: from_micros(get(r, "created")?)?,
    })
}

pub(crate) fn team_from(r: &Row<'_>) -> Result<Team, StoreError> {
    let privacy: String = get(r, "privacy")?;
    Ok(Team {
        id: get(r, "id")?,
        org_id: get(r, "org_id")?,
        name: get(r, "name")?,
        slug: get(r, "slug")?,
        description: get(r, "description")?,
        privacy: Privacy::parse(&privacy).ok_or_else(|| {
            StoreError::Backend(format!("unknown team privacy '{privacy}' in the database"))
        })?,
        parent_id: get(r, "parent_id")?,
        group_id: get(r, "group_id")?,
        created: from_micros(get(r, "created")?)?,
        updated: from_micros(get(r, "updated")?)?,
    })
}

pub(crate) fn logged_event_from(r: &Row<'_>) -> Result<LoggedEvent, StoreError> {
    let data: String = get(r, "data")?;
    Ok(LoggedEvent {
        seq: get(r, "seq")?,
        enterprise_id: get(r, "enterprise_id")?,
        action: get(r, "action")?,
        actor: get(r, "actor")?,
        token_id: get(r, "token_id")?,
        request_id: get(r, "request_id")?,
        target_type: get(r, "target_type")?,
        target_id: get(r, "target_id")?,
        target_name: get(r, "target_name")?,
        at: from_micros(get(r, "at")?)?,
        data: serde_json::from_str(&data).map_err(backend)?,
    })
}
