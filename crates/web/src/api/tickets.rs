//! Tickets: open, read, list, change (with If-Match), hand off, comment.

use super::versions::{self, IfMatch};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::ticket::{Impact, OwnerSide, Priority, TicketStatus, Urgency};
use tandem_domain::{OrgId, TicketId, UserId};
use tandem_service::RequestMeta;
use tandem_service::desk::{NewTicket, Source, TicketChange, TicketView, Visibility};
use tandem_service::model::{QueueItem, TicketEvent};
use tandem_service::queue::{QueueFilter, QueueView};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// One SLA clock as both sides see it.
#[derive(Serialize, ToSchema)]
pub struct ClockDto {
    /// Target in minutes of working time.
    target_minutes: i64,
    /// Deadline while running (epoch ms).
    due: Option<i64>,
    /// Counting now (false while paused or done).
    running: bool,
    /// Met or stopped at (epoch ms).
    done_at: Option<i64>,
    /// The target was missed.
    breached: bool,
    /// The warning threshold was crossed.
    warned: bool,
}

/// A ticket.
#[derive(Serialize, ToSchema)]
pub struct TicketDto {
    id: TicketId,
    /// e.g. `ALDER-12`.
    label: String,
    client_id: OrgId,
    client_name: String,
    number: i64,
    title: String,
    description: String,
    requester_id: UserId,
    requester_name: String,
    category: String,
    category_name: String,
    impact: String,
    urgency: String,
    priority: String,
    priority_reason: Option<String>,
    status: String,
    owner_side: String,
    assignee_id: Option<String>,
    assignee_name: Option<String>,
    source: String,
    /// Send it back in `If-Match` to change the ticket.
    version: i64,
    created_at: i64,
    updated_at: i64,
    response: ClockDto,
    resolution: ClockDto,
}

fn clocks(t: &tandem_service::model::Ticket) -> (ClockDto, ClockDto) {
    (
        ClockDto {
            target_minutes: t.response_target,
            due: t.response_due,
            running: t.response_since.is_some(),
            done_at: t.response_met_at,
            breached: t.response_breached,
            warned: t.response_warned,
        },
        ClockDto {
            target_minutes: t.resolution_target,
            due: t.resolution_due,
            running: t.resolution_since.is_some(),
            done_at: t.resolved_at,
            breached: t.resolution_breached,
            warned: t.resolution_warned,
        },
    )
}

impl From<TicketView> for TicketDto {
    fn from(v: TicketView) -> Self {
        let t = v.ticket;
        let (response, resolution) = clocks(&t);
        Self {
            id: t.id,
            label: v.label,
            client_id: t.client_id,
            client_name: v.client_name,
            number: t.number,
            title: t.title,
            description: t.description,
            requester_id: t.requester_id,
            requester_name: v.requester_name,
            category: v.category.0,
            category_name: v.category.1,
            impact: t.impact,
            urgency: t.urgency,
            priority: t.priority,
            priority_reason: t.priority_reason,
            status: t.status,
            owner_side: t.owner_side,
            assignee_id: t.assignee_id,
            assignee_name: v.assignee_name,
            source: t.source,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
            response,
            resolution,
        }
    }
}

impl From<QueueItem> for TicketDto {
    fn from(q: QueueItem) -> Self {
        TicketView::from(q).into()
    }
}

/// One entry of a ticket's timeline.
#[derive(Serialize, ToSchema)]
pub struct EventDto {
    id: i64,
    at: i64,
    /// Who: their e-mail, or what wrote the entry (`SLA clock`).
    actor: String,
    /// Their name as it is now (absent for entries no person wrote).
    actor_name: Option<String>,
    actor_side: Option<String>,
    /// `created`, `comment`, `status`, `field`, `handoff`, `sla`.
    kind: String,
    /// `public` or `team`.
    visibility: String,
    body: String,
    /// Details of the entry, as stored (passed through without re-parsing;
    /// `null` if damaged).
    #[schema(value_type = Object)]
    data: Box<serde_json::value::RawValue>,
}

impl From<TicketEvent> for EventDto {
    fn from(e: TicketEvent) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor_label,
            actor_name: e.actor_name,
            actor_side: e.actor_side,
            kind: e.kind,
            visibility: e.visibility,
            body: e.body,
            data: serde_json::value::RawValue::from_string(e.data).unwrap_or_default(),
        }
    }
}

