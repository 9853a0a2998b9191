//! The background worker: delivers queued jobs and raises SLA warnings and
//! breaches. Every `tandem serve` process runs one; they share the job
//! table safely (leases, and SKIP LOCKED on PostgreSQL).

use crate::{Result, Tandem, now_ms};
use serde::Deserialize;
use tandem_domain::NotificationId;
use tandem_store::jobs::{self, Notification};

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
    /// Run one round: deliver due jobs, then raise due SLA events.
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
        let raised = self.raise_sla_events(now_ms()).await?;
        Ok((done, raised))
    }

    /// Claim and run up to `limit` due jobs, in one transaction: a batch
    /// costs the writer one commit, and a batch that fails is left due as a
    /// whole for the next round.
    pub async fn run_jobs(&self, limit: i64) -> Result<usize> {
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let claimed = jobs::claim(&mut tx, now, LEASE_MS, limit).await?;
        for job in &claimed {
            match job.kind.as_str() {
                // In-app delivery; e-mail becomes one more arm here.
                "notify" => match serde_json::from_str::<NotifyPayload>(&job.payload) {
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
                other => {
                    tracing::warn!(kind = other, id = job.id, "unknown job kind");
                    jobs::retry(&mut tx, job.id, now + 3_600_000, "unknown job kind").await?;
                }
            }
        }
        tx.commit().await?;
        Ok(claimed.len())
    }
}
