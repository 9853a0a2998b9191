//! Group commit for SQLite's single writer.
//!
//! With `synchronous = FULL` every commit waits for the WAL to reach the
//! disk, and with one writer connection those waits happen one after the
//! other: the fsync, not the statements, bounds how many transactions a
//! second the desk can take. Here every write transaction is a savepoint
//! inside one open SQLite transaction (a *group*). A member that commits
//! releases its savepoint and waits; the group is committed (one fsync)
//! once nobody else is queued for the writer, or it has grown large or
//! old. Only then does each member's `commit` return, so a 2xx answer still
//! means the data is on disk. A member that fails rolls back to its
//! savepoint without touching the others; a failed group commit fails
//! every member in it.
//!
//! Finishing work (release, rollback, group commit) runs in spawned tasks
//! so that a cancelled request can never leave a group open with members
//! waiting on it.
//!
//! The hottest write (opening a ticket) runs as a member *in place*
//! ([`GroupCommit::write`]): savepoint, statements and release in one call
//! on a rusqlite connection of the writer's own, instead of a round trip to
//! sqlx's connection thread per statement, so the writer is held for the
//! statements' own time. The two writer connections take turns under the
//! one lock: a group is open on one of them at a time, and a member of the
//! other kind commits it before opening its own.
//!
//! Checkpoints (copying the WAL back into the database file and syncing
//! it) mostly run beside the writer on a connection of their own, as
//! passive checkpoints after commits, so that the commit which crosses
//! SQLite's automatic threshold, while every writer waits for it, finds
//! little left to copy.

use crate::{Result, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// A group is committed when it has this many members...
const MAX_MEMBERS: usize = 256;
/// ...or has been open this long, even if more writers are queued, so a
/// steady stream of writers cannot hold answers back indefinitely.
const MAX_AGE: Duration = Duration::from_millis(8);

type Outcome = std::result::Result<(), Arc<StoreError>>;

/// Page cache of the in-place writer, in KiB: a ticket touches pages of
/// its table, its indexes and the search index.
const WRITER_CACHE_KIB: i64 = 32 * 1024;

/// How often a passive checkpoint may start while commits keep coming.
/// The writers keep SQLite's own automatic checkpoint (at 1,000 WAL
/// pages): it then finds the frames mostly copied already, and completes
/// the checkpoint so that the WAL starts over instead of growing (a passive
/// checkpoint alone rarely catches up with a writer that never pauses).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);

/// The database's write-ahead log, as the group commit looks after it:
/// synced before members are answered, checkpointed beside the writer.
struct Wal {
    /// The database file.
    db: PathBuf,
    /// Its WAL file.
    file: PathBuf,
    /// Passive checkpoints run here, one at a time.
    conn: std::sync::Mutex<Option<rusqlite::Connection>>,
    last: std::sync::Mutex<Instant>,
}

impl Wal {
    fn new(db: PathBuf) -> Self {
        let mut file = db.clone().into_os_string();
        file.push("-wal");
        Self {
            db,
            file: file.into(),
            conn: std::sync::Mutex::new(None),
            last: std::sync::Mutex::new(Instant::now()),
        }
    }

    /// Start a passive checkpoint in the background unless one ran lately
    /// or is running.
    fn after_commit(self: &Arc<Self>) {
        {
            let Ok(mut last) = self.last.try_lock() else {
                return;
            };
            if last.elapsed() < CHECKPOINT_EVERY {
                return;
            }
            *last = Instant::now();
        }
        let me = self.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn_blocking(move || me.run());
        }
    }

    /// Sync the WAL (everything written to it so far, this group's commit
    /// included), then tell `members` how it went.
    fn sync_then_answer(&self, members: Vec<oneshot::Sender<Outcome>>) {
        let file = self.file.clone();
        let synced = move || {
            let outcome = std::fs::File::open(&file)
                .and_then(|f| f.sync_data())
                .map_err(|e| Arc::new(StoreError::Sync(e)));
            for member in members {
                let _ = member.send(outcome.clone());
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => drop(rt.spawn_blocking(synced)),
            Err(_) => synced(),
        }
    }

    fn run(&self) {
        let Ok(mut conn) = self.conn.try_lock() else {
            return;
        };
        if conn.is_none() {
            *conn = rusqlite::Connection::open(&self.db).ok();
        }
        let Some(c) = conn.as_ref() else {
            return;
        };
        match c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            // Busy: another checkpoint is running; the next commit retries.
            Ok(())
            | Err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error {
                    code: rusqlite::ErrorCode::DatabaseBusy,
                    ..
                },
                _,
            )) => {}
            Err(e) => tracing::warn!(error = %e, "passive checkpoint failed"),
        }
    }
}

