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

use crate::{Result, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// A group is committed when it has this many members...
const MAX_MEMBERS: usize = 256;
/// ...or has been open this long, even if more writers are queued, so a
/// steady stream of writers cannot hold answers back indefinitely.
const MAX_AGE: Duration = Duration::from_millis(8);

type Outcome = std::result::Result<(), Arc<sqlx::Error>>;

/// The writer connection while a group is open, and the members waiting
/// for the group to commit.
struct Writer {
    conn: Option<PoolConnection<Sqlite>>,
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
    pub(crate) fn new(pool: SqlitePool) -> Arc<Self> {
        Arc::new(Self {
            pool,
            writer: Arc::new(Mutex::new(Writer {
                conn: None,
                waiting: Vec::new(),
                opened: Instant::now(),
            })),
            queued: AtomicUsize::new(0),
        })
    }

    /// Join the open group (or open one) as a new member.
    pub(crate) async fn begin(self: &Arc<Self>) -> Result<Member> {
        self.queued.fetch_add(1, Ordering::AcqRel);
        let mut queued = Queued {
            group: self.clone(),
            holding: false,
        };
        let w = self.writer.clone().lock_owned().await;
        // Holding the writer: from here on the member finishes the group.
        queued.holding = true;
        drop(queued);
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

    /// Commit the group if nobody is queued behind us or it is big or old
    /// enough; otherwise leave it to the next member.
    async fn finish(&self, mut w: OwnedMutexGuard<Writer>) {
        let due = self.queued.load(Ordering::Acquire) == 0
            || w.waiting.len() >= MAX_MEMBERS
            || w.opened.elapsed() >= MAX_AGE;
        if !due {
            return;
        }
        let Some(mut c) = w.conn.take() else {
            return;
        };
        let outcome = match c.execute("COMMIT").await {
            Ok(_) => Ok(()),
            Err(e) => {
                // The group is lost as a whole; make sure no transaction
                // stays open on the connection going back to the pool.
                let _ = c.execute("ROLLBACK").await;
                Err(Arc::new(e))
            }
        };
        for member in w.waiting.drain(..) {
            let _ = member.send(outcome.clone());
        }
    }
}

/// Open a group if none is open, then a savepoint for the new member.
async fn join(pool: &SqlitePool, w: &mut Writer) -> std::result::Result<(), sqlx::Error> {
    if w.conn.is_none() {
        let mut c = pool.acquire().await?;
        c.execute("BEGIN IMMEDIATE").await?;
        w.conn = Some(c);
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
                    let _ = done.send(Err(Arc::new(e)));
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
