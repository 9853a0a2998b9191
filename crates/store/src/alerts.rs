//! Alert intake: a client's monitoring sources (their keys stored only as
//! a SHA-256 hash) and the alerts they sent, each tied to its ticket.
//!
//! Sources are reached by their key's hash (bearer) or their id (HMAC);
//! everything an alert touches is then filtered by the source's own
//! client, never by anything the payload says.

use crate::direct;
use crate::{Arg, Db, Result, StoreError, Tx, exec_tx, on_db, on_tx};
use tandem_domain::alert::{AlertStatus, AuthMode, SourceKind};
use tandem_domain::{AlertSourceId, OrgId, TicketId, UserId};

/// An intake source as stored (never its key).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Source {
    /// Its id (sent as `X-Tandem-Source` with HMAC signatures).
    #[sqlx(try_from = "String")]
    pub id: AlertSourceId,
    /// The client whose desk its alerts reach, and no other.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The admins' name for it.
    pub name: String,
    /// What it sends.
    #[sqlx(try_from = "String")]
    pub kind: SourceKind,
    /// How it proves who it is.
    #[sqlx(try_from = "String")]
    pub auth_mode: AuthMode,
    /// The first characters of the key, so people can tell keys apart.
    pub key_prefix: String,
    /// Category key of tickets whose labels name none.
    pub default_category: String,
    /// The label whose value is the category key.
    pub category_label: Option<String>,
    /// The label whose value is the impact (`high`, `medium`, `low`).
    pub impact_label: Option<String>,
    /// The label whose value names the device.
    pub device_label: Option<String>,
    /// Whether the alerts of one Alertmanager group share one ticket.
    pub group_alerts: bool,
    /// The account its tickets are opened as.
    #[sqlx(try_from = "String")]
    pub actor_user_id: UserId,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation (epoch ms).
    pub created_at: i64,
    /// Its last accepted request (epoch ms).
    pub last_seen_at: Option<i64>,
    /// Revocation (epoch ms); a revoked source is refused.
    pub revoked_at: Option<i64>,
    /// Minutes a ticket opened by its alerts waits, once they have all
    /// resolved, before it resolves itself.
    pub quiet_minutes: i64,
    /// Minutes between the heartbeats it promises (none: no dead man's
    /// switch).
    pub heartbeat_minutes: Option<i64>,
    /// Its last heartbeat (epoch ms).
    pub last_heartbeat_at: Option<i64>,
    /// When its next heartbeat is overdue (epoch ms; none unless watched).
    pub heartbeat_due_at: Option<i64>,
    /// The open "monitoring is down" ticket of its missing heartbeat
    /// (chosen before the ticket is written).
    pub down_ticket_id: Option<String>,
    /// When that ticket was chosen (epoch ms).
    pub down_since: Option<i64>,
    /// New tickets per minute before its alerts join an alert storm
    /// ticket (0: never).
    pub storm_per_minute: i64,
    /// Intake requests per second it may send (0: unlimited).
    pub rate_per_second: i64,
}

pub(crate) const SOURCE_COLS: &str = "id, client_id, name, kind, auth_mode, key_prefix, default_category, category_label, impact_label, \
     device_label, group_alerts, actor_user_id, created_by, created_at, last_seen_at, revoked_at, quiet_minutes, heartbeat_minutes, \
     last_heartbeat_at, heartbeat_due_at, down_ticket_id, down_since, storm_per_minute, rate_per_second";

/// Store a new source with the hash of its key.
pub async fn insert_source(tx: &mut Tx, s: &Source, key_hash: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO alert_sources (id, client_id, name, kind, auth_mode, key_hash, key_prefix, default_category, category_label, \
         impact_label, device_label, group_alerts, actor_user_id, created_by, created_at, quiet_minutes, heartbeat_minutes, \
         heartbeat_due_at, storm_per_minute, rate_per_second) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)")
        .bind(s.id.to_string()).bind(s.client_id.to_string()).bind(&s.name).bind(s.kind.as_str())
        .bind(s.auth_mode.as_str()).bind(key_hash).bind(&s.key_prefix).bind(&s.default_category)
        .bind(&s.category_label).bind(&s.impact_label).bind(&s.device_label).bind(s.group_alerts)
        .bind(s.actor_user_id.to_string()).bind(&s.created_by).bind(s.created_at)
        .bind(s.quiet_minutes).bind(s.heartbeat_minutes).bind(s.heartbeat_due_at)
        .bind(s.storm_per_minute).bind(s.rate_per_second)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A client's sources, newest first (the caller has checked access).
