//! Security properties of the web edge, each as a test that fails if the
//! protection is taken away: cookie flags and HSTS, session ids that change
//! at every privilege step and die on sign-out, time-outs, CSRF and
//! same-origin checks, security headers, uniform sign-in failures and their
//! limits, TOTP, engagement ending, API tokens, hostile input, and the
//! audit chain.
#![allow(clippy::unwrap_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use serde_json::{Value, json};
use support::*;
use tandem_domain::audit::{AuditRecord, ChainBreak};
use tandem_service::{Db, RequestMeta, Settings};
use tandem_web::WebConfig;

const SESSION: &str = "tandem_session";
const LOGIN_CSRF: &str = "tandem_login_csrf";

/// The attributes of the cookie `name` set by an answer.
fn cookie_attrs(res: &Response<Body>, name: &str) -> Option<String> {
    set_cookies(res)
        .into_iter()
        .find(|c| c.starts_with(&format!("{name}=")))
}

fn header_of(res: &Response<Body>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// A browser of `app` that carries the session cookie `value` and nothing else.
fn browser_with_session<'a>(app: &'a TestApp, value: &str) -> Browser<'a> {
    let mut b = app.anonymous();
    b.cookies.insert(SESSION.into(), value.into());
    b
}

/// Run `$body` with `$p` bound to a pool that may write, on either backend.
macro_rules! on_pool {
    ($db:expr, $p:ident => $body:expr) => {
        match $db {
            Db::Sqlite { write: $p, .. } => $body,
            Db::Postgres($p) => $body,
        }
    };
}

/// Entries in the whole audit chain (and the chain is intact).
async fn audit_len(app: &TestApp) -> u64 {
    app.tandem.verify_audit().await.unwrap().unwrap()
}

async fn me(app: &TestApp, token: &str) -> (StatusCode, Value) {
    app.api("GET", "/api/v1/me", Some(token), None).await
}

// --- Cookies and transport ---------------------------------------------

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax_and_not_secure_over_http() {
    let app = TestApp::demo().await;
    let mut b = app.anonymous();
    let login = b.get("/login").await;
    assert!(
        login
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none(),
        "HSTS over plain http would lock people out"
    );
    let csrf_cookie = cookie_attrs(&login, LOGIN_CSRF).expect("login CSRF cookie");
    let res = b.sign_in(PRIYA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let session = cookie_attrs(&res, SESSION).expect("session cookie at sign-in");
    for c in [&session, &csrf_cookie] {
        assert!(c.contains("; HttpOnly"), "{c}");
        assert!(c.contains("; SameSite=Lax"), "{c}");
        assert!(c.contains("; Path=/"), "{c}");
        assert!(!c.contains("Secure"), "Secure over http: {c}");
    }
}

#[tokio::test]
async fn over_https_every_cookie_is_secure_and_answers_carry_hsts() {
    let web = WebConfig {
        public_url: "https://tandem.example".into(),
        ..Default::default()
    };
    let app = TestApp::demo_with(test_settings(), web).await;
    let mut b = app.anonymous();
    let mut answers = Vec::new();
    let login = b.get("/login").await;
    let csrf_cookie = cookie_attrs(&login, LOGIN_CSRF).expect("login CSRF cookie");
    answers.push(("GET /login", login));
    let res = b.sign_in(PRIYA, PASSWORD).await;
    let session = cookie_attrs(&res, SESSION).expect("session cookie at sign-in");
    answers.push(("POST /login", res));
    for c in [&session, &csrf_cookie] {
        assert!(c.contains("; Secure"), "not Secure over https: {c}");
        assert!(
            c.contains("; HttpOnly") && c.contains("; SameSite=Lax"),
            "{c}"
        );
    }
    // The cookie issued at a password change is Secure too.
    let res = b
        .submit(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another long password"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        cookie_attrs(&res, SESSION).unwrap().contains("; Secure"),
        "the new session cookie after a password change is not Secure"
    );
    answers.push(("POST /account/password", res));
    answers.push(("GET /dashboard", b.get("/dashboard").await));
    answers.push(("GET /no-such-page", b.get("/no-such-page").await));
    let token = app.token(PRIYA).await;
    let api = Request::builder()
        .uri("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    answers.push(("GET /api/v1/me", app.send(api).await));
    let health = Request::builder()
        .uri("/healthz")
        .body(Body::empty())
        .unwrap();
    answers.push(("GET /healthz", app.send(health).await));
    for (what, res) in &answers {
        let hsts = header_of(res, "strict-transport-security")
            .unwrap_or_else(|| panic!("{what}: no Strict-Transport-Security over https"));
        assert!(hsts.contains("max-age="), "{what}: {hsts}");
        let max_age: u64 = hsts
            .split(';')
            .find_map(|d| d.trim().strip_prefix("max-age="))
            .unwrap()
            .parse()
            .unwrap();
        assert!(max_age >= 15_552_000, "{what}: HSTS shorter than 180 days");
    }
}

// --- Session ids ---------------------------------------------------------

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_never_adopts_a_planted_one() {
    let app = TestApp::demo().await;
    // A made-up id planted in the victim's browser is not honoured...
    let planted = "planted0123456789abcdef0123456789abcdef0123456789";
    let mut victim = browser_with_session(&app, planted);
    let res = victim.get("/dashboard").await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
    let res = victim.sign_in(PRIYA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        cookie_attrs(&res, SESSION).is_some(),
        "sign-in must set a fresh cookie"
    );
    let after = victim.session().unwrap();
    assert_ne!(after, planted, "the planted session id was adopted");
    let mut attacker = browser_with_session(&app, planted);
    assert_eq!(attacker.get("/dashboard").await.status(), 303);

    // ...and neither is a live session of the attacker's own: signing in
    // over it gives the victim a new id, and the attacker stays themselves.
    let mut attacker = app.browser(IGOR).await;
    let attackers = attacker.session().unwrap();
    let mut victim = browser_with_session(&app, &attackers);
    victim.sign_in(PRIYA, PASSWORD).await;
    let victims = victim.session().unwrap();
    assert_ne!(victims, attackers);
    let page = text(attacker.get("/dashboard").await).await;
    assert!(page.contains("igor.petrov@corvid.example") && !page.contains(PRIYA));
    let page = text(victim.get("/dashboard").await).await;
    assert!(page.contains(PRIYA));

    // Signing in again while signed in also changes the id.
    let again = victim.sign_in(PRIYA, PASSWORD).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_ne!(victim.session().unwrap(), victims);
}

#[tokio::test]
async fn the_session_id_is_dead_after_sign_out() {
    let app = TestApp::demo().await;
    let mut b = app.browser(OWEN).await;
    let id = b.session().unwrap();
    assert_eq!(b.get("/dashboard").await.status(), 200);
    let res = b.submit("/logout", &[]).await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
    assert!(
        cookie_attrs(&res, SESSION).unwrap().contains("Max-Age=0"),
        "sign-out clears the cookie"
    );
    // A copy of the old id (a stolen cookie) no longer works.
    let mut thief = browser_with_session(&app, &id);
    let res = thief.get("/dashboard").await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into())
    );
    let res = thief.post("/logout", &[("csrf", "x")]).await;
    assert_eq!(location(&res), "/login");
}

#[tokio::test]
async fn a_password_change_ends_every_other_session_of_the_person() {
    let app = TestApp::demo().await;
    let mut a = app.browser(OWEN).await;
    let mut other = app.browser(OWEN).await;
    let mut bystander = app.browser(PRIYA).await;
    let old = a.session().unwrap();
    let new_password = "a completely new passphrase";
    let res = a
        .submit(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new_password),
            ],
        )
        .await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/account".into())
    );
    let fresh = a.session().unwrap();
    assert_ne!(fresh, old, "the changing browser gets a new session id");
    assert_eq!(
        a.get("/dashboard").await.status(),
        200,
        "the changing browser keeps working"
    );
    let res = other.get("/dashboard").await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login".into()),
        "the other session survived the password change"
    );
    assert_eq!(
        browser_with_session(&app, &old)
            .get("/dashboard")
            .await
            .status(),
        303
    );
    assert_eq!(
        bystander.get("/dashboard").await.status(),
        200,
        "someone else's session ended"
    );
    assert_eq!(
        app.anonymous().sign_in(OWEN, PASSWORD).await.status(),
        401,
        "the old password still works"
    );
    assert_eq!(
        app.anonymous().sign_in(OWEN, new_password).await.status(),
        303
    );
}

#[tokio::test]
async fn sessions_die_after_the_idle_and_the_absolute_time_out() {
    // The control: with the usual limits the same steps keep the session.
    let app = TestApp::demo().await;
    let mut b = app.browser(PRIYA).await;
    assert_eq!(b.get("/dashboard").await.status(), 200);

    for settings in [
        Settings {
            session_idle_minutes: 0,
            ..test_settings()
        },
        Settings {
            session_absolute_hours: 0,
            ..test_settings()
        },
    ] {
        let what = format!(
            "idle {} min, absolute {} h",
            settings.session_idle_minutes, settings.session_absolute_hours
        );
        let app = TestApp::demo_with(settings, WebConfig::default()).await;
        let mut b = app.anonymous();
        let res = b.sign_in(PRIYA, PASSWORD).await;
        assert_eq!(res.status(), 303, "{what}");
        assert!(b.session().is_some());
        let res = b.get("/dashboard").await;
        assert_eq!(
            (res.status(), location(&res)),
            (StatusCode::SEE_OTHER, "/login".into()),
            "{what}: an expired session was accepted"
        );
        let res = b.post("/logout", &[("csrf", "x")]).await;
        assert_eq!(location(&res), "/login", "{what}");
    }
}

