//! What hyper calls for each request on a connection: refuse a head over the limits, stamp
//! the request with its arrival (the body deadline counts from it), run the router, and move
//! the connection's phase along as the response is produced and written.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::{Frame, Incoming, SizeHint};
use tower::ServiceExt;

use super::Edge;
use super::phase::ConnPhase;
use super::refusal;

/// When a request's head was complete; `body.rs` gives its body until this plus the body
/// timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Arrived(pub Instant);

pub(crate) struct EdgeService {
    pub(crate) edge: Arc<Edge>,
    pub(crate) phase: Arc<ConnPhase>,
    /// The client's address, for handlers that extract `ConnectInfo<SocketAddr>` (as with
    /// axum's `into_make_service_with_connect_info`).
    pub(crate) peer: SocketAddr,
}

impl hyper::service::Service<Request<Incoming>> for EdgeService {
    type Response = Response<TrackedBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let arrived = Instant::now();
        self.phase.request_started();
        // Refused before the router (and its request-id layer): the id is echoed here.
        let refused = refusal::check(&req, &self.edge.limits).map(|mut r| {
            crate::request_id::echo(&mut r, &crate::request_id::pick(req.headers()));
            r
        });
        let edge = self.edge.clone();
        let phase = self.phase.clone();
        let peer = ConnectInfo(self.peer);
        Box::pin(async move {
            let mut res = match refused {
                Some(r) => r,
                None => {
                    let mut req = req.map(Body::new);
                    req.extensions_mut().insert(Arrived(arrived));
                    req.extensions_mut().insert(peer);
                    match edge.router.clone().oneshot(req).await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    }
                }
            };
            if edge.draining() {
                res = refusal::closing(res);
            }
            phase.response_ready();
            Ok(res.map(|body| TrackedBody { body, phase }))
        })
    }
}

/// A response body that tells the connection when hyper is done with it (written whole, or
/// the connection gone).
pub(crate) struct TrackedBody {
    body: Body,
    phase: Arc<ConnPhase>,
}

impl Drop for TrackedBody {
    fn drop(&mut self) {
        self.phase.response_written();
    }
}

impl hyper::body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