pub async fn sources(db: &Db, client: OrgId) -> Result<Vec<Source>> {
    let sql = format!(
        "SELECT {SOURCE_COLS} FROM alert_sources WHERE client_id = $1 ORDER BY created_at DESC, id"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Source>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_all(c).await)?,
    )
}

/// One source of a client ([`StoreError::NotFound`] for another client's).
pub async fn source(db: &Db, client: OrgId, id: AlertSourceId) -> Result<Source> {
    let sql = format!("SELECT {SOURCE_COLS} FROM alert_sources WHERE id = $1 AND client_id = $2");
    on_db!(db, c => sqlx::query_as::<_, Source>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id.to_string()).bind(client.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

impl Source {
    /// A row of [`SOURCE_COLS`] read in place.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Source {
            id: direct::parsed(r, 0)?,
            client_id: direct::parsed(r, 1)?,
            name: r.get(2)?,
            kind: direct::parsed(r, 3)?,
            auth_mode: direct::parsed(r, 4)?,
            key_prefix: r.get(5)?,
            default_category: r.get(6)?,
            category_label: r.get(7)?,
            impact_label: r.get(8)?,
            device_label: r.get(9)?,
            group_alerts: r.get(10)?,
            actor_user_id: direct::parsed(r, 11)?,
            created_by: r.get(12)?,
            created_at: r.get(13)?,
            last_seen_at: r.get(14)?,
            revoked_at: r.get(15)?,
            quiet_minutes: r.get(16)?,
            heartbeat_minutes: r.get(17)?,
            last_heartbeat_at: r.get(18)?,
            heartbeat_due_at: r.get(19)?,
            down_ticket_id: r.get(20)?,
            down_since: r.get(21)?,
            storm_per_minute: r.get(22)?,
            rate_per_second: r.get(23)?,
        })
    }
}

/// The unrevoked source whose key has this hash, with the hash. Read in
/// place on SQLite: every intake request starts here.
pub async fn live_source_by_hash(db: &Db, key_hash: &str) -> Result<Option<Source>> {
    let sql = format!(
        "SELECT {SOURCE_COLS} FROM alert_sources WHERE key_hash = $1 AND revoked_at IS NULL"
    );
    db.row(&sql, &[key_hash.into()], Source::from_direct).await
}

/// The unrevoked source with this id and its key's hash (the HMAC key).
pub async fn live_source_by_id(db: &Db, id: AlertSourceId) -> Result<Option<(Source, String)>> {
    let sql = format!(
        "SELECT {SOURCE_COLS}, key_hash FROM alert_sources WHERE id = $1 AND revoked_at IS NULL"
    );
    let row = on_db!(db, c => sqlx::query_as::<_, SourceWithHash>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id.to_string()).fetch_optional(c).await)?;
    Ok(row.map(|r| (r.source, r.key_hash)))
}

#[derive(sqlx::FromRow)]
struct SourceWithHash {
    #[sqlx(flatten)]
    source: Source,
    key_hash: String,
}

/// Revoke a client's source; its key is refused from now on.
pub async fn revoke_source(tx: &mut Tx, client: OrgId, id: AlertSourceId, now: i64) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE alert_sources SET revoked_at = $1 WHERE id = $2 AND client_id = $3 AND revoked_at IS NULL")
        .bind(now).bind(id.to_string()).bind(client.to_string()).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Note that a source was heard from.
pub async fn touch_source(tx: &mut Tx, id: AlertSourceId, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE alert_sources SET last_seen_at = $1 WHERE id = $2 AND (last_seen_at IS NULL OR last_seen_at < $1)")
        .bind(now).bind(id.to_string()).execute(c).await)?;
    Ok(())
}

