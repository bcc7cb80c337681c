//! Every way a SAML message can be refused. `Display` is written for the IdP administrator who
//! has to fix their side: it names the rule, what Roster expected and what came. Values taken
//! from the message are cut short and stripped of control characters (`shown`), because they
//! are attacker-controlled and end up in pages and audit logs.

use std::fmt;

/// Why a SAML response, certificate or metadata document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SamlError {
    #[error("the SAML message is {got} bytes, over Roster's limit of {limit} bytes")]
    TooLarge { limit: usize, got: usize },
    #[error("the SAML message is not valid base64: {0}")]
    NotBase64(String),
    #[error("the SAML message is not UTF-8 XML: {0}")]
    NotUtf8(String),
    #[error(
        "the XML carries a DOCTYPE (DTD); SAML forbids it and Roster refuses it, since DTD \
         entities are how entity-expansion attacks work"
    )]
    Doctype,
    #[error("the XML is not well-formed: {0}")]
    MalformedXml(String),
    #[error("the XML nests deeper than {limit} elements or has more than {nodes} nodes")]
    TooComplex { limit: usize, nodes: u32 },
    #[error("expected a SAML 2.0 {expected}, got {got}")]
    UnexpectedElement { expected: &'static str, got: Shown },
    #[error("the {element} lacks its required {attribute} attribute")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
    #[error("expected SAML Version=\"2.0\" on the {element}, got {got}")]
    WrongVersion { element: &'static str, got: Shown },
    #[error(
        "the IdP refused the sign-in: status {code}{}{}",
        second_level.as_ref().map(|s| format!(" ({s})")).unwrap_or_default(),
        message.as_ref().map(|m| format!(", message: {m}")).unwrap_or_default()
    )]
    Status {
        code: Shown,
        second_level: Option<Shown>,
        message: Option<Shown>,
    },
    #[error(
        "the response carries an encrypted {0}; Roster reads only plain assertions signed by \
         the IdP: turn assertion encryption off in the IdP's app settings"
    )]
    Encrypted(&'static str),
    #[error("expected exactly one Assertion in the response, got {got}")]
    AssertionCount { got: usize },
    #[error("the Assertion must be a direct child of the Response; it sits under {parent} instead")]
    AssertionMisplaced { parent: Shown },
    #[error("the ID {id} appears on more than one element; IDs must be unique in a document")]
    DuplicateId { id: Shown },
    #[error(
        "neither the Response nor its Assertion is signed; configure the IdP to sign the \
         assertion (or the response) with SHA-256"
    )]
    Unsigned,
    #[error("the signature is malformed: {0}")]
    MalformedSignature(String),
    #[error(
        "the signature's Reference points at {got}, expected \"#{expected}\" (the ID of the \
         element that holds the signature)"
    )]
    ReferenceMismatch { expected: Shown, got: Shown },
    #[error(
        "the IdP uses SHA-1 ({uri}); SHA-1 is broken and Roster refuses it: switch the IdP's \
         signature and digest algorithms to SHA-256"
    )]
    Sha1 { uri: Shown },
    #[error("the {what} {uri} is not supported; {supported}")]
    UnsupportedAlgorithm {
        what: &'static str,
        uri: Shown,
        supported: &'static str,
    },
    #[error(
        "the signed {element}'s digest does not match its content: it was changed after the \
         IdP signed it"
    )]
    DigestMismatch { element: &'static str },
    #[error(
        "the signature of the {element} was not made by any configured IdP certificate \
         (tried SHA-256 fingerprints {tried}); upload the IdP's current signing certificate"
    )]
    BadSignature {
        element: &'static str,
        tried: String,
    },
    #[error("no IdP signing certificate is configured, so no signature can be checked")]
    NoCertificate,
    #[error("expected {element} Issuer {expected}, got {got}")]
    WrongIssuer {
        element: &'static str,
        expected: Shown,
        got: Shown,
    },
    #[error(
        "expected the Audience {expected} (Roster's SP entity id) in every AudienceRestriction, \
         got {got}"
    )]
    WrongAudience { expected: Shown, got: Shown },
    #[error(
        "the Assertion has no bearer SubjectConfirmation (Method \
         urn:oasis:names:tc:SAML:2.0:cm:bearer), which web sign-in requires"
    )]
    NoBearerConfirmation,
    #[error("expected SubjectConfirmationData Recipient {expected} (Roster's ACS URL), got {got}")]
    WrongRecipient { expected: Shown, got: Shown },
    #[error("expected the Response Destination {expected} (Roster's ACS URL), got {got}")]
    WrongDestination { expected: Shown, got: Shown },
    #[error(
        "the {what} expired: NotOnOrAfter is {not_on_or_after}, now is {now} (allowing \
         {skew_seconds} s of clock skew); check the IdP's clock or sign in again"
    )]
    Expired {
        what: &'static str,
        not_on_or_after: String,
        now: String,
        skew_seconds: i64,
    },
    #[error(
        "the {what} is not valid yet: NotBefore is {not_before}, now is {now} (allowing \
         {skew_seconds} s of clock skew); check the IdP's clock"
    )]
    NotYetValid {
        what: &'static str,
        not_before: String,
        now: String,
        skew_seconds: i64,
    },
    #[error("the {what} lacks {missing}, which Roster requires")]
    Missing {
        what: &'static str,
        missing: &'static str,
    },
    #[error("the {what} is not an xs:dateTime in UTC: {got}")]
    BadTime { what: &'static str, got: Shown },
    #[error("the Assertion's Subject has no NameID (or an empty one)")]
    MissingNameId,
    #[error(
        "the NameID format is transient, which changes on every sign-in; set the IdP's NameID \
         format to persistent (urn:oasis:names:tc:SAML:2.0:nameid-format:persistent)"
    )]
    TransientNameId,
    #[error("the Response's InResponseTo {response} differs from its assertion's {assertion}")]
    InResponseToMismatch { response: Shown, assertion: Shown },
    #[error("the certificate is not usable: {0}")]
    Certificate(String),
    #[error("the IdP metadata is not usable: {0}")]
    Metadata(String),
    #[error("the RelayState is {got} bytes; SAML allows at most {limit}")]
    RelayStateTooLong { limit: usize, got: usize },
    #[error("the operating system's random source failed: {0}")]
    Random(String),
    #[error("the AuthnRequest could not be compressed: {0}")]
    Deflate(String),
}

