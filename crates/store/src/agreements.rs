//! Agreements: an engagement's pricing, its terms kept whole as JSON (the
//! domain's `billing::Terms`), with the two-party history of who proposed
//! and who decided.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db, on_tx};
use tandem_domain::{EngagementId, OrgId, Scope, UserId};

/// An agreement as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Agreement {
    /// Its id.
    pub id: String,
    /// The engagement it prices.
    #[sqlx(try_from = "String")]
    pub engagement_id: EngagementId,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The provider.
    #[sqlx(try_from = "String")]
    pub provider_id: OrgId,
    /// `draft`, `proposed`, `active`, `rejected` or `ended`.
    pub status: String,
    /// The terms, as JSON.
    pub terms: String,
    /// Moves with every change (If-Match).
    pub version: i64,
    /// Drafted (epoch ms).
    pub created_at: i64,
    /// By.
    pub created_by: String,
    /// Proposed to the client.
    pub proposed_at: Option<i64>,
    /// By.
    pub proposed_by: Option<String>,
    /// Accepted or rejected.
    pub decided_at: Option<i64>,
    /// By.
    pub decided_by: Option<String>,
    /// Why the client rejected it.
    pub reject_reason: Option<String>,
    /// When a newer agreement replaced it.
    pub ended_at: Option<i64>,
}

const COLS: &str = "id, engagement_id, client_id, provider_id, status, terms, version, created_at, created_by, \
     proposed_at, proposed_by, decided_at, decided_by, reject_reason, ended_at";

/// The party filter: an agreement is within reach of its client's and its
/// provider's people only (the service narrows it further by role).
const PARTY: &str = "(client_id = $2 OR provider_id = $2)";

/// Store a new draft.
pub async fn insert(tx: &mut Tx, a: &Agreement) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO agreements (id, engagement_id, client_id, provider_id, status, terms, version, created_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(&a.id).bind(a.engagement_id.to_string()).bind(a.client_id.to_string())
        .bind(a.provider_id.to_string()).bind(&a.status).bind(&a.terms).bind(a.version)
        .bind(a.created_at).bind(&a.created_by)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// One agreement within the caller's parties.
pub async fn find(db: &Db, scope: &Scope, id: &str) -> Result<Agreement> {
    let sql = format!("SELECT {COLS} FROM agreements WHERE id = $1 AND {PARTY}");
    on_db!(db, c => sqlx::query_as::<_, Agreement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id).bind(scope.org_id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// [`find`] inside a write, so a change reads what it changes.
pub async fn find_tx(tx: &mut Tx, scope: &Scope, id: &str) -> Result<Agreement> {
    let sql = format!("SELECT {COLS} FROM agreements WHERE id = $1 AND {PARTY}");
    on_tx!(tx, c => sqlx::query_as::<_, Agreement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id).bind(scope.org_id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// An engagement's agreements, newest first.
pub async fn list_for_engagement(
    db: &Db,
    scope: &Scope,
    engagement: EngagementId,
) -> Result<Vec<Agreement>> {
    let sql = format!(
        "SELECT {COLS} FROM agreements WHERE engagement_id = $1 AND {PARTY} ORDER BY created_at DESC, id DESC"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Agreement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(engagement.to_string()).bind(scope.org_id.to_string()).fetch_all(c).await)?,
    )
}

/// The active agreement of an engagement, if there is one.
pub async fn active(db: &Db, engagement: EngagementId) -> Result<Option<Agreement>> {
    let sql =
        format!("SELECT {COLS} FROM agreements WHERE engagement_id = $1 AND status = 'active'");
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Agreement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(engagement.to_string()).fetch_optional(c).await)?,
    )
}

/// Replace a draft's terms if it is still the version the writer read.
pub async fn update_terms(tx: &mut Tx, id: &str, terms: &str, version: i64) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE agreements SET terms = $1, version = version + 1 WHERE id = $2 AND version = $3 AND status = 'draft'")
        .bind(terms).bind(id).bind(version).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// A step of the two-party flow: from `from` to `to`, by `by`, if the
/// agreement is still in `from` at `version`.
#[allow(clippy::too_many_arguments)]
pub async fn step(
    tx: &mut Tx,
    id: &str,
    version: i64,
    from: &str,
    to: &str,
    by: UserId,
    now: i64,
    reason: Option<&str>,
) -> Result<()> {
    // Proposing records the proposer; accepting or rejecting the decider.
    let sql = if to == "proposed" {
        "UPDATE agreements SET status = $1, proposed_at = $2, proposed_by = $3, reject_reason = $4, version = version + 1 \
         WHERE id = $5 AND status = $6 AND version = $7"
    } else {
        "UPDATE agreements SET status = $1, decided_at = $2, decided_by = $3, reject_reason = $4, version = version + 1 \
         WHERE id = $5 AND status = $6 AND version = $7"
    };
    let n = exec_tx!(tx, c => sqlx::query(sql)
        .bind(to).bind(now).bind(by.to_string()).bind(reason).bind(id).bind(from).bind(version)
        .execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// End the engagement's active agreement (a newer one replaces it).
/// Returns the id of the one ended, if any.
pub async fn end_active(tx: &mut Tx, engagement: EngagementId, now: i64) -> Result<Option<String>> {
    let id: Option<String> = on_tx!(tx, c => sqlx::query_scalar(
        "UPDATE agreements SET status = 'ended', ended_at = $1, version = version + 1 \
         WHERE engagement_id = $2 AND status = 'active' RETURNING id")
        .bind(now).bind(engagement.to_string()).fetch_optional(c).await)?;
    Ok(id)
}

/// Every active agreement, of one provider or of all (the invoice run).
pub async fn all_active(db: &Db, provider: Option<OrgId>) -> Result<Vec<Agreement>> {
    let sql = format!(
        "SELECT {COLS} FROM agreements WHERE status = 'active' AND ($1 = '' OR provider_id = $1) ORDER BY id"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Agreement>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(provider.map(|p| p.to_string()).unwrap_or_default()).fetch_all(c).await)?,
    )
}
