//! Invoices and their lines.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db, on_tx};
use tandem_domain::{EngagementId, OrgId, Scope, UserId};

/// An invoice as stored.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Invoice {
    /// Its id.
    pub id: String,
    /// The agreement it bills.
    pub agreement_id: String,
    /// Its engagement.
    #[sqlx(try_from = "String")]
    pub engagement_id: EngagementId,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The provider.
    #[sqlx(try_from = "String")]
    pub provider_id: OrgId,
    /// `YYYY-MM`.
    pub period: String,
    /// `draft`, `issued` or `void`.
    pub status: String,
    /// Its number in the provider's sequence, once issued.
    pub number: Option<i64>,
    /// ISO 4217 code.
    pub currency: String,
    /// The sum of its lines (minor units).
    pub total: i64,
    /// What both sides should know, as a JSON list of texts.
    pub warnings: String,
    /// The provider's time entries it counts, as a JSON list of ids.
    pub covered: String,
    /// Moves with every change.
    pub version: i64,
    /// Drafted (epoch ms).
    pub created_at: i64,
    /// Issued.
    pub issued_at: Option<i64>,
    /// By.
    pub issued_by: Option<String>,
    /// Voided.
    pub voided_at: Option<i64>,
    /// By.
    pub voided_by: Option<String>,
    /// Why.
    pub void_reason: Option<String>,
}

/// One line.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Line {
    /// The invoice.
    pub invoice_id: String,
    /// Order.
    pub position: i32,
    /// The domain's line kind (`users`, `hourly`, ...).
    pub kind: String,
    /// In words.
    pub description: String,
    /// A decimal number as text.
    pub quantity: String,
    /// Per unit (minor units).
    pub unit_price: i64,
    /// The line's amount.
    pub amount: i64,
    /// The time entries behind it, as a JSON list of ids.
    pub work_ids: String,
}

const COLS: &str = "id, agreement_id, engagement_id, client_id, provider_id, period, status, number, currency, total, \
     warnings, covered, version, created_at, issued_at, issued_by, voided_at, voided_by, void_reason";

/// Who may reach an invoice at all: its client's and its provider's people
/// (the service narrows it further by role).
const PARTY: &str = "(client_id = $2 OR provider_id = $2)";

/// Store a draft and its lines, unless the agreement already has an
/// invoice (not void) for the period: then nothing is stored and `false`
/// comes back.
pub async fn insert_draft(tx: &mut Tx, inv: &Invoice, lines: &[Line]) -> Result<bool> {
    let inserted = exec_tx!(tx, c => sqlx::query(
        "INSERT INTO invoices (id, agreement_id, engagement_id, client_id, provider_id, period, status, number, currency, \
         total, warnings, covered, version, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'draft', NULL, $7, $8, $9, $10, 1, $11) \
         ON CONFLICT (agreement_id, period) WHERE status <> 'void' DO NOTHING")
        .bind(&inv.id).bind(&inv.agreement_id).bind(inv.engagement_id.to_string()).bind(inv.client_id.to_string())
        .bind(inv.provider_id.to_string()).bind(&inv.period).bind(&inv.currency).bind(inv.total)
        .bind(&inv.warnings).bind(&inv.covered).bind(inv.created_at)
        .execute(c).await)?;
    if inserted == 0 {
        return Ok(false);
    }
    for l in lines {
        exec_tx!(tx, c => sqlx::query(
            "INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity, unit_price, amount, work_ids) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&l.invoice_id).bind(l.position).bind(&l.kind).bind(&l.description).bind(&l.quantity)
            .bind(l.unit_price).bind(l.amount).bind(&l.work_ids)
            .execute(c).await)?;
    }
    Ok(true)
}

/// One invoice within the caller's parties.
pub async fn find(db: &Db, scope: &Scope, id: &str) -> Result<Invoice> {
    let sql = format!("SELECT {COLS} FROM invoices WHERE id = $1 AND {PARTY}");
    on_db!(db, c => sqlx::query_as::<_, Invoice>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id).bind(scope.org_id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// An invoice's lines in order.
pub async fn lines(db: &Db, id: &str) -> Result<Vec<Line>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Line>(
        "SELECT invoice_id, position, kind, description, quantity, unit_price, amount, work_ids \
         FROM invoice_lines WHERE invoice_id = $1 ORDER BY position")
        .bind(id).fetch_all(c).await)?)
}

