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
//! ([`GroupCommit::write`]): its work is handed to the writer's own thread,
//! which runs every member waiting for it back to back on a rusqlite
//! connection (savepoint, statements, release), commits them as one group
//! and hands the group to a second thread that syncs the WAL and answers
//! the members. No step of the serial path waits for a runtime task to be
//! polled or for a lock to be handed over between members, so the writer
//! is busy for the statements' own time while the runtime's threads do the
//! HTTP work beside it. The two writer connections take turns under the
//! one lock: the writer thread holds it for one group at a time, and
//! commits early when a transaction of the other kind is waiting.
//!
//! Checkpoints (copying the WAL back into the database file and syncing
//! it) run beside the writer on a thread of their own, a few times a
//! second, so that each page changed meanwhile is written back once. At the
//! end of a lap of the WAL the writer copies the last few frames itself
//! between two groups, which lets SQLite start the WAL over; see [`Wal`].

use crate::{Result, StoreError};
use sqlx::pool::PoolConnection;
use sqlx::{Executor, Sqlite, SqliteConnection, SqlitePool};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, mpsc};
use std::time::{Duration, Instant};
use tokio::runtime::Handle;
use tokio::sync::{Mutex, OwnedMutexGuard, oneshot};

/// A group is committed when it has this many members...
const MAX_MEMBERS: usize = 256;
/// ...or has been open this long, even if more writers are queued, so a
/// steady stream of writers cannot hold answers back indefinitely.
const MAX_AGE: Duration = Duration::from_millis(8);

/// An in-place group with this many members commits while the group before
/// it is still being synced, instead of when that sync ends: the sync
/// thread then starts the next sync the moment the last one ends, without
/// the commit (0.4-0.6 ms) between them, and at most two groups wait for
/// the disk. With fewer members a group waits, since a commit costs about
/// as much for 4 tickets as for 11 (they share most pages it writes). On
/// a 1,000,000-ticket desk with 16 clients: 34% more creates on average in
/// alternating pairs (8 against 4, 6, 10 and 12 members, and no early
/// commit; `BENCHMARKS.md`, session 8).
const EARLY_MEMBERS: usize = 8;

type Outcome = std::result::Result<(), Arc<StoreError>>;

/// Page cache of the in-place writer, in KiB: a ticket touches pages of
/// its table, its indexes and the search index.
const WRITER_CACHE_KIB: i64 = 32 * 1024;

/// When and how the WAL is checkpointed.
#[derive(Clone, Copy, Debug)]
struct CheckpointPlan {
    /// How long the checkpointer lets commits gather before a pass: a pass
    /// writes every page changed since the one before back to the database
    /// file once, however often it changed, and then to the disk (see
    /// [`Wal::write_back`]). Random page writes are what this kind of disk
    /// does worst (about 35 us each, and the WAL syncs queue behind them):
    /// passes every 20 ms wrote 180-240 KiB per ticket opened; with the
    /// write-back, every 100 ms 113-115 KiB, every 250 ms 91-93 KiB and
    /// every 500 ms 78-79 KiB.
    cycle: Duration,
    /// Once a pass finds the WAL this long, the checkpointer makes passes
    /// until one copies fewer than `final_gap` frames (or `max_passes` are
    /// made), and the writer then starts the WAL over.
    lap_frames: i64,
    final_gap: i64,
    max_passes: usize,
}

impl CheckpointPlan {
    /// 100,000 frames is about 400 MiB of WAL at 4 KiB pages: at a busy
    /// desk's 40,000-50,000 frames a second the writer pauses for the rest
    /// of a lap every two seconds or so (6-21 ms on this kind of disk).
    /// Passes every 500 ms against 250: creates 5,665-6,001/s at p99
    /// 13.6-23.1 ms against 5,400-5,442/s at p99 20.6-22.3 ms, alternating
    /// (`BENCHMARKS.md`, session 10).
    const DESK: Self = Self {
        cycle: Duration::from_millis(500),
        lap_frames: 100_000,
        final_gap: 400,
        max_passes: 8,
    };
}

