//! Invoices: the monthly run, issue and void, and a draft's lines changed
//! by hand with a reason (the provider's admin); both sides read them, one
//! or a month at a time, as JSON, as CSV, or in the columns of Xero's
//! sales-invoice import.

use super::versions::{IfMatch, with_etag};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, Problem, ProblemBody};
use crate::exports;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::{OrgId, ValidationError};
use tandem_service::invoices::{InvoiceView, LineInput, parse_period};
use tandem_service::model::Invoice;
use tandem_service::{RequestMeta, ServiceError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An invoice without its lines.
#[derive(Serialize, ToSchema)]
pub struct InvoiceSummaryDto {
    id: String,
    agreement_id: String,
    client_id: OrgId,
    provider_id: OrgId,
    /// `YYYY-MM`.
    period: String,
    /// `draft`, `issued` or `void`.
    status: String,
    /// In the provider's sequence, once issued.
    number: Option<i64>,
    currency: String,
    /// Minor units (cents).
    total: i64,
    /// Send it back in `If-Match` to change it (issue, void, dispute, edit lines).
    version: i64,
    created_at: i64,
    issued_at: Option<i64>,
    voided_at: Option<i64>,
    void_reason: Option<String>,
}

impl From<Invoice> for InvoiceSummaryDto {
    fn from(i: Invoice) -> Self {
        Self {
            id: i.id,
            agreement_id: i.agreement_id,
            client_id: i.client_id,
            provider_id: i.provider_id,
            period: i.period,
            status: i.status,
            number: i.number,
            currency: i.currency,
            total: i.total,
            version: i.version,
            created_at: i.created_at,
            issued_at: i.issued_at,
            voided_at: i.voided_at,
            void_reason: i.void_reason,
        }
    }
}

/// One line, with the time entries behind it.
#[derive(Serialize, ToSchema)]
pub struct LineDto {
    /// Its place on the invoice (a dispute names it).
    position: i32,
    /// `users`, `devices`, `retainer`, `block_purchase`, `block_draw`,
    /// `hourly`, `overage`, `excluded_work`, `unpriced`, `sla_credit`,
    /// `credit_cap`, `manual` (added by hand to a draft), `tax` (always
    /// last).
    kind: String,
    description: String,
    /// A decimal number.
    quantity: String,
    unit_price: i64,
    amount: i64,
    work_ids: Vec<String>,
}

/// An invoice with its lines.
#[derive(Serialize, ToSchema)]
pub struct InvoiceDto {
    #[serde(flatten)]
    summary: InvoiceSummaryDto,
    client_name: String,
    provider_name: String,
    lines: Vec<LineDto>,
    warnings: Vec<String>,
    disputes: Vec<DisputeDto>,
    /// Lines changed, added and removed by hand, oldest first.
    edits: Vec<LineEditDto>,
}

/// A line changed, added or removed by hand on a draft, and why.
#[derive(Serialize, ToSchema)]
pub struct LineEditDto {
    id: String,
    /// The line's position.
    line: i32,
    /// `changed`, `added` or `removed`.
    action: String,
    /// The line's kind (`manual` for a line added by hand).
    kind: String,
    /// The line before (absent for an added line).
    old_description: Option<String>,
    old_quantity: Option<String>,
    old_unit_price: Option<i64>,
    old_amount: Option<i64>,
    /// The line after (absent for a removed line).
    new_description: Option<String>,
    new_quantity: Option<String>,
    new_unit_price: Option<i64>,
    new_amount: Option<i64>,
    /// The invoice's total before, and after (the tax follows the lines).
    old_total: i64,
    new_total: i64,
    reason: String,
    /// Who, by name.
    edited_by: String,
    edited_at: i64,
}

/// A disputed line and its answer.
#[derive(Serialize, ToSchema)]
pub struct DisputeDto {
    id: String,
    /// The line's position.
    line: i32,
    reason: String,
    raised_by: String,
    raised_at: i64,
    /// `adjusted` or `kept`, once answered.
    outcome: Option<String>,
    answer: Option<String>,
    old_amount: Option<i64>,
    new_amount: Option<i64>,
    answered_at: Option<i64>,
}

fn dto(v: InvoiceView) -> InvoiceDto {
    InvoiceDto {
        lines: v
            .lines
            .into_iter()
            .map(|l| LineDto {
                position: l.position,
                kind: l.kind,
                description: l.description,
                quantity: l.quantity,
                unit_price: l.unit_price,
                amount: l.amount,
                work_ids: serde_json::from_str(&l.work_ids).unwrap_or_default(),
            })
            .collect(),
        warnings: v.warnings,
        disputes: v
            .disputes
            .into_iter()
            .map(|d| DisputeDto {
                id: d.id,
                line: d.position,
                reason: d.reason,
                raised_by: d.raised_by_name,
                raised_at: d.raised_at,
                outcome: d.outcome,
                answer: d.answer,
                old_amount: d.old_amount,
                new_amount: d.new_amount,
                answered_at: d.answered_at,
            })
            .collect(),
        edits: v
            .edits
            .into_iter()
            .map(|e| LineEditDto {
                id: e.id,
                line: e.position,
                action: e.action,
                kind: e.kind,
                old_description: e.old_description,
                old_quantity: e.old_quantity,
                old_unit_price: e.old_unit_price,
                old_amount: e.old_amount,
                new_description: e.new_description,
                new_quantity: e.new_quantity,
                new_unit_price: e.new_unit_price,
                new_amount: e.new_amount,
                old_total: e.old_total,
                new_total: e.new_total,
                reason: e.reason,
                edited_by: e.edited_by_name,
                edited_at: e.edited_at,
            })
            .collect(),
        client_name: v.client_name,
        provider_name: v.provider_name,
        summary: v.invoice.into(),
    }
}

/// Which month to run.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// `YYYY-MM`.
    period: String,
}

