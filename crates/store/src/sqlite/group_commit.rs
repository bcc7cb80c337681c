//! Group commit: the one write connection keeps a transaction open while writers queue for
//! it. Each writer works inside its own SAVEPOINT (so a failing one rolls back alone), and
//! the last writer in the queue — or the one that fills the batch — commits for everybody. A
//! writer is acknowledged only when the COMMIT that includes it has succeeded, so with
//! `synchronous=FULL` many writes share one fsync and each acknowledged write is on disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use directory::store::StoreError;
use rusqlite::Connection;
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

use super::rows::backend;

/// Writers acknowledged by one COMMIT at most: bounds the wait of the first in a batch.
const MAX_BATCH: usize = 256;

pub(crate) struct Writer {
    state: Arc<Mutex<WriterState>>,
    /// Writers waiting for the connection: while any wait, the holder leaves the commit to them.
    waiting: AtomicUsize,
}

pub(crate) struct WriterState {
    pub(crate) conn: Connection,
    /// A transaction is open (BEGIN done, COMMIT not yet).
    open: bool,
    /// Writers whose work is in the open transaction, waiting for its COMMIT, each with what
    /// must live until that COMMIT has resolved (see `WriteTurn::commit`).
    pending: Vec<Pending>,
}

/// Something a writer needs kept until its COMMIT has resolved, whether or not the writer is
/// still there to hear the outcome.
pub(crate) type Keep = Box<dyn Send>;

/// A writer waiting for a COMMIT: where to send its outcome, and what to keep until then.
type Pending = (oneshot::Sender<Result<(), String>>, Option<Keep>);

/// The connection, held by one writer inside its savepoint.
pub(crate) struct WriteTurn {
    guard: Option<OwnedMutexGuard<WriterState>>,
    writer: Arc<Writer>,
}

/// One writer waiting for the connection, for as long as this lives.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn new(count: &'a AtomicUsize) -> Waiting<'a> {
        count.fetch_add(1, Ordering::SeqCst);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn exec(conn: &Connection, sql: &'static str) -> Result<(), StoreError> {
    conn.execute_batch(sql).map_err(backend)
}

impl Writer {
    pub(crate) fn new(conn: Connection) -> Arc<Writer> {
        Arc::new(Writer {
            state: Arc::new(Mutex::new(WriterState {
                conn,
                open: false,
                pending: Vec::new(),
            })),
            waiting: AtomicUsize::new(0),
        })
    }

    /// Wait for the connection and open a savepoint for this writer.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<WriteTurn, StoreError> {
        // Counted as waiting until the connection is ours, or until this future is dropped
        // (a client that hung up): a count left behind would make every committer leave the
        // COMMIT to a writer that never comes.
        let waiting = Waiting::new(&self.waiting);
        let mut guard = self.state.clone().lock_owned().await;
        drop(waiting);
        if !guard.open {
            exec(&guard.conn, "BEGIN IMMEDIATE")?;
            guard.open = true;
        }
        if let Err(e) = exec(&guard.conn, "SAVEPOINT writer") {
            // The batch is unusable (SQLite may have rolled it back): fail everyone in it.
            finish(&mut guard, false);
            return Err(e);
        }
        Ok(WriteTurn {
            guard: Some(guard),
            writer: self.clone(),
        })
    }
}

/// COMMIT (or ROLLBACK) the open transaction and tell every pending writer how it went. A
/// COMMIT waits for the disk (fsync): call it off the async threads.
fn finish(state: &mut WriterState, commit: bool) {
    let result = if !state.open {
        Ok(())
    } else if commit {
        match exec(&state.conn, "COMMIT") {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = exec(&state.conn, "ROLLBACK");
                Err(e.to_string())
            }
        }
    } else {
        let _ = exec(&state.conn, "ROLLBACK");
        Err("the batch of writes this one was part of was rolled back".to_string())
    };
    state.open = false;
    for (p, keep) in state.pending.drain(..) {
        let _ = p.send(result.clone());
        drop(keep);
    }
}

/// `finish` on the blocking pool, releasing the connection there when it is done.
async fn finish_off_thread(mut guard: OwnedMutexGuard<WriterState>, commit: bool) {
    let done = tokio::task::spawn_blocking(move || finish(&mut guard, commit)).await;
    if let Err(e) = done {
        tracing::error!(error = %e, "the commit task failed");
    }
}

impl WriteTurn {
    pub(crate) fn conn(&self) -> Result<&Connection, StoreError> {
        // The guard is only taken by `commit` and `drop`, which consume the turn.
        self.guard
            .as_ref()
            .map(|g| &g.conn)
            .ok_or_else(|| StoreError::Backend("write turn used after it ended".into()))
    }

    /// Run `f` on the connection on the blocking pool, for statements that may touch a whole
    /// group or team (100,000 rows), which must not hold up an async worker thread. The turn
    /// travels with `f`: if this writer is dropped meanwhile, the turn ends over there just as
    /// it would here, its savepoint rolled back.
    pub(crate) async fn off_thread<T, F>(&mut self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let guard = self
            .guard
            .take()
            .ok_or_else(|| StoreError::Backend("write turn used after it ended".into()))?;
        let travelling = WriteTurn {
            guard: Some(guard),
            writer: self.writer.clone(),
        };
        let (mut back, out) = tokio::task::spawn_blocking(move || {
            let out = travelling.conn().and_then(f);
            (travelling, out)
        })
        .await
        .map_err(|e| StoreError::Backend(format!("a write task failed: {e}")))?;
        self.guard = back.guard.take();
        out
    }

    /// Keep this writer's changes and wait until a COMMIT includes them. `keep` is dropped
    /// once that COMMIT has resolved, even if this future is dropped before.
    pub(crate) async fn commit(mut self, keep: Option<Keep>) -> Result<(), StoreError> {
        let Some(mut guard) = self.guard.take() else {
            return Err(StoreError::Backend("write turn used after it ended".into()));
        };
        if let Err(e) = exec(&guard.conn, "RELEASE writer") {
            finish(&mut guard, false);
            return Err(e);
        }
        let (tx, rx) = oneshot::channel();
        guard.pending.push((tx, keep));
        if self.writer.waiting.load(Ordering::SeqCst) == 0 || guard.pending.len() >= MAX_BATCH {
            finish_off_thread(guard, true).await;
        } else {
            drop(guard);
        }
        match rx.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Backend(format!("commit failed: {e}"))),
            Err(_) => Err(StoreError::Backend(
                "the writer stopped before committing".into(),
            )),
        }
    }
}

impl Drop for WriteTurn {
    /// A writer that ends without committing (an error, a refused request, a dropped
    /// request) rolls back its savepoint; if nobody is queued behind it, it also commits the
    /// writers already pending, who would otherwise wait for a committer that never comes.
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let undone = exec(&guard.conn, "ROLLBACK TO writer")
            .and_then(|()| exec(&guard.conn, "RELEASE writer"));
        let ok = undone.is_ok();
        if ok && self.writer.waiting.load(Ordering::SeqCst) > 0 {
            // The next writer continues the batch and commits it.
            return;
        }
        if guard.pending.is_empty() {
            // Nothing to make durable: ending the transaction costs no fsync.
            finish(&mut guard, ok);
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(finish_off_thread(guard, ok));
            }
            // No runtime (the process is shutting down): finish here.
            Err(_) => finish(&mut guard, ok),
        }
    }
}
