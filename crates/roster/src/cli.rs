//! The command line. Scripts rely on these names and flags: change them only deliberately.

use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use store::DatabaseUrl;

use crate::duration::timeout as parse_timeout;

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
    Serve(Box<ServeArgs>),
    /// Create and list enterprises.
    #[command(subcommand)]
    Enterprise(EnterpriseCmd),
    /// Create, list and revoke personal access tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Copy a whole SQLite database into an empty PostgreSQL database (stop `serve` first).
    Migrate(MigrateArgs),
    /// Create and list organizations.
    #[command(subcommand)]
    Org(OrgCmd),
    /// Create and list teams; link them to IdP groups.
    #[command(subcommand)]
    Team(TeamCmd),
    /// Read the audit log, newest first (--json: one GitHub-shaped event per line, for export).
    Audit(AuditArgs),
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
    /// Public base URL (e.g. https://roster.example.com): every URL Roster prints or answers
    /// with starts with it, whatever a client's Host or forwarding headers say. Without it,
    /// URLs follow the request's Host (http://LISTEN when printing).
    #[arg(long, env = "ROSTER_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// A reverse proxy (address or network, e.g. 10.0.0.0/8) whose X-Forwarded-Proto and
    /// X-Forwarded-Host are believed; repeat for several. Nobody's are when absent.
    #[arg(
        long = "trusted-proxy",
        env = "ROSTER_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,
    /// Requests per second each token may make (sustained); off when absent.
    #[arg(long, env = "ROSTER_RATE_LIMIT")]
    pub rate_limit: Option<f64>,
    /// Requests a token may make at once after a quiet spell (default: 10 × the rate, at least 1).
    #[arg(long, env = "ROSTER_RATE_BURST", requires = "rate_limit")]
    pub rate_burst: Option<u32>,
    /// Delete audit events older than this many days (checked hourly); kept forever when absent.
    #[arg(long, env = "ROSTER_AUDIT_RETENTION_DAYS")]
    pub audit_retention_days: Option<u32>,
    #[command(flatten)]
    pub pg: crate::pg_args::PgArgs,
    /// SQLite: how long a write waits for the database's one write connection before it is
    /// refused with 503 (e.g. 10s, 1m).
    #[arg(long, env = "ROSTER_WRITE_TIMEOUT", default_value = "10s", value_parser = parse_timeout)]
    pub write_timeout: Duration,
    #[command(flatten)]
    pub edge: EdgeArgs,
}

/// Limits at the HTTP edge (README "Limits at the HTTP edge"). Timeouts take a unit: 30s,
/// 500ms, 2m. The defaults equal `server::EdgeLimits::default()` (a test checks it).
#[derive(Args)]
pub struct EdgeArgs {
    /// Time for a whole request head to arrive (from the accept, or from its first byte on a
    /// kept-alive connection); slower connections are closed.
    #[arg(long, env = "ROSTER_HEADER_TIMEOUT", default_value = "30s", value_parser = parse_timeout)]
    pub header_timeout: Duration,
    /// Time for a request body to arrive whole after its head; slower requests get 408.
    #[arg(long, env = "ROSTER_BODY_TIMEOUT", default_value = "60s", value_parser = parse_timeout)]
    pub body_timeout: Duration,
    /// Time for the client to take a response; a client that stops reading is disconnected.
    #[arg(long, env = "ROSTER_SEND_TIMEOUT", default_value = "60s", value_parser = parse_timeout)]
    pub send_timeout: Duration,
    /// Idle time after which a kept-alive connection is closed.
    #[arg(long, env = "ROSTER_KEEP_ALIVE_TIMEOUT", default_value = "75s", value_parser = parse_timeout)]
    pub keep_alive_timeout: Duration,
    /// On SIGTERM, time for requests in flight to finish before their connections are cut.
    #[arg(long, env = "ROSTER_DRAIN_TIMEOUT", default_value = "20s", value_parser = parse_timeout)]
    pub drain_timeout: Duration,
    /// Connections served at once (default 1024, fewer when `ulimit -n` is low); beyond it new
    /// connections wait while idle ones are closed to make room.
    #[arg(long, env = "ROSTER_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// Longest request target (path and query) accepted; longer gets 414.
    #[arg(long, env = "ROSTER_MAX_URI_BYTES", default_value_t = 8 * 1024)]
    pub max_uri_bytes: usize,
    /// Largest total of request header fields accepted; larger gets 431.
    #[arg(long, env = "ROSTER_MAX_HEADER_BYTES", default_value_t = 32 * 1024)]
    pub max_header_bytes: usize,
}

#[derive(Subcommand)]
pub enum OrgCmd {
    /// Create an organization (login: letters, digits and single hyphens, at most 39).
    Create {
        login: String,
        /// The enterprise (may be left out when the database has one).
        #[arg(long)]
        enterprise: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
    /// List an enterprise's organizations.
    List {
        #[arg(long)]
        enterprise: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum TeamCmd {
    /// Create a team; its slug comes from the name.
    Create {
        name: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        description: Option<String>,
        /// secret (default for top-level teams) or closed (required for nested teams).
        #[arg(long, value_parser = ["secret", "closed"])]
        privacy: Option<String>,
        /// Slug of the parent team.
        #[arg(long)]
        parent: Option<String>,
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
    /// List an organization's teams.
    List {
        #[arg(long)]
        org: String,
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
    /// Link a team to an IdP group (the SCIM group's id); replaces an existing link.
    Link {
        team: String,
        group_id: String,
        #[arg(long)]
        org: String,
        #[command(flatten)]
        db: DatabaseArg,
        #[arg(long)]
        json: bool,
    },
    /// Unlink a team from its IdP group; the team is left without members.
    Unlink {
        team: String,
        #[arg(long)]
        org: String,
        #[command(flatten)]
        db: DatabaseArg,
    },
}

#[derive(Args)]
pub struct AuditArgs {
    /// GitHub's search phrase: action:NAME, actor:LOGIN, created:>=YYYY-MM-DD …
    #[arg(long)]
    pub phrase: Option<String>,
    #[arg(long)]
    pub enterprise: Option<String>,
    /// At most this many events (all when absent).
    #[arg(long)]
    pub limit: Option<u64>,
    #[command(flatten)]
    pub db: DatabaseArg,
    /// One JSON object per line, as the REST API returns them.
    #[arg(long)]
    pub json: bool,
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
        /// scim:enterprise, admin:enterprise, admin:org or read:audit_log; repeat for several.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_defaults_are_the_servers_defaults() {
        let cli = Cli::try_parse_from(["roster", "serve"]).expect("parses");
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        let (limits, _) = crate::edge_limits::limits(&args.edge).expect("limits");
        let defaults = server::EdgeLimits::default();
        assert_eq!(
            server::EdgeLimits {
                max_connections: defaults.max_connections,
                ..limits
            },
            defaults
        );
    }
}