/// An alert as stored: one per source and dedup key (Alertmanager's
/// fingerprint or the generic event's `dedup_key`).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Alert {
    /// Its id.
    pub id: String,
    /// The source that sent it.
    #[sqlx(try_from = "String")]
    pub source_id: AlertSourceId,
    /// The source's client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The sender's key for it.
    pub dedup_key: String,
    /// Alertmanager's `groupKey` (empty for generic events).
    pub group_key: String,
    /// Firing or resolved.
    #[sqlx(try_from = "String")]
    pub status: AlertStatus,
    /// As the sender said it.
    pub severity: String,
    /// One line saying what is wrong.
    pub summary: String,
    /// The device it concerns, if the sender named one.
    pub device: Option<String>,
    /// The ticket it opened or joined (chosen before the ticket is written).
    #[sqlx(try_from = "String")]
    pub ticket_id: TicketId,
    /// Whether that ticket has been written.
    pub ticket_opened: bool,
    /// How many times it fired for its ticket.
    pub fire_count: i64,
    /// SHA-256 of its last event's content.
    pub last_hash: String,
    /// First heard of for its ticket (epoch ms).
    pub first_seen_at: i64,
    /// Last heard of (epoch ms).
    pub last_seen_at: i64,
    /// When it resolved, while it stays resolved.
    pub resolved_at: Option<i64>,
    /// The maintenance window that held it back: its ticket is reserved
    /// but not written until it fires outside every window.
    pub maintenance_id: Option<String>,
}

pub(crate) const ALERT_COLS: &str = "id, source_id, client_id, dedup_key, group_key, status, severity, summary, device, ticket_id, \
     ticket_opened, fire_count, last_hash, first_seen_at, last_seen_at, resolved_at, maintenance_id";

impl Alert {
    /// A row of [`ALERT_COLS`] read in place.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Alert {
            id: r.get(0)?,
            source_id: direct::parsed(r, 1)?,
            client_id: direct::parsed(r, 2)?,
            dedup_key: r.get(3)?,
            group_key: r.get(4)?,
            status: direct::parsed(r, 5)?,
            severity: r.get(6)?,
            summary: r.get(7)?,
            device: r.get(8)?,
            ticket_id: direct::parsed(r, 9)?,
            ticket_opened: r.get(10)?,
            fire_count: r.get(11)?,
            last_hash: r.get(12)?,
            first_seen_at: r.get(13)?,
            last_seen_at: r.get(14)?,
            resolved_at: r.get(15)?,
            maintenance_id: r.get(16)?,
        })
    }
}

/// A source's alerts with these dedup keys, as committed: one read (in
/// place on SQLite) for a whole intake request.
pub async fn known(db: &Db, source: AlertSourceId, dedup_keys: &[&str]) -> Result<Vec<Alert>> {
    if dedup_keys.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (2..dedup_keys.len() + 2).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT {ALERT_COLS} FROM alerts WHERE source_id = $1 AND dedup_key IN ({})",
        marks.join(", ")
    );
    let mut args: Vec<Arg> = Vec::with_capacity(dedup_keys.len() + 1);
    args.push(source.to_string().into());
    args.extend(dedup_keys.iter().map(|k| Arg::from(*k)));
    db.rows(&sql, &args, Alert::from_direct).await
}

/// A source's alert by its dedup key.
pub async fn alert_tx(
    tx: &mut Tx,
    source: AlertSourceId,
    dedup_key: &str,
) -> Result<Option<Alert>> {
    let sql = format!("SELECT {ALERT_COLS} FROM alerts WHERE source_id = $1 AND dedup_key = $2");
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, Alert>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(source.to_string()).bind(dedup_key).fetch_optional(c).await)?,
    )
}

