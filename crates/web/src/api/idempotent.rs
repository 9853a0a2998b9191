//! `Idempotency-Key` for a create, in one place for any handler: the key
//! is claimed through the service before the work, a repeat with the same
//! body answers the first result again, another body is refused (422), a
//! repeat while the first is still running is told to retry (409), and a
//! failed create gives the key back.

use crate::AppState;
use crate::error::{ApiError, Problem};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tandem_domain::Actor;
use tandem_service::ServiceError;
use tandem_service::idempotency::Idempotent;

/// Run `create` once per `Idempotency-Key` (when the request has one):
/// `request` is the parsed body written out again, so the same request in
/// other whitespace is the same request. The answer is `201` with the
/// JSON of what `create` made, plus its version as the ETag when `etag`
/// gives one.
pub(crate) async fn create<T, F>(
    s: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    request: &impl Serialize,
    etag: impl Fn(&T) -> Option<i64>,
    create: F,
) -> Result<Response, ApiError>
where
    T: Serialize,
    F: Future<Output = Result<T, ServiceError>>,
{
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(k) = &key {
        let canonical = serde_json::to_string(request).unwrap_or_default();
        match s.tandem.idempotent_begin(actor, k, &canonical).await? {
            Idempotent::Fresh => {}
            Idempotent::Mismatch => {
                return Err(ApiError(Problem::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Idempotency-Key reused",
                    "this Idempotency-Key was first sent with a different request; send a new key for a new one",
                )));
            }
            Idempotent::InProgress => {
                return Err(ApiError(Problem::new(
                    StatusCode::CONFLICT,
                    "In progress",
                    "a request with this Idempotency-Key is still being handled; retry shortly",
                )));
            }
            Idempotent::Replay(status, body) => {
                let status = u16::try_from(status)
                    .ok()
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::OK);
                return Ok(super::json_answer(status, body));
            }
        }
    }
    let made = match (create.await, &key) {
        (Ok(v), _) => v,
        (Err(e), Some(k)) => {
            s.tandem.idempotent_abandon(actor, k).await?;
            return Err(e.into());
        }
        (Err(e), None) => return Err(e.into()),
    };
    if let Some(k) = &key {
        let body = serde_json::to_string(&made).unwrap_or_default();
        s.tandem.idempotent_finish(actor, k, 201, &body).await?;
    }
    let version = etag(&made);
    let answer = (StatusCode::CREATED, axum::Json(made));
    Ok(match version {
        Some(v) => super::versions::with_etag(v, answer),
        None => answer.into_response(),
    })
}
