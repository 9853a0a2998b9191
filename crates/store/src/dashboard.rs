//! Figures for the dashboards: counts over tickets and their timeline,
//! computed by the database (COUNT and GROUP BY over index ranges), never
//! by reading the tickets themselves.
//!
//! Every function takes the caller's scope and counts only the clients
//! whose tickets the caller sees, by the ticket rule's own list of clients
//! (the caller's organization, and the clients of active engagements they
//! are assigned to: [`crate::engaged_clients!`]). Requesters see
//! their own tickets only; the service never asks these counts for them.

use crate::{Arg, Backend, Db, Result, engaged_clients};
use tandem_domain::{OrgId, Scope};

/// The clients whose tickets the caller sees, as a subquery: `$1` is the
/// caller's user id, `$2` their organization.
const SEEN: &str = concat!("SELECT $2 UNION ALL ", engaged_clients!());

/// The open-ticket condition exactly as the partial open-ticket indexes of
/// migration 0006 state it (SQLite uses a partial index only for a query
/// that repeats its condition).
const OPEN: &str = "t.status NOT IN ('resolved', 'closed')";

/// The timeline kinds the partial index of migration 0012 holds; every
/// timeline count here names it (see there).
const COUNTED_KINDS: &str = "e.kind IN ('handoff', 'sla')";

fn scope_args(scope: &Scope) -> Vec<Arg> {
    vec![
        scope.user_id.to_string().into(),
        scope.org_id.to_string().into(),
    ]
}

/// Open tickets of one client owned by one side.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct OpenCount {
    /// The client.
    pub client_id: String,
    /// `in_house` or `provider`.
    pub owner_side: String,
    /// Open (not resolved or closed) tickets.
    pub open: i64,
    /// Of those, tickets with a running clock whose next deadline is
    /// before the instant the caller gave (already passed included).
    pub due_soon: i64,
}

/// Open tickets per client and owner side, and how many of them have a
/// running clock due before `due_before`. Two index ranges per client and
/// side: tickets with a running clock, and those whose clocks all stand.
pub async fn open_counts(db: &Db, scope: &Scope, due_before: i64) -> Result<Vec<OpenCount>> {
    let sql = format!(
        "SELECT t.client_id, t.owner_side, COUNT(*) AS open, \
         SUM(CASE WHEN t.next_due < $3 THEN 1 ELSE 0 END) AS due_soon \
         FROM tickets t WHERE t.client_id IN ({SEEN}) AND {OPEN} AND t.next_due IS NOT NULL \
         GROUP BY t.client_id, t.owner_side \
         UNION ALL \
         SELECT t.client_id, t.owner_side, COUNT(*) AS open, 0 AS due_soon \
         FROM tickets t WHERE t.client_id IN ({SEEN}) AND {OPEN} AND t.next_due IS NULL \
         GROUP BY t.client_id, t.owner_side"
    );
    let mut args = scope_args(scope);
    args.push(due_before.into());
    let parts = db
        .rows(&sql, &args, |r| {
            Ok(OpenCount {
                client_id: r.get(0)?,
                owner_side: r.get(1)?,
                open: r.get(2)?,
                due_soon: r.get(3)?,
            })
        })
        .await?;
    // Add the running and the paused part of each client and side.
    let mut out: Vec<OpenCount> = Vec::new();
    for p in parts {
        match out
            .iter_mut()
            .find(|o| o.client_id == p.client_id && o.owner_side == p.owner_side)
        {
            Some(o) => {
                o.open += p.open;
                o.due_soon += p.due_soon;
            }
            None => out.push(p),
        }
    }
    out.sort_by(|a, b| (&a.client_id, &a.owner_side).cmp(&(&b.client_id, &b.owner_side)));
    Ok(out)
}

/// JSON fields of timeline details, per backend (the one place the two
/// dialects differ here). SLA breaches carry `{"clock": "response" |
/// "resolution", "event": "breach"}`; a first response carries
/// `{"breached": bool}`.
struct SlaJson {
    /// True for a breach entry.
    breach: &'static str,
    /// The clock a breach entry names.
    clock: &'static str,
    /// True for a first response given within its target.
    response_met: &'static str,
}

