//! The shared service desk: each engagement's split, calendar and SLA
//! policies, and the life of a ticket — opened, routed by the split,
//! handed between the sides, commented on, resolved — with SLA clocks
//! that keep every second of consumed and paused time.

use crate::audit::{Entry, audit_record, record};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tandem_domain::policy::{self, Action, Relation};
use tandem_domain::sla::{AroundTheClock, SlaClock, SlaEvent, WorkingTime};
use tandem_domain::split::{DEFAULT_CATEGORIES, SplitLine};
use tandem_domain::ticket::{Impact, OwnerSide, Priority, PriorityMatrix, TicketStatus, Urgency};
use tandem_domain::{Actor, EngagementId, OrgId, Role, TicketId, UserId, ValidationError};
use tandem_store::calendars::{self, PolicyRow};
use tandem_store::jobs::NewJob;
use tandem_store::split::{self, Category, SplitRow};
use tandem_store::tickets::{self, Event, Opening, Ticket};
use tandem_store::{Tx, jobs, orgs, users};

pub use crate::calendar_support::{CalendarSpec, WindowSpec, working_time};

/// Statuses that pause the clocks unless a policy says otherwise.
pub const DEFAULT_PAUSE: [TicketStatus; 3] = [
    TicketStatus::WaitingOnCustomer,
    TicketStatus::WaitingOnVendor,
    TicketStatus::OnHold,
];

/// Default SLA targets per priority: (response, resolution) minutes, 24x7.
const DEFAULT_POLICIES: [(Priority, i64, i64, bool); 4] = [
    (Priority::P1, 15, 240, true),
    (Priority::P2, 60, 480, false),
    (Priority::P3, 240, 1440, false),
    (Priority::P4, 480, 2400, false),
];

/// Where a ticket came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// The web UI or portal.
    Web,
    /// The API.
    Api,
    /// An e-mail.
    Email,
    /// A monitoring alert.
    Alert,
    /// An asset's expiry reminder.
    Reminder,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Api => "api",
            Source::Email => "email",
            Source::Alert => "alert",
            Source::Reminder => "reminder",
        }
    }
}

/// A new ticket.
#[derive(Clone, Debug)]
pub struct NewTicket {
    /// The client it is for.
    pub client_id: OrgId,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Category key (e.g. `network`).
    pub category: String,
    /// Impact.
    pub impact: Impact,
    /// Urgency.
    pub urgency: Urgency,
    /// On whose behalf; the actor when absent (requesters always themselves).
    pub requester_id: Option<UserId>,
    /// Where it came from.
    pub source: Source,
}

/// A change to a ticket; absent fields stay.
#[derive(Clone, Debug, Default)]
pub struct TicketChange {
    /// New status.
    pub status: Option<TicketStatus>,
    /// New assignee (`Some(None)` unassigns).
    pub assignee: Option<Option<UserId>>,
    /// New title.
    pub title: Option<String>,
    /// New category key.
    pub category: Option<String>,
    /// New impact.
    pub impact: Option<Impact>,
    /// New urgency.
    pub urgency: Option<Urgency>,
    /// A priority set by hand, with the reason (required).
    pub priority_override: Option<(Priority, String)>,
}

/// Who may see a comment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// The requester sees it too.
    Public,
    /// Both IT teams only.
    Team,
}

fn title_of(raw: &str) -> Result<String> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
        return Err(ValidationError::new("title", "must be 1-200 printable characters").into());
    }
    Ok(t.to_owned())
}

fn body_of(field: &'static str, raw: &str, max: usize) -> Result<String> {
    if raw.chars().count() > max {
        return Err(
            ValidationError::new(field, format!("must be at most {max} characters")).into(),
        );
    }
    Ok(raw.trim().to_owned())
}

/// A client's ticket prefix (its upper-cased slug when none is set).
pub(crate) fn prefix_of(client: &orgs::Org) -> String {
    if client.ticket_prefix.is_empty() {
        client.slug.to_uppercase()
    } else {
        client.ticket_prefix.clone()
    }
}

/// The label of a ticket, e.g. `ALDER-12`.
pub fn ticket_label(prefix: &str, number: i64) -> String {
    format!("{prefix}-{number}")
}

fn owner_text(side: OwnerSide) -> &'static str {
    side.as_str()
}

fn parse<T: std::str::FromStr>(field: &'static str, raw: &str) -> Result<T> {
    raw.parse()
        .map_err(|_| ValidationError::new(field, format!("{raw:?} is not valid")).into())
}

/// The SLA policy that applies to a priority, with defaults.
#[derive(Clone, Debug)]
pub struct Policy {
    /// First-response target (minutes).
    pub response_minutes: i64,
    /// Resolution target (minutes).
    pub resolution_minutes: i64,
    /// 24x7 instead of business hours.
    pub around_the_clock: bool,
    /// Statuses that pause the clocks.
    pub pause_statuses: Vec<TicketStatus>,
    /// Warning threshold, percent of the target.
    pub warn_percent: i64,
}

impl Policy {
    pub(crate) fn from_row(r: &PolicyRow) -> Self {
        Self {
            response_minutes: r.response_minutes,
            resolution_minutes: r.resolution_minutes,
            around_the_clock: r.around_the_clock,
            pause_statuses: serde_json::from_str::<Vec<String>>(&r.pause_statuses)
                .unwrap_or_default()
                .iter()
                .filter_map(|s| s.parse().ok())
                .collect(),
            warn_percent: r.warn_percent,
        }
    }

