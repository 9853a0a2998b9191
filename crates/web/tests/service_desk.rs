//! The shared service desk end to end through the JSON API: routing by the
//! responsibility split and the client's clock, hand-offs with `If-Match`,
//! what the portal shows a requester, SLA clocks that keep consumed and
//! paused time, warnings and breaches raised by the worker, queue views,
//! `Idempotency-Key`, the deadline preview and the split's history.
//!
//! Every test seeds its own demo database and sets the parts of the desk it
//! depends on (calendar, split lines, SLA policies) explicitly, so demo data
//! added later cannot change what it checks. Time passing is simulated by
//! handing `raise_sla_events` an instant in the future, or by short sleeps
//! where a clock must run or stand still for a measurable while.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::*;
use tandem_service::now_ms;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const GRACE: &str = "grace.mwangi@brightwater.example"; // brightwater client admin
const AMY: &str = "amy.chen@alder.example"; // alder requester
const RAVI: &str = "ravi.patel@brightwater.example"; // brightwater technician
const PAUSES: [&str; 3] = ["waiting_on_customer", "waiting_on_vendor", "on_hold"];
const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

// ---- helpers -------------------------------------------------------------

async fn user_id(app: &TestApp, token: &str) -> String {
    let (s, me) = app.api("GET", "/api/v1/me", Some(token), None).await;
    assert_eq!(s, 200, "{me}");
    me["user_id"].as_str().unwrap().to_owned()
}

/// A calendar open every minute of every day.
fn open_all_week() -> Value {
    let windows: Vec<Value> = WEEKDAYS
        .iter()
        .map(|d| json!({ "day": d, "start": "00:00", "end": "24:00" }))
        .collect();
    json!({ "time_zone": "UTC", "windows": windows })
}

/// A calendar closed now and for the next two days: one window on the
/// weekday three days from today (UTC).
fn closed_now() -> Value {
    let days = now_ms().div_euclid(86_400_000);
    // 1970-01-01 was a Thursday (index 3 counting from Monday).
    let today = (days + 3).rem_euclid(7) as usize;
    let day = WEEKDAYS[(today + 3) % 7];
    json!({ "time_zone": "UTC", "windows": [{ "day": day, "start": "09:00", "end": "17:00" }] })
}

async fn set_calendar(app: &TestApp, token: &str, client: &str, calendar: Value) {
    let (s, body) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{client}/calendar"),
            Some(token),
            Some(calendar),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "setting the calendar: {body}");
}

/// Set one split line: owners in and after business hours, default assignees.
async fn set_line(
    app: &TestApp,
    token: &str,
    client: &str,
    category: &str,
    owners: (&str, &str),
    provider_assignee: Option<&str>,
    in_house_assignee: Option<&str>,
) -> Value {
    let (s, body) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{client}/split/{category}"),
            Some(token),
            Some(json!({
                "business_hours": owners.0,
                "after_hours": owners.1,
                "provider_assignee": provider_assignee,
                "in_house_assignee": in_house_assignee,
                "in_scope": true,
            })),
        )
        .await;
    assert_eq!(s, 200, "setting the {category} line: {body}");
    body
}

async fn set_policy(
    app: &TestApp,
    token: &str,
    client: &str,
    priority: &str,
    response: i64,
    resolution: i64,
) {
    let (s, body) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{client}/sla/{priority}"),
            Some(token),
            Some(json!({
                "response_minutes": response,
                "resolution_minutes": resolution,
                "around_the_clock": true,
                "pause_statuses": PAUSES,
                "warn_percent": 75,
            })),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NO_CONTENT,
        "setting the {priority} policy: {body}"
    );
}

/// Open a ticket; returns the ticket as the API answers it.
async fn open(
    app: &TestApp,
    token: &str,
    client: &str,
    title: &str,
    category: &str,
    impact: &str,
    urgency: &str,
) -> Value {
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(token),
            Some(json!({ "client_id": client, "title": title, "description": "", "category": category, "impact": impact, "urgency": urgency })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "opening {title:?}: {t}");
    t
}

fn id_of(t: &Value) -> String {
    t["id"].as_str().unwrap().to_owned()
}

/// The ticket and its timeline as `token` sees them.
async fn fetch(app: &TestApp, token: &str, id: &str) -> (Value, Vec<Value>) {
    let (s, body) = app
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "reading {id}: {body}");
    (
        body["ticket"].clone(),
        body["timeline"].as_array().unwrap().clone(),
    )
}

/// PATCH with the current version in `If-Match`; must succeed.
async fn change(app: &TestApp, token: &str, id: &str, patch: Value) -> Value {
    let (t, _) = fetch(app, token, id).await;
    let version = t["version"].as_i64().unwrap().to_string();
    let (s, body) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(token),
            Some(patch.clone()),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(s, 200, "PATCH {patch}: {body}");
    body
}

async fn comment(app: &TestApp, token: &str, id: &str, body: &str, visibility: &str) -> StatusCode {
    app.api(
        "POST",
        &format!("/api/v1/tickets/{id}/comments"),
        Some(token),
        Some(json!({ "body": body, "visibility": visibility })),
    )
    .await
    .0
}

async fn handoff(
    app: &TestApp,
    token: &str,
    id: &str,
    version: Option<i64>,
    reason: &str,
) -> (StatusCode, Value) {
    let tag = version.map(|v| format!("\"{v}\""));
    let headers: Vec<(&str, &str)> = tag.iter().map(|t| ("if-match", t.as_str())).collect();
    app.api_with(
        "POST",
        &format!("/api/v1/tickets/{id}/handoff"),
        Some(token),
        Some(json!({ "reason": reason })),
        &headers,
    )
    .await
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body) = app
        .api("GET", "/api/v1/notifications", Some(token), None)
        .await;
    assert_eq!(s, 200, "{body}");
    body.as_array().unwrap().clone()
}

fn has_notification(list: &[Value], kind: &str, ticket: &str) -> bool {
    list.iter()
        .any(|n| n["kind"] == kind && n["ticket_id"] == ticket)
}

async fn audit(app: &TestApp, token: &str, org: &str) -> Vec<Value> {
    let (s, body) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{org}/audit?limit=500"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body["entries"].as_array().unwrap().clone()
}

