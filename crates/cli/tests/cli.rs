//! The binary as an operator uses it: configuration, the demo server,
//! online backup, tokens, audit verification and graceful shutdown.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tandem"));
    // Settings come only from what each test passes.
    for (k, _) in std::env::vars() {
        if k.starts_with("TANDEM_") {
            c.env_remove(k);
        }
    }
    c.env("TANDEM_LOG", "warn");
    c
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir()
        .join("tandem-cli-tests")
        .join(uuid::Uuid::now_v7().to_string());
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(c: &mut Command) -> Output {
    c.output().unwrap()
}

/// A minimal HTTP/1.1 GET on loopback; returns status and body.
fn http_get(port: u16, path: &str, bearer: Option<&str>) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn demo(db: &str) -> Self {
        Self::start("demo", db)
    }

    /// `tandem COMMAND` (`demo` or `serve`) on `db`, once it says it listens.
    fn start(command: &str, db: &str) -> Self {
        let port = free_port();
        let mut child = bin()
            .arg(command)
            .env("TANDEM_DATABASE_URL", db)
            .env("TANDEM_BIND", format!("127.0.0.1:{port}"))
            // The binary's own line saying where it listens, warnings besides.
            .env("TANDEM_LOG", "warn,tandem=info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Ready is the server's own word that it listens on our port. A
        // connection that goes through is not: while the demo seeds, a
        // connect to the free port can reach itself (the kernel may pick
        // the same number as the source port), or another test's server
        // can have taken the port meanwhile; then the test went on against
        // a server still seeding, and `audit verify` failed one CI run.
        let listening = format!("Tandem is listening on http://127.0.0.1:{port}");
        let lines = stderr_lines(&mut child);
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut before = Vec::new();
        loop {
            match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) if line.contains(&listening) => return Server { child, port },
                Ok(line) => before.push(line),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    panic!("the server ended before listening:\n{}", before.join("\n"))
                }
                Err(e) => panic!("the server did not say it listens within 60 s: {e}"),
            }
        }
    }

    /// SIGTERM, then wait; the exit status.
    fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "server ignored SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn an_unknown_setting_in_the_config_file_is_an_error() {
    let dir = scratch();
    let file = dir.join("tandem.toml");
    std::fs::write(
        &file,
        format!(
            "database_url = \"sqlite://{}/a.db\"\nbind_adress = \"127.0.0.1:9\"\n",
            dir.display()
        ),
    )
    .unwrap();
    let out = run(bin().arg("--config").arg(&file).arg("migrate"));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bind_adress"),
        "error should name the unknown key: {err}"
    );

    std::fs::write(
        &file,
        format!("database_url = \"sqlite://{}/a.db\"\n", dir.display()),
    )
    .unwrap();
    let out = run(bin().arg("--config").arg(&file).arg("migrate"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        dir.join("a.db").exists(),
        "the file's database_url was used"
    );
}

#[test]
fn a_missing_config_file_and_a_bad_database_url_are_errors() {
    let out = run(bin().args(["--config", "/nonexistent/tandem.toml", "migrate"]));
    assert!(!out.status.success());
    let out = run(bin().arg("migrate").env("TANDEM_DATABASE_URL", "mysql://x"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sqlite://"));
}

#[test]
fn demo_serves_backs_up_online_issues_tokens_and_drains_on_sigterm() {
    let dir = scratch();
    let db = format!("sqlite://{}/demo.db", dir.display());
    let server = Server::demo(&db);

    assert_eq!(http_get(server.port, "/healthz", None), (200, "ok".into()));
    assert_eq!(http_get(server.port, "/readyz", None).0, 200);
    let (status, metrics) = http_get(server.port, "/metrics", None);
    assert_eq!(status, 200);
    assert!(
        metrics.contains("tandem_http_responses_total{class=\"2xx\"}"),
        "{metrics}"
    );

    // A token from the command line acts as that user over HTTP.
    let out = run(bin()
        .args(["token", "create", "--user", "priya.nair@alder.example"])
        .env("TANDEM_DATABASE_URL", &db));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("tdm_"));
    let (status, me) = http_get(server.port, "/api/v1/me", Some(&token));
    assert_eq!(status, 200);
    assert!(me.contains("priya.nair@alder.example"), "{me}");
    assert_eq!(
        http_get(server.port, "/api/v1/me", Some("tdm_forged")).0,
        401
    );

    // Online backup while the server runs; the copy passes its own checks.
    let copy = dir.join("copy.db");
    let out = run(bin()
        .args(["backup", "--to"])
        .arg(&copy)
        .env("TANDEM_DATABASE_URL", &db));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("integrity ok"));
    let copy_url = format!("sqlite://{}", copy.display());
    let out = run(bin()
        .args(["audit", "verify"])
        .env("TANDEM_DATABASE_URL", &copy_url));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("intact"));
    // A second backup to the same file is refused rather than overwriting it.
    let out = run(bin()
        .args(["backup", "--to"])
        .arg(&copy)
        .env("TANDEM_DATABASE_URL", &db));
    assert!(!out.status.success());

    assert!(
        server.terminate().success(),
        "SIGTERM must end the server cleanly (exit 0)"
    );

    // Started again on the same database, the demo reuses it.
    let server = Server::demo(&db);
    let (_, orgs) = http_get(server.port, "/api/v1/orgs", Some(&token));
    assert_eq!(orgs.matches("\"slug\":\"alder\"").count(), 1, "{orgs}");
    assert!(server.terminate().success());
}

