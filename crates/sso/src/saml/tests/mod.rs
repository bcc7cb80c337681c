//! SAML tests. Every signed fixture is made at test time by an independent XML-DSig
//! implementation, Debian's `xmlsec1` (libxmlsec1 over OpenSSL), with keys from `openssl`, so
//! a canonicalization or digest mistake of ours shows up as a failure rather than agreeing
//! with itself.

mod accepted;
mod authn_request;
mod certificate;
mod fixtures;
mod hostile;
mod metadata;
