//! Invoices: the monthly run, issue and void (the provider's admin); both
//! sides read them, as JSON, as CSV, or in the columns of Xero's
//! sales-invoice import.

use super::versions::{IfMatch, with_etag};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use crate::exports;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::{OrgId, ValidationError};
use tandem_service::invoices::{InvoiceView, parse_period};
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
    /// Send it back in `If-Match` to issue or void.
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
    /// `credit_cap`, `tax`.
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
