//! The HTTP-Redirect AuthnRequest, decoded back the way an IdP decodes it.

use std::io::Read as _;

use base64::Engine as _;
use flate2::read::DeflateDecoder;

use super::fixtures::*;
use crate::saml::{IdentityProvider, SamlError, authn_request_url, new_request_id};

fn url_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("hex");
            out.push(u8::from_str_radix(hex, 16).expect("hex"));
            i += 3;
        } else {
            assert_ne!(bytes[i], b'+', "spaces are %20, never +");
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).expect("UTF-8")
}

fn query(url: &str) -> Vec<(String, String)> {
    let (_, query) = url.split_once('?').expect("a query");
    query
        .split('&')
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("key=value");
            (k.to_owned(), url_decode(v))
        })
        .collect()
}

fn inflate(saml_request: &str) -> String {
    let deflated = base64::engine::general_purpose::STANDARD
        .decode(saml_request)
        .expect("base64");
    let mut xml = String::new();
    DeflateDecoder::new(deflated.as_slice())
        .read_to_string(&mut xml)
        .expect("raw DEFLATE");
    xml
}

#[test]
fn authn_request_round_trips_through_the_redirect_binding() {
    let url = authn_request_url(&sp(), &idp(), "_req42", Some("/dashboard?tab=1&x=é"), NOW)
        .expect("a URL");
    assert!(url.starts_with(&format!("{IDP_SSO}?SAMLRequest=")), "{url}");
    let params = query(&url);
    assert_eq!(params.len(), 2);
    assert_eq!(
        params[1],
        ("RelayState".to_owned(), "/dashboard?tab=1&x=é".to_owned())
    );
    let xml = inflate(&params[0].1);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    let request = doc.root_element();
    assert_eq!(request.tag_name().name(), "AuthnRequest");
    assert_eq!(
        request.tag_name().namespace(),
        Some("urn:oasis:names:tc:SAML:2.0:protocol")
    );
    assert_eq!(request.attribute("ID"), Some("_req42"));
    assert_eq!(request.attribute("Version"), Some("2.0"));
    assert_eq!(
        request.attribute("IssueInstant"),
        Some("2026-03-01T12:00:00Z")
    );
    assert_eq!(request.attribute("Destination"), Some(IDP_SSO));
    assert_eq!(request.attribute("AssertionConsumerServiceURL"), Some(ACS));
    assert_eq!(
        request.attribute("ProtocolBinding"),
        Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    );
    let issuer = request
        .children()
        .find(|n| n.tag_name().name() == "Issuer")
        .expect("Issuer");
    assert_eq!(
        issuer.tag_name().namespace(),
        Some("urn:oasis:names:tc:SAML:2.0:assertion")
    );
    assert_eq!(issuer.text(), Some(SP_ENTITY));
    let policy = request
        .children()
        .find(|n| n.tag_name().name() == "NameIDPolicy")
        .expect("NameIDPolicy");
    assert_eq!(
        policy.attribute("Format"),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert_eq!(policy.attribute("AllowCreate"), Some("true"));
    assert!(!xml.contains("Signature"), "GitHub-style unsigned request");
}

#[test]
fn sso_url_with_a_query_string_gets_the_parameters_appended() {
    let idp = IdentityProvider {
        sso_url: "https://idp.example/simplesaml/saml2/idp/SSOService.php?spentityid=x".to_owned(),
        ..idp()
    };
    let url = authn_request_url(&sp(), &idp, "_r", None, NOW).expect("a URL");
    assert!(
        url.starts_with(
            "https://idp.example/simplesaml/saml2/idp/SSOService.php?spentityid=x&SAMLRequest="
        ),
        "{url}"
    );
    assert_eq!(url.matches('?').count(), 1);
    assert!(!url.contains("RelayState"));
}

#[test]
fn relay_state_over_80_bytes_is_refused() {
    let long = "/".repeat(81);
    assert_eq!(
        authn_request_url(&sp(), &idp(), "_r", Some(&long), NOW),
        Err(SamlError::RelayStateTooLong { limit: 80, got: 81 })
    );
    assert!(authn_request_url(&sp(), &idp(), "_r", Some(&long[..80]), NOW).is_ok());
}

#[test]
fn values_are_escaped_in_the_request() {
    let sp = crate::saml::ServiceProvider {
        entity_id: "https://r.example/enterprises/a&b<c>".to_owned(),
        acs_url: "https://r.example/x?a=\"1\"".to_owned(),
    };
    let url = authn_request_url(&sp, &idp(), "_r\"'<", None, NOW).expect("a URL");
    let xml = inflate(&query(&url)[0].1);
    let doc = roxmltree::Document::parse(&xml).expect("still well-formed");
    let request = doc.root_element();
    assert_eq!(request.attribute("ID"), Some("_r\"'<"));
    assert_eq!(
        request.attribute("AssertionConsumerServiceURL"),
        Some("https://r.example/x?a=\"1\"")
    );
    assert_eq!(
        request.first_element_child().and_then(|i| i.text()),
        Some("https://r.example/enterprises/a&b<c>")
    );
}

#[test]
fn request_ids_are_fresh_xs_ids() {
    let a = new_request_id().expect("random");
    let b = new_request_id().expect("random");
    assert_ne!(a, b);
    assert_eq!(a.len(), 33);
    assert!(a.starts_with('_'));
    assert!(a[1..].chars().all(|c| c.is_ascii_hexdigit()));
}
