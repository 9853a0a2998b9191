//! Shared documentation end to end: safe rendering, revisions with diffs
//! and restores, conflicting saves (API and form), stale pages in the
//! client's time zone, search within what the reader may see, authorship
//! by side, links that never leak what the reader may not open, and the
//! viewer who only reads.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

/// The tags of an HTML text (what lies between `<` and `>`), lower case.
fn markup(html: &str) -> Vec<String> {
    html.split('<')
        .skip(1)
        .filter_map(|t| t.split_once('>').map(|(tag, _)| tag.to_lowercase()))
        .collect()
}

async fn create(app: &TestApp, token: &str, client: &str, body: Value) -> Value {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{client}/pages"),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    b
}

async fn patch(
    app: &TestApp,
    token: &str,
    client: &str,
    page: &str,
    version: i64,
    body: Value,
) -> (u16, Value) {
    let v = version.to_string();
    let (s, b) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/clients/{client}/pages/{page}"),
            Some(token),
            Some(body),
            &[("if-match", v.as_str())],
        )
        .await;
    (s.as_u16(), b)
}

async fn search(app: &TestApp, token: &str, client: &str, q: &str) -> (u16, Vec<String>) {
    let (s, b) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{client}/pages?q={q}"),
            Some(token),
            None,
        )
        .await;
    let titles = b["pages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|p| p["title"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (s.as_u16(), titles)
}

