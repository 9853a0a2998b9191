//! Tickets, their timeline and their watchers.

use crate::jobs::NewJob;
use crate::{Db, Result, StoreError, Tx, direct, exec_tx, on_db, on_tx};
use rusqlite::ToSql;
use rusqlite::types::Value;
use std::sync::LazyLock;
use tandem_domain::audit::AuditRecord;
use tandem_domain::{EngagementId, OrgId, Scope, Side, TicketId, UserId};

/// A ticket with its SLA clocks, as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Ticket {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: TicketId,
    /// The client it belongs to.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The engagement whose split and SLA applied when it was opened.
    pub engagement_id: Option<String>,
    /// Per-client number.
    pub number: i64,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Who asked.
    #[sqlx(try_from = "String")]
    pub requester_id: UserId,
    /// Work category id.
    pub category_id: String,
    /// `high`/`medium`/`low`.
    pub impact: String,
    /// `high`/`medium`/`low`.
    pub urgency: String,
    /// `p1`..`p4`.
    pub priority: String,
    /// Why the priority was overridden, if it was.
    pub priority_reason: Option<String>,
    /// Status text.
    pub status: String,
    /// `in_house` or `provider`.
    pub owner_side: String,
    /// Assignee.
    pub assignee_id: Option<String>,
    /// `web`, `api`, `email`, `alert`.
    pub source: String,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Opened (epoch ms).
    pub created_at: i64,
    /// Last change (epoch ms).
    pub updated_at: i64,
    /// Resolved (epoch ms).
    pub resolved_at: Option<i64>,
    /// Response target (minutes).
    pub response_target: i64,
    /// Response minutes consumed before `response_since`.
    pub response_consumed: i64,
    /// When the response clock last started running.
    pub response_since: Option<i64>,
    /// Response deadline while running.
    pub response_due: Option<i64>,
    /// Response warning instant while running.
    pub response_warn_at: Option<i64>,
    /// First public staff reply.
    pub response_met_at: Option<i64>,
    /// Warning sent.
    pub response_warned: bool,
    /// Breached.
    pub response_breached: bool,
    /// Resolution target (minutes).
    pub resolution_target: i64,
    /// Resolution minutes consumed before `resolution_since`.
    pub resolution_consumed: i64,
    /// When the resolution clock last started running.
    pub resolution_since: Option<i64>,
    /// Resolution deadline while running.
    pub resolution_due: Option<i64>,
    /// Resolution warning instant while running.
    pub resolution_warn_at: Option<i64>,
    /// Warning sent.
    pub resolution_warned: bool,
    /// Breached.
    pub resolution_breached: bool,
    /// The earliest running deadline, for "breaching soon".
    pub next_due: Option<i64>,
    /// The earliest pending warning or breach, for the SLA worker.
    pub next_sla_event_at: Option<i64>,
}

impl Ticket {
    /// The ticket whose [`COLS`] start at column `at` of an in-thread read.
    pub(crate) fn from_direct(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            id: direct::parsed(r, at)?,
            client_id: direct::parsed(r, at + 1)?,
            engagement_id: r.get(at + 2)?,
            number: r.get(at + 3)?,
            title: r.get(at + 4)?,
            description: r.get(at + 5)?,
            requester_id: direct::parsed(r, at + 6)?,
            category_id: r.get(at + 7)?,
            impact: r.get(at + 8)?,
            urgency: r.get(at + 9)?,
            priority: r.get(at + 10)?,
            priority_reason: r.get(at + 11)?,
            status: r.get(at + 12)?,
            owner_side: r.get(at + 13)?,
            assignee_id: r.get(at + 14)?,
            source: r.get(at + 15)?,
            version: r.get(at + 16)?,
            created_at: r.get(at + 17)?,
            updated_at: r.get(at + 18)?,
            resolved_at: r.get(at + 19)?,
            response_target: r.get(at + 20)?,
            response_consumed: r.get(at + 21)?,
            response_since: r.get(at + 22)?,
            response_due: r.get(at + 23)?,
            response_warn_at: r.get(at + 24)?,
            response_met_at: r.get(at + 25)?,
            response_warned: r.get(at + 26)?,
            response_breached: r.get(at + 27)?,
            resolution_target: r.get(at + 28)?,
            resolution_consumed: r.get(at + 29)?,
            resolution_since: r.get(at + 30)?,
            resolution_due: r.get(at + 31)?,
            resolution_warn_at: r.get(at + 32)?,
            resolution_warned: r.get(at + 33)?,
            resolution_breached: r.get(at + 34)?,
            next_due: r.get(at + 35)?,
            next_sla_event_at: r.get(at + 36)?,
        })
    }
}

pub(crate) const COLS: &str = "id, client_id, engagement_id, number, title, description, requester_id, category_id, impact, urgency, priority, \
    priority_reason, status, owner_side, assignee_id, source, version, created_at, updated_at, resolved_at, response_target, \
    response_consumed, response_since, response_due, response_warn_at, response_met_at, response_warned, response_breached, \
    resolution_target, resolution_consumed, resolution_since, resolution_due, resolution_warn_at, resolution_warned, \
    resolution_breached, next_due, next_sla_event_at";

/// Take the next ticket number of a client.
pub async fn take_number(tx: &mut Tx, client: OrgId) -> Result<i64> {
    let n: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(TAKE_NUMBER)
        .bind(client.to_string()).fetch_optional(c).await)?;
    n.ok_or(StoreError::NotFound)
}

const TAKE_NUMBER: &str = "UPDATE organizations SET next_ticket_number = next_ticket_number + 1 WHERE id = $1 \
    RETURNING next_ticket_number - 1";

static INSERT: LazyLock<String> = LazyLock::new(|| {
    let values: Vec<String> = (1..=COLS.split(", ").count())
        .map(|n| format!("${n}"))
        .collect();
    format!(
        "INSERT INTO tickets ({COLS}) VALUES ({})",
        values.join(", ")
    )
});

