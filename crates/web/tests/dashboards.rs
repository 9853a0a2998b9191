//! The dashboard of each kind of role, read as the page shows it: the
//! figures change with the tickets, hand-offs and breaches made here, and
//! each reader sees only the clients and tickets they may open elsewhere,
//! including once an engineer is taken off a client or an engagement ends.
//!
//! Every test sets the desk it depends on (a calendar open all week in UTC,
//! SLA policies around the clock, the split of two categories), so routing
//! and deadlines are known: help-desk work goes to the in-house team as P4
//! (first response within 1 minute, resolution within 10 hours), network
//! work to the provider as P3 (10 hours, 100 hours).
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::*;
use tandem_service::now_ms;

const MINUTE: i64 = 60_000;
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const GRACE: &str = "grace.mwangi@brightwater.example"; // brightwater client admin
const AMY: &str = "amy.chen@alder.example"; // another alder requester
const MARCO: &str = "marco.bellini@brightwater.example"; // brightwater requester

// ---- helpers -------------------------------------------------------------

/// Set up a client's desk as the module comment says, as its admin.
async fn set_desk(app: &TestApp, admin: &str, client: &str) {
    let windows: Vec<Value> = WEEKDAYS
        .iter()
        .map(|d| json!({ "day": d, "start": "00:00", "end": "24:00" }))
        .collect();
    let (s, b) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{client}/calendar"),
            Some(admin),
            Some(json!({ "time_zone": "UTC", "windows": windows })),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    for (priority, response, resolution) in [("p4", 1, 600), ("p3", 600, 6000)] {
        let (s, b) = app
            .api(
                "PUT",
                &format!("/api/v1/clients/{client}/sla/{priority}"),
                Some(admin),
                Some(json!({
                    "response_minutes": response,
                    "resolution_minutes": resolution,
                    "around_the_clock": true,
                    "pause_statuses": ["waiting_on_customer", "waiting_on_vendor", "on_hold"],
                    "warn_percent": 75,
                })),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    }
    for (category, side) in [("help-desk", "in_house"), ("network", "provider")] {
        let (s, b) = app
            .api(
                "PUT",
                &format!("/api/v1/clients/{client}/split/{category}"),
                Some(admin),
                Some(json!({ "business_hours": side, "after_hours": side, "in_scope": true })),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
}

/// Open a help-desk ticket (in-house, P4) or a network one (provider, P3).
async fn open(app: &TestApp, token: &str, client: &str, title: &str, network: bool) -> String {
    let (category, impact) = if network {
        ("network", "medium")
    } else {
        ("help-desk", "low")
    };
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(token),
            Some(json!({ "client_id": client, "title": title, "description": "", "category": category, "impact": impact, "urgency": "medium" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "opening {title}: {t}");
    assert_eq!(
        t["owner_side"],
        if network { "provider" } else { "in_house" },
        "{t}"
    );
    assert_eq!(t["priority"], if network { "p3" } else { "p4" }, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

async fn version(app: &TestApp, token: &str, id: &str) -> String {
    let (s, t) = app
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "{t}");
    format!("\"{}\"", t["ticket"]["version"])
}

async fn hand_off(app: &TestApp, token: &str, id: &str) {
    let v = version(app, token, id).await;
    let (s, b) = app
        .api_with(
            "POST",
            &format!("/api/v1/tickets/{id}/handoff"),
            Some(token),
            Some(json!({ "reason": "Better placed with the other side" })),
            &[("if-match", &v)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn set_status(app: &TestApp, token: &str, id: &str, status: &str) {
    let v = version(app, token, id).await;
    let (s, b) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(token),
            Some(json!({ "status": status })),
            &[("if-match", &v)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn reply(app: &TestApp, token: &str, id: &str) {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/comments"),
            Some(token),
            Some(json!({ "body": "On it.", "visibility": "public" })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

/// Let the SLA worker catch up as of `at`.
async fn raise_sla(app: &TestApp, at: i64) {
    for _ in 0..20 {
        if app.tandem.raise_sla_events(at).await.unwrap() == 0 {
            break;
        }
    }
}

async fn run_jobs(app: &TestApp) {
    while app.tandem.run_jobs(100).await.unwrap() > 0 {}
}

/// The dashboard page as `email` sees it.
async fn dashboard(app: &TestApp, email: &str) -> String {
    let mut b = app.browser(email).await;
    let res = b.get("/dashboard").await;
    assert_eq!(res.status(), StatusCode::OK, "{email}");
    text(res).await
}

/// The figure a page names `key` (`data-count="key">N<`).
fn count(html: &str, key: &str) -> i64 {
    let tag = format!("data-count=\"{key}\"");
    let at = html
        .find(&tag)
        .unwrap_or_else(|| panic!("no figure {key} on the page"));
    let rest = &html[at + tag.len()..];
    let start = rest.find('>').unwrap() + 1;
    let end = start + rest[start..].find('<').unwrap();
    rest[start..end]
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number: {}", &rest[start..end]))
}

/// One `<section id=...>` of a page.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("<section id=\"{id}\""))
        .unwrap_or_else(|| panic!("no section {id}"));
    let end = at + html[at..].find("</section>").unwrap();
    &html[at..end]
}

/// The ticket ids a section lists, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("data-ticket=\"")
        .skip(1)
        .map(|r| r.split('"').next().unwrap().to_owned())
        .collect()
}

/// Wait until no week or month (UTC, the zone every reader here has)
/// ends in the next few minutes: figures of "this week" and "this month"
/// made now and read a moment later, or breaches raised two minutes ahead,
/// must fall in the period the page counts.
async fn clear_of_period_ends() {
    let now = jiff::Timestamp::now();
    let z = now.to_zoned_datetime(jiff::tz::TimeZone::UTC);
    let date = z.date();
    let monday = date
        .checked_add(jiff::Span::new().days(7 - i64::from(date.weekday().to_monday_zero_offset())))
        .unwrap();
    let next_month = date
        .first_of_month()
        .checked_add(jiff::Span::new().months(1))
        .unwrap();
    for end in [monday, next_month] {
        let end_ms = end
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .unwrap()
            .timestamp()
            .as_millisecond();
        let left = end_ms - now.as_millisecond();
        if (0..5 * MINUTE).contains(&left) {
            tokio::time::sleep(Duration::from_millis((left + 2_000) as u64)).await;
        }
    }
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let (_, me) = app.api("GET", "/api/v1/me", Some(token), None).await;
    me["user_id"].as_str().unwrap().to_owned()
}

async fn engagement_of(app: &TestApp, token: &str, client: &str) -> String {
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(token), None)
        .await;
    engs.as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == client && e["status"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

// ---- in-house staff --------------------------------------------------------

#[tokio::test]
async fn in_house_staff_see_their_desk_by_side_with_deadlines_hand_offs_and_engineers() {
    clear_of_period_ends().await;
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, luis, dev) = (
        app.token(PRIYA).await,
        app.token(LUIS).await,
        app.token(DEV).await,
    );
    set_desk(&app, &priya, &alder).await;

    let empty = dashboard(&app, PRIYA).await;
    assert_eq!(count(&empty, "waiting-on-us"), 0);
    assert_eq!(count(&empty, "waiting-on-provider"), 0);
    assert!(listed(section(&empty, "dash-breaching")).is_empty());

    let h1 = open(&app, &luis, &alder, "Printer offline", false).await;
    let h2 = open(&app, &luis, &alder, "Password reset", false).await;
    let h3 = open(&app, &luis, &alder, "Teams camera", false).await;
    let paused = open(&app, &luis, &alder, "Need a screenshot", false).await;
    let done = open(&app, &luis, &alder, "Already fixed", false).await;
    let n1 = open(&app, &luis, &alder, "VPN drops", true).await;
    let n2 = open(&app, &luis, &alder, "Wi-Fi weak", true).await;
    set_status(&app, &priya, &paused, "waiting_on_customer").await;
    set_status(&app, &priya, &done, "resolved").await;
    hand_off(&app, &priya, &h1).await; // in-house -> provider
    hand_off(&app, &dev, &n1).await; // provider -> in-house

    let page = dashboard(&app, PRIYA).await;
    // In-house: h2, h3, the paused one and n1; provider: h1 and n2.
    assert_eq!(count(&page, "waiting-on-us"), 4);
    assert_eq!(count(&page, "waiting-on-provider"), 2);
    // P4 responses are due within a minute; P3 ones in ten hours.
    assert_eq!(count(&page, "due-soon"), 3);
    assert_eq!(count(&page, "handoffs-to-provider"), 1);
    assert_eq!(count(&page, "handoffs-to-in-house"), 1);
    // The five open tickets with running clocks, nearest deadline first.
    let breaching = section(&page, "dash-breaching");
    let top = listed(breaching);
    assert_eq!(top.len(), 5, "{top:?}");
    assert_eq!(
        &top[..3],
        [h1.clone(), h2, h3],
        "P4s first, in deadline order"
    );
    assert!(top[3..].contains(&n1) && top[3..].contains(&n2));
    assert!(!top.contains(&paused) && !top.contains(&done));
    assert!(breaching.contains("class=\"due"), "a live countdown");
    // Words, not codes.
    for code in [
        ">in_house<",
        ">provider<",
        ">p4<",
        "in_progress",
        "in_house->",
        "provider->",
    ] {
        assert!(!page.contains(code), "the page shows the code {code}");
    }
    // The named engineer of the engagement.
    let engineers = section(&page, "dash-engineers");
    assert!(engineers.contains("Dev Ramanathan"), "{engineers}");
    assert!(!engineers.contains("Sofia"), "{engineers}");

    // Unread notifications: the same number the notifications say, and
    // none once they are read. The in-house P4s' breaches tell Priya.
    raise_sla(&app, now_ms() + 2 * MINUTE).await;
    run_jobs(&app).await;
    let (_, notes) = app
        .api("GET", "/api/v1/notifications?limit=200", Some(&priya), None)
        .await;
    let unread = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["read"] == false)
        .count() as i64;
    assert!(unread >= 2, "{notes}");
    assert_eq!(count(&dashboard(&app, PRIYA).await, "unread"), unread);
    let (s, _) = app
        .api("POST", "/api/v1/notifications/read", Some(&priya), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(count(&dashboard(&app, PRIYA).await, "unread"), 0);

    // The technician reads the same desk; another client's admin none of it.
    let owen = dashboard(&app, OWEN).await;
    assert_eq!(count(&owen, "waiting-on-us"), 4);
    assert_eq!(listed(section(&owen, "dash-breaching")).len(), 5);
    let ben = dashboard(&app, BEN).await;
    assert_eq!(count(&ben, "waiting-on-us"), 0);
    assert_eq!(count(&ben, "waiting-on-provider"), 0);
    assert_eq!(count(&ben, "handoffs-to-provider"), 0);
    assert!(listed(&ben).is_empty());
    assert!(!ben.contains("Printer offline"));
}

// ---- provider staff --------------------------------------------------------

#[tokio::test]
async fn provider_staff_see_a_row_per_client_they_work_and_lose_it_with_their_access() {
    clear_of_period_ends().await;
    let app = TestApp::demo().await;
    let (alder, bright, corvid) = (app.org("alder"), app.org("brightwater"), app.org("corvid"));
    let (priya, grace, ben, mara, dev) = (
        app.token(PRIYA).await,
        app.token(GRACE).await,
        app.token(BEN).await,
        app.token(MARA).await,
        app.token(DEV).await,
    );
    set_desk(&app, &priya, &alder).await;
    set_desk(&app, &grace, &bright).await;
    set_desk(&app, &ben, &corvid).await;
    let (luis, marco, igor) = (
        app.token(LUIS).await,
        app.token(MARCO).await,
        app.token(IGOR).await,
    );
    let a1 = open(&app, &luis, &alder, "Alder printer", false).await;
    let a2 = open(&app, &luis, &alder, "Alder mailbox", false).await;
    let a3 = open(&app, &luis, &alder, "Alder switch", true).await;
    hand_off(&app, &dev, &a3).await;
    let b1 = open(&app, &marco, &bright, "Brightwater VPN", true).await;
    let b2 = open(&app, &marco, &bright, "Brightwater phone", false).await;
    let mut corvid_tickets = Vec::new();
    for i in 0..3 {
        corvid_tickets.push(open(&app, &igor, &corvid, &format!("Corvid line {i}"), false).await);
    }
    // The P4 first responses breach (their target is one minute).
    raise_sla(&app, now_ms() + 2 * MINUTE).await;

    let page = dashboard(&app, DEV).await;
    let clients = section(&page, "dash-clients");
    assert!(clients.contains(&alder) && clients.contains(&bright));
    assert!(!page.contains(&corvid), "Dev is not assigned to corvid");
    assert!(!page.contains("Corvid"), "not even its name");
    // Alder: a1, a2 and the handed-back a3 in-house; brightwater one each.
    assert_eq!(count(&page, &format!("open-{alder}")), 3);
    assert_eq!(count(&page, &format!("in-house-{alder}")), 3);
    assert_eq!(count(&page, &format!("provider-{alder}")), 0);
    assert_eq!(count(&page, &format!("due-soon-{alder}")), 2);
    assert_eq!(count(&page, &format!("breached-{alder}")), 2);
    assert_eq!(count(&page, &format!("open-{bright}")), 2);
    assert_eq!(count(&page, &format!("in-house-{bright}")), 1);
    assert_eq!(count(&page, &format!("provider-{bright}")), 1);
    assert_eq!(count(&page, &format!("due-soon-{bright}")), 1);
    assert_eq!(count(&page, &format!("breached-{bright}")), 1);
    assert_eq!(count(&page, "open-total"), 5);
    assert_eq!(count(&page, "breached-total"), 3);
    assert_eq!(count(&page, "handoffs-to-in-house"), 1);
    let top = listed(section(&page, "dash-breaching"));
    assert_eq!(top.len(), 5, "{top:?}");
    for id in [&a1, &a2, &b2] {
        assert!(top[..3].contains(id), "overdue P4s first: {top:?}");
    }
    assert!(corvid_tickets.iter().all(|c| !top.contains(c)));

    // An engineer on brightwater and corvid sees corvid's three breaches.
    let sofia = dashboard(&app, SOFIA).await;
    assert!(!sofia.contains(&alder));
    assert_eq!(count(&sofia, &format!("open-{corvid}")), 3);
    assert_eq!(count(&sofia, &format!("breached-{corvid}")), 3);

    // The provider admin, assigned to none, sees each active engagement
    // but no client's tickets.
    let admin = dashboard(&app, MARA).await;
    for c in [&alder, &bright, &corvid] {
        assert!(admin.contains(&format!("data-client-id=\"{c}\"")), "{c}");
        assert!(!admin.contains(&format!("open-{c}")), "{c}");
    }
    assert_eq!(admin.matches("Not assigned to you").count(), 3);
    assert_eq!(count(&admin, "open-total"), 0);
    assert!(listed(&admin).is_empty());

    // Taken off brightwater: its row and its tickets go at once.
    let dev_id = user_id(&app, &dev).await;
    let bright_eng = engagement_of(&app, &mara, &bright).await;
    let (s, b) = app
        .api(
            "DELETE",
            &format!("/api/v1/engagements/{bright_eng}/engineers/{dev_id}"),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let page = dashboard(&app, DEV).await;
    assert!(!page.contains(&bright), "brightwater left Dev's dashboard");
    assert!(!page.contains("Brightwater"));
    assert_eq!(count(&page, "open-total"), 3);
    assert_eq!(count(&page, "breached-total"), 2);
    let top = listed(section(&page, "dash-breaching"));
    assert!(!top.contains(&b1) && !top.contains(&b2), "{top:?}");
    assert_eq!(top.len(), 3);

    // Alder ends the engagement: nothing of alder is left either.
    let alder_eng = engagement_of(&app, &priya, &alder).await;
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{alder_eng}/end"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let page = dashboard(&app, DEV).await;
    assert!(!page.contains(&alder) && !page.contains("Alder"));
    assert!(listed(&page).is_empty());
    assert_eq!(count(&page, "handoffs-to-in-house"), 0);
    assert!(section(&page, "dash-clients").contains("not assigned to a client"));
    // And the provider admin no longer lists it among the active ones.
    let admin = dashboard(&app, MARA).await;
    assert!(!admin.contains(&format!("data-client-id=\"{alder}\"")));
}

// ---- leadership ------------------------------------------------------------

#[tokio::test]
async fn a_viewer_sees_sla_results_per_priority_a_weekly_chart_and_who_resolved_what() {
    clear_of_period_ends().await;
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, luis, dev) = (
        app.token(PRIYA).await,
        app.token(LUIS).await,
        app.token(DEV).await,
    );
    set_desk(&app, &priya, &alder).await;

    let empty = dashboard(&app, HELEN).await;
    assert!(section(&empty, "dash-weekly-chart").contains("role=\"img\""));
    assert_eq!(count(&empty, "resolved-total"), 0);
    assert_eq!(count(&empty, "p4-response-met"), 0);

    // Answered in time and resolved: both P4 targets met.
    let a = open(&app, &luis, &alder, "Answered and fixed", false).await;
    reply(&app, &priya, &a).await;
    set_status(&app, &priya, &a, "resolved").await;
    // Resolved without a reply: the resolution target met, the response
    // clock stopped undecided.
    let b = open(&app, &luis, &alder, "Fixed silently", false).await;
    set_status(&app, &priya, &b, "resolved").await;
    // P3 on the provider side, answered and resolved there.
    let c = open(&app, &luis, &alder, "Switch replaced", true).await;
    reply(&app, &dev, &c).await;
    set_status(&app, &dev, &c, "resolved").await;
    // Never answered: the P4 first response is missed.
    open(&app, &luis, &alder, "Nobody answered", false).await;
    raise_sla(&app, now_ms() + 2 * MINUTE).await;

    let page = dashboard(&app, HELEN).await;
    let sla = section(&page, "dash-sla");
    assert_eq!(count(sla, "p4-response-met"), 1);
    assert_eq!(count(sla, "p4-response-missed"), 1);
    assert_eq!(count(sla, "p4-resolution-met"), 2);
    assert_eq!(count(sla, "p4-resolution-missed"), 0);
    assert_eq!(count(sla, "p3-response-met"), 1);
    assert_eq!(count(sla, "p3-resolution-met"), 1);
    for p in ["p1", "p2"] {
        for k in [
            "response-met",
            "response-missed",
            "resolution-met",
            "resolution-missed",
        ] {
            assert_eq!(count(sla, &format!("{p}-{k}")), 0, "{p}-{k}");
        }
    }

    // The chart: drawn on the server, labelled, with its numbers beside it.
    let chart = section(&page, "dash-weekly-chart");
    assert!(chart.contains("<svg") && chart.contains("role=\"img\""));
    assert!(chart.contains("<title>Tickets opened and resolved, last 12 weeks</title>"));
    assert!(
        chart.contains("aria-label=\"Tickets opened and resolved, last 12 weeks: 4 opened and 3 resolved across 12 weeks\""),
        "{chart}"
    );
    assert!(!chart.contains("style="), "no inline style under the CSP");
    assert_eq!(chart.matches("<rect class=\"bar\"").count(), 12);
    // This week is the last row of the table; the eleven before are empty.
    let rows: Vec<&str> = chart.split("<tr data-row=\"").skip(1).collect();
    assert_eq!(rows.len(), 12);
    let cell = |row: &str, series: &str| -> i64 {
        let tag = format!("data-series=\"{series}\">");
        let at = row.find(&tag).unwrap() + tag.len();
        row[at..].split('<').next().unwrap().parse().unwrap()
    };
    assert_eq!((cell(rows[11], "bars"), cell(rows[11], "line")), (4, 3));
    for r in &rows[..11] {
        assert_eq!((cell(r, "bars"), cell(r, "line")), (0, 0));
    }

    // Who resolved the work: a and b in-house, c by the provider.
    assert_eq!(count(&page, "resolved-total"), 3);
    assert_eq!(count(&page, "resolved-in-house"), 2);
    assert_eq!(count(&page, "resolved-provider"), 1);
    assert!(section(&page, "dash-share").contains("(67%)"));

    // Leadership reads results, not the desk's working lists.
    assert!(!page.contains("id=\"dash-breaching\""));
    assert!(!page.contains("id=\"dash-clients\""));
}

// ---- requesters ------------------------------------------------------------

#[tokio::test]
async fn a_requester_sees_only_their_own_open_tickets_and_how_to_open_one() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, luis, amy) = (
        app.token(PRIYA).await,
        app.token(LUIS).await,
        app.token(AMY).await,
    );
    set_desk(&app, &priya, &alder).await;
    let mine = open(&app, &luis, &alder, "My dock is dead", false).await;
    let also_mine = open(&app, &luis, &alder, "My VPN", true).await;
    let resolved = open(&app, &luis, &alder, "My old problem", false).await;
    set_status(&app, &priya, &resolved, "resolved").await;
    let amys = open(&app, &amy, &alder, "Amy's secret", false).await;
    set_status(&app, &priya, &also_mine, "in_progress").await;

    let page = dashboard(&app, LUIS).await;
    assert!(page.contains("id=\"open-ticket\" href=\"/tickets/new\""));
    let list = section(&page, "dash-my-tickets");
    // Most recently changed first.
    assert_eq!(listed(list), [also_mine, mine]);
    assert!(list.contains("In progress") && !list.contains("in_progress"));
    assert!(!page.contains(&resolved) && !page.contains(&amys));
    assert!(!page.contains("Amy&#39;s secret") && !page.contains("Amy's secret"));
    for staff_only in [
        "dash-breaching",
        "dash-clients",
        "dash-owner-sides",
        "dash-sla",
    ] {
        assert!(
            !page.contains(&format!("id=\"{staff_only}\"")),
            "{staff_only}"
        );
    }
    // Another client's requester sees none of it.
    let igor = dashboard(&app, IGOR).await;
    assert!(listed(&igor).is_empty());
    assert!(igor.contains("You have no open tickets"));
}
