//! XML-DSig verification of one enveloped `<ds:Signature>`, the way SAML uses it and no other:
//! the signature sits inside the element it signs, its single Reference is `#ID` of that
//! element, the transforms are enveloped-signature then one canonicalization, and the key is
//! one of the configured certificates (any `KeyInfo` in the message is ignored: a forger can
//! put their own key there).
//!
//! What comes back is the canonical form of the signed element, the exact bytes the digest
//! covered; the caller re-parses those and reads nothing from the original tree. That is what
//! makes signature wrapping impossible by construction rather than by careful lookups.
//!
//! Why in-house: `samael` binds libxml2 and xmlsec1 (C, a native build dependency on every
//! machine, and a general-purpose verifier whose "which element did it sign" answer the caller
//! must get right on its own); `risaml`/`bergshamra` are pre-1.0 and unaudited by their own
//! READMEs. SAML needs a small, fixed subset of XML-DSig, which fits here in a few hundred
//! lines that refuse everything outside it; xmlsec1 itself signs the test fixtures.

use roxmltree::Node;

use super::c14n::{self, Method};
use super::certificate::{Certificate, Hash};
use super::error::{SamlError, shown};
use super::xml::{NS_DSIG, child, children, decode_base64, is, only_child};

const ENVELOPED: &str = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA1: &str = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
/// A signature value is the size of the RSA modulus; 8192-bit keys give 1 KiB.
const MAX_SIGNATURE_BYTES: usize = 2048;
/// A digest value is at most 64 bytes (SHA-512).
const MAX_DIGEST_BYTES: usize = 128;

const SIGNATURE_METHODS: &str = "use RSA-SHA256 (or RSA-SHA384/512)";
const DIGEST_METHODS: &str = "use SHA-256 (or SHA-384/512)";
const C14N_METHODS: &str = "use Exclusive XML Canonicalization 1.0 \
    (http://www.w3.org/2001/10/xml-exc-c14n#), or Canonical XML 1.0, without comments";

