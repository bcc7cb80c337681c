//! List and search parameters: the query string of `GET` lists and reads, and the body of
//! `POST /.search`.

use axum::extract::Query;
use axum::extract::rejection::QueryRejection;
use directory::ReadOptions;
use scim::ScimError;
use scim::list::SearchRequest;

pub type QueryPairs = Result<Query<Vec<(String, String)>>, QueryRejection>;

pub fn pairs(q: QueryPairs) -> Result<Vec<(String, String)>, ScimError> {
    q.map(|Query(p)| p)
        .map_err(|e| ScimError::InvalidValue(format!("the query string cannot be read: {e}")))
}

pub fn search_request(q: QueryPairs) -> Result<SearchRequest, ScimError> {
    SearchRequest::from_query(&pairs(q)?)
}

/// `attributes` / `excludedAttributes` of a single-resource read or write.
pub fn read_options(q: QueryPairs) -> Result<ReadOptions, ScimError> {
    let request = search_request(q)?;
    Ok(ReadOptions {
        attributes: request.attributes,
        excluded: request.excluded_attributes,
    })
}
