//! Enterprises, their setup user and personal access tokens, and authenticating a request.

use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::audit::{self, Actor};
use crate::directory::{Directory, now};
use crate::error::DirectoryError;
use crate::model::{Enterprise, Profile, Scope, Token};
use crate::store::NewEnterprise;
use crate::tokens::{hash_secret, new_secret, new_token_id};

/// A token as created: its record and the secret, which exists nowhere else.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: Token,
    pub secret: String,
}

/// How often a token's `last_used_at` is written: a write per request would cost more than
/// the request; a minute is as precise as an admin needs.
const LAST_USE_GRANULARITY: Duration = Duration::seconds(60);

/// GitHub enterprise slugs: lower-case letters, digits and single hyphens.
fn check_slug(slug: &str) -> Result<(), DirectoryError> {
    let ok = !slug.is_empty()
        && slug.len() <= 60
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-')
        && !slug.contains("--");
    if ok {
        Ok(())
    } else {
        Err(DirectoryError::Refused(format!(
            "enterprise slug '{slug}' is not valid: use 1-60 lower-case letters, digits and single hyphens, not at either end"
        )))
    }
}

fn check_short_code(code: &str) -> Result<(), DirectoryError> {
    if (3..=8).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(DirectoryError::Refused(format!(
            "short code '{code}' is not valid: it must be 3 to 8 letters or digits (it suffixes every handle and never changes)"
        )))
    }
}

impl Directory {
    /// Create an enterprise, its setup user `SHORTCODE_admin` and that user's first token
    /// (scope `scim:enterprise`).
    pub async fn create_enterprise(
        &self,
        slug: &str,
        short_code: &str,
        profile: Profile,
    ) -> Result<(Enterprise, IssuedToken), DirectoryError> {
        check_slug(slug)?;
        check_short_code(short_code)?;
        let at = now();
        let mut tx = self.store.begin().await?;
        let enterprise = tx
            .insert_enterprise(&NewEnterprise {
                slug: slug.to_string(),
                short_code: short_code.to_string(),
                profile,
                created: at,
            })
            .await?;
        let issued = issue(&enterprise, vec![Scope::ScimEnterprise], None, at)?;
        tx.insert_token(&issued.token, &hash_secret(&issued.secret))
            .await?;
        let actor = Actor::cli();
        tx.append_audit(&[
            actor.event(
                enterprise.id,
                audit::BUSINESS_CREATE,
                ("enterprise", slug, Some(slug)),
                at,
                json!({ "short_code": short_code, "profile": profile.as_str() }),
            ),
            actor.event(
                enterprise.id,
                audit::TOKEN_CREATE,
                ("token", &issued.token.id, Some(&issued.token.owner)),
                at,
                json!({ "scopes": ["scim:enterprise"] }),
            ),
        ])
        .await?;
        tx.commit().await?;
        Ok((enterprise, issued))
    }

    pub async fn enterprises(&self) -> Result<Vec<Enterprise>, DirectoryError> {
        Ok(self.store.enterprises().await?)
    }

