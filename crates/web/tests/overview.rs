//! A client's overview: the pages past their review date, what ends
//! within the horizon and the credentials due for rotation, for IT staff of
//! both sides, and for no one else; never a credential's value.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

fn names(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            v["name"]
                .as_str()
                .or(v["title"].as_str())
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Alder gets one stale page and one reviewed in time, an asset ending
/// soon and one ending after the horizon, and a credential due soon and
/// one due later, all written by Priya (Alder's admin).
async fn alder_with_records(app: &TestApp) -> String {
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let create = |path: String, body: Value| {
        let priya = priya.clone();
        async move {
            let (s, b) = app.api("POST", &path, Some(&priya), Some(body)).await;
            assert_eq!(s, 201, "{path}: {b}");
        }
    };
    let pages = format!("/api/v1/clients/{alder}/pages");
    create(
        pages.clone(),
        json!({"title": "Overview stale runbook", "body": "x", "review_on": day(-5)}),
    )
    .await;
    create(
        pages,
        json!({"title": "Overview fresh runbook", "body": "x", "review_on": day(30)}),
    )
    .await;
    let assets = format!("/api/v1/clients/{alder}/assets");
    create(assets.clone(), json!({"name": "overview-soon-fw", "asset_type": "network_device", "warranty_end": day(10)})).await;
    create(assets, json!({"name": "overview-later-fw", "asset_type": "network_device", "warranty_end": day(200)})).await;
    let secrets = format!("/api/v1/clients/{alder}/secrets");
    create(secrets.clone(), json!({"name": "Overview soon credential", "secret": "s3cret-overview-soon", "rotation_due_on": day(7)})).await;
    create(secrets, json!({"name": "Overview later credential", "secret": "s3cret-overview-later", "rotation_due_on": day(300)})).await;
    alder
}

#[tokio::test]
async fn both_sides_see_what_needs_attention_within_the_horizon_and_nothing_later() {
    let app = TestApp::demo().await;
    let alder = alder_with_records(&app).await;
    for who in [PRIYA, DEV, HELEN] {
        let token = app.token(who).await;
        let (s, o) = app
            .api(
                "GET",
                &format!("/api/v1/clients/{alder}/overview?days=60"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(s, 200, "{who}: {o}");
        assert_eq!(o["horizon_days"], 60);
        let stale = names(&o["stale_pages"]);
        assert!(
            stale.contains(&"Overview stale runbook".to_owned()),
            "{who}: {stale:?}"
        );
        assert!(
            !stale.contains(&"Overview fresh runbook".to_owned()),
            "{who}: {stale:?}"
        );
        let ending = names(&o["expiring"]);
        assert!(
            ending.contains(&"overview-soon-fw".to_owned()),
            "{who}: {ending:?}"
        );
        assert!(
            !ending.contains(&"overview-later-fw".to_owned()),
            "{who}: {ending:?}"
        );
        let due = names(&o["secrets_due"]);
        assert!(
            due.contains(&"Overview soon credential".to_owned()),
            "{who}: {due:?}"
        );
        assert!(
            !due.contains(&"Overview later credential".to_owned()),
            "{who}: {due:?}"
        );
        assert!(
            !o.to_string().contains("s3cret-overview"),
            "the overview never carries a credential's value"
        );
    }
    // A longer horizon brings the later ones in.
    let priya = app.token(PRIYA).await;
    let (_, o) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/overview?days=365"),
            Some(&priya),
            None,
        )
        .await;
    assert!(names(&o["expiring"]).contains(&"overview-later-fw".to_owned()));
    assert!(names(&o["secrets_due"]).contains(&"Overview later credential".to_owned()));
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/overview?days=-1"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn requesters_strangers_and_departed_engineers_are_told_nothing() {
    let app = TestApp::demo().await;
    let alder = alder_with_records(&app).await;
    let path = format!("/api/v1/clients/{alder}/overview");
    for who in [LUIS, TOMASZ, BEN] {
        let token = app.token(who).await;
        let (s, b) = app.api("GET", &path, Some(&token), None).await;
        assert_eq!(s, 404, "{who}: {b}");
        assert!(!b.to_string().contains("Overview"), "{who}: {b}");
    }
    // Dev reads it while engaged, and not after the engagement ends.
    let dev = app.token(DEV).await;
    assert_eq!(app.api("GET", &path, Some(&dev), None).await.0, 200);
    let engagement = app.engagement_of("alder").await;
    let priya = app.token(PRIYA).await;
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{engagement}/end"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(app.api("GET", &path, Some(&dev), None).await.0, 404);
}

#[tokio::test]
async fn the_overview_page_links_each_item_to_its_record() {
    let app = TestApp::demo().await;
    let alder = alder_with_records(&app).await;
    let mut b = app.browser(OWEN).await;
    let res = b.get(&format!("/overview?client={alder}")).await;
    assert_eq!(res.status(), 200);
    let html = text(res).await;
    for (section, name) in [
        ("overview-stale-pages", "Overview stale runbook"),
        ("overview-expiring", "overview-soon-fw"),
        ("overview-rotation", "Overview soon credential"),
    ] {
        let at = html
            .find(&format!("id=\"{section}\""))
            .unwrap_or_else(|| panic!("{section} missing"));
        assert!(html[at..].contains(name), "{name} under {section}");
    }
    assert!(html.contains("href=\"/documents/"));
    assert!(html.contains(&format!("?client={alder}\">overview-soon-fw")));
    assert!(html.contains(&format!("href=\"/vault/{alder}/secrets/")));
    assert!(!html.contains("overview-later-fw"));
    assert!(!html.contains("s3cret-overview"));
}
