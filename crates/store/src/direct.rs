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
use std::time::Duration;

/// How many idle read connections are kept for reuse.
const KEEP_IDLE: usize = 16;
/// Page cache of each read connection, in KiB.
const READER_CACHE_KIB: i64 = 16 * 1024;

/// Read-only connections to one SQLite file, opened on demand and reused.
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
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
        }
    }

    /// Run `read` on a read-only connection (one read transaction per
    /// statement, as with the sqlx readers).
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T> {
        let reused = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
        let conn = match reused {
            Some(c) => c,
            None => self.open()?,
        };
        let out = read(&conn);
        // A connection still inside a transaction would hold on to an old
        // snapshot: it is closed instead of kept.
        if conn.is_autocommit()
            && let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEEP_IDLE
        {
            idle.push(conn);
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
}
