//! Who is on duty after hours: each client's weekly rota per side
//! (`provider` or `in_house`) and the overrides that take precedence over
//! it. Every call is filtered by the client; the service checks access
//! first.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db, on_tx};
use tandem_domain::{OrgId, UserId};

/// One slot of a side's week, with the name of the person it names.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SlotRow {
    /// Its id.
    pub id: String,
    /// `provider` or `in_house`.
    pub side: String,
    /// `mon`..`sun`.
    pub start_day: String,
    /// `HH:MM`, local.
    pub start_time: String,
    /// `mon`..`sun`.
    pub end_day: String,
    /// `HH:MM` or `24:00`, local.
    pub end_time: String,
    /// The person on duty.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// Their name (filled by reads; ignored on write).
    pub user_name: String,
    /// Order within the week.
    pub position: i64,
}

/// An override: a person on duty for a span of instants, whatever the
/// rota says.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OverrideRow {
    /// Its id.
    pub id: String,
    /// `provider` or `in_house`.
    pub side: String,
    /// First instant covered (epoch ms).
    pub starts_at: i64,
    /// First instant no longer covered (epoch ms).
    pub ends_at: i64,
    /// The person on duty meanwhile.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// Their name (filled by reads; ignored on write).
    pub user_name: String,
    /// Why, if someone said.
    pub reason: Option<String>,
    /// Who added it.
    pub created_by: Option<String>,
    /// When (epoch ms); of overlapping overrides the later one wins.
    pub created_at: i64,
}

const SLOT_COLS: &str = "s.id, s.side, s.start_day, s.start_time, s.end_day, s.end_time, s.user_id, u.name AS user_name, s.position";
const OVERRIDE_COLS: &str = "o.id, o.side, o.starts_at, o.ends_at, o.user_id, u.name AS user_name, o.reason, o.created_by, o.created_at";

/// Both sides' slots of a client, by side and position.
pub async fn slots(db: &Db, client: OrgId) -> Result<Vec<SlotRow>> {
    let sql = format!(
        "SELECT {SLOT_COLS} FROM duty_slots s JOIN users u ON u.id = s.user_id \
         WHERE s.client_id = $1 ORDER BY s.side, s.position"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, SlotRow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_all(c).await)?,
    )
}

/// Replace one side's week with `slots` (in their order).
pub async fn replace_slots(
    tx: &mut Tx,
    client: OrgId,
    side: &str,
    slots: &[SlotRow],
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM duty_slots WHERE client_id = $1 AND side = $2")
        .bind(client.to_string()).bind(side).execute(c).await)?;
    for (i, s) in slots.iter().enumerate() {
        exec_tx!(tx, c => sqlx::query(
            "INSERT INTO duty_slots (id, client_id, side, start_day, start_time, end_day, end_time, user_id, position) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(&s.id).bind(client.to_string()).bind(side).bind(&s.start_day).bind(&s.start_time)
            .bind(&s.end_day).bind(&s.end_time).bind(s.user_id.to_string()).bind(i as i64)
            .execute(c).await)
        .map_err(StoreError::from_write)?;
    }
    Ok(())
}

/// A client's overrides (both sides) that have not ended by `since`,
/// soonest first.
pub async fn overrides(db: &Db, client: OrgId, since: i64) -> Result<Vec<OverrideRow>> {
    let sql = format!(
        "SELECT {OVERRIDE_COLS} FROM duty_overrides o JOIN users u ON u.id = o.user_id \
         WHERE o.client_id = $1 AND o.ends_at > $2 ORDER BY o.starts_at, o.created_at, o.id"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, OverrideRow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(since).fetch_all(c).await)?,
    )
}

