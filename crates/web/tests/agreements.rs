//! Agreements, two-party: the provider's admin drafts and proposes, the
//! client's admin accepts or rejects with a reason; one is active per
//! engagement, the rest is history; both sides read it, nobody else.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

const TOMASZ_ONLY_CORVID: &str = TOMASZ;

/// A hybrid: $85 per user for 100 users, excluded work at $190/h, a credit
/// per missed target and a cap.
fn hybrid_terms() -> Value {
    json!({
        "currency": { "code": "USD", "decimals": 2 },
        "starts_on": "2026-12-01",
        "ends_on": null,
        "invoice_day": 1,
        "payment_days": 30,
        "tax_bps": null,
        "pricing": {
            "per_user": { "rate": 8500, "counting": { "kind": "fixed", "users": 100 }, "minimum": 0 },
            "per_device": null,
            "retainer": null,
            "hourly": null,
            "blocks": null,
            "excluded_rate": 19000,
            "rounding": { "increment_minutes": 15, "minimum_minutes": 0, "after_hours_bps": 15000 }
        },
        "credits": {
            "p1": { "kind": "share_of_base", "value": 500 },
            "p2": { "kind": "fixed", "value": 25000 },
            "p3": { "kind": "fixed", "value": 5000 },
            "p4": { "kind": "fixed", "value": 0 }
        },
        "credit_cap": { "kind": "share_of_base", "value": 1500 },
        "inclusions": ["Patching of all workstations"],
        "exclusions": ["Projects over 8 hours"]
    })
}

async fn step(
    app: &TestApp,
    token: &str,
    id: &str,
    what: &str,
    version: i64,
    body: Option<Value>,
) -> (u16, Value) {
    let (s, v) = app
        .api_with(
            "POST",
            &format!("/api/v1/agreements/{id}/{what}"),
            Some(token),
            body,
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    (s.as_u16(), v)
}

async fn draft(app: &TestApp, mara: &str, engagement: &str, terms: Value) -> Value {
    let (s, a) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{engagement}/agreements"),
            Some(mara),
            Some(terms),
        )
        .await;
    assert_eq!(s, 201, "{a}");
    a
}

#[tokio::test]
async fn the_provider_proposes_and_the_client_decides() {
    let app = TestApp::demo().await;
    let (mara, priya, dev, helen) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(HELEN).await,
    );
    let eng = app.engagement_of("alder").await;

    // Only the provider's admin drafts.
    for who in [&priya, &dev, &helen] {
        let (s, body) = app
            .api(
                "POST",
                &format!("/api/v1/engagements/{eng}/agreements"),
                Some(who),
                Some(hybrid_terms()),
            )
            .await;
        assert_eq!(s, 403, "{body}");
    }
    // "Best effort" is not an SLA: a P3 without a consequence cannot go out.
    let mut vague = hybrid_terms();
    vague["credits"].as_object_mut().unwrap().remove("p3");
    let first = draft(&app, &mara, &eng, vague).await;
    assert_eq!(first["status"], "draft");
    assert_eq!(
        first["problems"],
        json!(["P3 has no consequence for a missed target"])
    );
    let id = first["id"].as_str().unwrap().to_owned();
    let (s, problem) = step(&app, &mara, &id, "propose", 1, None).await;
    assert_eq!(s, 422, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("P3 has no consequence")
    );

    // Revising needs the version read; a stale one changes nothing.
    let (s, _) = app
        .api_with(
            "PUT",
            &format!("/api/v1/agreements/{id}"),
            Some(&mara),
            Some(hybrid_terms()),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(s, 412);
    let (s, _) = app
        .api(
            "PUT",
            &format!("/api/v1/agreements/{id}"),
            Some(&mara),
            Some(hybrid_terms()),
        )
        .await;
    assert_eq!(s, 428);
    let (s, revised) = app
        .api_with(
            "PUT",
            &format!("/api/v1/agreements/{id}"),
            Some(&mara),
            Some(hybrid_terms()),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, 200, "{revised}");
    assert_eq!(revised["problems"], json!([]));
    assert_eq!(revised["version"], 2);

    // The client's admin cannot accept a draft, nor can anyone but them
    // accept a proposal.
    let (s, _) = step(&app, &priya, &id, "accept", 2, None).await;
    assert_eq!(s, 409);
    let (s, proposed) = step(&app, &mara, &id, "propose", 2, None).await;
    assert_eq!(s, 200, "{proposed}");
    assert_eq!(proposed["status"], "proposed");
    for who in [&mara, &dev, &helen] {
        let (s, _) = step(&app, who, &id, "accept", 3, None).await;
        assert_eq!(s, 403);
    }
    // A rejection says why.
    let (s, problem) = step(
        &app,
        &priya,
        &id,
        "reject",
        3,
        Some(json!({ "reason": "  " })),
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(problem["field"], "reason");
    let (s, rejected) = step(
        &app,
        &priya,
        &id,
        "reject",
        3,
        Some(json!({ "reason": "Projects must be in scope up to 4 hours" })),
    )
    .await;
    assert_eq!(s, 200, "{rejected}");
    assert_eq!(rejected["status"], "rejected");
    let (_, seen) = app
        .api(
            "GET",
            &format!("/api/v1/agreements/{id}"),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!(
        seen["reject_reason"],
        "Projects must be in scope up to 4 hours"
    );

    // A second proposal is accepted and becomes the active one; a third
    // replaces it, and the second ends.
    let second = draft(&app, &mara, &eng, hybrid_terms()).await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    assert_eq!(
        step(&app, &mara, &second_id, "propose", 1, None).await.0,
        200
    );
    let (s, active) = step(&app, &priya, &second_id, "accept", 2, None).await;
    assert_eq!(s, 200, "{active}");
    assert_eq!(active["status"], "active");
    let mut cheaper = hybrid_terms();
    cheaper["pricing"]["per_user"]["rate"] = json!(7900);
    let third = draft(&app, &mara, &eng, cheaper).await;
    let third_id = third["id"].as_str().unwrap().to_owned();
    assert_eq!(
        step(&app, &mara, &third_id, "propose", 1, None).await.0,
        200
    );
    assert_eq!(
        step(&app, &priya, &third_id, "accept", 2, None).await.0,
        200
    );
    let (_, history) = app
        .api(
            "GET",
            &format!("/api/v1/engagements/{eng}/agreements"),
            Some(&helen),
            None,
        )
        .await;
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "ended", "rejected"]);
    assert_eq!(history[0]["terms"]["pricing"]["per_user"]["rate"], 7900);
    assert!(history[1]["ended_at"].is_i64());

    // Both acts are on the client's audit log, by who did them.
    let alder = app.org("alder");
    let (_, log) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/audit?limit=200"),
            Some(&priya),
            None,
        )
        .await;
    let acts: Vec<(String, String)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_type"] == "agreement")
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["actor_label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (action, who) in [
        ("agreement.propose", MARA),
        ("agreement.reject", PRIYA),
        ("agreement.accept", PRIYA),
        ("agreement.draft", MARA),
    ] {
        assert!(
            acts.contains(&(action.to_owned(), who.to_owned())),
            "{action} by {who} missing: {acts:?}"
        );
    }
}