    pub(crate) fn default_for(p: Priority) -> Self {
        let (_, response, resolution, always) = DEFAULT_POLICIES
            .iter()
            .copied()
            .find(|d| d.0 == p)
            .unwrap_or(DEFAULT_POLICIES[3]);
        Self {
            response_minutes: response,
            resolution_minutes: resolution,
            around_the_clock: always,
            pause_statuses: DEFAULT_PAUSE.to_vec(),
            warn_percent: 75,
        }
    }

    fn pauses(&self, s: TicketStatus) -> bool {
        self.pause_statuses.contains(&s)
    }
}

/// Everything a ticket's clocks run on, loaded once per change.
struct ClockContext {
    business: std::sync::Arc<dyn WorkingTime + Send + Sync>,
    policy: Policy,
}

impl ClockContext {
    fn time(&self) -> &dyn WorkingTime {
        if self.policy.around_the_clock {
            &AroundTheClock
        } else {
            self.business.as_ref()
        }
    }
}

fn clocks_of(t: &Ticket) -> (SlaClock, SlaClock) {
    let response = SlaClock {
        target_minutes: t.response_target,
        consumed_ms: t.response_consumed,
        since: t.response_since,
        due: t.response_due,
        warn_at: t.response_warn_at,
        done_at: t.response_met_at,
        warned: t.response_warned,
        breached: t.response_breached,
    };
    let resolution = SlaClock {
        target_minutes: t.resolution_target,
        consumed_ms: t.resolution_consumed,
        since: t.resolution_since,
        due: t.resolution_due,
        warn_at: t.resolution_warn_at,
        done_at: t.resolved_at,
        warned: t.resolution_warned,
        breached: t.resolution_breached,
    };
    (response, resolution)
}

fn store_clocks(t: &mut Ticket, response: &SlaClock, resolution: &SlaClock) {
    t.response_target = response.target_minutes;
    t.response_consumed = response.consumed_ms;
    t.response_since = response.since;
    t.response_due = response.due;
    t.response_warn_at = response.warn_at;
    t.response_met_at = response.done_at;
    t.response_warned = response.warned;
    t.response_breached = response.breached;
    t.resolution_target = resolution.target_minutes;
    t.resolution_consumed = resolution.consumed_ms;
    t.resolution_since = resolution.since;
    t.resolution_due = resolution.due;
    t.resolution_warn_at = resolution.warn_at;
    t.resolved_at = resolution.done_at;
    t.resolution_warned = resolution.warned;
    t.resolution_breached = resolution.breached;
    let dues = [
        response.due.filter(|_| response.running()),
        resolution.due.filter(|_| resolution.running()),
    ];
    t.next_due = dues.into_iter().flatten().min();
    t.next_sla_event_at = [response.next_event_at(), resolution.next_event_at()]
        .into_iter()
        .flatten()
        .min();
}

/// Set up a client's categories, an engagement's default split and SLA
/// policies, and the client's calendar, where they do not exist yet.
pub(crate) async fn ensure_desk(
    tx: &mut Tx,
    client: OrgId,
    engagement: Option<EngagementId>,
) -> Result<()> {
    if let Some(e) = engagement
        && split::desk_ready_tx(tx, e, client).await?
    {
        return Ok(());
    }
    let scope_free: Vec<Category> = category_rows_tx(tx, client).await?;
    let categories = if scope_free.is_empty() {
        let mut out = Vec::new();
        for (i, (key, name, ..)) in DEFAULT_CATEGORIES.iter().enumerate() {
            let c = Category {
                id: uuid::Uuid::now_v7().to_string(),
                client_id: client,
                key: (*key).into(),
                name: (*name).into(),
                position: i as i64 + 1,
            };
            split::insert_category(tx, &c).await?;
            out.push(c);
        }
        out
    } else {
        scope_free
    };
    if calendars::calendar_tx(tx, client).await?.is_none() {
        let spec = CalendarSpec::weekdays("UTC", "09:00", "17:00");
        calendars::upsert_calendar(tx, &spec.to_row(client, now_ms())?).await?;
    }
    let Some(engagement) = engagement else {
        return Ok(());
    };
    for c in &categories {
        if split::line_tx(tx, engagement, &c.id).await?.is_none() {
            let (bh, ah, scope) = DEFAULT_CATEGORIES
                .iter()
                .find(|d| d.0 == c.key)
                .map_or((OwnerSide::InHouse, OwnerSide::Provider, true), |d| {
                    (d.2, d.3, d.4)
                });
            split::upsert_line(
                tx,
                &SplitRow {
                    engagement_id: engagement,
                    category_id: c.id.clone(),
                    category_key: c.key.clone(),
                    category_name: c.name.clone(),
                    business_hours: bh.as_str().into(),
                    after_hours: ah.as_str().into(),
                    provider_assignee: None,
                    in_house_assignee: None,
                    in_scope: scope,
                },
            )
            .await?;
        }
    }
    for (p, ..) in DEFAULT_POLICIES {
        if calendars::policy_tx(tx, engagement, p.as_str())
            .await?
            .is_none()
        {
            let d = Policy::default_for(p);
            calendars::upsert_policy(
                tx,
                &PolicyRow {
                    engagement_id: engagement,
                    priority: p.as_str().into(),
                    response_minutes: d.response_minutes,
                    resolution_minutes: d.resolution_minutes,
                    around_the_clock: d.around_the_clock,
                    pause_statuses: json!(
                        d.pause_statuses
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                    )
                    .to_string(),
                    warn_percent: d.warn_percent,
                },
            )
            .await?;
        }
    }
    Ok(())
}

