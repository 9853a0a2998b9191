//! Outgoing webhooks of a client: each side's endpoints (list, create
//! with a signing secret shown once, revoke), a test event, and the
//! delivery log the owning side reads.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::webhook::WebhookEvent;
use tandem_domain::{OrgId, Side, WebhookId};
use tandem_service::RequestMeta;
use tandem_service::webhooks::{Attempt, DeliveryView, NewWebhook, WebhookView};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An endpoint; its secret is never shown again after creation.
#[derive(Serialize, ToSchema)]
pub struct WebhookDto {
    id: WebhookId,
    client_id: OrgId,
    /// The side that owns it.
    side: Side,
    name: String,
    /// Where events are posted; absent for the other side's endpoints.
    url: Option<String>,
    events: Vec<WebhookEvent>,
    /// The first characters of the signing secret.
    secret_prefix: String,
    created_at: i64,
    /// Set once revoked: it receives nothing more.
    revoked_at: Option<i64>,
    /// Whether the caller may revoke it, test it and read its deliveries.
    manageable: bool,
}

impl From<WebhookView> for WebhookDto {
    fn from(v: WebhookView) -> Self {
        let w = v.webhook;
        Self {
            id: w.id,
            client_id: w.client_id,
            side: w.side,
            name: w.name,
            url: (!w.url.is_empty()).then_some(w.url),
            events: v.events,
            secret_prefix: w.secret_prefix,
            created_at: w.created_at,
            revoked_at: w.revoked_at,
            manageable: v.manageable,
        }
    }
}

/// A new endpoint: `secret` appears here once. Each post carries
/// `X-Tandem-Signature: sha256=<hex HMAC-SHA256 of "<X-Tandem-Timestamp>.<body>">`
/// under it.
#[derive(Serialize, ToSchema)]
pub struct NewWebhookDto {
    webhook: WebhookDto,
    secret: String,
}

/// An endpoint to create, owned by the caller's side.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhookBody {
    /// 1-100 characters.
    name: String,
    /// `http://` or `https://`, at most 2000 characters.
    url: String,
    /// At least one event.
    events: Vec<WebhookEvent>,
}

/// One try at posting a delivery.
#[derive(Serialize, ToSchema)]
pub struct AttemptDto {
    /// 1 for the first try.
    attempt: i64,
    /// When it started (epoch ms).
    at: i64,
    /// The receiver's HTTP status, if it answered.
    http_status: Option<i64>,
    /// Why it failed, if it did.
    error: Option<String>,
    duration_ms: i64,
}

impl From<Attempt> for AttemptDto {
    fn from(a: Attempt) -> Self {
        Self {
            attempt: a.attempt,
            at: a.at,
            http_status: a.http_status,
            error: a.error,
            duration_ms: a.duration_ms,
        }
    }
}

/// One event for the endpoint, with every attempt to post it.
#[derive(Serialize, ToSchema)]
pub struct DeliveryDto {
    /// Sent as `X-Tandem-Delivery`, the same on every retry.
    id: String,
    /// `opened`, `assigned`, `handed_off`, `sla_warning`, `sla_breach`,
    /// `resolved` or `test`.
    event: String,
    ticket_id: Option<String>,
    /// `pending`, `delivered`, `failed` (gave up) or `cancelled`.
    status: String,
    attempts: i64,
    created_at: i64,
    next_attempt_at: Option<i64>,
    finished_at: Option<i64>,
    /// The JSON posted.
    body: serde_json::Value,
    /// Newest first.
    tries: Vec<AttemptDto>,
}

impl From<DeliveryView> for DeliveryDto {
    fn from(v: DeliveryView) -> Self {
        let d = v.delivery;
        Self {
            body: serde_json::from_str(&d.body).unwrap_or_default(),
            id: d.id,
            event: d.event,
            ticket_id: d.ticket_id,
            status: d.status,
            attempts: d.attempts,
            created_at: d.created_at,
            next_attempt_at: d.next_attempt_at,
            finished_at: d.finished_at,
            tries: v.attempts.into_iter().map(Into::into).collect(),
        }
    }
}