/// A ticket with its timeline, watchers and links.
#[derive(Serialize, ToSchema)]
pub struct TicketWithTimeline {
    ticket: TicketDto,
    timeline: Vec<EventDto>,
    /// People who hear about public replies.
    watchers: Vec<WatcherDto>,
    /// Related tickets of the same client.
    links: Vec<LinkDto>,
}

/// A watcher.
#[derive(Serialize, ToSchema)]
pub struct WatcherDto {
    user_id: UserId,
    name: String,
}

/// A linked ticket.
#[derive(Serialize, ToSchema)]
pub struct LinkDto {
    ticket_id: String,
    number: i64,
    title: String,
}

/// A watcher to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WatchBody {
    user_id: UserId,
}

/// A ticket to link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    ticket_id: TicketId,
}

/// A new ticket.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketBody {
    client_id: OrgId,
    title: String,
    #[serde(default)]
    description: String,
    /// Category key, e.g. `network`.
    category: String,
    impact: Impact,
    urgency: Urgency,
    /// On whose behalf (IT staff only); the caller when absent.
    requester_id: Option<UserId>,
}

/// Changes; absent fields stay. Send the version you read in `If-Match`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketPatchBody {
    status: Option<TicketStatus>,
    /// An assignee id, or null to unassign.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<UserId>)]
    assignee_id: Option<Option<UserId>>,
    title: Option<String>,
    category: Option<String>,
    impact: Option<Impact>,
    urgency: Option<Urgency>,
    /// A priority set by hand; needs `priority_reason`.
    priority: Option<Priority>,
    priority_reason: Option<String>,
}

/// Hand the ticket to the other side.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandOffBody {
    reason: String,
}

/// A comment.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    body: String,
    /// `public` (the requester sees it) or `team` (both IT sides); default public.
    visibility: Option<Visibility>,
}

/// Queue parameters.
#[derive(Deserialize, IntoParams)]
pub struct QueueQuery {
    /// `mine`, `my_side`, `unassigned`, `breaching_soon`, `waiting`, `all` (default).
    view: Option<QueueView>,
    client_id: Option<OrgId>,
    status: Option<TicketStatus>,
    priority: Option<Priority>,
    category: Option<String>,
    side: Option<OwnerSide>,
    assignee_id: Option<UserId>,
    /// 1-500, default 50.
    limit: Option<i64>,
    /// Full-text search over titles, descriptions and comments.
    q: Option<String>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tickets, post_ticket))
        .routes(routes!(get_ticket, patch_ticket))
        .routes(routes!(post_ticket_handoff))
        .routes(routes!(post_ticket_comment))
        .routes(routes!(post_ticket_watcher))
        .routes(routes!(delete_ticket_watcher))
        .routes(routes!(post_ticket_link))
}

/// A ticket as an answer, with its version as the ETag.
pub(super) fn with_etag(dto: TicketDto, status: StatusCode) -> Response {
    versions::with_etag(dto.version, (status, Json(dto)))
}

/// Tickets in a queue view, with filters; only what the caller may see.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(QueueQuery), responses((status = 200, body = [TicketDto]), (status = 401, body = ProblemBody)))]
async fn list_tickets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Query(q): Query<QueueQuery>,
) -> Result<Response, ApiError> {
    let f = QueueFilter {
        client: q.client_id,
        status: q.status,
        priority: q.priority,
        category: q.category,
        side: q.side,
        assignee: q.assignee_id,
        limit: q.limit,
        search: q.q,
    };
    let answer = s
        .tandem
        .queue_answer(&a, q.view.unwrap_or(QueueView::All), &f, |rows| {
            serde_json::to_vec(&rows.into_iter().map(TicketDto::from).collect::<Vec<_>>())
        })
        .await?;
    Ok(super::json_answer(
        StatusCode::OK,
        Bytes::from_owner(answer),
    ))
}

/// Open a ticket; it is routed by the responsibility split and its SLA clocks start.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = NewTicketBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "repeat a create safely: the same key with the same body answers the first result; with another body, 422")),
    responses((status = 201, body = TicketDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_ticket(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<NewTicketBody>,
) -> Result<Response, ApiError> {
    let input = NewTicket {
        client_id: b.client_id,
        title: b.title.clone(),
        description: b.description.clone(),
        category: b.category.clone(),
        impact: b.impact,
        urgency: b.urgency,
        requester_id: b.requester_id,
        source: Source::Api,
    };
    super::idempotent::create(
        &s,
        &a,
        &headers,
        &b,
        |t: &TicketDto| Some(t.version),
        async {
            s.tandem
                .open_ticket(&a, &input, &meta)
                .await
                .map(TicketDto::from)
        },
    )
    .await
}

/// A ticket with its timeline (requesters see public entries only).
#[utoipa::path(get, path = "/api/v1/tickets/{ticket_id}", tag = "tickets", params(("ticket_id" = TicketId, Path)),
    responses((status = 200, body = TicketWithTimeline), (status = 404, body = ProblemBody)))]
