//! Links between tickets of one client, and removing watchers.

use crate::{Db, Result, Tx, direct, exec_tx};
use tandem_domain::{OrgId, TicketId, UserId};

/// Link two tickets both ways (idempotent).
pub async fn link(tx: &mut Tx, a: TicketId, b: TicketId) -> Result<()> {
    for (x, y) in [(a, b), (b, a)] {
        exec_tx!(tx, c => sqlx::query("INSERT INTO ticket_links (ticket_id, linked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(x.to_string()).bind(y.to_string()).execute(c).await)?;
    }
    Ok(())
}

/// A ticket linked to another. Whoever reads it through the link must be
/// allowed to read it on its own (the service filters by that rule).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LinkedTicket {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: TicketId,
    /// Its client (the same as the ticket it is linked from).
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Its number.
    pub number: i64,
    /// Its title.
    pub title: String,
}

impl LinkedTicket {
    pub(crate) fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: direct::parsed(r, 0)?,
            client_id: direct::parsed(r, 1)?,
            number: r.get(2)?,
            title: r.get(3)?,
        })
    }
}

/// The tickets linked to one, with their numbers and titles.
pub async fn links(db: &Db, ticket: TicketId) -> Result<Vec<LinkedTicket>> {
    db.rows(
        LINKS,
        &[ticket.to_string().into()],
        LinkedTicket::from_direct,
    )
    .await
}

pub(crate) const LINKS: &str = "SELECT t.id, t.client_id, t.number, t.title FROM ticket_links l \
     JOIN tickets t ON t.id = l.linked_id WHERE l.ticket_id = $1 ORDER BY t.number";

/// Stop watching a ticket.
pub async fn unwatch(tx: &mut Tx, ticket: TicketId, user: UserId) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("DELETE FROM ticket_watchers WHERE ticket_id = $1 AND user_id = $2")
        .bind(ticket.to_string()).bind(user.to_string()).execute(c).await)?,
    )
}
