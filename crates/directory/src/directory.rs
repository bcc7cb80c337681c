//! The directory: one value shared by every request, holding the store and the resource types
//! each profile serves.

use std::future::Future;
use std::sync::Arc;

use scim::definitions::{group_resource_type, user_resource_type};
use scim::schema::{Mutability, ResourceType};
use time::OffsetDateTime;

use crate::audit::Actor;
use crate::error::DirectoryError;
use crate::model::{Enterprise, Profile};
use crate::rate_limit::{Quota, RateLimit};
use crate::roles::CANONICAL_ROLE_VALUES;
use crate::store::Store;

/// Limits a deployment may tune.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Page size when a list request names no `count`.
    pub default_count: u64,
    /// The most resources one page returns (`filter.maxResults`).
    pub max_results: u64,
    /// Requests per token (`None`: unlimited).
    pub rate_limit: Option<RateLimit>,
    /// Refused SCIM writes recorded in the audit log per token (see `failure_log`).
    pub failure_events: RateLimit,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            default_count: 100,
            max_results: 1000,
            rate_limit: None,
            failure_events: crate::failure_log::DEFAULT_FAILURE_EVENTS,
        }
    }
}

/// Who is calling, for which enterprise, and where its resources are addressed.
#[derive(Debug, Clone)]
pub struct Caller {
    pub enterprise: Enterprise,
    pub actor: Actor,
    /// The SCIM base URL the client used, without a trailing slash (for `meta.location`).
    pub base_url: String,
}

/// `attributes` / `excludedAttributes` of a read.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

impl ReadOptions {
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.excluded.is_empty()
    }

    /// Whether the top-level attribute `name` would be returned (so whether it must be loaded).
    pub fn wants(&self, name: &str) -> bool {
        let names = |list: &[String]| {
            list.iter().any(|a| {
                let a = a.rsplit(':').next().unwrap_or(a);
                let top = a.split('.').next().unwrap_or(a);
                top.eq_ignore_ascii_case(name)
            })
        };
        if !self.attributes.is_empty() {
            return names(&self.attributes);
        }
        !names(&self.excluded)
    }
}

pub struct Directory {
    pub(crate) store: Arc<dyn Store>,
    emu_users: ResourceType,
    scim_users: ResourceType,
    groups: ResourceType,
    pub(crate) limits: Limits,
    pub(crate) failures: crate::failure_log::FailureBudget,
}

impl Directory {
    pub fn new(store: Arc<dyn Store>, mut limits: Limits) -> Directory {
        limits.rate_limit = limits.rate_limit.filter(RateLimit::is_valid);
        Directory {
            store,
            emu_users: user_resource_type(Mutability::Immutable, CANONICAL_ROLE_VALUES.to_vec()),
            scim_users: user_resource_type(Mutability::ReadWrite, Vec::new()),
            groups: group_resource_type(),
            failures: crate::failure_log::FailureBudget::new(limits.failure_events),
            limits,
        }
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The User resource type as this profile serves it (what `/Schemas` shows).
    pub fn user_type(&self, profile: Profile) -> &ResourceType {
        match profile {
            Profile::GithubEmu => &self.emu_users,
            Profile::Scim => &self.scim_users,
        }
    }

    pub fn group_type(&self) -> &ResourceType {
        &self.groups
    }

    /// Take a request from `token_id`'s bucket; `None` when rate limiting is off, or when the
    /// store cannot answer. Failing open is deliberate: the limit guards against a runaway
    /// client, not against the database; refusing (or answering 500 to) every request of every
    /// token because a bucket could not be read would turn a brief database hiccup into an
    /// outage of the whole API, while the request itself still meets any store error on its own.
    pub async fn take_rate(&self, token_id: &str) -> Option<Quota> {
        let limit = self.limits.rate_limit?;
        match self.store.take_rate(token_id, &limit).await {
            Ok(quota) => Some(quota),
            Err(e) => {
                tracing::warn!(token = token_id, error = %e, "rate limit not applied: the store failed");
                None
            }
        }
    }

    /// Whether the store can serve requests now (see `Store::ready`).
    pub async fn ready(&self) -> Result<(), DirectoryError> {
        Ok(self.store.ready().await?)
    }

    pub async fn enterprise(&self, slug: &str) -> Result<Option<Enterprise>, DirectoryError> {
        Ok(self.store.enterprise_by_slug(slug).await?)
    }
}

/// The time a change happens, at the microsecond precision the store keeps.
pub(crate) fn now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// Run a transactional operation again when it lost a race the store detected; give up after a
/// few attempts so a pathological hot spot surfaces as an error instead of a hang.
pub(crate) async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, DirectoryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, DirectoryError>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(DirectoryError::Contention(detail)) => {
                tries += 1;
                if tries >= 8 {
                    return Err(DirectoryError::Contention(detail));
                }
            }
            other => return other,
        }
    }
}