/// The invoices of the caller's parties, newest period first; `client`
/// and `period` narrow them.
pub async fn list(
    db: &Db,
    scope: &Scope,
    client: Option<OrgId>,
    period: Option<&str>,
) -> Result<Vec<Invoice>> {
    let sql = format!(
        "SELECT {COLS} FROM invoices WHERE ($1 = '' OR client_id = $1) AND {PARTY} AND ($3 = '' OR period = $3) \
         ORDER BY period DESC, created_at DESC"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Invoice>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.map(|c| c.to_string()).unwrap_or_default())
        .bind(scope.org_id.to_string())
        .bind(period.unwrap_or_default())
        .fetch_all(c).await)?,
    )
}

/// Issue a draft at `version`: it takes the provider's next number, and
/// the time entries behind it are locked to it.
pub async fn issue(
    tx: &mut Tx,
    inv: &Invoice,
    version: i64,
    by: UserId,
    now: i64,
    work_ids: &[String],
) -> Result<i64> {
    let next: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(number), 0) + 1 AS BIGINT) FROM invoices WHERE provider_id = $1")
        .bind(inv.provider_id.to_string()).fetch_one(c).await)?;
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET status = 'issued', number = $1, issued_at = $2, issued_by = $3, version = version + 1 \
         WHERE id = $4 AND status = 'draft' AND version = $5")
        .bind(next).bind(now).bind(by.to_string()).bind(&inv.id).bind(version)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    for id in work_ids {
        exec_tx!(tx, c => sqlx::query(
            "UPDATE time_entries SET invoice_id = $1 WHERE (id = $2 OR corrects = $2) AND client_id = $3 AND invoice_id IS NULL")
            .bind(&inv.id).bind(id).bind(inv.client_id.to_string())
            .execute(c).await)?;
    }
    Ok(next)
}

/// Void an invoice at `version`, with a reason; its time is unlocked for a
/// corrected invoice.
pub async fn void(
    tx: &mut Tx,
    inv: &Invoice,
    version: i64,
    by: UserId,
    now: i64,
    reason: &str,
) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET status = 'void', voided_at = $1, voided_by = $2, void_reason = $3, version = version + 1 \
         WHERE id = $4 AND status <> 'void' AND version = $5")
        .bind(now).bind(by.to_string()).bind(reason).bind(&inv.id).bind(version)
        .execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    exec_tx!(tx, c => sqlx::query("UPDATE time_entries SET invoice_id = NULL WHERE invoice_id = $1")
        .bind(&inv.id).execute(c).await)?;
    Ok(())
}

/// A client's issued invoices from `from` (`YYYY-MM`) on, summed per month
/// and line kind: `(period, currency, kind, amount)`, oldest first.
pub async fn trend(
    db: &Db,
    client: OrgId,
    from: &str,
) -> Result<Vec<(String, String, String, i64)>> {
    Ok(
        on_db!(db, c => sqlx::query_as::<_, (String, String, String, i64)>(
        "SELECT i.period, i.currency, l.kind, CAST(SUM(l.amount) AS BIGINT) FROM invoices i \
         JOIN invoice_lines l ON l.invoice_id = i.id \
         WHERE i.client_id = $1 AND i.status = 'issued' AND i.period >= $2 \
         GROUP BY i.period, i.currency, l.kind ORDER BY i.period")
        .bind(client.to_string()).bind(from).fetch_all(c).await)?,
    )
}

