//! Hostile and broken responses, each refused for its own reason.

use time::Duration;

use super::fixtures::*;
use crate::saml::{IdentityProvider, SamlError};

fn refused(xml: &str) -> SamlError {
    match verify(xml) {
        Ok(v) => panic!("accepted a response that must be refused: {v:?}"),
        Err(e) => e,
    }
}

#[test]
fn unsigned_response_is_refused() {
    let response = Response {
        sign_assertion: false,
        ..Response::default()
    };
    assert_eq!(refused(&response.signed_xml()), SamlError::Unsigned);
}

#[test]
fn response_signed_by_another_key_is_refused() {
    let xml = Response::default().signed_xml_by(other_key());
    let error = refused(&xml);
    assert!(
        matches!(
            error,
            SamlError::BadSignature {
                element: "Assertion",
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains(&idp_key().certificate().sha256_fingerprint())
    );
}

#[test]
fn response_signed_by_another_key_is_refused_when_the_response_is_signed() {
    let response = Response {
        sign_assertion: false,
        sign_response: true,
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml_by(other_key())),
        SamlError::BadSignature {
            element: "Response",
            ..
        }
    ));
}

#[test]
fn no_configured_certificate_is_refused() {
    let idp = IdentityProvider {
        certificates: vec![],
        ..idp()
    };
    assert_eq!(
        verify_with(&Response::default().signed_xml(), &idp, NOW),
        Err(SamlError::NoCertificate)
    );
}

#[test]
fn signed_assertion_moved_under_extensions_with_an_evil_one_in_its_place_is_refused() {
    let genuine = Response::default();
    let signed = assertion_in(&genuine.signed_xml());
    let evil = Response {
        assertion_id: "_evil".to_owned(),
        name_id: "admin@acme.example".to_owned(),
        sign_assertion: false,
        ..Response::default()
    };
    let xml = genuine.response_xml(
        &format!(
            "<samlp:Extensions>{signed}</samlp:Extensions>{}",
            evil.assertion_xml()
        ),
        false,
    );
    assert_eq!(refused(&xml), SamlError::AssertionCount { got: 2 });
}

#[test]
fn signed_assertion_moved_into_the_evil_assertion_is_refused() {
    let genuine = Response::default();
    let signed = assertion_in(&genuine.signed_xml());
    let evil = Response {
        assertion_id: "_evil".to_owned(),
        name_id: "admin@acme.example".to_owned(),
        sign_assertion: false,
        ..Response::default()
    }
    .assertion_xml()
    .replace(
        "</saml:Assertion>",
        &format!("<saml:Advice>{signed}</saml:Advice></saml:Assertion>"),
    );
    assert_eq!(
        refused(&genuine.response_xml(&evil, false)),
        SamlError::AssertionCount { got: 2 }
    );
}

#[test]
fn the_only_assertion_moved_under_extensions_is_refused() {
    let genuine = Response::default();
    let signed = assertion_in(&genuine.signed_xml());
    let xml = genuine.response_xml(
        &format!("<samlp:Extensions>{signed}</samlp:Extensions>"),
        false,
    );
    assert!(matches!(
        refused(&xml),
        SamlError::AssertionMisplaced { .. }
    ));
}

#[test]
fn second_unsigned_assertion_beside_the_signed_one_is_refused() {
    let genuine = Response::default();
    let signed = assertion_in(&genuine.signed_xml());
    let evil = Response {
        assertion_id: "_evil".to_owned(),
        name_id: "admin@acme.example".to_owned(),
        sign_assertion: false,
        ..Response::default()
    };
    for inner in [
        format!("{signed}{}", evil.assertion_xml()),
        format!("{}{signed}", evil.assertion_xml()),
    ] {
        assert_eq!(
            refused(&genuine.response_xml(&inner, false)),
            SamlError::AssertionCount { got: 2 }
        );
    }
}

#[test]
fn evil_assertion_taking_the_signed_ones_id_is_refused() {
    let genuine = Response::default();
    let signed = assertion_in(&genuine.signed_xml());
    let evil = Response {
        name_id: "admin@acme.example".to_owned(),
        sign_assertion: false,
        ..Response::default()
    };
    // Same ID as the signed one, signed one hidden in Extensions.
    let xml = genuine.response_xml(
        &format!(
            "<samlp:Extensions>{signed}</samlp:Extensions>{}",
            evil.assertion_xml()
        ),
        false,
    );
    assert!(matches!(refused(&xml), SamlError::DuplicateId { .. }));
}

#[test]
fn signed_response_whose_assertion_was_replaced_is_refused() {
    let response = Response {
        sign_assertion: false,
        sign_response: true,
        ..Response::default()
    };
    let xml = response.signed_xml();
    let original = assertion_in(&xml);
    let evil = Response {
        name_id: "admin@acme.example".to_owned(),
        sign_assertion: false,
        ..Response::default()
    }
    .assertion_xml();
    let xml = xml.replace(&original, &evil);
    assert_eq!(
        refused(&xml),
        SamlError::DigestMismatch {
            element: "Response"
        }
    );
}

