//! The block-hours ledger of an agreement: the blocks bought (by the
//! provider's admin, or automatically when a month ran the others out),
//! what each invoice drew from them, and what is left today.
//!
//! Rules (the billing engine draws; this keeps the books):
//! - a block is billed on the invoice of the month it is dated in, so it
//!   may not be dated in a month that is invoiced already (void the
//!   invoice first);
//! - time is drawn from the blocks valid on its day, the oldest expiry
//!   first; what a block has left after its expiry is lost unless it rolls
//!   over;
//! - a top-up belongs to the draft that bought it and goes with it if that
//!   invoice is voided; so do the draft's draws.

use crate::audit::{Entry, record};
use crate::invoices::period_of;
use crate::{RequestMeta, Result, ServiceError, Tandem, decided, now_ms};
use jiff::civil::Date;
use serde_json::json;
use tandem_domain::billing::{self, Block, BlockBalance};
use tandem_domain::money::Minor;
use tandem_domain::{Actor, ValidationError, policy};
use tandem_store::agreements::Agreement;
use tandem_store::blocks;
pub use tandem_store::blocks::{Draw, Purchase};
use tandem_store::invoices;

/// A block as the ledger shows it.
#[derive(Clone, Debug)]
pub struct LedgerBlock {
    /// The purchase.
    pub purchase: Purchase,
    /// What invoices drew from it, oldest month first.
    pub draws: Vec<Draw>,
    /// Drawn by this month's work so far, not yet invoiced.
    pub pending_minutes: i64,
    /// Left today (bought less every draw, pending ones included).
    pub remaining_minutes: i64,
    /// `active`, `used_up`, `expired` or `not_yet_valid`.
    pub state: &'static str,
}

/// An agreement's block-hours ledger.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// The agreement.
    pub agreement: crate::agreements::AgreementView,
    /// Its blocks, oldest first.
    pub blocks: Vec<LedgerBlock>,
    /// What is drawable today, over every block.
    pub drawable_minutes: i64,
    /// Below this, both sides are warned (`None`: no block hours).
    pub low_balance_minutes: Option<u32>,
    /// Warnings as of today (a block running low).
    pub warnings: Vec<String>,
}

/// A block a person records.
#[derive(Clone, Debug)]
pub struct NewBlock {
    /// Bought on (billed with that month).
    pub purchased_on: Date,
    /// Minutes bought.
    pub minutes: i64,
    /// What it cost.
    pub price: Minor,
    /// Last day drawable.
    pub expires_on: Date,
    /// Unused minutes stay drawable after the expiry.
    pub rolls_over: bool,
    /// An order number or a word on it.
    pub note: String,
}

fn day(raw: &str) -> Date {
    raw.parse().unwrap_or(Date::ZERO)
}

/// A stored block as the engine takes it, with what is left of it.
pub(crate) fn balance_of(p: &Purchase, drawn: i64) -> BlockBalance {
    BlockBalance {
        block: Block {
            id: p.id.clone(),
            purchased_on: day(&p.purchased_on),
            minutes: u32::try_from(p.minutes).unwrap_or(u32::MAX),
            price: p.price,
            expires_on: day(&p.expires_on),
            rolls_over: p.rolls_over,
            top_up: p.top_up_invoice_id.is_some(),
        },
        remaining: u32::try_from((p.minutes - drawn).max(0)).unwrap_or(0),
    }
}

/// What a month drew from each block it ends with (`end`): the block, the
/// minutes, and whether the month bought it (a top-up, absent from
/// `start`).
fn drawn<'a>(
    start: &[BlockBalance],
    end: &'a [BlockBalance],
) -> impl Iterator<Item = (&'a BlockBalance, i64, bool)> {
    end.iter().map(move |b| {
        let before = start.iter().find(|s| s.block.id == b.block.id);
        let had = before.map_or(b.block.minutes, |s| s.remaining);
        (b, i64::from(had) - i64::from(b.remaining), before.is_none())
    })
}

/// The top-ups a draft bought and what it drew from every block, as the
/// store keeps them: `(top-ups, (block, minutes) draws)`.
pub(crate) fn books_of(
    a: &Agreement,
    invoice_id: &str,
    start: &[BlockBalance],
    end: &[BlockBalance],
    now: i64,
) -> (Vec<Purchase>, Vec<(String, i64)>) {
    let mut top_ups = Vec::new();
    let mut draws = Vec::new();
    for (b, minutes, bought) in drawn(start, end) {
        let id = if bought {
            // Bought by this draft: the engine's id is only for the month,
            // the ledger's is for good.
            let id = uuid::Uuid::now_v7().to_string();
            top_ups.push(Purchase {
                id: id.clone(),
                agreement_id: a.id.clone(),
                client_id: a.client_id,
                provider_id: a.provider_id,
                purchased_on: b.block.purchased_on.to_string(),
                minutes: i64::from(b.block.minutes),
                price: b.block.price,
                expires_on: b.block.expires_on.to_string(),
                rolls_over: b.block.rolls_over,
                top_up_invoice_id: Some(invoice_id.to_owned()),
                note: "automatic top-up".into(),
                created_by: None,
                created_at: now,
            });
            id
        } else {
            b.block.id.clone()
        };
        if minutes > 0 {
            draws.push((id, minutes));
        }
    }
    (top_ups, draws)
}

