//! The credential vault end to end: secrets encrypted at rest and bound to
//! their client, reveals that need a fresh proof and are logged for the
//! client's admin, master key rotation while servers keep reading, the
//! rotation tickets of people who left, and the secret absent from logs,
//! errors, the audit log, the search index and the database file.
#![allow(clippy::unwrap_used)]

mod support;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::*;
use tandem_service::vault_keys::Keyring;
use tandem_service::{Db, Tandem};
use tandem_web::{AppState, WebConfig, make_app};
use tower::ServiceExt;

const FIREWALL: &str = "Fw!adm1n-correct-horse-7731";

/// Call the API of a router other than the test app's (another server).
async fn call(
    app: &Router,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    let req = match body {
        Some(v) => b
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(v.to_string()))
            .unwrap(),
        None => b.body(Body::empty()).unwrap(),
    };
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn add_secret(app: &TestApp, token: &str, client: &str, name: &str, secret: &str) -> String {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{client}/secrets"),
            Some(token),
            Some(json!({ "name": name, "username": "admin", "url": "https://fw.example", "secret": secret, "notes": "recovery code 1234-5678" })),
        )
        .await;
    assert_eq!(s, 201, "adding {name}: {b}");
    assert!(
        !b.to_string().contains(secret),
        "the answer carries no secret"
    );
    b["id"].as_str().unwrap().to_owned()
}

fn reveal_path(client: &str, id: &str) -> String {
    format!("/api/v1/clients/{client}/secrets/{id}/reveal")
}