/// The writers keep SQLite's own automatic checkpoint, run inside the
/// commit that takes the WAL past this many frames, for a WAL that the
/// checkpointer's laps do not start over (a reader that holds its snapshot
/// for seconds, say): twice a lap. That checkpoint stalls every writer
/// while it copies what is left and syncs the database file, so it is a
/// safety net, not the rule. The WAL file keeps the size it grew to, which
/// is what makes the next lap cheap: overwriting cached pages of a file
/// costs a tenth of what writing new ones does.
pub(crate) const WAL_CHECKPOINT_FRAMES: u32 = 200_000;

/// The database's write-ahead log, as the group commit looks after it:
/// synced before in-place members are answered, and checkpointed by a
/// thread of its own.
///
/// SQLite starts the WAL over (instead of appending to it) at the first
/// write of a transaction that began with every frame already copied into
/// the database file. A writer that never pauses never begins one like
/// that, since frames keep arriving while any checkpoint beside it runs.
/// So at the end of a lap the checkpointer copies the WAL in passes, each
/// one copying what arrived during the one before, until little is left;
/// then the writer copies that rest itself between two groups, and its
/// next group starts the WAL over.
struct Wal {
    /// The database file.
    db: PathBuf,
    /// Its WAL file.
    file: PathBuf,
    plan: CheckpointPlan,
    /// Set by the checkpointer when a writer should finish a lap.
    finish_due: AtomicBool,
    /// What the checkpointer waits for.
    state: std::sync::Mutex<CheckpointerState>,
    wake: Condvar,
}

#[derive(Default)]
struct CheckpointerState {
    /// A commit happened since the checkpointer last looked.
    committed: bool,
    /// The database is closing.
    closing: bool,
}

impl Wal {
    fn new(db: PathBuf, plan: CheckpointPlan) -> Self {
        let mut file = db.clone().into_os_string();
        file.push("-wal");
        Self {
            db,
            file: file.into(),
            plan,
            finish_due: AtomicBool::new(false),
            state: std::sync::Mutex::new(CheckpointerState::default()),
            wake: Condvar::new(),
        }
    }

    /// Sync the WAL: everything written to it so far. Opened afresh each
    /// time on purpose: SQLite deletes the `-wal` file when its last
    /// connection closes and makes a new one later, and a handle kept open
    /// across that would sync the deleted file and report success.
    fn sync(&self) -> Outcome {
        std::fs::File::open(&self.file)
            .and_then(|f| f.sync_data())
            .map_err(|e| Arc::new(StoreError::Sync(e)))
    }

    /// Tell the checkpointer that the WAL grew.
    fn after_commit(&self) {
        if let Ok(mut state) = self.state.lock()
            && !state.committed
        {
            state.committed = true;
            self.wake.notify_one();
        }
    }

