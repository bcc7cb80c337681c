//! Roster's integration tests: one binary, each test against a real server on port 0 with a
//! fresh database.

mod support;

mod cli;
mod migrate;
mod okta;
mod process;
mod races;
mod replicas;
mod smoke;