#[tokio::test]
async fn nobody_outside_the_engagement_reads_its_agreements() {
    let app = TestApp::demo().await;
    let (mara, priya, dev) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(DEV).await,
    );
    let eng = app.engagement_of("alder").await;
    let a = draft(&app, &mara, &eng, hybrid_terms()).await;
    let id = a["id"].as_str().unwrap().to_owned();
    let one = format!("/api/v1/agreements/{id}");
    let list = format!("/api/v1/engagements/{eng}/agreements");

    // Both sides read it: the client's staff (viewer included) and the
    // engineer assigned to the client.
    for who in [PRIYA, OWEN, HELEN, DEV, MARA] {
        let t = app.token(who).await;
        assert_eq!(app.api("GET", &one, Some(&t), None).await.0, 200, "{who}");
        assert_eq!(app.api("GET", &list, Some(&t), None).await.0, 200, "{who}");
    }
    // A requester, another client's admin and an engineer of another
    // client learn nothing, not even that it exists.
    for who in [LUIS, BEN, TOMASZ_ONLY_CORVID] {
        let t = app.token(who).await;
        assert_eq!(app.api("GET", &one, Some(&t), None).await.0, 404, "{who}");
        assert_eq!(app.api("GET", &list, Some(&t), None).await.0, 404, "{who}");
        let (s, _) = step(&app, &t, &id, "propose", 1, None).await;
        assert_eq!(s, 404, "{who} proposing");
    }

    // When the engagement ends, the engineer's access ends with it; the
    // client keeps its history and nobody drafts for a dead engagement.
    let (s, body) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{eng}/end"),
            Some(&priya),
            None,
        )
        .await;
    assert!(s.is_success(), "{body}");
    assert_eq!(app.api("GET", &one, Some(&dev), None).await.0, 404);
    assert_eq!(app.api("GET", &one, Some(&priya), None).await.0, 200);
    assert_eq!(app.api("GET", &one, Some(&mara), None).await.0, 200);
    let (s, body) = app
        .api("POST", &list, Some(&mara), Some(hybrid_terms()))
        .await;
    assert_eq!(s, 409, "{body}");
    assert_eq!(step(&app, &mara, &id, "propose", 1, None).await.0, 409);
}