/// What a run did.
#[derive(Serialize, ToSchema)]
pub struct RunDto {
    /// Drafts made.
    created: Vec<String>,
    /// Agreements that had their invoice for the month already.
    existing: usize,
    /// Agreements not running in the month.
    not_running: usize,
}

/// Why an invoice is void.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    reason: String,
}

/// A line disputed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    /// The line's position.
    line: i32,
    reason: String,
}

/// The provider's answer to a dispute.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// The line's new amount (minor units) to adjust it; absent keeps it.
    #[serde(default)]
    amount: Option<i64>,
    /// Why, either way.
    answer: String,
}

/// A draft's line changed by hand: what is left out stays as it is. A new
/// `amount` makes the line one of that amount; a new `quantity` or
/// `unit_price` works the amount out from both (not with `amount`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    /// Why; kept on the invoice's history.
    reason: String,
    #[serde(default)]
    description: Option<String>,
    /// A decimal number, e.g. `"5.5"`.
    #[serde(default)]
    quantity: Option<String>,
    /// Minor units (cents).
    #[serde(default)]
    unit_price: Option<i64>,
    /// Minor units (cents); negative for a credit.
    #[serde(default)]
    amount: Option<i64>,
}

impl LineBody {
    fn input(self) -> (String, LineInput) {
        (
            self.reason,
            LineInput {
                description: self.description,
                quantity: self.quantity,
                unit_price: self.unit_price,
                amount: self.amount,
            },
        )
    }
}

/// Why a line is removed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoveLineBody {
    /// Kept on the invoice's history.
    reason: String,
}

/// Which month to export, and how.
#[derive(Deserialize, IntoParams)]
pub struct PeriodExportQuery {
    /// `YYYY-MM`.
    period: Option<String>,
    /// `json` (the default: an array of invoices), `csv` (every line of
    /// every invoice, each row naming its invoice), or `xero` (Xero's
    /// sales-invoice import, void invoices left out).
    format: Option<String>,
}

/// Narrow the list.
#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    client: Option<OrgId>,
    /// `YYYY-MM`.
    period: Option<String>,
}

/// How to export.
#[derive(Deserialize, IntoParams)]
pub struct FormatQuery {
    /// `json` (the default), `csv`, or `xero` (the columns of Xero's
    /// sales-invoice CSV import).
    format: Option<String>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(post_run))
        .routes(routes!(list_invoices))
        .routes(routes!(get_invoice))
        .routes(routes!(post_issue))
        .routes(routes!(post_void))
        .routes(routes!(post_dispute))
        .routes(routes!(post_answer))
        .routes(routes!(export_invoices))
        .routes(routes!(post_line))
        .routes(routes!(patch_line, delete_line))
}

