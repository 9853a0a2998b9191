//! The HTTP edge of Tandem: the JSON API under `/api/v1` (documented with
//! OpenAPI), the server-rendered web UI, and the operational endpoints.
//! Handlers stay thin: they turn HTTP into a use-case call and back.

pub mod api;
pub mod auth;
pub mod error;
pub mod exports;
pub mod metrics;
pub mod middleware;
pub mod ui;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use std::sync::Arc;
use tandem_service::Tandem;

/// Settings of the web edge.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The address people reach Tandem at; `https://` turns on `Secure`
    /// cookies and HSTS.
    pub public_url: String,
    /// Largest request body accepted (bytes); larger ones get 413.
    pub max_body_bytes: usize,
}

impl WebConfig {
    /// Whether Tandem is served over TLS (by itself or a proxy in front).
    pub fn tls(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:8080".into(),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The use cases.
    pub tandem: Tandem,
    /// Web settings.
    pub config: Arc<WebConfig>,
    /// Counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
}

impl AppState {
    /// State over `tandem` with `config`.
    pub fn new(tandem: Tandem, config: WebConfig) -> Self {
        Self {
            tandem,
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
        }
    }
}

/// The whole application: API, UI, docs and operational endpoints, with
/// the middleware every request passes through.
pub fn make_app(state: AppState) -> Router {
    let (api_router, openapi) = api::router().split_for_parts();
    let openapi = Arc::new(openapi);
    Router::new()
        .merge(api_router)
        .merge(api::docs_router(openapi))
        .merge(ui::router())
        .merge(metrics::router())
        .fallback(error::not_found_fallback)
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::edge,
        ))
        .with_state(state)
}
