//! The on-duty page of a client: per side, the after-hours week in the
//! client's time zone, who is on duty now, and the overrides not yet
//! over; for each side's admin, forms to add and remove slots and
//! overrides of that side.

use super::Nav;
use super::local::Zone;
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
use tandem_domain::duty::rota_side;
use tandem_domain::ticket::OwnerSide;
use tandem_domain::{OrgId, UserId};
use tandem_service::auth::SessionActor;
use tandem_service::duty::{OverrideInput, SideDuty, SlotInput, local_instant};
use tandem_service::{RequestMeta, ServiceError};

/// The weekdays as the forms offer them.
const DAYS: [(&str, &str); 7] = [
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
];

#[derive(Template, WebTemplate)]
#[template(path = "duty.html")]
pub(super) struct DutyPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
    /// The client's zone: every time on the page is read in it.
    zone: Zone,
    sides: Vec<SideDuty>,
    days: &'static [(&'static str, &'static str)],
    error: Option<String>,
}

impl DutyPage {
    fn side_words(&self, d: &SideDuty) -> &'static str {
        match d.side {
            OwnerSide::Provider => "Provider",
            _ => "In-house",
        }
    }

    fn day_words(&self, code: &str) -> &'static str {
        DAYS.iter()
            .find(|(c, _)| *c == code)
            .map_or("", |(_, w)| *w)
    }

    fn at(&self, ms: &i64) -> String {
        self.zone.short(*ms)
    }
}

#[derive(Deserialize)]
pub(super) struct DutyQuery {
    client: Option<OrgId>,
}

#[derive(Deserialize)]
pub(super) struct SlotForm {
    client_id: OrgId,
    side: String,
    start_day: String,
    start_time: String,
    end_day: String,
    end_time: String,
    person_id: UserId,
}

#[derive(Deserialize)]
pub(super) struct OverrideForm {
    client_id: OrgId,
    side: String,
    /// `YYYY-MM-DDTHH:MM` in the client's zone (a date-time field).
    starts_at: String,
    ends_at: String,
    person_id: UserId,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
pub(super) struct RemoveForm {
    client_id: OrgId,
    side: String,
}

async fn duty_page(
    s: &AppState,
    session: &SessionActor,
    client: Option<OrgId>,
    error: Option<String>,
) -> Result<DutyPage, PageError> {
    let a = &session.actor;
    let (orgs, client) = super::client_choice(s, a, client).await?;
    let board = s.tandem.duty_board(a, client).await?;
    Ok(DutyPage {
        nav: Nav::load(s, session).await,
        client,
        client_name: board.client.name.clone(),
        clients: orgs
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone(), o.id == client))
            .collect(),
        zone: Zone::named(&board.time_zone),
        sides: board.sides,
        days: &DAYS,
        error,
    })
}

/// The on-duty page.
pub(super) async fn get_duty(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<DutyQuery>,
) -> Result<DutyPage, PageError> {
    duty_page(&s, &session, q.client, None).await
}

/// Back to the page after a change, or the page with the refusal (422).
async fn after(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    done: Result<(), ServiceError>,
) -> Response {
    match done {
        Ok(()) => Redirect::to(&format!("/duty?client={client}")).into_response(),
        Err(ServiceError::Invalid(v)) => {
            let error = super::refusal_text(&v);
            match duty_page(s, session, Some(client), Some(error)).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Add a slot to a side's week.
pub(super) async fn post_duty_slot(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, f): CsrfForm<SlotForm>,
) -> Response {
    let done = async {
        let side = rota_side(&f.side)?;
        let slot = SlotInput {
            start_day: f.start_day,
            start_time: f.start_time,
            end_day: f.end_day,
            end_time: f.end_time,
            person_id: f.person_id,
        };
        s.tandem
            .add_duty_slot(&session.actor, f.client_id, side, slot, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after(&s, &session, f.client_id, done).await
}

/// Take a slot out of a side's week.
pub(super) async fn post_duty_slot_remove(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(slot_id): Path<String>,
    CsrfForm(session, f): CsrfForm<RemoveForm>,
) -> Response {
    let done = async {
        let side = rota_side(&f.side)?;
        s.tandem
            .remove_duty_slot(&session.actor, f.client_id, side, &slot_id, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after(&s, &session, f.client_id, done).await
}

/// Add an override; its times are read in the client's zone.
pub(super) async fn post_duty_override(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, f): CsrfForm<OverrideForm>,
) -> Response {
    let done = async {
        let side = rota_side(&f.side)?;
        // The zone the page showed the form in; reading it also checks the
        // reader may see the client before anything is parsed.
        let board = s.tandem.duty_board(&session.actor, f.client_id).await?;
        // A refusal comes before any complaint about the times.
        if !board.sides.iter().any(|d| d.side == side && d.can_manage) {
            return Err(ServiceError::Forbidden);
        }
        let input = OverrideInput {
            starts_at: local_instant("starts_at", &board.time_zone, &f.starts_at)?,
            ends_at: local_instant("ends_at", &board.time_zone, &f.ends_at)?,
            person_id: f.person_id,
            reason: Some(f.reason),
        };
        s.tandem
            .add_duty_override(&session.actor, f.client_id, side, &input, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after(&s, &session, f.client_id, done).await
}

/// Remove an override.
pub(super) async fn post_duty_override_remove(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(override_id): Path<String>,
    CsrfForm(session, f): CsrfForm<RemoveForm>,
) -> Response {
    let done = async {
        let side = rota_side(&f.side)?;
        s.tandem
            .remove_duty_override(&session.actor, f.client_id, side, &override_id, &meta)
            .await
    }
    .await;
    after(&s, &session, f.client_id, done).await
}
