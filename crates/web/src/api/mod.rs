//! The JSON API under `/api/v1`, documented with OpenAPI. Every call acts
//! as the owner of the bearer token, with exactly that person's rights.

mod accounts;
mod agreements;
mod alerts;
mod assets;
pub(crate) mod attachments;
mod audit;
mod blocks;
mod desk;
mod devices;
mod documents;
mod duty;
mod engagements;
mod idempotent;
pub(crate) mod invoices;
mod maintenance;
mod overview;
mod quote;
mod tickets;
mod time;
mod tokens;
pub(crate) mod vault;
pub(crate) mod versions;
mod webhooks;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use utoipa::Modify;
use utoipa::OpenApi;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tandem API", description = "The co-managed IT service desk. Authenticate with a personal API token: `Authorization: Bearer tdm_...`. Errors are RFC 9457 problem details."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(crate::error::ProblemBody)),
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("tdm_ token")
                    .build(),
            ),
        );
    }
}

/// A body field that may be absent (keep), null (clear) or a value (set):
/// `#[serde(default, deserialize_with = "super::present")]` on an
/// `Option<Option<T>>`, for every PATCH body.
fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

/// The documented API routes.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(accounts::router())
        .merge(agreements::router())
        .merge(blocks::router())
        .merge(engagements::router())
        .merge(audit::router())
        .merge(tokens::router())
        .merge(tickets::router())
        .merge(invoices::router())
        .merge(time::router())
        .merge(desk::router())
        .merge(quote::router())
        .merge(attachments::router())
        .merge(devices::router())
        .merge(assets::router())
        .merge(documents::router())
        .merge(alerts::router())
        .merge(maintenance::router())
        .merge(duty::router())
        .merge(webhooks::router())
        .merge(vault::router())
        .merge(overview::router())
}

/// The spec as JSON and the vendored Swagger UI that browses it.
pub fn docs_router(spec: Arc<utoipa::openapi::OpenApi>) -> Router<AppState> {
    let json_spec = spec.clone();
    Router::new()
        .route(
            "/api/v1/openapi.json",
            get(move || {
                let s = json_spec.clone();
                async move { axum::Json(s.as_ref().clone()).into_response() }
            }),
        )
        .merge(SwaggerUi::new("/api/docs").url("/api/docs/openapi.json", spec.as_ref().clone()))
}

/// JSON already written out (a kept or replayed answer), answered `status`.
pub(crate) fn json_answer(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into(),
    )
        .into_response()
}
