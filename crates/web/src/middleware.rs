//! What every request passes through: a request id, the source address for
//! the audit log, security headers, a same-origin check on form posts,
//! metrics and a trace line.

use crate::AppState;
use crate::error::{ApiError, PageError, Problem};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Instant;
use tandem_service::RequestMeta;

/// The request id header, set on every answer.
pub const REQUEST_ID: &str = "x-request-id";

/// Content Security Policy for our own pages: no inline script, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/// Swagger UI injects its styles inline; its page alone gets that allowance.
const CSP_DOCS: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
                        object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The edge middleware.
pub async fn edge(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let request_id = uuid::Uuid::now_v7().to_string();
    let source_addr = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string());
    req.extensions_mut().insert(RequestMeta {
        request_id: request_id.clone(),
        source_addr,
    });
    let method = req.method().clone();
    let path = req.uri().path().to_owned();

    state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let api = path.starts_with("/api/");
    let mut res = crate::error::REQUEST_ID
        .scope(request_id.clone(), async move {
            if is_cross_site_post(&req) {
                let p = Problem::new(
                    StatusCode::FORBIDDEN,
                    "Cross-site request",
                    "Form posts from other sites are refused.",
                );
                return if api {
                    ApiError(p).into_response()
                } else {
                    PageError(p).into_response()
                };
            }
            as_problem(next.run(req).await, api).await
        })
        .await;
    state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);

    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        h.insert(REQUEST_ID, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // Downloads carry their own, stricter policy.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = if path.starts_with("/api/docs") {
            CSP_DOCS
        } else {
            CSP
        };
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    if state.config.tls() {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }

    let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
    let status = res.status().as_u16();
    state.metrics.observe(status, micros);
    tracing::info!(%method, %path, status, micros, request_id, "request");
    res
}

/// Rejections from the framework (a malformed id in a path, a bad query
/// string) come as plain text; answer them like every other error: a
/// problem for the API, an error page with the request id for the UI.
async fn as_problem(res: Response, api: bool) -> Response {
    let plain = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    let status = res.status();
    if !plain || !status.is_client_error() {
        return res;
    }
    let detail = match axum::body::to_bytes(res.into_body(), 16 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let p = Problem::new(
        status,
        status.canonical_reason().unwrap_or("Bad request"),
        detail,
    );
    if api {
        ApiError(p).into_response()
    } else {
        PageError(p).into_response()
    }
}

/// A state-changing browser request whose Origin names another site.
/// SameSite=Lax cookies and CSRF tokens already stop these; this is the
/// cheap third line.
fn is_cross_site_post(req: &Request) -> bool {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let (Some(origin), Some(host)) = (
        req.headers().get(header::ORIGIN),
        req.headers().get(header::HOST),
    ) else {
        return false;
    };
    let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
        return true;
    };
    let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    origin_host != host
}