/// The lines a child writes to stderr, as they come, on a thread that
/// reads to the end (so the child never blocks on a full pipe).
fn stderr_lines(child: &mut Child) -> std::sync::mpsc::Receiver<String> {
    let (line, lines) = std::sync::mpsc::channel();
    let log = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for l in log.lines().map_while(Result::ok) {
            let _ = line.send(l);
        }
    });
    lines
}

#[test]
fn a_stop_while_the_demo_seeds_waits_for_the_whole_demo_and_a_demo_cut_short_is_named() {
    let dir = scratch();
    let db = format!("sqlite://{}/demo.db", dir.display());
    let port = free_port();
    let mut child = bin()
        .arg("demo")
        .env("TANDEM_DATABASE_URL", &db)
        .env("TANDEM_BIND", format!("127.0.0.1:{port}"))
        .env("TANDEM_LOG", "warn,tandem=info,tandem_service::demo=info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = stderr_lines(&mut child);
    let mut said = Vec::new();
    while !said.iter().any(|l: &String| l.contains("seeding the demo")) {
        said.push(
            lines
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|e| panic!("no word of seeding ({e}): {said:?}")),
        );
    }
    // SIGTERM while the demo is being written: before, the default action
    // killed the process part way through.
    assert!(
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "SIGTERM ignored"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    said.extend(lines.try_iter());
    let log = said.join("\n");
    assert!(
        status.success(),
        "a stop while seeding ends cleanly: {status}\n{log}"
    );
    assert!(log.contains("stopping once the demo is seeded"), "{log}");
    assert!(
        !log.contains("Tandem is listening"),
        "stopped before serving: {log}"
    );

    let finished = sqlite_count(&db, "SELECT COUNT(*) FROM demo_seed WHERE with_history");
    let tickets = sqlite_count(&db, "SELECT COUNT(*) FROM tickets");
    assert_eq!(finished, 1, "the seeding ran to its end");
    assert!(
        tickets > 100,
        "the desk's history is there: {tickets} tickets"
    );

    // A demo cut short (killed, or failed part way) has its organizations
    // without the rest; a start names that instead of serving half a demo.
    sqlite_exec(&db, "DELETE FROM demo_seed");
    let out = run(bin()
        .arg("demo")
        .env("TANDEM_DATABASE_URL", &db)
        .env("TANDEM_BIND", format!("127.0.0.1:{}", free_port())));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("seeding never finished"), "{err}");
}

