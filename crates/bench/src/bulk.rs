//! Preloading through SCIM `/Bulk` (RFC 7644 §3.7): what the target allows (read from
//! `/ServiceProviderConfig`), how many operations fit in one request, the request body and
//! what came back.

use std::collections::HashMap;

use serde_json::{Value, json};

pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

/// `bulk` of a `/ServiceProviderConfig` (RFC 7643 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    pub supported: bool,
    /// 0 when not given.
    pub max_operations: u64,
    /// Bytes; 0 when not given.
    pub max_payload_size: u64,
}

/// A number that may come as a JSON number or a numeric string.
fn number(v: &Value) -> Option<u64> {
    v.as_u64()
        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// Read `bulk` from a `/ServiceProviderConfig` document; `None` when it has no `bulk` object.
pub fn bulk_limits(spc: &Value) -> Option<BulkLimits> {
    let b = spc.get("bulk")?.as_object()?;
    let supported = match b.get("supported") {
        Some(Value::Bool(s)) => *s,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    Some(BulkLimits {
        supported,
        max_operations: b.get("maxOperations").and_then(number).unwrap_or(0),
        max_payload_size: b.get("maxPayloadSize").and_then(number).unwrap_or(0),
    })
}

/// Operations per request: `requested`, capped by `maxOperations` and by how many operations
/// of at most `op_bytes` (serialized, plus a separating comma) fit in `maxPayloadSize` after
/// the `envelope_bytes` of the request around them. 0 when not even one fits.
pub fn bulk_batch(requested: u64, limits: &BulkLimits, op_bytes: u64, envelope_bytes: u64) -> u64 {
    let mut n = requested;
    if limits.max_operations > 0 {
        n = n.min(limits.max_operations);
    }
    if limits.max_payload_size > 0 {
        let room = limits.max_payload_size.saturating_sub(envelope_bytes);
        // n operations take n * op_bytes + (n - 1) commas <= room.
        n = n.min((room + 1) / (op_bytes + 1));
    }
    n
}

/// The bulkId of the operation creating preloaded user `i`.
pub fn bulk_id(i: u64) -> String {
    format!("b{i}")
}

/// One `POST /Users` operation of a bulk request.
pub fn bulk_user_op(i: u64, user: Value) -> Value {
    json!({ "method": "POST", "path": "/Users", "bulkId": bulk_id(i), "data": user })
}

/// A BulkRequest (no `failOnErrors`: the server carries on past errors).
pub fn bulk_request(operations: Vec<Value>) -> Value {
    json!({ "schemas": [BULK_REQUEST], "Operations": operations })
}

/// What a BulkResponse said about the operations of one request.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BulkOutcome {
    /// (position of the operation in the request, id of the created resource).
    pub created: Vec<(usize, String)>,
    /// Operations answered with a non-2xx status, or 2xx without a resource id.
    pub failed: usize,
    /// Operations of the request that the response does not mention.
    pub missing: usize,
    pub first_error: Option<String>,
}

/// The id in a resource location: its last path segment.
pub fn id_from_location(location: &str) -> Option<&str> {
    let path = location.split(['?', '#']).next().unwrap_or(location);
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
}

/// Match the operations of a BulkResponse to the request's (by bulkId, else by position) and
/// collect the ids of what was created, from `location` (or `response.id`).
pub fn parse_bulk_response(v: &Value, sent_bulk_ids: &[String]) -> BulkOutcome {
    let index: HashMap<&str, usize> = sent_bulk_ids
        .iter()
        .enumerate()
        .map(|(k, b)| (b.as_str(), k))
        .collect();
    let mut out = BulkOutcome::default();
    let mut answered = vec![false; sent_bulk_ids.len()];
    let ops = v
        .get("Operations")
        .or_else(|| v.get("operations"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (p, op) in ops.iter().enumerate() {
        let pos = match op.get("bulkId").and_then(Value::as_str) {
            Some(b) => index.get(b).copied(),
            None => (p < sent_bulk_ids.len()).then_some(p),
        };
        let Some(pos) = pos else {
            continue;
        };
        if std::mem::replace(&mut answered[pos], true) {
            continue;
        }
        let status = op.get("status").and_then(number).unwrap_or(0);
        let id = op
            .get("location")
            .and_then(Value::as_str)
            .and_then(id_from_location)
            .or_else(|| op.pointer("/response/id").and_then(Value::as_str));
        match id {
            Some(id) if (200..300).contains(&status) => out.created.push((pos, id.to_string())),
            _ => {
                out.failed += 1;
                if out.first_error.is_none() {
                    let detail = op
                        .pointer("/response/detail")
                        .and_then(Value::as_str)
                        .unwrap_or("no resource location");
                    out.first_error = Some(format!(
                        "bulk operation {status}: {}",
                        detail.chars().take(300).collect::<String>()
                    ));
                }
            }
        }
    }
    out.missing = answered.iter().filter(|a| !**a).count();
    if out.missing > 0 && out.first_error.is_none() {
        out.first_error = Some(format!(
            "the BulkResponse does not mention {} of {} operations",
            out.missing,
            sent_bulk_ids.len()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_from_the_service_provider_config() {
        let spc =
            json!({"bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576}});
        assert_eq!(
            bulk_limits(&spc),
            Some(BulkLimits {
                supported: true,
                max_operations: 1000,
                max_payload_size: 1_048_576
            })
        );
        let spc =
            json!({"bulk": {"supported": false, "maxOperations": "0", "maxPayloadSize": "0"}});
        assert_eq!(
            bulk_limits(&spc),
            Some(BulkLimits {
                supported: false,
                max_operations: 0,
                max_payload_size: 0
            })
        );
        assert_eq!(
            bulk_limits(&json!({"bulk": {"supported": "True", "maxOperations": "50"}}))
                .map(|l| (l.supported, l.max_operations)),
            Some((true, 50))
        );
        assert_eq!(bulk_limits(&json!({"patch": {"supported": true}})), None);
    }

    #[test]
    fn batch_is_capped_by_operations_and_payload() {
        let l = |ops, bytes| BulkLimits {
            supported: true,
            max_operations: ops,
            max_payload_size: bytes,
        };
        assert_eq!(bulk_batch(500, &l(1000, 0), 400, 100), 500);
        assert_eq!(bulk_batch(5000, &l(1000, 0), 400, 100), 1000);
        // 10 ops of 99 bytes + 9 commas = 999 bytes fit in 1000 - 1 = 999.
        assert_eq!(bulk_batch(5000, &l(0, 1000), 99, 1), 10);
        assert_eq!(bulk_batch(5000, &l(0, 999), 99, 1), 9);
        assert_eq!(bulk_batch(5000, &l(1000, 1_048_576), 450, 90), 1000);
        assert_eq!(bulk_batch(5000, &l(5000, 1_048_576), 450, 90), 2324);
        // Nothing fits.
        assert_eq!(bulk_batch(10, &l(1000, 100), 200, 90), 0);
    }

    #[test]
    fn batch_size_is_exact_for_real_bodies() {
        let ops: Vec<Value> = (0..7)
            .map(|i| bulk_user_op(i, json!({"userName": "x"})))
            .collect();
        let op_bytes = ops[0].to_string().len() as u64;
        let envelope = bulk_request(Vec::new()).to_string().len() as u64;
        let size = bulk_request(ops).to_string().len() as u64;
        let l = BulkLimits {
            supported: true,
            max_operations: 0,
            max_payload_size: size,
        };
        assert_eq!(bulk_batch(100, &l, op_bytes, envelope), 7);
        let l = BulkLimits {
            max_payload_size: size - 1,
            ..l
        };
        assert_eq!(bulk_batch(100, &l, op_bytes, envelope), 6);
    }

    #[test]
    fn ids_come_from_the_last_segment_of_the_location() {
        assert_eq!(
            id_from_location("http://h/scim/v2/enterprises/a/Users/2819c223-7f76"),
            Some("2819c223-7f76")
        );
        assert_eq!(id_from_location("/v2/Users/abc/"), Some("abc"));
        assert_eq!(id_from_location("/v2/Users/abc?x=1"), Some("abc"));
        assert_eq!(id_from_location(""), None);
    }

    #[test]
    fn response_is_matched_by_bulk_id_then_position() {
        let sent: Vec<String> = (10..14).map(bulk_id).collect();
        let v = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"], "Operations": [
            {"method": "POST", "bulkId": "b11", "status": "201", "location": "http://h/v2/Users/id11"},
            {"method": "POST", "bulkId": "b10", "status": 201, "location": "http://h/v2/Users/id10"},
            {"method": "POST", "bulkId": "b12", "status": "409",
             "response": {"status": "409", "scimType": "uniqueness", "detail": "userName taken"}},
        ]});
        let out = parse_bulk_response(&v, &sent);
        assert_eq!(out.created, vec![(1, "id11".into()), (0, "id10".into())]);
        assert_eq!(out.failed, 1);
        assert_eq!(out.missing, 1);
        assert_eq!(
            out.first_error.as_deref(),
            Some("bulk operation 409: userName taken")
        );

        // Without bulkIds the position decides; `response.id` stands in for a location.
        let v = json!({"Operations": [
            {"status": "201", "response": {"id": "r0"}},
            {"status": "201", "location": "/Users/r1"},
        ]});
        let out = parse_bulk_response(&v, &sent[..2]);
        assert_eq!(out.created, vec![(0, "r0".into()), (1, "r1".into())]);
        assert_eq!((out.failed, out.missing), (0, 0));
        assert_eq!(out.first_error, None);
        // A location does not make an error status a success.
        let v = json!({"Operations": [
            {"status": "500", "location": "/Users/r0", "response": {"detail": "disk full"}},
        ]});
        let out = parse_bulk_response(&v, &sent[..1]);
        assert!(out.created.is_empty());
        assert_eq!(out.failed, 1);
        assert_eq!(
            out.first_error.as_deref(),
            Some("bulk operation 500: disk full")
        );
    }

    #[test]
    fn a_non_bulk_response_counts_everything_missing() {
        let sent: Vec<String> = (0..3).map(bulk_id).collect();
        let out = parse_bulk_response(&json!({"detail": "nope"}), &sent);
        assert!(out.created.is_empty());
        assert_eq!(out.missing, 3);
        assert!(out.first_error.is_some());
        // A repeated answer for one operation is not counted twice.
        let v = json!({"Operations": [
            {"bulkId": "b0", "status": "201", "location": "/Users/x"},
            {"bulkId": "b0", "status": "201", "location": "/Users/y"},
        ]});
        let out = parse_bulk_response(&v, &sent);
        assert_eq!(out.created, vec![(0, "x".into())]);
        assert_eq!(out.missing, 2);
    }
}
