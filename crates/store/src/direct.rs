//! SQLite on the caller's thread, for the hottest paths.
//!
//! sqlx's SQLite driver runs each connection on a thread of its own: every
//! statement is sent there and every row sent back, each value copied on
//! the way. For a 50-row queue page that is most of the cost (the same
//! query: 1.35 ms through the driver, 0.51 ms in place). The reads every
//! request makes (a token's or session's holder) and the pages people wait
//! for (queues, search) therefore run here, with rusqlite over the same
//! libsqlite3, on read-only connections of their own; all other SQL keeps
//! the one sqlx code path both backends share.
//!
//! Statements use the shared dialect's `$1`, `$2`... placeholders; SQLite
//! numbers such parameters in order of first appearance, so they are bound
//! here by name, never by position.

use crate::{Arg, Result};
use rusqlite::types::{ToSqlOutput, Type};
use rusqlite::{Connection, OpenFlags, Row, ToSql};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// How many idle read connections are kept for reuse.
const KEEP_IDLE: usize = 16;
/// Page cache of each read connection, in KiB.
const READER_CACHE_KIB: i64 = 16 * 1024;
/// How much of the database file each read connection maps into memory
/// (all of it, up to the build's cap in `.cargo/config.toml`).
const READER_MMAP_BYTES: i64 = 1 << 40;

/// Read-only connections to one SQLite file, opened on demand and reused.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Idle>>,
    /// Moved on by [`Readers::changes`] whenever a connection finds the
    /// database changed since that connection last looked.
    changes: AtomicU64,
}

/// A connection kept for reuse, with the `data_version` it last reported
/// (none until [`Readers::changes`] asks it).
struct Idle {
    conn: Connection,
    seen: Option<i64>,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
            changes: AtomicU64::new(0),
        }
    }

    /// Run `read` on a read-only connection (one read transaction per
    /// statement, as with the sqlx readers).
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        self.with_idle(|i| read(&i.conn))
    }

    /// A number that moves on whenever something was committed to the
    /// database, by any connection of any process (SQLite's
    /// `data_version`, which each connection reports for itself): if two
    /// calls return the same number, nothing was committed between them.
    /// Asked before a read, it dates what the read returns.
    ///
    /// Why that holds: the first call on a connection after a commit finds
    /// that connection's `data_version` moved (as does the first call on a
    /// new connection) and moves the number on. The later of two calls
    /// with a commit between them is that first call for its connection,
    /// or comes after it, so it returns a larger number than the earlier.
    pub(crate) fn changes(&self) -> Result<u64> {
        self.with_idle(|i| {
            let version: i64 = i.conn.query_row("PRAGMA data_version", [], |r| r.get(0))?;
            if i.seen != Some(version) {
                i.seen = Some(version);
                self.changes.fetch_add(1, Ordering::SeqCst);
            }
            Ok(self.changes.load(Ordering::SeqCst))
        })
    }

    /// Run `work` on an idle connection (opened if none is), then keep it.
    fn with_idle<T>(&self, work: impl FnOnce(&mut Idle) -> rusqlite::Result<T>) -> Result<T> {
        let reused = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
        let mut idle = match reused {
            Some(i) => i,
            None => Idle {
                conn: self.open()?,
                seen: None,
            },
        };
        let out = work(&mut idle);
        // A connection still inside a transaction would hold on to an old
        // snapshot: it is closed instead of kept.
        if idle.conn.is_autocommit()
            && let Ok(mut kept) = self.idle.lock()
            && kept.len() < KEEP_IDLE
        {
            kept.push(idle);
        }
        Ok(out?)
    }

    /// Run several statements in one read transaction: they see one
    /// snapshot, and SQLite takes its read locks once instead of per
    /// statement.
    pub(crate) fn read_snapshot<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        self.read(|c| {
            c.execute_batch("BEGIN")?;
            let out = read(c);
            // Nothing was written: ending the transaction either way only
            // lets the snapshot go.
            if c.execute_batch("COMMIT").is_err() {
                let _ = c.execute_batch("ROLLBACK");
            }
            out
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        // Reads run on the runtime's threads, so only about as many of
        // these connections are busy at once as there are cores; each gets
        // more page cache than SQLite's default 2 MiB, with which 11% of the
        // server's CPU in the queue profile went to pread(2) of index and
        // ticket pages that had fallen out of it.
        conn.pragma_update(None, "cache_size", -READER_CACHE_KIB)?;
        // In WAL mode a read transaction that finds the database changed
        // since its connection's last one drops that connection's whole
        // page cache, so while tickets are being opened nearly every read
        // starts cold: 11% of the runtime threads' CPU went to pread(2)
        // and copying pages back in (token, client and desk lookups of a
        // create). Mapped, a page not in the WAL is read where it lies.
        // (SQLite writes through the WAL, never through the map.)
        conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
        // Enough for the statements of every hot read at once.
        conn.set_prepared_statement_cache_capacity(64);
        Ok(conn)
    }

    /// Close the idle connections (at shutdown).
    pub(crate) fn close(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.clear();
        }
    }
}

/// Run a (cached) statement with `args[n - 1]` bound to `$n`, mapping each
/// row with `each`.
pub(crate) fn query<T>(
    c: &Connection,
    sql: &str,
    args: &[impl ToSql],
    mut each: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut stmt = c.prepare_cached(sql)?;
    bind_numbered(&mut stmt, args)?;
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(each(row)?);
    }
    Ok(out)
}

