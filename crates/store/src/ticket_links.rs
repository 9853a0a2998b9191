//! Links between tickets of one client, and removing watchers.

use crate::{Db, Result, Tx, exec_tx, on_db};
use tandem_domain::{TicketId, UserId};

/// Link two tickets both ways (idempotent).
pub async fn link(tx: &mut Tx, a: TicketId, b: TicketId) -> Result<()> {
    for (x, y) in [(a, b), (b, a)] {
        exec_tx!(tx, c => sqlx::query("INSERT INTO ticket_links (ticket_id, linked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(x.to_string()).bind(y.to_string()).execute(c).await)?;
    }
    Ok(())
}

/// The tickets linked to one, with their numbers and titles.
pub async fn links(db: &Db, ticket: TicketId) -> Result<Vec<(String, i64, String)>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, (String, i64, String)>(
        "SELECT t.id, t.number, t.title FROM ticket_links l JOIN tickets t ON t.id = l.linked_id WHERE l.ticket_id = $1 ORDER BY t.number")
        .bind(ticket.to_string()).fetch_all(c).await)?)
}

/// Stop watching a ticket.
pub async fn unwatch(tx: &mut Tx, ticket: TicketId, user: UserId) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("DELETE FROM ticket_watchers WHERE ticket_id = $1 AND user_id = $2")
        .bind(ticket.to_string()).bind(user.to_string()).execute(c).await)?,
    )
}
