//! Bulk loading (benchmark data sets, imports): many tickets and timeline
//! entries per statement and many statements per transaction, instead of
//! one round trip and one commit per row. On SQLite the search rows of what
//! was loaded follow in the same transaction; PostgreSQL's generated
//! `tsvector` columns fill themselves.

use crate::tickets::{self, COLS, Event, Ticket, bind_all};
use crate::{Backend, Db, Result, StoreError, exec_tx};
use tandem_domain::OrgId;

/// Columns of a ticket row.
const TICKET_COLS: usize = 37;
/// Columns of a timeline row (without its generated id).
const EVENT_COLS: usize = 10;
/// Rows per statement: 500 x 37 and 3,000 x 10 placeholders stay below
/// SQLite's 32,766 and PostgreSQL's 65,535.
const TICKETS_PER_STATEMENT: usize = 500;
const EVENTS_PER_STATEMENT: usize = 3_000;

/// `INSERT INTO table (cols) VALUES ($1, ..), (..), ..` for `rows` rows;
/// with `numbered` false the placeholders are plain `?`. SQLite needs the
/// latter here: it looks a `$N` parameter's name up by walking a list of
/// all of them, so binding tens of thousands of `$N` costs quadratic time
/// (about a second per statement), while `?` binds by position.
pub(crate) fn values_sql(
    table: &str,
    cols: &str,
    width: usize,
    rows: usize,
    numbered: bool,
) -> String {
    let mut sql = format!("INSERT INTO {table} ({cols}) VALUES ");
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            n += 1;
            if c > 0 {
                sql.push_str(", ");
            }
            if numbered {
                sql.push('$');
                sql.push_str(&n.to_string());
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

/// Insert tickets and timeline entries (whose tickets are in `tickets` or
/// already stored) in one transaction. Ticket numbers must be free; see
/// [`set_next_ticket_number`] for what the client's counter says next.
pub async fn insert_tickets(db: &Db, tickets: &[Ticket], events: &[Event]) -> Result<()> {
    let numbered = db.backend() == Backend::Postgres;
    let mut tx = db.begin().await?;
    let marks = tickets::search_marks(&mut tx).await?;
    for chunk in tickets.chunks(TICKETS_PER_STATEMENT) {
        let sql = values_sql("tickets", COLS, TICKET_COLS, chunk.len(), numbered);
        exec_tx!(&mut tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for t in chunk {
                q = bind_all(q.bind(t.id.to_string()), t, t.version);
            }
            q.execute(c).await
        })
        .map_err(StoreError::from_write)?;
    }
    for chunk in events.chunks(EVENTS_PER_STATEMENT) {
        let sql = values_sql(
            "ticket_events",
            "ticket_id, client_id, at, actor_user_id, actor_label, actor_side, kind, visibility, body, data",
            EVENT_COLS,
            chunk.len(),
            numbered,
        );
        exec_tx!(&mut tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for e in chunk {
                q = q
                    .bind(e.ticket_id.clone())
                    .bind(e.client_id.clone())
                    .bind(e.at)
                    .bind(e.actor_user_id.clone())
                    .bind(e.actor_label.clone())
                    .bind(e.actor_side.clone())
                    .bind(e.kind.clone())
                    .bind(e.visibility.clone())
                    .bind(e.body.clone())
                    .bind(e.data.clone());
            }
            q.execute(c).await
        })
        .map_err(StoreError::from_write)?;
    }
    if let Some(marks) = marks {
        tickets::index_since(&mut tx, marks).await?;
    }
    tx.commit().await
}

/// Set the number a client's next ticket takes (after a bulk load).
pub async fn set_next_ticket_number(db: &Db, client: OrgId, next: i64) -> Result<()> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, c => sqlx::query("UPDATE organizations SET next_ticket_number = $2 WHERE id = $1")
        .bind(client.to_string()).bind(next).execute(c).await)?;
    tx.commit().await
}

/// Refresh the query planner's statistics after a bulk load, as
/// PostgreSQL's autovacuum (or SQLite's `PRAGMA optimize`) would in time.
pub async fn analyze(db: &Db) -> Result<()> {
    let mut tx = db.begin().await?;
    exec_tx!(&mut tx, c => sqlx::query("ANALYZE").execute(c).await)?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::values_sql;

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(
            values_sql("t", "a, b", 2, 2, true),
            "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
        );
        assert_eq!(
            values_sql("t", "a", 1, 2, false),
            "INSERT INTO t (a) VALUES (?), (?)"
        );
    }
}
