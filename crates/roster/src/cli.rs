//! The command line. Scripts rely on these names and flags: change them only deliberately.

use clap::{Args, Parser, Subcommand};
use store::DatabaseUrl;

pub const DEFAULT_DATABASE: &str = "sqlite://roster-data/roster.db";

#[derive(Parser)]
#[command(
    name = "roster",
    version,
    about = "The directory your identity provider provisions into over SCIM 2.0"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the SCIM API (creating a first enterprise on an empty database).
    Serve(ServeArgs),
    /// Create and list enterprises.
    #[command(subcommand)]
    Enterprise(EnterpriseCmd),
    /// Create, list and revoke personal access tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Copy a whole SQLite database into an empty PostgreSQL database (stop `serve` first).
    Migrate(MigrateArgs),
}

#[derive(Args)]
pub struct MigrateArgs {
    /// The SQLite database to copy, e.g. sqlite://roster-data/roster.db.
    #[arg(long)]
    pub from: DatabaseUrl,
    /// An empty PostgreSQL database, e.g. postgres://roster@db.example.com/roster.
    #[arg(long)]
    pub to: DatabaseUrl,
}

#[derive(Args, Clone)]
pub struct DatabaseArg {
    /// sqlite://PATH (absolute: sqlite:///var/lib/roster.db) or postgres://…
    #[arg(long, env = "ROSTER_DATABASE", default_value = DEFAULT_DATABASE)]
    pub database: DatabaseUrl,
}

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "ROSTER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    #[command(flatten)]
    pub db: DatabaseArg,
    /// Slug of the enterprise created when the database has none.
    #[arg(long, default_value = "acme")]
    pub enterprise: String,
    /// Short code of that enterprise (3-8 letters or digits; suffixes every handle).
    #[arg(long, default_value = "acme")]
    pub short_code: String,
    /// Profile of that enterprise.
    #[arg(long, default_value = "github-emu", value_parser = ["github-emu", "scim"])]
    pub profile: String,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ROSTER_MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Public base URL to print (e.g. https://roster.example.com); defaults to http://LISTEN.
    #[arg(long, env = "ROSTER_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Subcommand)]
pub enum EnterpriseCmd {
    /// Create an enterprise, its setup user SHORTCODE_admin and a scim:enterprise token.
    Create {
        slug: String,
        /// 3-8 letters or digits; suffixes every handle and never changes.
        #[arg(long)]
        short_code: String,
        #[arg(long, default_value = "github-emu", value_parser = ["github-emu", "scim"])]
        profile: String,
        #[command(flatten)]
        db: DatabaseArg,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// List enterprises.
    List {
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCmd {
    /// Create a token for an enterprise's setup user; the secret is printed once.
    Create {
        #[arg(long)]
        enterprise: String,
        /// scim:enterprise or admin:enterprise; repeat for several.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// Lifetime such as 90d, 12h, 30m (no expiry when absent).
        #[arg(long)]
        expires_in: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
    /// List tokens (never their secrets): scopes, expiry, last use.
    List {
        #[arg(long)]
        enterprise: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a token by its id (tok_…).
    Revoke {
        id: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}
