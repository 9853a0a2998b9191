//! Invoice pages: the list with the monthly run (the provider's admin), and
//! one invoice as both sides read it and print it, with its exports.

use super::{Nav, words};
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use crate::exports::{csv_answer, lines_csv, xero_csv};
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::borrow::Cow;
use tandem_domain::ValidationError;
use tandem_domain::money::Currency;
use tandem_domain::policy;
use tandem_service::auth::SessionActor;
use tandem_service::invoices::{InvoiceView, parse_period};
use tandem_service::model::Invoice;
use tandem_service::{RequestMeta, ServiceError};

/// A row of the list.
pub(super) struct Listed {
    id: String,
    period: String,
    status: Cow<'static, str>,
    number: String,
    total: String,
}

fn listed(i: &Invoice) -> Listed {
    Listed {
        id: i.id.clone(),
        period: i.period.clone(),
        status: words::invoice_status(&i.status),
        number: i.number.map(|n| format!("INV-{n:05}")).unwrap_or_default(),
        total: Currency::or_plain(&i.currency).format(i.total),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "invoices.html")]
pub(super) struct InvoicesPage {
    nav: Nav,
    rows: Vec<Listed>,
    can_bill: bool,
    period: String,
    /// The client's monthly cost (its own people only).
    trend: Option<Trend>,
    message: Option<String>,
    error: Option<String>,
}

/// The monthly cost as a chart and as a table of every kind of charge.
pub(super) struct Trend {
    chart: super::chart::Chart,
    /// Month, base, blocks, billable, excluded, credits, total (in words).
    rows: Vec<[String; 7]>,
}

fn trend(months: &[tandem_service::invoices::MonthCost]) -> Trend {
    // The chart counts whole units of money; the table has every cent.
    let whole = |m: &tandem_service::invoices::MonthCost, v: i64| {
        let scale = 10_i64.pow(u32::from(Currency::or_plain(&m.currency).decimals));
        (v + scale / 2) / scale
    };
    let labels: Vec<String> = months.iter().map(|m| m.period.clone()).collect();
    let billed: Vec<i64> = months
        .iter()
        .map(|m| whole(m, m.total - m.credits))
        .collect();
    let excluded: Vec<i64> = months.iter().map(|m| whole(m, m.excluded)).collect();
    let chart = super::chart::bars_and_line(
        "Monthly cost",
        "Month",
        &labels,
        super::chart::Series {
            name: "Billed before credits",
            values: &billed,
        },
        super::chart::Series {
            name: "Excluded work",
            values: &excluded,
        },
    );
    let rows = months
        .iter()
        .map(|m| {
            let c = Currency::or_plain(&m.currency);
            [
                m.period.clone(),
                c.format(m.base),
                c.format(m.blocks),
                c.format(m.billable),
                c.format(m.excluded),
                c.format(m.credits),
                c.format(m.total),
            ]
        })
        .collect();
    Trend { chart, rows }
}

/// A line as the page shows it.
pub(super) struct ShownLine {
    position: i32,
    kind: Cow<'static, str>,
    description: String,
    quantity: String,
    unit_price: String,
    amount: String,
    entries: usize,
}

#[derive(Template, WebTemplate)]
#[template(path = "invoice.html")]
pub(super) struct InvoicePage {
    nav: Nav,
    v: InvoiceView,
    status: Cow<'static, str>,
    number: String,
    lines: Vec<ShownLine>,
    total: String,
    can_bill: bool,
    can_dispute: bool,
    error: Option<String>,
}

impl InvoicePage {
    fn money(&self, amount: &Option<i64>) -> String {
        amount.map_or_else(String::new, |a| {
            Currency::or_plain(&self.v.invoice.currency).format(a)
        })
    }

    fn line_of(&self, position: &i32) -> String {
        self.lines
            .iter()
            .find(|l| l.position == *position)
            .map_or_else(String::new, |l| l.description.clone())
    }

