//! Per-user pricing counts the client's requester accounts day by day from
//! their history: an account counts from the day (in the client's calendar
//! zone) it is created, activated or made a requester, and no longer from
//! the day it is deactivated or given another role.
//!
//! The history is written by the ordinary API calls, which happen now; each
//! test then checks that the calls wrote exactly the stretches expected and
//! moves them to the instants of November 2026 they stand for. The client
//! is in Chicago (UTC-6 in November), and the changes fall in its evening,
//! when UTC is a day further on: a run that read days in UTC would count
//! them a day late.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;
use tandem_service::Db;

/// From before November, in every test.
const BEFORE: &str = "2026-10-01T12:00:00Z";

/// Alder in Chicago, on per-user pricing from 1 November 2026: $85 per
/// active requester a month, counted from the accounts, no minimum, no
/// tax. Its admin's token.
async fn per_user_pricing(app: &TestApp) -> String {
    let priya = app.token(PRIYA).await;
    let windows: Vec<Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| json!({ "day": d, "start": "08:00", "end": "17:00" }))
        .collect();
    let (s, b) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{}/calendar", app.org("alder")),
            Some(&priya),
            Some(json!({ "time_zone": "America/Chicago", "windows": windows })),
        )
        .await;
    assert_eq!(s, 204, "{b}");
    let zero = json!({ "kind": "fixed", "value": 0 });
    app.agreement(
        &app.engagement_of("alder").await,
        json!({
            "currency": { "code": "USD", "decimals": 2 }, "starts_on": "2026-11-01", "ends_on": null,
            "invoice_day": 1, "payment_days": 14, "tax_bps": null,
            "pricing": { "per_user": { "rate": 8500, "counting": { "kind": "active_requesters" }, "minimum": 0 } },
            "credits": { "p1": zero, "p2": zero, "p3": zero, "p4": zero },
            "credit_cap": null
        }),
        true,
        Some(PRIYA),
    )
    .await;
    priya
}

/// Alder's requesters, by id: the demo's and `new` more added now.
async fn requesters(app: &TestApp, priya: &str, new: usize) -> Vec<String> {
    let url = format!("/api/v1/orgs/{}/users", app.org("alder"));
    for i in 0..new {
        let (s, u) = app
            .api(
                "POST",
                &url,
                Some(priya),
                Some(json!({
                    "email": format!("requester{i}@alder.example"), "name": format!("Requester {i}"),
                    "role": "requester", "password": "correct-horse-battery-staple"
                })),
            )
            .await;
        assert_eq!(s, 201, "{u}");
    }
    let (_, all) = app.api("GET", &url, Some(priya), None).await;
    all.as_array()
        .unwrap()
        .iter()
        .filter(|u| u["role"] == "requester")
        .map(|u| u["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Change an account as the client's admin.
async fn patch(app: &TestApp, priya: &str, id: &str, change: Value) {
    let (s, u) = app
        .api(
            "PATCH",
            &format!("/api/v1/users/{id}"),
            Some(priya),
            Some(change),
        )
        .await;
    assert_eq!(s, 200, "{u}");
}

macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Db::Sqlite { write: $p, .. } => $body,
            Db::Postgres($p) => $body,
        }
    };
}

