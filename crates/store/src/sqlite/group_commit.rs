//! Group commit: the one write connection keeps a transaction open while writers queue for
//! it. Each writer works inside its own SAVEPOINT (so a failing one rolls back alone), and
//! the last writer in the queue — or the one that fills the batch — commits for everybody. A
//! writer is acknowledged only when the COMMIT that includes it has succeeded, so with
//! `synchronous=FULL` many writes share one fsync and each acknowledged write is on disk.
//!
//! A writer that leaves the COMMIT to the writers queued behind it relies on one of them
//! reaching the connection; if all of them go away first (their clients hung up), nobody
//! would commit, the writers already done would wait forever and the open transaction would
//! keep SQLite's write lock from every other process. So a writer that stops waiting without
//! getting the connection wakes the committer, a task of the writer's own that no client can
//! cancel: it queues for the connection behind the writers still waiting and commits what is
//! pending if nobody is left to do so. While no client goes away the committer never runs, and
//! a lone writer commits itself.
//!
//! Every wait is bounded: for the connection (`write_timeout`: refused as busy, nothing done)
//! and for the COMMIT (`commit_timeout`: the outcome is unknown, the COMMIT may still land).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use directory::store::StoreError;
use rusqlite::Connection;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, oneshot};

use super::database_file::DatabaseFile;
use super::errors::{backend, commit_error};

/// Writers acknowledged by one COMMIT at most: bounds the wait of the first in a batch.
const MAX_BATCH: usize = 256;
/// The longest a batch stays open for more writers: the writers of a batch wait for its
/// COMMIT, and behind a queue of big writes (100,000 rows each) they would otherwise wait
/// for all of them, past the commit timeout, and be told the outcome is unknown.
const MAX_BATCH_AGE: Duration = Duration::from_millis(100);

pub(crate) struct Writer {
    state: Arc<Mutex<WriterState>>,
    /// Writers waiting for the connection: while any wait, the holder leaves the commit to them.
    waiting: AtomicUsize,
    /// Wakes the committer; `None` without a runtime to run it, and then nobody defers.
    committer: Option<Arc<Notify>>,
    file: Arc<DatabaseFile>,
    write_timeout: Duration,
    commit_timeout: Duration,
}

pub(crate) struct WriterState {
    pub(crate) conn: Connection,
    /// A transaction is open (BEGIN done, COMMIT not yet).
    open: bool,
    /// When the open transaction began: a batch older than `MAX_BATCH_AGE` is committed by
    /// the writer that finds it so, rather than left to the writers queued behind.
    opened_at: std::time::Instant,
    /// Writers whose work is in the open transaction, waiting for its COMMIT, each with what
    /// must live until that COMMIT has resolved (see `WriteTurn::commit`).
    pending: Vec<Pending>,
    file: Arc<DatabaseFile>,
}

/// Something a writer needs kept until its COMMIT has resolved, whether or not the writer is
/// still there to hear the outcome.
pub(crate) type Keep = Box<dyn Send>;

/// A writer waiting for a COMMIT: where to send its outcome, and what to keep until then.
type Pending = (oneshot::Sender<Result<(), StoreError>>, Option<Keep>);

/// How an open transaction ends.
enum End {
    Commit,
    /// Roll back, telling every pending writer this.
    Rollback(StoreError),
}

/// The connection, held by one writer inside its savepoint.
pub(crate) struct WriteTurn {
    guard: Option<OwnedMutexGuard<WriterState>>,
    writer: Arc<Writer>,
}

/// One writer waiting for the connection, for as long as this lives.
struct Waiting<'a> {
    writer: &'a Writer,
    acquired: bool,
}

impl<'a> Waiting<'a> {
    fn new(writer: &'a Writer) -> Waiting<'a> {
        writer.waiting.fetch_add(1, Ordering::SeqCst);
        Waiting {
            writer,
            acquired: false,
        }
    }

    /// The connection is this writer's.
    fn acquired(mut self) {
        self.acquired = true;
    }
}

impl Drop for Waiting<'_> {
    /// A writer that leaves without the connection (dropped, or out of time) may have been
    /// the one a holder left the COMMIT to: the committer sees to it.
    fn drop(&mut self) {
        self.writer.waiting.fetch_sub(1, Ordering::SeqCst);
        if !self.acquired
            && let Some(wake) = &self.writer.committer
        {
            wake.notify_one();
        }
    }
}

