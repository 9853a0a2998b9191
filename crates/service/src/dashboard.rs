//! The first page each role sees: what needs them now (in-house staff),
//! their clients side by side (provider staff), results over time
//! (leadership, read-only), or their own open tickets (requesters).
//!
//! Every figure is counted by the store under the ticket visibility rule;
//! lists reuse the queue's views, so a dashboard never shows a ticket or a
//! client its reader could not open from a queue. Weeks and months are
//! the reader's, in the time zone they read in.

use crate::queue::{QueueFilter, QueueItem, QueueView};
use crate::{Result, ServiceError, Tandem, now_ms};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use tandem_domain::policy::{self, Action, Relation};
use tandem_domain::ticket::{OwnerSide, Priority};
use tandem_domain::{Actor, Role};
use tandem_store::dashboard::{self as figures, PeriodCount};
use tandem_store::engagements::{self, Assignment};
use tandem_store::tickets::{self, ListQuery};

/// "Breaching soon", everywhere on the dashboards: an open ticket with a
/// running SLA clock whose next deadline is less than this far away, or
/// already past (a breached clock that still runs needs action first).
/// Warning thresholds differ per policy and priority (75% of a P4's five
/// days leaves more than a day), so one fixed horizon is what makes
/// clients comparable in one table; it is also one index range per client.
pub const SOON_MS: i64 = 4 * 60 * 60 * 1000;

/// How many weeks the leadership chart covers (the current week last).
pub const WEEKS: usize = 12;

/// How many tickets the "breaching soon" lists show.
pub const BREACHING_LIST: i64 = 5;

/// A role's dashboard.
#[derive(Clone, Debug)]
pub enum Dashboard {
    /// Client admins and technicians: their own desk.
    InHouse(InHouseDesk),
    /// Provider admins and engineers: their clients side by side.
    Provider(ProviderDesk),
    /// Client viewers (leadership): results over time.
    Leadership(Leadership),
    /// Requesters: their own open tickets.
    Requester(RequesterDesk),
}

/// The reader's calendar around now: where this week and month begin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Periods {
    /// Now (epoch ms).
    pub now: i64,
    /// Monday 00:00 of this week in the reader's zone.
    pub week_start: i64,
    /// The first of this month, 00:00, in the reader's zone.
    pub month_start: i64,
    /// The first of next month, 00:00.
    pub next_month_start: i64,
    /// The Mondays of the last [`WEEKS`] weeks (this week last), and the
    /// Monday after this week: `WEEKS + 1` bounds.
    pub week_bounds: Vec<i64>,
}

impl Periods {
    /// The periods around `now` (epoch ms) in `zone`. Local midnights: a
    /// week across a change of daylight saving time is an hour shorter or
    /// longer, and a midnight that does not exist is the first instant
    /// after it.
    pub fn at(now: i64, zone: &TimeZone) -> Result<Self> {
        let z = Timestamp::from_millisecond(now)
            .map_err(internal)?
            .to_zoned_datetime(zone.clone());
        let today = z.date();
        let monday = today
            .checked_sub(i64::from(today.weekday().to_monday_zero_offset()).days())
            .map_err(internal)?;
        let first = today.first_of_month();
        let midnight = |d: jiff::civil::Date| -> Result<i64> {
            Ok(d.to_zoned_datetime(zone.clone())
                .map_err(internal)?
                .timestamp()
                .as_millisecond())
        };
        let mut week_bounds = Vec::with_capacity(WEEKS + 1);
        for k in 0..=WEEKS {
            let weeks_back = WEEKS as i64 - 1 - k as i64;
            let d = monday.checked_sub(weeks_back.weeks()).map_err(internal)?;
            week_bounds.push(midnight(d)?);
        }
        Ok(Self {
            now,
            week_start: midnight(monday)?,
            month_start: midnight(first)?,
            next_month_start: midnight(first.checked_add(1.month()).map_err(internal)?)?,
            week_bounds,
        })
    }
}

fn internal(e: jiff::Error) -> ServiceError {
    ServiceError::Internal(format!("calendar arithmetic: {e}"))
}

/// Hand-offs in each direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handoffs {
    /// From the in-house team to the provider.
    pub to_provider: i64,
    /// From the provider to the in-house team.
    pub to_in_house: i64,
}

impl Handoffs {
    fn from_rows(rows: &[(String, i64)]) -> Self {
        let mut h = Handoffs::default();
        for (direction, n) in rows {
            // The body a hand-off writes: `from->to` in owner-side codes.
            match direction.split_once("->").map(|(_, to)| to.parse()) {
                Some(Ok(OwnerSide::Provider)) => h.to_provider += n,
                Some(Ok(OwnerSide::InHouse)) => h.to_in_house += n,
                _ => {}
            }
        }
        h
    }
}

