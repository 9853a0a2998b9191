//! Outgoing webhooks end to end, against a real receiver on 127.0.0.1:
//! each side's endpoints with a secret shown once; signed posts for ticket
//! events (opened, assigned, handed off, SLA warning, resolved); retries
//! with backoff driven by the worker's clock rather than sleeps; the
//! delivery log; the tenant boundary; an ended engagement silencing the
//! provider's endpoints; and the addresses webhooks may never reach.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use hmac::{Hmac, KeyInit, Mac};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use support::*;
use tandem_service::{Settings, now_ms};
use tandem_web::WebConfig;

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// A webhook receiver on a free port of 127.0.0.1 that records every
/// request and answers with the status it is told to.
#[derive(Clone)]
struct Receiver {
    base: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let r = Receiver {
            base: format!("http://{}", listener.local_addr().unwrap()),
            got: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
        };
        let app = axum::Router::new().fallback(record).with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        r
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// What `path` heard about one ticket, as (event, body), in the order
    /// the events happened.
    fn about(&self, path: &str, ticket: &str) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = self
            .at(path)
            .iter()
            .map(|r| (r.header("x-tandem-event").to_owned(), r.json()))
            .filter(|(_, b)| b["ticket"]["id"] == ticket)
            .collect();
        out.sort_by_key(|(_, b)| b["occurred_at"].as_str().unwrap_or("").to_owned());
        out
    }
}

async fn record(State(r): State<Receiver>, req: Request<Body>) -> StatusCode {
    let (parts, body) = req.into_parts();
    let body = body.collect().await.unwrap().to_bytes().to_vec();
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    r.got.lock().unwrap().push(Received {
        path: parts.uri.path().to_owned(),
        headers,
        body,
    });
    StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
}

/// The demo with webhooks allowed to reach 127.0.0.1, as an operator
/// running a receiver beside Tandem would set it.
async fn app_allowing_private() -> TestApp {
    TestApp::demo_with(
        Settings {
            webhook_allow_private: true,
            ..test_settings()
        },
        WebConfig::default(),
    )
    .await
}

