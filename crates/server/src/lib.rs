//! HTTP: the SCIM routes of each enterprise, authentication, bodies read as JSON and answered
//! as `application/scim+json`, errors as RFC 7644 §3.12 bodies, health. Handlers are thin:
//! extract, call the directory, render; `ApiError` owns the mapping of errors to HTTP.

mod api_error;
mod body;
mod caller;
mod discovery;
mod edge;
mod groups;
mod observe;
mod path_guard;
mod public_origin;
mod reply;
mod request_id;
mod rest;
mod rest_caller;
mod rest_error;
mod routes;
mod search;
mod search_all;
mod users;

use std::future::Future;
use std::sync::Arc;

use directory::Directory;
use tokio::net::TcpListener;

pub use edge::{EdgeLimits, MAX_HEADER_FIELDS};
pub use public_origin::PublicOrigin;
pub use routes::router;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// The largest request body accepted, in bytes (larger: 413).
    pub max_body_bytes: usize,
    /// Where Roster is reached from outside, for the URLs it emits.
    pub public: PublicOrigin,
    /// Deadlines, the connection cap and head limits of the HTTP edge.
    pub edge: EdgeLimits,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            max_body_bytes: 1024 * 1024,
            public: PublicOrigin::default(),
            edge: EdgeLimits::default(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub directory: Arc<Directory>,
    pub config: Arc<ServerConfig>,
}

impl AppState {
    pub fn new(directory: Arc<Directory>, config: ServerConfig) -> AppState {
        AppState {
            directory,
            config: Arc::new(config),
        }
    }
}

/// Serve on `listener` until `shutdown` completes, then let the requests in flight finish
/// within `edge.drain_timeout` and cut what is left.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.config.edge.clone();
    edge::serve(listener, router(state), limits, shutdown).await;
    Ok(())
}
