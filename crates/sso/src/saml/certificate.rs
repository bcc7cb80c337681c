//! The IdP's signing certificate: X.509 with an RSA key, given as PEM or as the bare base64 of
//! its DER (GitHub's settings page and IdP metadata's `<ds:X509Certificate>` use the latter).
//!
//! The certificate is pinned: it is trusted because an enterprise owner configured it, not
//! because of who issued it, so neither its issuer's signature nor its validity dates are
//! checked when verifying (IdPs commonly keep signing with an expired self-signed certificate,
//! and SAML SPs, GitHub included, accept that). `not_after` is exposed so the console can warn.

use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::traits::PublicKeyParts as _;
use rsa::{Pkcs1v15Sign, PublicKey};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use time::OffsetDateTime;
use x509_cert::der::Decode as _;

use super::error::SamlError;
use super::xml::{decode_base64, encode_base64};

/// A DER certificate is a few KiB; 64 KiB bounds a pasted or metadata-borne one.
const MAX_CERTIFICATE_BYTES: usize = 64 * 1024;
/// Below 2048 bits an RSA key can be factored by a determined attacker (NIST SP 800-131A
/// disallowed 1024-bit signatures in 2013).
const MIN_KEY_BITS: usize = 2048;
const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";

/// An X.509 certificate holding an RSA public key.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    key: PublicKey,
    not_after: Option<OffsetDateTime>,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("sha256", &self.sha256_fingerprint())
            .field("not_after", &self.not_after)
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

/// The digest of a signature method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    pub(crate) fn digest(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha256 => Sha256::digest(bytes).to_vec(),
            Hash::Sha384 => Sha384::digest(bytes).to_vec(),
            Hash::Sha512 => Sha512::digest(bytes).to_vec(),
        }
    }
}

impl Certificate {
    /// Reads a certificate from PEM (`-----BEGIN CERTIFICATE-----`) or from bare base64 DER,
    /// whitespace and line breaks allowed in either.
    pub fn parse(pem_or_base64: &str) -> Result<Certificate, SamlError> {
        let text = pem_or_base64.trim();
        let base64 = if text.starts_with("-----BEGIN") {
            let begin = "-----BEGIN CERTIFICATE-----";
            let end = "-----END CERTIFICATE-----";
            text.strip_prefix(begin)
                .and_then(|rest| rest.split_once(end))
                .map(|(body, _)| body)
                .ok_or_else(|| {
                    SamlError::Certificate(format!(
                        "a PEM certificate must sit between {begin} and {end}"
                    ))
                })?
        } else {
            text
        };
        let der = decode_base64(base64, MAX_CERTIFICATE_BYTES).map_err(|e| match e {
            SamlError::NotBase64(why) => {
                SamlError::Certificate(format!("expected PEM or base64 DER: {why}"))
            }
            other => SamlError::Certificate(other.to_string()),
        })?;
        Certificate::from_der(der)
    }

    fn from_der(der: Vec<u8>) -> Result<Certificate, SamlError> {
        let certificate = x509_cert::Certificate::from_der(&der)
            .map_err(|e| SamlError::Certificate(format!("not an X.509 certificate: {e}")))?;
        let tbs = certificate.tbs_certificate();
        let spki = tbs.subject_public_key_info();
        let algorithm = spki.algorithm.oid.to_string();
        if algorithm != RSA_ENCRYPTION {
            return Err(SamlError::Certificate(format!(
                "its key is not RSA (algorithm {algorithm}); Roster verifies RSA signatures \
                 (RSA-SHA256) only"
            )));
        }
        let key_bytes = spki.subject_public_key.as_bytes().ok_or_else(|| {
            SamlError::Certificate("its public key is not a whole number of bytes".to_owned())
        })?;
        let key = PublicKey::from_pkcs1_der(key_bytes)
            .map_err(|e| SamlError::Certificate(format!("its RSA public key is invalid: {e}")))?;
        let bits = key.n().bit_width() as usize;
        if bits < MIN_KEY_BITS {
            return Err(SamlError::Certificate(format!(
                "its RSA key has {bits} bits; Roster requires at least {MIN_KEY_BITS}: have the \
                 IdP issue a new signing certificate"
            )));
        }
        let not_after = i64::try_from(tbs.validity().not_after.to_unix_duration().as_secs())
            .ok()
            .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok());
        Ok(Certificate {
            der,
            key,
            not_after,
        })
    }

    /// PEM, 64 columns, as `openssl x509` writes it.
    pub fn to_pem(&self) -> String {
        let body = encode_base64(&self.der);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            // base64 is ASCII, so every chunk is valid UTF-8.
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    /// The base64 DER on one line, as metadata's `<ds:X509Certificate>` carries it.
    pub fn to_base64(&self) -> String {
        encode_base64(&self.der)
    }

    /// The SHA-256 fingerprint of the DER, as "AB:CD:…" (what IdP consoles display).
    pub fn sha256_fingerprint(&self) -> String {
        Sha256::digest(&self.der)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// When the certificate says it expires (informational: see the module docs).
    pub fn not_after(&self) -> Option<OffsetDateTime> {
        self.not_after
    }

    /// Whether `signature` is this key's PKCS#1 v1.5 signature over `message` with `hash`.
    pub(crate) fn verifies(&self, hash: Hash, message: &[u8], signature: &[u8]) -> bool {
        let hashed = hash.digest(message);
        let scheme = match hash {
            Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        };
        self.key.verify(scheme, &hashed, signature).is_ok()
    }
}