fn ms(at: &str) -> i64 {
    at.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// Check that an account's history is exactly `want` (role, and whether each
/// stretch has ended), oldest first, and move it to `want`'s instants.
async fn place(app: &TestApp, user: &str, want: &[(&str, &str, Option<&str>)]) {
    let db = &app.tandem.db;
    let rows: Vec<(i64, String, Option<i64>)> = on_pool!(db, p => sqlx::query_as(
        "SELECT id, role, active_until FROM account_periods WHERE user_id = $1 ORDER BY id")
        .bind(user).fetch_all(p).await.unwrap());
    let shape: Vec<(&str, bool)> = rows
        .iter()
        .map(|(_, role, until)| (role.as_str(), until.is_some()))
        .collect();
    let wanted: Vec<(&str, bool)> = want
        .iter()
        .map(|(role, _, until)| (*role, until.is_some()))
        .collect();
    assert_eq!(shape, wanted, "the history of {user}");
    for ((id, _, _), (_, from, until)) in rows.iter().zip(want) {
        on_pool!(db, p => sqlx::query(
            "UPDATE account_periods SET active_from = $1, active_until = $2 WHERE id = $3")
            .bind(ms(from)).bind(until.map(ms)).bind(id).execute(p).await.unwrap().rows_affected());
    }
}

/// Run November as the provider's admin; the users lines of its invoice
/// (description, amount) and its total.
async fn november(app: &TestApp) -> (Vec<(String, i64)>, i64) {
    let mara = app.token(MARA).await;
    let (s, out) = app
        .api(
            "POST",
            "/api/v1/invoices/run",
            Some(&mara),
            Some(json!({ "period": "2026-11" })),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    let id = out["created"][0].as_str().unwrap();
    let (s, inv) = app
        .api("GET", &format!("/api/v1/invoices/{id}"), Some(&mara), None)
        .await;
    assert_eq!(s, 200, "{inv}");
    let lines = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["kind"] == "users")
        .map(|l| {
            (
                l["description"].as_str().unwrap().to_owned(),
                l["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    (lines, inv["total"].as_i64().unwrap())
}

#[tokio::test]
async fn requesters_added_and_deactivated_mid_month_are_prorated_by_day() {
    let app = TestApp::demo().await;
    let priya = per_user_pricing(&app).await;
    // Ten requesters all month, one deactivated on the 11th and one added
    // on the 16th (the 4 of the demo and 8 more).
    let ids = requesters(&app, &priya, 8).await;
    assert_eq!(ids.len(), 12);
    let (leaver, newcomer, stayers) = (&ids[0], &ids[1], &ids[2..]);
    patch(&app, &priya, leaver, json!({ "active": false })).await;
    for id in stayers {
        place(&app, id, &[("requester", BEFORE, None)]).await;
    }
    // 20:00 on the 11th in Chicago (the 12th in UTC).
    place(
        &app,
        leaver,
        &[("requester", BEFORE, Some("2026-11-12T02:00:00Z"))],
    )
    .await;
    // 23:30 on the 16th in Chicago (the 17th in UTC).
    place(
        &app,
        newcomer,
        &[("requester", "2026-11-17T05:30:00Z", None)],
    )
    .await;

    // 11 users days 1-10, 10 users days 11-15, 11 users days 16-30, of 30.
    // Each run gets F(last) - F(first - 1) of its monthly amount, F(k) the
    // amount of the first k days rounded to the cent:
    //   11 x $85 = $935.00 a month: F(10) = 935.00 x 10/30 = 311.666..
    //     -> $311.67;
    //   10 x $85 = $850.00 a month: F(15) = $425.00, F(10) = 283.333..
    //     -> $283.33; $425.00 - $283.33 = $141.67;
    //   11 x $85 = $935.00 a month: F(30) = $935.00, F(15) = $467.50;
    //     $935.00 - $467.50 = $467.50.
    // Total $311.67 + $141.67 + $467.50 = $920.84.
    let (lines, total) = november(&app).await;
    assert_eq!(
        lines,
        [
            (
                "11 users x USD 85.00, days 1-10 (10 of 30 days)".to_owned(),
                31_167
            ),
            (
                "10 users x USD 85.00, days 11-15 (5 of 30 days)".to_owned(),
                14_167
            ),
            (
                "11 users x USD 85.00, days 16-30 (15 of 30 days)".to_owned(),
                46_750
            ),
        ]
    );
    assert_eq!(total, 92_084);
}

#[tokio::test]
async fn a_reactivated_requester_counts_again() {
    let app = TestApp::demo().await;
    let priya = per_user_pricing(&app).await;
    let ids = requesters(&app, &priya, 1).await;
    assert_eq!(ids.len(), 5);
    let (returner, stayers) = (&ids[0], &ids[1..]);
    patch(&app, &priya, returner, json!({ "active": false })).await;
    patch(&app, &priya, returner, json!({ "active": true })).await;
    for id in stayers {
        place(&app, id, &[("requester", BEFORE, None)]).await;
    }
    // Away from 09:00 on the 6th, back at 21:00 on the 20th (Chicago; the
    // 21st in UTC).
    place(
        &app,
        returner,
        &[
            ("requester", BEFORE, Some("2026-11-06T15:00:00Z")),
            ("requester", "2026-11-21T03:00:00Z", None),
        ],
    )
    .await;

    // 5 users days 1-5, 4 users days 6-19, 5 users days 20-30:
    //   5 x $85 = $425.00 a month: F(5) = 425.00 x 5/30 = 70.833.. -> $70.83;
    //   4 x $85 = $340.00 a month: F(19) = 340.00 x 19/30 = 215.333..
    //     -> $215.33, F(5) = 56.666.. -> $56.67; $158.66;
    //   5 x $85 = $425.00 a month: F(30) = $425.00, F(19) = 269.166..
    //     -> $269.17; $155.83.
    // Total $70.83 + $158.66 + $155.83 = $385.32.
    let (lines, total) = november(&app).await;
    assert_eq!(
        lines,
        [
            (
                "5 users x USD 85.00, days 1-5 (5 of 30 days)".to_owned(),
                7_083
            ),
            (
                "4 users x USD 85.00, days 6-19 (14 of 30 days)".to_owned(),
                15_866
            ),
            (
                "5 users x USD 85.00, days 20-30 (11 of 30 days)".to_owned(),
                15_583
            ),
        ]
    );
    assert_eq!(total, 38_532);
}

#[tokio::test]
async fn a_requester_made_a_technician_stops_counting_that_day() {
    let app = TestApp::demo().await;
    let priya = per_user_pricing(&app).await;
    let ids = requesters(&app, &priya, 1).await;
    assert_eq!(ids.len(), 5);
    let (promoted, stayers) = (&ids[0], &ids[1..]);
    patch(
        &app,
        &priya,
        promoted,
        json!({ "role": "client_technician" }),
    )
    .await;
    for id in stayers {
        place(&app, id, &[("requester", BEFORE, None)]).await;
    }
    // A technician from 19:00 on the 26th in Chicago (the 27th in UTC);
    // still active, but no longer a requester.
    place(
        &app,
        promoted,
        &[
            ("requester", BEFORE, Some("2026-11-27T01:00:00Z")),
            ("client_technician", "2026-11-27T01:00:00Z", None),
        ],
    )
    .await;

    // 5 users days 1-25, 4 users days 26-30:
    //   5 x $85 = $425.00 a month: F(25) = 425.00 x 25/30 = 354.166..
    //     -> $354.17;
    //   4 x $85 = $340.00 a month: F(30) = $340.00, F(25) = 283.333..
    //     -> $283.33; $56.67.
    // Total $354.17 + $56.67 = $410.84.
    let (lines, total) = november(&app).await;
    assert_eq!(
        lines,
        [
            (
                "5 users x USD 85.00, days 1-25 (25 of 30 days)".to_owned(),
                35_417
            ),
            (
                "4 users x USD 85.00, days 26-30 (5 of 30 days)".to_owned(),
                5_667
            ),
        ]
    );
    assert_eq!(total, 41_084);
}
