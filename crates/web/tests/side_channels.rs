//! Side channels: what a person learns of tickets and people through other
//! objects (links, watcher lists, notifications, ids) rather than through
//! their own routes. Each test is an attack that worked before the rule
//! "a ticket reached through another object reads like its own route".
#![allow(clippy::unwrap_used)]

mod support;

use axum::http::StatusCode;
use serde_json::{Value, json};
use support::*;

const AMY: &str = "amy.chen@alder.example"; // another alder requester

async fn open(
    app: &TestApp,
    token: &str,
    client: &str,
    title: &str,
    on_behalf: Option<&str>,
) -> Value {
    let mut body = json!({ "client_id": client, "title": title, "category": "help-desk", "impact": "low", "urgency": "medium" });
    if let Some(r) = on_behalf {
        body["requester_id"] = json!(r);
    }
    let (s, t) = app
        .api("POST", "/api/v1/tickets", Some(token), Some(body))
        .await;
    assert_eq!(s, 201, "opening {title}: {t}");
    t
}

async fn user_id(app: &TestApp, token: &str) -> String {
    let (_, me) = app.api("GET", "/api/v1/me", Some(token), None).await;
    me["user_id"].as_str().unwrap().to_owned()
}

async fn get_ticket(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    app.api("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await
}

async fn notifications(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, body) = app
        .api("GET", "/api/v1/notifications?limit=200", Some(token), None)
        .await;
    assert_eq!(s, 200, "{body}");
    body.as_array().unwrap().clone()
}

async fn run_jobs(app: &TestApp) {
    while app.tandem.run_jobs(100).await.unwrap() > 0 {}
}

async fn comment(app: &TestApp, token: &str, id: &str, body: &str) {
    let (s, c) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/comments"),
            Some(token),
            Some(json!({ "body": body, "visibility": "public" })),
        )
        .await;
    assert_eq!(s, 201, "{c}");
}

#[tokio::test]
async fn a_link_never_shows_a_requester_a_colleagues_ticket() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, luis, amy) = (
        app.token(PRIYA).await,
        app.token(LUIS).await,
        app.token(AMY).await,
    );
    let mine = open(&app, &luis, &alder, "My laptop will not dock", None).await;
    let amys = open(
        &app,
        &amy,
        &alder,
        "Salary letter for Amy will not print",
        None,
    )
    .await;
    let (mine_id, amys_id) = (mine["id"].as_str().unwrap(), amys["id"].as_str().unwrap());
    let (s, _) = app
        .api_with(
            "POST",
            &format!("/api/v1/tickets/{mine_id}/links"),
            Some(&priya),
            Some(json!({ "ticket_id": amys_id })),
            &[("if-match", &mine["version"].to_string())],
        )
        .await;
    assert_eq!(s, 204);

    // The in-house admin sees the link both ways.
    let (_, seen) = get_ticket(&app, &priya, mine_id).await;
    assert_eq!(seen["links"][0]["ticket_id"], amys_id, "{seen}");

    // Luis reads his own ticket: the link to Amy's is not there at all.
    let (s, seen) = get_ticket(&app, &luis, mine_id).await;
    assert_eq!(s, 200);
    assert_eq!(seen["links"], json!([]), "{seen}");
    let answer = seen.to_string();
    assert!(!answer.contains("Salary letter"), "{answer}");
    assert!(!answer.contains(amys_id), "{answer}");
    let number = format!("#{}", amys["number"]);
    let mut b = app.browser(LUIS).await;
    let page = text(b.get(&format!("/tickets/{mine_id}")).await).await;
    assert!(page.contains("My laptop will not dock"));
    assert!(
        !page.contains("Salary letter"),
        "the page names Amy's ticket"
    );
    assert!(
        !page.contains(amys_id) && !page.contains(&number),
        "the page points at Amy's ticket"
    );
    // And Amy's ticket itself stays out of reach, by id and by search.
    assert_eq!(
        get_ticket(&app, &luis, amys_id).await.0,
        StatusCode::NOT_FOUND
    );
    for q in ["Salary", "letter", "Amy"] {
        let (s, hits) = app
            .api("GET", &format!("/api/v1/tickets?q={q}"), Some(&luis), None)
            .await;
        assert_eq!(s, 200);
        assert!(!hits.to_string().contains(amys_id), "{q}: {hits}");
        let (_, staff_hits) = app
            .api("GET", &format!("/api/v1/tickets?q={q}"), Some(&priya), None)
            .await;
        assert!(
            staff_hits.to_string().contains(amys_id),
            "{q}: {staff_hits}"
        );
    }
}