// --- CSRF and same-origin --------------------------------------------------

/// A form post that succeeds with the right token: who sends it, where, the
/// fields, and the status it then gets.
struct FormPost {
    who: &'static str,
    path: String,
    fields: Vec<(&'static str, String)>,
    ok: u16,
    /// Sent as `multipart/form-data` with a small file.
    multipart: bool,
}

async fn form_post_for(app: &TestApp, route: &str) -> FormPost {
    let alder = app.org("alder");
    let mara = app.token(MARA).await;
    let priya = app.token(PRIYA).await;
    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&mara), None)
        .await;
    let engagement_of = |slug: &str| -> Value {
        engs.as_array()
            .unwrap()
            .iter()
            .find(|e| e["client_id"] == app.org(slug).as_str())
            .unwrap()
            .clone()
    };
    let alder_eng = engagement_of("alder");
    let (_, staff) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{}/users", app.org("harborlane")),
            Some(&mara),
            None,
        )
        .await;
    let id_of = |people: &Value, email: &str| -> String {
        people
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["email"] == email)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (_, alder_people) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/users"),
            Some(&priya),
            None,
        )
        .await;
    let body = json!({ "client_id": alder, "title": "Laptop will not boot", "category": "help-desk",
        "impact": "low", "urgency": "medium" });
    let (st, ticket) = app
        .api("POST", "/api/v1/tickets", Some(&priya), Some(body))
        .await;
    assert_eq!(st, 201, "{ticket}");
    let ticket_id = ticket["id"].as_str().unwrap().to_owned();
    let version = ticket["version"].as_i64().unwrap().to_string();
    let s = |v: &str| v.to_owned();
    let (who, path, fields, ok): (_, String, Vec<(&str, String)>, u16) = match route {
        "/logout" => (PRIYA, s(route), vec![], 303),
        "/login/totp" => (PRIYA, s(route), vec![("code", s("123456"))], 303),
        "/account/password" => (
            PRIYA,
            s(route),
            vec![
                ("current_password", s(PASSWORD)),
                ("new_password", s("a brand new long password")),
            ],
            303,
        ),
        "/account/totp" => (PRIYA, s(route), vec![("step", s("start"))], 200),
        "/account/tokens" => (PRIYA, s(route), vec![("name", s("csrf probe"))], 201),
        "/account/time-zone" => (PRIYA, s(route), vec![("time_zone", s("Europe/Paris"))], 303),
        "/account/tokens/{token_id}/revoke" => {
            let (t, _) = app
                .tandem
                .create_token_for_email(PRIYA, "to revoke", &RequestMeta::cli("test"))
                .await
                .unwrap();
            (
                PRIYA,
                route.replace("{token_id}", &t.id.to_string()),
                vec![],
                303,
            )
        }
        "/people" => (
            PRIYA,
            s(route),
            vec![
                ("org_id", alder.clone()),
                ("email", s("forged@alder.example")),
                ("name", s("Forged Person")),
                ("role", s("client_admin")),
                ("password", s("a long enough password")),
            ],
            303,
        ),
        "/people/{user_id}" => (
            PRIYA,
            route.replace("{user_id}", &id_of(&alder_people, OWEN)),
            vec![("name", s("Owen Burke")), ("role", s("client_admin"))],
            303,
        ),
        "/invoices/run" => (MARA, s(route), vec![("period", s("2026-11"))], 200),
        "/invoices/{invoice_id}/disputes"
        | "/invoices/{invoice_id}/disputes/{dispute_id}/answer" => {
            let invoice = november_draft(app, &alder_eng, &mara).await;
            if route.ends_with("/disputes") {
                (
                    PRIYA,
                    format!("/invoices/{invoice}/disputes"),
                    vec![
                        ("version", s("1")),
                        ("line", s("0")),
                        ("reason", s("forged dispute")),
                    ],
                    303,
                )
            } else {
                let (_, d) = app
                    .api_with(
                        "POST",
                        &format!("/api/v1/invoices/{invoice}/disputes"),
                        Some(&priya),
                        Some(serde_json::json!({ "line": 0, "reason": "Too much" })),
                        &[("if-match", "1")],
                    )
                    .await;
                let dispute = d["disputes"][0]["id"].as_str().unwrap();
                (
                    MARA,
                    format!("/invoices/{invoice}/disputes/{dispute}/answer"),
                    vec![("version", s("2")), ("answer", s("forged answer"))],
                    303,
                )
            }
        }
        "/invoices/{invoice_id}/lines"
        | "/invoices/{invoice_id}/lines/{position}"
        | "/invoices/{invoice_id}/lines/{position}/remove" => {
            // A draft of the provider's: its admin edits the lines.
            let invoice = november_draft(app, &alder_eng, &mara).await;
            let path = route
                .replace("{invoice_id}", &invoice)
                .replace("{position}", "0");
            let fields = match route {
                "/invoices/{invoice_id}/lines" => vec![
                    ("version", s("1")),
                    ("description", s("Forged charge")),
                    ("amount", s("100.00")),
                    ("reason", s("forged")),
                ],
                "/invoices/{invoice_id}/lines/{position}" => vec![
                    ("version", s("1")),
                    ("description", s("Retainer")),
                    ("amount", s("1.00")),
                    ("reason", s("forged")),
                ],
                _ => vec![("version", s("1")), ("reason", s("forged"))],
            };
            (MARA, path, fields, 303)
        }
        "/invoices/{invoice_id}/{step}" => {
            // An active agreement and its November invoice to void.
            let invoice = november_draft(app, &alder_eng, &mara).await;
            (
                MARA,
                format!("/invoices/{invoice}/void"),
                vec![("version", s("1")), ("reason", s("forged void"))],
                303,
            )
        }
        "/agreements/{engagement_id}/draft" => (
            MARA,
            route.replace("{engagement_id}", alder_eng["id"].as_str().unwrap()),
            vec![
                ("starts_on", s("2026-12-01")),
                ("retainer", s("5000")),
                ("credit_p1", s("100")),
            ],
            303,
        ),
        "/blocks/{agreement_id}" => {
            let eng = alder_eng["id"].as_str().unwrap();
            let mut terms = retainer_terms("2026-12-01");
            terms["pricing"]["blocks"] = serde_json::json!({ "overage_rate": 15000, "low_balance_minutes": 60, "top_up": null });
            let id = app.agreement(eng, terms, false, None).await;
            (
                MARA,
                route.replace("{agreement_id}", &id),
                vec![
                    ("purchased_on", s("2026-12-05")),
                    ("hours", s("10")),
                    ("price", s("1000")),
                    ("expires_on", s("2027-03-31")),
                ],
                303,
            )
        }
        "/agreements/{engagement_id}/{agreement_id}/{step}" => {
            let eng = alder_eng["id"].as_str().unwrap();
            let id = app
                .agreement(eng, retainer_terms("2026-12-01"), false, None)
                .await;
            (
                MARA,
                format!("/agreements/{eng}/{id}/propose"),
                vec![("version", s("1"))],
                303,
            )
        }
        "/orgs/{org_id}/settings" => (
            PRIYA,
            route.replace("{org_id}", &alder),
            vec![("require_totp", s("on"))],
            303,
        ),
        "/engagements" => (
            MARA,
            s(route),
            vec![
                ("client_name", s("Forged Client")),
                ("client_slug", s("forged")),
                ("admin_name", s("Fay Forged")),
                ("admin_email", s("fay@forged.example")),
                ("admin_password", s("a long enough password")),
            ],
            303,
        ),
        "/engagements/restart" => {
            let corvid = engagement_of("corvid");
            let (st, _) = app
                .api(
                    "POST",
                    &format!("/api/v1/engagements/{}/end", corvid["id"].as_str().unwrap()),
                    Some(&mara),
                    None,
                )
                .await;
            assert_eq!(st, 200);
            (MARA, s(route), vec![("client_id", app.org("corvid"))], 303)
        }
        "/engagements/{engagement_id}/assign" => (
            MARA,
            route.replace("{engagement_id}", alder_eng["id"].as_str().unwrap()),
            vec![("user_id", id_of(&staff, TOMASZ))],
            303,
        ),
        "/engagements/{engagement_id}/unassign" => (
            MARA,
            route.replace("{engagement_id}", alder_eng["id"].as_str().unwrap()),
            vec![("user_id", id_of(&staff, DEV))],
            303,
        ),
        "/engagements/{engagement_id}/end" => (
            PRIYA,
            route.replace("{engagement_id}", alder_eng["id"].as_str().unwrap()),
            vec![],
            303,
        ),
        "/tickets" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("title", s("Forged ticket")),
                ("category", s("network")),
                ("impact", s("high")),
                ("urgency", s("high")),
            ],
            303,
        ),
        "/tickets/{ticket_id}" => (
            PRIYA,
            route.replace("{ticket_id}", &ticket_id),
            vec![("version", version.clone()), ("status", s("in_progress"))],
            303,
        ),
        "/tickets/{ticket_id}/comments" => (
            PRIYA,
            route.replace("{ticket_id}", &ticket_id),
            vec![("body", s("forged comment")), ("visibility", s("public"))],
            303,
        ),
        "/tickets/{ticket_id}/time" => (
            PRIYA,
            route.replace("{ticket_id}", &ticket_id),
            vec![("minutes", s("45")), ("note", s("forged time"))],
            303,
        ),
        "/tickets/{ticket_id}/handoff" => (
            PRIYA,
            route.replace("{ticket_id}", &ticket_id),
            vec![
                ("version", version.clone()),
                ("reason", s("forged hand-off")),
            ],
            303,
        ),
        "/tickets/{ticket_id}/attachments" => (
            PRIYA,
            route.replace("{ticket_id}", &ticket_id),
            vec![("visibility", s("public"))],
            303,
        ),
        "/tickets/{ticket_id}/watch" => (
            PRIYA,
            route.replace("{ticket_id}", &ticket_id),
            vec![("on", s("yes"))],
            303,
        ),
        "/tickets/{ticket_id}/links" => (
            PRIYA,
            route.replace("{ticket_id}", &ticket_id),
            vec![("number", s("9999"))],
            422,
        ),
        "/notifications" => (PRIYA, s(route), vec![], 303),
        "/desk/split" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("category", s("network")),
                ("business_hours", s("in_house")),
                ("after_hours", s("in_house")),
            ],
            303,
        ),
        "/desk/categories" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("key", s("forged")),
                ("name", s("Forged category")),
            ],
            303,
        ),
        "/desk/calendar" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("time_zone", s("Pacific/Auckland")),
                ("windows", s("sun 00:00-01:00")),
            ],
            303,
        ),
        "/desk/sla" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("priority", s("p1")),
                ("response_minutes", s("999")),
                ("resolution_minutes", s("9999")),
                ("warn_percent", s("50")),
            ],
            303,
        ),
        // Stateless: a forged post would compute and store nothing, but
        // it is refused all the same.
        "/quote" => (
            PRIYA,
            s(route),
            vec![
                ("users", s("100")),
                ("c0_name", s("Help desk")),
                ("c0_hours", s("10")),
                ("p1_name", s("Forged")),
                ("p1_user_low", s("65")),
            ],
            200,
        ),
        "/devices" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("name", s("Forged PC")),
                ("class", s("workstation")),
                ("status", s("active")),
            ],
            303,
        ),
        "/devices/import" => (PRIYA, s(route), vec![("client_id", alder.clone())], 303),
        "/devices/{device_id}" | "/devices/{device_id}/retire" => {
            let (st, d) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/devices"),
                    Some(&priya),
                    Some(json!({ "name": "Reception PC", "class": "workstation" })),
                )
                .await;
            assert_eq!(st, 201, "{d}");
            let fields = if route.ends_with("/retire") {
                vec![("version", s("1")), ("retired_on", s("2026-03-01"))]
            } else {
                vec![
                    ("version", s("1")),
                    ("name", s("Forged name")),
                    ("class", s("server")),
                    ("status", s("active")),
                ]
            };
            (
                PRIYA,
                route.replace("{device_id}", d["id"].as_str().unwrap()),
                fields,
                303,
            )
        }
        "/alerts" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("name", s("Forged source")),
                ("kind", s("generic")),
                ("auth_mode", s("bearer")),
                ("default_category", s("network")),
            ],
            200,
        ),
        "/alerts/sources/{source_id}/revoke" => {
            let (st, b) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/alert-sources"),
                    Some(&priya),
                    Some(json!({ "name": "Prometheus", "kind": "alertmanager", "default_category": "network" })),
                )
                .await;
            assert_eq!(st, 201, "{b}");
            (
                PRIYA,
                route.replace("{source_id}", b["source"]["id"].as_str().unwrap()),
                vec![("client_id", alder.clone())],
                303,
            )
        }
        "/alerts/maintenance" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("reason", s("Forged window")),
                ("kind", s("weekly")),
                ("day_sun", s("on")),
                ("start_time", s("02:00")),
                ("duration_minutes", s("60")),
            ],
            303,
        ),
        "/alerts/maintenance/{window_id}/delete" => {
            let (st, b) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/maintenance-windows"),
                    Some(&priya),
                    Some(json!({ "reason": "Patch night", "kind": "weekly", "weekdays": ["sun"], "start_time": "02:00", "duration_minutes": 60 })),
                )
                .await;
            assert_eq!(st, 201, "{b}");
            (
                PRIYA,
                route.replace("{window_id}", b["id"].as_str().unwrap()),
                vec![("client_id", alder.clone())],
                303,
            )
        }
        "/webhooks" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("name", s("Forged hook")),
                ("url", s("https://hooks.example.com/forged")),
                ("opened", s("on")),
            ],
            200,
        ),
        "/webhooks/{webhook_id}/revoke" | "/webhooks/{webhook_id}/test" => {
            let (st, b) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/webhooks"),
                    Some(&priya),
                    Some(json!({ "name": "Pager", "url": "https://hooks.example.com/tandem", "events": ["opened"] })),
                )
                .await;
            assert_eq!(st, 201, "{b}");
            (
                PRIYA,
                route.replace("{webhook_id}", b["webhook"]["id"].as_str().unwrap()),
                vec![("client_id", alder.clone())],
                303,
            )
        }
        "/duty/slots" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("side", s("in_house")),
                ("start_day", s("sat")),
                ("start_time", s("08:00")),
                ("end_day", s("sat")),
                ("end_time", s("20:00")),
                ("person_id", id_of(&alder_people, PRIYA)),
            ],
            303,
        ),
        "/duty/overrides" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("side", s("in_house")),
                ("starts_at", s("2026-12-24T17:00")),
                ("ends_at", s("2026-12-26T08:00")),
                ("person_id", id_of(&alder_people, PRIYA)),
                ("reason", s("Forged cover")),
            ],
            303,
        ),
        "/duty/slots/{slot_id}/remove" | "/duty/overrides/{override_id}/remove" => {
            let me = id_of(&alder_people, PRIYA);
            let (st, slots) = app
                .api(
                    "PUT",
                    &format!("/api/v1/clients/{alder}/duty/in_house/rota"),
                    Some(&priya),
                    Some(json!({ "slots": [{ "start_day": "sat", "start_time": "08:00", "end_day": "sat", "end_time": "20:00", "person_id": me }] })),
                )
                .await;
            assert_eq!(st, 200, "{slots}");
            let (st, o) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/duty/in_house/overrides"),
                    Some(&priya),
                    Some(json!({ "starts_at": "2026-12-24T00:00:00Z", "ends_at": "2026-12-27T00:00:00Z",
                        "person_id": me })),
                )
                .await;
            assert_eq!(st, 201, "{o}");
            (
                PRIYA,
                route
                    .replace("{slot_id}", slots[0]["id"].as_str().unwrap())
                    .replace("{override_id}", o["id"].as_str().unwrap()),
                vec![("client_id", alder.clone()), ("side", s("in_house"))],
                303,
            )
        }
        "/assets" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("name", s("Forged asset")),
                ("asset_type", s("domain")),
            ],
            303,
        ),
        "/assets/import" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("csv", s("name,type\nForged,other\n")),
                ("step", s("import")),
                ("map_name", s("name")),
                ("map_type", s("asset_type")),
            ],
            303,
        ),
        "/assets/settings" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("intent", s("field")),
                ("asset_type", s("server")),
                ("name", s("Forged field")),
                ("field_kind", s("text")),
            ],
            303,
        ),
        "/assets/{asset_id}" | "/assets/{asset_id}/links" => {
            let (st, a) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/assets"),
                    Some(&priya),
                    Some(json!({ "name": "Reception NAS", "asset_type": "server" })),
                )
                .await;
            assert_eq!(st, 201, "{a}");
            let fields = if route.ends_with("/links") {
                // A relation needs a target of the same client.
                let (st, other) = app
                    .api(
                        "POST",
                        &format!("/api/v1/clients/{alder}/assets"),
                        Some(&priya),
                        Some(json!({ "name": "Reception switch", "asset_type": "network_device" })),
                    )
                    .await;
                assert_eq!(st, 201, "{other}");
                vec![
                    ("client_id", alder.clone()),
                    ("target_kind", s("asset")),
                    ("target_id", other["id"].as_str().unwrap().to_owned()),
                ]
            } else {
                vec![
                    ("client_id", alder.clone()),
                    ("version", s("1")),
                    ("name", s("Forged name")),
                    ("asset_type", s("server")),
                ]
            };
            (
                PRIYA,
                route.replace("{asset_id}", a["id"].as_str().unwrap()),
                fields,
                303,
            )
        }
        "/vault" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("name", s("Forged credential")),
                ("secret", s("forged-secret-1")),
            ],
            303,
        ),
        "/vault/{client_id}/secrets/{secret_id}"
        | "/vault/{client_id}/secrets/{secret_id}/reveal"
        | "/vault/{client_id}/secrets/{secret_id}/delete" => {
            let (st, c) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/secrets"),
                    Some(&priya),
                    Some(json!({ "name": "Firewall admin", "secret": "fixture-secret-1" })),
                )
                .await;
            assert_eq!(st, 201, "{c}");
            let path = route
                .replace("{client_id}", &alder)
                .replace("{secret_id}", c["id"].as_str().unwrap());
            if route.ends_with("/reveal") {
                (PRIYA, path, vec![], 200)
            } else if route.ends_with("/delete") {
                (PRIYA, path, vec![("version", s("1"))], 303)
            } else {
                let fields = vec![("version", s("1")), ("name", s("Forged name"))];
                (PRIYA, path, fields, 303)
            }
        }
        "/vault/{client_id}/departures/{departure_id}/tickets" => {
            // A departure: an engineer reveals a credential, then is taken
            // off the engagement.
            let (st, c) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/secrets"),
                    Some(&priya),
                    Some(json!({ "name": "Firewall admin", "secret": "fixture-secret-1" })),
                )
                .await;
            assert_eq!(st, 201, "{c}");
            let dev = app.token(DEV).await;
            let reveal = format!(
                "/api/v1/clients/{alder}/secrets/{}/reveal",
                c["id"].as_str().unwrap()
            );
            let (st, _) = app
                .api(
                    "POST",
                    &reveal,
                    Some(&dev),
                    Some(json!({ "password": PASSWORD })),
                )
                .await;
            assert_eq!(st, 200);
            let off = format!(
                "/api/v1/engagements/{}/engineers/{}",
                alder_eng["id"].as_str().unwrap(),
                id_of(&staff, DEV)
            );
            assert_eq!(app.api("DELETE", &off, Some(&mara), None).await.0, 200);
            let (_, deps) = app
                .api(
                    "GET",
                    &format!("/api/v1/clients/{alder}/vault/departures"),
                    Some(&priya),
                    None,
                )
                .await;
            let path = route
                .replace("{client_id}", &alder)
                .replace("{departure_id}", deps[0]["id"].as_str().unwrap());
            (PRIYA, path, vec![], 303)
        }
        "/documents" => (
            PRIYA,
            s(route),
            vec![
                ("client_id", alder.clone()),
                ("title", s("Forged page")),
                ("body", s("forged")),
            ],
            303,
        ),
        "/documents/{page_id}/edit"
        | "/documents/{page_id}/restore"
        | "/documents/{page_id}/delete" => {
            let (st, page) = app
                .api(
                    "POST",
                    &format!("/api/v1/clients/{alder}/pages"),
                    Some(&priya),
                    Some(json!({ "title": "Firewall runbook", "body": "first" })),
                )
                .await;
            assert_eq!(st, 201, "{page}");
            let path = route.replace("{page_id}", page["id"].as_str().unwrap());
            let version = page["version"].as_i64().unwrap().to_string();
            let fields = if route.ends_with("/edit") {
                vec![
                    ("version", version),
                    ("title", s("Forged title")),
                    ("body", s("forged")),
                ]
            } else if route.ends_with("/restore") {
                vec![("number", s("1")), ("version", version)]
            } else {
                vec![]
            };
            (PRIYA, path, fields, 303)
        }
        "/reauth" => (
            PRIYA,
            s(route),
            vec![("password", s(PASSWORD)), ("next", s("/vault"))],
            303,
        ),
        other => panic!("no CSRF scenario for the form post {other}: add one to form_post_for"),
    };
    FormPost {
        multipart: route.ends_with("/attachments") || route == "/devices/import",
        who,
        path,
        fields,
        ok,
    }
}

