//! The desk set-up page: the responsibility split as a matrix with its
//! history, the client's calendar, and SLA policies with a deadline preview.

use super::{Nav, words};
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::borrow::Cow;
use tandem_domain::ticket::{OwnerSide, Priority};
use tandem_domain::{OrgId, UserId, ValidationError};
use tandem_service::auth::SessionActor;
use tandem_service::desk::{CalendarSpec, Policy, WindowSpec};
use tandem_service::desk_setup::{DeskSetup, SplitEdit};
use tandem_service::model::SplitChange;
use tandem_service::{RequestMeta, ServiceError};

#[derive(Template, WebTemplate)]
#[template(path = "desk.html")]
pub(super) struct DeskPage {
    nav: Nav,
    client: OrgId,
    clients: Vec<(String, String, bool)>,
    desk: DeskSetup,
    history: Vec<SplitChange>,
    provider_staff: Vec<(String, String)>,
    client_staff: Vec<(String, String)>,
    can_edit: bool,
    windows_text: String,
    holidays_text: String,
    preview: Option<(String, String, String)>,
    error: Option<String>,
}

impl DeskPage {
    fn at(&self, ms: &i64) -> super::local::LocalTime {
        self.nav.zone.at(*ms)
    }

    fn change_text(&self, change: &str) -> String {
        words::split_change(change, |id| self.name_of(&Some(id.to_owned())))
    }

    fn owner(&self, code: &str) -> Cow<'static, str> {
        words::owner_side(code)
    }

    fn side(&self, code: &str) -> Cow<'static, str> {
        words::side(code)
    }

    fn status(&self, code: &str) -> Cow<'static, str> {
        words::status(code)
    }

    fn category_name(&self, key: &str) -> String {
        self.desk
            .split
            .iter()
            .find(|l| l.category_key == key)
            .map_or_else(|| key.to_owned(), |l| l.category_name.clone())
    }

    fn name_of(&self, id: &Option<String>) -> String {
        let Some(id) = id else { return "—".into() };
        self.provider_staff
            .iter()
            .chain(self.client_staff.iter())
            .find(|u| &u.0 == id)
            .map_or_else(|| "—".into(), |u| u.1.clone())
    }
}

#[derive(Deserialize)]
pub(super) struct DeskQuery {
    client: Option<OrgId>,
    preview_priority: Option<Priority>,
    preview_at: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct SplitInput {
    client_id: OrgId,
    category: String,
    business_hours: OwnerSide,
    after_hours: OwnerSide,
    #[serde(default)]
    provider_assignee: String,
    #[serde(default)]
    in_house_assignee: String,
    #[serde(default)]
    in_scope: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CategoryInput {
    client_id: OrgId,
    key: String,
    name: String,
}

#[derive(Deserialize)]
pub(super) struct CalendarInput {
    client_id: OrgId,
    time_zone: String,
    windows: String,
    #[serde(default)]
    holidays: String,
}

#[derive(Deserialize)]
pub(super) struct SlaInput {
    client_id: OrgId,
    priority: Priority,
    response_minutes: i64,
    resolution_minutes: i64,
    #[serde(default)]
    around_the_clock: Option<String>,
    warn_percent: i64,
}

fn windows_text(c: &CalendarSpec) -> String {
    c.windows
        .iter()
        .map(|w| format!("{} {}-{}", w.day, w.start, w.end))
        .collect::<Vec<_>>()
        .join("\n")
}

fn holidays_text(c: &CalendarSpec) -> String {
    c.holidays
        .iter()
        .chain(c.yearly_holidays.iter())
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

/// Read "mon 09:00-17:00" lines.
fn parse_windows(text: &str) -> Result<Vec<WindowSpec>, ServiceError> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (day, span) = l.split_once(char::is_whitespace).ok_or_else(|| {
                ValidationError::new("windows", format!("{l:?}: write e.g. mon 09:00-17:00"))
            })?;
            let (start, end) = span.trim().split_once('-').ok_or_else(|| {
                ValidationError::new("windows", format!("{l:?}: write e.g. mon 09:00-17:00"))
            })?;
            Ok(WindowSpec {
                day: day.trim().to_lowercase(),
                start: start.trim().into(),
                end: end.trim().into(),
            })
        })
        .collect()
}

/// Holidays: `YYYY-MM-DD` once, `MM-DD` every year.
fn parse_holidays(text: &str) -> (Vec<String>, Vec<String>) {
    let all: Vec<String> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    all.into_iter().partition(|h| h.len() == 10)
}

