//! The webhooks page of a client: both sides' endpoints (the other side's
//! URLs left out), a form for the asker's own side whose secret is shown
//! once, revoke and "send test event" buttons, and the delivery log of
//! one's own endpoint, paged newest first.

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
use tandem_domain::webhook::WebhookEvent;
use tandem_domain::{OrgId, Side, WebhookId};
use tandem_service::auth::SessionActor;
use tandem_service::webhooks::{DeliveryPage, NewWebhook, WebhookView};
use tandem_service::{RequestMeta, ServiceError};

/// Deliveries per page of the log.
const LOG_PAGE: i64 = 25;

#[derive(Template, WebTemplate)]
#[template(path = "webhooks.html")]
pub(super) struct WebhooksPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
    webhooks: Vec<WebhookView>,
    can_create: bool,
    /// The name of an endpoint just created and its secret: shown this once.
    new_secret: Option<(String, String)>,
    /// The endpoint whose log is open, with a page of it.
    log: Option<(WebhookView, DeliveryPage)>,
    error: Option<String>,
}

impl WebhooksPage {
    fn at(&self, ms: &i64) -> String {
        self.nav.zone.short(*ms)
    }

    fn side_words(&self, s: &Side) -> &'static str {
        match s {
            Side::Provider => "Provider",
            Side::Client => "In-house",
        }
    }

    fn event_words(&self, e: &WebhookEvent) -> &'static str {
        match e {
            WebhookEvent::Opened => "opened",
            WebhookEvent::Assigned => "assigned",
            WebhookEvent::HandedOff => "handed off",
            WebhookEvent::SlaWarning => "SLA warning",
            WebhookEvent::SlaBreach => "SLA breach",
            WebhookEvent::Resolved => "resolved",
        }
    }

    fn all_events(&self) -> &'static [WebhookEvent] {
        WebhookEvent::ALL
    }
}

#[derive(Deserialize)]
pub(super) struct WebhooksQuery {
    client: Option<OrgId>,
    /// The endpoint whose delivery log to show.
    log: Option<WebhookId>,
    /// The log's page cursor.
    before: Option<String>,
}

/// The create form: one checkbox per event, each present when ticked.
#[derive(Deserialize)]
pub(super) struct WebhookInput {
    client_id: OrgId,
    name: String,
    url: String,
    #[serde(default)]
    opened: Option<String>,
    #[serde(default)]
    assigned: Option<String>,
    #[serde(default)]
    handed_off: Option<String>,
    #[serde(default)]
    sla_warning: Option<String>,
    #[serde(default)]
    sla_breach: Option<String>,
    #[serde(default)]
    resolved: Option<String>,
}

impl WebhookInput {
    fn events(&self) -> Vec<WebhookEvent> {
        [
            (&self.opened, WebhookEvent::Opened),
            (&self.assigned, WebhookEvent::Assigned),
            (&self.handed_off, WebhookEvent::HandedOff),
            (&self.sla_warning, WebhookEvent::SlaWarning),
            (&self.sla_breach, WebhookEvent::SlaBreach),
            (&self.resolved, WebhookEvent::Resolved),
        ]
        .into_iter()
        .filter_map(|(on, e)| on.is_some().then_some(e))
        .collect()
    }
}

#[derive(Deserialize)]
pub(super) struct ClientInput {
    client_id: OrgId,
}

async fn webhooks_page(
    s: &AppState,
    session: &SessionActor,
    q: WebhooksQuery,
    new_secret: Option<(String, String)>,
    error: Option<String>,
) -> Result<WebhooksPage, PageError> {
    let a = &session.actor;
    let (orgs, client) = super::client_choice(s, a, q.client).await?;
    let webhooks = s.tandem.webhooks(a, client).await?;
    let can_create = s.tandem.may_create_webhooks(a, client).await?;
    let log = match q.log {
        Some(id) => {
            let page = s
                .tandem
                .webhook_deliveries(a, client, id, q.before.as_deref(), LOG_PAGE)
                .await?;
            let w = webhooks
                .iter()
                .find(|w| w.webhook.id == id)
                .cloned()
                .ok_or(ServiceError::NotFound)?;
            Some((w, page))
        }
        None => None,
    };
    Ok(WebhooksPage {
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
        webhooks,
        can_create,
        new_secret,
        log,
        error,
    })
}

/// The webhooks page.
pub(super) async fn get_webhooks(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<WebhooksQuery>,
) -> Result<WebhooksPage, PageError> {
    webhooks_page(&s, &session, q, None, None).await
}

fn page_of(client: OrgId) -> WebhooksQuery {
    WebhooksQuery {
        client: Some(client),
        log: None,
        before: None,
    }
}

/// Add an endpoint: the page again, showing its secret this once.
pub(super) async fn post_webhooks(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<WebhookInput>,
) -> Response {
    let client = i.client_id;
    let input = NewWebhook {
        events: i.events(),
        name: i.name,
        url: i.url,
    };
    let (status, new_secret, error) = match s
        .tandem
        .create_webhook(&session.actor, client, &input, &meta)
        .await
    {
        Ok((w, secret)) => (StatusCode::OK, Some((w.webhook.name, secret)), None),
        Err(ServiceError::Invalid(v)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(super::refusal_text(&v)),
        ),
        Err(e) => return PageError::from(e).into_response(),
    };
    match webhooks_page(&s, &session, page_of(client), new_secret, error).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Revoke an endpoint.
pub(super) async fn post_webhook_revoke(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<WebhookId>,
    CsrfForm(session, i): CsrfForm<ClientInput>,
) -> Response {
    match s
        .tandem
        .revoke_webhook(&session.actor, i.client_id, id, &meta)
        .await
    {
        Ok(()) => Redirect::to(&format!("/webhooks?client={}", i.client_id)).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Queue a test event, then show the endpoint's log where it will appear.
pub(super) async fn post_webhook_test(
    State(s): State<AppState>,
    Path(id): Path<WebhookId>,
    CsrfForm(session, i): CsrfForm<ClientInput>,
) -> Response {
    match s
        .tandem
        .send_test_webhook(&session.actor, i.client_id, id)
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/webhooks?client={}&log={id}", i.client_id)).into_response()
        }
        Err(e) => PageError::from(e).into_response(),
    }
}