/// Insert a new ticket (and, on SQLite, its search row; PostgreSQL
/// computes its own).
pub async fn insert(tx: &mut Tx, t: &Ticket) -> Result<()> {
    exec_tx!(tx, c => bind_all(sqlx::query(sqlx::AssertSqlSafe(INSERT.as_str())).bind(t.id.to_string()), t, t.version).execute(c).await)
        .map_err(StoreError::from_write)?;
    if let Tx::Sqlite(m) = tx {
        sqlx::query(SEARCH_TICKET)
            .bind(t.id.to_string())
            .execute(&mut **m)
            .await?;
    }
    Ok(())
}

// Search rows on SQLite (`ticket_search`, FTS5): a ticket's title and
// description under minus its rowid (so the newest is the most negative),
// a comment under its event id. The store writes them itself rather than
// by trigger (migration 0010 says why).

/// `INSERT INTO $table` with a search row's columns.
macro_rules! search_rows_into {
    ($table:literal) => {
        concat!(
            "INSERT INTO ",
            $table,
            " (rowid, ticket_id, visibility, text) "
        )
    };
}

/// Tickets' search rows from their stored rows.
macro_rules! ticket_search_rows {
    () => {
        "SELECT -rowid, id, 'public', title || ' ' || description FROM tickets "
    };
}

const SEARCH_TICKET: &str = concat!(
    search_rows_into!("ticket_search"),
    ticket_search_rows!(),
    "WHERE id = $1"
);

const SEARCH_COMMENT: &str = concat!(
    search_rows_into!("ticket_search"),
    "VALUES ($1, $2, $3, $4)"
);

/// Where the in-place writer keeps the search rows of its open group: a
/// table of its connection's own, rolled back with a member that fails.
/// Writing to `ticket_search` inside the members would make FTS5 write a
/// segment at every member's savepoint; from here the rows go in once per
/// group, just before it commits ([`index_held_search_rows`]).
const SEARCH_HELD: &str = "CREATE TEMP TABLE IF NOT EXISTS search_held \
    (rowid INTEGER PRIMARY KEY, ticket_id TEXT NOT NULL, visibility TEXT NOT NULL, text TEXT NOT NULL)";

/// The row [`ticket_search_rows`] makes, from the values just inserted.
const HOLD_TICKET: &str = concat!(
    search_rows_into!("temp.search_held"),
    "VALUES (-last_insert_rowid(), $1, 'public', $2 || ' ' || $3)"
);

const HOLD_COMMENT: &str = concat!(
    search_rows_into!("temp.search_held"),
    "VALUES ($1, $2, $3, $4)"
);

/// Give the in-place writer's connection its table of held search rows.
pub(crate) fn hold_search_rows(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    c.execute_batch(SEARCH_HELD)
}

/// Move the open in-place group's held search rows into the index; FTS5
/// then writes one segment for the whole group.
pub(crate) fn index_held_search_rows(c: &rusqlite::Connection) -> rusqlite::Result<()> {
    let held: bool = c
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM temp.search_held)")?
        .query_row([], |r| r.get(0))?;
    if held {
        c.execute_batch(concat!(
            search_rows_into!("main.ticket_search"),
            "SELECT rowid, ticket_id, visibility, text FROM temp.search_held; DELETE FROM temp.search_held;"
        ))?;
    }
    Ok(())
}

/// Where a bulk load began on SQLite: the last ticket rowid and timeline
/// entry id before it, whose successors need search rows.
pub(crate) struct SearchMarks {
    ticket_rowid: i64,
    event_id: i64,
}

/// The marks for a bulk load about to write in `tx` (none on PostgreSQL,
/// which computes its own search columns).
pub(crate) async fn search_marks(tx: &mut Tx) -> Result<Option<SearchMarks>> {
    let Tx::Sqlite(m) = tx else { return Ok(None) };
    let (ticket_rowid, event_id) = sqlx::query_as::<_, (i64, i64)>(
        "SELECT (SELECT COALESCE(MAX(rowid), 0) FROM tickets), (SELECT COALESCE(MAX(id), 0) FROM ticket_events)",
    )
    .fetch_one(&mut **m)
    .await?;
    Ok(Some(SearchMarks {
        ticket_rowid,
        event_id,
    }))
}

/// Index the tickets and comments written in `tx` since `marks`.
pub(crate) async fn index_since(tx: &mut Tx, marks: SearchMarks) -> Result<()> {
    let Tx::Sqlite(m) = tx else { return Ok(()) };
    sqlx::query(concat!(
        search_rows_into!("ticket_search"),
        ticket_search_rows!(),
        "WHERE rowid > $1"
    ))
    .bind(marks.ticket_rowid)
    .execute(&mut **m)
    .await?;
    sqlx::query(concat!(
        search_rows_into!("ticket_search"),
        "SELECT id, ticket_id, visibility, body FROM ticket_events WHERE kind = 'comment' AND id > $1"
    ))
    .bind(marks.event_id)
    .execute(&mut **m)
    .await?;
    Ok(())
}

/// What is written with a new ticket once its number is known: the
/// timeline's first entry, the audit entry and maybe a notification.
#[derive(Clone, Debug)]
pub struct Opening {
    /// The `created` timeline entry.
    pub event: Event,
    /// The audit entry.
    pub audit: AuditRecord,
    /// A job to queue (notifying the assignee).
    pub job: Option<NewJob>,
    /// The `opened` event for the client's webhooks, queued only when the
    /// client has an endpoint ([`crate::webhooks::enqueue_if_heard`]).
    pub webhook: Option<NewJob>,
}