    /// Stop the checkpointer (it closes its connection on the way out).
    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.closing = true;
            self.wake.notify_one();
        }
    }

    /// Wait for a commit, then let a cycle pass while more come; false
    /// once the database is closing.
    fn gather(&self) -> bool {
        let Ok(state) = self.state.lock() else {
            return false;
        };
        let Ok(mut state) = self.wake.wait_while(state, |s| !s.committed && !s.closing) else {
            return false;
        };
        state.committed = false;
        match self
            .wake
            .wait_timeout_while(state, self.plan.cycle, |s| !s.closing)
        {
            Ok((state, _)) => !state.closing,
            Err(_) => false,
        }
    }

    /// The checkpointer's thread: a passive checkpoint each cycle in which
    /// something was committed, and the passes that end a lap.
    fn checkpointer(&self) {
        let mut conn = None;
        while self.gather() {
            if conn.is_none() {
                conn = rusqlite::Connection::open(&self.db).ok();
            }
            if let Some(c) = conn.as_ref()
                && self.pass(c)
            {
                self.finish_due.store(true, Ordering::Release);
            }
        }
    }

    /// One cycle's checkpoint; true if it ended a lap (the writer's turn).
    fn pass(&self, c: &rusqlite::Connection) -> bool {
        let first = passive_checkpoint(c);
        if let Ok(Some(_)) = first {
            self.write_back();
        }
        let mut copied = match first {
            Ok(Some((frames, copied))) if frames >= self.plan.lap_frames => copied,
            Ok(_) => return false,
            Err(e) => {
                tracing::warn!(error = %e, "passive checkpoint failed");
                return false;
            }
        };
        for _ in 0..self.plan.max_passes {
            match passive_checkpoint(c) {
                Ok(Some((_, now))) => {
                    let new = now - copied;
                    copied = now;
                    if new < self.plan.final_gap {
                        break;
                    }
                }
                // Another checkpoint is running; the writer's turn copies
                // whatever it leaves.
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "passive checkpoint failed");
                    break;
                }
            }
        }
        true
    }

    /// Send what a pass wrote into the database file on to the disk, on the
    /// checkpointer's thread. SQLite syncs the database file only in a
    /// checkpoint that copies the whole WAL, which is the end of a lap, on
    /// the writer's path: that sync then wrote back every page the lap's
    /// passes had written, and the writer (with every create waiting on
    /// it) stood still for 58-71 ms in half the laps. Written back after
    /// each pass, a lap's end waits for its last passes only (6-21 ms); in
    /// alternating runs p99 fell from 34-47 ms to 15-22 ms, for 40% more
    /// written to the disk per ticket.
    ///
    /// The file system is synced through the WAL file, not the database
    /// file: closing a second handle on the database file would drop the
    /// POSIX locks SQLite holds on it for every connection of the process
    /// (SQLite locks the shared-memory file and the database, never the
    /// WAL). Not syncing is safe, only slower at the lap's end, so a failure
    /// is a warning.
    fn write_back(&self) {
        #[cfg(target_os = "linux")]
        if let Err(e) = std::fs::File::open(&self.file)
            .and_then(|f| rustix::fs::syncfs(&f).map_err(std::io::Error::from))
        {
            tracing::warn!(error = %e, "writing the checkpoint back to the disk failed");
        }
    }

    /// Whether a writer should finish a lap now; the one that does calls
    /// [`Wal::lap_finished`] with the outcome of its checkpoint.
    fn finish_due(&self) -> bool {
        self.finish_due.load(Ordering::Acquire)
    }

    /// A writer ran its checkpoint between two groups; `Ok(false)` means
    /// another checkpoint was running, and the next group tries again.
    fn lap_finished(&self, outcome: std::result::Result<bool, impl std::fmt::Display>) {
        match outcome {
            Ok(false) => {}
            Ok(true) => self.finish_due.store(false, Ordering::Release),
            Err(e) => {
                self.finish_due.store(false, Ordering::Release);
                tracing::warn!(error = %e, "writer's checkpoint failed");
            }
        }
    }
}

/// A passive checkpoint (it never waits for other connections): the WAL's
/// frames and how many of them are now copied into the database file, or
/// None if another checkpoint was running.
fn passive_checkpoint(c: &rusqlite::Connection) -> rusqlite::Result<Option<(i64, i64)>> {
    c.query_row(PASSIVE_CHECKPOINT, [], |r| {
        let busy: i64 = r.get(0)?;
        Ok((busy == 0).then_some((r.get(1)?, r.get(2)?)))
    })
}

/// SQLite answers with one row: 1 if another checkpoint held the lock
/// (SQLITE_BUSY, which the pragma turns into that column), the WAL's
/// frames, and how many of them are copied into the database file.
const PASSIVE_CHECKPOINT: &str = "PRAGMA wal_checkpoint(PASSIVE)";