/// Which writer connection holds the open group.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Open {
    Sqlx,
    InPlace,
}

/// The writer connections, the open group and the members waiting for it
/// to commit.
struct Writer {
    /// sqlx's writer while a group is open on it.
    conn: Option<PoolConnection<Sqlite>>,
    /// The in-place writer, opened at its first member and kept.
    direct: Option<rusqlite::Connection>,
    open: Option<Open>,
    wal: Arc<Wal>,
    waiting: Vec<oneshot::Sender<Outcome>>,
    opened: Instant,
}

/// The single writer of a SQLite database, shared by the process.
pub struct GroupCommit {
    pool: SqlitePool,
    writer: Arc<Mutex<Writer>>,
    /// Tasks waiting for the writer; a finishing member commits the group
    /// only when this is zero (otherwise the next one will).
    queued: AtomicUsize,
}

impl std::fmt::Debug for GroupCommit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GroupCommit")
            .field("queued", &self.queued.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Counts a task as queued for the writer until it holds it. A task
/// cancelled while queued (the last one) makes sure an open group still
/// gets committed, since members that finished before it left that to it.
struct Queued {
    group: Arc<GroupCommit>,
    holding: bool,
}

impl Drop for Queued {
    fn drop(&mut self) {
        let last = self.group.queued.fetch_sub(1, Ordering::AcqRel) == 1;
        if last && !self.holding {
            let group = self.group.clone();
            spawn(async move {
                let w = group.writer.clone().lock_owned().await;
                group.finish(w).await;
            });
        }
    }
}

/// Run finishing work on the runtime, detached from the caller.
fn spawn(work: impl Future<Output = ()> + Send + 'static) {
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(work);
    }
}

impl GroupCommit {
    pub(crate) fn new(pool: SqlitePool, path: PathBuf) -> Arc<Self> {
        Arc::new(Self {
            pool,
            writer: Arc::new(Mutex::new(Writer {
                conn: None,
                direct: None,
                open: None,
                wal: Arc::new(Wal::new(path)),
                waiting: Vec::new(),
                opened: Instant::now(),
            })),
            queued: AtomicUsize::new(0),
        })
    }

    /// Wait for the writer, counted as queued until it is ours.
    async fn hold(self: &Arc<Self>) -> OwnedMutexGuard<Writer> {
        self.queued.fetch_add(1, Ordering::AcqRel);
        let mut queued = Queued {
            group: self.clone(),
            holding: false,
        };
        let w = self.writer.clone().lock_owned().await;
        // Holding the writer: from here on the member finishes the group.
        queued.holding = true;
        w
    }

