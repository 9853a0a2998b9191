//! Who is on duty after hours, end to end: both sides read both rotas and
//! each side's admin edits its own; weeks are checked as a whole; who is
//! on duty at an instant (rota in the client's zone, overrides winning);
//! an after-hours alert ticket going to the person on duty and saying
//! why, a business-hours one and an ordinary ticket not; someone taken off
//! the engagement skipped for the split's default assignee; the page and
//! its forms.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use support::*;

/// Ids the tests name people and the engagement by.
struct Alder {
    client: String,
    engagement: String,
    mara: String,
    dev: String,
    owen: String,
    priya: String,
}

/// The demo with the provider admin assigned to Alder (so she edits its
/// provider rota, as the authorization table does), and the ids.
async fn alder(app: &TestApp) -> Alder {
    let mara = app.token(MARA).await;
    let me = |t: String| async move { app.api("GET", "/api/v1/me", Some(&t), None).await.1 };
    let mara_id = me(mara.clone()).await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dev_id = me(app.token(DEV).await).await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let owen_id = me(app.token(OWEN).await).await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let priya_id = me(app.token(PRIYA).await).await["user_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    let engagement = engs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == app.org("alder").as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{engagement}/engineers"),
            Some(&mara),
            Some(json!({ "user_id": mara_id })),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    Alder {
        client: app.org("alder"),
        engagement,
        mara: mara_id,
        dev: dev_id,
        owen: owen_id,
        priya: priya_id,
    }
}

fn slot(from: &str, at: &str, to: &str, until: &str, who: &str) -> Value {
    json!({ "start_day": from, "start_time": at, "end_day": to, "end_time": until, "person_id": who })
}

async fn put_rota(
    app: &TestApp,
    token: &str,
    client: &str,
    side: &str,
    slots: Vec<Value>,
) -> (StatusCode, Value) {
    app.api(
        "PUT",
        &format!("/api/v1/clients/{client}/duty/{side}/rota"),
        Some(token),
        Some(json!({ "slots": slots })),
    )
    .await
}

async fn add_override(
    app: &TestApp,
    token: &str,
    client: &str,
    side: &str,
    body: Value,
) -> (StatusCode, Value) {
    app.api(
        "POST",
        &format!("/api/v1/clients/{client}/duty/{side}/overrides"),
        Some(token),
        Some(body),
    )
    .await
}

async fn duty_at(app: &TestApp, token: &str, client: &str, time: &str) -> Value {
    let (s, b) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{client}/duty/at?time={time}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

fn side<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["sides"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["side"] == name)
        .unwrap()
}

async fn set_calendar(app: &TestApp, token: &str, client: &str, zone: &str, windows: Value) {
    let (s, b) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{client}/calendar"),
            Some(token),
            Some(json!({ "time_zone": zone, "windows": windows, "holidays": [], "yearly_holidays": [] })),
        )
        .await;
    assert!(s.is_success(), "{s} {b}");
}