async fn get_ticket(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
) -> Result<Response, ApiError> {
    let (view, timeline, rel) = s.tandem.ticket_with_relations(&a, id).await?;
    let tag = versions::etag(view.ticket.version);
    let body = TicketWithTimeline {
        ticket: view.into(),
        timeline: timeline.into_iter().map(Into::into).collect(),
        watchers: rel
            .watchers
            .into_iter()
            .map(|(user_id, name)| WatcherDto { user_id, name })
            .collect(),
        links: rel
            .links
            .into_iter()
            .map(|l| LinkDto {
                ticket_id: l.id.to_string(),
                number: l.number,
                title: l.title,
            })
            .collect(),
    };
    let mut res = Json(body).into_response();
    res.headers_mut().insert(header::ETAG, tag);
    Ok(res)
}

/// Change status, assignee or fields. Requires `If-Match` with the current ETag; a stale one gets 412.
#[utoipa::path(patch, path = "/api/v1/tickets/{ticket_id}", tag = "tickets", params(("ticket_id" = TicketId, Path), ("If-Match" = String, Header)),
    request_body = TicketPatchBody,
    responses((status = 200, body = TicketDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 412, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn patch_ticket(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<TicketPatchBody>,
) -> Result<Response, ApiError> {
    let priority_override = match (b.priority, b.priority_reason) {
        (Some(p), Some(r)) => Some((p, r)),
        (Some(p), None) => Some((p, String::new())),
        (None, _) => None,
    };
    let change = TicketChange {
        status: b.status,
        assignee: b.assignee_id,
        title: b.title,
        category: b.category,
        impact: b.impact,
        urgency: b.urgency,
        priority_override,
    };
    let view = s
        .tandem
        .change_ticket(&a, id, version, &change, &meta)
        .await?;
    Ok(with_etag(view.into(), StatusCode::OK))
}

/// Hand the ticket to the other side, with a reason. Requires `If-Match`.
#[utoipa::path(post, path = "/api/v1/tickets/{ticket_id}/handoff", tag = "tickets", params(("ticket_id" = TicketId, Path), ("If-Match" = String, Header)),
    request_body = HandOffBody,
    responses((status = 200, body = TicketDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 412, body = ProblemBody)))]
async fn post_ticket_handoff(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<HandOffBody>,
) -> Result<Response, ApiError> {
    let view = s.tandem.hand_off(&a, id, version, &b.reason, &meta).await?;
    Ok(with_etag(view.into(), StatusCode::OK))
}

/// Comment on a ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{ticket_id}/comments", tag = "tickets", params(("ticket_id" = TicketId, Path)),
    request_body = CommentBody, responses((status = 201, body = EventDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn post_ticket_comment(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
    ApiJson(b): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<EventDto>), ApiError> {
    let e = s
        .tandem
        .comment(
            &a,
            id,
            &b.body,
            b.visibility.unwrap_or(Visibility::Public),
            &meta,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

/// Add a watcher (yourself, or as IT staff anyone who works the client).
#[utoipa::path(post, path = "/api/v1/tickets/{ticket_id}/watchers", tag = "tickets", params(("ticket_id" = TicketId, Path)),
    request_body = WatchBody, responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_ticket_watcher(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
    ApiJson(b): ApiJson<WatchBody>,
) -> Result<StatusCode, ApiError> {
    s.tandem
        .watch_ticket(&a, id, b.user_id, true, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a watcher.
#[utoipa::path(delete, path = "/api/v1/tickets/{ticket_id}/watchers/{user_id}", tag = "tickets",
    params(("ticket_id" = TicketId, Path), ("user_id" = UserId, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn delete_ticket_watcher(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((id, user)): Path<(TicketId, UserId)>,
) -> Result<StatusCode, ApiError> {
    s.tandem.watch_ticket(&a, id, user, false, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Link another ticket of the same client.
#[utoipa::path(post, path = "/api/v1/tickets/{ticket_id}/links", tag = "tickets", params(("ticket_id" = TicketId, Path)),
    request_body = LinkBody, responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_ticket_link(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
    ApiJson(b): ApiJson<LinkBody>,
) -> Result<StatusCode, ApiError> {
    s.tandem.link_tickets(&a, id, b.ticket_id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}
