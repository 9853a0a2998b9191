//! Alert intake: a client's sources (list, create with a key shown once,
//! revoke), its firing alerts, and the two endpoints monitoring posts to,
//! authenticated by the source's key rather than a person's token.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, Problem, ProblemBody};
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tandem_domain::alert::{AlertStatus, AuthMode, SourceKind};
use tandem_domain::{AlertSourceId, OrgId, TicketId};
use tandem_service::alerts::{
    AlertReceipt, AlertmanagerPayload, FiringView, GenericEvent, INTAKE_MAX_BYTES, IncomingAlert,
    Malformed, NewSource, Source,
};
use tandem_service::{RequestMeta, ServiceError};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The header naming an HMAC-signing source.
pub const SOURCE_HEADER: &str = "x-tandem-source";
/// The header carrying the signed Unix time (seconds).
pub const TIMESTAMP_HEADER: &str = "x-tandem-timestamp";
/// The header carrying the signature (`sha256=<hex>`).
pub const SIGNATURE_HEADER: &str = "x-tandem-signature";

/// An intake source; its key is never shown again after creation.
#[derive(Serialize, ToSchema)]
pub struct AlertSourceDto {
    id: AlertSourceId,
    client_id: OrgId,
    name: String,
    kind: SourceKind,
    auth_mode: AuthMode,
    /// The first characters of the key.
    key_prefix: String,
    default_category: String,
    category_label: Option<String>,
    impact_label: Option<String>,
    device_label: Option<String>,
    group_alerts: bool,
    created_at: i64,
    /// Its last accepted request (epoch ms).
    last_seen_at: Option<i64>,
    /// Set once revoked: its key is refused.
    revoked_at: Option<i64>,
    /// Minutes a ticket whose alerts have all resolved waits before it
    /// resolves itself (unless a person has taken it up).
    quiet_minutes: i64,
    /// Minutes between the heartbeats it promises (none: no dead man's switch).
    heartbeat_minutes: Option<i64>,
    /// Its last heartbeat (epoch ms).
    last_heartbeat_at: Option<i64>,
    /// While its heartbeat is missing: the "monitoring is down" ticket.
    monitoring_down_ticket_id: Option<TicketId>,
    /// While its heartbeat is missing: since when (epoch ms).
    monitoring_down_since: Option<i64>,
    /// New tickets a minute before its new alerts join one "Alert storm"
    /// ticket (0: never).
    storm_per_minute: i64,
    /// Intake requests a second it may send, with a burst of twice that;
    /// beyond it the answer is 429 with `Retry-After` (0: unlimited).
    rate_per_second: i64,
}

impl From<Source> for AlertSourceDto {
    fn from(s: Source) -> Self {
        Self {
            id: s.id,
            client_id: s.client_id,
            name: s.name,
            kind: s.kind,
            auth_mode: s.auth_mode,
            key_prefix: s.key_prefix,
            default_category: s.default_category,
            category_label: s.category_label,
            impact_label: s.impact_label,
            device_label: s.device_label,
            group_alerts: s.group_alerts,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            revoked_at: s.revoked_at,
            quiet_minutes: s.quiet_minutes,
            heartbeat_minutes: s.heartbeat_minutes,
            last_heartbeat_at: s.last_heartbeat_at,
            monitoring_down_ticket_id: s.down_ticket_id.as_deref().and_then(|t| t.parse().ok()),
            monitoring_down_since: s.down_since,
            storm_per_minute: s.storm_per_minute,
            rate_per_second: s.rate_per_second,
        }
    }
}

/// A new source: `key` appears here once. A bearer source sends
/// `Authorization: Bearer <key>`; an HMAC source signs instead (see the
/// intake endpoints).
#[derive(Serialize, ToSchema)]
pub struct NewAlertSourceDto {
    source: AlertSourceDto,
    key: String,
}