/// Run the month for the provider's active agreements (its admin): one
/// draft each; running it again makes nothing new.
#[utoipa::path(post, path = "/api/v1/invoices/run", tag = "invoices", request_body = RunBody,
    responses((status = 200, body = RunDto), (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_run(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<RunBody>,
) -> Result<Json<RunDto>, ApiError> {
    let first = parse_period(&b.period)?;
    let out = s.tandem.run_invoices(Some(&a), first, &meta).await?;
    Ok(Json(RunDto {
        created: out.created,
        existing: out.existing,
        not_running: out.not_running,
    }))
}

/// The invoices the caller may see, newest month first.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "invoices", params(ListQuery),
    responses((status = 200, body = [InvoiceSummaryDto]), (status = 404, body = ProblemBody)))]
async fn list_invoices(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<InvoiceSummaryDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .invoices(&a, q.client, q.period.as_deref())
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// One invoice with its lines and the work behind each; `?format=csv` or
/// `?format=xero` for a spreadsheet.
#[utoipa::path(get, path = "/api/v1/invoices/{invoice_id}", tag = "invoices",
    params(("invoice_id" = String, Path), FormatQuery),
    responses((status = 200, body = InvoiceDto), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn get_invoice(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    let v = s.tandem.invoice(&a, &id).await?;
    match q.format.as_deref().unwrap_or("json") {
        "json" => {
            let version = v.invoice.version;
            Ok(with_etag(version, Json(dto(v))))
        }
        "csv" => Ok(exports::csv_answer(&v, &exports::lines_csv(&v), "")),
        "xero" => Ok(exports::csv_answer(&v, &exports::xero_csv(&v), "-xero")),
        _ => {
            Err(ServiceError::from(ValidationError::new("format", "use json, csv or xero")).into())
        }
    }
}

/// Issue a draft (the provider's admin): it takes the provider's next
/// number and its time is locked. Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice_id}/issue", tag = "invoices",
    params(("invoice_id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = InvoiceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody)))]
async fn post_issue(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    let v = s.tandem.issue_invoice(&a, &id, version, &meta).await?;
    let version = v.invoice.version;
    Ok(with_etag(version, Json(dto(v))))
}

/// Void an invoice with a reason (the provider's admin); a corrected
/// invoice is a new one. Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice_id}/void", tag = "invoices",
    params(("invoice_id" = String, Path), ("If-Match" = String, Header)), request_body = VoidBody,
    responses((status = 200, body = InvoiceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_void(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<VoidBody>,
) -> Result<Response, ApiError> {
    let v = s
        .tandem
        .void_invoice(&a, &id, version, &b.reason, &meta)
        .await?;
    let version = v.invoice.version;
    Ok(with_etag(version, Json(dto(v))))
}

/// Dispute a line of a draft (the client's admin). Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice_id}/disputes", tag = "invoices",
    params(("invoice_id" = String, Path), ("If-Match" = String, Header)), request_body = DisputeBody,
    responses((status = 200, body = InvoiceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_dispute(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<DisputeBody>,
) -> Result<Response, ApiError> {
    let v = s
        .tandem
        .dispute_line(&a, &id, version, b.line, &b.reason, &meta)
        .await?;
    let version = v.invoice.version;
    Ok(with_etag(version, Json(dto(v))))
}

/// Answer a dispute (the provider's admin): adjust the line to `amount`, or
/// keep it; explain either way. The tax follows. Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice_id}/disputes/{dispute_id}/answer", tag = "invoices",
    params(("invoice_id" = String, Path), ("dispute_id" = String, Path), ("If-Match" = String, Header)), request_body = AnswerBody,
    responses((status = 200, body = InvoiceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_answer(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((id, dispute)): Path<(String, String)>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<AnswerBody>,
) -> Result<Response, ApiError> {
    let v = s
        .tandem
        .answer_dispute(&a, &id, version, &dispute, b.amount, &b.answer, &meta)
        .await?;
    let version = v.invoice.version;
    Ok(with_etag(version, Json(dto(v))))
}

/// A month's invoices as JSON, the shape the API answers (the pages'
/// export borrows it).
pub(crate) fn period_json(all: Vec<InvoiceView>) -> Json<Vec<InvoiceDto>> {
    Json(all.into_iter().map(dto).collect())
}

/// A line's position from the path; anything else names no line.
fn position_of(raw: &str) -> Result<i32, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::from(ServiceError::NotFound))
}

/// Every invoice of a month the caller may read (the same the list shows):
/// JSON, CSV or Xero's import, each invoice as its own export has it.
#[utoipa::path(get, path = "/api/v1/invoices/export", tag = "invoices", params(PeriodExportQuery),
    responses((status = 200, body = [InvoiceDto]), (status = 400, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn export_invoices(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(q): Query<PeriodExportQuery>,
) -> Result<Response, ApiError> {
    let bad = |field: &str, detail: &str| ApiError(Problem::bad_input(Some(field.into()), detail));
    let raw = q.period.as_deref().unwrap_or("");
    let first = parse_period(raw).map_err(|_| bad("period", "use YYYY-MM, e.g. 2026-11"))?;
    let format = q.format.as_deref().unwrap_or("json");
    if !["json", "csv", "xero"].contains(&format) {
        return Err(bad("format", "use json, csv or xero"));
    }
    let all = s.tandem.invoices_of_period(&a, first).await?;
    let period = raw.trim();
    Ok(match format {
        "csv" => exports::csv_file(
            &format!("invoices-{period}.csv"),
            &exports::period_csv(&all),
        ),
        "xero" => exports::csv_file(
            &format!("invoices-{period}-xero.csv"),
            &exports::xero_period_csv(&all),
        ),
        _ => period_json(all).into_response(),
    })
}

/// Add a line to a draft by hand (the provider's admin), saying why: a
/// one-off charge, or a credit with a negative amount; its kind is
/// `manual`. Give `description` and `amount`, or `quantity` and
/// `unit_price`. The tax and the total follow. Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/invoices/{invoice_id}/lines", tag = "invoices",
    params(("invoice_id" = String, Path), ("If-Match" = String, Header)), request_body = LineBody,
    responses((status = 200, body = InvoiceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_line(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<LineBody>,
) -> Result<Response, ApiError> {
    let (reason, input) = b.input();
    let v = s
        .tandem
        .add_invoice_line(&a, &id, version, &input, &reason, &meta)
        .await?;
    let version = v.invoice.version;
    Ok(with_etag(version, Json(dto(v))))
}

/// Change a line of a draft by hand (the provider's admin), saying why:
/// its description, and its amount or its quantity and unit price. Not
/// the tax (it follows the other lines), not a line whose dispute awaits
/// an answer, and not on an issued or void invoice (409). Requires
/// `If-Match`.
#[utoipa::path(patch, path = "/api/v1/invoices/{invoice_id}/lines/{position}", tag = "invoices",
    params(("invoice_id" = String, Path), ("position" = i32, Path), ("If-Match" = String, Header)), request_body = LineBody,
    responses((status = 200, body = InvoiceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn patch_line(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((id, position)): Path<(String, String)>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<LineBody>,
) -> Result<Response, ApiError> {
    let position = position_of(&position)?;
    let (reason, input) = b.input();
    let v = s
        .tandem
        .edit_invoice_line(&a, &id, version, position, &input, &reason, &meta)
        .await?;
    let version = v.invoice.version;
    Ok(with_etag(version, Json(dto(v))))
}

/// Remove a line from a draft (the provider's admin), saying why; the tax
/// and the total follow. Requires `If-Match`.
#[utoipa::path(delete, path = "/api/v1/invoices/{invoice_id}/lines/{position}", tag = "invoices",
    params(("invoice_id" = String, Path), ("position" = i32, Path), ("If-Match" = String, Header)), request_body = RemoveLineBody,
    responses((status = 200, body = InvoiceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn delete_line(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((id, position)): Path<(String, String)>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<RemoveLineBody>,
) -> Result<Response, ApiError> {
    let position = position_of(&position)?;
    let v = s
        .tandem
        .remove_invoice_line(&a, &id, version, position, &b.reason, &meta)
        .await?;
    let version = v.invoice.version;
    Ok(with_etag(version, Json(dto(v))))
}
