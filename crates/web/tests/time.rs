//! Time on tickets: both sides log it, in-house time is counted and never
//! billed, provider time says how the agreement in force pays for it, and
//! a correction is a new entry.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

async fn open(app: &TestApp, token: &str, client: &str, title: &str) -> String {
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(token),
            Some(json!({ "client_id": client, "title": title, "category": "network", "impact": "low", "urgency": "low" })),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

async fn log(app: &TestApp, token: &str, ticket: &str, body: Value) -> (u16, Value) {
    let (s, v) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{ticket}/time"),
            Some(token),
            Some(body),
        )
        .await;
    (s.as_u16(), v)
}

/// The hybrid the alder engagement runs on: a per-user base, out-of-scope
/// work at $190/h.
async fn activate_hybrid(app: &TestApp) {
    let credits = json!({ "kind": "fixed", "value": 0 });
    let eng = app.engagement_of("alder").await;
    app.agreement(
        &eng,
        json!({
            "currency": { "code": "USD", "decimals": 2 }, "starts_on": "2026-01-01", "ends_on": null,
            "invoice_day": 1, "payment_days": 30, "tax_bps": null,
            "pricing": { "per_user": { "rate": 8500, "counting": { "kind": "fixed", "users": 100 }, "minimum": 0 },
                         "excluded_rate": 19000,
                         "rounding": { "increment_minutes": 15, "minimum_minutes": 0, "after_hours_bps": 10000 } },
            "credits": { "p1": credits, "p2": credits, "p3": credits, "p4": credits },
            "credit_cap": null
        }),
        true,
        Some(PRIYA),
    )
    .await;
}

#[tokio::test]
async fn both_sides_log_time_and_each_provider_entry_says_how_it_is_paid() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, owen, dev, helen, luis, ben) = (
        app.token(PRIYA).await,
        app.token(OWEN).await,
        app.token(DEV).await,
        app.token(HELEN).await,
        app.token(LUIS).await,
        app.token(BEN).await,
    );
    let ticket = open(&app, &priya, &alder, "Switch in the warehouse drops links").await;
    let at = "2026-11-10T15:00:00Z";

    let (s, mine) = log(
        &app,
        &dev,
        &ticket,
        json!({ "minutes": 50, "started_at": at, "note": "Replaced the uplink" }),
    )
    .await;
    assert_eq!(s, 201, "{mine}");
    assert_eq!(mine["side"], "provider");
    assert_eq!(
        mine["category"], "network",
        "the ticket's category by default"
    );
    let (s, ours) = log(
        &app,
        &owen,
        &ticket,
        json!({ "minutes": 30, "started_at": at, "note": "Walked the racks" }),
    )
    .await;
    assert_eq!(s, 201, "{ours}");
    assert_eq!(ours["side"], "in_house");
    // Out of scope: projects.
    let (s, _) = log(
        &app,
        &dev,
        &ticket,
        json!({ "minutes": 120, "started_at": at, "category": "projects" }),
    )
    .await;
    assert_eq!(s, 201);

    // The viewer reads but does not log; a requester and a stranger cannot.
    assert_eq!(
        log(&app, &helen, &ticket, json!({ "minutes": 5 })).await.0,
        403
    );
    assert_eq!(
        log(&app, &ben, &ticket, json!({ "minutes": 5 })).await.0,
        404
    );
    let url = format!("/api/v1/tickets/{ticket}/time");
    assert_eq!(app.api("GET", &url, Some(&luis), None).await.0, 404);
    assert_eq!(app.api("GET", &url, Some(&ben), None).await.0, 404);

    // Without an agreement nothing is priced yet, but both efforts count.
    let (s, t) = app.api("GET", &url, Some(&helen), None).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(t["in_house_minutes"], 30);
    assert_eq!(t["provider_minutes"], 170);
    let why = |t: &Value, id: &str| -> String {
        t["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["why"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mine_id = mine["id"].as_str().unwrap();
    assert_eq!(why(&t, mine_id), "No agreement is active: not priced yet");
    assert_eq!(
        why(&t, ours["id"].as_str().unwrap()),
        "In-house work: counted, never billed"
    );

    // With the hybrid active, in-scope work is covered by the base and
    // out-of-scope work is billed at its rate.
    activate_hybrid(&app).await;
    let (_, t) = app.api("GET", &url, Some(&priya), None).await;
    assert_eq!(why(&t, mine_id), "Network is in scope: covered by the base");
    let projects = t["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "projects")
        .unwrap();
    assert_eq!(projects["in_scope"], false);
    assert_eq!(
        projects["why"],
        "Projects is out of scope: excluded work at USD 190.00/h"
    );

    // The month of the client, for both sides.
    let month = format!("/api/v1/clients/{alder}/time?month=2026-11");
    let (s, m) = app.api("GET", &month, Some(&dev), None).await;
    assert_eq!(s, 200, "{m}");
    assert_eq!(m["entries"].as_array().unwrap().len(), 3);
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/clients/{alder}/time?month=2026-10"),
            Some(&dev),
            None
        )
        .await
        .1["entries"],
        json!([])
    );
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/clients/{alder}/time?month=11-2026"),
            Some(&dev),
            None
        )
        .await
        .0,
        422
    );
    assert_eq!(app.api("GET", &month, Some(&luis), None).await.0, 404);
    assert_eq!(app.api("GET", &month, Some(&ben), None).await.0, 404);
}

