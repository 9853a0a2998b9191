//! Work categories of a client and the responsibility split of an
//! engagement, with the history of every change to it.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db, on_tx, scope_filter};
use tandem_domain::{EngagementId, OrgId, Scope, UserId};

/// A work category of a client.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Category {
    /// Its id.
    pub id: String,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Stable key, e.g. `network`.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Order in lists.
    pub position: i64,
}

/// One line of the split, joined with its category.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SplitRow {
    /// The engagement.
    #[sqlx(try_from = "String")]
    pub engagement_id: EngagementId,
    /// The category.
    pub category_id: String,
    /// Its key.
    pub category_key: String,
    /// Its name.
    pub category_name: String,
    /// Owner side in business hours (`in_house`, `provider`, `shared`).
    pub business_hours: String,
    /// Owner side after hours.
    pub after_hours: String,
    /// Default provider assignee.
    pub provider_assignee: Option<String>,
    /// Default in-house assignee.
    pub in_house_assignee: Option<String>,
    /// Inside the contract's scope.
    pub in_scope: bool,
}

/// One recorded change of the split.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct SplitChange {
    /// Order.
    pub id: i64,
    /// The category's key.
    pub category_key: String,
    /// When (epoch ms).
    pub at: i64,
    /// Who (e-mail).
    pub actor_label: String,
    /// Their name as it is now.
    pub actor_name: Option<String>,
    /// Their side.
    pub actor_side: Option<String>,
    /// What changed, as JSON.
    pub change: String,
}

/// Add a category to a client.
pub async fn insert_category(tx: &mut Tx, c: &Category) -> Result<()> {
    exec_tx!(tx, x => sqlx::query("INSERT INTO work_categories (id, client_id, key, name, position) VALUES ($1, $2, $3, $4, $5)")
        .bind(&c.id).bind(c.client_id.to_string()).bind(&c.key).bind(&c.name).bind(c.position)
        .execute(x).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A client's categories, if the client is within scope.
pub async fn categories(db: &Db, scope: &Scope, client: OrgId) -> Result<Vec<Category>> {
    let sql = concat!(
        "SELECT id, client_id, key, name, position FROM work_categories WHERE client_id = $1 AND ",
        scope_filter!("work_categories.client_id", "$2", "$3"),
        " ORDER BY position, name"
    );
    Ok(on_db!(db, c => sqlx::query_as::<_, Category>(sql)
        .bind(client.to_string()).bind(scope.user_id.to_string()).bind(scope.org_id.to_string())
        .fetch_all(c).await)?)
}

/// A client's categories inside a transaction (the caller has checked scope).
pub async fn categories_tx(tx: &mut Tx, client: OrgId) -> Result<Vec<Category>> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, Category>(
        "SELECT id, client_id, key, name, position FROM work_categories WHERE client_id = $1 ORDER BY position, name")
        .bind(client.to_string()).fetch_all(c).await)?)
}

/// The next free position for a new category of a client.
pub async fn next_position(tx: &mut Tx, client: OrgId) -> Result<i64> {
    let n: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT MAX(position) FROM work_categories WHERE client_id = $1")
        .bind(client.to_string()).fetch_one(c).await)?;
    Ok(n.unwrap_or(0) + 1)
}

const SPLIT_SELECT: &str = "SELECT s.engagement_id, s.category_id, k.key AS category_key, k.name AS category_name, \
     s.business_hours, s.after_hours, s.provider_assignee, s.in_house_assignee, s.in_scope \
     FROM split_lines s JOIN work_categories k ON k.id = s.category_id";

/// The split of an engagement, in category order.
pub async fn lines(db: &Db, engagement: EngagementId) -> Result<Vec<SplitRow>> {
    let sql = format!("{SPLIT_SELECT} WHERE s.engagement_id = $1 ORDER BY k.position, k.name");
    Ok(
        on_db!(db, c => sqlx::query_as::<_, SplitRow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(engagement.to_string()).fetch_all(c).await)?,
    )
}