#[tokio::test]
async fn nothing_executable_survives_rendering_in_the_api_or_the_page() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let payloads = [
        "<script>alert('s')</script>",
        "<img src=x onerror=alert('i')>",
        "<img src=\"x\" onerror=\"alert('i')\">",
        "[click](javascript:alert('j'))",
        "[click](JAVASCRIPT:alert('J'))",
        "<div onclick=\"alert('c')\">raw html block</div>",
        "![pixel](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
        "<a href=\"data:text/html,<script>alert('d')</script>\">d</a>",
        "[t](https://ok.example \"x\\\" onmouseover=\\\"alert('m')\")",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<svg><script>alert('v')</script></svg>",
        "<style>body{display:none}</style>",
    ];
    let body = format!("# Runbook\n\nSafe **text**.\n\n{}", payloads.join("\n\n"));
    let p = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "<script>alert('t')</script>", "body": body }),
    )
    .await;
    let html = p["html"].as_str().unwrap().to_lowercase();
    assert!(html.contains("<h1>runbook</h1>"), "{html}");
    assert!(html.contains("<strong>text</strong>"));
    // What survives as markup: no dangerous element, attribute or URL
    // (payloads that are not valid HTML come through as escaped text).
    for tag in markup(&html) {
        for bad in ["script", "iframe", "style", "svg"] {
            assert!(!tag.starts_with(bad), "<{tag}> survived: {html}");
        }
        // Attribute names: outside the quoted values.
        let names: String = tag.split('"').step_by(2).collect();
        for bad in ["onerror", "onclick", "onmouseover"] {
            assert!(!names.contains(bad), "{bad} in <{tag}>: {html}");
        }
        for bad in ["javascript:", "data:"] {
            assert!(!tag.contains(bad), "{bad} in <{tag}>: {html}");
        }
    }
    assert!(
        html.contains("<img src=\"x\">"),
        "a harmless image stays: {html}"
    );
    assert!(html.contains("raw html block"), "text of a raw block stays");

    let mut b = app.browser(PRIYA).await;
    let res = b
        .get(&format!("/documents/{}", p["id"].as_str().unwrap()))
        .await;
    assert_eq!(res.status(), 200);
    let page = text(res).await.to_lowercase();
    assert!(!page.contains("<script>alert"));
    for tag in markup(&page) {
        let names: String = tag.split('"').step_by(2).collect();
        for bad in ["onerror", "onclick", "onmouseover", "javascript:"] {
            assert!(!names.contains(bad), "{bad} in <{tag}> on the page");
        }
    }
    let title = page
        .split_once("id=\"page-title\">")
        .and_then(|(_, rest)| rest.split_once("</h1>"))
        .map(|(t, _)| t.to_owned())
        .unwrap();
    assert!(
        title.contains("script") && !title.contains('<'),
        "the title is escaped: {title}"
    );

    // The preview shows the same sanitized render.
    let res = b
        .submit(
            "/documents",
            &[
                ("client_id", alder.as_str()),
                ("title", "Preview"),
                ("body", "<img src=x onerror=alert(1)> *fine*"),
                ("intent", "preview"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let page = text(res).await;
    assert!(page.contains("id=\"page-preview\""));
    assert!(page.contains("<em>fine</em>"));
    assert!(!page.contains("<img src=\"x\" onerror"));
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(
        list["pages"].as_array().unwrap().len(),
        1,
        "a preview stores nothing"
    );
}

#[tokio::test]
async fn every_save_is_a_revision_that_can_be_compared_and_restored() {
    let app = TestApp::demo().await;
    let (priya, dev) = (app.token(PRIYA).await, app.token(DEV).await);
    let alder = app.org("alder");
    let p = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Firewall", "folder": "Network/Firewalls", "tags": ["firewall"], "body": "one\ntwo\nthree\n" }),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    assert_eq!(p["version"], 1);
    let (s, b) = patch(
        &app,
        &dev,
        &alder,
        id,
        1,
        json!({ "body": "one\n2 <b>bold</b>\nthree\nfour\n" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["version"], 2);
    let base = format!("/api/v1/clients/{alder}/pages/{id}");
    let (_, revs) = app
        .api("GET", &format!("{base}/revisions"), Some(&priya), None)
        .await;
    let revs = revs.as_array().unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0]["number"], 2);
    assert_eq!(revs[0]["author_side"], "provider");
    assert_eq!(revs[1]["author_side"], "client");

    let (s, d) = app
        .api(
            "GET",
            &format!("{base}/diff?from=1&to=2"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200, "{d}");
    let ops: Vec<(String, String)> = d["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["op"].as_str().unwrap().to_owned(),
                l["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            ("same".into(), "one".into()),
            ("removed".into(), "two".into()),
            ("added".into(), "2 <b>bold</b>".into()),
            ("same".into(), "three".into()),
            ("added".into(), "four".into()),
        ]
    );
    let html = d["html"].as_str().unwrap();
    assert!(html.contains("<ins class=\"diff-added\">+ 2 &lt;b&gt;bold&lt;/b&gt;</ins>"));
    assert!(html.contains("<del class=\"diff-removed\">- two</del>"));

    // Restoring revision 1 is itself revision 3, with revision 1's text.
    let (s, r) = app
        .api_with(
            "POST",
            &format!("{base}/revisions/1/restore"),
            Some(&priya),
            None,
            &[("if-match", "2")],
        )
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["version"], 3);
    assert_eq!(r["body"], "one\ntwo\nthree\n");
    let (_, rev3) = app
        .api("GET", &format!("{base}/revisions/3"), Some(&priya), None)
        .await;
    assert_eq!(rev3["restored_from"], 1);
    assert_eq!(rev3["body"], "one\ntwo\nthree\n");
    let (_, rev2) = app
        .api("GET", &format!("{base}/revisions/2"), Some(&priya), None)
        .await;
    assert_eq!(
        rev2["body"], "one\n2 <b>bold</b>\nthree\nfour\n",
        "history keeps everything"
    );

    // The history page shows the diff of two chosen revisions, escaped.
    let mut b = app.browser(OWEN).await;
    let res = b.get(&format!("/documents/{id}/history?from=1&to=2")).await;
    assert_eq!(res.status(), 200);
    let page = text(res).await;
    assert!(page.contains("+ 2 &lt;b&gt;bold&lt;/b&gt;"), "{page}");
    assert!(!page.contains("<b>bold</b>"));
    // Restoring through the page.
    let res = b
        .submit(
            &format!("/documents/{id}/restore"),
            &[("number", "2"), ("version", "3")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, now) = app.api("GET", &base, Some(&priya), None).await;
    assert_eq!(now["version"], 4);
    assert_eq!(now["body"], "one\n2 <b>bold</b>\nthree\nfour\n");

    // Each step is in the client's audit log.
    let (_, audit) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/audit"),
            Some(&priya),
            None,
        )
        .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["object_id"] == id)
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for a in ["page.create", "page.save", "page.restore"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let (s, _) = app.api("DELETE", &base, Some(&dev), None).await;
    assert_eq!(s, 204);
    let (s, _) = app.api("GET", &base, Some(&priya), None).await;
    assert_eq!(s, 404);
    let (_, audit) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/audit"),
            Some(&priya),
            None,
        )
        .await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["object_id"] == id && e["action"] == "page.delete")
    );
}

