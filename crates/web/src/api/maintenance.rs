//! A client's maintenance windows: list, create (one-off or weekly) and
//! delete. Alerts inside a window are recorded but open no ticket.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::{AlertSourceId, MaintenanceWindowId, OrgId};
use tandem_service::RequestMeta;
use tandem_service::maintenance::{NewMaintenanceWindow, NewSchedule, WindowView};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// How a window recurs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// Between two instants.
    Once,
    /// Every chosen weekday from a local time.
    Weekly,
}

/// A maintenance window.
#[derive(Serialize, ToSchema)]
pub struct MaintenanceWindowDto {
    id: MaintenanceWindowId,
    client_id: OrgId,
    /// The one source it is limited to (none: all the client's sources).
    source_id: Option<String>,
    source_name: Option<String>,
    reason: String,
    kind: WindowKind,
    /// One-off: first instant inside (epoch ms).
    starts_at: Option<i64>,
    /// One-off: first instant outside (epoch ms).
    ends_at: Option<i64>,
    /// Weekly: `mon` ... `sun`.
    weekdays: Vec<String>,
    /// Weekly: local `HH:MM` in `time_zone`.
    start_time: Option<String>,
    /// Weekly: length of each occurrence.
    duration_minutes: Option<i64>,
    /// The client's calendar zone weekly times are read in.
    time_zone: String,
    /// Whether it holds alerts back now.
    active: bool,
    /// The occurrence running now, or the next one: start (epoch ms).
    next_starts_at: Option<i64>,
    /// ... and its end (epoch ms).
    next_ends_at: Option<i64>,
    created_at: i64,
}

impl From<WindowView> for MaintenanceWindowDto {
    fn from(v: WindowView) -> Self {
        let w = v.window;
        Self {
            id: w.id,
            client_id: w.client_id,
            source_id: w.source_id,
            source_name: v.source_name,
            reason: w.reason,
            kind: if w.weekdays.is_some() {
                WindowKind::Weekly
            } else {
                WindowKind::Once
            },
            starts_at: w.starts_at,
            ends_at: w.ends_at,
            weekdays: v
                .schedule
                .weekday_names()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            start_time: w.start_time,
            duration_minutes: w.duration_minutes,
            time_zone: v.time_zone,
            active: v.active,
            next_starts_at: v.next.map(|(s, _)| s),
            next_ends_at: v.next.map(|(_, e)| e),
            created_at: w.created_at,
        }
    }
}

/// A window to create: `once` with `starts_at` and `ends_at`, or `weekly`
/// with `weekdays`, `start_time` and `duration_minutes`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMaintenanceWindowBody {
    /// Why (1-200 characters), shown beside the alerts it holds.
    reason: String,
    kind: WindowKind,
    /// Limit it to one of the client's sources.
    source_id: Option<AlertSourceId>,
    /// Once: RFC 3339, or a local `YYYY-MM-DDTHH:MM` in the client's zone.
    starts_at: Option<String>,
    /// Once: as `starts_at`; at most 90 days later.
    ends_at: Option<String>,
    /// Weekly: `mon` ... `sun`.
    weekdays: Option<Vec<String>>,
    /// Weekly: local `HH:MM` in the client's calendar zone.
    start_time: Option<String>,
    /// Weekly: 1-10080.
    duration_minutes: Option<i64>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_maintenance_windows, post_maintenance_window))
        .routes(routes!(delete_maintenance_window))
}

/// A client's maintenance windows that are not over: those active now
/// first, then by their next occurrence.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/maintenance-windows", tag = "alerts",
    params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [MaintenanceWindowDto]), (status = 404, body = ProblemBody)))]
async fn list_maintenance_windows(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<MaintenanceWindowDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .maintenance_windows(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create a maintenance window (either side's admin). Alerts inside it are
/// recorded but open no ticket; one still firing after it opens its ticket
/// the next time it is sent. Weekly times are local to the client's
/// calendar zone (across DST a time in the gap is read an hour later; the
/// duration is elapsed time).
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/maintenance-windows", tag = "alerts",
    params(("client_id" = OrgId, Path)), request_body = NewMaintenanceWindowBody,
    responses((status = 201, body = MaintenanceWindowDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn post_maintenance_window(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<NewMaintenanceWindowBody>,
) -> Result<(StatusCode, Json<MaintenanceWindowDto>), ApiError> {
    let schedule = match b.kind {
        WindowKind::Once => NewSchedule::Once {
            starts_at: b.starts_at.unwrap_or_default(),
            ends_at: b.ends_at.unwrap_or_default(),
        },
        WindowKind::Weekly => NewSchedule::Weekly {
            weekdays: b.weekdays.unwrap_or_default(),
            start_time: b.start_time.unwrap_or_default(),
            duration_minutes: b.duration_minutes.unwrap_or(0),
        },
    };
    let input = NewMaintenanceWindow {
        reason: b.reason,
        source_id: b.source_id,
        schedule,
    };
    let w = s
        .tandem
        .create_maintenance_window(&a, client, &input, &meta)
        .await?;
    Ok((StatusCode::CREATED, Json(w.into())))
}

/// Delete a maintenance window (either side's admin): alerts it held open
/// their tickets the next time they are sent firing.
#[utoipa::path(delete, path = "/api/v1/clients/{client_id}/maintenance-windows/{window_id}", tag = "alerts",
    params(("client_id" = OrgId, Path), ("window_id" = MaintenanceWindowId, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn delete_maintenance_window(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, MaintenanceWindowId)>,
) -> Result<StatusCode, ApiError> {
    s.tandem
        .delete_maintenance_window(&a, client, id, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
