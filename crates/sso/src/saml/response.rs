//! `verify_response`: a base64 `SAMLResponse` from the HTTP-POST binding in, a verified
//! identity claim out, or the one rule it broke.
//!
//! The order is deliberate. First the envelope's own facts that can only *refuse* (Status,
//! Destination) so an IdP error page shows the IdP's words; then the document's shape, which
//! forbids every known wrapping layout (unique IDs, exactly one Assertion, a direct child of
//! the Response, signatures only where SAML puts them); then the signatures; and then every
//! value that is returned is read from a re-parse of the signed canonical bytes, never from
//! the tree the message came in.

use std::collections::HashSet;

use roxmltree::{Document, Node};
use time::{Duration, OffsetDateTime};

use super::error::{SamlError, shown, shown_opt};
use super::signature::verify_enveloped;
use super::xml::{
    self, MAX_MESSAGE_BYTES, NS_ASSERTION, NS_DSIG, NS_PROTOCOL, NS_XENC, child, children, is,
    only_child, parse, parse_time, text_content,
};
use super::{IdentityProvider, ServiceProvider};

const STATUS_SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const TRANSIENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient";
/// Attributes and values returned, at most; beyond that an assertion is an attack or a
/// misconfiguration, and the caller keeps them in a session.
const MAX_ATTRIBUTES: usize = 256;
const MAX_VALUES: usize = 1024;

/// What a response is checked against.
#[derive(Debug, Clone, Copy)]
pub struct Checks<'a> {
    pub sp: &'a ServiceProvider,
    pub idp: &'a IdentityProvider,
    pub now: OffsetDateTime,
    /// Clock skew allowed on every NotBefore and NotOnOrAfter (for example 3 minutes).
    pub skew: Duration,
}

/// A SAML assertion that passed every check, with values read only from signed content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    pub response_id: String,
    pub assertion_id: String,
    /// The Assertion's Issuer (equal to the configured IdP entity id).
    pub issuer: String,
    pub name_id: String,
    pub name_id_format: Option<String>,
    /// The request this answers; `None` for an IdP-initiated sign-in (the caller decides
    /// whether that is allowed). Taken from the Response only when the Response is signed,
    /// otherwise from the signed assertion's SubjectConfirmationData.
    pub in_response_to: Option<String>,
    /// The instant after which `verify_response` refuses this assertion anyway: the earliest
    /// NotOnOrAfter (Conditions, SubjectConfirmationData) plus the skew. A replay cache keeps
    /// the assertion id until then, and no longer needs it after.
    pub valid_until: OffsetDateTime,
    pub session_not_on_or_after: Option<OffsetDateTime>,
    pub authn_instant: Option<OffsetDateTime>,
    /// Attribute Name → values, in document order.
    pub attributes: Vec<(String, Vec<String>)>,
}

/// Verifies a `SAMLResponse` form value (base64, line-wrapped or not) against `checks`.
pub fn verify_response(
    saml_response_base64: &str,
    checks: &Checks,
) -> Result<VerifiedAssertion, SamlError> {
    let bytes = xml::decode_base64(saml_response_base64, MAX_MESSAGE_BYTES)?;
    let text = xml::utf8(&bytes)?;
    let document = parse(text, MAX_MESSAGE_BYTES)?;
    let response = document.root_element();
    expect_response(response)?;

    // Reject-only facts of the envelope: reading them unsigned can make us refuse, never
    // accept. The signed copies are checked again below when the Response is signed.
    check_status(response)?;
    check_destination(response, checks)?;

    let assertion = check_shape(&document)?;

    let response_signature = only_child(response, NS_DSIG, "Signature")?;
    let assertion_signature = only_child(assertion, NS_DSIG, "Signature")?;
    if response_signature.is_none() && assertion_signature.is_none() {
        return Err(SamlError::Unsigned);
    }
    let certificates = &checks.idp.certificates;
    let signed_response = response_signature
        .map(|s| verify_enveloped(s, "Response", certificates))
        .transpose()?;
    let signed_assertion = assertion_signature
        .map(|s| verify_enveloped(s, "Assertion", certificates))
        .transpose()?;

    match (signed_response, signed_assertion) {
        (Some(canonical_response), _) => {
            // The Response is signed: everything, envelope included, comes from its bytes.
            // (A signed assertion inside is covered by them too.)
            let text = xml::utf8(&canonical_response)?;
            let signed = parse(text, MAX_MESSAGE_BYTES)?;
            let response = signed.root_element();
            expect_response(response)?;
            check_status(response)?;
            check_destination(response, checks)?;
            let assertion = check_shape(&signed)?;
            let envelope = envelope(response, checks)?;
            read_assertion(assertion, envelope, true, checks)
        }
        (None, Some(canonical_assertion)) => {
            // Only the assertion is signed: the envelope supplies ids and reject-only checks,
            // the assertion's bytes supply every value.
            let envelope = envelope(response, checks)?;
            let text = xml::utf8(&canonical_assertion)?;
            let signed = parse(text, MAX_MESSAGE_BYTES)?;
            let assertion = signed.root_element();
            if !is(assertion, NS_ASSERTION, "Assertion") {
                return Err(SamlError::UnexpectedElement {
                    expected: "Assertion",
                    got: shown(&xml::describe(assertion)),
                });
            }
            read_assertion(assertion, envelope, false, checks)
        }
        // Unreachable: one of the two signatures exists and verification returned its bytes
        // or an error; refusing is the safe reading of "neither".
        (None, None) => Err(SamlError::Unsigned),
    }
}

