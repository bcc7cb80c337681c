//! Certificates from PEM and from bare base64, checked against openssl's own reading.

use super::fixtures::*;
use crate::saml::{Certificate, SamlError};

#[test]
fn pem_and_bare_base64_parse_to_the_same_certificate() {
    let key = idp_key();
    let from_pem = Certificate::parse(&key.cert_pem).expect("PEM");
    let from_base64 = Certificate::parse(&key.cert_base64()).expect("bare base64");
    assert_eq!(from_pem, from_base64);
    // Wrapped, indented, with CR LF, as pasted from an IdP console.
    let wrapped: String = key
        .cert_base64()
        .as_bytes()
        .chunks(40)
        .map(|c| format!("   {}\r\n", String::from_utf8_lossy(c)))
        .collect();
    assert_eq!(Certificate::parse(&wrapped).expect("wrapped"), from_pem);
    assert_eq!(
        Certificate::parse(&from_pem.to_pem()).expect("to_pem"),
        from_pem
    );
    assert_eq!(from_pem.to_pem(), key.cert_pem);
}

#[test]
fn fingerprint_and_expiry_match_openssl() {
    let key = idp_key();
    let scratch = Scratch::new();
    let cert = scratch.write("cert.pem", &key.cert_pem);
    let path = cert.to_str().expect("UTF-8 path");
    let out = run(
        "openssl",
        &["x509", "-in", path, "-noout", "-fingerprint", "-sha256"],
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let expected = line
        .trim()
        .rsplit('=')
        .next()
        .expect("fingerprint")
        .to_owned();
    let certificate = key.certificate();
    assert_eq!(certificate.sha256_fingerprint(), expected);

    let out = run(
        "openssl",
        &[
            "x509", "-in", path, "-noout", "-enddate", "-dateopt", "iso_8601",
        ],
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let iso = line
        .trim()
        .trim_start_matches("notAfter=")
        .replace(' ', "T");
    let expected =
        time::OffsetDateTime::parse(&iso, &time::format_description::well_known::Rfc3339)
            .expect("openssl's ISO date");
    assert_eq!(certificate.not_after(), Some(expected));
}

#[test]
fn small_rsa_keys_are_refused() {
    let weak = new_key_pair(&["-newkey", "rsa:1024"], "weak");
    let error = Certificate::parse(&weak.cert_pem).expect_err("1024-bit refused");
    assert!(matches!(error, SamlError::Certificate(_)));
    assert!(error.to_string().contains("2048"), "{error}");
}

#[test]
fn non_rsa_keys_are_refused() {
    let ec = new_key_pair(
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        "ec",
    );
    let error = Certificate::parse(&ec.cert_pem);
    assert!(matches!(error, Err(SamlError::Certificate(m)) if m.contains("not RSA")));
}

#[test]
fn garbage_is_refused() {
    assert!(matches!(
        Certificate::parse("not a certificate"),
        Err(SamlError::Certificate(_))
    ));
    assert!(matches!(
        Certificate::parse("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
        Err(SamlError::Certificate(_))
    ));
    assert!(matches!(
        Certificate::parse("-----BEGIN CERTIFICATE-----\nAAAA"),
        Err(SamlError::Certificate(_))
    ));
}