fn sla_json(db: &Db) -> SlaJson {
    match db.backend() {
        Backend::Sqlite => SlaJson {
            breach: "json_extract(e.data, '$.event') = 'breach'",
            clock: "json_extract(e.data, '$.clock')",
            response_met: "json_extract(e.data, '$.breached') = 0",
        },
        Backend::Postgres => SlaJson {
            breach: "(e.data::jsonb ->> 'event') = 'breach'",
            clock: "(e.data::jsonb ->> 'clock')",
            response_met: "(e.data::jsonb ->> 'breached') = 'false'",
        },
    }
}

/// A client's missed SLA targets recorded in `[from, to)` (epoch ms): the
/// priority of the ticket and when (the invoice run credits them). The
/// kinds are named as the partial index names them, so SQLite uses it
/// (it does not prove `kind = 'sla'` implies the index's `IN`).
pub async fn breaches(db: &Db, client: OrgId, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    let j = sla_json(db);
    let sql = format!(
        "SELECT t.priority, e.at FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.client_id = $1 AND {COUNTED_KINDS} AND e.kind = 'sla' AND e.at >= $2 AND e.at < $3 AND {} ORDER BY e.at",
        j.breach
    );
    db.rows(
        &sql,
        &[client.to_string().into(), from.into(), to.into()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .await
}

/// Per client, how many tickets had an SLA breach (of either clock)
/// recorded in `[from, to)`: the instant the SLA worker raised it, which
/// is the deadline give or take the worker's round.
pub async fn breached_by_client(
    db: &Db,
    scope: &Scope,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64)>> {
    let j = sla_json(db);
    let sql = format!(
        "SELECT e.client_id, COUNT(DISTINCT e.ticket_id) FROM ticket_events e \
         WHERE e.client_id IN ({SEEN}) AND {COUNTED_KINDS} AND e.kind = 'sla' AND e.at >= $3 AND e.at < $4 \
         AND {} GROUP BY e.client_id ORDER BY e.client_id",
        j.breach
    );
    let mut args = scope_args(scope);
    args.extend([from.into(), to.into()]);
    db.rows(&sql, &args, |r| Ok((r.get(0)?, r.get(1)?))).await
}

/// Hand-offs since `since`, by direction (`in_house->provider` or
/// `provider->in_house`, the text the hand-off writes as the entry's body).
pub async fn handoffs(db: &Db, scope: &Scope, since: i64) -> Result<Vec<(String, i64)>> {
    let sql = format!(
        "SELECT e.body, COUNT(*) FROM ticket_events e \
         WHERE e.client_id IN ({SEEN}) AND {COUNTED_KINDS} AND e.kind = 'handoff' AND e.at >= $3 \
         GROUP BY e.body ORDER BY e.body"
    );
    let mut args = scope_args(scope);
    args.push(since.into());
    db.rows(&sql, &args, |r| Ok((r.get(0)?, r.get(1)?))).await
}

/// SLA outcomes of one priority and clock.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SlaCount {
    /// `p1`..`p4` (the ticket's priority now).
    pub priority: String,
    /// `response` or `resolution`.
    pub clock: String,
    /// `met` or `missed`.
    pub outcome: String,
    /// How many clocks.
    pub n: i64,
}

/// SLA outcomes decided in `[from, to)`, per priority and clock. Each
/// clock is counted once, in the period its outcome was decided:
/// *missed* when its breach was recorded; *met* when it stopped within
/// its target (a first response given in time, a ticket resolved without
/// a resolution breach). A clock that breached and stopped later counts as
/// missed, in the period of the breach.
pub async fn sla_results(db: &Db, scope: &Scope, from: i64, to: i64) -> Result<Vec<SlaCount>> {
    let j = sla_json(db);
    let events = format!(
        "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id \
         WHERE e.client_id IN ({SEEN}) AND {COUNTED_KINDS} AND e.kind = 'sla' AND e.at >= $3 AND e.at < $4"
    );
    let sql = format!(
        "SELECT t.priority, 'response' AS clock, 'met' AS outcome, COUNT(*) AS n {events} AND {met} \
         GROUP BY t.priority \
         UNION ALL \
         SELECT t.priority, {clock} AS clock, 'missed' AS outcome, COUNT(*) AS n {events} AND {breach} \
         GROUP BY t.priority, {clock} \
         UNION ALL \
         SELECT t.priority, 'resolution' AS clock, 'met' AS outcome, COUNT(*) AS n FROM tickets t \
         WHERE t.client_id IN ({SEEN}) AND t.resolved_at >= $3 AND t.resolved_at < $4 AND NOT t.resolution_breached \
         GROUP BY t.priority",
        met = j.response_met,
        clock = j.clock,
        breach = j.breach,
    );
    let mut args = scope_args(scope);
    args.extend([from.into(), to.into()]);
    let mut out = db
        .rows(&sql, &args, |r| {
            Ok(SlaCount {
                priority: r.get(0)?,
                clock: r.get(1)?,
                outcome: r.get(2)?,
                n: r.get(3)?,
            })
        })
        .await?;
    out.sort_by(|a, b| {
        (&a.priority, &a.clock, &a.outcome).cmp(&(&b.priority, &b.clock, &b.outcome))
    });
    Ok(out)
}

/// Tickets opened and resolved in one period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PeriodCount {
    /// Its start (epoch ms, inclusive).
    pub start: i64,
    /// Tickets opened in it.
    pub opened: i64,
    /// Tickets resolved in it (and not reopened since).
    pub resolved: i64,
}

