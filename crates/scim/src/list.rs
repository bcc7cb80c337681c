//! List and search requests (RFC 7644 §3.4.2, §3.4.3) and the ListResponse they answer with.

use serde_json::{Value, json};

use crate::definitions::LIST_RESPONSE_SCHEMA;
use crate::error::ScimError;
use crate::project::parse_attribute_list;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

/// The parameters of `GET /Users?…` or the body of `POST /Users/.search`. `count` is as the
/// client asked; callers cap it at their configured maximum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    pub filter: Option<String>,
    /// 1-based; values below 1 are read as 1 (RFC 7644 §3.4.2.4).
    pub start_index: u64,
    /// Negative values are read as 0.
    pub count: Option<u64>,
    pub attributes: Vec<String>,
    pub excluded_attributes: Vec<String>,
    pub sort_by: Option<String>,
    pub sort_order: SortOrder,
    /// RFC 9865 cursor pagination; `Some("")` asks to start cursor paging.
    pub cursor: Option<String>,
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            filter: None,
            start_index: 1,
            count: None,
            attributes: Vec::new(),
            excluded_attributes: Vec::new(),
            sort_by: None,
            sort_order: SortOrder::Ascending,
            cursor: None,
        }
    }
}

impl SearchRequest {
    /// From decoded query parameters; names are case-insensitive, unknown ones ignored, and
    /// a parameter given twice takes its last value (lists accumulate).
    pub fn from_query(pairs: &[(String, String)]) -> Result<Self, ScimError> {
        let mut req = SearchRequest::default();
        for (name, value) in pairs {
            match name.trim().to_ascii_lowercase().as_str() {
                "filter" => req.filter = non_empty(value),
                "startindex" => {
                    if let Some(n) = parse_integer("startIndex", value)? {
                        req.start_index = start_index(n);
                    }
                }
                "count" => {
                    if let Some(n) = parse_integer("count", value)? {
                        req.count = Some(count(n));
                    }
                }
                "attributes" => req.attributes.extend(parse_attribute_list(value)),
                "excludedattributes" => req.excluded_attributes.extend(parse_attribute_list(value)),
                "sortby" => req.sort_by = non_empty(value),
                "sortorder" => {
                    if let Some(order) = parse_sort_order(value)? {
                        req.sort_order = order;
                    }
                }
                "cursor" => req.cursor = Some(value.trim().to_string()),
                _ => {}
            }
        }
        Ok(req)
    }

    /// From a `POST /.search` body (RFC 7644 §3.4.3). The SearchRequest `schemas` is not
    /// insisted on; member names are case-insensitive; `null` means absent.
    pub fn from_body(body: &Value) -> Result<Self, ScimError> {
        let Value::Object(body) = body else {
            return Err(ScimError::InvalidSyntax(format!(
                "The body of a search request must be a JSON object (an RFC 7644 SearchRequest \
                 with filter, startIndex, count, attributes…), got {}.",
                kind(body)
            )));
        };
        let mut req = SearchRequest::default();
        for (name, value) in body {
            if value.is_null() {
                continue;
            }
            match name.to_ascii_lowercase().as_str() {
                "filter" => req.filter = non_empty(string_member("filter", value)?),
                "startindex" => {
                    if let Some(n) = integer_member("startIndex", value)? {
                        req.start_index = start_index(n);
                    }
                }
                "count" => {
                    if let Some(n) = integer_member("count", value)? {
                        req.count = Some(count(n));
                    }
                }
                "attributes" => req.attributes = list_member("attributes", value)?,
                "excludedattributes" => {
                    req.excluded_attributes = list_member("excludedAttributes", value)?
                }
                "sortby" => req.sort_by = non_empty(string_member("sortBy", value)?),
                "sortorder" => {
                    if let Some(order) = parse_sort_order(string_member("sortOrder", value)?)? {
                        req.sort_order = order;
                    }
                }
                "cursor" => req.cursor = Some(string_member("cursor", value)?.trim().to_string()),
                _ => {}
            }
        }
        Ok(req)
    }
}