/// Paging by cursor: pass the last page's `next_before`.
#[derive(Deserialize, IntoParams)]
pub struct DeliveriesQuery {
    /// Deliveries older than this one.
    before: Option<String>,
    /// Page size, 1-100 (default 50).
    limit: Option<i64>,
}

/// A page of deliveries, newest first.
#[derive(Serialize, ToSchema)]
pub struct DeliveryPageDto {
    deliveries: Vec<DeliveryDto>,
    /// Cursor for the next (older) page; absent on the last page.
    next_before: Option<String>,
}

/// A test event, queued.
#[derive(Serialize, ToSchema)]
pub struct TestDeliveryDto {
    /// Its delivery id, to find it in the log.
    delivery_id: String,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, post_webhook))
        .routes(routes!(delete_webhook))
        .routes(routes!(list_webhook_deliveries))
        .routes(routes!(post_webhook_test))
}

/// A client's webhook endpoints of both sides, newest first (IT staff of
/// either side; the other side's URLs are left out).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/webhooks", tag = "webhooks", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [WebhookDto]), (status = 404, body = ProblemBody)))]
async fn list_webhooks(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<WebhookDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .webhooks(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create an endpoint of the caller's side (that side's admin). The
/// signing secret is in this answer and never again.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/webhooks", tag = "webhooks", params(("client_id" = OrgId, Path)),
    request_body = NewWebhookBody,
    responses((status = 201, body = NewWebhookDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn post_webhook(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<NewWebhookBody>,
) -> Result<(StatusCode, Json<NewWebhookDto>), ApiError> {
    let input = NewWebhook {
        name: b.name,
        url: b.url,
        events: b.events,
    };
    let (webhook, secret) = s.tandem.create_webhook(&a, client, &input, &meta).await?;
    Ok((
        StatusCode::CREATED,
        Json(NewWebhookDto {
            webhook: webhook.into(),
            secret,
        }),
    ))
}

/// Revoke an endpoint (its side's admin): it receives nothing more.
#[utoipa::path(delete, path = "/api/v1/clients/{client_id}/webhooks/{webhook_id}", tag = "webhooks",
    params(("client_id" = OrgId, Path), ("webhook_id" = WebhookId, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn delete_webhook(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, WebhookId)>,
) -> Result<StatusCode, ApiError> {
    s.tandem.revoke_webhook(&a, client, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An endpoint's delivery log, newest first (its side's admin).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/webhooks/{webhook_id}/deliveries", tag = "webhooks",
    params(("client_id" = OrgId, Path), ("webhook_id" = WebhookId, Path), DeliveriesQuery),
    responses((status = 200, body = DeliveryPageDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn list_webhook_deliveries(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, WebhookId)>,
    Query(q): Query<DeliveriesQuery>,
) -> Result<Json<DeliveryPageDto>, ApiError> {
    let page = s
        .tandem
        .webhook_deliveries(&a, client, id, q.before.as_deref(), q.limit.unwrap_or(50))
        .await?;
    Ok(Json(DeliveryPageDto {
        deliveries: page.deliveries.into_iter().map(Into::into).collect(),
        next_before: page.next,
    }))
}

/// Queue a `test` event for an endpoint (its side's admin); the worker
/// posts it like any other delivery.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/webhooks/{webhook_id}/test", tag = "webhooks",
    params(("client_id" = OrgId, Path), ("webhook_id" = WebhookId, Path)),
    responses((status = 202, body = TestDeliveryDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody)))]
async fn post_webhook_test(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, WebhookId)>,
) -> Result<(StatusCode, Json<TestDeliveryDto>), ApiError> {
    let delivery_id = s.tandem.send_test_webhook(&a, client, id).await?;
    Ok((StatusCode::ACCEPTED, Json(TestDeliveryDto { delivery_id })))
}