/// `tandem setup` with the admin's password on standard input.
fn setup(db: &str, password: &str) -> Output {
    let mut child = bin()
        .args(["setup", "--provider", "Northwind IT", "--slug", "northwind"])
        .args([
            "--admin-name",
            "Ada Admin",
            "--admin-email",
            "ada@northwind.example",
        ])
        .env("TANDEM_DATABASE_URL", db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn setup_starts_an_empty_installation_once_with_its_admin_and_the_demo_stays_out() {
    let dir = scratch();
    let db = format!("sqlite://{}/tandem.db", dir.display());
    let said = |o: &Output| {
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    };

    let out = setup(&db, "too short");
    assert!(!out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("password"), "{}", said(&out));

    let out = setup(&db, "a long enough password");
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("set up Northwind IT (northwind) with its admin ada@northwind.example"),
        "{}",
        said(&out)
    );

    // The admin exists in the provider: a token of theirs reads it.
    let out = run(bin()
        .args(["token", "create", "--user", "ada@northwind.example"])
        .env("TANDEM_DATABASE_URL", &db));
    assert!(out.status.success(), "{}", said(&out));
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let server = Server::start("serve", &db);
    let (status, orgs) = http_get(server.port, "/api/v1/orgs", Some(&token));
    assert_eq!(status, 200, "{orgs}");
    assert!(orgs.contains("\"slug\":\"northwind\""), "{orgs}");
    assert!(server.terminate().success());

    let out = setup(&db, "a long enough password");
    assert!(!out.status.success());
    assert!(said(&out).contains("already set up"), "{}", said(&out));
    let out = run(bin()
        .arg("demo")
        .env("TANDEM_DATABASE_URL", &db)
        .env("TANDEM_BIND", format!("127.0.0.1:{}", free_port())));
    assert!(!out.status.success());
    assert!(said(&out).contains("not the demo's"), "{}", said(&out));
    assert_eq!(sqlite_count(&db, "SELECT COUNT(*) FROM organizations"), 1);
}

#[test]
fn audit_verify_names_the_first_altered_entry() {
    let dir = scratch();
    let db = format!("sqlite://{}/demo.db", dir.display());
    let server = Server::demo(&db);
    assert!(server.terminate().success());

    let out = run(bin()
        .args(["audit", "verify"])
        .env("TANDEM_DATABASE_URL", &db));
    assert!(
        out.status.success(),
        "audit verify on the untouched demo: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    sqlite_exec(
        &db,
        "UPDATE audit_log SET change = '{\"role\":\"client_admin\"}' WHERE seq = 7",
    );
    let out = run(bin()
        .args(["audit", "verify"])
        .env("TANDEM_DATABASE_URL", &db));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("entry 7 was altered"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn backup_on_postgres_explains_pg_dump() {
    let Ok(url) = std::env::var("TANDEM_TEST_PG_URL") else {
        eprintln!("TANDEM_TEST_PG_URL unset: PostgreSQL backup message not checked");
        return;
    };
    let out = run(bin()
        .args(["backup", "--to", "/tmp/never-written.db"])
        .env("TANDEM_DATABASE_URL", &url));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

/// Run one statement on a SQLite database the server is not using.
fn sqlite_exec(db: &str, sql: &'static str) {
    tokio_rt().block_on(async {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        sqlx::query(sql).execute(&pool).await.unwrap();
        pool.close().await;
    });
}

/// One count from a SQLite database the server is not using.
fn sqlite_count(db: &str, sql: &'static str) -> i64 {
    tokio_rt().block_on(async {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        let n = sqlx::query_scalar(sql).fetch_one(&pool).await.unwrap();
        pool.close().await;
        n
    })
}

fn tokio_rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn the_vault_key_file_is_made_owner_only_refused_when_open_and_rotated() {
    use std::os::unix::fs::PermissionsExt;
    let dir = scratch();
    let db = format!("sqlite://{}/vault.db", dir.display());
    let key = dir.join("tandem-master.key");
    // Made next to the database on first use, readable by its owner only.
    let out = run(bin()
        .args(["vault", "status"])
        .env("TANDEM_DATABASE_URL", &db));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let before = std::fs::read_to_string(&key).unwrap();
    // Readable by others: the server refuses to start, and says why.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(bin()
        .arg("serve")
        .env("TANDEM_DATABASE_URL", &db)
        .env("TANDEM_BIND", format!("127.0.0.1:{}", free_port())));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chmod 600"), "{err}");
    // A malformed file is refused too; the named file wins over the default.
    let other = dir.join("other.key");
    std::fs::write(&other, "not a key\n").unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(bin()
        .args(["vault", "status"])
        .env("TANDEM_DATABASE_URL", &db)
        .env("TANDEM_MASTER_KEY_FILE", &other));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("malformed"));
    // Rotation replaces the key in the file.
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(bin()
        .args(["vault", "rotate-master-key"])
        .env("TANDEM_DATABASE_URL", &db));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = std::fs::read_to_string(&key).unwrap();
    assert_ne!(before, after);
    assert_eq!(
        after
            .lines()
            .filter(|l| l.starts_with("tandem-master-key-v1"))
            .count(),
        1
    );
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the rewritten file stays owner-only");
}