/// What a refused post must leave untouched, as seen from outside.
async fn snapshot(app: &TestApp, mara: &str, priya: &str) -> String {
    let mut out = format!("audit entries: {}\n", audit_len(app).await);
    let alder_users = format!("/api/v1/orgs/{}/users", app.org("alder"));
    let alder_desk = format!("/api/v1/clients/{}/desk", app.org("alder"));
    for (who, token, path) in [
        ("mara", mara, "/api/v1/orgs"),
        ("mara", mara, "/api/v1/engagements"),
        ("mara", mara, "/api/v1/tokens"),
        ("priya", priya, "/api/v1/orgs"),
        ("priya", priya, "/api/v1/engagements"),
        ("priya", priya, "/api/v1/tokens"),
        ("priya", priya, alder_users.as_str()),
        ("priya", priya, "/api/v1/tickets?view=all"),
        ("priya", priya, alder_desk.as_str()),
        ("priya", priya, "/api/v1/notifications"),
    ] {
        let (status, body) = app.api("GET", path, Some(token), None).await;
        assert_eq!(status, 200, "{who} {path}");
        out.push_str(&format!("{who} {path}: {body}\n"));
    }
    out
}

async fn send_form(
    b: &mut Browser<'_>,
    post: &FormPost,
    fields: &[(&str, &str)],
) -> Response<Body> {
    if post.path == "/devices/import" {
        let file = (
            "forged.csv",
            "text/csv",
            &b"name,class,status\nForged PC,Workstation,Active\n"[..],
        );
        b.post_multipart(&post.path, fields, Some(file)).await
    } else if post.multipart {
        let file = ("forged.txt", "text/plain", &b"forged content"[..]);
        b.post_multipart(&post.path, fields, Some(file)).await
    } else {
        b.post(&post.path, fields).await
    }
}

