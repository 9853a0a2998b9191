//! Engagements and their engineers.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::{EngagementId, OrgId, Role, UserId};
use tandem_service::RequestMeta;
use tandem_service::accounts::NewUser;
use tandem_service::engagements::{EngagementView, OnboardClient};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An engineer with access through an engagement.
#[derive(Serialize, ToSchema)]
pub struct EngineerDto {
    user_id: UserId,
    name: String,
    email: String,
    role: String,
    assigned_at: i64,
}

/// An engagement between the provider and a client.
#[derive(Serialize, ToSchema)]
pub struct EngagementDto {
    id: EngagementId,
    provider_id: OrgId,
    provider_name: String,
    client_id: OrgId,
    client_name: String,
    /// `active` or `ended`.
    status: String,
    started_at: i64,
    ended_at: Option<i64>,
    /// Provider staff assigned; while active, exactly these people reach the client's data.
    engineers: Vec<EngineerDto>,
}

impl From<EngagementView> for EngagementDto {
    fn from(v: EngagementView) -> Self {
        let e = v.engagement;
        Self {
            id: e.id,
            provider_id: e.provider_id,
            provider_name: e.provider_name,
            client_id: e.client_id,
            client_name: e.client_name,
            status: e.status,
            started_at: e.started_at,
            ended_at: e.ended_at,
            engineers: v
                .engineers
                .into_iter()
                .map(|a| EngineerDto {
                    user_id: a.user_id,
                    name: a.name,
                    email: a.email,
                    role: a.role,
                    assigned_at: a.assigned_at,
                })
                .collect(),
        }
    }
}

/// A new client with its first admin.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnboardBody {
    client_name: String,
    client_slug: String,
    admin_name: String,
    admin_email: String,
    admin_password: String,
}

/// Re-engage a former client.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartBody {
    client_id: OrgId,
}

/// Assign an engineer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    user_id: UserId,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_engagements, post_engagement))
        .routes(routes!(post_engagement_restart))
        .routes(routes!(get_engagement))
        .routes(routes!(post_engagement_engineer))
        .routes(routes!(delete_engagement_engineer))
        .routes(routes!(post_engagement_end))
}

/// Engagements of the caller's organization.
#[utoipa::path(get, path = "/api/v1/engagements", tag = "engagements", responses((status = 200, body = [EngagementDto])))]
async fn list_engagements(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<EngagementDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .list_engagements(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Bring on a new client (provider admin).
#[utoipa::path(post, path = "/api/v1/engagements", tag = "engagements", request_body = OnboardBody,
    responses((status = 201, body = EngagementDto), (status = 403, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_engagement(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<OnboardBody>,
) -> Result<(StatusCode, Json<EngagementDto>), ApiError> {
    let input = OnboardClient {
        name: b.client_name,
        slug: b.client_slug,
        admin: NewUser {
            email: b.admin_email,
            name: b.admin_name,
            role: Role::ClientAdmin,
            password: b.admin_password,
        },
    };
    Ok((
        StatusCode::CREATED,
        Json(s.tandem.onboard_client(&a, &input, &meta).await?.into()),
    ))
}

/// Start a new engagement with a former client (provider admin).
#[utoipa::path(post, path = "/api/v1/engagements/restart", tag = "engagements", request_body = RestartBody,
    responses((status = 201, body = EngagementDto), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody)))]
async fn post_engagement_restart(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<RestartBody>,
) -> Result<(StatusCode, Json<EngagementDto>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.tandem
                .restart_engagement(&a, b.client_id, &meta)
                .await?
                .into(),
        ),
    ))
}

/// One engagement.
#[utoipa::path(get, path = "/api/v1/engagements/{engagement_id}", tag = "engagements", params(("engagement_id" = EngagementId, Path)),
    responses((status = 200, body = EngagementDto), (status = 404, body = ProblemBody)))]
async fn get_engagement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<EngagementId>,
) -> Result<Json<EngagementDto>, ApiError> {
    Ok(Json(s.tandem.engagement(&a, id).await?.into()))
}

/// Assign an engineer (provider admin).
#[utoipa::path(post, path = "/api/v1/engagements/{engagement_id}/engineers", tag = "engagements", params(("engagement_id" = EngagementId, Path)),
    request_body = AssignBody, responses((status = 200, body = EngagementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn post_engagement_engineer(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<EngagementId>,
    ApiJson(b): ApiJson<AssignBody>,
) -> Result<Json<EngagementDto>, ApiError> {
    Ok(Json(
        s.tandem
            .assign_engineer(&a, id, b.user_id, &meta)
            .await?
            .into(),
    ))
}

/// Take an engineer off (provider admin).
#[utoipa::path(delete, path = "/api/v1/engagements/{engagement_id}/engineers/{user_id}", tag = "engagements",
    params(("engagement_id" = EngagementId, Path), ("user_id" = UserId, Path)),
    responses((status = 200, body = EngagementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn delete_engagement_engineer(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((id, user)): Path<(EngagementId, UserId)>,
) -> Result<Json<EngagementDto>, ApiError> {
    Ok(Json(
        s.tandem
            .unassign_engineer(&a, id, user, &meta)
            .await?
            .into(),
    ))
}

/// End an engagement (provider admin or client admin). Access ends at once; no data is deleted.
#[utoipa::path(post, path = "/api/v1/engagements/{engagement_id}/end", tag = "engagements", params(("engagement_id" = EngagementId, Path)),
    responses((status = 200, body = EngagementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody)))]
async fn post_engagement_end(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<EngagementId>,
) -> Result<Json<EngagementDto>, ApiError> {
    Ok(Json(s.tandem.end_engagement(&a, id, &meta).await?.into()))
}
