//! Outgoing webhooks: the endpoints each side registers for a client,
//! their deliveries and every attempt to post one. Everything is reached
//! through the client it belongs to; the delivery worker alone reads by a
//! delivery's id, which it took from the job table.

use crate::jobs::NewJob;
use crate::{Db, Result, StoreError, Tx, direct, exec_tx, on_db, on_tx};
use rusqlite::ToSql;
use tandem_domain::{OrgId, Side, WebhookId};

/// An endpoint as stored, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Webhook {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: WebhookId,
    /// The client whose ticket events it hears, and no other's.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The side that owns it.
    #[sqlx(try_from = "String")]
    pub side: Side,
    /// That side's organization: the provider, or the client itself.
    #[sqlx(try_from = "String")]
    pub owner_org_id: OrgId,
    /// Its owners' name for it.
    pub name: String,
    /// Where events are posted.
    pub url: String,
    /// The events it wants, comma-separated.
    pub events: String,
    /// The first characters of the secret, so people can tell secrets apart.
    pub secret_prefix: String,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation (epoch ms).
    pub created_at: i64,
    /// Revocation (epoch ms); a revoked endpoint receives nothing more.
    pub revoked_at: Option<i64>,
}

const COLS: &str = "id, client_id, side, owner_org_id, name, url, events, secret_prefix, created_by, created_at, revoked_at";

/// Store a new endpoint with its signing secret.
pub async fn insert(tx: &mut Tx, w: &Webhook, secret: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO webhooks (id, client_id, side, owner_org_id, name, url, events, secret, secret_prefix, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(w.id.to_string()).bind(w.client_id.to_string()).bind(w.side.as_str()).bind(w.owner_org_id.to_string())
        .bind(&w.name).bind(&w.url).bind(&w.events).bind(secret).bind(&w.secret_prefix).bind(&w.created_by)
        .bind(w.created_at).execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A client's endpoints of both sides, newest first (the caller has
/// checked access).
pub async fn list(db: &Db, client: OrgId) -> Result<Vec<Webhook>> {
    let sql =
        format!("SELECT {COLS} FROM webhooks WHERE client_id = $1 ORDER BY created_at DESC, id");
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Webhook>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_all(c).await)?,
    )
}

/// One endpoint of a client ([`StoreError::NotFound`] for another client's).
pub async fn get(db: &Db, client: OrgId, id: WebhookId) -> Result<Webhook> {
    let sql = format!("SELECT {COLS} FROM webhooks WHERE id = $1 AND client_id = $2");
    on_db!(db, c => sqlx::query_as::<_, Webhook>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id.to_string()).bind(client.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// Revoke a client's endpoint; deliveries not yet made are dropped when
/// their turn comes.
pub async fn revoke(tx: &mut Tx, client: OrgId, id: WebhookId, now: i64) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE webhooks SET revoked_at = $1 WHERE id = $2 AND client_id = $3 AND revoked_at IS NULL")
        .bind(now).bind(id.to_string()).bind(client.to_string()).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A client's unrevoked endpoints (for fanning an event out).
pub async fn live_tx(tx: &mut Tx, client: OrgId) -> Result<Vec<Webhook>> {
    let sql = format!(
        "SELECT {COLS} FROM webhooks WHERE client_id = $1 AND revoked_at IS NULL ORDER BY id"
    );
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, Webhook>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_all(c).await)?,
    )
}

// One statement, so that a ticket event of a client without endpoints
// costs an index probe and no row: most clients have none.
const ENQUEUE_IF_HEARD: &str = "INSERT INTO jobs (kind, payload, run_at) SELECT $1, $2, $3 \
     WHERE EXISTS (SELECT 1 FROM webhooks WHERE client_id = $4 AND revoked_at IS NULL)";

/// Queue `job` (a ticket event to fan out) in the caller's transaction,
/// only if `client` has an unrevoked endpoint.
pub async fn enqueue_if_heard(tx: &mut Tx, client: OrgId, job: &NewJob) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(ENQUEUE_IF_HEARD).bind(job.kind).bind(&job.payload).bind(job.run_at)
        .bind(client.to_string()).execute(c).await)?;
    Ok(())
}

/// [`enqueue_if_heard`] on SQLite's in-place writer.
pub(crate) fn enqueue_if_heard_in_place(
    c: &rusqlite::Connection,
    client: OrgId,
    job: &NewJob,
) -> Result<()> {
    direct::execute(
        c,
        ENQUEUE_IF_HEARD,
        &[
            &job.kind as &dyn ToSql,
            &job.payload,
            &job.run_at,
            &client.to_string(),
        ],
    )?;
    Ok(())
}

