//! The client's asset records through the API: adding, reading and
//! changing them with custom fields checked against their kind, the
//! filtered list with its cursor, relations that never leak a ticket,
//! expiry reminders on the client's own day (once, and again after the
//! date moves) with a ticket routed by the split, certificates read from
//! PEM, the CSV import's mapping and dry run, the export, and who may do
//! what. Per-device billing still counts hardware only.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

const CERT_PEM: &str = "-----BEGIN CERTIFICATE-----
MIIB4jCCAYmgAwIBAgIUa/ANRc5q36YL3tGZaWHZ+tF8AgwwCgYIKoZIzj0EAwIw
MDEaMBgGA1UEAwwRd3d3LmFsZGVyLmV4YW1wbGUxEjAQBgNVBAoMCUFsZGVyIEx0
ZDAeFw0yNjEyMDYyMjM2MTRaFw0yODAxMTAyMjM2MTRaMDAxGjAYBgNVBAMMEXd3
dy5hbGRlci5leGFtcGxlMRIwEAYDVQQKDAlBbGRlciBMdGQwWTATBgcqhkjOPQIB
BggqhkjOPQMBBwNCAAQ/Cs0jRm2mIhfrHhz0e36B09NL0/OHwfkkKu2YzSNabzRn
It1CVKattcfJQdpqkm78iXiSC9iiBVH4hnf/8nZvo4GAMH4wHQYDVR0OBBYEFA8P
uQed8IhxMLzTt6XqvOVgxZDSMB8GA1UdIwQYMBaAFA8PuQed8IhxMLzTt6XqvOVg
xZDSMA8GA1UdEwEB/wQFMAMBAf8wKwYDVR0RBCQwIoIRd3d3LmFsZGVyLmV4YW1w
bGWCDWFsZGVyLmV4YW1wbGUwCgYIKoZIzj0EAwIDRwAwRAIgCMSYzuCW65FKg6T/
SEwZfd1eGAUoV0X3l8sFMscq5LYCIFEl+LJwicfklq/f04y+CbeEYI7krojl7AjD
c3BZzt0e
-----END CERTIFICATE-----
";

fn assets_path(app: &TestApp, slug: &str) -> String {
    format!("/api/v1/clients/{}/assets", app.org(slug))
}

async fn add(app: &TestApp, token: &str, slug: &str, body: Value) -> Value {
    let (s, a) = app
        .api("POST", &assets_path(app, slug), Some(token), Some(body))
        .await;
    assert_eq!(s, 201, "{a}");
    a
}

