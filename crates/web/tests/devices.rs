//! The client's device inventory through the API and the page: adding,
//! changing and retiring devices, the per-class counts on a day that
//! per-device billing reads, the CSV import (all or nothing, the same file
//! twice changes nothing), and who may read and change it, including an
//! engineer whose engagement has ended reaching a device by id.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use support::*;

/// Send a CSV file to the import as `token`.
async fn import(app: &TestApp, token: &str, client: &str, csv: &str) -> (StatusCode, Value) {
    let req = Request::builder()
        .method("POST")
        .uri(format!("/api/v1/clients/{client}/devices/import"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "text/csv")
        .body(Body::from(csv.to_owned()))
        .unwrap();
    let res = app.send(req).await;
    let status = res.status();
    if status.is_client_error() {
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json",
            "refusals are problems"
        );
    }
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The names of a client's devices, as `token` lists them.
async fn names(app: &TestApp, token: &str, client: &str) -> Vec<String> {
    let (s, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{client}/devices"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The counts of a client's devices on a day.
async fn counts(app: &TestApp, token: &str, client: &str, on: &str) -> Value {
    let (s, c) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{client}/devices/counts?on={on}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["on"], on);
    c["counts"].clone()
}

async fn add(app: &TestApp, token: &str, client: &str, body: Value) -> (StatusCode, Value) {
    app.api(
        "POST",
        &format!("/api/v1/clients/{client}/devices"),
        Some(token),
        Some(body),
    )
    .await
}

/// How many audit entries of `action` the client's log holds.
async fn audit_entries(app: &TestApp, token: &str, client: &str, action: &str) -> Vec<Value> {
    let (s, log) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{client}/audit"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{log}");
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == action)
        .cloned()
        .collect()
}

