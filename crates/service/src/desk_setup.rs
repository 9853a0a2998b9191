//! Setting up the desk of an engagement: categories, the responsibility
//! split (with history both sides read), the client's calendar, SLA
//! policies with a deadline preview, and the priority matrix.

use crate::audit::{Entry, record};
use crate::desk::{CalendarSpec, Policy, ensure_desk, parse_matrix, split_line, working_time};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use serde_json::json;
use tandem_domain::policy::Action;
use tandem_domain::sla::{AroundTheClock, WorkingTime};
use tandem_domain::ticket::{OwnerSide, Priority, PriorityMatrix, TicketStatus};
use tandem_domain::{Actor, OrgId, Slug, UserId, ValidationError};
use tandem_store::calendars::{self, PolicyRow};
use tandem_store::engagements::{self, Engagement};
use tandem_store::split::{self, Category, SplitChange, SplitRow};
use tandem_store::users;

/// One line of the split as a person edits it.
#[derive(Clone, Debug)]
pub struct SplitEdit {
    /// Category key.
    pub category: String,
    /// Owner in business hours.
    pub business_hours: OwnerSide,
    /// Owner after hours.
    pub after_hours: OwnerSide,
    /// Default provider assignee.
    pub provider_assignee: Option<UserId>,
    /// Default in-house assignee.
    pub in_house_assignee: Option<UserId>,
    /// Inside the contract's scope.
    pub in_scope: bool,
}

/// The desk of one engagement as pages and the API show it.
#[derive(Clone, Debug)]
pub struct DeskSetup {
    /// The engagement.
    pub engagement: Engagement,
    /// The client's categories.
    pub categories: Vec<Category>,
    /// The split, one line per category.
    pub split: Vec<SplitRow>,
    /// The client's calendar.
    pub calendar: CalendarSpec,
    /// SLA policy per priority.
    pub policies: Vec<(Priority, Policy)>,
    /// The priority matrix.
    pub matrix: PriorityMatrix,
}

impl Tandem {
    /// The active engagement of a client the actor can see, with the desk
    /// set up (defaults are created on first use).
    async fn desk_engagement(&self, actor: &Actor, client: OrgId) -> Result<Engagement> {
        self.authorize(actor, Action::ViewEngagements, client)
            .await?;
        // Only clients have a desk; the provider's own organization has none.
        if tandem_store::orgs::find(&self.db, &actor.scope(), client)
            .await?
            .kind
            != tandem_domain::Side::Client
        {
            return Err(ServiceError::NotFound);
        }
        let e = engagements::active_for_client(&self.db, client)
            .await?
            .ok_or_else(|| ServiceError::Conflict("this client has no active engagement".into()))?;
        // A desk set up already is read without touching the writer.
        if !split::desk_ready(&self.db, e.id, client).await? {
            let mut tx = self.db.begin().await?;
            ensure_desk(&mut tx, client, Some(e.id)).await?;
            tx.commit().await?;
        }
        Ok(e)
    }

    /// The split, calendar, policies and matrix of a client's active engagement.
    pub async fn desk_setup(&self, actor: &Actor, client: OrgId) -> Result<DeskSetup> {
        let engagement = self.desk_engagement(actor, client).await?;
        let categories = split::categories(&self.db, &actor.scope(), client).await?;
        let split = split::lines(&self.db, engagement.id).await?;
        let calendar =
            CalendarSpec::from_row(calendars::calendar(&self.db, client).await?.as_ref())?;
        let rows = calendars::policies(&self.db, engagement.id).await?;
        let policies = rows
            .iter()
            .filter_map(|r| Some((r.priority.parse().ok()?, Policy::from_row(r))))
            .collect();
        let matrix = parse_matrix(&engagements::priority_matrix(&self.db, engagement.id).await?);
        Ok(DeskSetup {
            engagement,
            categories,
            split,
            calendar,
            policies,
            matrix,
        })
    }

    /// The history of the split, newest first (both sides read it).
    pub async fn split_history(&self, actor: &Actor, client: OrgId) -> Result<Vec<SplitChange>> {
        let e = self.desk_engagement(actor, client).await?;
        Ok(split::history(&self.db, e.id, 500).await?)
    }

