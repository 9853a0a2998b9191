//! A client's credential vault: list, add, read and change credentials
//! (never carrying a secret), reveal one with a fresh proof of identity,
//! the reveal log, re-authentication, and the rotation of credentials
//! seen by people who left.

use super::idempotent;
use super::versions::{self, IfMatch};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, Problem, ProblemBody, current_request_id};
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::device::parse_date;
use tandem_domain::ids::{VaultDepartureId, VaultSecretId};
use tandem_domain::vault::{SecretSpec, SecretValue};
use tandem_domain::{OrgId, TicketId, UserId};
use tandem_service::vault::{
    DepartureView, NewSecret, Proof, ProofHolder, Reveal, RevealError, SecretChange, VaultSecret,
};
use tandem_service::{RequestMeta, ServiceError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The problem type of a reveal refused for want of a fresh proof of
/// identity: re-authenticate, then ask again.
pub const REAUTH_PROBLEM: &str = "urn:tandem:problem:reauthentication-required";

/// A credential of a client's vault, without its secret or notes.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SecretDto {
    id: VaultSecretId,
    client_id: OrgId,
    name: String,
    /// May be blank.
    username: String,
    /// May be blank.
    url: String,
    /// `YYYY-MM-DD`, if set.
    rotation_due_on: Option<String>,
    /// When its secret was last set (epoch ms).
    rotated_at: i64,
    /// Send it back in `If-Match` to change the credential.
    version: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<VaultSecret> for SecretDto {
    fn from(s: VaultSecret) -> Self {
        Self {
            id: s.id,
            client_id: s.client_id,
            name: s.name,
            username: s.username,
            url: s.url,
            rotation_due_on: s.rotation_due_on,
            rotated_at: s.rotated_at,
            version: s.version,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A page of credentials in name order.
#[derive(Serialize, ToSchema)]
pub struct SecretPageDto {
    secrets: Vec<SecretDto>,
    /// Cursor for the next page (pass it as `after`); absent on the last.
    next_after: Option<String>,
}

/// Paging by cursor: pass the last page's `next_after`.
#[derive(Deserialize, IntoParams)]
pub struct SecretsQuery {
    /// Credentials named after this.
    after: Option<String>,
    /// Page size, 1-500 (default 100).
    limit: Option<i64>,
}

/// How far ahead to look for credentials due for rotation.
#[derive(Deserialize, IntoParams)]
pub struct DueQuery {
    /// Days from today (UTC), 0-3650 (default 30); overdue ones always count.
    within_days: Option<i64>,
}

/// A new credential.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSecretBody {
    /// 1-200 characters, unique per client (ignoring case).
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    url: String,
    /// The secret, 1-10,000 characters, kept exactly as sent.
    secret: String,
    /// Sealed like the secret; revealed with it.
    #[serde(default)]
    notes: String,
    /// `YYYY-MM-DD`.
    rotation_due_on: Option<String>,
}

/// Changes; absent fields stay, `null` clears the due date. A new
/// `secret` counts as a rotation. Send the version you read in `If-Match`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretPatchBody {
    name: Option<String>,
    username: Option<String>,
    url: Option<String>,
    /// `YYYY-MM-DD`, or null to clear it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    rotation_due_on: Option<Option<String>>,
    secret: Option<String>,
    notes: Option<String>,
}

/// A proof of identity: the account's password or a current TOTP code.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ProofBody {
    password: Option<String>,
    totp_code: Option<String>,
}

/// A revealed credential. Shown once; the answer is not cached.
#[derive(Serialize, ToSchema)]
pub struct RevealedDto {
    secret: SecretDto,
    /// The secret itself.
    value: String,
    /// Its notes.
    notes: String,
}

/// One reveal of a credential.
#[derive(Serialize, ToSchema)]
pub struct RevealDto {
    /// Also the cursor of the log.
    id: String,
    secret_id: VaultSecretId,
    /// Its name at the time.
    secret_name: String,
    user_id: UserId,
    user_name: String,
    user_email: String,
    /// `provider` or `client`.
    side: String,
    /// `session`, `token`, `password` or `totp`.
    proof: String,
    /// The address the request came from.
    source_addr: String,
    user_agent: String,
    revealed_at: i64,
}

impl From<Reveal> for RevealDto {
    fn from(r: Reveal) -> Self {
        Self {
            id: r.id,
            secret_id: r.secret_id,
            secret_name: r.secret_name,
            user_id: r.user_id,
            user_name: r.user_name,
            user_email: r.user_email,
            side: r.side,
            proof: r.proof,
            source_addr: r.source_addr,
            user_agent: r.user_agent,
            revealed_at: r.revealed_at,
        }
    }
}

/// A page of reveals, newest first.
#[derive(Serialize, ToSchema)]
pub struct RevealPageDto {
    reveals: Vec<RevealDto>,
    /// Cursor for the next (older) page; absent on the last page.
    next_before: Option<String>,
}

/// The reveal log's filter and cursor.
#[derive(Deserialize, IntoParams)]
pub struct RevealsQuery {
    /// Only the reveals of this credential.
    secret_id: Option<VaultSecretId>,
    /// Reveals older than this one.
    before: Option<String>,
    /// Page size, 1-500 (default 100).
    limit: Option<i64>,
}

/// A credential a departed person revealed.
#[derive(Serialize, ToSchema)]
pub struct LeftSecretDto {
    secret_id: VaultSecretId,
    secret_name: String,
    /// Their last reveal of it before leaving.
    last_revealed_at: i64,
    /// Its secret was changed after they left: nothing to rotate.
    rotated_since: bool,
    /// The rotation ticket, once opened.
    ticket_id: Option<String>,
}

/// Someone who lost access to the client after revealing credentials.
#[derive(Serialize, ToSchema)]
pub struct DepartureDto {
    id: VaultDepartureId,
    user_id: UserId,
    user_name: String,
    /// Why their access ended.
    reason: String,
    departed_at: i64,
    secrets: Vec<LeftSecretDto>,
}

impl From<DepartureView> for DepartureDto {
    fn from(v: DepartureView) -> Self {
        Self {
            id: v.departure.id,
            user_id: v.departure.user_id,
            user_name: v.departure.user_name,
            reason: v.departure.reason,
            departed_at: v.departure.departed_at,
            secrets: v
                .secrets
                .into_iter()
                .map(|s| LeftSecretDto {
                    secret_id: s.secret_id,
                    secret_name: s.secret_name,
                    last_revealed_at: s.last_revealed_at,
                    rotated_since: s.rotated_since,
                    ticket_id: s.ticket_id,
                })
                .collect(),
        }
    }
}

/// The tickets a request opened.
#[derive(Serialize, ToSchema)]
pub struct RotationTicketsDto {
    /// Opened now; credentials that had their ticket already are left out.
    opened: Vec<TicketId>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_client_secrets, post_client_secret))
        .routes(routes!(list_client_secrets_due))
        .routes(routes!(
            get_client_secret,
            patch_client_secret,
            delete_client_secret
        ))
        .routes(routes!(post_client_secret_reveal))
        .routes(routes!(list_client_secret_reveals))
        .routes(routes!(list_client_vault_departures))
        .routes(routes!(post_client_vault_departure_tickets))
        .routes(routes!(post_reauth))
}