/// Write an alert: a new one, or (same id) a new life of an old one whose
/// ticket is done. A second alert with the source's dedup key is a
/// [`StoreError::Conflict`].
pub async fn put_alert(tx: &mut Tx, a: &Alert) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO alerts (id, source_id, client_id, dedup_key, group_key, status, severity, summary, device, ticket_id, \
         ticket_opened, fire_count, last_hash, first_seen_at, last_seen_at, resolved_at, maintenance_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
         ON CONFLICT (id) DO UPDATE SET group_key = excluded.group_key, status = excluded.status, severity = excluded.severity, \
         summary = excluded.summary, device = excluded.device, ticket_id = excluded.ticket_id, ticket_opened = excluded.ticket_opened, \
         fire_count = excluded.fire_count, last_hash = excluded.last_hash, first_seen_at = excluded.first_seen_at, \
         last_seen_at = excluded.last_seen_at, resolved_at = excluded.resolved_at, maintenance_id = excluded.maintenance_id")
        .bind(&a.id).bind(a.source_id.to_string()).bind(a.client_id.to_string()).bind(&a.dedup_key)
        .bind(&a.group_key).bind(a.status.as_str()).bind(&a.severity).bind(&a.summary).bind(&a.device)
        .bind(a.ticket_id.to_string()).bind(a.ticket_opened).bind(a.fire_count).bind(&a.last_hash)
        .bind(a.first_seen_at).bind(a.last_seen_at).bind(a.resolved_at).bind(&a.maintenance_id)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Count one more firing of an alert on its open ticket, unless its last
/// event had this same content (then nothing changes: false).
pub async fn refire(tx: &mut Tx, id: &str, hash: &str, summary: &str, now: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE alerts SET status = 'firing', fire_count = fire_count + 1, last_hash = $1, summary = $2, \
         last_seen_at = $3, resolved_at = NULL WHERE id = $4 AND last_hash <> $1")
        .bind(hash).bind(summary).bind(now).bind(id).execute(c).await)?;
    Ok(n == 1)
}

/// Mark an alert resolved, unless its last event had this same content
/// (false: nothing changed).
pub async fn resolve(tx: &mut Tx, id: &str, hash: &str, now: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE alerts SET status = 'resolved', last_hash = $1, last_seen_at = $2, resolved_at = $2 \
         WHERE id = $3 AND last_hash <> $1")
        .bind(hash).bind(now).bind(id).execute(c).await)?;
    Ok(n == 1)
}

/// Note that the tickets of these alerts are written.
pub async fn mark_opened(tx: &mut Tx, ticket: TicketId) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE alerts SET ticket_opened = TRUE WHERE ticket_id = $1 AND ticket_opened = FALSE")
        .bind(ticket.to_string()).execute(c).await)?;
    Ok(())
}

/// The status of one of the client's tickets, if it exists.
pub async fn ticket_status_tx(
    tx: &mut Tx,
    client: OrgId,
    ticket: TicketId,
) -> Result<Option<String>> {
    Ok(on_tx!(tx, c => sqlx::query_scalar::<_, String>(
        "SELECT status FROM tickets WHERE id = $1 AND client_id = $2")
        .bind(ticket.to_string()).bind(client.to_string()).fetch_optional(c).await)?)
}

/// The ticket the alerts of an Alertmanager group share now: the newest
/// ticket of the group that is not yet written or not yet done.
pub async fn group_ticket_tx(
    tx: &mut Tx,
    source: AlertSourceId,
    group_key: &str,
) -> Result<Option<TicketId>> {
    let id: Option<String> = on_tx!(tx, c => sqlx::query_scalar::<_, String>(
        "SELECT a.ticket_id FROM alerts a LEFT JOIN tickets t ON t.id = a.ticket_id \
         WHERE a.source_id = $1 AND a.group_key = $2 AND a.maintenance_id IS NULL \
         AND (a.ticket_opened = FALSE OR t.status NOT IN ('resolved', 'closed')) \
         ORDER BY a.first_seen_at DESC, a.id DESC LIMIT 1")
        .bind(source.to_string()).bind(group_key).fetch_optional(c).await)?;
    Ok(id.and_then(|i| i.parse().ok()))
}

/// How many alerts of a ticket are still firing.
pub async fn firing_on_ticket_tx(tx: &mut Tx, ticket: TicketId) -> Result<i64> {
    Ok(on_tx!(tx, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM alerts WHERE ticket_id = $1 AND status = 'firing'")
        .bind(ticket.to_string()).fetch_one(c).await)?)
}

