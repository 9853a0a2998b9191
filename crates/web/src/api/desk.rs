//! The desk of a client's engagement: the responsibility split and its
//! history, categories, the calendar, SLA policies with a deadline preview,
//! the priority matrix; and the caller's notifications.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::ticket::{OwnerSide, Priority, PriorityMatrix, TicketStatus};
use tandem_domain::{OrgId, UserId};
use tandem_service::RequestMeta;
use tandem_service::desk::{CalendarSpec, Policy};
use tandem_service::desk_setup::{DeskSetup, SplitEdit};
use tandem_service::model::{Notification, SplitChange, SplitRow};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One line of the split.
#[derive(Serialize, ToSchema)]
pub struct SplitLineDto {
    category: String,
    category_name: String,
    business_hours: String,
    after_hours: String,
    provider_assignee: Option<String>,
    in_house_assignee: Option<String>,
    in_scope: bool,
}

impl From<SplitRow> for SplitLineDto {
    fn from(l: SplitRow) -> Self {
        Self {
            category: l.category_key,
            category_name: l.category_name,
            business_hours: l.business_hours,
            after_hours: l.after_hours,
            provider_assignee: l.provider_assignee,
            in_house_assignee: l.in_house_assignee,
            in_scope: l.in_scope,
        }
    }
}

/// An SLA policy line.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyDto {
    response_minutes: i64,
    resolution_minutes: i64,
    /// Runs 24x7 instead of on the client's business hours.
    around_the_clock: bool,
    /// Statuses that pause the clocks.
    pause_statuses: Vec<TicketStatus>,
    /// Warn at this share of the target (1-99).
    warn_percent: i64,
}

impl From<Policy> for PolicyDto {
    fn from(p: Policy) -> Self {
        Self {
            response_minutes: p.response_minutes,
            resolution_minutes: p.resolution_minutes,
            around_the_clock: p.around_the_clock,
            pause_statuses: p.pause_statuses,
            warn_percent: p.warn_percent,
        }
    }
}

/// The desk of a client's active engagement.
#[derive(Serialize, ToSchema)]
pub struct DeskDto {
    engagement_id: String,
    split: Vec<SplitLineDto>,
    calendar: CalendarSpec,
    /// Policy per priority (`p1`..`p4`).
    policies: Vec<(Priority, PolicyDto)>,
    matrix: PriorityMatrix,
}

impl From<DeskSetup> for DeskDto {
    fn from(d: DeskSetup) -> Self {
        Self {
            engagement_id: d.engagement.id.to_string(),
            split: d.split.into_iter().map(Into::into).collect(),
            calendar: d.calendar,
            policies: d
                .policies
                .into_iter()
                .map(|(p, pol)| (p, pol.into()))
                .collect(),
            matrix: d.matrix,
        }
    }
}

/// A change of one split line.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitLineBody {
    business_hours: OwnerSide,
    after_hours: OwnerSide,
    provider_assignee: Option<UserId>,
    in_house_assignee: Option<UserId>,
    in_scope: bool,
}

/// A change in the split's history.
#[derive(Serialize, ToSchema)]
pub struct SplitChangeDto {
    category: String,
    at: i64,
    by: String,
    /// Their name as it is now.
    by_name: Option<String>,
    side: Option<String>,
    change: serde_json::Value,
}

impl From<SplitChange> for SplitChangeDto {
    fn from(c: SplitChange) -> Self {
        Self {
            category: c.category_key,
            at: c.at,
            by: c.actor_label,
            by_name: c.actor_name,
            side: c.actor_side,
            change: serde_json::from_str(&c.change).unwrap_or_default(),
        }
    }
}

/// A new category.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryBody {
    key: String,
    name: String,
}

/// Deadline preview parameters.
#[derive(Deserialize, IntoParams)]
pub struct PreviewQuery {
    priority: Priority,
    /// The opening instant, RFC 3339 (e.g. `2026-12-24T16:30:00Z`).
    opened_at: String,
}

/// The deadlines a ticket opened then would get.
#[derive(Serialize, ToSchema)]
pub struct PreviewDto {
    opened_at: String,
    response_due: String,
    resolution_due: String,
}

/// An in-app notification.
#[derive(Serialize, ToSchema)]
pub struct NotificationDto {
    id: String,
    kind: String,
    text: String,
    ticket_id: Option<String>,
    created_at: i64,
    read: bool,
}

impl From<Notification> for NotificationDto {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id.to_string(),
            kind: n.kind,
            text: n.text,
            ticket_id: n.ticket_id,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        }
    }
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_desk))
        .routes(routes!(put_split_line))
        .routes(routes!(get_split_history))
        .routes(routes!(post_category))
        .routes(routes!(put_calendar))
        .routes(routes!(put_sla_policy))
        .routes(routes!(get_sla_preview))
        .routes(routes!(put_priority_matrix))
        .routes(routes!(list_notifications))
        .routes(routes!(post_notifications_read))
}