#[tokio::test]
async fn staff_add_change_and_retire_devices_and_the_counts_follow_the_dates() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let priya = app.token(PRIYA).await;
    let dev = app.token(DEV).await;

    let (s, pc) = add(
        &app,
        &priya,
        &alder,
        json!({ "name": "Reception PC", "class": "workstation", "acquired_on": "2026-01-10" }),
    )
    .await;
    assert_eq!(s, 201, "{pc}");
    assert_eq!(pc["status"], "active");
    assert_eq!(pc["version"], 1);
    let id = pc["id"].as_str().unwrap().to_owned();
    // The engaged engineer adds one too; a retirement date makes it retired.
    let (s, old) = add(
        &app,
        &dev,
        &alder,
        json!({ "name": "Old file server", "class": "server", "acquired_on": "2019-04-01", "retired_on": "2026-02-01" }),
    )
    .await;
    assert_eq!(s, 201, "{old}");
    assert_eq!(old["status"], "retired");
    let (s, sw) = add(
        &app,
        &priya,
        &alder,
        json!({ "name": "Core switch", "class": "network_device" }),
    )
    .await;
    assert_eq!(s, 201, "{sw}");

    // Names are unique per client without case; bad input names its field.
    let (s, p) = add(
        &app,
        &dev,
        &alder,
        json!({ "name": "RECEPTION pc", "class": "server" }),
    )
    .await;
    assert_eq!(s, 409, "{p}");
    for (body, field) in [
        (
            json!({ "name": "X", "class": "workstation", "acquired_on": "2026-02-30" }),
            "acquired_on",
        ),
        (
            json!({ "name": "X", "class": "workstation", "status": "retired" }),
            "retired_on",
        ),
        (
            json!({ "name": "X", "class": "server", "acquired_on": "2026-03-01", "retired_on": "2026-02-01" }),
            "retired_on",
        ),
        (json!({ "name": "  ", "class": "server" }), "name"),
    ] {
        let (s, p) = add(&app, &priya, &alder, body).await;
        assert_eq!(s, 422, "{p}");
        assert_eq!(p["field"], field, "{p}");
    }
    let (s, p) = add(
        &app,
        &priya,
        &alder,
        json!({ "name": "X", "class": "laptop" }),
    )
    .await;
    assert_eq!(s, 400, "{p}");
    assert_eq!(
        names(&app, &priya, &alder).await,
        vec!["Core switch", "Old file server", "Reception PC"]
    );

    // Changes need the version read; a stale one changes nothing.
    let path = format!("/api/v1/devices/{id}");
    let (s, _) = app
        .api(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "name": "Front desk PC" })),
        )
        .await;
    assert_eq!(s, 428);
    let (s, renamed) = app
        .api_with(
            "PATCH",
            &path,
            Some(&dev),
            Some(json!({ "name": "Front desk PC" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, 200, "{renamed}");
    assert_eq!(renamed["version"], 2);
    let (s, p) = app
        .api_with(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "class": "server" })),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(s, 412, "{p}");
    let (s, got) = app.api("GET", &path, Some(&priya), None).await;
    assert_eq!(s, 200);
    assert_eq!(got["name"], "Front desk PC");
    assert_eq!(got["class"], "workstation");

    // Retiring needs the date; then the device stops counting that day.
    let (s, p) = app
        .api_with(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "status": "retired" })),
            &[("if-match", "2")],
        )
        .await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["field"], "retired_on");
    let (s, retired) = app
        .api_with(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "status": "retired", "retired_on": "2026-03-01" })),
            &[("if-match", "2")],
        )
        .await;
    assert_eq!(s, 200, "{retired}");
    assert_eq!(retired["status"], "retired");
    assert_eq!(retired["version"], 3);

    for (on, ws, srv, net) in [
        ("2026-01-09", 0, 1, 1),
        ("2026-01-10", 1, 1, 1),
        ("2026-01-31", 1, 1, 1),
        ("2026-02-01", 1, 0, 1),
        ("2026-02-28", 1, 0, 1),
        ("2026-03-01", 0, 0, 1),
    ] {
        let c = counts(&app, &dev, &alder, on).await;
        assert_eq!(
            (
                c["workstation"].clone(),
                c["server"].clone(),
                c["network_device"].clone(),
                c["other"].clone()
            ),
            (json!(ws), json!(srv), json!(net), json!(0)),
            "on {on}"
        );
    }
    let (s, p) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/devices/counts?on=March"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(p["field"], "on");

    // Back in service: the retirement date goes with the status.
    let (s, back) = app
        .api_with(
            "PATCH",
            &path,
            Some(&priya),
            Some(json!({ "status": "active" })),
            &[("if-match", "3")],
        )
        .await;
    assert_eq!(s, 200, "{back}");
    assert_eq!(back["retired_on"], Value::Null);

    // One audit entry per change, with what changed.
    let adds = audit_entries(&app, &priya, &alder, "device.add").await;
    assert_eq!(adds.len(), 3);
    let retirements = audit_entries(&app, &priya, &alder, "device.retire").await;
    assert_eq!(retirements.len(), 1);
    assert!(
        retirements[0]["change"]
            .as_str()
            .unwrap()
            .contains("2026-03-01")
    );
    assert_eq!(
        audit_entries(&app, &priya, &alder, "device.change")
            .await
            .len(),
        2
    );
}

const FILE: &str = "name,class,status,acquired_on,retired_on\r\n\
    ALD-WS-001,Workstation,Active,2025-03-01,\r\n\
    ALD-WS-002,workstation,active,,\r\n\
    ALD-SRV-01,Server,Active,2024-06-01,\r\n\
    \"ALD-NET-01 Core switch, floor 2\",Network device,Active,2024-06-01,\r\n\
    ALD-WS-OLD,WORKSTATION,Retired,2020-01-01,2026-01-15\r\n";