/// Open a ticket in one transaction: take the client's next number, insert
/// the ticket with `watcher` watching it, and write what `then` makes of the
/// numbered ticket. On SQLite this is one in-place member of the group
/// commit (the hottest write of the desk); the statements are the ones the
/// single-step functions here run.
pub async fn open(
    db: &Db,
    mut t: Ticket,
    watcher: UserId,
    then: impl FnOnce(&Ticket) -> Opening + Send + 'static,
) -> Result<Ticket> {
    if let Db::Sqlite { group, .. } = db {
        return group
            .write(move |c| {
                let client = [t.client_id.to_string()];
                t.number = direct::query(c, TAKE_NUMBER, &client, |r| r.get(0))?
                    .pop()
                    .ok_or(StoreError::NotFound)?;
                direct::execute(c, &INSERT, &values(&t))?;
                direct::execute(
                    c,
                    HOLD_TICKET,
                    &[&t.id.to_string() as &dyn ToSql, &t.title, &t.description],
                )?;
                direct::execute(c, WATCH, &[t.id.to_string(), watcher.to_string()])?;
                let o = then(&t);
                insert_event_in_place(c, &o.event)?;
                crate::audit::append_in_place(c, o.audit)?;
                if let Some(job) = &o.job {
                    crate::jobs::enqueue_in_place(c, job)?;
                }
                if let Some(job) = &o.webhook {
                    crate::webhooks::enqueue_if_heard_in_place(c, t.client_id, job)?;
                }
                Ok(t)
            })
            .await;
    }
    let mut tx = db.begin().await?;
    t.number = take_number(&mut tx, t.client_id).await?;
    insert(&mut tx, &t).await?;
    watch(&mut tx, t.id, watcher).await?;
    let o = then(&t);
    insert_event(&mut tx, &o.event).await?;
    crate::audit::append(&mut tx, o.audit).await?;
    if let Some(job) = &o.job {
        crate::jobs::enqueue(&mut tx, job.kind, &job.payload, job.run_at).await?;
    }
    if let Some(job) = &o.webhook {
        crate::webhooks::enqueue_if_heard(&mut tx, t.client_id, job).await?;
    }
    tx.commit().await?;
    Ok(t)
}

/// A ticket's columns in [`COLS`] order, for the in-place writer.
fn values(t: &Ticket) -> Vec<Value> {
    vec![
        t.id.to_string().into(),
        t.client_id.to_string().into(),
        t.engagement_id.clone().into(),
        t.number.into(),
        t.title.clone().into(),
        t.description.clone().into(),
        t.requester_id.to_string().into(),
        t.category_id.clone().into(),
        t.impact.clone().into(),
        t.urgency.clone().into(),
        t.priority.clone().into(),
        t.priority_reason.clone().into(),
        t.status.clone().into(),
        t.owner_side.clone().into(),
        t.assignee_id.clone().into(),
        t.source.clone().into(),
        t.version.into(),
        t.created_at.into(),
        t.updated_at.into(),
        t.resolved_at.into(),
        t.response_target.into(),
        t.response_consumed.into(),
        t.response_since.into(),
        t.response_due.into(),
        t.response_warn_at.into(),
        t.response_met_at.into(),
        t.response_warned.into(),
        t.response_breached.into(),
        t.resolution_target.into(),
        t.resolution_consumed.into(),
        t.resolution_since.into(),
        t.resolution_due.into(),
        t.resolution_warn_at.into(),
        t.resolution_warned.into(),
        t.resolution_breached.into(),
        t.next_due.into(),
        t.next_sla_event_at.into(),
    ]
}

/// Write back a changed ticket if nobody changed it since `expected_version`;
/// [`StoreError::Conflict`] otherwise. The version is bumped here.
pub async fn update(tx: &mut Tx, t: &Ticket, expected_version: i64) -> Result<()> {
    let sets: Vec<String> = COLS
        .split(", ")
        .skip(1)
        .enumerate()
        .map(|(i, c)| format!("{} = ${}", c.trim(), i + 2))
        .collect();
    let sql = format!(
        "UPDATE tickets SET {} WHERE id = $1 AND version = $38",
        sets.join(", ")
    );
    let n = exec_tx!(tx, c => bind_all(sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(t.id.to_string()), t, expected_version + 1)
        .bind(expected_version).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// Write back what the clocks and the timeline change (SLA state and
/// `updated_at`) without bumping the version: a comment or an SLA event
/// must not make someone's open edit form stale.
pub async fn update_clocks(tx: &mut Tx, t: &Ticket) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE tickets SET updated_at = $2, resolved_at = $3, response_consumed = $4, response_since = $5, response_due = $6, \
         response_warn_at = $7, response_met_at = $8, response_warned = $9, response_breached = $10, resolution_consumed = $11, \
         resolution_since = $12, resolution_due = $13, resolution_warn_at = $14, resolution_warned = $15, resolution_breached = $16, \
         next_due = $17, next_sla_event_at = $18 WHERE id = $1")
        .bind(t.id.to_string()).bind(t.updated_at).bind(t.resolved_at).bind(t.response_consumed).bind(t.response_since)
        .bind(t.response_due).bind(t.response_warn_at).bind(t.response_met_at).bind(t.response_warned).bind(t.response_breached)
        .bind(t.resolution_consumed).bind(t.resolution_since).bind(t.resolution_due).bind(t.resolution_warn_at)
        .bind(t.resolution_warned).bind(t.resolution_breached).bind(t.next_due).bind(t.next_sla_event_at)
        .execute(c).await)?;
    Ok(())
}

/// Bind every column after `id`, in `COLS` order, with `version`.
pub(crate) fn bind_all<'q, DB: sqlx::Database>(
    q: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    t: &Ticket,
    version: i64,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<String>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    bool: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    q.bind(t.client_id.to_string())
        .bind(t.engagement_id.clone())
        .bind(t.number)
        .bind(t.title.clone())
        .bind(t.description.clone())
        .bind(t.requester_id.to_string())
        .bind(t.category_id.clone())
        .bind(t.impact.clone())
        .bind(t.urgency.clone())
        .bind(t.priority.clone())
        .bind(t.priority_reason.clone())
        .bind(t.status.clone())
        .bind(t.owner_side.clone())
        .bind(t.assignee_id.clone())
        .bind(t.source.clone())
        .bind(version)
        .bind(t.created_at)
        .bind(t.updated_at)
        .bind(t.resolved_at)
        .bind(t.response_target)
        .bind(t.response_consumed)
        .bind(t.response_since)
        .bind(t.response_due)
        .bind(t.response_warn_at)
        .bind(t.response_met_at)
        .bind(t.response_warned)
        .bind(t.response_breached)
        .bind(t.resolution_target)
        .bind(t.resolution_consumed)
        .bind(t.resolution_since)
        .bind(t.resolution_due)
        .bind(t.resolution_warn_at)
        .bind(t.resolution_warned)
        .bind(t.resolution_breached)
        .bind(t.next_due)
        .bind(t.next_sla_event_at)
}

