//! A request path that decodes to a control character (`/Users/a%00b`) names nothing Roster
//! could hold, and PostgreSQL cannot even compare such a value: it is refused here, before any
//! route, with the error shape of the API the path belongs to.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;

use crate::edge::Api;

/// Whether the percent-decoded `path` holds a control character (C0, DEL or C1).
fn holds_control(path: &str) -> bool {
    let bytes = path.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            decoded.push(h << 4 | l);
            i += 3;
            continue;
        }
        decoded.push(b);
        i += 1;
    }
    String::from_utf8_lossy(&decoded)
        .chars()
        .any(char::is_control)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

pub async fn refuse_control_characters(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !holds_control(path) {
        return next.run(req).await;
    }
    Api::of(path).error(
        StatusCode::BAD_REQUEST,
        "the request path holds a control character (such as %00); no resource has such a name",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_found_however_encoded() {
        assert!(holds_control("/Users/a%00b"));
        assert!(holds_control("/Users/a%0Ab"));
        assert!(holds_control("/Users/a%7f"));
        assert!(holds_control("/Users/a%C2%85"));
        assert!(!holds_control(
            "/Users/2819c223-7f76-453a-919d-413861904646"
        ));
        assert!(!holds_control("/orgs/octo-org/teams/caf%C3%A9"));
        assert!(!holds_control("/Users/100%"));
        assert!(!holds_control("/Users/%zz"));
    }
}
