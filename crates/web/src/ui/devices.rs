//! The device inventory page of a client: the counts per class today, the
//! devices with their class and status in words, a form to add one, an
//! edit form and a retire button per device, and a CSV upload whose
//! outcome (or every refused row) is shown on the page.

use super::{Nav, words};
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::{PageError, Problem};
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::borrow::Cow;
use tandem_domain::device::{
    DeviceClass, DeviceCounts, DeviceSpec, DeviceStatus, IMPORT_MAX_BYTES, RowProblem, parse_date,
};
use tandem_domain::{DeviceId, OrgId};
use tandem_service::auth::SessionActor;
use tandem_service::devices::{DeviceChange, ImportError};
use tandem_service::model::Device;
use tandem_service::{RequestMeta, ServiceError};

#[derive(Template, WebTemplate)]
#[template(path = "devices.html")]
pub(super) struct DevicesPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
    devices: Vec<Device>,
    counts: DeviceCounts,
    today: String,
    can_edit: bool,
    editing: Option<Device>,
    outcome: Option<String>,
    error: Option<String>,
    problems: Vec<RowProblem>,
    more_problems: usize,
}

impl DevicesPage {
    fn class_words(&self, c: &DeviceClass) -> Cow<'static, str> {
        words::device_class(c.as_str())
    }

    fn status_words(&self, s: &DeviceStatus) -> Cow<'static, str> {
        words::device_status(s.as_str())
    }

    fn classes(&self) -> Vec<(&'static str, Cow<'static, str>, Cow<'static, str>, i64)> {
        DeviceClass::ALL
            .iter()
            .map(|c| {
                (
                    c.as_str(),
                    words::device_class(c.as_str()),
                    words::device_class_plural(c.as_str()),
                    self.counts.of(*c),
                )
            })
            .collect()
    }

    fn statuses(&self) -> Vec<(&'static str, Cow<'static, str>)> {
        DeviceStatus::ALL
            .iter()
            .map(|s| (s.as_str(), words::device_status(s.as_str())))
            .collect()
    }

    fn date(&self, d: &Option<String>) -> String {
        d.clone().unwrap_or_else(|| "—".into())
    }
}

#[derive(Deserialize)]
pub(super) struct DevicesQuery {
    client: Option<OrgId>,
    edit: Option<DeviceId>,
    added: Option<usize>,
    changed: Option<usize>,
    unchanged: Option<usize>,
}

#[derive(Deserialize)]
pub(super) struct AddInput {
    client_id: OrgId,
    name: String,
    class: DeviceClass,
    status: DeviceStatus,
    #[serde(default)]
    acquired_on: String,
    #[serde(default)]
    retired_on: String,
}

#[derive(Deserialize)]
pub(super) struct EditInput {
    version: i64,
    name: String,
    class: DeviceClass,
    status: DeviceStatus,
    #[serde(default)]
    acquired_on: String,
    #[serde(default)]
    retired_on: String,
}

#[derive(Deserialize)]
pub(super) struct RetireInput {
    version: i64,
    retired_on: String,
}

/// What the page shows besides the inventory.
#[derive(Default)]
struct Extras {
    editing: Option<DeviceId>,
    outcome: Option<String>,
    error: Option<String>,
    problems: Vec<RowProblem>,
    total_problems: usize,
}

fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

async fn devices_page(
    s: &AppState,
    session: &SessionActor,
    client: Option<OrgId>,
    extras: Extras,
) -> Result<DevicesPage, PageError> {
    let a = &session.actor;
    let (orgs, client) = super::client_choice(s, a, client).await?;
    let devices = s.tandem.devices(a, client).await?;
    let today = today();
    let counts = s.tandem.device_counts(a, client, today).await?;
    let can_edit = s.tandem.may_manage_devices(a, client).await?;
    let editing = extras
        .editing
        .filter(|_| can_edit)
        .and_then(|id| devices.iter().find(|d| d.id == id).cloned());
    Ok(DevicesPage {
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
        devices,
        counts,
        today: today.to_string(),
        can_edit,
        editing,
        outcome: extras.outcome,
        error: extras.error,
        more_problems: extras.total_problems.saturating_sub(extras.problems.len()),
        problems: extras.problems,
    })
}

/// The inventory page.
pub(super) async fn get_devices(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<DevicesQuery>,
) -> Result<DevicesPage, PageError> {
    let outcome = match (q.added, q.changed, q.unchanged) {
        (Some(a), Some(c), Some(u)) => Some(format!(
            "Import done: {a} added, {c} changed, {u} unchanged."
        )),
        _ => None,
    };
    let extras = Extras {
        editing: q.edit,
        outcome,
        ..Extras::default()
    };
    devices_page(&s, &session, q.client, extras).await
}