#[tokio::test]
async fn every_form_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing() {
    let mut posts: Vec<String> = declared_routes(include_str!("../src/ui/mod.rs"))
        .into_iter()
        .filter(|(m, p)| m == "POST" && p != "/login")
        .map(|(_, p)| p)
        .collect();
    posts.sort();
    assert!(posts.len() >= 10, "{posts:?}");
    for route in posts {
        let app = TestApp::demo().await;
        let post = form_post_for(&app, &route).await;
        let mut a = app.browser(post.who).await;
        // Another session of the same person, and someone else's session.
        let mut same_person = app.browser(post.who).await;
        let mut someone_else = app.browser(HELEN).await;
        let foreign_tokens = [
            same_person.csrf("/account").await,
            someone_else.csrf("/account").await,
        ];
        let (mara, priya) = (app.token(MARA).await, app.token(PRIYA).await);
        let before = snapshot(&app, &mara, &priya).await;
        let fields: Vec<(&str, &str)> = post.fields.iter().map(|(k, v)| (*k, v.as_str())).collect();

        let mut attempts: Vec<(String, Vec<(&str, &str)>)> =
            vec![("no csrf field".into(), fields.clone())];
        let mut empty = vec![("csrf", "")];
        empty.extend(fields.iter().copied());
        attempts.push(("an empty csrf field".into(), empty));
        for (i, t) in foreign_tokens.iter().enumerate() {
            let mut f = vec![("csrf", t.as_str())];
            f.extend(fields.iter().copied());
            let whose = if i == 0 {
                "another session of the same person"
            } else {
                "another person's session"
            };
            attempts.push((format!("the token of {whose}"), f));
        }
        for (what, f) in attempts {
            let res = send_form(&mut a, &post, &f).await;
            let status = res.status();
            let body = text(res).await;
            assert_eq!(
                status, 403,
                "POST {} with {what} was not refused: {body}",
                post.path
            );
            assert!(body.contains("Form expired"), "POST {}: {body}", post.path);
        }
        assert_eq!(
            snapshot(&app, &mara, &priya).await,
            before,
            "a refused POST {} changed something",
            post.path
        );
        for b in [&mut a, &mut same_person] {
            assert_eq!(
                b.get("/dashboard").await.status(),
                200,
                "a refused POST {} ended a session",
                post.path
            );
        }
        if route == "/people" {
            let (_, people) = app
                .api(
                    "GET",
                    &format!("/api/v1/orgs/{}/users", app.org("alder")),
                    Some(&priya),
                    None,
                )
                .await;
            assert!(!people.to_string().contains("forged@alder.example"));
        }
        if route == "/account/password" {
            assert_eq!(
                app.anonymous().sign_in(post.who, PASSWORD).await.status(),
                303,
                "the password changed"
            );
        }

        // The control: the same post with the session's own token works,
        // so the refusals above were the CSRF check and nothing else.
        let csrf = a.csrf("/account").await;
        let mut with_token = vec![("csrf", csrf.as_str())];
        with_token.extend(fields.iter().copied());
        let res = send_form(&mut a, &post, &with_token).await;
        assert_eq!(
            res.status().as_u16(),
            post.ok,
            "POST {} with the right token",
            post.path
        );
    }
}

