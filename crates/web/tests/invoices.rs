//! The monthly run and an invoice's life: a draft per agreement and month
//! (running again makes nothing new), issued with the provider's next
//! number (its time locked), void with a reason (then a corrected one), and
//! exports both sides can load elsewhere.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

/// A hybrid from 1 November 2026: 100 users at $85, projects (out of
/// scope) at $190/h in 15-minute steps, $250 per missed P2 target, 10% tax.
async fn activate(app: &TestApp) {
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
            "credits": { "p1": zero, "p2": { "kind": "fixed", "value": 25000 }, "p3": zero, "p4": zero },
            "credit_cap": null
        }),
        true,
        Some(PRIYA),
    )
    .await;
}

async fn run(app: &TestApp, token: &str, period: &str) -> (u16, Value) {
    let (s, v) = app
        .api(
            "POST",
            "/api/v1/invoices/run",
            Some(token),
            Some(json!({ "period": period })),
        )
        .await;
    (s.as_u16(), v)
}

#[tokio::test]
async fn a_month_becomes_one_invoice_that_adds_up_and_locks_its_time() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (mara, priya, dev, helen, luis, ben) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(HELEN).await,
        app.token(LUIS).await,
        app.token(BEN).await,
    );
    activate(&app).await;
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&priya),
            Some(json!({ "client_id": alder, "title": "New office network", "category": "projects", "impact": "low", "urgency": "low" })),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let ticket = t["id"].as_str().unwrap().to_owned();
    // 5 h 50 min of project work rounds up to 6 h; in-scope network work
    // is covered; the in-house team's hour is never billed.
    for (who, minutes, category) in [
        (&dev, 350, "projects"),
        (&dev, 60, "network"),
        (&app.token(OWEN).await, 60, "projects"),
    ] {
        let (s, e) = app
            .api(
                "POST",
                &format!("/api/v1/tickets/{ticket}/time"),
                Some(who),
                Some(json!({ "minutes": minutes, "category": category, "started_at": "2026-11-16T15:00:00Z" })),
            )
            .await;
        assert_eq!(s, 201, "{e}");
    }

    // Only the provider's admin runs the month.
    for who in [&priya, &dev, &helen] {
        assert_eq!(run(&app, who, "2026-11").await.0, 403);
    }
    assert_eq!(run(&app, &luis, "2026-11").await.0, 404);
    let (s, p) = run(&app, &mara, "November").await;
    assert_eq!((s, p["field"].as_str()), (422, Some("period")), "{p}");
    let (s, out) = run(&app, &mara, "2026-11").await;
    assert_eq!(s, 200, "{out}");
    let created = out["created"].as_array().unwrap();
    assert_eq!(created.len(), 1, "{out}");
    let id = created[0].as_str().unwrap().to_owned();
    // Again: nothing new.
    let (_, again) = run(&app, &mara, "2026-11").await;
    assert_eq!(again["created"], json!([]));
    assert_eq!(again["existing"], 1);
    // October is before the agreement.
    let (_, october) = run(&app, &mara, "2026-10").await;
    assert_eq!(october["created"], json!([]));

    // Users $8,500.00; projects 6 h x $190 = $1,140.00; subtotal
    // $9,640.00; tax 10% $964.00; total $10,604.00.
    let url = format!("/api/v1/invoices/{id}");
    let (s, inv) = app.api("GET", &url, Some(&helen), None).await;
    assert_eq!(s, 200, "{inv}");
    let lines: Vec<(&str, i64)> = inv["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["kind"].as_str().unwrap(), l["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            ("users", 850_000),
            ("excluded_work", 114_000),
            ("tax", 96_400)
        ]
    );
    assert_eq!(inv["total"], 1_060_400);
    assert_eq!(inv["status"], "draft");
    assert_eq!(inv["lines"][1]["quantity"], "6");
    assert_eq!(inv["lines"][1]["work_ids"].as_array().unwrap().len(), 1);
    assert_eq!(inv["client_name"], "Alder & Finch Logistics");

    // Both sides read it; engineers, requesters and strangers do not.
    for who in [&priya, &mara, &app.token(OWEN).await] {
        assert_eq!(app.api("GET", &url, Some(who), None).await.0, 200);
    }
    for who in [&dev, &luis, &ben] {
        assert_eq!(app.api("GET", &url, Some(who), None).await.0, 404);
    }
    let (_, mine) = app
        .api("GET", "/api/v1/invoices?period=2026-11", Some(&priya), None)
        .await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    let (_, theirs) = app.api("GET", "/api/v1/invoices", Some(&ben), None).await;
    assert_eq!(theirs, json!([]));

    // Exports: the lines as CSV, and Xero's columns without our tax line.
    let res = app
        .send(
            axum::http::Request::get(format!("{url}?format=csv"))
                .header("authorization", format!("Bearer {priya}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = text(res).await;
    assert!(
        csv.starts_with("kind,description,quantity,unit_price,amount,currency,time_entries\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains("users,100 users x USD 85.00,100,85.00,8500.00,USD,\r\n"),
        "{csv}"
    );
    assert!(csv.ends_with("total,,,,10604.00,USD,\r\n"), "{csv}");
    let res = app
        .send(
            axum::http::Request::get(format!("{url}?format=xero"))
                .header("authorization", format!("Bearer {priya}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    let xero = text(res).await;
    assert!(xero.starts_with("*ContactName,*InvoiceNumber,Reference,*InvoiceDate,*DueDate,*Description,*Quantity,*UnitAmount,*AccountCode,*TaxType,Currency\r\n"), "{xero}");
    assert!(
        xero.contains("Excluded work: Projects at USD 190.00/h,6,190.00,200,Tax on Sales,USD"),
        "{xero}"
    );
    assert!(!xero.contains("Tax 10%"), "{xero}");
    assert_eq!(
        app.api("GET", &format!("{url}?format=pdf"), Some(&priya), None)
            .await
            .0,
        422
    );

    // Issuing: the provider's admin, at the current version; the number is
    // the provider's first and the time is locked.
    let issue = |who: &str, v: &str| {
        let who = who.to_owned();
        let v = v.to_owned();
        let url = format!("{url}/issue");
        let app = &app;
        async move {
            let (s, body) = app
                .api_with("POST", &url, Some(&who), None, &[("if-match", &v)])
                .await;
            (s.as_u16(), body)
        }
    };
    assert_eq!(issue(&priya, "1").await.0, 403);
    assert_eq!(issue(&mara, "7").await.0, 412);
    let (s, issued) = issue(&mara, "1").await;
    assert_eq!(s, 200, "{issued}");
    assert_eq!(issued["status"], "issued");
    assert_eq!(issued["number"], 1);
    assert_eq!(issue(&mara, "2").await.0, 409, "issued once");
    let (_, time) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{ticket}/time"),
            Some(&priya),
            None,
        )
        .await;
    let locked: Vec<bool> = time["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["invoice_id"] == id.as_str())
        .collect();
    assert_eq!(
        locked,
        [true, true, false],
        "provider entries locked, in-house not: {time}"
    );

    // Void with a reason; then the month can be invoiced again.
    let void = format!("{url}/void");
    let (s, p) = app
        .api_with(
            "POST",
            &void,
            Some(&mara),
            Some(json!({ "reason": "" })),
            &[("if-match", "2")],
        )
        .await;
    assert_eq!((s.as_u16(), p["field"].as_str()), (422, Some("reason")));
    let (s, voided) = app
        .api_with(
            "POST",
            &void,
            Some(&mara),
            Some(json!({ "reason": "Projects were agreed at a fixed price" })),
            &[("if-match", "2")],
        )
        .await;
    assert_eq!(s, 200, "{voided}");
    assert_eq!(voided["status"], "void");
    let (_, rerun) = run(&app, &mara, "2026-11").await;
    assert_eq!(rerun["created"].as_array().unwrap().len(), 1, "{rerun}");

    // Every step is on the client's audit log.
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
            "invoice.draft",
            "invoice.void",
            "invoice.issue",
            "invoice.draft"
        ]
    );
}

#[tokio::test]
async fn both_sides_read_and_print_an_invoice_the_provider_makes_on_its_pages() {
    let app = TestApp::demo().await;
    activate(&app).await;
    // Last month, so that the leadership chart (the twelve months before
    // now) still shows it however long after the agreement began this runs.
    let period = last_month();
    let mut mara = app.browser(MARA).await;
    let res = mara
        .submit("/invoices/run", &[("period", period.as_str())])
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let html = text(res).await;
    assert!(
        html.contains(&format!("{period}: 1 drafted, 0 already invoiced.")),
        "{html}"
    );
    let res = mara.submit("/invoices/run", &[("period", "soon")]).await;
    assert_eq!(res.status().as_u16(), 422);
    let (_, list) = app
        .api(
            "GET",
            "/api/v1/invoices",
            Some(&app.token(MARA).await),
            None,
        )
        .await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let page = format!("/invoices/{id}");
    let html = text(mara.get(&page).await).await;
    // 100 users x $85, nothing else this month, 10% tax.
    assert!(html.contains("100 users x USD 85.00"), "{html}");
    assert!(html.contains("USD 9,350.00"), "{html}");
    assert!(html.contains(r#"id="issue-invoice""#), "{html}");
    let res = mara.get(&format!("{page}/export?format=xero")).await;
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        text(res)
            .await
            .contains(&format!("Alder & Finch Logistics,DRAFT-{period}"))
    );
    // The client's admin disputes the users line; the provider keeps it,
    // explaining why; both read the exchange on the invoice.
    let mut priya = app.browser(PRIYA).await;
    let html = text(priya.get(&page).await).await;
    assert!(html.contains(r#"id="dispute-line""#), "{html}");
    let res = priya
        .submit(
            &format!("{page}/disputes"),
            &[
                ("version", "1"),
                ("line", "0"),
                ("reason", "We have 92 users"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let html = text(mara.get(&page).await).await;
    assert!(
        html.contains("We have 92 users") && html.contains("answer-dispute"),
        "{html}"
    );
    let dispute = html
        .split("/disputes/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap()
        .to_owned();
    let answer = format!("{page}/disputes/{dispute}/answer");
    let res = mara
        .submit(
            &answer,
            &[("version", "2"), ("amount", "eighty"), ("answer", "x")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let res = mara
        .submit(
            &answer,
            &[
                ("version", "2"),
                ("amount", ""),
                ("answer", "The agreement fixes 100 users"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let html = text(priya.get(&page).await).await;
    assert!(
        html.contains("Answer (kept): The agreement fixes 100 users"),
        "{html}"
    );
    let res = mara
        .submit(&format!("{page}/issue"), &[("version", "3")])
        .await;
    assert_eq!(location(&res), page);
    let res = mara
        .submit(&format!("{page}/issue"), &[("version", "4")])
        .await;
    assert_eq!(res.status().as_u16(), 409);

    // The client reads it, numbered, with no buttons; engineers do not.
    for who in [PRIYA, HELEN] {
        let mut b = app.browser(who).await;
        let html = text(b.get(&page).await).await;
        assert!(html.contains("Invoice INV-00001"), "{who}: {html}");
        assert!(
            !html.contains("issue-invoice") && !html.contains("void-invoice"),
            "{who}"
        );
        assert!(text(b.get("/invoices").await).await.contains(&page));
    }
    // Leadership sees the month's cost by kind of charge, as a chart and
    // in figures: $8,500 base, no credits, $9,350 with tax.
    let html = text(app.browser(HELEN).await.get("/invoices").await).await;
    assert!(
        html.contains(r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart""#),
        "{html}"
    );
    assert!(
        html.contains(&format!("<td>{period}</td><td>USD 8,500.00</td><td>USD 0.00</td><td>USD 0.00</td><td>USD 0.00</td><td>USD 0.00</td><td>USD 9,350.00</td>")),
        "{html}"
    );
    let mut dev = app.browser(DEV).await;
    assert_eq!(dev.get(&page).await.status().as_u16(), 404);
    assert!(
        !text(dev.get("/dashboard").await)
            .await
            .contains("nav-invoices")
    );
}

#[tokio::test]
async fn the_invoice_day_drafts_the_month_before_once() {
    let app = TestApp::demo().await;
    activate(&app).await;
    let day = |d: i8| jiff::civil::date(2026, 12, d);
    // The agreement's invoice day is the 1st: on the 6th (a server down on
    // the 1st catches up) November is drafted, once.
    assert_eq!(app.tandem.run_due_invoices(day(6)).await.unwrap(), 1);
    assert_eq!(app.tandem.run_due_invoices(day(6)).await.unwrap(), 0);
    let (_, list) = app
        .api(
            "GET",
            "/api/v1/invoices",
            Some(&app.token(PRIYA).await),
            None,
        )
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["period"], "2026-11");
    assert_eq!(list[0]["status"], "draft");
    // October is before the agreement: nothing on the November run either.
    assert_eq!(
        app.tandem
            .run_due_invoices(jiff::civil::date(2026, 11, 2))
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_client_disputes_a_line_and_the_provider_answers_before_issuing() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (mara, priya, helen, dev) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(HELEN).await,
        app.token(DEV).await,
    );
    activate(&app).await;
    let (_, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&priya),
            Some(json!({ "client_id": alder, "title": "New office network", "category": "projects", "impact": "low", "urgency": "low" })),
        )
        .await;
    let ticket = t["id"].as_str().unwrap();
    app.api(
        "POST",
        &format!("/api/v1/tickets/{ticket}/time"),
        Some(&dev),
        Some(json!({ "minutes": 350, "started_at": "2026-11-16T15:00:00Z" })),
    )
    .await;
    let (_, out) = run(&app, &mara, "2026-11").await;
    let id = out["created"][0].as_str().unwrap().to_owned();
    let url = format!("/api/v1/invoices/{id}");
    let post = |who: String, path: String, v: &'static str, body: Value| {
        let app = &app;
        async move {
            let (s, b) = app
                .api_with("POST", &path, Some(&who), Some(body), &[("if-match", v)])
                .await;
            (s.as_u16(), b)
        }
    };
    let disputes = format!("{url}/disputes");
    let why = json!({ "line": 1, "reason": "Projects were agreed at a fixed price" });
    // Only the client's admin disputes, a line that is not the tax, saying why.
    assert_eq!(
        post(helen.clone(), disputes.clone(), "1", why.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        post(mara.clone(), disputes.clone(), "1", why.clone())
            .await
            .0,
        403
    );
    assert_eq!(
        post(dev.clone(), disputes.clone(), "1", why.clone())
            .await
            .0,
        404
    );
    let (s, p) = post(
        priya.clone(),
        disputes.clone(),
        "1",
        json!({ "line": 2, "reason": "tax" }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("position")), "{p}");
    let (s, p) = post(
        priya.clone(),
        disputes.clone(),
        "1",
        json!({ "line": 1, "reason": " " }),
    )
    .await;
    assert_eq!((s, p["field"].as_str()), (422, Some("reason")), "{p}");
    let (s, disputed) = post(priya.clone(), disputes.clone(), "1", why).await;
    assert_eq!(s, 200, "{disputed}");
    let dispute = disputed["disputes"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(disputed["disputes"][0]["raised_by"], "Priya Nair");
    // Not issued while a line is disputed.
    assert_eq!(
        post(mara.clone(), format!("{url}/issue"), "2", json!(null))
            .await
            .0,
        409
    );

    // The provider adjusts the line to 5 hours ($950); the tax follows:
    // 10% of $8,500 + $950 = $945; total $10,395.
    let answer = format!("{disputes}/{dispute}/answer");
    assert_eq!(
        post(
            priya.clone(),
            answer.clone(),
            "2",
            json!({ "answer": "no" })
        )
        .await
        .0,
        403
    );
    let (s, answered) = post(
        mara.clone(),
        answer.clone(),
        "2",
        json!({ "amount": 95_000, "answer": "Five hours, as agreed" }),
    )
    .await;
    assert_eq!(s, 200, "{answered}");
    let amounts: Vec<i64> = answered["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["amount"].as_i64().unwrap())
        .collect();
    assert_eq!(amounts, [850_000, 95_000, 94_500]);
    assert_eq!(answered["total"], 1_039_500);
    let d = &answered["disputes"][0];
    assert_eq!(
        (
            d["outcome"].as_str(),
            d["old_amount"].as_i64(),
            d["new_amount"].as_i64()
        ),
        (Some("adjusted"), Some(114_000), Some(95_000))
    );
    assert_eq!(
        post(mara.clone(), answer, "3", json!({ "answer": "again" }))
            .await
            .0,
        409
    );

    // A second dispute is answered by keeping the line; then it is issued.
    let (_, again) = post(
        priya.clone(),
        disputes.clone(),
        "3",
        json!({ "line": 0, "reason": "We have 92 users" }),
    )
    .await;
    let second = again["disputes"][1]["id"].as_str().unwrap().to_owned();
    let (s, kept) = post(
        mara.clone(),
        format!("{disputes}/{second}/answer"),
        "4",
        json!({ "answer": "The agreement fixes 100 users" }),
    )
    .await;
    assert_eq!(s, 200, "{kept}");
    assert_eq!(kept["disputes"][1]["outcome"], "kept");
    assert_eq!(kept["total"], 1_039_500);
    let (s, issued) = post(mara.clone(), format!("{url}/issue"), "5", json!(null)).await;
    assert_eq!(s, 200, "{issued}");
    assert_eq!(
        post(
            priya.clone(),
            disputes,
            "6",
            json!({ "line": 0, "reason": "late" })
        )
        .await
        .0,
        409
    );
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
            "invoice.issue",
            "invoice.answer",
            "invoice.dispute",
            "invoice.answer",
            "invoice.dispute",
            "invoice.draft"
        ]
    );
}
