//! SAML metadata (SAML metadata spec, saml-metadata-2.0-os): Roster's SP metadata for the IdP
//! admin to import, and the IdP's metadata for the enterprise owner to import.

use super::authn_request::PERSISTENT;
use super::certificate::Certificate;
use super::error::{SamlError, shown};
use super::xml::{
    MAX_METADATA_BYTES, NS_DSIG, NS_METADATA, NS_PROTOCOL, child, children, escape_attribute, is,
    parse, text_content,
};
use super::{IdentityProvider, ServiceProvider};

const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// An IdP lists a handful of signing certificates at most (current and next).
const MAX_CERTIFICATES: usize = 8;

/// Roster's SP metadata: an EntityDescriptor with an SPSSODescriptor that asks for signed
/// assertions, sends unsigned requests, wants persistent NameIDs, and has one HTTP-POST ACS.
pub fn sp_metadata(sp: &ServiceProvider) -> String {
    format!(
        concat!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
            "<md:EntityDescriptor xmlns:md=\"{md}\" entityID=\"{entity}\">\n",
            "  <md:SPSSODescriptor AuthnRequestsSigned=\"false\" WantAssertionsSigned=\"true\"",
            " protocolSupportEnumeration=\"{protocol}\">\n",
            "    <md:NameIDFormat>{persistent}</md:NameIDFormat>\n",
            "    <md:AssertionConsumerService Binding=\"{post}\" Location=\"{acs}\" index=\"0\"",
            " isDefault=\"true\"/>\n",
            "  </md:SPSSODescriptor>\n",
            "</md:EntityDescriptor>\n"
        ),
        md = NS_METADATA,
        entity = escape_attribute(&sp.entity_id),
        protocol = NS_PROTOCOL,
        persistent = PERSISTENT,
        post = HTTP_POST,
        acs = escape_attribute(&sp.acs_url),
    )
}

/// Reads an IdP's metadata: an EntityDescriptor, or an EntitiesDescriptor holding exactly one
/// IdP. Takes its entityID, its signing certificates (KeyDescriptor use="signing" or without
/// `use`; use="encryption" ones are skipped), and its SingleSignOnService: the HTTP-Redirect
/// one, which is what `authn_request_url` speaks; only when there is none, the HTTP-POST one
/// (most IdPs serve both bindings at one URL, but an IdP that really accepts POST only will
/// not answer Roster's redirect).
pub fn parse_idp_metadata(xml: &str) -> Result<IdentityProvider, SamlError> {
    let document = parse(xml, MAX_METADATA_BYTES)?;
    let root = document.root_element();
    if !is(root, NS_METADATA, "EntityDescriptor") && !is(root, NS_METADATA, "EntitiesDescriptor") {
        return Err(SamlError::Metadata(format!(
            "expected an EntityDescriptor or EntitiesDescriptor \
             (urn:oasis:names:tc:SAML:2.0:metadata), got {}",
            shown(&super::xml::describe(root))
        )));
    }
    let idps: Vec<_> = root
        .descendants()
        .filter(|n| is(*n, NS_METADATA, "EntityDescriptor"))
        .filter(|n| child(*n, NS_METADATA, "IDPSSODescriptor").is_some())
        .collect();
    let entity = match idps.as_slice() {
        [one] => *one,
        [] => {
            return Err(SamlError::Metadata(
                "it describes no identity provider (no IDPSSODescriptor)".to_owned(),
            ));
        }
        many => {
            return Err(SamlError::Metadata(format!(
                "it describes {} identity providers; import the metadata of just the one",
                many.len()
            )));
        }
    };
    let entity_id = entity
        .attribute("entityID")
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| SamlError::Metadata("the EntityDescriptor has no entityID".to_owned()))?;
    let descriptor = children(entity, NS_METADATA, "IDPSSODescriptor")
        .find(|d| {
            d.attribute("protocolSupportEnumeration")
                .is_some_and(|p| p.split_ascii_whitespace().any(|p| p == NS_PROTOCOL))
        })
        .ok_or_else(|| {
            SamlError::Metadata(
                "its IDPSSODescriptor does not list SAML 2.0 \
                 (urn:oasis:names:tc:SAML:2.0:protocol) in protocolSupportEnumeration"
                    .to_owned(),
            )
        })?;

    let sso = |binding: &str| {
        children(descriptor, NS_METADATA, "SingleSignOnService")
            .find(|s| s.attribute("Binding") == Some(binding))
            .and_then(|s| s.attribute("Location"))
            .map(str::trim)
            .filter(|l| !l.is_empty())
    };
    let sso_url = sso(HTTP_REDIRECT)
        .or_else(|| sso(HTTP_POST))
        .ok_or_else(|| {
            SamlError::Metadata(
                "it has no SingleSignOnService with the HTTP-Redirect (or HTTP-POST) binding"
                    .to_owned(),
            )
        })?;

    let mut certificates: Vec<Certificate> = Vec::new();
    for key in children(descriptor, NS_METADATA, "KeyDescriptor") {
        if !matches!(key.attribute("use"), None | Some("signing")) {
            continue;
        }
        let encoded = child(key, NS_DSIG, "KeyInfo")
            .into_iter()
            .flat_map(|k| children(k, NS_DSIG, "X509Data"))
            .flat_map(|d| children(d, NS_DSIG, "X509Certificate"));
        for x509 in encoded {
            let certificate = Certificate::parse(&text_content(x509))
                .map_err(|e| SamlError::Metadata(e.to_string()))?;
            if !certificates.contains(&certificate) {
                if certificates.len() == MAX_CERTIFICATES {
                    return Err(SamlError::Metadata(format!(
                        "it lists more than {MAX_CERTIFICATES} signing certificates"
                    )));
                }
                certificates.push(certificate);
            }
        }
    }
    if certificates.is_empty() {
        return Err(SamlError::Metadata(
            "it has no signing certificate (KeyDescriptor use=\"signing\" with \
             ds:X509Certificate)"
                .to_owned(),
        ));
    }
    Ok(IdentityProvider {
        entity_id: entity_id.to_owned(),
        sso_url: sso_url.to_owned(),
        certificates,
    })
}
