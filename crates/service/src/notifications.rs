//! A person's in-app notifications.

use crate::{Result, Tandem, now_ms};
use tandem_domain::{Actor, OrgId, TicketId};
use tandem_store::jobs::{self, Notification};

/// What a notification says once its ticket is out of the reader's reach.
pub const GONE: &str = "About a ticket you can no longer see";

/// The ticket a notification is about, with its client.
fn subject(n: &Notification) -> Option<(TicketId, OrgId)> {
    Some((
        n.ticket_id.as_deref()?.parse().ok()?,
        n.client_id.parse().ok()?,
    ))
}

impl Tandem {
    /// The actor's notifications, newest first. One about a ticket the
    /// actor may no longer read (an engagement ended, they were taken off
    /// it) keeps its place but no longer names the ticket.
    pub async fn notifications(&self, actor: &Actor, limit: i64) -> Result<Vec<Notification>> {
        let mut items = jobs::notifications(&self.db, actor.user_id, limit.clamp(1, 200)).await?;
        let about: Vec<Option<(TicketId, OrgId)>> = items.iter().map(subject).collect();
        let readable = self
            .readable_tickets(actor, &about.iter().flatten().copied().collect::<Vec<_>>())
            .await?;
        for (n, about) in items.iter_mut().zip(about) {
            if about.is_some_and(|(t, _)| !readable.contains(&t)) {
                n.text = GONE.into();
                n.ticket_id = None;
            }
        }
        Ok(items)
    }

    /// How many are unread (shown in the navigation).
    pub async fn unread_notifications(&self, actor: &Actor) -> Result<i64> {
        Ok(jobs::unread_count(&self.db, actor.user_id).await?)
    }

    /// Mark all of the actor's notifications read.
    pub async fn mark_notifications_read(&self, actor: &Actor) -> Result<u64> {
        let mut tx = self.db.begin().await?;
        let n = jobs::mark_all_read(&mut tx, actor.user_id, now_ms()).await?;
        tx.commit().await?;
        Ok(n)
    }
}