async fn me(app: &TestApp, token: &str) -> String {
    app.api("GET", "/api/v1/me", Some(token), None).await.1["user_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn secrets_are_stored_encrypted_and_a_row_moved_to_another_client_does_not_open() {
    let app = TestApp::demo().await;
    let (priya, ben) = (app.token(PRIYA).await, app.token(BEN).await);
    let (alder, corvid) = (app.org("alder"), app.org("corvid"));
    let id = add_secret(&app, &priya, &alder, "Firewall admin", FIREWALL).await;
    // The round trip.
    let (s, r) = app
        .api(
            "POST",
            &reveal_path(&alder, &id),
            Some(&priya),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["value"], FIREWALL);
    assert_eq!(r["notes"], "recovery code 1234-5678");
    // Lists and reads never carry it.
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/secrets"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(list["secrets"][0]["name"], "Firewall admin");
    assert!(!list.to_string().contains(FIREWALL) && !list.to_string().contains("1234-5678"));
    // Copy the sealed secret into another client's row: its associated
    // data names another client and id, so it does not open there.
    let other = add_secret(&app, &ben, &corvid, "Firewall admin", "corvid's own").await;
    app.execute(&format!(
        "UPDATE vault_secrets SET secret_ct = (SELECT secret_ct FROM vault_secrets WHERE id = '{id}') WHERE id = '{other}'"
    ))
    .await;
    let (s, r) = app
        .api(
            "POST",
            &reveal_path(&corvid, &other),
            Some(&ben),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 500, "{r}");
    assert!(!r.to_string().contains(FIREWALL));
    // A foreign id answers like a missing one, for every route.
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/secrets/{other}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api(
            "POST",
            &reveal_path(&corvid, &other),
            Some(&priya),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn a_token_reveals_only_with_a_fresh_proof_and_the_client_admin_sees_every_reveal() {
    let app = TestApp::demo().await;
    let (priya, dev, helen, owen) = (
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(HELEN).await,
        app.token(OWEN).await,
    );
    let alder = app.org("alder");
    let id = add_secret(&app, &priya, &alder, "Firewall admin", FIREWALL).await;
    let other = add_secret(&app, &priya, &alder, "Office Wi-Fi", "wifi-psk-55").await;
    // No proof: 403 of the re-authentication type.
    let (s, p) = app
        .api("POST", &reveal_path(&alder, &id), Some(&dev), None)
        .await;
    assert_eq!(s, 403);
    assert_eq!(p["type"], "urn:tandem:problem:reauthentication-required");
    // A wrong password is no proof either.
    let (s, p) = app
        .api(
            "POST",
            &reveal_path(&alder, &id),
            Some(&dev),
            Some(json!({ "password": "not it at all" })),
        )
        .await;
    assert_eq!(
        (s.as_u16(), p["type"].as_str()),
        (403, Some("urn:tandem:problem:reauthentication-required"))
    );
    // The password in the request itself.
    let (s, r) = app
        .api_with(
            "POST",
            &reveal_path(&alder, &id),
            Some(&dev),
            Some(json!({ "password": PASSWORD })),
            &[("user-agent", "curl/8.5")],
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["value"], FIREWALL);
    // Re-authenticating the token lets it reveal without a password.
    let (s, _) = app
        .api("POST", &reveal_path(&alder, &other), Some(&owen), None)
        .await;
    assert_eq!(s, 403);
    let (s, b) = app
        .api(
            "POST",
            "/api/v1/reauth",
            Some(&owen),
            Some(json!({ "password": "wrong password!" })),
        )
        .await;
    assert_eq!(s, 403, "{b}");
    let (s, _) = app
        .api(
            "POST",
            "/api/v1/reauth",
            Some(&owen),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 204);
    let (s, r) = app
        .api("POST", &reveal_path(&alder, &other), Some(&owen), None)
        .await;
    assert_eq!(s, 200, "{r}");
    // The viewer lists but never reveals, even with a password.
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/secrets"),
            Some(&helen),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api(
            "POST",
            &reveal_path(&alder, &id),
            Some(&helen),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 403);
    // The client admin sees both reveals, by both sides, with where from.
    let (s, log) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/secret-reveals"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let reveals = log["reveals"].as_array().unwrap();
    assert_eq!(reveals.len(), 2, "{log}");
    assert_eq!(reveals[0]["user_email"], OWEN);
    assert_eq!(reveals[0]["side"], "client");
    assert_eq!(reveals[0]["proof"], "token");
    assert_eq!(reveals[1]["user_email"], DEV);
    assert_eq!(reveals[1]["side"], "provider");
    assert_eq!(reveals[1]["proof"], "password");
    assert_eq!(reveals[1]["user_agent"], "curl/8.5");
    // Filtered per credential.
    let (_, one) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/secret-reveals?secret_id={id}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(one["reveals"].as_array().unwrap().len(), 1);
    assert_eq!(one["reveals"][0]["user_email"], DEV);
    // The technician and the engineer do not read the log.
    for t in [&owen, &dev] {
        let (s, _) = app
            .api(
                "GET",
                &format!("/api/v1/clients/{alder}/secret-reveals"),
                Some(t),
                None,
            )
            .await;
        assert_eq!(s, 403);
    }
    // The audit log records the reveal, never the secret.
    let (_, audit) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/audit?limit=500"),
            Some(&priya),
            None,
        )
        .await;
    let text = audit.to_string();
    assert!(text.contains("vault.reveal") && text.contains("vault.add"));
    assert!(
        !text.contains(FIREWALL) && !text.contains("wifi-psk-55") && !text.contains("1234-5678")
    );
}

#[tokio::test]
async fn a_browser_reveals_after_sign_in_and_asks_again_when_the_proof_is_stale() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let id = add_secret(&app, &priya, &alder, "Firewall admin", FIREWALL).await;
    let mut b = app.browser(DEV).await;
    let list = text(b.get(&format!("/vault?client={alder}")).await).await;
    assert!(list.contains("Firewall admin") && !list.contains(FIREWALL));
    let page = format!("/vault/{alder}/secrets/{id}");
    let csrf = b.csrf(&page).await;
    let reveal = format!("{page}/reveal");
    let res = b.post(&reveal, &[("csrf", &csrf)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
    let shown = text(res).await;
    assert!(
        shown.contains(&format!(
            "id=\"revealed-secret\" readonly value=\"{FIREWALL}\""
        )),
        "{shown}"
    );
    // Five minutes later the session must prove itself again.
    app.execute("UPDATE sessions SET proved_at = proved_at - 360000")
        .await;
    let shown = text(b.post(&reveal, &[("csrf", &csrf)]).await).await;
    assert!(shown.contains("id=\"reauth-form\"") && !shown.contains(FIREWALL));
    let res = b
        .post(
            "/reauth",
            &[
                ("csrf", &csrf),
                ("password", "wrong password!"),
                ("next", &page),
            ],
        )
        .await;
    assert_eq!(location(&res), format!("{page}?reauth=failed"));
    let res = b
        .post(
            "/reauth",
            &[("csrf", &csrf), ("password", PASSWORD), ("next", &page)],
        )
        .await;
    assert_eq!(location(&res), format!("{page}?reauth=ok"));
    // Only a vault page may be the way back.
    let res = b
        .post(
            "/reauth",
            &[
                ("csrf", &csrf),
                ("password", PASSWORD),
                ("next", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&res), "/vault?reauth=ok");
    let shown = text(b.post(&reveal, &[("csrf", &csrf)]).await).await;
    assert!(shown.contains(FIREWALL));
    // The client admin's reveal log page shows the engineer's reveals.
    let mut admin = app.browser(PRIYA).await;
    let log = text(admin.get(&format!("/vault/{alder}/reveals")).await).await;
    assert!(log.contains("id=\"reveal-log\"") && log.contains("Dev Ramanathan"));
    assert!(!log.contains(FIREWALL));
    // A viewer's page has no Reveal button.
    let mut viewer = app.browser(HELEN).await;
    let p = text(viewer.get(&page).await).await;
    assert!(p.contains("id=\"no-reveal\"") && !p.contains("id=\"reveal-secret\""));
}

#[tokio::test]
async fn the_secret_stays_out_of_logs_errors_search_and_the_database_file() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    // Every thread's log lines while this runs, not only this test's: a
    // subscriber set for one thread misses lines when other tests of the
    // same process (one binary run with threads, as the clock-shift step
    // runs it) register the same call sites at that moment, since tracing
    // decides once per call site, process-wide, whether anyone listens.
    let captured = Arc::new(Mutex::new(Some(Vec::<u8>::new())));
    let sink = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || Writer(sink.clone()))
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();
    tracing::callsite::rebuild_interest_cache();
    let id = add_secret(&app, &priya, &alder, "Firewall admin", FIREWALL).await;
    let (s, _) = app
        .api(
            "POST",
            &reveal_path(&alder, &id),
            Some(&priya),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 200);
    // Refusals name the rule, not the value.
    let long = format!("{FIREWALL}{}", "x".repeat(10_000));
    for body in [
        json!({ "name": "", "secret": FIREWALL }),
        json!({ "name": "Too long", "secret": long }),
        json!({ "name": "Bad url", "url": "https://a b", "secret": FIREWALL }),
        json!({ "name": "Bad date", "secret": FIREWALL, "rotation_due_on": "soon" }),
        json!({ "name": "Unknown", "secret": FIREWALL, "password": "x" }),
    ] {
        let (s, p) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{alder}/secrets"),
                Some(&priya),
                Some(body),
            )
            .await;
        assert!(s.is_client_error(), "{s} {p}");
        assert!(!p.to_string().contains("Fw!adm1n"), "{p}");
    }
    let (s, p) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/clients/{alder}/secrets/{id}"),
            Some(&priya),
            Some(json!({ "secret": long })),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(!p.to_string().contains("Fw!adm1n"));
    // The capture ends here; later lines are dropped.
    let logs = String::from_utf8(captured.lock().unwrap().take().unwrap()).unwrap();
    assert!(
        logs.contains("request"),
        "the capture saw the requests: {logs}"
    );
    assert!(!logs.contains("Fw!adm1n"), "a log line carries the secret");
    // The search index knows nothing of it.
    let (_, hits) = app
        .api(
            "GET",
            &format!("/api/v1/tickets?q={}", "adm1n"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(hits.as_array().map(Vec::len), Some(0), "{hits}");
    // Nowhere in the database file either (SQLite: file and WAL).
    if let Db::Sqlite { read, .. } = &app.tandem.db {
        let (_, _, file): (i64, String, String) = sqlx::query_as("PRAGMA database_list")
            .fetch_one(read)
            .await
            .unwrap();
        for suffix in ["", "-wal"] {
            let bytes = std::fs::read(format!("{file}{suffix}")).unwrap_or_default();
            let needle = FIREWALL.as_bytes();
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "the secret is in {file}{suffix} in the clear"
            );
            let notes = b"recovery code 1234-5678";
            assert!(!bytes.windows(notes.len()).any(|w| w == notes));
        }
    }
}

/// A tracing writer into a shared buffer, while it is there.
struct Writer(Arc<Mutex<Option<Vec<u8>>>>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(lines) = self.0.lock().unwrap().as_mut() {
            lines.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn rotating_the_master_key_rewraps_every_client_while_servers_keep_reading() {
    let app = TestApp::demo().await;
    let dir = std::env::temp_dir().join(format!("tandem-vault-{}", uuid::Uuid::now_v7()));
    let key_file = dir.join("tandem-master.key");
    let server = |t: &Tandem| {
        let t = t
            .clone()
            .with_keyring(Keyring::open_file(&key_file).unwrap());
        (make_app(AppState::new(t.clone(), WebConfig::default())), t)
    };
    // A server started before the rotation.
    let (before, _) = server(&app.tandem);
    let (priya, ben) = (app.token(PRIYA).await, app.token(BEN).await);
    let (alder, corvid) = (app.org("alder"), app.org("corvid"));
    let mut secrets = Vec::new();
    for (token, client, value) in [
        (&priya, &alder, "alder-fw-1"),
        (&ben, &corvid, "corvid-fw-1"),
    ] {
        let (s, b) = call(
            &before,
            "POST",
            &format!("/api/v1/clients/{client}/secrets"),
            token,
            Some(json!({ "name": "Firewall admin", "secret": value })),
        )
        .await;
        assert_eq!(s, 201, "{b}");
        secrets.push((
            token.clone(),
            client.clone(),
            b["id"].as_str().unwrap().to_owned(),
            value,
        ));
    }
    let reads_all = |app: Router, secrets: Vec<(String, String, String, &'static str)>| async move {
        for (token, client, id, value) in &secrets {
            let (s, r) = call(
                &app,
                "POST",
                &reveal_path(client, id),
                token,
                Some(json!({ "password": PASSWORD })),
            )
            .await;
            assert_eq!(
                (s, r["value"].as_str()),
                (StatusCode::OK, Some(*value)),
                "{r}"
            );
        }
    };
    // The operator's process starts the rotation: the file has both keys.
    let (_, operator) = server(&app.tandem);
    let old_id = operator.keyring().current_id().unwrap();
    let new_id = operator.begin_master_key_rotation().unwrap();
    assert_ne!(old_id, new_id);
    // A server started mid-rotation holds both and reads everything.
    let (during, _) = server(&app.tandem);
    reads_all(during.clone(), secrets.clone()).await;
    // Rewrap in transactions of one client each.
    let n = operator.rewrap_data_keys(&new_id, 1).await.unwrap();
    assert_eq!(n, 2, "both clients' data keys");
    // The server started before reads the new key from the file.
    reads_all(before.clone(), secrets.clone()).await;
    operator
        .finish_master_key_rotation(&new_id, 1)
        .await
        .unwrap();
    let file = std::fs::read_to_string(&key_file).unwrap();
    assert!(
        file.contains(&new_id) && !file.contains(&old_id),
        "the old key is retired"
    );
    let usage = operator.vault_key_usage().await.unwrap();
    assert_eq!(usage, vec![(new_id.clone(), 2)]);
    // A server started after: the new key alone opens everything.
    let (after, _) = server(&app.tandem);
    reads_all(after, secrets.clone()).await;
    reads_all(during, secrets).await;
    std::fs::remove_dir_all(dir).unwrap();
}

/// The provider's admin takes Dev off the engagement with Alder.
async fn take_dev_off_alder(app: &TestApp, mara: &str, dev: &str) {
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(mara), None)
        .await;
    let alder_eng = engs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == app.org("alder").as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let dev_id = me(app, dev).await;
    let (s, _) = app
        .api(
            "DELETE",
            &format!("/api/v1/engagements/{alder_eng}/engineers/{dev_id}"),
            Some(mara),
            None,
        )
        .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn people_who_leave_get_one_rotation_ticket_per_secret_they_saw_on_the_owning_side() {
    let app = TestApp::demo().await;
    let (mara, priya, dev, ben, tomasz) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(BEN).await,
        app.token(TOMASZ).await,
    );
    let (alder, corvid) = (app.org("alder"), app.org("corvid"));
    let fw = add_secret(&app, &priya, &alder, "Firewall admin", FIREWALL).await;
    let wifi = add_secret(&app, &priya, &alder, "Office Wi-Fi", "wifi-psk-55").await;
    let registrar = add_secret(&app, &priya, &alder, "Domain registrar", "reg-99").await;
    add_secret(&app, &priya, &alder, "Never seen", "unseen-1").await;
    for id in [&fw, &wifi, &registrar] {
        let (s, _) = app
            .api(
                "POST",
                &reveal_path(&alder, id),
                Some(&dev),
                Some(json!({ "password": PASSWORD })),
            )
            .await;
        assert_eq!(s, 200);
    }
    // The client's admin's own reveals are no departure.
    app.api(
        "POST",
        &reveal_path(&alder, &fw),
        Some(&priya),
        Some(json!({ "password": PASSWORD })),
    )
    .await;
    // Dev is taken off the engagement with Alder.
    take_dev_off_alder(&app, &mara, &dev).await;
    // One of them is changed before anyone looks: nothing to rotate there.
    let (s, _) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/clients/{alder}/secrets/{registrar}"),
            Some(&priya),
            Some(json!({ "secret": "reg-100" })),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 200);
    let (s, deps) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/vault/departures"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200, "{deps}");
    let deps = deps.as_array().unwrap();
    assert_eq!(deps.len(), 1, "only the engineer who left");
    assert_eq!(deps[0]["user_name"], "Dev Ramanathan");
    assert_eq!(deps[0]["reason"], "taken off the engagement");
    let names: Vec<_> = deps[0]["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["secret_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Domain registrar", "Firewall admin", "Office Wi-Fi"]
    );
    let departure = deps[0]["id"].as_str().unwrap().to_owned();
    let open = format!("/api/v1/clients/{alder}/vault/departures/{departure}/rotation-tickets");
    // Technicians may not; the client's admin may.
    let owen = app.token(OWEN).await;
    assert_eq!(app.api("POST", &open, Some(&owen), None).await.0, 403);
    let (s, opened) = app.api("POST", &open, Some(&priya), None).await;
    assert_eq!(s, 200, "{opened}");
    let opened = opened["opened"].as_array().unwrap().clone();
    assert_eq!(opened.len(), 2, "the registrar was changed since");
    let (_, again) = app.api("POST", &open, Some(&priya), None).await;
    assert_eq!(
        again["opened"].as_array().unwrap().len(),
        0,
        "asking again opens nothing twice"
    );
    let mut titles = Vec::new();
    for t in &opened {
        let (_, ticket) = app
            .api(
                "GET",
                &format!("/api/v1/tickets/{}", t.as_str().unwrap()),
                Some(&priya),
                None,
            )
            .await;
        assert!(
            !ticket.to_string().contains(FIREWALL) && !ticket.to_string().contains("wifi-psk-55")
        );
        titles.push(ticket["ticket"]["title"].as_str().unwrap().to_owned());
    }
    titles.sort();
    assert_eq!(
        titles,
        [
            "Rotate Firewall admin: revealed by Dev Ramanathan who left",
            "Rotate Office Wi-Fi: revealed by Dev Ramanathan who left",
        ]
    );
    // The engagement with Corvid ends: the engineer who revealed there
    // leaves with it, and the tickets land with the in-house team.
    let crv = add_secret(&app, &ben, &corvid, "M365 break-glass", "bg-corvid-1").await;
    let (s, _) = app
        .api(
            "POST",
            &reveal_path(&corvid, &crv),
            Some(&tomasz),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 200);
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    let corvid_eng = engs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == corvid.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{corvid_eng}/end"),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (_, deps) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{corvid}/vault/departures"),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(deps[0]["reason"], "the engagement ended");
    assert_eq!(deps[0]["user_name"], "Tomasz Wrobel");
    let departure = deps[0]["id"].as_str().unwrap();
    let (s, opened) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{corvid}/vault/departures/{departure}/rotation-tickets"),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(s, 200, "{opened}");
    let (_, ticket) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{}", opened["opened"][0].as_str().unwrap()),
            Some(&ben),
            None,
        )
        .await;
    assert_eq!(ticket["ticket"]["owner_side"], "in_house");
    // The departures page offers the button.
    let mut b = app.browser(PRIYA).await;
    let page = text(b.get(&format!("/vault/{alder}/departures")).await).await;
    assert!(page.contains("Dev Ramanathan") && page.contains("class=\"open-rotation-tickets\""));
}

