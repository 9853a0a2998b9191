//! A client's overview page: the pages past their review date, the
//! warranties, renewals and certificates ending soon, and the credentials
//! due for rotation, each linking to its record. Both IT sides see the same
//! page; a part the reader may not see is left out, not shown empty.

use super::Nav;
use crate::AppState;
use crate::auth::PageSession;
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use jiff::Timestamp;
use serde::Deserialize;
use tandem_domain::OrgId;
use tandem_service::overview::{ClientOverview, DEFAULT_HORIZON_DAYS};

#[derive(Template, WebTemplate)]
#[template(path = "overview.html")]
pub(super) struct OverviewPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
    overview: ClientOverview,
}

#[derive(Deserialize)]
pub(super) struct OverviewQuery {
    client: Option<OrgId>,
    days: Option<i64>,
}

/// The overview of the chosen client (the first one the reader sees when
/// none is chosen).
pub(super) async fn get_overview(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<OverviewQuery>,
) -> Result<OverviewPage, PageError> {
    let a = &session.actor;
    let (orgs, client) = super::client_choice(&s, a, q.client).await?;
    let overview = s
        .tandem
        .client_overview(
            a,
            client,
            q.days.unwrap_or(DEFAULT_HORIZON_DAYS),
            Timestamp::now(),
        )
        .await?;
    Ok(OverviewPage {
        nav: Nav::load(&s, &session).await,
        client,
        client_name: orgs
            .iter()
            .find(|o| o.id == client)
            .map_or_else(String::new, |o| o.name.clone()),
        clients: orgs
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone(), o.id == client))
            .collect(),
        overview,
    })
}