/// The split, calendar, SLA policies and priority matrix of a client's active engagement.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/desk", tag = "desk", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = DeskDto), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody)))]
async fn get_desk(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<DeskDto>, ApiError> {
    Ok(Json(s.tandem.desk_setup(&a, client).await?.into()))
}

/// Change one line of the split (the client admin or the provider admin).
#[utoipa::path(put, path = "/api/v1/clients/{client_id}/split/{category}", tag = "desk", params(("client_id" = OrgId, Path), ("category" = String, Path)),
    request_body = SplitLineBody, responses((status = 200, body = SplitLineDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn put_split_line(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, category)): Path<(OrgId, String)>,
    ApiJson(b): ApiJson<SplitLineBody>,
) -> Result<Json<SplitLineDto>, ApiError> {
    let edit = SplitEdit {
        category,
        business_hours: b.business_hours,
        after_hours: b.after_hours,
        provider_assignee: b.provider_assignee,
        in_house_assignee: b.in_house_assignee,
        in_scope: b.in_scope,
    };
    Ok(Json(
        s.tandem.edit_split(&a, client, &edit, &meta).await?.into(),
    ))
}

/// Every change of the split, newest first.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/split/history", tag = "desk", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [SplitChangeDto]), (status = 404, body = ProblemBody)))]
async fn get_split_history(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<SplitChangeDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .split_history(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Add a work category of the client's own.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/categories", tag = "desk", params(("client_id" = OrgId, Path)),
    request_body = CategoryBody, responses((status = 201), (status = 403, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_category(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<CategoryBody>,
) -> Result<StatusCode, ApiError> {
    s.tandem
        .add_category(&a, client, &b.key, &b.name, &meta)
        .await?;
    Ok(StatusCode::CREATED)
}

/// Replace the client's business-hours calendar.
#[utoipa::path(put, path = "/api/v1/clients/{client_id}/calendar", tag = "desk", params(("client_id" = OrgId, Path)),
    request_body = CalendarSpec, responses((status = 204), (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn put_calendar(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<CalendarSpec>,
) -> Result<StatusCode, ApiError> {
    s.tandem.set_calendar(&a, client, &b, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replace the SLA policy of one priority.
#[utoipa::path(put, path = "/api/v1/clients/{client_id}/sla/{priority}", tag = "desk", params(("client_id" = OrgId, Path), ("priority" = Priority, Path)),
    request_body = PolicyDto, responses((status = 204), (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn put_sla_policy(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, priority)): Path<(OrgId, Priority)>,
    ApiJson(b): ApiJson<PolicyDto>,
) -> Result<StatusCode, ApiError> {
    let p = Policy {
        response_minutes: b.response_minutes,
        resolution_minutes: b.resolution_minutes,
        around_the_clock: b.around_the_clock,
        pause_statuses: b.pause_statuses,
        warn_percent: b.warn_percent,
    };
    s.tandem.set_policy(&a, client, priority, &p, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The response and resolution deadlines a ticket opened at an instant would get.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/sla/preview", tag = "desk", params(("client_id" = OrgId, Path), PreviewQuery),
    responses((status = 200, body = PreviewDto), (status = 400, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn get_sla_preview(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<PreviewQuery>,
) -> Result<Json<PreviewDto>, ApiError> {
    let opened: jiff::Timestamp = q.opened_at.parse().map_err(|_| {
        crate::error::Problem::bad_input(
            Some("opened_at".into()),
            "use RFC 3339, e.g. 2026-12-24T16:30:00Z",
        )
    })?;
    let (response, resolution) = s
        .tandem
        .preview_deadlines(&a, client, q.priority, opened.as_millisecond())
        .await?;
    let fmt = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_string())
            .unwrap_or_default()
    };
    Ok(Json(PreviewDto {
        opened_at: opened.to_string(),
        response_due: fmt(response),
        resolution_due: fmt(resolution),
    }))
}

/// Replace the priority matrix (rows: impact high..low; columns: urgency high..low).
#[utoipa::path(put, path = "/api/v1/clients/{client_id}/priority-matrix", tag = "desk", params(("client_id" = OrgId, Path)),
    request_body = PriorityMatrix, responses((status = 204), (status = 403, body = ProblemBody)))]
async fn put_priority_matrix(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<PriorityMatrix>,
) -> Result<StatusCode, ApiError> {
    s.tandem.set_priority_matrix(&a, client, &b, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's notifications, newest first.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "notifications", responses((status = 200, body = [NotificationDto])))]
async fn list_notifications(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<NotificationDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .notifications(&a, 100)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Mark all of the caller's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read", tag = "notifications", responses((status = 204)))]
async fn post_notifications_read(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<StatusCode, ApiError> {
    s.tandem.mark_notifications_read(&a).await?;
    Ok(StatusCode::NO_CONTENT)
}
