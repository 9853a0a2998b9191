//! What the worker does about alerts between requests, each round
//! ([`Tandem::sweep_alerts`], called from [`Tandem::work_once`]):
//!
//! * **Quiet period.** When the last firing alert of a ticket resolves,
//!   the intake starts the ticket's quiet period (the source's
//!   `quiet_minutes`). Once it has passed with nothing firing again, the
//!   ticket is resolved through the desk's own status change, as the
//!   source's account, with a note saying so — unless a person has taken
//!   the ticket up (see [`tandem_store::alert_sweeps::touched_by_person`]
//!   for exactly what counts): then the sweep notes, once, that it waits
//!   for them, and never resolves it. An alert firing again before the
//!   period ends cancels it; its next resolution starts a new one.
//! * **Dead man's switch.** A source with `heartbeat_minutes` promises a
//!   heartbeat (Alertmanager's `Watchdog`, a generic `heartbeat` event)
//!   that often. When one is overdue, the sweep opens one "monitoring is
//!   down" ticket, routed to the after-hours side of the split whatever
//!   the clock says, and remembers it on the source; when heartbeats come
//!   back it notes so and resolves that ticket. Revoked sources are not
//!   watched.
//! * **Repair.** The intake commits an alert with its ticket's id before
//!   it writes the ticket. An alert whose ticket is still unwritten after
//!   [`REPAIR_GRACE_MS`] was left so by a crash: the sweep writes the
//!   ticket under that same id through the intake's own path, which never
//!   writes one id twice.
//!
//! Every sweep starts from one indexed read of what is due, and a failure
//! on one ticket or source is logged and left for the next round without
//! holding up the others.

use crate::alerts::{AlertReceipt, IncomingAlert, NewSource};
use crate::desk::{NewTicket, Source as TicketSource, TicketChange, Visibility, event};
use crate::{RequestMeta, Result, ServiceError, Tandem};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::json;
use std::collections::BTreeMap;
use tandem_domain::alert::AlertStatus;
use tandem_domain::policy::{self, MonitoringResolution};
use tandem_domain::ticket::{Impact, TicketStatus, Urgency};
use tandem_domain::{Actor, TicketId, ValidationError};
use tandem_store::alert_sweeps::{self, QuietTicket};
use tandem_store::alerts::{self, Alert, Source};
use tandem_store::{StoreError, Tx, orgs, tickets, users};

pub(crate) use tandem_store::alert_sweeps::heartbeat;

/// The quiet period of a source whose creator names none.
pub const DEFAULT_QUIET_MINUTES: i64 = 10;

/// The longest quiet period or heartbeat interval a source may have: a week.
const MAX_MINUTES: i64 = 7 * 24 * 60;

/// How long an alert's ticket may stay unwritten before the repair sweep
/// writes it. The intake writes it right after its own commit, within
/// milliseconds, so an older one was left by a crash; a request still
/// under way is not raced.
pub const REPAIR_GRACE_MS: i64 = 30_000;

/// Rows each sweep takes per round (the worker runs every few seconds).
const SWEEP_BATCH: i64 = 100;

/// What one round of the sweeps did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlertSweep {
    /// Tickets resolved after their quiet period.
    pub resolved: usize,
    /// Tickets found taken up by a person, now waiting for them.
    pub waiting: usize,
    /// "Monitoring is down" tickets opened.
    pub monitoring_down: usize,
    /// "Monitoring is down" tickets ended by a returning heartbeat.
    pub monitoring_back: usize,
    /// Tickets written for alerts a crash had left without one.
    pub repaired: usize,
}

/// The quiet period and heartbeat interval of a new source, checked.
pub(crate) fn watch_of(input: &NewSource) -> Result<(i64, Option<i64>)> {
    let quiet = input.quiet_minutes.unwrap_or(DEFAULT_QUIET_MINUTES);
    if !(0..=MAX_MINUTES).contains(&quiet) {
        return Err(ValidationError::new("quiet_minutes", "must be 0-10080 minutes").into());
    }
    if let Some(h) = input.heartbeat_minutes
        && !(1..=MAX_MINUTES).contains(&h)
    {
        return Err(ValidationError::new("heartbeat_minutes", "must be 1-10080 minutes").into());
    }
    Ok((quiet, input.heartbeat_minutes))
}

/// A generic heartbeat event as the intake reads it (its `dedup_key`, if
/// any, only echoes in the receipt).
pub(crate) fn heartbeat_event(dedup_key: &str) -> IncomingAlert {
    let key = dedup_key.trim();
    IncomingAlert {
        dedup_key: if key.is_empty() { "heartbeat" } else { key }
            .chars()
            .take(255)
            .collect(),
        group_key: String::new(),
        status: AlertStatus::Firing,
        severity: String::new(),
        summary: String::new(),
        details: String::new(),
        labels: BTreeMap::new(),
        device: None,
        content: String::new(),
        heartbeat: true,
    }
}