/// A source to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAlertSourceBody {
    /// 1-100 characters.
    name: String,
    kind: SourceKind,
    /// `bearer` when absent.
    auth_mode: Option<AuthMode>,
    /// A category key of the client, for alerts whose labels name none.
    default_category: String,
    /// The label whose value is the category key.
    category_label: Option<String>,
    /// The label whose value is the impact (`high`, `medium`, `low`).
    impact_label: Option<String>,
    /// The label whose value names the device.
    device_label: Option<String>,
    /// Whether the alerts of one Alertmanager group share one ticket
    /// (true when absent).
    group_alerts: Option<bool>,
    /// Minutes (0-10080) a ticket whose alerts have all resolved waits
    /// before it resolves itself; 10 when absent.
    quiet_minutes: Option<i64>,
    /// Minutes (1-10080) between the heartbeats the source promises
    /// (Alertmanager's `Watchdog`, or generic events of kind `heartbeat`);
    /// when one is overdue a "monitoring is down" ticket opens on the
    /// after-hours side. Absent: not watched.
    heartbeat_minutes: Option<i64>,
    /// New tickets a minute (0-100000) before the source's new alerts join
    /// one "Alert storm" ticket instead; 30 when absent, 0 never.
    storm_per_minute: Option<i64>,
    /// Intake requests a second (0-100000) the source may send, with a
    /// burst of twice that; 200 when absent, 0 unlimited.
    rate_per_second: Option<i64>,
}

/// A firing alert and its ticket.
#[derive(Serialize, ToSchema)]
pub struct FiringAlertDto {
    dedup_key: String,
    source_id: AlertSourceId,
    source_name: String,
    status: AlertStatus,
    severity: String,
    summary: String,
    device: Option<String>,
    /// How many times it fired for its ticket.
    fire_count: i64,
    first_seen_at: i64,
    last_seen_at: i64,
    ticket_id: TicketId,
    /// e.g. `ALDER-12`.
    ticket_label: Option<String>,
    ticket_title: Option<String>,
    ticket_status: Option<String>,
    /// Held back by a maintenance window (its reason): no ticket yet; it
    /// opens one if it fires again outside every window.
    maintenance_reason: Option<String>,
    /// Whether it joined its source's current "Alert storm" ticket.
    storm: bool,
}

impl From<FiringView> for FiringAlertDto {
    fn from(f: FiringView) -> Self {
        Self {
            dedup_key: f.alert.dedup_key,
            source_id: f.alert.source_id,
            source_name: f.source_name,
            status: f.alert.status,
            severity: f.alert.severity,
            summary: f.alert.summary,
            device: f.alert.device,
            fire_count: f.alert.fire_count,
            first_seen_at: f.alert.first_seen_at,
            last_seen_at: f.alert.last_seen_at,
            ticket_id: f.alert.ticket_id,
            ticket_label: f.ticket_label,
            ticket_title: f.ticket_title,
            ticket_status: f.ticket_status,
            maintenance_reason: f.maintenance_reason,
            storm: f.storm,
        }
    }
}

/// The answer to an intake request: every alert is committed. The same
/// request sent again is answered the same.
#[derive(Serialize, ToSchema)]
pub struct IntakeAnswer {
    /// How many alerts the request carried.
    accepted: usize,
    /// Per alert, in the request's order.
    alerts: Vec<AlertReceipt>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_alert_sources, post_alert_source))
        .routes(routes!(delete_alert_source))
        .routes(routes!(list_client_alerts))
        .routes(routes!(post_intake_alertmanager))
        .routes(routes!(post_intake_events))
}

/// A client's alert sources, newest first.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/alert-sources", tag = "alerts", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [AlertSourceDto]), (status = 404, body = ProblemBody)))]
async fn list_alert_sources(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<AlertSourceDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .alert_sources(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Create an alert source (either side's admin). The key is in this
/// answer and never again; Tandem keeps only its SHA-256 hash.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/alert-sources", tag = "alerts", params(("client_id" = OrgId, Path)),
    request_body = NewAlertSourceBody,
    responses((status = 201, body = NewAlertSourceDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 422, body = ProblemBody)))]
async fn post_alert_source(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    ApiJson(b): ApiJson<NewAlertSourceBody>,
) -> Result<(StatusCode, Json<NewAlertSourceDto>), ApiError> {
    let input = NewSource {
        name: b.name,
        kind: b.kind,
        auth_mode: b.auth_mode.unwrap_or(AuthMode::Bearer),
        default_category: b.default_category,
        category_label: b.category_label,
        impact_label: b.impact_label,
        device_label: b.device_label,
        group_alerts: b.group_alerts.unwrap_or(true),
        quiet_minutes: b.quiet_minutes,
        heartbeat_minutes: b.heartbeat_minutes,
        storm_per_minute: b.storm_per_minute,
        rate_per_second: b.rate_per_second,
    };
    let (source, key) = s
        .tandem
        .create_alert_source(&a, client, &input, &meta)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(NewAlertSourceDto {
            source: source.into(),
            key,
        }),
    ))
}

