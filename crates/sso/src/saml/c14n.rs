//! XML canonicalization as XML-DSig needs it for SAML, written against the specifications:
//! Exclusive XML Canonicalization 1.0 without comments
//! (<http://www.w3.org/2001/10/xml-exc-c14n#>, with its `InclusiveNamespaces PrefixList`) and
//! Canonical XML 1.0 without comments (<http://www.w3.org/TR/2001/REC-xml-c14n-20010315>), each
//! over the subtree of one element, optionally minus one descendant (the enveloped-signature
//! transform removes the Signature being checked).
//!
//! What the input parser already did, and c14n relies on: roxmltree normalizes line ends and
//! attribute values, resolves character and predefined entity references, and merges CDATA
//! into text. So this module only decides which namespace declarations appear, orders
//! attributes, drops comments, and escapes.

use std::collections::BTreeMap;

use roxmltree::{Node, NodeId, NodeType};

use super::error::SamlError;

pub(crate) const EXCLUSIVE: &str = "http://www.w3.org/2001/10/xml-exc-c14n#";
pub(crate) const EXCLUSIVE_WITH_COMMENTS: &str =
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
pub(crate) const INCLUSIVE: &str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
pub(crate) const INCLUSIVE_WITH_COMMENTS: &str =
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";
const XML_NAMESPACE: &str = "http://www.w3.org/XML/1998/namespace";

/// Which canonicalization, with its parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Method {
    /// Exclusive c14n: only namespaces an element visibly uses, plus the prefixes of the
    /// `InclusiveNamespaces PrefixList` ("" stands for `#default`), which are treated the
    /// inclusive way (Okta lists "xs" so that `xsi:type="xs:string"` stays bound).
    Exclusive { inclusive_prefixes: Vec<String> },
    /// Canonical XML 1.0: every namespace in scope, and the apex inherits `xml:*` attributes.
    Inclusive,
}

/// The canonical form of `apex` and its descendants, without `excluded` (and its subtree).
pub(crate) fn canonicalize(
    apex: Node,
    excluded: Option<NodeId>,
    method: &Method,
) -> Result<Vec<u8>, SamlError> {
    let mut out = Vec::with_capacity(apex.range().len());
    // What the nearest output ancestor has declared, prefix ("" = default) → URI. Nothing is
    // declared above the apex; an empty default is the XML default.
    let rendered = BTreeMap::from([(String::new(), String::new())]);
    write_element(apex, true, excluded, method, &rendered, &mut out)?;
    Ok(out)
}