async fn category_rows_tx(tx: &mut Tx, client: OrgId) -> Result<Vec<Category>> {
    Ok(tandem_store::split::categories_tx(tx, client).await?)
}

/// A ticket with the names a page or an API answer shows.
#[derive(Clone, Debug)]
pub struct TicketView {
    /// The ticket.
    pub ticket: Ticket,
    /// e.g. `ALDER-12`.
    pub label: String,
    /// The client's name.
    pub client_name: String,
    /// Category key and name.
    pub category: (String, String),
    /// Requester's name.
    pub requester_name: String,
    /// Assignee's name.
    pub assignee_name: Option<String>,
}

impl From<tickets::QueueRow> for TicketView {
    fn from(q: tickets::QueueRow) -> Self {
        Self {
            label: ticket_label(&q.client_prefix, q.ticket.number),
            client_name: q.client_name,
            category: (q.category_key, q.category_name),
            requester_name: q.requester_name,
            assignee_name: q.assignee_name,
            ticket: q.ticket,
        }
    }
}

impl Tandem {
    async fn clock_context(&self, tx: &mut Tx, t: &Ticket) -> Result<ClockContext> {
        let business =
            working_time(calendars::calendar_tx(tx, t.client_id).await?.as_ref())?.into();
        let policy = match t
            .engagement_id
            .as_deref()
            .and_then(|e| e.parse::<EngagementId>().ok())
        {
            Some(e) => calendars::policy_tx(tx, e, &t.priority)
                .await?
                .map(|r| Policy::from_row(&r)),
            None => None,
        }
        .unwrap_or_else(|| Policy::default_for(t.priority.parse().unwrap_or(Priority::P3)));
        Ok(ClockContext { business, policy })
    }

    /// Open a ticket: route it by the split (category and whether the
    /// client's business hours are running), start its SLA clocks, and
    /// notify whoever it lands with.
    pub async fn open_ticket(
        &self,
        actor: &Actor,
        input: &NewTicket,
        meta: &RequestMeta,
    ) -> Result<TicketView> {
        self.open_ticket_at(actor, input, meta, now_ms()).await
    }

    /// [`Tandem::open_ticket`] dated `now` (the demo back-dates its history).
    pub(crate) async fn open_ticket_at(
        &self,
        actor: &Actor,
        input: &NewTicket,
        meta: &RequestMeta,
        now: i64,
    ) -> Result<TicketView> {
        self.open_ticket_routed(actor, input, meta, now, TicketId::new(), false)
            .await
    }

    /// Write a ticket under an id reserved beforehand (alert intake, the
    /// alert sweeps and asset reminders record it first), unless another
    /// request or worker wrote it meanwhile: a failed write is checked
    /// through the writer ([`tickets::exists_tx`]), which answers once
    /// that other write is committed. On SQLite a failed member is answered
    /// at once, while the member that wrote the same ticket may still wait
    /// for its group, unseen by readers.
    pub(crate) async fn open_reserved_ticket(
        &self,
        actor: &Actor,
        input: &NewTicket,
        meta: &RequestMeta,
        now: i64,
        id: TicketId,
        after_hours: bool,
    ) -> Result<()> {
        let Err(e) = self
            .open_ticket_routed(actor, input, meta, now, id, after_hours)
            .await
        else {
            return Ok(());
        };
        let mut tx = self.db.begin().await?;
        let written = tickets::exists_tx(&mut tx, input.client_id, id).await?;
        tx.commit().await?;
        if written { Ok(()) } else { Err(e) }
    }

