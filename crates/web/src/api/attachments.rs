//! Attachments on tickets: upload (the raw file as the body), list, download.

use crate::AppState;
use crate::auth::ApiActor;
use crate::error::{ApiError, Problem, ProblemBody};
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::TicketId;
use tandem_service::attachments::Upload;
use tandem_service::desk::Visibility;
use tandem_service::model::Attachment;
use tandem_service::{RequestMeta, ServiceError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// An attachment's record.
#[derive(Serialize, ToSchema)]
pub struct AttachmentDto {
    id: String,
    ticket_id: String,
    filename: String,
    content_type: String,
    size: i64,
    visibility: String,
    created_at: i64,
    /// Where to download it.
    href: String,
}

impl From<Attachment> for AttachmentDto {
    fn from(a: Attachment) -> Self {
        Self {
            href: format!("/api/v1/attachments/{}", a.id),
            id: a.id,
            ticket_id: a.ticket_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            visibility: a.visibility,
            created_at: a.created_at,
        }
    }
}

/// Upload parameters.
#[derive(Deserialize, IntoParams)]
pub struct UploadQuery {
    /// The file's name (shown only; never used as a path).
    filename: String,
    /// `public` (default) or `team`.
    visibility: Option<Visibility>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_ticket_attachments, post_ticket_attachment))
        .routes(routes!(get_attachment))
        // Uploads have their own, larger limit, enforced while reading.
        .layer(DefaultBodyLimit::disable())
}

/// Read a body of at most `limit` bytes; more is a 413.
pub(crate) async fn read_limited(body: Body, limit: usize) -> Result<Vec<u8>, Problem> {
    axum::body::to_bytes(body, limit + 1)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| Problem::from(ServiceError::TooLarge { limit }))
}

/// Attach a file to a ticket: send its bytes as the body.
#[utoipa::path(post, path = "/api/v1/tickets/{ticket_id}/attachments", tag = "tickets", params(("ticket_id" = TicketId, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = AttachmentDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 413, body = ProblemBody)))]
async fn post_ticket_attachment(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
    Query(q): Query<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<AttachmentDto>), ApiError> {
    let bytes = read_limited(body, s.tandem.settings.attachment_max_bytes).await?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    let up = Upload {
        filename: q.filename,
        content_type,
        bytes,
        visibility: q.visibility.unwrap_or(Visibility::Public),
    };
    Ok((
        StatusCode::CREATED,
        Json(s.tandem.attach(&a, id, up, &meta).await?.into()),
    ))
}

/// A ticket's attachments (requesters see public ones only).
#[utoipa::path(get, path = "/api/v1/tickets/{ticket_id}/attachments", tag = "tickets", params(("ticket_id" = TicketId, Path)),
    responses((status = 200, body = [AttachmentDto]), (status = 404, body = ProblemBody)))]
async fn list_ticket_attachments(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<TicketId>,
) -> Result<Json<Vec<AttachmentDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .attachments(&a, id)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Download an attachment.
#[utoipa::path(get, path = "/api/v1/attachments/{attachment_id}", tag = "tickets", params(("attachment_id" = String, Path)),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = ProblemBody)))]
async fn get_attachment(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (att, bytes) = s.tandem.attachment(&a, &id).await?;
    Ok(download(&att, bytes))
}

/// A file as a download: never rendered inline, never sniffed, sandboxed.
pub(crate) fn download(att: &Attachment, bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&att.content_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream")),
    );
    let encoded: String = att
        .filename
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "content-security-policy",
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    res
}
