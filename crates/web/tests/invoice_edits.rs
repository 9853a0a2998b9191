//! A draft's lines changed by hand, with a reason, by the provider's admin
//! (the tax and the total follow, the history keeps every change), and a
//! month of invoices exported at once, as each reader may see them.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

/// A hybrid from 1 November 2026: 100 users at $85, projects (out of
/// scope) at $190/h in 15-minute steps, 10% tax; 5 h 50 min of project
/// work in November. Returns November's draft: users $8,500.00 (line 0),
/// projects 6 h x $190 = $1,140.00 (line 1), tax $964.00 (line 2), total
/// $10,604.00.
async fn november_draft(app: &TestApp) -> String {
    let eng = app.engagement_of("alder").await;
    let zero = json!({ "kind": "fixed", "value": 0 });
    app.agreement(
        &eng,
        json!({
            "currency": { "code": "USD", "decimals": 2 }, "starts_on": "2026-11-01", "ends_on": null,
            "invoice_day": 1, "payment_days": 14, "tax_bps": 1000,
            "pricing": { "per_user": { "rate": 8500, "counting": { "kind": "fixed", "users": 100 }, "minimum": 0 },
                         "excluded_rate": 19000,
                         "rounding": { "increment_minutes": 15, "minimum_minutes": 0, "after_hours_bps": 10000 } },
            "credits": { "p1": zero, "p2": zero, "p3": zero, "p4": zero },
            "credit_cap": null
        }),
        true,
        Some(PRIYA),
    )
    .await;
    let priya = app.token(PRIYA).await;
    let (_, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&priya),
            Some(json!({ "client_id": app.org("alder"), "title": "New office network", "category": "projects", "impact": "low", "urgency": "low" })),
        )
        .await;
    let ticket = t["id"].as_str().unwrap();
    let (s, e) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{ticket}/time"),
            Some(&app.token(DEV).await),
            Some(json!({ "minutes": 350, "started_at": "2026-11-16T15:00:00Z" })),
        )
        .await;
    assert_eq!(s, 201, "{e}");
    let (s, out) = app
        .api(
            "POST",
            "/api/v1/invoices/run",
            Some(&app.token(MARA).await),
            Some(json!({ "period": "2026-11" })),
        )
        .await;
    assert_eq!(s, 200, "{out}");
    out["created"][0].as_str().unwrap().to_owned()
}

/// Call with a version in `If-Match`.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    who: &str,
    version: &str,
    body: Value,
) -> (u16, Value) {
    let (s, b) = app
        .api_with(
            method,
            path,
            Some(who),
            Some(body),
            &[("if-match", version)],
        )
        .await;
    (s.as_u16(), b)
}

