//! The client's socket as hyper sees it: reads tell the connection's phase that bytes came in
//! (starting the head clock), and a graceful close lingers briefly to swallow what the client
//! is still sending, so that it reads our answer (a 413 or 408 sent before its whole body)
//! instead of a connection reset.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::time::Sleep;

use super::phase::ConnPhase;

/// How long a closing connection keeps swallowing the client's unread bytes, at most.
const LINGER: Duration = Duration::from_secs(2);
/// How many unread bytes a closing connection swallows, at most.
const LINGER_BYTES: usize = 16 * 1024 * 1024;

pub(crate) struct ClientIo {
    stream: TcpStream,
    phase: Arc<ConnPhase>,
    closing: Option<Closing>,
}

struct Closing {
    fin_sent: bool,
    swallowed: usize,
    until: Option<Pin<Box<Sleep>>>,
}

impl ClientIo {
    pub(crate) fn new(stream: TcpStream, phase: Arc<ConnPhase>) -> ClientIo {
        ClientIo {
            stream,
            phase,
            closing: None,
        }
    }
}

impl AsyncRead for ClientIo {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.stream).poll_read(cx, buf))?;
        if buf.filled().len() > before {
            this.phase.bytes_arrived();
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ClientIo {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(Pin::new(&mut this.stream).poll_flush(cx))?;
        // hyper flushes after every write, so this follows the last bytes of each response.
        this.phase.flushed();
        Poll::Ready(Ok(()))
    }

    /// Send FIN, then, if the client is still sending, swallow its bytes until it closes
    /// too, for at most `LINGER` and `LINGER_BYTES`. Closing a socket with unread bytes makes
    /// the kernel answer with a reset, which can destroy our response before the client
    /// reads it.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let closing = this.closing.get_or_insert(Closing {
            fin_sent: false,
            swallowed: 0,
            until: None,
        });
        if !closing.fin_sent {
            ready!(Pin::new(&mut this.stream).poll_shutdown(cx))?;
            closing.fin_sent = true;
        }
        let mut scratch = [0u8; 8192];
        loop {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut this.stream).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) if buf.filled().is_empty() => return Poll::Ready(Ok(())),
                Poll::Ready(Ok(())) => {
                    closing.swallowed += buf.filled().len();
                    if closing.swallowed >= LINGER_BYTES {
                        return Poll::Ready(Ok(()));
                    }
                    if closing.until.is_none() {
                        closing.until = Some(Box::pin(tokio::time::sleep(LINGER)));
                    }
                }
                // The client is gone: nothing left to protect.
                Poll::Ready(Err(_)) => return Poll::Ready(Ok(())),
                Poll::Pending => {
                    return match closing.until.as_mut() {
                        // Nothing was waiting unread: close at once.
                        None => Poll::Ready(Ok(())),
                        Some(until) => until.as_mut().poll(cx).map(Ok),
                    };
                }
            }
        }
    }
}
