//! PostgreSQL rows to domain records. Documents are JSONB; times BIGINT microseconds.

use directory::model::{
    Enterprise, IdpGroup, LoggedEvent, ManagedUser, Organization, Privacy, Team, Token,
};
use directory::store::StoreError;
use serde_json::Value;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use crate::convert::{backend, from_micros, opt_time, profile, scopes_from_text};

pub(crate) const ENTERPRISE_COLUMNS: &str = "id, slug, short_code, profile, created";
pub(crate) const TOKEN_COLUMNS: &str =
    "id, enterprise_id, owner, scopes, created, expires_at, revoked_at, last_used_at";
pub(crate) const USER_COLUMNS: &str = "id, enterprise_id, user_name, handle, external_id, display_name, active, doc, version, created, last_modified";
pub(crate) const GROUP_COLUMNS: &str =
    "id, enterprise_id, display_name, external_id, doc, version, created, last_modified";
pub(crate) const ORG_COLUMNS: &str = "id, enterprise_id, login, created";
pub(crate) const TEAM_COLUMNS: &str =
    "id, org_id, name, slug, description, privacy, parent_id, group_id, created, updated";
pub(crate) const AUDIT_COLUMNS: &str = "seq, enterprise_id, action, actor, token_id, request_id, target_type, target_id, target_name, at, data";

/// User columns qualified with the alias `u` (for joins).
pub(crate) fn user_columns_of_u() -> String {
    USER_COLUMNS
        .split(", ")
        .map(|c| format!("u.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn enterprise_from(r: &PgRow) -> Result<Enterprise, StoreError> {
    enterprise_named(r, "id", "created")
}

/// An enterprise joined under `e_`-prefixed id and created columns.
pub(crate) fn enterprise_from_prefixed(r: &PgRow) -> Result<Enterprise, StoreError> {
    enterprise_named(r, "e_id", "e_created")
}

fn enterprise_named(r: &PgRow, id: &str, created: &str) -> Result<Enterprise, StoreError> {
    Ok(Enterprise {
        id: r.try_get(id).map_err(backend)?,
        slug: r.try_get("slug").map_err(backend)?,
        short_code: r.try_get("short_code").map_err(backend)?,
        profile: profile(r.try_get("profile").map_err(backend)?)?,
        created: from_micros(r.try_get(created).map_err(backend)?)?,
    })
}

pub(crate) fn token_from(r: &PgRow) -> Result<Token, StoreError> {
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

fn doc(r: &PgRow) -> Result<Value, StoreError> {
    let Json(v): Json<Value> = r.try_get("doc").map_err(backend)?;
    Ok(v)
}

pub(crate) fn user_from(r: &PgRow) -> Result<ManagedUser, StoreError> {
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

pub(crate) fn group_from(r: &PgRow) -> Result<IdpGroup, StoreError> {
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

pub(crate) fn organization_from(r: &PgRow) -> Result<Organization, StoreError> {
    Ok(Organization {
        id: r.try_get("id").map_err(backend)?,
        enterprise_id: r.try_get("enterprise_id").map_err(backend)?,
        login: r.try_get("login").map_err(backend)?,
        created: from_micros(r.try_get("created").map_err(backend)?)?,
    })
}

pub(crate) fn team_from(r: &PgRow) -> Result<Team, StoreError> {
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

pub(crate) fn logged_event_from(r: &PgRow) -> Result<LoggedEvent, StoreError> {
    let Json(data): Json<Value> = r.try_get("data").map_err(backend)?;
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
        data,
    })
}
