//! A client's overview as data: the pages past their review date, what
//! ends within the horizon, and the credentials due for rotation (never
//! the credentials themselves). A part the reader may not see is absent
//! (`null`), not empty.

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, ProblemBody};
use axum::Json;
use axum::extract::{Path, Query, State};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tandem_domain::OrgId;
use tandem_service::overview::DEFAULT_HORIZON_DAYS;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A page past its review date.
#[derive(Serialize, ToSchema)]
pub struct StalePageDto {
    id: String,
    title: String,
    folder: String,
    /// `YYYY-MM-DD`.
    review_on: Option<String>,
    /// The side that saved it last: `provider` or `client`.
    updated_side: String,
}

/// A date on an asset that ends within the horizon.
#[derive(Serialize, ToSchema)]
pub struct ExpiringDto {
    asset_id: String,
    name: String,
    asset_type: String,
    /// `warranty`, `licence_renewal`, `domain_renewal` or `certificate`.
    kind: String,
    /// `YYYY-MM-DD`.
    expires_on: String,
}

/// A credential due for rotation (its name only, never its value).
#[derive(Serialize, ToSchema)]
pub struct RotationDueDto {
    id: String,
    name: String,
    username: String,
    /// `YYYY-MM-DD`.
    rotation_due_on: Option<String>,
}

/// What needs attention at one client.
#[derive(Serialize, ToSchema)]
pub struct OverviewDto {
    horizon_days: i64,
    stale_pages: Option<Vec<StalePageDto>>,
    expiring: Option<Vec<ExpiringDto>>,
    secrets_due: Option<Vec<RotationDueDto>>,
}

#[derive(Deserialize, IntoParams)]
pub(super) struct OverviewQuery {
    /// How many days ahead to look (0-3650, default 60).
    days: Option<i64>,
}

/// The client's overview: stale pages, upcoming expiries, rotations due.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/overview", tag = "overview",
    params(("client_id" = OrgId, Path), OverviewQuery),
    responses((status = 200, body = OverviewDto), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn get_client_overview(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<OverviewQuery>,
) -> Result<Json<OverviewDto>, ApiError> {
    let o = s
        .tandem
        .client_overview(
            &a,
            client,
            q.days.unwrap_or(DEFAULT_HORIZON_DAYS),
            Timestamp::now(),
        )
        .await?;
    Ok(Json(OverviewDto {
        horizon_days: o.horizon_days,
        stale_pages: o.stale_pages.map(|v| {
            v.into_iter()
                .map(|p| StalePageDto {
                    id: p.id.to_string(),
                    title: p.title,
                    folder: p.folder,
                    review_on: p.review_on,
                    updated_side: p.updated_side,
                })
                .collect()
        }),
        expiring: o.expiring.map(|v| {
            v.into_iter()
                .map(|e| ExpiringDto {
                    asset_id: e.asset_id.to_string(),
                    name: e.name,
                    asset_type: e.asset_type.as_str().to_owned(),
                    kind: e.kind.as_str().to_owned(),
                    expires_on: e.expires_on,
                })
                .collect()
        }),
        secrets_due: o.secrets_due.map(|v| {
            v.into_iter()
                .map(|d| RotationDueDto {
                    id: d.id.to_string(),
                    name: d.name,
                    username: d.username,
                    rotation_due_on: d.rotation_due_on,
                })
                .collect()
        }),
    }))
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_client_overview))
}
