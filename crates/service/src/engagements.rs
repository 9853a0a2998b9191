//! Engagements: a provider starts one with a client, assigns named
//! engineers, and either side can end it. Ending removes the provider
//! staff's access at once and deletes nothing.

use crate::accounts::{NewUser, insert_user};
use crate::audit::{Entry, record};
use crate::desk::{Visibility, event};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use serde_json::json;
use tandem_domain::policy::Action;
use tandem_domain::ticket::OwnerSide;
use tandem_domain::{Actor, EngagementId, OrgId, OrgName, Role, Side, Slug, UserId};
use tandem_store::engagements::{self, Assignment, Engagement};
use tandem_store::orgs::{self, Org};
use tandem_store::tickets::{self, LeaverTicket, Leavers, Ticket};
use tandem_store::{StoreError, Tx, users};

/// A new client brought on by the provider, with its first admin.
#[derive(Debug, Clone)]
pub struct OnboardClient {
    /// The client company's name.
    pub name: String,
    /// Its short handle (and later its ticket prefix).
    pub slug: String,
    /// The in-house IT manager who will administer the client's workspace.
    pub admin: NewUser,
}

/// An engagement with the engineers assigned to it.
#[derive(Debug, Clone)]
pub struct EngagementView {
    /// The engagement.
    pub engagement: Engagement,
    /// Who on the provider side works it.
    pub engineers: Vec<Assignment>,
}

/// Insert an organization in the caller's transaction, with its audit entry.
pub(crate) async fn insert_org(
    tx: &mut Tx,
    actor: Option<&Actor>,
    kind: Side,
    name: &str,
    slug: &str,
    meta: &RequestMeta,
) -> Result<Org> {
    let org = Org {
        id: OrgId::new(),
        kind,
        name: OrgName::parse(name)?.as_str().to_owned(),
        slug: Slug::parse(slug)?.as_str().to_owned(),
        require_totp: false,
        created_at: now_ms(),
        ticket_prefix: slug.trim().to_uppercase(),
        desk_version: 0,
        time_zone: "UTC".to_owned(),
    };
    orgs::insert(tx, &org).await.map_err(|e| match e {
        StoreError::Conflict => {
            ServiceError::Conflict("an organization with this slug already exists".into())
        }
        other => other.into(),
    })?;
    record(
        tx,
        actor,
        "operator",
        meta,
        Entry {
            org: Some(org.id),
            action: "org.create",
            object_type: "organization",
            object_id: org.id.to_string(),
            change: json!({ "kind": kind.as_str(), "name": org.name, "slug": org.slug }),
        },
    )
    .await?;
    Ok(org)
}

async fn audit_engagement(
    tx: &mut Tx,
    actor: Option<&Actor>,
    meta: &RequestMeta,
    e: &Engagement,
    action: &str,
    change: serde_json::Value,
) -> Result<()> {
    // Recorded on the client's data: the client admin sees every change
    // of who may reach it.
    record(
        tx,
        actor,
        "operator",
        meta,
        Entry {
            org: Some(e.client_id),
            action,
            object_type: "engagement",
            object_id: e.id.to_string(),
            change,
        },
    )
    .await
}

/// Why a second setup is refused.
const ALREADY_SET_UP: &str = "this database is already set up: it holds organizations (an installation in use, \
     or the demo). Setup only starts an empty database";

impl Tandem {
    /// Engagements of the actor's organization with their engineers: the
    /// provider sees its clients; a client sees who has access to its data.
    pub async fn list_engagements(&self, actor: &Actor) -> Result<Vec<EngagementView>> {
        self.authorize(actor, Action::ViewEngagements, actor.org_id)
            .await?;
        let mut out = Vec::new();
        for engagement in engagements::list_for_org(&self.db, &actor.scope()).await? {
            let engineers = engagements::assignments(&self.db, engagement.id).await?;
            out.push(EngagementView {
                engagement,
                engineers,
            });
        }
        Ok(out)
    }

    /// One engagement of the actor's organization.
    pub async fn engagement(&self, actor: &Actor, id: EngagementId) -> Result<EngagementView> {
        let engagement = engagements::find(&self.db, &actor.scope(), id).await?;
        self.authorize(actor, Action::ViewEngagements, actor.org_id)
            .await?;
        let engineers = engagements::assignments(&self.db, id).await?;
        Ok(EngagementView {
            engagement,
            engineers,
        })
    }

    /// Make a new installation usable: the provider that runs it and that
    /// provider's first admin, who signs in and onboards the clients.
    /// Only an empty database is set up; one that holds organizations (an
    /// installation in use, or the demo) is refused without a change.
    pub async fn set_up_provider(
        &self,
        name: &str,
        slug: &str,
        admin: &NewUser,
        meta: &RequestMeta,
    ) -> Result<(Org, users::User)> {
        if admin.role != Role::ProviderAdmin {
            return Err(tandem_domain::ValidationError::new(
                "admin_role",
                "the first person of the provider is its admin",
            )
            .into());
        }
        if orgs::count(&self.db).await? > 0 {
            return Err(ServiceError::Conflict(ALREADY_SET_UP.into()));
        }
        let mut tx = self.db.begin().await?;
        let provider = insert_org(&mut tx, None, Side::Provider, name, slug, meta).await?;
        let user = insert_user(
            &mut tx,
            self.settings.password_cost,
            None,
            &provider,
            admin,
            meta,
        )
        .await?;
        tx.commit().await?;
        Ok((provider, user))
    }

