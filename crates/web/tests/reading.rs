//! The desk as people read it: every time in the reader's own zone (named
//! once on the page), deadlines as countdowns with the exact local time on
//! hover, and words instead of the store's codes.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

/// Codes that must never reach a page's text. Attribute values (option
/// values, classes, data attributes) are not text and may keep them.
const CODES: &[&str] = &[
    "in_house",
    "in_progress",
    "waiting_on_customer",
    "waiting_on_vendor",
    "on_hold",
    "provider->in_house",
    "in_house->provider",
    "provider_admin",
    "provider_engineer",
    "client_admin",
    "client_technician",
    "client_viewer",
    "business_hours",
    "after_hours",
    "Opened via",
    "help-desk",
];

/// The text a person reads: tags dropped, entities decoded.
fn visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => in_tag = true,
            (true, '>') => {
                in_tag = false;
                out.push(' ');
            }
            (false, c) => out.push(c),
            (true, _) => {}
        }
    }
    out.replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#38;", "&")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

/// The codes found in a page's text, with the lowercase priority codes.
fn codes_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = CODES
        .iter()
        .filter(|c| text.contains(**c))
        .map(|c| (*c).to_owned())
        .collect();
    for p in ["p1", "p2", "p3", "p4"] {
        let lone = text.match_indices(p).any(|(i, _)| {
            !text[..i].ends_with(|c: char| c.is_alphanumeric())
                && !text[i + 2..].starts_with(|c: char| c.is_alphanumeric())
        });
        if lone {
            found.push(p.to_owned());
        }
    }
    found
}

async fn open(app: &TestApp, token: &str, client: &str, title: &str) -> Value {
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(token),
            Some(json!({ "client_id": client, "title": title, "category": "help-desk", "impact": "medium", "urgency": "medium" })),
        )
        .await;
    assert_eq!(s, 201, "opening {title}: {t}");
    t
}

async fn ticket(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, t) = app
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "{t}");
    t["ticket"].clone()
}

/// Give the client a business calendar in `zone`, as its admin would.
async fn calendar(app: &TestApp, admin: &str, client: &str, zone: &str) {
    let (s, body) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{client}/calendar"),
            Some(admin),
            Some(json!({ "time_zone": zone, "windows": [{ "day": "mon", "start": "09:00", "end": "17:00" }] })),
        )
        .await;
    assert_eq!(s, 204, "{body}");
}

async fn page(app: &TestApp, email: &str, path: &str) -> (u16, String) {
    let mut b = app.browser(email).await;
    let res = b.get(path).await;
    let status = res.status().as_u16();
    (status, text(res).await)
}

fn local(ms: i64, zone: &str, pattern: &str) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .unwrap()
        .to_zoned_datetime(jiff::tz::TimeZone::get(zone).unwrap())
        .strftime(pattern)
        .to_string()
}

