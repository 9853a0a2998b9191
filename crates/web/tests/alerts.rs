//! Alert intake end to end: sources created by either side's admin with a
//! key shown once; Alertmanager payloads and generic events authenticated
//! by bearer key or HMAC signature; new alerts opening tickets through the
//! desk, repeats counted on them, resolutions noted; duplicates answered
//! the same; malformed and oversize payloads refused; and a key of one
//! client never reaching another.
#![allow(clippy::unwrap_used)]

mod support;
use support::alerts::{firing, source, ticket};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::*;

fn am_source() -> Value {
    json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network", "impact_label": "impact" })
}

/// Post a raw body to an intake endpoint with extra headers.
async fn post_raw(
    app: &TestApp,
    path: &str,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> (StatusCode, Value) {
    let mut b = Request::builder()
        .method("POST")
        .uri(path)
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    let res = app.send(b.body(Body::from(body)).unwrap()).await;
    let status = res.status();
    if status.is_client_error() {
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn post_bearer(app: &TestApp, path: &str, key: &str, body: &Value) -> (StatusCode, Value) {
    post_raw(
        app,
        path,
        body.to_string().into_bytes(),
        &[("authorization", format!("Bearer {key}"))],
    )
    .await
}

/// Signature headers as a sender computes them, independently of Tandem's
/// code: HMAC-SHA256 keyed with the hex SHA-256 of the key.
fn signed(source_id: &str, key: &str, ts: i64, body: &[u8]) -> Vec<(&'static str, String)> {
    let key_hash = data_hex(&Sha256::digest(key.as_bytes()));
    let mut mac = Hmac::<Sha256>::new_from_slice(key_hash.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    let sig = data_hex(&mac.finalize().into_bytes());
    vec![
        ("x-tandem-source", source_id.to_owned()),
        ("x-tandem-timestamp", ts.to_string()),
        ("x-tandem-signature", format!("sha256={sig}")),
    ]
}

fn data_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn now_secs() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// An Alertmanager v4 payload as Alertmanager sends it.
fn am_payload(status: &str, alerts: Vec<Value>) -> Value {
    json!({
        "receiver": "tandem",
        "status": status,
        "alerts": alerts,
        "groupLabels": { "alertname": "HostDown" },
        "commonLabels": { "alertname": "HostDown", "job": "node" },
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "version": "4",
        "groupKey": "{}:{alertname=\"HostDown\"}",
        "truncatedAlerts": 0
    })
}

fn am_alert(fingerprint: &str, status: &str, starts: &str, instance: &str) -> Value {
    json!({
        "status": status,
        "labels": { "alertname": "HostDown", "instance": instance, "severity": "critical", "job": "node", "impact": "high" },
        "annotations": { "summary": format!("{instance} is unreachable") },
        "startsAt": starts,
        "endsAt": if status == "resolved" { "2026-03-02T10:20:00Z" } else { "0001-01-01T00:00:00Z" },
        "generatorURL": "http://prometheus.example:9090/graph?g0.expr=up+%3D%3D+0",
        "fingerprint": fingerprint
    })
}
fn alert_entries(t: &Value) -> Vec<String> {
    t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "alert")
        .map(|e| e["body"].as_str().unwrap().to_owned())
        .collect()
}

async fn open_tickets_titled(app: &TestApp, token: &str, needle: &str) -> usize {
    let (s, b) = app
        .api("GET", "/api/v1/tickets?limit=200", Some(token), None)
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array()
        .unwrap()
        .iter()
        .filter(|t| t["title"].as_str().unwrap_or("").contains(needle))
        .count()
}

#[tokio::test]
async fn an_alertmanager_alert_opens_one_ticket_repeats_fold_into_it_and_resolution_is_noted() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (_, key) = source(&app, &priya, "alder", am_source()).await;
    let path = "/api/v1/intake/alertmanager";

    let first = am_payload(
        "firing",
        vec![am_alert("a1b2c3", "firing", "2026-03-02T10:00:00Z", "fw01")],
    );
    let (s, answer) = post_bearer(&app, path, &key, &first).await;
    assert_eq!(s, 202, "{answer}");
    assert_eq!(answer["accepted"], 1);
    let ticket_id = answer["alerts"][0]["ticket_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The ticket went through the desk: source alert, priority from
    // critical severity (high impact, high urgency), owner from the split.
    let t = ticket(&app, &priya, &ticket_id).await;
    assert_eq!(t["ticket"]["source"], "alert");
    assert_eq!(t["ticket"]["priority"], "p1");
    assert_eq!(t["ticket"]["category"], "network", "{t}");
    assert!(
        t["ticket"]["title"]
            .as_str()
            .unwrap()
            .contains("fw01 is unreachable")
    );
    assert_eq!(
        open_tickets_titled(&app, &priya, "fw01 is unreachable").await,
        1
    );

    // The same notification again: nothing new, the same answer.
    let (s, again) = post_bearer(&app, path, &key, &first).await;
    assert_eq!(s, 202);
    assert_eq!(again, answer, "a duplicate is answered the same");
    let f = firing(&app, &priya, "alder").await;
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["fire_count"], 1);

    // Alertmanager re-sends a firing alert with a later endsAt: still a duplicate.
    let mut moved = first.clone();
    moved["alerts"][0]["endsAt"] = json!("2026-03-02T10:09:00Z");
    let (s, _) = post_bearer(&app, path, &key, &moved).await;
    assert_eq!(s, 202);
    assert_eq!(firing(&app, &priya, "alder").await[0]["fire_count"], 1);

    // It fires again (a new start) while the ticket is open: counted, no new ticket.
    let refire = am_payload(
        "firing",
        vec![am_alert("a1b2c3", "firing", "2026-03-02T10:15:00Z", "fw01")],
    );
    let (s, b) = post_bearer(&app, path, &key, &refire).await;
    assert_eq!(s, 202);
    assert_eq!(b["alerts"][0]["ticket_id"], ticket_id.as_str());
    let f = firing(&app, &priya, "alder").await;
    assert_eq!(f[0]["fire_count"], 2);
    assert_eq!(f[0]["ticket_id"], ticket_id.as_str());
    assert_eq!(
        open_tickets_titled(&app, &priya, "fw01 is unreachable").await,
        1
    );
    let t = ticket(&app, &priya, &ticket_id).await;
    assert!(
        alert_entries(&t)
            .iter()
            .any(|e| e.starts_with("Alert fired again (2 times)")),
        "{:?}",
        alert_entries(&t)
    );

    // Resolved: noted on the ticket, and that all its alerts are resolved.
    let resolved = am_payload(
        "resolved",
        vec![am_alert(
            "a1b2c3",
            "resolved",
            "2026-03-02T10:15:00Z",
            "fw01",
        )],
    );
    let (s, b) = post_bearer(&app, path, &key, &resolved).await;
    assert_eq!(s, 202, "{b}");
    assert!(firing(&app, &priya, "alder").await.is_empty());
    let entries = alert_entries(&ticket(&app, &priya, &ticket_id).await);
    assert!(entries.iter().any(|e| e.starts_with("Alert resolved")));
    assert!(
        entries
            .iter()
            .any(|e| e == "All alerts of this ticket are resolved")
    );
    // The resolution sent again adds nothing.
    post_bearer(&app, path, &key, &resolved).await;
    let again = alert_entries(&ticket(&app, &priya, &ticket_id).await);
    assert_eq!(again.len(), entries.len());
}

#[tokio::test]
async fn alerts_of_one_group_share_a_ticket_when_the_source_groups_them() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (_, key) = source(&app, &priya, "alder", am_source()).await;
    let payload = am_payload(
        "firing",
        vec![
            am_alert("f1", "firing", "2026-03-02T10:00:00Z", "sw01"),
            am_alert("f2", "firing", "2026-03-02T10:00:00Z", "sw02"),
        ],
    );
    let (s, b) = post_bearer(&app, "/api/v1/intake/alertmanager", &key, &payload).await;
    assert_eq!(s, 202, "{b}");
    assert_eq!(b["alerts"][0]["ticket_id"], b["alerts"][1]["ticket_id"]);
    // A third alert of the group later joins the same ticket.
    let later = am_payload(
        "firing",
        vec![am_alert("f3", "firing", "2026-03-02T10:05:00Z", "sw03")],
    );
    let (_, c) = post_bearer(&app, "/api/v1/intake/alertmanager", &key, &later).await;
    assert_eq!(c["alerts"][0]["ticket_id"], b["alerts"][0]["ticket_id"]);

    // Without grouping each alert gets its own ticket.
    let mut body = am_source();
    body["name"] = json!("Prometheus ungrouped");
    body["group_alerts"] = json!(false);
    let (_, key2) = source(&app, &priya, "alder", body).await;
    let (_, d) = post_bearer(&app, "/api/v1/intake/alertmanager", &key2, &payload).await;
    assert_ne!(d["alerts"][0]["ticket_id"], d["alerts"][1]["ticket_id"]);
}

#[tokio::test]
async fn generic_events_open_fold_and_resolve() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (_, key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Backup check", "kind": "generic", "default_category": "help-desk", "category_label": "category" }),
    )
    .await;
    let event = json!({ "source": "veeam", "dedup_key": "backup-nas01", "status": "firing", "severity": "warning",
        "summary": "Nightly backup of nas01 failed", "details": { "category": "network", "job": "nightly" },
        "device": "nas01", "occurred_at": "2026-03-02T02:00:00Z" });
    let (s, a) = post_bearer(&app, "/api/v1/intake/events", &key, &event).await;
    assert_eq!(s, 202, "{a}");
    let ticket_id = a["alerts"][0]["ticket_id"].as_str().unwrap().to_owned();
    let t = ticket(&app, &priya, &ticket_id).await;
    assert_eq!(t["ticket"]["priority"], "p3", "warning: medium x medium");
    assert_eq!(t["ticket"]["category"], "network", "the label mapping");
    assert!(
        t["ticket"]["description"]
            .as_str()
            .unwrap()
            .contains("nas01")
    );
    let (_, dup) = post_bearer(&app, "/api/v1/intake/events", &key, &event).await;
    assert_eq!(dup, a);

    let mut again = event.clone();
    again["occurred_at"] = json!("2026-03-03T02:00:00Z");
    let (_, b) = post_bearer(&app, "/api/v1/intake/events", &key, &again).await;
    assert_eq!(b["alerts"][0]["ticket_id"], ticket_id.as_str());
    let f = firing(&app, &priya, "alder").await;
    assert_eq!(f[0]["fire_count"], 2);
    assert_eq!(f[0]["device"], "nas01");

    let resolved = json!({ "source": "veeam", "dedup_key": "backup-nas01", "status": "resolved" });
    let (s, _) = post_bearer(&app, "/api/v1/intake/events", &key, &resolved).await;
    assert_eq!(s, 202);
    assert!(firing(&app, &priya, "alder").await.is_empty());

    // A resolution of an alert never heard of is accepted and opens nothing.
    let unknown = json!({ "source": "veeam", "dedup_key": "never-fired", "status": "resolved" });
    let (s, u) = post_bearer(&app, "/api/v1/intake/events", &key, &unknown).await;
    assert_eq!(s, 202);
    assert_eq!(u["alerts"][0]["ticket_id"], Value::Null);

    // A source posts only the payload it was set up for.
    let (s, _) = post_bearer(
        &app,
        "/api/v1/intake/alertmanager",
        &key,
        &am_payload("firing", vec![]),
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn bearer_keys_must_be_live_and_hmac_signatures_fresh_and_right() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let event = json!({ "source": "check", "dedup_key": "k1", "status": "firing", "summary": "Disk full on fs01" });
    let body = event.to_string().into_bytes();
    let path = "/api/v1/intake/events";

    // No credentials, a made-up key, a person's API token: 401.
    assert_eq!(post_raw(&app, path, body.clone(), &[]).await.0, 401);
    let (s, _) = post_bearer(&app, path, "tdi_made-up", &event).await;
    assert_eq!(s, 401);
    let (s, _) = post_bearer(&app, path, &priya, &event).await;
    assert_eq!(s, 401);

    // HMAC: right signature accepted; wrong, stale or future refused.
    let (id, key) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Signed", "kind": "generic", "auth_mode": "hmac", "default_category": "help-desk" }),
    )
    .await;
    let (s, a) = post_raw(
        &app,
        path,
        body.clone(),
        &signed(&id, &key, now_secs(), &body),
    )
    .await;
    assert_eq!(s, 202, "{a}");
    let (s, _) = post_raw(
        &app,
        path,
        body.clone(),
        &signed(&id, "tdi_wrong", now_secs(), &body),
    )
    .await;
    assert_eq!(s, 401, "bad signature");
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    let (s, _) = post_raw(&app, path, tampered, &signed(&id, &key, now_secs(), &body)).await;
    assert_eq!(s, 401, "body changed after signing");
    for skew in [-301, 301] {
        let (s, _) = post_raw(
            &app,
            path,
            body.clone(),
            &signed(&id, &key, now_secs() + skew, &body),
        )
        .await;
        assert_eq!(s, 401, "timestamp {skew} s off");
    }
    // An HMAC source's key is not a bearer key.
    let (s, _) = post_bearer(&app, path, &key, &event).await;
    assert_eq!(s, 401);

    // Revoking refuses the next request, bearer or signed.
    let (bid, bkey) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Plain", "kind": "generic", "default_category": "help-desk" }),
    )
    .await;
    assert_eq!(post_bearer(&app, path, &bkey, &event).await.0, 202);
    for (sid, _) in [(&bid, &bkey), (&id, &key)] {
        let (s, b) = app
            .api(
                "DELETE",
                &format!("/api/v1/clients/{}/alert-sources/{sid}", app.org("alder")),
                Some(&priya),
                None,
            )
            .await;
        assert_eq!(s, 204, "{b}");
    }
    assert_eq!(post_bearer(&app, path, &bkey, &event).await.0, 401);
    let (s, _) = post_raw(
        &app,
        path,
        body.clone(),
        &signed(&id, &key, now_secs(), &body),
    )
    .await;
    assert_eq!(s, 401);
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/alert-sources", app.org("alder")),
            Some(&priya),
            None,
        )
        .await;
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|s| !s["revoked_at"].is_null() && s.get("key").is_none())
    );
}

