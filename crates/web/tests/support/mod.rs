//! Test harness: the whole app over a fresh database seeded with the demo,
//! driven in-process with `tower::ServiceExt::oneshot`. SQLite always;
//! PostgreSQL when `TANDEM_TEST_PG_URL` names a server (each test gets its
//! own database there).
#![allow(dead_code, clippy::unwrap_used)]

pub mod alerts;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use std::collections::HashMap;
use tandem_service::{Db, PasswordCost, RequestMeta, Settings, Tandem};
use tandem_web::{AppState, WebConfig, make_app};
use tower::ServiceExt;

/// Password of every demo account.
pub const PASSWORD: &str = tandem_service::demo::DEMO_PASSWORD;

/// Named demo people used across tests.
pub const MARA: &str = "mara.okafor@harborlane.example"; // provider admin
pub const DEV: &str = "dev.ramanathan@harborlane.example"; // engineer on alder + brightwater
pub const SOFIA: &str = "sofia.lindqvist@harborlane.example"; // engineer on brightwater + corvid
pub const TOMASZ: &str = "tomasz.wrobel@harborlane.example"; // engineer on corvid
pub const PRIYA: &str = "priya.nair@alder.example"; // alder client admin
pub const OWEN: &str = "owen.burke@alder.example"; // alder technician
pub const HELEN: &str = "helen.achterberg@alder.example"; // alder viewer
pub const LUIS: &str = "luis.romero@alder.example"; // alder requester
pub const BEN: &str = "ben.adeyemi@corvid.example"; // corvid client admin
pub const IGOR: &str = "igor.petrov@corvid.example"; // corvid requester

/// The role x relation cases both authorization tables use: provider
/// admin and engineer on their own organization, an engaged client and a
/// client they are not engaged with; each client role on its own client
/// and another; and anonymous.
/// Who asks, and which organization the request targets.
pub struct Case {
    /// Role and relation, e.g. `PE_eng`.
    pub label: &'static str,
    /// Who signs in (none: anonymous).
    pub who: Option<&'static str>,
    /// The organization the request aims at.
    pub target: &'static str,
}

pub const CASES: [Case; 15] = [
    Case {
        label: "PA_own",
        who: Some(MARA),
        target: "harborlane",
    },
    Case {
        label: "PA_eng",
        who: Some(MARA),
        target: "alder",
    },
    Case {
        label: "PA_not",
        who: Some(MARA),
        target: "corvid",
    },
    Case {
        label: "PE_own",
        who: Some(DEV),
        target: "harborlane",
    },
    Case {
        label: "PE_eng",
        who: Some(DEV),
        target: "alder",
    },
    Case {
        label: "PE_not",
        who: Some(DEV),
        target: "corvid",
    },
    Case {
        label: "CA_own",
        who: Some(PRIYA),
        target: "alder",
    },
    Case {
        label: "CA_other",
        who: Some(PRIYA),
        target: "corvid",
    },
    Case {
        label: "CT_own",
        who: Some(OWEN),
        target: "alder",
    },
    Case {
        label: "CT_other",
        who: Some(OWEN),
        target: "corvid",
    },
    Case {
        label: "CV_own",
        who: Some(HELEN),
        target: "alder",
    },
    Case {
        label: "CV_other",
        who: Some(HELEN),
        target: "corvid",
    },
    Case {
        label: "RQ_own",
        who: Some(LUIS),
        target: "alder",
    },
    Case {
        label: "RQ_other",
        who: Some(LUIS),
        target: "corvid",
    },
    Case {
        label: "ANON",
        who: None,
        target: "alder",
    },
];

