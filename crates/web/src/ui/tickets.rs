//! Ticket pages: the queue, a new ticket, one ticket with its timeline and
//! the forms that work it, and the notification list. Requesters see the
//! same pages as a simple portal: their own tickets, public entries only.

use super::local::{Due, Zone, span};
use super::{Nav, words};
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
use std::borrow::Cow;
use tandem_domain::ticket::{Impact, OwnerSide, Priority, TicketStatus, Urgency};
use tandem_domain::{OrgId, Side, TicketId, UserId};
use tandem_service::auth::SessionActor;
use tandem_service::desk::{NewTicket, Source, TicketChange, TicketView, Visibility, ticket_label};
use tandem_service::model::{Notification, QueueItem, TicketEvent, User};
use tandem_service::queue::{QueueFilter, QueueView};
use tandem_service::{RequestMeta, ServiceError};

/// A clock as a page shows it.
pub(super) struct ClockLine {
    name: &'static str,
    /// Where it stands, in words.
    state: String,
    /// The running deadline, as a countdown.
    due: Option<Due>,
    /// The target, in words.
    target: String,
    class: &'static str,
}

/// One clock's facts, as stored on the ticket.
struct Clock {
    target: i64,
    running: bool,
    due: Option<i64>,
    done: Option<i64>,
    breached: bool,
    warned: bool,
}

fn clock_line(name: &'static str, c: Clock, now: i64, zone: &Zone) -> ClockLine {
    let Clock {
        target,
        running,
        due,
        done,
        breached,
        warned,
    } = c;
    let (state, due, class) = match (running, due, done) {
        (_, _, Some(at)) => (
            format!(
                "{} {}",
                if breached { "Missed, done" } else { "Met" },
                zone.short(at)
            ),
            None,
            if breached { "breached" } else { "met" },
        ),
        (true, Some(d), None) => (
            String::new(),
            Some(zone.due(d, now)),
            if breached || d < now {
                "breached"
            } else if warned {
                "warning"
            } else {
                "running"
            },
        ),
        _ => (
            "Paused".to_owned(),
            None,
            if breached { "breached" } else { "paused" },
        ),
    };
    ClockLine {
        name,
        state,
        due,
        target: span(target),
        class,
    }
}

/// A queue row.
pub(super) struct Row {
    id: String,
    label: String,
    title: String,
    client: String,
    category: String,
    priority: String,
    status: Cow<'static, str>,
    side: &'static str,
    side_label: Cow<'static, str>,
    assignee: String,
    /// Time to breach of the next running clock.
    due: Option<Due>,
    /// Why there is no countdown.
    no_due: &'static str,
    due_class: &'static str,
}

fn row(q: QueueItem, now: i64, zone: &Zone) -> Row {
    let t = &q.ticket;
    let (due, no_due, due_class) = match t.next_due {
        Some(d) if d <= now => (Some(zone.due(d, now)), "", "breached"),
        Some(d) => (
            Some(zone.due(d, now)),
            "",
            if t.response_warned || t.resolution_warned {
                "warning"
            } else {
                "running"
            },
        ),
        None if t.status == "resolved" || t.status == "closed" => (None, "Done", "met"),
        None => (None, "Paused", "paused"),
    };
    Row {
        id: t.id.to_string(),
        label: ticket_label(&q.client_prefix, t.number),
        title: t.title.clone(),
        client: q.client_name.clone(),
        category: q.category_name.clone(),
        priority: words::priority(&t.priority),
        status: words::status(&t.status),
        side: if t.owner_side == "provider" {
            "provider"
        } else {
            "in-house"
        },
        side_label: words::owner_side(&t.owner_side),
        assignee: q
            .assignee_name
            .clone()
            .unwrap_or_else(|| "Unassigned".into()),
        due,
        no_due,
        due_class,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "tickets.html")]
pub(super) struct QueuePage {
    nav: Nav,
    views: Vec<(&'static str, &'static str, bool)>,
    rows: Vec<Row>,
    portal: bool,
    /// Provider staff work several clients; everyone else one.
    show_client: bool,
    search: String,
    /// Documentation pages matching the search: (id, folder, title).
    page_hits: Vec<(String, String, String)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "ticket_new.html")]
pub(super) struct NewTicketPage {
    nav: Nav,
    clients: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "ticket.html")]
