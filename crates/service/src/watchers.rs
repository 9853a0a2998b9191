//! Watchers (people who hear about public replies on a ticket) and links
//! between tickets of the same client.

use crate::audit::{Entry, record};
use crate::desk::TicketView;
use crate::{RequestMeta, Result, ServiceError, Tandem};
use serde_json::json;
use tandem_domain::policy::Action;
use tandem_domain::{Actor, Role, TicketId, UserId, ValidationError};
use tandem_store::tickets::Event;
use tandem_store::{ticket_links, tickets, users};

/// Who watches a ticket and what it is linked to.
#[derive(Debug, Clone, Default)]
pub struct TicketRelations {
    /// Watchers: id and name.
    pub watchers: Vec<(UserId, String)>,
    /// Linked tickets the reader may read.
    pub links: Vec<ticket_links::LinkedTicket>,
}

impl Tandem {
    /// A ticket the actor may see with names, its timeline, its watchers
    /// and the linked tickets the actor may read: what its page and
    /// `GET /tickets/{id}` show, read at once.
    pub async fn ticket_with_relations(
        &self,
        actor: &Actor,
        id: TicketId,
    ) -> Result<(TicketView, Vec<Event>, TicketRelations)> {
        let page =
            tickets::page(&self.db, &actor.scope(), actor.role == Role::Requester, id).await?;
        let view = crate::desk::readable_view(actor, page.ticket)?;
        // A link shows only what the reader may read on its own: a
        // requester does not learn a colleague's ticket through their own.
        let links = page.links;
        let readable = self
            .readable_tickets(
                actor,
                &links
                    .iter()
                    .map(|l| (l.id, l.client_id))
                    .collect::<Vec<_>>(),
            )
            .await?;
        let relations = TicketRelations {
            watchers: page
                .watchers
                .into_iter()
                .filter_map(|(uid, name)| Some((uid.parse().ok()?, name)))
                .collect(),
            links: links
                .into_iter()
                .filter(|l| readable.contains(&l.id))
                .collect(),
        };
        Ok((view, page.timeline, relations))
    }

    /// Add a watcher: anyone who works the client may be added by IT
    /// staff; everyone may add themselves to a ticket they can see.
    pub async fn watch_ticket(
        &self,
        actor: &Actor,
        id: TicketId,
        who: UserId,
        on: bool,
        meta: &RequestMeta,
    ) -> Result<()> {
        let requester = actor.role == Role::Requester;
        let t = tickets::find(&self.db, &actor.scope(), requester, id).await?;
        let action = if who == actor.user_id {
            Action::WatchTickets
        } else {
            Action::WorkTickets
        };
        self.authorize(actor, action, t.client_id).await?;
        let person = users::working_client(&self.db, who, t.client_id)
            .await?
            .ok_or_else(|| {
                ValidationError::new("user_id", "is not someone who works this client")
            })?;
        let mut tx = self.db.begin().await?;
        if on {
            tickets::watch(&mut tx, id, who).await?;
        } else {
            ticket_links::unwatch(&mut tx, id, who).await?;
        }
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(t.client_id),
                action: if on { "ticket.watch" } else { "ticket.unwatch" },
                object_type: "ticket",
                object_id: id.to_string(),
                change: json!({ "watcher": person.email }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Link two tickets of the same client.
    pub async fn link_tickets(
        &self,
        actor: &Actor,
        id: TicketId,
        other: TicketId,
        meta: &RequestMeta,
    ) -> Result<()> {
        if id == other {
            return Err(
                ValidationError::new("ticket_id", "a ticket cannot be linked to itself").into(),
            );
        }
        let t = tickets::find(&self.db, &actor.scope(), actor.role == Role::Requester, id).await?;
        self.authorize(actor, Action::WorkTickets, t.client_id)
            .await?;
        let o = tickets::find(&self.db, &actor.scope(), false, other)
            .await
            .map_err(|_| ValidationError::new("ticket_id", "is not a ticket you can see"))?;
        if o.client_id != t.client_id {
            return Err(ServiceError::from(ValidationError::new(
                "ticket_id",
                "belongs to another client",
            )));
        }
        let mut tx = self.db.begin().await?;
        ticket_links::link(&mut tx, id, other).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(t.client_id),
                action: "ticket.link",
                object_type: "ticket",
                object_id: id.to_string(),
                change: json!({ "linked": other, "number": o.number }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Tandem {
    /// Link the client's ticket with this number (as people type it).
    pub async fn link_tickets_by_number(
        &self,
        actor: &Actor,
        id: TicketId,
        number: i64,
        meta: &RequestMeta,
    ) -> Result<()> {
        let t = tickets::find(&self.db, &actor.scope(), actor.role == Role::Requester, id).await?;
        self.authorize(actor, Action::WorkTickets, t.client_id)
            .await?;
        let other = self
            .ticket_id_by_number(actor, t.client_id, number)
            .await
            .map_err(|_| {
                ValidationError::new("number", "no ticket of this client has that number")
            })?;
        self.link_tickets(actor, id, other, meta).await
    }

    /// The id of a client's ticket by its number, if the actor may see it.
    pub async fn ticket_id_by_number(
        &self,
        actor: &Actor,
        client: tandem_domain::OrgId,
        number: i64,
    ) -> Result<TicketId> {
        let mut q = tickets::ListQuery {
            order: "t.number",
            limit: 1,
            ..tickets::ListQuery::default()
        };
        q.filter("t.client_id = ?", tickets::Arg::Text(client.to_string()));
        q.filter("t.number = ?", tickets::Arg::Int(number));
        let found =
            tickets::list(&self.db, &actor.scope(), actor.role == Role::Requester, &q).await?;
        found
            .first()
            .map(|r| r.ticket.id)
            .ok_or(ServiceError::NotFound)
    }
}
