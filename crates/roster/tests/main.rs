//! Roster's integration tests: one binary, each test against a real server on port 0 with a
//! fresh database.

mod support;

mod audit_log;
mod auth;
mod bad_input;
mod bulk;
mod cli;
mod cli_orgs;
mod discovery;
mod emu_rules;
mod entra;
mod http_fuzz;
mod listing;
mod migrate;
mod okta;
mod orgs_teams;
mod postgres_faults;
mod process;
mod public_urls;
mod races;
mod replicas;
mod scopes_rate_limits;
mod slow_clients;
mod smoke;
mod sort_literals;
mod storage_faults;
mod user_names;
