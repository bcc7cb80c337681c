//! Bounded XML input and output: the one place SAML text is parsed (roxmltree, DTDs refused,
//! nodes and depth capped), decoded from base64, and escaped on the way out.

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use roxmltree::{Document, Node, ParsingOptions};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::{SamlError, shown};

/// The largest decoded SAML response Roster reads. Real ones are 4–20 KiB (an assertion with a
/// certificate and a dozen attributes); 256 KiB leaves room for big group lists and still
/// bounds parsing and canonicalization work.
pub(crate) const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// IdP metadata is read once, by an administrator, and may be a small federation aggregate.
pub(crate) const MAX_METADATA_BYTES: usize = 1024 * 1024;
/// SAML nests about eight deep (Response/Assertion/AttributeStatement/Attribute/AttributeValue);
/// anything near this cap is an attack on recursive code, ours included.
pub(crate) const MAX_DEPTH: usize = 64;
/// Nodes (elements, attributes' owners, text, comments) one document may hold.
pub(crate) const MAX_NODES: u32 = 50_000;

/// XML namespaces SAML uses.
pub(crate) const NS_PROTOCOL: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub(crate) const NS_ASSERTION: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub(crate) const NS_METADATA: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
pub(crate) const NS_DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
pub(crate) const NS_XENC: &str = "http://www.w3.org/2001/04/xmlenc#";

/// Standard base64 that accepts input with or without padding: IdPs and admins' copy-paste
/// differ, and padding carries no meaning.
const LENIENT_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Decodes base64 that may be wrapped in lines (IdPs wrap at 64 or 76 columns, and form
/// encoding may leave CR LF), refusing anything that would decode past `limit` bytes before
/// decoding it.
pub(crate) fn decode_base64(text: &str, limit: usize) -> Result<Vec<u8>, SamlError> {
    // Whitespace can at most double an honest encoding (one newline per character would be
    // absurd, but a CR LF every 64 is common); refuse anything beyond that before copying it.
    let encoded_limit = limit.div_ceil(3) * 4;
    if text.len() > encoded_limit.saturating_mul(2) {
        return Err(SamlError::TooLarge {
            limit,
            got: text.len() / 4 * 3,
        });
    }
    let compact: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if compact.len() > encoded_limit {
        return Err(SamlError::TooLarge {
            limit,
            got: compact.len() / 4 * 3,
        });
    }
    let bytes = LENIENT_BASE64
        .decode(&compact)
        .map_err(|e| SamlError::NotBase64(e.to_string()))?;
    if bytes.len() > limit {
        return Err(SamlError::TooLarge {
            limit,
            got: bytes.len(),
        });
    }
    Ok(bytes)
}

pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    general_purpose::STANDARD.encode(bytes)
}

/// Parses an XML document with Roster's limits: no DTD (so no entities, no billion laughs),
/// at most `MAX_NODES` nodes, at most `MAX_DEPTH` deep, at most `limit` bytes.
pub(crate) fn parse(text: &str, limit: usize) -> Result<Document<'_>, SamlError> {
    if text.len() > limit {
        return Err(SamlError::TooLarge {
            limit,
            got: text.len(),
        });
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let document = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => SamlError::Doctype,
        roxmltree::Error::NodesLimitReached => SamlError::TooComplex {
            limit: MAX_DEPTH,
            nodes: MAX_NODES,
        },
        other => SamlError::MalformedXml(other.to_string()),
    })?;
    // roxmltree builds its tree without recursion; our canonicalizer recurses, so depth is
    // checked here, once, before anything walks the tree.
    // Nodes come in document order, each after its parent, so one pass with a depth per
    // node id is enough (walking every node's ancestors would be quadratic in the depth).
    let mut depths: Vec<usize> = Vec::new();
    for node in document.root().descendants() {
        let index = node.id().get_usize();
        let depth = node
            .parent()
            .and_then(|p| depths.get(p.id().get_usize()).copied())
            .map_or(0, |d| d + 1);
        if depth > MAX_DEPTH {
            return Err(SamlError::TooComplex {
                limit: MAX_DEPTH,
                nodes: MAX_NODES,
            });
        }
        if depths.len() <= index {
            depths.resize(index + 1, 0);
        }
        depths[index] = depth;
    }
    Ok(document)
}

/// `bytes` as UTF-8 text (SAML messages are UTF-8; a UTF-16 one is refused, not guessed at).
pub(crate) fn utf8(bytes: &[u8]) -> Result<&str, SamlError> {
    std::str::from_utf8(bytes).map_err(|e| SamlError::NotUtf8(e.to_string()))
}

/// Whether `node` is the element `{namespace}local`.
pub(crate) fn is(node: Node, namespace: &str, local: &str) -> bool {
    node.is_element()
        && node.tag_name().name() == local
        && node.tag_name().namespace() == Some(namespace)
}

/// The element children of `node` named `{namespace}local`.
pub(crate) fn children<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    local: &'static str,
) -> impl Iterator<Item = Node<'a, 'input>> + use<'a, 'input> {
    node.children().filter(move |c| is(*c, namespace, local))
}

/// The first element child named `{namespace}local`.
pub(crate) fn child<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    local: &'static str,
) -> Option<Node<'a, 'input>> {
    children(node, namespace, local).next()
}