    fn at(&self, ms: &i64) -> super::local::LocalTime {
        self.nav.zone.at(*ms)
    }
}

#[derive(Deserialize)]
pub(super) struct ListQuery {
    period: Option<String>,
}

async fn list_page(
    s: &AppState,
    session: &SessionActor,
    period: Option<&str>,
    message: Option<String>,
    error: Option<String>,
) -> Result<InvoicesPage, PageError> {
    let a = &session.actor;
    let period = period.map(str::trim).filter(|p| !p.is_empty());
    let rows = s
        .tandem
        .invoices(a, None, period)
        .await?
        .iter()
        .map(listed)
        .collect();
    let nav = Nav::load(s, session).await;
    let last_month = jiff::Timestamp::now()
        .to_zoned_datetime(nav.zone.tz().clone())
        .date()
        .first_of_month()
        .yesterday()
        .map(|d| format!("{:04}-{:02}", d.year(), d.month()))
        .unwrap_or_default();
    let trend = if a.side() == tandem_domain::Side::Client {
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(nav.zone.tz().clone())
            .date();
        Some(trend(&s.tandem.cost_trend(a, a.org_id, today).await?))
    } else {
        None
    };
    Ok(InvoicesPage {
        trend,
        rows,
        can_bill: policy::decide_billing(a.role, true).allowed(),
        period: last_month,
        message,
        error,
        nav,
    })
}

/// The invoices the reader may see.
pub(super) async fn get_invoices(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<ListQuery>,
) -> Result<InvoicesPage, PageError> {
    list_page(&s, &session, q.period.as_deref(), None, None).await
}

#[derive(Deserialize)]
pub(super) struct RunInput {
    period: String,
}

