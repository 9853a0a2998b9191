//! Time on tickets, by either side. In-house time is counted and never
//! billed; provider time is priced by the agreement in force, and each
//! entry says how and why (the billing engine's own words, for the whole
//! month of the client, so the order of draw is the invoice's).

use crate::audit::{Entry, record};
use crate::{RequestMeta, Result, ServiceError, Tandem, decided, now_ms};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};
use tandem_domain::billing::{self, Month, Terms, Work, WorkSide};
use tandem_domain::policy::{self, Action, Relation};
use tandem_domain::{Actor, OrgId, Role, Side, TicketId, ValidationError};
use tandem_store::agreements;
use tandem_store::calendars;
use tandem_store::engagements;
use tandem_store::time_entries::{self, TimeEntry};

/// Time to log.
#[derive(Clone, Debug, Default)]
pub struct NewTime {
    /// When the work started (epoch ms); now less its length if absent.
    pub started_at: Option<i64>,
    /// How long, in minutes; negative only in a correction.
    pub minutes: i64,
    /// The work category's key; the ticket's own if absent.
    pub category: Option<String>,
    /// What was done.
    pub note: String,
    /// The entry this corrects (an entry on an issued invoice is locked).
    pub corrects: Option<String>,
}

/// An entry as a page shows it: how it is paid for, and why.
#[derive(Clone, Debug)]
pub struct TimeLine {
    /// The entry.
    pub entry: TimeEntry,
    /// How the agreement in force pays for it (provider work only).
    pub why: Option<String>,
}

/// A ticket's time: its entries and both sides' totals.
#[derive(Clone, Debug, Default)]
pub struct TicketTime {
    /// Oldest first.
    pub lines: Vec<TimeLine>,
    /// In-house minutes.
    pub in_house_minutes: i64,
    /// Provider minutes.
    pub provider_minutes: i64,
}

/// Entries as the billing engine takes them: a correction is netted into
/// the entry it corrects, on that entry's day. A correction of an entry
/// that is not among them (invoiced already, or on an earlier draft)
/// stands as work of its own when it adds time; one that takes time away
/// is left out, and [`unpriced_corrections`] names it.
pub fn works_of(entries: &[TimeEntry], tz: &TimeZone) -> Vec<Work> {
    let present: HashSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    let corrections: HashMap<&str, i64> = entries
        .iter()
        .filter_map(|e| e.corrects.as_deref().map(|c| (c, e.minutes)))
        .filter(|(c, _)| present.contains(c))
        .fold(HashMap::new(), |mut m, (c, n)| {
            *m.entry(c).or_default() += n;
            m
        });
    entries
        .iter()
        .filter(|e| match e.corrects.as_deref() {
            None => true,
            Some(c) => !present.contains(c) && e.minutes > 0,
        })
        .map(|e| {
            let minutes = e.minutes + corrections.get(e.id.as_str()).copied().unwrap_or(0);
            Work {
                id: e.id.clone(),
                on: local_day(e.started_at, tz),
                minutes: u32::try_from(minutes.max(0)).unwrap_or(0),
                category: e.category_key.clone(),
                category_name: e.category_name.clone(),
                in_scope: e.in_scope,
                after_hours: e.after_hours,
                side: if e.side == "provider" {
                    WorkSide::Provider
                } else {
                    WorkSide::InHouse
                },
                role: e.role.parse().unwrap_or(Role::ProviderEngineer),
            }
        })
        .collect()
}

/// Provider corrections that take away time invoiced or drafted before:
/// no rate is at hand for them, so the draft says so and the provider's
/// admin credits them by hand.
pub fn unpriced_corrections(entries: &[TimeEntry]) -> Vec<String> {
    let present: HashSet<&str> = entries.iter().map(|e| e.id.as_str()).collect();
    entries
        .iter()
        .filter(|e| {
            e.side == "provider"
                && e.minutes < 0
                && e.corrects.as_deref().is_some_and(|c| !present.contains(c))
        })
        .map(|e| {
            format!(
                "A correction of {} min of {} to time on an earlier invoice is not priced: credit it on this draft",
                e.minutes, e.category_name
            )
        })
        .collect()
}

/// The day of the instant `ms` (epoch ms) in `tz`.
pub(crate) fn local_day(ms: i64, tz: &TimeZone) -> Date {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_zoned_datetime(tz.clone()).date())
        .unwrap_or(Date::ZERO)
}

/// The first instant (epoch ms) of the local month that `day` is in, and
/// of the month after.
pub fn month_bounds(day: Date, tz: &TimeZone) -> (i64, i64) {
    let first = day.first_of_month();
    let next = first
        .checked_add(jiff::Span::new().months(1))
        .unwrap_or(first);
    let at = |d: Date| {
        d.to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(0)
    };
    (at(first), at(next))
}

