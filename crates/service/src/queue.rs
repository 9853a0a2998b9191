//! Queues: the views people work from, with filters, each limited to what
//! the actor may see.

use crate::{Result, Tandem};
use tandem_domain::ticket::{OwnerSide, Priority, TicketStatus};
use tandem_domain::{Actor, OrgId, Role, Side, UserId};
use tandem_store::tickets::{self, Arg, ListQuery, QueueRow};

/// The views of a queue.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum QueueView {
    /// Assigned to me.
    Mine,
    /// Owned by my side.
    MySide,
    /// Nobody assigned.
    Unassigned,
    /// Open with a running clock, soonest deadline first.
    BreachingSoon,
    /// Waiting on the customer, a vendor, or on hold.
    Waiting,
    /// Everything I may see, newest first.
    All,
}

/// Filters on top of a view.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct QueueFilter {
    /// Only this client.
    pub client: Option<OrgId>,
    /// Only this status.
    pub status: Option<TicketStatus>,
    /// Only this priority.
    pub priority: Option<Priority>,
    /// Only this category key.
    pub category: Option<String>,
    /// Only this owner side.
    pub side: Option<OwnerSide>,
    /// Only this assignee.
    pub assignee: Option<UserId>,
    /// Page size (1-500, default 50).
    pub limit: Option<i64>,
    /// Words to find in titles, descriptions and comments.
    pub search: Option<String>,
}

/// A queue line.
pub type QueueItem = QueueRow;

impl Tandem {
    /// A queue view for the actor.
    pub async fn queue(
        &self,
        actor: &Actor,
        view: QueueView,
        f: &QueueFilter,
    ) -> Result<Vec<QueueItem>> {
        let mut q = ListQuery {
            order: "t.created_at DESC",
            limit: f.limit.unwrap_or(50),
            ..ListQuery::default()
        };
        let open = "t.status NOT IN ('resolved', 'closed')";
        match view {
            QueueView::Mine => q.filter("t.assignee_id = ?", Arg::Text(actor.user_id.to_string())),
            QueueView::MySide => {
                let side = if actor.side() == Side::Provider {
                    OwnerSide::Provider
                } else {
                    OwnerSide::InHouse
                };
                q.filter("t.owner_side = ?", Arg::Text(side.as_str().into()));
            }
            QueueView::Unassigned => q.condition("t.assignee_id IS NULL"),
            QueueView::Waiting => {
                q.condition("t.status IN ('waiting_on_customer', 'waiting_on_vendor', 'on_hold')")
            }
            QueueView::BreachingSoon | QueueView::All => {}
        }
        if matches!(
            view,
            QueueView::Mine | QueueView::MySide | QueueView::Unassigned | QueueView::BreachingSoon
        ) {
            q.condition(open);
        }
        if view == QueueView::BreachingSoon {
            q.condition("t.next_due IS NOT NULL");
        }
        let by_deadline = matches!(
            view,
            QueueView::MySide | QueueView::BreachingSoon | QueueView::Mine
        );
        if let Some(c) = f.client {
            q.filter("t.client_id = ?", Arg::Text(c.to_string()));
        }
        if let Some(s) = f.status {
            q.filter("t.status = ?", Arg::Text(s.as_str().into()));
        }
        if let Some(p) = f.priority {
            q.filter("t.priority = ?", Arg::Text(p.as_str().into()));
        }
        if let Some(k) = &f.category {
            q.filter("k.key = ?", Arg::Text(k.clone()));
        }
        if let Some(s) = f.side {
            q.filter("t.owner_side = ?", Arg::Text(s.as_str().into()));
        }
        if let Some(a) = f.assignee {
            q.filter("t.assignee_id = ?", Arg::Text(a.to_string()));
        }
        q.search = f
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(200).collect());
        let requester = actor.role == Role::Requester;
        if !by_deadline {
            return Ok(tickets::list(&self.db, &actor.scope(), requester, &q).await?);
        }
        // Time to breach: running clocks by deadline, then paused ones. Two
        // queries, each in the order of an index on open tickets, so a page
        // of 50 never sorts the whole queue.
        let mut running = q.clone();
        running.condition("t.next_due IS NOT NULL");
        running.order = "t.next_due ASC, t.id ASC";
        let mut page = tickets::list(&self.db, &actor.scope(), requester, &running).await?;
        let room = q.limit.clamp(1, 500) - page.len() as i64;
        if room > 0 && view != QueueView::BreachingSoon {
            let mut paused = q;
            paused.condition("t.next_due IS NULL");
            paused.order = "t.created_at ASC, t.id ASC";
            paused.limit = room;
            page.extend(tickets::list(&self.db, &actor.scope(), requester, &paused).await?);
        }
        Ok(page)
    }
}