    /// [`Tandem::open_ticket_at`] under the id `id`, routed as if business
    /// hours were over when `after_hours` is set: a dead man's switch
    /// reports to whoever watches the client after hours, whatever the
    /// clock says.
    pub(crate) async fn open_ticket_routed(
        &self,
        actor: &Actor,
        input: &NewTicket,
        meta: &RequestMeta,
        now: i64,
        id: TicketId,
        after_hours: bool,
    ) -> Result<TicketView> {
        let client = self
            .authorize_org(actor, Action::OpenTicket, input.client_id)
            .await?;
        if client.kind != tandem_domain::Side::Client {
            return Err(ValidationError::new(
                "client_id",
                "tickets belong to a client organization",
            )
            .into());
        }
        let title = title_of(&input.title)?;
        let description = body_of("description", &input.description, 100_000)?;
        let requester = match (actor.role, input.requester_id) {
            (Role::Requester, _) | (_, None) => actor.user_id,
            (_, Some(r)) => r,
        };
        let requester_name = if requester == actor.user_id {
            actor.name.clone()
        } else {
            let someone = users::find(&self.db, &actor.scope(), requester)
                .await
                .ok()
                .filter(|u| u.org_id == input.client_id)
                .ok_or_else(|| {
                    ValidationError::new("requester_id", "is not a person of this client")
                })?;
            someone.name
        };
        // Everything routing and the clocks need comes from the cached desk,
        // so the write transaction below holds the writer only for writes.
        let desk = self.desk_of(actor, &client).await?;
        let engagement = desk.engagement;
        let category = desk
            .categories
            .iter()
            .find(|c| c.key == input.category)
            .ok_or_else(|| {
                ValidationError::new(
                    "category",
                    format!("{:?} is not a category of this client", input.category),
                )
            })?;
        let priority = desk.matrix.priority(input.impact, input.urgency);
        let in_hours = !after_hours && desk.business.is_open(now);
        let routing = engagement
            .and(desk.line(&category.id))
            .map(|l| split_line(l).route(in_hours));
        let (owner, assignee) =
            routing.map_or((OwnerSide::InHouse, None), |r| (r.owner, r.assignee));
        // After hours an alert goes to whoever is on duty for the owning
        // side then (one indexed read, for after-hours alerts only); nobody
        // on duty, or nobody who still staffs that side, leaves the split's
        // default assignee.
        let on_duty = if input.source == Source::Alert && !in_hours {
            self.on_duty_assignee(input.client_id, owner, now).await?
        } else {
            None
        };
        let (assignee, on_duty) = match on_duty {
            Some((person, why)) => (Some(person), Some(why.label())),
            None => (self.still_works(assignee, input.client_id).await?, None),
        };
        let ctx = ClockContext {
            business: desk.business.clone(),
            policy: desk.policy(priority),
        };
        let response = SlaClock::start(
            ctx.policy.response_minutes,
            now,
            ctx.time(),
            ctx.policy.warn_percent,
        );
        let resolution = SlaClock::start(
            ctx.policy.resolution_minutes,
            now,
            ctx.time(),
            ctx.policy.warn_percent,
        );
        let mut t = Ticket {
            id,
            client_id: input.client_id,
            engagement_id: engagement.map(|e| e.to_string()),
            // Taken in the write below.
            number: 0,
            title,
            description,
            requester_id: requester,
            category_id: category.id.clone(),
            impact: input.impact.as_str().into(),
            urgency: input.urgency.as_str().into(),
            priority: priority.as_str().into(),
            priority_reason: None,
            status: TicketStatus::New.as_str().into(),
            owner_side: owner_text(owner).into(),
            assignee_id: assignee.as_ref().map(|a| a.id.to_string()),
            source: input.source.as_str().into(),
            version: 0,
            created_at: now,
            updated_at: now,
            resolved_at: None,
            response_target: 0,
            response_consumed: 0,
            response_since: None,
            response_due: None,
            response_warn_at: None,
            response_met_at: None,
            response_warned: false,
            response_breached: false,
            resolution_target: 0,
            resolution_consumed: 0,
            resolution_since: None,
            resolution_due: None,
            resolution_warn_at: None,
            resolution_warned: false,
            resolution_breached: false,
            next_due: None,
            next_sla_event_at: None,
        };
        store_clocks(&mut t, &response, &resolution);
        // The rest is written with the ticket, once its number is taken.
        let notified = assignee
            .as_ref()
            .map(|a| a.id)
            .filter(|a| *a != actor.user_id);
        let (by, meta, key, source) = (
            actor.clone(),
            meta.clone(),
            category.key.clone(),
            input.source.as_str(),
        );
        let t = tickets::open(&self.db, t, requester, move |t| {
            let event = new_event(now, t, Some(&by), "created", Visibility::Public, &opened_via(source, on_duty.as_deref()),
                json!({ "priority": t.priority, "owner_side": t.owner_side, "in_business_hours": in_hours, "assignee": t.assignee_id, "on_duty": on_duty }));
            Opening {
            webhook: crate::webhooks::ticket_event_job(&event, t),
            event,
            audit: audit_record(Some(&by), "", &meta, Entry {
                org: Some(t.client_id),
                action: "ticket.create",
                object_type: "ticket",
                object_id: t.id.to_string(),
                change: json!({ "number": t.number, "title": t.title, "category": key, "priority": t.priority, "owner_side": t.owner_side, "assignee": t.assignee_id }),
            }),
            job: notified.map(|a| notification(a, t, "assigned", &format!("#{} {} was assigned to you", t.number, t.title))),
        }})
        .await?;
        Ok(TicketView {
            label: ticket_label(&prefix_of(&client), t.number),
            client_name: client.name,
            category: (category.key.clone(), category.name.clone()),
            requester_name,
            assignee_name: assignee.map(|a| a.name),
            ticket: t,
        })
    }

    /// A ticket with names, if the actor may see it: one read under the
    /// store's visibility rule, without a second lookup of the relation.
    pub(crate) async fn visible_ticket(&self, actor: &Actor, id: TicketId) -> Result<TicketView> {
        let row = tickets::find_named(&self.db, &actor.scope(), actor.role == Role::Requester, id)
            .await?;
        readable_view(actor, row)
    }

    /// Change status, assignment or fields, if nobody changed the ticket
    /// since `version` (a stale version is [`ServiceError::Stale`]).
    pub async fn change_ticket(
        &self,
        actor: &Actor,
        id: TicketId,
        version: i64,
        change: &TicketChange,
        meta: &RequestMeta,
    ) -> Result<TicketView> {
        self.change_ticket_at(actor, id, version, change, meta, now_ms())
            .await
    }

