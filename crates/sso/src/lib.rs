//! Sign-in protocols, with no storage and no server (DESIGN.md "Layers"): SAML 2.0 as a
//! service provider (AuthnRequest, metadata, response and signature validation → a verified
//! identity claim) and OpenID Connect as a relying party (authorization request, ID-token
//! validation). Whatever a caller gets back from here has passed every check of
//! `shared/reference/sign-in.md`; the directory decides who it is and whether they may enter.

pub mod oidc;
pub mod saml;
