//! Agreements: drafted and proposed by the provider's admin, accepted or
//! rejected by the client's admin; both sides read them and their history.

use super::versions::{IfMatch, with_etag};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::billing::Terms;
use tandem_domain::{EngagementId, OrgId};
use tandem_service::RequestMeta;
use tandem_service::agreements::AgreementView;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An agreement as both sides read it.
#[derive(Serialize, ToSchema)]
pub struct AgreementDto {
    id: String,
    engagement_id: EngagementId,
    client_id: OrgId,
    client_name: String,
    provider_id: OrgId,
    provider_name: String,
    /// `draft`, `proposed`, `active`, `rejected` or `ended`.
    status: String,
    /// Send it back in `If-Match` to change the agreement.
    version: i64,
    terms: Terms,
    /// What stops it from taking effect now; empty when nothing does.
    problems: Vec<String>,
    created_at: i64,
    proposed_at: Option<i64>,
    decided_at: Option<i64>,
    reject_reason: Option<String>,
    ended_at: Option<i64>,
}

impl From<AgreementView> for AgreementDto {
    fn from(v: AgreementView) -> Self {
        let a = v.agreement;
        Self {
            id: a.id,
            engagement_id: a.engagement_id,
            client_id: a.client_id,
            client_name: v.engagement.client_name,
            provider_id: a.provider_id,
            provider_name: v.engagement.provider_name,
            status: a.status,
            version: a.version,
            terms: v.terms,
            problems: v.problems,
            created_at: a.created_at,
            proposed_at: a.proposed_at,
            decided_at: a.decided_at,
            reject_reason: a.reject_reason,
            ended_at: a.ended_at,
        }
    }
}

fn answer(v: AgreementView, status: StatusCode) -> Response {
    let version = v.agreement.version;
    with_etag(version, (status, Json(AgreementDto::from(v))))
}

/// Why a proposal is rejected.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    reason: String,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_agreements, post_agreement))
        .routes(routes!(get_agreement, put_agreement))
        .routes(routes!(post_propose))
        .routes(routes!(post_accept))
        .routes(routes!(post_reject))
}

/// An engagement's agreements, newest first (the active one and its history).
#[utoipa::path(get, path = "/api/v1/engagements/{engagement_id}/agreements", tag = "agreements",
    params(("engagement_id" = EngagementId, Path)),
    responses((status = 200, body = [AgreementDto]), (status = 404, body = ProblemBody)))]
async fn list_agreements(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<EngagementId>,
) -> Result<Json<Vec<AgreementDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .agreements(&a, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Draft an agreement (the provider's admin).
#[utoipa::path(post, path = "/api/v1/engagements/{engagement_id}/agreements", tag = "agreements",
    params(("engagement_id" = EngagementId, Path)), request_body = Terms,
    responses((status = 201, body = AgreementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_agreement(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<EngagementId>,
    ApiJson(terms): ApiJson<Terms>,
) -> Result<Response, ApiError> {
    let v = s.tandem.draft_agreement(&a, id, &terms, &meta).await?;
    Ok(answer(v, StatusCode::CREATED))
}

/// One agreement, with what stops it from taking effect.
#[utoipa::path(get, path = "/api/v1/agreements/{agreement_id}", tag = "agreements",
    params(("agreement_id" = String, Path)),
    responses((status = 200, body = AgreementDto), (status = 404, body = ProblemBody)))]
async fn get_agreement(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(answer(s.tandem.agreement(&a, &id).await?, StatusCode::OK))
}

/// Replace a draft's terms. Requires `If-Match`.
#[utoipa::path(put, path = "/api/v1/agreements/{agreement_id}", tag = "agreements",
    params(("agreement_id" = String, Path), ("If-Match" = String, Header)), request_body = Terms,
    responses((status = 200, body = AgreementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn put_agreement(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    ApiJson(terms): ApiJson<Terms>,
) -> Result<Response, ApiError> {
    let v = s
        .tandem
        .revise_agreement(&a, &id, version, &terms, &meta)
        .await?;
    Ok(answer(v, StatusCode::OK))
}

/// Propose a draft to the client (the provider's admin). It must be ready
/// to take effect: every priority with numeric targets and a consequence.
/// Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/agreements/{agreement_id}/propose", tag = "agreements",
    params(("agreement_id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = AgreementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_propose(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    let v = s.tandem.propose_agreement(&a, &id, version, &meta).await?;
    Ok(answer(v, StatusCode::OK))
}

/// Accept a proposed agreement (the client's admin): it becomes active and
/// the one it replaces ends. Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/agreements/{agreement_id}/accept", tag = "agreements",
    params(("agreement_id" = String, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = AgreementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_accept(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    let v = s.tandem.accept_agreement(&a, &id, version, &meta).await?;
    Ok(answer(v, StatusCode::OK))
}

/// Reject a proposed agreement with a reason (the client's admin).
/// Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/agreements/{agreement_id}/reject", tag = "agreements",
    params(("agreement_id" = String, Path), ("If-Match" = String, Header)), request_body = RejectBody,
    responses((status = 200, body = AgreementDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_reject(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<RejectBody>,
) -> Result<Response, ApiError> {
    let v = s
        .tandem
        .reject_agreement(&a, &id, version, &b.reason, &meta)
        .await?;
    Ok(answer(v, StatusCode::OK))
}
