//! The SCIM 2.0 protocol (RFC 7643, RFC 7644) with no I/O: attribute metadata and the resource
//! definitions, the filter grammar and its in-memory evaluator, the PATCH engine, attribute
//! projection, list/search requests and protocol errors.

pub mod bulk;
pub mod controls;
pub mod definitions;
pub mod discovery;
mod element_key;
pub mod error;
pub mod eval;
pub mod filter;
pub mod fold;
pub mod limits;
pub mod list;
pub mod normalize;
pub mod patch;
pub mod project;
pub mod schema;
pub mod shown;

pub use error::ScimError;