/// A queue as `token` sees it (`query` without the leading `?`).
async fn queue(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let (s, body) = app
        .api(
            "GET",
            &format!("/api/v1/tickets?limit=500&{query}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "queue {query}: {body}");
    body.as_array().unwrap().clone()
}

fn ids(list: &[Value]) -> Vec<String> {
    list.iter().map(id_of).collect()
}

/// Raise SLA events as of `at` until none are left (the worker takes them in batches).
async fn raise_sla(app: &TestApp, at: i64) -> usize {
    let mut total = 0;
    for _ in 0..20 {
        let n = app.tandem.raise_sla_events(at).await.unwrap();
        if n == 0 {
            break;
        }
        total += n;
    }
    total
}

async fn run_jobs(app: &TestApp) {
    while app.tandem.run_jobs(100).await.unwrap() > 0 {}
}

fn ms(v: &Value) -> i64 {
    v.as_i64()
        .unwrap_or_else(|| panic!("expected epoch ms, got {v}"))
}

fn within(v: i64, lo: i64, hi: i64, what: &str) {
    assert!(
        (lo..=hi).contains(&v),
        "{what}: {v} is not within [{lo}, {hi}] (off by {} / {} ms)",
        v - lo,
        v - hi
    );
}

/// The earliest running deadline of a ticket, as the queue sorts by it.
fn next_due(t: &Value) -> Option<i64> {
    ["response", "resolution"]
        .iter()
        .filter(|c| t[**c]["running"] == true)
        .filter_map(|c| t[*c]["due"].as_i64())
        .min()
}

async fn split_history(app: &TestApp, token: &str, client: &str) -> Vec<Value> {
    let (s, body) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{client}/split/history"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    body.as_array().unwrap().clone()
}

async fn post_keyed(app: &TestApp, token: &str, body: &Value, key: &str) -> (StatusCode, Value) {
    app.api_with(
        "POST",
        "/api/v1/tickets",
        Some(token),
        Some(body.clone()),
        &[("idempotency-key", key)],
    )
    .await
}

async fn preview(app: &TestApp, token: &str, client: &str, query: &str) -> (StatusCode, Value) {
    app.api(
        "GET",
        &format!("/api/v1/clients/{client}/sla/preview?{query}"),
        Some(token),
        None,
    )
    .await
}

async fn pause(d: u64) {
    tokio::time::sleep(Duration::from_millis(d)).await;
}

// ---- 1. routing ----------------------------------------------------------

#[tokio::test]
async fn new_tickets_route_by_the_split_and_the_clients_clock() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let dev = app.token(DEV).await;
    let alder = app.org("alder");
    let dev_id = user_id(&app, &dev).await;

    // The default line for network: shared in business hours, the provider after.
    let line = set_line(
        &app,
        &priya,
        &alder,
        "network",
        ("shared", "provider"),
        Some(&dev_id),
        None,
    )
    .await;
    assert_eq!(line["provider_assignee"], dev_id.as_str());

    set_calendar(&app, &priya, &alder, open_all_week()).await;
    let in_hours = open(
        &app,
        &priya,
        &alder,
        "Warehouse switch flapping",
        "network",
        "medium",
        "medium",
    )
    .await;
    assert_eq!(
        in_hours["owner_side"], "in_house",
        "shared work in business hours starts in-house: {in_hours}"
    );
    assert!(in_hours["assignee_id"].is_null(), "{in_hours}");
    let (_, timeline) = fetch(&app, &priya, &id_of(&in_hours)).await;
    let created = timeline.iter().find(|e| e["kind"] == "created").unwrap();
    assert_eq!(created["data"]["in_business_hours"], true);

    set_calendar(&app, &priya, &alder, closed_now()).await;
    let after_hours = open(
        &app,
        &priya,
        &alder,
        "Warehouse switch flapping again",
        "network",
        "medium",
        "medium",
    )
    .await;
    assert_eq!(
        after_hours["owner_side"], "provider",
        "after hours the line's after-hours owner takes it: {after_hours}"
    );
    assert_eq!(after_hours["assignee_id"], dev_id.as_str());
    assert_eq!(after_hours["assignee_name"], "Dev Ramanathan");
    let (_, timeline) = fetch(&app, &dev, &id_of(&after_hours)).await;
    let created = timeline.iter().find(|e| e["kind"] == "created").unwrap();
    assert_eq!(created["data"]["in_business_hours"], false);

    // The assignment reaches DEV through the job table, and only for his ticket.
    assert!(
        !has_notification(
            &notifications(&app, &dev).await,
            "assigned",
            &id_of(&after_hours)
        ),
        "delivered before the worker ran"
    );
    run_jobs(&app).await;
    let dev_notes = notifications(&app, &dev).await;
    assert!(
        has_notification(&dev_notes, "assigned", &id_of(&after_hours)),
        "{dev_notes:?}"
    );
    assert!(!has_notification(&dev_notes, "assigned", &id_of(&in_hours)));
    // The person who opened it hears nothing about an assignment.
    assert!(!has_notification(
        &notifications(&app, &priya).await,
        "assigned",
        &id_of(&after_hours)
    ));
}

/// Opening tickets keeps each client's desk in memory; a change to the
/// split written by anything else (another Tandem process on the same
/// database, a hand-made fix) still routes the very next ticket.
#[tokio::test]
async fn one_round_of_the_worker_drains_more_than_a_batch_of_notifications() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let dev = app.token(DEV).await;
    let alder = app.org("alder");
    let dev_id = user_id(&app, &dev).await;
    set_line(
        &app,
        &priya,
        &alder,
        "network",
        ("provider", "provider"),
        Some(&dev_id),
        None,
    )
    .await;
    // Deliver what the demo queued, so the round below sees only these.
    run_jobs(&app).await;
    let opened = 150;
    for i in 0..opened {
        let t = open(
            &app,
            &priya,
            &alder,
            &format!("Switch port {i} down"),
            "network",
            "low",
            "low",
        )
        .await;
        assert_eq!(t["assignee_id"], dev_id.as_str(), "{t}");
    }

    let (done, _) = app.tandem.work_once().await.unwrap();
    assert_eq!(
        done, opened,
        "one round takes every due job, not one batch of 100"
    );
    assert_eq!(
        app.tandem.run_jobs(100).await.unwrap(),
        0,
        "nothing left for the next round"
    );
    let delivered = notifications(&app, &dev).await;
    assert!(
        delivered.iter().any(|n| n["kind"] == "assigned"
            && n["text"]
                .as_str()
                .is_some_and(|t| t.contains("Switch port 149 down"))),
        "the last ticket's assignment reached DEV: {delivered:?}"
    );
}

#[tokio::test]
async fn a_split_changed_outside_this_process_routes_the_next_ticket() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    set_line(
        &app,
        &priya,
        &alder,
        "network",
        ("in_house", "in_house"),
        None,
        None,
    )
    .await;
    let before = open(&app, &priya, &alder, "Switch one", "network", "low", "low").await;
    assert_eq!(before["owner_side"], "in_house", "{before}");

    // Not through this process: a plain UPDATE on the table.
    let sql = "UPDATE split_lines SET business_hours = 'provider', after_hours = 'provider' \
               WHERE category_id IN (SELECT id FROM work_categories WHERE client_id = $1 AND key = 'network')";
    let changed = match &app.tandem.db {
        tandem_service::Db::Sqlite { write, .. } => sqlx::query(sql)
            .bind(&alder)
            .execute(write)
            .await
            .unwrap()
            .rows_affected(),
        tandem_service::Db::Postgres(p) => sqlx::query(sql)
            .bind(&alder)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(changed, 1);
    let after = open(&app, &priya, &alder, "Switch two", "network", "low", "low").await;
    assert_eq!(after["owner_side"], "provider", "{after}");
}

// ---- 2. hand-off ---------------------------------------------------------

