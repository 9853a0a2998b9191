//! Optimistic concurrency, the same for every versioned object (tickets,
//! agreements, ...): answers carry the version as an `ETag`, and a change
//! must send it back in `If-Match`; without one it is refused (428), with
//! a stale one the service answers 412.

use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The version a change was made against, from `If-Match`.
pub struct IfMatch(pub i64);

impl FromRequestParts<AppState> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let raw = parts
            .headers
            .get(header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError(Problem::new(
                    StatusCode::PRECONDITION_REQUIRED,
                    "Version required",
                    "send the ETag you read in If-Match",
                ))
            })?;
        raw.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .parse()
            .map(IfMatch)
            .map_err(|_| {
                ApiError(Problem::bad_input(
                    Some("If-Match".into()),
                    "not a version we issued",
                ))
            })
    }
}

/// A version as an `ETag`.
pub fn etag(version: i64) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\""))
        .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
}

/// An answer that carries its object's version.
pub fn with_etag(version: i64, answer: impl IntoResponse) -> Response {
    let mut res = answer.into_response();
    res.headers_mut().insert(header::ETAG, etag(version));
    res
}
