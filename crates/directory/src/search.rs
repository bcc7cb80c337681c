//! `POST /.search` at the root: one listing over Users then Groups (RFC 7644 §3.4.3). A filter
//! that names attributes one resource type lacks matches none of that type; a filter that fits
//! neither is refused.

use scim::ScimError;
use scim::filter::Filter;
use scim::list::SearchRequest;
use scim::schema::ResourceType;
use serde_json::Value;

use crate::directory::{Caller, Directory, ReadOptions};
use crate::error::DirectoryError;
use crate::store::ListQuery;

/// How a filter applies to one resource type.
enum Applies {
    All,
    Matching(Filter),
    Nothing,
}

impl Directory {
    pub async fn search_all(
        &self,
        caller: &Caller,
        request: &SearchRequest,
    ) -> Result<Value, DirectoryError> {
        // Users and groups share no sort attribute or position; refuse rather than ignore.
        if request
            .sort_by
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
            || request.cursor.is_some()
        {
            return Err(ScimError::InvalidValue(
                "sortBy and cursor work on /Users/.search and /Groups/.search, not on a search across resource types at the root".into(),
            )
            .into());
        }
        let user_rt = self.user_type(caller.enterprise.profile);
        let group_rt = self.group_type();
        let (users_filter, groups_filter) = match request
            .filter
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            None => (Applies::All, Applies::All),
            Some(text) => {
                let parsed = scim::filter::parse(text)?;
                let for_users = parsed.clone().resolve(user_rt);
                let for_groups = parsed.resolve(group_rt);
                match (for_users, for_groups) {
                    (Err(e), Err(_)) => return Err(e.into()),
                    (u, g) => (
                        u.map(Applies::Matching).unwrap_or(Applies::Nothing),
                        g.map(Applies::Matching).unwrap_or(Applies::Nothing),
                    ),
                }
            }
        };
        let start = request.start_index.max(1);
        let count = self.page_size(request.count);
        let opts = ReadOptions {
            attributes: request.attributes.clone(),
            excluded: request.excluded_attributes.clone(),
        };
        let users_total = self.count_of(caller, user_rt, &users_filter, true).await?;
        let groups_total = self
            .count_of(caller, group_rt, &groups_filter, false)
            .await?;

        let mut resources = Vec::new();
        let mut left = count;
        if start <= users_total
            && left > 0
            && let Some(filter) = as_filter(&users_filter)
        {
            let query = ListQuery {
                sort: None,
                after: None,
                resource_type: user_rt,
                filter,
                start_index: start,
                count: left,
            };
            let page = self.store.users(caller.enterprise.id, &query).await?;
            left -= page.items.len() as u64;
            resources.extend(self.render_users(caller, page.items, &opts).await?);
        }
        if left > 0
            && groups_total > 0
            && let Some(filter) = as_filter(&groups_filter)
        {
            let query = ListQuery {
                sort: None,
                after: None,
                resource_type: group_rt,
                filter,
                start_index: start.saturating_sub(users_total).max(1),
                count: left,
            };
            let page = self.store.groups(caller.enterprise.id, &query).await?;
            resources.extend(self.render_groups(caller, page.items, &opts).await?);
        }
        Ok(scim::list::list_response(
            resources,
            users_total + groups_total,
            start,
        ))
    }

    async fn count_of(
        &self,
        caller: &Caller,
        rt: &ResourceType,
        applies: &Applies,
        users: bool,
    ) -> Result<u64, DirectoryError> {
        let Some(filter) = as_filter(applies) else {
            return Ok(0);
        };
        let query = ListQuery {
            sort: None,
            after: None,
            resource_type: rt,
            filter,
            start_index: 1,
            count: 0,
        };
        let id = caller.enterprise.id;
        Ok(if users {
            self.store.users(id, &query).await?.total
        } else {
            self.store.groups(id, &query).await?.total
        })
    }
}

/// `None` when nothing of the type can match; `Some(None)` for no filter at all.
fn as_filter(applies: &Applies) -> Option<Option<&Filter>> {
    match applies {
        Applies::All => Some(None),
        Applies::Matching(f) => Some(Some(f)),
        Applies::Nothing => None,
    }
}