    /// Bring on a new client: its workspace, its admin, and an active
    /// engagement with the actor's provider, in one transaction.
    pub async fn onboard_client(
        &self,
        actor: &Actor,
        input: &OnboardClient,
        meta: &RequestMeta,
    ) -> Result<EngagementView> {
        self.authorize(actor, Action::ManageEngagements, actor.org_id)
            .await?;
        if input.admin.role != Role::ClientAdmin {
            return Err(tandem_domain::ValidationError::new(
                "admin_role",
                "the first user of a client is its admin",
            )
            .into());
        }
        let mut tx = self.db.begin().await?;
        let client = insert_org(
            &mut tx,
            Some(actor),
            Side::Client,
            &input.name,
            &input.slug,
            meta,
        )
        .await?;
        insert_user(
            &mut tx,
            self.settings.password_cost,
            Some(actor),
            &client,
            &input.admin,
            meta,
        )
        .await?;
        let id = start(&mut tx, Some(actor), meta, actor.org_id, &client).await?;
        tx.commit().await?;
        self.engagement(actor, id).await
    }

    /// Start a new engagement with a client this provider served before.
    pub async fn restart_engagement(
        &self,
        actor: &Actor,
        client: OrgId,
        meta: &RequestMeta,
    ) -> Result<EngagementView> {
        self.authorize(actor, Action::ManageEngagements, actor.org_id)
            .await?;
        if !engagements::has_history(&self.db, actor.org_id, client).await? {
            return Err(ServiceError::NotFound);
        }
        let client = orgs::get_unscoped(&self.db, client).await?;
        let mut tx = self.db.begin().await?;
        let id = start(&mut tx, Some(actor), meta, actor.org_id, &client).await?;
        tx.commit().await?;
        self.engagement(actor, id).await
    }

    /// Assign one of the provider's staff to an active engagement.
    pub async fn assign_engineer(
        &self,
        actor: &Actor,
        id: EngagementId,
        engineer: UserId,
        meta: &RequestMeta,
    ) -> Result<EngagementView> {
        let e = self.managed_engagement(actor, id).await?;
        let u = users::find(&self.db, &actor.scope(), engineer).await?;
        if u.org_id != actor.org_id || !u.active {
            return Err(tandem_domain::ValidationError::new(
                "user_id",
                "must be active staff of this provider",
            )
            .into());
        }
        if !e.is_active() {
            return Err(ServiceError::Conflict("the engagement has ended".into()));
        }
        let mut tx = self.db.begin().await?;
        if engagements::assign(&mut tx, id, engineer, now_ms()).await? {
            audit_engagement(
                &mut tx,
                Some(actor),
                meta,
                &e,
                "engagement.assign",
                json!({ "engineer": u.email, "engineer_id": u.id }),
            )
            .await?;
        }
        tx.commit().await?;
        self.engagement(actor, id).await
    }

    /// Take an engineer off an engagement; their access ends at once.
    pub async fn unassign_engineer(
        &self,
        actor: &Actor,
        id: EngagementId,
        engineer: UserId,
        meta: &RequestMeta,
    ) -> Result<EngagementView> {
        let e = self.managed_engagement(actor, id).await?;
        let mut tx = self.db.begin().await?;
        if !engagements::unassign(&mut tx, id, engineer).await? {
            return Err(ServiceError::NotFound);
        }
        let leavers = Leavers {
            client: e.client_id,
            provider: e.provider_id,
            only: Some(engineer),
        };
        let released =
            release_leavers(&mut tx, actor, &leavers, "taken off the engagement").await?;
        crate::vault::note_departures(
            &mut tx,
            e.client_id,
            Some(engineer),
            "taken off the engagement",
        )
        .await?;
        audit_engagement(
            &mut tx,
            Some(actor),
            meta,
            &e,
            "engagement.unassign",
            json!({ "engineer_id": engineer, "released": released }),
        )
        .await?;
        tx.commit().await?;
        self.engagement(actor, id).await
    }