/// An RFC 7644 §3.4.2 ListResponse. `itemsPerPage` is the number of resources on this page,
/// not the `count` asked for; `Resources` is present even when empty.
pub fn list_response(resources: Vec<Value>, total_results: u64, start_index: u64) -> Value {
    json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total_results,
        "startIndex": start_index,
        "itemsPerPage": resources.len() as u64,
        "Resources": resources,
    })
}

/// A ListResponse of cursor paging (RFC 9865 §2): `nextCursor` while more results follow, no
/// `startIndex`.
pub fn cursor_list_response(
    resources: Vec<Value>,
    total_results: u64,
    next_cursor: Option<String>,
) -> Value {
    let mut body = json!({
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": total_results,
        "itemsPerPage": resources.len() as u64,
        "Resources": resources,
    });
    if let Some(c) = next_cursor {
        body["nextCursor"] = Value::String(c);
    }
    body
}

fn start_index(n: i128) -> u64 {
    u64::try_from(n.max(1)).unwrap_or(u64::MAX)
}

fn count(n: i128) -> u64 {
    u64::try_from(n.max(0)).unwrap_or(u64::MAX)
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn meaning(param: &str) -> &'static str {
    if param == "count" {
        "the maximum number of results per page"
    } else {
        "the 1-based index of the first result"
    }
}

/// An integer query parameter; an empty value is the same as an absent one.
fn parse_integer(param: &str, value: &str) -> Result<Option<i128>, ScimError> {
    let t = value.trim();
    if t.is_empty() {
        return Ok(None);
    }
    t.parse::<i128>().map(Some).map_err(|_| {
        ScimError::InvalidValue(format!(
            "{param} must be an integer ({}), got \"{value}\".",
            meaning(param)
        ))
    })
}

/// An integer body member: a JSON integer (or an integral number such as `10.0`), or a string
/// holding one.
fn integer_member(param: &str, value: &Value) -> Result<Option<i128>, ScimError> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                return Ok(Some(i128::from(i)));
            }
            if let Some(u) = n.as_u64() {
                return Ok(Some(i128::from(u)));
            }
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(Some(f as i128)),
                _ => Err(ScimError::InvalidValue(format!(
                    "{param} must be an integer ({}), got {n}.",
                    meaning(param)
                ))),
            }
        }
        Value::String(s) => parse_integer(param, s),
        other => Err(ScimError::InvalidValue(format!(
            "{param} must be an integer ({}), got {}.",
            meaning(param),
            kind(other)
        ))),
    }
}

fn string_member<'v>(param: &str, value: &'v Value) -> Result<&'v str, ScimError> {
    match value {
        Value::String(s) => Ok(s),
        other => Err(ScimError::InvalidValue(format!(
            "{param} must be a string, got {}.",
            kind(other)
        ))),
    }
}

/// `attributes` / `excludedAttributes` in a body: an array of names (each may itself be a
/// comma list) or one comma-separated string.
fn list_member(param: &str, value: &Value) -> Result<Vec<String>, ScimError> {
    match value {
        Value::String(s) => Ok(parse_attribute_list(s)),
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::String(s) => out.extend(parse_attribute_list(s)),
                    Value::Null => {}
                    other => {
                        return Err(ScimError::InvalidValue(format!(
                            "{param} must be an array of attribute names (strings), but one \
                             element is {}.",
                            kind(other)
                        )));
                    }
                }
            }
            Ok(out)
        }
        other => Err(ScimError::InvalidValue(format!(
            "{param} must be an array of attribute names such as [\"userName\", \
             \"emails.value\"], got {}.",
            kind(other)
        ))),
    }
}