/// The PostgreSQL server the tests use, if any.
fn pg_server() -> Option<String> {
    std::env::var("TANDEM_TEST_PG_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// A new scratch database on the test server, copied from `template` when
/// given (the CI drops every `tandem_t_` database at the end).
async fn create_pg_db(server: &str, template: Option<&str>) -> String {
    let name = format!("tandem_t_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::PgPool::connect(server)
        .await
        .expect("connect to TANDEM_TEST_PG_URL");
    let from = template.map_or(String::new(), |t| format!(" TEMPLATE {t}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}{from}")))
        .execute(&pool)
        .await
        .expect("create database");
    pool.close().await;
    let base = server.rsplit_once('/').map_or(server, |(b, _)| b);
    format!("{base}/{name}")
}

/// A PostgreSQL database holding the migrated demo (as [`TestApp::demo`]
/// seeds it), made once per test process. The authorization tables take a
/// fresh demo for every change they try, hundreds per process: copying
/// this one is a file copy, where migrating and seeding anew took most of
/// their time.
static PG_DEMO_TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn pg_demo_from_template(server: &str) -> String {
    let template = PG_DEMO_TEMPLATE
        .get_or_init(|| async {
            let url = create_pg_db(server, None).await;
            // A template may have no open connections while it is copied.
            seed_and_close(&url).await;
            url.rsplit_once('/').unwrap().1.to_owned()
        })
        .await;
    create_pg_db(server, Some(template)).await
}

/// Migrate and seed the demo into `url`, then close every connection.
async fn seed_and_close(url: &str) {
    let db = Db::connect(url).await.unwrap();
    db.migrate().await.unwrap();
    Tandem::new(db.clone(), test_settings())
        .seed_demo_with(false)
        .await
        .unwrap();
    db.close().await;
}

/// The migrated demo as SQLite files (the database and, when the close left
/// one, its WAL), made once per test process and held in memory: a fresh
/// demo is then two file writes, where migrating and seeding anew synced
/// the WAL at every commit and took most of the authorization tables' time.
/// The template's own files are removed once read.
static SQLITE_DEMO_TEMPLATE: tokio::sync::OnceCell<(Vec<u8>, Option<Vec<u8>>)> =
    tokio::sync::OnceCell::const_new();

async fn sqlite_demo_from_template() -> String {
    let (main, wal) = SQLITE_DEMO_TEMPLATE
        .get_or_init(|| async {
            let url = fresh_db_url().await;
            // Closed, nothing writes to the files while they are read.
            seed_and_close(&url).await;
            let path = url.strip_prefix("sqlite://").unwrap();
            let main = std::fs::read(path).unwrap();
            let wal = std::fs::read(format!("{path}-wal")).ok();
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{path}{suffix}"));
            }
            (main, wal)
        })
        .await;
    let url = fresh_db_url().await;
    let path = url.strip_prefix("sqlite://").unwrap();
    std::fs::write(path, main).unwrap();
    if let Some(wal) = wal {
        // SQLite rebuilds the WAL's index from the WAL itself on opening.
        std::fs::write(format!("{path}-wal"), wal).unwrap();
    }
    url
}

/// The authorization tables are checked in this many parts, every
/// `TABLE_PARTS`th row in each, so that nextest runs them side by side: one
/// table alone kept a core busy for minutes after the rest of the suite.
pub const TABLE_PARTS: usize = 4;

/// The rows of `table` in part `part` (of [`TABLE_PARTS`]), with their
/// index in the whole table.
pub fn rows_of_part<T>(table: &[T], part: usize) -> impl Iterator<Item = (usize, &T)> {
    table
        .iter()
        .enumerate()
        .filter(move |(i, _)| i % TABLE_PARTS == part)
}

/// Where a fresh database comes from.
pub async fn fresh_db_url() -> String {
    match pg_server() {
        Some(server) => create_pg_db(&server, None).await,
        _ => {
            let dir = std::env::temp_dir().join("tandem-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!(
                "sqlite://{}",
                dir.join(format!("{}.db", uuid::Uuid::now_v7())).display()
            )
        }
    }
}

/// Settings for tests: cheap password hashing, otherwise the defaults.
pub fn test_settings() -> Settings {
    Settings {
        password_cost: PasswordCost {
            memory_kib: 8,
            iterations: 1,
        },
        ..Settings::default()
    }
}

/// The app over a fresh, demo-seeded database.
pub struct TestApp {
    pub app: Router,
    pub tandem: Tandem,
    /// Organization ids by slug.
    pub orgs: HashMap<String, String>,
    /// The SQLite file behind the app, removed when the app is dropped.
    sqlite_file: Option<std::path::PathBuf>,
    /// The app's database, to close its connections when done.
    db: Db,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Unlinking an open file is fine on Unix; the space comes back when
        // the pool closes. PostgreSQL scratch databases are dropped by CI.
        if let Some(f) = &self.sqlite_file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

impl TestApp {
    /// A new app with the demo data.
    pub async fn demo() -> Self {
        let url = match pg_server() {
            Some(server) => pg_demo_from_template(&server).await,
            None => sqlite_demo_from_template().await,
        };
        Self::demo_on(url, test_settings(), WebConfig::default()).await
    }

    /// A new app with the demo data and the given settings.
    pub async fn demo_with(settings: Settings, web: WebConfig) -> Self {
        Self::demo_on(fresh_db_url().await, settings, web).await
    }

    /// The app over `url`, migrated and seeded with the demo unless it
    /// holds it already.
    async fn demo_on(url: String, settings: Settings, web: WebConfig) -> Self {
        let sqlite_file = url.strip_prefix("sqlite://").map(std::path::PathBuf::from);
        let db = Db::connect_sized(&url, 4).await.unwrap();
        db.migrate().await.unwrap();
        let tandem = Tandem::new(db.clone(), settings);
        tandem.seed_demo_with(false).await.unwrap();
        let app = make_app(AppState::new(tandem.clone(), web));
        let mut t = TestApp {
            app,
            tandem,
            orgs: HashMap::new(),
            sqlite_file,
            db,
        };
        let token = t.token(MARA).await;
        let (_, body) = t.api("GET", "/api/v1/orgs", Some(&token), None).await;
        // The provider admin sees only its own organization; clients come from engagements.
        for o in body.as_array().unwrap() {
            t.orgs.insert(
                o["slug"].as_str().unwrap().to_owned(),
                o["id"].as_str().unwrap().to_owned(),
            );
        }
        let (_, engs) = t
            .api("GET", "/api/v1/engagements", Some(&token), None)
            .await;
        for e in engs.as_array().unwrap() {
            let name = e["client_name"].as_str().unwrap();
            let slug = name.split_whitespace().next().unwrap().to_lowercase();
            t.orgs
                .insert(slug, e["client_id"].as_str().unwrap().to_owned());
        }
        t
    }

    /// Close the app's database connections now rather than whenever the
    /// last handle goes: the authorization tables make hundreds of apps,
    /// and on PostgreSQL their idle connections would add up past the
    /// server's limit.
    pub async fn close(&self) {
        self.db.close().await;
    }

    /// Run one statement on the app's database as it stands, behind the
    /// service's back (to leave what a crash would, say); values are
    /// written into `sql`. Returns the rows it changed.
    pub async fn execute(&self, sql: &str) -> u64 {
        let sql = sqlx::AssertSqlSafe(sql);
        match &self.db {
            Db::Sqlite { write, .. } => sqlx::query(sql)
                .execute(write)
                .await
                .map(|r| r.rows_affected()),
            Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected()),
        }
        .unwrap()
    }

    /// A number a query on the app's database answers.
    pub async fn count(&self, sql: &str) -> i64 {
        let sql = sqlx::AssertSqlSafe(sql);
        match &self.db {
            Db::Sqlite { read, .. } => sqlx::query_scalar(sql).fetch_one(read).await,
            Db::Postgres(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap()
    }

    /// Organization id by slug (`harborlane`, `alder`, `brightwater`, `corvid`).
    pub fn org(&self, slug: &str) -> String {
        self.orgs[slug].clone()
    }

    /// A fresh API token for a demo user.
    pub async fn token(&self, email: &str) -> String {
        self.tandem
            .create_token_for_email(email, "test", &RequestMeta::cli("test"))
            .await
            .unwrap()
            .1
    }

    /// Send a request to the app.
    pub async fn send(&self, req: Request<Body>) -> Response<Body> {
        self.app.clone().oneshot(req).await.unwrap()
    }

    /// Call the JSON API with extra headers.
    pub async fn api_with(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, serde_json::Value) {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = match body {
            Some(v) => b
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(v.to_string()))
                .unwrap(),
            None => b.body(Body::empty()).unwrap(),
        };
        let res = self.send(req).await;
        let status = res.status();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        )
    }

    /// Call the JSON API; returns the status and the parsed body (Null when empty or not JSON).
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        self.api_with(method, path, token, body, &[]).await
    }

    /// A browser signed in as `email`.
    pub async fn browser(&self, email: &str) -> Browser<'_> {
        let mut b = Browser {
            app: self,
            cookies: HashMap::new(),
        };
        let res = b.sign_in(email, PASSWORD).await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {email} failed"
        );
        b
    }

    /// A browser with no session.
    pub fn anonymous(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: HashMap::new(),
        }
    }
}

