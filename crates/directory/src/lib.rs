//! The enterprise domain: enterprises and their tokens, managed users, IdP groups, the audit
//! log, and GitHub EMU's rules (DESIGN.md). It defines the [`store::Store`] contract and applies
//! every rule inside one store transaction; it never sees HTTP or SQL.

pub mod audit;
pub mod audit_log;
pub mod bulk;
pub mod cursor;
pub mod directory;
pub mod enterprises;
pub mod error;
pub mod failure_log;
pub mod github;
pub mod groups;
pub mod handle;
pub mod identity;
pub mod links;
mod listing;
pub mod model;
mod operator;
pub mod orgs;
pub mod rate_limit;
pub mod render;
pub mod roles;
mod search;
mod seats;
pub mod store;
pub mod teams;
pub mod tokens;
pub mod users;
pub mod versions;

pub use directory::{Caller, Directory, Limits, ReadOptions};
pub use error::DirectoryError;
