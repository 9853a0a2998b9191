//! Invoice pages: the list with the monthly run (the provider's admin) and
//! a month's exports, and one invoice as both sides read it and print it,
//! with its exports, its disputes, and the changes its provider's admin
//! made by hand to its lines while it was a draft.

use super::{Nav, words};
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use crate::exports::{csv_answer, csv_file, lines_csv, period_csv, xero_csv, xero_period_csv};
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
use tandem_service::invoices::{InvoiceView, LineInput, parse_period};
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
    /// The month the export form offers (the one listed, or last month).
    export_period: String,
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
    /// The provider's admin on a draft: its lines may change by hand.
    can_edit: bool,
    /// The lines a form may change, as they stand.
    editable: Vec<EditableLine>,
    /// The changes made by hand, oldest first.
    edits: Vec<ShownEdit>,
    error: Option<String>,
}

/// A line as its form shows it.
pub(super) struct EditableLine {
    position: i32,
    description: String,
    quantity: String,
    unit_price: String,
    /// A dispute of it awaits the provider's answer.
    disputed: bool,
}

/// A change made by hand, in words.
pub(super) struct ShownEdit {
    action: Cow<'static, str>,
    line: String,
    change: String,
    total: String,
    by: String,
    at: i64,
    reason: String,
}

fn shown_edit(cur: &Currency, e: &tandem_service::model::InvoiceLineEdit) -> ShownEdit {
    let mut parts = Vec::new();
    match (e.old_amount, e.new_amount) {
        (Some(_), Some(_)) => {
            if e.old_description != e.new_description {
                parts.push(format!(
                    "described as \u{201c}{}\u{201d}",
                    e.new_description.as_deref().unwrap_or_default()
                ));
            }
            if e.old_quantity != e.new_quantity {
                parts.push(format!(
                    "quantity {} \u{2192} {}",
                    e.old_quantity.as_deref().unwrap_or_default(),
                    e.new_quantity.as_deref().unwrap_or_default()
                ));
            }
            if e.old_unit_price != e.new_unit_price {
                parts.push(format!(
                    "unit price {} \u{2192} {}",
                    cur.format(e.old_unit_price.unwrap_or_default()),
                    cur.format(e.new_unit_price.unwrap_or_default())
                ));
            }
            if e.old_amount != e.new_amount {
                parts.push(format!(
                    "amount {} \u{2192} {}",
                    cur.format(e.old_amount.unwrap_or_default()),
                    cur.format(e.new_amount.unwrap_or_default())
                ));
            }
        }
        (None, Some(a)) => parts.push(format!("amount {}", cur.format(a))),
        (Some(a), None) => parts.push(format!("amount {} taken off", cur.format(a))),
        (None, None) => {}
    }
    ShownEdit {
        action: words::line_edit(&e.action),
        line: e
            .old_description
            .clone()
            .or_else(|| e.new_description.clone())
            .unwrap_or_default(),
        change: parts.join("; "),
        total: format!(
            "{} \u{2192} {}",
            cur.format(e.old_total),
            cur.format(e.new_total)
        ),
        by: e.edited_by_name.clone(),
        at: e.edited_at,
        reason: e.reason.clone(),
    }
}

impl InvoicePage {
    fn money(&self, amount: &Option<i64>) -> String {
        amount.map_or_else(String::new, |a| {
            Currency::or_plain(&self.v.invoice.currency).format(a)
        })
    }

