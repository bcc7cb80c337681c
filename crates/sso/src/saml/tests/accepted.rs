//! Responses that must verify, and what `verify_response` reads from them.

use time::Duration;

use super::fixtures::*;
use crate::saml::IdentityProvider;

#[test]
fn signed_assertion_is_accepted_and_read() {
    let verified = verify(&Response::default().signed_xml()).expect("verifies");
    assert_eq!(verified.response_id, "_response1");
    assert_eq!(verified.assertion_id, "_assertion1");
    assert_eq!(verified.issuer, IDP_ENTITY);
    assert_eq!(verified.name_id, "mona@acme.example");
    assert_eq!(
        verified.name_id_format.as_deref(),
        Some("urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
    );
    assert_eq!(verified.in_response_to.as_deref(), Some("_request1"));
    // The earliest NotOnOrAfter (SubjectConfirmationData, +5 min) plus the 3 min skew.
    assert_eq!(verified.valid_until, NOW + Duration::minutes(8));
    assert_eq!(
        verified.session_not_on_or_after,
        Some(NOW + Duration::hours(8))
    );
    assert_eq!(verified.authn_instant, Some(NOW - Duration::minutes(1)));
    assert_eq!(
        verified.attributes,
        vec![
            ("full_name".to_owned(), vec!["Mona Lisa".to_owned()]),
            (
                "emails".to_owned(),
                vec!["mona@acme.example".to_owned(), "ml@acme.example".to_owned()]
            ),
        ]
    );
}

#[test]
fn signed_response_without_signed_assertion_is_accepted() {
    let response = Response {
        sign_assertion: false,
        sign_response: true,
        ..Response::default()
    };
    let verified = verify(&response.signed_xml()).expect("verifies");
    assert_eq!(verified.name_id, "mona@acme.example");
    assert_eq!(verified.in_response_to.as_deref(), Some("_request1"));
}

#[test]
fn response_and_assertion_both_signed_are_accepted() {
    let response = Response {
        sign_assertion: true,
        sign_response: true,
        ..Response::default()
    };
    let xml = response.signed_xml();
    assert_eq!(xml.matches("<ds:SignatureValue>").count(), 2);
    let verified = verify(&xml).expect("verifies");
    assert_eq!(verified.name_id, "mona@acme.example");
}

#[test]
fn signed_response_supplies_in_response_to_when_the_assertion_lacks_it() {
    let response = Response {
        sign_assertion: false,
        sign_response: true,
        confirmation_in_response_to: None,
        ..Response::default()
    };
    let verified = verify(&response.signed_xml()).expect("verifies");
    assert_eq!(verified.in_response_to.as_deref(), Some("_request1"));
}

#[test]
fn unsigned_response_in_response_to_is_not_taken_when_only_the_assertion_is_signed() {
    let response = Response {
        confirmation_in_response_to: None,
        ..Response::default()
    };
    let verified = verify(&response.signed_xml()).expect("verifies");
    assert_eq!(verified.in_response_to, None);
}

#[test]
fn idp_initiated_response_has_no_in_response_to() {
    let response = Response {
        response_in_response_to: None,
        confirmation_in_response_to: None,
        ..Response::default()
    };
    assert_eq!(
        verify(&response.signed_xml())
            .expect("verifies")
            .in_response_to,
        None
    );
}

#[test]
fn prefix_list_xs_exclusive_c14n_is_verified() {
    // Okta's shape: xs declared outside the assertion, used only inside attribute *values*
    // (xsi:type="xs:string"), so only PrefixList="xs" carries it into the canonical form.
    let response = Response {
        prefix_list: Some("xs"),
        ..Response::default()
    };
    let xml = response.signed_xml();
    assert!(xml.contains(r#"PrefixList="xs""#));
    let verified = verify(&xml).expect("verifies");
    assert_eq!(verified.attributes[0].1, vec!["Mona Lisa".to_owned()]);
}

#[test]
fn inclusive_c14n_is_verified() {
    let response = Response {
        c14n: INCLUSIVE_C14N,
        ..Response::default()
    };
    verify(&response.signed_xml()).expect("verifies");
    let response = Response {
        c14n: INCLUSIVE_C14N,
        sign_assertion: false,
        sign_response: true,
        ..Response::default()
    };
    verify(&response.signed_xml()).expect("verifies");
}

#[test]
fn sha512_is_verified() {
    let response = Response {
        signature_method: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
        digest_method: "http://www.w3.org/2001/04/xmlenc#sha512",
        ..Response::default()
    };
    verify(&response.signed_xml()).expect("verifies");
}

#[test]
fn any_configured_certificate_verifies_during_a_rollover() {
    let idp = IdentityProvider {
        certificates: vec![other_key().certificate(), idp_key().certificate()],
        ..idp()
    };
    verify_with(&Response::default().signed_xml(), &idp, NOW).expect("verifies");
}

#[test]
fn not_before_within_skew_is_accepted() {
    let response = Response {
        not_before: NOW + Duration::minutes(2),
        ..Response::default()
    };
    verify(&response.signed_xml()).expect("within 3 minutes of skew");
}

#[test]
fn not_on_or_after_just_passed_within_skew_is_accepted() {
    let response = Response::default();
    // SubjectConfirmationData ends at +5 min; 2 minutes later is within the skew.
    verify_with(&response.signed_xml(), &idp(), NOW + Duration::minutes(7)).expect("verifies");
}

#[test]
fn comment_inside_name_id_reads_as_the_whole_signed_text() {
    // The IdP signs "mona@acme.example.evil.com" (a name the attacker legitimately owns at
    // the IdP); the attacker adds a comment after signing. Readers that take the first text
    // node see "mona@acme.example"; c14n drops comments, so the digest still matches, and the
    // re-parsed signed content has one text node: the whole name.
    let response = Response {
        name_id: "mona@acme.example.evil.com".to_owned(),
        ..Response::default()
    };
    let xml = response.signed_xml().replace(
        "mona@acme.example.evil.com",
        "mona@acme.example<!---->.evil.com",
    );
    assert!(xml.contains("<!---->"));
    assert_eq!(
        verify(&xml).expect("verifies").name_id,
        "mona@acme.example.evil.com"
    );
}

#[test]
fn comment_inside_name_id_signed_by_the_idp_reads_as_the_whole_text() {
    let response = Response {
        name_id: "mona@acme.example<!-- a comment -->.evil.com".to_owned(),
        ..Response::default()
    };
    assert_eq!(
        verify(&response.signed_xml()).expect("verifies").name_id,
        "mona@acme.example.evil.com"
    );
}

#[test]
fn line_wrapped_pretty_printed_signature_values_are_accepted() {
    // xmlsec1 wraps SignatureValue and X509Certificate at 64 columns; the fixture already
    // relies on that, and the base64 of the whole message is wrapped at 76 with CR LF.
    let xml = Response::default().signed_xml();
    assert!(xml.contains("\n"));
    verify(&xml).expect("verifies");
}

#[test]
fn times_at_the_end_of_the_representable_range_do_not_overflow() {
    let end = time::macros::datetime!(9999-12-31 23:59:59 UTC);
    let response = Response {
        not_on_or_after: end,
        confirmation_not_on_or_after: end,
        session_not_on_or_after: Some(end),
        ..Response::default()
    };
    let verified = verify(&response.signed_xml()).expect("verifies");
    assert_eq!(verified.valid_until, end);
}

#[test]
fn entra_shaped_response_with_default_namespaces_is_verified() {
    // Entra ID writes the assertion and its signature with default namespaces (no prefixes),
    // so exclusive c14n has to carry xmlns="…" onto the SignedInfo and assertion apexes.
    let t = |d: Duration| crate::saml::xml::format_time(NOW + d);
    let xml = format!(
        concat!(
            r#"<samlp:Response ID="_e1" Version="2.0" IssueInstant="{now}" Destination="{acs}" InResponseTo="_request1" xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">"#,
            r#"<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">{idp}</Issuer>"#,
            r#"<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>"#,
            r#"<Assertion ID="_ea1" IssueInstant="{now}" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion">"#,
            "<Issuer>{idp}</Issuer>",
            r#"<Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo>"#,
            r#"<CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>"#,
            r#"<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>"#,
            r##"<Reference URI="#_ea1"><Transforms>"##,
            r#"<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>"#,
            r#"<Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms>"#,
            r#"<DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue/>"#,
            "</Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data/></KeyInfo></Signature>",
            r#"<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">mona@acme.example</NameID>"#,
            r#"<SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">"#,
            r#"<SubjectConfirmationData InResponseTo="_request1" NotOnOrAfter="{scd}" Recipient="{acs}"/>"#,
            "</SubjectConfirmation></Subject>",
            r#"<Conditions NotBefore="{nb}" NotOnOrAfter="{noa}"><AudienceRestriction>"#,
            "<Audience>{sp}</Audience></AudienceRestriction></Conditions>",
            "<AttributeStatement>",
            r#"<Attribute Name="http://schemas.microsoft.com/identity/claims/objectidentifier">"#,
            "<AttributeValue>2f1c7d0e-8e0b-4a39-9a55-0c1c9f5d6a11</AttributeValue></Attribute>",
            "</AttributeStatement>",
            r#"<AuthnStatement AuthnInstant="{now}" SessionIndex="_ea1"><AuthnContext>"#,
            "<AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef>",
            "</AuthnContext></AuthnStatement></Assertion></samlp:Response>"
        ),
        now = t(Duration::ZERO),
        acs = ACS,
        idp = IDP_ENTITY,
        sp = SP_ENTITY,
        scd = t(Duration::minutes(5)),
        nb = t(-Duration::minutes(5)),
        noa = t(Duration::hours(1)),
    );
    let signed = xmlsec_sign(&xml, idp_key());
    let verified = verify(&signed).expect("verifies");
    assert_eq!(verified.name_id, "mona@acme.example");
    assert_eq!(verified.in_response_to.as_deref(), Some("_request1"));
    assert_eq!(
        verified.attributes,
        vec![(
            "http://schemas.microsoft.com/identity/claims/objectidentifier".to_owned(),
            vec!["2f1c7d0e-8e0b-4a39-9a55-0c1c9f5d6a11".to_owned()]
        )]
    );
    assert_eq!(verified.session_not_on_or_after, None);
}

#[test]
fn response_without_destination_or_issuer_is_accepted() {
    // Both are optional on the Response (SAML core §3.2.2); the assertion's Issuer is not.
    let response = Response {
        destination: None,
        response_issuer: None,
        ..Response::default()
    };
    verify(&response.signed_xml()).expect("verifies");
}