/// The visibility rule for tickets, on a query whose ticket table is `t`:
/// the actor's own client, a client they are engaged with, and for
/// requesters only their own tickets. `$1` is the actor's user id, `$2`
/// their organization, `$3` 1 when the actor is a requester.
const VISIBLE: &str = concat!(
    "(t.client_id = $2 OR t.client_id IN (",
    crate::engaged_clients!(),
    ")) AND ($3 = 0 OR t.requester_id = $1)"
);

/// [`VISIBLE`] with the engagement probed for each ticket's client, instead
/// of every client the actor is engaged with listed first: for a statement
/// that reads one ticket or a page in an index's order, that is a few index
/// lookups per row read against building a list of up to every client (an
/// engineer on 200 clients on the 1,000,000-ticket bench seed: one ticket
/// in 16 us instead of 80; the default list of 50, +19% requests a second).
/// Search streams, which test many candidates, keep the list. Same
/// placeholders as [`VISIBLE`].
const VISIBLE_PROBED: &str = "(t.client_id = $2 OR EXISTS (SELECT 1 FROM engagements e JOIN engagement_engineers a \
     ON a.engagement_id = e.id WHERE e.client_id = t.client_id AND a.user_id = $1 AND e.provider_id = $2 \
     AND e.status = 'active')) AND ($3 = 0 OR t.requester_id = $1)";

pub use crate::Arg;