#[tokio::test]
async fn a_key_of_one_client_never_reaches_another() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let ben = app.token(BEN).await;
    let (_, alder_key) = source(&app, &priya, "alder", am_source()).await;
    let (corvid_source, corvid_key) = source(&app, &ben, "corvid", am_source()).await;

    // Corvid's alert opens Corvid's ticket.
    let payload = am_payload(
        "firing",
        vec![am_alert(
            "shared-fp",
            "firing",
            "2026-03-02T10:00:00Z",
            "db01",
        )],
    );
    let (_, c) = post_bearer(&app, "/api/v1/intake/alertmanager", &corvid_key, &payload).await;
    let corvid_ticket = c["alerts"][0]["ticket_id"].as_str().unwrap().to_owned();

    // Alder's key with the same fingerprint, Corvid's ids in labels and
    // headers: it opens an Alder ticket and touches nothing of Corvid's.
    let mut attack = payload.clone();
    attack["alerts"][0]["labels"]["client_id"] = json!(app.org("corvid"));
    attack["commonLabels"]["client_id"] = json!(app.org("corvid"));
    attack["groupKey"] = json!(corvid_source.clone());
    let (s, a) = post_raw(
        &app,
        "/api/v1/intake/alertmanager",
        attack.to_string().into_bytes(),
        &[
            ("authorization", format!("Bearer {alder_key}")),
            ("x-tandem-source", corvid_source.clone()),
        ],
    )
    .await;
    assert_eq!(s, 202, "{a}");
    let alder_ticket = a["alerts"][0]["ticket_id"].as_str().unwrap();
    assert_ne!(alder_ticket, corvid_ticket);
    let t = ticket(&app, &priya, alder_ticket).await;
    assert_eq!(t["ticket"]["client_id"], app.org("alder").as_str());
    assert_eq!(firing(&app, &ben, "corvid").await[0]["fire_count"], 1);
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{corvid_ticket}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404);

    // Resolving through Alder's key leaves Corvid's alert firing.
    let resolved = am_payload(
        "resolved",
        vec![am_alert(
            "shared-fp",
            "resolved",
            "2026-03-02T10:00:00Z",
            "db01",
        )],
    );
    post_bearer(&app, "/api/v1/intake/alertmanager", &alder_key, &resolved).await;
    assert_eq!(firing(&app, &ben, "corvid").await.len(), 1);

    // Signing with Alder's key while naming Corvid's source fails.
    let body = payload.to_string().into_bytes();
    let (s, _) = post_raw(
        &app,
        "/api/v1/intake/alertmanager",
        body.clone(),
        &signed(&corvid_source, &alder_key, now_secs(), &body),
    )
    .await;
    assert_eq!(s, 401);

    // Alder's admin cannot list or revoke Corvid's sources.
    let (s, _) = app
        .api(
            "DELETE",
            &format!(
                "/api/v1/clients/{}/alert-sources/{corvid_source}",
                app.org("alder")
            ),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/alert-sources", app.org("corvid")),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(
        post_bearer(&app, "/api/v1/intake/alertmanager", &corvid_key, &payload)
            .await
            .0,
        202
    );
}