fn exec(conn: &Connection, sql: &'static str) -> Result<(), StoreError> {
    conn.execute_batch(sql).map_err(backend)
}

/// `BEGIN IMMEDIATE`, waiting at most `within` for another process (the CLI) that holds
/// SQLite's write lock: SQLite's own busy handler would sleep on this async worker thread, so
/// the wait is made here, between attempts that do not wait. A writer dropped meanwhile leaves
/// no transaction behind; it may leave the busy timeout at zero, which only the next BEGIN
/// (this function again, which restores it) would see.
async fn begin_immediate(
    state: &mut OwnedMutexGuard<WriterState>,
    within: Duration,
) -> Result<(), StoreError> {
    let deadline = tokio::time::Instant::now() + within;
    state.conn.busy_timeout(Duration::ZERO).map_err(backend)?;
    let began = loop {
        // A statement at a time, no borrow of the connection across the sleep (a
        // `Connection` may move between threads, but not be shared by them).
        let attempt = state.conn.execute_batch("BEGIN IMMEDIATE");
        match attempt {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if f.code == rusqlite::ErrorCode::DatabaseBusy
                    && tokio::time::Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            other => break other.map_err(backend),
        }
    };
    state
        .conn
        .busy_timeout(super::db::BUSY_TIMEOUT)
        .map_err(backend)?;
    began
}

/// A batch rolled back because of another writer in it: nothing of this one was saved, and
/// running it again is safe.
fn batch_lost() -> StoreError {
    StoreError::Retryable(
        "a write batched with this one failed and the batch was rolled back".into(),
    )
}

impl Writer {
    pub(crate) fn new(
        conn: Connection,
        file: Arc<DatabaseFile>,
        write_timeout: Duration,
        commit_timeout: Duration,
    ) -> Arc<Writer> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let writer = Arc::new(Writer {
            state: Arc::new(Mutex::new(WriterState {
                conn,
                open: false,
                opened_at: std::time::Instant::now(),
                pending: Vec::new(),
                file: file.clone(),
            })),
            waiting: AtomicUsize::new(0),
            committer: runtime.as_ref().map(|_| Arc::new(Notify::new())),
            file,
            write_timeout,
            commit_timeout,
        });
        if let (Some(runtime), Some(wake)) = (runtime, writer.committer.clone()) {
            runtime.spawn(committer(Arc::downgrade(&writer), wake));
        }
        writer
    }

    /// Wait for the connection and open a savepoint for this writer.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<WriteTurn, StoreError> {
        // Counted as waiting until the connection is ours, or until this future is dropped
        // (a client that hung up) or gives up.
        let waiting = Waiting::new(self);
        let acquired = tokio::time::timeout(self.write_timeout, self.state.clone().lock_owned());
        let Ok(mut guard) = acquired.await else {
            return Err(StoreError::Unavailable(format!(
                "the database is busy: no write could start within {} seconds",
                self.write_timeout.as_secs_f64()
            )));
        };
        waiting.acquired();
        if let Err(e) = self.file.check_before_write() {
            // What is batched so far would go where nobody reads it: roll it back.
            finish(&mut guard, End::Rollback(e.clone()));
            return Err(e);
        }
        if !guard.open {
            begin_immediate(&mut guard, self.write_timeout).await?;
            guard.open = true;
            guard.opened_at = std::time::Instant::now();
        }
        if let Err(e) = exec(&guard.conn, "SAVEPOINT writer") {
            // The batch is unusable (SQLite may have rolled it back): fail everyone in it.
            finish(&mut guard, End::Rollback(batch_lost()));
            return Err(e);
        }
        Ok(WriteTurn {
            guard: Some(guard),
            writer: self.clone(),
        })
    }

    /// Leave the COMMIT of the open batch to the writers queued behind (and, should they all
    /// leave, to the committer); the connection comes back when there is nobody to leave it to.
    fn defer(
        &self,
        guard: OwnedMutexGuard<WriterState>,
    ) -> Result<(), OwnedMutexGuard<WriterState>> {
        if self.committer.is_some()
            && self.waiting.load(Ordering::SeqCst) > 0
            && guard.pending.len() < MAX_BATCH
            && guard.opened_at.elapsed() < MAX_BATCH_AGE
        {
            drop(guard);
            Ok(())
        } else {
            Err(guard)
        }
    }

    /// The committer's turn: commit the open batch unless a writer still waits to carry it
    /// on (that writer either gets the connection or, leaving, wakes the committer again).
    async fn commit_abandoned(&self) {
        let guard = self.state.clone().lock_owned().await;
        if guard.open && self.waiting.load(Ordering::SeqCst) == 0 {
            finish_off_thread(guard, End::Commit).await;
        }
    }
}