#[tokio::test]
async fn hand_offs_need_the_current_version_and_are_on_the_timeline_and_in_the_audit_log() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let dev = app.token(DEV).await;
    let alder = app.org("alder");
    let dev_id = user_id(&app, &dev).await;
    set_line(
        &app,
        &priya,
        &alder,
        "on-site",
        ("in_house", "in_house"),
        Some(&dev_id),
        None,
    )
    .await;
    let t = open(
        &app,
        &priya,
        &alder,
        "Meeting room screen dead",
        "on-site",
        "low",
        "medium",
    )
    .await;
    let id = id_of(&t);
    assert_eq!(t["owner_side"], "in_house");
    let v0 = t["version"].as_i64().unwrap();

    // No version: 428, for hand-offs and changes alike.
    let (s, body) = handoff(&app, &priya, &id, None, "needs the vendor").await;
    assert_eq!(s, StatusCode::PRECONDITION_REQUIRED, "{body}");
    let (s, _) = app
        .api(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&priya),
            Some(json!({ "status": "open" })),
        )
        .await;
    assert_eq!(s, StatusCode::PRECONDITION_REQUIRED);

    // Someone else changes it: the version the form was loaded with is stale.
    let changed = change(&app, &priya, &id, json!({ "status": "open" })).await;
    let v1 = changed["version"].as_i64().unwrap();
    assert_eq!(v1, v0 + 1);
    let (s, body) = handoff(&app, &priya, &id, Some(v0), "needs the vendor").await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{body}");
    let (s, body) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&priya),
            Some(json!({ "title": "Overwritten title" })),
            &[("if-match", &format!("\"{v0}\""))],
        )
        .await;
    assert_eq!(s, StatusCode::PRECONDITION_FAILED, "{body}");
    let (now, timeline) = fetch(&app, &priya, &id).await;
    assert_eq!(
        now["owner_side"], "in_house",
        "a stale hand-off changed nothing"
    );
    assert_eq!(now["title"], "Meeting room screen dead");
    assert_eq!(now["version"], v1);
    assert!(!timeline.iter().any(|e| e["kind"] == "handoff"));

    // A reason is required.
    let (s, body) = handoff(&app, &priya, &id, Some(v1), "   ").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "reason");

    // in_house -> provider: the provider's default assignee for the line takes it.
    let reason = "Display needs the AV vendor's firmware";
    let (s, moved) = handoff(&app, &priya, &id, Some(v1), reason).await;
    assert_eq!(s, 200, "{moved}");
    assert_eq!(moved["owner_side"], "provider");
    assert_eq!(moved["assignee_id"], dev_id.as_str());
    assert_eq!(moved["version"], v1 + 1);
    let (_, timeline) = fetch(&app, &dev, &id).await;
    let h: Vec<&Value> = timeline.iter().filter(|e| e["kind"] == "handoff").collect();
    assert_eq!(h.len(), 1, "{timeline:?}");
    assert_eq!(h[0]["visibility"], "team");
    assert_eq!(h[0]["data"]["reason"], reason);
    assert_eq!(h[0]["data"]["from"], "in_house");
    assert_eq!(h[0]["data"]["to"], "provider");
    assert_eq!(h[0]["actor"], PRIYA);
    assert_eq!(h[0]["actor_name"], "Priya Nair");
    run_jobs(&app).await;
    assert!(has_notification(
        &notifications(&app, &dev).await,
        "handoff",
        &id
    ));

    let entries = audit(&app, &priya, &alder).await;
    let e = entries
        .iter()
        .find(|e| e["action"] == "ticket.handoff" && e["object_id"] == id.as_str())
        .expect("ticket.handoff in the client's audit log");
    assert_eq!(e["actor_label"], PRIYA);
    let c: Value = serde_json::from_str(e["change"].as_str().unwrap()).unwrap();
    assert_eq!(c["reason"], reason);
    assert_eq!(c["owner_side"]["to"], "provider");

    // And back: the provider engineer returns it to the in-house team.
    let back = "Firmware done; on-site check needed";
    let (s, returned) = handoff(&app, &dev, &id, Some(v1 + 1), back).await;
    assert_eq!(s, 200, "{returned}");
    assert_eq!(returned["owner_side"], "in_house");
    assert!(
        returned["assignee_id"].is_null(),
        "no in-house default on this line: {returned}"
    );
    let (_, timeline) = fetch(&app, &priya, &id).await;
    let h: Vec<&Value> = timeline.iter().filter(|e| e["kind"] == "handoff").collect();
    assert_eq!(h.len(), 2);
    assert_eq!(h[1]["data"]["reason"], back);
    assert_eq!(h[1]["data"]["to"], "in_house");
    assert_eq!(h[1]["actor_side"], "provider");
    let entries = audit(&app, &priya, &alder).await;
    let by_dev = entries
        .iter()
        .filter(|e| e["action"] == "ticket.handoff" && e["object_id"] == id.as_str())
        .find(|e| e["actor_label"] == DEV)
        .expect("the engineer's hand-off is in the client's audit log");
    assert_eq!(by_dev["actor_side"], "provider");
}

// ---- 3. portal and visibility ----------------------------------------------

#[tokio::test]
async fn requesters_see_only_their_own_tickets_and_public_entries() {
    let app = TestApp::demo().await;
    let luis = app.token(LUIS).await;
    let amy = app.token(AMY).await;
    let owen = app.token(OWEN).await;
    let dev = app.token(DEV).await;
    let helen = app.token(HELEN).await;
    let alder = app.org("alder");
    let luis_id = user_id(&app, &luis).await;

    let mine = open(
        &app,
        &luis,
        &alder,
        "Cannot print shipping labels",
        "help-desk",
        "low",
        "high",
    )
    .await;
    let id = id_of(&mine);
    assert_eq!(mine["requester_id"], luis_id.as_str());
    let amys = open(
        &app,
        &amy,
        &alder,
        "Outlook keeps asking for my password",
        "help-desk",
        "low",
        "medium",
    )
    .await;
    let amys_id = id_of(&amys);

    let team_note = "Label printer driver is the broken 5.2 build";
    let public = "We are pushing a fixed driver to your PC now";
    assert_eq!(comment(&app, &owen, &id, team_note, "team").await, 201);
    assert_eq!(comment(&app, &dev, &id, public, "public").await, 201);

    // LUIS sees his ticket with the public entries only.
    let (t, timeline) = fetch(&app, &luis, &id).await;
    assert_eq!(t["id"], id.as_str());
    assert!(
        timeline.iter().all(|e| e["visibility"] == "public"),
        "{timeline:?}"
    );
    assert!(timeline.iter().any(|e| e["body"] == public));
    assert!(!timeline.iter().any(|e| e["body"] == team_note));
    assert!(timeline.iter().any(|e| e["kind"] == "created"));
    // Both IT sides see the team note.
    for token in [&owen, &dev, &helen] {
        let (_, staff_view) = fetch(&app, token, &id).await;
        assert!(staff_view.iter().any(|e| e["body"] == team_note));
        assert!(staff_view.iter().any(|e| e["visibility"] == "team"));
    }
    // The public reply reaches him.
    run_jobs(&app).await;
    assert!(has_notification(
        &notifications(&app, &luis).await,
        "public_comment",
        &id
    ));

    // Another requester's ticket does not exist for him.
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{amys_id}"),
            Some(&luis),
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        comment(&app, &luis, &amys_id, "me too", "public").await,
        404
    );
    let (s, _) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{amys_id}"),
            Some(&luis),
            Some(json!({ "status": "closed" })),
            &[("if-match", "0")],
        )
        .await;
    assert_eq!(s, 404);
    for view in [
        "all",
        "mine",
        "my_side",
        "unassigned",
        "breaching_soon",
        "waiting",
    ] {
        let list = queue(&app, &luis, &format!("view={view}")).await;
        assert!(
            list.iter().all(|t| t["requester_id"] == luis_id.as_str()),
            "{view}: {list:?}"
        );
        assert!(!ids(&list).contains(&amys_id), "{view}");
    }
    assert!(ids(&queue(&app, &luis, "view=all").await).contains(&id));
    // The client's staff see both.
    let all = ids(&queue(&app, &owen, "view=all").await);
    assert!(all.contains(&id) && all.contains(&amys_id));

    // He may reply in public on his own ticket, but not work it.
    assert_eq!(
        comment(&app, &luis, &id, "Thanks, trying now", "public").await,
        201
    );
    assert_eq!(comment(&app, &luis, &id, "psst", "team").await, 403);
    let version = t["version"].as_i64().unwrap();
    let (s, _) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&luis),
            Some(json!({ "status": "resolved" })),
            &[("if-match", &version.to_string())],
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = handoff(&app, &luis, &id, Some(version), "please hurry").await;
    assert_eq!(s, 403);

    // The viewer reads everything and writes nothing.
    assert_eq!(comment(&app, &helen, &id, "Any news?", "public").await, 403);
    assert_eq!(comment(&app, &helen, &id, "Any news?", "team").await, 403);
    let (s, _) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&helen),
            Some(json!({ "status": "in_progress" })),
            &[("if-match", &version.to_string())],
        )
        .await;
    assert_eq!(s, 403);

    let (after, timeline) = fetch(&app, &owen, &id).await;
    assert_eq!(
        after["status"], "new",
        "nothing the requester or viewer tried changed it"
    );
    assert_eq!(after["version"], version);
    assert!(
        !timeline
            .iter()
            .any(|e| e["body"] == "psst" || e["body"] == "Any news?")
    );
}