fn write_element(
    element: Node,
    is_apex: bool,
    excluded: Option<NodeId>,
    method: &Method,
    rendered: &BTreeMap<String, String>,
    out: &mut Vec<u8>,
) -> Result<(), SamlError> {
    let qname = element_qname(element)?;
    let prefix = qname.split_once(':').map(|(p, _)| p).unwrap_or("");

    // Namespaces in scope here, prefix ("" = default) → URI, without the implicit `xml`.
    let mut in_scope: BTreeMap<&str, &str> = BTreeMap::new();
    for ns in element.namespaces() {
        let p = ns.name().unwrap_or("");
        if p != "xml" {
            in_scope.insert(p, ns.uri());
        }
    }

    let candidates: Vec<&str> = match method {
        Method::Inclusive => {
            let mut all: Vec<&str> = in_scope.keys().copied().collect();
            if !in_scope.contains_key("") {
                all.push("");
            }
            all
        }
        Method::Exclusive { inclusive_prefixes } => {
            let mut used: Vec<&str> = vec![prefix];
            for attribute in element.attributes() {
                if let Some((p, _)) = attribute_qname(element, &attribute)?.split_once(':')
                    && p != "xml"
                {
                    used.push(p);
                }
            }
            for p in inclusive_prefixes {
                if in_scope.contains_key(p.as_str()) {
                    used.push(p.as_str());
                }
            }
            used
        }
    };

    let mut declarations: BTreeMap<&str, &str> = BTreeMap::new();
    for p in candidates {
        let uri = in_scope.get(p).copied().unwrap_or("");
        // A prefixed namespace is never undeclared (XML 1.0 namespaces have no xmlns:p="");
        // the default one is, by xmlns="".
        if (p.is_empty() || !uri.is_empty()) && rendered.get(p).map(String::as_str) != Some(uri) {
            declarations.insert(p, uri);
        }
    }

    // Attributes ordered by (namespace URI, local name); unqualified ones have the empty URI
    // and so come first.
    let mut attributes: Vec<(&str, &str, String, &str)> = Vec::new();
    for attribute in element.attributes() {
        attributes.push((
            attribute.namespace().unwrap_or(""),
            attribute.name(),
            attribute_qname(element, &attribute)?.to_owned(),
            attribute.value(),
        ));
    }
    if is_apex && *method == Method::Inclusive {
        // Canonical XML 1.0 §2.4: the apex of a document subset carries the xml:* attributes
        // of its ancestors that it does not set itself, the nearest one winning.
        for ancestor in element.ancestors().skip(1).filter(|n| n.is_element()) {
            for attribute in ancestor.attributes() {
                if attribute.namespace() == Some(XML_NAMESPACE)
                    && !attributes
                        .iter()
                        .any(|a| a.0 == XML_NAMESPACE && a.1 == attribute.name())
                {
                    attributes.push((
                        XML_NAMESPACE,
                        attribute.name(),
                        format!("xml:{}", attribute.name()),
                        attribute.value(),
                    ));
                }
            }
        }
    }
    attributes.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));

    out.push(b'<');
    out.extend_from_slice(qname.as_bytes());
    for (p, uri) in &declarations {
        if p.is_empty() {
            out.extend_from_slice(b" xmlns=\"");
        } else {
            out.extend_from_slice(b" xmlns:");
            out.extend_from_slice(p.as_bytes());
            out.extend_from_slice(b"=\"");
        }
        escape_attribute(uri, out);
        out.push(b'"');
    }
    for (_, _, name, value) in &attributes {
        out.push(b' ');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        escape_attribute(value, out);
        out.push(b'"');
    }
    out.push(b'>');

    let inner_rendered;
    let rendered = if declarations.is_empty() {
        rendered
    } else {
        let mut next = rendered.clone();
        for (p, uri) in &declarations {
            next.insert((*p).to_owned(), (*uri).to_owned());
        }
        inner_rendered = next;
        &inner_rendered
    };

    for child in element.children() {
        if Some(child.id()) == excluded {
            continue;
        }
        match child.node_type() {
            NodeType::Element => write_element(child, false, excluded, method, rendered, out)?,
            NodeType::Text => escape_text(child.text().unwrap_or(""), out),
            NodeType::PI => {
                if let Some(pi) = child.pi() {
                    out.extend_from_slice(b"<?");
                    out.extend_from_slice(pi.target.as_bytes());
                    if let Some(value) = pi.value {
                        out.push(b' ');
                        out.extend_from_slice(value.as_bytes());
                    }
                    out.extend_from_slice(b"?>");
                }
            }
            // Without comments: that is the point of the "#" methods, and what makes
            // `a@b.com<!---->.evil.com` one text node in the signed, re-parsed content.
            NodeType::Comment | NodeType::Root => {}
        }
    }

    out.extend_from_slice(b"</");
    out.extend_from_slice(qname.as_bytes());
    out.push(b'>');
    Ok(())
}

/// The element's name as written (`prefix:local` or `local`): c14n keeps prefixes, and
/// roxmltree resolves them away, so they are read back from the source text.
fn element_qname<'a>(element: Node<'a, '_>) -> Result<&'a str, SamlError> {
    let source = element.document().input_text();
    let start = element.range().start;
    let tail = source
        .get(start..)
        .and_then(|s| s.strip_prefix('<'))
        .ok_or_else(|| SamlError::MalformedXml("cannot locate an element's name".to_owned()))?;
    let end = tail
        .find(|c: char| c.is_ascii_whitespace() || c == '/' || c == '>')
        .unwrap_or(tail.len());
    let qname = &tail[..end];
    if !qname.ends_with(element.tag_name().name()) {
        return Err(SamlError::MalformedXml(
            "an element's name does not match its source".to_owned(),
        ));
    }
    Ok(qname)
}

fn attribute_qname<'a>(
    element: Node<'a, '_>,
    attribute: &roxmltree::Attribute<'a, '_>,
) -> Result<&'a str, SamlError> {
    element
        .document()
        .input_text()
        .get(attribute.range_qname())
        .filter(|q| q.ends_with(attribute.name()))
        .ok_or_else(|| SamlError::MalformedXml("cannot locate an attribute's name".to_owned()))
}