    /// Join the open group (or open one) as a new member.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<Member> {
        let w = self.hold().await;
        // Joining runs detached, so that a caller cancelled half-way (a
        // connection opened, BEGIN sent, no savepoint yet) cannot leave the
        // writer in a state nobody will finish; a member nobody waits for
        // any more is dropped, which rolls it back.
        let (joined, member) = oneshot::channel();
        let group = self.clone();
        spawn(async move {
            let mut w = w;
            match join(&group.pool, &mut w).await {
                Ok(()) => {
                    let _ = joined.send(Ok(Member {
                        writer: Some(w),
                        group,
                    }));
                }
                Err(e) => {
                    let _ = joined.send(Err(e));
                    group.finish(w).await;
                }
            }
        });
        match member.await {
            Ok(Ok(m)) => Ok(m),
            Ok(Err(e)) => Err(StoreError::Database(e)),
            Err(_) => Err(StoreError::Database(sqlx::Error::WorkerCrashed)),
        }
    }

    /// Run `work` as one member in place: savepoint, `work` and release
    /// (or a rollback to the savepoint if it fails) in one call on the
    /// in-place writer, then wait until the group is on disk.
    pub(crate) async fn write<T, F>(self: &Arc<Self>, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let w = self.hold().await;
        let (done, on_disk) = oneshot::channel();
        let group = self.clone();
        // Spawned so that a cancelled caller cannot stop half-way.
        let written = tokio::spawn(async move {
            let mut w = w;
            let out = group.in_place(&mut w, work).await;
            if out.is_ok() {
                w.waiting.push(done);
            }
            group.finish(w).await;
            out
        });
        let value = written
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))??;
        match on_disk.await {
            Ok(Ok(())) => Ok(value),
            Ok(Err(e)) => Err(StoreError::Commit(e)),
            Err(_) => Err(StoreError::Database(sqlx::Error::WorkerCrashed)),
        }
    }

    /// One in-place member (see [`GroupCommit::write`]); its savepoint is
    /// gone when this returns, released or rolled back.
    async fn in_place<T>(
        &self,
        w: &mut Writer,
        work: impl FnOnce(&rusqlite::Connection) -> Result<T>,
    ) -> Result<T> {
        if w.open == Some(Open::Sqlx) {
            commit(w).await;
        }
        if w.direct.is_none() {
            w.direct = Some(open_in_place(&w.wal.db)?);
        }
        let d = w.direct.as_ref().expect("opened above");
        let run = |sql: &str| d.prepare_cached(sql).and_then(|mut s| s.execute([]));
        if w.open.is_none() {
            run("BEGIN IMMEDIATE")?;
            w.open = Some(Open::InPlace);
            w.opened = Instant::now();
        }
        run("SAVEPOINT member")?;
        let out = work(d).and_then(|v| Ok(run("RELEASE member").map(|_| v)?));
        if out.is_err() {
            let _ = run("ROLLBACK TO member");
            let _ = run("RELEASE member");
        }
        out
    }

    /// Commit the group if nobody is queued behind us or it is big or old
    /// enough; otherwise leave it to the next member.
    async fn finish(&self, mut w: OwnedMutexGuard<Writer>) {
        let due = self.queued.load(Ordering::Acquire) == 0
            || w.waiting.len() >= MAX_MEMBERS
            || w.opened.elapsed() >= MAX_AGE;
        if due {
            commit(&mut w).await;
        }
    }

    /// Commit what is open and close the in-place writer (at shutdown).
    pub(crate) async fn close(&self) {
        let mut w = self.writer.lock().await;
        commit(&mut w).await;
        w.direct = None;
        if let Ok(mut c) = w.wal.conn.lock() {
            *c = None;
        }
    }
}

/// The in-place writer, set up as sqlx sets up its connections.
fn open_in_place(db: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open(db)?;
    c.busy_timeout(Duration::from_secs(10))?;
    // NORMAL: a commit writes the WAL without syncing it, and
    // `sync_then_answer` syncs it before any member is answered, so a
    // 2xx answer still survives a power cut (what FULL gives) while the
    // next group writes during the sync instead of waiting for it.
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    c.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    c.set_prepared_statement_cache_capacity(64);
    Ok(c)
}

