//! Business-hours calendars (one per client) and SLA policies (one per
//! engagement and priority).

use crate::{Db, Result, Tx, exec_tx, on_db, on_tx};
use tandem_domain::{EngagementId, OrgId};

/// A client's calendar as stored; the service turns it into a
/// `BusinessCalendar` and checks it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CalendarRow {
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// IANA time zone.
    pub time_zone: String,
    /// JSON list of `{"day","start","end"}`.
    pub windows: String,
    /// JSON list of `YYYY-MM-DD`.
    pub holidays: String,
    /// JSON list of `MM-DD`.
    pub yearly_holidays: String,
    /// Last change (epoch ms).
    pub updated_at: i64,
}

/// An SLA policy line.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PolicyRow {
    /// The engagement.
    #[sqlx(try_from = "String")]
    pub engagement_id: EngagementId,
    /// `p1`..`p4`.
    pub priority: String,
    /// First-response target in minutes.
    pub response_minutes: i64,
    /// Resolution target in minutes.
    pub resolution_minutes: i64,
    /// Runs 24x7 instead of on the client's calendar.
    pub around_the_clock: bool,
    /// JSON list of statuses that pause the clocks.
    pub pause_statuses: String,
    /// Warn when this share of the target has elapsed.
    pub warn_percent: i64,
}

const CAL: &str = "SELECT client_id, time_zone, windows, holidays, yearly_holidays, updated_at FROM calendars WHERE client_id = $1";

/// A client's calendar (callers check scope first).
pub async fn calendar(db: &Db, client: OrgId) -> Result<Option<CalendarRow>> {
    Ok(
        on_db!(db, c => sqlx::query_as::<_, CalendarRow>(CAL).bind(client.to_string()).fetch_optional(c).await)?,
    )
}

/// A client's calendar zone alone, read in place on SQLite (the invoice
/// run asks once per agreement).
pub async fn time_zone(db: &Db, client: OrgId) -> Result<Option<String>> {
    let rows: Vec<(String,)> = db
        .rows(
            "SELECT time_zone FROM calendars WHERE client_id = $1",
            &[client.to_string().into()],
            |r| Ok((r.get(0)?,)),
        )
        .await?;
    Ok(rows.into_iter().next().map(|(z,)| z))
}

/// Same, inside a transaction.
pub async fn calendar_tx(tx: &mut Tx, client: OrgId) -> Result<Option<CalendarRow>> {
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, CalendarRow>(CAL).bind(client.to_string()).fetch_optional(c).await)?,
    )
}

/// Write a client's calendar.
pub async fn upsert_calendar(tx: &mut Tx, r: &CalendarRow) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO calendars (client_id, time_zone, windows, holidays, yearly_holidays, updated_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (client_id) DO UPDATE SET time_zone = excluded.time_zone, windows = excluded.windows, \
         holidays = excluded.holidays, yearly_holidays = excluded.yearly_holidays, updated_at = excluded.updated_at")
        .bind(r.client_id.to_string()).bind(&r.time_zone).bind(&r.windows).bind(&r.holidays)
        .bind(&r.yearly_holidays).bind(r.updated_at).execute(c).await)?;
    Ok(())
}

const POL: &str = "SELECT engagement_id, priority, response_minutes, resolution_minutes, around_the_clock, pause_statuses, warn_percent FROM sla_policies";

/// All four policy lines of an engagement.
pub async fn policies(db: &Db, engagement: EngagementId) -> Result<Vec<PolicyRow>> {
    let sql = format!("{POL} WHERE engagement_id = $1 ORDER BY priority");
    Ok(
        on_db!(db, c => sqlx::query_as::<_, PolicyRow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(engagement.to_string()).fetch_all(c).await)?,
    )
}

/// One policy line, inside a transaction.
pub async fn policy_tx(
    tx: &mut Tx,
    engagement: EngagementId,
    priority: &str,
) -> Result<Option<PolicyRow>> {
    let sql = format!("{POL} WHERE engagement_id = $1 AND priority = $2");
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, PolicyRow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(engagement.to_string()).bind(priority).fetch_optional(c).await)?,
    )
}

/// Write a policy line.
pub async fn upsert_policy(tx: &mut Tx, p: &PolicyRow) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO sla_policies (engagement_id, priority, response_minutes, resolution_minutes, around_the_clock, pause_statuses, warn_percent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (engagement_id, priority) DO UPDATE SET \
         response_minutes = excluded.response_minutes, resolution_minutes = excluded.resolution_minutes, \
         around_the_clock = excluded.around_the_clock, pause_statuses = excluded.pause_statuses, warn_percent = excluded.warn_percent")
        .bind(p.engagement_id.to_string()).bind(&p.priority).bind(p.response_minutes).bind(p.resolution_minutes)
        .bind(p.around_the_clock).bind(&p.pause_statuses).bind(p.warn_percent).execute(c).await)?;
    Ok(())
}
