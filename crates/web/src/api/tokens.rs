//! The caller's personal API tokens.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::ApiTokenId;
use tandem_service::RequestMeta;
use tandem_service::model::ApiToken;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A token's record; the secret is never shown again after creation.
#[derive(Serialize, ToSchema)]
pub struct TokenDto {
    id: ApiTokenId,
    name: String,
    prefix: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        Self {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A new token: `secret` appears here once.
#[derive(Serialize, ToSchema)]
pub struct NewTokenDto {
    token: TokenDto,
    secret: String,
}

/// Name a new token.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenBody {
    name: String,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tokens, post_token))
        .routes(routes!(delete_token))
}

/// The caller's tokens.
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", responses((status = 200, body = [TokenDto])))]
async fn list_tokens(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<TokenDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .list_tokens(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create a token acting with the caller's rights.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = NewTokenBody,
    responses((status = 201, body = NewTokenDto), (status = 422, body = ProblemBody)))]
async fn post_token(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewTokenBody>,
) -> Result<(StatusCode, Json<NewTokenDto>), ApiError> {
    let (token, secret) = s.tandem.create_token(&a, &b.name, &meta).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewTokenDto {
            token: token.into(),
            secret,
        }),
    ))
}

/// Revoke one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/tokens/{token_id}", tag = "tokens", params(("token_id" = ApiTokenId, Path)),
    responses((status = 204), (status = 404, body = ProblemBody)))]
async fn delete_token(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<ApiTokenId>,
) -> Result<StatusCode, ApiError> {
    s.tandem.revoke_token(&a, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