    fn line_of(&self, position: &i32) -> String {
        // A line removed since keeps its name on the history.
        self.lines
            .iter()
            .find(|l| l.position == *position)
            .map(|l| l.description.clone())
            .or_else(|| {
                self.v
                    .edits
                    .iter()
                    .find(|e| e.position == *position)
                    .and_then(|e| e.old_description.clone())
            })
            .unwrap_or_default()
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
    let export_period = period.map_or_else(|| last_month.clone(), str::to_owned);
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
        export_period,
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
    let can_bill = policy::decide_billing(a.role, v.invoice.provider_id == a.org_id).allowed();
    let can_edit = can_bill && v.invoice.status == "draft";
    let editable = if can_edit {
        v.lines
            .iter()
            .filter(|l| l.kind != "tax")
            .map(|l| EditableLine {
                position: l.position,
                description: l.description.clone(),
                quantity: l.quantity.clone(),
                unit_price: cur.plain(l.unit_price),
                disputed: v
                    .disputes
                    .iter()
                    .any(|d| d.position == l.position && d.outcome.is_none()),
            })
            .collect()
    } else {
        Vec::new()
    };
    let edits = v.edits.iter().map(|e| shown_edit(&cur, e)).collect();
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
        can_bill,
        can_edit,
        editable,
        edits,
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

#[derive(Deserialize)]
pub(super) struct PeriodExportQuery {
    #[serde(default)]
    period: String,
    format: Option<String>,
}

/// Every invoice of a month the reader may see, as one sheet of lines, in
/// Xero's import, or as JSON; a month not understood shows the list again
/// saying so.
pub(super) async fn get_invoices_export(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<PeriodExportQuery>,
) -> Response {
    let format = q.format.as_deref().unwrap_or("csv");
    let asked = match parse_period(&q.period) {
        Ok(_) if !["csv", "xero", "json"].contains(&format) => {
            Err("Export as CSV, Xero import or JSON.".to_owned())
        }
        Ok(first) => Ok(first),
        Err(_) => Err(format!(
            "Month: {:?} is not a month; use YYYY-MM, e.g. 2026-11.",
            q.period.trim()
        )),
    };
    let first = match asked {
        Ok(first) => first,
        Err(message) => {
            return match list_page(&s, &session, None, None, Some(message)).await {
                Ok(p) => (StatusCode::BAD_REQUEST, p).into_response(),
                Err(e) => e.into_response(),
            };
        }
    };
    let all = match s.tandem.invoices_of_period(&session.actor, first).await {
        Ok(all) => all,
        Err(e) => return PageError::from(e).into_response(),
    };
    let period = q.period.trim();
    match format {
        "xero" => csv_file(
            &format!("invoices-{period}-xero.csv"),
            &xero_period_csv(&all),
        ),
        // The API's own shape: one array of the month's invoices.
        "json" => crate::api::invoices::period_json(all).into_response(),
        _ => csv_file(&format!("invoices-{period}.csv"), &period_csv(&all)),
    }
}

/// An amount typed into a form, negative for a credit; empty is none.
fn signed_amount(
    cur: &Currency,
    field: &'static str,
    raw: &str,
) -> Result<Option<i64>, ValidationError> {
    match raw.trim().strip_prefix('-') {
        Some(rest) => match cur.parse_amount(field, rest)? {
            Some(a) => Ok(Some(-a)),
            None => Err(ValidationError::new(
                field,
                "a minus needs an amount after it",
            )),
        },
        None => cur.parse_amount(field, raw),
    }
}

/// A line's position from the path; anything else names no line.
fn position_of(raw: &str) -> Result<i32, ServiceError> {
    raw.parse().map_err(|_| ServiceError::NotFound)
}

#[derive(Deserialize)]
pub(super) struct LineForm {
    version: i64,
    #[serde(default)]
    description: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    unit_price: String,
    /// Empty keeps quantity x unit price.
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

impl LineForm {
    fn input(&self, cur: &Currency) -> Result<LineInput, ServiceError> {
        let given = |raw: &str| Some(raw.to_owned()).filter(|r| !r.trim().is_empty());
        Ok(LineInput {
            description: Some(self.description.clone()),
            quantity: given(&self.quantity),
            unit_price: signed_amount(cur, "unit_price", &self.unit_price)?,
            amount: signed_amount(cur, "amount", &self.amount)?,
        })
    }
}

/// Add a line to a draft by hand (the provider's admin), saying why.
pub(super) async fn post_invoice_line_add(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<String>,
    CsrfForm(session, i): CsrfForm<LineForm>,
) -> Response {
    let r = async {
        let v = s.tandem.invoice(&session.actor, &id).await?;
        let input = i.input(&Currency::or_plain(&v.invoice.currency))?;
        s.tandem
            .add_invoice_line(&session.actor, &id, i.version, &input, &i.reason, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after_step(&s, &session, &id, r).await
}

/// Change a line of a draft by hand (the provider's admin), saying why.
pub(super) async fn post_invoice_line_edit(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((id, position)): Path<(String, String)>,
    CsrfForm(session, i): CsrfForm<LineForm>,
) -> Response {
    let r = async {
        let position = position_of(&position)?;
        let v = s.tandem.invoice(&session.actor, &id).await?;
        let input = i.input(&Currency::or_plain(&v.invoice.currency))?;
        s.tandem
            .edit_invoice_line(
                &session.actor,
                &id,
                i.version,
                position,
                &input,
                &i.reason,
                &meta,
            )
            .await
            .map(|_| ())
    }
    .await;
    after_step(&s, &session, &id, r).await
}

#[derive(Deserialize)]
pub(super) struct RemoveLineForm {
    version: i64,
    #[serde(default)]
    reason: String,
}

/// Remove a line from a draft (the provider's admin), saying why.
pub(super) async fn post_invoice_line_remove(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((id, position)): Path<(String, String)>,
    CsrfForm(session, i): CsrfForm<RemoveLineForm>,
) -> Response {
    let r = match position_of(&position) {
        Ok(position) => s
            .tandem
            .remove_invoice_line(&session.actor, &id, i.version, position, &i.reason, &meta)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    after_step(&s, &session, &id, r).await
}