// ---- 4. SLA clocks -------------------------------------------------------

#[tokio::test]
async fn sla_clocks_stop_on_a_public_staff_reply_and_keep_consumed_and_paused_time() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let owen = app.token(OWEN).await;
    let luis = app.token(LUIS).await;
    let alder = app.org("alder");
    set_line(
        &app,
        &priya,
        &alder,
        "help-desk",
        ("in_house", "in_house"),
        None,
        None,
    )
    .await;
    set_policy(&app, &priya, &alder, "p2", 10, 60).await;
    set_policy(&app, &priya, &alder, "p1", 5, 30).await;

    let t = open(
        &app,
        &luis,
        &alder,
        "Scanner at dock 3 not sending",
        "help-desk",
        "medium",
        "high",
    )
    .await;
    let id = id_of(&t);
    assert_eq!(t["priority"], "p2", "medium impact x high urgency: {t}");
    let c = ms(&t["created_at"]);
    assert_eq!(t["response"]["target_minutes"], 10);
    assert_eq!(t["resolution"]["target_minutes"], 60);
    within(
        ms(&t["response"]["due"]),
        c + 10 * MINUTE - 1000,
        c + 10 * MINUTE + 1000,
        "response due",
    );
    let due0 = ms(&t["resolution"]["due"]);
    within(due0, c + HOUR - 1000, c + HOUR + 1000, "resolution due");
    assert_eq!(t["response"]["running"], true);
    assert_eq!(t["resolution"]["running"], true);

    // Neither a team note nor the requester's own reply is a first response.
    assert_eq!(
        comment(&app, &owen, &id, "Checking the scanner's IP", "team").await,
        201
    );
    assert_eq!(
        comment(&app, &luis, &id, "It is urgent!", "public").await,
        201
    );
    let (t, _) = fetch(&app, &owen, &id).await;
    assert_eq!(t["response"]["running"], true, "{t}");
    assert!(t["response"]["done_at"].is_null());

    pause(1200).await;
    let before = now_ms();
    assert_eq!(
        comment(&app, &owen, &id, "On my way to dock 3", "public").await,
        201
    );
    let (t, timeline) = fetch(&app, &owen, &id).await;
    assert_eq!(t["response"]["running"], false, "{t}");
    assert!(t["response"]["due"].is_null());
    assert!(ms(&t["response"]["done_at"]) >= before);
    assert_eq!(t["response"]["breached"], false);
    assert!(
        timeline
            .iter()
            .any(|e| e["kind"] == "sla" && e["body"] == "First response given")
    );
    assert_eq!(t["resolution"]["running"], true);
    assert_eq!(
        ms(&t["resolution"]["due"]),
        due0,
        "the reply leaves resolution alone"
    );

    // Waiting on the customer pauses the resolution clock...
    let p0 = now_ms();
    let paused = change(&app, &owen, &id, json!({ "status": "waiting_on_customer" })).await;
    let p1 = now_ms();
    assert_eq!(paused["resolution"]["running"], false, "{paused}");
    assert!(paused["resolution"]["due"].is_null());
    assert!(paused["resolution"]["done_at"].is_null());
    let waiting = queue(&app, &owen, "view=breaching_soon").await;
    assert!(
        !ids(&waiting).contains(&id),
        "a paused ticket is not breaching"
    );

    // ...and on resuming the deadline moves by the time paused, with the time used kept.
    pause(1200).await;
    let r0 = now_ms();
    let resumed = change(&app, &owen, &id, json!({ "status": "in_progress" })).await;
    let r1 = now_ms();
    assert_eq!(resumed["resolution"]["running"], true, "{resumed}");
    let due1 = ms(&resumed["resolution"]["due"]);
    // due1 = r + 60 min - consumed, consumed = whole seconds of (p - c).
    within(
        due1 - due0,
        r0 - p1,
        r1 - p0 + 1000,
        "deadline moved by the pause",
    );
    assert!(
        due1 <= r1 + HOUR - 1000,
        "the second and more used before the pause is kept: {due1} vs {r1}"
    );

    // Resolving stops the clock; reopening resumes it with the time used.
    pause(1200).await;
    let s0 = now_ms();
    let resolved = change(&app, &owen, &id, json!({ "status": "resolved" })).await;
    let s1 = now_ms();
    assert_eq!(resolved["resolution"]["running"], false, "{resolved}");
    assert!(resolved["resolution"]["due"].is_null());
    within(
        ms(&resolved["resolution"]["done_at"]),
        s0,
        s1,
        "resolved at",
    );
    pause(1200).await;
    let o0 = now_ms();
    let reopened = change(&app, &owen, &id, json!({ "status": "open" })).await;
    let o1 = now_ms();
    assert_eq!(reopened["resolution"]["running"], true, "{reopened}");
    assert!(reopened["resolution"]["done_at"].is_null());
    let due2 = ms(&reopened["resolution"]["due"]);
    // due2 - due1 = (o - s) + the part second the floor dropped.
    within(
        due2 - due1,
        o0 - s1,
        o1 - s0 + 1000,
        "deadline moved by the resolved time",
    );
    assert!(
        due2 <= o1 + HOUR - 2000,
        "both running stretches stay consumed: {due2} vs {o1}"
    );
    assert_eq!(
        reopened["response"]["running"], false,
        "the response stays met"
    );

    // A priority set by hand needs a reason...
    let (s, body) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&owen),
            Some(json!({ "priority": "p1" })),
            &[("if-match", &reopened["version"].to_string())],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "priority_reason");
    // ...and recomputes the deadlines on the new targets with the time used.
    let raised = change(
        &app,
        &owen,
        &id,
        json!({ "priority": "p1", "priority_reason": "The whole dock is stopped" }),
    )
    .await;
    assert_eq!(raised["priority"], "p1", "{raised}");
    assert_eq!(raised["priority_reason"], "The whole dock is stopped");
    assert_eq!(raised["resolution"]["target_minutes"], 30);
    assert_eq!(raised["response"]["target_minutes"], 5);
    assert_eq!(raised["response"]["running"], false);
    let due3 = ms(&raised["resolution"]["due"]);
    // Same consumed time, 30 minutes less target: only the dropped part second differs.
    within(
        due3 - due2,
        -30 * MINUTE,
        -30 * MINUTE + 1000,
        "deadline on the new target",
    );
    let (_, timeline) = fetch(&app, &owen, &id).await;
    assert!(
        timeline
            .iter()
            .any(|e| e["kind"] == "sla"
                && e["body"].as_str().unwrap().starts_with("Priority changed"))
    );
}

