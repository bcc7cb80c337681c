//! A list or search request turned into a store query (filter, `sortBy`/`sortOrder`,
//! `startIndex` or RFC 9865 `cursor` paging, page size) and the page turned into a
//! ListResponse.

use scim::ScimError;
use scim::filter::Filter;
use scim::list::{SearchRequest, SortOrder, cursor_list_response, list_response};
use scim::schema::{AttrType, ResourceType};
use serde_json::Value;

use crate::cursor::CursorScope;
use crate::directory::Directory;
use crate::error::DirectoryError;
use crate::store::{ListQuery, Position, SortKey};

pub(crate) struct Listing<'r> {
    request: &'r SearchRequest,
    rt: &'r ResourceType,
    filter: Option<Filter>,
    sort: Option<SortKey>,
    after: Option<Position>,
    start_index: u64,
    count: u64,
}

/// Resolve `sortBy` to a singular attribute of the resource type.
fn sort_key(sort_by: &str, descending: bool, rt: &ResourceType) -> Result<SortKey, ScimError> {
    let bad = |why: String| ScimError::InvalidValue(format!("sortBy '{sort_by}' {why}"));
    let parsed = scim::filter::parse(&format!("{sort_by} pr"))
        .map_err(|_| bad("is not an attribute path such as userName or name.familyName".into()))?;
    let resolved = parsed
        .resolve(rt)
        .map_err(|e| bad(format!("cannot be used: {}", e.detail())))?;
    let Filter::Present(path) = resolved else {
        return Err(bad("is not an attribute path".into()));
    };
    let r = rt
        .resolve(path.urn.as_deref(), &path.name, path.sub.as_deref())
        .ok_or_else(|| bad("names no attribute".into()))?;
    let target = r.sub_attribute.unwrap_or(r.attribute);
    if r.attribute.multi_valued || target.ty == AttrType::Complex {
        return Err(bad("must name a singular, simple attribute (e.g. userName, name.familyName, meta.lastModified)".into()));
    }
    Ok(SortKey { path, descending })
}

impl<'r> Listing<'r> {
    pub(crate) fn query(&self) -> ListQuery<'_> {
        ListQuery {
            resource_type: self.rt,
            filter: self.filter.as_ref(),
            sort: self.sort.as_ref(),
            after: self.after.as_ref(),
            start_index: self.start_index,
            count: self.count,
        }
    }

    fn scope(&self) -> CursorScope<'_> {
        CursorScope {
            resource: self.rt.name,
            filter: self.request.filter.as_deref(),
            sort: self.request.sort_by.as_deref(),
            descending: self.sort.as_ref().is_some_and(|s| s.descending),
        }
    }

    /// The ListResponse for a page of rendered resources.
    pub(crate) fn response(
        &self,
        resources: Vec<Value>,
        total: u64,
        next: Option<&Position>,
    ) -> Value {
        if self.request.cursor.is_some() {
            let next = next.map(|p| self.scope().encode(p));
            cursor_list_response(resources, total, next)
        } else {
            list_response(resources, total, self.start_index)
        }
    }
}

impl Directory {
    pub(crate) fn listing<'r>(
        &self,
        request: &'r SearchRequest,
        rt: &'r ResourceType,
    ) -> Result<Listing<'r>, DirectoryError> {
        let filter = self.compile_filter(request.filter.as_deref(), rt)?;
        let descending = request.sort_order == SortOrder::Descending;
        let sort = request
            .sort_by
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| sort_key(s, descending, rt))
            .transpose()?;
        let mut listing = Listing {
            request,
            rt,
            filter,
            sort,
            after: None,
            start_index: request.start_index.max(1),
            count: self.page_size(request.count),
        };
        if let Some(c) = request.cursor.as_deref().filter(|c| !c.is_empty()) {
            listing.after = Some(listing.scope().decode(c)?);
        }
        Ok(listing)
    }
}
