//! The worker's alert sweeps end to end, time driven by the `now` handed
//! to `Tandem::sweep_alerts` rather than by sleeping: a ticket whose
//! alerts all resolved resolves itself after the source's quiet period
//! unless a person took it up (each kind of touch), a refire cancels the
//! quiet period; a missing heartbeat opens one "monitoring is down"
//! ticket on the after-hours side and its return resolves it; Watchdog
//! alerts and heartbeat events never open tickets; a ticket a crash left
//! unwritten is written exactly once; and one client's heartbeat never
//! reaches another's source.
#![allow(clippy::unwrap_used)]

mod support;
use support::alerts::{AM, EVENTS, now_ms, source, ticket};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use support::*;
use tandem_service::Db;

const MINUTE: i64 = 60_000;

macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Db::Sqlite { write: $p, .. } => $body,
            Db::Postgres($p) => $body,
        }
    };
}
async fn post(app: &TestApp, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from(body.to_string()))
        .unwrap();
    let res = app.send(req).await;
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// One Alertmanager alert in its own group.
fn am(alertname: &str, fingerprint: &str, status: &str, starts: &str) -> Value {
    json!({
        "receiver": "tandem", "status": status, "version": "4",
        "groupKey": format!("{{}}:{{alertname=\"{alertname}\", fp=\"{fingerprint}\"}}"),
        "groupLabels": { "alertname": alertname }, "commonLabels": {}, "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093", "truncatedAlerts": 0,
        "alerts": [alert(alertname, fingerprint, status, starts)]
    })
}

fn alert(alertname: &str, fingerprint: &str, status: &str, starts: &str) -> Value {
    json!({
        "status": status,
        "labels": { "alertname": alertname, "instance": format!("{fingerprint}.example:9100"), "severity": "warning" },
        "annotations": { "summary": format!("{fingerprint} needs attention") },
        "startsAt": starts,
        "endsAt": if status == "resolved" { "2026-03-02T10:20:00Z" } else { "0001-01-01T00:00:00Z" },
        "fingerprint": fingerprint
    })
}

/// Alertmanager's always-firing Watchdog, as its own group.
fn watchdog() -> Value {
    am("Watchdog", "watchdog0001", "firing", "2026-03-01T00:00:00Z")
}

/// Fire an alert; its ticket's id.
async fn fire(app: &TestApp, key: &str, fingerprint: &str, starts: &str) -> String {
    let (s, b) = post(
        app,
        AM,
        key,
        &am("DiskFilling", fingerprint, "firing", starts),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    b["alerts"][0]["ticket_id"].as_str().unwrap().to_owned()
}

async fn resolve(app: &TestApp, key: &str, fingerprint: &str, starts: &str) {
    let (s, b) = post(
        app,
        AM,
        key,
        &am("DiskFilling", fingerprint, "resolved", starts),
    )
    .await;
    assert_eq!(s, 202, "{b}");
}
fn entries(t: &Value, kind: &str) -> Vec<String> {
    t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["body"].as_str().unwrap().to_owned())
        .collect()
}

fn waits(t: &Value) -> usize {
    entries(t, "alert")
        .iter()
        .filter(|b| b.contains("waits for them"))
        .count()
}

async fn tickets_titled(app: &TestApp, token: &str, needle: &str) -> Vec<Value> {
    let (s, b) = app
        .api("GET", "/api/v1/tickets?limit=200", Some(token), None)
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"].as_str().unwrap_or("").contains(needle))
        .cloned()
        .collect()
}

async fn source_row(app: &TestApp, token: &str, slug: &str, id: &str) -> Value {
    let (s, b) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/alert-sources", app.org(slug)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .cloned()
        .unwrap()
}