#[tokio::test]
async fn the_sign_in_form_needs_its_csrf_cookie_and_field_to_match() {
    let app = TestApp::demo().await;
    let mut b = app.anonymous();
    let csrf = b.csrf("/login").await;
    let cookie = b.cookies[LOGIN_CSRF].clone();
    assert_eq!(csrf, cookie, "double-submit token");
    let mut other = app.anonymous();
    let other_csrf = other.csrf("/login").await;
    assert_ne!(other_csrf, csrf);
    let before = audit_len(&app).await;

    // No field.
    let res = b
        .post("/login", &[("email", PRIYA), ("password", PASSWORD)])
        .await;
    assert_eq!(res.status(), 403, "no csrf field");
    // The field, but no cookie (as a cross-site form would send it).
    b.cookies.remove(LOGIN_CSRF);
    let res = b
        .post(
            "/login",
            &[("csrf", &csrf), ("email", PRIYA), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 403, "no csrf cookie");
    // A cookie and a field that do not match.
    b.cookies.insert(LOGIN_CSRF.into(), cookie.clone());
    let res = b
        .post(
            "/login",
            &[
                ("csrf", &other_csrf),
                ("email", PRIYA),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 403, "mismatched csrf");
    // Both empty.
    b.cookies.insert(LOGIN_CSRF.into(), String::new());
    let res = b
        .post(
            "/login",
            &[("csrf", ""), ("email", PRIYA), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 403, "empty cookie and field");
    assert!(b.session().is_none(), "a refused sign-in set a session");
    assert_eq!(
        audit_len(&app).await,
        before,
        "a refused sign-in form was processed"
    );

    // The control.
    b.cookies.insert(LOGIN_CSRF.into(), cookie);
    let res = b
        .post(
            "/login",
            &[("csrf", &csrf), ("email", PRIYA), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(b.session().is_some());
}

#[tokio::test]
async fn a_post_whose_origin_names_another_site_is_refused() {
    let app = TestApp::demo().await;
    let mut b = app.browser(PRIYA).await;
    let csrf = b.csrf("/account").await;
    let token = app.token(PRIYA).await;
    let before = token_count(&app, &token).await;
    for origin in [
        "https://evil.example",
        "null",
        "http://tandem.example.evil.example",
    ] {
        let res = b
            .post_with_headers(
                "/account/tokens",
                &[("csrf", &csrf), ("name", "cross-site")],
                &[("origin", origin), ("host", "tandem.example")],
            )
            .await;
        assert_eq!(res.status(), 403, "Origin {origin} was let through");
    }
    // The sign-in form too.
    let mut anon = app.anonymous();
    let login_csrf = anon.csrf("/login").await;
    let res = anon
        .post_with_headers(
            "/login",
            &[
                ("csrf", &login_csrf),
                ("email", PRIYA),
                ("password", PASSWORD),
            ],
            &[
                ("origin", "https://evil.example"),
                ("host", "tandem.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(anon.session().is_none());
    assert_eq!(token_count(&app, &token).await, before);

    // The control: our own origin passes.
    let res = b
        .post_with_headers(
            "/account/tokens",
            &[("csrf", &csrf), ("name", "same-site")],
            &[
                ("origin", "http://tandem.example"),
                ("host", "tandem.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(token_count(&app, &token).await, before + 1);
}

async fn token_count(app: &TestApp, token: &str) -> usize {
    app.api("GET", "/api/v1/tokens", Some(token), None)
        .await
        .1
        .as_array()
        .unwrap()
        .len()
}

// --- Security headers --------------------------------------------------------

/// Check the headers every HTML answer must carry; returns the request id.
fn assert_security_headers(what: &str, res: &Response<Body>) -> String {
    let csp = header_of(res, "content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no Content-Security-Policy"));
    let directive = |name: &str| -> Vec<String> {
        csp.split(';')
            .map(str::trim)
            .find_map(|d| {
                let mut parts = d.split_whitespace();
                (parts.next() == Some(name)).then(|| parts.map(str::to_owned).collect())
            })
            .unwrap_or_default()
    };
    let script = directive("script-src");
    let script = if script.is_empty() {
        directive("default-src")
    } else {
        script
    };
    assert!(
        !script.is_empty(),
        "{what}: no script-src or default-src: {csp}"
    );
    for bad in ["'unsafe-inline'", "'unsafe-eval'", "*", "data:"] {
        assert!(
            !script.iter().any(|s| s == bad),
            "{what}: script-src allows {bad}: {csp}"
        );
    }
    assert_eq!(
        directive("frame-ancestors"),
        vec!["'none'"],
        "{what}: {csp}"
    );
    assert_eq!(
        header_of(res, "x-content-type-options").as_deref(),
        Some("nosniff"),
        "{what}"
    );
    let referrer =
        header_of(res, "referrer-policy").unwrap_or_else(|| panic!("{what}: no Referrer-Policy"));
    assert!(
        [
            "no-referrer",
            "same-origin",
            "strict-origin",
            "strict-origin-when-cross-origin"
        ]
        .contains(&referrer.as_str()),
        "{what}: Referrer-Policy {referrer}"
    );
    let id = header_of(res, "x-request-id").unwrap_or_else(|| panic!("{what}: no x-request-id"));
    assert!(
        uuid::Uuid::parse_str(&id).is_ok(),
        "{what}: request id {id}"
    );
    id
}

#[tokio::test]
async fn every_html_answer_carries_the_security_headers_and_error_pages_quote_the_request_id() {
    let app = TestApp::demo().await;
    let mut anon = app.anonymous();
    let mut priya = app.browser(PRIYA).await;
    let mut helen = app.browser(HELEN).await;
    let corvid = app.org("corvid");
    let alder = app.org("alder");

    let mut pages = vec![
        ("login page", anon.get("/login").await),
        ("dashboard", priya.get("/dashboard").await),
        ("people", priya.get("/people").await),
        ("account", priya.get("/account").await),
        ("audit", priya.get("/audit").await),
    ];
    let mut error_pages = vec![
        ("unknown path", 404, priya.get("/no-such-page").await),
        (
            "foreign organization",
            404,
            priya.get(&format!("/people?org={corvid}")).await,
        ),
        (
            "forbidden form post",
            403,
            helen
                .submit(
                    &format!("/orgs/{alder}/settings"),
                    &[("require_totp", "on")],
                )
                .await,
        ),
        (
            "stale form",
            403,
            priya.post("/account/tokens", &[("name", "x")]).await,
        ),
        (
            "wrong sign-in",
            401,
            anon.sign_in(PRIYA, "not the password").await,
        ),
    ];
    for (what, res) in pages.drain(..) {
        assert_eq!(res.status(), 200, "{what}");
        assert_security_headers(what, &res);
        let body = text(res).await;
        assert!(
            !body.contains("<script>")
                && !body.contains(" onclick=")
                && !body.contains(" onsubmit="),
            "{what}: inline script would be blocked by the CSP"
        );
    }
    for (what, status, res) in error_pages.drain(..) {
        assert_eq!(res.status(), status, "{what}");
        let id = assert_security_headers(what, &res);
        assert!(
            header_of(&res, "content-type")
                .unwrap()
                .starts_with("text/html"),
            "{what}"
        );
        let body = text(res).await;
        if status != 401 {
            assert!(
                body.contains(&format!("<code id=\"request-id\">{id}</code>")),
                "{what}: the page does not show the request id {id} of its header:\n{body}"
            );
        }
    }
    // Each answer has its own id.
    let a = header_of(&anon.get("/login").await, "x-request-id");
    let b = header_of(&anon.get("/login").await, "x-request-id");
    assert_ne!(a, b);
    // API problems quote it too.
    let token = app.token(PRIYA).await;
    let res = app
        .send(
            Request::builder()
                .uri(format!("/api/v1/orgs/{corvid}/users"))
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 404);
    let id = header_of(&res, "x-request-id").unwrap();
    let body: Value = serde_json::from_str(&text(res).await).unwrap();
    assert_eq!(body["request_id"], id.as_str());
}

// --- Sign-in failures ------------------------------------------------------

#[tokio::test]
async fn unknown_account_and_wrong_password_look_the_same_and_are_both_audited() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let alder = app.org("alder");
    let failures_on_alder = || async {
        let (_, page) = app
            .api(
                "GET",
                &format!("/api/v1/orgs/{alder}/audit?limit=500"),
                Some(&priya),
                None,
            )
            .await;
        page["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == "session.sign_in_failed")
            .cloned()
            .collect::<Vec<_>>()
    };
    // One browser, so both pages carry the same login CSRF token.
    let mut b = app.anonymous();
    let before = audit_len(&app).await;
    let unknown = "nobody.here@alder.example";
    let r1 = b.sign_in(unknown, "tandem-demo-2026").await;
    let s1 = r1.status();
    let body1 = text(r1).await;
    assert_eq!(
        audit_len(&app).await,
        before + 1,
        "unknown account not audited"
    );
    assert!(failures_on_alder().await.is_empty());

    let r2 = b.sign_in(OWEN, "not-the-password").await;
    let s2 = r2.status();
    let body2 = text(r2).await;
    assert_eq!(
        audit_len(&app).await,
        before + 2,
        "wrong password not audited"
    );
    let seen = failures_on_alder().await;
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0]["actor_label"], OWEN);
    assert_eq!(seen[0]["org_id"], alder.as_str());

    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s1, s2, "the status tells the two failures apart");
    let without =
        |body: &str, email: &str| body.replace(&format!("value=\"{email}\""), "value=\"\"");
    assert!(body1.contains(&format!("value=\"{unknown}\"")));
    assert_eq!(
        without(&body1, unknown),
        without(&body2, OWEN),
        "the page tells an unknown account from a wrong password"
    );
    assert!(b.session().is_none());

    // A third failure on the known account is one more entry.
    b.sign_in(OWEN, "still wrong").await;
    assert_eq!(failures_on_alder().await.len(), 2);
}

fn retry_after(res: &Response<Body>) -> u64 {
    header_of(res, "retry-after")
        .expect("429 without Retry-After")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn too_many_failures_on_one_account_lock_it_even_for_the_right_password() {
    let settings = Settings {
        login_max_failures_per_account: 3,
        login_max_failures_per_addr: 1000,
        ..test_settings()
    };
    let window_secs = u64::try_from(settings.login_window_minutes * 60).unwrap();
    let app = TestApp::demo_with(settings, WebConfig::default()).await;
    let mut b = app.anonymous();
    for i in 0..3 {
        assert_eq!(
            b.sign_in(OWEN, "wrong password").await.status(),
            401,
            "failure {i}"
        );
    }
    let res = b.sign_in(OWEN, PASSWORD).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the right password after the limit"
    );
    let wait = retry_after(&res);
    assert!((1..=window_secs).contains(&wait), "Retry-After {wait}");
    assert!(b.session().is_none());
    // The same account under another spelling is the same account.
    let res = b.sign_in(&OWEN.to_uppercase(), PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    // Other people are not locked out by it.
    assert_eq!(app.anonymous().sign_in(HELEN, PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn too_many_failures_from_one_address_lock_it_for_every_account() {
    let settings = Settings {
        login_max_failures_per_account: 1000,
        login_max_failures_per_addr: 3,
        ..test_settings()
    };
    let app = TestApp::demo_with(settings, WebConfig::default()).await;
    let mut b = app.anonymous();
    // Spread over several accounts, so only the address counter trips.
    for who in ["someone@alder.example", OWEN, HELEN] {
        assert_eq!(
            b.sign_in(who, "wrong password").await.status(),
            401,
            "{who}"
        );
    }
    let res = b.sign_in(PRIYA, PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&res) >= 1);
    assert!(b.session().is_none());
}

// --- TOTP ------------------------------------------------------------------

fn totp_secret_of(page: &str) -> String {
    let at = page
        .find("id=\"totp-secret\">")
        .expect("the secret is shown")
        + "id=\"totp-secret\">".len();
    page[at..].split('<').next().unwrap().to_owned()
}

/// The code for `secret` (base32) `offset` steps from now.
fn totp_code(secret: &str, offset: i64) -> String {
    let key = data_encoding::BASE32_NOPAD
        .decode(secret.as_bytes())
        .unwrap();
    let now = jiff::Timestamp::now().as_second();
    format!(
        "{:06}",
        tandem_domain::totp::code_at_step(&key, tandem_domain::totp::step_at(now) + offset)
    )
}

/// Enrol TOTP in a browser; returns the secret.
async fn enrol_totp(b: &mut Browser<'_>) -> (String, Response<Body>) {
    let page = b.get("/account/totp").await;
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&text(page).await);
    let res = b
        .post("/account/totp", &[("csrf", &csrf), ("step", "start")])
        .await;
    assert_eq!(res.status(), 200);
    let secret = totp_secret_of(&text(res).await);
    let res = b
        .post(
            "/account/totp",
            &[
                ("csrf", &csrf),
                ("step", "confirm"),
                ("code", &totp_code(&secret, 0)),
            ],
        )
        .await;
    (secret, res)
}

#[tokio::test]
async fn totp_is_asked_for_after_the_password_and_each_code_works_once() {
    let app = TestApp::demo().await;
    let mut b = app.browser(OWEN).await;
    let (secret, res) = enrol_totp(&mut b).await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/account".into())
    );
    assert!(text(b.get("/account").await).await.contains("TOTP is on"));
    assert_eq!(b.submit("/logout", &[]).await.status(), 303);

    // The password alone is not enough.
    let mut b = app.anonymous();
    let res = b.sign_in(OWEN, PASSWORD).await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/login/totp".into())
    );
    let pending = b.session().unwrap();
    for page in ["/dashboard", "/account", "/people"] {
        let res = b.get(page).await;
        assert_eq!(location(&res), "/login/totp", "{page} before the code");
    }
    let token_try = b
        .post("/account/tokens", &[("csrf", "x"), ("name", "t")])
        .await;
    assert_eq!(location(&token_try), "/login/totp");
    let page = b.get("/login/totp").await;
    assert_eq!(page.status(), 200);
    let csrf = csrf_of(&text(page).await);

    // A wrong code is refused.
    let valid: Vec<String> = (-1..=2).map(|o| totp_code(&secret, o)).collect();
    let wrong = (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap();
    let res = b
        .post("/login/totp", &[("csrf", &csrf), ("code", &wrong)])
        .await;
    assert_eq!(res.status(), 401);
    assert_eq!(location(&b.get("/dashboard").await), "/login/totp");

    // The code of the next step (the current one went to the enrolment).
    let code = totp_code(&secret, 1);
    let res = b
        .post("/login/totp", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/dashboard".into())
    );
    let full = b.session().unwrap();
    assert_ne!(
        full, pending,
        "the session id must change with the second factor"
    );
    assert_eq!(b.get("/dashboard").await.status(), 200);
    assert_eq!(
        browser_with_session(&app, &pending)
            .get("/dashboard")
            .await
            .status(),
        303,
        "the pre-TOTP session id still works"
    );

    // The same code again, in a new sign-in, is refused.
    let mut again = app.anonymous();
    assert_eq!(
        location(&again.sign_in(OWEN, PASSWORD).await),
        "/login/totp"
    );
    let csrf = csrf_of(&text(again.get("/login/totp").await).await);
    let res = again
        .post("/login/totp", &[("csrf", &csrf), ("code", &code)])
        .await;
    assert_eq!(res.status(), 401, "a used code was accepted again");
    assert_eq!(location(&again.get("/dashboard").await), "/login/totp");
}

#[tokio::test]
async fn an_org_requiring_totp_sends_staff_without_it_to_enrol_first() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let mut priya = app.browser(PRIYA).await;
    let res = priya
        .submit(
            &format!("/orgs/{alder}/settings"),
            &[("require_totp", "on")],
        )
        .await;
    assert_eq!(res.status(), 303);

    let mut owen = app.anonymous();
    let res = owen.sign_in(OWEN, PASSWORD).await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/account/totp".into())
    );
    let pending = owen.session().unwrap();
    for page in ["/dashboard", "/account", "/people"] {
        let res = owen.get(page).await;
        assert_eq!(location(&res), "/account/totp", "{page} before enrolling");
    }
    let page = owen.get("/account/totp").await;
    assert_eq!(page.status(), 200);
    let body = text(page).await;
    assert!(body.contains("requires a TOTP code"));
    let csrf = csrf_of(&body);
    let res = owen
        .post("/account/tokens", &[("csrf", &csrf), ("name", "sneaky")])
        .await;
    assert_eq!(
        location(&res),
        "/account/totp",
        "a pending session made a token"
    );

    let (_, res) = enrol_totp(&mut owen).await;
    assert_eq!(
        (res.status(), location(&res)),
        (StatusCode::SEE_OTHER, "/dashboard".into())
    );
    assert_ne!(owen.session().unwrap(), pending);
    assert_eq!(owen.get("/dashboard").await.status(), 200);

    // Requesters are not staff: the rule does not apply to them.
    let res = app.anonymous().sign_in(LUIS, PASSWORD).await;
    assert_eq!(location(&res), "/dashboard");
    // Other organizations are not affected.
    let res = app.anonymous().sign_in(BEN, PASSWORD).await;
    assert_eq!(location(&res), "/dashboard");
}

// --- Engagements -----------------------------------------------------------

#[tokio::test]
async fn ending_an_engagement_removes_provider_access_at_once_and_keeps_the_clients_data() {
    let app = TestApp::demo().await;
    let alder = app.org("alder");
    let dev = app.token(DEV).await;
    let priya = app.token(PRIYA).await;
    let mut dev_browser = app.browser(DEV).await;
    let users = format!("/api/v1/orgs/{alder}/users");
    let audit = format!("/api/v1/orgs/{alder}/audit?limit=500");

    let (s, dev_view) = app.api("GET", &users, Some(&dev), None).await;
    assert_eq!(s, 200);
    assert_eq!(app.api("GET", &audit, Some(&dev), None).await.0, 200);
    assert_eq!(
        dev_browser
            .get(&format!("/people?org={alder}"))
            .await
            .status(),
        200
    );
    let (_, people_before) = app.api("GET", &users, Some(&priya), None).await;
    let (_, audit_before) = app.api("GET", &audit, Some(&priya), None).await;
    assert_eq!(dev_view, people_before);

    let (_, engs) = app
        .api("GET", "/api/v1/engagements", Some(&priya), None)
        .await;
    let engs = engs.as_array().unwrap();
    assert_eq!(engs.len(), 1);
    let id = engs[0]["id"].as_str().unwrap();
    let (s, ended) = app
        .api(
            "POST",
            &format!("/api/v1/engagements/{id}/end"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(s, 200, "{ended}");
    assert_eq!(ended["status"], "ended");

    // The engineer's very next requests, by token and by session.
    assert_eq!(app.api("GET", &users, Some(&dev), None).await.0, 404);
    assert_eq!(app.api("GET", &audit, Some(&dev), None).await.0, 404);
    assert_eq!(
        dev_browser
            .get(&format!("/people?org={alder}"))
            .await
            .status(),
        404
    );
    assert_eq!(
        dev_browser
            .get(&format!("/audit?org={alder}"))
            .await
            .status(),
        404
    );
    let (_, orgs) = app.api("GET", "/api/v1/orgs", Some(&dev), None).await;
    assert!(
        !orgs.to_string().contains(&alder),
        "alder is still listed for the engineer"
    );

    // The client keeps everything.
    let (_, people_after) = app.api("GET", &users, Some(&priya), None).await;
    assert_eq!(people_after, people_before);
    let (_, audit_after) = app.api("GET", &audit, Some(&priya), None).await;
    let after = audit_after["entries"].as_array().unwrap();
    for e in audit_before["entries"].as_array().unwrap() {
        assert!(after.contains(e), "audit entry {} is gone", e["seq"]);
    }
    assert_eq!(after[0]["action"], "engagement.end");
    assert!(
        after
            .iter()
            .any(|e| e["actor_label"] == DEV && e["action"] == "user.create"),
        "the engineer's own earlier work is still on the record"
    );
}

// --- API tokens --------------------------------------------------------------

#[tokio::test]
async fn api_tokens_act_as_their_owner_are_stored_as_hashes_and_die_when_revoked() {
    let app = TestApp::demo().await;
    let mut b = app.browser(PRIYA).await;
    let res = b.submit("/account/tokens", &[("name", "reporting")]).await;
    assert_eq!(res.status(), 201);
    let page = text(res).await;
    let at = page.find("id=\"new-token-secret\">").unwrap() + "id=\"new-token-secret\">".len();
    let secret = page[at..].split('<').next().unwrap().to_owned();
    assert!(secret.starts_with("tdm_") && secret.len() > 30, "{secret}");

    // It acts with the owner's rights, and no more.
    let (s, who) = me(&app, &secret).await;
    assert_eq!(s, 200);
    assert_eq!(who["email"], PRIYA);
    assert_eq!(who["role"], "client_admin");
    let alder = app.org("alder");
    let corvid = app.org("corvid");
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/orgs/{alder}/users"),
            Some(&secret),
            None
        )
        .await
        .0,
        200
    );
    assert_eq!(
        app.api(
            "GET",
            &format!("/api/v1/orgs/{corvid}/users"),
            Some(&secret),
            None
        )
        .await
        .0,
        404
    );

    // The secret is shown once: never in a list, a page or the database.
    let (_, list) = app.api("GET", "/api/v1/tokens", Some(&secret), None).await;
    assert!(!list.to_string().contains(&secret));
    let mine = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "reporting")
        .unwrap()
        .clone();
    assert!(secret.starts_with(mine["prefix"].as_str().unwrap()));
    assert!(!text(b.get("/account").await).await.contains(&secret));
    let rows: Vec<(String, String, String, String, String)> = on_pool!(&app.tandem.db, p =>
        sqlx::query_as("SELECT id, user_id, name, token_hash, prefix FROM api_tokens")
            .fetch_all(p).await.unwrap());
    assert!(!rows.is_empty());
    for row in &rows {
        let all = format!("{row:?}");
        assert!(!all.contains(&secret), "the secret is stored: {all}");
        assert_eq!(row.3.len(), 64, "token_hash is not a SHA-256 hex digest");
    }
    let (_, audit) = app
        .api(
            "GET",
            &format!("/api/v1/orgs/{alder}/audit?limit=500"),
            Some(&secret),
            None,
        )
        .await;
    assert!(
        !audit.to_string().contains(&secret),
        "the secret is in the audit log"
    );

    // A session id is no bearer token, and a token is no session.
    let session = b.session().unwrap();
    assert_eq!(me(&app, &session).await.0, 401);
    assert_eq!(
        browser_with_session(&app, &secret)
            .get("/dashboard")
            .await
            .status(),
        303
    );

    // Revoked: refused at once; the owner's other tokens still work.
    let other = app.token(PRIYA).await;
    let res = b
        .submit(
            &format!("/account/tokens/{}/revoke", mine["id"].as_str().unwrap()),
            &[],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .send(
            Request::builder()
                .uri("/api/v1/me")
                .header(header::AUTHORIZATION, format!("Bearer {secret}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 401, "a revoked token still works");
    assert_eq!(
        header_of(&res, "www-authenticate").as_deref(),
        Some("Bearer")
    );
    assert!(
        header_of(&res, "content-type")
            .unwrap()
            .starts_with("application/problem+json")
    );
    assert_eq!(me(&app, &other).await.0, 200);
    // Garbage and a missing scheme are refused the same way.
    assert_eq!(me(&app, "tdm_not-a-real-token").await.0, 401);
    assert_eq!(app.api("GET", "/api/v1/me", None, None).await.0, 401);
}

#[tokio::test]
async fn deactivating_a_person_ends_their_sessions_and_tokens() {
    let app = TestApp::demo().await;
    let owen_token = app.token(OWEN).await;
    let mut owen = app.browser(OWEN).await;
    let (_, who) = me(&app, &owen_token).await;
    let mut priya = app.browser(PRIYA).await;
    let res = priya
        .submit(
            &format!("/people/{}", who["user_id"].as_str().unwrap()),
            &[("name", "Owen Burke"), ("role", "client_technician")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(owen.get("/dashboard").await.status(), 303);
    assert_eq!(me(&app, &owen_token).await.0, 401);
    assert_eq!(app.anonymous().sign_in(OWEN, PASSWORD).await.status(), 401);
}

// --- Hostile input -------------------------------------------------------

/// Send raw bytes to the API with a content type.
async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    token: &str,
    content_type: Option<&str>,
    body: impl Into<Body>,
) -> (StatusCode, String, String) {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(ct) = content_type {
        b = b.header(header::CONTENT_TYPE, ct);
    }
    let res = app.send(b.body(body.into()).unwrap()).await;
    let status = res.status();
    let ct = header_of(&res, "content-type").unwrap_or_default();
    (status, ct, text(res).await)
}

fn assert_clean_problem(what: &str, status: StatusCode, ct: &str, body: &str) -> Value {
    assert!(ct.starts_with("application/problem+json"), "{what}: {ct}");
    let lower = body.to_lowercase();
    for leak in ["sql", "database", "sqlite", "postgres", "panicked"] {
        assert!(!lower.contains(leak), "{what}: {leak} in {body}");
    }
    let v: Value = serde_json::from_str(body).unwrap();
    assert_eq!(v["status"], status.as_u16(), "{what}");
    assert!(v["request_id"].is_string(), "{what}");
    v
}

#[tokio::test]
async fn oversized_malformed_and_mistyped_bodies_are_clean_4xx_problems() {
    let web = WebConfig {
        max_body_bytes: 4096,
        ..Default::default()
    };
    let app = TestApp::demo_with(test_settings(), web).await;
    let token = app.token(PRIYA).await;
    let settings = format!("/api/v1/orgs/{}/settings", app.org("alder"));
    let users = format!("/api/v1/orgs/{}/users", app.org("alder"));
    let json = Some("application/json");

    // Too large (valid JSON, so only the size is wrong).
    let big = json!({ "name": "x".repeat(10_000) }).to_string();
    let (s, ct, body) = raw(&app, "POST", "/api/v1/tokens", &token, json, big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_clean_problem("oversized", s, &ct, &body);
    // The same through a form.
    let mut b = app.browser(PRIYA).await;
    let csrf = b.csrf("/account").await;
    let res = b
        .post(
            "/account/tokens",
            &[("csrf", &csrf), ("name", &"y".repeat(10_000))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // Malformed: each names the field at fault.
    for (what, path, body, field) in [
        (
            "wrong type",
            &settings,
            r#"{"require_totp": "yes"}"#,
            Some("require_totp"),
        ),
        ("missing field", &settings, "{}", Some("require_totp")),
        (
            "unknown field",
            &settings,
            r#"{"require_totp": true, "admin": true}"#,
            Some("admin"),
        ),
        (
            "missing role",
            &users,
            r#"{"email": "a@alder.example", "name": "A", "password": "a long enough password"}"#,
            Some("role"),
        ),
        (
            "unknown role",
            &users,
            r#"{"email": "a@alder.example", "name": "A", "role": "emperor", "password": "a long enough password"}"#,
            Some("role"),
        ),
        ("broken syntax", &settings, r#"{"require_totp": tru"#, None),
        ("not an object", &settings, "[1, 2]", None),
        ("empty body", &settings, "", None),
    ] {
        let method = if path == &settings { "PUT" } else { "POST" };
        let (s, ct, body) = raw(&app, method, path, &token, json, body).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{what}: {body}");
        let v = assert_clean_problem(what, s, &ct, &body);
        if let Some(f) = field {
            assert_eq!(v["field"], f, "{what}: {body}");
        }
    }

    // Not JSON at all.
    for ct_sent in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let (s, ct, body) = raw(
            &app,
            "PUT",
            &settings,
            &token,
            ct_sent,
            r#"{"require_totp": true}"#,
        )
        .await;
        assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct_sent:?}: {body}");
        assert_clean_problem("wrong content type", s, &ct, &body);
    }

    // None of it changed anything.
    let (_, orgs) = app.api("GET", "/api/v1/orgs", Some(&token), None).await;
    assert_eq!(orgs[0]["require_totp"], false);
}

// --- The audit chain -----------------------------------------------------

/// The first columns of an audit row: prev_hash, at, and who acted where.
type AuditHead = (
    String,
    i64,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

#[tokio::test]
async fn the_audit_chain_names_an_altered_and_a_removed_entry() {
    let app = TestApp::demo().await;
    let mut priya = app.browser(PRIYA).await;
    priya
        .submit(
            "/people",
            &[
                ("org_id", &app.org("alder")),
                ("email", "new.hire@alder.example"),
                ("name", "New Hire"),
                ("role", "requester"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    app.anonymous().sign_in(OWEN, "wrong").await;
    let n = audit_len(&app).await;
    assert!(n > 5, "{n}");
    let k = i64::try_from(n / 2).unwrap();
    let db = &app.tandem.db;

    // Alter one entry's content.
    let original: String = on_pool!(db, p => sqlx::query_scalar("SELECT change FROM audit_log WHERE seq = $1")
        .bind(k).fetch_one(p).await.unwrap());
    on_pool!(db, p => sqlx::query("UPDATE audit_log SET change = $1 WHERE seq = $2")
        .bind(r#"{"nothing":"to see"}"#).bind(k).execute(p).await.unwrap().rows_affected());
    assert_eq!(
        app.tandem.verify_audit().await.unwrap(),
        Err(ChainBreak::Altered { seq: k })
    );
    // Recomputing that entry's own hash does not help: the next one no
    // longer follows it.
    let (prev, at, actor_user_id, actor_label, actor_side, actor_org_id, org_id): AuditHead = on_pool!(db, p => sqlx::query_as(
        "SELECT prev_hash, at, actor_user_id, actor_label, actor_side, actor_org_id, org_id FROM audit_log WHERE seq = $1")
        .bind(k).fetch_one(p).await.unwrap());
    let (action, object_type, object_id, request_id, source_addr): (
        String,
        String,
        String,
        String,
        String,
    ) = on_pool!(db, p => sqlx::query_as(
        "SELECT action, object_type, object_id, request_id, source_addr FROM audit_log WHERE seq = $1")
        .bind(k).fetch_one(p).await.unwrap());
    let forged = AuditRecord {
        seq: k,
        at_ms: at,
        actor_user_id,
        actor_label,
        actor_side,
        actor_org_id,
        org_id,
        action,
        object_type,
        object_id,
        change: r#"{"nothing":"to see"}"#.into(),
        request_id,
        source_addr,
    };
    let original_hash: String = on_pool!(db, p => sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(k).fetch_one(p).await.unwrap());
    on_pool!(db, p => sqlx::query("UPDATE audit_log SET hash = $1 WHERE seq = $2")
        .bind(forged.chain_hash(&prev)).bind(k).execute(p).await.unwrap().rows_affected());
    assert_eq!(
        app.tandem.verify_audit().await.unwrap(),
        Err(ChainBreak::Reordered { seq: k + 1 })
    );

    // Put it back: the chain is whole again.
    on_pool!(db, p => sqlx::query("UPDATE audit_log SET change = $1, hash = $2 WHERE seq = $3")
        .bind(&original).bind(&original_hash).bind(k).execute(p).await.unwrap().rows_affected());
    assert_eq!(app.tandem.verify_audit().await.unwrap(), Ok(n));

    // Remove an entry.
    on_pool!(db, p => sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(k).execute(p).await.unwrap().rows_affected());
    assert_eq!(
        app.tandem.verify_audit().await.unwrap(),
        Err(ChainBreak::Removed {
            seq: k + 1,
            expected: k
        })
    );
}

// --- Attachments -----------------------------------------------------------

#[tokio::test]
async fn attachments_are_served_as_sandboxed_downloads_never_as_pages() {
    let app = TestApp::demo().await;
    let priya = app.token(PRIYA).await;
    let body = json!({ "client_id": app.org("alder"), "title": "Odd mail", "category": "help-desk",
        "impact": "low", "urgency": "low" });
    let (_, ticket) = app
        .api("POST", "/api/v1/tickets", Some(&priya), Some(body))
        .await;
    let ticket_id = ticket["id"].as_str().unwrap().to_owned();
    // Someone uploads a page with script, claiming it is HTML.
    let mut b = app.browser(PRIYA).await;
    let csrf = b.csrf("/account").await;
    let page = b"<html><script>alert(document.cookie)</script></html>";
    let res = b
        .post_multipart(
            &format!("/tickets/{ticket_id}/attachments"),
            &[("csrf", &csrf), ("visibility", "public")],
            Some(("../../invoice<b>.html", "text/html", &page[..])),
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{ticket_id}/attachments"),
            Some(&priya),
            None,
        )
        .await;
    let att = &list.as_array().unwrap()[0];
    assert_eq!(att["filename"], "invoice<b>.html", "the name keeps no path");
    let id = att["id"].as_str().unwrap();

    let ui = b.get(&format!("/attachments/{id}")).await;
    let api = app
        .send(
            Request::builder()
                .uri(format!("/api/v1/attachments/{id}"))
                .header(header::AUTHORIZATION, format!("Bearer {priya}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    for (what, res) in [("UI", ui), ("API", api)] {
        assert_eq!(res.status(), 200, "{what}");
        let disposition = header_of(&res, "content-disposition").unwrap_or_default();
        assert!(
            disposition.starts_with("attachment;") && !disposition.contains('/'),
            "{what}: Content-Disposition {disposition:?}"
        );
        assert_eq!(
            header_of(&res, "x-content-type-options").as_deref(),
            Some("nosniff"),
            "{what}"
        );
        let csp = header_of(&res, "content-security-policy").unwrap_or_default();
        assert!(
            csp.split(';').any(|d| d.trim() == "sandbox"),
            "{what}: the download is not sandboxed: {csp:?}"
        );
        assert!(csp.contains("default-src 'none'"), "{what}: {csp:?}");
        assert_eq!(text(res).await.as_bytes(), page, "{what}");
    }
}

#[tokio::test]
async fn uploads_over_the_limit_are_refused_and_nothing_is_stored() {
    let settings = Settings {
        attachment_max_bytes: 1024,
        ..test_settings()
    };
    let app = TestApp::demo_with(settings, WebConfig::default()).await;
    let priya = app.token(PRIYA).await;
    let body = json!({ "client_id": app.org("alder"), "title": "Big file", "category": "help-desk",
        "impact": "low", "urgency": "low" });
    let (_, ticket) = app
        .api("POST", "/api/v1/tickets", Some(&priya), Some(body))
        .await;
    let ticket_id = ticket["id"].as_str().unwrap().to_owned();
    let big = vec![b'x'; 4096];
    let mut b = app.browser(PRIYA).await;
    let csrf = b.csrf("/account").await;
    let before = audit_len(&app).await;
    let res = b
        .post_multipart(
            &format!("/tickets/{ticket_id}/attachments"),
            &[("csrf", &csrf)],
            Some(("big.bin", "application/octet-stream", &big[..])),
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let (s, ct, body) = raw(
        &app,
        "POST",
        &format!("/api/v1/tickets/{ticket_id}/attachments?filename=big.bin"),
        &priya,
        Some("application/octet-stream"),
        big.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_clean_problem("oversized upload", s, &ct, &body);

    let (_, list) = app
        .api(
            "GET",
            &format!("/api/v1/tickets/{ticket_id}/attachments"),
            Some(&priya),
            None,
        )
        .await;
    assert_eq!(list, json!([]));
    assert_eq!(audit_len(&app).await, before);
    // Just under the limit is fine.
    let ok = app
        .attach(
            &priya,
            &ticket_id,
            "small.bin",
            "application/octet-stream",
            &big[..1024],
        )
        .await;
    assert!(!ok.is_empty());
}

#[tokio::test]
async fn malformed_ids_are_problems_in_the_api_and_error_pages_in_the_ui() {
    let app = TestApp::demo().await;
    let token = app.token(PRIYA).await;
    let res = app
        .send(
            axum::http::Request::builder()
                .uri("/api/v1/users/not-a-uuid")
                .header("authorization", format!("Bearer {token}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(res.status(), 400);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = serde_json::from_str(&text(res).await).unwrap();
    assert_eq!(body["status"], 400);
    assert_eq!(body["request_id"], id.as_str());

    let mut b = app.browser(PRIYA).await;
    let res = b.get("/people?org=zzz").await;
    assert_eq!(res.status(), 400);
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = text(res).await;
    assert!(page.contains(&id), "the error page shows the request id");
}

/// Alder's November draft, on a retainer its admin accepted: the invoice
/// the invoice forms act on.
async fn november_draft(app: &TestApp, alder_eng: &serde_json::Value, mara: &str) -> String {
    let eng = alder_eng["id"].as_str().unwrap();
    app.agreement(eng, retainer_terms("2026-11-01"), true, Some(PRIYA))
        .await;
    let (_, run) = app
        .api(
            "POST",
            "/api/v1/invoices/run",
            Some(mara),
            Some(serde_json::json!({ "period": "2026-11" })),
        )
        .await;
    run["created"][0].as_str().unwrap().to_owned()
}

/// A new installation starts from `tandem setup`: the provider and its
/// first admin, who signs in and onboards clients. Only an empty database
/// is set up, and the demo (whose accounts share a published password)
/// never seeds beside an installation's own people, nor setup beside it.
#[tokio::test]
async fn setup_makes_an_empty_installation_usable_once_and_never_mixes_with_the_demo() {
    use tandem_domain::{Role, Side};
    use tandem_service::ServiceError;
    use tandem_service::accounts::NewUser;
    use tandem_service::engagements::OnboardClient;
    let db = Db::connect(&fresh_db_url().await).await.unwrap();
    db.migrate().await.unwrap();
    let tandem = tandem_service::Tandem::new(db, test_settings());
    let meta = RequestMeta::cli("test");
    let admin = |password: &str, role: Role| NewUser {
        email: "ada@northwind.example".into(),
        name: "Ada Admin".into(),
        role,
        password: password.into(),
    };
    let good = "a long enough password";

    // Refused without a trace: an engineer as the first person, and a
    // password too short.
    let engineer = admin(good, Role::ProviderEngineer);
    let refused = tandem
        .set_up_provider("Northwind IT", "northwind", &engineer, &meta)
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Invalid(_))),
        "{refused:?}"
    );
    let short = admin("too short", Role::ProviderAdmin);
    let refused = tandem
        .set_up_provider("Northwind IT", "northwind", &short, &meta)
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Invalid(_))),
        "{refused:?}"
    );

    let (provider, user) = tandem
        .set_up_provider(
            "Northwind IT",
            "northwind",
            &admin(good, Role::ProviderAdmin),
            &meta,
        )
        .await
        .unwrap();
    assert_eq!(
        (provider.kind, provider.slug.as_str()),
        (Side::Provider, "northwind")
    );
    assert_eq!((user.role, user.org_id), (Role::ProviderAdmin, provider.id));

    // The admin signs in with that password and brings on a client.
    let session = tandem
        .sign_in("ada@northwind.example", good, &meta)
        .await
        .unwrap();
    let ada = tandem.resolve_session(&session.cookie).await.unwrap().actor;
    let client = OnboardClient {
        name: "Contoso Freight".into(),
        slug: "contoso".into(),
        admin: NewUser {
            email: "it@contoso.example".into(),
            name: "Cora Manager".into(),
            role: Role::ClientAdmin,
            password: good.into(),
        },
    };
    tandem.onboard_client(&ada, &client, &meta).await.unwrap();

    // Once only, and never the demo beside it.
    let again = admin(good, Role::ProviderAdmin);
    let refused = tandem
        .set_up_provider("Other IT", "other", &again, &meta)
        .await;
    assert!(
        matches!(&refused, Err(ServiceError::Conflict(m)) if m.contains("already set up")),
        "{refused:?}"
    );
    let refused = tandem.seed_demo_with(false).await;
    assert!(
        matches!(&refused, Err(ServiceError::Conflict(m)) if m.contains("not the demo's")),
        "{refused:?}"
    );
    assert!(
        tandem
            .sign_in(
                "mara.okafor@harborlane.example",
                tandem_service::demo::DEMO_PASSWORD,
                &meta
            )
            .await
            .is_err(),
        "no demo account was made"
    );

    // Nor setup on the demo.
    let demo = TestApp::demo().await;
    let refused = demo
        .tandem
        .set_up_provider(
            "Northwind IT",
            "northwind",
            &admin(good, Role::ProviderAdmin),
            &meta,
        )
        .await;
    assert!(
        matches!(refused, Err(ServiceError::Conflict(_))),
        "{refused:?}"
    );
}