/// Run a month (the provider's admin).
pub(super) async fn post_invoices_run(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<RunInput>,
) -> Response {
    let result = match parse_period(&i.period) {
        Ok(first) => {
            s.tandem
                .run_invoices(Some(&session.actor), first, &meta)
                .await
        }
        Err(e) => Err(e),
    };
    let (status, message, error) = match result {
        Ok(out) => (
            StatusCode::OK,
            Some(format!(
                "{}: {} drafted, {} already invoiced.",
                i.period.trim(),
                out.created.len(),
                out.existing
            )),
            None,
        ),
        Err(e @ ServiceError::Invalid(_)) => {
            (StatusCode::UNPROCESSABLE_ENTITY, None, Some(e.to_string()))
        }
        Err(e) => return PageError::from(e).into_response(),
    };
    match list_page(&s, &session, None, message, error).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

async fn invoice_page(
    s: &AppState,
    session: &SessionActor,
    id: &str,
    error: Option<String>,
) -> Result<InvoicePage, PageError> {
    let a = &session.actor;
    let v = s.tandem.invoice(a, id).await?;
    let cur = Currency::or_plain(&v.invoice.currency);
    let lines = v
        .lines
        .iter()
        .map(|l| ShownLine {
            position: l.position,
            kind: words::line_kind(&l.kind),
            description: l.description.clone(),
            quantity: l.quantity.clone(),
            unit_price: cur.format(l.unit_price),
            amount: cur.format(l.amount),
            entries: serde_json::from_str::<Vec<String>>(&l.work_ids)
                .map(|w| w.len())
                .unwrap_or(0),
        })
        .collect();
    Ok(InvoicePage {
        status: words::invoice_status(&v.invoice.status),
        number: v
            .invoice
            .number
            .map(|n| format!("INV-{n:05}"))
            .unwrap_or_else(|| "not issued".to_owned()),
        total: cur.format(v.invoice.total),
        can_bill: policy::decide_billing(a.role, v.invoice.provider_id == a.org_id).allowed(),
        can_dispute: policy::decide_dispute(a.role, v.invoice.client_id == a.org_id).allowed()
            && v.invoice.status == "draft",
        lines,
        error,
        nav: Nav::load(s, session).await,
        v,
    })
}

/// One invoice, printable.
pub(super) async fn get_invoice(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<String>,
) -> Result<InvoicePage, PageError> {
    invoice_page(&s, &session, &id, None).await
}

#[derive(Deserialize)]
pub(super) struct ExportQuery {
    format: Option<String>,
}

/// An invoice as a spreadsheet: its lines, or Xero's import columns.
pub(super) async fn get_invoice_export(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Response {
    let v = match s.tandem.invoice(&session.actor, &id).await {
        Ok(v) => v,
        Err(e) => return PageError::from(e).into_response(),
    };
    match q.format.as_deref().unwrap_or("csv") {
        "csv" => csv_answer(&v, &lines_csv(&v), ""),
        "xero" => csv_answer(&v, &xero_csv(&v), "-xero"),
        _ => PageError::from(ServiceError::from(ValidationError::new(
            "format",
            "use csv or xero",
        )))
        .into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct DisputeInput {
    version: i64,
    line: i32,
    reason: String,
}

/// Dispute a line of a draft (the client's admin).
pub(super) async fn post_invoice_dispute(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<String>,
    CsrfForm(session, i): CsrfForm<DisputeInput>,
) -> Response {
    let r = s
        .tandem
        .dispute_line(&session.actor, &id, i.version, i.line, &i.reason, &meta)
        .await;
    after_step(&s, &session, &id, r.map(|_| ())).await
}

#[derive(Deserialize)]
pub(super) struct AnswerInput {
    version: i64,
    /// Empty keeps the line.
    #[serde(default)]
    amount: String,
    answer: String,
}

/// Answer a dispute (the provider's admin): a new amount adjusts the line.
pub(super) async fn post_invoice_answer(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((id, dispute)): Path<(String, String)>,
    CsrfForm(session, i): CsrfForm<AnswerInput>,
) -> Response {
    let r = async {
        let v = s.tandem.invoice(&session.actor, &id).await?;
        let amount = Currency::or_plain(&v.invoice.currency).parse_amount("amount", &i.amount)?;
        s.tandem
            .answer_dispute(
                &session.actor,
                &id,
                i.version,
                &dispute,
                amount,
                &i.answer,
                &meta,
            )
            .await
            .map(|_| ())
    }
    .await;
    after_step(&s, &session, &id, r).await
}

#[derive(Deserialize)]
pub(super) struct StepInput {
    version: i64,
    #[serde(default)]
    reason: String,
}

/// Issue or void.
pub(super) async fn post_invoice_step(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((id, step)): Path<(String, String)>,
    CsrfForm(session, i): CsrfForm<StepInput>,
) -> Response {
    let a = &session.actor;
    let r = match step.as_str() {
        "issue" => s.tandem.issue_invoice(a, &id, i.version, &meta).await,
        "void" => {
            s.tandem
                .void_invoice(a, &id, i.version, &i.reason, &meta)
                .await
        }
        _ => Err(ServiceError::NotFound),
    };
    after_step(&s, &session, &id, r.map(|_| ())).await
}

/// Back to the invoice, or the page again with what went wrong.
async fn after_step(
    s: &AppState,
    session: &SessionActor,
    id: &str,
    r: Result<(), ServiceError>,
) -> Response {
    let (status, message) = match r {
        Ok(()) => return Redirect::to(&format!("/invoices/{id}")).into_response(),
        Err(ServiceError::Stale { .. }) => (
            StatusCode::PRECONDITION_FAILED,
            "This invoice changed while you were looking at it; nothing was done. It is shown as it is now.".to_owned(),
        ),
        Err(e @ ServiceError::Invalid(_)) => (StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
        Err(e @ ServiceError::Conflict(_)) => (StatusCode::CONFLICT, e.to_string()),
        Err(e) => return PageError::from(e).into_response(),
    };
    match invoice_page(s, session, id, Some(message)).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}