/// sqlx's writer connection, the group open on it and the members waiting
/// for that group to commit.
struct Writer {
    /// sqlx's writer while a group is open on it.
    conn: Option<PoolConnection<Sqlite>>,
    wal: Arc<Wal>,
    waiting: Vec<oneshot::Sender<Outcome>>,
    opened: Instant,
    /// A member's savepoint is open: set when it is made, cleared when it
    /// is released or rolled back. Still set when the group is committed,
    /// it belongs to a member dropped whose rollback never ran (a process
    /// ending while its runtime shuts down drops that task), and what it
    /// wrote must not be committed with the group.
    member_open: bool,
}

/// Tells one in-place member's caller how its group went.
type Answer = Box<dyn FnOnce(Outcome) + Send>;

/// An in-place member as the writer thread sees it.
trait Work: Send {
    /// Run inside the member's savepoint. On success, how to answer the
    /// caller once the group's fate is known; on failure the caller is
    /// answered at once and the savepoint is rolled back.
    fn run(self: Box<Self>, c: &rusqlite::Connection) -> Option<Answer>;
    /// The writer could not even start the member.
    fn refuse(self: Box<Self>, e: StoreError);
}

/// One [`GroupCommit::write`] call: its work and where its answer goes.
struct InPlaceMember<T, F> {
    work: F,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Work for InPlaceMember<T, F>
where
    T: Send + 'static,
    F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
{
    fn run(self: Box<Self>, c: &rusqlite::Connection) -> Option<Answer> {
        let InPlaceMember { work, reply } = *self;
        match work(c) {
            Ok(value) => Some(Box::new(move |outcome: Outcome| {
                let _ = reply.send(outcome.map(|()| value).map_err(StoreError::Commit));
            })),
            Err(e) => {
                let _ = reply.send(Err(e));
                None
            }
        }
    }

    fn refuse(self: Box<Self>, e: StoreError) {
        let _ = self.reply.send(Err(e));
    }
}

/// What the writer thread is told.
enum Request {
    Member(Box<dyn Work>),
    /// The sync thread has synced and answered this many groups.
    Synced(usize),
    /// Close the in-place connection and stop (at shutdown, or when the
    /// database is dropped), saying so if asked.
    Close(Option<oneshot::Sender<()>>),
}

/// The single writer of a SQLite database, shared by the process.
pub struct GroupCommit {
    pool: SqlitePool,
    writer: Arc<Mutex<Writer>>,
    /// Tasks waiting for sqlx's writer; a finishing member commits the
    /// group only when this is zero (otherwise the next one will), and the
    /// writer thread ends its group early when it is not.
    queued: Arc<AtomicUsize>,
    /// The writer thread's queue of in-place members.
    in_place: mpsc::Sender<Request>,
    /// The checkpointer's thread, joined at close so that its connection
    /// is gone before the last one closes (which checkpoints and removes
    /// the WAL).
    checkpointer: std::sync::Mutex<Option<std::thread::JoinHandle<()>>>,
    wal: Arc<Wal>,
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
    if let Ok(rt) = Handle::try_current() {
        rt.spawn(work);
    }
}

impl GroupCommit {
    /// Set up the writer for the database at `path` and start its threads;
    /// `runtime` is where the groups of sqlx's writer are committed.
    pub(crate) fn new(pool: SqlitePool, path: PathBuf, runtime: Handle) -> Result<Arc<Self>> {
        Self::with_plan(pool, path, runtime, CheckpointPlan::DESK)
    }