#[tokio::test]
async fn an_import_is_all_or_nothing_and_the_same_file_twice_changes_nothing() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let owen = app.token(OWEN).await;
    let priya = app.token(PRIYA).await;

    let (s, out) = import(&app, &owen, &alder, FILE).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out, json!({ "added": 5, "changed": 0, "unchanged": 0 }));
    let c = counts(&app, &priya, &alder, "2026-01-14").await;
    assert_eq!(
        c,
        json!({ "workstation": 3, "server": 1, "network_device": 1, "other": 0 })
    );
    let c = counts(&app, &priya, &alder, "2026-01-15").await;
    assert_eq!(c["workstation"], 2);

    let (s, again) = import(&app, &owen, &alder, FILE).await;
    assert_eq!(s, 200, "{again}");
    assert_eq!(again, json!({ "added": 0, "changed": 0, "unchanged": 5 }));

    // A name in another case is the same device: the file's row wins.
    let edited = FILE.replace(
        "ALD-WS-002,workstation,active,,",
        "ald-ws-002,Server,Active,2025-09-01,",
    ) + "ALD-PRN-01,Other,Active,,\r\n";
    let (s, out) = import(&app, &owen, &alder, &edited).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(out, json!({ "added": 1, "changed": 1, "unchanged": 4 }));
    let list = names(&app, &priya, &alder).await;
    assert!(list.contains(&"ald-ws-002".to_owned()), "{list:?}");
    assert_eq!(list.len(), 6);
    let c = counts(&app, &priya, &alder, "2026-01-14").await;
    assert_eq!(
        c,
        json!({ "workstation": 2, "server": 2, "network_device": 1, "other": 1 })
    );

    // One bad row refuses the whole file: every bad row is named, and
    // nothing of it is stored, not even the good rows.
    let bad = "name,class,status,acquired_on,retired_on\n\
               ALD-WS-NEW,Workstation,Active,2026-02-01,\n\
               ALD-WS-001,Laptop,Active,,\n\
               ALD-SRV-01,Server,Retired,2024-06-01,\n\
               ALD-WS-NEW2,Workstation,Active,31/01/2026,\n\
               ALD-WS-NEW3,Workstation\n";
    let (s, p) = import(&app, &owen, &alder, bad).await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["field"], "file");
    assert_eq!(p["total_errors"], 4);
    let rows: Vec<(i64, Value)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["column"].clone()))
        .collect();
    assert_eq!(
        rows,
        vec![
            (3, json!("class")),
            (4, json!("retired_on")),
            (5, json!("acquired_on")),
            (6, Value::Null)
        ]
    );
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("Laptop")
    );
    let after = names(&app, &priya, &alder).await;
    assert_eq!(after, list, "a refused file stores nothing");
    let (_, srv) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/devices"),
            Some(&priya),
            None,
        )
        .await;
    assert!(
        srv.as_array()
            .unwrap()
            .iter()
            .all(|d| d["status"] == "active" || d["name"] == "ALD-WS-OLD")
    );

    // A header that is not ours, an empty file, too many rows, too many bytes.
    let (s, p) = import(&app, &owen, &alder, "hostname,type\nPC,desktop\n").await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["errors"][0]["row"], 1);
    let (s, p) = import(&app, &owen, &alder, "").await;
    assert_eq!(s, 422, "{p}");
    assert_eq!(p["field"], "file");
    let many = format!(
        "name,class,status\n{}",
        (0..5001)
            .map(|i| format!("PC-{i},workstation,active\n"))
            .collect::<String>()
    );
    let (s, p) = import(&app, &owen, &alder, &many).await;
    assert_eq!(s, 422, "{p}");
    assert!(p["detail"].as_str().unwrap().contains("5000"), "{p}");
    let huge = format!("name,class,status\n{}", "x".repeat(1024 * 1024));
    let (s, p) = import(&app, &owen, &alder, &huge).await;
    assert_eq!(s, 413, "{p}");
    assert_eq!(names(&app, &priya, &alder).await, list);

    // One audit entry per import that ran (refusals store nothing), with its counts.
    let imports = audit_entries(&app, &priya, &alder, "device.import").await;
    assert_eq!(imports.len(), 3, "{imports:?}");
    let newest: Value = serde_json::from_str(imports[0]["change"].as_str().unwrap()).unwrap();
    assert_eq!(
        newest,
        json!({ "rows": 6, "added": 1, "changed": 1, "unchanged": 4 })
    );
    assert!(
        audit_entries(&app, &priya, &alder, "device.add")
            .await
            .is_empty()
    );
}