/// Revoke an alert source (either side's admin): its next request is refused.
#[utoipa::path(delete, path = "/api/v1/clients/{client_id}/alert-sources/{source_id}", tag = "alerts",
    params(("client_id" = OrgId, Path), ("source_id" = AlertSourceId, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn delete_alert_source(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, AlertSourceId)>,
) -> Result<StatusCode, ApiError> {
    s.tandem.revoke_alert_source(&a, client, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A client's firing alerts with their tickets, most recently heard of first.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/alerts", tag = "alerts", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [FiringAlertDto]), (status = 404, body = ProblemBody)))]
async fn list_client_alerts(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<FiringAlertDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .firing_alerts(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Receive a Prometheus Alertmanager webhook (payload version 4, as
/// Alertmanager sends it).
///
/// Authenticate with the source's key, `Authorization: Bearer <key>`; or,
/// for a source in `hmac` mode, send `X-Tandem-Source: <source id>`,
/// `X-Tandem-Timestamp: <Unix seconds>` and `X-Tandem-Signature:
/// sha256=<hex HMAC-SHA256 of timestamp + "." + body>`, keyed with the
/// lowercase hex SHA-256 of the key; a timestamp more than five minutes
/// off is refused. The key alone decides the client: nothing in the
/// payload can reach another one.
///
/// A new alert (by fingerprint) opens a ticket routed like any other; one
/// that fires again while its ticket is open is counted on it; a resolved
/// one is noted on it. Severity (label `severity`) maps to impact and
/// urgency: `critical` high/high, `error` medium/high, `warning`
/// medium/medium, anything else low/low. Bodies over 1 MiB are refused (413).
///
/// Each source may send `rate_per_second` requests a second (a burst of
/// twice that); beyond it the answer is 429 with `Retry-After` in seconds.
/// Past `storm_per_minute` new tickets a minute, new alerts join one
/// "Alert storm" ticket of the source. Inside a client's maintenance
/// window an alert is recorded but opens no ticket (its receipt has no
/// `ticket_id`) until it is sent firing after the window.
///
/// An alert named `Watchdog` (label `alertname`, Alertmanager's
/// always-firing alert) is the source's heartbeat, never a ticket: route
/// it to this endpoint with `repeat_interval` shorter than the source's
/// `heartbeat_minutes` and a missing heartbeat opens a "monitoring is
/// down" ticket, resolved when it returns.
#[utoipa::path(post, path = "/api/v1/intake/alertmanager", tag = "alerts", request_body = AlertmanagerPayload,
    params(("X-Tandem-Source" = Option<String>, Header, description = "HMAC mode: the source's id"),
        ("X-Tandem-Timestamp" = Option<String>, Header, description = "HMAC mode: Unix seconds"),
        ("X-Tandem-Signature" = Option<String>, Header, description = "HMAC mode: sha256=<hex>")),
    responses((status = 202, body = IntakeAnswer), (status = 400, body = ProblemBody), (status = 401, body = ProblemBody),
        (status = 413, body = ProblemBody), (status = 429, body = ProblemBody, description = "Over the source's rate; `Retry-After` says when to retry")))]
async fn post_intake_alertmanager(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    req: Request,
) -> Result<(StatusCode, Json<IntakeAnswer>), ApiError> {
    let (source, body) = authenticate(&s, req).await?;
    expect_kind(&source, SourceKind::Alertmanager)?;
    let payload: AlertmanagerPayload = parse(&body)?;
    let alerts = payload.into_alerts().map_err(malformed)?;
    ingest(&s, &source, &alerts, &meta).await
}

/// Receive a generic monitoring event.
///
/// Authentication and answers as for `/api/v1/intake/alertmanager`. The
/// event's `dedup_key` identifies the alert; `severity` maps to impact and
/// urgency the same way. An event of `"kind": "heartbeat"` (only `source`
/// required) is the source's heartbeat, never a ticket.
#[utoipa::path(post, path = "/api/v1/intake/events", tag = "alerts", request_body = GenericEvent,
    params(("X-Tandem-Source" = Option<String>, Header, description = "HMAC mode: the source's id"),
        ("X-Tandem-Timestamp" = Option<String>, Header, description = "HMAC mode: Unix seconds"),
        ("X-Tandem-Signature" = Option<String>, Header, description = "HMAC mode: sha256=<hex>")),
    responses((status = 202, body = IntakeAnswer), (status = 400, body = ProblemBody), (status = 401, body = ProblemBody),
        (status = 413, body = ProblemBody), (status = 429, body = ProblemBody, description = "Over the source's rate; `Retry-After` says when to retry")))]
async fn post_intake_events(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    req: Request,
) -> Result<(StatusCode, Json<IntakeAnswer>), ApiError> {
    let (source, body) = authenticate(&s, req).await?;
    expect_kind(&source, SourceKind::Generic)?;
    let event: GenericEvent = parse(&body)?;
    let alert = event.into_alert().map_err(malformed)?;
    ingest(&s, &source, &[alert], &meta).await
}

async fn ingest(
    s: &AppState,
    source: &Source,
    alerts: &[IncomingAlert],
    meta: &RequestMeta,
) -> Result<(StatusCode, Json<IntakeAnswer>), ApiError> {
    let receipts = s.tandem.ingest_alerts(source, alerts, meta).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(IntakeAnswer {
            accepted: receipts.len(),
            alerts: receipts,
        }),
    ))
}

