//! SP-initiated sign-in: an AuthnRequest sent with the HTTP-Redirect binding (SAML bindings
//! §3.4): `SAMLRequest` = base64(raw DEFLATE(xml)), URL-encoded, on the IdP's SSO URL. The
//! request is unsigned, as GitHub's is: nothing in it is secret or trusted, and the response
//! is bound to it by `InResponseTo`, which the caller checks against the ids it issued.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::DeflateEncoder;
use time::OffsetDateTime;

use super::error::SamlError;
use super::xml::{
    NS_ASSERTION, NS_PROTOCOL, encode_base64, escape_attribute, escape_text, format_time,
};
use super::{IdentityProvider, ServiceProvider};

/// SAML bindings §3.4.3: "The value MUST NOT exceed 80 bytes in length".
pub const MAX_RELAY_STATE_BYTES: usize = 80;
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
pub(crate) const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/// A fresh AuthnRequest ID: "_" (an xs:ID must not start with a digit) and 32 hex digits
/// (128 bits) from the operating system's random source.
pub fn new_request_id() -> Result<String, SamlError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| SamlError::Random(e.to_string()))?;
    Ok(format!("_{}", hex::encode(bytes)))
}

/// The URL that sends the browser to the IdP with an AuthnRequest `request_id` and an optional
/// RelayState (at most 80 bytes, else refused). The IdP's SSO URL may carry a query string of
/// its own (SimpleSAMLphp's and some Shibboleth setups do); the parameters are appended to it.
pub fn authn_request_url(
    sp: &ServiceProvider,
    idp: &IdentityProvider,
    request_id: &str,
    relay_state: Option<&str>,
    now: OffsetDateTime,
) -> Result<String, SamlError> {
    if let Some(state) = relay_state
        && state.len() > MAX_RELAY_STATE_BYTES
    {
        return Err(SamlError::RelayStateTooLong {
            limit: MAX_RELAY_STATE_BYTES,
            got: state.len(),
        });
    }
    let xml = authn_request_xml(sp, idp, request_id, now);
    let mut deflater = DeflateEncoder::new(Vec::new(), Compression::default());
    deflater
        .write_all(xml.as_bytes())
        .map_err(|e| SamlError::Deflate(e.to_string()))?;
    let deflated = deflater
        .finish()
        .map_err(|e| SamlError::Deflate(e.to_string()))?;

    // Drop a fragment: it never reaches the IdP, and parameters after it would not either.
    let base = idp.sso_url.split('#').next().unwrap_or(&idp.sso_url);
    let mut url = String::with_capacity(base.len() + deflated.len() * 2);
    url.push_str(base);
    url.push(if base.contains('?') { '&' } else { '?' });
    url.push_str("SAMLRequest=");
    url.push_str(&url_encode(&encode_base64(&deflated)));
    if let Some(state) = relay_state {
        url.push_str("&RelayState=");
        url.push_str(&url_encode(state));
    }
    Ok(url)
}

/// The AuthnRequest document (SAML core §3.4.1).
pub(crate) fn authn_request_xml(
    sp: &ServiceProvider,
    idp: &IdentityProvider,
    request_id: &str,
    now: OffsetDateTime,
) -> String {
    format!(
        concat!(
            r#"<samlp:AuthnRequest xmlns:samlp="{protocol}" xmlns:saml="{assertion}""#,
            r#" ID="{id}" Version="2.0" IssueInstant="{instant}" Destination="{destination}""#,
            r#" AssertionConsumerServiceURL="{acs}" ProtocolBinding="{binding}">"#,
            r#"<saml:Issuer>{issuer}</saml:Issuer>"#,
            r#"<samlp:NameIDPolicy Format="{persistent}" AllowCreate="true"/>"#,
            r#"</samlp:AuthnRequest>"#
        ),
        protocol = NS_PROTOCOL,
        assertion = NS_ASSERTION,
        id = escape_attribute(request_id),
        instant = format_time(now),
        destination = escape_attribute(&idp.sso_url),
        acs = escape_attribute(&sp.acs_url),
        binding = HTTP_POST,
        issuer = escape_text(&sp.entity_id),
        persistent = PERSISTENT,
    )
}

/// Percent-encoding of everything but RFC 3986's unreserved characters.
fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