/// An endpoint created as `token` for client `slug`: (id, secret).
async fn endpoint(
    app: &TestApp,
    token: &str,
    slug: &str,
    url: &str,
    events: &[&str],
) -> (String, String) {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{}/webhooks", app.org(slug)),
            Some(token),
            Some(json!({ "name": "Pager", "url": url, "events": events })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    (
        b["webhook"]["id"].as_str().unwrap().to_owned(),
        b["secret"].as_str().unwrap().to_owned(),
    )
}

const ALL: [&str; 6] = [
    "opened",
    "assigned",
    "handed_off",
    "sla_warning",
    "sla_breach",
    "resolved",
];

/// Fan queued events out and post every due delivery, until nothing is left.
async fn drain(app: &TestApp) {
    loop {
        let fanned = app.tandem.run_jobs(100).await.unwrap();
        let posted = app.tandem.deliver_webhooks(now_ms()).await.unwrap();
        if fanned == 0 && posted == 0 {
            break;
        }
    }
}

async fn open_ticket(app: &TestApp, token: &str, slug: &str, title: &str) -> Value {
    open_ticket_in(app, token, slug, title, "network").await
}

/// [`open_ticket`] in `category`: `security-operations` is the provider's
/// in business hours and after, so its tickets go to the provider whatever
/// the time of the run.
async fn open_ticket_in(
    app: &TestApp,
    token: &str,
    slug: &str,
    title: &str,
    category: &str,
) -> Value {
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(token),
            Some(json!({ "client_id": app.org(slug), "title": title, "description": "", "category": category,
                "impact": "high", "urgency": "high" })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{t}");
    t
}

async fn version_of(app: &TestApp, token: &str, id: &str) -> String {
    let (s, t) = app
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "{t}");
    format!("\"{}\"", t["ticket"]["version"])
}

async fn patch(app: &TestApp, token: &str, id: &str, body: Value) {
    let v = version_of(app, token, id).await;
    let (s, b) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(token),
            Some(body),
            &[("if-match", &v)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

/// The provider's admin reaches a client only once assigned to its
/// engagement, like any of the provider's people.
async fn assign_mara_to_alder(app: &TestApp) -> String {
    let mara = app.token(MARA).await;
    let engagement = app.engagement_of("alder").await;
    let me = user_id(app, &mara).await;
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{engagement}/engineers"),
            Some(&mara),
            Some(json!({ "user_id": me })),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    mara
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let (_, me) = app.api("GET", "/api/v1/me", Some(token), None).await;
    me["user_id"].as_str().unwrap().to_owned()
}

/// Whether `r` carries a fresh, valid signature under `secret`, checked
/// the way the README tells receivers to.
fn signed_with(r: &Received, secret: &str) -> bool {
    let ts = r.header("x-tandem-timestamp");
    let fresh = ts
        .parse::<i64>()
        .is_ok_and(|t| (now_ms() / 1000 - t).abs() <= 300);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(ts.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    let want = format!(
        "sha256={}",
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    );
    fresh && r.header("x-tandem-signature") == want
}

#[tokio::test]
async fn ticket_events_reach_the_endpoint_signed_with_its_secret() {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let priya = app.token(PRIYA).await;
    let dev = app.token(DEV).await;
    let (_, secret) = endpoint(&app, &priya, "alder", &rx.url("/alder"), &ALL).await;
    assert!(secret.starts_with("whsec_"), "{secret}");

    let t = open_ticket(&app, &priya, "alder", "Core switch down").await;
    let id = t["id"].as_str().unwrap().to_owned();
    // The worker's own round posts what the desk queued.
    app.tandem.work_once().await.unwrap();
    let heard = rx.about("/alder", &id);
    assert_eq!(heard.len(), 1, "{heard:?}");
    let (event, body) = &heard[0];
    assert_eq!(event, "opened");
    assert_eq!(body["event"], "opened");
    assert_eq!(body["client"]["id"], app.org("alder").as_str());
    assert_eq!(body["client"]["name"], t["client_name"]);
    assert_eq!(body["ticket"]["label"], t["label"]);
    assert_eq!(body["ticket"]["title"], "Core switch down");
    assert_eq!(body["ticket"]["priority"], t["priority"]);
    assert_eq!(body["ticket"]["status"], "new");
    assert_eq!(body["ticket"]["owner_side"], t["owner_side"]);
    assert_eq!(body["ticket"]["link"], format!("/tickets/{id}"));
    let occurred = body["occurred_at"].as_str().unwrap();
    assert!(
        occurred.ends_with('Z') && occurred.contains('T'),
        "{occurred}"
    );
    let got = rx.at("/alder");
    let first = got
        .iter()
        .find(|r| r.json()["ticket"]["id"] == id.as_str())
        .unwrap();
    assert!(signed_with(first, &secret), "{first:?}");
    assert!(!signed_with(first, "whsec_someone-else"));
    assert_eq!(first.header("x-tandem-delivery"), body["id"]);
    assert_eq!(first.header("content-type"), "application/json");

    // Assigned, handed off, resolved: each one post, in that order.
    let dev_id = user_id(&app, &dev).await;
    patch(&app, &priya, &id, json!({ "assignee_id": dev_id })).await;
    let v = version_of(&app, &priya, &id).await;
    let (s, b) = app
        .api_with(
            "POST",
            &format!("/api/v1/tickets/{id}/handoff"),
            Some(&priya),
            Some(json!({ "reason": "the provider runs the core" })),
            &[("if-match", &v)],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    patch(&app, &priya, &id, json!({ "status": "resolved" })).await;
    drain(&app).await;
    let heard = rx.about("/alder", &id);
    let events: Vec<&str> = heard.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        events,
        ["opened", "assigned", "handed_off", "resolved"],
        "{heard:?}"
    );
    let assigned = &heard[1].1;
    assert_eq!(assigned["ticket"]["assignee"], "Dev Ramanathan");
    assert_eq!(heard[3].1["ticket"]["status"], "resolved");
    assert_ne!(
        heard[2].1["ticket"]["owner_side"],
        heard[1].1["ticket"]["owner_side"]
    );
    // Every post signed, each delivery its own id.
    let mine: Vec<Received> = rx
        .at("/alder")
        .into_iter()
        .filter(|r| r.json()["ticket"]["id"] == id.as_str())
        .collect();
    assert!(mine.iter().all(|r| signed_with(r, &secret)));
    let mut ids: Vec<&str> = mine.iter().map(|r| r.header("x-tandem-delivery")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 4);
}

#[tokio::test]
async fn an_sla_warning_is_posted_to_endpoints_that_want_it_only() {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let priya = app.token(PRIYA).await;
    endpoint(&app, &priya, "alder", &rx.url("/sla"), &["sla_warning"]).await;
    endpoint(&app, &priya, "alder", &rx.url("/opened"), &["opened"]).await;
    let t = open_ticket(&app, &priya, "alder", "VPN flapping").await;
    let id = t["id"].as_str().unwrap();
    drain(&app).await;
    assert!(
        rx.about("/sla", id).is_empty(),
        "opened is not wanted there"
    );
    assert_eq!(rx.about("/opened", id).len(), 1);

    // A minute before the response target: past the warning, short of
    // the breach.
    let due = t["response"]["due"].as_i64().unwrap();
    app.tandem.raise_sla_events(due - 60_000).await.unwrap();
    drain(&app).await;
    let heard = rx.about("/sla", id);
    assert_eq!(heard.len(), 1, "{heard:?}");
    assert_eq!(heard[0].0, "sla_warning");
    assert_eq!(heard[0].1["sla"]["clock"], "response");
    assert_eq!(rx.about("/opened", id).len(), 1, "no warning there");
}

#[tokio::test]
async fn a_failing_receiver_is_retried_with_backoff_under_one_delivery_id_and_logged() {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let (hook, secret) = endpoint(&app, &priya, "alder", &rx.url("/flaky"), &ALL).await;
    rx.answer(500);
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/webhooks/{hook}/test"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 202, "{b}");
    let delivery = b["delivery_id"].as_str().unwrap().to_owned();

    let t0 = now_ms();
    assert_eq!(app.tandem.deliver_webhooks(t0).await.unwrap(), 1);
    // Not due again before 30 s have passed, then after 2 more minutes.
    assert_eq!(app.tandem.deliver_webhooks(t0 + 29_000).await.unwrap(), 0);
    assert_eq!(app.tandem.deliver_webhooks(t0 + 30_000).await.unwrap(), 1);
    assert_eq!(app.tandem.deliver_webhooks(t0 + 149_000).await.unwrap(), 0);
    rx.answer(204);
    assert_eq!(app.tandem.deliver_webhooks(t0 + 150_000).await.unwrap(), 1);
    assert_eq!(
        app.tandem.deliver_webhooks(t0 + 9_000_000).await.unwrap(),
        0
    );

    let got = rx.at("/flaky");
    assert_eq!(got.len(), 3);
    assert!(
        got.iter()
            .all(|r| r.header("x-tandem-delivery") == delivery)
    );
    assert!(got.iter().all(|r| r.header("x-tandem-event") == "test"));
    assert!(got.iter().all(|r| signed_with(r, &secret)));
    assert!(got.windows(2).all(|w| w[0].body == w[1].body), "same bytes");

    let (s, log) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/webhooks/{hook}/deliveries"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200, "{log}");
    let d = &log["deliveries"][0];
    assert_eq!(d["id"], delivery.as_str());
    assert_eq!(d["status"], "delivered");
    assert_eq!(d["attempts"], 3);
    let tries: Vec<(i64, Value)> = d["tries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["attempt"].as_i64().unwrap(), a["http_status"].clone()))
        .collect();
    assert_eq!(
        tries,
        [(3, json!(204)), (2, json!(500)), (1, json!(500))],
        "newest first"
    );
    assert_eq!(d["tries"][2]["at"], t0);
    assert_eq!(d["tries"][1]["at"], t0 + 30_000);
    assert!(
        !log.to_string().contains(&secret),
        "the log holds no secret"
    );
}

#[tokio::test]
async fn a_delivery_is_given_up_after_its_last_attempt_and_the_log_pages_newest_first() {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let (hook, _) = endpoint(&app, &priya, "alder", &rx.url("/down"), &ALL).await;
    rx.answer(503);
    let test = format!("/api/v1/clients/{alder}/webhooks/{hook}/test");
    let (_, first) = app.api("POST", &test, Some(&priya), None).await;
    let (_, second) = app.api("POST", &test, Some(&priya), None).await;

    // Far enough apart that every retry is due at the next step.
    let mut now = now_ms();
    for _ in 0..8 {
        assert_eq!(app.tandem.deliver_webhooks(now).await.unwrap(), 2);
        now += 7 * 3_600_000;
    }
    assert_eq!(app.tandem.deliver_webhooks(now).await.unwrap(), 0);
    assert_eq!(rx.at("/down").len(), 16);

    let log = format!("/api/v1/clients/{alder}/webhooks/{hook}/deliveries?limit=1");
    let (s, page) = app.api("GET", &log, Some(&priya), None).await;
    assert_eq!(s, 200, "{page}");
    let newest = &page["deliveries"][0];
    assert_eq!(newest["id"], second["delivery_id"]);
    assert_eq!(newest["status"], "failed");
    assert_eq!(newest["attempts"], 8);
    assert_eq!(newest["tries"].as_array().unwrap().len(), 8);
    assert_eq!(newest["tries"][0]["http_status"], 503);
    let next = page["next_before"].as_str().unwrap();
    let (_, older) = app
        .api("GET", &format!("{log}&before={next}"), Some(&priya), None)
        .await;
    assert_eq!(older["deliveries"][0]["id"], first["delivery_id"]);
    assert_eq!(older["deliveries"][0]["status"], "failed");
}

#[tokio::test]
async fn one_clients_ticket_events_never_reach_another_clients_endpoint() {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let priya = app.token(PRIYA).await;
    let ben = app.token(BEN).await;
    endpoint(&app, &priya, "alder", &rx.url("/alder"), &ALL).await;
    endpoint(&app, &ben, "corvid", &rx.url("/corvid"), &ALL).await;
    let a = open_ticket(&app, &priya, "alder", "Printer on fire").await;
    let c = open_ticket(&app, &ben, "corvid", "Mail queue stuck").await;
    drain(&app).await;
    let alder_heard = rx.at("/alder");
    let corvid_heard = rx.at("/corvid");
    assert!(
        alder_heard
            .iter()
            .any(|r| r.json()["ticket"]["id"] == a["id"])
    );
    assert!(
        corvid_heard
            .iter()
            .any(|r| r.json()["ticket"]["id"] == c["id"])
    );
    assert!(
        corvid_heard
            .iter()
            .all(|r| r.json()["client"]["id"] == app.org("corvid").as_str()),
        "corvid heard of another client's ticket"
    );
    assert!(
        alder_heard
            .iter()
            .all(|r| r.json()["client"]["id"] == app.org("alder").as_str())
    );
    // Nor may one client's admin reach the other's endpoints.
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/webhooks", app.org("corvid")),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn when_the_engagement_ends_the_providers_endpoints_hear_nothing_more() {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let priya = app.token(PRIYA).await;
    let mara = assign_mara_to_alder(&app).await;
    let alder = app.org("alder");
    let (provider_hook, _) = endpoint(&app, &mara, "alder", &rx.url("/msp"), &ALL).await;
    endpoint(&app, &priya, "alder", &rx.url("/inhouse"), &ALL).await;

    let before = open_ticket(&app, &priya, "alder", "Before the end").await;
    drain(&app).await;
    assert_eq!(
        rx.about("/msp", before["id"].as_str().unwrap()).len(),
        1,
        "engaged: the provider hears"
    );

    // An event queued and fanned out while engaged, posted after the end:
    // checked at delivery time, it is not sent.
    // The provider's, so that the end hands it back to the in-house team.
    let t = open_ticket_in(
        &app,
        &priya,
        "alder",
        "During the end",
        "security-operations",
    )
    .await;
    assert_eq!(t["owner_side"], "provider", "{t}");
    let id = t["id"].as_str().unwrap();
    app.tandem.run_jobs(100).await.unwrap();
    let log = format!("/api/v1/clients/{alder}/webhooks/{provider_hook}/deliveries");
    let (_, queued) = app.api("GET", &log, Some(&mara), None).await;
    let queued = queued["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ticket_id"] == id)
        .cloned()
        .unwrap();
    assert_eq!(queued["status"], "pending", "made while engaged");
    let eng = app.engagement_of("alder").await;
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{eng}/end"),
            Some(&priya),
            None,
        )
        .await;
    assert!(s.is_success(), "{b}");
    let after = open_ticket(&app, &priya, "alder", "After the end").await;
    drain(&app).await;
    assert!(rx.about("/msp", id).is_empty(), "posted after the end");
    assert!(rx.about("/msp", after["id"].as_str().unwrap()).is_empty());
    // The client still hears, the hand-back of the provider's tickets too.
    let heard: Vec<String> = rx
        .about("/inhouse", id)
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    assert_eq!(heard, ["opened", "handed_off"], "the client still hears");
    assert_eq!(rx.about("/inhouse", after["id"].as_str().unwrap()).len(), 1);
    // The provider's admin no longer reaches the client's webhooks at all.
    assert_eq!(app.api("GET", &log, Some(&mara), None).await.0, 404);
}

#[tokio::test]
async fn urls_into_private_link_local_or_unspecified_addresses_are_refused() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let url = format!("/api/v1/clients/{}/webhooks", app.org("alder"));
    let long = format!("https://hooks.example.com/{}", "a".repeat(2000));
    for bad in [
        "http://127.0.0.1:9000/hook",
        "http://localhost/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.10/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://2130706433/hook",
        "ftp://hooks.example.com/hook",
        "https://user:pass@hooks.example.com/hook",
        "not a url",
        long.as_str(),
    ] {
        let (s, b) = app
            .api(
                "POST",
                &url,
                Some(&priya),
                Some(json!({ "name": "Bad", "url": bad, "events": ["opened"] })),
            )
            .await;
        assert_eq!(s, 422, "{bad}: {b}");
    }
    let (s, b) = app
        .api(
            "POST",
            &url,
            Some(&priya),
            Some(
                json!({ "name": "No events", "url": "https://hooks.example.com/x", "events": [] }),
            ),
        )
        .await;
    assert_eq!(s, 422, "{b}");

    // Allowing private addresses never allows link-local or unspecified ones.
    let lenient = app_allowing_private().await;
    let priya = lenient.token(PRIYA).await;
    let url = format!("/api/v1/clients/{}/webhooks", lenient.org("alder"));
    for (target, want) in [
        ("http://127.0.0.1:9000/hook", 201),
        ("http://169.254.169.254/latest/meta-data/", 422),
        ("http://[fe80::1]/hook", 422),
        ("http://0.0.0.0/hook", 422),
    ] {
        let (s, b) = lenient
            .api(
                "POST",
                &url,
                Some(&priya),
                Some(json!({ "name": "Target", "url": target, "events": ["opened"] })),
            )
            .await;
        assert_eq!(s, want, "{target}: {b}");
    }
}

/// A host name other than `localhost` that resolves to loopback only
/// (the machine's names in /etc/hosts), so that only the lookup at
/// delivery can tell where it points.
async fn loopback_name() -> Option<String> {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap_or_default();
    for line in hosts.lines().filter(|l| l.starts_with("127.")) {
        for name in line.split_whitespace().skip(1) {
            if name.contains("localhost") {
                continue;
            }
            let Ok(addrs) = tokio::net::lookup_host((name, 80)).await else {
                continue;
            };
            let addrs: Vec<_> = addrs.collect();
            if !addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()) {
                return Some(name.to_owned());
            }
        }
    }
    None
}

#[tokio::test]
async fn an_endpoint_made_while_private_addresses_were_allowed_is_refused_at_delivery_once_they_are_not()
 {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    // A name, not an address: only looking it up tells where it goes.
    let port = rx.base.rsplit(':').next().unwrap().to_owned();
    // Without such a name in /etc/hosts, the resolver's own unit test
    // (tandem-service) covers the lookup, and a second literal stands in.
    let named = match loopback_name().await {
        Some(name) => format!("http://{name}:{port}/named"),
        None => rx.url("/named"),
    };
    let (hook, _) = endpoint(&app, &priya, "alder", &named, &ALL).await;
    let (literal, _) = endpoint(&app, &priya, "alder", &rx.url("/literal"), &ALL).await;
    // The operator withdraws private addresses: the same database, stricter settings.
    let strict = tandem_service::Tandem::new(app.tandem.db.clone(), test_settings());
    for h in [&hook, &literal] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{alder}/webhooks/{h}/test"),
                Some(&priya),
                None,
            )
            .await;
        assert_eq!(s, 202, "{b}");
    }
    assert_eq!(strict.deliver_webhooks(now_ms()).await.unwrap(), 2);
    assert!(rx.at("/named").is_empty() && rx.at("/literal").is_empty());
    for h in [&hook, &literal] {
        let (_, log) = app
            .api(
                "GET",
                &format!("/api/v1/clients/{alder}/webhooks/{h}/deliveries"),
                Some(&priya),
                None,
            )
            .await;
        let attempt = &log["deliveries"][0]["tries"][0];
        assert!(attempt["http_status"].is_null(), "{log}");
        let error = attempt["error"].as_str().unwrap();
        assert!(
            error.contains("may not reach") || error.contains("refused"),
            "{error}"
        );
        assert_eq!(log["deliveries"][0]["status"], "pending", "retried later");
    }
}