/// Open tickets by the side that owns them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideCounts {
    /// Owned by the in-house team ("waiting on us" for the client).
    pub in_house: i64,
    /// Owned by the provider ("waiting on the provider").
    pub provider: i64,
}

impl SideCounts {
    fn add(&mut self, side: &str, n: i64) {
        match side.parse() {
            Ok(OwnerSide::InHouse) => self.in_house += n,
            Ok(OwnerSide::Provider) => self.provider += n,
            // Tickets are owned by one side; `shared` is a split line's word.
            Ok(OwnerSide::Shared) | Err(_) => {}
        }
    }

    /// Both sides together.
    pub fn total(&self) -> i64 {
        self.in_house + self.provider
    }
}

/// The dashboard of client admins and technicians.
#[derive(Clone, Debug)]
pub struct InHouseDesk {
    /// Where this week and month begin for the reader.
    pub periods: Periods,
    /// The client's name.
    pub client_name: String,
    /// Open tickets by owner side: waiting on us, waiting on the provider.
    pub open: SideCounts,
    /// Open tickets breaching soon (see [`SOON_MS`]).
    pub due_soon: i64,
    /// The [`BREACHING_LIST`] open tickets with the nearest running deadline.
    pub breaching: Vec<QueueItem>,
    /// Hand-offs since Monday 00:00.
    pub handoffs: Handoffs,
    /// The reader's unread notifications.
    pub unread: i64,
    /// The provider of the active engagement, if there is one.
    pub provider_name: Option<String>,
    /// The named engineers assigned to it.
    pub engineers: Vec<Assignment>,
}

/// One client on a provider dashboard.
#[derive(Clone, Debug)]
pub struct ClientRow {
    /// The client's id.
    pub client_id: String,
    /// The client's name.
    pub client_name: String,
    /// Its figures; none for an engagement the reader is not assigned to
    /// (its engagement is visible to a provider admin, its tickets are not).
    pub figures: Option<ClientFigures>,
}

/// A client's figures on a provider dashboard.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClientFigures {
    /// Open tickets by owner side.
    pub open: SideCounts,
    /// Open tickets breaching soon (see [`SOON_MS`]).
    pub due_soon: i64,
    /// Tickets with an SLA breach (either clock) recorded this month.
    pub breached_this_month: i64,
}

/// The dashboard of provider staff.
#[derive(Clone, Debug)]
pub struct ProviderDesk {
    /// Where this week and month begin for the reader.
    pub periods: Periods,
    /// One row per client, by name.
    pub clients: Vec<ClientRow>,
    /// The sum over the rows with figures.
    pub totals: ClientFigures,
    /// The [`BREACHING_LIST`] open tickets with the nearest running
    /// deadline across those clients.
    pub breaching: Vec<QueueItem>,
    /// Hand-offs since Monday 00:00 across those clients.
    pub handoffs: Handoffs,
    /// The reader's unread notifications.
    pub unread: i64,
}

/// SLA outcomes of one priority this month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlaLine {
    /// The priority.
    pub priority: Priority,
    /// First responses given within their target.
    pub response_met: i64,
    /// First-response targets missed.
    pub response_missed: i64,
    /// Tickets resolved within their target.
    pub resolution_met: i64,
    /// Resolution targets missed.
    pub resolution_missed: i64,
}

/// The dashboard of client viewers (leadership).
#[derive(Clone, Debug)]
pub struct Leadership {
    /// Where this week and month begin for the reader.
    pub periods: Periods,
    /// The client's name.
    pub client_name: String,
    /// SLA outcomes decided this month, P1 to P4: each clock once, in the
    /// month its outcome was decided (met when it stopped within target,
    /// missed when the breach was recorded).
    pub sla: Vec<SlaLine>,
    /// Tickets opened and resolved in each of the last [`WEEKS`] weeks.
    pub weeks: Vec<PeriodCount>,
    /// Tickets resolved in those weeks, by the side that owned them.
    pub resolved_by_side: SideCounts,
}

/// The dashboard of requesters.
#[derive(Clone, Debug)]
pub struct RequesterDesk {
    /// Their open tickets, most recently changed first.
    pub open: Vec<QueueItem>,
}

impl Tandem {
    /// The actor's dashboard, with weeks and months in `zone`.
    pub async fn dashboard(&self, actor: &Actor, zone: &TimeZone) -> Result<Dashboard> {
        self.dashboard_at(actor, zone, now_ms()).await
    }