#[tokio::test]
async fn a_correction_is_a_new_entry_and_bad_time_is_refused() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, dev) = (app.token(PRIYA).await, app.token(DEV).await);
    let ticket = open(&app, &priya, &alder, "Printer queue stuck").await;
    let (_, first) = log(
        &app,
        &dev,
        &ticket,
        json!({ "minutes": 90, "started_at": "2026-11-12T10:00:00Z" }),
    )
    .await;
    let id = first["id"].as_str().unwrap();
    let (s, fix) = log(
        &app,
        &dev,
        &ticket,
        json!({ "minutes": -30, "corrects": id, "note": "Logged twice" }),
    )
    .await;
    assert_eq!(s, 201, "{fix}");
    // Taking away more than is left, or a negative without a correction.
    let (s, p) = log(
        &app,
        &dev,
        &ticket,
        json!({ "minutes": -61, "corrects": id }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("minutes")), "{p}");
    for (body, field) in [
        (json!({ "minutes": -5 }), "minutes"),
        (json!({ "minutes": 0 }), "minutes"),
        (json!({ "minutes": 1441 }), "minutes"),
        (
            json!({ "minutes": 30, "started_at": "2099-01-01T00:00:00Z" }),
            "started_at",
        ),
        (
            json!({ "minutes": 30, "started_at": "yesterday" }),
            "started_at",
        ),
        (
            json!({ "minutes": 30, "category": "astrology" }),
            "category",
        ),
        (
            json!({ "minutes": -5, "corrects": "no-such-entry" }),
            "corrects",
        ),
        (json!({ "minutes": -5, "corrects": fix["id"] }), "corrects"),
    ] {
        let (s, p) = log(&app, &dev, &ticket, body.clone()).await;
        assert_eq!((s, p["field"].as_str()), (422, Some(field)), "{body}: {p}");
    }
    let (_, t) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{ticket}/time"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(t["provider_minutes"], 60, "90 logged, 30 taken back: {t}");
    assert_eq!(t["entries"].as_array().unwrap().len(), 2);

    // When the engagement ends, the engineer logs nothing more on the client.
    let mara = app.token(MARA).await;
    let eng = app.engagement_of("alder").await;
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{eng}/end"),
            Some(&mara),
            None,
        )
        .await;
    assert!(s.is_success());
    assert_eq!(
        log(&app, &dev, &ticket, json!({ "minutes": 15 })).await.0,
        404
    );
}

#[tokio::test]
async fn the_ticket_page_shows_both_sides_time_and_takes_more() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let priya = app.token(PRIYA).await;
    let ticket = open(&app, &priya, &alder, "Wi-Fi drops in the boardroom").await;
    let page = format!("/tickets/{ticket}");
    let mut owen = app.browser(OWEN).await;
    let res = owen
        .submit(
            &format!("{page}/time"),
            &[
                ("minutes", "45"),
                ("category", "network"),
                ("note", "Checked the AP"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let mut dev = app.browser(DEV).await;
    let res = dev
        .submit(
            &format!("{page}/time"),
            &[
                ("minutes", "90"),
                ("category", "network"),
                ("note", "New AP firmware"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let res = dev
        .submit(
            &format!("{page}/time"),
            &[("minutes", "lots"), ("category", "network")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let html = text(dev.get(&page).await).await;
    assert!(
        html.contains("In-house <strong>45 min</strong> · Provider <strong>1 h 30 min</strong>"),
        "{html}"
    );
    assert!(
        html.contains("New AP firmware") && html.contains("Checked the AP"),
        "{html}"
    );
    assert!(
        html.contains("No agreement is active: not priced yet"),
        "{html}"
    );
    assert!(html.contains(r#"id="log-time""#));
    // The viewer reads the time but gets no form; the requester sees none of it.
    let html = text(app.browser(HELEN).await.get(&page).await).await;
    assert!(
        html.contains(r#"id="time-entries""#) && !html.contains(r#"id="log-time""#),
        "{html}"
    );
}