    /// Change one line of the split (either side's admin). The change is
    /// kept in the split's history and the audit log.
    pub async fn edit_split(
        &self,
        actor: &Actor,
        client: OrgId,
        edit: &SplitEdit,
        meta: &RequestMeta,
    ) -> Result<SplitRow> {
        let e = self.desk_engagement(actor, client).await?;
        self.authorize(actor, Action::ManageServiceDesk, client)
            .await?;
        let category = split::categories(&self.db, &actor.scope(), client)
            .await?
            .into_iter()
            .find(|c| c.key == edit.category)
            .ok_or_else(|| ValidationError::new("category", "is not a category of this client"))?;
        for (field, who, side_org) in [
            ("provider_assignee", edit.provider_assignee, e.provider_id),
            ("in_house_assignee", edit.in_house_assignee, client),
        ] {
            if let Some(u) = who {
                // Provider staff only once assigned to this engagement: new
                // tickets would otherwise land with someone who cannot open
                // them, and their titles with them.
                let ok = users::working_client(&self.db, u, client)
                    .await?
                    .is_some_and(|u| u.org_id == side_org && u.role.is_staff());
                if !ok {
                    return Err(ValidationError::new(
                        field,
                        "must be active IT staff of that side who works this client",
                    )
                    .into());
                }
            }
        }
        let mut tx = self.db.begin().await?;
        let before = split::line_tx(&mut tx, e.id, &category.id).await?;
        let after = SplitRow {
            engagement_id: e.id,
            category_id: category.id.clone(),
            category_key: category.key.clone(),
            category_name: category.name.clone(),
            business_hours: edit.business_hours.as_str().into(),
            after_hours: edit.after_hours.as_str().into(),
            provider_assignee: edit.provider_assignee.map(|u| u.to_string()),
            in_house_assignee: edit.in_house_assignee.map(|u| u.to_string()),
            in_scope: edit.in_scope,
        };
        split::upsert_line(&mut tx, &after).await?;
        let mut change = serde_json::Map::new();
        let b = before.as_ref();
        for (k, old, new) in [
            (
                "business_hours",
                b.map(|b| b.business_hours.clone()),
                Some(after.business_hours.clone()),
            ),
            (
                "after_hours",
                b.map(|b| b.after_hours.clone()),
                Some(after.after_hours.clone()),
            ),
            (
                "provider_assignee",
                b.and_then(|b| b.provider_assignee.clone()),
                after.provider_assignee.clone(),
            ),
            (
                "in_house_assignee",
                b.and_then(|b| b.in_house_assignee.clone()),
                after.in_house_assignee.clone(),
            ),
            (
                "in_scope",
                b.map(|b| b.in_scope.to_string()),
                Some(after.in_scope.to_string()),
            ),
        ] {
            if old != new {
                change.insert(k.into(), json!({ "from": old, "to": new }));
            }
        }
        if !change.is_empty() {
            let change = serde_json::Value::from(change);
            split::record_change(
                &mut tx,
                e.id,
                client,
                &category.key,
                now_ms(),
                Some(actor.user_id),
                &actor.email,
                Some(actor.side().as_str()),
                &change.to_string(),
            )
            .await?;
            record(
                &mut tx,
                Some(actor),
                "",
                meta,
                Entry {
                    org: Some(client),
                    action: "split.update",
                    object_type: "split_line",
                    object_id: format!("{}/{}", e.id, category.key),
                    change: json!({ "category": category.key, "change": change }),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Add a work category of the client's own (client admin), owned
    /// in-house by default until the split says otherwise.
    pub async fn add_category(
        &self,
        actor: &Actor,
        client: OrgId,
        key: &str,
        name: &str,
        meta: &RequestMeta,
    ) -> Result<Category> {
        let e = self.desk_engagement(actor, client).await?;
        self.authorize(actor, Action::ManageServiceDesk, client)
            .await?;
        let key = Slug::parse(key).map_err(|_| {
            ValidationError::new("key", "must be 2-32 characters of a-z, 0-9 and -")
        })?;
        let name = tandem_domain::OrgName::parse(name)
            .map_err(|v| ValidationError::new("name", v.message))?;
        let mut tx = self.db.begin().await?;
        let position = split::next_position(&mut tx, client).await?;
        let c = Category {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: client,
            key: key.as_str().into(),
            name: name.as_str().into(),
            position,
        };
        split::insert_category(&mut tx, &c)
            .await
            .map_err(|e| match e {
                tandem_store::StoreError::Conflict => {
                    ServiceError::Conflict("a category with this key exists".into())
                }
                other => other.into(),
            })?;
        ensure_desk(&mut tx, client, Some(e.id)).await?;
        split::record_change(
            &mut tx,
            e.id,
            client,
            &c.key,
            now_ms(),
            Some(actor.user_id),
            &actor.email,
            Some(actor.side().as_str()),
            &json!({ "added": c.name }).to_string(),
        )
        .await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "category.create",
                object_type: "category",
                object_id: c.id.clone(),
                change: json!({ "key": c.key, "name": c.name }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Replace the client's business-hours calendar (either side's admin).
    pub async fn set_calendar(
        &self,
        actor: &Actor,
        client: OrgId,
        spec: &CalendarSpec,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.desk_engagement(actor, client).await?;
        self.authorize(actor, Action::ManageServiceDesk, client)
            .await?;
        let row = spec.to_row(client, now_ms())?;
        let mut tx = self.db.begin().await?;
        calendars::upsert_calendar(&mut tx, &row).await?;
        record(&mut tx, Some(actor), "", meta, Entry { org: Some(client), action: "calendar.update", object_type: "calendar", object_id: client.to_string(),
            change: json!({ "time_zone": row.time_zone, "windows": row.windows, "holidays": row.holidays, "yearly_holidays": row.yearly_holidays }) }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Replace the SLA policy of one priority (either side's admin).
    pub async fn set_policy(
        &self,
        actor: &Actor,
        client: OrgId,
        priority: Priority,
        p: &Policy,
        meta: &RequestMeta,
    ) -> Result<()> {
        let e = self.desk_engagement(actor, client).await?;
        self.authorize(actor, Action::ManageServiceDesk, client)
            .await?;
        if p.response_minutes <= 0
            || p.resolution_minutes <= 0
            || p.response_minutes > p.resolution_minutes
        {
            return Err(ValidationError::new(
                "response_minutes",
                "targets must be positive and the response target at most the resolution target",
            )
            .into());
        }
        if !(1..=99).contains(&p.warn_percent) {
            return Err(ValidationError::new("warn_percent", "must be between 1 and 99").into());
        }
        if p.pause_statuses
            .iter()
            .any(|s| s.is_done() || *s == TicketStatus::New)
        {
            return Err(ValidationError::new(
                "pause_statuses",
                "only waiting states can pause a clock",
            )
            .into());
        }
        let mut tx = self.db.begin().await?;
        calendars::upsert_policy(
            &mut tx,
            &PolicyRow {
                engagement_id: e.id,
                priority: priority.as_str().into(),
                response_minutes: p.response_minutes,
                resolution_minutes: p.resolution_minutes,
                around_the_clock: p.around_the_clock,
                pause_statuses: json!(
                    p.pause_statuses
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                )
                .to_string(),
                warn_percent: p.warn_percent,
            },
        )
        .await?;
        record(&mut tx, Some(actor), "", meta, Entry { org: Some(client), action: "sla_policy.update", object_type: "sla_policy", object_id: format!("{}/{}", e.id, priority.as_str()),
            change: json!({ "response_minutes": p.response_minutes, "resolution_minutes": p.resolution_minutes, "around_the_clock": p.around_the_clock, "warn_percent": p.warn_percent }) }).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The deadlines a ticket of `priority` opened at `opened_ms` would get:
    /// (response due, resolution due), both epoch ms.
    pub async fn preview_deadlines(
        &self,
        actor: &Actor,
        client: OrgId,
        priority: Priority,
        opened_ms: i64,
    ) -> Result<(i64, i64)> {
        let setup = self.desk_setup(actor, client).await?;
        let policy = setup
            .policies
            .iter()
            .find(|(p, _)| *p == priority)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| ValidationError::new("priority", "has no policy"))?;
        let business = working_time(calendars::calendar(&self.db, client).await?.as_ref())?;
        let wt: &dyn WorkingTime = if policy.around_the_clock {
            &AroundTheClock
        } else {
            business.as_ref()
        };
        Ok((
            wt.add_millis(opened_ms, policy.response_minutes * 60_000),
            wt.add_millis(opened_ms, policy.resolution_minutes * 60_000),
        ))
    }

    /// Replace the engagement's priority matrix (either side's admin).
    pub async fn set_priority_matrix(
        &self,
        actor: &Actor,
        client: OrgId,
        m: &PriorityMatrix,
        meta: &RequestMeta,
    ) -> Result<()> {
        let e = self.desk_engagement(actor, client).await?;
        self.authorize(actor, Action::ManageServiceDesk, client)
            .await?;
        let cells: Vec<&str> = m
            .grid
            .iter()
            .flat_map(|r| r.iter().map(|p| p.as_str()))
            .collect();
        let mut tx = self.db.begin().await?;
        engagements::set_priority_matrix(&mut tx, e.id, &json!(cells).to_string()).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "priority_matrix.update",
                object_type: "engagement",
                object_id: e.id.to_string(),
                change: json!({ "matrix": cells }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Route preview for a line: (owner in hours, owner after hours).
pub fn route_of(l: &SplitRow) -> (OwnerSide, OwnerSide) {
    let line = split_line(l);
    (line.route(true).owner, line.route(false).owner)
}