/// A cookie-keeping client for the UI.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: HashMap<String, String>,
}

/// Read a whole body as text.
pub async fn text(res: Response<Body>) -> String {
    String::from_utf8(res.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// The value of the first `name="csrf"` hidden field on a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a csrf field")
        + "name=\"csrf\" value=\"".len();
    html[at..].split('"').next().unwrap().to_owned()
}

/// A page with the values of its `csrf` fields blanked: they are random
/// base64 and, one page in a few hundred, spell "sql" or the like, which
/// is not database text leaking.
pub fn without_csrf_values(html: &str) -> String {
    const FIELD: &str = "name=\"csrf\" value=\"";
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = rest.find(FIELD) {
        let value_at = at + FIELD.len();
        out.push_str(&rest[..value_at]);
        rest = &rest[value_at..];
        rest = &rest[rest.find('"').unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep_cookies(&mut self, res: &Response<Body>) {
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
        }
    }

    /// GET a page.
    pub async fn get(&mut self, path: &str) -> Response<Body> {
        let req = Request::builder()
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let res = self.app.send(req).await;
        self.keep_cookies(&res);
        res
    }

    /// POST a form (fields are URL-encoded here).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response<Body> {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let res = self.app.send(req).await;
        self.keep_cookies(&res);
        res
    }

    /// The CSRF token of the page at `path` (the session's token).
    pub async fn csrf(&mut self, path: &str) -> String {
        let res = self.get(path).await;
        csrf_of(&text(res).await)
    }

    /// Sign in through the form.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> Response<Body> {
        let csrf = self.csrf("/login").await;
        self.post(
            "/login",
            &[("csrf", &csrf), ("email", email), ("password", password)],
        )
        .await
    }

    /// POST a form with the session's CSRF token added.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Response<Body> {
        let csrf = self.csrf("/account").await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(path, &all).await
    }
}