impl Drop for Writer {
    /// The store is closing: a batch still open (its writers gone) is committed, not lost.
    fn drop(&mut self) {
        if let Some(wake) = &self.committer {
            // Lets the committer see that the writer is gone and end.
            wake.notify_one();
        }
        if let Ok(mut state) = self.state.try_lock() {
            finish(&mut state, End::Commit);
        }
    }
}

/// The committer task: runs until its writer is dropped.
async fn committer(writer: Weak<Writer>, wake: Arc<Notify>) {
    loop {
        wake.notified().await;
        let Some(writer) = writer.upgrade() else {
            return;
        };
        writer.commit_abandoned().await;
    }
}

/// COMMIT (or ROLLBACK) the open transaction and tell every pending writer how it went. A
/// COMMIT waits for the disk (fsync): call it off the async threads.
fn finish(state: &mut WriterState, end: End) {
    if !state.open {
        return;
    }
    let result = match end {
        End::Commit => commit(state),
        End::Rollback(e) => {
            let _ = exec(&state.conn, "ROLLBACK");
            Err(e)
        }
    };
    state.open = false;
    for (p, keep) in state.pending.drain(..) {
        let _ = p.send(result.clone());
        drop(keep);
    }
}

/// COMMIT, unless the file is no longer the database's: what is committed into a deleted or
/// replaced file is lost, so it is rolled back (checked before) or not confirmed (after).
fn commit(state: &mut WriterState) -> Result<(), StoreError> {
    if let Err(e) = state.file.check() {
        let _ = exec(&state.conn, "ROLLBACK");
        return Err(e);
    }
    if let Err(e) = state.conn.execute_batch("COMMIT") {
        tracing::error!(error = %e, "a COMMIT failed");
        state.file.commit_failed();
        if !state.conn.is_autocommit() {
            let _ = exec(&state.conn, "ROLLBACK");
        }
        return Err(commit_error(&e));
    }
    state.file.commit_succeeded();
    state.file.check().map_err(|gone| {
        StoreError::OutcomeUnknown(format!(
            "the write was saved into a database file that is no longer in place ({gone})"
        ))
    })
}

/// `finish` on the blocking pool, releasing the connection there when it is done.
async fn finish_off_thread(mut guard: OwnedMutexGuard<WriterState>, end: End) {
    let done = tokio::task::spawn_blocking(move || finish(&mut guard, end)).await;
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
            finish(&mut guard, End::Rollback(batch_lost()));
            return Err(e);
        }
        let (tx, rx) = oneshot::channel();
        guard.pending.push((tx, keep));
        let writer = self.writer.clone();
        let confirmed = async move {
            if let Err(guard) = writer.defer(guard) {
                finish_off_thread(guard, End::Commit).await;
            }
            rx.await
        };
        match tokio::time::timeout(self.writer.commit_timeout, confirmed).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => Err(StoreError::OutcomeUnknown(
                "the database stopped before it confirmed the write".into(),
            )),
            Err(_) => Err(StoreError::OutcomeUnknown(format!(
                "the database did not confirm the write within {} seconds",
                self.writer.commit_timeout.as_secs_f64()
            ))),
        }
    }
}

impl Drop for WriteTurn {
    /// A writer that ends without committing (an error, a refused request, a dropped
    /// request) rolls back its savepoint, and sees that the writers already pending get a
    /// committer.
    fn drop(&mut self) {
        let Some(mut guard) = self.guard.take() else {
            return;
        };
        let undone = exec(&guard.conn, "ROLLBACK TO writer")
            .and_then(|()| exec(&guard.conn, "RELEASE writer"));
        if undone.is_err() || guard.conn.is_autocommit() {
            // The batch is gone or unusable: nothing of it may be committed.
            finish(&mut guard, End::Rollback(batch_lost()));
            return;
        }
        let Err(mut guard) = self.writer.defer(guard) else {
            return;
        };
        if guard.pending.is_empty() {
            // Nothing to make durable: ending the transaction costs no fsync.
            finish(&mut guard, End::Commit);
            return;
        }
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                handle.spawn(finish_off_thread(guard, End::Commit));
            }
            // No runtime (the process is shutting down): finish here.
            Err(_) => finish(&mut guard, End::Commit),
        }
    }
}