impl Tandem {
    /// An agreement's ledger, for whoever may read the agreement.
    pub async fn block_ledger(&self, actor: &Actor, agreement: &str) -> Result<Ledger> {
        let view = self.agreement(actor, agreement).await?;
        let a = &view.agreement;
        let purchases = blocks::ledger(&self.db, &a.id).await?;
        let all_draws = blocks::draws(&self.db, &a.id).await?;
        let tz = self.client_zone(a.client_id).await?;
        let today = jiff::Timestamp::now().to_zoned_datetime(tz).date();
        let first = today.first_of_month();
        // This month's work, drawn as the run would draw it, unless the
        // month is invoiced already (then its draws are on the books).
        let mut pending: Vec<(String, i64)> = Vec::new();
        let mut warnings = Vec::new();
        if a.status == "active"
            && view.terms.runs_in(first)
            && !invoices::exists_for(&self.db, &a.id, &period_of(first)).await?
        {
            let (month, _) = self.month_of(a, &view.terms, first).await?;
            let made = billing::invoice(&view.terms, &month);
            // Only the blocks on the books: a top-up the month would buy is
            // not bought until the month is drafted.
            pending = drawn(&month.blocks, &made.blocks)
                .filter(|(_, minutes, bought)| !bought && *minutes > 0)
                .map(|(b, minutes, _)| (b.block.id.clone(), minutes))
                .collect();
            warnings = made.warnings;
        }
        let mut out = Vec::new();
        let mut drawable = 0;
        for p in purchases {
            let draws: Vec<Draw> = all_draws
                .iter()
                .filter(|d| d.block_id == p.id)
                .cloned()
                .collect();
            let pending_minutes: i64 = pending
                .iter()
                .filter(|(b, _)| *b == p.id)
                .map(|(_, m)| m)
                .sum();
            let remaining =
                (p.minutes - draws.iter().map(|d| d.minutes).sum::<i64>() - pending_minutes).max(0);
            let b = balance_of(&p, 0).block;
            let state = if remaining == 0 {
                "used_up"
            } else if b.purchased_on > today {
                "not_yet_valid"
            } else if !b.rolls_over && b.expires_on < today {
                "expired"
            } else {
                drawable += remaining;
                "active"
            };
            out.push(LedgerBlock {
                purchase: p,
                draws,
                pending_minutes,
                remaining_minutes: remaining,
                state,
            });
        }
        Ok(Ledger {
            low_balance_minutes: view
                .terms
                .pricing
                .blocks
                .as_ref()
                .map(|b| b.low_balance_minutes),
            agreement: view,
            blocks: out,
            drawable_minutes: drawable,
            warnings,
        })
    }

    /// Record a block bought under an agreement (the provider's admin).
    pub async fn buy_block(
        &self,
        actor: &Actor,
        agreement: &str,
        input: NewBlock,
        meta: &RequestMeta,
    ) -> Result<Purchase> {
        let view = self.agreement(actor, agreement).await?;
        let a = &view.agreement;
        decided(policy::decide_billing(
            actor.role,
            a.provider_id == actor.org_id,
        ))?;
        if view.terms.pricing.blocks.is_none() {
            return Err(ServiceError::Conflict(
                "this agreement has no block hours: revise its pricing first".into(),
            ));
        }
        if !matches!(a.status.as_str(), "draft" | "proposed" | "active") {
            return Err(ServiceError::Conflict(format!(
                "this agreement is {}: blocks are bought under a current one",
                a.status
            )));
        }
        if input.minutes <= 0 || input.minutes > 10_000 * 60 {
            return Err(
                ValidationError::new("minutes", "buy between 1 minute and 10,000 hours").into(),
            );
        }
        if input.price < 0 {
            return Err(ValidationError::new("price", "a price is zero or more").into());
        }
        if input.expires_on < input.purchased_on {
            return Err(
                ValidationError::new("expires_on", "a block expires after it is bought").into(),
            );
        }
        let t = &view.terms;
        if input.purchased_on < t.starts_on || t.ends_on.is_some_and(|e| input.purchased_on > e) {
            return Err(ValidationError::new(
                "purchased_on",
                "date the purchase within the agreement's term",
            )
            .into());
        }
        let note = input.note.trim();
        if note.chars().count() > 500 {
            return Err(ValidationError::new("note", "at most 500 characters").into());
        }
        let period = period_of(input.purchased_on.first_of_month());
        if invoices::exists_for(&self.db, &a.id, &period).await? {
            return Err(ServiceError::Conflict(format!(
                "{period} is invoiced already: date the block in a month not yet invoiced, or void that invoice"
            )));
        }
        let p = Purchase {
            id: uuid::Uuid::now_v7().to_string(),
            agreement_id: a.id.clone(),
            client_id: a.client_id,
            provider_id: a.provider_id,
            purchased_on: input.purchased_on.to_string(),
            minutes: input.minutes,
            price: input.price,
            expires_on: input.expires_on.to_string(),
            rolls_over: input.rolls_over,
            top_up_invoice_id: None,
            note: note.to_owned(),
            created_by: Some(actor.user_id.to_string()),
            created_at: now_ms(),
        };
        let mut tx = self.db.begin().await?;
        blocks::insert(&mut tx, &p).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(a.client_id),
                action: "block.buy",
                object_type: "agreement",
                object_id: a.id.clone(),
                change: json!({ "block": p.id, "purchased_on": p.purchased_on, "minutes": p.minutes,
                                "price": p.price, "expires_on": p.expires_on, "rolls_over": p.rolls_over }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }
}