/// One line of the split, inside a transaction (routing reads it there).
pub async fn line_tx(
    tx: &mut Tx,
    engagement: EngagementId,
    category_id: &str,
) -> Result<Option<SplitRow>> {
    let sql = format!("{SPLIT_SELECT} WHERE s.engagement_id = $1 AND s.category_id = $2");
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, SplitRow>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(engagement.to_string()).bind(category_id).fetch_optional(c).await)?,
    )
}

/// Write a line of the split (insert or replace).
pub async fn upsert_line(tx: &mut Tx, l: &SplitRow) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO split_lines (engagement_id, category_id, business_hours, after_hours, provider_assignee, in_house_assignee, in_scope) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (engagement_id, category_id) DO UPDATE SET \
         business_hours = excluded.business_hours, after_hours = excluded.after_hours, provider_assignee = excluded.provider_assignee, \
         in_house_assignee = excluded.in_house_assignee, in_scope = excluded.in_scope")
        .bind(l.engagement_id.to_string()).bind(&l.category_id).bind(&l.business_hours).bind(&l.after_hours)
        .bind(&l.provider_assignee).bind(&l.in_house_assignee).bind(l.in_scope)
        .execute(c).await)?;
    Ok(())
}

/// Record a change of the split.
#[allow(clippy::too_many_arguments)]
pub async fn record_change(
    tx: &mut Tx,
    engagement: EngagementId,
    client: OrgId,
    category_key: &str,
    at: i64,
    actor: Option<UserId>,
    actor_label: &str,
    actor_side: Option<&str>,
    change: &str,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO split_history (engagement_id, client_id, category_key, at, actor_user_id, actor_label, actor_side, change) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(engagement.to_string()).bind(client.to_string()).bind(category_key).bind(at)
        .bind(actor.map(|a| a.to_string())).bind(actor_label).bind(actor_side).bind(change)
        .execute(c).await)?;
    Ok(())
}

/// The split's history, newest first.
pub async fn history(db: &Db, engagement: EngagementId, limit: i64) -> Result<Vec<SplitChange>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, SplitChange>(
        "SELECT h.id, h.category_key, h.at, h.actor_label, u.name AS actor_name, h.actor_side, h.change \
         FROM split_history h LEFT JOIN users u ON u.id = h.actor_user_id WHERE h.engagement_id = $1 ORDER BY h.id DESC LIMIT $2")
        .bind(engagement.to_string()).bind(limit).fetch_all(c).await)?)
}

/// Whether a client's desk is set up for an engagement: a calendar, a split
/// line for every category, and all four SLA policies. One query, so that
/// opening a ticket need not check line by line.
pub async fn desk_ready_tx(tx: &mut Tx, engagement: EngagementId, client: OrgId) -> Result<bool> {
    let counts = on_tx!(tx, c => sqlx::query_as(DESK_COUNTS)
        .bind(engagement.to_string()).bind(client.to_string()).fetch_one(c).await)?;
    Ok(desk_complete(counts))
}

/// [`desk_ready_tx`] outside a transaction: reading a desk that is set up
/// already need not wait for the writer.
pub async fn desk_ready(db: &Db, engagement: EngagementId, client: OrgId) -> Result<bool> {
    let counts = on_db!(db, c => sqlx::query_as(DESK_COUNTS)
        .bind(engagement.to_string()).bind(client.to_string()).fetch_one(c).await)?;
    Ok(desk_complete(counts))
}

const DESK_COUNTS: &str = "SELECT (SELECT COUNT(*) FROM calendars WHERE client_id = $2), \
     (SELECT COUNT(*) FROM work_categories WHERE client_id = $2), \
     (SELECT COUNT(*) FROM split_lines WHERE engagement_id = $1), \
     (SELECT COUNT(*) FROM sla_policies WHERE engagement_id = $1)";

fn desk_complete((calendars, categories, lines, policies): (i64, i64, i64, i64)) -> bool {
    calendars == 1 && categories > 0 && lines == categories && policies == 4
}
