//! Administration pages: people, organization settings, engagements and
//! the audit log.

use super::Nav;
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_domain::audit::AuditRecord;
use tandem_domain::{EngagementId, OrgId, Role, UserId};
use tandem_service::accounts::{NewUser, OrgPermissions, UserPatch};
use tandem_service::auth::SessionActor;
use tandem_service::engagements::{EngagementView, OnboardClient};
use tandem_service::model::{Org, User};
use tandem_service::{RequestMeta, ServiceError};

/// An organization in a picker.
struct OrgOption {
    id: String,
    name: String,
    selected: bool,
}

fn org_options(orgs: &[Org], selected: OrgId) -> Vec<OrgOption> {
    orgs.iter()
        .map(|o| OrgOption {
            id: o.id.to_string(),
            name: o.name.clone(),
            selected: o.id == selected,
        })
        .collect()
}

/// A role choice in a form.
struct RoleOption {
    value: &'static str,
    label: &'static str,
    selected: bool,
}

fn role_options(org: &Org, perms: OrgPermissions, current: Option<Role>) -> Vec<RoleOption> {
    Role::ALL
        .into_iter()
        .filter(|r| r.side() == org.kind)
        .filter(|r| perms.manage_users || *r == Role::Requester)
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
            selected: Some(r) == current,
        })
        .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "people.html")]
pub(super) struct PeoplePage {
    nav: Nav,
    org: Org,
    orgs: Vec<OrgOption>,
    people: Vec<User>,
    perms: OrgPermissions,
    roles: Vec<RoleOption>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "person.html")]
pub(super) struct PersonPage {
    nav: Nav,
    person: User,
    org: Org,
    roles: Vec<RoleOption>,
    editable: bool,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "engagements.html")]
pub(super) struct EngagementsPage {
    nav: Nav,
    engagements: Vec<EngagementView>,
    perms: OrgPermissions,
    staff: Vec<User>,
    former_clients: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "audit.html")]
pub(super) struct AuditPage {
    nav: Nav,
    org: Org,
    orgs: Vec<OrgOption>,
    entries: Vec<AuditRecord>,
    older: Option<i64>,
    side: &'static str,
}

impl AuditPage {
    fn at(&self, e: &AuditRecord) -> super::local::LocalTime {
        self.nav.zone.at(e.at_ms)
    }
}