/// One ticket the actor may see.
pub async fn find(db: &Db, scope: &Scope, requester_only: bool, id: TicketId) -> Result<Ticket> {
    let sql = format!("SELECT {COLS} FROM tickets t WHERE {VISIBLE_PROBED} AND t.id = $4");
    on_db!(db, c => sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(scope.user_id.to_string()).bind(scope.org_id.to_string()).bind(i64::from(requester_only))
        .bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

const TICKET_EXISTS: &str = "SELECT COUNT(*) FROM tickets WHERE id = $1 AND client_id = $2";

/// Whether one of the client's tickets exists (the background workers and
/// alert intake, which write tickets under ids reserved beforehand).
pub async fn exists(db: &Db, client: OrgId, ticket: TicketId) -> Result<bool> {
    Ok(on_db!(db, c => sqlx::query_scalar::<_, i64>(TICKET_EXISTS)
        .bind(ticket.to_string()).bind(client.to_string()).fetch_one(c).await)?
        > 0)
}

/// [`exists`] inside a write transaction. On SQLite a writer member that
/// fails is answered at once, while a member that wrote the same ticket may
/// still wait for its group to commit, unseen by readers; the writer sees
/// it.
pub async fn exists_tx(tx: &mut Tx, client: OrgId, ticket: TicketId) -> Result<bool> {
    Ok(on_tx!(tx, c => sqlx::query_scalar::<_, i64>(TICKET_EXISTS)
        .bind(ticket.to_string()).bind(client.to_string()).fetch_one(c).await)?
        > 0)
}

/// A ticket by id inside a write transaction, with the same visibility rule.
pub async fn find_tx(
    tx: &mut Tx,
    scope: &Scope,
    requester_only: bool,
    id: TicketId,
) -> Result<Ticket> {
    let sql = format!("SELECT {COLS} FROM tickets t WHERE {VISIBLE_PROBED} AND t.id = $4");
    on_tx!(tx, c => sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(scope.user_id.to_string()).bind(scope.org_id.to_string()).bind(i64::from(requester_only))
        .bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// A list query: extra conditions (numbered from `$4`) with their values,
/// an allowlisted order, and a page size.
#[derive(Clone, Debug, Default)]
pub struct ListQuery {
    /// SQL conditions over `t`, joined with AND; placeholders from `$4` up.
    pub conditions: Vec<String>,
    /// Their values, in placeholder order.
    pub args: Vec<Arg>,
    /// An ORDER BY clause chosen from a fixed list by the caller.
    pub order: &'static str,
    /// Page size.
    pub limit: i64,
    /// Full-text search over titles, descriptions and comments.
    pub search: Option<String>,
}

impl ListQuery {
    /// Add a condition with one value; `?` in it becomes the next placeholder.
    pub fn filter(&mut self, cond: &str, arg: Arg) {
        let n = self.args.len() + 4;
        self.conditions.push(cond.replace('?', &format!("${n}")));
        self.args.push(arg);
    }

    /// Add a condition without values.
    pub fn condition(&mut self, cond: &str) {
        self.conditions.push(cond.to_owned());
    }

    /// The conditions as SQL to append to a WHERE clause.
    fn and_conditions(&self) -> String {
        self.conditions
            .iter()
            .map(|c| format!(" AND {c}"))
            .collect()
    }
}

/// A ticket in a list, with the names a queue shows.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct QueueRow {
    /// The ticket.
    #[sqlx(flatten)]
    pub ticket: Ticket,
    /// Its client's name.
    pub client_name: String,
    /// Its client's ticket prefix.
    pub client_prefix: String,
    /// Category key.
    pub category_key: String,
    /// Category name.
    pub category_name: String,
    /// Requester's name.
    pub requester_name: String,
    /// Assignee's name.
    pub assignee_name: Option<String>,
}

impl QueueRow {
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        const NAMES: usize = 37;
        Ok(Self {
            ticket: Ticket::from_direct(r, 0)?,
            client_name: r.get(NAMES)?,
            client_prefix: r.get(NAMES + 1)?,
            category_key: r.get(NAMES + 2)?,
            category_name: r.get(NAMES + 3)?,
            requester_name: r.get(NAMES + 4)?,
            assignee_name: r.get(NAMES + 5)?,
        })
    }
}

/// Tickets the actor may see, filtered and ordered, with names.
///
/// With a search, whole words are tried first; the last word is read as a
/// prefix (so `print` finds `printer`) only when whole words do not fill
/// the page: a prefix makes the index merge the lists of every word it
/// starts, which costs in proportion to all their matches.
pub async fn list(
    db: &Db,
    scope: &Scope,
    requester_only: bool,
    q: &ListQuery,
) -> Result<Vec<QueueRow>> {
    let Some(raw) = q.search.as_deref() else {
        return list_matching(db, scope, requester_only, q, None, Engaged::Probed).await;
    };
    let (whole, prefix) = match db {
        Db::Sqlite { .. } => (fts5_words(raw, false), fts5_query(raw)),
        Db::Postgres(_) => (pg_words(raw, false), pg_tsquery(raw)),
    };
    if whole.is_empty() {
        return Ok(Vec::new());
    }
    let rows = list_matching(db, scope, requester_only, q, Some(&whole), Engaged::Listed).await?;
    if rows.len() as i64 >= q.limit.clamp(1, 500) {
        return Ok(rows);
    }
    list_matching(db, scope, requester_only, q, Some(&prefix), Engaged::Listed).await
}

/// The visibility rule for the actor, on a query whose ticket table is
/// `t`, with `$1`-`$3` as in [`VISIBLE`]. Client-side people only ever see
/// their own organization; saying so outright (it follows from
/// [`VISIBLE`]) lets the planner use the per-client indexes.
fn visible_to(scope: &Scope, requester_only: bool, engaged: Engaged) -> String {
    let mut rule = match engaged {
        Engaged::Listed => VISIBLE,
        Engaged::Probed => VISIBLE_PROBED,
    }
    .to_owned();
    if scope.side == tandem_domain::Side::Client {
        rule.push_str(" AND t.client_id = $2");
    }
    if requester_only {
        rule.push_str(" AND t.requester_id = $1");
    }
    rule
}

/// How a statement checks the actor's engagements.
#[derive(Clone, Copy)]
enum Engaged {
    /// Listed once for the statement ([`VISIBLE`]): search streams.
    Listed,
    /// Probed for each ticket read ([`VISIBLE_PROBED`]): one ticket, pages.
    Probed,
}

async fn list_matching(
    db: &Db,
    scope: &Scope,
    requester_only: bool,
    q: &ListQuery,
    search: Option<&str>,
    engaged: Engaged,
) -> Result<Vec<QueueRow>> {
    let (sql, args) = list_sql(db, scope, requester_only, q, search, engaged);
    db.rows(&sql, &args, QueueRow::from_direct).await
}

/// The statement of [`list_matching`] and its values.
fn list_sql(
    db: &Db,
    scope: &Scope,
    requester_only: bool,
    q: &ListQuery,
    search: Option<&str>,
    engaged: Engaged,
) -> (String, Vec<Arg>) {
    let cols: Vec<String> = COLS
        .split(", ")
        .map(|c| format!("t.{}", c.trim()))
        .collect();
    let visible = visible_to(scope, requester_only, engaged);
    let limit = q.limit.clamp(1, 500);
    let conds = q.and_conditions();
    // CROSS JOIN fixes the ticket table as the outer loop on SQLite (the
    // others are primary-key lookups); without it the planner may start
    // from the organizations and sort every open ticket. PostgreSQL plans
    // it as the inner join it is.
    let select = format!(
        "SELECT {}, o.name AS client_name, CASE WHEN o.ticket_prefix = '' THEN UPPER(o.slug) ELSE o.ticket_prefix END AS client_prefix, k.key AS category_key, k.name AS category_name, \
         r.name AS requester_name, a.name AS assignee_name FROM",
        cols.join(", ")
    );
    let joins = "CROSS JOIN organizations o CROSS JOIN work_categories k CROSS JOIN users r \
         LEFT JOIN users a ON a.id = t.assignee_id WHERE o.id = t.client_id AND k.id = t.category_id AND r.id = t.requester_id";
    let sql = match search {
        None => format!(
            "{select} tickets t {joins} AND {visible}{conds} ORDER BY {} LIMIT {limit}",
            q.order
        ),
        // The search text is always bound, never spliced; requesters
        // ($3 = 1) match public text only. The page is picked from the
        // candidates first, so only its rows are read whole and named
        // (names for every candidate cost more than finding them). The
        // candidate streams apply the visibility rule and the caller's
        // conditions themselves, except a requester's probes.
        Some(_) => {
            let (key, filter) = match db {
                Db::Sqlite { .. } => ("rowid", requester_only),
                Db::Postgres(_) => ("id", false),
            };
            let filter = if filter {
                format!("{visible}{conds} AND ")
            } else {
                String::new()
            };
            format!(
                "{select} (SELECT t.{key} AS tr FROM tickets t{} WHERE {filter}{} ORDER BY {} LIMIT {limit}) pick \
                 CROSS JOIN tickets t {joins} AND t.{key} = pick.tr ORDER BY {}",
                categories_join(&conds),
                search_candidates(db, q, requester_only, &visible, &conds),
                q.order,
                q.order
            )
        }
    };
    let mut args = vec![
        scope.user_id.to_string().into(),
        scope.org_id.to_string().into(),
        i64::from(requester_only).into(),
    ];
    args.extend(q.args.iter().cloned());
    if let Some(s) = search {
        args.push(s.into());
    }
    (sql, args)
}

/// The search condition of [`list`]: the ticket is among the newest
/// matches. Matching is bounded by the page size instead of the number of
/// matches, so a common word costs about as much as a rare one: tickets
/// whose title or description match are read newest first, tickets with a
/// matching comment newest comment first, each stream joined to the
/// visibility rule and the caller's conditions and stopped at a page; the
/// caller's order then applies to those candidates. A requester's own
/// tickets are few, so for them each of their tickets is probed instead.
fn search_candidates(
    db: &Db,
    q: &ListQuery,
    requester_only: bool,
    visible: &str,
    conds: &str,
) -> String {
    let n = q.args.len() + 4;
    let limit = q.limit.clamp(1, 500);
    // A ticket with several matching comments appears once per comment in
    // the comment stream; read further so duplicates rarely shorten a page.
    let comment_limit = limit * 4;
    let categories = categories_join(conds);
    match db {
        Db::Sqlite { .. } if requester_only => format!(
            "(EXISTS (SELECT 1 FROM ticket_search s WHERE s.ticket_search MATCH ${n} AND s.rowid = -t.rowid) \
             OR EXISTS (SELECT 1 FROM ticket_events e JOIN ticket_search s ON s.rowid = e.id WHERE e.ticket_id = t.id \
             AND e.kind = 'comment' AND e.visibility = 'public' AND s.ticket_search MATCH ${n}))"
        ),
        // Ticket rows are indexed under -rowid (newest most negative),
        // comments under their event id.
        Db::Sqlite { .. } => format!(
            "t.rowid IN (SELECT tr FROM (SELECT t.rowid AS tr FROM ticket_search s JOIN tickets t ON t.rowid = -s.rowid{categories} \
             WHERE s.ticket_search MATCH ${n} AND s.rowid < 0 AND {visible}{conds} ORDER BY s.rowid LIMIT {limit}) \
             UNION SELECT tr FROM (SELECT t.rowid AS tr FROM ticket_search s JOIN tickets t ON t.id = s.ticket_id{categories} \
             WHERE s.ticket_search MATCH ${n} AND s.rowid > 0 AND ($3 = 0 OR s.visibility = 'public') AND {visible}{conds} \
             ORDER BY s.rowid DESC LIMIT {comment_limit}))"
        ),
        Db::Postgres(_) => format!(
            "t.id IN ((SELECT t.id FROM tickets t{categories} WHERE t.search @@ to_tsquery('simple', ${n}) AND {visible}{conds} \
             ORDER BY t.created_at DESC LIMIT {limit}) \
             UNION (SELECT t.id FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id{categories} \
             WHERE e.search @@ to_tsquery('simple', ${n}) AND ($3 = 0 OR e.visibility = 'public') AND {visible}{conds} \
             ORDER BY e.id DESC LIMIT {comment_limit}))"
        ),
    }
}

/// The join a search stream needs when the caller's conditions name the
/// category (`k.key`).
fn categories_join(conds: &str) -> &'static str {
    if conds.contains("k.") {
        " JOIN work_categories k ON k.id = t.category_id"
    } else {
        ""
    }
}

/// An FTS5 query for what a person typed: every word quoted (so no
/// operator or syntax error can come from input), all required, the last
/// one as a prefix so that a word cut short still matches.
pub fn fts5_query(raw: &str) -> String {
    fts5_words(raw, true)
}

/// [`fts5_query`] with every word whole: the cheap first try of a search
/// (a prefix makes the index merge the lists of every word it starts).
pub fn fts5_whole_words(raw: &str) -> String {
    fts5_words(raw, false)
}

fn fts5_words(raw: &str, last_as_prefix: bool) -> String {
    let mut words: Vec<String> = search_words(raw).map(|w| format!("\"{w}\"")).collect();
    if last_as_prefix && let Some(last) = words.last_mut() {
        last.push('*');
    }
    words.join(" ")
}

/// The same words as [`fts5_query`], as a PostgreSQL `tsquery`: all
/// required, the last as a prefix, so both backends find the same tickets.
pub fn pg_tsquery(raw: &str) -> String {
    pg_words(raw, true)
}

/// [`pg_tsquery`] with every word whole, as [`fts5_whole_words`].
pub fn pg_whole_words(raw: &str) -> String {
    pg_words(raw, false)
}

fn pg_words(raw: &str, last_as_prefix: bool) -> String {
    let mut words: Vec<String> = search_words(raw).map(|w| w.to_lowercase()).collect();
    if last_as_prefix && let Some(last) = words.last_mut() {
        last.push_str(":*");
    }
    words.join(" & ")
}

/// The words of a search (at most 16), without any punctuation.
fn search_words(raw: &str) -> impl Iterator<Item = &str> {
    raw.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
}

/// Tickets whose next SLA warning or breach is due, for the worker.
pub async fn due_sla_events(db: &Db, now: i64, limit: i64) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {COLS} FROM tickets t WHERE t.next_sla_event_at <= $1 ORDER BY t.next_sla_event_at LIMIT $2"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql.as_str())).bind(now).bind(limit).fetch_all(c).await)?,
    )
}