/// `(position, kind, quantity, unit_price, amount)` of every line, in order.
fn lines(inv: &Value) -> Vec<(i64, String, String, i64, i64)> {
    inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["position"].as_i64().unwrap(),
                l["kind"].as_str().unwrap().to_owned(),
                l["quantity"].as_str().unwrap().to_owned(),
                l["unit_price"].as_i64().unwrap(),
                l["amount"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn line(p: i64, kind: &str, q: &str, unit: i64, amount: i64) -> (i64, String, String, i64, i64) {
    (p, kind.to_owned(), q.to_owned(), unit, amount)
}

#[tokio::test]
async fn the_provider_changes_adds_and_removes_draft_lines_with_reasons_and_the_tax_follows() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let id = november_draft(&app).await;
    let (mara, priya, helen, dev, ben, luis) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(HELEN).await,
        app.token(DEV).await,
        app.token(BEN).await,
        app.token(LUIS).await,
    );
    let url = format!("/api/v1/invoices/{id}");
    let (_, inv) = app.api("GET", &url, Some(&mara), None).await;
    assert_eq!(inv["total"], 1_060_400, "{inv}");
    assert_eq!(inv["edits"], json!([]));
    let line1 = format!("{url}/lines/1");
    let five = json!({ "quantity": "5", "reason": "Five hours were agreed for the project" });

    // Only the provider's admin changes lines: the client's people are
    // refused, the engineer, a stranger client's admin and the requester
    // do not see the invoice at all.
    for who in [&priya, &helen] {
        assert_eq!(
            call(&app, "PATCH", &line1, who, "1", five.clone()).await.0,
            403
        );
        assert_eq!(
            call(&app, "DELETE", &line1, who, "1", json!({ "reason": "no" }))
                .await
                .0,
            403
        );
        assert_eq!(
            call(
                &app,
                "POST",
                &format!("{url}/lines"),
                who,
                "1",
                json!({ "description": "x", "amount": 1, "reason": "no" })
            )
            .await
            .0,
            403
        );
    }
    for who in [&dev, &ben, &luis] {
        assert_eq!(
            call(&app, "PATCH", &line1, who, "1", five.clone()).await.0,
            404
        );
    }

    // Every change says why, names a line that is not the tax, and
    // changes something.
    let (s, p) = call(
        &app,
        "PATCH",
        &line1,
        &mara,
        "1",
        json!({ "quantity": "5", "reason": "  " }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("reason")), "{p}");
    let (s, p) = call(
        &app,
        "PATCH",
        &format!("{url}/lines/2"),
        &mara,
        "1",
        json!({ "amount": 0, "reason": "No tax" }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("position")), "{p}");
    assert_eq!(
        call(
            &app,
            "PATCH",
            &format!("{url}/lines/9"),
            &mara,
            "1",
            five.clone()
        )
        .await
        .0,
        404
    );
    let (s, p) = call(
        &app,
        "PATCH",
        &line1,
        &mara,
        "1",
        json!({ "quantity": "5", "amount": 100, "reason": "Both" }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("amount")), "{p}");
    let (s, p) = call(
        &app,
        "PATCH",
        &line1,
        &mara,
        "1",
        json!({ "quantity": "6", "reason": "Same" }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("line")), "{p}");
    let (s, p) = call(
        &app,
        "PATCH",
        &line1,
        &mara,
        "1",
        json!({ "quantity": "five", "reason": "Words" }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("quantity")), "{p}");

    // Projects to 5 h: 5 x $190 = $950.00; subtotal $8,500 + $950 =
    // $9,450.00; tax 10% $945.00; total $10,395.00.
    let (s, changed) = call(&app, "PATCH", &line1, &mara, "1", five.clone()).await;
    assert_eq!(s, 200, "{changed}");
    assert_eq!(
        lines(&changed),
        [
            line(0, "users", "100", 8_500, 850_000),
            line(1, "excluded_work", "5", 19_000, 95_000),
            line(2, "tax", "1", 94_500, 94_500),
        ]
    );
    assert_eq!(changed["total"], 1_039_500);
    assert_eq!(changed["version"], 2);
    assert_eq!(
        changed["lines"][2]["description"],
        "Tax 10% on USD 9,450.00"
    );
    // Someone still at version 1 changes nothing.
    let (s, p) = call(&app, "PATCH", &line1, &mara, "1", five.clone()).await;
    assert_eq!(s, 412, "{p}");
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("{url}/lines/0"),
            &mara,
            "1",
            json!({ "reason": "stale" })
        )
        .await
        .0,
        412
    );

    // A goodwill credit of $500.00 by hand: subtotal $9,450 - $500 =
    // $8,950.00; tax $895.00; total $9,845.00. It takes the next position
    // and the tax stays last.
    let lines_url = format!("{url}/lines");
    let (s, p) = call(
        &app,
        "POST",
        &lines_url,
        &mara,
        "2",
        json!({ "description": "Goodwill", "reason": "The outage" }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("amount")), "{p}");
    let (s, added) = call(
        &app,
        "POST",
        &lines_url,
        &mara,
        "2",
        json!({ "description": "Goodwill credit for the outage of 3 November", "amount": -50_000, "reason": "Four hours without e-mail" }),
    )
    .await;
    assert_eq!(s, 200, "{added}");
    assert_eq!(
        lines(&added),
        [
            line(0, "users", "100", 8_500, 850_000),
            line(1, "excluded_work", "5", 19_000, 95_000),
            line(3, "manual", "1", -50_000, -50_000),
            line(2, "tax", "1", 89_500, 89_500),
        ]
    );
    assert_eq!(added["total"], 984_500);
    // A one-off charge by quantity and unit price: 2.5 x $120.00 =
    // $300.00; subtotal $9,250.00; tax $925.00; total $10,175.00.
    let (s, charged) = call(
        &app,
        "POST",
        &lines_url,
        &mara,
        "3",
        json!({ "description": "Cabling on site", "quantity": "2.5", "unit_price": 12_000, "reason": "Asked for on the 20th" }),
    )
    .await;
    assert_eq!(s, 200, "{charged}");
    assert_eq!(charged["lines"][3]["amount"], 30_000);
    assert_eq!(charged["lines"][4]["amount"], 92_500);
    assert_eq!(charged["total"], 1_017_500);

    // The users line goes (billed yearly): subtotal $950 - $500 + $300 =
    // $750.00; tax $75.00; total $825.00.
    let (s, removed) = call(
        &app,
        "DELETE",
        &format!("{url}/lines/0"),
        &mara,
        "4",
        json!({ "reason": "Users are billed on the annual invoice" }),
    )
    .await;
    assert_eq!(s, 200, "{removed}");
    assert_eq!(
        lines(&removed),
        [
            line(1, "excluded_work", "5", 19_000, 95_000),
            line(3, "manual", "1", -50_000, -50_000),
            line(4, "manual", "2.5", 12_000, 30_000),
            line(2, "tax", "1", 7_500, 7_500),
        ]
    );
    assert_eq!(removed["total"], 82_500);
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("{url}/lines/0"),
            &mara,
            "5",
            json!({ "reason": "again" })
        )
        .await
        .0,
        404
    );
    // A new description and a lump sum: the credit becomes $400.00;
    // subtotal $850.00; tax $85.00; total $935.00.
    let (s, lump) = call(
        &app,
        "PATCH",
        &format!("{url}/lines/3"),
        &mara,
        "5",
        json!({ "description": "Goodwill credit, agreed with Priya", "amount": -40_000, "reason": "Agreed on the phone" }),
    )
    .await;
    assert_eq!(s, 200, "{lump}");
    assert_eq!(lump["total"], 93_500);

    // The history: who, what, before and after, and why; the client's
    // admin reads it too.
    let (s, read) = app.api("GET", &url, Some(&priya), None).await;
    assert_eq!(s, 200);
    let edits = read["edits"].as_array().unwrap();
    let summary: Vec<(&str, i64, i64, i64)> = edits
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["line"].as_i64().unwrap(),
                e["old_total"].as_i64().unwrap(),
                e["new_total"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("changed", 1, 1_060_400, 1_039_500),
            ("added", 3, 1_039_500, 984_500),
            ("added", 4, 984_500, 1_017_500),
            ("removed", 0, 1_017_500, 82_500),
            ("changed", 3, 82_500, 93_500),
        ]
    );
    assert_eq!(edits[0]["edited_by"], "Mara Okafor");
    assert_eq!(
        (
            edits[0]["old_amount"].as_i64(),
            edits[0]["new_amount"].as_i64()
        ),
        (Some(114_000), Some(95_000))
    );
    assert_eq!(edits[0]["reason"], "Five hours were agreed for the project");
    assert_eq!(edits[3]["old_description"], "100 users x USD 85.00");
    assert_eq!(edits[3]["new_amount"], Value::Null);
    assert_eq!(
        edits[4]["new_description"],
        "Goodwill credit, agreed with Priya"
    );

    // And every change is on the client's audit log.
    let (_, log) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/audit?limit=200"),
            Some(&priya),
            None,
        )
        .await;
    let acts: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_type"] == "invoice")
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        acts,
        [
            "invoice.line_change",
            "invoice.line_remove",
            "invoice.line_add",
            "invoice.line_add",
            "invoice.line_change",
            "invoice.draft"
        ]
    );

    // Issued, the lines are fixed: changing, adding and removing are
    // refused with words; so on a void invoice.
    let (s, issued) = call(
        &app,
        "POST",
        &format!("{url}/issue"),
        &mara,
        "6",
        json!(null),
    )
    .await;
    assert_eq!(s, 200, "{issued}");
    assert_eq!(issued["total"], 93_500);
    let (s, p) = call(&app, "PATCH", &line1, &mara, "7", five.clone()).await;
    assert_eq!(s, 409, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("issued invoice"),
        "{p}"
    );
    assert_eq!(
        call(
            &app,
            "POST",
            &lines_url,
            &mara,
            "7",
            json!({ "description": "Late", "amount": 100, "reason": "late" })
        )
        .await
        .0,
        409
    );
    assert_eq!(
        call(
            &app,
            "DELETE",
            &line1,
            &mara,
            "7",
            json!({ "reason": "late" })
        )
        .await
        .0,
        409
    );
    let (s, _) = call(
        &app,
        "POST",
        &format!("{url}/void"),
        &mara,
        "7",
        json!({ "reason": "Raised in error" }),
    )
    .await;
    assert_eq!(s, 200);
    let (s, p) = call(&app, "PATCH", &line1, &mara, "8", five).await;
    assert_eq!(s, 409, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("void"), "{p}");
}

