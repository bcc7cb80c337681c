//! List paging: RFC 9865 cursor pages, and the cost of a page at the start of a listing
//! against one at its end.

use serde::Serialize;
use serde_json::Value;

/// Pages of the cursor walk at each end whose latencies are compared.
pub const CURSOR_EDGE_PAGES: usize = 50;
/// The same for import (startIndex) paging.
pub const IMPORT_EDGE_PAGES: usize = 10;

/// What one page of a cursor-paged ListResponse says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorPage {
    pub resources: usize,
    pub total_results: Option<u64>,
    /// `nextCursor`, when more results follow.
    pub next_cursor: Option<String>,
}

pub fn parse_cursor_page(v: &Value) -> CursorPage {
    CursorPage {
        resources: v
            .get("Resources")
            .and_then(Value::as_array)
            .map_or(0, Vec::len),
        total_results: v.get("totalResults").and_then(Value::as_u64),
        next_cursor: v
            .get("nextCursor")
            .and_then(Value::as_str)
            .filter(|c| !c.is_empty())
            .map(str::to_string),
    }
}

/// Whether a target pages by cursor, from its answer to `GET /Users?cursor&count=1`:
/// `Err(why not)` when it refuses the parameter or ignores it.
pub fn cursor_support(status: u16, body: &str) -> Result<(), String> {
    let short = |s: &str| s.chars().take(200).collect::<String>();
    if !(200..300).contains(&status) {
        return Err(format!(
            "answered {status} to `?cursor&count=1`: {}",
            short(body)
        ));
    }
    let v: Value = serde_json::from_str(body)
        .map_err(|e| format!("answered `?cursor&count=1` with no JSON ListResponse: {e}"))?;
    let page = parse_cursor_page(&v);
    match (page.next_cursor, page.total_results) {
        (Some(_), _) => Ok(()),
        (None, Some(total)) if total > page.resources as u64 => Err(format!(
            "ignored the cursor parameter: no nextCursor although {total} results are listed and \
             {} came back",
            page.resources
        )),
        // Everything fitted on the page: nothing tells, a walk of one page is harmless.
        (None, _) => Ok(()),
    }
}

/// Percent-encode a query parameter value (RFC 3986 unreserved characters stay).
pub fn query_encode(s: &str) -> String {
    let mut enc = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                enc.push(b as char)
            }
            _ => enc.push_str(&format!("%{b:02X}")),
        }
    }
    enc
}

/// The request for cursor page `page` (1 = the first, asked for with an empty cursor).
pub fn cursor_query(next: Option<&str>, count: u64) -> String {
    match next {
        None => format!("/Users?cursor&count={count}"),
        Some(c) => format!("/Users?cursor={}&count={count}", query_encode(c)),
    }
}

/// Latency of the first `window` pages against the last `window` (the windows overlap when
/// there are fewer than 2 × `window` pages).
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Edges {
    pub window: usize,
    pub first_pages_p50_ms: f64,
    pub first_pages_p99_ms: f64,
    pub last_pages_p50_ms: f64,
    pub last_pages_p99_ms: f64,
    /// Last-pages median / first-pages median.
    pub end_over_start: f64,
}

/// `pages` holds one latency (ms) per page, in page order.
pub fn edges(pages: &[f64], window: usize) -> Option<Edges> {
    if pages.is_empty() || window == 0 {
        return None;
    }
    let w = pages.len().min(window);
    let (first, last) = (&pages[..w], &pages[pages.len() - w..]);
    let (f50, l50) = (
        crate::stats::median_f64(first),
        crate::stats::median_f64(last),
    );
    Some(Edges {
        window: w,
        first_pages_p50_ms: f50,
        first_pages_p99_ms: crate::stats::percentile_f64(first, 0.99),
        last_pages_p50_ms: l50,
        last_pages_p99_ms: crate::stats::percentile_f64(last, 0.99),
        end_over_start: if f50 > 0.0 { l50 / f50 } else { 0.0 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursor_pages_are_parsed() {
        let v = json!({"totalResults": 250, "itemsPerPage": 2, "Resources": [{}, {}], "nextCursor": "ab.12"});
        assert_eq!(
            parse_cursor_page(&v),
            CursorPage {
                resources: 2,
                total_results: Some(250),
                next_cursor: Some("ab.12".into())
            }
        );
        let last = parse_cursor_page(&json!({"totalResults": 250, "Resources": [{}]}));
        assert_eq!(last.next_cursor, None);
        assert_eq!(
            parse_cursor_page(&json!({"nextCursor": ""})).next_cursor,
            None
        );
        assert_eq!(parse_cursor_page(&json!({})).resources, 0);
    }

    #[test]
    fn cursor_support_is_told_from_the_probe() {
        assert_eq!(
            cursor_support(
                200,
                r#"{"totalResults": 5, "Resources": [{}], "nextCursor": "x"}"#
            ),
            Ok(())
        );
        // Ignored: an index-paged answer with more results than came back.
        let e = cursor_support(
            200,
            r#"{"totalResults": 5, "startIndex": 1, "Resources": [{}]}"#,
        )
        .unwrap_err();
        assert!(e.contains("ignored"), "{e}");
        // Refused.
        let e = cursor_support(400, r#"{"detail": "unknown parameter"}"#).unwrap_err();
        assert!(e.starts_with("answered 400"), "{e}");
        assert!(cursor_support(200, "<html>").is_err());
        // One user or none: nothing to tell, walk.
        assert_eq!(
            cursor_support(200, r#"{"totalResults": 1, "Resources": [{}]}"#),
            Ok(())
        );
    }

    #[test]
    fn cursor_queries_start_empty_and_encode_the_cursor() {
        assert_eq!(cursor_query(None, 100), "/Users?cursor&count=100");
        assert_eq!(
            cursor_query(Some("ab.7b22/+="), 100),
            "/Users?cursor=ab.7b22%2F%2B%3D&count=100"
        );
    }

    #[test]
    fn edges_compare_first_and_last_pages() {
        let pages: Vec<f64> = (1..=200).map(|p| p as f64).collect();
        let e = edges(&pages, 50).unwrap();
        assert_eq!(e.window, 50);
        assert_eq!(e.first_pages_p50_ms, 25.5);
        assert_eq!(e.first_pages_p99_ms, 50.0);
        assert_eq!(e.last_pages_p50_ms, 175.5);
        assert_eq!(e.last_pages_p99_ms, 200.0);
        assert!((e.end_over_start - 175.5 / 25.5).abs() < 1e-12);
        // Fewer pages than the window: both ends are all the pages.
        let e = edges(&[2.0, 4.0, 6.0], 10).unwrap();
        assert_eq!(
            (e.window, e.first_pages_p50_ms, e.last_pages_p50_ms),
            (3, 4.0, 4.0)
        );
        assert_eq!(edges(&[], 10), None);
    }
}
