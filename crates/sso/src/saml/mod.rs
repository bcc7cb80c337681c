//! SAML 2.0 service provider, pure: no I/O, no storage, no HTTP.

mod c14n;
mod error;
mod xml;

pub use error::{SamlError, Shown};