#[tokio::test]
async fn the_worker_raises_warnings_and_breaches_on_the_timeline_in_the_audit_log_and_to_people() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let owen = app.token(OWEN).await;
    let dev = app.token(DEV).await;
    let alder = app.org("alder");
    let dev_id = user_id(&app, &dev).await;
    set_line(
        &app,
        &priya,
        &alder,
        "security-operations",
        ("provider", "provider"),
        Some(&dev_id),
        None,
    )
    .await;
    set_line(
        &app,
        &priya,
        &alder,
        "help-desk",
        ("in_house", "in_house"),
        None,
        None,
    )
    .await;
    set_policy(&app, &priya, &alder, "p2", 10, 60).await;

    // Assigned to DEV on the provider side.
    let assigned = open(
        &app,
        &priya,
        &alder,
        "Suspicious sign-ins on the finance mailbox",
        "security-operations",
        "medium",
        "high",
    )
    .await;
    let a = id_of(&assigned);
    assert_eq!(assigned["priority"], "p2");
    assert_eq!(assigned["assignee_id"], dev_id.as_str());
    // Nobody assigned, owned in-house.
    let unassigned = open(
        &app,
        &priya,
        &alder,
        "Shared drive mapping gone",
        "help-desk",
        "medium",
        "high",
    )
    .await;
    let u = id_of(&unassigned);
    assert!(unassigned["assignee_id"].is_null());
    assert_eq!(unassigned["owner_side"], "in_house");
    let c = ms(&assigned["created_at"]).max(ms(&unassigned["created_at"]));
    run_jobs(&app).await;

    // Nothing is due yet.
    raise_sla(&app, now_ms()).await;
    let (t, timeline) = fetch(&app, &dev, &a).await;
    assert_eq!(t["response"]["warned"], false);
    assert!(!timeline.iter().any(|e| e["kind"] == "sla"));

    // 8 minutes in: past 75% of the 10-minute response target, nowhere near resolution's.
    raise_sla(&app, c + 8 * MINUTE).await;
    let (t, timeline) = fetch(&app, &dev, &a).await;
    assert_eq!(t["response"]["warned"], true, "{t}");
    assert_eq!(t["response"]["breached"], false);
    assert_eq!(t["resolution"]["warned"], false);
    let sla: Vec<&Value> = timeline.iter().filter(|e| e["kind"] == "sla").collect();
    assert_eq!(sla.len(), 1, "{sla:?}");
    let body = sla[0]["body"].as_str().unwrap();
    assert!(
        body.contains("warning") && body.contains("response"),
        "{body}"
    );
    assert_eq!(sla[0]["visibility"], "team");
    let entries = audit(&app, &priya, &alder).await;
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "ticket.sla_warning" && e["object_id"] == a.as_str())
    );
    assert!(
        !entries
            .iter()
            .any(|e| e["action"] == "ticket.sla_breach" && e["object_id"] == a.as_str())
    );
    run_jobs(&app).await;
    let dev_notes = notifications(&app, &dev).await;
    assert!(
        has_notification(&dev_notes, "sla_warning", &a),
        "{dev_notes:?}"
    );
    assert!(!has_notification(&dev_notes, "sla_breach", &a));
    // The unassigned one warns its owner side's staff, and not the provider.
    assert!(has_notification(
        &notifications(&app, &owen).await,
        "sla_warning",
        &u
    ));
    assert!(has_notification(
        &notifications(&app, &priya).await,
        "sla_warning",
        &u
    ));
    assert!(!has_notification(&dev_notes, "sla_warning", &u));
    // Raised once: the same instant again raises nothing new for these.
    raise_sla(&app, c + 8 * MINUTE).await;
    let (_, timeline) = fetch(&app, &dev, &a).await;
    assert_eq!(timeline.iter().filter(|e| e["kind"] == "sla").count(), 1);

    // Two hours in: both targets missed.
    raise_sla(&app, c + 2 * HOUR).await;
    for id in [&a, &u] {
        let (t, timeline) = fetch(&app, &priya, id).await;
        assert_eq!(t["response"]["breached"], true, "{t}");
        assert_eq!(t["resolution"]["breached"], true, "{t}");
        let breaches: Vec<&str> = timeline
            .iter()
            .filter(|e| e["kind"] == "sla")
            .filter_map(|e| e["body"].as_str())
            .filter(|b| b.contains("breach"))
            .collect();
        assert_eq!(breaches.len(), 2, "response and resolution: {breaches:?}");
    }
    let entries = audit(&app, &priya, &alder).await;
    for id in [&a, &u] {
        assert_eq!(
            entries
                .iter()
                .filter(|e| e["action"] == "ticket.sla_breach" && e["object_id"] == id.as_str())
                .count(),
            2
        );
    }
    run_jobs(&app).await;
    let dev_notes = notifications(&app, &dev).await;
    assert!(has_notification(&dev_notes, "sla_breach", &a));
    assert!(!has_notification(&dev_notes, "sla_breach", &u));
    assert!(has_notification(
        &notifications(&app, &owen).await,
        "sla_breach",
        &u
    ));
    assert!(
        !has_notification(&notifications(&app, &owen).await, "sla_breach", &a),
        "an assigned ticket's breach goes to its assignee"
    );
}

// ---- 5. queues -----------------------------------------------------------