#[tokio::test]
async fn a_line_under_an_open_dispute_waits_for_the_answer() {
    let app = TestApp::demo().await;
    let id = november_draft(&app).await;
    let (mara, priya) = (app.token(MARA).await, app.token(PRIYA).await);
    let url = format!("/api/v1/invoices/{id}");
    let (s, d) = call(
        &app,
        "POST",
        &format!("{url}/disputes"),
        &priya,
        "1",
        json!({ "line": 1, "reason": "Projects were agreed at a fixed price" }),
    )
    .await;
    assert_eq!(s, 200, "{d}");
    let dispute = d["disputes"][0]["id"].as_str().unwrap().to_owned();
    let (s, p) = call(
        &app,
        "PATCH",
        &format!("{url}/lines/1"),
        &mara,
        "2",
        json!({ "amount": 95_000, "reason": "Five hours" }),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("dispute"), "{p}");
    assert_eq!(
        call(
            &app,
            "DELETE",
            &format!("{url}/lines/1"),
            &mara,
            "2",
            json!({ "reason": "gone" })
        )
        .await
        .0,
        409
    );
    // The other lines stay open to change: users 90 x $85 = $7,650.00;
    // subtotal $7,650 + $1,140 = $8,790.00; tax $879.00; total $9,669.00.
    let (s, users) = call(
        &app,
        "PATCH",
        &format!("{url}/lines/0"),
        &mara,
        "2",
        json!({ "description": "90 users x USD 85.00", "quantity": "90", "reason": "Ten accounts were closed in October" }),
    )
    .await;
    assert_eq!(s, 200, "{users}");
    assert_eq!(users["total"], 966_900);
    // The answer's adjustment works the tax out the same way: projects
    // $950.00; subtotal $8,600.00; tax $860.00; total $9,460.00.
    let (s, answered) = call(
        &app,
        "POST",
        &format!("{url}/disputes/{dispute}/answer"),
        &mara,
        "3",
        json!({ "amount": 95_000, "answer": "Five hours, as agreed" }),
    )
    .await;
    assert_eq!(s, 200, "{answered}");
    assert_eq!(
        lines(&answered),
        [
            line(0, "users", "90", 8_500, 765_000),
            line(1, "excluded_work", "6", 19_000, 95_000),
            line(2, "tax", "1", 86_000, 86_000),
        ]
    );
    assert_eq!(answered["total"], 946_000);
    assert_eq!(
        answered["lines"][2]["description"],
        "Tax 10% on USD 8,600.00"
    );
    // Xero multiplies quantity by unit amount: a time line whose hours and
    // rate no longer make its amount goes as one of its amount.
    let res = app
        .send(
            axum::http::Request::get(format!("{url}?format=xero"))
                .header("authorization", format!("Bearer {mara}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let xero = text(res).await;
    assert!(
        xero.contains(",Excluded work: Projects at USD 190.00/h,1,950.00,200,Tax on Sales,USD"),
        "{xero}"
    );
    // Answered, the line may change again.
    let (s, _) = call(
        &app,
        "PATCH",
        &format!("{url}/lines/1"),
        &mara,
        "4",
        json!({ "description": "Projects: five hours as agreed", "reason": "Say so on the invoice" }),
    )
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn the_pages_change_a_draft_and_show_its_history_to_both_sides() {
    let app = TestApp::demo().await;
    let id = november_draft(&app).await;
    let page = format!("/invoices/{id}");
    let mut mara = app.browser(MARA).await;
    let html = text(mara.get(&page).await).await;
    assert!(
        html.contains(r#"id="edit-lines""#) && html.contains(r#"id="add-line""#),
        "{html}"
    );
    assert!(
        html.contains(&format!(r#"action="/invoices/{id}/lines/1""#)),
        "{html}"
    );
    assert!(
        !html.contains(&format!(r#"action="/invoices/{id}/lines/2""#)),
        "the tax has no form"
    );
    // Five hours by the form: the same sums as the API's.
    let res = mara
        .submit(
            &format!("{page}/lines/1"),
            &[
                ("version", "1"),
                ("description", "Excluded work: Projects at USD 190.00/h"),
                ("quantity", "5"),
                ("unit_price", "190.00"),
                ("amount", ""),
                ("reason", "Five hours were agreed"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let html = text(mara.get(&page).await).await;
    assert!(html.contains("USD 10,395.00"), "{html}");
    // A stale form changes nothing and says so.
    let res = mara
        .submit(
            &format!("{page}/lines"),
            &[
                ("version", "1"),
                ("description", "Goodwill"),
                ("amount", "-500.00"),
                ("reason", "The outage"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 412);
    assert!(text(res).await.contains("changed while you were looking"));
    let res = mara
        .submit(
            &format!("{page}/lines"),
            &[
                ("version", "2"),
                ("description", "Goodwill credit"),
                ("amount", "-500.00"),
                ("reason", "The outage"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let res = mara
        .submit(
            &format!("{page}/lines/0/remove"),
            &[("version", "3"), ("reason", "")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let res = mara
        .submit(
            &format!("{page}/lines/0/remove"),
            &[("version", "3"), ("reason", "Billed yearly")],
        )
        .await;
    assert_eq!(location(&res), page);
    // $950 - $500 = $450.00, tax $45.00, total $495.00.
    let html = text(mara.get(&page).await).await;
    assert!(html.contains("USD 495.00"), "{html}");

    // The client's admin reads the history, with no forms to change lines.
    let mut priya = app.browser(PRIYA).await;
    let html = text(priya.get(&page).await).await;
    assert!(html.contains(r#"id="line-edits""#), "{html}");
    assert!(
        html.contains("Changed: Excluded work: Projects at USD 190.00/h</strong> · Mara Okafor"),
        "{html}"
    );
    assert!(
        html.contains(
            "quantity 6 → 5; amount USD 1,140.00 → USD 950.00; total USD 10,604.00 → USD 10,395.00"
        ),
        "{html}"
    );
    assert!(html.contains("Because: Five hours were agreed"), "{html}");
    assert!(html.contains("Added: Goodwill credit"), "{html}");
    assert!(html.contains("Removed: 100 users x USD 85.00"), "{html}");
    assert!(!html.contains(r#"id="edit-lines""#), "{html}");
    let res = priya
        .submit(
            &format!("{page}/lines/1/remove"),
            &[("version", "4"), ("reason", "Not ours")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 403);
}

/// Retainers of $5,000 for Alder and Corvid from November; November and
/// December drafted. Returns `(alder's November, corvid's November)`.
async fn two_clients_two_months(app: &TestApp) -> (String, String) {
    for (slug, admin) in [("alder", PRIYA), ("corvid", BEN)] {
        let eng = app.engagement_of(slug).await;
        app.agreement(&eng, retainer_terms("2026-11-01"), true, Some(admin))
            .await;
    }
    let mara = app.token(MARA).await;
    let mut november = Vec::new();
    for period in ["2026-11", "2026-12"] {
        let (s, out) = app
            .api(
                "POST",
                "/api/v1/invoices/run",
                Some(&mara),
                Some(json!({ "period": period })),
            )
            .await;
        assert_eq!(s, 200, "{out}");
        assert_eq!(out["created"].as_array().unwrap().len(), 2, "{out}");
        if period == "2026-11" {
            november = out["created"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
        }
    }
    let mut alder = String::new();
    let mut corvid = String::new();
    for id in november {
        let (_, inv) = app
            .api("GET", &format!("/api/v1/invoices/{id}"), Some(&mara), None)
            .await;
        if inv["client_id"] == app.org("alder").as_str() {
            alder = id;
        } else {
            corvid = id;
        }
    }
    (alder, corvid)
}

async fn export(app: &TestApp, token: &str, query: &str) -> (u16, String, String) {
    let res = app
        .send(
            axum::http::Request::get(format!("/api/v1/invoices/export?{query}"))
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let status = res.status().as_u16();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, text(res).await)
}

#[tokio::test]
async fn a_month_exports_every_invoice_its_reader_may_see_and_no_other() {
    let app = TestApp::demo().await;
    let (alder_nov, corvid_nov) = two_clients_two_months(&app).await;
    let (mara, priya, ben, dev, luis) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(BEN).await,
        app.token(DEV).await,
        app.token(LUIS).await,
    );
    let ids = |body: &str| -> Vec<String> {
        let v: Value = serde_json::from_str(body).unwrap();
        let mut ids: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                assert_eq!(i["period"], "2026-11");
                assert_eq!(i["lines"][0]["amount"], 500_000);
                i["id"].as_str().unwrap().to_owned()
            })
            .collect();
        ids.sort();
        ids
    };
    // The provider's admin: both clients' November, not December.
    let (s, kind, body) = export(&app, &mara, "period=2026-11").await;
    assert_eq!((s, kind.as_str()), (200, "application/json"), "{body}");
    let mut both = vec![alder_nov.clone(), corvid_nov.clone()];
    both.sort();
    assert_eq!(ids(&body), both);
    // Each client's people: their own, never the other client's.
    let (s, _, body) = export(&app, &priya, "period=2026-11&format=json").await;
    assert_eq!(s, 200);
    assert_eq!(ids(&body), std::slice::from_ref(&alder_nov));
    let (_, _, body) = export(&app, &app.token(HELEN).await, "period=2026-11").await;
    assert_eq!(ids(&body), std::slice::from_ref(&alder_nov));
    let (_, _, body) = export(&app, &ben, "period=2026-11").await;
    assert_eq!(ids(&body), std::slice::from_ref(&corvid_nov));
    // A month without invoices is an empty list.
    let (s, _, body) = export(&app, &mara, "period=2026-10").await;
    assert_eq!((s, body.as_str()), (200, "[]"));

    // One sheet of every line, each row naming its invoice: the retainer
    // and the total of Alder's November, nothing of Corvid's.
    let (s, kind, csv) = export(&app, &priya, "period=2026-11&format=csv").await;
    assert_eq!((s, kind.as_str()), (200, "text/csv; charset=utf-8"));
    let rows: Vec<&str> = csv.split("\r\n").filter(|r| !r.is_empty()).collect();
    assert_eq!(
        rows[0],
        "invoice,number,status,client,provider,period,kind,description,quantity,unit_price,amount,currency,time_entries"
    );
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[1].starts_with(&format!(
            "{alder_nov},,draft,Alder & Finch Logistics,Harbor Lane IT Partners,2026-11,retainer,"
        )),
        "{csv}"
    );
    assert!(rows[1].ends_with(",1,5000.00,5000.00,USD,"), "{csv}");
    assert!(rows[2].contains(",2026-11,total,,,,5000.00,USD,"), "{csv}");
    assert!(!csv.contains(&corvid_nov), "{csv}");
    let (_, _, csv) = export(&app, &mara, "period=2026-11&format=csv").await;
    assert_eq!(
        csv.split("\r\n").filter(|r| !r.is_empty()).count(),
        5,
        "{csv}"
    );

    // Xero's import: one invoice number per invoice, void ones left out.
    let (s, _, xero) = export(&app, &mara, "period=2026-11&format=xero").await;
    assert_eq!(s, 200);
    let numbers: std::collections::BTreeSet<&str> = xero
        .split("\r\n")
        .skip(1)
        .filter(|r| !r.is_empty())
        .map(|r| r.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{xero}");
    let (s, _) = call(
        &app,
        "POST",
        &format!("/api/v1/invoices/{corvid_nov}/void"),
        &mara,
        "1",
        json!({ "reason": "Raised in error" }),
    )
    .await;
    assert_eq!(s, 200);
    let (_, _, xero) = export(&app, &mara, "period=2026-11&format=xero").await;
    assert!(xero.contains("Alder & Finch Logistics"), "{xero}");
    assert!(!xero.contains("Corvid"), "{xero}");
    let (_, _, csv) = export(&app, &mara, "period=2026-11&format=csv").await;
    assert!(csv.contains(&format!("{corvid_nov},,void,")), "{csv}");

    // A month not understood is a malformed request naming the field.
    for bad in ["period=2026-13", "period=November", "", "period="] {
        let res = app
            .api(
                "GET",
                &format!("/api/v1/invoices/export?{bad}"),
                Some(&mara),
                None,
            )
            .await;
        assert_eq!(
            (res.0.as_u16(), res.1["field"].as_str()),
            (400, Some("period")),
            "{bad}: {}",
            res.1
        );
    }
    let (s, p) = app
        .api(
            "GET",
            "/api/v1/invoices/export?period=2026-11&format=pdf",
            Some(&mara),
            None,
        )
        .await;
    assert_eq!((s.as_u16(), p["field"].as_str()), (400, Some("format")));
    // Those who read no invoices learn nothing.
    for who in [&dev, &luis] {
        assert_eq!(
            app.api(
                "GET",
                "/api/v1/invoices/export?period=2026-11",
                Some(who),
                None
            )
            .await
            .0,
            404
        );
    }

    // The list page offers the month's download; it answers as the API.
    let mut b = app.browser(PRIYA).await;
    let html = text(b.get("/invoices").await).await;
    assert!(html.contains(r#"id="export-invoices""#), "{html}");
    let res = b.get("/invoices/export?period=2026-11&format=csv").await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"invoices-2026-11.csv\""
    );
    let csv = text(res).await;
    assert!(
        csv.contains(&alder_nov) && !csv.contains(&corvid_nov),
        "{csv}"
    );
    let res = b.get("/invoices/export?period=soon&format=csv").await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(text(res).await.contains("use YYYY-MM"));
}