/// Where a redirect points (empty when there is no `Location`).
pub fn location(res: &Response<Body>) -> String {
    res.headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The `Set-Cookie` values of an answer.
pub fn set_cookies(res: &Response<Body>) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `(METHOD, path)` pairs a router module declares with
/// `.route("PATH", get(..).post(..))`, read from its source text so that a
/// test can insist every route is covered.
pub fn declared_routes(source: &str) -> std::collections::BTreeSet<(String, String)> {
    for unsupported in [".nest(", ".nest_service(", ".route_service("] {
        assert!(
            !source.contains(unsupported),
            "the route parser does not understand `{unsupported}`; teach it"
        );
    }
    let mut out = std::collections::BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        let after = &rest[at + ".route(".len()..];
        let mut depth = 1;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        let args = &after[..end];
        let path = args.split('"').nth(1).expect("a route path literal");
        let handlers = &args[args.find(',').expect("a method router")..];
        for method in ["get", "post", "put", "patch", "delete", "any"] {
            let call = format!("{method}(");
            let mut from = 0;
            while let Some(i) = handlers[from..].find(&call) {
                let abs = from + i;
                let word_start = handlers[..abs]
                    .chars()
                    .last()
                    .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                if word_start {
                    out.insert((method.to_uppercase(), path.to_owned()));
                }
                from = abs + call.len();
            }
        }
        rest = &after[end..];
    }
    out
}