#[tokio::test]
async fn queue_views_show_each_side_what_it_should() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let owen = app.token(OWEN).await;
    let dev = app.token(DEV).await;
    let sofia = app.token(SOFIA).await;
    let ben = app.token(BEN).await;
    let grace = app.token(GRACE).await;
    let (alder, brightwater, corvid) =
        (app.org("alder"), app.org("brightwater"), app.org("corvid"));
    let owen_id = user_id(&app, &owen).await;

    set_calendar(&app, &priya, &alder, open_all_week()).await;
    for (token, client) in [(&priya, &alder), (&grace, &brightwater), (&ben, &corvid)] {
        set_line(
            &app,
            token,
            client,
            "security-operations",
            ("provider", "provider"),
            None,
            None,
        )
        .await;
    }
    set_line(
        &app,
        &priya,
        &alder,
        "on-site",
        ("in_house", "in_house"),
        None,
        None,
    )
    .await;
    for (p, response, resolution) in [("p1", 15, 240), ("p2", 60, 480), ("p4", 480, 2400)] {
        set_policy(&app, &priya, &alder, p, response, resolution).await;
    }

    let a1 = id_of(
        &open(
            &app,
            &priya,
            &alder,
            "Site down: no internet",
            "on-site",
            "high",
            "high",
        )
        .await,
    );
    let a2 = id_of(
        &open(
            &app,
            &priya,
            &alder,
            "New monitor for reception",
            "on-site",
            "low",
            "low",
        )
        .await,
    );
    let a3 = id_of(
        &open(
            &app,
            &priya,
            &alder,
            "EDR alert on laptop 17",
            "security-operations",
            "medium",
            "high",
        )
        .await,
    );
    let a4 = id_of(
        &open(
            &app,
            &priya,
            &alder,
            "Desk phone crackles",
            "on-site",
            "medium",
            "medium",
        )
        .await,
    );
    let a5 = id_of(
        &open(
            &app,
            &priya,
            &alder,
            "Badge reader reset",
            "on-site",
            "medium",
            "medium",
        )
        .await,
    );
    let b1 = id_of(
        &open(
            &app,
            &grace,
            &brightwater,
            "Phishing report from front desk",
            "security-operations",
            "medium",
            "medium",
        )
        .await,
    );
    let c1 = id_of(
        &open(
            &app,
            &ben,
            &corvid,
            "Firewall rule review",
            "security-operations",
            "medium",
            "high",
        )
        .await,
    );
    change(&app, &owen, &a2, json!({ "assignee_id": owen_id })).await;
    change(&app, &owen, &a4, json!({ "status": "waiting_on_customer" })).await;
    change(&app, &owen, &a5, json!({ "status": "resolved" })).await;

    let open_statuses = |list: &[Value]| {
        list.iter()
            .all(|t| t["status"] != "resolved" && t["status"] != "closed")
    };

    // my_side for a provider engineer: provider-owned, open, engaged clients only.
    for (token, who, want, never) in [
        (&dev, "DEV", vec![&a3, &b1], vec![&c1, &a1, &a2, &a4, &a5]),
        (&sofia, "SOFIA", vec![&b1, &c1], vec![&a3, &a1]),
    ] {
        let list = queue(&app, token, "view=my_side").await;
        let got = ids(&list);
        for w in want {
            assert!(got.contains(w), "{who} my_side lacks {w}: {list:?}");
        }
        for n in never {
            assert!(!got.contains(n), "{who} my_side has {n}");
        }
        assert!(list.iter().all(|t| t["owner_side"] == "provider"));
        assert!(open_statuses(&list));
    }
    let dev_side = queue(&app, &dev, "view=my_side").await;
    assert!(
        dev_side
            .iter()
            .all(|t| t["client_id"] == alder.as_str() || t["client_id"] == brightwater.as_str()),
        "DEV is not engaged with corvid: {dev_side:?}"
    );
    // Nothing of corvid reaches DEV through any view.
    for view in ["all", "unassigned", "breaching_soon", "waiting", "mine"] {
        let list = queue(&app, &dev, &format!("view={view}")).await;
        assert!(
            list.iter().all(|t| t["client_id"] != corvid.as_str()),
            "{view}: {list:?}"
        );
    }

    // my_side for the in-house team: in-house, open, their own client.
    let list = queue(&app, &priya, "view=my_side").await;
    let got = ids(&list);
    for w in [&a1, &a2, &a4] {
        assert!(got.contains(w), "PRIYA my_side lacks {w}");
    }
    for n in [&a3, &a5, &b1, &c1] {
        assert!(!got.contains(n), "PRIYA my_side has {n}");
    }
    assert!(
        list.iter()
            .all(|t| t["owner_side"] == "in_house" && t["client_id"] == alder.as_str())
    );

    // mine: assigned to the caller.
    let list = queue(&app, &owen, "view=mine").await;
    assert!(ids(&list).contains(&a2));
    assert!(list.iter().all(|t| t["assignee_id"] == owen_id.as_str()));
    assert!(!ids(&queue(&app, &priya, "view=mine").await).contains(&a2));

    // unassigned: open and nobody on it, for both sides.
    let list = queue(&app, &priya, "view=unassigned").await;
    let got = ids(&list);
    for w in [&a1, &a3, &a4] {
        assert!(got.contains(w), "PRIYA unassigned lacks {w}");
    }
    assert!(!got.contains(&a2) && !got.contains(&a5));
    assert!(list.iter().all(|t| t["assignee_id"].is_null()));
    assert!(open_statuses(&list));
    let got = ids(&queue(&app, &dev, "view=unassigned").await);
    assert!(got.contains(&a3) && got.contains(&b1) && got.contains(&a1));
    assert!(!got.contains(&c1));

    // waiting: waiting states only, whoever owns the ticket.
    for (token, sees) in [(&priya, true), (&dev, true), (&sofia, false)] {
        let list = queue(&app, token, "view=waiting").await;
        assert_eq!(ids(&list).contains(&a4), sees);
        assert!(
            list.iter()
                .all(|t| PAUSES.contains(&t["status"].as_str().unwrap()))
        );
    }

    // breaching_soon: running clocks only, soonest deadline first.
    for token in [&priya, &dev] {
        let list = queue(&app, token, "view=breaching_soon").await;
        let got = ids(&list);
        assert!(!got.contains(&a4), "paused");
        assert!(!got.contains(&a5), "resolved");
        let dues: Vec<i64> = list
            .iter()
            .map(|t| next_due(t).unwrap_or_else(|| panic!("no running clock: {t}")))
            .collect();
        assert!(
            dues.windows(2).all(|w| w[0] <= w[1]),
            "not by deadline: {dues:?}"
        );
        let pos = |x: &String| got.iter().position(|g| g == x).unwrap();
        // P1 (15 min) before P2 (60 min) before P4 (480 min).
        assert!(pos(&a1) < pos(&a3) && pos(&a3) < pos(&a2), "{got:?}");
    }
    assert!(!ids(&queue(&app, &dev, "view=breaching_soon").await).contains(&c1));

    // Filters.
    let list = queue(&app, &priya, "status=waiting_on_customer").await;
    assert!(ids(&list).contains(&a4));
    assert!(list.iter().all(|t| t["status"] == "waiting_on_customer"));
    let list = queue(&app, &priya, "status=resolved").await;
    assert!(ids(&list).contains(&a5));
    assert!(list.iter().all(|t| t["status"] == "resolved"));
    let list = queue(&app, &priya, "priority=p1").await;
    assert!(ids(&list).contains(&a1));
    assert!(list.iter().all(|t| t["priority"] == "p1"));
    let list = queue(&app, &priya, "category=security-operations").await;
    assert!(ids(&list).contains(&a3));
    assert!(list.iter().all(|t| t["category"] == "security-operations"));
    let list = queue(&app, &priya, "view=my_side&priority=p4").await;
    assert!(ids(&list).contains(&a2));
    assert!(
        list.iter()
            .all(|t| t["priority"] == "p4" && t["owner_side"] == "in_house")
    );
    let list = queue(
        &app,
        &sofia,
        &format!("category=security-operations&client_id={corvid}"),
    )
    .await;
    assert!(ids(&list).contains(&c1));
    assert!(list.iter().all(|t| t["client_id"] == corvid.as_str()));
    let (s, _) = app
        .api("GET", "/api/v1/tickets?status=pending", Some(&priya), None)
        .await;
    assert_eq!(s, 400, "an unknown status is refused, not ignored");
}