    /// [`Tandem::change_ticket`] dated `now` (the demo back-dates its history).
    pub(crate) async fn change_ticket_at(
        &self,
        actor: &Actor,
        id: TicketId,
        version: i64,
        change: &TicketChange,
        meta: &RequestMeta,
        now: i64,
    ) -> Result<TicketView> {
        let mut tx = self.db.begin().await?;
        let before =
            tickets::find_tx(&mut tx, &actor.scope(), actor.role == Role::Requester, id).await?;
        self.authorize(actor, Action::WorkTickets, before.client_id)
            .await?;
        if before.version != version {
            return Err(ServiceError::Stale {
                current_version: before.version,
            });
        }
        let tx = self
            .apply_change(tx, actor, before, change, meta, now)
            .await?;
        tx.commit().await?;
        self.visible_ticket(actor, id).await
    }

    /// The change itself, inside `tx`, to a ticket the caller has read in
    /// it and decided the actor may change: clocks, timeline, notifications
    /// and audit exactly as for a person's change. (The worker resolves
    /// alert tickets through here on a monitoring source's behalf.)
    pub(crate) async fn apply_change(
        &self,
        mut tx: Tx,
        actor: &Actor,
        before: Ticket,
        change: &TicketChange,
        meta: &RequestMeta,
        now: i64,
    ) -> Result<Tx> {
        let version = before.version;
        let mut t = before.clone();
        let mut diff = serde_json::Map::new();
        let mut ctx = self.clock_context(&mut tx, &t).await?;
        let (mut response, mut resolution) = clocks_of(&t);

        if let Some(title) = &change.title {
            t.title = title_of(title)?;
        }
        if let Some(key) = &change.category {
            let c = category_rows_tx(&mut tx, t.client_id)
                .await?
                .into_iter()
                .find(|c| &c.key == key)
                .ok_or_else(|| {
                    ValidationError::new(
                        "category",
                        format!("{key:?} is not a category of this client"),
                    )
                })?;
            t.category_id = c.id;
        }
        if let Some(i) = change.impact {
            t.impact = i.as_str().into();
        }
        if let Some(u) = change.urgency {
            t.urgency = u.as_str().into();
        }
        let new_priority = match &change.priority_override {
            Some((p, reason)) => {
                if reason.trim().is_empty() {
                    return Err(ValidationError::new(
                        "priority_reason",
                        "a priority set by hand needs a reason",
                    )
                    .into());
                }
                t.priority_reason = Some(reason.trim().to_owned());
                *p
            }
            None if change.impact.is_some() || change.urgency.is_some() => {
                let matrix = match t.engagement_id.as_deref().and_then(|e| e.parse().ok()) {
                    Some(e) => priority_matrix(&mut tx, e).await?,
                    None => PriorityMatrix::default(),
                };
                t.priority_reason = None;
                matrix.priority(parse("impact", &t.impact)?, parse("urgency", &t.urgency)?)
            }
            None => parse("priority", &t.priority)?,
        };
        if new_priority.as_str() != before.priority {
            t.priority = new_priority.as_str().into();
            let old_ctx = ctx;
            ctx = self.clock_context(&mut tx, &t).await?;
            response.retarget(
                now,
                old_ctx.time(),
                ctx.time(),
                ctx.policy.response_minutes,
                ctx.policy.warn_percent,
            );
            resolution.retarget(
                now,
                old_ctx.time(),
                ctx.time(),
                ctx.policy.resolution_minutes,
                ctx.policy.warn_percent,
            );
            event(&mut tx, now, &t, Some(actor), "sla", Visibility::Team, "Priority changed; deadlines recomputed with the time already used",
                json!({ "priority": { "from": before.priority, "to": t.priority }, "reason": t.priority_reason })).await?;
        }
        if let Some(status) = change.status {
            let old: TicketStatus = parse("status", &before.status)?;
            if status != old {
                let wt = ctx.time();
                let pause_now = ctx.policy.pauses(status) || status.is_done();
                let paused_before = ctx.policy.pauses(old) || old.is_done();
                if status.is_done() && !old.is_done() {
                    // Resolved or closed: the resolution clock stops for good.
                    response.pause(now, wt);
                    resolution.stop(now, wt);
                } else if old.is_done() && !status.is_done() {
                    // Reopened, perhaps straight into a waiting state: no
                    // longer resolved, and counting again unless it waits.
                    resolution.done_at = None;
                    if !pause_now {
                        if response.done_at.is_none() {
                            response.resume(now, wt, ctx.policy.warn_percent);
                        }
                        resolution.resume(now, wt, ctx.policy.warn_percent);
                    }
                } else if pause_now && !paused_before {
                    response.pause(now, wt);
                    resolution.pause(now, wt);
                } else if !pause_now && paused_before {
                    if response.done_at.is_none() {
                        response.resume(now, wt, ctx.policy.warn_percent);
                    }
                    resolution.resume(now, wt, ctx.policy.warn_percent);
                }
                t.status = status.as_str().into();
                event(
                    &mut tx,
                    now,
                    &t,
                    Some(actor),
                    "status",
                    Visibility::Public,
                    &format!("Status: {} → {}", old.as_str(), status.as_str()),
                    json!({ "from": old.as_str(), "to": status.as_str() }),
                )
                .await?;
            }
        }
        if let Some(assignee) = change.assignee {
            let new = assignee.map(|a| a.to_string());
            if new != t.assignee_id {
                if let Some(a) = assignee {
                    // Looked up without the actor's scope: a client admin may
                    // give work to an engaged engineer. Whether the person
                    // works this client is checked below, with one answer for
                    // "no such person" and "not here", so nothing leaks.
                    let u = users::get_for_actor(&self.db, a).await.map_err(|_| {
                        ValidationError::new("assignee_id", "is not someone who works this client")
                    })?;
                    if !u.role.is_staff() || !u.active {
                        return Err(
                            ValidationError::new("assignee_id", "must be active IT staff").into(),
                        );
                    }
                    // The actor's scope spans every client they work, so a
                    // person found there may still be a stranger to this one.
                    if users::working_client(&self.db, u.id, t.client_id)
                        .await?
                        .is_none()
                    {
                        return Err(ValidationError::new(
                            "assignee_id",
                            "is not someone who works this client",
                        )
                        .into());
                    }
                    if a != actor.user_id {
                        notify(
                            &mut tx,
                            a,
                            &t,
                            "assigned",
                            &format!("#{} {} was assigned to you", t.number, t.title),
                        )
                        .await?;
                    }
                }
                // Changed before the entry is written: its webhook event
                // names the new assignee.
                let from = std::mem::replace(&mut t.assignee_id, new);
                event(
                    &mut tx,
                    now,
                    &t,
                    Some(actor),
                    "field",
                    Visibility::Team,
                    "Assignee changed",
                    json!({ "from": from, "to": t.assignee_id }),
                )
                .await?;
            }
        }
        for (k, a, b) in [
            ("title", &before.title, &t.title),
            ("category_id", &before.category_id, &t.category_id),
            ("impact", &before.impact, &t.impact),
            ("urgency", &before.urgency, &t.urgency),
            ("priority", &before.priority, &t.priority),
            ("status", &before.status, &t.status),
        ] {
            if a != b {
                diff.insert(k.into(), json!({ "from": a, "to": b }));
            }
        }
        if before.assignee_id != t.assignee_id {
            diff.insert(
                "assignee_id".into(),
                json!({ "from": before.assignee_id, "to": t.assignee_id }),
            );
        }
        store_clocks(&mut t, &response, &resolution);
        t.updated_at = now;
        tickets::update(&mut tx, &t, version)
            .await
            .map_err(|e| crate::stale(e, version + 1))?;
        if !diff.is_empty() {
            record(
                &mut tx,
                Some(actor),
                "",
                meta,
                Entry {
                    org: Some(t.client_id),
                    action: "ticket.update",
                    object_type: "ticket",
                    object_id: t.id.to_string(),
                    change: diff.into(),
                },
            )
            .await?;
        }
        Ok(tx)
    }

