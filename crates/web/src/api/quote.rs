//! The proposal calculator: provider proposals priced for a company
//! profile, side by side with doing the work in-house. Stateless: nothing
//! is stored.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::Json;
use axum::extract::State;
use tandem_domain::quote::{Comparison, QuoteRequest};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(post_quote))
}

/// Compare proposals: each priced for a typical month of the profile by the
/// billing engine (monthly and annual cost, the month before project work,
/// exclusion exposure, effective hourly rate, each as a low-high range),
/// beside the in-house baseline. Amounts are in minor units (cents); an
/// amount of a proposal is a figure or `{"low": .., "high": ..}`. At most
/// 10 proposals and 50 categories. Any IT staff of either side may use it;
/// requesters may not. Nothing is stored.
#[utoipa::path(post, path = "/api/v1/quote", tag = "quote", request_body = QuoteRequest,
    responses((status = 200, body = Comparison), (status = 400, body = ProblemBody), (status = 403, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_quote(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<QuoteRequest>,
) -> Result<Json<Comparison>, ApiError> {
    Ok(Json(s.tandem.compare_proposals(&a, &body)?))
}