/// A ticket by id for the worker (no actor).
pub async fn get_for_worker(tx: &mut Tx, id: TicketId) -> Result<Ticket> {
    let sql = format!("SELECT {COLS} FROM tickets t WHERE t.id = $1");
    on_tx!(tx, c => sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql.as_str())).bind(id.to_string()).fetch_optional(c).await)?
        .ok_or(StoreError::NotFound)
}

/// One entry of a ticket's timeline.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Event {
    /// Order.
    pub id: i64,
    /// The ticket.
    pub ticket_id: String,
    /// Its client.
    pub client_id: String,
    /// When (epoch ms).
    pub at: i64,
    /// Who.
    pub actor_user_id: Option<String>,
    /// Who: their e-mail, or what wrote it (the SLA clock).
    pub actor_label: String,
    /// Their name as it is now (read with the timeline; not stored).
    #[sqlx(default)]
    pub actor_name: Option<String>,
    /// Their side.
    pub actor_side: Option<String>,
    /// `comment`, `status`, `field`, `handoff`, `sla`, `created`.
    pub kind: String,
    /// `public` or `team`.
    pub visibility: String,
    /// Text.
    pub body: String,
    /// Details as JSON.
    pub data: String,
}

/// Append to a ticket's timeline.
pub async fn insert_event(tx: &mut Tx, e: &Event) -> Result<i64> {
    let id: i64 = on_tx!(tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(INSERT_EVENT.as_str()))
        .bind(&e.ticket_id).bind(&e.client_id).bind(e.at).bind(&e.actor_user_id).bind(&e.actor_label)
        .bind(&e.actor_side).bind(&e.kind).bind(&e.visibility).bind(&e.body).bind(&e.data)
        .fetch_one(c).await)?;
    if let Tx::Sqlite(m) = tx
        && e.kind == COMMENT
    {
        sqlx::query(SEARCH_COMMENT)
            .bind(id)
            .bind(&e.ticket_id)
            .bind(&e.visibility)
            .bind(&e.body)
            .execute(&mut **m)
            .await?;
    }
    Ok(id)
}

