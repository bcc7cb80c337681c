//! `roster serve`'s PostgreSQL connection settings (ignored on SQLite). Short waits by
//! default: when PostgreSQL is gone, requests get 503 within seconds, not after 30.

use std::time::Duration;

use clap::Args;
use store::PgOptions;

use crate::duration::timeout;

#[derive(Args, Clone, Debug)]
pub struct PgArgs {
    /// PostgreSQL connections this replica opens at most.
    #[arg(long, env = "ROSTER_PG_POOL_SIZE", default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub pg_pool_size: u32,
    /// How long a request waits for a PostgreSQL connection before it is answered 503.
    #[arg(long, env = "ROSTER_PG_ACQUIRE_TIMEOUT", default_value = "3s", value_parser = timeout)]
    pub pg_acquire_timeout: Duration,
    /// How long start-up waits for PostgreSQL to accept a first connection.
    #[arg(long, env = "ROSTER_PG_CONNECT_TIMEOUT", default_value = "10s", value_parser = timeout)]
    pub pg_connect_timeout: Duration,
    /// How long `/readyz` waits for a connection and an answer before it says 503.
    #[arg(long, env = "ROSTER_PG_READY_TIMEOUT", default_value = "1s", value_parser = timeout)]
    pub pg_ready_timeout: Duration,
    /// Close connections idle for this long.
    #[arg(long, env = "ROSTER_PG_IDLE_TIMEOUT", default_value = "5m", value_parser = timeout)]
    pub pg_idle_timeout: Duration,
    /// PostgreSQL cancels a request's statement that runs longer (503); off when absent.
    #[arg(long, env = "ROSTER_PG_STATEMENT_TIMEOUT", value_parser = timeout)]
    pub pg_statement_timeout: Option<Duration>,
}

impl PgArgs {
    pub fn options(&self) -> PgOptions {
        PgOptions {
            pool_size: self.pg_pool_size,
            acquire_timeout: self.pg_acquire_timeout,
            connect_timeout: self.pg_connect_timeout,
            idle_timeout: Some(self.pg_idle_timeout),
            statement_timeout: self.pg_statement_timeout,
            ready_timeout: self.pg_ready_timeout,
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    #[test]
    fn the_defaults_are_the_stores() {
        let Ok(Cli {
            command: Command::Serve(args),
        }) = Cli::try_parse_from(["roster", "serve"])
        else {
            panic!("roster serve parses");
        };
        assert_eq!(args.pg.options(), PgOptions::default());
    }
}