fn expect_response(response: Node) -> Result<(), SamlError> {
    if !is(response, NS_PROTOCOL, "Response") {
        return Err(SamlError::UnexpectedElement {
            expected: "protocol Response (urn:oasis:names:tc:SAML:2.0:protocol)",
            got: shown(&xml::describe(response)),
        });
    }
    check_version(response, "Response")
}

fn check_version(node: Node, element: &'static str) -> Result<(), SamlError> {
    match node.attribute("Version") {
        Some("2.0") => Ok(()),
        other => Err(SamlError::WrongVersion {
            element,
            got: shown_opt(other),
        }),
    }
}

fn check_status(response: Node) -> Result<(), SamlError> {
    let status = only_child(response, NS_PROTOCOL, "Status")?.ok_or(SamlError::Missing {
        what: "Response",
        missing: "a Status",
    })?;
    let code = only_child(status, NS_PROTOCOL, "StatusCode")?;
    let value = code.and_then(|c| c.attribute("Value"));
    if value == Some(STATUS_SUCCESS) {
        return Ok(());
    }
    let second_level = code
        .and_then(|c| child(c, NS_PROTOCOL, "StatusCode"))
        .and_then(|c| c.attribute("Value"))
        .map(shown);
    let message =
        child(status, NS_PROTOCOL, "StatusMessage").map(|m| shown(text_content(m).trim()));
    Err(SamlError::Status {
        code: shown_opt(value),
        second_level,
        message,
    })
}

fn check_destination(response: Node, checks: &Checks) -> Result<(), SamlError> {
    match response.attribute("Destination") {
        Some(destination) if destination != checks.sp.acs_url => Err(SamlError::WrongDestination {
            expected: shown(&checks.sp.acs_url),
            got: shown(destination),
        }),
        _ => Ok(()),
    }
}

