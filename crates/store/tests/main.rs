//! The store test suite: every `Store`/`Tx` operation against both backends (a fresh SQLite
//! file, and a fresh PostgreSQL database on the local server), one test binary. Each test is a
//! module with a `sqlite` and a `postgres` test.

#[macro_use]
mod support;

mod agreement;
mod audit_log;
mod copy;
mod folded_keys;
mod groups;
mod listing;
mod listing_sort;
mod opening;
mod orgs;
mod postgres_failures;
mod rate_limits;
mod tokens;
mod users;
mod writer;