#[tokio::test]
async fn terms_no_agreement_can_mean_are_refused_with_their_field() {
    let app = TestApp::demo().await;
    let mara = app.token(MARA).await;
    let eng = app.engagement_of("alder").await;
    let url = format!("/api/v1/engagements/{eng}/agreements");
    let mut t = hybrid_terms();
    t["invoice_day"] = json!(31);
    let (s, p) = app.api("POST", &url, Some(&mara), Some(t)).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["field"], "invoice_day");
    let mut t = hybrid_terms();
    t["currency"]["code"] = json!(12);
    let (s, p) = app.api("POST", &url, Some(&mara), Some(t)).await;
    assert_eq!(s, 400, "{p}");
    let (_, list) = app.api("GET", &url, Some(&mara), None).await;
    assert_eq!(list, json!([]), "nothing was stored");
}

#[tokio::test]
async fn both_admins_work_an_agreement_on_its_page() {
    let app = TestApp::demo().await;
    let mara_token = app.token(MARA).await;
    let eng = app.engagement_of("alder").await;
    let page = format!("/agreements?engagement={eng}");

    let mut mara = app.browser(MARA).await;
    let res = mara
        .submit(
            &format!("/agreements/{eng}/draft"),
            &[
                ("currency", "USD"),
                ("starts_on", "2026-12-01"),
                ("per_user_rate", "85"),
                ("users", "100"),
                ("excluded_rate", "190.00"),
                ("after_hours", "1.5"),
                ("credit_p1", "5%"),
                ("credit_p2", "250"),
                ("credit_p3", "50"),
                ("credit_cap", "15%"),
                ("inclusions", "Patching of all workstations"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let html = text(mara.get(&page).await).await;
    // No consequence for P4 yet: the page says what stops it.
    assert!(html.contains("Not ready to propose"), "{html}");
    assert!(
        html.contains("P4 has no consequence for a missed target"),
        "{html}"
    );
    assert!(
        html.contains("USD 85.00 a month per user (100 users as agreed)"),
        "{html}"
    );
    assert!(
        html.contains("credit 5% of the month&#39;s base")
            || html.contains("credit 5% of the month's base"),
        "{html}"
    );
    // A bad amount is refused with the form kept.
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/engagements/{eng}/agreements"),
            Some(&mara_token),
            None,
        )
        .await;
    let id = list[0]["id"].as_str().unwrap().to_owned();
    let res = mara
        .submit(
            &format!("/agreements/{eng}/draft"),
            &[
                ("agreement_id", &id),
                ("version", "1"),
                ("starts_on", "2026-12-01"),
                ("per_user_rate", "85.001"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    let body = text(res).await;
    assert!(body.contains("is not an amount in USD"), "{body}");
    assert!(
        body.contains(r#"value="85.001""#),
        "the form lost what was typed: {body}"
    );

    // The revision adds P4; then it goes out.
    let res = mara
        .submit(
            &format!("/agreements/{eng}/draft"),
            &[
                ("agreement_id", &id),
                ("version", "1"),
                ("starts_on", "2026-12-01"),
                ("per_user_rate", "85"),
                ("users", "100"),
                ("credit_p1", "5%"),
                ("credit_p2", "250"),
                ("credit_p3", "50"),
                ("credit_p4", "0"),
            ],
        )
        .await;
    assert_eq!(location(&res), page);
    let res = mara
        .submit(
            &format!("/agreements/{eng}/{id}/propose"),
            &[("version", "2")],
        )
        .await;
    assert_eq!(location(&res), page);

    // The client's admin sees the proposal, never the provider's drafts,
    // and accepts it.
    let mut priya = app.browser(PRIYA).await;
    let html = text(priya.get(&page).await).await;
    assert!(html.contains("Proposed, awaiting the client"), "{html}");
    assert!(html.contains(r#"id="accept-agreement""#), "{html}");
    assert!(!html.contains("Save draft"), "{html}");
    let res = priya
        .submit(
            &format!("/agreements/{eng}/{id}/accept"),
            &[("version", "3")],
        )
        .await;
    assert_eq!(location(&res), page);
    let html = text(priya.get(&page).await).await;
    assert!(html.contains(r#"id="active-agreement""#), "{html}");
    assert!(html.contains("Active since"), "{html}");
    // Accepting it twice is refused, and says why.
    let res = priya
        .submit(
            &format!("/agreements/{eng}/{id}/accept"),
            &[("version", "4")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 409);
    assert!(
        text(res)
            .await
            .contains("the agreement is active, not proposed")
    );
    // The viewer reads it too, with no buttons.
    let html = text(app.browser(HELEN).await.get(&page).await).await;
    assert!(html.contains("USD 85.00 a month per user"), "{html}");
    assert!(!html.contains("accept-agreement") && !html.contains("Save draft"));
}