/// The layout rules that make wrapping impossible: no encrypted content we would skip, every
/// ID attribute unique (so `#ID` names one element), exactly one Assertion anywhere, and
/// XML-DSig signatures only as children of the Response or its Assertion. Returns that
/// Assertion, which is a direct child of the Response.
fn check_shape<'a, 'input>(document: &'a Document<'input>) -> Result<Node<'a, 'input>, SamlError> {
    let mut ids = HashSet::new();
    let mut assertions = 0usize;
    let mut the_assertion = None;
    let mut misplaced_signature = None;
    for node in document.root().descendants().filter(|n| n.is_element()) {
        if is(node, NS_ASSERTION, "EncryptedAssertion") {
            return Err(SamlError::Encrypted("assertion (EncryptedAssertion)"));
        }
        if is(node, NS_ASSERTION, "EncryptedID") {
            return Err(SamlError::Encrypted("NameID (EncryptedID)"));
        }
        if is(node, NS_ASSERTION, "EncryptedAttribute") {
            return Err(SamlError::Encrypted("attribute (EncryptedAttribute)"));
        }
        if is(node, NS_XENC, "EncryptedData") {
            return Err(SamlError::Encrypted("element (EncryptedData)"));
        }
        if is(node, NS_ASSERTION, "Assertion") {
            assertions += 1;
            the_assertion.get_or_insert(node);
        }
        for attribute in node.attributes() {
            // `ID` is SAML's; `Id`/`id` are what other XML-DSig profiles use and what a
            // permissive verifier might resolve a reference to, so they count as well.
            if attribute.namespace().is_none()
                && matches!(attribute.name(), "ID" | "Id" | "id")
                && !ids.insert(attribute.value())
            {
                return Err(SamlError::DuplicateId {
                    id: shown(attribute.value()),
                });
            }
        }
        if is(node, NS_DSIG, "Signature") {
            let parent = node.parent_element();
            let placed = parent.is_some_and(|p| {
                (is(p, NS_PROTOCOL, "Response") && p.parent_element().is_none())
                    || (is(p, NS_ASSERTION, "Assertion")
                        && p.parent_element()
                            .is_some_and(|r| r.parent_element().is_none()))
            });
            if !placed && misplaced_signature.is_none() {
                misplaced_signature = Some(SamlError::MalformedSignature(format!(
                    "a Signature sits under {}, where SAML puts none (only the Response and \
                     its Assertion carry signatures)",
                    parent.map(|p| xml::describe(p)).unwrap_or_default()
                )));
            }
        }
    }
    // The assertion count first: it names the wrapping attempt better than where its
    // displaced signature ended up.
    let assertion = match (assertions, the_assertion) {
        (1, Some(assertion)) => assertion,
        _ => return Err(SamlError::AssertionCount { got: assertions }),
    };
    let response = document.root_element();
    if assertion.parent_element().map(|p| p.id()) != Some(response.id()) {
        return Err(SamlError::AssertionMisplaced {
            parent: shown(
                &assertion
                    .parent_element()
                    .map(|p| xml::describe(p))
                    .unwrap_or_default(),
            ),
        });
    }
    match misplaced_signature {
        Some(error) => Err(error),
        None => Ok(assertion),
    }
}

/// What the Response element says about itself.
struct Envelope {
    id: String,
    in_response_to: Option<String>,
}

fn envelope(response: Node, checks: &Checks) -> Result<Envelope, SamlError> {
    let id = response
        .attribute("ID")
        .ok_or(SamlError::MissingAttribute {
            element: "Response",
            attribute: "ID",
        })?;
    // The Response Issuer is optional (SAML core §3.2.2); when present it must be the IdP.
    if let Some(issuer) = only_child(response, NS_ASSERTION, "Issuer")? {
        check_issuer("Response", issuer, checks)?;
    }
    Ok(Envelope {
        id: id.to_owned(),
        in_response_to: response.attribute("InResponseTo").map(str::to_owned),
    })
}

fn check_issuer(element: &'static str, issuer: Node, checks: &Checks) -> Result<(), SamlError> {
    let got = text_content(issuer);
    let got = got.trim();
    if got != checks.idp.entity_id {
        return Err(SamlError::WrongIssuer {
            element,
            expected: shown(&checks.idp.entity_id),
            got: shown(got),
        });
    }
    Ok(())
}