impl SamlError {
    /// A short, stable code for the audit log and metrics (`data.reason`).
    pub fn kind(&self) -> &'static str {
        match self {
            SamlError::TooLarge { .. } | SamlError::TooComplex { .. } => "too_large",
            SamlError::NotBase64(_)
            | SamlError::NotUtf8(_)
            | SamlError::MalformedXml(_)
            | SamlError::UnexpectedElement { .. }
            | SamlError::MissingAttribute { .. }
            | SamlError::WrongVersion { .. }
            | SamlError::BadTime { .. }
            | SamlError::Missing { .. } => "malformed",
            SamlError::Doctype => "dtd",
            SamlError::Status { .. } => "status",
            SamlError::Encrypted(_) => "encrypted",
            SamlError::AssertionCount { .. }
            | SamlError::AssertionMisplaced { .. }
            | SamlError::DuplicateId { .. }
            | SamlError::ReferenceMismatch { .. } => "wrapping",
            SamlError::Unsigned => "unsigned",
            SamlError::MalformedSignature(_) => "malformed_signature",
            SamlError::Sha1 { .. } => "sha1",
            SamlError::UnsupportedAlgorithm { .. } => "unsupported_algorithm",
            SamlError::DigestMismatch { .. } => "digest_mismatch",
            SamlError::BadSignature { .. } => "bad_signature",
            SamlError::NoCertificate => "no_certificate",
            SamlError::WrongIssuer { .. } => "wrong_issuer",
            SamlError::WrongAudience { .. } => "wrong_audience",
            SamlError::NoBearerConfirmation => "no_bearer",
            SamlError::WrongRecipient { .. } => "wrong_recipient",
            SamlError::WrongDestination { .. } => "wrong_destination",
            SamlError::Expired { .. } => "expired",
            SamlError::NotYetValid { .. } => "not_yet_valid",
            SamlError::MissingNameId => "no_name_id",
            SamlError::TransientNameId => "transient_name_id",
            SamlError::InResponseToMismatch { .. } => "in_response_to",
            SamlError::Certificate(_) => "certificate",
            SamlError::Metadata(_) => "metadata",
            SamlError::RelayStateTooLong { .. } => "relay_state",
            SamlError::Random(_) | SamlError::Deflate(_) => "internal",
        }
    }
}

/// A value from the message, quoted for an error message: at most `LIMIT` characters, control
/// characters replaced, so a hostile sender cannot flood or forge log lines. `None` reads
/// "(none)": the element or attribute was absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown(Option<String>);

impl Shown {
    const LIMIT: usize = 200;

    pub fn new(value: &str) -> Shown {
        let mut out = String::with_capacity(value.len().min(Self::LIMIT + 3));
        for (i, c) in value.chars().enumerate() {
            if i == Self::LIMIT {
                out.push('…');
                break;
            }
            out.push(if c.is_control() { '?' } else { c });
        }
        Shown(Some(out))
    }

    pub fn none() -> Shown {
        Shown(None)
    }

    /// The quoted text, `None` when the value was absent.
    pub fn as_str(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(value) => write!(f, "\"{value}\""),
            None => f.write_str("(none)"),
        }
    }
}

pub(crate) fn shown(value: &str) -> Shown {
    Shown::new(value)
}

pub(crate) fn shown_opt(value: Option<&str>) -> Shown {
    value.map(Shown::new).unwrap_or_else(Shown::none)
}
