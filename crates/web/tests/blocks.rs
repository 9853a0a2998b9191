//! The block-hours ledger: blocks bought by the provider's admin, drawn
//! month by month (soonest expiry first) with the draws on the books of
//! each invoice, automatic top-ups, and what a voided invoice gives back.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

/// Block hours from 1 October 2026 at $150/h overage, warned below 2 h;
/// `top_up` as given; time counted to the minute.
async fn activate(app: &TestApp, top_up: Value) -> String {
    let eng = app.engagement_of("alder").await;
    let zero = json!({ "kind": "fixed", "value": 0 });
    app.agreement(
        &eng,
        json!({
            "currency": { "code": "USD", "decimals": 2 }, "starts_on": "2026-10-01", "ends_on": null,
            "invoice_day": 1, "payment_days": 14, "tax_bps": null,
            "pricing": { "blocks": { "overage_rate": 15000, "low_balance_minutes": 120, "top_up": top_up },
                         "rounding": { "increment_minutes": 1, "minimum_minutes": 0, "after_hours_bps": 10000 } },
            "credits": { "p1": zero, "p2": zero, "p3": zero, "p4": zero }, "credit_cap": null
        }),
        true,
        Some(PRIYA),
    )
    .await
}

async fn ticket(app: &TestApp) -> String {
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&app.token(PRIYA).await),
            Some(json!({ "client_id": app.org("alder"), "title": "Warehouse scanners", "category": "network", "impact": "low", "urgency": "low" })),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    t["id"].as_str().unwrap().to_owned()
}

async fn log(app: &TestApp, ticket: &str, minutes: i64, at: &str) {
    let (s, e) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{ticket}/time"),
            Some(&app.token(DEV).await),
            Some(json!({ "minutes": minutes, "category": "network", "started_at": at })),
        )
        .await;
    assert_eq!(s, 201, "{e}");
}

async fn buy(app: &TestApp, who: &str, agreement: &str, body: Value) -> (u16, Value) {
    let (s, v) = app
        .api(
            "POST",
            &format!("/api/v1/agreements/{agreement}/blocks"),
            Some(&app.token(who).await),
            Some(body),
        )
        .await;
    (s.as_u16(), v)
}

/// The month's draft: its lines as (kind, amount) and the invoice.
async fn run(app: &TestApp, period: &str) -> (Vec<(String, i64)>, Value) {
    let mara = app.token(MARA).await;
    let (s, out) = app
        .api(
            "POST",
            "/api/v1/invoices/run",
            Some(&mara),
            Some(json!({ "period": period })),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    let id = out["created"][0].as_str().unwrap();
    let (_, inv) = app
        .api("GET", &format!("/api/v1/invoices/{id}"), Some(&mara), None)
        .await;
    let lines = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap().to_owned(),
                l["amount"].as_i64().unwrap(),
            )
        })
        .collect();
    (lines, inv)
}

async fn ledger(app: &TestApp, who: &str, agreement: &str) -> (u16, Value) {
    let (s, v) = app
        .api(
            "GET",
            &format!("/api/v1/agreements/{agreement}/blocks"),
            Some(&app.token(who).await),
            None,
        )
        .await;
    (s.as_u16(), v)
}

