//! Time on tickets: logged by either side's staff, read by both; provider
//! entries say how the agreement in force pays for them.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::{OrgId, TicketId, ValidationError};
use tandem_service::RequestMeta;
use tandem_service::ServiceError;
use tandem_service::model::TimeEntry;
use tandem_service::time::{NewTime, TicketTime, TimeLine};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A time entry.
#[derive(Serialize, ToSchema)]
pub struct TimeEntryDto {
    id: String,
    ticket_id: String,
    user_id: String,
    user_name: String,
    /// `provider` or `in_house`.
    side: String,
    started_at: i64,
    /// Negative only in a correction.
    minutes: i64,
    category: String,
    category_name: String,
    /// In scope by the split when it was logged.
    in_scope: bool,
    /// Outside the client's business hours when it started.
    after_hours: bool,
    note: String,
    /// The issued invoice it is on (then it is locked).
    invoice_id: Option<String>,
    /// The entry it corrects.
    corrects: Option<String>,
    /// How the agreement in force pays for it, and why.
    why: Option<String>,
}

fn dto(e: TimeEntry, why: Option<String>) -> TimeEntryDto {
    TimeEntryDto {
        id: e.id,
        ticket_id: e.ticket_id,
        user_id: e.user_id,
        user_name: e.user_name,
        side: e.side,
        started_at: e.started_at,
        minutes: e.minutes,
        category: e.category_key,
        category_name: e.category_name,
        in_scope: e.in_scope,
        after_hours: e.after_hours,
        note: e.note,
        invoice_id: e.invoice_id,
        corrects: e.corrects,
        why,
    }
}

/// Entries with both sides' totals.
#[derive(Serialize, ToSchema)]
pub struct TimeDto {
    entries: Vec<TimeEntryDto>,
    in_house_minutes: i64,
    provider_minutes: i64,
}

impl From<TicketTime> for TimeDto {
    fn from(t: TicketTime) -> Self {
        Self {
            entries: t
                .lines
                .into_iter()
                .map(|TimeLine { entry, why }| dto(entry, why))
                .collect(),
            in_house_minutes: t.in_house_minutes,
            provider_minutes: t.provider_minutes,
        }
    }
}

/// Time to log.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTimeBody {
    /// Minutes worked; negative only with `corrects`.
    minutes: i64,
    /// When the work started (RFC 3339); now less its length if absent.
    #[serde(default)]
    started_at: Option<String>,
    /// The work category's key; the ticket's own if absent.
    #[serde(default)]
    category: Option<String>,
    #[serde(default)]
    note: String,
    /// The id of an entry this corrects.
    #[serde(default)]
    corrects: Option<String>,
}

/// Which month.
#[derive(Deserialize, IntoParams)]
pub struct MonthQuery {
    /// `YYYY-MM`, in the client's calendar zone.
    month: String,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_ticket_time, post_ticket_time))
        .routes(routes!(get_client_time))
}

/// A ticket's time (staff of both sides; not requesters).
#[utoipa::path(get, path = "/api/v1/tickets/{ticket_id}/time", tag = "time", params(("ticket_id" = TicketId, Path)),
    responses((status = 200, body = TimeDto), (status = 404, body = ProblemBody)))]
async fn get_ticket_time(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
) -> Result<Json<TimeDto>, ApiError> {
    Ok(Json(s.tandem.ticket_time(&a, id).await?.into()))
}

/// Log time on a ticket (staff who work the client's tickets).
#[utoipa::path(post, path = "/api/v1/tickets/{ticket_id}/time", tag = "time", params(("ticket_id" = TicketId, Path)),
    request_body = NewTimeBody,
    responses((status = 201, body = TimeEntryDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_ticket_time(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
    ApiJson(b): ApiJson<NewTimeBody>,
) -> Result<(StatusCode, Json<TimeEntryDto>), ApiError> {
    let started_at = match b.started_at.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(
            raw.parse::<jiff::Timestamp>()
                .map_err(|_| {
                    ServiceError::from(ValidationError::new(
                        "started_at",
                        "use RFC 3339, e.g. 2026-11-24T14:30:00Z",
                    ))
                })?
                .as_millisecond(),
        ),
    };
    let input = NewTime {
        started_at,
        minutes: b.minutes,
        category: b.category,
        note: b.note,
        corrects: b.corrects,
    };
    let e = s.tandem.log_time(&a, id, &input, &meta).await?;
    Ok((StatusCode::CREATED, Json(dto(e, None))))
}

/// A client's time in one month, each provider entry with how it is paid.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/time", tag = "time", params(("client_id" = OrgId, Path), MonthQuery),
    responses((status = 200, body = TimeDto), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn get_client_time(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<MonthQuery>,
) -> Result<Json<TimeDto>, ApiError> {
    let month: jiff::civil::Date = format!("{}-01", q.month.trim()).parse().map_err(|_| {
        ServiceError::from(ValidationError::new("month", "use YYYY-MM, e.g. 2026-11"))
    })?;
    Ok(Json(s.tandem.client_time(&a, client, month).await?.into()))
}
