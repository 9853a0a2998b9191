//! Persistence for Tandem over SQLite or PostgreSQL from one code base.
//!
//! [`Db`] holds the pools; [`Tx`] is a write transaction owned by the service
//! layer. Each module covers one aggregate and takes the caller's scope
//! where the data belongs to a tenant. SQL is written once in the dialect
//! both backends share (`$1` placeholders, `RETURNING`, `ON CONFLICT`); the
//! [`on_db!`] and [`on_tx!`] macros expand a query for each backend.

pub mod agreements;
pub mod alert_sweeps;
pub mod alerts;
pub mod asset_bulk;
pub mod assets;
pub mod attachments;
pub mod audit;
pub mod blocks;
pub mod bulk;
pub mod calendars;
pub mod dashboard;
pub mod demo_seed;
pub mod devices;
mod direct;
pub mod documents;
pub mod duty;
pub mod engagements;
mod group_commit;
pub mod idempotency;
pub mod invoices;
pub mod jobs;
pub mod login_failures;
pub mod maintenance;
pub mod orgs;
pub mod sessions;
pub mod split;
pub mod ticket_links;
pub mod tickets;
pub mod time_entries;
pub mod tokens;
pub mod users;
pub mod vault;
pub mod webhooks;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

/// Errors of the store. Database text never leaves the process: the web
/// edge maps these to problems without the message.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist or is outside the caller's scope.
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (e.g. an e-mail already in use).
    #[error("conflict")]
    Conflict,
    /// The database URL is not one we serve.
    #[error("unsupported database url {0:?}: use sqlite://PATH or postgres://...")]
    UnsupportedUrl(String),
    /// Anything the database reported.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Anything SQLite reported on an in-thread read ([`direct`]).
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The group of transactions this one was committed with failed as a
    /// whole (SQLite group commit); nothing of it was kept.
    #[error("commit: {0}")]
    Commit(std::sync::Arc<StoreError>),
    /// The write-ahead log could not be synced after a group commit.
    #[error("sync: {0}")]
    Sync(std::io::Error),
    /// The SQLite writer's threads could not be started.
    #[error("writer thread: {0}")]
    Thread(std::io::Error),
    /// A migration failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Map a unique-constraint violation to [`StoreError::Conflict`].
    pub(crate) fn from_write(e: sqlx::Error) -> Self {
        match e.as_database_error() {
            Some(d) if d.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(e),
        }
    }
}

/// Result of a store call.
pub type Result<T> = std::result::Result<T, StoreError>;

/// The database: SQLite (the embedded default) or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    /// SQLite with one writer connection and a pool of readers, so that
    /// writers queue in the process instead of fighting over the file lock.
    Sqlite {
        /// The single writer (a pool of one connection, used through
        /// `group` for transactions and directly for maintenance).
        write: SqlitePool,
        /// Write transactions, committed in groups.
        group: std::sync::Arc<group_commit::GroupCommit>,
        /// Readers; WAL lets them run beside the writer.
        read: SqlitePool,
        /// In-thread readers for the hottest reads.
        direct: std::sync::Arc<direct::Readers>,
    },
    /// PostgreSQL; several Tandem processes may share one database.
    Postgres(PgPool),
}

/// Which backend a [`Db`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A write transaction. Dropping it without [`Tx::commit`] rolls back.
pub enum Tx {
    /// On SQLite: a member of the writer's current commit group.
    Sqlite(group_commit::Member),
    /// On PostgreSQL.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Run `$body` with `$c` bound to the read pool of either backend; the body
/// is compiled once per backend.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite { read: $c, .. } => $body,
            $crate::Db::Postgres($c) => $body,
        }
    };
}

/// Run `$body` with `$c` bound to the connection of a transaction.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

