//! SAML 2.0 service provider, pure: no I/O, no storage, no HTTP. Roster is the SP; the IdP is
//! configured per enterprise (entity id, SSO URL, signing certificates).
//!
//! - [`authn_request_url`]: an SP-initiated sign-in (HTTP-Redirect binding, unsigned
//!   AuthnRequest, as GitHub sends).
//! - [`verify_response`]: the HTTP-POST binding's `SAMLResponse` → [`VerifiedAssertion`], with
//!   XML-DSig verified in-house (see `signature` and `c14n` for why and how).
//! - [`sp_metadata`] / [`parse_idp_metadata`]: the metadata documents either side imports.

mod authn_request;
mod c14n;
mod certificate;
mod error;
mod metadata;
mod response;
mod signature;
mod xml;

#[cfg(test)]
mod tests;

pub use authn_request::{MAX_RELAY_STATE_BYTES, authn_request_url, new_request_id};
pub use certificate::Certificate;
pub use error::{SamlError, Shown};
pub use metadata::{parse_idp_metadata, sp_metadata};
pub use response::{Checks, VerifiedAssertion, verify_response};

/// Roster's side of one enterprise's SAML trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceProvider {
    /// `{public}/enterprises/{e}`: the Audience the IdP must name.
    pub entity_id: String,
    /// `{public}/enterprises/{e}/saml/consume`: Recipient and Destination.
    pub acs_url: String,
}

/// The enterprise's IdP, as its owner configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    /// The Issuer of its responses and assertions.
    pub entity_id: String,
    /// Where AuthnRequests go (the HTTP-Redirect binding's endpoint).
    pub sso_url: String,
    /// Every certificate a signature may verify against: more than one during a rollover.
    pub certificates: Vec<Certificate>,
}