/// Epoch milliseconds of an RFC 3339 instant.
fn at(instant: &str) -> i64 {
    instant.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// Run the reminder sweep at `instant` until nothing more is due, then
/// deliver the notifications it queued. Returns how many it announced.
async fn sweep(app: &TestApp, instant: &str) -> usize {
    let mut fired = 0;
    for _ in 0..10 {
        fired += app.tandem.sweep_asset_reminders(at(instant)).await.unwrap();
    }
    app.tandem.run_jobs(500).await.unwrap();
    fired
}

/// Alder's assets of one type as `token` exports them (CSV).
async fn export(
    app: &TestApp,
    token: &str,
    asset_type: &str,
) -> axum::http::Response<axum::body::Body> {
    app.send(
        axum::http::Request::builder()
            .uri(format!(
                "{}/export?type={asset_type}",
                assets_path(app, "alder")
            ))
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
}

/// Alder's tickets `token` finds with the search `words`.
async fn alder_tickets(app: &TestApp, token: &str, words: &str) -> Vec<Value> {
    let (s, tickets) = app
        .api(
            "GET",
            &format!("/api/v1/tickets?client_id={}&q={words}", app.org("alder")),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{tickets}");
    tickets.as_array().unwrap().clone()
}

/// Alder's domain renewals open tickets in security operations (the
/// provider's in the demo's split), 30 days ahead.
async fn domain_reminders_open_tickets(app: &TestApp, admin: &str) {
    let rules = format!(
        "/api/v1/clients/{}/asset-reminders/domain_renewal",
        app.org("alder")
    );
    let (s, b) = app
        .api("PUT", &rules, Some(admin), Some(json!({ "days_before": 30, "open_ticket": true, "category": "security-operations" })))
        .await;
    assert_eq!(s, 200, "{b}");
}

/// The texts of `token`'s notifications mentioning `needle`.
async fn heard(app: &TestApp, token: &str, needle: &str) -> Vec<String> {
    let (s, list) = app
        .api("GET", "/api/v1/notifications", Some(token), None)
        .await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["text"].as_str())
        .filter(|t| t.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// Put the client's business calendar (and so its dates) in `zone`.
async fn calendar_zone(app: &TestApp, token: &str, slug: &str, zone: &str) {
    let (s, b) = app
        .api(
            "PUT",
            &format!("/api/v1/clients/{}/calendar", app.org(slug)),
            Some(token),
            Some(json!({ "time_zone": zone, "windows": [{ "day": "mon", "start": "08:00", "end": "18:00" }], "holidays": [], "yearly_holidays": [] })),
        )
        .await;
    assert_eq!(s, 204, "{b}");
}

#[tokio::test]
async fn an_asset_is_added_read_and_changed_with_custom_fields_checked_by_kind() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let owen = app.token(OWEN).await;
    let fields = format!("/api/v1/clients/{}/asset-fields", app.org("alder"));
    // Custom fields are the admins' to define.
    let (s, _) = app
        .api(
            "POST",
            &fields,
            Some(&owen),
            Some(json!({ "asset_type": "workstation", "name": "RAM GB", "kind": "number" })),
        )
        .await;
    assert_eq!(s, 403);
    for (name, kind) in [
        ("RAM GB", "number"),
        ("Encrypted", "bool"),
        ("Lease ends", "date"),
    ] {
        let (s, b) = app
            .api(
                "POST",
                &fields,
                Some(&priya),
                Some(json!({ "asset_type": "workstation", "name": name, "kind": kind })),
            )
            .await;
        assert_eq!(s, 201, "{b}");
    }
    let (s, _) = app
        .api(
            "POST",
            &fields,
            Some(&priya),
            Some(json!({ "asset_type": "workstation", "name": "ram gb", "kind": "text" })),
        )
        .await;
    assert_eq!(s, 409, "a field name is unique per type");

    // A technician adds an asset; a value must fit its field's kind.
    let (s, b) = app
        .api("POST", &assets_path(&app, "alder"), Some(&owen), Some(json!({
            "name": "CAD-07", "asset_type": "workstation", "custom_fields": { "RAM GB": "lots" } })))
        .await;
    assert_eq!(s, 422, "{b}");
    assert!(b["detail"].as_str().unwrap().contains("RAM GB"), "{b}");
    let (s, b) = app
        .api(
            "POST",
            &assets_path(&app, "alder"),
            Some(&owen),
            Some(json!({
            "name": "CAD-07", "asset_type": "workstation", "custom_fields": { "Colour": "red" } })),
        )
        .await;
    assert_eq!(s, 422, "an unknown field is refused: {b}");
    let (s, b) = app
        .api(
            "POST",
            &assets_path(&app, "alder"),
            Some(&owen),
            Some(json!({
            "name": "CAD-07", "asset_type": "workstation", "renewal_on": "2027-01-01" })),
        )
        .await;
    assert_eq!(s, 422, "a workstation has no renewal date: {b}");
    let a = add(&app, &owen, "alder", json!({
        "name": "CAD-07", "asset_type": "workstation", "owner": "Design team", "location": "Room 2.14",
        "serial": "SN-99812", "vendor": "Lenovo", "acquired_on": "2025-03-01", "warranty_end": "2028-02-28",
        "notes": "Dual monitors", "custom_fields": { "RAM GB": "32.0", "Encrypted": "yes", "Lease ends": "2028-03-31" } })).await;
    let id = a["id"].as_str().unwrap();
    assert_eq!(a["next_expiry"], "2028-02-28");
    let one = format!("{}/{id}", assets_path(&app, "alder"));
    let (s, r) = app.api("GET", &one, Some(&priya), None).await;
    assert_eq!(s, 200);
    assert_eq!(r["asset"]["serial"], "SN-99812");
    let value = |r: &Value, name: &str| {
        r["custom_fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(value(&r, "RAM GB"), "32");
    assert_eq!(value(&r, "Encrypted"), "true");
    assert_eq!(value(&r, "Lease ends"), "2028-03-31");

    // Changes carry the version; a stale one is refused.
    let (s, _) = app
        .api_with(
            "PATCH",
            &one,
            Some(&owen),
            Some(json!({ "location": "Room 3" })),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(s, 412);
    let (s, b) = app
        .api_with(
            "PATCH",
            &one,
            Some(&owen),
            Some(json!({ "location": "Room 3", "warranty_end": null,
            "custom_fields": { "RAM GB": "64", "Encrypted": "" } })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 2);
    assert_eq!(b["location"], "Room 3");
    assert_eq!(b["next_expiry"], Value::Null);
    let (_, r) = app.api("GET", &one, Some(&priya), None).await;
    assert_eq!(value(&r, "RAM GB"), "64");
    assert_eq!(value(&r, "Encrypted"), Value::Null);
    assert_eq!(r["asset"]["serial"], "SN-99812", "absent fields stay");
    let (s, _) = app
        .api_with(
            "PATCH",
            &one,
            Some(&owen),
            Some(json!({ "custom_fields": { "Lease ends": "31/03/2028" } })),
            &[("if-match", "\"2\"")],
        )
        .await;
    assert_eq!(s, 422);
}

#[tokio::test]
async fn the_list_filters_by_type_status_text_and_expiry_and_pages_by_cursor() {
    let app = TestApp::demo().await;
    let owen = app.token(OWEN).await;
    let today = today();
    let soon = today
        .checked_add(jiff::Span::new().days(10))
        .unwrap()
        .to_string();
    let later = today
        .checked_add(jiff::Span::new().days(200))
        .unwrap()
        .to_string();
    for i in 0..7 {
        add(
            &app,
            &owen,
            "alder",
            json!({ "name": format!("ZZ Licence {i}"), "asset_type": "software_licence",
            "vendor": "Zebra Soft", "renewal_on": if i < 3 { &soon } else { &later } }),
        )
        .await;
    }
    add(
        &app,
        &owen,
        "alder",
        json!({ "name": "ZZ Old licence", "asset_type": "software_licence",
        "vendor": "Zebra Soft", "status": "retired", "retired_on": "2025-01-01" }),
    )
    .await;
    let base = assets_path(&app, "alder");
    let names = |page: &Value| -> Vec<String> {
        page["assets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap().to_owned())
            .collect()
    };
    // Text matches vendor (any case); pages of three follow the cursor.
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let url = match &after {
            Some(a) => format!(
                "{base}?type=software_licence&q=zebra%20SOFT&status=active&limit=3&after={}",
                a.replace(' ', "%20")
            ),
            None => format!("{base}?type=software_licence&q=zebra%20SOFT&status=active&limit=3"),
        };
        let (s, page) = app.api("GET", &url, Some(&owen), None).await;
        assert_eq!(s, 200, "{page}");
        all.extend(names(&page));
        match page["next_after"].as_str() {
            Some(n) => after = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(
        all,
        (0..7)
            .map(|i| format!("ZZ Licence {i}"))
            .collect::<Vec<_>>()
    );
    let (_, page) = app
        .api(
            "GET",
            &format!("{base}?q=zebra&expiring_within=30"),
            Some(&owen),
            None,
        )
        .await;
    assert_eq!(
        names(&page),
        vec!["ZZ Licence 0", "ZZ Licence 1", "ZZ Licence 2"]
    );
    let (_, page) = app
        .api(
            "GET",
            &format!("{base}?q=zebra&status=retired"),
            Some(&owen),
            None,
        )
        .await;
    assert_eq!(names(&page), vec!["ZZ Old licence"]);
    let (_, page) = app
        .api(
            "GET",
            &format!("{base}?q=zebra&type=domain"),
            Some(&owen),
            None,
        )
        .await;
    assert!(names(&page).is_empty());
    // The overview's upcoming dates: the same three, soonest first.
    let (s, soon_list) = app
        .api(
            "GET",
            &format!("{base}/expiring?days=30"),
            Some(&owen),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let ours: Vec<&Value> = soon_list
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"].as_str().unwrap().starts_with("ZZ"))
        .collect();
    assert_eq!(ours.len(), 3);
    assert!(ours.iter().all(|e| e["kind"] == "licence_renewal"));
}

#[tokio::test]
async fn relations_reach_the_clients_own_assets_and_tickets_and_never_leak_a_title() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let helen = app.token(HELEN).await;
    let ben = app.token(BEN).await;
    let a = add(
        &app,
        &priya,
        "alder",
        json!({ "name": "Core switch", "asset_type": "network_device" }),
    )
    .await;
    let b = add(
        &app,
        &priya,
        "alder",
        json!({ "name": "Edge firewall", "asset_type": "network_device" }),
    )
    .await;
    let (s, t) = app
        .api("POST", "/api/v1/tickets", Some(&priya), Some(json!({ "client_id": app.org("alder"),
            "title": "Switch port flapping", "category": "network", "impact": "low", "urgency": "low" })))
        .await;
    assert_eq!(s, 201);
    let (s, foreign) = app
        .api("POST", "/api/v1/tickets", Some(&ben), Some(json!({ "client_id": app.org("corvid"),
            "title": "Corvid secret project", "category": "network", "impact": "low", "urgency": "low" })))
        .await;
    assert_eq!(s, 201);
    let links = format!(
        "{}/{}/links",
        assets_path(&app, "alder"),
        a["id"].as_str().unwrap()
    );
    let (s, l) = app
        .api(
            "POST",
            &links,
            Some(&priya),
            Some(json!({ "target_kind": "ticket", "target_id": t["id"] })),
        )
        .await;
    assert_eq!(s, 201, "{l}");
    assert!(
        l["title"]
            .as_str()
            .unwrap()
            .contains("Switch port flapping")
    );
    // Another client's ticket is not found, the same as a missing one.
    let (s, body) = app
        .api(
            "POST",
            &links,
            Some(&priya),
            Some(json!({ "target_kind": "ticket", "target_id": foreign["id"] })),
        )
        .await;
    assert_eq!(s, 404);
    assert!(!body.to_string().contains("Corvid secret project"));
    let (s, _) = app
        .api("POST", &links, Some(&priya), Some(json!({ "target_kind": "ticket", "target_id": "0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f70" })))
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api(
            "POST",
            &links,
            Some(&priya),
            Some(json!({ "target_kind": "asset", "target_id": b["id"] })),
        )
        .await;
    assert_eq!(s, 201);
    // A page and a credential of the client: their titles show; a missing
    // one, or another client's, is not found.
    let alder = app.org("alder");
    let (s, page) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/pages"),
            Some(&priya),
            Some(json!({ "title": "Switch stack runbook", "body": "Reboot order" })),
        )
        .await;
    assert_eq!(s, 201, "{page}");
    let (s, secret) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/secrets"),
            Some(&priya),
            Some(json!({ "name": "Switch admin", "secret": "never-shown-1" })),
        )
        .await;
    assert_eq!(s, 201, "{secret}");
    let (s, corvid_page) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{}/pages", app.org("corvid")),
            Some(&ben),
            Some(json!({ "title": "Corvid private runbook", "body": "x" })),
        )
        .await;
    assert_eq!(s, 201, "{corvid_page}");
    for (kind, id) in [
        ("secret", json!("0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f71")),
        ("page", json!("0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f72")),
        ("page", corvid_page["id"].clone()),
    ] {
        let (s, body) = app
            .api(
                "POST",
                &links,
                Some(&priya),
                Some(json!({ "target_kind": kind, "target_id": id })),
            )
            .await;
        assert_eq!(s, 404, "{kind} {id}: {body}");
        assert!(!body.to_string().contains("Corvid private runbook"));
    }
    let (s, l) = app
        .api(
            "POST",
            &links,
            Some(&priya),
            Some(json!({ "target_kind": "page", "target_id": page["id"] })),
        )
        .await;
    assert_eq!(s, 201, "{l}");
    assert_eq!(l["title"], "Switch stack runbook");
    // The page lists the asset in turn.
    let page_path = format!(
        "/api/v1/clients/{alder}/pages/{}",
        page["id"].as_str().unwrap()
    );
    let (s, p) = app.api("GET", &page_path, Some(&helen), None).await;
    assert_eq!(s, 200, "{p}");
    assert_eq!(p["assets"][0]["name"], "Core switch");
    let (s, l) = app
        .api(
            "POST",
            &links,
            Some(&priya),
            Some(json!({ "target_kind": "secret", "target_id": secret["id"] })),
        )
        .await;
    assert_eq!(s, 201, "{l}");
    assert_eq!(l["title"], "Switch admin");
    assert!(!l.to_string().contains("never-shown-1"));
    let (s, _) = app
        .api(
            "POST",
            &links,
            Some(&priya),
            Some(json!({ "target_kind": "asset", "target_id": b["id"] })),
        )
        .await;
    assert_eq!(s, 409, "a relation once");
    // The viewer reads them; it may not add one.
    let one = format!(
        "{}/{}",
        assets_path(&app, "alder"),
        a["id"].as_str().unwrap()
    );
    let (s, r) = app.api("GET", &one, Some(&helen), None).await;
    assert_eq!(s, 200);
    let got: Vec<(String, Value)> = r["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["target_kind"].as_str().unwrap().to_owned(),
                l["title"].clone(),
            )
        })
        .collect();
    assert_eq!(got.len(), 4);
    let ticket_title = got[0].1.as_str().unwrap_or_default();
    assert!(
        ticket_title.contains("Switch port flapping"),
        "the viewer may read the ticket, so sees its title: {got:?}"
    );
    assert_eq!(got[1], ("asset".to_owned(), json!("Edge firewall")));
    assert_eq!(got[2], ("page".to_owned(), json!("Switch stack runbook")));
    assert_eq!(got[3], ("secret".to_owned(), json!("Switch admin")));
    let (s, _) = app
        .api(
            "POST",
            &links,
            Some(&helen),
            Some(json!({ "target_kind": "asset", "target_id": b["id"] })),
        )
        .await;
    assert_eq!(s, 403);
    // A requester of the same client cannot reach the asset, nor so the
    // ticket's title through it.
    let luis = app.token(LUIS).await;
    let (s, body) = app.api("GET", &one, Some(&luis), None).await;
    assert_eq!(s, 404);
    assert!(!body.to_string().contains("Switch port flapping"));
    let link_id = r["links"][0]["id"].as_str().unwrap();
    let (s, _) = app
        .api("DELETE", &format!("{links}/{link_id}"), Some(&priya), None)
        .await;
    assert_eq!(s, 204);
    let (_, r) = app.api("GET", &one, Some(&helen), None).await;
    assert_eq!(r["links"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn a_reminder_fires_on_the_clients_own_day_once_and_again_when_the_date_moves() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    // The reminder's categories (security operations, vendor escalation)
    // are the provider's in the demo split: its engineer on Alder hears.
    let dev = app.token(DEV).await;
    // Kiritimati is UTC+14: its 1 March begins at 10:00 UTC on 28 February.
    calendar_zone(&app, &priya, "alder", "Pacific/Kiritimati").await;
    let cert = add(
        &app,
        &priya,
        "alder",
        json!({ "name": "vpn.alder.example", "asset_type": "tls_certificate",
        "cert_not_after": "2026-03-31" }),
    )
    .await;
    let needle = "vpn.alder.example";
    // Certificates remind 30 days ahead: on 1 March, the client's day.
    assert_eq!(
        sweep(&app, "2026-02-28T09:59:00Z").await,
        0,
        "still 28 February in Kiritimati"
    );
    assert!(heard(&app, &dev, needle).await.is_empty());
    assert_eq!(
        sweep(&app, "2026-02-28T10:01:00Z").await,
        1,
        "1 March in Kiritimati"
    );
    let texts = heard(&app, &dev, needle).await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("2026-03-31"), "{texts:?}");
    // Once only.
    assert_eq!(sweep(&app, "2026-03-02T10:00:00Z").await, 0);
    assert_eq!(heard(&app, &dev, needle).await.len(), 1);
    // A renewed certificate (a new date) is a new reminder.
    let one = format!(
        "{}/{}",
        assets_path(&app, "alder"),
        cert["id"].as_str().unwrap()
    );
    let (s, b) = app
        .api_with(
            "PATCH",
            &one,
            Some(&priya),
            Some(json!({ "cert_not_after": "2026-04-30" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        sweep(&app, "2026-03-30T09:00:00Z").await,
        0,
        "30 March there: 31 days ahead"
    );
    assert_eq!(
        sweep(&app, "2026-03-30T10:30:00Z").await,
        1,
        "31 March there: 30 days ahead"
    );
    let texts = heard(&app, &dev, needle).await;
    assert_eq!(texts.len(), 2);
    assert!(texts.iter().any(|t| t.contains("2026-04-30")));
    // The admin moves the rule: the next date is reminded on its new day.
    let (s, _) = app
        .api(
            "PUT",
            &format!(
                "/api/v1/clients/{}/asset-reminders/warranty",
                app.org("alder")
            ),
            Some(&app.token(OWEN).await),
            Some(json!({ "days_before": 7 })),
        )
        .await;
    assert_eq!(s, 403, "technicians do not set reminder rules");
    let (s, rules) = app
        .api(
            "PUT",
            &format!(
                "/api/v1/clients/{}/asset-reminders/warranty",
                app.org("alder")
            ),
            Some(&priya),
            Some(json!({ "days_before": 7 })),
        )
        .await;
    assert_eq!(s, 200, "{rules}");
    add(
        &app,
        &priya,
        "alder",
        json!({ "name": "Plotter", "asset_type": "printer", "warranty_end": "2026-05-20" }),
    )
    .await;
    assert_eq!(
        sweep(&app, "2026-05-12T09:00:00Z").await,
        0,
        "12 May there: 8 days ahead"
    );
    assert_eq!(
        sweep(&app, "2026-05-12T10:30:00Z").await,
        1,
        "13 May there: 7 days ahead"
    );
    assert_eq!(heard(&app, &dev, "Plotter").await.len(), 1);
}

#[tokio::test]
async fn a_reminder_ticket_goes_where_the_split_routes_its_category() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let dev = app.token(DEV).await;
    let rules = format!(
        "/api/v1/clients/{}/asset-reminders/domain_renewal",
        app.org("alder")
    );
    let (s, b) = app
        .api(
            "PUT",
            &rules,
            Some(&priya),
            Some(json!({ "days_before": 30, "open_ticket": true, "category": "no-such" })),
        )
        .await;
    assert_eq!(s, 422, "{b}");
    domain_reminders_open_tickets(&app, &priya).await;
    add(&app, &priya, "alder", json!({ "name": "Zanzibar shop domain", "asset_type": "domain", "renewal_on": "2026-07-15" })).await;
    assert_eq!(sweep(&app, "2026-06-16T12:00:00Z").await, 1);
    let list = alder_tickets(&app, &priya, "Zanzibar").await;
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["owner_side"], "provider");
    assert!(
        list[0]["title"]
            .as_str()
            .unwrap()
            .contains("Domain renewal")
    );
    // The owning side hears of it: the engineer assigned to Alder.
    assert!(!heard(&app, &dev, "Zanzibar shop domain").await.is_empty());
    // Without tickets turned on, only notifications.
    add(&app, &priya, "alder", json!({ "name": "Quokka backup licence", "asset_type": "software_licence", "renewal_on": "2026-08-15" })).await;
    assert_eq!(sweep(&app, "2026-06-16T12:00:00Z").await, 1);
    assert!(alder_tickets(&app, &priya, "Quokka").await.is_empty());
}

#[tokio::test]
async fn a_reminder_ticket_a_crash_left_unwritten_is_written_once_under_its_reserved_id() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    domain_reminders_open_tickets(&app, &priya).await;
    let lost = add(&app, &priya, "alder", json!({ "name": "Zanzibar shop domain", "asset_type": "domain", "renewal_on": "2026-07-15" })).await;
    let kept = add(
        &app,
        &priya,
        "alder",
        json!({ "name": "Yak shop domain", "asset_type": "domain", "renewal_on": "2026-07-14" }),
    )
    .await;
    // What a worker killed right after the ledger's commit leaves: the
    // reminder fired (its notifications queued with it), its ticket's id
    // reserved and pending, no ticket.
    let fired_at = at("2026-06-16T12:00:00Z");
    let reserved = uuid::Uuid::now_v7().to_string();
    let lost_id = lost["id"].as_str().unwrap();
    assert_eq!(
        app.execute(&format!(
            "INSERT INTO asset_reminders (client_id, asset_id, expiry_kind, expires_on, fired_at, notified, ticket_id, ticket_pending) \
             VALUES ('{}', '{lost_id}', 'domain_renewal', '2026-07-15', {fired_at}, TRUE, '{reserved}', TRUE)",
            app.org("alder")
        ))
        .await,
        1
    );
    let pending = "SELECT COUNT(*) FROM asset_reminders WHERE ticket_pending";
    let ticket = format!("/api/v1/tickets/{reserved}");
    // Within the minute the worker that fired it has to write it, a round
    // leaves it alone; the other domain's reminder fires and writes its own
    // ticket at once.
    assert_eq!(sweep(&app, "2026-06-16T12:00:30Z").await, 1);
    assert_eq!(app.api("GET", &ticket, Some(&priya), None).await.0, 404);
    assert_eq!(app.count(pending).await, 1);
    let kept_ticket = app
        .count(&format!(
            "SELECT COUNT(*) FROM asset_reminders r JOIN tickets t ON t.id = r.ticket_id \
             WHERE r.asset_id = '{}' AND NOT r.ticket_pending",
            kept["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        kept_ticket, 1,
        "a reminder that went through is not pending"
    );
    // After it, the next round writes the ticket under the reserved id.
    assert_eq!(sweep(&app, "2026-06-16T12:02:00Z").await, 0);
    let (s, t) = app.api("GET", &ticket, Some(&priya), None).await;
    assert_eq!(s, 200, "{t}");
    assert_eq!(
        t["ticket"]["title"],
        "Domain renewal of Zanzibar shop domain is on 2026-07-15"
    );
    assert_eq!(t["ticket"]["owner_side"], "provider");
    assert_eq!(t["ticket"]["source"], "reminder");
    assert_eq!(app.count(pending).await, 0);
    // Once: later rounds open nothing more.
    sweep(&app, "2026-06-17T12:00:00Z").await;
    let found = alder_tickets(&app, &priya, "Zanzibar").await;
    assert_eq!(found.len(), 1, "{found:?}");
    // One the desk would refuse now (its category gone from the rule) is
    // logged and no longer owed, rather than tried every round.
    let refused = add(
        &app,
        &priya,
        "alder",
        json!({ "name": "Wombat shop domain", "asset_type": "domain", "renewal_on": "2026-07-20" }),
    )
    .await;
    let reserved = uuid::Uuid::now_v7().to_string();
    app.execute(&format!(
        "INSERT INTO asset_reminders (client_id, asset_id, expiry_kind, expires_on, fired_at, notified, ticket_id, ticket_pending) \
         VALUES ('{}', '{}', 'domain_renewal', '2026-07-20', {}, TRUE, '{reserved}', TRUE)",
        app.org("alder"),
        refused["id"].as_str().unwrap(),
        at("2026-06-20T12:00:00Z")
    ))
    .await;
    app.execute("UPDATE asset_reminder_settings SET category_key = 'no-such-category' WHERE expiry_kind = 'domain_renewal'")
        .await;
    sweep(&app, "2026-06-20T12:05:00Z").await;
    assert_eq!(app.count(pending).await, 0);
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{reserved}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_certificate_is_read_from_pem_and_bad_pem_is_refused() {
    let app = TestApp::demo().await;
    let owen = app.token(OWEN).await;
    let url = format!("{}/certificates", assets_path(&app, "alder"));
    let (s, b) = app
        .api("POST", &url, Some(&owen), Some(json!({ "pem": CERT_PEM })))
        .await;
    assert_eq!(s, 201, "{b}");
    assert_eq!(b["asset"]["name"], "www.alder.example");
    assert_eq!(b["asset"]["asset_type"], "tls_certificate");
    assert_eq!(b["asset"]["cert_not_after"], "2028-01-10");
    assert_eq!(
        b["asset"]["cert_sans"],
        json!(["www.alder.example", "alder.example"])
    );
    assert!(
        b["asset"]["cert_subject"]
            .as_str()
            .unwrap()
            .contains("CN=www.alder.example")
    );
    assert!(
        b["asset"]["cert_issuer"]
            .as_str()
            .unwrap()
            .contains("O=Alder Ltd")
    );
    for bad in [
        "hello",
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n",
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n",
    ] {
        let (s, b) = app
            .api(
                "POST",
                &url,
                Some(&owen),
                Some(json!({ "pem": bad, "name": "Bad" })),
            )
            .await;
        assert_eq!(s, 422, "{bad}: {b}");
        assert_eq!(b["field"], "pem", "{b}");
    }
}

#[tokio::test]
async fn an_import_maps_columns_dry_runs_every_bad_row_and_exports_by_type() {
    let app = TestApp::demo().await;
    let owen = app.token(OWEN).await;
    let priya = app.token(PRIYA).await;
    let url = format!("{}/import", assets_path(&app, "alder"));
    let csv = "Asset,Kind,Serial No,Renews\n\
               Adobe CC,Software licence,AD-1,2027-01-31\n\
               Toaster,toaster,T-1,\n\
               Figma,licence,FG-2,someday\n\
               adobe cc,licence,AD-2,\n\
               Laptop 9,Workstation,L-9,2027-01-01\n\
               Short,Server\n";
    let mapping = json!({ "Asset": "name", "Kind": "asset_type", "Serial No": "serial", "Renews": "renewal_on" });
    let before = app
        .api("GET", &assets_path(&app, "alder"), Some(&owen), None)
        .await
        .1["assets"]
        .clone();
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": csv, "mapping": mapping, "dry_run": true })),
        )
        .await;
    assert_eq!(s, 422, "{r}");
    let rows: Vec<(u64, Value)> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["row"].as_u64().unwrap(), p["column"].clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (3, json!("asset_type")),
            (4, json!("renewal_on")),
            (5, json!("name")),
            (6, json!("renewal_on")),
            (7, Value::Null)
        ]
    );
    assert!(
        r["problems"][0]["message"]
            .as_str()
            .unwrap()
            .contains("toaster")
    );
    assert_eq!(
        r["headers"],
        json!(["Asset", "Kind", "Serial No", "Renews"])
    );
    // A real run of a bad file writes nothing either.
    let (s, _) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": csv, "mapping": mapping })),
        )
        .await;
    assert_eq!(s, 422);
    let after = app
        .api("GET", &assets_path(&app, "alder"), Some(&owen), None)
        .await
        .1["assets"]
        .clone();
    assert_eq!(before, after, "nothing was written");
    // A good file: the dry run counts, the real run writes.
    let good = "Asset,Kind,Serial No,Renews\nAdobe CC,Software licence,AD-1,2027-01-31\nFigma,licence,FG-2,2027-02-28\n";
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": good, "mapping": mapping, "dry_run": true })),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["added"].as_u64(), r["dry_run"].as_bool()),
        (Some(2), Some(true))
    );
    let (_, page) = app
        .api(
            "GET",
            &format!("{}?q=adobe", assets_path(&app, "alder")),
            Some(&owen),
            None,
        )
        .await;
    assert!(
        page["assets"].as_array().unwrap().is_empty(),
        "a dry run writes nothing"
    );
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": good, "mapping": mapping })),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["added"].as_u64(), r["dry_run"].as_bool()),
        (Some(2), Some(false))
    );
    // Headers that name fields map themselves; a known name is changed.
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": "name,type,vendor\nFigma,licence,Figma Inc\n" })),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(
        (r["added"].as_u64(), r["changed"].as_u64()),
        (Some(0), Some(1))
    );
    // The export of one type carries its custom fields.
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{}/asset-fields", app.org("alder")),
            Some(&priya),
            Some(json!({ "asset_type": "software_licence", "name": "Seats", "kind": "number" })),
        )
        .await;
    assert_eq!(s, 201);
    let res = export(&app, &owen, "software_licence").await;
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = text(res).await;
    let mut lines = body.lines();
    assert!(lines.next().unwrap().ends_with(",notes,Seats"));
    let figma = body.lines().find(|l| l.starts_with("Figma,")).unwrap();
    assert!(
        figma.contains("software_licence")
            && figma.contains("Figma Inc")
            && figma.contains("2027-02-28"),
        "{figma}"
    );
    assert!(!body.contains("Laptop 9"));
}