/// The kind of timeline entry that search covers.
const COMMENT: &str = "comment";

/// A timeline entry's insert for the in-place writer, which reads the id
/// from the connection: `RETURNING` would give the statement a journal of
/// its own.
const INSERT_EVENT_IN_PLACE: &str = "INSERT INTO ticket_events (ticket_id, client_id, at, actor_user_id, actor_label, \
    actor_side, kind, visibility, body, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

static INSERT_EVENT: LazyLock<String> =
    LazyLock::new(|| format!("{INSERT_EVENT_IN_PLACE} RETURNING id"));

fn insert_event_in_place(c: &rusqlite::Connection, e: &Event) -> Result<i64> {
    let args: [&dyn ToSql; 10] = [
        &e.ticket_id,
        &e.client_id,
        &e.at,
        &e.actor_user_id,
        &e.actor_label,
        &e.actor_side,
        &e.kind,
        &e.visibility,
        &e.body,
        &e.data,
    ];
    direct::execute(c, INSERT_EVENT_IN_PLACE, &args)?;
    let id = c.last_insert_rowid();
    if e.kind == COMMENT {
        direct::execute(
            c,
            HOLD_COMMENT,
            &[&id as &dyn ToSql, &e.ticket_id, &e.visibility, &e.body],
        )?;
    }
    Ok(id)
}

/// A ticket's timeline in order; `public_only` for requesters.
pub async fn timeline(db: &Db, ticket: TicketId, public_only: bool) -> Result<Vec<Event>> {
    db.rows(
        TIMELINE,
        &[ticket.to_string().into(), i64::from(public_only).into()],
        Event::from_direct,
    )
    .await
}

// Pages show people by their name as it is now.
const TIMELINE: &str = "SELECT e.id, e.ticket_id, e.client_id, e.at, e.actor_user_id, e.actor_label, \
     e.actor_side, e.kind, e.visibility, e.body, e.data, u.name AS actor_name \
     FROM ticket_events e LEFT JOIN users u ON u.id = e.actor_user_id \
     WHERE e.ticket_id = $1 AND ($2 = 0 OR e.visibility = 'public') ORDER BY e.id";

/// Everything a ticket's page shows, for an actor who may see it.
#[derive(Clone, Debug)]
pub struct TicketPage {
    /// The ticket with its names.
    pub ticket: QueueRow,
    /// Its timeline (public entries only for requesters).
    pub timeline: Vec<Event>,
    /// Its watchers: id and name.
    pub watchers: Vec<(String, String)>,
    /// The tickets linked to it, before the reader's rule is applied.
    pub links: Vec<crate::ticket_links::LinkedTicket>,
}

/// [`find_named`], the timeline, the watchers and the links of one ticket.
/// On SQLite the four statements run in one read transaction on one
/// connection: one snapshot, and one set of locks instead of four.
pub async fn page(
    db: &Db,
    scope: &Scope,
    requester_only: bool,
    id: TicketId,
) -> Result<TicketPage> {
    let (sql, args) = named_sql(db, scope, requester_only, id);
    let ticket_arg: [Arg; 1] = [id.to_string().into()];
    let timeline_args: [Arg; 2] = [id.to_string().into(), i64::from(requester_only).into()];
    match db {
        Db::Sqlite { direct, .. } => direct
            .read_snapshot(|c| {
                let Some(ticket) = direct::query(c, &sql, &args, QueueRow::from_direct)?
                    .into_iter()
                    .next()
                else {
                    return Ok(None);
                };
                Ok(Some(TicketPage {
                    ticket,
                    timeline: direct::query(c, TIMELINE, &timeline_args, Event::from_direct)?,
                    watchers: direct::query(c, WATCHERS_NAMED, &ticket_arg, |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?,
                    links: direct::query(
                        c,
                        crate::ticket_links::LINKS,
                        &ticket_arg,
                        crate::ticket_links::LinkedTicket::from_direct,
                    )?,
                }))
            })?
            .ok_or(StoreError::NotFound),
        Db::Postgres(_) => {
            let ticket = db
                .row(&sql, &args, QueueRow::from_direct)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(TicketPage {
                ticket,
                timeline: timeline(db, id, requester_only).await?,
                watchers: watchers_named(db, id).await?,
                links: crate::ticket_links::links(db, id).await?,
            })
        }
    }
}

impl Event {
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            ticket_id: r.get(1)?,
            client_id: r.get(2)?,
            at: r.get(3)?,
            actor_user_id: r.get(4)?,
            actor_label: r.get(5)?,
            actor_side: r.get(6)?,
            kind: r.get(7)?,
            visibility: r.get(8)?,
            body: r.get(9)?,
            data: r.get(10)?,
            actor_name: r.get(11)?,
        })
    }
}

/// One ticket the actor may see, with the names a page shows: the queue's
/// row for one id, read in one statement under the same visibility rule.
pub async fn find_named(
    db: &Db,
    scope: &Scope,
    requester_only: bool,
    id: TicketId,
) -> Result<QueueRow> {
    let (sql, args) = named_sql(db, scope, requester_only, id);
    db.row(&sql, &args, QueueRow::from_direct)
        .await?
        .ok_or(StoreError::NotFound)
}

/// The statement of [`find_named`]: the queue's row for one id.
fn named_sql(db: &Db, scope: &Scope, requester_only: bool, id: TicketId) -> (String, Vec<Arg>) {
    let mut q = ListQuery {
        order: "t.number",
        limit: 1,
        ..ListQuery::default()
    };
    q.filter("t.id = ?", Arg::Text(id.to_string()));
    list_sql(db, scope, requester_only, &q, None, Engaged::Probed)
}

