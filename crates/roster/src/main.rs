//! `roster`: the directory an identity provider provisions into over SCIM 2.0.

mod audit_cmd;
mod cli;
mod duration;
mod edge_limits;
mod enterprise_cmd;
mod migrate_cmd;
mod org_cmd;
mod pg_args;
mod retention;
mod serve;
mod team_cmd;
mod token_cmd;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("ROSTER_LOG").unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,tower_http=warn,sqlx=warn")
            }),
        )
        .with_writer(std::io::stderr)
        .init();
    let result = match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Enterprise(cmd) => enterprise_cmd::run(cmd).await,
        Command::Token(cmd) => token_cmd::run(cmd).await,
        Command::Migrate(args) => migrate_cmd::run(args).await,
        Command::Org(cmd) => org_cmd::run(cmd).await,
        Command::Team(cmd) => team_cmd::run(cmd).await,
        Command::Audit(args) => audit_cmd::run(args).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