/// Start (or restart) the quiet period of an alert ticket whose last
/// firing alert resolved at `since`.
pub(crate) async fn start_quiet(
    tx: &mut Tx,
    source: &Source,
    ticket: TicketId,
    since: i64,
) -> Result<()> {
    let resolve_at = since + source.quiet_minutes * 60_000;
    alert_sweeps::start_quiet(tx, ticket, source.client_id, source.id, since, resolve_at).await?;
    Ok(())
}

/// What became of one ticket whose quiet period is over.
enum QuietEnd {
    Resolved,
    Waiting,
    /// Firing again, resolved by someone, or gone: nothing to do.
    Dropped,
}

fn worker_meta() -> RequestMeta {
    RequestMeta {
        request_id: "worker:alert-sweep".into(),
        source_addr: "local".into(),
    }
}

/// "2026-12-06 19:05 CET" in `zone` (UTC when the zone is unknown).
fn local_time(ms: i64, zone: &str) -> String {
    let tz = TimeZone::get(zone).unwrap_or(TimeZone::UTC);
    Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned_datetime(tz)
                .strftime("%Y-%m-%d %H:%M %Z")
                .to_string()
        })
        .unwrap_or_default()
}

impl Tandem {
    /// A request carrying only heartbeats: one UPDATE, nothing else.
    pub(crate) async fn take_heartbeats(
        &self,
        source: &Source,
        incoming: &[IncomingAlert],
        now: i64,
    ) -> Result<Vec<AlertReceipt>> {
        let mut tx = self.db.begin().await?;
        heartbeat(&mut tx, source.id, now).await?;
        tx.commit().await?;
        Ok(incoming
            .iter()
            .map(|a| AlertReceipt {
                dedup_key: a.dedup_key.clone(),
                ticket_id: None,
            })
            .collect())
    }