/// One event for one endpoint: its body is fixed when it is made, so
/// every attempt sends the same bytes under the same delivery id.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Delivery {
    /// Its id (`X-Tandem-Delivery`; UUIDv7, so it sorts by creation).
    pub id: String,
    /// The endpoint.
    #[sqlx(try_from = "String")]
    pub webhook_id: WebhookId,
    /// The endpoint's client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// `opened`, ..., or `test`.
    pub event: String,
    /// The ticket it is about (none for a test event).
    pub ticket_id: Option<String>,
    /// The JSON posted.
    pub body: String,
    /// `pending`, `delivered`, `failed` (gave up) or `cancelled` (the
    /// endpoint was revoked or its side lost the client first).
    pub status: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Creation (epoch ms).
    pub created_at: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<i64>,
    /// When it was delivered, given up or cancelled.
    pub finished_at: Option<i64>,
}

const DELIVERY_COLS: &str = "id, webhook_id, client_id, event, ticket_id, body, status, attempts, created_at, next_attempt_at, finished_at";

/// Store a new delivery.
pub async fn insert_delivery(tx: &mut Tx, d: &Delivery) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO webhook_deliveries (id, webhook_id, client_id, event, ticket_id, body, status, attempts, created_at, next_attempt_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(&d.id).bind(d.webhook_id.to_string()).bind(d.client_id.to_string()).bind(&d.event).bind(&d.ticket_id)
        .bind(&d.body).bind(&d.status).bind(d.attempts).bind(d.created_at).bind(d.next_attempt_at).bind(d.finished_at)
        .execute(c).await)?;
    Ok(())
}

/// A delivery with its endpoint and the endpoint's secret, for the worker
/// that posts it.
pub async fn delivery_target(db: &Db, id: &str) -> Result<Option<(Delivery, Webhook, String)>> {
    let sql = format!("SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE id = $1");
    let Some(d) = on_db!(db, c => sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id).fetch_optional(c).await)?
    else {
        return Ok(None);
    };
    let sql = format!("SELECT {COLS}, secret FROM webhooks WHERE id = $1");
    let w = on_db!(db, c => sqlx::query_as::<_, WithSecret>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(d.webhook_id.to_string()).fetch_one(c).await)?;
    Ok(Some((d, w.webhook, w.secret)))
}

#[derive(sqlx::FromRow)]
struct WithSecret {
    #[sqlx(flatten)]
    webhook: Webhook,
    secret: String,
}

/// Where a delivery stands after an attempt (or a cancellation).
pub async fn update_delivery(
    tx: &mut Tx,
    id: &str,
    status: &str,
    attempts: i64,
    next_attempt_at: Option<i64>,
    finished_at: Option<i64>,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, finished_at = $4 WHERE id = $5")
        .bind(status).bind(attempts).bind(next_attempt_at).bind(finished_at).bind(id).execute(c).await)?;
    Ok(())
}

/// One try at posting a delivery.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    /// The delivery.
    pub delivery_id: String,
    /// 1 for the first try.
    pub attempt: i64,
    /// The endpoint.
    #[sqlx(try_from = "String")]
    pub webhook_id: WebhookId,
    /// When it started (epoch ms).
    pub at: i64,
    /// The receiver's HTTP status, if it answered.
    pub http_status: Option<i64>,
    /// Why it failed, if it did (never a secret).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// Record an attempt. The same attempt recorded twice (a worker whose
/// lease ran out while it waited on a slow receiver) keeps the first.
pub async fn insert_attempt(tx: &mut Tx, a: &Attempt) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO webhook_attempts (delivery_id, attempt, webhook_id, at, http_status, error, duration_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING")
        .bind(&a.delivery_id).bind(a.attempt).bind(a.webhook_id.to_string()).bind(a.at).bind(a.http_status)
        .bind(&a.error).bind(a.duration_ms).execute(c).await)?;
    Ok(())
}

/// An endpoint's deliveries, newest first: at most `limit`, older than the
/// delivery `before` when given (the cursor of the next page).
pub async fn deliveries(
    db: &Db,
    webhook: WebhookId,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Delivery>> {
    // Delivery ids are UUIDv7 text: their order is their creation order.
    let older = if before.is_some() { "AND id < $3" } else { "" };
    let sql = format!(
        "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE webhook_id = $1 {older} ORDER BY id DESC LIMIT $2"
    );
    Ok(on_db!(db, c => {
        let q = sqlx::query_as::<_, Delivery>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(webhook.to_string())
            .bind(limit);
        match before {
            Some(b) => q.bind(b).fetch_all(c).await,
            None => q.fetch_all(c).await,
        }
    })?)
}

/// The attempts of an endpoint's deliveries from `oldest` to `newest`
/// (delivery ids, both included), newest first.
pub async fn attempts(
    db: &Db,
    webhook: WebhookId,
    oldest: &str,
    newest: &str,
) -> Result<Vec<Attempt>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Attempt>(
        "SELECT delivery_id, attempt, webhook_id, at, http_status, error, duration_ms FROM webhook_attempts \
         WHERE webhook_id = $1 AND delivery_id >= $2 AND delivery_id <= $3 ORDER BY delivery_id DESC, attempt DESC")
        .bind(webhook.to_string()).bind(oldest).bind(newest).fetch_all(c).await)?)
}