#[test]
fn signature_moved_to_an_element_it_does_not_reference_is_refused() {
    // The assertion's valid signature re-homed under the Response: its Reference names the
    // assertion, not the element that now holds it.
    let xml = Response::default().signed_xml();
    let start = xml.find("<ds:Signature").expect("signature");
    let end = xml.find("</ds:Signature>").expect("signature end") + "</ds:Signature>".len();
    let signature = xml[start..end].to_owned();
    let mut moved = xml.replace(&signature, "");
    let at = moved.find("</saml:Issuer>").expect("response issuer") + "</saml:Issuer>".len();
    moved.insert_str(at, &signature);
    assert!(matches!(
        refused(&moved),
        SamlError::ReferenceMismatch { .. }
    ));
}

#[test]
fn name_id_tampered_after_signing_fails_the_digest() {
    let xml = Response::default().signed_xml().replace(
        ">mona@acme.example</saml:NameID>",
        ">admin@acme.example</saml:NameID>",
    );
    assert!(xml.contains("admin@acme.example"));
    assert_eq!(
        refused(&xml),
        SamlError::DigestMismatch {
            element: "Assertion"
        }
    );
}

#[test]
fn name_id_truncated_by_a_comment_after_signing_fails_the_digest() {
    // Signed "mona@acme.example.evil.com"; the attacker cuts the rest off and hides it in a
    // comment, hoping the reader takes only the text.
    let response = Response {
        name_id: "mona@acme.example.evil.com".to_owned(),
        ..Response::default()
    };
    let xml = response.signed_xml().replace(
        "mona@acme.example.evil.com",
        "mona@acme.example<!--.evil.com-->",
    );
    assert_eq!(
        refused(&xml),
        SamlError::DigestMismatch {
            element: "Assertion"
        }
    );
}

#[test]
fn attribute_value_edited_after_signing_fails_the_digest() {
    let xml = Response::default()
        .signed_xml()
        .replace(">Mona Lisa<", ">Mallory<");
    assert_eq!(
        refused(&xml),
        SamlError::DigestMismatch {
            element: "Assertion"
        }
    );
}

#[test]
fn expired_conditions_are_refused() {
    let response = Response {
        not_on_or_after: NOW - Duration::minutes(4),
        ..Response::default()
    };
    let error = refused(&response.signed_xml());
    assert!(
        matches!(
            error,
            SamlError::Expired {
                what: "assertion",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn expired_subject_confirmation_is_refused() {
    let response = Response {
        confirmation_not_on_or_after: NOW - Duration::minutes(4),
        ..Response::default()
    };
    let error = refused(&response.signed_xml());
    assert!(
        matches!(
            error,
            SamlError::Expired {
                what: "SubjectConfirmationData",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn response_verified_after_its_valid_until_is_refused() {
    let xml = Response::default().signed_xml();
    let verified = verify(&xml).expect("verifies now");
    assert!(matches!(
        verify_with(&xml, &idp(), verified.valid_until),
        Err(SamlError::Expired { .. })
    ));
}

#[test]
fn not_yet_valid_beyond_skew_is_refused() {
    let response = Response {
        not_before: NOW + Duration::minutes(4),
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml()),
        SamlError::NotYetValid {
            what: "assertion",
            ..
        }
    ));
}

#[test]
fn wrong_audience_is_refused() {
    let response = Response {
        audience: "https://roster.example/enterprises/other".to_owned(),
        ..Response::default()
    };
    let error = refused(&response.signed_xml());
    assert!(
        matches!(error, SamlError::WrongAudience { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains(SP_ENTITY) && message.contains("enterprises/other"),
        "{message}"
    );
}

#[test]
fn wrong_recipient_is_refused() {
    let response = Response {
        recipient: "https://elsewhere.example/acs".to_owned(),
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml()),
        SamlError::WrongRecipient { .. }
    ));
}

#[test]
fn wrong_destination_is_refused() {
    let response = Response {
        destination: Some("https://elsewhere.example/acs".to_owned()),
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml()),
        SamlError::WrongDestination { .. }
    ));
}

#[test]
fn wrong_assertion_issuer_is_refused() {
    let response = Response {
        assertion_issuer: "https://evil.example".to_owned(),
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml()),
        SamlError::WrongIssuer {
            element: "Assertion",
            ..
        }
    ));
}

#[test]
fn wrong_response_issuer_is_refused() {
    let response = Response {
        response_issuer: Some("https://evil.example".to_owned()),
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml()),
        SamlError::WrongIssuer {
            element: "Response",
            ..
        }
    ));
}