#[tokio::test]
async fn tickets_and_split_lines_go_only_to_people_who_work_the_client() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let dev = app.token(DEV).await;
    let sofia = app.token(SOFIA).await;
    let ravi = app.token(RAVI).await;
    let owen = app.token(OWEN).await;
    let alder = app.org("alder");
    let (dev_id, sofia_id, ravi_id, owen_id) = (
        user_id(&app, &dev).await,
        user_id(&app, &sofia).await,
        user_id(&app, &ravi).await,
        user_id(&app, &owen).await,
    );
    let t = open(
        &app,
        &priya,
        &alder,
        "Board pack laptop",
        "help-desk",
        "low",
        "low",
    )
    .await;
    let id = id_of(&t);
    // DEV also works brightwater, and shares an organization with SOFIA:
    // neither makes Ravi (brightwater) or SOFIA (not on alder) alder's people.
    for stranger in [&sofia_id, &ravi_id] {
        let (s, body) = app
            .api_with(
                "PATCH",
                &format!("/api/v1/tickets/{id}"),
                Some(&dev),
                Some(json!({ "assignee_id": stranger })),
                &[("if-match", &t["version"].to_string())],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "assignee_id");
    }
    run_jobs(&app).await;
    for token in [&sofia, &ravi] {
        let notes = notifications(&app, token).await;
        assert!(
            !notes.iter().any(|n| n["ticket_id"] == id.as_str()),
            "{notes:?}"
        );
    }
    let (after, _) = fetch(&app, &priya, &id).await;
    assert_eq!(after["version"], t["version"]);
    // The client's own staff and the engaged engineer are fine.
    for (token, who) in [(&dev, &owen_id), (&owen, &owen_id), (&dev, &dev_id)] {
        let changed = change(&app, token, &id, json!({ "assignee_id": who })).await;
        assert_eq!(changed["assignee_id"], who.as_str());
    }

    // The same rule for the split's default pick-ups.
    for (field, stranger) in [
        ("provider_assignee", &sofia_id),
        ("in_house_assignee", &ravi_id),
    ] {
        let mut line = json!({ "business_hours": "provider", "after_hours": "provider", "provider_assignee": null, "in_house_assignee": null, "in_scope": true });
        line[field] = json!(stranger);
        let (s, body) = app
            .api(
                "PUT",
                &format!("/api/v1/clients/{alder}/split/network"),
                Some(&priya),
                Some(line),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{field}: {body}");
        assert_eq!(body["field"], field);
    }
    set_line(
        &app,
        &priya,
        &alder,
        "network",
        ("provider", "provider"),
        Some(&dev_id),
        Some(&owen_id),
    )
    .await;
}

// ---- 6. Idempotency-Key --------------------------------------------------

#[tokio::test]
async fn a_repeated_idempotency_key_answers_the_first_ticket() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let owen = app.token(OWEN).await;
    let alder = app.org("alder");
    let title = "Laptop for new starter Rosa";
    let body = json!({ "client_id": alder, "title": title, "category": "help-desk", "impact": "low", "urgency": "low" });
    let (s1, first) = post_keyed(&app, &priya, &body, "order-7f3a").await;
    assert_eq!(s1, StatusCode::CREATED, "{first}");
    let (s2, again) = post_keyed(&app, &priya, &body, "order-7f3a").await;
    assert_eq!(s2, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    assert_eq!(again["number"], first["number"]);
    let count = |list: Vec<Value>| list.iter().filter(|t| t["title"] == title).count();
    assert_eq!(count(queue(&app, &priya, "view=all").await), 1);

    let (s3, other) = post_keyed(&app, &priya, &body, "order-7f3b").await;
    assert_eq!(s3, StatusCode::CREATED);
    assert_ne!(other["id"], first["id"]);
    assert_eq!(count(queue(&app, &priya, "view=all").await), 2);

    // Keys are the caller's own: the same key from someone else is a new request.
    let (s4, owens) = post_keyed(&app, &owen, &body, "order-7f3a").await;
    assert_eq!(s4, StatusCode::CREATED);
    assert_ne!(owens["id"], first["id"]);
    assert_eq!(count(queue(&app, &priya, "view=all").await), 3);
}

#[tokio::test]
async fn an_idempotency_key_sent_with_another_ticket_is_refused() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let body = json!({ "client_id": alder, "title": "Badge reader at the side door", "category": "help-desk", "impact": "low", "urgency": "low" });
    let (s1, first) = post_keyed(&app, &priya, &body, "door-1").await;
    assert_eq!(s1, StatusCode::CREATED, "{first}");

    // The same key with a different ticket: refused, nothing opened.
    let mut other = body.clone();
    other["title"] = json!("Badge reader at the front door");
    let (s2, refused) = post_keyed(&app, &priya, &other, "door-1").await;
    assert_eq!(s2, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["title"], "Idempotency-Key reused");
    let titled = |list: &[Value], title: &str| list.iter().filter(|t| t["title"] == title).count();
    let all = queue(&app, &priya, "view=all").await;
    assert_eq!(titled(&all, "Badge reader at the front door"), 0);
    assert_eq!(titled(&all, "Badge reader at the side door"), 1);

    // The first request again still gets its ticket; a new key opens the other.
    let (s3, again) = post_keyed(&app, &priya, &body, "door-1").await;
    assert_eq!(s3, StatusCode::CREATED, "{again}");
    assert_eq!(again["id"], first["id"]);
    let (s4, second) = post_keyed(&app, &priya, &other, "door-2").await;
    assert_eq!(s4, StatusCode::CREATED, "{second}");
    assert_ne!(second["id"], first["id"]);

    // A day later the key is forgotten and may be used afresh.
    let sql = "UPDATE idempotency_keys SET created_at = created_at - 86400001";
    match &app.tandem.db {
        tandem_service::Db::Sqlite { write, .. } => {
            sqlx::query(sql).execute(write).await.unwrap();
        }
        tandem_service::Db::Postgres(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
    }
    app.tandem.purge_expired().await.unwrap();
    let (s5, later) = post_keyed(&app, &priya, &other, "door-1").await;
    assert_eq!(s5, StatusCode::CREATED, "{later}");
    assert_ne!(later["id"], first["id"]);
    assert_ne!(later["id"], second["id"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_with_one_key_create_one_ticket() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let title = "Scanner on the loading dock";
    let body = json!({ "client_id": alder, "title": title, "category": "help-desk", "impact": "low", "urgency": "low" });
    let attempts = (0..6).map(|_| post_keyed(&app, &priya, &body, "dock-scanner-1"));
    let answers = futures_join_all(attempts).await;
    let created: Vec<&Value> = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .map(|(_, v)| v)
        .collect();
    assert!(!created.is_empty(), "{answers:?}");
    assert!(
        created.iter().all(|v| v["id"] == created[0]["id"]),
        "{answers:?}"
    );
    for (s, v) in &answers {
        assert!(
            *s == StatusCode::CREATED || *s == StatusCode::CONFLICT,
            "{s} {v}"
        );
    }
    let count = queue(&app, &priya, "view=all")
        .await
        .iter()
        .filter(|t| t["title"] == title)
        .count();
    assert_eq!(count, 1, "one key, one ticket");
}

/// Run futures side by side (the test runtime interleaves them).
async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in fs {
        set.push(Box::pin(f));
    }
    let mut out = Vec::new();
    // Poll all of them together by joining pairwise through tokio::join!.
    while let Some(a) = set.pop() {
        match set.pop() {
            Some(b) => {
                let (x, y) = tokio::join!(a, b);
                out.push(x);
                out.push(y);
            }
            None => out.push(a.await),
        }
    }
    out
}

// ---- 7. deadline preview -------------------------------------------------

#[tokio::test]
async fn the_deadline_preview_counts_business_hours_holidays_and_weekends() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let owen = app.token(OWEN).await;
    let alder = app.org("alder");
    let windows: Vec<Value> = WEEKDAYS[..5]
        .iter()
        .map(|d| json!({ "day": d, "start": "09:00", "end": "17:00" }))
        .collect();
    let mut calendar = json!({
        "time_zone": "Europe/London",
        "windows": windows,
        "holidays": [],
        "yearly_holidays": ["12-25", "12-26"],
    });
    set_calendar(&app, &priya, &alder, calendar.clone()).await;
    let (s, body) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{alder}/sla/p3"),
            Some(&priya),
            Some(json!({ "response_minutes": 240, "resolution_minutes": 1440, "around_the_clock": false, "pause_statuses": PAUSES, "warn_percent": 75 })),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{body}");

    let instant = |v: &Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    // Thursday 24 December 2026, 16:30 in London (GMT): 30 minutes that day,
    // Friday 25th and Saturday 26th are holidays, then the weekend; the
    // remaining 210 minutes run from Monday 09:00 to 12:30.
    let (s, p) = preview(
        &app,
        &owen,
        &alder,
        "priority=p3&opened_at=2026-12-24T16:30:00Z",
    )
    .await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(
        instant(&p["opened_at"]),
        "2026-12-24T16:30:00Z".parse().unwrap()
    );
    assert_eq!(
        instant(&p["response_due"]),
        "2026-12-28T12:30:00Z".parse::<jiff::Timestamp>().unwrap(),
        "{p}"
    );
    // 1440 min: 30 Thu + 480 Mon + 480 Tue + 450 Wed (09:00-16:30).
    assert_eq!(
        instant(&p["resolution_due"]),
        "2026-12-30T16:30:00Z".parse::<jiff::Timestamp>().unwrap(),
        "{p}"
    );
    // An offset in the input means the same instant.
    let (s, p2) = preview(
        &app,
        &owen,
        &alder,
        "priority=p3&opened_at=2026-12-24T17:30:00%2B01:00",
    )
    .await;
    assert_eq!(s, 200, "{p2}");
    assert_eq!(p2["response_due"], p["response_due"]);

    // Without the holidays the same ticket is due on Friday 25th at 12:30.
    calendar["yearly_holidays"] = json!([]);
    set_calendar(&app, &priya, &alder, calendar).await;
    let (_, p3) = preview(
        &app,
        &owen,
        &alder,
        "priority=p3&opened_at=2026-12-24T16:30:00Z",
    )
    .await;
    assert_eq!(
        instant(&p3["response_due"]),
        "2026-12-25T12:30:00Z".parse::<jiff::Timestamp>().unwrap(),
        "{p3}"
    );

    let (s, bad) = preview(&app, &owen, &alder, "priority=p3&opened_at=24/12/2026").await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{bad}");
    assert_eq!(bad["field"], "opened_at");
    assert_eq!(bad["status"], 400);
}