    /// Hand a ticket to the other side, with a reason. The default assignee
    /// of that side for the category takes it.
    pub async fn hand_off(
        &self,
        actor: &Actor,
        id: TicketId,
        version: i64,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<TicketView> {
        self.hand_off_at(actor, id, version, reason, meta, now_ms())
            .await
    }

    /// [`Tandem::hand_off`] dated `now` (the demo back-dates its history).
    pub(crate) async fn hand_off_at(
        &self,
        actor: &Actor,
        id: TicketId,
        version: i64,
        reason: &str,
        meta: &RequestMeta,
        now: i64,
    ) -> Result<TicketView> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(
                ValidationError::new("reason", "say why the other side should take it").into(),
            );
        }
        let reason = body_of("reason", reason, 2000)?;
        let mut tx = self.db.begin().await?;
        let mut t =
            tickets::find_tx(&mut tx, &actor.scope(), actor.role == Role::Requester, id).await?;
        self.authorize(actor, Action::WorkTickets, t.client_id)
            .await?;
        if t.version != version {
            return Err(ServiceError::Stale {
                current_version: t.version,
            });
        }
        let from: OwnerSide = parse("owner_side", &t.owner_side)?;
        let to = from.other();
        let assignee = match t.engagement_id.as_deref().and_then(|e| e.parse().ok()) {
            Some(e) => split::line_tx(&mut tx, e, &t.category_id)
                .await?
                .and_then(|l| split_line(&l).assignee_for(to)),
            None => None,
        };
        let assignee = self.still_works(assignee, t.client_id).await?.map(|u| u.id);
        if to == OwnerSide::Provider && t.engagement_id.is_none() {
            return Err(ServiceError::Conflict(
                "this client has no active engagement with a provider".into(),
            ));
        }
        let direction = format!("{}->{}", from.as_str(), to.as_str());
        t.owner_side = to.as_str().into();
        t.assignee_id = assignee.map(|a| a.to_string());
        t.updated_at = now;
        tickets::update(&mut tx, &t, version)
            .await
            .map_err(|e| crate::stale(e, version + 1))?;
        event(&mut tx, now, &t, Some(actor), "handoff", Visibility::Team, &direction, json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason, "assignee": t.assignee_id })).await?;
        record(&mut tx, Some(actor), "", meta, Entry {
            org: Some(t.client_id),
            action: "ticket.handoff",
            object_type: "ticket",
            object_id: t.id.to_string(),
            change: json!({ "owner_side": { "from": from.as_str(), "to": to.as_str() }, "reason": reason }),
        })
        .await?;
        if let Some(a) = assignee {
            notify(
                &mut tx,
                a,
                &t,
                "handoff",
                &format!(
                    "#{} {} was handed to your side: {reason}",
                    t.number, t.title
                ),
            )
            .await?;
        }
        tx.commit().await?;
        self.visible_ticket(actor, id).await
    }

    /// Comment on a ticket. A public comment by IT staff of either side is
    /// the first response; requesters write public comments on their own.
    pub async fn comment(
        &self,
        actor: &Actor,
        id: TicketId,
        body: &str,
        visibility: Visibility,
        meta: &RequestMeta,
    ) -> Result<Event> {
        self.comment_at(actor, id, body, visibility, meta, now_ms())
            .await
    }

    /// [`Tandem::comment`] dated `now` (the demo back-dates its history).
    pub(crate) async fn comment_at(
        &self,
        actor: &Actor,
        id: TicketId,
        body: &str,
        visibility: Visibility,
        meta: &RequestMeta,
        now: i64,
    ) -> Result<Event> {
        let body = body_of("body", body, 100_000)?;
        if body.is_empty() {
            return Err(ValidationError::new("body", "must not be empty").into());
        }
        let mut tx = self.db.begin().await?;
        let mut t =
            tickets::find_tx(&mut tx, &actor.scope(), actor.role == Role::Requester, id).await?;
        self.authorize(actor, Action::CommentTickets, t.client_id)
            .await?;
        if visibility == Visibility::Team && !actor.role.is_staff() {
            return Err(ServiceError::Forbidden);
        }
        let staff = actor.role.is_staff();
        if staff && visibility == Visibility::Public && t.response_met_at.is_none() {
            let ctx = self.clock_context(&mut tx, &t).await?;
            let (mut response, resolution) = clocks_of(&t);
            response.stop(now, ctx.time());
            store_clocks(&mut t, &response, &resolution);
            event(
                &mut tx,
                now,
                &t,
                Some(actor),
                "sla",
                Visibility::Team,
                "First response given",
                json!({ "breached": t.response_breached }),
            )
            .await?;
        }
        t.updated_at = now;
        tickets::update_clocks(&mut tx, &t).await?;
        let e = event(
            &mut tx,
            now,
            &t,
            Some(actor),
            "comment",
            visibility,
            &body,
            json!({}),
        )
        .await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(t.client_id),
                action: "ticket.comment",
                object_type: "ticket",
                object_id: t.id.to_string(),
                change: json!({ "visibility": visibility, "event_id": e.id }),
            },
        )
        .await?;
        if visibility == Visibility::Public {
            let mut to: Vec<UserId> = vec![t.requester_id];
            if let Some(a) = t.assignee_id.as_deref().and_then(|a| a.parse().ok()) {
                to.push(a);
            }
            to.extend(
                tickets::watchers(&self.db, t.id)
                    .await?
                    .iter()
                    .filter_map(|w| w.parse::<UserId>().ok()),
            );
            to.retain(|u| *u != actor.user_id);
            to.sort_unstable();
            to.dedup();
            for u in to {
                notify(
                    &mut tx,
                    u,
                    &t,
                    "public_comment",
                    &format!("New reply on #{} {}", t.number, t.title),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(e)
    }

    /// Raise every SLA warning and breach that has fallen due by `now`:
    /// a timeline event, an audit entry and notifications for the owner
    /// side and the assignee. Returns how many were raised.
    pub async fn raise_sla_events(&self, now: i64) -> Result<usize> {
        let mut raised = 0;
        for due in tickets::due_sla_events(&self.db, now, 200).await? {
            let mut tx = self.db.begin().await?;
            let mut t = tickets::get_for_worker(&mut tx, due.id).await?;
            let (mut response, mut resolution) = clocks_of(&t);
            let mut events = Vec::new();
            for (name, clock) in [("response", &mut response), ("resolution", &mut resolution)] {
                while let Some(ev) = clock.check(now) {
                    events.push((name, ev));
                }
            }
            store_clocks(&mut t, &response, &resolution);
            tickets::update_clocks(&mut tx, &t).await?;
            if events.is_empty() {
                tx.commit().await?;
                continue;
            }
            for (name, ev) in &events {
                let what = match ev {
                    SlaEvent::Warning => "warning",
                    SlaEvent::Breach => "breach",
                };
                let text = format!("SLA {what}: {name} target of #{} {}", t.number, t.title);
                event(
                    &mut tx,
                    now,
                    &t,
                    None,
                    "sla",
                    Visibility::Team,
                    &text,
                    json!({ "clock": name, "event": what }),
                )
                .await?;
                record(
                    &mut tx,
                    None,
                    "sla-clock",
                    &RequestMeta {
                        request_id: "sla-worker".into(),
                        source_addr: "local".into(),
                    },
                    Entry {
                        org: Some(t.client_id),
                        action: if *ev == SlaEvent::Breach {
                            "ticket.sla_breach"
                        } else {
                            "ticket.sla_warning"
                        },
                        object_type: "ticket",
                        object_id: t.id.to_string(),
                        change: json!({ "clock": name }),
                    },
                )
                .await?;
                for u in self.side_recipients(&mut tx, &t).await? {
                    notify(
                        &mut tx,
                        u,
                        &t,
                        if *ev == SlaEvent::Breach {
                            "sla_breach"
                        } else {
                            "sla_warning"
                        },
                        &text,
                    )
                    .await?;
                }
                raised += 1;
            }
            tx.commit().await?;
        }
        Ok(raised)
    }

    /// A default pick-up from the split, if that person still works the
    /// client (an engineer taken off the engagement no longer gets work).
    async fn still_works(
        &self,
        who: Option<UserId>,
        client: OrgId,
    ) -> Result<Option<tandem_store::users::User>> {
        let Some(u) = who else { return Ok(None) };
        Ok(users::working_client(&self.db, u, client).await?)
    }

    /// Who hears about SLA events: the assignee, or when there is none the
    /// owner side's admins and assigned engineers.
    async fn side_recipients(&self, tx: &mut Tx, t: &Ticket) -> Result<Vec<UserId>> {
        if let Some(a) = t.assignee_id.as_deref().and_then(|a| a.parse().ok()) {
            return Ok(vec![a]);
        }
        Ok(tandem_store::tickets::side_staff_tx(tx, t.client_id, &t.owner_side).await?)
    }
}

/// A ticket the store found under its visibility rule, as a view, once the
/// policy agrees: found means the actor's own client or an engaged one, so
/// that is the relation it is asked with.
pub(crate) fn readable_view(actor: &Actor, row: tickets::QueueRow) -> Result<TicketView> {
    let relation = if row.ticket.client_id == actor.org_id {
        Relation::Own
    } else {
        Relation::Engaged
    };
    crate::decided(policy::decide(actor.role, Action::ViewTickets, relation))?;
    Ok(row.into())
}

/// The created entry's words; an alert routed by the rota says to whom
/// and why ("on duty: Dev Ramanathan (rota)").
fn opened_via(source: &str, on_duty: Option<&str>) -> String {
    match on_duty {
        Some(who) => format!("Opened via {source}; on duty: {who}"),
        None => format!("Opened via {source}"),
    }
}

/// The split line as the domain routes by it.
pub fn split_line(l: &SplitRow) -> SplitLine {
    SplitLine {
        category: l.category_key.clone(),
        business_hours: l.business_hours.parse().unwrap_or(OwnerSide::InHouse),
        after_hours: l.after_hours.parse().unwrap_or(OwnerSide::InHouse),
        provider_assignee: l.provider_assignee.as_deref().and_then(|a| a.parse().ok()),
        in_house_assignee: l.in_house_assignee.as_deref().and_then(|a| a.parse().ok()),
        in_scope: l.in_scope,
    }
}

/// An engagement's priority matrix (the default one when unset or damaged).
pub(crate) async fn priority_matrix(tx: &mut Tx, e: EngagementId) -> Result<PriorityMatrix> {
    let raw = tandem_store::engagements::priority_matrix_tx(tx, e).await?;
    Ok(parse_matrix(&raw))
}

/// A stored priority matrix (the default one when damaged).
pub(crate) fn parse_matrix(raw: &str) -> PriorityMatrix {
    let cells: Vec<Priority> = serde_json::from_str::<Vec<String>>(raw)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| p.parse().ok())
        .collect();
    if cells.len() != 9 {
        return PriorityMatrix::default();
    }
    PriorityMatrix {
        grid: [
            [cells[0], cells[1], cells[2]],
            [cells[3], cells[4], cells[5]],
            [cells[6], cells[7], cells[8]],
        ],
    }
}