#[test]
fn transient_name_id_is_refused() {
    let response = Response {
        name_id_format: "urn:oasis:names:tc:SAML:2.0:nameid-format:transient".to_owned(),
        ..Response::default()
    };
    let error = refused(&response.signed_xml());
    assert_eq!(error, SamlError::TransientNameId);
    assert!(error.to_string().contains("persistent"));
}

#[test]
fn status_other_than_success_is_refused_with_the_idps_words() {
    let response = Response {
        status: "urn:oasis:names:tc:SAML:2.0:status:Responder".to_owned(),
        status_message: Some("User is not assigned to this application".to_owned()),
        ..Response::default()
    };
    let xml = response.response_xml("", false);
    let error = refused(&xml);
    assert!(matches!(error, SamlError::Status { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("urn:oasis:names:tc:SAML:2.0:status:Responder")
            && message.contains("User is not assigned to this application"),
        "{message}"
    );
}

#[test]
fn in_response_to_that_differs_between_response_and_assertion_is_refused() {
    let response = Response {
        response_in_response_to: Some("_other".to_owned()),
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml()),
        SamlError::InResponseToMismatch { .. }
    ));
}

#[test]
fn duplicate_ids_are_refused() {
    let xml = Response::default().signed_xml().replace(
        "<samlp:Status>",
        r#"<samlp:Extensions><x ID="_assertion1"/></samlp:Extensions><samlp:Status>"#,
    );
    assert_eq!(
        refused(&xml),
        SamlError::DuplicateId {
            id: crate::saml::Shown::new("_assertion1")
        }
    );
}

#[test]
fn doctype_is_refused() {
    let xml = Response::default().signed_xml();
    let xml = xml.replacen(
        "<samlp:Response",
        "<!DOCTYPE samlp:Response [<!ENTITY who \"admin@acme.example\">]>\n<samlp:Response",
        1,
    );
    assert_eq!(refused(&xml), SamlError::Doctype);
}

#[test]
fn billion_laughs_is_refused() {
    let xml = concat!(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n",
        " <!ENTITY lol \"lol\">\n",
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n",
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n",
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n",
        "]>\n<lolz>&lol3;</lolz>"
    );
    assert_eq!(refused(xml), SamlError::Doctype);
}

#[test]
fn sha1_is_refused_with_a_message_to_switch_to_sha256() {
    let response = Response {
        signature_method: RSA_SHA1,
        digest_method: SHA1,
        ..Response::default()
    };
    let error = refused(&response.signed_xml());
    assert!(matches!(error, SamlError::Sha1 { .. }), "{error:?}");
    assert!(error.to_string().contains("SHA-256"));
    // SHA-1 digests under an RSA-SHA256 signature are refused as well.
    let response = Response {
        digest_method: SHA1,
        ..Response::default()
    };
    assert!(matches!(
        refused(&response.signed_xml()),
        SamlError::Sha1 { .. }
    ));
}

#[test]
fn hmac_signature_method_is_refused() {
    let xml = Response::default()
        .signed_xml()
        .replace(RSA_SHA256, "http://www.w3.org/2000/09/xmldsig#hmac-sha1");
    assert!(matches!(
        refused(&xml),
        SamlError::UnsupportedAlgorithm {
            what: "signature method",
            ..
        }
    ));
}

#[test]
fn oversized_input_is_refused() {
    let padding = format!("<!--{}-->", "x".repeat(300 * 1024));
    let xml = Response::default()
        .signed_xml()
        .replace("<samlp:Status>", &format!("{padding}<samlp:Status>"));
    assert!(matches!(refused(&xml), SamlError::TooLarge { .. }));
}

#[test]
fn encrypted_assertion_is_refused_with_advice() {
    let response = Response::default();
    let xml = response.response_xml(
        r#"<saml:EncryptedAssertion><xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#"/></saml:EncryptedAssertion>"#,
        false,
    );
    let error = refused(&xml);
    assert!(matches!(error, SamlError::Encrypted(_)), "{error:?}");
    assert!(error.to_string().contains("turn assertion encryption off"));
}

#[test]
fn response_without_an_assertion_is_refused() {
    let response = Response {
        sign_assertion: false,
        sign_response: true,
        ..Response::default()
    };
    let xml = response.response_xml("", false);
    assert_eq!(refused(&xml), SamlError::AssertionCount { got: 0 });
}

#[test]
fn not_base64_and_not_a_response_are_refused() {
    let sp = sp();
    let idp = idp();
    let checks = crate::saml::Checks {
        sp: &sp,
        idp: &idp,
        now: NOW,
        skew: Duration::minutes(3),
    };
    assert!(matches!(
        crate::saml::verify_response("not base64!", &checks),
        Err(SamlError::NotBase64(_))
    ));
    assert!(matches!(
        refused("<samlp:AuthnRequest xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\"/>"),
        SamlError::UnexpectedElement { .. }
    ));
}
