//! The block-hours ledger: blocks bought for an agreement (by a person, or
//! automatically by the draft that ran the others out) and what each
//! invoice drew from them. A balance is derived, never stored: bought less
//! the draws of invoices that are not void.

use crate::{Db, Result, Tx, exec_tx, on_db};
use tandem_domain::OrgId;

/// A block bought.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Purchase {
    /// Its id.
    pub id: String,
    /// The agreement it is drawn under.
    pub agreement_id: String,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The provider.
    #[sqlx(try_from = "String")]
    pub provider_id: OrgId,
    /// `YYYY-MM-DD`: billed with that month, drawable from that day.
    pub purchased_on: String,
    /// Minutes bought.
    pub minutes: i64,
    /// What it cost (minor units).
    pub price: i64,
    /// `YYYY-MM-DD`: the last day it is drawable, unless it rolls over.
    pub expires_on: String,
    /// Unused minutes stay drawable after the expiry.
    pub rolls_over: bool,
    /// The draft that bought it automatically; `None` for a purchase a
    /// person recorded.
    pub top_up_invoice_id: Option<String>,
    /// Why or what (an order number, say).
    pub note: String,
    /// Who recorded it.
    pub created_by: Option<String>,
    /// When (epoch ms).
    pub created_at: i64,
}

/// What one invoice drew from one block.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Draw {
    /// The block.
    pub block_id: String,
    /// The invoice.
    pub invoice_id: String,
    /// Its month, `YYYY-MM`.
    pub period: String,
    /// Its status (`draft` or `issued`; void draws are not listed).
    pub status: String,
    /// Its number once issued.
    pub number: Option<i64>,
    /// Minutes drawn.
    pub minutes: i64,
}

const COLS: &str = "p.id, p.agreement_id, p.client_id, p.provider_id, p.purchased_on, p.minutes, p.price, p.expires_on, \
     p.rolls_over, p.top_up_invoice_id, p.note, p.created_by, p.created_at";

/// The blocks that stand: a top-up lives as long as the draft that bought
/// it is not void.
const STANDING: &str = "(p.top_up_invoice_id IS NULL OR EXISTS (SELECT 1 FROM invoices i \
     WHERE i.id = p.top_up_invoice_id AND i.status <> 'void'))";

/// Record a block.
pub async fn insert(tx: &mut Tx, p: &Purchase) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO block_purchases (id, agreement_id, client_id, provider_id, purchased_on, minutes, price, expires_on, \
         rolls_over, top_up_invoice_id, note, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
        .bind(&p.id).bind(&p.agreement_id).bind(p.client_id.to_string()).bind(p.provider_id.to_string())
        .bind(&p.purchased_on).bind(p.minutes).bind(p.price).bind(&p.expires_on).bind(p.rolls_over)
        .bind(&p.top_up_invoice_id).bind(&p.note).bind(&p.created_by).bind(p.created_at)
        .execute(c).await)?;
    Ok(())
}

/// Record what a draft drew from each block (`(block, minutes)`).
pub async fn record_draws(
    tx: &mut Tx,
    invoice_id: &str,
    period: &str,
    draws: &[(String, i64)],
) -> Result<()> {
    for (block, minutes) in draws {
        exec_tx!(tx, c => sqlx::query(
            "INSERT INTO block_draws (invoice_id, block_id, period, minutes) VALUES ($1, $2, $3, $4)")
            .bind(invoice_id).bind(block).bind(period).bind(minutes)
            .execute(c).await)?;
    }
    Ok(())
}

/// An agreement's standing blocks bought on or before `until`
/// (`YYYY-MM-DD`), oldest first, each with the minutes drawn by invoices
/// (not void) of months before `period` (`YYYY-MM`): the balances a month
/// starts with.
pub async fn balances(
    db: &Db,
    agreement: &str,
    until: &str,
    period: &str,
) -> Result<Vec<(Purchase, i64)>> {
    let sql = format!(
        "SELECT {COLS}, CAST(COALESCE((SELECT SUM(d.minutes) FROM block_draws d JOIN invoices i ON i.id = d.invoice_id \
         WHERE d.block_id = p.id AND i.status <> 'void' AND d.period < $3), 0) AS BIGINT) AS drawn \
         FROM block_purchases p WHERE p.agreement_id = $1 AND p.purchased_on <= $2 AND {STANDING} \
         ORDER BY p.purchased_on, p.id"
    );
    let rows: Vec<PurchaseDrawn> = on_db!(db, c => sqlx::query_as::<_, PurchaseDrawn>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(agreement).bind(until).bind(period).fetch_all(c).await)?;
    Ok(rows.into_iter().map(|r| (r.purchase, r.drawn)).collect())
}

#[derive(sqlx::FromRow)]
struct PurchaseDrawn {
    #[sqlx(flatten)]
    purchase: Purchase,
    drawn: i64,
}

/// An agreement's standing blocks, oldest first.
pub async fn ledger(db: &Db, agreement: &str) -> Result<Vec<Purchase>> {
    let sql = format!(
        "SELECT {COLS} FROM block_purchases p WHERE p.agreement_id = $1 AND {STANDING} ORDER BY p.purchased_on, p.id"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Purchase>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(agreement).fetch_all(c).await)?,
    )
}

/// The draws on an agreement's blocks by invoices that are not void,
/// oldest month first.
pub async fn draws(db: &Db, agreement: &str) -> Result<Vec<Draw>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Draw>(
        "SELECT d.block_id, d.invoice_id, d.period, i.status, i.number, d.minutes FROM block_draws d \
         JOIN invoices i ON i.id = d.invoice_id WHERE i.agreement_id = $1 AND i.status <> 'void' \
         ORDER BY d.period, d.block_id")
        .bind(agreement).fetch_all(c).await)?)
}

/// Whether an invoice other than `invoice` (and not void) drew on a
/// top-up that `invoice` bought: voiding `invoice` would pull hours from
/// under it.
pub async fn top_ups_drawn_later(db: &Db, invoice: &str) -> Result<bool> {
    let n: i64 = on_db!(db, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM block_draws d JOIN block_purchases p ON p.id = d.block_id \
         JOIN invoices i ON i.id = d.invoice_id \
         WHERE p.top_up_invoice_id = $1 AND d.invoice_id <> $1 AND i.status <> 'void'")
        .bind(invoice).fetch_one(c).await)?;
    Ok(n > 0)
}