/// Hand-offs of a client's tickets by direction, for reports.
pub async fn handoff_counts(db: &Db, client: OrgId) -> Result<Vec<(String, i64)>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, (String, i64)>(
        "SELECT body, COUNT(*) FROM ticket_events WHERE client_id = $1 AND kind = 'handoff' GROUP BY body ORDER BY body")
        .bind(client.to_string()).fetch_all(c).await)?)
}

/// Add a watcher (idempotent).
pub async fn watch(tx: &mut Tx, ticket: TicketId, user: UserId) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(WATCH)
        .bind(ticket.to_string()).bind(user.to_string()).execute(c).await)?;
    Ok(())
}

const WATCH: &str =
    "INSERT INTO ticket_watchers (ticket_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING";

/// A ticket's watchers.
pub async fn watchers(db: &Db, ticket: TicketId) -> Result<Vec<String>> {
    Ok(
        on_db!(db, c => sqlx::query_scalar::<_, String>("SELECT user_id FROM ticket_watchers WHERE ticket_id = $1 ORDER BY user_id")
        .bind(ticket.to_string()).fetch_all(c).await)?,
    )
}

/// A ticket's watchers with their names, for pages and answers.
pub async fn watchers_named(db: &Db, ticket: TicketId) -> Result<Vec<(String, String)>> {
    db.rows(WATCHERS_NAMED, &[ticket.to_string().into()], |r| {
        Ok((r.get(0)?, r.get(1)?))
    })
    .await
}

const WATCHERS_NAMED: &str = "SELECT w.user_id, u.name FROM ticket_watchers w JOIN users u ON u.id = w.user_id \
     WHERE w.ticket_id = $1 ORDER BY w.user_id";

/// The active engagement of a client, if any (tickets route by its split).
pub async fn active_engagement_tx(tx: &mut Tx, client: OrgId) -> Result<Option<EngagementId>> {
    let id: Option<String> = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT id FROM engagements WHERE client_id = $1 AND status = 'active' ORDER BY started_at DESC LIMIT 1")
        .bind(client.to_string()).fetch_optional(c).await)?;
    Ok(id.and_then(|s| s.parse().ok()))
}

/// The side a ticket owner text means for an actor's side.
pub fn side_text(side: Side) -> &'static str {
    match side {
        Side::Provider => "provider",
        Side::Client => "in_house",
    }
}

/// The staff who hear about a ticket with no assignee: for the in-house
/// side the client's admins and technicians, for the provider side the
/// engineers assigned to the client's active engagement.
pub async fn side_staff_tx(tx: &mut Tx, client: OrgId, owner_side: &str) -> Result<Vec<UserId>> {
    let ids: Vec<String> = if owner_side == "provider" {
        on_tx!(tx, c => sqlx::query_scalar(
            "SELECT a.user_id FROM engagement_engineers a JOIN engagements e ON e.id = a.engagement_id \
             JOIN users u ON u.id = a.user_id \
             WHERE e.client_id = $1 AND e.status = 'active' AND u.active = TRUE ORDER BY a.user_id")
            .bind(client.to_string()).fetch_all(c).await)?
    } else {
        on_tx!(tx, c => sqlx::query_scalar(
            "SELECT id FROM users WHERE org_id = $1 AND active = TRUE AND role IN ('client_admin', 'client_technician') ORDER BY id")
            .bind(client.to_string()).fetch_all(c).await)?
    };
    Ok(ids.into_iter().filter_map(|s| s.parse().ok()).collect())
}

/// Who is losing access to a client: all staff of the provider whose
/// engagement ends, or one engineer taken off it.
#[derive(Clone, Copy, Debug)]
pub struct Leavers {
    /// The client they leave.
    pub client: OrgId,
    /// Their provider.
    pub provider: OrgId,
    /// Only this person, when one engineer leaves an engagement that continues.
    pub only: Option<UserId>,
}

/// The people of [`Leavers`] as a subquery of user ids; `$2` is the
/// provider, `$3` the one person or `''` for all its staff.
const LEAVERS: &str = "SELECT id FROM users WHERE org_id = $2 AND ($3 = '' OR id = $3)";

fn leaver_args(l: &Leavers) -> (String, String, String) {
    (
        l.client.to_string(),
        l.provider.to_string(),
        l.only.map_or_else(String::new, |u| u.to_string()),
    )
}

/// A ticket assigned to one of the [`Leavers`], with that person's name.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LeaverTicket {
    /// The ticket.
    #[sqlx(flatten)]
    pub ticket: Ticket,
    /// Its assignee's name.
    pub assignee_name: String,
}

/// The client's tickets assigned to the leavers, to hand back to their
/// owning side's queue.
pub async fn assigned_to_leavers_tx(tx: &mut Tx, l: &Leavers) -> Result<Vec<LeaverTicket>> {
    let sql = format!(
        "SELECT {COLS}, (SELECT u.name FROM users u WHERE u.id = t.assignee_id) AS assignee_name \
         FROM tickets t WHERE t.client_id = $1 AND t.assignee_id IN ({LEAVERS}) ORDER BY t.number"
    );
    let (client, provider, only) = leaver_args(l);
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, LeaverTicket>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client).bind(provider).bind(only).fetch_all(c).await)?,
    )
}

/// Take the leavers off the watcher lists of the client's tickets; gives
/// how many entries went.
pub async fn drop_leaving_watchers_tx(tx: &mut Tx, l: &Leavers) -> Result<u64> {
    let sql = format!(
        "DELETE FROM ticket_watchers WHERE ticket_id IN (SELECT id FROM tickets WHERE client_id = $1) \
         AND user_id IN ({LEAVERS})"
    );
    let (client, provider, only) = leaver_args(l);
    Ok(
        exec_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client).bind(provider).bind(only).execute(c).await)?,
    )
}

/// The client's unresolved tickets that the provider side owns.
pub async fn provider_owned_open_tx(tx: &mut Tx, client: OrgId) -> Result<Vec<Ticket>> {
    let sql = format!(
        "SELECT {COLS} FROM tickets t WHERE t.client_id = $1 AND t.owner_side = 'provider' \
         AND t.status NOT IN ('resolved', 'closed') ORDER BY t.number"
    );
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, Ticket>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_all(c).await)?,
    )
}
