//! The alerts page of a client: its intake sources with their last-seen
//! times, the alerts firing now with their tickets, and (for either side's
//! admin) a form to add a source, whose key is shown once, and a revoke
//! button per source.

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
use tandem_domain::alert::{AuthMode, SourceKind};
use tandem_domain::{AlertSourceId, OrgId};
use tandem_service::alerts::{FiringView, NewSource, Source};
use tandem_service::auth::SessionActor;
use tandem_service::{RequestMeta, ServiceError};

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
pub(super) struct AlertsPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
    sources: Vec<Source>,
    firing: Vec<FiringView>,
    can_manage: bool,
    /// A key just created: shown this once.
    new_key: Option<(String, String)>,
    error: Option<String>,
}

impl AlertsPage {
    fn when(&self, ms: &Option<i64>) -> String {
        ms.map_or_else(|| "never".into(), |m| self.nav.zone.short(m))
    }

    fn at(&self, ms: &i64) -> String {
        self.nav.zone.short(*ms)
    }

    fn kind_words(&self, k: &SourceKind) -> &'static str {
        match k {
            SourceKind::Alertmanager => "Prometheus Alertmanager",
            SourceKind::Generic => "Generic JSON events",
        }
    }

    fn auth_words(&self, a: &AuthMode) -> &'static str {
        match a {
            AuthMode::Bearer => "Bearer key",
            AuthMode::Hmac => "HMAC signature",
        }
    }
}

#[derive(Deserialize)]
pub(super) struct AlertsQuery {
    client: Option<OrgId>,
}

#[derive(Deserialize)]
pub(super) struct SourceInput {
    client_id: OrgId,
    name: String,
    kind: SourceKind,
    auth_mode: AuthMode,
    default_category: String,
    #[serde(default)]
    category_label: String,
    #[serde(default)]
    impact_label: String,
    #[serde(default)]
    device_label: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    group_alerts: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct RevokeInput {
    client_id: OrgId,
}

async fn alerts_page(
    s: &AppState,
    session: &SessionActor,
    client: Option<OrgId>,
    new_key: Option<(String, String)>,
    error: Option<String>,
) -> Result<AlertsPage, PageError> {
    let a = &session.actor;
    let (orgs, client) = super::client_choice(s, a, client).await?;
    let sources = s.tandem.alert_sources(a, client).await?;
    let firing = s.tandem.firing_alerts(a, client).await?;
    let can_manage = s.tandem.may_manage_alert_sources(a, client).await?;
    Ok(AlertsPage {
        nav: Nav::load(s, session).await,
        client,
        client_name: orgs
            .iter()
            .find(|o| o.id == client)
            .map_or_else(String::new, |o| o.name.clone()),
        clients: orgs
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone(), o.id == client))
            .collect(),
        sources,
        firing,
        can_manage,
        new_key,
        error,
    })
}

/// The alerts page.
pub(super) async fn get_alerts(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<AlertsQuery>,
) -> Result<AlertsPage, PageError> {
    alerts_page(&s, &session, q.client, None, None).await
}

fn optional(raw: String) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// Add a source: the page again, showing its key this once.
pub(super) async fn post_alerts(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<SourceInput>,
) -> Response {
    let client = i.client_id;
    let input = NewSource {
        name: i.name,
        kind: i.kind,
        auth_mode: i.auth_mode,
        default_category: i.default_category,
        category_label: optional(i.category_label),
        impact_label: optional(i.impact_label),
        device_label: optional(i.device_label),
        group_alerts: i.group_alerts.is_some(),
    };
    let (status, new_key, error) = match s
        .tandem
        .create_alert_source(&session.actor, client, &input, &meta)
        .await
    {
        Ok((source, key)) => (
            StatusCode::OK,
            Some((format!("{} ({})", source.name, source.id), key)),
            None,
        ),
        Err(ServiceError::Invalid(v)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(format!("{}: {}", v.field.replace('_', " "), v.message)),
        ),
        Err(e) => return PageError::from(e).into_response(),
    };
    match alerts_page(&s, &session, Some(client), new_key, error).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Revoke a source.
pub(super) async fn post_alert_source_revoke(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<AlertSourceId>,
    CsrfForm(session, i): CsrfForm<RevokeInput>,
) -> Response {
    match s
        .tandem
        .revoke_alert_source(&session.actor, i.client_id, id, &meta)
        .await
    {
        Ok(()) => Redirect::to(&format!("/alerts?client={}", i.client_id)).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
