//! The alerts page of a client: its intake sources with their last-seen
//! times, the alerts firing now with their tickets, and (for either side's
//! admin) a form to add a source, whose key is shown once, and a revoke
//! button per source; and its maintenance windows (active now, upcoming)
//! with forms to add and delete them.

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
use tandem_domain::{AlertSourceId, MaintenanceWindowId, OrgId, ValidationError};
use tandem_service::alerts::{FiringView, NewSource, Source};
use tandem_service::auth::SessionActor;
use tandem_service::maintenance::{NewMaintenanceWindow, NewSchedule, WindowView};
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
    /// Maintenance windows not over, active ones first.
    windows: Vec<WindowView>,
    can_manage_windows: bool,
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

    /// When a window holds alerts back, in words.
    fn window_when(&self, v: &WindowView) -> String {
        match (v.window.starts_at, v.window.ends_at) {
            (Some(s), Some(e)) => format!(
                "From {} to {}",
                self.nav.zone.short(s),
                self.nav.zone.short(e)
            ),
            _ => format!(
                "Every {} at {} for {} min ({})",
                v.schedule.weekday_names().join(", "),
                v.window.start_time.as_deref().unwrap_or(""),
                v.window.duration_minutes.unwrap_or(0),
                v.time_zone
            ),
        }
    }

    /// Whether a window is active now, or when it next is.
    fn window_state(&self, v: &WindowView) -> String {
        match (v.active, v.next) {
            (true, Some((_, e))) => format!("Active now, until {}", self.nav.zone.short(e)),
            (true, None) => "Active now".into(),
            (false, Some((s, _))) => format!("Upcoming: {}", self.nav.zone.short(s)),
            (false, None) => "Over".into(),
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
    /// Empty: the default quiet period.
    #[serde(default)]
    quiet_minutes: String,
    /// Empty: no dead man's switch.
    #[serde(default)]
    heartbeat_minutes: String,
    /// Empty: the default storm threshold.
    #[serde(default)]
    storm_per_minute: String,
    /// Empty: the default rate.
    #[serde(default)]
    rate_per_second: String,
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
    let windows = s.tandem.maintenance_windows(a, client).await?;
    let can_manage_windows = s.tandem.may_manage_maintenance(a, client).await?;
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
        windows,
        can_manage_windows,
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

/// A minutes field of the form: empty is none; the range is the service's.
fn minutes_of(field: &'static str, raw: &str) -> Result<Option<i64>, ServiceError> {
    match raw.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| ValidationError::new(field, "must be a whole number of minutes").into()),
    }
}

/// A count field of the form (storm threshold, rate): empty is none.
fn count_of(field: &'static str, raw: &str) -> Result<Option<i64>, ServiceError> {
    match raw.trim() {
        "" => Ok(None),
        t => t
            .parse()
            .map(Some)
            .map_err(|_| ValidationError::new(field, "must be a whole number").into()),
    }
}