#[tokio::test]
async fn a_client_viewer_cannot_watch_or_unwatch_even_for_themselves() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, helen) = (app.token(PRIYA).await, app.token(HELEN).await);
    let helen_id = user_id(&app, &helen).await;
    let t = open(&app, &priya, &alder, "Projector in room 4 flickers", None).await;
    let id = t["id"].as_str().unwrap();
    let watchers = |v: &Value| v["watchers"].as_array().unwrap().len();
    let before = watchers(&get_ticket(&app, &priya, id).await.1);

    let (s, body) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/watchers"),
            Some(&helen),
            Some(json!({ "user_id": helen_id })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
    let (s, _) = app
        .api(
            "DELETE",
            &format!("/api/v1/tickets/{id}/watchers/{helen_id}"),
            Some(&helen),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    let mut b = app.browser(HELEN).await;
    let page = text(b.get(&format!("/tickets/{id}")).await).await;
    assert!(
        !page.contains("Watch this ticket"),
        "a viewer is offered the watch button"
    );
    let res = b
        .submit(&format!("/tickets/{id}/watch"), &[("on", "yes")])
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(watchers(&get_ticket(&app, &priya, id).await.1), before);

    // The technician beside her still may.
    let owen = app.token(OWEN).await;
    let owen_id = user_id(&app, &owen).await;
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/watchers"),
            Some(&owen),
            Some(json!({ "user_id": owen_id })),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn a_requester_cannot_tell_a_colleague_from_a_missing_id() {
    let app = TestApp::demo().await;
    let (luis, amy) = (app.token(LUIS).await, app.token(AMY).await);
    let amy_id = user_id(&app, &amy).await;
    let missing = "0191f7a2-8c3e-7d4b-9a10-2b3c4d5e6f70";
    let (colleague, c_body) = app
        .api("GET", &format!("/api/v1/users/{amy_id}"), Some(&luis), None)
        .await;
    let (nobody, n_body) = app
        .api(
            "GET",
            &format!("/api/v1/users/{missing}"),
            Some(&luis),
            None,
        )
        .await;
    assert_eq!(colleague, StatusCode::NOT_FOUND, "{c_body}");
    assert_eq!(nobody, StatusCode::NOT_FOUND);
    for k in ["title", "detail", "status"] {
        assert_eq!(c_body[k], n_body[k], "{k} differs: {c_body} / {n_body}");
    }
    // A change aimed at the colleague answers the same.
    let (s, _) = app
        .api(
            "PATCH",
            &format!("/api/v1/users/{amy_id}"),
            Some(&luis),
            Some(json!({ "name": "Not Amy" })),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The page answers alike too.
    let mut b = app.browser(LUIS).await;
    assert_eq!(
        b.get(&format!("/people/{amy_id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        b.get(&format!("/people/{missing}")).await.status(),
        StatusCode::NOT_FOUND
    );
    // Their own record they may read.
    let luis_id = user_id(&app, &luis).await;
    let (s, me) = app
        .api(
            "GET",
            &format!("/api/v1/users/{luis_id}"),
            Some(&luis),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
}

/// Dev works Alder: one ticket assigned to him, another he watches, and a
/// notification about each already delivered.
struct Before {
    assigned: String,
    watched: String,
    owner_side: Value,
    dev_id: String,
    /// Dev's notifications so far: id and ticket.
    delivered: Vec<(Value, Value)>,
}

async fn dev_at_work(app: &TestApp, priya: &str, dev: &str) -> Before {
    let alder = app.org("alder");
    let dev_id = user_id(app, dev).await;
    let a = open(
        app,
        priya,
        &alder,
        "Firewall rule for the Denver office",
        None,
    )
    .await;
    let w = open(app, priya, &alder, "Backup job fails on FS02", None).await;
    let (assigned, watched) = (
        a["id"].as_str().unwrap().to_owned(),
        w["id"].as_str().unwrap().to_owned(),
    );
    let (s, body) = app
        .api_with(
            "PATCH",
            &format!("/api/v1/tickets/{assigned}"),
            Some(priya),
            Some(json!({ "assignee_id": dev_id })),
            &[("if-match", &a["version"].to_string())],
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{watched}/watchers"),
            Some(dev),
            Some(json!({ "user_id": dev_id })),
        )
        .await;
    assert_eq!(s, 204);
    comment(app, priya, &assigned, "The office opens on Monday").await;
    comment(app, priya, &watched, "It failed again last night").await;
    run_jobs(app).await;
    let seen = notifications(app, dev).await;
    let text = Value::from(seen.clone()).to_string();
    assert!(
        text.contains("Firewall rule for the Denver office"),
        "{text}"
    );
    assert!(text.contains("Backup job fails on FS02"), "{text}");
    Before {
        assigned,
        watched,
        owner_side: body["owner_side"].clone(),
        dev_id,
        delivered: seen
            .iter()
            .map(|n| (n["id"].clone(), n["ticket_id"].clone()))
            .collect(),
    }
}

/// After Dev lost access: a reply queued before and one after, and every
/// SLA event due, reach him not at all; what he had no longer names the
/// tickets; he watches and holds nothing of the client's.
async fn dev_hears_nothing_more(app: &TestApp, priya: &str, dev: &str, b: &Before) {
    comment(app, priya, &b.assigned, "Any news on the rule?").await;
    comment(app, priya, &b.watched, "Still failing").await;
    // Every clock falls due (Alder's, and those of the clients Dev still works).
    let far = tandem_service::now_ms() + 400 * 86_400_000;
    while app.tandem.raise_sla_events(far).await.unwrap() > 0 {}
    run_jobs(app).await;
    let seen = notifications(app, dev).await;
    let all = Value::from(seen.clone()).to_string();
    for title in [
        "Firewall rule for the Denver office",
        "Backup job fails on FS02",
    ] {
        assert!(!all.contains(title), "Dev still reads {title:?}: {all}");
    }
    for n in &seen {
        match b.delivered.iter().find(|(id, _)| *id == n["id"]) {
            // What he had about Alder keeps its place but names nothing.
            Some((_, t)) if *t == json!(b.assigned) || *t == json!(b.watched) => {
                assert!(n["ticket_id"].is_null(), "{n}");
                assert_eq!(n["text"], tandem_service::notifications::GONE, "{n}");
            }
            Some(_) => {}
            // Anything new is about a client he still works, never Alder:
            // a new one about Alder would read as out of reach (no ticket).
            None => {
                let t = n["ticket_id"].as_str().unwrap_or_else(|| {
                    panic!("a new notification about a ticket Dev may not read: {n}")
                });
                assert_eq!(
                    get_ticket(app, priya, t).await.0,
                    StatusCode::NOT_FOUND,
                    "new about Alder: {n}"
                );
            }
        }
    }
    let mut page = app.browser(DEV).await;
    let html = text(page.get("/notifications").await).await;
    assert!(
        !html.contains("Firewall rule") && !html.contains("Backup job"),
        "the page names them"
    );
    assert!(html.contains(tandem_service::notifications::GONE));

    for id in [&b.assigned, &b.watched] {
        let (_, t) = get_ticket(app, priya, id).await;
        let watchers = t["watchers"].to_string();
        assert!(
            !watchers.contains(&b.dev_id),
            "Dev still watches {id}: {watchers}"
        );
    }
    let (_, t) = get_ticket(app, priya, &b.assigned).await;
    assert!(t["ticket"]["assignee_id"].is_null(), "{t}");
    let release = t["timeline"].as_array().unwrap().iter().find(|e| {
        e["body"]
            .as_str()
            .unwrap_or("")
            .contains("no longer works this client")
    });
    let release = release.unwrap_or_else(|| panic!("no release on the timeline: {t}"));
    assert_eq!(release["visibility"], "team", "{release}");
}

#[tokio::test]
async fn when_an_engagement_ends_its_engineers_hear_nothing_more_of_the_client() {
    let app = TestApp::demo().await;
    let (priya, dev) = (app.token(PRIYA).await, app.token(DEV).await);
    let before = dev_at_work(&app, &priya, &dev).await;
    // A reply queued while the engagement still runs, delivered after it ends.
    comment(&app, &priya, &before.watched, "Queued before the end").await;
    end_alders_engagement(&app, &priya).await;
    dev_hears_nothing_more(&app, &priya, &dev, &before).await;
    // Nothing is left on a provider queue nobody works, and the in-house
    // team now hears what Dev no longer does.
    let (_, t) = get_ticket(&app, &priya, &before.assigned).await;
    assert_eq!(t["ticket"]["owner_side"], "in_house", "{t}");
    let owen = notifications(&app, &app.token(OWEN).await).await;
    assert!(
        owen.iter().any(|n| n["ticket_id"] == json!(before.assigned)
            && n["kind"].as_str().unwrap().starts_with("sla_")),
        "{owen:?}"
    );
}

#[tokio::test]
async fn an_engineer_taken_off_a_continuing_engagement_hears_nothing_more_of_the_client() {
    let app = TestApp::demo().await;
    let (priya, dev, mara) = (
        app.token(PRIYA).await,
        app.token(DEV).await,
        app.token(MARA).await,
    );
    let before = dev_at_work(&app, &priya, &dev).await;
    comment(&app, &priya, &before.assigned, "Queued before he left").await;
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    let eng = engs
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["client_id"] == app.org("alder").as_str())
        .unwrap();
    let (s, body) = app
        .api(
            "DELETE",
            &format!(
                "/api/v1/engagements/{}/engineers/{}",
                eng["id"].as_str().unwrap(),
                before.dev_id
            ),
            Some(&mara),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
    dev_hears_nothing_more(&app, &priya, &dev, &before).await;
    // The engagement goes on: the ticket stays with the side that owns it.
    let (_, t) = get_ticket(&app, &priya, &before.assigned).await;
    assert_eq!(t["ticket"]["owner_side"], before.owner_side, "{t}");
}

/// Nothing about a person is remembered between requests: a role taken
/// away holds from the very next request made with a token or a session
/// that was already in use.
#[tokio::test]
async fn a_role_change_holds_from_the_next_request_of_a_token_and_a_session() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, owen) = (app.token(PRIYA).await, app.token(OWEN).await);
    let owen_id = user_id(&app, &owen).await;
    let t = open(&app, &owen, &alder, "Keyboard missing keys", None).await;
    let id = t["id"].as_str().unwrap();
    comment(&app, &owen, id, "Ordered a new one").await;
    let mut b = app.browser(OWEN).await;
    let res = b
        .submit(
            &format!("/tickets/{id}/comments"),
            &[("body", "From the page"), ("visibility", "public")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "the technician comments from the page"
    );

    let (s, body) = app
        .api(
            "PATCH",
            &format!("/api/v1/users/{owen_id}"),
            Some(&priya),
            Some(json!({ "role": "client_viewer" })),
        )
        .await;
    assert_eq!(s, 200, "{body}");
    let (s, _) = app
        .api(
            "POST",
            &format!("/api/v1/tickets/{id}/comments"),
            Some(&owen),
            Some(json!({ "body": "Still here?", "visibility": "public" })),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "the token still carries the old role"
    );
    let (_, me) = app.api("GET", "/api/v1/me", Some(&owen), None).await;
    assert_eq!(me["role"], "client_viewer");
    let res = b
        .submit(
            &format!("/tickets/{id}/comments"),
            &[("body", "From the page"), ("visibility", "public")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::FORBIDDEN,
        "the session still carries the old role"
    );
}

/// Alder's admin ends Alder's engagement with the provider.
async fn end_alders_engagement(app: &TestApp, priya: &str) {
    let eng = app.engagement_of("alder").await;
    let (s, body) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{eng}/end"),
            Some(priya),
            None,
        )
        .await;
    assert_eq!(s, 200, "{body}");
}

/// The caller's whole queue list, as the API answers it.
async fn queue_list(app: &TestApp, token: &str) -> Vec<Value> {
    let (s, list) = app
        .api("GET", "/api/v1/tickets?limit=500", Some(token), None)
        .await;
    assert_eq!(s, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// The queue list is kept as last answered while nothing is committed;
/// whatever anyone changes (a ticket through the API, a name through
/// another connection, as another process would, an engagement ending) is
/// in the very next answer, and nobody is given another person's list.
#[tokio::test]
async fn a_kept_queue_list_gives_way_to_every_change_on_the_next_request() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (dev, priya, luis) = (
        app.token(DEV).await,
        app.token(PRIYA).await,
        app.token(LUIS).await,
    );
    let brightwater = app.org("brightwater");
    open(&app, &luis, &alder, "Printer on floor 3 jams", None).await;
    open(&app, &priya, &alder, "New starter needs a laptop", None).await;
    open(&app, &dev, &brightwater, "VPN drops every hour", None).await;
    let first = queue_list(&app, &dev).await;
    assert_eq!(first.len(), 3, "{first:?}");
    assert_eq!(queue_list(&app, &dev).await, first);

    // A requester asking the same right after gets their own tickets only.
    let luis_id = user_id(&app, &luis).await;
    let theirs = queue_list(&app, &luis).await;
    assert!(!theirs.is_empty() && theirs.len() < first.len());
    assert!(
        theirs.iter().all(|t| t["requester_id"] == luis_id.as_str()),
        "{theirs:?}"
    );

    let opened = open(&app, &priya, &alder, "Badge reader at the dock", None).await;
    let after = queue_list(&app, &dev).await;
    assert_eq!(after[0]["id"], opened["id"]);
    assert_eq!(after.len(), first.len() + 1);

    app.execute(&format!(
        "UPDATE organizations SET name = 'Alder Holdings' WHERE id = '{alder}'"
    ))
    .await;
    let renamed = queue_list(&app, &dev).await;
    let of_alder: Vec<&Value> = renamed
        .iter()
        .filter(|t| t["client_id"] == alder.as_str())
        .collect();
    assert!(!of_alder.is_empty());
    assert!(
        of_alder
            .iter()
            .all(|t| t["client_name"] == "Alder Holdings"),
        "{of_alder:?}"
    );

    end_alders_engagement(&app, &priya).await;
    let left = queue_list(&app, &dev).await;
    assert!(!left.is_empty(), "Dev still works for other clients");
    assert!(
        left.iter().all(|t| t["client_id"] != alder.as_str()),
        "{left:?}"
    );
}

/// A kept queue list never outlives its reader's access: the token is
/// checked before any answer, kept or not, so a revoked token, a person
/// made a requester and a deactivated person each get what they may have
/// on the very next request.
#[tokio::test]
async fn a_kept_queue_list_is_never_given_past_revocation_demotion_or_deactivation() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let (priya, luis) = (app.token(PRIYA).await, app.token(LUIS).await);
    open(&app, &luis, &alder, "Printer on floor 3 jams", None).await;
    open(&app, &priya, &alder, "New starter needs a laptop", None).await;
    let (first, second) = (app.token(OWEN).await, app.token(OWEN).await);
    let owen_id = user_id(&app, &first).await;
    assert_eq!(queue_list(&app, &first).await.len(), 2);
    assert_eq!(queue_list(&app, &first).await.len(), 2);

    let (_, tokens) = app.api("GET", "/api/v1/tokens", Some(&second), None).await;
    let revoked = tokens
        .as_array()
        .unwrap()
        .iter()
        .find(|t| first.starts_with(t["prefix"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, body) = app
        .api(
            "DELETE",
            &format!("/api/v1/tokens/{revoked}"),
            Some(&second),
            None,
        )
        .await;
    assert!(s.is_success(), "{body}");
    let (s, _) = app
        .api("GET", "/api/v1/tickets?limit=500", Some(&first), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert_eq!(queue_list(&app, &second).await.len(), 2);

    let (s, body) = app
        .api(
            "PATCH",
            &format!("/api/v1/users/{owen_id}"),
            Some(&priya),
            Some(json!({ "role": "requester" })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(queue_list(&app, &second).await.is_empty());

    let (s, body) = app
        .api(
            "PATCH",
            &format!("/api/v1/users/{owen_id}"),
            Some(&priya),
            Some(json!({ "active": false })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let (s, _) = app
        .api("GET", "/api/v1/tickets?limit=500", Some(&second), None)
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}