/// The one element child named `{namespace}local`; two of them is malformed, since a reader
/// that took the first and a signer that meant the second would disagree.
pub(crate) fn only_child<'a, 'input>(
    node: Node<'a, 'input>,
    namespace: &'static str,
    local: &'static str,
) -> Result<Option<Node<'a, 'input>>, SamlError> {
    let mut found = children(node, namespace, local);
    let first = found.next();
    if found.next().is_some() {
        return Err(SamlError::MalformedXml(format!(
            "more than one {local} element where SAML allows one"
        )));
    }
    Ok(first)
}

/// All the text inside `node` (its descendants' text, comments excluded), as one string.
pub(crate) fn text_content(node: Node) -> String {
    node.descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect()
}

/// Element's qualified name as written, for messages.
pub(crate) fn describe(node: Node) -> String {
    match node.tag_name().namespace() {
        Some(ns) => format!("{{{ns}}}{}", node.tag_name().name()),
        None => node.tag_name().name().to_owned(),
    }
}

/// An xs:dateTime as SAML sends it (UTC, "Z"; fractional seconds allowed). A value with no
/// zone is read as UTC, which is what SAML core §1.3.3 says it must be.
pub(crate) fn parse_time(what: &'static str, value: &str) -> Result<OffsetDateTime, SamlError> {
    let value = value.trim();
    let bad = || SamlError::BadTime {
        what,
        got: shown(value),
    };
    if value.len() > 64 {
        return Err(bad());
    }
    let parsed = OffsetDateTime::parse(value, &Rfc3339).ok().or_else(|| {
        let has_zone = value.ends_with('Z')
            || value
                .get(19..)
                .is_some_and(|rest| rest.contains(['+', '-']));
        if has_zone {
            None
        } else {
            OffsetDateTime::parse(&format!("{value}Z"), &Rfc3339).ok()
        }
    });
    // Held in UTC from here on; an offset that pushes the instant past year 9999 is refused
    // rather than left to panic in later arithmetic.
    parsed
        .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
        .ok_or_else(bad)
}

/// An instant as SAML wants it: UTC, whole seconds, "Z".
pub(crate) fn format_time(t: OffsetDateTime) -> String {
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Escapes text for an attribute value in double quotes.
pub(crate) fn escape_attribute(value: &str) -> String {
    escape(value, |c| match c {
        '"' => Some("&quot;"),
        '\'' => Some("&apos;"),
        '\t' => Some("&#x9;"),
        '\n' => Some("&#xA;"),
        c => markup_reference(c),
    })
}

/// Escapes text for element content.
pub(crate) fn escape_text(value: &str) -> String {
    escape(value, markup_reference)
}

/// The references every context needs: the markup characters, and CR (which parsers would
/// otherwise fold into LF).
fn markup_reference(c: char) -> Option<&'static str> {
    match c {
        '&' => Some("&amp;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        '\r' => Some("&#xD;"),
        _ => None,
    }
}

fn escape(value: &str, reference: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match reference(c) {
            Some(r) => out.push_str(r),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_tolerates_wrapped_lines_and_missing_padding() {
        assert_eq!(
            decode_base64("aGVs\r\nbG8=\n", 100).ok(),
            Some(b"hello".to_vec())
        );
        assert_eq!(
            decode_base64(" aGVsbG8 ", 100).ok(),
            Some(b"hello".to_vec())
        );
    }

    #[test]
    fn base64_over_the_limit_is_refused_before_decoding() {
        let big = "A".repeat(4000);
        assert!(matches!(
            decode_base64(&big, 1000),
            Err(SamlError::TooLarge { limit: 1000, .. })
        ));
    }

    #[test]
    fn deep_nesting_is_refused() {
        let xml = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 2),
            "</a>".repeat(MAX_DEPTH + 2)
        );
        assert!(matches!(
            parse(&xml, MAX_MESSAGE_BYTES),
            Err(SamlError::TooComplex { .. })
        ));
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(&ok, MAX_MESSAGE_BYTES).is_ok());
    }

    #[test]
    fn times_parse_with_and_without_fraction() {
        let a = parse_time("t", "2024-01-02T03:04:05Z").ok();
        let b = parse_time("t", "2024-01-02T03:04:05.123Z").ok();
        let c = parse_time("t", "2024-01-02T03:04:05").ok();
        assert!(a.is_some() && b.is_some());
        assert_eq!(a, c);
        assert!(parse_time("t", "yesterday").is_err());
        assert_eq!(a.map(format_time).as_deref(), Some("2024-01-02T03:04:05Z"));
    }

    #[test]
    fn times_at_the_edge_of_the_range_do_not_panic() {
        assert!(parse_time("t", "9999-12-31T23:59:59Z").is_ok());
        assert!(parse_time("t", "9999-12-31T23:59:59-23:59").is_err());
        assert!(parse_time("t", "-0001-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn very_deep_nesting_is_refused_without_exhausting_the_stack() {
        let n = 30_000;
        let xml = format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        assert!(matches!(
            parse(&xml, MAX_MESSAGE_BYTES),
            Err(SamlError::TooComplex { .. })
        ));
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(
            escape_attribute("a\"<&>'\n"),
            "a&quot;&lt;&amp;&gt;&apos;&#xA;"
        );
        assert_eq!(escape_text("<a&b>"), "&lt;a&amp;b&gt;");
    }
}
