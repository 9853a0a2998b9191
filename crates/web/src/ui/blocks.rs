//! The block-hours ledger page of an agreement: every block with what each
//! invoice drew from it and what is left today, for both sides; the
//! provider's admin records a block bought.

use super::{Nav, words};
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use std::borrow::Cow;
use tandem_domain::ValidationError;
use tandem_domain::policy;
use tandem_service::auth::SessionActor;
use tandem_service::blocks::NewBlock;
use tandem_service::{RequestMeta, ServiceError};

/// A block as the page shows it.
pub(super) struct Row {
    purchased_on: String,
    bought: String,
    price: String,
    expires: String,
    remaining: String,
    state: Cow<'static, str>,
    /// Who bought it: a person's note, or the invoice of an automatic top-up.
    source: String,
    /// Per invoice: month, status in words, number, hours.
    draws: Vec<(String, Cow<'static, str>, String, String)>,
    pending: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "blocks.html")]
pub(super) struct BlocksPage {
    nav: Nav,
    agreement_id: String,
    engagement_id: String,
    client_name: String,
    rows: Vec<Row>,
    drawable: String,
    low_balance: String,
    warnings: Vec<String>,
    can_buy: bool,
    form: BlockInput,
    error: Option<String>,
}

/// The purchase form, as typed.
#[derive(Deserialize, Default, Clone)]
pub(super) struct BlockInput {
    #[serde(default)]
    purchased_on: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    expires_on: String,
    #[serde(default)]
    rolls_over: Option<String>,
    #[serde(default)]
    note: String,
}

fn minutes_text(m: i64) -> String {
    format!(
        "{} h",
        (rust_decimal::Decimal::from(m.max(0)) / rust_decimal::Decimal::from(60)).normalize()
    )
}

fn date(field: &'static str, raw: &str) -> Result<jiff::civil::Date, ValidationError> {
    raw.trim().parse().map_err(|_| {
        ValidationError::new(
            field,
            format!("{:?} is not a date (YYYY-MM-DD)", raw.trim()),
        )
    })
}

impl BlockInput {
    fn block(&self, cur: &tandem_domain::money::Currency) -> Result<NewBlock, ValidationError> {
        let hours: rust_decimal::Decimal = self
            .hours
            .trim()
            .parse()
            .map_err(|_| ValidationError::new("hours", "say how many hours, e.g. 40"))?;
        let minutes = (hours * rust_decimal::Decimal::from(60)).round();
        Ok(NewBlock {
            purchased_on: date("purchased_on", &self.purchased_on)?,
            minutes: minutes.to_i64().unwrap_or(i64::MAX),
            price: cur
                .parse_amount("price", &self.price)?
                .ok_or_else(|| ValidationError::new("price", "say what it cost"))?,
            expires_on: date("expires_on", &self.expires_on)?,
            rolls_over: self.rolls_over.is_some(),
            note: self.note.clone(),
        })
    }
}

async fn blocks_page(
    s: &AppState,
    session: &SessionActor,
    id: &str,
    form: Option<BlockInput>,
    error: Option<String>,
) -> Result<BlocksPage, PageError> {
    let a = &session.actor;
    let l = s.tandem.block_ledger(a, id).await?;
    let cur = &l.agreement.terms.currency;
    let rows = l
        .blocks
        .iter()
        .map(|b| {
            let p = &b.purchase;
            Row {
                purchased_on: p.purchased_on.clone(),
                bought: minutes_text(p.minutes),
                price: cur.format(p.price),
                expires: if p.rolls_over {
                    format!("{} (unused hours roll over)", p.expires_on)
                } else {
                    p.expires_on.clone()
                },
                remaining: minutes_text(b.remaining_minutes),
                state: words::block_state(b.state),
                source: match &p.top_up_invoice_id {
                    Some(_) => "automatic top-up".into(),
                    None if p.note.is_empty() => "bought".into(),
                    None => p.note.clone(),
                },
                draws: b
                    .draws
                    .iter()
                    .map(|d| {
                        (
                            d.period.clone(),
                            words::invoice_status(&d.status),
                            d.number.map(|n| format!("#{n}")).unwrap_or_default(),
                            minutes_text(d.minutes),
                        )
                    })
                    .collect(),
                pending: minutes_text(b.pending_minutes),
            }
        })
        .collect();
    let e = &l.agreement.engagement;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    Ok(BlocksPage {
        agreement_id: l.agreement.agreement.id.clone(),
        engagement_id: e.id.to_string(),
        client_name: e.client_name.clone(),
        rows,
        drawable: minutes_text(l.drawable_minutes),
        low_balance: l
            .low_balance_minutes
            .map(|m| minutes_text(i64::from(m)))
            .unwrap_or_else(|| "no block hours".into()),
        warnings: l.warnings.clone(),
        can_buy: policy::decide_billing(a.role, e.provider_id == a.org_id).allowed()
            && l.agreement.terms.pricing.blocks.is_some(),
        form: form.unwrap_or_else(|| BlockInput {
            purchased_on: today.to_string(),
            expires_on: today
                .checked_add(jiff::Span::new().months(3))
                .unwrap_or(today)
                .to_string(),
            ..BlockInput::default()
        }),
        error,
        nav: Nav::load(s, session).await,
    })
}

/// The ledger of an agreement.
pub(super) async fn get_blocks(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<String>,
) -> Result<BlocksPage, PageError> {
    blocks_page(&s, &session, &id, None, None).await
}

/// Record a block bought.
pub(super) async fn post_block(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<String>,
    CsrfForm(session, input): CsrfForm<BlockInput>,
) -> Response {
    let a = &session.actor;
    let result = match s.tandem.agreement(a, &id).await {
        Err(e) => Err(e),
        Ok(v) => match input.block(&v.terms.currency) {
            Err(e) => Err(ServiceError::from(e)),
            Ok(b) => s.tandem.buy_block(a, &id, b, &meta).await,
        },
    };
    let status = match result {
        Ok(_) => return Redirect::to(&format!("/blocks/{id}")).into_response(),
        Err(ServiceError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
        Err(ServiceError::Conflict(_)) => StatusCode::CONFLICT,
        Err(other) => return PageError::from(other).into_response(),
    };
    let message = result.err().map(|e| e.to_string());
    match blocks_page(&s, &session, &id, Some(input), message).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}