/// Whether an agreement has its invoice (not void) for a month already.
pub async fn exists_for(db: &Db, agreement: &str, period: &str) -> Result<bool> {
    // In place on SQLite: the invoice run asks for every agreement.
    let found = db
        .row(
            "SELECT 1 FROM invoices WHERE agreement_id = $1 AND period = $2 AND status <> 'void' LIMIT 1",
            &[agreement.into(), period.into()],
            |r| Ok((r.get::<_, i32>(0)?,)),
        )
        .await?;
    Ok(found.is_some())
}

/// A disputed line and its answer.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Dispute {
    /// Its id.
    pub id: String,
    /// The invoice.
    pub invoice_id: String,
    /// The line's position.
    pub position: i32,
    /// Why the client disputes it.
    pub reason: String,
    /// Who raised it.
    pub raised_by: String,
    /// Their name (read with it).
    #[sqlx(default)]
    pub raised_by_name: String,
    /// When.
    pub raised_at: i64,
    /// `adjusted` or `kept`, once answered.
    pub outcome: Option<String>,
    /// The provider's explanation.
    pub answer: Option<String>,
    /// The line's amount before an adjustment.
    pub old_amount: Option<i64>,
    /// And after.
    pub new_amount: Option<i64>,
    /// Who answered.
    pub answered_by: Option<String>,
    /// When.
    pub answered_at: Option<i64>,
}

/// An invoice's disputes, oldest first.
pub async fn disputes(db: &Db, invoice: &str) -> Result<Vec<Dispute>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Dispute>(
        "SELECT d.id, d.invoice_id, d.position, d.reason, d.raised_by, u.name AS raised_by_name, d.raised_at, d.outcome, \
         d.answer, d.old_amount, d.new_amount, d.answered_by, d.answered_at \
         FROM invoice_disputes d JOIN users u ON u.id = d.raised_by WHERE d.invoice_id = $1 ORDER BY d.raised_at, d.id")
        .bind(invoice).fetch_all(c).await)?)
}

/// Raise a dispute on a line of a draft at `version` (the invoice's
/// version moves, so both sides' pages see it).
pub async fn raise_dispute(tx: &mut Tx, inv: &Invoice, version: i64, d: &Dispute) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET version = version + 1 WHERE id = $1 AND status = 'draft' AND version = $2")
        .bind(&inv.id).bind(version).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO invoice_disputes (id, invoice_id, position, reason, raised_by, raised_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(&d.id).bind(&d.invoice_id).bind(d.position).bind(&d.reason).bind(&d.raised_by).bind(d.raised_at)
        .execute(c).await)?;
    Ok(())
}

/// Answer an open dispute of a draft at `version`: the dispute's outcome,
/// and the draft's lines and total as they now stand (`amounts`: position
/// and new amount of each line that changed).
#[allow(clippy::too_many_arguments)]
pub async fn answer_dispute(
    tx: &mut Tx,
    inv: &Invoice,
    version: i64,
    dispute: &Dispute,
    amounts: &[(i32, i64)],
    total: i64,
    answer: &str,
    by: UserId,
    now: i64,
) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET version = version + 1, total = $1 WHERE id = $2 AND status = 'draft' AND version = $3")
        .bind(total).bind(&inv.id).bind(version)
        .execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    for (position, amount) in amounts {
        exec_tx!(tx, c => sqlx::query("UPDATE invoice_lines SET amount = $1 WHERE invoice_id = $2 AND position = $3")
            .bind(amount).bind(&inv.id).bind(position).execute(c).await)?;
    }
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE invoice_disputes SET outcome = $1, answer = $2, old_amount = $3, new_amount = $4, answered_by = $5, answered_at = $6 \
         WHERE id = $7 AND outcome IS NULL")
        .bind(&dispute.outcome).bind(answer)
        .bind(dispute.old_amount).bind(dispute.new_amount).bind(by.to_string()).bind(now).bind(&dispute.id)
        .execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}