    /// [`Tandem::dashboard`] as of `now` (epoch ms).
    pub async fn dashboard_at(
        &self,
        actor: &Actor,
        zone: &TimeZone,
        now: i64,
    ) -> Result<Dashboard> {
        let periods = Periods::at(now, zone)?;
        Ok(match actor.role {
            Role::ClientAdmin | Role::ClientTechnician => {
                Dashboard::InHouse(self.in_house_desk(actor, periods).await?)
            }
            Role::ProviderAdmin | Role::ProviderEngineer => {
                Dashboard::Provider(self.provider_desk(actor, periods).await?)
            }
            Role::ClientViewer => Dashboard::Leadership(self.leadership(actor, periods).await?),
            Role::Requester => Dashboard::Requester(self.requester_desk(actor).await?),
        })
    }

    async fn breaching(&self, actor: &Actor) -> Result<Vec<QueueItem>> {
        let filter = QueueFilter {
            limit: Some(BREACHING_LIST),
            ..QueueFilter::default()
        };
        self.queue(actor, QueueView::BreachingSoon, &filter).await
    }

    async fn in_house_desk(&self, actor: &Actor, periods: Periods) -> Result<InHouseDesk> {
        let org = self
            .authorize_org(actor, Action::ViewTickets, actor.org_id)
            .await?;
        let scope = actor.scope();
        let mut open = SideCounts::default();
        let mut due_soon = 0;
        for c in figures::open_counts(&self.db, &scope, periods.now + SOON_MS).await? {
            open.add(&c.owner_side, c.open);
            due_soon += c.due_soon;
        }
        let handoffs =
            Handoffs::from_rows(&figures::handoffs(&self.db, &scope, periods.week_start).await?);
        // Who works with us: the people a client admin also sees on the
        // engagements page, under the same permission.
        let (provider_name, engineers) = match self
            .authorize(actor, Action::ViewEngagements, actor.org_id)
            .await
        {
            Ok(()) => match engagements::active_for_client(&self.db, actor.org_id).await? {
                Some(e) => (
                    Some(e.provider_name.clone()),
                    engagements::assignments(&self.db, e.id).await?,
                ),
                None => (None, Vec::new()),
            },
            Err(ServiceError::Forbidden) => (None, Vec::new()),
            Err(e) => return Err(e),
        };
        Ok(InHouseDesk {
            client_name: org.name,
            open,
            due_soon,
            breaching: self.breaching(actor).await?,
            handoffs,
            unread: self.unread_notifications(actor).await?,
            provider_name,
            engineers,
            periods,
        })
    }

    async fn provider_desk(&self, actor: &Actor, periods: Periods) -> Result<ProviderDesk> {
        let scope = actor.scope();
        // The clients whose tickets the reader sees: the ticket rule's own list.
        let mut clients: Vec<ClientRow> = figures::engaged_clients(&self.db, &scope)
            .await?
            .into_iter()
            .map(|(client_id, client_name)| ClientRow {
                client_id,
                client_name,
                figures: Some(ClientFigures::default()),
            })
            .collect();
        let open = figures::open_counts(&self.db, &scope, periods.now + SOON_MS).await?;
        let breached = figures::breached_by_client(
            &self.db,
            &scope,
            periods.month_start,
            periods.next_month_start,
        )
        .await?;
        for row in &mut clients {
            let Some(f) = row.figures.as_mut() else {
                continue;
            };
            for c in open.iter().filter(|c| c.client_id == row.client_id) {
                f.open.add(&c.owner_side, c.open);
                f.due_soon += c.due_soon;
            }
            f.breached_this_month = breached
                .iter()
                .find(|(c, _)| *c == row.client_id)
                .map_or(0, |(_, n)| *n);
        }
        // Those who manage the provider's engagements see each active one,
        // also where they are not assigned: the engagement, not its tickets.
        if policy::decide(actor.role, Action::ManageEngagements, Relation::Own).allowed() {
            for e in engagements::list_for_org(&self.db, &scope).await? {
                let id = e.client_id.to_string();
                if e.is_active()
                    && e.provider_id == actor.org_id
                    && !clients.iter().any(|c| c.client_id == id)
                {
                    clients.push(ClientRow {
                        client_id: id,
                        client_name: e.client_name,
                        figures: None,
                    });
                }
            }
            clients.sort_by(|a, b| {
                (&a.client_name, &a.client_id).cmp(&(&b.client_name, &b.client_id))
            });
        }
        let mut totals = ClientFigures::default();
        for f in clients.iter().filter_map(|c| c.figures.as_ref()) {
            totals.open.in_house += f.open.in_house;
            totals.open.provider += f.open.provider;
            totals.due_soon += f.due_soon;
            totals.breached_this_month += f.breached_this_month;
        }
        Ok(ProviderDesk {
            handoffs: Handoffs::from_rows(
                &figures::handoffs(&self.db, &scope, periods.week_start).await?,
            ),
            breaching: self.breaching(actor).await?,
            unread: self.unread_notifications(actor).await?,
            clients,
            totals,
            periods,
        })
    }