impl Tandem {
    /// The zone the client's months are counted in: its calendar's.
    pub(crate) async fn client_zone(&self, client: OrgId) -> Result<TimeZone> {
        Ok(calendars::time_zone(&self.db, client)
            .await?
            .and_then(|z| TimeZone::get(&z).ok())
            .unwrap_or(TimeZone::UTC))
    }

    /// The terms of the agreement in force for a client, if any.
    pub(crate) async fn terms_in_force(&self, client: OrgId) -> Result<Option<Terms>> {
        let Some(e) = engagements::active_for_client(&self.db, client).await? else {
            return Ok(None);
        };
        match agreements::active(&self.db, e.id).await? {
            Some(a) => crate::agreements::terms_of(&a).map(Some),
            None => Ok(None),
        }
    }

    /// The categories time may be logged against on a client's tickets
    /// (key, name), from the desk kept in memory: a ticket page asks for
    /// them on every view.
    pub async fn time_categories(
        &self,
        actor: &Actor,
        client: OrgId,
    ) -> Result<Vec<(String, String)>> {
        let org = self
            .authorize_org(actor, Action::WorkTickets, client)
            .await?;
        let desk = self.desk_of(actor, &org).await?;
        Ok(desk
            .categories
            .iter()
            .map(|c| (c.key.clone(), c.name.clone()))
            .collect())
    }

