//! Engagements between a provider and a client, and the engineers assigned.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db, on_tx};
use tandem_domain::policy::Relation;
use tandem_domain::{EngagementId, OrgId, Scope, Side, UserId};

/// An engagement with the names a page needs.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Engagement {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: EngagementId,
    /// The provider.
    #[sqlx(try_from = "String")]
    pub provider_id: OrgId,
    /// The provider's name.
    pub provider_name: String,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The client's name.
    pub client_name: String,
    /// `active` or `ended`.
    pub status: String,
    /// Start (epoch ms).
    pub started_at: i64,
    /// End (epoch ms), once ended.
    pub ended_at: Option<i64>,
}

impl Engagement {
    /// Whether provider staff assigned to it reach the client's data now.
    pub fn is_active(&self) -> bool {
        self.status == "active"
    }
}

/// An engineer assigned to an engagement.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Assignment {
    /// The engineer.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// Their e-mail.
    pub email: String,
    /// Their role (provider admin or engineer).
    pub role: String,
    /// When they were assigned (epoch ms).
    pub assigned_at: i64,
}

const SELECT: &str = "SELECT e.id, e.provider_id, p.name AS provider_name, e.client_id, c.name AS client_name, e.status, e.started_at, e.ended_at \
     FROM engagements e JOIN organizations p ON p.id = e.provider_id JOIN organizations c ON c.id = e.client_id";

/// How `target` relates to the caller, looked up now: their own
/// organization, a client they are assigned to through an active
/// engagement, or foreign.
pub async fn relation(db: &Db, scope: &Scope, target: OrgId) -> Result<Relation> {
    if target == scope.org_id {
        return Ok(Relation::Own);
    }
    if scope.side == Side::Client {
        return Ok(Relation::Foreign);
    }
    // Asked on most requests of provider staff: read in place.
    let engaged = db
        .row(
            "SELECT 1 FROM engagements e JOIN engagement_engineers a ON a.engagement_id = e.id \
             WHERE e.client_id = $1 AND e.provider_id = $2 AND a.user_id = $3 AND e.status = 'active' LIMIT 1",
            &[
                target.to_string().into(),
                scope.org_id.to_string().into(),
                scope.user_id.to_string().into(),
            ],
            |r| Ok((r.get::<_, i32>(0)?,)),
        )
        .await?
        .is_some();
    Ok(if engaged {
        Relation::Engaged
    } else {
        Relation::Foreign
    })
}

/// Start an engagement.
pub async fn insert(
    tx: &mut Tx,
    id: EngagementId,
    provider: OrgId,
    client: OrgId,
    now: i64,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO engagements (id, provider_id, client_id, status, started_at) VALUES ($1, $2, $3, 'active', $4)")
        .bind(id.to_string()).bind(provider.to_string()).bind(client.to_string()).bind(now)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// The engagements the caller's organization is party to (either side).
pub async fn list_for_org(db: &Db, scope: &Scope) -> Result<Vec<Engagement>> {
    let sql = format!(
        "{SELECT} WHERE e.provider_id = $1 OR e.client_id = $1 ORDER BY e.status, c.name, e.started_at DESC"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Engagement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(scope.org_id.to_string()).fetch_all(c).await)?,
    )
}

/// One engagement the caller's organization is party to.
pub async fn find(db: &Db, scope: &Scope, id: EngagementId) -> Result<Engagement> {
    let sql = format!("{SELECT} WHERE e.id = $1 AND (e.provider_id = $2 OR e.client_id = $2)");
    on_db!(db, c => sqlx::query_as::<_, Engagement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id.to_string()).bind(scope.org_id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// Whether this provider has ever had an engagement with this client
/// (a provider may only re-engage clients it has served before).
pub async fn has_history(db: &Db, provider: OrgId, client: OrgId) -> Result<bool> {
    let n: i64 = on_db!(db, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM engagements WHERE provider_id = $1 AND client_id = $2")
        .bind(provider.to_string()).bind(client.to_string()).fetch_one(c).await)?;
    Ok(n > 0)
}

/// The engineers assigned to an engagement.
pub async fn assignments(db: &Db, id: EngagementId) -> Result<Vec<Assignment>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Assignment>(
        "SELECT u.id AS user_id, u.name, u.email, u.role, a.assigned_at FROM engagement_engineers a \
         JOIN users u ON u.id = a.user_id WHERE a.engagement_id = $1 ORDER BY u.name")
        .bind(id.to_string()).fetch_all(c).await)?)
}

/// Assign an engineer (idempotent).
pub async fn assign(tx: &mut Tx, id: EngagementId, user: UserId, now: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "INSERT INTO engagement_engineers (engagement_id, user_id, assigned_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(id.to_string()).bind(user.to_string()).bind(now).execute(c).await)?;
    Ok(n == 1)
}

/// Remove an engineer from an engagement.
pub async fn unassign(tx: &mut Tx, id: EngagementId, user: UserId) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "DELETE FROM engagement_engineers WHERE engagement_id = $1 AND user_id = $2")
        .bind(id.to_string()).bind(user.to_string()).execute(c).await)?;
    Ok(n == 1)
}

/// End an active engagement. Nothing of the client's data is touched; the
/// assignment rows stay as history but no longer grant access.
pub async fn end(tx: &mut Tx, id: EngagementId, now: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE engagements SET status = 'ended', ended_at = $1 WHERE id = $2 AND status = 'active'")
        .bind(now).bind(id.to_string()).execute(c).await)?;
    Ok(n == 1)
}

/// An engagement's priority matrix as stored (JSON list of nine priorities,
/// rows by impact high to low, columns by urgency high to low).
pub async fn priority_matrix_tx(tx: &mut Tx, id: EngagementId) -> Result<String> {
    on_tx!(tx, c => sqlx::query_scalar::<_, String>("SELECT priority_matrix FROM engagements WHERE id = $1")
        .bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// Same as [`priority_matrix_tx`], read outside a transaction.
pub async fn priority_matrix(db: &Db, id: EngagementId) -> Result<String> {
    on_db!(db, c => sqlx::query_scalar::<_, String>("SELECT priority_matrix FROM engagements WHERE id = $1")
        .bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// Replace an engagement's priority matrix.
pub async fn set_priority_matrix(tx: &mut Tx, id: EngagementId, matrix: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE engagements SET priority_matrix = $1 WHERE id = $2")
        .bind(matrix).bind(id.to_string()).execute(c).await)?;
    Ok(())
}

/// The active engagement of a client (callers check the actor may see the client).
pub async fn active_for_client(db: &Db, client: OrgId) -> Result<Option<Engagement>> {
    let sql = format!(
        "{SELECT} WHERE e.client_id = $1 AND e.status = 'active' ORDER BY e.started_at DESC LIMIT 1"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Engagement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_optional(c).await)?,
    )
}