#[tokio::test]
async fn both_sides_read_both_rotas_and_each_admin_edits_only_its_own() {
    let app = TestApp::demo().await;
    let ids = alder(&app).await;
    let (mara, priya, dev, owen) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(OWEN).await,
    );
    let c = &ids.client;
    let provider_week = vec![slot("fri", "17:00", "mon", "08:00", &ids.dev)];
    let (s, b) = put_rota(&app, &mara, c, "provider", provider_week.clone()).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b[0]["person_name"], "Dev Ramanathan");
    assert_eq!(
        (b[0]["start_day"].as_str(), b[0]["end_time"].as_str()),
        (Some("fri"), Some("08:00"))
    );
    let in_house_week = vec![slot("sat", "08:00", "sat", "20:00", &ids.owen)];
    let (s, b) = put_rota(&app, &priya, c, "in_house", in_house_week.clone()).await;
    assert_eq!(s, 200, "{b}");

    // Each admin keeps its own side only; engineers and technicians read.
    let (s, _) = put_rota(&app, &mara, c, "in_house", in_house_week.clone()).await;
    assert_eq!(s, 403);
    let (s, _) = put_rota(&app, &priya, c, "provider", provider_week.clone()).await;
    assert_eq!(s, 403);
    let (s, _) = put_rota(&app, &dev, c, "provider", provider_week.clone()).await;
    assert_eq!(s, 403);
    let (s, _) = put_rota(&app, &owen, c, "in_house", in_house_week).await;
    assert_eq!(s, 403);
    // Ahead of whenever the suite runs: the board lists only overrides not
    // yet over, so fixed dates stop being listed once they pass.
    let body =
        json!({ "starts_at": midnight(10), "ends_at": midnight(13), "person_id": ids.priya });
    let (s, _) = add_override(&app, &mara, c, "in_house", body.clone()).await;
    assert_eq!(s, 403);
    let (s, o) = add_override(&app, &priya, c, "in_house", body).await;
    assert_eq!(s, 201, "{o}");
    let path = format!(
        "/api/v1/clients/{c}/duty/in_house/overrides/{}",
        o["id"].as_str().unwrap()
    );
    let (s, _) = app.api("DELETE", &path, Some(&owen), None).await;
    assert_eq!(s, 403);

    for token in [&dev, &owen, &mara] {
        let (s, board) = app
            .api(
                "GET",
                &format!("/api/v1/clients/{c}/duty"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(s, 200, "{board}");
        assert_eq!(
            side(&board, "provider")["slots"][0]["person_id"],
            ids.dev.as_str()
        );
        assert_eq!(
            side(&board, "in_house")["slots"][0]["person_id"],
            ids.owen.as_str()
        );
        assert_eq!(
            side(&board, "in_house")["overrides"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    let (_, board) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{c}/duty"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(side(&board, "in_house")["can_manage"], true);
    assert_eq!(side(&board, "provider")["can_manage"], false);

    let (s, _) = app.api("DELETE", &path, Some(&priya), None).await;
    assert_eq!(s, 204);
    let (s, _) = app.api("DELETE", &path, Some(&priya), None).await;
    assert_eq!(s, 404, "gone");

    // Requesters and other clients' people may not learn of it.
    let luis = app.token(LUIS).await;
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{c}/duty"),
            Some(&luis),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let ben = app.token(BEN).await;
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{c}/duty"),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let tomasz = app.token(TOMASZ).await;
    let (s, _) = put_rota(&app, &tomasz, c, "provider", provider_week).await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn bad_input_answers_422_naming_the_field() {
    let app = TestApp::demo().await;
    let ids = alder(&app).await;
    let mara = app.token(MARA).await;
    let c = &ids.client;
    let cases = [
        (
            vec![
                slot("mon", "17:00", "tue", "08:00", &ids.dev),
                slot("tue", "07:00", "tue", "09:00", &ids.mara),
            ],
            "overlap",
        ),
        (
            vec![
                slot("sun", "20:00", "mon", "06:00", &ids.dev),
                slot("mon", "05:00", "mon", "07:00", &ids.dev),
            ],
            "overlap",
        ),
        (
            vec![slot("fri", "17:00", "mon", "08:00", &ids.owen)],
            "does not staff",
        ),
        (
            vec![slot("fri", "17:00", "fri", "17:00", &ids.dev)],
            "end where it starts",
        ),
        (
            vec![slot("fry", "17:00", "mon", "08:00", &ids.dev)],
            "weekday",
        ),
        (
            vec![slot("fri", "25:00", "mon", "08:00", &ids.dev)],
            "HH:MM",
        ),
    ];
    for (week, words) in cases {
        let (s, p) = put_rota(&app, &mara, c, "provider", week).await;
        assert_eq!(s, 422, "{p}");
        assert_eq!(p["field"], "slots", "{p}");
        assert!(p["detail"].as_str().unwrap().contains(words), "{p}");
    }
    let (s, p) = put_rota(&app, &mara, c, "shared", vec![]).await;
    assert_eq!((s.as_u16(), p["field"].as_str()), (422, Some("side")));

    let good = json!({ "starts_at": midnight(10), "ends_at": midnight(13), "person_id": ids.dev });
    for (field, value, want) in [
        ("ends_at", json!(midnight(9)), "ends_at"),
        ("starts_at", json!("Christmas Eve"), "starts_at"),
        ("person_id", json!(ids.owen), "person_id"),
        ("reason", json!("x".repeat(501)), "reason"),
    ] {
        let mut body = good.clone();
        body[field] = value;
        let (s, p) = add_override(&app, &mara, c, "provider", body).await;
        assert_eq!((s.as_u16(), p["field"].as_str()), (422, Some(want)), "{p}");
    }
    let (s, p) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{c}/duty/at?time=tonight"),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!((s.as_u16(), p["field"].as_str()), (422, Some("time")));
    // Nothing refused was kept.
    let (_, board) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{c}/duty"),
            Some(&mara),
            None,
        )
        .await;
    assert!(
        side(&board, "provider")["slots"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        side(&board, "provider")["overrides"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn who_is_on_duty_follows_the_clients_zone_and_overrides_win() {
    let app = TestApp::demo().await;
    let ids = alder(&app).await;
    let (mara, priya) = (app.token(MARA).await, app.token(PRIYA).await);
    let c = &ids.client;
    set_calendar(
        &app,
        &priya,
        c,
        "America/Chicago",
        json!([{ "day": "mon", "start": "08:00", "end": "17:00" }]),
    )
    .await;
    let (s, b) = put_rota(
        &app,
        &mara,
        c,
        "provider",
        vec![
            slot("fri", "17:00", "mon", "08:00", &ids.dev),
            slot("sat", "22:00", "sun", "06:00", &ids.mara),
        ],
    )
    .await;
    // Saturday night is inside Dev's weekend: refused as a whole.
    assert_eq!(s, 422, "{b}");
    let (s, b) = put_rota(
        &app,
        &mara,
        c,
        "provider",
        vec![
            slot("mon", "17:00", "tue", "08:00", &ids.mara),
            slot("fri", "17:00", "mon", "08:00", &ids.dev),
        ],
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // Sunday 2026-03-08 is the spring-forward day in Chicago: Dev's weekend
    // ends Monday 08:00 CDT, 13:00Z (on standard time it would be 14:00Z).
    let a = duty_at(&app, &priya, c, "2026-03-08T10:30:00Z").await;
    let p = &side(&a, "provider")["on_duty"];
    assert_eq!(p["person_id"], ids.dev.as_str());
    assert_eq!(p["basis"], "rota");
    assert_eq!(p["until"], "2026-03-09T13:00:00Z");
    assert_eq!(p["eligible"], true);
    assert_eq!(side(&a, "in_house")["on_duty"], Value::Null);
    let a = duty_at(&app, &priya, c, "2026-03-09T12:59:00Z").await;
    assert_eq!(
        side(&a, "provider")["on_duty"]["person_id"],
        ids.dev.as_str()
    );
    let a = duty_at(&app, &priya, c, "2026-03-09T13:00:00Z").await;
    assert_eq!(
        side(&a, "provider")["on_duty"],
        Value::Null,
        "business hours"
    );
    // Monday night crosses midnight: 17:00 CDT Monday to 08:00 Tuesday.
    let a = duty_at(&app, &priya, c, "2026-03-10T05:00:00Z").await;
    assert_eq!(
        side(&a, "provider")["on_duty"]["person_id"],
        ids.mara.as_str()
    );

    // An override beats the rota for its span, and says why.
    let (s, o) = add_override(
        &app,
        &mara,
        c,
        "provider",
        json!({ "starts_at": "2026-03-07T00:00:00Z", "ends_at": "2026-03-08T00:00:00Z", "person_id": ids.mara,
                "reason": "Dev at a wedding" }),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    let a = duty_at(&app, &priya, c, "2026-03-07T12:00:00Z").await;
    let p = &side(&a, "provider")["on_duty"];
    assert_eq!(p["person_id"], ids.mara.as_str());
    assert_eq!(p["basis"], "override");
    assert_eq!(p["reason"], "Dev at a wedding");
    assert_eq!(p["until"], "2026-03-08T00:00:00Z");
    let a = duty_at(&app, &priya, c, "2026-03-08T00:00:00Z").await;
    assert_eq!(side(&a, "provider")["on_duty"]["basis"], "rota");
}

/// A key of a new generic source of Alder, whose events name their category.
async fn source_key(app: &TestApp, token: &str, client: &str) -> String {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{client}/alert-sources"),
            Some(token),
            Some(json!({ "name": "Uptime", "kind": "generic", "default_category": "network", "category_label": "category" })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b["key"].as_str().unwrap().to_owned()
}

/// Send one firing event; the ticket it opened.
async fn fire(app: &TestApp, key: &str, dedup: &str, category: &str) -> String {
    let event = json!({ "source": "uptime", "dedup_key": dedup, "status": "firing", "severity": "critical",
        "summary": format!("{dedup} is down"), "details": { "category": category } });
    let req = Request::builder()
        .method("POST")
        .uri("/api/v1/intake/events")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .body(Body::from(event.to_string()))
        .unwrap();
    let res = app.send(req).await;
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let a: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(status, 202, "{a}");
    a["alerts"][0]["ticket_id"].as_str().unwrap().to_owned()
}

async fn ticket(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, b) = app
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

fn created(t: &Value) -> Value {
    t["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "created")
        .unwrap()
        .clone()
}

/// A calendar open only on a weekday other than today's (UTC), so now is
/// after hours whatever the clock says.
fn closed_now() -> Value {
    let day = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .weekday()
        .wrapping_add(3);
    let name =
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][day.to_monday_zero_offset() as usize];
    json!([{ "day": name, "start": "09:00", "end": "10:00" }])
}

fn open_always() -> Value {
    json!(
        ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
            .iter()
            .map(|d| json!({ "day": d, "start": "00:00", "end": "24:00" }))
            .collect::<Vec<_>>()
    )
}

async fn split(app: &TestApp, token: &str, client: &str, category: &str, body: Value) {
    let (s, b) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{client}/split/{category}"),
            Some(token),
            Some(body),
        )
        .await;
    assert!(s.is_success(), "{s} {b}");
}

#[tokio::test]
async fn an_after_hours_alert_goes_to_whoever_is_on_duty_and_falls_back_to_the_split() {
    let app = TestApp::demo().await;
    let ids = alder(&app).await;
    let (mara, priya) = (app.token(MARA).await, app.token(PRIYA).await);
    let c = &ids.client;
    set_calendar(&app, &priya, c, "UTC", closed_now()).await;
    // Network after hours is the provider's, and Mara its default pick-up;
    // on-site stays in-house around the clock, Priya picking it up.
    split(
        &app,
        &priya,
        c,
        "network",
        json!({ "business_hours": "in_house", "after_hours": "provider",
        "provider_assignee": ids.mara, "in_house_assignee": ids.priya, "in_scope": true }),
    )
    .await;
    split(
        &app,
        &priya,
        c,
        "on-site",
        json!({ "business_hours": "in_house", "after_hours": "in_house",
        "provider_assignee": null, "in_house_assignee": ids.priya, "in_scope": true }),
    )
    .await;
    let whole_week = |who: &str| vec![slot("mon", "00:00", "sun", "24:00", who)];
    let (s, b) = put_rota(&app, &mara, c, "provider", whole_week(&ids.dev)).await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = put_rota(&app, &priya, c, "in_house", whole_week(&ids.owen)).await;
    assert_eq!(s, 200, "{b}");
    let key = source_key(&app, &priya, c).await;

    // The rota's person, on the side the split gives the ticket after hours.
    let t = ticket(&app, &priya, &fire(&app, &key, "fw01", "network").await).await;
    assert_eq!(t["ticket"]["owner_side"], "provider", "{t}");
    assert_eq!(t["ticket"]["assignee_id"], ids.dev.as_str(), "{t}");
    let e = created(&t);
    assert!(
        e["body"]
            .as_str()
            .unwrap()
            .contains("on duty: Dev Ramanathan (rota)"),
        "{e}"
    );
    assert_eq!(e["data"]["on_duty"], "Dev Ramanathan (rota)", "{e}");
    let t = ticket(&app, &priya, &fire(&app, &key, "door01", "on-site").await).await;
    assert_eq!(t["ticket"]["owner_side"], "in_house", "{t}");
    assert_eq!(t["ticket"]["assignee_id"], ids.owen.as_str(), "{t}");

    // An override wins over the rota.
    let now = jiff::Timestamp::now();
    let (s, o) = add_override(
        &app,
        &mara,
        c,
        "provider",
        json!({
        "starts_at": (now - jiff::SignedDuration::from_hours(1)).to_string(),
        "ends_at": (now + jiff::SignedDuration::from_hours(1)).to_string(),
        "person_id": ids.mara, "reason": "Dev off sick" }),
    )
    .await;
    assert_eq!(s, 201, "{o}");
    let t = ticket(&app, &priya, &fire(&app, &key, "fw02", "network").await).await;
    assert_eq!(t["ticket"]["assignee_id"], ids.mara.as_str(), "{t}");
    assert!(
        created(&t)["body"]
            .as_str()
            .unwrap()
            .contains("on duty: Mara Okafor (override)"),
        "{t}"
    );
    let (s, _) = app
        .api(
            "DELETE",
            &format!(
                "/api/v1/clients/{c}/duty/provider/overrides/{}",
                o["id"].as_str().unwrap()
            ),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!(s, 204);

    // An ordinary ticket after hours follows the split, not the rota.
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&priya),
            Some(json!({ "client_id": c, "title": "VPN slow",
            "category": "network", "impact": "medium", "urgency": "medium" })),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    assert_eq!(t["assignee_id"], ids.mara.as_str(), "{t}");

    // Dev taken off the engagement is skipped: the split's default gets it.
    let (s, b) = app
        .api(
            "DELETE",
            &format!(
                "/api/v1/engagements/{}/engineers/{}",
                ids.engagement, ids.dev
            ),
            Some(&mara),
            None,
        )
        .await;
    assert!(s.is_success(), "{s} {b}");
    let t = ticket(&app, &priya, &fire(&app, &key, "fw03", "network").await).await;
    assert_eq!(t["ticket"]["assignee_id"], ids.mara.as_str(), "{t}");
    let e = created(&t);
    assert!(!e["body"].as_str().unwrap().contains("on duty"), "{e}");
    assert_eq!(e["data"]["on_duty"], Value::Null);
    let (_, board) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{c}/duty"),
            Some(&priya),
            None,
        )
        .await;
    let now_on = &side(&board, "provider")["on_duty_now"];
    assert_eq!(now_on["person_id"], ids.dev.as_str());
    assert_eq!(now_on["eligible"], false, "{board}");
}

#[tokio::test]
async fn a_business_hours_alert_ignores_the_rota() {
    let app = TestApp::demo().await;
    let ids = alder(&app).await;
    let (mara, priya) = (app.token(MARA).await, app.token(PRIYA).await);
    let c = &ids.client;
    set_calendar(&app, &priya, c, "UTC", open_always()).await;
    split(
        &app,
        &priya,
        c,
        "network",
        json!({ "business_hours": "provider", "after_hours": "provider",
        "provider_assignee": ids.mara, "in_house_assignee": null, "in_scope": true }),
    )
    .await;
    let (s, b) = put_rota(
        &app,
        &mara,
        c,
        "provider",
        vec![slot("mon", "00:00", "sun", "24:00", &ids.dev)],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let key = source_key(&app, &priya, c).await;
    let t = ticket(&app, &priya, &fire(&app, &key, "fw01", "network").await).await;
    assert_eq!(t["ticket"]["owner_side"], "provider");
    assert_eq!(t["ticket"]["assignee_id"], ids.mara.as_str(), "{t}");
    assert!(!created(&t)["body"].as_str().unwrap().contains("on duty"));
}

#[tokio::test]
async fn the_page_shows_the_week_and_each_admin_changes_its_own_side() {
    let app = TestApp::demo().await;
    let ids = alder(&app).await;
    let c = &ids.client;
    let mut mara = app.browser(MARA).await;
    let page = text(mara.get(&format!("/duty?client={c}")).await).await;
    assert!(
        page.contains("id=\"add-slot-provider\""),
        "the provider admin's form"
    );
    assert!(
        !page.contains("id=\"add-slot-in_house\""),
        "not the in-house one"
    );
    let csrf = csrf_of(&page);
    let res = mara
        .post(
            "/duty/slots",
            &[
                ("csrf", &csrf),
                ("client_id", c),
                ("side", "provider"),
                ("start_day", "fri"),
                ("start_time", "17:00"),
                ("end_day", "mon"),
                ("end_time", "08:00"),
                ("person_id", &ids.dev),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // An overlapping slot is refused with the page and the reason.
    let res = mara
        .post(
            "/duty/slots",
            &[
                ("csrf", &csrf),
                ("client_id", c),
                ("side", "provider"),
                ("start_day", "sat"),
                ("start_time", "09:00"),
                ("end_day", "sat"),
                ("end_time", "12:00"),
                ("person_id", &ids.mara),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(res).await.contains("overlap"));
    let res = mara
        .post(
            "/duty/overrides",
            &[
                ("csrf", &csrf),
                ("client_id", c),
                ("side", "provider"),
                ("starts_at", "2030-12-24T17:00"),
                ("ends_at", "2030-12-27T08:00"),
                ("person_id", &ids.mara),
                ("reason", "Holiday <cover>"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    let mut owen = app.browser(OWEN).await;
    let page = text(owen.get(&format!("/duty?client={c}")).await).await;
    assert!(page.contains("Dev Ramanathan"));
    assert!(page.contains("Friday 17:00"));
    assert!(page.contains("Holiday &#60;cover&#62;"), "escaped: {page}");
    assert!(!page.contains("Holiday <cover>"));
    assert!(
        !page.contains("action=\"/duty/slots/"),
        "no remove buttons for a technician"
    );
    let slot_id = {
        let (_, b) = app
            .api(
                "GET",
                &format!("/api/v1/clients/{c}/duty"),
                Some(&app.token(MARA).await),
                None,
            )
            .await;
        side(&b, "provider")["slots"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let owen_csrf = csrf_of(&page);
    let res = owen
        .post(
            &format!("/duty/slots/{slot_id}/remove"),
            &[("csrf", &owen_csrf), ("client_id", c), ("side", "provider")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = mara
        .post(
            &format!("/duty/slots/{slot_id}/remove"),
            &[("csrf", &csrf), ("client_id", c), ("side", "provider")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = text(mara.get(&format!("/duty?client={c}")).await).await;
    assert!(!page.contains("Friday 17:00"));
}
