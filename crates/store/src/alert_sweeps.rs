//! What the worker's alert sweeps read and write: heartbeats and the
//! "monitoring is down" ticket of a source, the quiet period of tickets
//! whose alerts have all resolved, and alerts whose ticket was never
//! written. Each sweep starts with one indexed range read of what is due
//! (see migration `alert_sweeps`), never a scan of all alerts.
//!
//! These run for the worker, not for a person: the rows they return name
//! their own client, and everything done with them afterwards goes through
//! that client's scope.

use crate::alerts::{ALERT_COLS, Alert, SOURCE_COLS, Source};
use crate::{Db, Result, Tx, exec_tx, on_db, on_tx};
use tandem_domain::{AlertSourceId, OrgId, TicketId, UserId};

/// Note a heartbeat of a source, in one UPDATE (this path is hammered):
/// it counts as being heard from, and moves the instant the next one is
/// overdue forward when the source is watched.
pub async fn heartbeat(tx: &mut Tx, id: AlertSourceId, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE alert_sources SET last_heartbeat_at = $1, heartbeat_due_at = $1 + heartbeat_minutes * 60000, \
         last_seen_at = CASE WHEN last_seen_at IS NULL OR last_seen_at < $1 THEN $1 ELSE last_seen_at END \
         WHERE id = $2 AND (last_heartbeat_at IS NULL OR last_heartbeat_at < $1)")
        .bind(now).bind(id.to_string()).execute(c).await)?;
    Ok(())
}

/// Live watched sources whose heartbeat is overdue at `now` and that have
/// no "monitoring is down" ticket yet, most overdue first.
pub async fn overdue_sources(db: &Db, now: i64, limit: i64) -> Result<Vec<Source>> {
    let sql = format!(
        "SELECT {SOURCE_COLS} FROM alert_sources WHERE heartbeat_due_at <= $1 AND revoked_at IS NULL \
         AND down_ticket_id IS NULL ORDER BY heartbeat_due_at, id LIMIT $2"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Source>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(now).bind(limit).fetch_all(c).await)?,
    )
}

/// Choose the "monitoring is down" ticket of a source, unless another
/// worker did, or a heartbeat came in meanwhile (false: nothing to open).
pub async fn mark_down(tx: &mut Tx, id: AlertSourceId, ticket: TicketId, now: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE alert_sources SET down_ticket_id = $1, down_since = $2 \
         WHERE id = $3 AND down_ticket_id IS NULL AND heartbeat_due_at <= $2 AND revoked_at IS NULL")
        .bind(ticket.to_string()).bind(now).bind(id.to_string()).execute(c).await)?;
    Ok(n == 1)
}

/// Sources with a "monitoring is down" ticket, longest down first.
pub async fn down_sources(db: &Db, limit: i64) -> Result<Vec<Source>> {
    let sql = format!(
        "SELECT {SOURCE_COLS} FROM alert_sources WHERE down_ticket_id IS NOT NULL ORDER BY down_since, id LIMIT $1"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Source>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(limit).fetch_all(c).await)?,
    )
}

/// Forget a source's "monitoring is down" ticket (false: another worker
/// already did).
pub async fn mark_up(tx: &mut Tx, id: AlertSourceId, ticket: TicketId) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE alert_sources SET down_ticket_id = NULL, down_since = NULL WHERE id = $1 AND down_ticket_id = $2")
        .bind(id.to_string()).bind(ticket.to_string()).execute(c).await)?;
    Ok(n == 1)
}

/// A ticket whose alerts have all resolved, waiting out its quiet period.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct QuietTicket {
    /// The ticket.
    #[sqlx(try_from = "String")]
    pub ticket_id: TicketId,
    /// Its client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The source whose alerts opened it.
    #[sqlx(try_from = "String")]
    pub source_id: AlertSourceId,
    /// When its last firing alert resolved (epoch ms).
    pub quiet_since: i64,
    /// When it resolves itself; none once it waits for a person.
    pub resolve_at: Option<i64>,
    /// When the sweep noted that it waits for a person.
    pub waiting_since: Option<i64>,
}

