//! A client's maintenance windows, as stored: one-off (two instants) or
//! weekly (a weekday mask, a local start time and a duration); alerts
//! inside one are recorded but open no ticket.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db};
use tandem_domain::{AlertSourceId, MaintenanceWindowId, OrgId};

/// A maintenance window row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct MaintenanceWindow {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: MaintenanceWindowId,
    /// The client whose alerts it holds back.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The one source it is limited to (none: all the client's sources).
    pub source_id: Option<String>,
    /// Why (shown beside the alerts it holds).
    pub reason: String,
    /// One-off: first instant inside (epoch ms).
    pub starts_at: Option<i64>,
    /// One-off: first instant outside (epoch ms).
    pub ends_at: Option<i64>,
    /// Weekly: bit 0 Monday ... bit 6 Sunday.
    pub weekdays: Option<i64>,
    /// Weekly: local start `HH:MM`.
    pub start_time: Option<String>,
    /// Weekly: length of each occurrence.
    pub duration_minutes: Option<i64>,
    /// Who created it.
    pub created_by: Option<String>,
    /// Creation (epoch ms).
    pub created_at: i64,
}

const COLS: &str = "id, client_id, source_id, reason, starts_at, ends_at, weekdays, start_time, duration_minutes, \
     created_by, created_at";

/// Store a new window.
pub async fn insert(tx: &mut Tx, w: &MaintenanceWindow) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO maintenance_windows (id, client_id, source_id, reason, starts_at, ends_at, weekdays, start_time, \
         duration_minutes, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(w.id.to_string()).bind(w.client_id.to_string()).bind(&w.source_id).bind(&w.reason)
        .bind(w.starts_at).bind(w.ends_at).bind(w.weekdays).bind(&w.start_time).bind(w.duration_minutes)
        .bind(&w.created_by).bind(w.created_at)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A client's windows that are not over at `now` (weekly ones never
/// are), oldest first (the caller has checked access).
pub async fn current(db: &Db, client: OrgId, now: i64) -> Result<Vec<MaintenanceWindow>> {
    let sql = format!(
        "SELECT {COLS} FROM maintenance_windows WHERE client_id = $1 AND (ends_at IS NULL OR ends_at > $2) \
         ORDER BY created_at, id"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, MaintenanceWindow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(now).fetch_all(c).await)?,
    )
}

/// A window with the zone of its client's calendar.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ZonedWindow {
    /// The window.
    #[sqlx(flatten)]
    pub window: MaintenanceWindow,
    /// The client's calendar zone (none without a calendar: UTC).
    pub time_zone: Option<String>,
}

/// What intake needs to hold back a request's alerts, in one read: the
/// windows of `client` not over at `now` that apply to `source`, each with
/// the client's calendar zone.
pub async fn for_intake(
    db: &Db,
    client: OrgId,
    source: AlertSourceId,
    now: i64,
) -> Result<Vec<ZonedWindow>> {
    let sql = "SELECT w.id, w.client_id, w.source_id, w.reason, w.starts_at, w.ends_at, w.weekdays, w.start_time, \
         w.duration_minutes, w.created_by, w.created_at, \
         (SELECT time_zone FROM calendars c WHERE c.client_id = w.client_id) AS time_zone \
         FROM maintenance_windows w WHERE w.client_id = $1 AND (w.source_id IS NULL OR w.source_id = $2) \
         AND (w.ends_at IS NULL OR w.ends_at > $3)";
    Ok(on_db!(db, c => sqlx::query_as::<_, ZonedWindow>(sql)
        .bind(client.to_string()).bind(source.to_string()).bind(now).fetch_all(c).await)?)
}

/// Delete one of the client's windows ([`StoreError::NotFound`] for
/// another client's).
pub async fn delete(tx: &mut Tx, client: OrgId, id: MaintenanceWindowId) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "DELETE FROM maintenance_windows WHERE id = $1 AND client_id = $2")
        .bind(id.to_string()).bind(client.to_string()).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}