/// Store an override.
pub async fn insert_override(tx: &mut Tx, client: OrgId, o: &OverrideRow) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO duty_overrides (id, client_id, side, starts_at, ends_at, user_id, reason, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(&o.id).bind(client.to_string()).bind(&o.side).bind(o.starts_at).bind(o.ends_at)
        .bind(o.user_id.to_string()).bind(&o.reason).bind(&o.created_by).bind(o.created_at)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Delete a client's override of `side` ([`StoreError::NotFound`] for
/// another client's or side's), giving back what it was.
pub async fn delete_override(
    tx: &mut Tx,
    client: OrgId,
    side: &str,
    id: &str,
) -> Result<OverrideRow> {
    let sql = format!(
        "SELECT {OVERRIDE_COLS} FROM duty_overrides o JOIN users u ON u.id = o.user_id \
         WHERE o.id = $1 AND o.client_id = $2 AND o.side = $3"
    );
    let found = on_tx!(tx, c => sqlx::query_as::<_, OverrideRow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id).bind(client.to_string()).bind(side).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)?;
    exec_tx!(tx, c => sqlx::query("DELETE FROM duty_overrides WHERE id = $1 AND client_id = $2")
        .bind(id).bind(client.to_string()).execute(c).await)?;
    Ok(found)
}

/// What decides who is on duty for one side of a client at `at`, in one
/// indexed read: the client's calendar zone, the side's slots, and the
/// side's overrides covering `at` (oldest first).
#[derive(Clone, Debug, Default)]
pub struct DutyAt {
    /// The client's calendar zone (none without a calendar).
    pub time_zone: Option<String>,
    /// The side's slots, by position (no names).
    pub slots: Vec<SlotRow>,
    /// The side's overrides covering `at`, oldest first (no names, no
    /// authors).
    pub overrides: Vec<OverrideRow>,
}

#[derive(sqlx::FromRow)]
struct DutyLine {
    kind: String,
    id: String,
    a: String,
    b: String,
    c: String,
    d: String,
    user_id: String,
    starts_at: i64,
    ends_at: i64,
    rank: i64,
    reason: Option<String>,
    time_zone: Option<String>,
}

/// Read [`DutyAt`] for one side of a client.
pub async fn duty_at(db: &Db, client: OrgId, side: &str, at: i64) -> Result<DutyAt> {
    // One statement for the after-hours alert path: slots and the covering
    // overrides side by side, the zone on every line.
    const SQL: &str = "SELECT 'slot' AS kind, id, start_day AS a, start_time AS b, end_day AS c, end_time AS d, user_id, \
         CAST(0 AS BIGINT) AS starts_at, CAST(0 AS BIGINT) AS ends_at, position AS rank, CAST(NULL AS TEXT) AS reason, \
         (SELECT time_zone FROM calendars WHERE client_id = $1) AS time_zone \
         FROM duty_slots WHERE client_id = $1 AND side = $2 \
         UNION ALL \
         SELECT 'override', id, '', '', '', '', user_id, starts_at, ends_at, created_at, reason, \
         (SELECT time_zone FROM calendars WHERE client_id = $1) \
         FROM duty_overrides WHERE client_id = $1 AND side = $2 AND ends_at > $3 AND starts_at <= $3 \
         ORDER BY kind, rank, id";
    let lines = on_db!(db, c => sqlx::query_as::<_, DutyLine>(SQL)
        .bind(client.to_string()).bind(side).bind(at).fetch_all(c).await)?;
    let mut out = DutyAt::default();
    for l in lines {
        out.time_zone = out.time_zone.or(l.time_zone);
        let Ok(user_id) = l.user_id.parse() else {
            continue;
        };
        if l.kind == "slot" {
            out.slots.push(SlotRow {
                id: l.id,
                side: side.to_owned(),
                start_day: l.a,
                start_time: l.b,
                end_day: l.c,
                end_time: l.d,
                user_id,
                user_name: String::new(),
                position: l.rank,
            });
        } else {
            out.overrides.push(OverrideRow {
                id: l.id,
                side: side.to_owned(),
                starts_at: l.starts_at,
                ends_at: l.ends_at,
                user_id,
                user_name: String::new(),
                reason: l.reason,
                created_by: None,
                created_at: l.rank,
            });
        }
    }
    Ok(out)
}
