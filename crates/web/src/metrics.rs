//! Operational endpoints: liveness, readiness and Prometheus metrics.

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Request counters, kept in atomics so counting costs nothing noticeable.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Answers by status class 1xx..5xx (index 0..4).
    pub responses: [AtomicU64; 5],
    /// Total time spent answering, in microseconds.
    pub duration_micros: AtomicU64,
    /// Requests being answered right now.
    pub in_flight: AtomicI64,
}

impl Metrics {
    /// Count one answer.
    pub fn observe(&self, status: u16, micros: u64) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.responses[class].fetch_add(1, Ordering::Relaxed);
        self.duration_micros.fetch_add(micros, Ordering::Relaxed);
    }

    fn render(&self) -> String {
        let mut out = String::new();
        let total: u64 = self
            .responses
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum();
        let _ = writeln!(
            out,
            "# HELP tandem_http_responses_total HTTP answers by status class."
        );
        let _ = writeln!(out, "# TYPE tandem_http_responses_total counter");
        for (i, c) in self.responses.iter().enumerate() {
            let _ = writeln!(
                out,
                "tandem_http_responses_total{{class=\"{}xx\"}} {}",
                i + 1,
                c.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP tandem_http_request_duration_seconds Time spent answering requests."
        );
        let _ = writeln!(out, "# TYPE tandem_http_request_duration_seconds summary");
        let secs = self.duration_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "tandem_http_request_duration_seconds_sum {secs}");
        let _ = writeln!(out, "tandem_http_request_duration_seconds_count {total}");
        let _ = writeln!(
            out,
            "# HELP tandem_http_requests_in_flight Requests being answered now."
        );
        let _ = writeln!(out, "# TYPE tandem_http_requests_in_flight gauge");
        let _ = writeln!(
            out,
            "tandem_http_requests_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP tandem_build_info Version of the running server."
        );
        let _ = writeln!(out, "# TYPE tandem_build_info gauge");
        let _ = writeln!(
            out,
            "tandem_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

/// The operational routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can reach its database.
async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    match s.tandem.db.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// Prometheus text exposition.
async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.metrics.render(),
    )
}