/// Reads and checks the (signed, re-parsed) assertion. `envelope_signed` says whether the
/// envelope came from signed bytes, which decides where InResponseTo may come from.
fn read_assertion(
    assertion: Node,
    envelope: Envelope,
    envelope_signed: bool,
    checks: &Checks,
) -> Result<VerifiedAssertion, SamlError> {
    check_version(assertion, "Assertion")?;
    let assertion_id = assertion
        .attribute("ID")
        .ok_or(SamlError::MissingAttribute {
            element: "Assertion",
            attribute: "ID",
        })?
        .to_owned();
    let issuer = only_child(assertion, NS_ASSERTION, "Issuer")?.ok_or(SamlError::Missing {
        what: "Assertion",
        missing: "an Issuer",
    })?;
    check_issuer("Assertion", issuer, checks)?;
    let issuer = text_content(issuer).trim().to_owned();

    let subject = only_child(assertion, NS_ASSERTION, "Subject")?.ok_or(SamlError::Missing {
        what: "Assertion",
        missing: "a Subject",
    })?;
    let name_id = only_child(subject, NS_ASSERTION, "NameID")?.ok_or(SamlError::MissingNameId)?;
    let name_id_format = name_id.attribute("Format").map(str::to_owned);
    if name_id_format.as_deref() == Some(TRANSIENT) {
        return Err(SamlError::TransientNameId);
    }
    let name_id_value = text_content(name_id).trim().to_owned();
    if name_id_value.is_empty() {
        return Err(SamlError::MissingNameId);
    }

    let confirmation = bearer_confirmation(subject, checks)?;
    let conditions = check_conditions(assertion, checks)?;

    let in_response_to = match (
        envelope_signed,
        envelope.in_response_to,
        confirmation.in_response_to,
    ) {
        (_, Some(response), Some(assertion)) if response != assertion => {
            return Err(SamlError::InResponseToMismatch {
                response: shown(&response),
                assertion: shown(&assertion),
            });
        }
        (true, from_response, from_assertion) => from_response.or(from_assertion),
        // An unsigned envelope's InResponseTo is not evidence of anything.
        (false, _, from_assertion) => from_assertion,
    };

    let earliest_end = match conditions {
        Some(end) => end.min(confirmation.not_on_or_after),
        None => confirmation.not_on_or_after,
    };

    let (authn_instant, session_not_on_or_after) = authn_statement(assertion)?;
    let attributes = attributes(assertion)?;

    Ok(VerifiedAssertion {
        response_id: envelope.id,
        assertion_id,
        issuer,
        name_id: name_id_value,
        name_id_format,
        in_response_to,
        // At the edge of the representable range (year 9999) there is nothing later to keep.
        valid_until: earliest_end
            .checked_add(checks.skew)
            .unwrap_or(earliest_end),
        session_not_on_or_after,
        authn_instant,
        attributes,
    })
}

struct Confirmation {
    not_on_or_after: OffsetDateTime,
    in_response_to: Option<String>,
}

/// The first bearer SubjectConfirmation whose data fits: Recipient = ACS URL, NotOnOrAfter in
/// the future (SAML profiles §4.1.4.2 require both), NotBefore (if any) past. When none fits,
/// the first one's failure is the message.
fn bearer_confirmation(subject: Node, checks: &Checks) -> Result<Confirmation, SamlError> {
    let mut first_failure = None;
    for confirmation in children(subject, NS_ASSERTION, "SubjectConfirmation") {
        if confirmation.attribute("Method") != Some(BEARER) {
            continue;
        }
        match check_confirmation(confirmation, checks) {
            Ok(found) => return Ok(found),
            Err(e) => {
                first_failure.get_or_insert(e);
            }
        }
    }
    Err(first_failure.unwrap_or(SamlError::NoBearerConfirmation))
}

fn check_confirmation(confirmation: Node, checks: &Checks) -> Result<Confirmation, SamlError> {
    let data = only_child(confirmation, NS_ASSERTION, "SubjectConfirmationData")?.ok_or(
        SamlError::Missing {
            what: "bearer SubjectConfirmation",
            missing: "SubjectConfirmationData (with Recipient and NotOnOrAfter)",
        },
    )?;
    let recipient = data.attribute("Recipient");
    if recipient != Some(checks.sp.acs_url.as_str()) {
        return Err(SamlError::WrongRecipient {
            expected: shown(&checks.sp.acs_url),
            got: shown_opt(recipient),
        });
    }
    let not_on_or_after = data
        .attribute("NotOnOrAfter")
        .ok_or(SamlError::Missing {
            what: "SubjectConfirmationData",
            missing: "NotOnOrAfter",
        })
        .and_then(|v| parse_time("SubjectConfirmationData NotOnOrAfter", v))?;
    check_not_on_or_after("SubjectConfirmationData", not_on_or_after, checks)?;
    if let Some(not_before) = data.attribute("NotBefore") {
        let not_before = parse_time("SubjectConfirmationData NotBefore", not_before)?;
        check_not_before("SubjectConfirmationData", not_before, checks)?;
    }
    Ok(Confirmation {
        not_on_or_after,
        in_response_to: data.attribute("InResponseTo").map(str::to_owned),
    })
}