#[tokio::test]
async fn the_secret_is_shown_once_and_each_side_sees_only_its_own_urls_and_logs() {
    let app = app_allowing_private().await;
    let priya = app.token(PRIYA).await;
    let mara = assign_mara_to_alder(&app).await;
    let owen = app.token(OWEN).await;
    let alder = app.org("alder");
    let list = format!("/api/v1/clients/{alder}/webhooks");
    let (inhouse, secret) = endpoint(
        &app,
        &priya,
        "alder",
        "https://pager.alder.example/hook?token=abc",
        &ALL,
    )
    .await;
    let (msp, msp_secret) = endpoint(
        &app,
        &mara,
        "alder",
        "https://psa.harborlane.example/in",
        &["opened"],
    )
    .await;
    for token in [&priya, &mara, &owen] {
        let (s, body) = app.api("GET", &list, Some(token), None).await;
        assert_eq!(s, 200, "{body}");
        let text = body.to_string();
        assert!(!text.contains(&secret) && !text.contains(&msp_secret));
        assert_eq!(body.as_array().unwrap().len(), 2);
    }
    let (_, as_mara) = app.api("GET", &list, Some(&mara), None).await;
    let seen: HashMap<String, Value> = as_mara
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (w["id"].as_str().unwrap().to_owned(), w.clone()))
        .collect();
    assert!(seen[&inhouse]["url"].is_null(), "the other side's URL");
    assert_eq!(seen[&inhouse]["side"], "client");
    assert_eq!(seen[&inhouse]["manageable"], false);
    assert_eq!(seen[&msp]["url"], "https://psa.harborlane.example/in");
    assert_eq!(seen[&msp]["manageable"], true);

    // Each side's log and endpoints are its own.
    let log = |h: &str| format!("/api/v1/clients/{alder}/webhooks/{h}/deliveries");
    assert_eq!(app.api("GET", &log(&msp), Some(&priya), None).await.0, 403);
    assert_eq!(
        app.api("GET", &log(&inhouse), Some(&mara), None).await.0,
        403
    );
    assert_eq!(
        app.api("GET", &log(&inhouse), Some(&owen), None).await.0,
        403
    );
    assert_eq!(
        app.api("DELETE", &format!("{list}/{msp}"), Some(&priya), None)
            .await
            .0,
        403
    );
    assert_eq!(
        app.api("DELETE", &format!("{list}/{inhouse}"), Some(&priya), None)
            .await
            .0,
        204
    );
    // A revoked endpoint takes no test event.
    assert_eq!(
        app.api(
            "POST",
            &format!("{list}/{inhouse}/test"),
            Some(&priya),
            None
        )
        .await
        .0,
        409
    );
    // Nor does the secret reach the audit log.
    let (_, audit) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/audit"),
            Some(&priya),
            None,
        )
        .await;
    let audit = audit.to_string();
    assert!(audit.contains("webhook.create") && audit.contains("webhook.revoke"));
    assert!(audit.contains("pager.alder.example"), "the host is audited");
    assert!(!audit.contains("token=abc"), "a URL's credentials are not");
    assert!(!audit.contains(&secret) && !audit.contains(&msp_secret));
}