/// Verifies `signature`, a `<ds:Signature>` that is a child of the element it signs, against
/// `certificates`. `element` names the signed element in messages ("Response", "Assertion").
/// Returns the canonical bytes of the signed element with this signature removed.
pub(crate) fn verify_enveloped(
    signature: Node,
    element: &'static str,
    certificates: &[Certificate],
) -> Result<Vec<u8>, SamlError> {
    if certificates.is_empty() {
        return Err(SamlError::NoCertificate);
    }
    let signed = signature
        .parent_element()
        .ok_or_else(|| malformed("the Signature has no parent element"))?;
    let signed_id = signed.attribute("ID").ok_or(SamlError::MissingAttribute {
        element,
        attribute: "ID",
    })?;

    let signed_info =
        only_child(signature, NS_DSIG, "SignedInfo")?.ok_or_else(|| malformed("no SignedInfo"))?;
    if signature.first_element_child().map(|n| n.id()) != Some(signed_info.id()) {
        return Err(malformed("SignedInfo must be the Signature's first child"));
    }
    let signature_value = only_child(signature, NS_DSIG, "SignatureValue")?
        .ok_or_else(|| malformed("no SignatureValue"))?;

    let canonicalization = only_child(signed_info, NS_DSIG, "CanonicalizationMethod")?
        .ok_or_else(|| malformed("no CanonicalizationMethod"))?;
    let signed_info_method = c14n_method(canonicalization)?;
    let signature_method = only_child(signed_info, NS_DSIG, "SignatureMethod")?
        .ok_or_else(|| malformed("no SignatureMethod"))?;
    let signature_hash = signature_hash(algorithm(signature_method)?)?;

    // One Reference, to the element holding the signature: a second one could point anywhere
    // (another assertion, the whole document), and SAML never needs it.
    let mut references = children(signed_info, NS_DSIG, "Reference");
    let reference = references
        .next()
        .ok_or_else(|| malformed("SignedInfo has no Reference"))?;
    if references.next().is_some() {
        return Err(malformed(
            "SignedInfo has more than one Reference; SAML signs exactly one element",
        ));
    }
    let uri = reference.attribute("URI");
    if uri.and_then(|u| u.strip_prefix('#')) != Some(signed_id) {
        return Err(SamlError::ReferenceMismatch {
            expected: shown(signed_id),
            got: uri.map(shown).unwrap_or_else(super::error::Shown::none),
        });
    }
    let reference_method = reference_transforms(reference)?;
    let digest_method = only_child(reference, NS_DSIG, "DigestMethod")?
        .ok_or_else(|| malformed("the Reference has no DigestMethod"))?;
    let digest_hash = digest_hash(algorithm(digest_method)?)?;
    let digest_value = only_child(reference, NS_DSIG, "DigestValue")?
        .ok_or_else(|| malformed("the Reference has no DigestValue"))?;
    let expected_digest = decode_base64(&super::xml::text_content(digest_value), MAX_DIGEST_BYTES)
        .map_err(|e| malformed(&format!("DigestValue: {e}")))?;
    let signature_bytes = decode_base64(
        &super::xml::text_content(signature_value),
        MAX_SIGNATURE_BYTES,
    )
    .map_err(|e| malformed(&format!("SignatureValue: {e}")))?;

    // The key first: "signed by someone else" is the more useful message when both fail.
    let canonical_signed_info = c14n::canonicalize(signed_info, None, &signed_info_method)?;
    if !certificates
        .iter()
        .any(|c| c.verifies(signature_hash, &canonical_signed_info, &signature_bytes))
    {
        return Err(SamlError::BadSignature {
            element,
            tried: certificates
                .iter()
                .map(|c| c.sha256_fingerprint())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }

    let canonical_signed = c14n::canonicalize(signed, Some(signature.id()), &reference_method)?;
    if digest_hash.digest(&canonical_signed) != expected_digest {
        return Err(SamlError::DigestMismatch { element });
    }
    Ok(canonical_signed)
}

fn malformed(why: &str) -> SamlError {
    SamlError::MalformedSignature(why.to_owned())
}

fn algorithm<'a>(node: Node<'a, '_>) -> Result<&'a str, SamlError> {
    node.attribute("Algorithm").ok_or_else(|| {
        malformed(&format!(
            "{} has no Algorithm attribute",
            node.tag_name().name()
        ))
    })
}

fn signature_hash(uri: &str) -> Result<Hash, SamlError> {
    match uri {
        RSA_SHA256 => Ok(Hash::Sha256),
        RSA_SHA384 => Ok(Hash::Sha384),
        RSA_SHA512 => Ok(Hash::Sha512),
        RSA_SHA1 => Err(SamlError::Sha1 { uri: shown(uri) }),
        other => Err(SamlError::UnsupportedAlgorithm {
            what: "signature method",
            uri: shown(other),
            supported: SIGNATURE_METHODS,
        }),
    }
}

fn digest_hash(uri: &str) -> Result<Hash, SamlError> {
    match uri {
        SHA256 => Ok(Hash::Sha256),
        SHA384 => Ok(Hash::Sha384),
        SHA512 => Ok(Hash::Sha512),
        SHA1 => Err(SamlError::Sha1 { uri: shown(uri) }),
        other => Err(SamlError::UnsupportedAlgorithm {
            what: "digest method",
            uri: shown(other),
            supported: DIGEST_METHODS,
        }),
    }
}

/// A canonicalization named by `node`'s Algorithm, with exclusive c14n's PrefixList.
fn c14n_method(node: Node) -> Result<Method, SamlError> {
    match algorithm(node)? {
        c14n::EXCLUSIVE => {
            let mut inclusive_prefixes = Vec::new();
            let list = child(node, c14n::EXCLUSIVE, "InclusiveNamespaces")
                .and_then(|n| n.attribute("PrefixList"))
                .unwrap_or("");
            for prefix in list.split_ascii_whitespace().take(64) {
                inclusive_prefixes.push(if prefix == "#default" {
                    String::new()
                } else {
                    prefix.to_owned()
                });
            }
            Ok(Method::Exclusive { inclusive_prefixes })
        }
        c14n::INCLUSIVE => Ok(Method::Inclusive),
        other @ (c14n::EXCLUSIVE_WITH_COMMENTS | c14n::INCLUSIVE_WITH_COMMENTS) => {
            Err(SamlError::UnsupportedAlgorithm {
                what: "canonicalization (with comments)",
                uri: shown(other),
                supported: C14N_METHODS,
            })
        }
        other => Err(SamlError::UnsupportedAlgorithm {
            what: "canonicalization",
            uri: shown(other),
            supported: C14N_METHODS,
        }),
    }
}

/// The Reference's transforms: the enveloped-signature transform, then at most one
/// canonicalization (none means Canonical XML 1.0, XML-DSig §4.3.3.2). Anything else (XPath,
/// XSLT, base64) is refused: each is a way to sign something other than what is read.
fn reference_transforms(reference: Node) -> Result<Method, SamlError> {
    let transforms: Vec<Node> = match only_child(reference, NS_DSIG, "Transforms")? {
        Some(list) => list.children().filter(|n| n.is_element()).collect(),
        None => Vec::new(),
    };
    let mut transforms = transforms.into_iter();
    match transforms.next() {
        Some(first) if is(first, NS_DSIG, "Transform") && algorithm(first)? == ENVELOPED => {}
        _ => {
            return Err(malformed(
                "the Reference's first transform must be enveloped-signature \
                 (http://www.w3.org/2000/09/xmldsig#enveloped-signature)",
            ));
        }
    }
    let method = match transforms.next() {
        None => Method::Inclusive,
        Some(t) if is(t, NS_DSIG, "Transform") => c14n_method(t)?,
        Some(_) => return Err(malformed("Transforms holds something other than Transform")),
    };
    if transforms.next().is_some() {
        return Err(malformed(
            "the Reference has more than two transforms; SAML uses enveloped-signature and \
             one canonicalization",
        ));
    }
    Ok(method)
}