#[tokio::test]
async fn the_viewer_reads_requesters_and_strangers_find_nothing_and_ended_access_ends() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let priya = app.token(PRIYA).await;
    let (s, d) = add(
        &app,
        &priya,
        &alder,
        json!({ "name": "Warehouse scanner", "class": "other" }),
    )
    .await;
    assert_eq!(s, 201);
    let id = d["id"].as_str().unwrap().to_owned();
    let by_id = format!("/api/v1/devices/{id}");
    let list = format!("/api/v1/clients/{alder}/devices");
    let counts_path = format!("/api/v1/clients/{alder}/devices/counts");

    // The viewer reads everything and changes nothing.
    let helen = app.token(HELEN).await;
    for path in [&by_id, &list, &counts_path] {
        let (s, _) = app.api("GET", path, Some(&helen), None).await;
        assert_eq!(s, 200, "{path}");
    }
    let (s, _) = add(
        &app,
        &helen,
        &alder,
        json!({ "name": "Mine", "class": "other" }),
    )
    .await;
    assert_eq!(s, 403);
    let (s, _) = app
        .api_with(
            "PATCH",
            &by_id,
            Some(&helen),
            Some(json!({ "name": "Renamed" })),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = import(&app, &helen, &alder, FILE).await;
    assert_eq!(s, 403);

    // A requester, an engineer not on Alder and another client's admin:
    // not found, by list and by id alike.
    for who in [LUIS, TOMASZ, BEN] {
        let token = app.token(who).await;
        for path in [&by_id, &list, &counts_path] {
            let (s, _) = app.api("GET", path, Some(&token), None).await;
            assert_eq!(s, 404, "{who} {path}");
        }
        let (s, _) = app
            .api_with(
                "PATCH",
                &by_id,
                Some(&token),
                Some(json!({ "name": "Mine now" })),
                &[("if-match", "1")],
            )
            .await;
        assert_eq!(s, 404, "{who}");
        let (s, _) = import(&app, &token, &alder, FILE).await;
        assert_eq!(s, 404, "{who}");
    }
    // The provider keeps no inventory of its own.
    let mara = app.token(MARA).await;
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/devices", app.org("harborlane")),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!(s, 404);

    // The engaged engineer reads and changes it until the engagement ends;
    // then the device is not found, by list or by its id.
    let dev = app.token(DEV).await;
    let (s, _) = app.api("GET", &by_id, Some(&dev), None).await;
    assert_eq!(s, 200);
    let (s, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    assert_eq!(s, 200);
    let engagement = engs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == alder.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{engagement}/end"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200);
    for path in [&by_id, &list, &counts_path] {
        let (s, _) = app.api("GET", path, Some(&dev), None).await;
        assert_eq!(s, 404, "{path} after the end");
    }
    let (s, _) = app
        .api_with(
            "PATCH",
            &by_id,
            Some(&dev),
            Some(json!({ "name": "Still mine?" })),
            &[("if-match", "1")],
        )
        .await;
    assert_eq!(s, 404);
    // The client keeps its inventory.
    assert_eq!(names(&app, &priya, &alder).await, vec!["Warehouse scanner"]);
}

/// The text of a page without its tags, for checking what a person reads.
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn the_page_lists_in_words_counts_today_and_takes_every_change() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let page = format!("/devices?client={alder}");
    let mut b = app.browser(PRIYA).await;
    let html = text(b.get("/dashboard").await).await;
    assert!(html.contains("id=\"nav-devices\""), "staff see the link");
    let html = text(b.get(&page).await).await;
    assert!(html.contains("id=\"no-devices\""));

    let res = b
        .submit(
            "/devices",
            &[
                ("client_id", &alder),
                ("name", "Core switch"),
                ("class", "network_device"),
                ("status", "active"),
                ("acquired_on", "2024-01-01"),
                ("retired_on", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res), page);
    // A name in another case is refused on the page, in words.
    let res = b
        .submit(
            "/devices",
            &[
                ("client_id", &alder),
                ("name", "CORE SWITCH"),
                ("class", "server"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(text(res).await.contains("id=\"device-error\""));
    let res = b
        .submit(
            "/devices",
            &[
                ("client_id", &alder),
                ("name", "Old PC"),
                ("class", "workstation"),
                ("status", "retired"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(
        html.contains("Retired on: a retired device needs"),
        "{html}"
    );

    // Import a file through the upload form.
    let csrf = b.csrf("/account").await;
    let file = "name,class,status,acquired_on\nALD-WS-001,Workstation,Active,2025-01-01\nALD-PRN-01,other,active,\n";
    let res = b
        .post_multipart(
            "/devices/import",
            &[("csrf", &csrf), ("client_id", &alder)],
            Some(("inventory.csv", "text/csv", file.as_bytes())),
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res);
    assert!(to.starts_with(&page), "{to}");
    let html = text(b.get(&to).await).await;
    assert!(
        html.contains("Import done: 2 added, 0 changed, 0 unchanged."),
        "{html}"
    );
    // The table and the counts speak words; only the import's help names
    // the file's column headings, which are typed as they are.
    let from = html.find("id=\"device-counts\"").unwrap();
    let to = html[from..].find("</table>").unwrap() + from;
    let shown = visible_text(&html[from..to]);
    for words in [
        "Network device",
        "Workstation",
        "Other",
        "Active",
        "Network devices",
    ] {
        assert!(shown.contains(words), "{words} in {shown}");
    }
    for code in ["network_device", "workstation", "active", "acquired_on"] {
        assert!(!shown.contains(code), "the code {code} is shown");
    }
    assert!(html.contains("data-count=\"network_device\">1<"), "{html}");
    assert!(html.contains("data-count=\"total\">3<"));

    // A bad file: every refused row is listed, nothing is stored.
    let bad = "name,class,status\nALD-WS-002,Laptop,Active\nALD-WS-003,Workstation,Gone\n";
    let res = b
        .post_multipart(
            "/devices/import",
            &[("csrf", &csrf), ("client_id", &alder)],
            Some(("inventory.csv", "text/csv", bad.as_bytes())),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    assert!(html.contains("id=\"import-problems\""));
    assert!(
        html.contains("<td>2</td>") && html.contains("<td>3</td>"),
        "{html}"
    );
    assert!(html.contains("Nothing was imported: 2 rows"));
    assert!(!html.contains("ALD-WS-002<"), "nothing stored");

    // Change one through its form, retire another through its button.
    let priya = app.token(PRIYA).await;
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/devices"),
            Some(&priya),
            None,
        )
        .await;
    let id_of = |name: &str| {
        list.as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (printer, ws) = (id_of("ALD-PRN-01"), id_of("ALD-WS-001"));
    let html = text(b.get(&format!("{page}&edit={printer}")).await).await;
    assert!(html.contains("id=\"edit-device\""));
    let res = b
        .submit(
            &format!("/devices/{printer}"),
            &[
                ("version", "1"),
                ("name", "ALD-PRN-01 Reception printer"),
                ("class", "other"),
                ("status", "active"),
                ("acquired_on", "2025-05-05"),
                ("retired_on", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // The same form sent again is a version too old: refused, in words.
    let res = b
        .submit(
            &format!("/devices/{printer}"),
            &[
                ("version", "1"),
                ("name", "Something else"),
                ("class", "other"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let res = b
        .submit(
            &format!("/devices/{ws}/retire"),
            &[("version", "1"), ("retired_on", "2026-01-31")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, d) = app
        .api("GET", &format!("/api/v1/devices/{ws}"), Some(&priya), None)
        .await;
    assert_eq!(d["status"], "retired");
    assert_eq!(d["retired_on"], "2026-01-31");
    let html = text(b.get(&page).await).await;
    assert!(html.contains("ALD-PRN-01 Reception printer"));
    assert!(visible_text(&html).contains("Retired"));
}

#[tokio::test]
async fn the_viewer_reads_the_page_without_forms_and_requesters_find_no_page() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let priya = app.token(PRIYA).await;
    let (s, _) = add(
        &app,
        &priya,
        &alder,
        json!({ "name": "Reception PC", "class": "workstation" }),
    )
    .await;
    assert_eq!(s, 201);
    let page = format!("/devices?client={alder}");

    let mut helen = app.browser(HELEN).await;
    let res = helen.get(&page).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = text(res).await;
    assert!(html.contains("Reception PC"));
    assert!(!html.contains("action=\"/devices\""), "no add form");
    assert!(!html.contains("action=\"/devices/import\""), "no upload");
    assert!(!html.contains("/retire\""), "no retire buttons");
    let res = helen
        .submit(
            "/devices",
            &[
                ("client_id", &alder),
                ("name", "Mine"),
                ("class", "other"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    let mut luis = app.browser(LUIS).await;
    let html = text(luis.get("/dashboard").await).await;
    assert!(!html.contains("nav-devices"), "requesters have no link");
    assert_eq!(luis.get(&page).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(luis.get("/devices").await.status(), StatusCode::NOT_FOUND);

    // The engineer on another client picks among the clients they work.
    let mut tomasz = app.browser(TOMASZ).await;
    assert_eq!(tomasz.get(&page).await.status(), StatusCode::NOT_FOUND);
    let res = tomasz.get("/devices").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(text(res).await.contains("Devices of Corvid Manufacturing"));
}