#[tokio::test]
async fn a_save_on_an_old_version_is_refused_and_the_form_keeps_the_text() {
    let app = TestApp::demo().await;
    let (priya, dev) = (app.token(PRIYA).await, app.token(DEV).await);
    let alder = app.org("alder");
    let p = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "VPN", "body": "Connect with the client.\n" }),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();

    // Two people open the editor at version 1.
    let mut owen = app.browser(OWEN).await;
    let form = text(owen.get(&format!("/documents/{id}/edit")).await).await;
    assert!(form.contains("name=\"version\" value=\"1\""));

    let (s, _) = patch(
        &app,
        &dev,
        &alder,
        &id,
        1,
        json!({ "body": "Connect with the new client.\n" }),
    )
    .await;
    assert_eq!(s, 200);
    // The API refuses a stale version (412) and a missing one (428).
    let (s, b) = patch(&app, &priya, &alder, &id, 1, json!({ "body": "mine" })).await;
    assert_eq!(s, 412, "{b}");
    let (s, _) = app
        .api(
            "PATCH",
            &format!("/api/v1/clients/{alder}/pages/{id}"),
            Some(&priya),
            Some(json!({ "body": "mine" })),
        )
        .await;
    assert_eq!(s, 428);

    // The form: a clear message, the person's text kept, nothing saved.
    let mine = "Connect with the client.\nUse <MFA> & the token.\n";
    let res = owen
        .submit(
            &format!("/documents/{id}/edit"),
            &[
                ("version", "1"),
                ("title", "VPN"),
                ("body", mine),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    let page = text(res).await;
    assert!(
        page.contains("Someone saved this page since you opened it"),
        "{page}"
    );
    assert!(
        page.contains("Use &lt;MFA&gt; &amp; the token."),
        "the text is kept, escaped"
    );
    assert!(page.contains("name=\"version\" value=\"2\""));
    let (_, now) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages/{id}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(now["body"], "Connect with the new client.\n");
    assert_eq!(now["version"], 2);

    // Saving again on the version the form now carries replaces it.
    let res = owen
        .submit(
            &format!("/documents/{id}/edit"),
            &[
                ("version", "2"),
                ("title", "VPN"),
                ("body", mine),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, now) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages/{id}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(now["body"], mine);
}

#[tokio::test]
async fn stale_pages_are_those_past_their_review_date_in_the_clients_time_zone() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Due on the 10th", "review_on": "2026-03-10" }),
    )
    .await;
    create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Due on the 11th", "review_on": "2026-03-11" }),
    )
    .await;
    create(&app, &priya, &alder, json!({ "title": "Never due" })).await;
    let actor = app.tandem.resolve_token(&priya).await.unwrap();
    let client: tandem_domain::OrgId = alder.parse().unwrap();
    // 23:30 UTC on the 10th: still the 10th in UTC and in Los Angeles,
    // already the 11th in Auckland.
    let now: jiff::Timestamp = "2026-03-10T23:30:00Z".parse().unwrap();
    let stale = |zone: &'static str| {
        let (app, priya, alder, actor) = (&app, &priya, &alder, &actor);
        async move {
            let (s, b) = app
                .api(
                    "PUT",
                    &format!("/api/v1/clients/{alder}/calendar"),
                    Some(priya),
                    Some(json!({ "time_zone": zone, "windows": [{ "day": "mon", "start": "08:00", "end": "18:00" }], "holidays": [], "yearly_holidays": [] })),
                )
                .await;
            assert!(s.is_success(), "{b}");
            let mut titles: Vec<String> = app
                .tandem
                .stale_pages(actor, client, now)
                .await
                .unwrap()
                .into_iter()
                .map(|p| p.title)
                .collect();
            titles.sort();
            titles
        }
    };
    assert!(stale("America/Los_Angeles").await.is_empty());
    assert!(stale("UTC").await.is_empty());
    assert_eq!(stale("Pacific/Auckland").await, vec!["Due on the 10th"]);
    let later: jiff::Timestamp = "2026-03-12T12:00:00Z".parse().unwrap();
    let n = app
        .tandem
        .stale_pages(&actor, client, later)
        .await
        .unwrap()
        .len();
    assert_eq!(n, 2);
}

