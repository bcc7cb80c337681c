//! Group commit: the one write connection keeps a transaction open while writers queue for
//! it. Each writer works inside its own SAVEPOINT (so a failing one rolls back alone), and
//! the last writer in the queue — or the one that fills the batch — commits for everybody. A
//! writer is acknowledged only when the COMMIT that includes it has succeeded, so with
//! `synchronous=FULL` many writes share one fsync and each acknowledged write is on disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use directory::store::StoreError;
use sqlx::SqliteConnection;
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
    pub(crate) conn: SqliteConnection,
    /// A transaction is open (BEGIN done, COMMIT not yet).
    open: bool,
    /// Writers whose work is in the open transaction, waiting for its COMMIT.
    pending: Vec<oneshot::Sender<Result<(), String>>>,
}

/// The connection, held by one writer inside its savepoint.
pub(crate) struct WriteTurn {
    guard: Option<OwnedMutexGuard<WriterState>>,
    writer: Arc<Writer>,
}

async fn exec(conn: &mut SqliteConnection, sql: &'static str) -> Result<(), StoreError> {
    sqlx::raw_sql(sql)
        .execute(conn)
        .await
        .map(|_| ())
        .map_err(backend)
}

impl Writer {
    pub(crate) fn new(conn: SqliteConnection) -> Arc<Writer> {
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
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut guard = self.state.clone().lock_owned().await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        if !guard.open {
            exec(&mut guard.conn, "BEGIN IMMEDIATE").await?;
            guard.open = true;
        }
        if let Err(e) = exec(&mut guard.conn, "SAVEPOINT writer").await {
            // The batch is unusable (SQLite may have rolled it back): fail everyone in it.
            finish(&mut guard, false).await;
            return Err(e);
        }
        Ok(WriteTurn {
            guard: Some(guard),
            writer: self.clone(),
        })
    }
}

/// COMMIT (or ROLLBACK) the open transaction and tell every pending writer how it went.
async fn finish(state: &mut WriterState, commit: bool) {
    let result = if !state.open {
        Ok(())
    } else if commit {
        match exec(&mut state.conn, "COMMIT").await {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = exec(&mut state.conn, "ROLLBACK").await;
                Err(e.to_string())
            }
        }
    } else {
        let _ = exec(&mut state.conn, "ROLLBACK").await;
        Err("the batch of writes this one was part of was rolled back".to_string())
    };
    state.open = false;
    for p in state.pending.drain(..) {
        let _ = p.send(result.clone());
    }
}

impl WriteTurn {
    pub(crate) fn conn(&mut self) -> Result<&mut SqliteConnection, StoreError> {
        // The guard is only taken by `commit` and `drop`, which consume the turn.
        self.guard
            .as_mut()
            .map(|g| &mut g.conn)
            .ok_or_else(|| StoreError::Backend("write turn used after it ended".into()))
    }

    /// Keep this writer's changes and wait until a COMMIT includes them.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        let Some(mut guard) = self.guard.take() else {
            return Err(StoreError::Backend("write turn used after it ended".into()));
        };
        if let Err(e) = exec(&mut guard.conn, "RELEASE writer").await {
            finish(&mut guard, false).await;
            return Err(e);
        }
        let (tx, rx) = oneshot::channel();
        guard.pending.push(tx);
        if self.writer.waiting.load(Ordering::SeqCst) == 0 || guard.pending.len() >= MAX_BATCH {
            finish(&mut guard, true).await;
        }
        drop(guard);
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
        let writer = self.writer.clone();
        let cleanup = async move {
            let undone = async {
                exec(&mut guard.conn, "ROLLBACK TO writer").await?;
                exec(&mut guard.conn, "RELEASE writer").await
            };
            let ok = undone.await.is_ok();
            if !ok || writer.waiting.load(Ordering::SeqCst) == 0 {
                finish(&mut guard, ok).await;
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(cleanup);
            }
            Err(_) => {
                // No runtime (process shutting down): nothing pending can be acknowledged.
            }
        }
    }
}
