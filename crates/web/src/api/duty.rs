//! Who is on duty after hours: a client's weekly rota per side and its
//! overrides (both sides read both; each side's admin changes its own),
//! and who is on duty at a given instant.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tandem_domain::duty::{DutyBasis, rota_side};
use tandem_domain::{OrgId, UserId, ValidationError};
use tandem_service::duty::{OnDutyView, OverrideInput, OverrideRow, SideDuty, SlotInput, SlotRow};
use tandem_service::{RequestMeta, ServiceError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One slot of a side's week, in the client's local time.
#[derive(Serialize, ToSchema)]
pub struct DutySlotDto {
    id: String,
    /// `mon`..`sun`.
    start_day: String,
    /// `HH:MM`.
    start_time: String,
    /// `mon`..`sun`; the first time this weekday and time come round after
    /// the start.
    end_day: String,
    /// `HH:MM` or `24:00`.
    end_time: String,
    person_id: UserId,
    person_name: String,
}

impl From<SlotRow> for DutySlotDto {
    fn from(s: SlotRow) -> Self {
        Self {
            id: s.id,
            start_day: s.start_day,
            start_time: s.start_time,
            end_day: s.end_day,
            end_time: s.end_time,
            person_id: s.user_id,
            person_name: s.user_name,
        }
    }
}

/// Someone on duty for a span, whatever the rota says.
#[derive(Serialize, ToSchema)]
pub struct DutyOverrideDto {
    id: String,
    /// `provider` or `in_house`.
    side: String,
    /// First instant covered, RFC 3339.
    starts_at: String,
    /// First instant no longer covered, RFC 3339.
    ends_at: String,
    person_id: UserId,
    person_name: String,
    reason: Option<String>,
}

fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

impl From<OverrideRow> for DutyOverrideDto {
    fn from(o: OverrideRow) -> Self {
        Self {
            id: o.id,
            side: o.side,
            starts_at: rfc3339(o.starts_at),
            ends_at: rfc3339(o.ends_at),
            person_id: o.user_id,
            person_name: o.user_name,
            reason: o.reason,
        }
    }
}

/// Who is on duty, and why.
#[derive(Serialize, ToSchema)]
pub struct OnDutyDto {
    person_id: UserId,
    person_name: String,
    /// `rota` or `override`.
    basis: DutyBasis,
    /// Until when, as things stand, RFC 3339.
    until: String,
    /// The override's reason.
    reason: Option<String>,
    /// Whether they still staff that side for the client; an after-hours
    /// alert ticket skips them for the split's default assignee otherwise.
    eligible: bool,
}

impl From<OnDutyView> for OnDutyDto {
    fn from(v: OnDutyView) -> Self {
        Self {
            person_id: v.user_id,
            person_name: v.name,
            basis: v.basis,
            until: rfc3339(v.until),
            reason: v.reason,
            eligible: v.staffs,
        }
    }
}

/// One side's rota of a client.
#[derive(Serialize, ToSchema)]
pub struct SideDutyDto {
    /// `provider` or `in_house`.
    side: String,
    /// The week, in order.
    slots: Vec<DutySlotDto>,
    /// Overrides not yet over, soonest first.
    overrides: Vec<DutyOverrideDto>,
    /// Who is on duty now (none: the split's default assignee).
    on_duty_now: Option<OnDutyDto>,
    /// Whether the caller may change this side's rota.
    can_manage: bool,
}

impl From<SideDuty> for SideDutyDto {
    fn from(d: SideDuty) -> Self {
        Self {
            side: d.side.as_str().to_owned(),
            slots: d.slots.into_iter().map(Into::into).collect(),
            overrides: d.overrides.into_iter().map(Into::into).collect(),
            on_duty_now: d.now.map(Into::into),
            can_manage: d.can_manage,
        }
    }
}

/// A client's after-hours duty.
#[derive(Serialize, ToSchema)]
pub struct DutyDto {
    client_id: OrgId,
    /// The IANA zone the slots' times are read in (the client's calendar's).
    time_zone: String,
    /// Provider, then in-house.
    sides: Vec<SideDutyDto>,
}

/// Who is on duty per side at an instant.
#[derive(Serialize, ToSchema)]
pub struct DutyAtDto {
    /// The instant asked about, RFC 3339.
    time: String,
    /// Provider, then in-house.
    sides: Vec<SideOnDutyDto>,
}

/// One side's answer.
#[derive(Serialize, ToSchema)]
pub struct SideOnDutyDto {
    side: String,
    /// None: nobody, so the split's default assignee.
    on_duty: Option<OnDutyDto>,
}

/// One slot to store.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutySlotBody {
    /// `mon`..`sun` (or the full name).
    start_day: String,
    /// `HH:MM`, the client's local time.
    start_time: String,
    /// `mon`..`sun`.
    end_day: String,
    /// `HH:MM` or `24:00`; a slot may cross midnight and the week's end.
    end_time: String,
    /// Someone who staffs this side for the client.
    person_id: UserId,
}

/// A side's whole week.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyRotaBody {
    /// No two may overlap; an empty list clears the week.
    slots: Vec<DutySlotBody>,
}