#[tokio::test]
async fn times_are_in_the_readers_zone_and_deadlines_count_down() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, mara) = (app.token(PRIYA).await, app.token(MARA).await);
    calendar(&app, &priya, &alder, "America/Chicago").await;

    // Client staff read in their calendar's zone, provider staff in the
    // provider's; each page names the zone once.
    let (_, html) = page(&app, PRIYA, "/tickets").await;
    assert!(
        html.contains("Times are shown in America/Chicago (your organization"),
        "{html}"
    );
    let (_, html) = page(&app, MARA, "/tickets").await;
    assert!(html.contains("Times are shown in America/Denver"), "{html}");
    let (_, me) = app.api("GET", "/api/v1/me", Some(&mara), None).await;
    assert_eq!(me["time_zone"], "America/Denver");
    assert_eq!(me["own_time_zone"], Value::Null);

    let t = open(&app, &priya, &alder, "Scanner on floor 2 jams").await;
    let id = t["id"].as_str().unwrap();
    let due = ticket(&app, &priya, id).await["response"]["due"]
        .as_i64()
        .unwrap();
    let (_, html) = page(&app, PRIYA, &format!("/tickets/{id}")).await;
    let hover = local(due, "America/Chicago", "%a %-d %b %Y, %H:%M %Z");
    assert!(hover.ends_with("CST") || hover.ends_with("CDT"), "{hover}");
    let countdown = format!("data-due=\"{due}\" title=\"{hover}\">due in ");
    assert!(
        html.contains(&countdown),
        "no local countdown {countdown:?} in {html}"
    );
    assert_eq!(html.matches(" UTC").count(), 0, "UTC after a time: {html}");
    // The queue shows the same deadline as its time to breach.
    let (_, queue) = page(&app, PRIYA, "/tickets?view=all").await;
    assert!(queue.contains(&countdown), "{queue}");

    // A zone of one's own wins, on the API and on every page.
    let (s, me) = app
        .api(
            "PUT",
            "/api/v1/me/time-zone",
            Some(&priya),
            Some(json!({ "time_zone": "Asia/Tokyo" })),
        )
        .await;
    assert_eq!(s, 200, "{me}");
    assert_eq!(me["time_zone"], "Asia/Tokyo");
    assert_eq!(me["own_time_zone"], "Asia/Tokyo");
    let (_, html) = page(&app, PRIYA, &format!("/tickets/{id}")).await;
    let tokyo = local(due, "Asia/Tokyo", "%a %-d %b %Y, %H:%M %Z");
    assert!(html.contains(&format!("title=\"{tokyo}\"")), "{html}");
    assert!(html.contains("Times are shown in Asia/Tokyo ·"), "{html}");
    let opened = local(
        t["created_at"].as_i64().unwrap(),
        "Asia/Tokyo",
        "%-d %b %Y %H:%M",
    );
    assert!(
        html.contains(&format!(">{opened}</time>")),
        "timeline not in Tokyo time {opened}: {html}"
    );

    // A zone nobody knows is refused with its field, and nothing changes.
    let (s, problem) = app
        .api(
            "PUT",
            "/api/v1/me/time-zone",
            Some(&priya),
            Some(json!({ "time_zone": "Mars/Olympus_Mons" })),
        )
        .await;
    assert_eq!(s, 422, "{problem}");
    assert_eq!(problem["field"], "time_zone");
    let (_, me) = app.api("GET", "/api/v1/me", Some(&priya), None).await;
    assert_eq!(me["time_zone"], "Asia/Tokyo");

    // The account page sets it too, and an empty choice goes back to the
    // organization's zone.
    let mut b = app.browser(PRIYA).await;
    let res = b
        .submit("/account/time-zone", &[("time_zone", "Europe/Lisbon")])
        .await;
    assert_eq!(location(&res), "/account#zone");
    let account = text(b.get("/account").await).await;
    assert!(
        account.contains(r#"<option value="Europe/Lisbon" selected>"#),
        "{account}"
    );
    let res = b.submit("/account/time-zone", &[("time_zone", "")]).await;
    assert_eq!(location(&res), "/account#zone");
    let (_, me) = app.api("GET", "/api/v1/me", Some(&priya), None).await;
    assert_eq!(me["time_zone"], "America/Chicago");
    assert_eq!(me["own_time_zone"], Value::Null);
    let res = b
        .submit("/account/time-zone", &[("time_zone", "Nowhere/Special")])
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(text(res).await.contains("is not a known IANA time zone"));

    // The provider admin sets the provider's zone; its staff follow unless
    // they chose their own.
    let provider = app.org("harborlane");
    let (s, org) = app
        .api(
            "PUT",
            &format!("/api/v1/orgs/{provider}/settings"),
            Some(&mara),
            Some(json!({ "require_totp": false, "time_zone": "Europe/Dublin" })),
        )
        .await;
    assert_eq!(s, 200, "{org}");
    assert_eq!(org["time_zone"], "Europe/Dublin");
    let (_, html) = page(&app, DEV, "/tickets").await;
    assert!(html.contains("Times are shown in Europe/Dublin"), "{html}");
    // Nobody else may set it.
    let dev = app.token(DEV).await;
    let (s, _) = app
        .api(
            "PUT",
            &format!("/api/v1/orgs/{provider}/settings"),
            Some(&dev),
            Some(json!({ "require_totp": false, "time_zone": "Asia/Tokyo" })),
        )
        .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn pages_speak_words_not_codes() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, dev, luis) = (
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(LUIS).await,
    );
    calendar(&app, &priya, &alder, "America/Chicago").await;
    // A ticket with a history of every coded kind: opened through the API,
    // handed to the provider and back, worked, a team note.
    let t = open(&app, &luis, &alder, "Shared drive is read-only").await;
    let id = t["id"].as_str().unwrap().to_owned();
    for (who, reason) in [
        (&priya, "The file server is the provider's"),
        (&dev, "Permissions are set by the in-house team"),
    ] {
        let version = ticket(&app, who, &id).await["version"].as_i64().unwrap();
        let (s, body) = app
            .api_with(
                "POST",
                &format!("/api/v1/tickets/{id}/handoff"),
                Some(who),
                Some(json!({ "reason": reason })),
                &[("if-match", &format!("\"{version}\""))],
            )
            .await;
        assert_eq!(s, 200, "{body}");
    }
    let version = ticket(&app, &priya, &id).await["version"].as_i64().unwrap();
    let (s, body) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{id}"),
            Some(&priya),
            Some(json!({ "status": "in_progress" })),
            &[("if-match", &format!("\"{version}\""))],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/comments"),
            Some(&dev),
            Some(json!({ "body": "Checked the share's ACL", "visibility": "team" })),
        )
        .await;
    assert_eq!(s, 201);
    while app.tandem.run_jobs(100).await.unwrap() > 0 {}

    let ticket_page = format!("/tickets/{id}");
    let pages = [
        "/dashboard",
        "/tickets",
        "/tickets?view=all",
        "/tickets?view=breaching_soon",
        ticket_page.as_str(),
        "/tickets/new",
        "/notifications",
        "/account",
        "/people",
        "/engagements",
        "/desk",
        "/agreements",
        "/invoices",
    ];
    let mut checked = 0;
    for who in [MARA, DEV, PRIYA, OWEN, HELEN, LUIS] {
        for path in pages {
            let (status, html) = page(&app, who, path).await;
            if status != 200 {
                continue;
            }
            checked += 1;
            let words = visible_text(&html);
            let found = codes_in(&words);
            assert!(
                found.is_empty(),
                "{who} reads codes {found:?} on {path}: {words}"
            );
        }
    }
    assert!(checked >= 40, "only {checked} pages were read");

    // The timeline tells the history in words, and people by name.
    let (status, html) = page(&app, PRIYA, &ticket_page).await;
    assert_eq!(status, 200, "{html}");
    let words = visible_text(&html);
    for expected in [
        "Opened through the API",
        // Which side the ticket starts on depends on the hour it is opened;
        // the two hand-offs go one way and back.
        ". Reason: The file server is the provider's",
        "Handed off: In-house → provider",
        "Handed off: Provider → in-house",
        "Status: New → In progress",
        "Team note",
        "Dev Ramanathan",
        "Luis Romero",
        "In progress",
        "In-house",
    ] {
        assert!(words.contains(expected), "{expected:?} missing: {words}");
    }
    assert!(!words.contains(DEV), "an e-mail on the timeline: {words}");
    // The client's own people see no Client column; the provider does.
    assert!(
        !html_of(&app, PRIYA, "/tickets?view=all")
            .await
            .contains("<th>Client</th>")
    );
    assert!(
        html_of(&app, DEV, "/tickets?view=all")
            .await
            .contains("<th>Client</th>")
    );

    // The check itself finds what it looks for.
    assert_eq!(
        codes_in("Owner in_house · P2 · p3 · status waiting_on_vendor"),
        ["in_house", "waiting_on_vendor", "p3"]
    );
    assert!(codes_in("help p2p").is_empty());
}

async fn html_of(app: &TestApp, email: &str, path: &str) -> String {
    page(app, email, path).await.1
}