fn parse_sort_order(value: &str) -> Result<Option<SortOrder>, ScimError> {
    let t = value.trim();
    if t.is_empty() {
        Ok(None)
    } else if t.eq_ignore_ascii_case("ascending") {
        Ok(Some(SortOrder::Ascending))
    } else if t.eq_ignore_ascii_case("descending") {
        Ok(Some(SortOrder::Descending))
    } else {
        Err(ScimError::InvalidValue(format!(
            "sortOrder must be \"ascending\" or \"descending\", got \"{value}\"."
        )))
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definitions::SEARCH_REQUEST_SCHEMA;

    fn q(pairs: &[(&str, &str)]) -> Result<SearchRequest, ScimError> {
        let owned: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        SearchRequest::from_query(&owned)
    }

    fn ok(r: Result<SearchRequest, ScimError>) -> SearchRequest {
        match r {
            Ok(r) => r,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }

    #[test]
    fn okta_lookup_query() {
        let r = ok(q(&[
            ("filter", "userName eq \"isa@example.com\""),
            ("startIndex", "1"),
            ("count", "100"),
        ]));
        assert_eq!(
            r,
            SearchRequest {
                filter: Some("userName eq \"isa@example.com\"".into()),
                start_index: 1,
                count: Some(100),
                ..SearchRequest::default()
            }
        );
    }

    #[test]
    fn no_parameters_gives_defaults() {
        let r = ok(q(&[]));
        assert_eq!(r, SearchRequest::default());
        assert_eq!(r.start_index, 1);
        assert_eq!(r.count, None);
        assert_eq!(r.sort_order, SortOrder::Ascending);
    }

    #[test]
    fn parameter_names_are_case_insensitive() {
        let r = ok(q(&[
            ("FILTER", "displayName eq \"Eng\""),
            ("STARTINDEX", "3"),
            ("Count", "2"),
            ("ExcludedAttributes", "members"),
            ("ATTRIBUTES", "displayName, id"),
            ("sortby", "displayName"),
            ("SortOrder", "DESCENDING"),
            ("unknown", "x"),
        ]));
        assert_eq!(r.filter.as_deref(), Some("displayName eq \"Eng\""));
        assert_eq!(r.start_index, 3);
        assert_eq!(r.count, Some(2));
        assert_eq!(r.excluded_attributes, vec!["members"]);
        assert_eq!(r.attributes, vec!["displayName", "id"]);
        assert_eq!(r.sort_by.as_deref(), Some("displayName"));
        assert_eq!(r.sort_order, SortOrder::Descending);
    }

    #[test]
    fn start_index_below_one_is_one_and_negative_count_is_zero() {
        let r = ok(q(&[("startIndex", "0"), ("count", "-5")]));
        assert_eq!(r.start_index, 1);
        assert_eq!(r.count, Some(0));
        let r = ok(q(&[("startIndex", "-7")]));
        assert_eq!(r.start_index, 1);
        let r = ok(q(&[("count", "99999999999999999999999")]));
        assert_eq!(r.count, Some(u64::MAX));
    }

    #[test]
    fn empty_values_are_absent() {
        let r = ok(q(&[
            ("filter", ""),
            ("startIndex", ""),
            ("count", " "),
            ("sortOrder", ""),
            ("attributes", ""),
        ]));
        assert_eq!(r, SearchRequest::default());
    }

    #[test]
    fn non_integer_paging_names_the_parameter() {
        let e = q(&[("startIndex", "abc")]).err();
        assert_eq!(
            e,
            Some(ScimError::InvalidValue(
                "startIndex must be an integer (the 1-based index of the first result), got \
                 \"abc\"."
                    .into()
            ))
        );
        let e = q(&[("count", "1.5")]).err();
        assert!(
            matches!(&e, Some(ScimError::InvalidValue(d)) if d.starts_with("count must be an integer"))
        );
    }

    #[test]
    fn bad_sort_order() {
        let e = q(&[("sortOrder", "up")]).err();
        assert_eq!(
            e,
            Some(ScimError::InvalidValue(
                "sortOrder must be \"ascending\" or \"descending\", got \"up\".".into()
            ))
        );
    }

    #[test]
    fn cursor_is_kept_even_when_empty() {
        assert_eq!(ok(q(&[("cursor", "")])).cursor.as_deref(), Some(""));
        assert_eq!(ok(q(&[("cursor", "abc")])).cursor.as_deref(), Some("abc"));
    }

    #[test]
    fn search_body() {
        let r = ok(SearchRequest::from_body(&json!({
            "schemas": [SEARCH_REQUEST_SCHEMA],
            "attributes": ["displayName", "userName,emails.value"],
            "excludedAttributes": "groups",
            "filter": "displayName sw \"smith\"",
            "startIndex": 1,
            "count": 10,
            "sortBy": "userName",
            "sortOrder": "Descending"
        })));
        assert_eq!(
            r,
            SearchRequest {
                filter: Some("displayName sw \"smith\"".into()),
                start_index: 1,
                count: Some(10),
                attributes: vec![
                    "displayName".into(),
                    "userName".into(),
                    "emails.value".into()
                ],
                excluded_attributes: vec!["groups".into()],
                sort_by: Some("userName".into()),
                sort_order: SortOrder::Descending,
                cursor: None,
            }
        );
    }

    #[test]
    fn search_body_is_lenient() {
        let r = ok(SearchRequest::from_body(&json!({
            "FILTER": "userName eq \"a\"",
            "startIndex": "0",
            "count": -1,
            "attributes": null,
            "cursor": null
        })));
        assert_eq!(r.filter.as_deref(), Some("userName eq \"a\""));
        assert_eq!(r.start_index, 1);
        assert_eq!(r.count, Some(0));
        assert_eq!(
            ok(SearchRequest::from_body(&json!({}))),
            SearchRequest::default()
        );
        assert_eq!(
            ok(SearchRequest::from_body(&json!({"count": 10.0}))).count,
            Some(10)
        );
    }

    #[test]
    fn search_body_errors() {
        assert!(matches!(
            SearchRequest::from_body(&json!([])),
            Err(ScimError::InvalidSyntax(_))
        ));
        let e = SearchRequest::from_body(&json!({"count": "ten"})).err();
        assert!(
            matches!(&e, Some(ScimError::InvalidValue(d)) if d.starts_with("count must be an integer"))
        );
        let e = SearchRequest::from_body(&json!({"startIndex": 1.5})).err();
        assert!(
            matches!(&e, Some(ScimError::InvalidValue(d)) if d.starts_with("startIndex must be an integer"))
        );
        let e = SearchRequest::from_body(&json!({"startIndex": true})).err();
        assert!(matches!(&e, Some(ScimError::InvalidValue(d)) if d.contains("got a boolean")));
        let e = SearchRequest::from_body(&json!({"filter": 5})).err();
        assert_eq!(
            e,
            Some(ScimError::InvalidValue(
                "filter must be a string, got a number.".into()
            ))
        );
        let e = SearchRequest::from_body(&json!({"attributes": [1]})).err();
        assert!(
            matches!(&e, Some(ScimError::InvalidValue(d)) if d.starts_with("attributes must be an array"))
        );
        let e = SearchRequest::from_body(&json!({"excludedAttributes": {}})).err();
        assert!(
            matches!(&e, Some(ScimError::InvalidValue(d)) if d.starts_with("excludedAttributes must be an array"))
        );
        let e = SearchRequest::from_body(&json!({"sortOrder": "sideways"})).err();
        assert!(matches!(e, Some(ScimError::InvalidValue(_))));
    }

    #[test]
    fn list_response_shape() {
        let r = list_response(vec![json!({"id": "a"}), json!({"id": "b"})], 7, 3);
        assert_eq!(
            r,
            json!({
                "schemas": [LIST_RESPONSE_SCHEMA],
                "totalResults": 7,
                "startIndex": 3,
                "itemsPerPage": 2,
                "Resources": [{"id": "a"}, {"id": "b"}]
            })
        );
        assert!(r["totalResults"].is_u64());
        assert!(r["itemsPerPage"].is_u64());
    }

    #[test]
    fn empty_list_response_keeps_resources() {
        let r = list_response(Vec::new(), 0, 1);
        assert_eq!(r["Resources"], json!([]));
        assert_eq!(r["itemsPerPage"], 0);
        assert_eq!(r["totalResults"], 0);
        assert_eq!(r["startIndex"], 1);
    }
}
