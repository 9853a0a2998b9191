//! The proposal calculator over HTTP: the API and the page give the seed
//! case's figures, requesters are refused, and bad input names its field.
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::*;

fn example() -> Value {
    serde_json::from_str(include_str!("../../../docs/quote-example.json")).unwrap()
}

#[tokio::test]
async fn the_api_answers_the_seed_figures() {
    let app = TestApp::demo().await;
    for who in [MARA, PRIYA, HELEN] {
        let token = app.token(who).await;
        let (s, c) = app
            .api("POST", "/api/v1/quote", Some(&token), Some(example()))
            .await;
        assert_eq!(s, StatusCode::OK, "{who}: {c}");
        let hybrid = &c["proposals"][0];
        assert_eq!(hybrid["name"], "Hybrid");
        assert_eq!(
            hybrid["before_projects"],
            json!({ "low": 650_000, "high": 900_000 })
        );
        assert_eq!(
            hybrid["monthly"],
            json!({ "low": 950_000, "high": 1_300_000 })
        );
        assert_eq!(
            hybrid["annual"],
            json!({ "low": 11_400_000, "high": 15_600_000 })
        );
        assert_eq!(
            hybrid["effective_hourly"],
            json!({ "low": 9_500, "high": 13_000 })
        );
        assert_eq!(
            c["proposals"][2]["exposure"],
            json!({ "low": 540_000, "high": 600_000 })
        );
        assert_eq!(
            c["baseline"]["annual"],
            json!({ "low": 25_000_000, "high": 35_000_000 })
        );
        assert_eq!(c["currency"]["code"], "USD");
    }
    // The baseline may be left out: two senior engineers.
    let mut body = example();
    body.as_object_mut().unwrap().remove("baseline");
    let token = app.token(DEV).await;
    let (s, c) = app
        .api("POST", "/api/v1/quote", Some(&token), Some(body))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(
        c["baseline"]["monthly"],
        json!({ "low": 2_083_333, "high": 2_916_667 })
    );
}

#[tokio::test]
async fn requesters_and_strangers_may_not_compare() {
    let app = TestApp::demo().await;
    let luis = app.token(LUIS).await;
    let (s, p) = app
        .api("POST", "/api/v1/quote", Some(&luis), Some(example()))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{p}");
    let (s, _) = app
        .api("POST", "/api/v1/quote", None, Some(example()))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let mut b = app.browser(LUIS).await;
    assert_eq!(b.get("/quote").await.status(), StatusCode::FORBIDDEN);
    let page = text(b.get("/dashboard").await).await;
    assert!(
        !page.contains("Proposal calculator"),
        "no link for requesters"
    );
    let res = b
        .submit("/quote", &[("users", "100"), ("p1_name", "X")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_input_names_its_field() {
    let app = TestApp::demo().await;
    let token = app.token(PRIYA).await;
    let refuse = |body: Value| {
        let app = &app;
        let token = token.clone();
        async move {
            app.api("POST", "/api/v1/quote", Some(&token), Some(body))
                .await
        }
    };

    let mut body = example();
    body["proposals"][0]["per_user"] = json!({ "low": 9000, "high": 6500 });
    let (s, p) = refuse(body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "proposals.per_user");
    assert!(p["detail"].as_str().unwrap().contains("Hybrid"), "{p}");

    let mut body = example();
    body["proposals"][1]["in_scope"] = json!(["gardening"]);
    let (s, p) = refuse(body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "proposals.in_scope");

    // Absurd sizes are refused.
    let mut body = example();
    let one = body["proposals"][0].clone();
    body["proposals"] = Value::Array(vec![one; 11]);
    let (s, p) = refuse(body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "proposals");
    let mut body = example();
    body["profile"]["work"] = Value::Array(
        (0..51)
            .map(|i| json!({ "key": format!("c{i}"), "name": "Work", "hours": 1 }))
            .collect(),
    );
    let (s, p) = refuse(body).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "profile.work");

    // A body that is not a comparison at all says where it went wrong.
    let mut body = example();
    body["profile"]["users"] = json!("many");
    let (s, p) = refuse(body).await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{p}");
    assert_eq!(p["field"], "profile.users");
}

#[tokio::test]
async fn the_page_shows_the_seed_case_and_compares_what_is_typed() {
    let app = TestApp::demo().await;
    let mut b = app.browser(OWEN).await;
    let dashboard = text(b.get("/dashboard").await).await;
    assert!(dashboard.contains(r#"<a id="nav-quote" href="/quote">Proposal calculator</a>"#));

    let res = b.get("/quote").await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = text(res).await;
    assert!(page.contains("USD 6,500.00 - USD 9,000.00"), "{page}");
    assert!(page.contains("USD 6,500.00") && page.contains("USD 9,000.00"));
    assert!(page.contains("USD 250,000.00 - USD 350,000.00"));
    // The form carries the seed case.
    assert!(page.contains(r#"name="p1_user_low" value="65.00""#));
    assert!(page.contains(r#"name="p1_user_high" value="90.00""#));
    assert!(page.contains(r#"name="c0_name" value="Help desk""#));

    // One proposal of 50 users at $70-$80, everything in scope.
    let res = b
        .submit(
            "/quote",
            &[
                ("currency", "USD"),
                ("users", "50"),
                ("c0_key", "help-desk"),
                ("c0_name", "Help desk"),
                ("c0_hours", "20"),
                ("c0_after", "5"),
                ("s1_0", "on"),
                ("c1_key", ""),
                ("c1_name", "Projects"),
                ("c1_hours", "10"),
                ("c1_project", "on"),
                ("p1_name", "Acme IT"),
                ("p1_user_low", "70"),
                ("p1_user_high", "80"),
                ("p1_hourly_low", "150"),
                ("baseline_low", "120000"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = text(res).await;
    // 50 x $70 = $3,500.00; x $80 = $4,000.00 before the 10 project hours
    // at $150 ($1,500.00).
    assert!(page.contains("USD 3,500.00 - USD 4,000.00"), "{page}");
    assert!(page.contains("USD 5,000.00 - USD 5,500.00"), "{page}");
    assert!(
        page.contains("USD 10,000.00"),
        "the baseline a month: {page}"
    );
    // The form comes back as typed.
    assert!(page.contains(r#"name="p1_name" value="Acme IT""#));
    assert!(page.contains(r#"name="c1_name" value="Projects""#));

    // A range upside down: the form again, with the problem in words.
    let res = b
        .submit(
            "/quote",
            &[
                ("users", "50"),
                ("c0_name", "Help desk"),
                ("c0_hours", "20"),
                ("p1_name", "Acme IT"),
                ("p1_user_low", "80"),
                ("p1_user_high", "70"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(res).await;
    assert!(
        page.contains("Per user a month: Acme IT: the low end is above the high end"),
        "{page}"
    );
    assert!(page.contains(r#"name="p1_user_low" value="80""#));
}
