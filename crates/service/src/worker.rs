//! The background worker: delivers queued jobs and raises SLA warnings and
//! breaches. Every `tandem serve` process runs one; they share the job
//! table safely (leases, and SKIP LOCKED on PostgreSQL).

use crate::alert_sweeps::AlertSweep;
use crate::auth::actor_of;
use crate::{Relations, Result, ServiceError, StoreError, Tandem, now_ms};
use serde::Deserialize;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use tandem_domain::{Actor, NotificationId, OrgId, TicketId, UserId};
use tandem_store::jobs::{self, Notification};
use tandem_store::users;

/// How long a claimed job stays with one worker before another may take it.
const LEASE_MS: i64 = 60_000;
/// Jobs claimed and delivered per transaction.
const JOB_BATCH: i64 = 100;
/// Batches one round may take before it moves on to SLA events.
const MAX_BATCHES_PER_ROUND: usize = 50;

#[derive(Deserialize)]
struct NotifyPayload {
    user_id: tandem_domain::UserId,
    client_id: String,
    ticket_id: Option<String>,
    kind: String,
    text: String,
}

impl Tandem {
    /// Run one round: deliver due jobs, raise due SLA events, then sweep
    /// alerts (quiet periods, heartbeats, unwritten tickets).
    /// Returns (jobs done, SLA events raised).
    pub async fn work_once(&self) -> Result<(usize, usize)> {
        // A busy desk queues notifications faster than one batch per round
        // (every create may notify an assignee): keep taking full batches
        // until the queue is drained, within a bound so SLA events still get
        // their turn.
        let mut done = 0;
        for _ in 0..MAX_BATCHES_PER_ROUND {
            let n = self.run_jobs(JOB_BATCH).await?;
            done += n;
            if n < JOB_BATCH as usize {
                break;
            }
        }
        // Webhooks go out after the fan-out above, so an event queued
        // before this round is posted in it.
        done += self.deliver_webhooks(now_ms()).await?;
        let raised = self.raise_sla_events(now_ms()).await?;
        let swept = self.sweep_alerts(now_ms()).await?;
        if swept != AlertSweep::default() {
            tracing::info!(?swept, "alert sweeps");
        }
        match self.sweep_asset_reminders(now_ms()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(reminders = n, "asset expiry reminders"),
            Err(e) => tracing::warn!(error = %e, "asset expiry reminders"),
        }
        Ok((done, raised))
    }

    /// Claim and run up to `limit` due jobs, in one transaction: a batch
    /// costs the writer one commit, and a batch that fails is left due as a
    /// whole for the next round.
    pub async fn run_jobs(&self, limit: i64) -> Result<usize> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let claimed = jobs::claim(&mut tx, now, LEASE_MS, limit).await?;
        let mut readers = HashMap::new();
        for job in &claimed {
            match job.kind.as_str() {
                // In-app delivery; e-mail becomes one more arm here.
                "notify" => match serde_json::from_str::<NotifyPayload>(&job.payload) {
                    Ok(p) if !self.still_hears(&mut readers, &p).await? => {
                        // Access ended between the change and its delivery.
                        jobs::finish(&mut tx, job.id, now).await?;
                    }
                    Ok(p) => {
                        jobs::insert_notification(
                            &mut tx,
                            &Notification {
                                id: NotificationId::new(),
                                user_id: p.user_id,
                                client_id: p.client_id,
                                ticket_id: p.ticket_id,
                                kind: p.kind,
                                text: p.text,
                                created_at: now,
                                read_at: None,
                            },
                        )
                        .await?;
                        jobs::finish(&mut tx, job.id, now).await?;
                    }
                    Err(e) => {
                        jobs::retry(
                            &mut tx,
                            job.id,
                            now + 3_600_000,
                            &format!("bad payload: {e}"),
                        )
                        .await?
                    }
                },
                // A ticket event becomes a delivery per endpoint that wants it.
                crate::webhooks::TICKET_EVENT_JOB => {
                    match self.fan_out_ticket_event(&mut tx, &job.payload, now).await {
                        Ok(_) => jobs::finish(&mut tx, job.id, now).await?,
                        Err(ServiceError::Internal(e)) => {
                            jobs::retry(&mut tx, job.id, now + 3_600_000, &e).await?
                        }
                        Err(e) => return Err(e),
                    }
                }
                other => {
                    tracing::warn!(kind = other, id = job.id, "unknown job kind");
                    jobs::retry(&mut tx, job.id, now + 3_600_000, "unknown job kind").await?;
                }
            }
        }
        tx.commit().await?;
        Ok(claimed.len())
    }

    /// Whether the person a notification is for may still read what it is
    /// about, now (the same check as the ticket's own route): nobody hears
    /// about a client they no longer work, nor a deactivated account about
    /// anything. People are looked up once per batch.
    async fn still_hears(
        &self,
        readers: &mut HashMap<UserId, Option<(Actor, Relations)>>,
        p: &NotifyPayload,
    ) -> Result<bool> {
        let known = match readers.entry(p.user_id) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(v) => v.insert(match users::get_for_actor(&self.db, p.user_id).await {
                Ok(u) if u.active => Some((actor_of(&u), Relations::new())),
                Ok(_) | Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            }),
        };
        let Some((reader, relations)) = known else {
            return Ok(false);
        };
        let about = p
            .ticket_id
            .as_deref()
            .and_then(|t| t.parse::<TicketId>().ok())
            .zip(p.client_id.parse::<OrgId>().ok());
        match about {
            Some(t) => Ok(self
                .readable_tickets_with(reader, &[t], relations)
                .await?
                .contains(&t.0)),
            None => Ok(true),
        }
    }
}