pub(super) struct TicketPage {
    nav: Nav,
    v: TicketView,
    clocks: Vec<ClockLine>,
    timeline: Vec<TicketEvent>,
    staff: Vec<User>,
    statuses: Vec<(&'static str, Cow<'static, str>, bool)>,
    portal: bool,
    can_work: bool,
    other_side: &'static str,
    attachments: Vec<tandem_service::model::Attachment>,
    relations: tandem_service::watchers::TicketRelations,
    watching: bool,
    can_watch: bool,
    /// Both sides' time (staff only).
    time: Option<tandem_service::time::TicketTime>,
    /// Categories to log time against: key, name.
    time_categories: Vec<(String, String)>,
    error: Option<String>,
}

impl TicketPage {
    fn at(&self, ms: &i64) -> super::local::LocalTime {
        self.nav.zone.at(*ms)
    }

    fn event_kind(&self, e: &TicketEvent) -> Cow<'static, str> {
        words::event_kind(&e.kind, &e.visibility)
    }

    fn event_text(&self, e: &TicketEvent) -> String {
        words::event_text(e)
    }

    fn side(&self, code: &str) -> Cow<'static, str> {
        words::side(code)
    }

    fn status(&self) -> Cow<'static, str> {
        words::status(&self.v.ticket.status)
    }

    fn owner(&self) -> Cow<'static, str> {
        words::owner_side(&self.v.ticket.owner_side)
    }

    fn priority(&self) -> String {
        words::priority(&self.v.ticket.priority)
    }

    fn minutes(&self, m: &i64) -> String {
        if *m == 0 {
            "none".to_owned()
        } else if *m < 0 {
            format!("-{}", span(-m))
        } else {
            span(*m)
        }
    }

    fn work_side(&self, code: &str) -> Cow<'static, str> {
        words::owner_side(code)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "notifications.html")]
pub(super) struct NotificationsPage {
    nav: Nav,
    items: Vec<Notification>,
}

impl NotificationsPage {
    fn at(&self, ms: &i64) -> super::local::LocalTime {
        self.nav.zone.at(*ms)
    }
}