// ---- 8. split history ----------------------------------------------------

#[tokio::test]
async fn split_edits_by_both_admins_are_in_its_history_newest_first_and_in_the_audit_log() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let mara = app.token(MARA).await;
    let dev = app.token(DEV).await;
    let alder = app.org("alder");
    let dev_id = user_id(&app, &dev).await;
    let mara_id = user_id(&app, &mara).await;

    // The provider admin reaches the client only once assigned to its engagement.
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/split/history"),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!(s, 404, "not assigned yet");
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    let engagement = engs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == alder.as_str() && e["status"] == "active")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, body) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{engagement}/engineers"),
            Some(&mara),
            Some(json!({ "user_id": mara_id })),
        )
        .await;
    assert_eq!(s, 200, "{body}");

    let (_, desk) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/desk"),
            Some(&priya),
            None,
        )
        .await;
    let line = desk["split"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["category"] == "network")
        .unwrap()
        .clone();
    let (was_in_hours, was_after) = (line["business_hours"].clone(), line["after_hours"].clone());
    let to_in_hours = if was_in_hours == "provider" {
        "in_house"
    } else {
        "provider"
    };
    let after = was_after.as_str().unwrap();
    let history_before = split_history(&app, &priya, &alder).await.len();
    let last_seq = audit(&app, &priya, &alder)
        .await
        .first()
        .map_or(0, |e| ms(&e["seq"]));

    // The client admin changes who owns network in business hours...
    set_line(
        &app,
        &priya,
        &alder,
        "network",
        (to_in_hours, after),
        None,
        None,
    )
    .await;
    // ...and the provider admin names the engineer who picks it up.
    set_line(
        &app,
        &mara,
        &alder,
        "network",
        (to_in_hours, after),
        Some(&dev_id),
        None,
    )
    .await;
    // Saving a line unchanged is not a change.
    set_line(
        &app,
        &mara,
        &alder,
        "network",
        (to_in_hours, after),
        Some(&dev_id),
        None,
    )
    .await;

    let history = split_history(&app, &dev, &alder).await;
    assert_eq!(history.len(), history_before + 2, "{history:?}");
    let (newest, older) = (&history[0], &history[1]);
    assert_eq!(newest["category"], "network");
    assert_eq!(newest["by"], MARA);
    assert_eq!(newest["by_name"], "Mara Okafor");
    assert_eq!(newest["side"], "provider");
    assert_eq!(newest["change"]["provider_assignee"]["to"], dev_id.as_str());
    assert!(newest["change"]["provider_assignee"]["from"].is_null());
    assert!(newest["change"].get("business_hours").is_none(), "{newest}");
    assert_eq!(older["category"], "network");
    assert_eq!(older["by"], PRIYA);
    assert_eq!(older["side"], "client");
    assert_eq!(older["change"]["business_hours"]["from"], was_in_hours);
    assert_eq!(older["change"]["business_hours"]["to"], to_in_hours);
    assert!(older["change"].get("after_hours").is_none(), "{older}");
    assert!(ms(&newest["at"]) >= ms(&older["at"]));

    // The client's admin reads the same in the audit log.
    let entries = audit(&app, &priya, &alder).await;
    let splits: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "split.update" && ms(&e["seq"]) > last_seq)
        .collect();
    assert_eq!(splits.len(), 2, "{splits:?}");
    assert_eq!(splits[0]["actor_label"], MARA);
    assert_eq!(splits[0]["actor_side"], "provider");
    assert_eq!(splits[1]["actor_label"], PRIYA);
    assert_eq!(splits[1]["actor_side"], "client");
    let c: Value = serde_json::from_str(splits[0]["change"].as_str().unwrap()).unwrap();
    assert_eq!(c["category"], "network");
    assert_eq!(c["change"]["provider_assignee"]["to"], dev_id.as_str());
    let c: Value = serde_json::from_str(splits[1]["change"].as_str().unwrap()).unwrap();
    assert_eq!(c["change"]["business_hours"]["to"], to_in_hours);

    // Engineers read the split but do not edit it.
    let (s, _) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{alder}/split/network"),
            Some(&dev),
            Some(json!({ "business_hours": "in_house", "after_hours": "in_house", "provider_assignee": null, "in_house_assignee": null, "in_scope": true })),
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(
        split_history(&app, &priya, &alder).await.len(),
        history.len()
    );
}

#[tokio::test]
async fn reading_a_desk_that_is_set_up_does_not_wait_for_writers() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    // The first read writes: it sets the desk up with its defaults, and
    // records the token's first use (after that a token is touched at most
    // once a minute).
    let desk_url = format!("/api/v1/clients/{alder}/desk");
    let (s, first) = app.api("GET", &desk_url, Some(&priya), None).await;
    assert_eq!(s, StatusCode::OK, "{first}");
    // Someone holds the database's write transaction (on SQLite, the one
    // writer) for as long as this test reads.
    let held = app.tandem.db.begin().await.unwrap();
    let read = tokio::time::timeout(
        Duration::from_secs(5),
        app.api("GET", &desk_url, Some(&priya), None),
    )
    .await
    .expect("the desk is read without the writer");
    let (s, desk) = read;
    assert_eq!(s, StatusCode::OK, "{desk}");
    assert_eq!(desk, first);
    drop(held);
}
