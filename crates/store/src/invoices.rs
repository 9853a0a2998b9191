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

/// An invoice's lines in order, the tax last (a line added by hand to a
/// draft takes the next position, after the tax's).
pub async fn lines(db: &Db, id: &str) -> Result<Vec<Line>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Line>(
        "SELECT invoice_id, position, kind, description, quantity, unit_price, amount, work_ids \
         FROM invoice_lines WHERE invoice_id = $1 ORDER BY CASE WHEN kind = 'tax' THEN 1 ELSE 0 END, position")
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
            "UPDATE time_entries SET invoice_id = $1 WHERE id = $2 AND client_id = $3 AND invoice_id IS NULL")
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

/// The months (`YYYY-MM`) an agreement has an invoice for, void ones
/// aside.
pub async fn invoiced_periods(db: &Db, agreement: &str) -> Result<Vec<String>> {
    // In place on SQLite: the run asks once per agreement.
    let rows: Vec<(String,)> = db
        .rows(
            "SELECT period FROM invoices WHERE agreement_id = $1 AND status <> 'void'",
            &[agreement.into()],
            |r| Ok((r.get(0)?,)),
        )
        .await?;
    Ok(rows.into_iter().map(|(p,)| p).collect())
}

/// The time entries a client's drafts count (they are locked when the
/// drafts are issued): the run leaves them to those drafts.
pub async fn drafted_work(db: &Db, client: OrgId) -> Result<Vec<String>> {
    // In place on SQLite: the run asks once per agreement.
    let lists: Vec<(String,)> = db
        .rows(
            "SELECT covered FROM invoices WHERE client_id = $1 AND status = 'draft'",
            &[client.to_string().into()],
            |r| Ok((r.get(0)?,)),
        )
        .await?;
    Ok(lists
        .iter()
        .flat_map(|(l,)| serde_json::from_str::<Vec<String>>(l).unwrap_or_default())
        .collect())
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

/// Write a line of a draft as it now stands (at its position).
async fn write_line(tx: &mut Tx, l: &Line) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE invoice_lines SET kind = $1, description = $2, quantity = $3, unit_price = $4, amount = $5 \
         WHERE invoice_id = $6 AND position = $7")
        .bind(&l.kind).bind(&l.description).bind(&l.quantity).bind(l.unit_price).bind(l.amount)
        .bind(&l.invoice_id).bind(l.position)
        .execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Answer an open dispute of a draft at `version`: the dispute's outcome,
/// and the draft's lines and total as they now stand (`changed`: each line
/// that changed, as it now stands, the tax worked out again among them).
#[allow(clippy::too_many_arguments)]
pub async fn answer_dispute(
    tx: &mut Tx,
    inv: &Invoice,
    version: i64,
    dispute: &Dispute,
    changed: &[Line],
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
    for l in changed {
        write_line(tx, l).await?;
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

/// A change the provider's admin made by hand to a line of a draft, with
/// its reason: the line as it was and as it became, and the invoice's
/// total before and after (the tax follows the lines).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct LineEdit {
    /// Its id.
    pub id: String,
    /// The invoice.
    pub invoice_id: String,
    /// The line's position.
    pub position: i32,
    /// `changed`, `added` or `removed`.
    pub action: String,
    /// The line's kind.
    pub kind: String,
    /// The line before (none for an added line).
    pub old_description: Option<String>,
    /// Its quantity before.
    pub old_quantity: Option<String>,
    /// Its unit price before.
    pub old_unit_price: Option<i64>,
    /// Its amount before.
    pub old_amount: Option<i64>,
    /// The line after (none for a removed line).
    pub new_description: Option<String>,
    /// Its quantity after.
    pub new_quantity: Option<String>,
    /// Its unit price after.
    pub new_unit_price: Option<i64>,
    /// Its amount after.
    pub new_amount: Option<i64>,
    /// The invoice's total before.
    pub old_total: i64,
    /// And after.
    pub new_total: i64,
    /// Why.
    pub reason: String,
    /// Who.
    pub edited_by: String,
    /// Their name (read with it).
    #[sqlx(default)]
    pub edited_by_name: String,
    /// When.
    pub edited_at: i64,
}

/// The changes made by hand to an invoice's lines, oldest first.
pub async fn line_edits(db: &Db, invoice: &str) -> Result<Vec<LineEdit>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, LineEdit>(
        "SELECT e.id, e.invoice_id, e.position, e.action, e.kind, e.old_description, e.old_quantity, e.old_unit_price, \
         e.old_amount, e.new_description, e.new_quantity, e.new_unit_price, e.new_amount, e.old_total, e.new_total, \
         e.reason, e.edited_by, u.name AS edited_by_name, e.edited_at \
         FROM invoice_line_edits e JOIN users u ON u.id = e.edited_by WHERE e.invoice_id = $1 ORDER BY e.edited_at, e.id")
        .bind(invoice).fetch_all(c).await)?)
}

/// What an edit does to a draft's stored lines.
#[derive(Clone, Copy, Debug)]
pub enum LineWrite<'a> {
    /// The line at its position, as it now stands.
    Changed(&'a Line),
    /// A new line, at a position no line of the invoice has had.
    Added(&'a Line),
    /// The line at this position is gone.
    Removed(i32),
}

/// Change a line of a draft at `version` (`write`), with the tax line
/// worked out again (`tax`) and the draft's new total (`edit.new_total`);
/// the edit is kept on the invoice's history.
pub async fn edit_line(
    tx: &mut Tx,
    inv: &Invoice,
    version: i64,
    edit: &LineEdit,
    write: LineWrite<'_>,
    tax: Option<&Line>,
) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE invoices SET version = version + 1, total = $1 WHERE id = $2 AND status = 'draft' AND version = $3")
        .bind(edit.new_total).bind(&inv.id).bind(version)
        .execute(c).await)?;
    if n == 0 {
        return Err(StoreError::Conflict);
    }
    match write {
        LineWrite::Added(l) => {
            exec_tx!(tx, c => sqlx::query(
                "INSERT INTO invoice_lines (invoice_id, position, kind, description, quantity, unit_price, amount, work_ids) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(&l.invoice_id).bind(l.position).bind(&l.kind).bind(&l.description).bind(&l.quantity)
                .bind(l.unit_price).bind(l.amount).bind(&l.work_ids)
                .execute(c).await)
            .map_err(StoreError::from_write)?;
        }
        LineWrite::Changed(l) => write_line(tx, l).await?,
        LineWrite::Removed(position) => {
            let n = exec_tx!(tx, c => sqlx::query("DELETE FROM invoice_lines WHERE invoice_id = $1 AND position = $2")
                .bind(&inv.id).bind(position).execute(c).await)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
        }
    }
    if let Some(t) = tax {
        write_line(tx, t).await?;
    }
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO invoice_line_edits (id, invoice_id, position, action, kind, old_description, old_quantity, \
         old_unit_price, old_amount, new_description, new_quantity, new_unit_price, new_amount, old_total, new_total, \
         reason, edited_by, edited_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)")
        .bind(&edit.id).bind(&inv.id).bind(edit.position).bind(&edit.action).bind(&edit.kind)
        .bind(&edit.old_description).bind(&edit.old_quantity).bind(edit.old_unit_price).bind(edit.old_amount)
        .bind(&edit.new_description).bind(&edit.new_quantity).bind(edit.new_unit_price).bind(edit.new_amount)
        .bind(edit.old_total).bind(edit.new_total).bind(&edit.reason).bind(&edit.edited_by).bind(edit.edited_at)
        .execute(c).await)?;
    Ok(())
}