/// Run a (cached) statement that returns no rows, with `args[n - 1]` bound
/// to `$n`; the number of rows it changed.
pub(crate) fn execute(c: &Connection, sql: &str, args: &[impl ToSql]) -> rusqlite::Result<usize> {
    let mut stmt = c.prepare_cached(sql)?;
    bind_numbered(&mut stmt, args)?;
    stmt.raw_execute()
}

fn bind_numbered(
    stmt: &mut rusqlite::CachedStatement<'_>,
    args: &[impl ToSql],
) -> rusqlite::Result<()> {
    for i in 1..=stmt.parameter_count() {
        let n = stmt
            .parameter_name(i)
            .and_then(|name| name.strip_prefix('$'))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| (1..=args.len()).contains(n))
            .ok_or(rusqlite::Error::InvalidParameterCount(i, args.len()))?;
        stmt.raw_bind_parameter(i, &args[n - 1])?;
    }
    Ok(())
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Arg::Text(s) => ToSqlOutput::from(s.as_str()),
            Arg::Int(i) => ToSqlOutput::from(*i),
        })
    }
}

/// Column `i` parsed into a domain type stored as text (ids, roles).
pub(crate) fn parsed<T>(row: &Row<'_>, i: usize) -> rusqlite::Result<T>
where
    T: TryFrom<String>,
    T::Error: std::fmt::Display,
{
    let text: String = row.get(i)?;
    T::try_from(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(i, Type::Text, e.to_string().into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbers() -> Connection {
        let c = Connection::open_in_memory().expect("memory database");
        c.execute_batch("CREATE TABLE n (k TEXT, v INTEGER); INSERT INTO n VALUES ('a', 1), ('b', 2), ('c', 3);")
            .expect("schema");
        c
    }

    #[test]
    fn parameters_bind_by_their_number_not_by_position() {
        let c = numbers();
        // SQLite numbers `$2` as parameter 1 here: binding by position would
        // compare k with 3 and v with 'c' and find nothing.
        let rows = query(
            &c,
            "SELECT k FROM n WHERE v < $2 AND k <> $1 ORDER BY k",
            &[Arg::from("a"), Arg::from(3)],
            |r| r.get::<_, String>(0),
        )
        .expect("query");
        assert_eq!(rows, vec!["b".to_owned()]);
    }

    #[test]
    fn a_parameter_without_a_value_is_an_error_not_a_null() {
        let c = numbers();
        let e = query(&c, "SELECT k FROM n WHERE v = $2", &[Arg::from(1)], |r| {
            r.get::<_, String>(0)
        })
        .expect_err("$2 has no value");
        assert!(
            matches!(e, rusqlite::Error::InvalidParameterCount(1, 1)),
            "{e:?}"
        );
    }

    #[test]
    fn text_that_is_not_an_id_is_a_conversion_error() {
        let c = numbers();
        let e = query(&c, "SELECT k FROM n WHERE v = $1", &[Arg::from(1)], |r| {
            parsed::<tandem_domain::TicketId>(r, 0)
        })
        .expect_err("'a' is not a ticket id");
        assert!(
            matches!(
                e,
                rusqlite::Error::FromSqlConversionFailure(0, Type::Text, _)
            ),
            "{e:?}"
        );
    }

    /// A WAL database file of its own, with a table, and a writer on it.
    fn on_disk(name: &str) -> (PathBuf, Connection) {
        let path =
            std::env::temp_dir().join(format!("tandem-direct-{name}-{}.db", std::process::id()));
        for end in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{end}", path.display()));
        }
        let w = Connection::open(&path).expect("database file");
        w.execute_batch("PRAGMA journal_mode = WAL; CREATE TABLE n (v INTEGER);")
            .expect("schema");
        (path, w)
    }

    #[test]
    fn the_change_number_moves_on_every_commit_whichever_reader_asks() {
        let (path, w) = on_disk("changes");
        let readers = Readers::new(path.clone());
        // Two connections taken at once, so that both are kept idle and
        // later calls reach each of them.
        let first = readers.changes().expect("changes");
        let inner = readers.read(|_| Ok(readers.changes())).expect("read");
        let both = inner.expect("changes");
        assert_eq!(
            readers.changes().expect("changes"),
            readers.changes().expect("changes")
        );
        let quiet = readers.changes().expect("changes");
        assert!(both >= first && quiet >= both);
        for round in 0..4 {
            let before = readers.changes().expect("changes");
            w.execute("INSERT INTO n VALUES (?1)", [round])
                .expect("commit");
            // Ask on each kept connection in turn: whichever answers first
            // after the commit, it reports a new number.
            let after = readers.changes().expect("changes");
            assert!(after > before, "round {round}: {after} after {before}");
            let again = readers
                .read(|_| Ok(readers.changes()))
                .expect("read")
                .expect("changes");
            assert!(again >= after);
            assert_eq!(
                readers.changes().expect("changes"),
                readers.changes().expect("changes")
            );
        }
        drop(readers);
        for end in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{end}", path.display()));
        }
    }

    #[test]
    fn readers_map_the_whole_file_past_the_bundled_two_gib_cap() {
        let (path, _w) = on_disk("mmap");
        let readers = Readers::new(path.clone());
        let mapped: i64 = readers
            .read(|c| c.query_row("PRAGMA mmap_size", [], |r| r.get(0)))
            .expect("mmap_size");
        assert_eq!(
            mapped, READER_MMAP_BYTES,
            "is SQLITE_MAX_MMAP_SIZE set in .cargo/config.toml?"
        );
        drop(readers);
        for end in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{end}", path.display()));
        }
    }
}