#[tokio::test]
async fn search_finds_only_what_the_reader_may_read() {
    let app = TestApp::demo().await;
    let (priya, ben, dev, luis, mara, igor) = (
        app.token(PRIYA).await,
        app.token(BEN).await,
        app.token(DEV).await,
        app.token(LUIS).await,
        app.token(MARA).await,
        app.token(IGOR).await,
    );
    let (alder, corvid) = (app.org("alder"), app.org("corvid"));
    create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Zebrafirewall rules", "body": "internal", "tags": ["network"] }),
    )
    .await;
    create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Printing", "body": "Restart the zebrafirewall agent", "published": true }),
    )
    .await;
    create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Tagged only", "body": "nothing", "tags": ["zebrafirewall"] }),
    )
    .await;
    create(
        &app,
        &ben,
        &corvid,
        json!({ "title": "Corvid zebrafirewall", "published": true }),
    )
    .await;

    let (s, mut found) = search(&app, &priya, &alder, "zebrafire").await;
    assert_eq!(s, 200);
    found.sort();
    assert_eq!(
        found,
        vec!["Printing", "Tagged only", "Zebrafirewall rules"],
        "titles, bodies and tags, prefix of the last word"
    );
    let (_, found) = search(&app, &dev, &alder, "zebrafirewall").await;
    assert_eq!(found.len(), 3);
    // The other client's pages are never found, nor its list reachable.
    assert!(!found.iter().any(|t| t.starts_with("Corvid")));
    let (s, _) = search(&app, &priya, &corvid, "zebrafirewall").await;
    assert_eq!(s, 404);
    let (s, _) = search(&app, &dev, &corvid, "zebrafirewall").await;
    assert_eq!(s, 404);
    // Requesters find published pages only, of their own client.
    let (s, found) = search(&app, &luis, &alder, "zebrafirewall").await;
    assert_eq!(s, 200);
    assert_eq!(found, vec!["Printing"]);
    let (s, _) = search(&app, &igor, &alder, "zebrafirewall").await;
    assert_eq!(s, 404);
    let (_, found) = search(&app, &igor, &corvid, "zebrafirewall").await;
    assert_eq!(found, vec!["Corvid zebrafirewall"]);
    // The documents page searches the same way.
    let mut b = app.browser(LUIS).await;
    let page = text(
        b.get(&format!("/documents?client={alder}&q=zebrafirewall"))
            .await,
    )
    .await;
    assert!(page.contains(">Printing</a>"));
    assert!(!page.contains("Zebrafirewall rules"));

    // Ticket search shows the page hits the reader may read beside the
    // ticket hits.
    let queue = text(b.get("/tickets?q=zebrafirewall").await).await;
    assert!(queue.contains("id=\"page-hits\""), "{queue}");
    assert!(queue.contains(">Printing</a>"));
    assert!(!queue.contains("Zebrafirewall rules"));
    assert!(!queue.contains("Corvid zebrafirewall"));
    let mut d = app.browser(DEV).await;
    let queue = text(d.get("/tickets?q=zebrafirewall").await).await;
    assert!(queue.contains("Zebrafirewall rules"));
    assert!(
        !queue.contains("Corvid zebrafirewall"),
        "DEV is not on Corvid"
    );

    // Once the engagement ends, its engineer finds nothing.
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    let eng = engs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == alder.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{eng}/end"),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, found) = search(&app, &dev, &alder, "zebrafirewall").await;
    assert_eq!(s, 404);
    assert!(found.is_empty());
    let queue = text(d.get("/tickets?q=zebrafirewall").await).await;
    assert!(!queue.contains("id=\"page-hits\""), "{queue}");
}