#[tokio::test]
async fn the_page_adds_an_endpoint_showing_its_secret_once_tests_it_and_revokes_it() {
    let app = app_allowing_private().await;
    let rx = Receiver::start().await;
    let mut b = app.browser(PRIYA).await;
    let alder = app.org("alder");
    let page = text(b.get(&format!("/webhooks?client={alder}")).await).await;
    assert!(page.contains("Add an endpoint for your side"), "{page}");
    let res = b
        .submit(
            "/webhooks",
            &[
                ("client_id", &alder),
                ("name", "On-call <pager>"),
                ("url", &rx.url("/page")),
                ("opened", "on"),
                ("resolved", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = text(res).await;
    assert!(html.contains("id=\"webhook-secret\""), "{html}");
    assert!(
        html.contains("On-call &#60;pager&#62;") && !html.contains("<pager>"),
        "escaped: {html}"
    );
    let secret = html
        .split("id=\"webhook-secret\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let again = text(b.get(&format!("/webhooks?client={alder}")).await).await;
    assert!(!again.contains(&secret), "shown once");

    let priya = app.token(PRIYA).await;
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/webhooks"),
            Some(&priya),
            None,
        )
        .await;
    let hook = list[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list[0]["events"], json!(["opened", "resolved"]));
    let res = b
        .submit(
            "/webhooks",
            &[
                ("client_id", &alder),
                ("name", "Metadata"),
                ("url", "http://169.254.169.254/latest/"),
                ("opened", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(text(res).await.contains("id=\"webhook-error\""));
    let res = b
        .submit(&format!("/webhooks/{hook}/test"), &[("client_id", &alder)])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        location(&res),
        format!("/webhooks?client={alder}&log={hook}")
    );
    drain(&app).await;
    assert_eq!(rx.at("/page").len(), 1);
    let log = text(b.get(&location(&res)).await).await;
    assert!(log.contains("id=\"delivery-log\""), "{log}");
    assert!(log.contains("HTTP 200"), "{log}");
    assert!(!log.contains(&secret));

    let res = b
        .submit(
            &format!("/webhooks/{hook}/revoke"),
            &[("client_id", &alder)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = text(b.get(&format!("/webhooks?client={alder}")).await).await;
    assert!(page.contains("Revoked"), "{page}");
}