/// Tickets opened and resolved in each period between consecutive
/// `bounds` (epoch ms, ascending): `bounds.len() - 1` periods, each two
/// index range counts. Periods are the caller's (local weeks differ in
/// length across a change of daylight saving time).
pub async fn opened_resolved(db: &Db, scope: &Scope, bounds: &[i64]) -> Result<Vec<PeriodCount>> {
    if bounds.len() < 2 {
        return Ok(Vec::new());
    }
    // Only numbered placeholders are spliced in, never a value.
    let periods: Vec<String> = (0..bounds.len() - 1)
        .map(|i| format!("(${}, ${})", i + 3, i + 4))
        .collect();
    let sql = format!(
        "WITH w(s, e) AS (VALUES {}) \
         SELECT w.s AS start, \
         (SELECT COUNT(*) FROM tickets t WHERE t.client_id IN ({SEEN}) AND t.created_at >= w.s AND t.created_at < w.e) AS opened, \
         (SELECT COUNT(*) FROM tickets t WHERE t.client_id IN ({SEEN}) AND t.resolved_at >= w.s AND t.resolved_at < w.e) AS resolved \
         FROM w ORDER BY w.s",
        periods.join(", ")
    );
    let mut args = scope_args(scope);
    args.extend(bounds.iter().map(|b| Arg::Int(*b)));
    db.rows(&sql, &args, |r| {
        Ok(PeriodCount {
            start: r.get(0)?,
            opened: r.get(1)?,
            resolved: r.get(2)?,
        })
    })
    .await
}

/// Tickets resolved in `[from, to)` by the side that owns them (the side
/// that held a ticket when it was resolved: hand-offs move open tickets).
pub async fn resolved_by_side(
    db: &Db,
    scope: &Scope,
    from: i64,
    to: i64,
) -> Result<Vec<(String, i64)>> {
    let sql = format!(
        "SELECT t.owner_side, COUNT(*) FROM tickets t WHERE t.client_id IN ({SEEN}) \
         AND t.resolved_at >= $3 AND t.resolved_at < $4 GROUP BY t.owner_side ORDER BY t.owner_side"
    );
    let mut args = scope_args(scope);
    args.extend([from.into(), to.into()]);
    db.rows(&sql, &args, |r| Ok((r.get(0)?, r.get(1)?))).await
}

/// The clients whose tickets the caller sees through an engagement (not
/// their own organization), with their names, by name.
pub async fn engaged_clients(db: &Db, scope: &Scope) -> Result<Vec<(String, String)>> {
    let sql = concat!(
        "SELECT o.id, o.name FROM organizations o WHERE o.id IN (",
        engaged_clients!(),
        ") ORDER BY o.name, o.id"
    );
    db.rows(sql, &scope_args(scope), |r| Ok((r.get(0)?, r.get(1)?)))
        .await
}