    async fn leadership(&self, actor: &Actor, periods: Periods) -> Result<Leadership> {
        let org = self
            .authorize_org(actor, Action::ViewTickets, actor.org_id)
            .await?;
        let scope = actor.scope();
        let counts = figures::sla_results(
            &self.db,
            &scope,
            periods.month_start,
            periods.next_month_start,
        )
        .await?;
        let sla = Priority::ALL
            .iter()
            .map(|&priority| {
                let n = |clock: &str, outcome: &str| {
                    counts
                        .iter()
                        .filter(|c| {
                            c.priority == priority.as_str()
                                && c.clock == clock
                                && c.outcome == outcome
                        })
                        .map(|c| c.n)
                        .sum()
                };
                SlaLine {
                    priority,
                    response_met: n("response", "met"),
                    response_missed: n("response", "missed"),
                    resolution_met: n("resolution", "met"),
                    resolution_missed: n("resolution", "missed"),
                }
            })
            .collect();
        let weeks = figures::opened_resolved(&self.db, &scope, &periods.week_bounds).await?;
        let mut resolved_by_side = SideCounts::default();
        if let (Some(first), Some(last)) = (periods.week_bounds.first(), periods.week_bounds.last())
        {
            for (side, n) in figures::resolved_by_side(&self.db, &scope, *first, *last).await? {
                resolved_by_side.add(&side, n);
            }
        }
        Ok(Leadership {
            client_name: org.name,
            sla,
            weeks,
            resolved_by_side,
            periods,
        })
    }

    async fn requester_desk(&self, actor: &Actor) -> Result<RequesterDesk> {
        self.authorize(actor, Action::ViewTickets, actor.org_id)
            .await?;
        let mut q = ListQuery {
            order: "t.updated_at DESC, t.id DESC",
            limit: 100,
            ..ListQuery::default()
        };
        q.condition("t.status NOT IN ('resolved', 'closed')");
        let open = tickets::list(&self.db, &actor.scope(), true, &q).await?;
        Ok(RequesterDesk { open })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        s.parse::<Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(i64::MIN)
    }

    #[test]
    fn weeks_and_months_begin_at_local_midnight_across_a_dst_change() {
        let chicago = TimeZone::get("America/Chicago").unwrap_or(TimeZone::UTC);
        // Wednesday 2026-03-11 12:00 in Chicago (CDT since Sunday the 8th).
        let p = Periods::at(ms("2026-03-11T17:00:00Z"), &chicago).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.week_start, ms("2026-03-09T05:00:00Z"), "Monday 00:00 CDT");
        assert_eq!(
            p.month_start,
            ms("2026-03-01T06:00:00Z"),
            "March 1st 00:00 CST"
        );
        assert_eq!(p.next_month_start, ms("2026-04-01T05:00:00Z"));
        assert_eq!(p.week_bounds.len(), WEEKS + 1);
        assert_eq!(
            p.week_bounds[WEEKS - 1],
            p.week_start,
            "this week is the last"
        );
        assert_eq!(p.week_bounds[WEEKS], ms("2026-03-16T05:00:00Z"));
        // The week holding the change is an hour short.
        assert_eq!(
            p.week_bounds[WEEKS - 1] - p.week_bounds[WEEKS - 2],
            7 * 86_400_000 - 3_600_000
        );
        assert_eq!(p.week_bounds[0], ms("2025-12-22T06:00:00Z"));
    }

    #[test]
    fn a_monday_is_the_start_of_its_own_week_and_utc_is_plain() {
        let p = Periods::at(ms("2026-06-01T00:00:00Z"), &TimeZone::UTC)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.week_start, ms("2026-06-01T00:00:00Z"));
        assert_eq!(p.month_start, ms("2026-06-01T00:00:00Z"));
        assert_eq!(p.next_month_start, ms("2026-07-01T00:00:00Z"));
    }

    #[test]
    fn handoff_directions_are_read_from_the_entry_body() {
        let h = Handoffs::from_rows(&[
            ("in_house->provider".into(), 3),
            ("provider->in_house".into(), 2),
            ("something else".into(), 9),
        ]);
        assert_eq!(
            h,
            Handoffs {
                to_provider: 3,
                to_in_house: 2
            }
        );
    }
}