/// The bearer token as sent (the extractor has checked it).
fn bearer(headers: &HeaderMap) -> String {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_owned())
        .unwrap_or_default()
}

/// The caller's user agent, for the reveal log.
pub(crate) fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

/// The 403 of a reveal without a fresh proof.
fn reauth_required(detail: &str) -> Response {
    let body = ProblemBody {
        kind: REAUTH_PROBLEM,
        title: "Re-authentication required",
        status: 403,
        detail: detail.to_owned(),
        field: None,
        request_id: current_request_id(),
    };
    let mut res = (StatusCode::FORBIDDEN, Json(body)).into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

const REAUTH_DETAIL: &str = "Revealing a secret needs your password or a TOTP code from the last five minutes: send `password` or `totp_code` with this request, or POST them to /api/v1/reauth first.";

fn date(field: &'static str, raw: Option<&str>) -> Result<Option<jiff::civil::Date>, ServiceError> {
    Ok(parse_date(field, raw.unwrap_or(""))?)
}

fn with_etag(s: VaultSecret, status: StatusCode) -> Response {
    versions::with_etag(s.version, (status, Json(SecretDto::from(s))))
}

/// A client's credentials in name order; never a secret. IT staff of both
/// sides and the client's viewers.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/secrets", tag = "vault", params(("client_id" = OrgId, Path), SecretsQuery),
    responses((status = 200, body = SecretPageDto), (status = 404, body = ProblemBody)))]
async fn list_client_secrets(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<SecretsQuery>,
) -> Result<Json<SecretPageDto>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let secrets = s
        .tandem
        .vault_secrets(&a, client, q.after.as_deref(), limit)
        .await?;
    let next_after = (secrets.len() as i64 == limit)
        .then(|| secrets.last().map(|s| s.name.clone()))
        .flatten();
    Ok(Json(SecretPageDto {
        secrets: secrets.into_iter().map(Into::into).collect(),
        next_after,
    }))
}