#[derive(Deserialize)]
pub(super) struct QueueQuery {
    view: Option<QueueView>,
    client: Option<OrgId>,
    status: Option<TicketStatus>,
    priority: Option<Priority>,
    side: Option<OwnerSide>,
    q: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct NewTicketInput {
    client_id: OrgId,
    title: String,
    #[serde(default)]
    description: String,
    category: String,
    impact: Impact,
    urgency: Urgency,
}

#[derive(Deserialize)]
pub(super) struct TicketInput {
    version: i64,
    status: TicketStatus,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    priority_reason: String,
}

#[derive(Deserialize)]
pub(super) struct CommentInput {
    body: String,
    #[serde(default)]
    visibility: Option<Visibility>,
}

#[derive(Deserialize)]
pub(super) struct HandOffInput {
    version: i64,
    reason: String,
}

const VIEWS: [(QueueView, &str, &str); 6] = [
    (QueueView::MySide, "my_side", "My side"),
    (QueueView::Mine, "mine", "Mine"),
    (QueueView::Unassigned, "unassigned", "Unassigned"),
    (QueueView::BreachingSoon, "breaching_soon", "Breaching soon"),
    (QueueView::Waiting, "waiting", "Waiting"),
    (QueueView::All, "all", "All"),
];

/// The queue (or, for a requester, their own tickets).
pub(super) async fn get_tickets(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<QueueQuery>,
) -> Result<QueuePage, PageError> {
    let portal = !session.actor.role.is_staff();
    let view = if portal {
        QueueView::All
    } else {
        q.view.unwrap_or(QueueView::MySide)
    };
    let search = q.q.clone().unwrap_or_default();
    let f = QueueFilter {
        client: q.client,
        status: q.status,
        priority: q.priority,
        side: q.side,
        search: q.q,
        ..QueueFilter::default()
    };
    let now = tandem_service::now_ms();
    let nav = Nav::load(&s, &session).await;
    let page_hits = if search.trim().is_empty() {
        Vec::new()
    } else {
        s.tandem
            .search_pages(&session.actor, &search, 10)
            .await?
            .into_iter()
            .map(|p| (p.id.to_string(), p.folder, p.title))
            .collect()
    };
    let rows = s
        .tandem
        .queue(&session.actor, view, &f)
        .await?
        .into_iter()
        .map(|r| row(r, now, &nav.zone))
        .collect();
    Ok(QueuePage {
        show_client: session.actor.side() == Side::Provider,
        nav,
        views: VIEWS
            .iter()
            .map(|(v, k, label)| (*k, *label, *v == view))
            .collect(),
        rows,
        portal,
        search,
        page_hits,
    })
}

async fn new_page(
    s: &AppState,
    session: &SessionActor,
    error: Option<String>,
) -> Result<NewTicketPage, PageError> {
    let clients: Vec<(String, String)> = s
        .tandem
        .visible_orgs(&session.actor)
        .await?
        .into_iter()
        .filter(|o| o.kind == Side::Client)
        .map(|o| (o.id.to_string(), o.name))
        .collect();
    let categories = tandem_domain::split::DEFAULT_CATEGORIES
        .iter()
        .map(|c| (c.0.to_owned(), c.1.to_owned()))
        .collect();
    Ok(NewTicketPage {
        nav: Nav::load(s, session).await,
        clients,
        categories,
        error,
    })
}

/// The form for a new ticket.
pub(super) async fn get_ticket_new(
    State(s): State<AppState>,
    PageSession(session): PageSession,
) -> Result<NewTicketPage, PageError> {
    new_page(&s, &session, None).await
}

/// Open a ticket.
pub(super) async fn post_tickets(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, i): CsrfForm<NewTicketInput>,
) -> Response {
    let input = NewTicket {
        client_id: i.client_id,
        title: i.title,
        description: i.description,
        category: i.category,
        impact: i.impact,
        urgency: i.urgency,
        requester_id: None,
        source: Source::Web,
    };
    match s.tandem.open_ticket(&session.actor, &input, &meta).await {
        Ok(v) => Redirect::to(&format!("/tickets/{}", v.ticket.id)).into_response(),
        Err(e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_))) => {
            match new_page(&s, &session, Some(e.to_string())).await {
                Ok(p) => (StatusCode::UNPROCESSABLE_ENTITY, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

async fn ticket_page(
    s: &AppState,
    session: &SessionActor,
    id: TicketId,
    error: Option<String>,
) -> Result<TicketPage, PageError> {
    let a = &session.actor;
    let (v, timeline, relations) = s.tandem.ticket_with_relations(a, id).await?;
    let t = &v.ticket;
    let now = tandem_service::now_ms();
    let nav = Nav::load(s, session).await;
    let clocks = vec![
        clock_line(
            "First response",
            Clock {
                target: t.response_target,
                running: t.response_since.is_some(),
                due: t.response_due,
                done: t.response_met_at,
                breached: t.response_breached,
                warned: t.response_warned,
            },
            now,
            &nav.zone,
        ),
        clock_line(
            "Resolution",
            Clock {
                target: t.resolution_target,
                running: t.resolution_since.is_some(),
                due: t.resolution_due,
                done: t.resolved_at,
                breached: t.resolution_breached,
                warned: t.resolution_warned,
            },
            now,
            &nav.zone,
        ),
    ];
    let perms = s.tandem.org_permissions(a, t.client_id).await?;
    let can_work =
        a.role.is_staff() && perms.view_audit && a.role != tandem_domain::Role::ClientViewer;
    let staff = if can_work {
        let mut people = s.tandem.list_users(a, t.client_id).await?;
        if let Some(e) = s.tandem.list_engagements(a).await.ok().and_then(|l| {
            l.into_iter()
                .find(|v| v.engagement.client_id == t.client_id && v.engagement.is_active())
        }) {
            for eng in e.engineers {
                if let Ok(u) = s.tandem.user(a, eng.user_id).await {
                    people.push(u);
                }
            }
        }
        people.retain(|u| {
            u.active && u.role.is_staff() && u.role != tandem_domain::Role::ClientViewer
        });
        people
    } else {
        Vec::new()
    };
    let statuses = TicketStatus::ALL
        .iter()
        .map(|st| {
            (
                st.as_str(),
                words::status(st.as_str()),
                st.as_str() == t.status,
            )
        })
        .collect();
    let other_side = if t.owner_side == "provider" {
        "the in-house team"
    } else {
        "the provider"
    };
    let attachments = s.tandem.attachments(a, id).await?;
    let time = if a.role.is_staff() {
        Some(s.tandem.ticket_time(a, id).await?)
    } else {
        None
    };
    let time_categories = if can_work {
        s.tandem.time_categories(a, t.client_id).await?
    } else {
        Vec::new()
    };
    let watching = relations.watchers.iter().any(|(u, _)| *u == a.user_id);
    Ok(TicketPage {
        nav,
        clocks,
        timeline,
        staff,
        statuses,
        portal: !a.role.is_staff(),
        can_work,
        other_side,
        attachments,
        relations,
        watching,
        can_watch: perms.watch_tickets,
        time,
        time_categories,
        error,
        v,
    })
}

/// One ticket with its timeline.
pub(super) async fn get_ticket(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<TicketId>,
) -> Result<TicketPage, PageError> {
    ticket_page(&s, &session, id, None).await
}

async fn after_change(
    s: &AppState,
    session: &SessionActor,
    id: TicketId,
    r: Result<(), ServiceError>,
) -> Response {
    match r {
        Ok(()) => Redirect::to(&format!("/tickets/{id}")).into_response(),
        Err(
            e @ (ServiceError::Invalid(_) | ServiceError::Conflict(_) | ServiceError::Stale { .. }),
        ) => {
            let status = if matches!(e, ServiceError::Stale { .. }) {
                StatusCode::CONFLICT
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            let msg = match &e {
                ServiceError::Stale { .. } => "Someone changed this ticket while you were looking at it. Nothing was saved; the current values are shown below.".to_owned(),
                other => other.to_string(),
            };
            match ticket_page(s, session, id, Some(msg)).await {
                Ok(p) => (status, p).into_response(),
                Err(e) => e.into_response(),
            }
        }
        Err(e) => PageError::from(e).into_response(),
    }
}

/// Change status, assignee or priority (the form carries the version it showed).
pub(super) async fn post_ticket(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<TicketId>,
    CsrfForm(session, i): CsrfForm<TicketInput>,
) -> Response {
    let r = async {
        let assignee = match i.assignee_id.trim() {
            "" => None,
            raw => Some(raw.parse::<UserId>().map_err(|_| {
                tandem_domain::ValidationError::new("assignee_id", "unknown person")
            })?),
        };
        let priority_override = match i.priority.trim() {
            "" => None,
            raw => Some((
                raw.parse::<Priority>().map_err(|_| {
                    tandem_domain::ValidationError::new("priority", "unknown priority")
                })?,
                i.priority_reason,
            )),
        };
        let change = TicketChange {
            status: Some(i.status),
            assignee: Some(assignee),
            priority_override,
            ..TicketChange::default()
        };
        s.tandem
            .change_ticket(&session.actor, id, i.version, &change, &meta)
            .await
            .map(|_| ())
    }
    .await;
    after_change(&s, &session, id, r).await
}

/// Comment on a ticket.
pub(super) async fn post_ticket_comment(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<TicketId>,
    CsrfForm(session, i): CsrfForm<CommentInput>,
) -> Response {
    let r = s
        .tandem
        .comment(
            &session.actor,
            id,
            &i.body,
            i.visibility.unwrap_or(Visibility::Public),
            &meta,
        )
        .await
        .map(|_| ());
    after_change(&s, &session, id, r).await
}

/// Hand a ticket to the other side.
pub(super) async fn post_ticket_handoff(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<TicketId>,
    CsrfForm(session, i): CsrfForm<HandOffInput>,
) -> Response {
    let r = s
        .tandem
        .hand_off(&session.actor, id, i.version, &i.reason, &meta)
        .await
        .map(|_| ());
    after_change(&s, &session, id, r).await
}

/// The notification list.
pub(super) async fn get_notifications(
    State(s): State<AppState>,
    PageSession(session): PageSession,
) -> Result<NotificationsPage, PageError> {
    let items = s.tandem.notifications(&session.actor, 100).await?;
    Ok(NotificationsPage {
        nav: Nav::load(&s, &session).await,
        items,
    })
}

/// Mark all read.
pub(super) async fn post_notifications(
    State(s): State<AppState>,
    CsrfForm(session, _): CsrfForm<serde::de::IgnoredAny>,
) -> Result<Redirect, PageError> {
    s.tandem.mark_notifications_read(&session.actor).await?;
    Ok(Redirect::to("/notifications"))
}

/// Attach a file (a multipart form: `csrf`, `visibility`, `file`). The
/// size limit is enforced while reading, before anything is stored.
pub(super) async fn post_ticket_attachment(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<TicketId>,
    PageSession(session): PageSession,
    mut form: axum::extract::Multipart,
) -> Response {
    let limit = s.tandem.settings.attachment_max_bytes;
    let mut csrf = String::new();
    let mut visibility = Visibility::Public;
    let mut file: Option<(String, String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return PageError(crate::error::Problem::bad_input(
                    None,
                    "the upload could not be read",
                ))
                .into_response();
            }
        };
        match field.name().unwrap_or("") {
            "csrf" => csrf = field.text().await.unwrap_or_default(),
            "visibility" => {
                visibility = if field.text().await.unwrap_or_default() == "team" {
                    Visibility::Team
                } else {
                    Visibility::Public
                };
            }
            "file" => {
                let name = field.file_name().unwrap_or("").to_owned();
                let ctype = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let mut field = field;
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if bytes.len() + chunk.len() > limit {
                                return PageError::from(ServiceError::TooLarge { limit })
                                    .into_response();
                            }
                            bytes.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(_) => {
                            return PageError(crate::error::Problem::bad_input(
                                Some("file".into()),
                                "the upload was cut off",
                            ))
                            .into_response();
                        }
                    }
                }
                file = Some((name, ctype, bytes));
            }
            _ => {}
        }
    }
    if !crate::auth::same_secret(&csrf, &session.csrf_token) {
        return PageError(crate::error::Problem::new(
            StatusCode::FORBIDDEN,
            "Form expired",
            "Reload the page and try again.",
        ))
        .into_response();
    }
    let Some((filename, content_type, bytes)) = file else {
        return after_change(
            &s,
            &session,
            id,
            Err(tandem_domain::ValidationError::new("file", "choose a file").into()),
        )
        .await;
    };
    let up = tandem_service::attachments::Upload {
        filename,
        content_type,
        bytes,
        visibility,
    };
    let r = s
        .tandem
        .attach(&session.actor, id, up, &meta)
        .await
        .map(|_| ());
    after_change(&s, &session, id, r).await
}

