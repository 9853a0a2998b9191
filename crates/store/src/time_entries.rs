//! Time logged on tickets, by either side.

use crate::{Db, Result, StoreError, Tx, direct, exec_tx, on_db, on_tx};
use tandem_domain::{OrgId, TicketId};

/// A time entry as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TimeEntry {
    /// Its id.
    pub id: String,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The ticket.
    pub ticket_id: String,
    /// Who worked.
    pub user_id: String,
    /// Their name (read with the entry; not stored).
    #[sqlx(default)]
    pub user_name: String,
    /// `provider` or `in_house`.
    pub side: String,
    /// Their role when they logged it.
    pub role: String,
    /// When the work started (epoch ms).
    pub started_at: i64,
    /// How long; negative only in a correction.
    pub minutes: i64,
    /// The work category.
    pub category_key: String,
    /// Its name when logged.
    pub category_name: String,
    /// In scope by the split when logged.
    pub in_scope: bool,
    /// Outside the client's business hours when it started.
    pub after_hours: bool,
    /// What was done.
    pub note: String,
    /// The invoice it is on, once issued (then it is locked).
    pub invoice_id: Option<String>,
    /// The entry it corrects.
    pub corrects: Option<String>,
    /// Logged (epoch ms).
    pub created_at: i64,
}

impl TimeEntry {
    /// The entry whose columns (as [`COLS`] lists them) make up a row of
    /// an in-place read.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            client_id: direct::parsed(r, 1)?,
            ticket_id: r.get(2)?,
            user_id: r.get(3)?,
            user_name: r.get(4)?,
            side: r.get(5)?,
            role: r.get(6)?,
            started_at: r.get(7)?,
            minutes: r.get(8)?,
            category_key: r.get(9)?,
            category_name: r.get(10)?,
            in_scope: r.get(11)?,
            after_hours: r.get(12)?,
            note: r.get(13)?,
            invoice_id: r.get(14)?,
            corrects: r.get(15)?,
            created_at: r.get(16)?,
        })
    }
}

const COLS: &str = "e.id, e.client_id, e.ticket_id, e.user_id, u.name AS user_name, e.side, e.role, e.started_at, \
     e.minutes, e.category_key, e.category_name, e.in_scope, e.after_hours, e.note, e.invoice_id, e.corrects, e.created_at";

/// What the invoice run reads of an entry: [`COLS`]'s positions, with
/// the ticket, the person and the note left empty (a month of a busy
/// client is thousands of rows, and notes run long).
const BILLING_COLS: &str = "e.id, e.client_id, '' AS ticket_id, '' AS user_id, '' AS user_name, e.side, e.role, \
     e.started_at, e.minutes, e.category_key, e.category_name, e.in_scope, e.after_hours, '' AS note, e.invoice_id, \
     e.corrects, e.created_at";

/// Store an entry.
pub async fn insert(tx: &mut Tx, e: &TimeEntry) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO time_entries (id, client_id, ticket_id, user_id, side, role, started_at, minutes, category_key, \
         category_name, in_scope, after_hours, note, invoice_id, corrects, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)")
        .bind(&e.id).bind(e.client_id.to_string()).bind(&e.ticket_id).bind(&e.user_id).bind(&e.side)
        .bind(&e.role).bind(e.started_at).bind(e.minutes).bind(&e.category_key).bind(&e.category_name)
        .bind(e.in_scope).bind(e.after_hours).bind(&e.note).bind(&e.invoice_id).bind(&e.corrects)
        .bind(e.created_at)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A ticket's entries, oldest first. The caller has checked that the
/// reader may see the ticket.
pub async fn for_ticket(db: &Db, ticket: TicketId) -> Result<Vec<TimeEntry>> {
    let sql = format!(
        "SELECT {COLS} FROM time_entries e JOIN users u ON u.id = e.user_id WHERE e.ticket_id = $1 ORDER BY e.started_at, e.id"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, TimeEntry>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(ticket.to_string()).fetch_all(c).await)?,
    )
}

/// A client's entries that started in `[from, to)` (epoch ms), oldest
/// first. The caller has checked that the reader may see the client.
/// Read in place on SQLite: a month of a busy client is thousands of rows,
/// and the invoice run reads one per agreement.
pub async fn for_client(db: &Db, client: OrgId, from: i64, to: i64) -> Result<Vec<TimeEntry>> {
    let sql = format!(
        "SELECT {COLS} FROM time_entries e JOIN users u ON u.id = e.user_id \
         WHERE e.client_id = $1 AND e.started_at >= $2 AND e.started_at < $3 ORDER BY e.started_at, e.id"
    );
    db.rows(
        &sql,
        &[client.to_string().into(), from.into(), to.into()],
        TimeEntry::from_direct,
    )
    .await
}

/// [`for_client`] as the invoice run reads it ([`BILLING_COLS`]): entries
/// not yet on an issued invoice.
pub async fn for_billing(db: &Db, client: OrgId, from: i64, to: i64) -> Result<Vec<TimeEntry>> {
    let sql = format!(
        "SELECT {BILLING_COLS} FROM time_entries e \
         WHERE e.client_id = $1 AND e.started_at >= $2 AND e.started_at < $3 AND e.invoice_id IS NULL"
    );
    db.rows(
        &sql,
        &[client.to_string().into(), from.into(), to.into()],
        TimeEntry::from_direct,
    )
    .await
}

/// A client's provider entries that started in `[from, to)` and are on
/// no issued invoice: what a run sweeps up from before its month (read as
/// [`for_billing`] reads).
pub async fn unbilled_between(
    db: &Db,
    client: OrgId,
    from: i64,
    to: i64,
) -> Result<Vec<TimeEntry>> {
    let sql = format!(
        "SELECT {BILLING_COLS} FROM time_entries e \
         WHERE e.client_id = $1 AND e.invoice_id IS NULL AND e.side = 'provider' \
         AND e.started_at >= $2 AND e.started_at < $3"
    );
    db.rows(
        &sql,
        &[client.to_string().into(), from.into(), to.into()],
        TimeEntry::from_direct,
    )
    .await
}

/// One entry of a client, inside a write (a correction reads what it
/// corrects) with the minutes already corrected.
pub async fn get_tx(tx: &mut Tx, client: OrgId, id: &str) -> Result<(TimeEntry, i64)> {
    let sql = format!(
        "SELECT {COLS} FROM time_entries e JOIN users u ON u.id = e.user_id WHERE e.id = $1 AND e.client_id = $2"
    );
    let entry = on_tx!(tx, c => sqlx::query_as::<_, TimeEntry>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id).bind(client.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)?;
    let corrected: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM time_entries WHERE corrects = $1")
        .bind(id).fetch_one(c).await)?;
    Ok((entry, corrected))
}