#[tokio::test]
async fn malformed_payloads_are_400_naming_the_field_and_oversize_413() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (_, am) = source(&app, &priya, "alder", am_source()).await;
    let (_, generic) = source(
        &app,
        &priya,
        "alder",
        json!({ "name": "Generic", "kind": "generic", "default_category": "help-desk" }),
    )
    .await;
    let am_path = "/api/v1/intake/alertmanager";
    let ev_path = "/api/v1/intake/events";

    let good = am_alert("x1", "firing", "2026-03-02T10:00:00Z", "h1");
    let cases: Vec<(&str, &str, Value, &str)> = vec![
        (am_path, &am, json!({ "status": "firing" }), "version"),
        (
            am_path,
            &am,
            {
                let mut p = am_payload("firing", vec![good.clone()]);
                p["version"] = json!("3");
                p
            },
            "version",
        ),
        (
            am_path,
            &am,
            {
                let mut a = good.clone();
                a["startsAt"] = json!("yesterday");
                am_payload("firing", vec![good.clone(), a])
            },
            "alerts[1].startsAt",
        ),
        (
            am_path,
            &am,
            {
                let mut a = good.clone();
                a["status"] = json!("burning");
                am_payload("firing", vec![a])
            },
            "alerts[0].status",
        ),
        (
            am_path,
            &am,
            {
                let mut a = good.clone();
                a.as_object_mut().unwrap().remove("fingerprint");
                am_payload("firing", vec![a])
            },
            "alerts[0].fingerprint",
        ),
        (
            ev_path,
            &generic,
            json!({ "source": "x", "status": "firing", "summary": "s" }),
            "dedup_key",
        ),
        (
            ev_path,
            &generic,
            json!({ "source": "x", "dedup_key": "k", "status": "firing" }),
            "summary",
        ),
        (
            ev_path,
            &generic,
            json!({ "source": "x", "dedup_key": "k", "status": "open", "summary": "s" }),
            "status",
        ),
        (
            ev_path,
            &generic,
            json!({ "source": "x", "dedup_key": "k", "status": "firing", "summary": "s", "occurred_at": "soon" }),
            "occurred_at",
        ),
    ];
    for (path, key, body, field) in cases {
        let (s, b) = post_bearer(&app, path, key, &body).await;
        assert_eq!(s, 400, "{body}: {b}");
        assert_eq!(b["field"], field, "{b}");
    }
    let (s, b) = post_raw(
        &app,
        ev_path,
        b"{not json".to_vec(),
        &[("authorization", format!("Bearer {generic}"))],
    )
    .await;
    assert_eq!(s, 400, "{b}");

    // Over 1 MiB (the test sends no Content-Length: the limit holds while reading).
    let big = json!({ "source": "x", "dedup_key": "k", "status": "firing", "summary": "x".repeat(1024 * 1024) });
    let (s, _) = post_bearer(&app, ev_path, &generic, &big).await;
    assert_eq!(s, 413);
    // Nothing of it was kept.
    assert!(firing(&app, &priya, "alder").await.is_empty());
}