fn too_large() -> ApiError {
    ApiError(Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "Payload too large",
        format!(
            "the request body is larger than the limit of {} MiB",
            INTAKE_MAX_BYTES / (1024 * 1024)
        ),
    ))
}

fn header_text<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The source a request comes from, and its body. A bearer key is checked
/// before the body is read; a signature needs the body.
async fn authenticate(s: &AppState, req: Request) -> Result<(Source, Bytes), ApiError> {
    let (parts, body) = req.into_parts();
    let h = &parts.headers;
    let bearer = header_text(h, header::AUTHORIZATION.as_str())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let bearer_source = match &bearer {
        Some(key) => {
            let source = s.tandem.intake_source_by_key(key).await?;
            // Before the body is read: a flood costs no parsing.
            s.tandem.admit_intake(&source)?;
            Some(source)
        }
        None if header_text(h, SIGNATURE_HEADER).is_some() => None,
        None => return Err(ServiceError::Unauthenticated.into()),
    };
    let declared = header_text(h, header::CONTENT_LENGTH.as_str())
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    if declared > INTAKE_MAX_BYTES {
        return Err(too_large());
    }
    let bytes = axum::body::to_bytes(body, INTAKE_MAX_BYTES)
        .await
        .map_err(|_| too_large())?;
    let source = match bearer_source {
        Some(source) => source,
        None => {
            let need = |name| header_text(h, name).ok_or(ServiceError::Unauthenticated);
            let source = s
                .tandem
                .intake_source_by_signature(
                    need(SOURCE_HEADER)?,
                    need(TIMESTAMP_HEADER)?,
                    need(SIGNATURE_HEADER)?,
                    &bytes,
                )
                .await?;
            // Only once the signature holds, so nobody can spend another
            // source's budget by naming it; the body is read, not parsed.
            s.tandem.admit_intake(&source)?;
            source
        }
    };
    Ok((source, bytes))
}

fn expect_kind(source: &Source, kind: SourceKind) -> Result<(), ApiError> {
    if source.kind == kind {
        return Ok(());
    }
    let path = match source.kind {
        SourceKind::Alertmanager => "/api/v1/intake/alertmanager",
        SourceKind::Generic => "/api/v1/intake/events",
    };
    Err(ApiError(Problem::bad_input(
        None,
        format!(
            "this source is set up for {} payloads: post them to {path}",
            source.kind
        ),
    )))
}

/// A JSON body; what cannot be read is a 400 naming the field.
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let detail = e.inner().to_string();
        let missing = detail
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(name, _)| name);
        let field = match (path.as_str(), missing) {
            (".", None) => None,
            (".", Some(name)) => Some(name.to_owned()),
            (_, Some(name)) => Some(format!("{path}.{name}")),
            (_, None) => Some(path),
        };
        ApiError(Problem::bad_input(field, detail))
    })
}

fn malformed(m: Malformed) -> ApiError {
    ApiError(Problem::bad_input(Some(m.field), m.message))
}