/// The alerts of a ticket, oldest first.
pub async fn on_ticket(db: &Db, client: OrgId, ticket: TicketId) -> Result<Vec<Alert>> {
    let sql = format!(
        "SELECT {ALERT_COLS} FROM alerts WHERE ticket_id = $1 AND client_id = $2 ORDER BY first_seen_at, id"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Alert>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(ticket.to_string()).bind(client.to_string()).fetch_all(c).await)?,
    )
}

/// A firing alert with its ticket's number and title.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct FiringAlert {
    /// The alert.
    #[sqlx(flatten)]
    pub alert: Alert,
    /// Its ticket's number, once written.
    pub ticket_number: Option<i64>,
    /// Its ticket's title, once written.
    pub ticket_title: Option<String>,
    /// Its ticket's status, once written.
    pub ticket_status: Option<String>,
}

/// A client's firing alerts, most recently heard of first (at most `limit`).
pub async fn firing(db: &Db, client: OrgId, limit: i64) -> Result<Vec<FiringAlert>> {
    let sql = "SELECT a.id, a.source_id, a.client_id, a.dedup_key, a.group_key, a.status, a.severity, a.summary, a.device, \
         a.ticket_id, a.ticket_opened, a.fire_count, a.last_hash, a.first_seen_at, a.last_seen_at, a.resolved_at, \
         a.maintenance_id, t.number AS ticket_number, t.title AS ticket_title, t.status AS ticket_status \
         FROM alerts a LEFT JOIN tickets t ON t.id = a.ticket_id AND t.client_id = a.client_id \
         WHERE a.client_id = $1 AND a.status = 'firing' ORDER BY a.last_seen_at DESC, a.id LIMIT $2";
    Ok(on_db!(db, c => sqlx::query_as::<_, FiringAlert>(sql)
        .bind(client.to_string()).bind(limit).fetch_all(c).await)?)
}

/// A source's flood count and storm ticket, as [`lock_flood`] reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Flood {
    /// The clock minute counted (epoch minutes).
    pub minute: i64,
    /// New alerts in that minute.
    pub opened: i64,
    /// New alerts in the minute before.
    pub prev_opened: i64,
    /// The storm ticket its alerts join while it storms (chosen before
    /// the ticket is written).
    pub storm_ticket_id: Option<String>,
    /// The highest severity that has joined that ticket.
    pub storm_severity: String,
}

/// A source's flood row, created if missing and locked until the
/// transaction ends (the upsert takes the row lock on PostgreSQL; SQLite
/// has one writer), so concurrent requests of one source count in turn.
pub async fn lock_flood(tx: &mut Tx, source: AlertSourceId) -> Result<Flood> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, Flood>(
        "INSERT INTO alert_floods (source_id, minute, opened, prev_opened) VALUES ($1, 0, 0, 0) \
         ON CONFLICT (source_id) DO UPDATE SET minute = alert_floods.minute \
         RETURNING minute, opened, prev_opened, storm_ticket_id, storm_severity")
        .bind(source.to_string()).fetch_one(c).await)?)
}

/// Write back a source's flood row.
pub async fn save_flood(tx: &mut Tx, source: AlertSourceId, f: &Flood) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE alert_floods SET minute = $1, opened = $2, prev_opened = $3, storm_ticket_id = $4, storm_severity = $5 \
         WHERE source_id = $6")
        .bind(f.minute).bind(f.opened).bind(f.prev_opened).bind(&f.storm_ticket_id).bind(&f.storm_severity)
        .bind(source.to_string()).execute(c).await)?;
    Ok(())
}

/// The storm tickets of a client's sources (written or not), so pages can
/// mark the alerts that joined one.
pub async fn storm_tickets(db: &Db, client: OrgId) -> Result<Vec<String>> {
    Ok(on_db!(db, c => sqlx::query_scalar::<_, String>(
        "SELECT f.storm_ticket_id FROM alert_floods f JOIN alert_sources s ON s.id = f.source_id \
         WHERE s.client_id = $1 AND f.storm_ticket_id IS NOT NULL")
        .bind(client.to_string()).fetch_all(c).await)?)
}