fn escape_attribute(value: &str, out: &mut Vec<u8>) {
    for c in value.bytes() {
        match c {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'"' => out.extend_from_slice(b"&quot;"),
            b'\t' => out.extend_from_slice(b"&#x9;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            c => out.push(c),
        }
    }
}

fn escape_text(value: &str, out: &mut Vec<u8>) {
    for c in value.bytes() {
        match c {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exclusive(prefixes: &[&str]) -> Method {
        Method::Exclusive {
            inclusive_prefixes: prefixes.iter().map(|p| (*p).to_owned()).collect(),
        }
    }

    fn c14n_of(xml: &str, path: &[&str], method: &Method) -> String {
        let doc = roxmltree::Document::parse(xml).expect("test XML parses");
        let mut node = doc.root_element();
        for name in path {
            node = node
                .children()
                .find(|c| c.tag_name().name() == *name)
                .expect("test path exists");
        }
        String::from_utf8(canonicalize(node, None, method).expect("canonicalizes"))
            .expect("c14n output is UTF-8")
    }

    // Exclusive c14n spec §2.2's example: only the used namespace moves down to the subtree.
    #[test]
    fn exclusive_keeps_only_visibly_used_namespaces() {
        let xml = r#"<n0:local xmlns:n0="foo:bar" xmlns:n3="ftp://example.org"><n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"/></n1:elem2></n0:local>"#;
        assert_eq!(
            c14n_of(xml, &["elem2"], &exclusive(&[])),
            r#"<n1:elem2 xmlns:n1="http://example.net" xml:lang="en"><n3:stuff xmlns:n3="ftp://example.org"></n3:stuff></n1:elem2>"#
        );
        // Inclusive c14n of the same subtree carries every namespace in scope at the apex.
        assert_eq!(
            c14n_of(xml, &["elem2"], &Method::Inclusive),
            r#"<n1:elem2 xmlns:n0="foo:bar" xmlns:n1="http://example.net" xmlns:n3="ftp://example.org" xml:lang="en"><n3:stuff></n3:stuff></n1:elem2>"#
        );
    }

    #[test]
    fn prefix_list_keeps_a_prefix_used_only_in_content() {
        let xml = r#"<r xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><v xsi:type="xs:string">x</v></r>"#;
        assert_eq!(
            c14n_of(xml, &["v"], &exclusive(&[])),
            r#"<v xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">x</v>"#
        );
        assert_eq!(
            c14n_of(xml, &["v"], &exclusive(&["xs"])),
            r#"<v xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">x</v>"#
        );
    }

    #[test]
    fn attributes_sort_by_namespace_then_name_and_escape() {
        let xml = "<r xmlns:b=\"urn:b\" xmlns:a=\"urn:a\"><e z=\"1\" b:y=\"2\" a:x=\"3\" m=\"&lt;&quot;&#9;&#10;&#13;\">a&amp;b&gt;c&#13;</e></r>";
        assert_eq!(
            c14n_of(xml, &["e"], &exclusive(&[])),
            "<e xmlns:a=\"urn:a\" xmlns:b=\"urn:b\" m=\"&lt;&quot;&#x9;&#xA;&#xD;\" z=\"1\" a:x=\"3\" b:y=\"2\">a&amp;b&gt;c&#xD;</e>"
        );
    }

    #[test]
    fn comments_go_and_cdata_becomes_text_and_empty_elements_open_and_close() {
        let xml = "<r><n>user@a.com<!---->.evil.com</n><c><![CDATA[<x>]]></c><e/></r>";
        assert_eq!(
            c14n_of(xml, &[], &exclusive(&[])),
            "<r><n>user@a.com.evil.com</n><c>&lt;x&gt;</c><e></e></r>"
        );
    }

    #[test]
    fn default_namespace_is_undeclared_when_a_child_leaves_it() {
        let xml = r#"<r xmlns="urn:d"><a xmlns=""><b/></a></r>"#;
        assert_eq!(
            c14n_of(xml, &[], &exclusive(&[])),
            r#"<r xmlns="urn:d"><a xmlns=""><b></b></a></r>"#
        );
        // The apex has no output ancestor, so an empty default needs no xmlns="".
        assert_eq!(c14n_of(xml, &["a"], &exclusive(&[])), "<a><b></b></a>");
    }

    #[test]
    fn excluded_subtree_is_left_out() {
        let xml = "<r><a>1</a><s><x/></s><b>2</b></r>";
        let doc = roxmltree::Document::parse(xml).expect("parses");
        let root = doc.root_element();
        let s = root
            .children()
            .find(|c| c.tag_name().name() == "s")
            .map(|n| n.id());
        let out = canonicalize(root, s, &exclusive(&[])).expect("canonicalizes");
        assert_eq!(out, b"<r><a>1</a><b>2</b></r>");
    }
}