#[tokio::test]
async fn a_new_secret_clears_due_and_stale_versions_are_refused() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let today = today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    let mut ids = Vec::new();
    for (name, due) in [("Overdue", day(-3)), ("Soon", day(10)), ("Later", day(100))] {
        let (s, b) = app
            .api(
                "POST",
                &format!("/api/v1/clients/{alder}/secrets"),
                Some(&priya),
                Some(json!({ "name": name, "secret": "s3cret!", "rotation_due_on": due })),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        ids.push(b["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(due(&app, &priya, &alder).await, ["Overdue", "Soon"]);
    let path = format!("/api/v1/clients/{alder}/secrets/{}", ids[0]);
    let (s, b) = app
        .api_with(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "secret": "n3w!", "rotation_due_on": day(90) })),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 2);
    assert_eq!(due(&app, &priya, &alder).await, ["Soon"]);
    let (s, _) = app
        .api_with(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "name": "Renamed" })),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 412);
    // The service call the client overview uses.
    let actor = app.tandem.resolve_token(&priya).await.unwrap();
    let soon = app
        .tandem
        .secrets_due_for_rotation(&actor, alder.parse().unwrap(), 14)
        .await
        .unwrap();
    assert_eq!(
        soon.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        ["Soon"]
    );
}

/// The names of the client's credentials due within 14 days.
async fn due(app: &TestApp, token: &str, client: &str) -> Vec<String> {
    let (_, d) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{client}/secrets/due?within_days=14"),
            Some(token),
            None,
        )
        .await;
    d.as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_demo_keeps_credentials_revealed_by_both_sides() {
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
    let (s, list) = call(
        &app,
        "GET",
        &format!("/api/v1/clients/{alder}/secrets"),
        &token,
        None,
    )
    .await;
    assert_eq!(s, 200);
    let names: Vec<_> = list["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Domain registrar",
            "Firewall admin",
            "Microsoft 365 break-glass",
            "Office Wi-Fi (PSK)"
        ]
    );
    let (_, log) = call(
        &app,
        "GET",
        &format!("/api/v1/clients/{alder}/secret-reveals"),
        &token,
        None,
    )
    .await;
    let sides: std::collections::BTreeSet<_> = log["reveals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["side"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        sides.into_iter().collect::<Vec<_>>(),
        ["client", "provider"]
    );
    let (_, due) = call(
        &app,
        "GET",
        &format!("/api/v1/clients/{alder}/secrets/due?within_days=14"),
        &token,
        None,
    )
    .await;
    assert_eq!(
        due.as_array().unwrap().len(),
        2,
        "one overdue, one due soon: {due}"
    );
}

