//! People and organizations.

use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use tandem_domain::{OrgId, Role, Side, UserId};
use tandem_service::RequestMeta;
use tandem_service::accounts::{NewUser, UserPatch};
use tandem_service::model::Org;
use tandem_service::model::User;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A person as the API shows them (never their secrets).
#[derive(Serialize, ToSchema)]
pub struct UserDto {
    id: UserId,
    org_id: OrgId,
    email: String,
    name: String,
    role: Role,
    side: Side,
    active: bool,
    totp_enabled: bool,
    created_at: i64,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            org_id: u.org_id,
            side: u.role.side(),
            email: u.email,
            name: u.name,
            role: u.role,
            active: u.active,
            totp_enabled: u.totp_enabled,
            created_at: u.created_at,
        }
    }
}

/// An organization.
#[derive(Serialize, ToSchema)]
pub struct OrgDto {
    id: OrgId,
    kind: Side,
    name: String,
    slug: String,
    require_totp: bool,
    /// The IANA zone its staff read times in unless they chose their own
    /// (a client's staff read in its calendar's zone).
    time_zone: String,
}

impl From<Org> for OrgDto {
    fn from(o: Org) -> Self {
        Self {
            id: o.id,
            kind: o.kind,
            name: o.name,
            slug: o.slug,
            require_totp: o.require_totp,
            time_zone: o.time_zone,
        }
    }
}

/// Who the token belongs to.
#[derive(Serialize, ToSchema)]
pub struct MeDto {
    user_id: UserId,
    org_id: OrgId,
    email: String,
    role: Role,
    side: Side,
    /// The IANA zone pages show times in for them.
    time_zone: String,
    /// Their own choice of zone, if they made one (else their
    /// organization's applies).
    own_time_zone: Option<String>,
}

/// One's own time zone; `null` goes back to the organization's.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TimeZoneBody {
    /// An IANA name such as `Europe/London`, or `null`.
    time_zone: Option<String>,
}

/// A new person.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    email: String,
    name: String,
    role: Role,
    password: String,
}

/// Changes to a person; absent fields stay.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatchBody {
    name: Option<String>,
    role: Option<Role>,
    active: Option<bool>,
}

/// Organization settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrgSettingsBody {
    /// Staff must sign in with a TOTP code as well.
    require_totp: bool,
    /// The IANA zone its staff read times in unless they choose their own;
    /// absent leaves it as it is.
    #[serde(default)]
    time_zone: Option<String>,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me))
        .routes(routes!(put_my_time_zone))
        .routes(routes!(list_orgs))
        .routes(routes!(put_org_settings))
        .routes(routes!(list_org_users, post_org_user))
        .routes(routes!(get_user, patch_user))
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = MeDto), (status = 401, body = ProblemBody)))]
async fn get_me(State(s): State<AppState>, ApiActor(a): ApiActor) -> Result<Json<MeDto>, ApiError> {
    me(&s, a).await
}

async fn me(s: &AppState, a: tandem_domain::Actor) -> Result<Json<MeDto>, ApiError> {
    let zone = s.tandem.reading_zone(&a).await?;
    Ok(Json(MeDto {
        user_id: a.user_id,
        org_id: a.org_id,
        side: a.side(),
        role: a.role,
        email: a.email,
        time_zone: zone.effective().to_owned(),
        own_time_zone: zone.own,
    }))
}

/// Choose the zone times are shown in, or go back to the organization's.
#[utoipa::path(put, path = "/api/v1/me/time-zone", tag = "accounts", request_body = TimeZoneBody,
    responses((status = 200, body = MeDto), (status = 422, body = ProblemBody), (status = 401, body = ProblemBody)))]
async fn put_my_time_zone(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    ApiJson(body): ApiJson<TimeZoneBody>,
) -> Result<Json<MeDto>, ApiError> {
    s.tandem
        .set_own_time_zone(&a, body.time_zone.as_deref(), &meta)
        .await?;
    me(&s, a).await
}

/// Organizations the caller can see: their own and engaged clients.
#[utoipa::path(get, path = "/api/v1/orgs", tag = "accounts", responses((status = 200, body = [OrgDto])))]
async fn list_orgs(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<OrgDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .visible_orgs(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Change organization settings (its admin).
#[utoipa::path(put, path = "/api/v1/orgs/{org_id}/settings", tag = "accounts", request_body = OrgSettingsBody,
    params(("org_id" = OrgId, Path)), responses((status = 200, body = OrgDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn put_org_settings(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(org): Path<OrgId>,
    ApiJson(body): ApiJson<OrgSettingsBody>,
) -> Result<Json<OrgDto>, ApiError> {
    if let Some(zone) = &body.time_zone {
        s.tandem.set_org_time_zone(&a, org, zone, &meta).await?;
    }
    s.tandem
        .set_require_totp(&a, org, body.require_totp, &meta)
        .await?;
    Ok(Json(s.tandem.org(&a, org).await?.into()))
}

/// People of an organization.
#[utoipa::path(get, path = "/api/v1/orgs/{org_id}/users", tag = "accounts", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [UserDto]), (status = 404, body = ProblemBody)))]
async fn list_org_users(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(org): Path<OrgId>,
) -> Result<Json<Vec<UserDto>>, ApiError> {
    Ok(Json(
        s.tandem
            .list_users(&a, org)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Add a person to an organization.
#[utoipa::path(post, path = "/api/v1/orgs/{org_id}/users", tag = "accounts", params(("org_id" = OrgId, Path)), request_body = NewUserBody,
    responses((status = 201, body = UserDto), (status = 400, body = ProblemBody), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_org_user(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(org): Path<OrgId>,
    ApiJson(b): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<UserDto>), ApiError> {
    let input = NewUser {
        email: b.email,
        name: b.name,
        role: b.role,
        password: b.password,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.tandem.create_user(&a, org, &input, &meta).await?.into()),
    ))
}

/// One person.
#[utoipa::path(get, path = "/api/v1/users/{user_id}", tag = "accounts", params(("user_id" = UserId, Path)),
    responses((status = 200, body = UserDto), (status = 404, body = ProblemBody)))]
async fn get_user(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<UserId>,
) -> Result<Json<UserDto>, ApiError> {
    Ok(Json(s.tandem.user(&a, id).await?.into()))
}

/// Change a person's name, role or active flag.
#[utoipa::path(patch, path = "/api/v1/users/{user_id}", tag = "accounts", params(("user_id" = UserId, Path)), request_body = UserPatchBody,
    responses((status = 200, body = UserDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 409, body = ProblemBody)))]
async fn patch_user(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(id): Path<UserId>,
    ApiJson(b): ApiJson<UserPatchBody>,
) -> Result<Json<UserDto>, ApiError> {
    let patch = UserPatch {
        name: b.name,
        role: b.role,
        active: b.active,
    };
    Ok(Json(
        s.tandem.update_user(&a, id, &patch, &meta).await?.into(),
    ))
}
