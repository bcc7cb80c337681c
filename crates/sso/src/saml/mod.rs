//! SAML 2.0 service provider, pure: no I/O, no storage, no HTTP.

mod c14n;
mod certificate;
mod error;
mod signature;
mod xml;

pub use certificate::Certificate;
pub use error::{SamlError, Shown};