#[derive(Deserialize)]
pub(super) struct OrgQuery {
    org: Option<OrgId>,
    before: Option<i64>,
    side: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct NewPersonInput {
    org_id: OrgId,
    email: String,
    name: String,
    role: String,
    password: String,
}

#[derive(Deserialize)]
pub(super) struct PersonInput {
    name: String,
    role: String,
    #[serde(default)]
    active: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct SettingsInput {
    #[serde(default)]
    require_totp: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct OnboardInput {
    client_name: String,
    client_slug: String,
    admin_name: String,
    admin_email: String,
    admin_password: String,
}

#[derive(Deserialize)]
pub(super) struct EngineerInput {
    user_id: UserId,
}

#[derive(Deserialize)]
pub(super) struct RestartInput {
    client_id: OrgId,
}

fn parse_role(raw: &str) -> Result<Role, ServiceError> {
    raw.parse()
        .map_err(|_| tandem_domain::ValidationError::new("role", "is not a role").into())
}

async fn people_page(
    s: &AppState,
    session: &SessionActor,
    org: OrgId,
    error: Option<String>,
) -> Result<PeoplePage, PageError> {
    let a = &session.actor;
    let people = s.tandem.list_users(a, org).await?;
    let org = s.tandem.org(a, org).await?;
    let perms = s.tandem.org_permissions(a, org.id).await?;
    let orgs = org_options(&s.tandem.visible_orgs(a).await?, org.id);
    let roles = role_options(&org, perms, None);
    Ok(PeoplePage {
        nav: Nav::load(s, session).await,
        org,
        orgs,
        people,
        perms,
        roles,
        error,
    })
}

/// The people of an organization.
pub(super) async fn get_people(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<OrgQuery>,
) -> Result<PeoplePage, PageError> {
    let org = q.org.unwrap_or(session.actor.org_id);
    people_page(&s, &session, org, None).await
}

/// Add a person.
pub(super) async fn post_people(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, input): CsrfForm<NewPersonInput>,
) -> Response {
    let result = async {
        let role = parse_role(&input.role)?;
        let new = NewUser {
            email: input.email,
            name: input.name,
            role,
            password: input.password,
        };
        s.tandem
            .create_user(&session.actor, input.org_id, &new, &meta)
            .await
    }
    .await;
    match result {
        Ok(_) => Redirect::to(&format!("/people?org={}", input.org_id)).into_response(),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_))) => {
            match people_page(&s, &session, input.org_id, Some(e.to_string())).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

async fn person_page(
    s: &AppState,
    session: &SessionActor,
    id: UserId,
    error: Option<String>,
) -> Result<PersonPage, PageError> {
    let a = &session.actor;
    let person = s.tandem.user(a, id).await?;
    let org = s.tandem.org(a, person.org_id).await?;
    let perms = s.tandem.org_permissions(a, org.id).await?;
    let editable =
        perms.manage_users || (perms.manage_requesters && person.role == Role::Requester);
    let roles = role_options(&org, perms, Some(person.role));
    Ok(PersonPage {
        nav: Nav::load(s, session).await,
        person,
        org,
        roles,
        editable,
        error,
    })
}

/// One person.
pub(super) async fn get_person(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<UserId>,
) -> Result<PersonPage, PageError> {
    person_page(&s, &session, id, None).await
}

/// Change a person.
pub(super) async fn post_person(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<UserId>,
    CsrfForm(session, input): CsrfForm<PersonInput>,
) -> Response {
    let result = async {
        let patch = UserPatch {
            name: Some(input.name),
            role: Some(parse_role(&input.role)?),
            active: Some(input.active.is_some()),
        };
        s.tandem
            .update_user(&session.actor, id, &patch, &meta)
            .await
    }
    .await;
    match result {
        Ok(u) => Redirect::to(&format!("/people?org={}", u.org_id)).into_response(),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_))) => {
            match person_page(&s, &session, id, Some(e.to_string())).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Require TOTP for the organization's staff, or stop requiring it.
pub(super) async fn post_org_settings(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(org): Path<OrgId>,
    CsrfForm(session, input): CsrfForm<SettingsInput>,
) -> Result<Redirect, PageError> {
    s.tandem
        .set_require_totp(&session.actor, org, input.require_totp.is_some(), &meta)
        .await?;
    Ok(Redirect::to(&format!("/people?org={org}")))
}

async fn engagements_page(
    s: &AppState,
    session: &SessionActor,
    error: Option<String>,
) -> Result<EngagementsPage, PageError> {
    let a = &session.actor;
    let engagements = s.tandem.list_engagements(a).await?;
    let perms = s.tandem.org_permissions(a, a.org_id).await?;
    let staff = if perms.manage_engagements {
        s.tandem
            .list_users(a, a.org_id)
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect()
    } else {
        Vec::new()
    };
    let active: Vec<OrgId> = engagements
        .iter()
        .filter(|v| v.engagement.is_active())
        .map(|v| v.engagement.client_id)
        .collect();
    let mut former_clients: Vec<(String, String)> = engagements
        .iter()
        .filter(|v| !active.contains(&v.engagement.client_id))
        .map(|v| {
            (
                v.engagement.client_id.to_string(),
                v.engagement.client_name.clone(),
            )
        })
        .collect();
    former_clients.dedup();
    Ok(EngagementsPage {
        nav: Nav::load(s, session).await,
        engagements,
        perms,
        staff,
        former_clients,
        error,
    })
}

/// Engagements, and who on the provider side has access.
pub(super) async fn get_engagements(
    State(s): State<AppState>,
    PageSession(session): PageSession,
) -> Result<EngagementsPage, PageError> {
    engagements_page(&s, &session, None).await
}

async fn engagement_outcome(
    s: &AppState,
    session: &SessionActor,
    result: Result<EngagementView, ServiceError>,
) -> Response {
    match result {
        Ok(_) => Redirect::to("/engagements").into_response(),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_))) => {
            match engagements_page(s, session, Some(e.to_string())).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Bring on a new client.
pub(super) async fn post_engagements(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<OnboardInput>,
) -> Response {
    let input = OnboardClient {
        name: i.client_name,
        slug: i.client_slug,
        admin: NewUser {
            email: i.admin_email,
            name: i.admin_name,
            role: Role::ClientAdmin,
            password: i.admin_password,
        },
    };
    let r = s.tandem.onboard_client(&session.actor, &input, &meta).await;
    engagement_outcome(&s, &session, r).await
}

/// Re-engage a former client.
pub(super) async fn post_engagement_restart(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<RestartInput>,
) -> Response {
    let r = s
        .tandem
        .restart_engagement(&session.actor, i.client_id, &meta)
        .await;
    engagement_outcome(&s, &session, r).await
}

/// Assign an engineer.
pub(super) async fn post_engagement_assign(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<EngagementId>,
    CsrfForm(session, i): CsrfForm<EngineerInput>,
) -> Response {
    let r = s
        .tandem
        .assign_engineer(&session.actor, id, i.user_id, &meta)
        .await;
    engagement_outcome(&s, &session, r).await
}

/// Take an engineer off.
pub(super) async fn post_engagement_unassign(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<EngagementId>,
    CsrfForm(session, i): CsrfForm<EngineerInput>,
) -> Response {
    let r = s
        .tandem
        .unassign_engineer(&session.actor, id, i.user_id, &meta)
        .await;
    engagement_outcome(&s, &session, r).await
}

/// End an engagement.
pub(super) async fn post_engagement_end(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<EngagementId>,
    CsrfForm(session, _): CsrfForm<serde::de::IgnoredAny>,
) -> Response {
    let r = s.tandem.end_engagement(&session.actor, id, &meta).await;
    engagement_outcome(&s, &session, r).await
}

/// The audit log of one organization's data.
pub(super) async fn get_audit(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<OrgQuery>,
) -> Result<AuditPage, PageError> {
    let a = &session.actor;
    let org = q.org.unwrap_or(a.org_id);
    const PAGE: i64 = 100;
    let side: Option<tandem_domain::Side> = q.side.as_deref().and_then(|v| v.parse().ok());
    let entries = s.tandem.list_audit(a, org, q.before, PAGE, side).await?;
    let org = s.tandem.org(a, org).await?;
    let orgs = org_options(&s.tandem.visible_orgs(a).await?, org.id);
    let older = (entries.len() as i64 == PAGE)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(AuditPage {
        nav: Nav::load(&s, &session).await,
        org,
        orgs,
        entries,
        older,
        side: side.map_or("", tandem_domain::Side::as_str),
    })
}
