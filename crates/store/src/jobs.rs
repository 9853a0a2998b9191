//! The job table (outbox) and in-app notifications.

use crate::{Db, Result, Tx, direct, exec_tx, on_db, on_tx};
use rusqlite::ToSql;
use tandem_domain::{NotificationId, UserId};

/// A claimed job.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Job {
    /// Its id.
    pub id: i64,
    /// What to do, e.g. `notify`.
    pub kind: String,
    /// Details as JSON.
    pub payload: String,
    /// Attempts so far (this one included).
    pub attempts: i64,
}

/// Queue a job in the caller's transaction, so it exists exactly when the
/// change that caused it does.
pub async fn enqueue(tx: &mut Tx, kind: &str, payload: &str, run_at: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(ENQUEUE).bind(kind).bind(payload).bind(run_at).execute(c).await)?;
    Ok(())
}

const ENQUEUE: &str = "INSERT INTO jobs (kind, payload, run_at) VALUES ($1, $2, $3)";

/// A job to queue with a change ([`enqueue`]).
#[derive(Clone, Debug)]
pub struct NewJob {
    /// What to do, e.g. `notify`.
    pub kind: &'static str,
    /// Details as JSON.
    pub payload: String,
    /// Due (epoch ms).
    pub run_at: i64,
}

/// [`enqueue`] on SQLite's in-place writer ([`crate::group_commit`]).
pub(crate) fn enqueue_in_place(c: &rusqlite::Connection, job: &NewJob) -> Result<()> {
    direct::execute(
        c,
        ENQUEUE,
        &[&job.kind as &dyn ToSql, &job.payload, &job.run_at],
    )?;
    Ok(())
}

/// The kind of job that posts one webhook delivery. It is claimed on its
/// own ([`claim_webhook_deliveries`]) because it waits on someone else's
/// server, which must happen outside any transaction.
pub const WEBHOOK_DELIVERY: &str = "webhook";

/// Claim up to `limit` due jobs for `lease_ms`, all but webhook deliveries.
/// A worker that dies leaves its lease to run out, and the jobs come back.
pub async fn claim(tx: &mut Tx, now: i64, lease_ms: i64, limit: i64) -> Result<Vec<Job>> {
    claim_where(tx, now, lease_ms, limit, "kind <> 'webhook'").await
}

/// [`claim`] for webhook deliveries only: the caller commits the claim
/// before posting, and the lease keeps other workers off meanwhile.
pub async fn claim_webhook_deliveries(
    tx: &mut Tx,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> Result<Vec<Job>> {
    claim_where(tx, now, lease_ms, limit, "kind = 'webhook'").await
}

async fn claim_where(
    tx: &mut Tx,
    now: i64,
    lease_ms: i64,
    limit: i64,
    kinds: &'static str,
) -> Result<Vec<Job>> {
    // PostgreSQL: several processes claim side by side without waiting on
    // each other's rows. SQLite: the single writer makes the UPDATE atomic.
    let lock = match tx {
        Tx::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        Tx::Sqlite(_) => "",
    };
    let sql = format!(
        "UPDATE jobs SET locked_until = $1, attempts = attempts + 1 WHERE id IN \
         (SELECT id FROM jobs WHERE done_at IS NULL AND run_at <= $2 AND (locked_until IS NULL OR locked_until < $2) \
          AND {kinds} ORDER BY id LIMIT $3{lock}) RETURNING id, kind, payload, attempts"
    );
    let jobs = on_tx!(tx, c => sqlx::query_as::<_, Job>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(now + lease_ms)
        .bind(now)
        .bind(limit)
        .fetch_all(c)
        .await)?;
    Ok(jobs)
}

/// Mark a job done.
pub async fn finish(tx: &mut Tx, id: i64, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE jobs SET done_at = $1, locked_until = NULL WHERE id = $2").bind(now).bind(id).execute(c).await)?;
    Ok(())
}

/// Put a job back for a later try, keeping the error.
pub async fn retry(tx: &mut Tx, id: i64, run_at: i64, error: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE jobs SET run_at = $1, locked_until = NULL, last_error = $2 WHERE id = $3")
        .bind(run_at).bind(error).bind(id).execute(c).await)?;
    Ok(())
}

/// Jobs not yet done (for tests and metrics).
pub async fn pending(db: &Db) -> Result<i64> {
    Ok(
        on_db!(db, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM jobs WHERE done_at IS NULL").fetch_one(c).await)?,
    )
}

/// An in-app notification.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Notification {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: NotificationId,
    /// Whose.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// The client it concerns.
    pub client_id: String,
    /// The ticket it concerns.
    pub ticket_id: Option<String>,
    /// `assigned`, `handoff`, `public_comment`, `sla_warning`, `sla_breach`.
    pub kind: String,
    /// What to show.
    pub text: String,
    /// When (epoch ms).
    pub created_at: i64,
    /// When read.
    pub read_at: Option<i64>,
}

/// Store a notification.
pub async fn insert_notification(tx: &mut Tx, n: &Notification) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO notifications (id, user_id, client_id, ticket_id, kind, text, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(n.id.to_string()).bind(n.user_id.to_string()).bind(&n.client_id).bind(&n.ticket_id)
        .bind(&n.kind).bind(&n.text).bind(n.created_at).execute(c).await)?;
    Ok(())
}

/// A user's notifications, newest first.
pub async fn notifications(db: &Db, user: UserId, limit: i64) -> Result<Vec<Notification>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Notification>(
        "SELECT id, user_id, client_id, ticket_id, kind, text, created_at, read_at FROM notifications WHERE user_id = $1 \
         ORDER BY created_at DESC LIMIT $2")
        .bind(user.to_string()).bind(limit).fetch_all(c).await)?)
}

/// How many of a user's notifications are unread.
pub async fn unread_count(db: &Db, user: UserId) -> Result<i64> {
    Ok(
        on_db!(db, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(user.to_string()).fetch_one(c).await)?,
    )
}

/// Mark all of a user's notifications read.
pub async fn mark_all_read(tx: &mut Tx, user: UserId, now: i64) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL")
        .bind(now).bind(user.to_string()).execute(c).await)?,
    )
}
