//! The dashboard: the first page after signing in, one per kind of role
//! (see `tandem_service::dashboard`).

use super::chart::{self, Chart, Series};
use super::local::{Due, LocalTime, Zone};
use super::{Nav, words};
use crate::AppState;
use crate::auth::PageSession;
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use std::borrow::Cow;
use tandem_service::dashboard::{
    ClientFigures, Dashboard, InHouseDesk, Leadership, ProviderDesk, RequesterDesk, SOON_MS,
    SideCounts, WEEKS,
};
use tandem_service::desk::ticket_label;
use tandem_service::model::QueueItem;

/// A ticket in a dashboard list.
pub(super) struct Line {
    id: String,
    label: String,
    title: String,
    client: String,
    priority: String,
    status: Cow<'static, str>,
    /// `in-house` or `provider`, for the badge's class.
    side: &'static str,
    side_label: Cow<'static, str>,
    /// The next running deadline as a countdown.
    due: Option<Due>,
    updated: LocalTime,
}

fn line(q: &QueueItem, now: i64, zone: &Zone) -> Line {
    let t = &q.ticket;
    Line {
        id: t.id.to_string(),
        label: ticket_label(&q.client_prefix, t.number),
        title: t.title.clone(),
        client: q.client_name.clone(),
        priority: words::priority(&t.priority),
        status: words::status(&t.status),
        side: if t.owner_side == "provider" {
            "provider"
        } else {
            "in-house"
        },
        side_label: words::owner_side(&t.owner_side),
        due: t.next_due.map(|d| zone.due(d, now)),
        updated: zone.at(t.updated_at),
    }
}

/// One client row of a provider dashboard.
pub(super) struct ClientLine {
    id: String,
    name: String,
    figures: Option<ClientFigures>,
}

/// One priority of the SLA results.
pub(super) struct SlaRow {
    priority: String,
    /// The priority's code, for the figures' stable names.
    code: &'static str,
    response_met: i64,
    response_missed: i64,
    resolution_met: i64,
    resolution_missed: i64,
}

/// What a role's dashboard shows.
pub(super) enum View {
    InHouse {
        desk: InHouseDesk,
        breaching: Vec<Line>,
    },
    Provider {
        desk: ProviderDesk,
        clients: Vec<ClientLine>,
        breaching: Vec<Line>,
    },
    Leadership {
        desk: Leadership,
        sla: Vec<SlaRow>,
        chart: Chart,
        resolved: SideCounts,
    },
    Requester {
        tickets: Vec<Line>,
    },
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard.html")]
pub(super) struct DashboardPage {
    nav: Nav,
    /// The signed-in person's e-mail, so they know which account this is.
    email: String,
    view: View,
    /// Monday 00:00 of this week, in the reader's zone.
    week_start: LocalTime,
    /// The month the monthly figures cover ("March 2026").
    month: String,
    /// The "breaching soon" horizon in hours.
    soon_hours: i64,
    weeks: usize,
}

impl DashboardPage {
    /// A side's share of `counts` in whole percent.
    fn percent(&self, part: &i64, counts: &SideCounts) -> i64 {
        let (part, total) = (*part, counts.total());
        if total == 0 {
            0
        } else {
            (part * 100 + total / 2) / total
        }
    }
}

/// The dashboard of the signed-in person.
pub(super) async fn get_dashboard(
    State(s): State<AppState>,
    PageSession(session): PageSession,
) -> Result<DashboardPage, PageError> {
    let nav = Nav::load(&s, &session).await;
    let zone = nav.zone.clone();
    let dashboard = s.tandem.dashboard(&session.actor, zone.tz()).await?;
    let periods = match &dashboard {
        Dashboard::InHouse(d) => Some(d.periods.clone()),
        Dashboard::Provider(d) => Some(d.periods.clone()),
        Dashboard::Leadership(d) => Some(d.periods.clone()),
        Dashboard::Requester(_) => None,
    };
    let now = periods
        .as_ref()
        .map_or_else(tandem_service::now_ms, |p| p.now);
    let local = |ms: i64, pattern: &str| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned_datetime(zone.tz().clone())
                    .strftime(pattern)
                    .to_string()
            })
            .unwrap_or_default()
    };
    let view = match dashboard {
        Dashboard::InHouse(desk) => View::InHouse {
            breaching: desk.breaching.iter().map(|q| line(q, now, &zone)).collect(),
            desk,
        },
        Dashboard::Provider(desk) => View::Provider {
            clients: desk
                .clients
                .iter()
                .map(|c| ClientLine {
                    id: c.client_id.clone(),
                    name: c.client_name.clone(),
                    figures: c.figures,
                })
                .collect(),
            breaching: desk.breaching.iter().map(|q| line(q, now, &zone)).collect(),
            desk,
        },
        Dashboard::Leadership(desk) => {
            let labels: Vec<String> = desk
                .weeks
                .iter()
                .map(|w| local(w.start, "%-d %b"))
                .collect();
            let opened: Vec<i64> = desk.weeks.iter().map(|w| w.opened).collect();
            let resolved: Vec<i64> = desk.weeks.iter().map(|w| w.resolved).collect();
            let chart = chart::bars_and_line(
                &format!("Tickets opened and resolved, last {WEEKS} weeks"),
                "Week",
                &labels,
                Series {
                    name: "Opened",
                    values: &opened,
                },
                Series {
                    name: "Resolved",
                    values: &resolved,
                },
            );
            View::Leadership {
                sla: desk
                    .sla
                    .iter()
                    .map(|l| SlaRow {
                        priority: words::priority(l.priority.as_str()),
                        code: l.priority.as_str(),
                        response_met: l.response_met,
                        response_missed: l.response_missed,
                        resolution_met: l.resolution_met,
                        resolution_missed: l.resolution_missed,
                    })
                    .collect(),
                chart,
                resolved: desk.resolved_by_side,
                desk,
            }
        }
        Dashboard::Requester(RequesterDesk { open }) => View::Requester {
            tickets: open.iter().map(|q| line(q, now, &zone)).collect(),
        },
    };
    Ok(DashboardPage {
        week_start: zone.at(periods.as_ref().map_or(now, |p| p.week_start)),
        month: local(periods.as_ref().map_or(now, |p| p.month_start), "%B %Y"),
        soon_hours: SOON_MS / 3_600_000,
        weeks: WEEKS,
        email: session.actor.email.clone(),
        view,
        nav,
    })
}