/// Write a timeline entry of ticket `t` (as it stands after the change),
/// and queue it for the client's webhooks when it is a webhook event.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn event(
    tx: &mut Tx,
    at: i64,
    t: &Ticket,
    actor: Option<&Actor>,
    kind: &str,
    visibility: Visibility,
    body: &str,
    data: serde_json::Value,
) -> Result<Event> {
    let mut e = new_event(at, t, actor, kind, visibility, body, data);
    e.id = tickets::insert_event(tx, &e).await?;
    // Every ticket event the webhooks hear of is one of these entries: this
    // is where they are queued, with the entry.
    if let Some(job) = crate::webhooks::ticket_event_job(&e, t) {
        tandem_store::webhooks::enqueue_if_heard(tx, t.client_id, &job).await?;
    }
    Ok(e)
}

/// The timeline entry [`event`] inserts, not yet numbered.
fn new_event(
    at: i64,
    t: &Ticket,
    actor: Option<&Actor>,
    kind: &str,
    visibility: Visibility,
    body: &str,
    data: serde_json::Value,
) -> Event {
    Event {
        id: 0,
        ticket_id: t.id.to_string(),
        client_id: t.client_id.to_string(),
        at,
        actor_user_id: actor.map(|a| a.user_id.to_string()),
        actor_label: actor.map_or_else(|| "SLA clock".to_owned(), |a| a.email.clone()),
        actor_name: actor.map(|a| a.name.clone()),
        actor_side: actor.map(|a| a.side().as_str().to_owned()),
        kind: kind.into(),
        visibility: match visibility {
            Visibility::Public => "public".into(),
            Visibility::Team => "team".into(),
        },
        body: body.into(),
        data: data.to_string(),
    }
}

/// Queue an in-app notification through the job table.
async fn notify(tx: &mut Tx, user: UserId, t: &Ticket, kind: &str, text: &str) -> Result<()> {
    let job = notification(user, t, kind, text);
    jobs::enqueue(tx, job.kind, &job.payload, job.run_at).await?;
    Ok(())
}

/// The job [`notify`] queues.
fn notification(user: UserId, t: &Ticket, kind: &str, text: &str) -> NewJob {
    let payload = json!({ "user_id": user, "client_id": t.client_id, "ticket_id": t.id, "kind": kind, "text": text });
    NewJob {
        kind: "notify",
        payload: payload.to_string(),
        // Due at once, whatever instant the change itself is dated.
        run_at: now_ms(),
    }
}