async fn desk_page(
    s: &AppState,
    session: &SessionActor,
    client: Option<OrgId>,
    preview: Option<(Priority, String)>,
    error: Option<String>,
) -> Result<DeskPage, PageError> {
    let a = &session.actor;
    let (orgs, client) = super::client_choice(s, a, client).await?;
    let desk = s.tandem.desk_setup(a, client).await?;
    let history = s.tandem.split_history(a, client).await?;
    let perms = s.tandem.org_permissions(a, client).await?;
    let can_edit = matches!(
        a.role,
        tandem_domain::Role::ClientAdmin | tandem_domain::Role::ProviderAdmin
    ) && (perms.manage_settings || perms.manage_requesters);
    let client_staff = s
        .tandem
        .list_users(a, client)
        .await?
        .into_iter()
        .filter(|u| u.active && u.role.is_staff() && u.role != tandem_domain::Role::ClientViewer)
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let provider_staff = s
        .tandem
        .engagement(a, desk.engagement.id)
        .await?
        .engineers
        .into_iter()
        .map(|e| (e.user_id.to_string(), e.name))
        .collect();
    let nav = Nav::load(s, session).await;
    let preview = match preview {
        Some((p, at)) => {
            let opened: jiff::Timestamp = at.parse().map_err(|_| {
                ServiceError::from(ValidationError::new(
                    "preview_at",
                    "use e.g. 2026-12-24T16:30:00Z",
                ))
            })?;
            let (r, res) = s
                .tandem
                .preview_deadlines(a, client, p, opened.as_millisecond())
                .await?;
            Some((
                format!(
                    "{} opened {}",
                    p.as_str().to_uppercase(),
                    nav.zone.exact(opened.as_millisecond())
                ),
                nav.zone.exact(r),
                nav.zone.exact(res),
            ))
        }
        None => None,
    };
    Ok(DeskPage {
        nav,
        client,
        clients: orgs
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone(), o.id == client))
            .collect(),
        windows_text: windows_text(&desk.calendar),
        holidays_text: holidays_text(&desk.calendar),
        desk,
        history,
        provider_staff,
        client_staff,
        can_edit,
        preview,
        error,
    })
}

/// The desk page.
pub(super) async fn get_desk(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<DeskQuery>,
) -> Result<DeskPage, PageError> {
    let preview = q.preview_priority.zip(q.preview_at);
    desk_page(&s, &session, q.client, preview, None).await
}

async fn outcome(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    r: Result<(), ServiceError>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/desk?client={client}")).into_response(),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_))) => {
            match desk_page(s, session, Some(client), None, Some(e.to_string())).await {
                Ok(p) => (axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

fn user_or_none(raw: &str, field: &'static str) -> Result<Option<UserId>, ServiceError> {
    match raw.trim() {
        "" => Ok(None),
        r => r
            .parse()
            .map(Some)
            .map_err(|_| ValidationError::new(field, "unknown person").into()),
    }
}

/// Change a line of the split.
pub(super) async fn post_desk_split(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<SplitInput>,
) -> Response {
    let r = async {
        let edit = SplitEdit {
            category: i.category,
            business_hours: i.business_hours,
            after_hours: i.after_hours,
            provider_assignee: user_or_none(&i.provider_assignee, "provider_assignee")?,
            in_house_assignee: user_or_none(&i.in_house_assignee, "in_house_assignee")?,
            in_scope: i.in_scope.is_some(),
        };
        s.tandem
            .edit_split(&session.actor, i.client_id, &edit, &meta)
            .await
            .map(|_| ())
    }
    .await;
    outcome(&s, &session, i.client_id, r).await
}

/// Add a category.
pub(super) async fn post_desk_category(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<CategoryInput>,
) -> Response {
    let r = s
        .tandem
        .add_category(&session.actor, i.client_id, &i.key, &i.name, &meta)
        .await
        .map(|_| ());
    outcome(&s, &session, i.client_id, r).await
}

/// Replace the calendar.
pub(super) async fn post_desk_calendar(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<CalendarInput>,
) -> Response {
    let r = async {
        let (holidays, yearly_holidays) = parse_holidays(&i.holidays);
        let spec = CalendarSpec {
            time_zone: i.time_zone.trim().into(),
            windows: parse_windows(&i.windows)?,
            holidays,
            yearly_holidays,
        };
        s.tandem
            .set_calendar(&session.actor, i.client_id, &spec, &meta)
            .await
    }
    .await;
    outcome(&s, &session, i.client_id, r).await
}

/// Replace one SLA policy.
pub(super) async fn post_desk_sla(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<SlaInput>,
) -> Response {
    let r = async {
        // The form edits targets and clock; the pausing statuses stay as they are.
        let current = s.tandem.desk_setup(&session.actor, i.client_id).await?;
        let pause_statuses = current
            .policies
            .iter()
            .find(|(p, _)| *p == i.priority)
            .map_or_else(
                || tandem_service::desk::DEFAULT_PAUSE.to_vec(),
                |(_, p)| p.pause_statuses.clone(),
            );
        let p = Policy {
            response_minutes: i.response_minutes,
            resolution_minutes: i.resolution_minutes,
            around_the_clock: i.around_the_clock.is_some(),
            pause_statuses,
            warn_percent: i.warn_percent,
        };
        s.tandem
            .set_policy(&session.actor, i.client_id, i.priority, &p, &meta)
            .await
    }
    .await;
    outcome(&s, &session, i.client_id, r).await
}