#[tokio::test]
async fn webhook_signing_secrets_are_stored_sealed_under_the_clients_data_key() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/webhooks"),
            Some(&priya),
            Some(json!({ "name": "Pager", "url": "https://hooks.example.com/tandem", "events": ["opened"] })),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let secret = b["secret"].as_str().unwrap().to_owned();
    let id = b["webhook"]["id"].as_str().unwrap().to_owned();
    let sql = format!("SELECT secret FROM webhooks WHERE id = '{id}'");
    let stored: String = match &app.tandem.db {
        Db::Sqlite { read, .. } => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(read)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(p)
            .await
            .unwrap(),
    };
    assert!(stored.starts_with("vault:v1:"), "{stored}");
    assert!(!stored.contains(&secret[8..]));
}

/// DELETE a credential, with `If-Match` when a version is given.
async fn delete(app: &TestApp, token: &str, path: &str, version: Option<&str>) -> StatusCode {
    let headers: Vec<(&str, &str)> = version.map(|v| ("if-match", v)).into_iter().collect();
    app.api_with("DELETE", path, Some(token), None, &headers)
        .await
        .0
}

#[tokio::test]
async fn a_deleted_credential_is_erased_and_gone_from_every_read_but_its_reveals_stay_logged() {
    let app = TestApp::demo().await;
    let (mara, priya, dev, helen) = (
        app.token(MARA).await,
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(HELEN).await,
    );
    let alder = app.org("alder");
    let fw = add_secret(&app, &priya, &alder, "Firewall admin", FIREWALL).await;
    let wifi = add_secret(&app, &priya, &alder, "Office Wi-Fi", "wifi-psk-55").await;
    for id in [&fw, &wifi] {
        let (s, _) = app
            .api(
                "POST",
                &reveal_path(&alder, id),
                Some(&dev),
                Some(json!({ "password": PASSWORD })),
            )
            .await;
        assert_eq!(s, 200);
    }
    let path = format!("/api/v1/clients/{alder}/secrets/{fw}");
    // The viewer may not; a missing or stale version is refused.
    assert_eq!(delete(&app, &helen, &path, Some("1")).await, 403);
    assert_eq!(delete(&app, &dev, &path, None).await, 428);
    assert_eq!(delete(&app, &dev, &path, Some("7")).await, 412);
    // The engineer who keeps Alder's credentials with its team may.
    assert_eq!(delete(&app, &dev, &path, Some("1")).await, 204);
    // Gone from every read, and deleting again finds nothing.
    assert_eq!(app.api("GET", &path, Some(&priya), None).await.0, 404);
    let (s, _) = app
        .api(
            "POST",
            &reveal_path(&alder, &fw),
            Some(&priya),
            Some(json!({ "password": PASSWORD })),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = app
        .api_with(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "username": "root" })),
            &[("if-match", "2")],
        )
        .await;
    assert_eq!(s, 404);
    assert_eq!(delete(&app, &dev, &path, Some("2")).await, 404);
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/secrets"),
            Some(&priya),
            None,
        )
        .await;
    assert!(!list.to_string().contains("Firewall admin"), "{list}");
    // The row keeps no ciphertext of the secret or its notes.
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM vault_secrets WHERE id = '{fw}' AND secret_ct = '' AND notes_ct = '' AND deleted_at IS NOT NULL"
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'vault.delete' AND object_id = '{fw}'"
        ))
        .await,
        1
    );
    // The client admin still sees who revealed it, under its name.
    let (_, log) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/secret-reveals?secret_id={fw}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(log["reveals"].as_array().unwrap().len(), 1, "{log}");
    assert_eq!(log["reveals"][0]["secret_name"], "Firewall admin");
    // Its name is free for a new credential.
    add_secret(&app, &priya, &alder, "Firewall admin", "Fw-new-8842").await;
    // When Dev leaves Alder, only what still exists is offered for rotation.
    take_dev_off_alder(&app, &mara, &dev).await;
    let (_, deps) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/vault/departures"),
            Some(&priya),
            None,
        )
        .await;
    let left: Vec<_> = deps[0]["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["secret_id"].as_str().unwrap())
        .collect();
    assert_eq!(left, [wifi.as_str()], "{deps}");
}

#[tokio::test]
async fn the_credential_page_deletes_for_it_staff_and_offers_the_viewer_nothing() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let id = add_secret(&app, &priya, &alder, "Firewall admin", FIREWALL).await;
    let page = format!("/vault/{alder}/secrets/{id}");
    let mut viewer = app.browser(HELEN).await;
    let shown = text(viewer.get(&page).await).await;
    assert!(shown.contains("Firewall admin") && !shown.contains("id=\"delete-secret\""));
    let mut owen = app.browser(OWEN).await;
    let shown = text(owen.get(&page).await).await;
    assert!(shown.contains("id=\"delete-secret\""), "{shown}");
    let csrf = owen.csrf(&page).await;
    // A stale version is answered on the page, nothing deleted.
    let res = owen
        .post(
            &format!("{page}/delete"),
            &[("csrf", &csrf), ("version", "5")],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(text(res).await.contains("id=\"vault-error\""));
    let res = owen
        .post(
            &format!("{page}/delete"),
            &[("csrf", &csrf), ("version", "1")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/vault?client={alder}"));
    let list = text(owen.get(&format!("/vault?client={alder}")).await).await;
    assert!(!list.contains("Firewall admin"), "{list}");
    assert_eq!(owen.get(&page).await.status(), 404);
}
