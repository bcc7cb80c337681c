//! SP metadata out, IdP metadata in.

use super::fixtures::*;
use crate::saml::{SamlError, parse_idp_metadata, sp_metadata};

#[test]
fn sp_metadata_parses_and_says_what_roster_wants() {
    let xml = sp_metadata(&sp());
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    let md = "urn:oasis:names:tc:SAML:2.0:metadata";
    let root = doc.root_element();
    assert!(root.has_tag_name((md, "EntityDescriptor")));
    assert_eq!(root.attribute("entityID"), Some(SP_ENTITY));
    let descriptor = root.first_element_child().expect("SPSSODescriptor");
    assert!(descriptor.has_tag_name((md, "SPSSODescriptor")));
    assert_eq!(descriptor.attribute("AuthnRequestsSigned"), Some("false"));
    assert_eq!(descriptor.attribute("WantAssertionsSigned"), Some("true"));
    assert_eq!(
        descriptor.attribute("protocolSupportEnumeration"),
        Some("urn:oasis:names:tc:SAML:2.0:protocol")
    );
    let format = descriptor
        .children()
        .find(|n| n.has_tag_name((md, "NameIDFormat")))
        .and_then(|n| n.text());
    assert_eq!(
        format,
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    let acs = descriptor
        .children()
        .find(|n| n.has_tag_name((md, "AssertionConsumerService")))
        .expect("ACS");
    assert_eq!(
        acs.attribute("Binding"),
        Some("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST")
    );
    assert_eq!(acs.attribute("Location"), Some(ACS));
}

#[test]
fn sp_metadata_escapes_its_values() {
    let sp = crate::saml::ServiceProvider {
        entity_id: "https://r.example/e?a=1&b=\"2\"".to_owned(),
        acs_url: "https://r.example/<acs>".to_owned(),
    };
    let xml = sp_metadata(&sp);
    let doc = roxmltree::Document::parse(&xml).expect("well-formed");
    assert_eq!(
        doc.root_element().attribute("entityID"),
        Some(sp.entity_id.as_str())
    );
}

/// The shape SimpleSAMLphp's IdP publishes (saml2/idp/metadata.php): one EntityDescriptor,
/// signing and encryption KeyDescriptors with the same certificate, a Redirect SSO service.
fn simplesamlphp_metadata(cert: &str) -> String {
    format!(
        r#"<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example/simplesaml/saml2/idp/metadata.php">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{cert}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:KeyDescriptor use="encryption">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>{cert}</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/simplesaml/saml2/idp/SingleLogoutService.php"/>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:transient</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/simplesaml/saml2/idp/SSOService.php"/>
  </md:IDPSSODescriptor>
  <md:ContactPerson contactType="technical">
    <md:GivenName>Admin</md:GivenName>
  </md:ContactPerson>
</md:EntityDescriptor>"#
    )
}

/// The shape Okta's app "Identity Provider metadata" link serves: default-namespace md,
/// KeyDescriptor use="signing", NameIDFormats, POST then Redirect SSO services.
fn okta_metadata(cert: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor entityID="http://www.okta.com/exk1fcia6d6EMsf331d8" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat><md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://acme.okta.com/app/acme_githubemu_1/exk1fcia6d6EMsf331d8/sso/saml"/><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://acme.okta.com/app/acme_githubemu_1/exk1fcia6d6EMsf331d8/sso/saml?redirect=1"/></md:IDPSSODescriptor></md:EntityDescriptor>"#
    )
}

fn wrapped(cert: &str) -> String {
    cert.as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn simplesamlphp_shaped_metadata_is_read() {
    let key = idp_key();
    let idp =
        parse_idp_metadata(&simplesamlphp_metadata(&wrapped(&key.cert_base64()))).expect("parses");
    assert_eq!(
        idp.entity_id,
        "https://idp.example/simplesaml/saml2/idp/metadata.php"
    );
    assert_eq!(
        idp.sso_url,
        "https://idp.example/simplesaml/saml2/idp/SSOService.php"
    );
    // The same certificate for signing and encryption is listed once; encryption ones skipped.
    assert_eq!(idp.certificates, vec![key.certificate()]);
}

#[test]
fn okta_shaped_metadata_prefers_the_redirect_binding() {
    let key = idp_key();
    let idp = parse_idp_metadata(&okta_metadata(&key.cert_base64())).expect("parses");
    assert_eq!(idp.entity_id, "http://www.okta.com/exk1fcia6d6EMsf331d8");
    assert!(
        idp.sso_url.ends_with("/sso/saml?redirect=1"),
        "{}",
        idp.sso_url
    );
    assert_eq!(idp.certificates, vec![key.certificate()]);
}

#[test]
fn post_only_sso_service_is_the_fallback() {
    let key = idp_key();
    let xml = okta_metadata(&key.cert_base64()).replace(
        r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://acme.okta.com/app/acme_githubemu_1/exk1fcia6d6EMsf331d8/sso/saml?redirect=1"/>"#,
        "",
    );
    let idp = parse_idp_metadata(&xml).expect("parses");
    assert!(idp.sso_url.ends_with("/sso/saml"));
}

#[test]
fn entities_descriptor_with_one_idp_is_read_and_with_two_refused() {
    let key = idp_key();
    let one = okta_metadata(&key.cert_base64());
    let one = one.trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#);
    let sp = sp_metadata(&sp());
    let sp = sp.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let wrap = |inner: &str| {
        format!(
            r#"<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">{inner}</md:EntitiesDescriptor>"#
        )
    };
    let idp = parse_idp_metadata(&wrap(&format!("{sp}{one}"))).expect("one IdP among SPs");
    assert_eq!(idp.entity_id, "http://www.okta.com/exk1fcia6d6EMsf331d8");
    let second = one.replace("exk1fcia6d6EMsf331d8", "other");
    assert!(matches!(
        parse_idp_metadata(&wrap(&format!("{one}{second}"))),
        Err(SamlError::Metadata(m)) if m.contains("2 identity providers")
    ));
}

#[test]
fn metadata_without_a_signing_certificate_or_sso_service_is_refused() {
    let key = idp_key();
    let only_encryption = simplesamlphp_metadata(&key.cert_base64()).replacen(
        r#"use="signing""#,
        r#"use="encryption""#,
        1,
    );
    assert!(matches!(
        parse_idp_metadata(&only_encryption),
        Err(SamlError::Metadata(m)) if m.contains("signing certificate")
    ));
    let no_sso = simplesamlphp_metadata(&key.cert_base64())
        .replace("SingleSignOnService", "ArtifactResolutionService");
    assert!(matches!(
        parse_idp_metadata(&no_sso),
        Err(SamlError::Metadata(m)) if m.contains("SingleSignOnService")
    ));
    assert!(matches!(
        parse_idp_metadata(&sp_metadata(&sp())),
        Err(SamlError::Metadata(_))
    ));
}

#[test]
fn metadata_with_a_doctype_is_refused() {
    let xml = format!(
        "<!DOCTYPE x [<!ENTITY e \"e\">]>{}",
        okta_metadata(&idp_key().cert_base64())
            .trim_start_matches(r#"<?xml version="1.0" encoding="UTF-8"?>"#)
    );
    assert_eq!(parse_idp_metadata(&xml), Err(SamlError::Doctype));
}