/// Define a custom field of the client (as its admin).
async fn define_field(
    app: &TestApp,
    admin: &str,
    slug: &str,
    asset_type: &str,
    name: &str,
    kind: &str,
) {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{}/asset-fields", app.org(slug)),
            Some(admin),
            Some(json!({ "asset_type": asset_type, "name": name, "kind": kind })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
}

/// How many assets the client keeps.
async fn asset_count(app: &TestApp, token: &str, slug: &str) -> usize {
    let (s, page) = app
        .api(
            "GET",
            &format!("{}?limit=200", assets_path(app, slug)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{page}");
    assert!(page["next_after"].is_null(), "one page holds them all");
    page["assets"].as_array().unwrap().len()
}

/// An asset's custom value, by the asset's id and the field's name.
async fn custom_value(app: &TestApp, token: &str, slug: &str, id: &str, field: &str) -> Value {
    let (s, r) = app
        .api(
            "GET",
            &format!("{}/{id}", assets_path(app, slug)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{r}");
    r["custom_fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == field)
        .unwrap()["value"]
        .clone()
}

#[tokio::test]
async fn an_export_of_a_type_reads_back_with_its_custom_values_and_no_mapping() {
    let app = TestApp::demo().await;
    let owen = app.token(OWEN).await;
    let priya = app.token(PRIYA).await;
    define_field(&app, &priya, "alder", "workstation", "RAM GB", "number").await;
    let cad7 = add(
        &app,
        &owen,
        "alder",
        json!({
        "name": "CAD-07", "asset_type": "workstation", "custom_fields": { "RAM GB": "32" } }),
    )
    .await;
    let cad8 = add(
        &app,
        &owen,
        "alder",
        json!({
        "name": "CAD-08", "asset_type": "workstation", "custom_fields": { "RAM GB": "16" } }),
    )
    .await;
    let res = export(&app, &owen, "workstation").await;
    assert_eq!(res.status(), 200);
    let export = text(res).await;
    assert!(export.lines().next().unwrap().ends_with(",notes,RAM GB"));
    // One value changed, one cell blanked (it says nothing), the rest as
    // exported.
    let edited: Vec<String> = export
        .lines()
        .map(|l| {
            if l.starts_with("CAD-07,") {
                format!("{},64", l.strip_suffix(",32").unwrap())
            } else if l.starts_with("CAD-08,") {
                format!("{},", l.strip_suffix(",16").unwrap())
            } else {
                l.to_owned()
            }
        })
        .collect();
    let rows = edited.len() - 1;
    let before = asset_count(&app, &owen, "alder").await;
    let url = format!("{}/import", assets_path(&app, "alder"));
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": edited.join("\n") })),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["mapping"]["RAM GB"], "custom:RAM GB");
    assert_eq!(
        (
            r["added"].as_u64(),
            r["changed"].as_u64(),
            r["unchanged"].as_u64()
        ),
        (Some(0), Some(1), Some(rows as u64 - 1)),
        "a changed custom value changes its asset: {r}"
    );
    assert_eq!(asset_count(&app, &owen, "alder").await, before);
    let id7 = cad7["id"].as_str().unwrap();
    assert_eq!(
        custom_value(&app, &owen, "alder", id7, "RAM GB").await,
        "64"
    );
    let id8 = cad8["id"].as_str().unwrap();
    assert_eq!(
        custom_value(&app, &owen, "alder", id8, "RAM GB").await,
        "16"
    );
    let (_, a) = app
        .api(
            "GET",
            &format!("{}/{id7}", assets_path(&app, "alder")),
            Some(&owen),
            None,
        )
        .await;
    assert_eq!(a["asset"]["version"], 2, "a new version for its ETag");
    // The export itself reads back with nothing to change.
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": export, "dry_run": true })),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["changed"], 1, "CAD-07 goes back to 32: {r}");
}

#[tokio::test]
async fn a_dry_run_refuses_a_custom_value_that_fits_no_field_of_its_rows_type() {
    let app = TestApp::demo().await;
    let owen = app.token(OWEN).await;
    let priya = app.token(PRIYA).await;
    define_field(&app, &priya, "alder", "workstation", "RAM GB", "number").await;
    define_field(&app, &priya, "alder", "software_licence", "Seats", "number").await;
    let csv = "name,asset_type,ram gb,Seats\n\
               PC-A,workstation,lots,\n\
               PC-B,workstation,8,5\n\
               Lic-A,software_licence,,10\n\
               PC-C,workstation,12,\n";
    let before = asset_count(&app, &owen, "alder").await;
    let url = format!("{}/import", assets_path(&app, "alder"));
    for dry_run in [true, false] {
        let (s, r) = app
            .api(
                "POST",
                &url,
                Some(&owen),
                Some(json!({ "csv": csv, "dry_run": dry_run })),
            )
            .await;
        assert_eq!(s, 422, "{r}");
        let problems: Vec<(u64, Value)> = r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["row"].as_u64().unwrap(), p["column"].clone()))
            .collect();
        assert_eq!(
            problems,
            vec![(2, json!("ram gb")), (3, json!("Seats"))],
            "{r}"
        );
        assert!(
            r["problems"][0]["message"]
                .as_str()
                .unwrap()
                .contains("not a number"),
            "{r}"
        );
        assert!(
            r["problems"][1]["message"]
                .as_str()
                .unwrap()
                .contains("Workstation"),
            "{r}"
        );
        assert_eq!(r["dry_run"], true, "nothing written");
    }
    assert_eq!(
        asset_count(&app, &owen, "alder").await,
        before,
        "nothing was written"
    );
    let (_, page) = app
        .api(
            "GET",
            &format!("{}?q=lic-a", assets_path(&app, "alder")),
            Some(&owen),
            None,
        )
        .await;
    assert!(page["assets"].as_array().unwrap().is_empty(), "{page}");
}

#[tokio::test]
async fn a_mapping_names_a_custom_field_through_the_api_and_the_page_offers_them() {
    let app = TestApp::demo().await;
    let owen = app.token(OWEN).await;
    let priya = app.token(PRIYA).await;
    define_field(&app, &priya, "alder", "workstation", "RAM GB", "number").await;
    define_field(&app, &priya, "alder", "server", "RAM GB", "number").await;
    let url = format!("{}/import", assets_path(&app, "alder"));
    let csv = "Asset,Kind,Memory\nPC-Z,workstation,24.0\nSRV-Z,server,128\n";
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": csv, "mapping": { "Asset": "name", "Kind": "asset_type", "Memory": "custom:RAM GB" } })),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["added"], 2, "{r}");
    for (name, ram) in [("pc-z", "24"), ("srv-z", "128")] {
        let (_, page) = app
            .api(
                "GET",
                &format!("{}?q={name}", assets_path(&app, "alder")),
                Some(&owen),
                None,
            )
            .await;
        let id = page["assets"][0]["id"].as_str().unwrap().to_owned();
        assert_eq!(custom_value(&app, &owen, "alder", &id, "RAM GB").await, ram);
    }
    // A field the client does not have is a bad mapping, not a bad row.
    let (s, r) = app
        .api(
            "POST",
            &url,
            Some(&owen),
            Some(json!({ "csv": csv, "mapping": { "Asset": "name", "Kind": "asset_type", "Memory": "custom:Colour" } })),
        )
        .await;
    assert_eq!(s, 422, "{r}");
    assert_eq!(r["field"], "mapping", "{r}");
    // The page's mapping step offers the custom fields and picks one by name.
    let mut browser = app.browser(OWEN).await;
    let alder = app.org("alder");
    let res = browser
        .submit(
            "/assets/import",
            &[
                ("client_id", &alder),
                ("csv", "Name,Kind,RAM GB\nPC-Y,workstation,8\n"),
                ("step", "map"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let html = text(res).await;
    assert!(
        html.contains(
            "<option value=\"custom:RAM GB\" selected>RAM GB (Server, Workstation)</option>"
        ),
        "{html}"
    );
    let res = browser
        .submit(
            "/assets/import",
            &[
                ("client_id", &alder),
                ("csv", "Name,Kind,RAM GB\nPC-Y,workstation,8\n"),
                ("step", "import"),
                ("map_Name", "name"),
                ("map_Kind", "asset_type"),
                ("map_RAM GB", "custom:RAM GB"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, page) = app
        .api(
            "GET",
            &format!("{}?q=pc-y", assets_path(&app, "alder")),
            Some(&owen),
            None,
        )
        .await;
    let id = page["assets"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(custom_value(&app, &owen, "alder", &id, "RAM GB").await, "8");
}

#[tokio::test]
async fn the_viewer_reads_requesters_see_nothing_and_another_clients_asset_is_not_found() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let helen = app.token(HELEN).await;
    let luis = app.token(LUIS).await;
    let ben = app.token(BEN).await;
    let dev = app.token(DEV).await;
    let a = add(
        &app,
        &priya,
        "alder",
        json!({ "name": "NAS-1", "asset_type": "server" }),
    )
    .await;
    let one = format!(
        "{}/{}",
        assets_path(&app, "alder"),
        a["id"].as_str().unwrap()
    );
    let (s, _) = app.api("GET", &one, Some(&helen), None).await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api(
            "POST",
            &assets_path(&app, "alder"),
            Some(&helen),
            Some(json!({ "name": "X", "asset_type": "other" })),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .api_with(
            "PATCH",
            &one,
            Some(&helen),
            Some(json!({ "name": "Y" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, 403);
    for (who, token) in [("requester", &luis), ("other client's admin", &ben)] {
        let (s, _) = app.api("GET", &one, Some(token), None).await;
        assert_eq!(s, 404, "{who}");
        let (s, _) = app
            .api("GET", &assets_path(&app, "alder"), Some(token), None)
            .await;
        assert_eq!(s, 404, "{who}");
    }
    // A create repeated with its Idempotency-Key makes one asset.
    let body = json!({ "name": "NAS-2", "asset_type": "server" });
    let key = [("idempotency-key", "nas-2-once")];
    let (s1, first) = app
        .api_with(
            "POST",
            &assets_path(&app, "alder"),
            Some(&priya),
            Some(body.clone()),
            &key,
        )
        .await;
    let (s2, again) = app
        .api_with(
            "POST",
            &assets_path(&app, "alder"),
            Some(&priya),
            Some(body),
            &key,
        )
        .await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (201, 201));
    assert_eq!(first["id"], again["id"]);
    // The engaged engineer works them too.
    let (s, _) = app
        .api_with(
            "PATCH",
            &one,
            Some(&dev),
            Some(json!({ "vendor": "Synology" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, 200);
    // An asset id of one client under another client's path is not found.
    let (s, _) = app
        .api(
            "GET",
            &format!(
                "{}/{}",
                assets_path(&app, "corvid"),
                a["id"].as_str().unwrap()
            ),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn per_device_billing_counts_hardware_with_printers_as_other_devices() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let counts = format!(
        "/api/v1/clients/{}/devices/counts?on=2026-12-01",
        app.org("alder")
    );
    let (_, before) = app.api("GET", &counts, Some(&priya), None).await;
    for (name, t) in [
        ("ZP-1", "printer"),
        ("ZL-1", "software_licence"),
        ("ZD-1", "domain"),
        ("ZC-1", "tls_certificate"),
        ("ZT-1", "cloud_tenant"),
        ("ZW-1", "workstation"),
    ] {
        add(
            &app,
            &priya,
            "alder",
            json!({ "name": name, "asset_type": t, "acquired_on": "2026-01-01" }),
        )
        .await;
    }
    let (_, after) = app.api("GET", &counts, Some(&priya), None).await;
    let n = |v: &Value, k: &str| v["counts"][k].as_i64().unwrap();
    assert_eq!(n(&after, "other"), n(&before, "other") + 1, "the printer");
    assert_eq!(n(&after, "workstation"), n(&before, "workstation") + 1);
    assert_eq!(
        after["total"].as_i64().unwrap(),
        before["total"].as_i64().unwrap() + 2
    );
    // The device list shows hardware only; a licence is no device.
    let (_, devices) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/devices", app.org("alder")),
            Some(&priya),
            None,
        )
        .await;
    let names: Vec<&str> = devices
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ZP-1") && !names.contains(&"ZL-1"));
}

#[tokio::test]
async fn the_pages_list_add_edit_import_in_steps_and_set_reminders() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let mut priya = app.browser(PRIYA).await;
    // A new asset through the form, then its page.
    let res = priya
        .submit(
            "/assets",
            &[
                ("client_id", &alder),
                ("name", "<b>Lobby</b> screen"),
                ("asset_type", "other"),
                ("vendor", "Samsung"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = location(&res);
    assert!(page.starts_with("/assets/"), "{page}");
    let html = text(priya.get(&page).await).await;
    assert!(
        html.contains("&lt;b&gt;Lobby") || html.contains("&#60;b&#62;Lobby"),
        "names are escaped"
    );
    assert!(!html.contains("<b>Lobby</b>"));
    let id = page
        .trim_start_matches("/assets/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let res = priya
        .submit(
            &format!("/assets/{id}"),
            &[
                ("client_id", &alder),
                ("version", "1"),
                ("name", "Lobby screen"),
                ("asset_type", "other"),
                ("location", "Lobby"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = priya
        .submit(
            &format!("/assets/{id}"),
            &[
                ("client_id", &alder),
                ("version", "1"),
                ("name", "Lobby screen"),
                ("asset_type", "other"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409, "a stale form is refused");
    // The list filters.
    let html = text(priya.get(&format!("/assets?client={alder}&q=lobby")).await).await;
    assert!(html.contains("Lobby screen"));
    let html = text(
        priya
            .get(&format!("/assets?client={alder}&q=lobby&type=domain"))
            .await,
    )
    .await;
    assert!(!html.contains("Lobby screen"));
    // The import: paste, map (suggested from the headers), dry run, import.
    let csv = "Name,Kind,Maker\nWidget licence,licence,Acme\nBad,toaster,Acme\n";
    let res = priya
        .submit(
            "/assets/import",
            &[("client_id", &alder), ("csv", csv), ("step", "map")],
        )
        .await;
    let html = text(res).await;
    assert!(html.contains("name=\"map_Maker\""), "a select per header");
    let res = priya
        .submit(
            "/assets/import",
            &[
                ("client_id", &alder),
                ("csv", csv),
                ("step", "dry_run"),
                ("map_Name", "name"),
                ("map_Kind", "asset_type"),
                ("map_Maker", "vendor"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = text(res).await;
    assert!(html.contains("id=\"import-problems\"") && html.contains("toaster"));
    let good = "Name,Kind,Maker\nWidget licence,licence,Acme\n";
    let res = priya
        .submit(
            "/assets/import",
            &[
                ("client_id", &alder),
                ("csv", good),
                ("step", "import"),
                ("map_Name", "name"),
                ("map_Kind", "asset_type"),
                ("map_Maker", "vendor"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = text(priya.get(&format!("/assets?client={alder}&q=acme")).await).await;
    assert!(html.contains("Widget licence"));
    // Reminder rules: the admin sets one; the technician may not.
    let res = priya
        .submit(
            "/assets/settings",
            &[
                ("client_id", &alder),
                ("intent", "rule"),
                ("kind", "certificate"),
                ("days_before", "21"),
                ("open_ticket", "1"),
                ("category", "security-operations"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, rules) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/asset-reminders"),
            Some(&app.token(PRIYA).await),
            None,
        )
        .await;
    let cert = rules
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "certificate")
        .unwrap()
        .clone();
    assert_eq!(
        (cert["days_before"].as_i64(), cert["open_ticket"].as_bool()),
        (Some(21), Some(true))
    );
    let mut owen = app.browser(OWEN).await;
    let res = owen
        .submit(
            "/assets/settings",
            &[
                ("client_id", &alder),
                ("intent", "rule"),
                ("kind", "warranty"),
                ("days_before", "1"),
                ("category", "help-desk"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    // A certificate through the PEM form.
    let res = owen
        .submit(
            "/assets",
            &[("client_id", &alder), ("name", ""), ("pem", CERT_PEM)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let html = text(owen.get(&location(&res)).await).await;
    assert!(html.contains("2028-01-10") && html.contains("alder.example"));
}

#[tokio::test]
async fn the_demo_keeps_assets_of_every_type_some_expiring_soon_and_bills_the_same_devices() {
    use tandem_service::{Db, Tandem};
    use tandem_web::{AppState, WebConfig, make_app};
    use tower::ServiceExt;
    let db = Db::connect(&fresh_db_url().await).await.unwrap();
    db.migrate().await.unwrap();
    let tandem = Tandem::new(db, test_settings());
    tandem.seed_demo().await.unwrap();
    let app = make_app(AppState::new(tandem.clone(), WebConfig::default()));
    let (_, token) = tandem
        .create_token_for_email(PRIYA, "test", &tandem_service::RequestMeta::cli("test"))
        .await
        .unwrap();
    let alder = tandem.resolve_token(&token).await.unwrap().org_id;
    let get = |path: String| {
        let app = app.clone();
        let token = token.clone();
        async move {
            let res = app
                .oneshot(
                    axum::http::Request::builder()
                        .uri(path)
                        .header("authorization", format!("Bearer {token}"))
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(res.status(), 200);
            let bytes = http_body_util::BodyExt::collect(res.into_body())
                .await
                .unwrap()
                .to_bytes();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        }
    };
    for t in [
        "workstation",
        "server",
        "network_device",
        "printer",
        "software_licence",
        "domain",
        "tls_certificate",
        "cloud_tenant",
        "other",
    ] {
        let page = get(format!("/api/v1/clients/{alder}/assets?type={t}&limit=200")).await;
        assert!(
            !page["assets"].as_array().unwrap().is_empty(),
            "the demo has a {t}"
        );
    }
    let soon = get(format!("/api/v1/clients/{alder}/assets/expiring?days=30")).await;
    assert!(soon.as_array().unwrap().len() >= 3, "{soon}");
    let certs = get(format!(
        "/api/v1/clients/{alder}/assets?type=tls_certificate"
    ))
    .await;
    assert_eq!(certs["assets"].as_array().unwrap().len(), 2);
    // Per-device billing counts the inventory's devices only: the demo's
    // asset records add none (its printer was already an "other" device).
    let counts = get(format!("/api/v1/clients/{alder}/devices/counts")).await;
    let devices = get(format!("/api/v1/clients/{alder}/devices")).await;
    let active = devices
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "active")
        .count() as i64;
    assert_eq!(counts["total"].as_i64().unwrap(), active);
    assert_eq!(counts["counts"]["other"].as_i64().unwrap(), 2, "{counts}");
}