#[tokio::test]
async fn either_sides_admin_manages_sources_and_the_key_is_shown_once() {
    let app = TestApp::demo().await;
    let mara = app.token(MARA).await;
    let owen = app.token(OWEN).await;
    let dev = app.token(DEV).await;
    let alder = app.org("alder");
    // Not yet working the client herself, the provider's admin cannot see it.
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/alert-sources"),
            Some(&mara),
            Some(am_source()),
        )
        .await;
    assert_eq!(s, 404);
    let engagement = app.engagement_of("alder").await;
    let me = app.api("GET", "/api/v1/me", Some(&mara), None).await.1;
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{engagement}/engineers"),
            Some(&mara),
            Some(json!({ "user_id": me["user_id"] })),
        )
        .await;
    assert_eq!(s, 200);
    let (id, _) = source(&app, &mara, "alder", am_source()).await;
    for t in [&owen, &dev] {
        let (s, _) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{alder}/alert-sources"),
                Some(t),
                Some(am_source()),
            )
            .await;
        assert_eq!(s, 403);
        let (s, list) = app
            .api(
                "GET",
                &format!("/api/v1/clients/{alder}/alert-sources"),
                Some(t),
                None,
            )
            .await;
        assert_eq!(s, 200);
        assert_eq!(list[0]["id"], id.as_str());
        assert!(list[0].get("key").is_none());
    }
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/alert-sources"),
            Some(&mara),
            Some(json!({ "name": "x", "kind": "generic", "default_category": "no-such" })),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(b["field"], "default_category");
}

