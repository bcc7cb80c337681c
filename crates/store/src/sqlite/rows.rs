//! SQLite rows to domain records.

use directory::model::{
    Enterprise, IdpGroup, LoggedEvent, ManagedUser, Organization, Privacy, Team, Token,
};
use directory::store::StoreError;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub(crate) use crate::convert::{backend, micros, scopes_to_text};
use crate::convert::{from_micros, opt_time, profile, scopes_from_text};

pub(crate) fn enterprise_from(r: &SqliteRow) -> Result<Enterprise, StoreError> {
    Ok(Enterprise {
        id: r.try_get("id").map_err(backend)?,
        slug: r.try_get("slug").map_err(backend)?,
        short_code: r.try_get("short_code").map_err(backend)?,
        profile: profile(r.try_get("profile").map_err(backend)?)?,
        created: from_micros(r.try_get("created").map_err(backend)?)?,
    })
}

/// An enterprise joined under `e_`-prefixed column names.
pub(crate) fn enterprise_from_prefixed(r: &SqliteRow) -> Result<Enterprise, StoreError> {
    Ok(Enterprise {
        id: r.try_get("e_id").map_err(backend)?,
        slug: r.try_get("slug").map_err(backend)?,
        short_code: r.try_get("short_code").map_err(backend)?,
        profile: profile(r.try_get("profile").map_err(backend)?)?,
        created: from_micros(r.try_get("e_created").map_err(backend)?)?,
    })
}

pub(crate) fn token_from(r: &SqliteRow) -> Result<Token, StoreError> {
    let scopes: String = r.try_get("scopes").map_err(backend)?;
    Ok(Token {
        id: r.try_get("id").map_err(backend)?,
        enterprise_id: r.try_get("enterprise_id").map_err(backend)?,
        owner: r.try_get("owner").map_err(backend)?,
        scopes: scopes_from_text(&scopes),
        created: from_micros(r.try_get("created").map_err(backend)?)?,
        expires_at: opt_time(r.try_get("expires_at").map_err(backend)?)?,
        revoked_at: opt_time(r.try_get("revoked_at").map_err(backend)?)?,
        last_used_at: opt_time(r.try_get("last_used_at").map_err(backend)?)?,
    })
}

fn doc(r: &SqliteRow) -> Result<serde_json::Value, StoreError> {
    let text: String = r.try_get("doc").map_err(backend)?;
    serde_json::from_str(&text).map_err(backend)
}

pub(crate) fn user_from(r: &SqliteRow) -> Result<ManagedUser, StoreError> {
    Ok(ManagedUser {
        id: r.try_get("id").map_err(backend)?,
        enterprise_id: r.try_get("enterprise_id").map_err(backend)?,
        user_name: r.try_get("user_name").map_err(backend)?,
        handle: r.try_get("handle").map_err(backend)?,
        external_id: r.try_get("external_id").map_err(backend)?,
        display_name: r.try_get("display_name").map_err(backend)?,
        active: r.try_get("active").map_err(backend)?,
        doc: doc(r)?,
        version: r.try_get("version").map_err(backend)?,
        created: from_micros(r.try_get("created").map_err(backend)?)?,
        last_modified: from_micros(r.try_get("last_modified").map_err(backend)?)?,
    })
}

pub(crate) fn group_from(r: &SqliteRow) -> Result<IdpGroup, StoreError> {
    Ok(IdpGroup {
        id: r.try_get("id").map_err(backend)?,
        enterprise_id: r.try_get("enterprise_id").map_err(backend)?,
        display_name: r.try_get("display_name").map_err(backend)?,
        external_id: r.try_get("external_id").map_err(backend)?,
        doc: doc(r)?,
        version: r.try_get("version").map_err(backend)?,
        created: from_micros(r.try_get("created").map_err(backend)?)?,
        last_modified: from_micros(r.try_get("last_modified").map_err(backend)?)?,
    })
}

pub(crate) fn organization_from(r: &SqliteRow) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: r.try_get("id").map_err(backend)?,
        enterprise_id: r.try_get("enterprise_id").map_err(backend)?,
        login: r.try_get("login").map_err(backend)?,
        created: from_micros(r.try_get("created").map_err(backend)?)?,
    })
}

pub(crate) fn team_from(r: &SqliteRow) -> Result<Team, StoreError> {
    let privacy: String = r.try_get("privacy").map_err(backend)?;
    Ok(Team {
        id: r.try_get("id").map_err(backend)?,
        org_id: r.try_get("org_id").map_err(backend)?,
        name: r.try_get("name").map_err(backend)?,
        slug: r.try_get("slug").map_err(backend)?,
        description: r.try_get("description").map_err(backend)?,
        privacy: Privacy::parse(&privacy).ok_or_else(|| {
            StoreError::Backend(format!("unknown team privacy '{privacy}' in the database"))
        })?,
        parent_id: r.try_get("parent_id").map_err(backend)?,
        group_id: r.try_get("group_id").map_err(backend)?,
        created: from_micros(r.try_get("created").map_err(backend)?)?,
        updated: from_micros(r.try_get("updated").map_err(backend)?)?,
    })
}

pub(crate) fn logged_event_from(r: &SqliteRow) -> Result<LoggedEvent, StoreError> {
    let data: String = r.try_get("data").map_err(backend)?;
    Ok(LoggedEvent {
        seq: r.try_get("seq").map_err(backend)?,
        enterprise_id: r.try_get("enterprise_id").map_err(backend)?,
        action: r.try_get("action").map_err(backend)?,
        actor: r.try_get("actor").map_err(backend)?,
        token_id: r.try_get("token_id").map_err(backend)?,
        request_id: r.try_get("request_id").map_err(backend)?,
        target_type: r.try_get("target_type").map_err(backend)?,
        target_id: r.try_get("target_id").map_err(backend)?,
        target_name: r.try_get("target_name").map_err(backend)?,
        at: from_micros(r.try_get("at").map_err(backend)?)?,
        data: serde_json::from_str(&data).map_err(backend)?,
    })
}