/// Move a source's creation (and so its first heartbeat deadline) back.
async fn backdate_source(app: &TestApp, id: &str, by_ms: i64) {
    let n = on_pool!(&app.tandem.db, p => sqlx::query(
        "UPDATE alert_sources SET created_at = created_at - $1, heartbeat_due_at = heartbeat_due_at - $1 WHERE id = $2")
        .bind(by_ms).bind(id).execute(p).await.unwrap().rows_affected());
    assert_eq!(n, 1);
}

async fn user_id(app: &TestApp, email: &str) -> String {
    let token = app.token(email).await;
    let me = app.api("GET", "/api/v1/me", Some(&token), None).await.1;
    me["user_id"].as_str().unwrap().to_owned()
}

async fn comment(app: &TestApp, token: &str, id: &str, visibility: &str) {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/comments"),
            Some(token),
            Some(json!({ "body": "Looking into it", "visibility": visibility })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) {
    let t = ticket(app, token, id).await;
    let version = format!("\"{}\"", t["ticket"]["version"]);
    let (s, b) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(token),
            Some(body),
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

#[tokio::test]
async fn an_untouched_ticket_resolves_itself_after_the_quiet_period_through_the_desk() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (_, key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network", "quiet_minutes": 3 }),
    )
    .await;
    let id = fire(&app, &key, "disk01", "2026-03-02T10:00:00Z").await;
    let before = now_ms();
    resolve(&app, &key, "disk01", "2026-03-02T10:00:00Z").await;
    let after = now_ms();

    // Not before the quiet period is over.
    let early = app
        .tandem
        .sweep_alerts(before + 3 * MINUTE - 1000)
        .await
        .unwrap();
    assert_eq!(early.resolved, 0);
    assert_eq!(ticket(&app, &priya, &id).await["ticket"]["status"], "new");

    let at = after + 3 * MINUTE + 1000;
    let swept = app.tandem.sweep_alerts(at).await.unwrap();
    assert_eq!(swept.resolved, 1, "{swept:?}");
    let t = ticket(&app, &priya, &id).await;
    assert_eq!(t["ticket"]["status"], "resolved", "{t}");
    // The desk's own status change: the resolution clock stopped then,
    // the timeline says who and why, and the audit log has the change.
    assert_eq!(t["ticket"]["resolution"]["done_at"], at);
    assert_eq!(t["ticket"]["resolution"]["running"], false);
    assert!(
        entries(&t, "alert")
            .iter()
            .any(|b| b == "Resolved automatically: all alerts resolved for 3 minutes"),
        "{t}"
    );
    let status = t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "status")
        .unwrap();
    assert_eq!(status["body"], "Status: new → resolved");
    assert!(
        status["actor_name"]
            .as_str()
            .unwrap()
            .contains("(monitoring)"),
        "{status}"
    );
    let (_, audit) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{}/audit", app.org("alder")),
            Some(&priya),
            None,
        )
        .await;
    assert!(
        audit.to_string().contains("ticket.update") && audit.to_string().contains(&id),
        "the resolve is in the audit log"
    );

    // Done once: the next round finds nothing.
    let again = app.tandem.sweep_alerts(at + MINUTE).await.unwrap();
    assert_eq!(again.resolved, 0);
    assert_eq!(
        entries(&ticket(&app, &priya, &id).await, "alert")
            .iter()
            .filter(|b| b.starts_with("Resolved automatically"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_ticket_a_person_took_up_waits_for_them_whatever_the_touch() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let owen = app.token(OWEN).await;
    let dev = app.token(DEV).await;
    let owen_id = user_id(&app, OWEN).await;
    let (_, key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network" }),
    )
    .await;
    let starts = "2026-03-02T10:00:00Z";
    let kinds = [
        "untouched",
        "reply",
        "note",
        "status",
        "assignee",
        "handoff",
        "title",
    ];
    let mut ids = Vec::new();
    for k in kinds {
        ids.push(fire(&app, &key, k, starts).await);
    }
    // Each touch by a person, one per ticket.
    comment(&app, &owen, &ids[1], "public").await;
    comment(&app, &dev, &ids[2], "team").await;
    patch(&app, &owen, &ids[3], json!({ "status": "in_progress" })).await;
    patch(&app, &priya, &ids[4], json!({ "assignee_id": owen_id })).await;
    let t = ticket(&app, &priya, &ids[5]).await;
    let (s, b) = app
        .api_with(
            "POST",
            &format!("/api/v1/tickets/{}/handoff", ids[5]),
            Some(&priya),
            Some(json!({ "reason": "the provider watches disks" })),
            &[("if-match", &format!("\"{}\"", t["ticket"]["version"]))],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    patch(
        &app,
        &owen,
        &ids[6],
        json!({ "title": "Disk filling on the file server" }),
    )
    .await;

    for k in kinds {
        resolve(&app, &key, k, starts).await;
    }
    let at = now_ms() + 11 * MINUTE;
    let swept = app.tandem.sweep_alerts(at).await.unwrap();
    assert_eq!(swept.resolved, 1, "{swept:?}");
    assert_eq!(swept.waiting, kinds.len() - 1, "{swept:?}");
    assert_eq!(
        ticket(&app, &priya, &ids[0]).await["ticket"]["status"],
        "resolved"
    );
    for (k, id) in kinds.iter().zip(&ids).skip(1) {
        let t = ticket(&app, &priya, id).await;
        assert_ne!(t["ticket"]["status"], "resolved", "{k}: {t}");
        assert_eq!(waits(&t), 1, "{k}: noted once that it waits");
    }

    // Later rounds, and a new quiet period after a refire, say it no more
    // and still leave the tickets to their people.
    fire(&app, &key, "reply", "2026-03-02T11:00:00Z").await;
    resolve(&app, &key, "reply", "2026-03-02T11:00:00Z").await;
    let later = app
        .tandem
        .sweep_alerts(now_ms() + 30 * MINUTE)
        .await
        .unwrap();
    assert_eq!((later.resolved, later.waiting), (0, 0), "{later:?}");
    for id in &ids[1..] {
        let t = ticket(&app, &priya, id).await;
        assert_ne!(t["ticket"]["status"], "resolved");
        assert_eq!(waits(&t), 1);
    }
}

#[tokio::test]
async fn an_alert_firing_again_cancels_the_quiet_period() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (_, key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network" }),
    )
    .await;
    let id = fire(&app, &key, "flappy", "2026-03-02T10:00:00Z").await;
    resolve(&app, &key, "flappy", "2026-03-02T10:00:00Z").await;
    // It fires again (a new start) before the ten quiet minutes are over.
    assert_eq!(fire(&app, &key, "flappy", "2026-03-02T10:05:00Z").await, id);
    let swept = app
        .tandem
        .sweep_alerts(now_ms() + 11 * MINUTE)
        .await
        .unwrap();
    assert_eq!(swept.resolved, 0, "{swept:?}");
    let t = ticket(&app, &priya, &id).await;
    assert_eq!(t["ticket"]["status"], "new");
    assert_eq!(waits(&t), 0, "firing again is not a person");

    // Its next resolution starts a new quiet period, counted from then.
    resolve(&app, &key, "flappy", "2026-03-02T10:05:00Z").await;
    let resolved_at = now_ms();
    let early = app
        .tandem
        .sweep_alerts(resolved_at + 9 * MINUTE)
        .await
        .unwrap();
    assert_eq!(early.resolved, 0);
    let swept = app
        .tandem
        .sweep_alerts(resolved_at + 11 * MINUTE)
        .await
        .unwrap();
    assert_eq!(swept.resolved, 1);
    assert_eq!(
        ticket(&app, &priya, &id).await["ticket"]["status"],
        "resolved"
    );
}

#[tokio::test]
async fn a_missing_heartbeat_opens_one_after_hours_ticket_and_its_return_resolves_it() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let dev_id = user_id(&app, DEV).await;
    // Business hours all week, and a network line that differs by the
    // clock: only forced after-hours routing reaches the provider now.
    let windows: Vec<Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| json!({ "day": d, "start": "00:00", "end": "24:00" }))
        .collect();
    let (s, b) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{alder}/calendar"),
            Some(&priya),
            Some(json!({ "time_zone": "UTC", "windows": windows })),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let (s, b) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{alder}/split/network"),
            Some(&priya),
            Some(
                json!({ "business_hours": "in_house", "after_hours": "provider",
                "provider_assignee": dev_id, "in_house_assignee": null, "in_scope": true }),
            ),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (id, key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network", "heartbeat_minutes": 5 }),
    )
    .await;
    let row = source_row(&app, &priya, "alder", &id).await;
    assert_eq!(row["heartbeat_minutes"], 5);
    assert_eq!(row["monitoring_down_ticket_id"], Value::Null);

    // Not yet overdue four minutes after creation.
    let early = app
        .tandem
        .sweep_alerts(now_ms() + 4 * MINUTE)
        .await
        .unwrap();
    assert_eq!(early.monitoring_down, 0);

    // Ten minutes without a heartbeat.
    backdate_source(&app, &id, 10 * MINUTE).await;
    let swept = app.tandem.sweep_alerts(now_ms()).await.unwrap();
    assert_eq!(swept.monitoring_down, 1, "{swept:?}");
    let down = tickets_titled(&app, &priya, "Monitoring is down").await;
    assert_eq!(down.len(), 1);
    let down_id = down[0]["id"].as_str().unwrap().to_owned();
    let t = ticket(&app, &priya, &down_id).await;
    assert!(
        t["ticket"]["title"]
            .as_str()
            .unwrap()
            .starts_with("Monitoring is down: Prometheus sent no heartbeat since 20"),
        "{t}"
    );
    assert_eq!(t["ticket"]["owner_side"], "provider", "{t}");
    assert_eq!(t["ticket"]["assignee_id"], dev_id.as_str());
    assert_eq!(t["ticket"]["priority"], "p1");
    let row = source_row(&app, &priya, "alder", &id).await;
    assert_eq!(row["monitoring_down_ticket_id"], down_id.as_str());
    // An ordinary alert at the same hour goes in-house: the clock says
    // business hours.
    let ordinary = fire(&app, &key, "disk01", "2026-03-02T10:00:00Z").await;
    assert_eq!(
        ticket(&app, &priya, &ordinary).await["ticket"]["owner_side"],
        "in_house"
    );
    // The alerts page says so.
    let mut browser = app.browser(PRIYA).await;
    let page = text(browser.get(&format!("/alerts?client={alder}")).await).await;
    assert!(page.contains("Monitoring is down since"), "{page}");
    assert!(page.contains(&format!("/tickets/{down_id}")));

    // Opened once, however many rounds pass.
    let again = app.tandem.sweep_alerts(now_ms() + MINUTE).await.unwrap();
    assert_eq!(again.monitoring_down, 0);
    assert_eq!(
        tickets_titled(&app, &priya, "Monitoring is down")
            .await
            .len(),
        1
    );

    // The Watchdog is back: no ticket of its own, and the next round ends
    // the outage.
    let (s, b) = post(&app, AM, &key, &watchdog()).await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["alerts"][0]["ticket_id"], Value::Null);
    let swept = app.tandem.sweep_alerts(now_ms()).await.unwrap();
    assert_eq!(swept.monitoring_back, 1, "{swept:?}");
    let t = ticket(&app, &priya, &down_id).await;
    assert_eq!(t["ticket"]["status"], "resolved", "{t}");
    assert!(
        entries(&t, "alert")
            .iter()
            .any(|b| b.starts_with("Heartbeat received again at ")),
        "{t}"
    );
    let row = source_row(&app, &priya, "alder", &id).await;
    assert_eq!(row["monitoring_down_ticket_id"], Value::Null);
    assert!(row["last_heartbeat_at"].as_i64().is_some());
    let page = text(browser.get(&format!("/alerts?client={alder}")).await).await;
    assert!(page.contains("Monitoring works"), "{page}");
    assert!(tickets_titled(&app, &priya, "Watchdog").await.is_empty());
    let later = app.tandem.sweep_alerts(now_ms()).await.unwrap();
    assert_eq!((later.monitoring_down, later.monitoring_back), (0, 0));

    // Silent again: a new outage, a new ticket.
    backdate_source(&app, &id, 10 * MINUTE).await;
    let swept = app.tandem.sweep_alerts(now_ms()).await.unwrap();
    assert_eq!(swept.monitoring_down, 1);
    assert_eq!(
        tickets_titled(&app, &priya, "Monitoring is down")
            .await
            .len(),
        2
    );

    // A revoked source is not watched.
    let (revoked, _) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Old Nagios", "kind": "generic", "default_category": "network", "heartbeat_minutes": 1 }),
    )
    .await;
    let (s, _) = app
        .api(
            "DELETE",
            &format!("/api/v1/clients/{alder}/alert-sources/{revoked}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let swept = app
        .tandem
        .sweep_alerts(now_ms() + 60 * MINUTE)
        .await
        .unwrap();
    assert_eq!(swept.monitoring_down, 0);
    assert!(tickets_titled(&app, &priya, "Old Nagios").await.is_empty());
}

#[tokio::test]
async fn watchdogs_and_heartbeat_events_never_open_tickets() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    // Not watched: the Watchdog is still a heartbeat, never a ticket.
    let (am_id, am_key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network" }),
    )
    .await;
    // A resolved Watchdog says the heartbeat stopped: neither a heartbeat
    // nor a ticket.
    let (s, b) = post(
        &app,
        AM,
        &am_key,
        &am(
            "Watchdog",
            "watchdog0001",
            "resolved",
            "2026-03-01T00:00:00Z",
        ),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["alerts"][0]["ticket_id"], Value::Null);
    let row = source_row(&app, &priya, "alder", &am_id).await;
    assert!(row["last_heartbeat_at"].is_null(), "{row}");
    let (s, b) = post(&app, AM, &am_key, &watchdog()).await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["accepted"], 1);
    assert_eq!(b["alerts"][0]["ticket_id"], Value::Null);
    let row = source_row(&app, &priya, "alder", &am_id).await;
    assert!(row["last_heartbeat_at"].as_i64().is_some(), "{row}");
    assert!(row["last_seen_at"].as_i64().is_some(), "{row}");
    assert!(tickets_titled(&app, &priya, "Watchdog").await.is_empty());

    // A Watchdog sharing a payload with a real alert: one ticket, for the alert.
    let mut mixed = am("DiskFilling", "disk02", "firing", "2026-03-02T10:00:00Z");
    mixed["alerts"].as_array_mut().unwrap().push(alert(
        "Watchdog",
        "watchdog0001",
        "firing",
        "2026-03-01T00:00:00Z",
    ));
    let (s, b) = post(&app, AM, &am_key, &mixed).await;
    assert_eq!(s, 202, "{b}");
    assert!(b["alerts"][0]["ticket_id"].is_string());
    assert_eq!(b["alerts"][1]["ticket_id"], Value::Null);
    assert_eq!(tickets_titled(&app, &priya, "disk02").await.len(), 1);
    assert!(tickets_titled(&app, &priya, "Watchdog").await.is_empty());
    let (_, firing) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/alerts", app.org("alder")),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(firing.as_array().unwrap().len(), 1, "{firing}");

    // Generic heartbeats need only their source.
    let (ev_id, ev_key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Backup checks", "kind": "generic", "default_category": "backup-monitoring", "heartbeat_minutes": 60 }),
    )
    .await;
    let (s, b) = post(
        &app,
        EVENTS,
        &ev_key,
        &json!({ "source": "backup-check", "kind": "heartbeat" }),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["alerts"][0]["ticket_id"], Value::Null);
    let row = source_row(&app, &priya, "alder", &ev_id).await;
    assert!(row["last_heartbeat_at"].as_i64().is_some(), "{row}");
    // An alert still needs its status and key.
    let (s, b) = post(
        &app,
        EVENTS,
        &ev_key,
        &json!({ "source": "backup-check", "dedup_key": "k", "summary": "Backup failed" }),
    )
    .await;
    assert_eq!(s, 400);
    assert_eq!(b["field"], "status", "{b}");
    let (s, b) = post(
        &app,
        EVENTS,
        &ev_key,
        &json!({ "source": "backup-check", "kind": "outage", "status": "firing" }),
    )
    .await;
    assert_eq!(s, 400, "{b}");

    // Far in the future the watched source is overdue, the other is not
    // watched at all.
    let swept = app
        .tandem
        .sweep_alerts(now_ms() + 2 * 60 * MINUTE)
        .await
        .unwrap();
    assert_eq!(swept.monitoring_down, 1, "{swept:?}");
    assert_eq!(
        tickets_titled(&app, &priya, "Monitoring is down: Backup checks")
            .await
            .len(),
        1
    );
    assert!(
        tickets_titled(&app, &priya, "Monitoring is down: Prometheus")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn sources_carry_their_quiet_period_and_heartbeat_and_refuse_bad_ones() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let path = format!("/api/v1/clients/{}/alert-sources", app.org("alder"));
    for (body, field) in [
        (json!({ "quiet_minutes": -1 }), "quiet_minutes"),
        (json!({ "quiet_minutes": 10081 }), "quiet_minutes"),
        (json!({ "heartbeat_minutes": 0 }), "heartbeat_minutes"),
    ] {
        let mut b = json!({ "name": "P", "kind": "alertmanager", "default_category": "network" });
        b.as_object_mut()
            .unwrap()
            .extend(body.as_object().unwrap().clone());
        let (s, answer) = app.api("POST", &path, Some(&priya), Some(b)).await;
        assert_eq!(s, 422, "{answer}");
        assert!(answer.to_string().contains(field), "{answer}");
    }
    let (id, _) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "P", "kind": "alertmanager", "default_category": "network" }),
    )
    .await;
    let row = source_row(&app, &priya, "alder", &id).await;
    assert_eq!(row["quiet_minutes"], 10, "the default");
    assert_eq!(row["heartbeat_minutes"], Value::Null);

    // The API documents the fields and the heartbeat event.
    let (s, spec) = app.api("GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, 200);
    let schemas = &spec["components"]["schemas"];
    for field in ["quiet_minutes", "heartbeat_minutes"] {
        assert!(
            schemas["NewAlertSourceBody"]["properties"][field].is_object(),
            "{field}"
        );
    }
    for field in [
        "last_heartbeat_at",
        "monitoring_down_ticket_id",
        "monitoring_down_since",
    ] {
        assert!(
            schemas["AlertSourceDto"]["properties"][field].is_object(),
            "{field}"
        );
    }
    assert!(schemas["GenericEvent"]["properties"]["kind"].is_object());
    assert!(spec.to_string().contains("\"heartbeat\""));

    // The page's form.
    let mut browser = app.browser(PRIYA).await;
    let alder = app.org("alder");
    let form = |quiet: &'static str, heartbeat: &'static str| {
        vec![
            ("client_id", alder.clone()),
            ("name", "Zabbix".to_owned()),
            ("kind", "generic".to_owned()),
            ("auth_mode", "bearer".to_owned()),
            ("default_category", "network".to_owned()),
            ("quiet_minutes", quiet.to_owned()),
            ("heartbeat_minutes", heartbeat.to_owned()),
        ]
    };
    let fields = form("15", "7");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = browser.submit("/alerts", &refs).await;
    assert_eq!(res.status(), 200);
    let page = text(res).await;
    assert!(page.contains("15 quiet min"), "{page}");
    assert!(page.contains("every 7 min, last never"), "{page}");
    let fields = form("soon", "");
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = browser.submit("/alerts", &refs).await;
    assert_eq!(res.status(), 422);
    assert!(
        text(res)
            .await
            .contains("quiet minutes: must be a whole number")
    );
}