impl Browser<'_> {
    /// The current session cookie, if any.
    pub fn session(&self) -> Option<String> {
        self.cookies.get("tandem_session").cloned()
    }

    /// POST a form with extra request headers (e.g. `Origin` and `Host`).
    pub async fn post_with_headers(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Response<Body> {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut b = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let res = self.app.send(b.body(Body::from(body)).unwrap()).await;
        self.keep_cookies(&res);
        res
    }
}

impl Browser<'_> {
    /// POST a `multipart/form-data` form: text fields and, optionally, one
    /// file as `file` (file name, content type, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, &str, &[u8])>,
    ) -> Response<Body> {
        let boundary = "tandem-test-boundary-5f1c0a9e";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        if let Some((name, content_type, bytes)) = file {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        let res = self.app.send(req).await;
        self.keep_cookies(&res);
        res
    }
}

impl TestApp {
    /// Attach a small file to a ticket through the API; returns the attachment id.
    pub async fn attach(
        &self,
        token: &str,
        ticket_id: &str,
        filename: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> String {
        let req = Request::builder()
            .method("POST")
            .uri(format!(
                "/api/v1/tickets/{ticket_id}/attachments?filename={filename}"
            ))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(bytes.to_vec()))
            .unwrap();
        let res = self.send(req).await;
        assert_eq!(res.status(), StatusCode::CREATED, "attaching {filename}");
        let v: serde_json::Value = serde_json::from_str(&text(res).await).unwrap();
        v["id"].as_str().unwrap().to_owned()
    }
}

/// Terms that can take effect, from `starts_on`: a $5,000 retainer and a
/// (zero) credit for every priority.
pub fn retainer_terms(starts_on: &str) -> serde_json::Value {
    let zero = serde_json::json!({ "kind": "fixed", "value": 0 });
    serde_json::json!({
        "currency": { "code": "USD", "decimals": 2 }, "starts_on": starts_on, "ends_on": null,
        "invoice_day": 1, "payment_days": 30, "tax_bps": null, "pricing": { "retainer": 500000 },
        "credits": { "p1": zero, "p2": zero, "p3": zero, "p4": zero }, "credit_cap": null
    })
}

