//! The vault pages of a client: the list of credentials (never a secret)
//! with a form to add one, a credential's page with its edit form and a
//! Reveal button (a re-authentication form first when the session's proof
//! is older than five minutes; the value is shown once, in the answer to
//! the reveal), the reveal log, and the people who left after revealing
//! credentials with a button that opens their rotation tickets.

use super::Nav;
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::{PageError, Problem};
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use tandem_domain::OrgId;
use tandem_domain::device::parse_date;
use tandem_domain::ids::{VaultDepartureId, VaultSecretId};
use tandem_domain::policy::VaultAction;
use tandem_domain::vault::{SecretSpec, SecretValue};
use tandem_service::auth::SessionActor;
use tandem_service::vault::{
    DepartureView, NewSecret, Proof, ProofHolder, Reveal, RevealError, SecretChange, VaultSecret,
};
use tandem_service::{RequestMeta, ServiceError};

#[derive(Template, WebTemplate)]
#[template(path = "vault.html")]
pub(super) struct VaultPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
    secrets: Vec<VaultSecret>,
    next_after: Option<String>,
    today: String,
    can_write: bool,
    can_log: bool,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "vault_secret.html")]
pub(super) struct SecretPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    secret: VaultSecret,
    can_write: bool,
    can_reveal: bool,
    can_log: bool,
    /// The value and notes, in the answer to a reveal only.
    revealed: Option<(String, String)>,
    /// The reveal was refused for want of a fresh proof.
    needs_reauth: bool,
    notice: Option<String>,
    error: Option<String>,
    reveals: Vec<Reveal>,
}

impl SecretPage {
    /// The URL as a link only when it is a web address (never `javascript:`).
    fn link(&self) -> Option<&str> {
        let u = self.secret.url.as_str();
        (u.starts_with("https://") || u.starts_with("http://")).then_some(u)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "vault_reveals.html")]
pub(super) struct RevealsPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    secret: Option<VaultSecret>,
    reveals: Vec<Reveal>,
    next_before: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "vault_departures.html")]
pub(super) struct DeparturesPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    departures: Vec<DepartureView>,
    notice: Option<String>,
}

/// When, in the page's zone.
fn when(nav: &Nav, ms: i64) -> String {
    nav.zone.short(ms)
}

impl RevealsPage {
    fn when(&self, ms: &i64) -> String {
        when(&self.nav, *ms)
    }
}

impl DeparturesPage {
    fn when(&self, ms: &i64) -> String {
        when(&self.nav, *ms)
    }
}

impl SecretPage {
    fn when(&self, ms: &i64) -> String {
        when(&self.nav, *ms)
    }
}