#[tokio::test]
async fn authorship_counts_each_side_and_who_keeps_pages_up_to_date() {
    let app = TestApp::demo().await;
    let (priya, dev) = (app.token(PRIYA).await, app.token(DEV).await);
    let alder = app.org("alder");
    let a = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "A", "body": "a", "review_on": "2999-01-01" }),
    )
    .await;
    create(
        &app,
        &priya,
        &alder,
        json!({ "title": "B", "body": "b", "review_on": "2000-01-01" }),
    )
    .await;
    let c = create(&app, &dev, &alder, json!({ "title": "C", "body": "c" })).await;
    let aid = a["id"].as_str().unwrap();
    let (s, _) = patch(&app, &dev, &alder, aid, 1, json!({ "body": "a2" })).await;
    assert_eq!(s, 200);
    let (s, p) = patch(&app, &dev, &alder, aid, 2, json!({ "body": "a3" })).await;
    assert_eq!(s, 200);
    let authors: Vec<(String, i64)> = p["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["side"].as_str().unwrap().to_owned(),
                a["revisions"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(authors, vec![("provider".into(), 2), ("client".into(), 1)]);
    let _ = c;
    let actor = app.tandem.resolve_token(&priya).await.unwrap();
    let counts = app
        .tandem
        .documents_authorship(&actor, alder.parse().unwrap(), jiff::Timestamp::now())
        .await
        .unwrap();
    let of = |side: &str| {
        let s = counts.iter().find(|c| c.side == side).unwrap();
        (s.wrote, s.kept_current)
    };
    // The client wrote A and B; the provider wrote C and saved A last. B
    // is past its review date, so nobody keeps it up to date.
    assert_eq!(of("client"), (2, 0));
    assert_eq!(of("provider"), (2, 2));
    let mut b = app.browser(HELEN).await;
    let page = text(b.get(&format!("/documents?client={alder}")).await).await;
    assert!(page.contains("data-wrote=\"provider\">2<"), "{page}");
    assert!(page.contains("data-kept=\"client\">0<"));
    assert!(page.contains("review overdue"));
    // Requesters do not learn who writes what.
    let luis = app.token(LUIS).await;
    let (s, p) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages/{aid}"),
            Some(&luis),
            None,
        )
        .await;
    assert_eq!(s, 404, "an unpublished page: {p}");
}

#[tokio::test]
async fn the_viewer_reads_but_cannot_write() {
    let app = TestApp::demo().await;
    let (priya, helen) = (app.token(PRIYA).await, app.token(HELEN).await);
    let alder = app.org("alder");
    let p = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Backups", "body": "nightly" }),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages/{id}"),
            Some(&helen),
            None,
        )
        .await;
    assert_eq!(s, 200);
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/pages"),
            Some(&helen),
            Some(json!({ "title": "Mine" })),
        )
        .await;
    assert_eq!(s, 403);
    let (s, _) = patch(&app, &helen, &alder, id, 1, json!({ "body": "weekly" })).await;
    assert_eq!(s, 403);
    let (s, _) = app
        .api(
            "DELETE",
            &format!("/api/v1/clients/{alder}/pages/{id}"),
            Some(&helen),
            None,
        )
        .await;
    assert_eq!(s, 403);
    let mut b = app.browser(HELEN).await;
    let view = text(b.get(&format!("/documents/{id}")).await).await;
    assert!(!view.contains("id=\"edit-page\""));
    assert!(!view.contains("id=\"delete-page\""));
    let res = b
        .submit(
            &format!("/documents/{id}/edit"),
            &[
                ("version", "1"),
                ("title", "Backups"),
                ("body", "weekly"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    let (_, now) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages/{id}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(now["body"], "nightly");
}

#[tokio::test]
async fn links_join_one_clients_objects_and_never_leak_what_the_reader_may_not_open() {
    let app = TestApp::demo().await;
    let (priya, ben, luis) = (
        app.token(PRIYA).await,
        app.token(BEN).await,
        app.token(LUIS).await,
    );
    let (alder, corvid) = (app.org("alder"), app.org("corvid"));
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&priya),
            Some(json!({ "client_id": alder, "title": "Secret server migration", "category": "help-desk", "impact": "low", "urgency": "low" })),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let internal = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Internal network secrets" }),
    )
    .await;
    let kb = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "How to print", "body": "Press print.", "published": true,
                "links": { "tickets": [t["id"]], "pages": [internal["id"]] } }),
    )
    .await;
    let titles: Vec<&str> = kb["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles.len(), 2, "staff see both links: {titles:?}");
    let kid = kb["id"].as_str().unwrap();
    let (s, seen) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages/{kid}"),
            Some(&luis),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(seen["links"], json!([]), "{seen}");
    assert_eq!(seen["authors"], json!([]));
    let mut b = app.browser(LUIS).await;
    let page = text(b.get(&format!("/documents/{kid}")).await).await;
    assert!(page.contains("Press print."));
    assert!(!page.contains("Secret server migration"));
    assert!(!page.contains("Internal network secrets"));
    let (s, _) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{alder}/pages/{kid}/revisions"),
            Some(&luis),
            None,
        )
        .await;
    assert_eq!(s, 404, "requesters see no history");

    // A link to another client's ticket or page is refused.
    let other = create(&app, &ben, &corvid, json!({ "title": "Corvid page" })).await;
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{alder}/pages"),
            Some(&priya),
            Some(json!({ "title": "Cross", "links": { "pages": [other["id"]] } })),
        )
        .await;
    assert_eq!(s, 422, "{b}");
}

