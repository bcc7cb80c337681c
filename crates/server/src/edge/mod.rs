//! The HTTP edge: Roster's own accept loop and connection layer over hyper's HTTP/1.1, so
//! that no client, however slow or hostile, holds a connection, a slot or the shutdown
//! without limit.
//!
//! - `accept`: the connection cap, and accept errors (EMFILE) that back off instead of
//!   spinning.
//! - `connection` and `phase`: each connection is held to the deadline of where it is: the
//!   request head (header timeout), the gap between requests (keep-alive timeout), the
//!   response (send timeout). The request body's deadline is enforced where bodies are read
//!   (`body.rs`), so that it can be answered 408 in the API's own error shape.
//! - `service` and `refusal`: each request's head is checked (414, 431) before routing.
//! - `drain`: the bounded shutdown.
//!
//! HTTP/2 is not served (it was not before either: axum's server had only HTTP/1 enabled);
//! IdPs and the reverse proxies in front of Roster speak HTTP/1.1 to it.

mod accept;
mod connection;
mod drain;
mod io;
mod limits;
mod phase;
mod refusal;
mod registry;
mod service;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

pub use limits::{EdgeLimits, MAX_HEADER_FIELDS};
pub(crate) use refusal::{Api, closing};
pub(crate) use service::Arrived;

use registry::Registry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    Serving,
    Draining,
    Cut,
}

/// What every connection of one server shares.
pub(crate) struct Edge {
    limits: EdgeLimits,
    router: Router,
    http: hyper::server::conn::http1::Builder,
    registry: Arc<Registry>,
    stage: watch::Sender<Stage>,
}

impl Edge {
    fn draining(&self) -> bool {
        *self.stage.borrow() != Stage::Serving
    }
}

/// Serve `router` on `listener` until `shutdown` completes, then drain within
/// `limits.drain_timeout`.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: EdgeLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let edge = Arc::new(Edge {
        http: limits.http1(),
        limits,
        router,
        registry: Registry::new(),
        stage: watch::Sender::new(Stage::Serving),
    });
    tokio::select! {
        // Dropping the accept loop closes the listener: new connections are refused, so that
        // clients and load balancers turn to another replica at once.
        () = accept::run(edge.clone(), listener) => {}
        () = shutdown => {}
    }
    drain::run(&edge).await;
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use axum::extract::ConnectInfo;
    use axum::routing::get;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    /// As `axum::serve` with `into_make_service_with_connect_info` did: handlers may extract
    /// the client's address.
    #[tokio::test]
    async fn handlers_see_the_clients_address() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = Router::new().route(
            "/peer",
            get(|ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() }),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, router, EdgeLimits::default(), async {
            let _ = stopped.await;
        }));
        let mut client = TcpStream::connect(addr).await.expect("connect");
        let me = client.local_addr().expect("local addr");
        client
            .write_all(b"GET /peer HTTP/1.1\r\nHost: roster.test\r\nConnection: close\r\n\r\n")
            .await
            .expect("send");
        let mut answer = String::new();
        client.read_to_string(&mut answer).await.expect("answer");
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        assert!(answer.ends_with(&me.to_string()), "{answer}");
        let _ = stop.send(());
        server.await.expect("server task");
    }
}
