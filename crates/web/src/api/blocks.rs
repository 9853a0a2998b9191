//! The block-hours ledger of an agreement: read by whoever reads the
//! agreement; a block bought is recorded by the provider's admin.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_service::RequestMeta;
use tandem_service::blocks::Purchase;
use tandem_service::blocks::{Ledger, LedgerBlock, NewBlock};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What one invoice drew from a block.
#[derive(Serialize, ToSchema)]
pub struct DrawDto {
    invoice_id: String,
    /// `YYYY-MM`.
    period: String,
    /// `draft` or `issued`.
    status: String,
    number: Option<i64>,
    minutes: i64,
}

/// A block of hours and its balance.
#[derive(Serialize, ToSchema)]
pub struct BlockDto {
    id: String,
    /// `YYYY-MM-DD`.
    purchased_on: String,
    minutes: i64,
    /// Minor units of the agreement's currency.
    price: i64,
    /// `YYYY-MM-DD`: the last day it is drawable, unless it rolls over.
    expires_on: String,
    rolls_over: bool,
    /// Bought automatically by the invoice that ran the others out.
    top_up_invoice_id: Option<String>,
    note: String,
    /// Drawn by invoices (void ones excluded), oldest month first.
    draws: Vec<DrawDto>,
    /// Drawn by this month's work so far, not yet invoiced.
    pending_minutes: i64,
    /// Left today.
    remaining_minutes: i64,
    /// `active`, `used_up`, `expired` or `not_yet_valid`.
    state: String,
}

impl BlockDto {
    fn of(p: Purchase) -> Self {
        Self::with(p, Vec::new(), 0, None, "")
    }

    fn with(
        p: Purchase,
        draws: Vec<DrawDto>,
        pending: i64,
        remaining: Option<i64>,
        state: &str,
    ) -> Self {
        Self {
            remaining_minutes: remaining.unwrap_or(p.minutes),
            id: p.id,
            purchased_on: p.purchased_on,
            minutes: p.minutes,
            price: p.price,
            expires_on: p.expires_on,
            rolls_over: p.rolls_over,
            top_up_invoice_id: p.top_up_invoice_id,
            note: p.note,
            draws,
            pending_minutes: pending,
            state: state.to_owned(),
        }
    }
}

impl From<LedgerBlock> for BlockDto {
    fn from(b: LedgerBlock) -> Self {
        let draws = b
            .draws
            .into_iter()
            .map(|d| DrawDto {
                invoice_id: d.invoice_id,
                period: d.period,
                status: d.status,
                number: d.number,
                minutes: d.minutes,
            })
            .collect();
        Self::with(
            b.purchase,
            draws,
            b.pending_minutes,
            Some(b.remaining_minutes),
            b.state,
        )
    }
}

/// An agreement's blocks of hours.
#[derive(Serialize, ToSchema)]
pub struct LedgerDto {
    agreement_id: String,
    currency: String,
    blocks: Vec<BlockDto>,
    /// Drawable today over every block.
    drawable_minutes: i64,
    /// Both sides are warned below this (absent: no block hours).
    low_balance_minutes: Option<u32>,
    warnings: Vec<String>,
}

impl From<Ledger> for LedgerDto {
    fn from(l: Ledger) -> Self {
        Self {
            agreement_id: l.agreement.agreement.id,
            currency: l.agreement.terms.currency.code,
            blocks: l.blocks.into_iter().map(Into::into).collect(),
            drawable_minutes: l.drawable_minutes,
            low_balance_minutes: l.low_balance_minutes,
            warnings: l.warnings,
        }
    }
}

/// A block bought.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBlockBody {
    /// `YYYY-MM-DD`; billed with that month, which must not be invoiced yet.
    #[schema(value_type = String)]
    purchased_on: jiff::civil::Date,
    /// Minutes bought (40 hours: 2400).
    minutes: i64,
    /// Minor units of the agreement's currency.
    price: i64,
    /// `YYYY-MM-DD`.
    #[schema(value_type = String)]
    expires_on: jiff::civil::Date,
    #[serde(default)]
    rolls_over: bool,
    #[serde(default)]
    note: String,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_blocks, post_block))
}

/// An agreement's block-hours ledger: every block, what each invoice drew
/// from it, this month's pending draws and what is left today.
#[utoipa::path(get, path = "/api/v1/agreements/{agreement_id}/blocks", tag = "agreements",
    params(("agreement_id" = String, Path)),
    responses((status = 200, body = LedgerDto), (status = 404, body = ProblemBody)))]
async fn get_blocks(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<LedgerDto>, ApiError> {
    Ok(Json(s.tandem.block_ledger(&a, &id).await?.into()))
}

/// Record a block of hours bought (the provider's admin).
#[utoipa::path(post, path = "/api/v1/agreements/{agreement_id}/blocks", tag = "agreements",
    params(("agreement_id" = String, Path)), request_body = NewBlockBody,
    responses((status = 201, body = BlockDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_block(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NewBlockBody>,
) -> Result<(StatusCode, Json<BlockDto>), ApiError> {
    let p = s
        .tandem
        .buy_block(
            &a,
            &id,
            NewBlock {
                purchased_on: b.purchased_on,
                minutes: b.minutes,
                price: b.price,
                expires_on: b.expires_on,
                rolls_over: b.rolls_over,
                note: b.note,
            },
            &meta,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(BlockDto::of(p))))
}