#[tokio::test]
async fn the_alerts_page_shows_sources_and_firing_alerts_and_creates_and_revokes() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let (_, key) = source(&app, &priya, "alder", am_source()).await;
    let payload = am_payload(
        "firing",
        vec![am_alert("pg1", "firing", "2026-03-02T10:00:00Z", "web01")],
    );
    post_bearer(&app, "/api/v1/intake/alertmanager", &key, &payload).await;

    let mut b = app.browser(PRIYA).await;
    let alder = app.org("alder");
    let res = b.get(&format!("/alerts?client={alder}")).await;
    assert_eq!(res.status(), 200);
    let html = text(res).await;
    assert!(html.contains("Prometheus"), "{html}");
    assert!(html.contains("web01 is unreachable"));
    assert!(html.contains("ALDER-"));

    let res = b
        .submit(
            "/alerts",
            &[
                ("client_id", &alder),
                ("name", "Zabbix"),
                ("kind", "generic"),
                ("auth_mode", "bearer"),
                ("default_category", "help-desk"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = text(res).await;
    assert!(html.contains("tdi_"), "the key is shown once");
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/alert-sources"),
            Some(&priya),
            None,
        )
        .await;
    let zabbix = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "Zabbix")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = b
        .submit(
            &format!("/alerts/sources/{zabbix}/revoke"),
            &[("client_id", &alder)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/alert-sources"),
            Some(&priya),
            None,
        )
        .await;
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "Zabbix")
            .unwrap()["revoked_at"]
            .is_null()
    );
    // Requesters may not learn of it.
    let mut luis = app.browser(LUIS).await;
    assert_eq!(
        luis.get(&format!("/alerts?client={alder}")).await.status(),
        404
    );
}