#[derive(Deserialize)]
pub(super) struct VaultQuery {
    client: Option<OrgId>,
    after: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct DeleteInput {
    version: i64,
}

#[derive(Deserialize)]
pub(super) struct SecretQuery {
    reauth: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RevealsQuery {
    secret: Option<VaultSecretId>,
    before: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct DeparturesQuery {
    opened: Option<usize>,
}

#[derive(Deserialize)]
pub(super) struct AddInput {
    client_id: OrgId,
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    url: String,
    secret: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    rotation_due_on: String,
}

#[derive(Deserialize)]
pub(super) struct EditInput {
    version: i64,
    name: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    url: String,
    /// Blank keeps the secret.
    #[serde(default)]
    secret: String,
    /// Blank keeps the notes.
    #[serde(default)]
    notes: String,
    #[serde(default)]
    rotation_due_on: String,
}

#[derive(Deserialize)]
pub(super) struct Empty {}

#[derive(Deserialize)]
pub(super) struct ReauthInput {
    #[serde(default)]
    password: String,
    #[serde(default)]
    totp_code: String,
    #[serde(default)]
    next: String,
}

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

fn refusal(e: &ServiceError) -> Option<String> {
    match e {
        ServiceError::Invalid(v) => Some(super::refusal_text(v)),
        ServiceError::Conflict(m) => Some(m.clone()),
        ServiceError::Stale { .. } => Some(e.to_string()),
        _ => None,
    }
}

async fn clients_of(
    s: &AppState,
    session: &SessionActor,
    client: Option<OrgId>,
) -> Result<(Vec<(String, String, bool)>, OrgId, String), PageError> {
    let (orgs, client) = super::client_choice(s, &session.actor, client).await?;
    let name = orgs
        .iter()
        .find(|o| o.id == client)
        .map_or_else(String::new, |o| o.name.clone());
    let list = orgs
        .iter()
        .map(|o| (o.id.to_string(), o.name.clone(), o.id == client))
        .collect();
    Ok((list, client, name))
}

async fn vault_page(
    s: &AppState,
    session: &SessionActor,
    client: Option<OrgId>,
    after: Option<&str>,
    error: Option<String>,
) -> Result<VaultPage, PageError> {
    let a = &session.actor;
    let (clients, client, client_name) = clients_of(s, session, client).await?;
    let limit = 200;
    let secrets = s.tandem.vault_secrets(a, client, after, limit).await?;
    let next_after = (secrets.len() as i64 == limit)
        .then(|| secrets.last().map(|x| x.name.clone()))
        .flatten();
    Ok(VaultPage {
        can_write: s.tandem.may_in_vault(a, client, VaultAction::Write).await?,
        can_log: s
            .tandem
            .may_in_vault(a, client, VaultAction::ReadReveals)
            .await?,
        nav: Nav::load(s, session).await,
        client,
        client_name,
        clients,
        secrets,
        next_after,
        today: today().to_string(),
        error,
    })
}

/// The vault of a client: its credentials, never a secret.
pub(super) async fn get_vault(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<VaultQuery>,
) -> Result<VaultPage, PageError> {
    vault_page(&s, &session, q.client, q.after.as_deref(), None).await
}

/// Add a credential; on to its page.
pub(super) async fn post_vault(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<AddInput>,
) -> Response {
    let r = async {
        let new = NewSecret {
            spec: SecretSpec::new(
                &i.name,
                &i.username,
                &i.url,
                parse_date("rotation_due_on", &i.rotation_due_on)?,
            )?,
            secret: SecretValue::parse(&i.secret)?,
            notes: i.notes.clone(),
        };
        s.tandem
            .add_vault_secret(&session.actor, i.client_id, &new, &meta)
            .await
    }
    .await;
    match r {
        Ok(v) => Redirect::to(&format!("/vault/{}/secrets/{}", i.client_id, v.id)).into_response(),
        Err(e) => match refusal(&e) {
            Some(msg) => match vault_page(&s, &session, Some(i.client_id), None, Some(msg)).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            },
            None => PageError::from(e).into_response(),
        },
    }
}

/// What a credential's page shows besides the credential.
#[derive(Default)]
struct Extras {
    revealed: Option<(String, String)>,
    needs_reauth: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn secret_page(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    id: VaultSecretId,
    extras: Extras,
) -> Result<SecretPage, PageError> {
    let a = &session.actor;
    let secret = s.tandem.vault_secret(a, client, id).await?;
    let can_log = s
        .tandem
        .may_in_vault(a, client, VaultAction::ReadReveals)
        .await?;
    let reveals = if can_log {
        s.tandem
            .vault_reveals(a, client, Some(id), None, 20)
            .await?
    } else {
        Vec::new()
    };
    let (_, _, client_name) = clients_of(s, session, Some(client)).await?;
    Ok(SecretPage {
        can_write: s.tandem.may_in_vault(a, client, VaultAction::Write).await?,
        can_reveal: s
            .tandem
            .may_in_vault(a, client, VaultAction::Reveal)
            .await?,
        can_log,
        nav: Nav::load(s, session).await,
        client,
        client_name,
        secret,
        revealed: extras.revealed,
        needs_reauth: extras.needs_reauth,
        notice: extras.notice,
        error: extras.error,
        reveals,
    })
}

/// A credential's page (no secret; the Reveal button asks for it).
pub(super) async fn get_vault_secret(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
    Query(q): Query<SecretQuery>,
) -> Result<SecretPage, PageError> {
    let extras = match q.reauth.as_deref() {
        Some("ok") => Extras {
            notice: Some("Identity confirmed: you may reveal credentials for five minutes.".into()),
            ..Extras::default()
        },
        Some(_) => Extras {
            needs_reauth: true,
            error: Some("The password or code was wrong; try again.".into()),
            ..Extras::default()
        },
        None => Extras::default(),
    };
    secret_page(&s, &session, client, id, extras).await
}

/// Change a credential (a new secret is a rotation).
pub(super) async fn post_vault_secret(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
    CsrfForm(session, i): CsrfForm<EditInput>,
) -> Response {
    let r = async {
        let change = SecretChange {
            name: Some(i.name.clone()),
            username: Some(i.username.clone()),
            url: Some(i.url.clone()),
            rotation_due_on: Some(parse_date("rotation_due_on", &i.rotation_due_on)?),
            secret: (!i.secret.is_empty())
                .then(|| SecretValue::parse(&i.secret))
                .transpose()?,
            notes: (!i.notes.trim().is_empty()).then(|| i.notes.clone()),
        };
        s.tandem
            .change_vault_secret(&session.actor, client, id, i.version, &change, &meta)
            .await
    }
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/vault/{client}/secrets/{id}")).into_response(),
        Err(e) => {
            refused_on_page(
                &s,
                &session,
                client,
                id,
                e,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// A write on a credential's page that was refused: the page again with
/// why, answered `status`, when the refusal is the person's to mend;
/// otherwise the error page.
async fn refused_on_page(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    id: VaultSecretId,
    e: ServiceError,
    status: StatusCode,
) -> Response {
    let Some(msg) = refusal(&e) else {
        return PageError::from(e).into_response();
    };
    let extras = Extras {
        error: Some(msg),
        ..Extras::default()
    };
    match secret_page(s, session, client, id, extras).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Delete a credential read at `version`; back to the client's vault.
pub(super) async fn post_vault_secret_delete(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
    CsrfForm(session, i): CsrfForm<DeleteInput>,
) -> Response {
    match s
        .tandem
        .delete_vault_secret(&session.actor, client, id, i.version, &meta)
        .await
    {
        Ok(()) => Redirect::to(&format!("/vault?client={client}")).into_response(),
        Err(e) => refused_on_page(&s, &session, client, id, e, StatusCode::CONFLICT).await,
    }
}

/// Reveal a credential: the page with the value, once, never cached; or
/// the re-authentication form when the session's proof is stale.
pub(super) async fn post_vault_secret_reveal(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((client, id)): Path<(OrgId, VaultSecretId)>,
    headers: HeaderMap,
    CsrfForm(session, _): CsrfForm<Empty>,
) -> Response {
    let proof = Proof::Session {
        session_hash: session.session_hash.clone(),
    };
    let ua = crate::api::vault::user_agent(&headers);
    let extras = match s
        .tandem
        .reveal_vault_secret(&session.actor, client, id, &proof, &ua, &meta)
        .await
    {
        Ok(r) => Extras {
            revealed: Some((r.value.as_str().to_owned(), r.notes.as_str().to_owned())),
            ..Extras::default()
        },
        Err(RevealError::ReauthRequired) => Extras {
            needs_reauth: true,
            ..Extras::default()
        },
        Err(RevealError::Service(e)) => return PageError::from(e).into_response(),
    };
    match secret_page(&s, &session, client, id, extras).await {
        Ok(p) => {
            let mut res = p.into_response();
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => e.into_response(),
    }
}

/// Prove one's identity again (password or TOTP code), then back to the
/// page that asked (a vault page), to reveal within five minutes.
pub(super) async fn post_reauth(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<ReauthInput>,
) -> Response {
    let next = if i.next.starts_with("/vault/") && !i.next.contains(['?', '#', '\\']) {
        i.next.clone()
    } else {
        "/vault".to_owned()
    };
    let holder = ProofHolder::Session(session.session_hash.clone());
    let given = |v: &str| (!v.trim().is_empty()).then(|| v.to_owned());
    let (password, code) = (given(&i.password), given(&i.totp_code));
    let sep = if next.contains('?') { '&' } else { '?' };
    match s
        .tandem
        .reauthenticate(
            &session.actor,
            &holder,
            password.as_deref(),
            code.as_deref(),
            &meta,
        )
        .await
    {
        Ok(()) => Redirect::to(&format!("{next}{sep}reauth=ok")).into_response(),
        Err(ServiceError::Unauthenticated | ServiceError::Invalid(_)) => {
            Redirect::to(&format!("{next}{sep}reauth=failed")).into_response()
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// The reveal log of a client, optionally of one credential.
pub(super) async fn get_vault_reveals(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(client): Path<OrgId>,
    Query(q): Query<RevealsQuery>,
) -> Result<RevealsPage, PageError> {
    let a = &session.actor;
    let limit = 100;
    let reveals = s
        .tandem
        .vault_reveals(a, client, q.secret, q.before.as_deref(), limit)
        .await?;
    let secret = match q.secret {
        Some(id) => Some(s.tandem.vault_secret(a, client, id).await?),
        None => None,
    };
    let (_, client, client_name) = clients_of(&s, &session, Some(client)).await?;
    Ok(RevealsPage {
        nav: Nav::load(&s, &session).await,
        next_before: (reveals.len() as i64 == limit)
            .then(|| reveals.last().map(|r| r.id.clone()))
            .flatten(),
        client,
        client_name,
        secret,
        reveals,
    })
}

/// People who left after revealing the client's credentials.
pub(super) async fn get_vault_departures(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(client): Path<OrgId>,
    Query(q): Query<DeparturesQuery>,
) -> Result<DeparturesPage, PageError> {
    let departures = s.tandem.vault_departures(&session.actor, client).await?;
    let (_, client, client_name) = clients_of(&s, &session, Some(client)).await?;
    Ok(DeparturesPage {
        nav: Nav::load(&s, &session).await,
        notice: q.opened.map(|n| match n {
            0 => "No new rotation tickets: each credential has one already, or was changed since."
                .to_owned(),
            1 => "Opened 1 rotation ticket.".to_owned(),
            n => format!("Opened {n} rotation tickets."),
        }),
        client,
        client_name,
        departures,
    })
}

/// Open the rotation tickets of one departure; back to the list.
pub(super) async fn post_vault_departure_tickets(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((client, departure)): Path<(OrgId, VaultDepartureId)>,
    CsrfForm(session, _): CsrfForm<Empty>,
) -> Response {
    match s
        .tandem
        .open_rotation_tickets(&session.actor, client, departure, &meta)
        .await
    {
        Ok(opened) => Redirect::to(&format!(
            "/vault/{client}/departures?opened={}",
            opened.len()
        ))
        .into_response(),
        Err(e) => PageError(Problem::from(e)).into_response(),
    }
}