impl TestApp {
    /// The active engagement of a client (`alder`, `brightwater`, `corvid`).
    pub async fn engagement_of(&self, slug: &str) -> String {
        let mara = self.token(MARA).await;
        let (_, engs) = self
            .api("GET", "/api/v1/engagements", Some(&mara), None)
            .await;
        engs.as_array()
            .unwrap()
            .iter()
            .find(|e| e["client_id"] == self.org(slug).as_str() && e["status"] == "active")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An agreement the provider's admin drafts on an engagement; with
    /// `proposed` it goes to the client, and with `accepted_by` (the
    /// client's admin) it becomes the active one. Its id.
    pub async fn agreement(
        &self,
        engagement: &str,
        terms: serde_json::Value,
        proposed: bool,
        accepted_by: Option<&str>,
    ) -> String {
        let mara = self.token(MARA).await;
        let (s, a) = self
            .api(
                "POST",
                &format!("/api/v1/engagements/{engagement}/agreements"),
                Some(&mara),
                Some(terms),
            )
            .await;
        assert_eq!(s, 201, "drafting an agreement: {a}");
        let id = a["id"].as_str().unwrap().to_owned();
        let mut steps = Vec::new();
        if proposed || accepted_by.is_some() {
            steps.push((mara, "propose", "1"));
        }
        if let Some(admin) = accepted_by {
            steps.push((self.token(admin).await, "accept", "2"));
        }
        for (who, step, version) in steps {
            let (s, body) = self
                .api_with(
                    "POST",
                    &format!("/api/v1/agreements/{id}/{step}"),
                    Some(&who),
                    None,
                    &[("if-match", version)],
                )
                .await;
            assert_eq!(s, 200, "{step} an agreement: {body}");
        }
        id
    }
}

/// The billing objects both authorization tables aim at, per target
/// organization (the provider's rows aim at the first client's): a draft
/// agreement (version 1) and a proposal (version 2) of its engagement, and
/// December's draft invoice (version 1), billed on a third agreement its
/// admin accepted, and January's draft with a line its admin disputed
/// (the invoice at version 2, and the dispute). `engagement` maps each
/// target to its engagement's id.
pub struct BillingFixture {
    /// Draft and proposal per target.
    pub agreement: HashMap<String, (String, String)>,
    /// December's draft per target.
    pub invoice: HashMap<String, String>,
    /// January's disputed draft and its dispute per target.
    pub disputed: HashMap<String, (String, String)>,
}

/// See [`BillingFixture`].
pub async fn billing_fixture(
    app: &TestApp,
    engagement: &HashMap<String, String>,
) -> BillingFixture {
    let terms = || retainer_terms("2026-12-01");
    let mut agreement = HashMap::new();
    for slug in ["alder", "corvid"] {
        let eng = &engagement[slug];
        let draft = app.agreement(eng, terms(), false, None).await;
        let proposal = app.agreement(eng, terms(), true, None).await;
        agreement.insert(slug.to_owned(), (draft, proposal));
        let admin = if slug == "alder" { PRIYA } else { BEN };
        app.agreement(eng, terms(), true, Some(admin)).await;
    }
    let mara = app.token(MARA).await;
    let (s, run) = app
        .api(
            "POST",
            "/api/v1/invoices/run",
            Some(&mara),
            Some(serde_json::json!({ "period": "2026-12" })),
        )
        .await;
    assert_eq!(s, 200, "the fixture invoice run: {run}");
    let mut invoice = HashMap::new();
    for id in run["created"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        let (_, i) = app
            .api("GET", &format!("/api/v1/invoices/{id}"), Some(&mara), None)
            .await;
        let slug = if i["client_id"] == app.org("alder").as_str() {
            "alder"
        } else {
            "corvid"
        };
        invoice.insert(slug.to_owned(), id.to_owned());
    }
    let (s, run) = app
        .api(
            "POST",
            "/api/v1/invoices/run",
            Some(&mara),
            Some(serde_json::json!({ "period": "2027-01" })),
        )
        .await;
    assert_eq!(s, 200, "the fixture's January run: {run}");
    let mut disputed = HashMap::new();
    for id in run["created"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        let (_, i) = app
            .api("GET", &format!("/api/v1/invoices/{id}"), Some(&mara), None)
            .await;
        let (slug, admin) = if i["client_id"] == app.org("alder").as_str() {
            ("alder", PRIYA)
        } else {
            ("corvid", BEN)
        };
        let (s, d) = app
            .api_with(
                "POST",
                &format!("/api/v1/invoices/{id}/disputes"),
                Some(&app.token(admin).await),
                Some(serde_json::json!({ "line": 0, "reason": "Not what we agreed" })),
                &[("if-match", "1")],
            )
            .await;
        assert_eq!(s, 200, "the fixture's dispute: {d}");
        disputed.insert(
            slug.to_owned(),
            (
                id.to_owned(),
                d["disputes"][0]["id"].as_str().unwrap().to_owned(),
            ),
        );
    }
    let alder = invoice["alder"].clone();
    invoice.insert("harborlane".into(), alder);
    let alder = agreement["alder"].clone();
    agreement.insert("harborlane".into(), alder);
    let alder = disputed["alder"].clone();
    disputed.insert("harborlane".into(), alder);
    BillingFixture {
        agreement,
        invoice,
        disputed,
    }
}

/// Today's civil date (UTC).
pub fn today() -> jiff::civil::Date {
    jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
}

/// A civil date `days` from today (UTC); tests that use it keep several
/// days away from any boundary, so a client's own zone does not matter.
pub fn day(days: i64) -> String {
    today()
        .checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

/// Midnight UTC `days` from today, as an RFC 3339 instant.
pub fn midnight(days: i64) -> String {
    format!("{}T00:00:00Z", day(days))
}

/// The calendar month before this one (UTC), as `YYYY-MM`.
pub fn last_month() -> String {
    today()
        .first_of_month()
        .yesterday()
        .unwrap()
        .strftime("%Y-%m")
        .to_string()
}
