//! Files attached to tickets and comments.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db};
use tandem_domain::{OrgId, TicketId, UserId};

/// An attachment's record, without its bytes.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Attachment {
    /// Its id (also its download address).
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// The ticket's client.
    pub client_id: String,
    /// The timeline entry that announced it.
    pub event_id: Option<i64>,
    /// `public` or `team`.
    pub visibility: String,
    /// The name it was uploaded with (shown, never used as a path).
    pub filename: String,
    /// The type the uploader declared.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When (epoch ms).
    pub created_at: i64,
}

/// Store an attachment.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    id: &str,
    ticket: TicketId,
    client: OrgId,
    event_id: i64,
    visibility: &str,
    filename: &str,
    content_type: &str,
    content: &[u8],
    by: UserId,
    now: i64,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO attachments (id, ticket_id, client_id, event_id, visibility, filename, content_type, size, content, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(id).bind(ticket.to_string()).bind(client.to_string()).bind(event_id).bind(visibility)
        .bind(filename).bind(content_type).bind(content.len() as i64).bind(content).bind(by.to_string()).bind(now)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

const COLS: &str = "id, ticket_id, client_id, event_id, visibility, filename, content_type, size, uploaded_by, created_at";

/// A ticket's attachments; `public_only` for requesters. The caller has
/// checked that the actor may see the ticket.
pub async fn list_for_ticket(
    db: &Db,
    ticket: TicketId,
    public_only: bool,
) -> Result<Vec<Attachment>> {
    let sql = format!(
        "SELECT {COLS} FROM attachments WHERE ticket_id = $1 AND ($2 = 0 OR visibility = 'public') ORDER BY created_at"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Attachment>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(ticket.to_string()).bind(i64::from(public_only)).fetch_all(c).await)?,
    )
}

/// One attachment's record (the caller checks the ticket's visibility).
pub async fn find(db: &Db, id: &str) -> Result<Attachment> {
    let sql = format!("SELECT {COLS} FROM attachments WHERE id = $1");
    on_db!(db, c => sqlx::query_as::<_, Attachment>(sqlx::AssertSqlSafe(sql.as_str())).bind(id).fetch_optional(c).await)?
        .ok_or(StoreError::NotFound)
}

/// One attachment's bytes.
pub async fn content(db: &Db, id: &str) -> Result<Vec<u8>> {
    on_db!(db, c => sqlx::query_scalar::<_, Vec<u8>>("SELECT content FROM attachments WHERE id = $1").bind(id).fetch_optional(c).await)?
        .ok_or(StoreError::NotFound)
}