/// The client's credentials due for rotation within `within_days`
/// (overdue ones included), soonest first.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/secrets/due", tag = "vault", params(("client_id" = OrgId, Path), DueQuery),
    responses((status = 200, body = [SecretDto]), (status = 404, body = ProblemBody)))]
async fn list_client_secrets_due(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<DueQuery>,
) -> Result<Json<Vec<SecretDto>>, ApiError> {
    let due = s
        .tandem
        .secrets_due_for_rotation(&a, client, q.within_days.unwrap_or(30))
        .await?;
    Ok(Json(due.into_iter().map(Into::into).collect()))
}

/// Add a credential (IT staff of both sides). The answer carries no
/// secret. With `Idempotency-Key`, a repeat with the same visible fields
/// answers the first result.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/secrets", tag = "vault",
    params(("client_id" = OrgId, Path), ("Idempotency-Key" = Option<String>, Header, description = "repeat a create safely")),
    request_body = NewSecretBody,
    responses((status = 201, body = SecretDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody, description = "The client has a credential of that name"), (status = 422, body = ProblemBody)))]
async fn post_client_secret(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<NewSecretBody>,
) -> Result<Response, ApiError> {
    let due = date("rotation_due_on", b.rotation_due_on.as_deref())?;
    let new = NewSecret {
        spec: SecretSpec::new(&b.name, &b.username, &b.url, due).map_err(ServiceError::from)?,
        secret: SecretValue::parse(&b.secret).map_err(ServiceError::from)?,
        notes: b.notes.clone(),
    };
    // The key's request is kept hashed; the secret stays out of it all the same.
    let request = serde_json::json!({ "client": client, "name": b.name, "username": b.username, "url": b.url, "rotation_due_on": b.rotation_due_on });
    idempotent::create(
        &s,
        &a,
        &headers,
        &request,
        |d: &SecretDto| Some(d.version),
        async {
            s.tandem
                .add_vault_secret(&a, client, &new, &meta)
                .await
                .map(SecretDto::from)
        },
    )
    .await
}

/// One credential, with its version as the ETag; never its secret.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/secrets/{secret_id}", tag = "vault",
    params(("client_id" = OrgId, Path), ("secret_id" = VaultSecretId, Path)),
    responses((status = 200, body = SecretDto), (status = 404, body = ProblemBody)))]
async fn get_client_secret(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
) -> Result<Response, ApiError> {
    Ok(with_etag(
        s.tandem.vault_secret(&a, client, id).await?,
        StatusCode::OK,
    ))
}