#[tokio::test]
async fn the_repair_sweep_writes_a_ticket_a_crash_left_unwritten_exactly_once() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (source_id, key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network" }),
    )
    .await;
    // What a crash between the alert's commit and its ticket's write
    // leaves: the alert, answered 202, with the id of a ticket that does
    // not exist. One firing, one resolved meanwhile.
    let t0 = now_ms();
    let mut chosen = Vec::new();
    for (fingerprint, status, resolved_at, held) in [
        ("crash01", "firing", None, None),
        ("crash02", "resolved", Some(t0), None),
        // Held back by a maintenance window: unwritten on purpose.
        ("held01", "firing", None, Some("a-maintenance-window")),
    ] {
        let ticket = uuid::Uuid::now_v7().to_string();
        on_pool!(&app.tandem.db, p => sqlx::query(
            "INSERT INTO alerts (id, source_id, client_id, dedup_key, group_key, status, severity, summary, device, ticket_id, \
             ticket_opened, fire_count, last_hash, first_seen_at, last_seen_at, resolved_at, maintenance_id) \
             VALUES ($1, $2, $3, $4, '', $5, 'critical', $6, 'nas01', $7, FALSE, 1, 'lost', $8, $8, $9, $10)")
            .bind(uuid::Uuid::now_v7().to_string()).bind(&source_id).bind(app.org("alder")).bind(fingerprint)
            .bind(status).bind(format!("DiskFilling: {fingerprint} needs attention")).bind(&ticket).bind(t0).bind(resolved_at).bind(held)
            .execute(p).await.unwrap().rows_affected());
        chosen.push(ticket);
    }
    // And the source's storm ticket, chosen for a flood's alert but never
    // written: it is written as the storm ticket, not as that alert's own.
    let storm = uuid::Uuid::now_v7().to_string();
    on_pool!(&app.tandem.db, p => sqlx::query(
        "INSERT INTO alerts (id, source_id, client_id, dedup_key, group_key, status, severity, summary, device, ticket_id, \
         ticket_opened, fire_count, last_hash, first_seen_at, last_seen_at, resolved_at, maintenance_id) \
         VALUES ($1, $2, $3, 'storm01', '', 'firing', 'warning', 'LinkDown: storm01', NULL, $4, FALSE, 1, 'lost', $5, $5, NULL, NULL)")
        .bind(uuid::Uuid::now_v7().to_string()).bind(&source_id).bind(app.org("alder")).bind(&storm).bind(t0)
        .execute(p).await.unwrap().rows_affected());
    on_pool!(&app.tandem.db, p => sqlx::query(
        "INSERT INTO alert_floods (source_id, minute, opened, prev_opened, storm_ticket_id, storm_severity) \
         VALUES ($1, $2, 40, 0, $3, 'warning')")
        .bind(&source_id).bind(t0 / 60_000).bind(&storm)
        .execute(p).await.unwrap().rows_affected());
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{}", chosen[0]),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404, "no ticket yet");

    // Within the grace period a request may still be writing it.
    let early = app.tandem.sweep_alerts(t0 + 10_000).await.unwrap();
    assert_eq!(early.repaired, 0);
    let swept = app.tandem.sweep_alerts(t0 + 31_000).await.unwrap();
    assert_eq!(swept.repaired, 3, "{swept:?}");
    let t = ticket(&app, &priya, &storm).await;
    assert_eq!(t["ticket"]["title"], "Alert storm: Prometheus");
    assert!(
        t["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["body"].as_str().unwrap_or_default().contains("storm01")),
        "the storm ticket lists its alert: {t}"
    );
    let t = ticket(&app, &priya, &chosen[0]).await;
    assert_eq!(t["ticket"]["source"], "alert");
    assert_eq!(t["ticket"]["title"], "DiskFilling: crash01 needs attention");
    assert_eq!(t["ticket"]["priority"], "p1", "critical severity");
    assert!(
        t["ticket"]["description"]
            .as_str()
            .unwrap()
            .contains("Device: nas01")
    );
    assert_eq!(t["ticket"]["created_at"], t0, "dated when the alert came");

    // Idempotent: another round, and the alert sent again, add no ticket.
    let again = app.tandem.sweep_alerts(t0 + 60_000).await.unwrap();
    assert_eq!(again.repaired, 0);
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{}", chosen[2]),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404, "a held alert's ticket waits for the window to end");
    let (s, b) = post(
        &app,
        AM,
        &key,
        &am("DiskFilling", "crash01", "firing", "2026-03-02T10:00:00Z"),
    )
    .await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["alerts"][0]["ticket_id"], chosen[0].as_str());
    assert_eq!(tickets_titled(&app, &priya, "crash01").await.len(), 1);
    let t = ticket(&app, &priya, &chosen[0]).await;
    assert!(
        entries(&t, "alert")
            .iter()
            .any(|b| b.starts_with("Alert fired again (2 times)")),
        "{t}"
    );

    // The alert that resolved before its ticket was written gets its
    // quiet period, counted from its resolution.
    assert_eq!(
        ticket(&app, &priya, &chosen[1]).await["ticket"]["status"],
        "new"
    );
    let swept = app
        .tandem
        .sweep_alerts(t0 + 10 * MINUTE + 1000)
        .await
        .unwrap();
    assert_eq!(swept.resolved, 1, "{swept:?}");
    assert_eq!(
        ticket(&app, &priya, &chosen[1]).await["ticket"]["status"],
        "resolved"
    );
}