/// Add a source: the page again, showing its key this once.
pub(super) async fn post_alerts(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<SourceInput>,
) -> Response {
    let client = i.client_id;
    let quiet = minutes_of("quiet_minutes", &i.quiet_minutes);
    let heartbeat = minutes_of("heartbeat_minutes", &i.heartbeat_minutes);
    let storm = count_of("storm_per_minute", &i.storm_per_minute);
    let rate = count_of("rate_per_second", &i.rate_per_second);
    let input = NewSource {
        name: i.name,
        kind: i.kind,
        auth_mode: i.auth_mode,
        default_category: i.default_category,
        category_label: optional(i.category_label),
        impact_label: optional(i.impact_label),
        device_label: optional(i.device_label),
        group_alerts: i.group_alerts.is_some(),
        quiet_minutes: None,
        heartbeat_minutes: None,
        storm_per_minute: None,
        rate_per_second: None,
    };
    let created = match (quiet, heartbeat, storm, rate) {
        (Ok(quiet_minutes), Ok(heartbeat_minutes), Ok(storm_per_minute), Ok(rate_per_second)) => {
            let input = NewSource {
                quiet_minutes,
                heartbeat_minutes,
                storm_per_minute,
                rate_per_second,
                ..input
            };
            s.tandem
                .create_alert_source(&session.actor, client, &input, &meta)
                .await
        }
        (Err(e), ..) | (_, Err(e), ..) | (_, _, Err(e), _) | (.., Err(e)) => Err(e),
    };
    let (status, new_key, error) = match created {
        Ok((source, key)) => (
            StatusCode::OK,
            Some((format!("{} ({})", source.name, source.id), key)),
            None,
        ),
        Err(ServiceError::Invalid(v)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(super::refusal_text(&v)),
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

#[derive(Deserialize)]
pub(super) struct WindowInput {
    client_id: OrgId,
    reason: String,
    /// Empty: all the client's sources.
    #[serde(default)]
    source_id: String,
    /// `once` or `weekly`.
    kind: String,
    /// Once: local date and time in the client's zone.
    #[serde(default)]
    starts_at: String,
    #[serde(default)]
    ends_at: String,
    /// Weekly: one checkbox per day, present when ticked.
    #[serde(default)]
    day_mon: Option<String>,
    #[serde(default)]
    day_tue: Option<String>,
    #[serde(default)]
    day_wed: Option<String>,
    #[serde(default)]
    day_thu: Option<String>,
    #[serde(default)]
    day_fri: Option<String>,
    #[serde(default)]
    day_sat: Option<String>,
    #[serde(default)]
    day_sun: Option<String>,
    #[serde(default)]
    start_time: String,
    #[serde(default)]
    duration_minutes: String,
}

impl WindowInput {
    fn into_window(self) -> Result<NewMaintenanceWindow, ServiceError> {
        let source_id = match self.source_id.trim() {
            "" => None,
            id => Some(id.parse::<AlertSourceId>().map_err(|_| {
                ServiceError::from(ValidationError::new(
                    "source_id",
                    "is not a source of this client",
                ))
            })?),
        };
        let schedule = match self.kind.as_str() {
            "weekly" => {
                let days = [
                    ("mon", &self.day_mon),
                    ("tue", &self.day_tue),
                    ("wed", &self.day_wed),
                    ("thu", &self.day_thu),
                    ("fri", &self.day_fri),
                    ("sat", &self.day_sat),
                    ("sun", &self.day_sun),
                ];
                NewSchedule::Weekly {
                    weekdays: days
                        .iter()
                        .filter(|(_, on)| on.is_some())
                        .map(|(d, _)| (*d).to_owned())
                        .collect(),
                    start_time: self.start_time,
                    duration_minutes: count_of("duration_minutes", &self.duration_minutes)?
                        .unwrap_or(0),
                }
            }
            _ => NewSchedule::Once {
                starts_at: self.starts_at,
                ends_at: self.ends_at,
            },
        };
        Ok(NewMaintenanceWindow {
            reason: self.reason,
            source_id,
            schedule,
        })
    }
}

#[derive(Deserialize)]
pub(super) struct WindowDeleteInput {
    client_id: OrgId,
}

/// Add a maintenance window: back to the page, or the page with the
/// field at fault.
pub(super) async fn post_maintenance_window(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<WindowInput>,
) -> Response {
    let client = i.client_id;
    let created = match i.into_window() {
        Ok(w) => {
            s.tandem
                .create_maintenance_window(&session.actor, client, &w, &meta)
                .await
        }
        Err(e) => Err(e),
    };
    let error = match created {
        Ok(_) => return Redirect::to(&format!("/alerts?client={client}")).into_response(),
        Err(ServiceError::Invalid(v)) => super::refusal_text(&v),
        Err(e) => return PageError::from(e).into_response(),
    };
    match alerts_page(&s, &session, Some(client), None, Some(error)).await {
        Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Delete a maintenance window.
pub(super) async fn post_maintenance_window_delete(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<MaintenanceWindowId>,
    CsrfForm(session, i): CsrfForm<WindowDeleteInput>,
) -> Response {
    match s
        .tandem
        .delete_maintenance_window(&session.actor, i.client_id, id, &meta)
        .await
    {
        Ok(()) => Redirect::to(&format!("/alerts?client={}", i.client_id)).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