/// Start (or restart) a ticket's quiet period: the last firing alert of
/// it resolved at `since`. A ticket already waiting for a person keeps
/// waiting.
pub async fn start_quiet(
    tx: &mut Tx,
    ticket: TicketId,
    client: OrgId,
    source: AlertSourceId,
    since: i64,
    resolve_at: i64,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO alert_quiet_tickets (ticket_id, client_id, source_id, quiet_since, resolve_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (ticket_id) DO UPDATE SET quiet_since = excluded.quiet_since, resolve_at = excluded.resolve_at \
         WHERE alert_quiet_tickets.waiting_since IS NULL")
        .bind(ticket.to_string()).bind(client.to_string()).bind(source.to_string()).bind(since).bind(resolve_at)
        .execute(c).await)?;
    Ok(())
}

/// Tickets whose quiet period is over at `now`, longest over first.
pub async fn quiet_due(db: &Db, now: i64, limit: i64) -> Result<Vec<QuietTicket>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, QuietTicket>(
        "SELECT ticket_id, client_id, source_id, quiet_since, resolve_at, waiting_since FROM alert_quiet_tickets \
         WHERE resolve_at <= $1 ORDER BY resolve_at, ticket_id LIMIT $2")
        .bind(now).bind(limit).fetch_all(c).await)?)
}

/// A ticket's quiet period, if it has one.
pub async fn quiet_ticket(db: &Db, ticket: TicketId) -> Result<Option<QuietTicket>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, QuietTicket>(
        "SELECT ticket_id, client_id, source_id, quiet_since, resolve_at, waiting_since FROM alert_quiet_tickets \
         WHERE ticket_id = $1")
        .bind(ticket.to_string()).fetch_optional(c).await)?)
}

/// End a ticket's quiet period (it resolved, or an alert fires again).
pub async fn end_quiet(tx: &mut Tx, ticket: TicketId) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM alert_quiet_tickets WHERE ticket_id = $1")
        .bind(ticket.to_string()).execute(c).await)?;
    Ok(())
}

/// Note that a ticket waits for a person from now on (false: it already did).
pub async fn wait_for_person(tx: &mut Tx, ticket: TicketId, now: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE alert_quiet_tickets SET resolve_at = NULL, waiting_since = $2 WHERE ticket_id = $1 AND waiting_since IS NULL")
        .bind(ticket.to_string()).bind(now).execute(c).await)?;
    Ok(n == 1)
}

/// Whether a person has taken a ticket up since it was opened by the
/// account `opener`: its timeline holds an entry by any other account (a
/// public reply or a team note, a status or assignee change, a hand-off,
/// a priority set by hand, an attachment, a link ...), or it was edited
/// through the desk's versioned paths at all (an edit of its title or
/// category leaves no timeline entry, but moves the version). Entries
/// without an account (the SLA clock) and the opener's own alert notes
/// are not a person.
pub async fn touched_by_person(tx: &mut Tx, ticket: TicketId, opener: UserId) -> Result<bool> {
    Ok(on_tx!(tx, c => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM tickets t WHERE t.id = $1 AND (t.version > 0 OR EXISTS (SELECT 1 FROM ticket_events e \
         WHERE e.ticket_id = t.id AND e.actor_user_id IS NOT NULL AND e.actor_user_id <> $2))")
        .bind(ticket.to_string()).bind(opener.to_string()).fetch_one(c).await)?
        > 0)
}

/// Alerts whose ticket was chosen at or before `before` and is still not
/// written, oldest first; not those a maintenance window holds back (their
/// ticket waits, on purpose, for them to fire outside the window).
pub async fn unopened(db: &Db, before: i64, limit: i64) -> Result<Vec<Alert>> {
    let sql = format!(
        "SELECT {ALERT_COLS} FROM alerts WHERE ticket_opened = FALSE AND maintenance_id IS NULL AND first_seen_at <= $1 \
         ORDER BY first_seen_at, id LIMIT $2"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Alert>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(before).bind(limit).fetch_all(c).await)?,
    )
}