/// Conditions: time bounds with skew, and every AudienceRestriction naming this SP (SAML core
/// §2.5.1.4: several restrictions all apply; within one, any Audience suffices). Returns the
/// Conditions' NotOnOrAfter when present.
fn check_conditions(assertion: Node, checks: &Checks) -> Result<Option<OffsetDateTime>, SamlError> {
    let conditions =
        only_child(assertion, NS_ASSERTION, "Conditions")?.ok_or(SamlError::Missing {
            what: "Assertion",
            missing: "Conditions with an AudienceRestriction",
        })?;
    if let Some(not_before) = conditions.attribute("NotBefore") {
        let not_before = parse_time("Conditions NotBefore", not_before)?;
        check_not_before("assertion", not_before, checks)?;
    }
    let not_on_or_after = conditions
        .attribute("NotOnOrAfter")
        .map(|v| parse_time("Conditions NotOnOrAfter", v))
        .transpose()?;
    if let Some(end) = not_on_or_after {
        check_not_on_or_after("assertion", end, checks)?;
    }

    let mut restrictions = 0usize;
    for restriction in children(conditions, NS_ASSERTION, "AudienceRestriction") {
        restrictions += 1;
        let audiences: Vec<String> = children(restriction, NS_ASSERTION, "Audience")
            .map(|a| text_content(a).trim().to_owned())
            .collect();
        if !audiences.contains(&checks.sp.entity_id) {
            return Err(SamlError::WrongAudience {
                expected: shown(&checks.sp.entity_id),
                got: shown(&audiences.join(", ")),
            });
        }
    }
    if restrictions == 0 {
        return Err(SamlError::WrongAudience {
            expected: shown(&checks.sp.entity_id),
            got: super::error::Shown::none(),
        });
    }
    Ok(not_on_or_after)
}

fn check_not_before(
    what: &'static str,
    not_before: OffsetDateTime,
    checks: &Checks,
) -> Result<(), SamlError> {
    // Checked arithmetic: the instants come from the message, and `time` panics on overflow.
    let latest_now = checks.now.checked_add(checks.skew).unwrap_or(checks.now);
    if latest_now < not_before {
        return Err(SamlError::NotYetValid {
            what,
            not_before: xml::format_time(not_before),
            now: xml::format_time(checks.now),
            skew_seconds: checks.skew.whole_seconds(),
        });
    }
    Ok(())
}

fn check_not_on_or_after(
    what: &'static str,
    not_on_or_after: OffsetDateTime,
    checks: &Checks,
) -> Result<(), SamlError> {
    let end = not_on_or_after
        .checked_add(checks.skew)
        .unwrap_or(not_on_or_after);
    if checks.now >= end {
        return Err(SamlError::Expired {
            what,
            not_on_or_after: xml::format_time(not_on_or_after),
            now: xml::format_time(checks.now),
            skew_seconds: checks.skew.whole_seconds(),
        });
    }
    Ok(())
}

type AuthnTimes = (Option<OffsetDateTime>, Option<OffsetDateTime>);

/// AuthnInstant and SessionNotOnOrAfter of the (first) AuthnStatement, when there is one.
fn authn_statement(assertion: Node) -> Result<AuthnTimes, SamlError> {
    let Some(statement) = child(assertion, NS_ASSERTION, "AuthnStatement") else {
        return Ok((None, None));
    };
    let instant = statement
        .attribute("AuthnInstant")
        .map(|v| parse_time("AuthnStatement AuthnInstant", v))
        .transpose()?;
    let session_end = statement
        .attribute("SessionNotOnOrAfter")
        .map(|v| parse_time("AuthnStatement SessionNotOnOrAfter", v))
        .transpose()?;
    Ok((instant, session_end))
}

fn attributes(assertion: Node) -> Result<Vec<(String, Vec<String>)>, SamlError> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    let mut values_total = 0usize;
    for statement in children(assertion, NS_ASSERTION, "AttributeStatement") {
        for attribute in children(statement, NS_ASSERTION, "Attribute") {
            let name = attribute
                .attribute("Name")
                .ok_or(SamlError::MissingAttribute {
                    element: "Attribute",
                    attribute: "Name",
                })?;
            let values: Vec<String> = children(attribute, NS_ASSERTION, "AttributeValue")
                .map(|v| text_content(v).trim().to_owned())
                .collect();
            values_total += values.len();
            if out.len() >= MAX_ATTRIBUTES || values_total > MAX_VALUES {
                return Err(SamlError::TooComplex {
                    limit: xml::MAX_DEPTH,
                    nodes: xml::MAX_NODES,
                });
            }
            out.push((name.to_owned(), values));
        }
    }
    Ok(out)
}