/// Download an attachment.
pub(super) async fn get_attachment(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<String>,
) -> Response {
    match s.tandem.attachment(&session.actor, &id).await {
        Ok((att, bytes)) => crate::api::attachments::download(&att, bytes),
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct TimeInput {
    minutes: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    note: String,
}

/// Log time on a ticket.
pub(super) async fn post_ticket_time(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<TicketId>,
    CsrfForm(session, i): CsrfForm<TimeInput>,
) -> Response {
    let r = match i.minutes.trim().parse::<i64>() {
        Err(_) => Err(tandem_domain::ValidationError::new(
            "minutes",
            "how many minutes, as a whole number",
        )
        .into()),
        Ok(minutes) => {
            let input = tandem_service::time::NewTime {
                minutes,
                category: Some(i.category),
                note: i.note,
                ..tandem_service::time::NewTime::default()
            };
            s.tandem
                .log_time(&session.actor, id, &input, &meta)
                .await
                .map(|_| ())
        }
    };
    after_change(&s, &session, id, r).await
}

#[derive(Deserialize)]
pub(super) struct WatchInput {
    on: String,
}

#[derive(Deserialize)]
pub(super) struct LinkInput {
    number: i64,
}

/// Watch a ticket, or stop watching it.
pub(super) async fn post_ticket_watch(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<TicketId>,
    CsrfForm(session, i): CsrfForm<WatchInput>,
) -> Response {
    let r = s
        .tandem
        .watch_ticket(
            &session.actor,
            id,
            session.actor.user_id,
            i.on == "yes",
            &meta,
        )
        .await;
    after_change(&s, &session, id, r).await
}

/// Link another ticket of the same client by its number.
pub(super) async fn post_ticket_link(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<TicketId>,
    CsrfForm(session, i): CsrfForm<LinkInput>,
) -> Response {
    let r = s
        .tandem
        .link_tickets_by_number(&session.actor, id, i.number, &meta)
        .await;
    after_change(&s, &session, id, r).await
}