    /// A new token for the enterprise's setup user.
    pub async fn create_token(
        &self,
        slug: &str,
        scopes: Vec<Scope>,
        expires_in: Option<Duration>,
    ) -> Result<IssuedToken, DirectoryError> {
        if scopes.is_empty() {
            return Err(DirectoryError::Refused(format!(
                "a token needs at least one scope: {}",
                Scope::names()
            )));
        }
        let enterprise = self
            .store
            .enterprise_by_slug(slug)
            .await?
            .ok_or_else(|| DirectoryError::Refused(format!("no enterprise '{slug}'")))?;
        let at = now();
        let expires_at = match expires_in {
            None => None,
            Some(d) => Some(at.checked_add(d).filter(|t| t.year() <= 9999).ok_or_else(|| {
                DirectoryError::Refused(format!(
                    "a token lifetime of {} days ends after the year 9999; give a shorter lifetime",
                    d.whole_days()
                ))
            })?),
        };
        let issued = issue(&enterprise, scopes, expires_at, at)?;
        let mut tx = self.store.begin().await?;
        tx.insert_token(&issued.token, &hash_secret(&issued.secret))
            .await?;
        let scopes: Vec<&str> = issued.token.scopes.iter().map(|s| s.as_str()).collect();
        tx.append_audit(&[Actor::cli().event(enterprise.id, audit::TOKEN_CREATE, ("token", &issued.token.id, Some(&issued.token.owner)), at, json!({ "scopes": scopes, "expires_at": issued.token.expires_at.map(crate::render::timestamp) }))])
            .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// Tokens (no secrets), of one enterprise or all.
    pub async fn tokens(
        &self,
        slug: Option<&str>,
    ) -> Result<Vec<(Token, Enterprise)>, DirectoryError> {
        let enterprises = self.store.enterprises().await?;
        let wanted = match slug {
            Some(s) => Some(
                enterprises
                    .iter()
                    .find(|e| e.slug == s)
                    .ok_or_else(|| DirectoryError::Refused(format!("no enterprise '{s}'")))?
                    .id,
            ),
            None => None,
        };
        let tokens = self.store.tokens(wanted).await?;
        Ok(tokens
            .into_iter()
            .filter_map(|t| {
                enterprises
                    .iter()
                    .find(|e| e.id == t.enterprise_id)
                    .cloned()
                    .map(|e| (t, e))
            })
            .collect())
    }

    /// Revoke a token by its public id; refuses an unknown id.
    pub async fn revoke_token(&self, id: &str) -> Result<Token, DirectoryError> {
        let at = now();
        let mut tx = self.store.begin().await?;
        let token = tx.revoke_token(id, at).await?.ok_or_else(|| {
            DirectoryError::Refused(format!("no token with id '{id}' (see `roster token list`)"))
        })?;
        tx.append_audit(&[Actor::cli().event(
            token.enterprise_id,
            audit::TOKEN_REVOKE,
            ("token", id, Some(&token.owner)),
            at,
            json!({}),
        )])
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Authenticate a request for enterprise `slug` from its `Authorization` header.
    pub async fn authenticate(
        &self,
        slug: &str,
        authorization: Option<&str>,
        needed: Scope,
        request_id: Option<String>,
    ) -> Result<(Enterprise, Actor), DirectoryError> {
        self.authenticate_for(Some(slug), authorization, needed, request_id)
            .await
    }

    /// Authenticate a request from its `Authorization` header: for enterprise `slug` when the
    /// path names one, otherwise for the token's own enterprise (whose organizations the
    /// directory then checks).
    pub async fn authenticate_for(
        &self,
        slug: Option<&str>,
        authorization: Option<&str>,
        needed: Scope,
        request_id: Option<String>,
    ) -> Result<(Enterprise, Actor), DirectoryError> {
        let secret = authorization
            .and_then(|h| {
                let (scheme, rest) = h.trim().split_once(' ')?;
                (scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token"))
                    .then(|| rest.trim())
            })
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                DirectoryError::Unauthenticated(
                    "send a personal access token as 'Authorization: Bearer <token>'".into(),
                )
            })?;
        let (token, enterprise) = self
            .store
            .token_by_hash(&hash_secret(secret))
            .await?
            .ok_or_else(|| DirectoryError::Unauthenticated("the token is not valid: check that it was copied whole, or create a new one with `roster token create`".into()))?;
        let at = now();
        if token.revoked_at.is_some() {
            return Err(DirectoryError::Unauthenticated(format!(
                "token {} was revoked; create a new one with `roster token create`",
                token.id
            )));
        }
        if let Some(exp) = token.expires_at.filter(|e| *e <= at) {
            return Err(DirectoryError::Unauthenticated(format!(
                "token {} expired at {}; create a new one with `roster token create`",
                token.id,
                crate::render::timestamp(exp)
            )));
        }
        if let Some(slug) = slug
            && enterprise.slug != slug
        {
            return Err(DirectoryError::Forbidden(format!(
                "this token belongs to another enterprise and cannot access enterprise '{slug}'"
            )));
        }
        if !token.scopes.iter().any(|s| s.grants(needed)) {
            return Err(DirectoryError::Forbidden(format!(
                "this token lacks the {} scope; create one with `roster token create --scope {}`",
                needed.as_str(),
                needed.as_str()
            )));
        }
        if token
            .last_used_at
            .is_none_or(|last| at - last >= LAST_USE_GRANULARITY)
            && last_use::may_record(at)
        {
            // Best-effort: a request that only reads must not fail because the database cannot
            // take this write now. The first such failure may wait the store's bounded write
            // wait; after it, none is tried for a minute (`last_use`).
            let recorded = async {
                let mut tx = self.store.begin().await?;
                tx.touch_token(&token.id, at).await?;
                tx.commit().await
            };
            if let Err(e) = recorded.await {
                last_use::not_recorded(at, &token.id, &e);
            }
        }
        let actor = Actor {
            name: token.owner.clone(),
            token_id: Some(token.id.clone()),
            request_id,
        };
        Ok((enterprise, actor))
    }
}

/// Recording tokens' last use while the database fails: after one failure, no use is recorded
/// (and none is logged) for `LAST_USE_GRANULARITY`, so a database that cannot take writes
/// costs each request nothing and the log one line a minute. Per process, as one process
/// serves one store.
mod last_use {
    use std::sync::atomic::{AtomicI64, Ordering};

    use time::OffsetDateTime;

    use super::LAST_USE_GRANULARITY;
    use crate::store::StoreError;

    /// Unix time (seconds) before which no use is recorded.
    static PAUSED_UNTIL: AtomicI64 = AtomicI64::new(i64::MIN);

    pub(super) fn may_record(at: OffsetDateTime) -> bool {
        at.unix_timestamp() >= PAUSED_UNTIL.load(Ordering::Relaxed)
    }

    pub(super) fn not_recorded(at: OffsetDateTime, token_id: &str, e: &StoreError) {
        let until = (at + LAST_USE_GRANULARITY).unix_timestamp();
        PAUSED_UNTIL.store(until, Ordering::Relaxed);
        tracing::warn!(
            token = token_id,
            error = %e,
            "could not record a token's last use; the request goes on, and no last use is recorded for a minute"
        );
    }
}

fn issue(
    enterprise: &Enterprise,
    scopes: Vec<Scope>,
    expires_at: Option<OffsetDateTime>,
    at: OffsetDateTime,
) -> Result<IssuedToken, DirectoryError> {
    Ok(IssuedToken {
        token: Token {
            id: new_token_id(),
            enterprise_id: enterprise.id,
            owner: enterprise.setup_user(),
            scopes,
            created: at,
            expires_at,
            revoked_at: None,
            last_used_at: None,
        },
        secret: new_secret()?,
    })
}