#[tokio::test]
async fn creates_repeat_safely_and_lists_page_by_cursor_with_filters() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let path = format!("/api/v1/clients/{alder}/pages");
    let body = json!({ "title": "Onboarding Ada", "template": "onboarding" });
    let (s1, a) = app
        .api_with(
            "POST",
            &path,
            Some(&priya),
            Some(body.clone()),
            &[("idempotency-key", "k-1")],
        )
        .await;
    let (s2, b) = app
        .api_with(
            "POST",
            &path,
            Some(&priya),
            Some(body),
            &[("idempotency-key", "k-1")],
        )
        .await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (201, 201));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(a["folder"], "People");
    assert!(a["body"].as_str().unwrap().contains("MFA enrolled"));
    for (title, folder) in [
        ("Firewall", "Network/Firewalls"),
        ("Switches", "Network"),
        ("Vendors", ""),
    ] {
        create(
            &app,
            &priya,
            &alder,
            json!({ "title": title, "folder": folder, "tags": ["kit"] }),
        )
        .await;
    }
    let (_, first) = app
        .api("GET", &format!("{path}?limit=2"), Some(&priya), None)
        .await;
    assert_eq!(first["pages"].as_array().unwrap().len(), 2);
    let after = first["next_after"].as_str().unwrap();
    let (_, second) = app
        .api(
            "GET",
            &format!("{path}?limit=2&after={after}"),
            Some(&priya),
            None,
        )
        .await;
    let mut all: Vec<String> = first["pages"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["pages"].as_array().unwrap())
        .map(|p| p["title"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 4);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4, "no page twice");
    let (_, net) = app
        .api("GET", &format!("{path}?folder=Network"), Some(&priya), None)
        .await;
    let titles: Vec<&str> = net["pages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, vec!["Switches", "Firewall"]);
    let (_, kit) = app
        .api("GET", &format!("{path}?tag=kit"), Some(&priya), None)
        .await;
    assert_eq!(kit["pages"].as_array().unwrap().len(), 3);
    let (s, t) = app
        .api("GET", &format!("{path}/templates"), Some(&priya), None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(t.as_array().unwrap().len(), 5);
}

#[tokio::test]
async fn search_follows_every_save_and_delete() {
    // The index holds no copy of the text (see `doc_search` in the SQLite
    // schema): a save must take the old words out and put the new ones in,
    // and a delete take the page out, or search answers with stale pages.
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let page = create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Quokka gateway", "body": "The wombatrouter sits in rack 2" }),
    )
    .await;
    let id = page["id"].as_str().unwrap();
    let (_, found) = search(&app, &priya, &alder, "wombatrouter").await;
    assert_eq!(found, vec!["Quokka gateway"]);

    let (s, b) = patch(
        &app,
        &priya,
        &alder,
        id,
        1,
        json!({ "title": "Numbat gateway", "body": "The platypusswitch replaced it" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    for gone in ["wombatrouter", "quokka"] {
        let (_, found) = search(&app, &priya, &alder, gone).await;
        assert!(
            found.is_empty(),
            "{gone} is no longer on the page: {found:?}"
        );
    }
    let (_, found) = search(&app, &priya, &alder, "platypusswitch").await;
    assert_eq!(found, vec!["Numbat gateway"]);
    // A second page of the same client is found beside it, in its place.
    create(
        &app,
        &priya,
        &alder,
        json!({ "title": "Another platypusswitch", "body": "spare" }),
    )
    .await;
    let (_, mut found) = search(&app, &priya, &alder, "platypusswitch").await;
    found.sort();
    assert_eq!(found, vec!["Another platypusswitch", "Numbat gateway"]);

    let (s, _) = app
        .api(
            "DELETE",
            &format!("/api/v1/clients/{alder}/pages/{id}"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (_, found) = search(&app, &priya, &alder, "platypusswitch").await;
    assert_eq!(found, vec!["Another platypusswitch"]);
}
