//! How one replica holds its PostgreSQL connections, and what it says when it cannot get one.
//! Every wait is bounded and short by default: a replica that cannot reach its database
//! answers 503 within seconds and its `/readyz` fails at once, so the load balancer and the
//! IdP move on instead of hanging on a dead connection.

use std::time::Duration;

use directory::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, ConnectOptions, Connection, Executor};

use super::errors::{pg_error, reason};

/// Connection pool settings (`roster serve --pg-…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgOptions {
    /// Connections this replica opens at most.
    pub pool_size: u32,
    /// How long a request waits for a connection before it is refused with 503.
    pub acquire_timeout: Duration,
    /// How long opening the store waits for PostgreSQL to accept a first connection (a
    /// database that starts beside Roster gets this long).
    pub connect_timeout: Duration,
    /// Connections idle this long are closed.
    pub idle_timeout: Option<Duration>,
    /// PostgreSQL cancels a statement of a request that runs longer (`statement_timeout`);
    /// `None` leaves the server's setting. Migrations are never cut short.
    pub statement_timeout: Option<Duration>,
    /// How long `/readyz` waits for a connection and an answer.
    pub ready_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            pool_size: 16,
            acquire_timeout: Duration::from_secs(3),
            connect_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(300)),
            statement_timeout: None,
            ready_timeout: Duration::from_secs(1),
        }
    }
}

/// "PostgreSQL at host:port", for messages: where the database is, nothing more.
pub(crate) fn server_name(options: &PgConnectOptions) -> String {
    format!(
        "PostgreSQL at {}:{}",
        options.get_host(),
        options.get_port()
    )
}

/// One connection of its own for migrations (they may run long, so no statement timeout),
/// waiting up to `connect_timeout` for the server to come up.
pub(crate) async fn setup_pool(
    options: &PgConnectOptions,
    settings: &PgOptions,
) -> Result<PgPool, StoreError> {
    let waited = settings.connect_timeout;
    match PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(waited)
        .connect_with(options.clone())
        .await
    {
        Ok(pool) => Ok(pool),
        Err(sqlx::Error::PoolTimedOut) => Err(StoreError::Unavailable(format!(
            "no connection within {waited:?}: {}",
            why_refused(options, waited).await
        ))),
        Err(e) => Err(pg_error(e)),
    }
}

/// The pool requests use. Connections open on demand; each gets the statement timeout.
pub(crate) fn serving_pool(options: PgConnectOptions, settings: &PgOptions) -> PgPool {
    let statement_timeout = settings.statement_timeout;
    PgPoolOptions::new()
        .max_connections(settings.pool_size)
        .acquire_timeout(settings.acquire_timeout)
        .idle_timeout(settings.idle_timeout)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if let Some(t) = statement_timeout {
                    conn.execute(AssertSqlSafe(format!(
                        "SET statement_timeout = {}",
                        t.as_millis()
                    )))
                    .await?;
                }
                Ok(())
            })
        })
        .connect_lazy_with(options)
}

fn all_busy(settings: &PgOptions, server: &str, waited: Duration) -> StoreError {
    StoreError::Unavailable(format!(
        "all {} of this replica's connections to {server} are in use and none came free within {waited:?} (the database is slow, or the replica needs a larger --pg-pool-size)",
        settings.pool_size
    ))
}

fn is_exhausted(pool: &PgPool, settings: &PgOptions) -> bool {
    pool.size() >= settings.pool_size && pool.num_idle() == 0
}

/// What a request is told when it waited `acquire_timeout` in vain: whether the replica's own
/// connections are all busy or the server gives none. No second wait: the request has waited
/// long enough.
pub(crate) fn acquire_failed(
    e: sqlx::Error,
    pool: &PgPool,
    settings: &PgOptions,
    server: &str,
) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut if is_exhausted(pool, settings) => {
            all_busy(settings, server, settings.acquire_timeout)
        }
        sqlx::Error::PoolTimedOut => StoreError::Unavailable(format!(
            "{server} gave no connection within {:?}: it is down, restarting, unreachable, or out of connection slots",
            settings.acquire_timeout
        )),
        other => pg_error(other),
    }
}

/// Why `pool` gave no connection within `waited` (`/readyz`, where an operator looks): every
/// connection busy, or the server not handing out new ones, and then why.
pub(crate) async fn starved(
    pool: &PgPool,
    settings: &PgOptions,
    server: &str,
    waited: Duration,
) -> StoreError {
    if is_exhausted(pool, settings) {
        return all_busy(settings, server, waited);
    }
    let why = why_refused(&pool.connect_options(), waited).await;
    StoreError::Unavailable(format!(
        "{server} gave no connection within {waited:?}: {why}"
    ))
}

/// One direct connection attempt, bounded by `within`: the pool retries refused connections
/// until its deadline and then reports only that it timed out.
async fn why_refused(options: &PgConnectOptions, within: Duration) -> String {
    match tokio::time::timeout(within, options.connect()).await {
        Err(_) => format!("it does not answer within {within:?}"),
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            "it accepts connections again".to_string()
        }
        Ok(Err(e)) => reason(pg_error(e)),
    }
}