    /// Log time on a ticket: staff who may work the client's tickets.
    pub async fn log_time(
        &self,
        actor: &Actor,
        ticket: TicketId,
        input: &NewTime,
        meta: &RequestMeta,
    ) -> Result<TimeEntry> {
        let view = self.visible_ticket(actor, ticket).await?;
        let t = &view.ticket;
        let relation = if t.client_id == actor.org_id {
            Relation::Own
        } else {
            Relation::Engaged
        };
        decided(policy::decide(actor.role, Action::WorkTickets, relation))?;
        let now = now_ms();
        let correcting = input.corrects.as_deref().filter(|c| !c.trim().is_empty());
        if input.minutes == 0
            || input.minutes.abs() > 24 * 60
            || (input.minutes < 0 && correcting.is_none())
        {
            return Err(ValidationError::new(
                "minutes",
                "log between 1 and 1440 minutes (less only to correct an entry)",
            )
            .into());
        }
        let started_at = input
            .started_at
            .unwrap_or(now - input.minutes.abs() * 60_000);
        if started_at > now + 5 * 60_000 {
            return Err(
                ValidationError::new("started_at", "time is logged after it is worked").into(),
            );
        }
        let note = input.note.trim();
        if note.chars().count() > 2000 {
            return Err(ValidationError::new("note", "at most 2000 characters").into());
        }
        let client = tandem_store::orgs::get_unscoped(&self.db, t.client_id).await?;
        let desk = self.desk_of(actor, &client).await?;
        let key = input
            .category
            .as_deref()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .unwrap_or(&view.category.0);
        let category = desk
            .categories
            .iter()
            .find(|c| c.key == key)
            .ok_or_else(|| {
                ValidationError::new(
                    "category",
                    format!("{key:?} is not a category of this client"),
                )
            })?;
        let entry = TimeEntry {
            id: uuid::Uuid::now_v7().to_string(),
            client_id: t.client_id,
            ticket_id: t.id.to_string(),
            user_id: actor.user_id.to_string(),
            user_name: actor.name.clone(),
            side: if actor.side() == Side::Provider {
                "provider".into()
            } else {
                "in_house".into()
            },
            role: actor.role.as_str().into(),
            started_at,
            minutes: input.minutes,
            category_key: category.key.clone(),
            category_name: category.name.clone(),
            in_scope: desk.line(&category.id).is_none_or(|l| l.in_scope),
            after_hours: !desk.business.is_open(started_at),
            note: note.to_owned(),
            invoice_id: None,
            corrects: correcting.map(str::to_owned),
            created_at: now,
        };
        let mut tx = self.db.begin().await?;
        if let Some(id) = correcting {
            let (original, corrected) = time_entries::get_tx(&mut tx, t.client_id, id)
                .await
                .map_err(|_| ValidationError::new("corrects", "no such entry of this client"))?;
            if original.corrects.is_some() || original.ticket_id != entry.ticket_id {
                return Err(ValidationError::new(
                    "corrects",
                    "correct the original entry, on its own ticket",
                )
                .into());
            }
            if original.minutes + corrected + input.minutes < 0 {
                return Err(ValidationError::new(
                    "minutes",
                    "a correction cannot take away more than was logged",
                )
                .into());
            }
        }
        time_entries::insert(&mut tx, &entry).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(t.client_id),
                action: "time.log",
                object_type: "ticket",
                object_id: t.id.to_string(),
                change: json!({ "time_entry": entry.id, "minutes": entry.minutes, "category": entry.category_key,
                                "after_hours": entry.after_hours, "corrects": entry.corrects }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// A ticket's time, each provider entry with how the agreement in
    /// force pays for it.
    pub async fn ticket_time(&self, actor: &Actor, ticket: TicketId) -> Result<TicketTime> {
        let view = self.visible_ticket(actor, ticket).await?;
        if actor.role == Role::Requester {
            // The portal shows the work done, not who spent how long.
            return Err(ServiceError::NotFound);
        }
        let entries = time_entries::for_ticket(&self.db, ticket).await?;
        let client = view.ticket.client_id;
        let tz = self.client_zone(client).await?;
        let terms = self.terms_in_force(client).await?;
        // The engine decides per month of the client's work.
        let mut why: HashMap<String, String> = HashMap::new();
        if let Some(terms) = &terms {
            let months: BTreeMap<Date, ()> = entries
                .iter()
                .map(|e| (local_day(e.started_at, &tz).first_of_month(), ()))
                .collect();
            for first in months.keys() {
                let all = self.month_entries(client, *first, &tz).await?;
                why.extend(coverage(terms, *first, &all, &tz));
            }
        }
        Ok(lines(entries, terms.is_some(), &why))
    }

    async fn month_entries(
        &self,
        client: OrgId,
        first: Date,
        tz: &TimeZone,
    ) -> Result<Vec<TimeEntry>> {
        let (from, to) = month_bounds(first, tz);
        Ok(time_entries::for_client(&self.db, client, from, to).await?)
    }

    /// A client's time in one month (the local month `month` is in).
    pub async fn client_time(
        &self,
        actor: &Actor,
        client: OrgId,
        month: Date,
    ) -> Result<TicketTime> {
        if actor.role == Role::Requester {
            return Err(ServiceError::NotFound);
        }
        let org = self
            .authorize_org(actor, Action::ViewTickets, client)
            .await?;
        if org.kind != Side::Client {
            return Err(ServiceError::NotFound);
        }
        let tz = self.client_zone(client).await?;
        let first = month.first_of_month();
        let entries = self.month_entries(client, first, &tz).await?;
        let terms = self.terms_in_force(client).await?;
        let why = match &terms {
            Some(t) => coverage(t, first, &entries, &tz),
            None => HashMap::new(),
        };
        Ok(lines(entries, terms.is_some(), &why))
    }
}

/// How the engine pays for each of a month's entries.
fn coverage(
    terms: &Terms,
    first: Date,
    all: &[TimeEntry],
    tz: &TimeZone,
) -> HashMap<String, String> {
    let month = Month {
        first,
        users: Vec::new(),
        devices: BTreeMap::new(),
        work: works_of(all, tz),
        blocks: Vec::new(),
        breaches: Vec::new(),
    };
    billing::invoice(terms, &month)
        .coverage
        .into_iter()
        .map(|c| (c.work_id, c.why))
        .collect()
}

fn lines(entries: Vec<TimeEntry>, priced: bool, why: &HashMap<String, String>) -> TicketTime {
    let mut out = TicketTime::default();
    for e in entries {
        if e.side == "provider" {
            out.provider_minutes += e.minutes;
        } else {
            out.in_house_minutes += e.minutes;
        }
        let why = if e.side != "provider" {
            Some("In-house work: counted, never billed".to_owned())
        } else if !priced {
            Some("No agreement is active: not priced yet".to_owned())
        } else {
            e.corrects
                .as_ref()
                .map(|c| format!("Corrects an earlier entry ({c})"))
                .or_else(|| why.get(&e.id).cloned())
        };
        out.lines.push(TimeLine { entry: e, why });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(id: &str, minutes: i64, corrects: Option<&str>) -> TimeEntry {
        TimeEntry {
            id: id.into(),
            client_id: OrgId::new(),
            ticket_id: "t".into(),
            user_id: "u".into(),
            user_name: "U".into(),
            side: "provider".into(),
            role: "provider_engineer".into(),
            // 2026-11-30 23:30 in New York is 1 December in UTC.
            started_at: 1_796_099_400_000,
            minutes,
            category_key: "network".into(),
            category_name: "Network".into(),
            in_scope: true,
            after_hours: true,
            note: String::new(),
            invoice_id: None,
            corrects: corrects.map(str::to_owned),
            created_at: 0,
        }
    }

    #[test]
    fn a_correction_is_netted_into_what_it_corrects_on_its_local_day() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let works = works_of(
            &[
                entry("a", 90, None),
                entry("b", -30, Some("a")),
                entry("c", 15, None),
            ],
            &ny,
        );
        assert_eq!(works.len(), 2);
        assert_eq!((works[0].id.as_str(), works[0].minutes), ("a", 60));
        assert_eq!(works[0].on, jiff::civil::date(2026, 11, 30));
        assert!(works[0].after_hours);
        assert_eq!(works[1].minutes, 15);
        let (from, to) = month_bounds(jiff::civil::date(2026, 11, 17), &ny);
        // 1 Nov 2026 00:00 EDT and 1 Dec 2026 00:00 EST.
        assert_eq!((from, to), (1_793_505_600_000, 1_796_101_200_000));
    }
}