impl Db {
    /// Connect to `url` (`sqlite://PATH` or `postgres://...`). SQLite files
    /// are created when missing.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_sized(url, 16).await
    }

    /// [`Db::connect`] holding at most `pg_connections` connections to
    /// PostgreSQL: tests that run hundreds of apps side by side keep each
    /// one small, within the server's limit on connections.
    pub async fn connect_sized(url: &str, pg_connections: u32) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: the WAL is synced at every commit, so a 2xx answer
                // survives a power cut, not only a process crash (NORMAL
                // would only promise the latter).
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma(
                    "wal_autocheckpoint",
                    group_commit::WAL_CHECKPOINT_FRAMES.to_string(),
                );
            let path = opts.get_filename().to_owned();
            let direct = std::sync::Arc::new(direct::Readers::new(path.clone()));
            let write = SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(opts.clone())
                .await?;
            let read = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(opts.read_only(true))
                .await?;
            // `connect` runs on the runtime: the writer's thread commits
            // sqlx's groups and starts checkpoints there.
            let runtime = tokio::runtime::Handle::current();
            let group = group_commit::GroupCommit::new(write.clone(), path, runtime)?;
            Ok(Db::Sqlite {
                write,
                read,
                group,
                direct,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(pg_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(url.to_owned()))
        }
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Bring the schema up to date (run at start-up and by `tandem migrate`).
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite { write, .. } => sqlx::migrate!("./migrations/sqlite").run(write).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Start a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match self {
            Db::Sqlite { group, .. } => Tx::Sqlite(group.begin().await?),
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// A cheap round trip, for `/readyz`.
    pub async fn ping(&self) -> Result<()> {
        on_db!(self, c => sqlx::query("SELECT 1").execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Copy a live SQLite database into `path` as one consistent snapshot
    /// (`VACUUM INTO` reads inside a single transaction, so writers carry on).
    pub async fn backup_sqlite_to(&self, path: &str) -> Result<()> {
        match self {
            Db::Sqlite { write, .. } => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(write)
                    .await?;
                Ok(())
            }
            Db::Postgres(_) => Err(StoreError::UnsupportedUrl("postgres".into())),
        }
    }

    /// Close all connections (at shutdown, so the WAL is checkpointed).
    pub async fn close(&self) {
        match self {
            Db::Sqlite {
                write,
                read,
                direct,
                group,
            } => {
                group.close().await;
                direct.close();
                read.close().await;
                write.close().await;
            }
            Db::Postgres(p) => p.close().await,
        }
    }
}

/// Check a SQLite file with `PRAGMA integrity_check`; true when it says `ok`.
pub async fn sqlite_file_is_sound(path: &str) -> Result<bool> {
    let opts = SqliteConnectOptions::new().filename(path).read_only(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&pool)
        .await?;
    pool.close().await;
    Ok(verdict == "ok")
}

impl Tx {
    /// Commit; only after this may the caller answer 2xx.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A value bound to a query assembled at run time, or read through
/// [`Db::rows`].
#[derive(Clone, Debug)]
pub enum Arg {
    /// Text.
    Text(String),
    /// Integer.
    Int(i64),
}

impl From<String> for Arg {
    fn from(s: String) -> Self {
        Arg::Text(s)
    }
}

impl From<&str> for Arg {
    fn from(s: &str) -> Self {
        Arg::Text(s.to_owned())
    }
}

impl From<i64> for Arg {
    fn from(i: i64) -> Self {
        Arg::Int(i)
    }
}

impl Db {
    /// The rows of a read: in place on SQLite, each row mapped by
    /// `from_direct` ([`direct`]); through sqlx and `T`'s `FromRow` on
    /// PostgreSQL. `args[n - 1]` is bound to `$n`.
    pub(crate) async fn rows<T>(
        &self,
        sql: &str,
        args: &[Arg],
        from_direct: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        match self {
            Db::Sqlite { direct, .. } => direct.read(|c| direct::query(c, sql, args, from_direct)),
            Db::Postgres(p) => {
                let mut q = sqlx::query_as::<_, T>(sqlx::AssertSqlSafe(sql));
                for a in args {
                    q = match a {
                        Arg::Text(s) => q.bind(s.clone()),
                        Arg::Int(i) => q.bind(*i),
                    };
                }
                Ok(q.fetch_all(p).await?)
            }
        }
    }

    /// A number that moves on after every commit to the database, by any
    /// connection of any process, for keeping what a read returned until
    /// the data changes: equal numbers from two calls mean nothing was
    /// committed between them, and a read made after a call is at least as
    /// new as that call's number. SQLite only; None on PostgreSQL, where
    /// other processes may write without this one seeing it cheaply.
    pub async fn changes(&self) -> Result<Option<u64>> {
        match self {
            Db::Sqlite { direct, .. } => direct.changes().map(Some),
            Db::Postgres(_) => Ok(None),
        }
    }

    /// [`Db::rows`] for a read of at most one row.
    pub(crate) async fn row<T>(
        &self,
        sql: &str,
        args: &[Arg],
        from_direct: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        Ok(self.rows(sql, args, from_direct).await?.into_iter().next())
    }
}

/// Run a statement in a transaction and give the number of rows it touched.
#[macro_export]
macro_rules! exec_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body.map(|r| r.rows_affected())
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body.map(|r| r.rows_affected())
            }
        }
    };
}

/// The SQL predicate (on a column the caller names with its table, e.g.
/// `users.org_id`) that keeps a row's organization within a scope: the
/// actor's own organization, or a client of an active engagement the actor
/// is assigned to. `$U` is the actor's user id and `$O` their organization
/// id, substituted by position. The engagement is looked up for the row's
/// organization (two index probes) rather than listing every client the
/// actor works: an engineer engaged with 200 clients made each scoped
/// lookup build a 200-row table first.
#[macro_export]
macro_rules! scope_filter {
    ($col:literal, $u:literal, $o:literal) => {
        concat!(
            "(", $col, " = ", $o, " OR EXISTS (SELECT 1 FROM engagements e JOIN engagement_engineers a ON a.engagement_id = e.id \
             WHERE e.client_id = ", $col, " AND e.provider_id = ", $o, " AND e.status = 'active' AND a.user_id = ", $u, "))"
        )
    };
}

/// The clients of active engagements the actor (`$1`, of organization
/// `$2`) is assigned to, as a subquery: the engagement part of the ticket
/// visibility rule (`tickets::VISIBLE`), which the dashboards' counts
/// ([`dashboard`]) apply as a list of clients.
#[macro_export]
macro_rules! engaged_clients {
    () => {
        "SELECT e.client_id FROM engagements e JOIN engagement_engineers a \
         ON a.engagement_id = e.id WHERE a.user_id = $1 AND e.provider_id = $2 AND e.status = 'active'"
    };
}