    /// One round of the alert sweeps as of `now` (the worker passes the
    /// clock; tests pass the instant they want to see).
    pub async fn sweep_alerts(&self, now: i64) -> Result<AlertSweep> {
        let mut sweep = AlertSweep::default();
        for q in alert_sweeps::quiet_due(&self.db, now, SWEEP_BATCH).await? {
            match self.end_quiet_period(&q, now).await {
                Ok(QuietEnd::Resolved) => sweep.resolved += 1,
                Ok(QuietEnd::Waiting) => sweep.waiting += 1,
                Ok(QuietEnd::Dropped) => {}
                Err(e) => {
                    tracing::warn!(error = %e, ticket = %q.ticket_id, "quiet period sweep failed");
                }
            }
        }
        for source in alert_sweeps::overdue_sources(&self.db, now, SWEEP_BATCH).await? {
            match self.report_monitoring_down(&source, now).await {
                Ok(true) => sweep.monitoring_down += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, source = %source.id, "heartbeat sweep failed");
                }
            }
        }
        for source in alert_sweeps::down_sources(&self.db, SWEEP_BATCH).await? {
            match self.follow_monitoring_down(&source, now).await {
                Ok(true) => sweep.monitoring_back += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, source = %source.id, "heartbeat sweep failed");
                }
            }
        }
        let stale = alert_sweeps::unopened(&self.db, now - REPAIR_GRACE_MS, SWEEP_BATCH).await?;
        let mut by_ticket: Vec<(TicketId, Vec<Alert>)> = Vec::new();
        for a in stale {
            match by_ticket.iter_mut().find(|(t, _)| *t == a.ticket_id) {
                Some((_, members)) => members.push(a),
                None => by_ticket.push((a.ticket_id, vec![a])),
            }
        }
        for (ticket, members) in &by_ticket {
            match self.repair_alert_ticket(*ticket, members).await {
                Ok(true) => sweep.repaired += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %e, ticket = %ticket, "repair of an alert ticket failed");
                }
            }
        }
        Ok(sweep)
    }

    /// The account a source's tickets are opened (and resolved) as.
    async fn source_actor(&self, source: &Source) -> Result<Actor> {
        let account = users::get_for_actor(&self.db, source.actor_user_id).await?;
        Ok(crate::auth::actor_of(&account))
    }

    /// A ticket whose quiet period is over: resolve it, or note that it
    /// waits for a person.
    async fn end_quiet_period(&self, q: &QuietTicket, now: i64) -> Result<QuietEnd> {
        let source = alerts::source(&self.db, q.client_id, q.source_id).await?;
        let actor = self.source_actor(&source).await?;
        let mut tx = self.db.begin().await?;
        // Through the source account's own scope: only its own tickets.
        let t = match tickets::find_tx(&mut tx, &actor.scope(), true, q.ticket_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound) => {
                alert_sweeps::end_quiet(&mut tx, q.ticket_id).await?;
                tx.commit().await?;
                return Ok(QuietEnd::Dropped);
            }
            Err(e) => return Err(e.into()),
        };
        let done = t
            .status
            .parse::<TicketStatus>()
            .map_err(|_| ServiceError::Internal(format!("ticket status {:?}", t.status)))?
            .is_done();
        if done || alerts::firing_on_ticket_tx(&mut tx, t.id).await? > 0 {
            alert_sweeps::end_quiet(&mut tx, t.id).await?;
            tx.commit().await?;
            return Ok(QuietEnd::Dropped);
        }
        let touched = alert_sweeps::touched_by_person(&mut tx, t.id, actor.user_id).await?;
        let own = t.requester_id == actor.user_id;
        if !policy::may_resolve_for_monitoring(MonitoringResolution::QuietPeriod, own, touched) {
            if alert_sweeps::wait_for_person(&mut tx, t.id, now).await? {
                event(
                    &mut tx,
                    now,
                    &t,
                    Some(&actor),
                    "alert",
                    Visibility::Team,
                    "All alerts stay resolved, but a person has taken this ticket up: it waits for them to resolve it",
                    json!({ "alert": "waiting_for_person" }),
                )
                .await?;
            }
            tx.commit().await?;
            return Ok(QuietEnd::Waiting);
        }
        let minutes = (now - q.quiet_since) / 60_000;
        event(
            &mut tx,
            now,
            &t,
            Some(&actor),
            "alert",
            Visibility::Team,
            &format!("Resolved automatically: all alerts resolved for {minutes} minutes"),
            json!({ "alert": "auto_resolved", "quiet_minutes": minutes }),
        )
        .await?;
        let id = t.id;
        let resolve = TicketChange {
            status: Some(TicketStatus::Resolved),
            ..TicketChange::default()
        };
        let mut tx = self
            .apply_change(tx, &actor, t, &resolve, &worker_meta(), now)
            .await?;
        alert_sweeps::end_quiet(&mut tx, id).await?;
        tx.commit().await?;
        Ok(QuietEnd::Resolved)
    }

    /// A source whose heartbeat is overdue: choose its "monitoring is
    /// down" ticket (once, whichever worker gets there first), then write
    /// it. False when another worker or a heartbeat came first.
    async fn report_monitoring_down(&self, source: &Source, now: i64) -> Result<bool> {
        let ticket = TicketId::new();
        let mut tx = self.db.begin().await?;
        let chosen = alert_sweeps::mark_down(&mut tx, source.id, ticket, now).await?;
        tx.commit().await?;
        if chosen {
            self.write_monitoring_down(source, ticket, now).await?;
        }
        Ok(chosen)
    }

    /// Write a source's "monitoring is down" ticket under its chosen id,
    /// unless it exists, routed to the after-hours side of the split.
    async fn write_monitoring_down(
        &self,
        source: &Source,
        ticket: TicketId,
        opened_at: i64,
    ) -> Result<()> {
        if tandem_store::tickets::exists(&self.db, source.client_id, ticket).await? {
            return Ok(());
        }
        let actor = self.source_actor(source).await?;
        let client = orgs::find(&self.db, &actor.scope(), source.client_id).await?;
        let silent_since = local_time(
            source.last_heartbeat_at.unwrap_or(source.created_at),
            &client.time_zone,
        );
        let every = source.heartbeat_minutes.unwrap_or_default();
        let title: String = format!(
            "Monitoring is down: {} sent no heartbeat since {silent_since}",
            source.name
        )
        .chars()
        .take(200)
        .collect();
        let input = NewTicket {
            client_id: source.client_id,
            title,
            description: format!(
                "The monitoring source \"{}\" promises a heartbeat every {every} minutes and has sent none since \
                 {silent_since}. Until it is back, its alerts may not reach this desk. This ticket resolves \
                 itself when the heartbeat returns.",
                source.name
            ),
            category: source.default_category.clone(),
            // Blind monitoring hides every other outage: the top priority.
            impact: Impact::High,
            urgency: Urgency::High,
            requester_id: None,
            source: TicketSource::Alert,
        };
        self.open_reserved_ticket(&actor, &input, &worker_meta(), opened_at, ticket, true)
            .await
    }

    /// A source with a "monitoring is down" ticket: write the ticket if a
    /// crash left it unwritten; once heartbeats are back, note it, resolve
    /// the ticket and forget it. True when it was ended now.
    async fn follow_monitoring_down(&self, source: &Source, now: i64) -> Result<bool> {
        let Some(ticket) = source
            .down_ticket_id
            .as_deref()
            .and_then(|t| t.parse::<TicketId>().ok())
        else {
            return Ok(false);
        };
        let back = source.heartbeat_due_at.is_some_and(|due| due > now);
        if !back {
            if source.revoked_at.is_none() {
                self.write_monitoring_down(source, ticket, source.down_since.unwrap_or(now))
                    .await?;
            }
            return Ok(false);
        }
        let actor = self.source_actor(source).await?;
        let mut tx = self.db.begin().await?;
        if !alert_sweeps::mark_up(&mut tx, source.id, ticket).await? {
            return Ok(false);
        }
        let t = match tickets::find_tx(&mut tx, &actor.scope(), true, ticket).await {
            Ok(t) => t,
            // Never written: back before anyone could have read it.
            Err(StoreError::NotFound) => {
                tx.commit().await?;
                return Ok(true);
            }
            Err(e) => return Err(e.into()),
        };
        let done = t.status.parse::<TicketStatus>().is_ok_and(|s| s.is_done());
        let own = t.requester_id == actor.user_id;
        let touched = alert_sweeps::touched_by_person(&mut tx, t.id, actor.user_id).await?;
        if done
            || !policy::may_resolve_for_monitoring(
                MonitoringResolution::HeartbeatBack,
                own,
                touched,
            )
        {
            tx.commit().await?;
            return Ok(true);
        }
        let zone = orgs::find(&self.db, &actor.scope(), source.client_id)
            .await?
            .time_zone;
        let heard = local_time(source.last_heartbeat_at.unwrap_or(now), &zone);
        event(
            &mut tx,
            now,
            &t,
            Some(&actor),
            "alert",
            Visibility::Team,
            &format!("Heartbeat received again at {heard}: monitoring works again"),
            json!({ "alert": "heartbeat_back" }),
        )
        .await?;
        let resolve = TicketChange {
            status: Some(TicketStatus::Resolved),
            ..TicketChange::default()
        };
        let tx = self
            .apply_change(tx, &actor, t, &resolve, &worker_meta(), now)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Write the ticket a crash left unwritten for these alerts (all of
    /// one ticket), through the intake's own path and under the id stored
    /// with them. The alert rows keep what the ticket needs (summary,
    /// severity, device) but not the payload's labels and annotations, so
    /// the ticket takes the source's default category and the severity's
    /// impact. True when it wrote the ticket now.
    async fn repair_alert_ticket(&self, ticket: TicketId, members: &[Alert]) -> Result<bool> {
        let Some(first) = members.first() else {
            return Ok(false);
        };
        let source = alerts::source(&self.db, first.client_id, first.source_id).await?;
        let actor = self.source_actor(&source).await?;
        let existed = tandem_store::tickets::exists(&self.db, source.client_id, ticket).await?;
        let incoming: Vec<IncomingAlert> = members
            .iter()
            .map(|a| IncomingAlert {
                dedup_key: a.dedup_key.clone(),
                group_key: a.group_key.clone(),
                status: a.status,
                severity: a.severity.clone(),
                summary: a.summary.clone(),
                details:
                    "(Written by Tandem's repair sweep after an interruption: the alert's labels \
                          and annotations were not kept.)"
                        .into(),
                labels: BTreeMap::new(),
                device: a.device.clone(),
                content: String::new(),
                heartbeat: false,
            })
            .collect();
        let refs: Vec<&IncomingAlert> = incoming.iter().collect();
        // The ticket chosen as the source's storm ticket is written as one.
        let storm = alerts::storm_tickets(&self.db, source.client_id)
            .await?
            .contains(&ticket.to_string());
        if storm {
            let severity = members
                .iter()
                .map(|a| a.severity.as_str())
                .max_by_key(|s| tandem_domain::alert_control::severity_rank(s))
                .unwrap_or_default();
            self.open_storm_ticket(
                &source,
                &actor,
                ticket,
                &refs,
                severity,
                &worker_meta(),
                first.first_seen_at,
            )
            .await?;
        } else {
            self.open_alert_ticket(
                &source,
                &actor,
                ticket,
                &refs,
                &worker_meta(),
                first.first_seen_at,
            )
            .await?;
        }
        let on_ticket = alerts::on_ticket(&self.db, source.client_id, ticket).await?;
        let mut tx = self.db.begin().await?;
        alerts::mark_opened(&mut tx, ticket).await?;
        // Resolved before its ticket was written: it still gets its quiet
        // period rather than staying open for good.
        if !on_ticket.iter().any(|a| a.status == AlertStatus::Firing)
            && let Some(since) = on_ticket.iter().filter_map(|a| a.resolved_at).max()
        {
            start_quiet(&mut tx, &source, ticket, since).await?;
        }
        tx.commit().await?;
        Ok(!existed)
    }
}