/// Each block's remaining minutes, oldest first.
fn remaining(l: &Value) -> Vec<i64> {
    l["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["remaining_minutes"].as_i64().unwrap())
        .collect()
}

fn lines(expected: &[(&str, i64)]) -> Vec<(String, i64)> {
    expected
        .iter()
        .map(|(k, a)| ((*k).to_owned(), *a))
        .collect()
}

#[tokio::test]
async fn blocks_are_bought_drawn_soonest_expiry_first_and_kept_on_the_books() {
    let app = TestApp::demo().await;
    let agreement = activate(&app, Value::Null).await;
    let t = ticket(&app).await;
    let october_block = json!({ "purchased_on": "2026-10-05", "minutes": 600, "price": 120000,
                                "expires_on": "2026-12-31", "note": "PO-1" });

    // Only the provider's admin records a purchase; the rest are refused
    // as the agreement's readers (403) or strangers to it (404).
    for (who, status) in [
        (PRIYA, 403),
        (DEV, 403),
        (HELEN, 403),
        (LUIS, 404),
        (BEN, 404),
        (TOMASZ, 404),
    ] {
        assert_eq!(
            buy(&app, who, &agreement, october_block.clone()).await.0,
            status,
            "{who}"
        );
    }
    // Bad input says which field.
    for (body, field) in [
        (
            json!({ "purchased_on": "2026-10-05", "minutes": 0, "price": 1, "expires_on": "2026-12-31" }),
            "minutes",
        ),
        (
            json!({ "purchased_on": "2026-10-05", "minutes": 60, "price": -1, "expires_on": "2026-12-31" }),
            "price",
        ),
        (
            json!({ "purchased_on": "2026-10-05", "minutes": 60, "price": 1, "expires_on": "2026-10-04" }),
            "expires_on",
        ),
        (
            json!({ "purchased_on": "2026-09-30", "minutes": 60, "price": 1, "expires_on": "2026-12-31" }),
            "purchased_on",
        ),
    ] {
        let (s, p) = buy(&app, MARA, &agreement, body).await;
        assert_eq!((s, p["field"].as_str()), (422, Some(field)), "{p}");
    }
    let (s, b) = buy(&app, MARA, &agreement, october_block.clone()).await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["remaining_minutes"], 600);

    // October: 4 h drawn from the 10 h block. Lines: the block bought
    // ($1,200.00) and the draw (no price, 6 h left).
    log(&app, &t, 240, "2026-10-10T15:00:00Z").await;
    let (october, inv) = run(&app, "2026-10").await;
    assert_eq!(
        october,
        lines(&[("block_purchase", 120_000), ("block_draw", 0)])
    );
    assert_eq!(inv["total"], 120_000);
    assert!(
        inv["lines"][1]["description"]
            .as_str()
            .unwrap()
            .contains("6 h left"),
        "{inv}"
    );
    let url = format!("/api/v1/invoices/{}/issue", inv["id"].as_str().unwrap());
    let (s, issued) = app
        .api_with(
            "POST",
            &url,
            Some(&app.token(MARA).await),
            None,
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 200, "{issued}");

    // October is invoiced: a block dated in it would never be billed.
    let (s, p) = buy(&app, MARA, &agreement, october_block).await;
    assert_eq!(s, 409, "{p}");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("2026-10 is invoiced already"),
        "{p}"
    );

    // November: a 5 h block that rolls over, and 8 h of work: the first
    // block (soonest expiry) gives its 6 h, the second 2 h; no overage.
    let (s, b) = buy(
        &app,
        MARA,
        &agreement,
        json!({ "purchased_on": "2026-11-02", "minutes": 300, "price": 55000,
        "expires_on": "2027-06-30", "rolls_over": true }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    log(&app, &t, 480, "2026-11-12T15:00:00Z").await;
    let (november, inv) = run(&app, "2026-11").await;
    assert_eq!(
        november,
        lines(&[
            ("block_purchase", 55_000),
            ("block_draw", 0),
            ("block_draw", 0)
        ])
    );
    assert_eq!(inv["total"], 55_000);
    let november_id = inv["id"].as_str().unwrap().to_owned();

    // Both sides read the ledger: what each invoice drew and what is left.
    for who in [MARA, PRIYA, HELEN, DEV] {
        let (s, l) = ledger(&app, who, &agreement).await;
        assert_eq!(s, 200, "{who}: {l}");
        assert_eq!(remaining(&l), [0, 180], "{who}: {l}");
    }
    for who in [LUIS, BEN, TOMASZ] {
        assert_eq!(ledger(&app, who, &agreement).await.0, 404, "{who}");
    }
    let (_, l) = ledger(&app, PRIYA, &agreement).await;
    let draws: Vec<(&str, i64)> = l["blocks"][0]["draws"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["period"].as_str().unwrap(),
                d["minutes"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(draws, [("2026-10", 240), ("2026-11", 360)]);
    assert_eq!(l["blocks"][0]["draws"][0]["status"], "issued");
    assert_eq!(l["blocks"][0]["state"], "used_up");
    assert_eq!(l["blocks"][1]["draws"][0]["status"], "draft");

    // Voiding November gives its draws back; drafting it again takes the
    // same hours.
    let (s, v) = app
        .api_with(
            "POST",
            &format!("/api/v1/invoices/{november_id}/void"),
            Some(&app.token(MARA).await),
            Some(json!({ "reason": "wrong month" })),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (_, l) = ledger(&app, MARA, &agreement).await;
    assert_eq!(remaining(&l), [360, 300], "{l}");
    let (again, redrafted) = run(&app, "2026-11").await;
    assert_eq!(again, november);
    // Block lines follow the ledger: a draft's edit may not change them.
    for position in ["0", "1"] {
        let (s, p) = app
            .api_with(
                "PATCH",
                &format!(
                    "/api/v1/invoices/{}/lines/{position}",
                    redrafted["id"].as_str().unwrap()
                ),
                Some(&app.token(MARA).await),
                Some(json!({ "amount": 0, "reason": "goodwill" })),
                &[("if-match", "1")],
            )
            .await;
        assert_eq!(s, 409, "{p}");
    }

    // December: 5 h, the rolled-over block has 3 h, 2 h are overage at
    // $150 = $300.00; the block is empty, below the 2 h warning.
    log(&app, &t, 300, "2026-12-03T15:00:00Z").await;
    let (december, inv) = run(&app, "2026-12").await;
    assert_eq!(december, lines(&[("block_draw", 0), ("overage", 30_000)]));
    let warnings = inv["warnings"].to_string();
    assert!(warnings.contains("0 h left"), "{inv}");
}

#[tokio::test]
async fn a_top_up_is_bought_when_the_blocks_run_out_and_goes_with_a_voided_invoice() {
    let app = TestApp::demo().await;
    let agreement = activate(
        &app,
        json!({ "minutes": 600, "price": 100000, "valid_days": 90 }),
    )
    .await;
    let t = ticket(&app).await;
    // 12 h with no block: a 10 h top-up, then another for the last 2 h.
    log(&app, &t, 720, "2026-10-20T15:00:00Z").await;
    let (october, inv) = run(&app, "2026-10").await;
    assert_eq!(
        october,
        lines(&[
            ("block_purchase", 100_000),
            ("block_purchase", 100_000),
            ("block_draw", 0),
            ("block_draw", 0)
        ])
    );
    assert_eq!(inv["total"], 200_000);
    let (_, l) = ledger(&app, PRIYA, &agreement).await;
    assert_eq!(remaining(&l), [0, 480], "{l}");
    assert!(l["blocks"][0]["top_up_invoice_id"].is_string(), "{l}");

    // November draws on October's second top-up: nothing to pay.
    log(&app, &t, 180, "2026-11-03T15:00:00Z").await;
    let (november, inv) = run(&app, "2026-11").await;
    assert_eq!(november, lines(&[("block_draw", 0)]));
    assert_eq!(inv["total"], 0);

    // October cannot be voided while November draws on its top-up; once
    // November is void, voiding October takes its top-ups off the books.
    let void = |id: String| {
        let app = &app;
        async move {
            let (s, v) = app
                .api_with(
                    "POST",
                    &format!("/api/v1/invoices/{id}/void"),
                    Some(&app.token(MARA).await),
                    Some(json!({ "reason": "redo" })),
                    &[("if-match", "1")],
                )
                .await;
            (s.as_u16(), v)
        }
    };
    let october_id = l["blocks"][0]["top_up_invoice_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, v) = void(october_id.clone()).await;
    assert_eq!(s, 409, "{v}");
    assert_eq!(void(inv["id"].as_str().unwrap().to_owned()).await.0, 200);
    let (s, v) = void(october_id).await;
    assert_eq!(s, 200, "{v}");
    let (_, l) = ledger(&app, PRIYA, &agreement).await;
    assert_eq!(remaining(&l), Vec::<i64>::new(), "{l}");
}

#[tokio::test]
async fn the_ledger_page_shows_balances_and_takes_a_purchase_with_csrf() {
    let app = TestApp::demo().await;
    let agreement = activate(&app, Value::Null).await;
    let mut mara = app.browser(MARA).await;
    let path = format!("/blocks/{agreement}");
    let page = text(mara.get(&path).await).await;
    assert!(page.contains("id=\"no-blocks\""), "{page}");
    // Without the form's token nothing is recorded.
    let res = mara
        .post(
            &path,
            &[
                ("purchased_on", "2026-10-05"),
                ("hours", "10"),
                ("price", "1200"),
                ("expires_on", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = mara
        .submit(
            &path,
            &[
                ("purchased_on", "2026-10-05"),
                ("hours", "12.5"),
                ("price", "1,500.00"),
                ("expires_on", "2026-12-31"),
                ("note", "<b>PO-9</b>"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = text(mara.get(&path).await).await;
    assert!(page.contains("12.5 h"), "{page}");
    assert!(page.contains("USD 1,500.00"), "{page}");
    assert!(
        page.contains("&#60;b&#62;PO-9&#60;/b&#62;") && !page.contains("<b>PO-9"),
        "{page}"
    );
    // A bad date comes back with the field named and nothing recorded.
    let res = mara
        .submit(
            &path,
            &[
                ("purchased_on", "soon"),
                ("hours", "1"),
                ("price", "1"),
                ("expires_on", "2026-12-31"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let (_, l) = ledger(&app, MARA, &agreement).await;
    assert_eq!(remaining(&l), [750]);

    // The client's admin reads the page but gets no purchase form.
    let mut priya = app.browser(PRIYA).await;
    let page = text(priya.get(&path).await).await;
    assert!(
        page.contains("block-ledger") && !page.contains("buy-block"),
        "{page}"
    );
    let agreements = text(priya.get("/agreements").await).await;
    assert!(
        agreements.contains(&format!("/blocks/{agreement}")),
        "{agreements}"
    );
    let mut luis = app.browser(LUIS).await;
    assert_eq!(luis.get(&path).await.status(), 404);
}