/// Commit the open group, if any, and tell its members how it went. A
/// group that fails is lost as a whole; no transaction stays open.
async fn commit(w: &mut Writer) {
    let Some(open) = w.open.take() else {
        return;
    };
    let members = std::mem::take(&mut w.waiting);
    let outcome = match open {
        Open::Sqlx => match w.conn.take() {
            None => Ok(()),
            Some(mut c) => match c.execute("COMMIT").await {
                Ok(_) => Ok(()),
                Err(e) => {
                    let _ = c.execute("ROLLBACK").await;
                    Err(Arc::new(StoreError::Database(e)))
                }
            },
        },
        Open::InPlace => match w.direct.take() {
            None => Ok(()),
            Some(d) => {
                let done = tokio::task::spawn_blocking(move || {
                    let out = d.execute_batch("COMMIT");
                    if out.is_err() {
                        let _ = d.execute_batch("ROLLBACK");
                    }
                    (d, out)
                })
                .await;
                match done {
                    Ok((d, out)) => {
                        w.direct = Some(d);
                        out.map_err(|e| Arc::new(StoreError::Sqlite(e)))
                    }
                    Err(_) => Err(Arc::new(StoreError::Database(sqlx::Error::WorkerCrashed))),
                }
            }
        },
    };
    if outcome.is_ok() {
        w.wal.after_commit();
    }
    match outcome {
        // Written, not yet synced (the in-place writer runs without
        // syncing): the members learn the outcome once the WAL is on disk,
        // while the next group already writes.
        Ok(()) if open == Open::InPlace => w.wal.sync_then_answer(members),
        outcome => {
            for member in members {
                let _ = member.send(outcome.clone());
            }
        }
    }
}

/// Open a group if none is open, then a savepoint for the new member.
async fn join(pool: &SqlitePool, w: &mut Writer) -> std::result::Result<(), sqlx::Error> {
    if w.open == Some(Open::InPlace) {
        commit(w).await;
    }
    if w.open.is_none() {
        let mut c = pool.acquire().await?;
        c.execute("BEGIN IMMEDIATE").await?;
        w.conn = Some(c);
        w.open = Some(Open::Sqlx);
        w.opened = Instant::now();
    }
    conn(w).execute("SAVEPOINT member").await?;
    Ok(())
}

fn conn(w: &mut Writer) -> &mut SqliteConnection {
    w.conn
        .as_deref_mut()
        .expect("a member holds the writer only while a group is open")
}

/// One write transaction on SQLite: a savepoint in the open group.
/// Dropping it without [`Member::commit`] rolls the savepoint back.
pub struct Member {
    writer: Option<OwnedMutexGuard<Writer>>,
    group: Arc<GroupCommit>,
}

impl std::ops::Deref for Member {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        self.writer
            .as_ref()
            .and_then(|w| w.conn.as_deref())
            .expect("a live member holds the open group")
    }
}

impl std::ops::DerefMut for Member {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        conn(
            self.writer
                .as_mut()
                .expect("a live member holds the writer"),
        )
    }
}

impl Member {
    /// Release the savepoint and wait until the group is on disk.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let w = self.writer.take().expect("a live member holds the writer");
        let group = self.group.clone();
        let (done, on_disk) = oneshot::channel();
        // Spawned so that a cancelled caller cannot stop half-way.
        let released = tokio::spawn(async move {
            let mut w = w;
            let released = conn(&mut w).execute("RELEASE member").await;
            match released {
                Ok(_) => w.waiting.push(done),
                Err(e) => {
                    let _ = conn(&mut w).execute("ROLLBACK TO member").await;
                    let _ = conn(&mut w).execute("RELEASE member").await;
                    let _ = done.send(Err(Arc::new(StoreError::Database(e))));
                }
            }
            group.finish(w).await;
        });
        released
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?;
        match on_disk.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Commit(e)),
            Err(_) => Err(StoreError::Database(sqlx::Error::WorkerCrashed)),
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(w) = self.writer.take() {
            let group = self.group.clone();
            spawn(async move {
                let mut w = w;
                let _ = conn(&mut w).execute("ROLLBACK TO member").await;
                let _ = conn(&mut w).execute("RELEASE member").await;
                group.finish(w).await;
            });
        }
    }
}