    /// End an engagement (the provider admin, or the client admin leaving).
    pub async fn end_engagement(
        &self,
        actor: &Actor,
        id: EngagementId,
        meta: &RequestMeta,
    ) -> Result<EngagementView> {
        // Find first: an engagement of another organization is "not found",
        // whatever the actor's role.
        let e = engagements::find(&self.db, &actor.scope(), id).await?;
        self.authorize(actor, Action::EndEngagement, actor.org_id)
            .await?;
        let mut tx = self.db.begin().await?;
        if !engagements::end(&mut tx, id, now_ms()).await? {
            return Err(ServiceError::Conflict(
                "the engagement has already ended".into(),
            ));
        }
        let leavers = Leavers {
            client: e.client_id,
            provider: e.provider_id,
            only: None,
        };
        let released = release_leavers(&mut tx, actor, &leavers, "the engagement ended").await?;
        crate::vault::note_departures(&mut tx, e.client_id, None, "the engagement ended").await?;
        let returned = return_provider_work(&mut tx, actor, e.client_id).await?;
        audit_engagement(
            &mut tx,
            Some(actor),
            meta,
            &e,
            "engagement.end",
            json!({ "status": { "from": "active", "to": "ended" }, "released": released, "returned_to_in_house": returned }),
        )
        .await?;
        tx.commit().await?;
        self.engagement(actor, id).await
    }

    async fn managed_engagement(&self, actor: &Actor, id: EngagementId) -> Result<Engagement> {
        let e = engagements::find(&self.db, &actor.scope(), id).await?;
        self.authorize(actor, Action::ManageEngagements, actor.org_id)
            .await?;
        if e.provider_id != actor.org_id {
            return Err(ServiceError::Forbidden);
        }
        Ok(e)
    }
}

/// When people lose access to a client they stop hearing about it: they
/// leave every watcher list of its tickets, and the tickets assigned to
/// them go back, unassigned, to the queue of the side that owns them, with
/// an entry on each timeline. Gives what was released, for the audit entry.
async fn release_leavers(
    tx: &mut Tx,
    actor: &Actor,
    leavers: &Leavers,
    why: &str,
) -> Result<serde_json::Value> {
    let now = now_ms();
    let watchers_removed = tickets::drop_leaving_watchers_tx(tx, leavers).await?;
    let mut unassigned = Vec::new();
    for LeaverTicket {
        ticket: mut t,
        assignee_name,
    } in tickets::assigned_to_leavers_tx(tx, leavers).await?
    {
        let from = t.assignee_id.take();
        let queue = if t.owner_side == OwnerSide::Provider.as_str() {
            "provider's"
        } else {
            "in-house team's"
        };
        let body = format!(
            "{assignee_name} no longer works this client ({why}): back in the {queue} queue"
        );
        update_released(tx, &mut t, now).await?;
        event(
            tx,
            now,
            &t,
            Some(actor),
            "field",
            Visibility::Team,
            &body,
            json!({ "from": from, "to": null, "reason": why }),
        )
        .await?;
        unassigned.push(t.number);
    }
    Ok(json!({ "watchers_removed": watchers_removed, "unassigned_tickets": unassigned }))
}

/// When an engagement ends, the open tickets the provider side owned come
/// back to the in-house team (a hand-off on each timeline, written as
/// [`Tandem::hand_off`] writes one): nobody is left on the provider side to
/// work them. Gives their numbers.
async fn return_provider_work(tx: &mut Tx, actor: &Actor, client: OrgId) -> Result<Vec<i64>> {
    let now = now_ms();
    let (from, to) = (OwnerSide::Provider.as_str(), OwnerSide::InHouse.as_str());
    let mut returned = Vec::new();
    for mut t in tickets::provider_owned_open_tx(tx, client).await? {
        t.owner_side = to.into();
        update_released(tx, &mut t, now).await?;
        event(tx, now, &t, Some(actor), "handoff", Visibility::Team, &format!("{from}->{to}"),
            json!({ "from": from, "to": to, "reason": "the engagement ended", "assignee": t.assignee_id }))
        .await?;
        returned.push(t.number);
    }
    Ok(returned)
}

/// Write back a ticket changed by a release; its version is bumped, so
/// open edit forms see the change.
async fn update_released(tx: &mut Tx, t: &mut Ticket, now: i64) -> Result<()> {
    t.updated_at = now;
    tickets::update(tx, t, t.version).await?;
    Ok(())
}

async fn start(
    tx: &mut Tx,
    actor: Option<&Actor>,
    meta: &RequestMeta,
    provider: OrgId,
    client: &Org,
) -> Result<EngagementId> {
    if client.kind != Side::Client {
        return Err(tandem_domain::ValidationError::new(
            "client_id",
            "is not a client organization",
        )
        .into());
    }
    let id = EngagementId::new();
    let now = now_ms();
    engagements::insert(tx, id, provider, client.id, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict => {
                ServiceError::Conflict("an active engagement with this client exists".into())
            }
            other => other.into(),
        })?;
    let e = Engagement {
        id,
        provider_id: provider,
        provider_name: String::new(),
        client_id: client.id,
        client_name: client.name.clone(),
        status: "active".into(),
        started_at: now,
        ended_at: None,
    };
    audit_engagement(
        tx,
        actor,
        meta,
        &e,
        "engagement.start",
        json!({ "provider_id": provider, "client": client.name }),
    )
    .await?;
    Ok(id)
}