    fn with_plan(
        pool: SqlitePool,
        path: PathBuf,
        runtime: Handle,
        plan: CheckpointPlan,
    ) -> Result<Arc<Self>> {
        let wal = Arc::new(Wal::new(path, plan));
        let writer = Arc::new(Mutex::new(Writer {
            conn: None,
            wal: wal.clone(),
            waiting: Vec::new(),
            opened: Instant::now(),
            member_open: false,
        }));
        let queued = Arc::new(AtomicUsize::new(0));
        let (in_place, requests) = mpsc::channel();
        let (to_sync, groups) = mpsc::channel();
        let (synced, to_sync_wal) = (in_place.clone(), wal.clone());
        std::thread::Builder::new()
            .name("tandem-wal-sync".into())
            .spawn(move || sync_then_answer(&to_sync_wal, &groups, &synced))
            .map_err(StoreError::Thread)?;
        let checkpointing = wal.clone();
        let checkpointer = std::thread::Builder::new()
            .name("tandem-checkpoint".into())
            .spawn(move || checkpointing.checkpointer())
            .map_err(StoreError::Thread)?;
        let thread = WriterThread {
            writer: writer.clone(),
            queued: queued.clone(),
            wal: wal.clone(),
            runtime,
            conn: None,
            to_sync,
            syncing: 0,
        };
        std::thread::Builder::new()
            .name("tandem-writer".into())
            .spawn(move || thread.run(&requests))
            .map_err(StoreError::Thread)?;
        Ok(Arc::new(Self {
            pool,
            writer,
            queued,
            in_place,
            wal,
            checkpointer: std::sync::Mutex::new(Some(checkpointer)),
        }))
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

    /// Run `work` as one member in place on the writer thread: savepoint,
    /// `work` and release (or a rollback to the savepoint if it fails), then
    /// wait until the group is on disk. A caller that stops waiting does not
    /// stop the work: it runs, or rolls back, whole.
    pub(crate) async fn write<T, F>(&self, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let member = Box::new(InPlaceMember { work, reply });
        self.in_place
            .send(Request::Member(member))
            .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?;
        answer
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?
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

    /// Commit what is open and stop the writer thread (at shutdown); writes
    /// in place fail from here on.
    pub(crate) async fn close(&self) {
        {
            let mut w = self.writer.lock().await;
            commit(&mut w).await;
        }
        let (done, closed) = oneshot::channel();
        if self.in_place.send(Request::Close(Some(done))).is_ok() {
            let _ = closed.await;
        }
        self.wal.close();
        let checkpointer = self.checkpointer.lock().ok().and_then(|mut t| t.take());
        if let Some(thread) = checkpointer {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for GroupCommit {
    /// The writer thread and the sync thread hold each other's queues, and
    /// the checkpointer waits for commits, so none of them stops by itself
    /// when the database goes away.
    fn drop(&mut self) {
        let _ = self.in_place.send(Request::Close(None));
        self.wal.close();
    }
}

/// The writer's own thread: takes in-place members as they come and runs
/// each group of them under the writer lock.
struct WriterThread {
    writer: Arc<Mutex<Writer>>,
    queued: Arc<AtomicUsize>,
    wal: Arc<Wal>,
    /// For committing a group sqlx's writer left open for the next holder.
    runtime: Handle,
    /// The in-place writer, opened at its first member and kept.
    conn: Option<rusqlite::Connection>,
    /// Committed groups, to be synced and answered.
    to_sync: mpsc::Sender<Vec<Answer>>,
    /// Groups handed to the sync thread and not yet synced.
    syncing: usize,
}

impl WriterThread {
    fn run(mut self, requests: &mpsc::Receiver<Request>) {
        loop {
            let first = loop {
                match requests.recv() {
                    Err(_) => return,
                    Ok(Request::Synced(n)) => self.syncing -= n,
                    Ok(request) => break request,
                }
            };
            let writer = self.writer.clone();
            let mut w = writer.blocking_lock();
            if w.conn.is_some() {
                self.runtime.block_on(commit(&mut w));
            }
            let opened = Instant::now();
            let mut group = Group::default();
            let mut next = Some(first);
            while let Some(request) = next.take() {
                match request {
                    Request::Member(work) => self.member(work, &mut group),
                    Request::Synced(n) => self.syncing -= n,
                    Request::Close(done) => {
                        self.commit(group);
                        self.conn = None;
                        if let Some(done) = done {
                            let _ = done.send(());
                        }
                        return;
                    }
                }
                // A group ends when it is big or old enough, when a
                // transaction of the other kind waits for the writer, or
                // when it may follow the group being synced early.
                if group.answers.len() >= MAX_MEMBERS
                    || opened.elapsed() >= MAX_AGE
                    || self.queued.load(Ordering::Acquire) > 0
                    || (self.syncing == 1 && group.answers.len() >= EARLY_MEMBERS)
                {
                    break;
                }
                next = match requests.try_recv() {
                    Ok(request) => Some(request),
                    // Nobody else is waiting, but the disk is still busy
                    // with the group before: its members wait for that sync
                    // anyway, so whoever arrives meanwhile joins this group
                    // and the next sync covers more members.
                    Err(mpsc::TryRecvError::Empty) if self.syncing > 0 => requests
                        .recv_timeout(MAX_AGE.saturating_sub(opened.elapsed()))
                        .ok(),
                    Err(_) => None,
                };
            }
            self.commit(group);
            if let Some(c) = self.conn.as_ref().filter(|_| self.wal.finish_due()) {
                self.wal
                    .lap_finished(passive_checkpoint(c).map(|r| r.is_some()));
            }
            drop(w);
        }
    }

    /// Run one member in its savepoint, opening the group if needed.
    fn member(&mut self, work: Box<dyn Work>, group: &mut Group) {
        let c = match self.savepoint(group) {
            Ok(c) => c,
            Err(e) => return work.refuse(e),
        };
        let run = |sql: &str| c.prepare_cached(sql).and_then(|mut s| s.execute([]));
        let rollback = || {
            let _ = run("ROLLBACK TO member");
            let _ = run("RELEASE member");
        };
        match work.run(c) {
            Some(answer) => match run("RELEASE member") {
                Ok(_) => group.answers.push(answer),
                Err(e) => {
                    rollback();
                    answer(Err(Arc::new(StoreError::Sqlite(e))));
                }
            },
            None => rollback(),
        }
    }

    /// The in-place connection inside a fresh savepoint of the open group.
    fn savepoint(&mut self, group: &mut Group) -> Result<&rusqlite::Connection> {
        if self.conn.is_none() {
            self.conn = Some(open_in_place(&self.wal.db)?);
        }
        let c = self.conn.as_ref().expect("opened above");
        let run = |sql: &str| c.prepare_cached(sql).and_then(|mut s| s.execute([]));
        if !group.begun {
            run("BEGIN IMMEDIATE")?;
            group.begun = true;
        }
        run("SAVEPOINT member")?;
        Ok(c)
    }

    /// Commit the group (written, not yet synced: the in-place writer runs
    /// without syncing) and pass it on to be synced and answered while the
    /// next group writes. A group that fails is lost as a whole.
    fn commit(&mut self, group: Group) {
        let Some(c) = self.conn.as_ref().filter(|_| group.begun) else {
            return;
        };
        match commit_in_place(c) {
            // Every member failed: nothing to sync or answer.
            Ok(()) if group.answers.is_empty() => {}
            Ok(()) => {
                self.wal.after_commit();
                match self.to_sync.send(group.answers) {
                    Ok(()) => self.syncing += 1,
                    Err(mpsc::SendError(answers)) => {
                        let gone = Arc::new(StoreError::Database(sqlx::Error::WorkerCrashed));
                        for answer in answers {
                            answer(Err(gone.clone()));
                        }
                    }
                }
            }
            Err(e) => {
                let _ = c.execute_batch("ROLLBACK");
                let failed = Arc::new(StoreError::Sqlite(e));
                for answer in group.answers {
                    answer(Err(failed.clone()));
                }
            }
        }
    }
}

/// The in-place group being written.
#[derive(Default)]
struct Group {
    /// Whether its transaction has begun (a group whose every member was
    /// refused never begins).
    begun: bool,
    /// Its members that released their savepoints.
    answers: Vec<Answer>,
}

/// The WAL-sync thread: syncs the WAL once for every committed group
/// waiting (the sync covers everything written before it), tells the
/// writer thread, then answers their members.
fn sync_then_answer(
    wal: &Wal,
    groups: &mpsc::Receiver<Vec<Answer>>,
    writer: &mpsc::Sender<Request>,
) {
    while let Ok(mut answers) = groups.recv() {
        let mut synced = 1;
        while let Ok(more) = groups.try_recv() {
            answers.extend(more);
            synced += 1;
        }
        let outcome = wal.sync();
        let _ = writer.send(Request::Synced(synced));
        for answer in answers {
            answer(outcome.clone());
        }
    }
}

/// The in-place writer, set up as sqlx sets up its connections.
fn open_in_place(db: &std::path::Path) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open(db)?;
    c.busy_timeout(Duration::from_secs(10))?;
    // NORMAL: a commit writes the WAL without syncing it, and the sync
    // thread syncs it before any member is answered, so a 2xx answer
    // still survives a power cut (what FULL gives) while the next group
    // writes during the sync instead of waiting for it.
    c.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
    )?;
    // Each member runs in a savepoint, whose journal (the pages it changed,
    // as they were) SQLite keeps in memory only up to 64 KiB and then
    // spills to a temporary file: created, written and deleted again for
    // nearly every group. A member is one ticket's rows, so its journal is
    // small and can stay in memory.
    c.pragma_update(None, "temp_store", "MEMORY")?;
    c.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    c.pragma_update(None, "wal_autocheckpoint", WAL_CHECKPOINT_FRAMES)?;
    c.set_prepared_statement_cache_capacity(64);
    crate::tickets::hold_search_rows(&c)?;
    Ok(c)
}

/// Commit the open in-place group, its held search rows first.
fn commit_in_place(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    crate::tickets::index_held_search_rows(c)?;
    c.execute_batch("COMMIT")
}

/// Commit the group open on sqlx's writer, if any, and tell its members
/// how it went. A group that fails is lost as a whole; no transaction
/// stays open.
async fn commit(w: &mut Writer) {
    let Some(mut c) = w.conn.take() else {
        return;
    };
    if std::mem::take(&mut w.member_open) {
        let _ = c.execute("ROLLBACK TO member").await;
        let _ = c.execute("RELEASE member").await;
    }
    let members = std::mem::take(&mut w.waiting);
    let outcome = match c.execute("COMMIT").await {
        Ok(_) => {
            w.wal.after_commit();
            Ok(())
        }
        Err(e) => {
            let _ = c.execute("ROLLBACK").await;
            Err(Arc::new(StoreError::Database(e)))
        }
    };
    for member in members {
        let _ = member.send(outcome.clone());
    }
    // Answered first: the checkpoint only holds up the next writer.
    if outcome.is_ok() && w.wal.finish_due() {
        let checkpoint = sqlx::query_as::<_, (i64, i64, i64)>(PASSIVE_CHECKPOINT)
            .fetch_one(&mut *c)
            .await;
        w.wal.lap_finished(checkpoint.map(|(busy, _, _)| busy == 0));
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
    w.member_open = true;
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
            w.member_open = false;
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
                w.member_open = false;
                group.finish(w).await;
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

    /// Write about 12 MiB of rows through both kinds of member, from
    /// several tasks at once, and return the WAL file's size before the
    /// database closes, with every row checked afterwards.
    async fn wal_size_after_writes(plan: CheckpointPlan) -> u64 {
        let path = std::env::temp_dir().join(format!(
            "tandem-group-commit-{}.db",
            uuid::Uuid::now_v7().simple()
        ));
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", WAL_CHECKPOINT_FRAMES.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .expect("pool");
        sqlx::raw_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, k BLOB, body BLOB); CREATE INDEX t_k ON t (k);")
            .execute(&pool)
            .await
            .expect("schema");
        let group = GroupCommit::with_plan(pool.clone(), path.clone(), Handle::current(), plan)
            .expect("group commit");
        let insert = "INSERT INTO t (k, body) VALUES (randomblob(16), randomblob(2000))";
        let mut tasks = Vec::new();
        for _ in 0..4 {
            let group = group.clone();
            tasks.push(tokio::spawn(async move {
                for _ in 0..1_400 {
                    group
                        .write(move |c| Ok(c.execute(insert, [])?))
                        .await
                        .expect("in-place write");
                }
            }));
        }
        let sqlx_member = group.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..400 {
                let mut m = sqlx_member.begin().await.expect("member");
                sqlx::query(insert).execute(&mut *m).await.expect("insert");
                m.commit().await.expect("commit");
            }
        }));
        for t in tasks {
            t.await.expect("writer task");
        }
        let size = std::fs::metadata(&group.wal.file).expect("WAL file").len();
        let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM t")
            .fetch_one(&pool)
            .await
            .expect("count");
        assert_eq!(rows, 4 * 1_400 + 400, "every acknowledged row is there");
        let (check,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .expect("integrity check");
        assert_eq!(check, "ok");
        group.close().await;
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
        size
    }

    /// The rows need at least 3,000 pages of 4 KiB. Without checkpoints the
    /// WAL holds every one of them; with laps of 300 frames the writers
    /// start it over again and again while they keep writing. (Passive
    /// passes without laps start it over only when the writers happen to
    /// pause, as they do on a loaded machine, so the baseline has none.)
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn laps_start_the_wal_over_while_writers_keep_writing() {
        let laps = CheckpointPlan {
            cycle: Duration::from_millis(5),
            lap_frames: 300,
            final_gap: 50,
            max_passes: 8,
        };
        let no_checkpoints = CheckpointPlan {
            cycle: Duration::from_secs(3600),
            lap_frames: i64::MAX,
            ..laps
        };
        let frames = |bytes: u64| bytes / (4096 + 24);
        let without = frames(wal_size_after_writes(no_checkpoints).await);
        let with = frames(wal_size_after_writes(laps).await);
        assert!(
            without >= 3_000,
            "without checkpoints the WAL holds {without} frames"
        );
        assert!(
            with * 3 < without,
            "with laps the WAL grew to {with} frames, without checkpoints to {without}"
        );
    }

    /// A member dropped where its rollback cannot run (no runtime: a
    /// process whose runtime is shutting down drops that task the same
    /// way) leaves its savepoint open in the group; what it wrote must not
    /// be committed with the group's next commit, while a member released
    /// before it in the same group is.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_abandoned_member_is_rolled_back_not_committed_with_its_group() {
        let path = std::env::temp_dir().join(format!(
            "tandem-group-commit-{}.db",
            uuid::Uuid::now_v7().simple()
        ));
        let opts = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(opts)
            .await
            .expect("pool");
        sqlx::raw_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, what TEXT NOT NULL)")
            .execute(&pool)
            .await
            .expect("schema");
        let group = GroupCommit::with_plan(
            pool.clone(),
            path.clone(),
            Handle::current(),
            CheckpointPlan::DESK,
        )
        .expect("group commit");

        // Held open by a queued member, so the released one waits in it.
        let mut kept = group.begin().await.expect("member");
        sqlx::query("INSERT INTO t (what) VALUES ('kept')")
            .execute(&mut *kept)
            .await
            .expect("insert");
        let committing = tokio::spawn(kept.commit());
        let mut dropped = group.begin().await.expect("member");
        sqlx::query("INSERT INTO t (what) VALUES ('dropped')")
            .execute(&mut *dropped)
            .await
            .expect("insert");
        std::thread::spawn(move || drop(dropped))
            .join()
            .expect("dropped outside the runtime");

        group.close().await;
        committing
            .await
            .expect("task")
            .expect("the released member is committed");
        let rows: Vec<(String,)> = sqlx::query_as("SELECT what FROM t ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("rows");
        assert_eq!(rows, vec![("kept".to_owned(),)]);
        pool.close().await;
        for suffix in ["", "-wal", "-shm"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}