/// After a change: back to the inventory, or the page again with what was
/// refused.
async fn after_change(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    editing: Option<DeviceId>,
    r: Result<(), ServiceError>,
) -> Response {
    let e = match r {
        Ok(()) => return Redirect::to(&format!("/devices?client={client}")).into_response(),
        Err(e) => e,
    };
    let status = if matches!(e, ServiceError::Invalid(_)) {
        StatusCode::UNPROCESSABLE_ENTITY
    } else if matches!(e, ServiceError::Conflict(_) | ServiceError::Stale { .. }) {
        StatusCode::CONFLICT
    } else {
        return PageError::from(e).into_response();
    };
    let message = match &e {
        ServiceError::Invalid(v) => format!("{}: {}", field_words(v.field), v.message),
        other => other.to_string(),
    };
    let extras = Extras {
        editing,
        error: Some(message),
        ..Extras::default()
    };
    match devices_page(s, session, Some(client), extras).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// A form field as its label reads.
fn field_words(field: &str) -> Cow<'static, str> {
    Cow::Borrowed(match field {
        "name" => "Name",
        "class" => "Class",
        "status" => "Status",
        "acquired_on" => "Acquired on",
        "retired_on" => "Retired on",
        "file" => "File",
        other => return Cow::Owned(other.replace('_', " ")),
    })
}

fn spec(
    name: &str,
    class: DeviceClass,
    status: DeviceStatus,
    acquired_on: &str,
    retired_on: &str,
) -> Result<DeviceSpec, ServiceError> {
    Ok(DeviceSpec::new(
        name,
        class,
        status,
        parse_date("acquired_on", acquired_on)?,
        parse_date("retired_on", retired_on)?,
    )?)
}

/// Add a device.
pub(super) async fn post_devices(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<AddInput>,
) -> Response {
    let r = async {
        let spec = spec(&i.name, i.class, i.status, &i.acquired_on, &i.retired_on)?;
        s.tandem
            .add_device(&session.actor, i.client_id, &spec, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after_change(&s, &session, i.client_id, None, r).await
}

/// Change a device (the edit form).
pub(super) async fn post_device(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<DeviceId>,
    CsrfForm(session, i): CsrfForm<EditInput>,
) -> Response {
    let current = match s.tandem.device(&session.actor, id).await {
        Ok(d) => d,
        Err(e) => return PageError::from(e).into_response(),
    };
    let r = async {
        let change = DeviceChange {
            name: Some(i.name),
            class: Some(i.class),
            status: Some(i.status),
            acquired_on: Some(parse_date("acquired_on", &i.acquired_on)?),
            retired_on: Some(parse_date("retired_on", &i.retired_on)?),
        };
        s.tandem
            .change_device(&session.actor, id, i.version, &change, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after_change(&s, &session, current.client_id, Some(id), r).await
}

/// Retire a device as of a day.
pub(super) async fn post_device_retire(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<DeviceId>,
    CsrfForm(session, i): CsrfForm<RetireInput>,
) -> Response {
    let current = match s.tandem.device(&session.actor, id).await {
        Ok(d) => d,
        Err(e) => return PageError::from(e).into_response(),
    };
    let r = async {
        let on = parse_date("retired_on", &i.retired_on)?.ok_or_else(|| {
            ServiceError::from(tandem_domain::ValidationError::new(
                "retired_on",
                "choose the day it left service",
            ))
        })?;
        s.tandem
            .retire_device(&session.actor, id, i.version, on, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after_change(&s, &session, current.client_id, None, r).await
}

/// Import a CSV file (a multipart form: `csrf`, `client_id`, `file`). The
/// size limit is enforced while reading, before anything is parsed.
pub(super) async fn post_devices_import(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    PageSession(session): PageSession,
    mut form: Multipart,
) -> Response {
    let mut csrf = String::new();
    let mut client: Option<OrgId> = None;
    let mut file: Option<Vec<u8>> = None;
    let unreadable = || PageError(Problem::bad_input(None, "the upload could not be read"));
    loop {
        let mut field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return unreadable().into_response(),
        };
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "client_id" => client = field.text().await.ok().and_then(|t| t.parse().ok()),
            "file" => {
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if bytes.len() + chunk.len() > IMPORT_MAX_BYTES {
                                return PageError::from(ServiceError::TooLarge {
                                    limit: IMPORT_MAX_BYTES,
                                })
                                .into_response();
                            }
                            bytes.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(_) => return unreadable().into_response(),
                    }
                }
                file = Some(bytes);
            }
            _ => {}
        }
    }
    if !crate::auth::same_secret(&csrf, &session.csrf_token) {
        return PageError(Problem::new(
            StatusCode::FORBIDDEN,
            "Form expired",
            "Reload the page and try again.",
        ))
        .into_response();
    }
    let Some(client) = client else {
        return unreadable().into_response();
    };
    let Some(file) = file.filter(|f| !f.is_empty()) else {
        let r = Err(tandem_domain::ValidationError::new("file", "choose a CSV file").into());
        return after_change(&s, &session, client, None, r).await;
    };
    match s
        .tandem
        .import_devices(&session.actor, client, &file, &meta)
        .await
    {
        Ok(c) => Redirect::to(&format!(
            "/devices?client={client}&added={}&changed={}&unchanged={}",
            c.added, c.changed, c.unchanged
        ))
        .into_response(),
        Err(ImportError::Service(e)) => after_change(&s, &session, client, None, Err(e)).await,
        Err(ImportError::Refused { problems, total }) => {
            let extras = Extras {
                error: Some(format!(
                    "Nothing was imported: {total} {} of the file {} refused. Correct {} and upload the file again.",
                    if total == 1 { "row" } else { "rows" },
                    if total == 1 { "is" } else { "are" },
                    if total == 1 { "it" } else { "them" },
                )),
                problems,
                total_problems: total,
                ..Extras::default()
            };
            match devices_page(&s, &session, Some(client), extras).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
    }
}