/// An override to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyOverrideBody {
    /// First instant covered, RFC 3339.
    starts_at: String,
    /// First instant no longer covered, RFC 3339; after `starts_at`.
    ends_at: String,
    /// Someone who staffs this side for the client.
    person_id: UserId,
    /// Why (at most 500 characters).
    reason: Option<String>,
}

/// The instant to ask about.
#[derive(Deserialize, IntoParams)]
pub struct DutyAtQuery {
    /// RFC 3339, e.g. `2026-12-24T22:00:00Z`.
    time: String,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_duty))
        .routes(routes!(get_duty_at))
        .routes(routes!(put_duty_rota))
        .routes(routes!(post_duty_override))
        .routes(routes!(delete_duty_override))
}

fn instant(field: &'static str, raw: &str) -> Result<i64, ServiceError> {
    raw.trim()
        .parse::<Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| {
            ValidationError::new(
                field,
                format!("{raw:?} is not an RFC 3339 instant, e.g. 2026-12-24T22:00:00Z"),
            )
            .into()
        })
}

/// A client's after-hours rotas and overrides, both sides, with who is on
/// duty now (IT staff of both sides).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/duty", tag = "duty", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = DutyDto), (status = 404, body = ProblemBody)))]
async fn get_duty(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<DutyDto>, ApiError> {
    let board = s.tandem.duty_board(&a, client).await?;
    Ok(Json(DutyDto {
        client_id: board.client.id,
        time_zone: board.time_zone,
        sides: board.sides.into_iter().map(Into::into).collect(),
    }))
}

/// Who is on duty for each side at an instant, and why (rota or override).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/duty/at", tag = "duty", params(("client_id" = OrgId, Path), DutyAtQuery),
    responses((status = 200, body = DutyAtDto), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn get_duty_at(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<DutyAtQuery>,
) -> Result<Json<DutyAtDto>, ApiError> {
    let at = instant("time", &q.time)?;
    let sides = s.tandem.duty_at(&a, client, at).await?;
    Ok(Json(DutyAtDto {
        time: rfc3339(at),
        sides: sides
            .into_iter()
            .map(|(side, v)| SideOnDutyDto {
                side: side.as_str().to_owned(),
                on_duty: v.map(Into::into),
            })
            .collect(),
    }))
}

/// Replace one side's week (`provider` or `in_house`; that side's admin).
/// The week is checked as a whole: overlapping slots, or a slot naming
/// someone who does not staff that side for the client, are refused.
#[utoipa::path(put, path = "/api/v1/clients/{client_id}/duty/{side}/rota", tag = "duty",
    params(("client_id" = OrgId, Path), ("side" = String, Path, description = "`provider` or `in_house`")),
    request_body = DutyRotaBody,
    responses((status = 200, body = [DutySlotDto]), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn put_duty_rota(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, side)): Path<(OrgId, String)>,
    ApiJson(b): ApiJson<DutyRotaBody>,
) -> Result<Json<Vec<DutySlotDto>>, ApiError> {
    let side = rota_side(&side).map_err(ServiceError::from)?;
    let week: Vec<SlotInput> = b
        .slots
        .into_iter()
        .map(|s| SlotInput {
            start_day: s.start_day,
            start_time: s.start_time,
            end_day: s.end_day,
            end_time: s.end_time,
            person_id: s.person_id,
        })
        .collect();
    let saved = s
        .tandem
        .replace_rota(&a, client, side, &week, &meta)
        .await?;
    Ok(Json(saved.into_iter().map(Into::into).collect()))
}

/// Put someone on duty for a span, whatever the rota says (that side's
/// admin). Of overlapping overrides, the one added last wins.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/duty/{side}/overrides", tag = "duty",
    params(("client_id" = OrgId, Path), ("side" = String, Path, description = "`provider` or `in_house`")),
    request_body = DutyOverrideBody,
    responses((status = 201, body = DutyOverrideDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn post_duty_override(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, side)): Path<(OrgId, String)>,
    ApiJson(b): ApiJson<DutyOverrideBody>,
) -> Result<(StatusCode, Json<DutyOverrideDto>), ApiError> {
    let side = rota_side(&side).map_err(ServiceError::from)?;
    let input = OverrideInput {
        starts_at: instant("starts_at", &b.starts_at)?,
        ends_at: instant("ends_at", &b.ends_at)?,
        person_id: b.person_id,
        reason: b.reason,
    };
    let row = s
        .tandem
        .add_duty_override(&a, client, side, &input, &meta)
        .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Remove an override (that side's admin).
#[utoipa::path(delete, path = "/api/v1/clients/{client_id}/duty/{side}/overrides/{override_id}", tag = "duty",
    params(("client_id" = OrgId, Path), ("side" = String, Path, description = "`provider` or `in_house`"),
        ("override_id" = String, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn delete_duty_override(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, side, id)): Path<(OrgId, String, String)>,
) -> Result<StatusCode, ApiError> {
    let side = rota_side(&side).map_err(ServiceError::from)?;
    s.tandem
        .remove_duty_override(&a, client, side, &id, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