#[tokio::test]
async fn a_heartbeat_of_one_clients_source_never_reaches_another() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let ben = app.token(BEN).await;
    let body = json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network", "heartbeat_minutes": 5 });
    let (alder_id, alder_key) = source(&app, &priya, "alder", body.clone()).await;
    let (corvid_id, _) = source(&app, &ben, "corvid", body).await;
    backdate_source(&app, &alder_id, 10 * MINUTE).await;
    backdate_source(&app, &corvid_id, 10 * MINUTE).await;

    // Alder's Watchdog, even naming Corvid's source in its labels.
    let mut beat = watchdog();
    beat["alerts"][0]["labels"]["source"] = json!(corvid_id);
    let (s, b) = post(&app, AM, &alder_key, &beat).await;
    assert_eq!(s, 202, "{b}");
    assert!(
        source_row(&app, &ben, "corvid", &corvid_id).await["last_heartbeat_at"].is_null(),
        "Corvid's source heard nothing"
    );

    let swept = app.tandem.sweep_alerts(now_ms()).await.unwrap();
    assert_eq!(swept.monitoring_down, 1, "{swept:?}");
    assert_eq!(
        tickets_titled(&app, &ben, "Monitoring is down").await.len(),
        1,
        "Corvid's monitoring is down"
    );
    assert!(
        tickets_titled(&app, &priya, "Monitoring is down")
            .await
            .is_empty(),
        "Alder's is not, and Alder sees nothing of Corvid's"
    );
    assert!(
        source_row(&app, &priya, "alder", &alder_id).await["monitoring_down_ticket_id"].is_null()
    );
    // And Corvid's admin cannot see Alder's sources at all.
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/alert-sources", app.org("alder")),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(s, 404);
}