/// Delete a credential: its secret and notes are erased, its reveals stay
/// in the log. Requires `If-Match`; a stale one gets 412.
#[utoipa::path(delete, path = "/api/v1/clients/{client_id}/secrets/{secret_id}", tag = "vault",
    params(("client_id" = OrgId, Path), ("secret_id" = VaultSecretId, Path), ("If-Match" = String, Header)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 412, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn delete_client_secret(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
    IfMatch(version): IfMatch,
) -> Result<StatusCode, ApiError> {
    s.tandem
        .delete_vault_secret(&a, client, id, version, &meta)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a credential; a new `secret` is a rotation (it clears "due" by
/// moving `rotated_at`). Requires `If-Match`; a stale one gets 412.
#[utoipa::path(patch, path = "/api/v1/clients/{client_id}/secrets/{secret_id}", tag = "vault",
    params(("client_id" = OrgId, Path), ("secret_id" = VaultSecretId, Path), ("If-Match" = String, Header)),
    request_body = SecretPatchBody,
    responses((status = 200, body = SecretDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 409, body = ProblemBody), (status = 412, body = ProblemBody), (status = 422, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn patch_client_secret(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<SecretPatchBody>,
) -> Result<Response, ApiError> {
    let change = SecretChange {
        name: b.name,
        username: b.username,
        url: b.url,
        rotation_due_on: b
            .rotation_due_on
            .map(|v| date("rotation_due_on", v.as_deref()))
            .transpose()?,
        secret: b
            .secret
            .as_deref()
            .map(SecretValue::parse)
            .transpose()
            .map_err(ServiceError::from)?,
        notes: b.notes,
    };
    let v = s
        .tandem
        .change_vault_secret(&a, client, id, version, &change, &meta)
        .await?;
    Ok(with_etag(v, StatusCode::OK))
}

/// Reveal a credential's secret and notes (IT staff of both sides; the
/// client's viewers may not). Needs a fresh proof of identity: send
/// `password` or `totp_code` in the body, or re-authenticate the token at
/// `/api/v1/reauth` first (good for five minutes). Without one the answer
/// is a 403 of type `urn:tandem:problem:reauthentication-required`. Each
/// reveal is recorded with who, when and from where.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/secrets/{secret_id}/reveal", tag = "vault",
    params(("client_id" = OrgId, Path), ("secret_id" = VaultSecretId, Path)),
    request_body(content = Option<ProofBody>, description = "optional: the password or a TOTP code"),
    responses((status = 200, body = RevealedDto), (status = 403, body = ProblemBody, description = "Not permitted, or re-authentication required"),
        (status = 404, body = ProblemBody), (status = 429, body = ProblemBody)))]
async fn post_client_secret_reveal(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let proof: ProofBody = if body.iter().all(u8::is_ascii_whitespace) {
        ProofBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|_| {
            Problem::bad_input(
                None,
                "send {\"password\": ...} or {\"totp_code\": ...}, or no body",
            )
        })?
    };
    let proof = Proof::Token {
        token: bearer(&headers),
        password: proof.password,
        totp_code: proof.totp_code,
    };
    match s
        .tandem
        .reveal_vault_secret(&a, client, id, &proof, &user_agent(&headers), &meta)
        .await
    {
        Ok(r) => {
            let dto = RevealedDto {
                value: r.value.as_str().to_owned(),
                notes: r.notes.as_str().to_owned(),
                secret: r.secret.clone().into(),
            };
            let mut res = Json(dto).into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Err(RevealError::ReauthRequired) => Ok(reauth_required(REAUTH_DETAIL)),
        Err(RevealError::Service(e)) => Err(e.into()),
    }
}

/// Who revealed the client's credentials, newest first; filter by one
/// credential with `secret_id`. The client's admin sees every reveal by
/// either side; the provider's admin those of the clients it works.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/secret-reveals", tag = "vault", params(("client_id" = OrgId, Path), RevealsQuery),
    responses((status = 200, body = RevealPageDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn list_client_secret_reveals(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<RevealsQuery>,
) -> Result<Json<RevealPageDto>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let reveals = s
        .tandem
        .vault_reveals(&a, client, q.secret_id, q.before.as_deref(), limit)
        .await?;
    let next_before = (reveals.len() as i64 == limit)
        .then(|| reveals.last().map(|r| r.id.clone()))
        .flatten();
    Ok(Json(RevealPageDto {
        reveals: reveals.into_iter().map(Into::into).collect(),
        next_before,
    }))
}

/// People who lost access to the client after revealing its credentials
/// (taken off the engagement, or the engagement ended), newest first, each
/// with the credentials they revealed (either side's admin).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/vault/departures", tag = "vault", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [DepartureDto]), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn list_client_vault_departures(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<DepartureDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .vault_departures(&a, client)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Open one rotation ticket per credential the departed person revealed
/// and nobody changed since ("Rotate <name>: revealed by <person> who
/// left"). Asking again opens nothing twice.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/vault/departures/{departure_id}/rotation-tickets", tag = "vault",
    params(("client_id" = OrgId, Path), ("departure_id" = VaultDepartureId, Path)),
    responses((status = 200, body = RotationTicketsDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn post_client_vault_departure_tickets(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, departure)): Path<(OrgId, VaultDepartureId)>,
) -> Result<Json<RotationTicketsDto>, ApiError> {
    let opened = s
        .tandem
        .open_rotation_tickets(&a, client, departure, &meta)
        .await?;
    Ok(Json(RotationTicketsDto { opened }))
}

/// Prove your identity again with your password or a TOTP code: this
/// token may then reveal credentials for five minutes. A wrong one is
/// counted like a failed sign-in and answered 403 (re-authentication
/// required).
#[utoipa::path(post, path = "/api/v1/reauth", tag = "vault", request_body = ProofBody,
    responses((status = 204), (status = 403, body = ProblemBody), (status = 429, body = ProblemBody)))]
async fn post_reauth(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    headers: HeaderMap,
    ApiJson(b): ApiJson<ProofBody>,
) -> Result<Response, ApiError> {
    let holder = ProofHolder::Token(bearer(&headers));
    match s
        .tandem
        .reauthenticate(
            &a,
            &holder,
            b.password.as_deref(),
            b.totp_code.as_deref(),
            &meta,
        )
        .await
    {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(ServiceError::Unauthenticated) => {
            Ok(reauth_required("The password or code is wrong; try again."))
        }
        Err(e) => Err(e.into()),
    }
}
