//! The store conformance suite: every public store function, run on a fresh
//! SQLite file per test always, and on a fresh PostgreSQL database per test
//! when `TANDEM_TEST_PG_URL` names a server (any database on it; the suite
//! creates `tandem_t_<uuid>` beside it and drops it afterwards).
//!
//! Each check is an `async fn check_xxx(db: &Db)`; [`conformance!`] turns it
//! into `xxx_sqlite` and `xxx_postgres` tests.

use std::future::Future;
use std::path::{Path, PathBuf};

use sqlx::AssertSqlSafe;
use sqlx::postgres::PgPool;
use tandem_domain::audit::{AuditRecord, ChainVerifier, GENESIS, verify_chain};
use tandem_domain::policy::Relation;
use tandem_domain::{ApiTokenId, EngagementId, OrgId, Role, Scope, Side, UserId};
use tandem_store::orgs::Org;
use tandem_store::sessions::Session;
use tandem_store::tokens::ApiToken;
use tandem_store::users::User;
use tandem_store::{
    Backend, Db, StoreError, audit, engagements, login_failures, orgs, sessions,
    sqlite_file_is_sound, tokens, users,
};
use uuid::Uuid;

/// A fixed instant (epoch ms) the checks count from, so that cut-offs are exact.
const T0: i64 = 1_750_000_000_000;
/// One minute in milliseconds.
const MINUTE: i64 = 60_000;

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// A database made for one test, and what to remove afterwards.
struct TestDb {
    db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(PathBuf),
    Postgres { server_url: String, name: String },
}

impl TestDb {
    /// A fresh SQLite file under the temp directory, migrated.
    async fn sqlite() -> Self {
        let path = temp_path("db");
        let db = Db::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("connect to a fresh SQLite file");
        db.migrate().await.expect("migrate SQLite");
        TestDb {
            db,
            cleanup: Cleanup::Sqlite(path),
        }
    }

    /// A fresh PostgreSQL database on the server named by
    /// `TANDEM_TEST_PG_URL`, migrated; `None` when the variable is unset.
    async fn postgres() -> Option<Self> {
        let server_url = std::env::var("TANDEM_TEST_PG_URL")
            .ok()
            .filter(|u| !u.is_empty())?;
        let name = format!("tandem_t_{}", Uuid::now_v7().simple());
        let admin = PgPool::connect(&server_url)
            .await
            .expect("connect to TANDEM_TEST_PG_URL");
        // The name is ours (a UUID in hex), never user input.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&admin)
            .await
            .expect("create the test database");
        admin.close().await;
        let db = Db::connect(&with_database(&server_url, &name))
            .await
            .expect("connect to the test database");
        db.migrate().await.expect("migrate PostgreSQL");
        Some(TestDb {
            db,
            cleanup: Cleanup::Postgres { server_url, name },
        })
    }

    /// Run `check` in its own task so that a failing assertion still lets
    /// the database be closed and removed, then re-raise the failure.
    async fn run<Fut>(self, check: impl FnOnce(Db) -> Fut)
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        let outcome = tokio::spawn(check(self.db.clone())).await;
        self.db.close().await;
        let ping_after_close = self.db.ping().await;
        match self.cleanup {
            Cleanup::Sqlite(path) => remove_sqlite_files(&path),
            Cleanup::Postgres { server_url, name } => drop_pg_database(&server_url, &name).await,
        }
        match outcome {
            Ok(()) => assert!(
                ping_after_close.is_err(),
                "a closed Db must not answer a ping"
            ),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => panic!("check did not finish: {e}"),
        }
    }
}

/// Generate `$sqlite` and `$postgres` tests from each `check_xxx` function.
macro_rules! conformance {
    ($($check:ident => $sqlite:ident, $postgres:ident;)*) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $sqlite() {
            TestDb::sqlite()
                .await
                .run(|db| async move { $check(&db).await })
                .await;
        }

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $postgres() {
            let Some(t) = TestDb::postgres().await else {
                eprintln!("note: TANDEM_TEST_PG_URL is unset; skipping the PostgreSQL run");
                return;
            };
            t.run(|db| async move { $check(&db).await }).await;
        }
    )*};
}

conformance! {
    check_db_lifecycle => db_lifecycle_sqlite, db_lifecycle_postgres;
    check_orgs_insert_and_lookup => orgs_insert_and_lookup_sqlite, orgs_insert_and_lookup_postgres;
    check_orgs_duplicate_slug_is_conflict => orgs_duplicate_slug_is_conflict_sqlite, orgs_duplicate_slug_is_conflict_postgres;
    check_orgs_scope => orgs_scope_sqlite, orgs_scope_postgres;
    check_users_insert_and_lookup => users_insert_and_lookup_sqlite, users_insert_and_lookup_postgres;
    check_users_duplicate_email_is_conflict => users_duplicate_email_is_conflict_sqlite, users_duplicate_email_is_conflict_postgres;
    check_users_scope => users_scope_sqlite, users_scope_postgres;
    check_users_update_profile_in_scope => users_update_profile_in_scope_sqlite, users_update_profile_in_scope_postgres;
    check_totp_step_only_moves_forward => totp_step_only_moves_forward_sqlite, totp_step_only_moves_forward_postgres;
    check_engagements_lifecycle => engagements_lifecycle_sqlite, engagements_lifecycle_postgres;
    check_engagements_second_active_is_conflict => engagements_second_active_is_conflict_sqlite, engagements_second_active_is_conflict_postgres;
    check_relation_follows_assignment_and_end => relation_follows_assignment_and_end_sqlite, relation_follows_assignment_and_end_postgres;
    check_sessions_live_window => sessions_live_window_sqlite, sessions_live_window_postgres;
    check_sessions_delete_and_purge => sessions_delete_and_purge_sqlite, sessions_delete_and_purge_postgres;
    check_tokens_lifecycle => tokens_lifecycle_sqlite, tokens_lifecycle_postgres;
    check_tokens_revoke_is_owner_only => tokens_revoke_is_owner_only_sqlite, tokens_revoke_is_owner_only_postgres;
    check_login_failures_count_per_account_and_address => login_failures_count_per_account_and_address_sqlite, login_failures_count_per_account_and_address_postgres;
    check_audit_append_chains => audit_append_chains_sqlite, audit_append_chains_postgres;
    check_audit_rollback_leaves_no_gap => audit_rollback_leaves_no_gap_sqlite, audit_rollback_leaves_no_gap_postgres;
    check_audit_concurrent_appends_chain => audit_concurrent_appends_chain_sqlite, audit_concurrent_appends_chain_postgres;
    check_audit_list_for_org_scope => audit_list_for_org_scope_sqlite, audit_list_for_org_scope_postgres;
    check_backup => backup_sqlite, backup_postgres;
}

fn temp_path(ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!(
        "tandem-conformance-{}.{ext}",
        Uuid::now_v7().simple()
    ))
}

fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// `url` with its database replaced by `name`, query string kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    let mut out = format!("{}/{name}", &base[..authority_end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

async fn drop_pg_database(server_url: &str, name: &str) {
    let result = async {
        let admin = PgPool::connect(server_url).await?;
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
        )))
        .execute(&admin)
        .await?;
        admin.close().await;
        Ok::<_, sqlx::Error>(())
    }
    .await;
    if let Err(e) = result {
        eprintln!("note: could not drop test database {name}: {e}");
    }
}

#[test]
fn with_database_replaces_only_the_path() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h", "t1"),
        "postgres://u:p@h/t1"
    );
    assert_eq!(
        with_database("postgresql://h:1/db?sslmode=disable", "t1"),
        "postgresql://h:1/t1?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres:///db?host=/run/postgresql", "t1"),
        "postgres:///t1?host=/run/postgresql"
    );
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

fn org(kind: Side, name: &str, slug: &str) -> Org {
    Org {
        id: OrgId::new(),
        kind,
        name: name.to_owned(),
        slug: slug.to_owned(),
        require_totp: false,
        created_at: T0,
        ticket_prefix: slug.to_uppercase(),
    }
}

fn user(org: &Org, role: Role, email: &str, name: &str) -> User {
    User {
        id: UserId::new(),
        org_id: org.id,
        email: email.to_owned(),
        name: name.to_owned(),
        role,
        password_hash: format!("$argon2id$v=19$m=19456,t=2,p=1$salt${email}"),
        totp_secret: None,
        totp_enabled: false,
        totp_last_step: None,
        active: true,
        created_at: T0,
        updated_at: T0,
    }
}

fn scope(u: &User) -> Scope {
    Scope {
        user_id: u.id,
        org_id: u.org_id,
        side: u.role.side(),
    }
}

async fn insert_orgs(db: &Db, list: &[&Org]) {
    let mut tx = db.begin().await.expect("begin");
    for o in list {
        orgs::insert(&mut tx, o).await.expect("insert org");
    }
    tx.commit().await.expect("commit orgs");
}

async fn insert_users(db: &Db, list: &[&User]) {
    let mut tx = db.begin().await.expect("begin");
    for u in list {
        users::insert(&mut tx, u).await.expect("insert user");
    }
    tx.commit().await.expect("commit users");
}

async fn end_engagement(db: &Db, id: EngagementId, at: i64) -> bool {
    let mut tx = db.begin().await.expect("begin");
    let ended = engagements::end(&mut tx, id, at)
        .await
        .expect("end engagement");
    tx.commit().await.expect("commit end");
    ended
}

/// A provider with an admin, an engineer assigned to its active engagement
/// with `client`, and an engineer on the bench; the client with an admin and
/// a requester; and a second client nobody is engaged with.
struct World {
    provider: Org,
    client: Org,
    other_client: Org,
    provider_admin: User,
    engineer: User,
    bench_engineer: User,
    client_admin: User,
    requester: User,
    other_admin: User,
    engagement: EngagementId,
}

async fn seed(db: &Db) -> World {
    let provider = org(Side::Provider, "Northwind MSP", "northwind");
    let client = org(Side::Client, "Acme", "acme");
    let other_client = org(Side::Client, "Globex", "globex");
    let w = World {
        provider_admin: user(
            &provider,
            Role::ProviderAdmin,
            "pat@northwind.test",
            "Pat Admin",
        ),
        engineer: user(
            &provider,
            Role::ProviderEngineer,
            "eve@northwind.test",
            "Eve Engineer",
        ),
        bench_engineer: user(
            &provider,
            Role::ProviderEngineer,
            "ben@northwind.test",
            "Ben Bench",
        ),
        client_admin: user(&client, Role::ClientAdmin, "cara@acme.test", "Cara Admin"),
        requester: user(&client, Role::Requester, "rob@acme.test", "Rob Requester"),
        other_admin: user(
            &other_client,
            Role::ClientAdmin,
            "olga@globex.test",
            "Olga Admin",
        ),
        engagement: EngagementId::new(),
        provider,
        client,
        other_client,
    };
    let mut tx = db.begin().await.expect("begin");
    for o in [&w.provider, &w.client, &w.other_client] {
        orgs::insert(&mut tx, o).await.expect("insert org");
    }
    for u in [
        &w.provider_admin,
        &w.engineer,
        &w.bench_engineer,
        &w.client_admin,
        &w.requester,
        &w.other_admin,
    ] {
        users::insert(&mut tx, u).await.expect("insert user");
    }
    engagements::insert(&mut tx, w.engagement, w.provider.id, w.client.id, T0)
        .await
        .expect("insert engagement");
    assert!(
        engagements::assign(&mut tx, w.engagement, w.engineer.id, T0)
            .await
            .expect("assign")
    );
    tx.commit().await.expect("commit world");
    w
}

fn assert_same_org(got: &Org, want: &Org) {
    assert_eq!(got.id, want.id);
    assert_eq!(got.kind, want.kind);
    assert_eq!(got.name, want.name);
    assert_eq!(got.slug, want.slug);
    assert_eq!(got.require_totp, want.require_totp);
    assert_eq!(got.created_at, want.created_at);
}

fn assert_same_user(got: &User, want: &User) {
    assert_eq!(got.id, want.id);
    assert_eq!(got.org_id, want.org_id);
    assert_eq!(got.email, want.email);
    assert_eq!(got.name, want.name);
    assert_eq!(got.role, want.role);
    assert_eq!(got.password_hash, want.password_hash);
    assert_eq!(got.totp_secret, want.totp_secret);
    assert_eq!(got.totp_enabled, want.totp_enabled);
    assert_eq!(got.totp_last_step, want.totp_last_step);
    assert_eq!(got.active, want.active);
    assert_eq!(got.created_at, want.created_at);
    assert_eq!(got.updated_at, want.updated_at);
}

fn org_ids(list: &[Org]) -> Vec<OrgId> {
    list.iter().map(|o| o.id).collect()
}

fn user_ids(list: &[User]) -> Vec<UserId> {
    list.iter().map(|u| u.id).collect()
}

fn is_not_found<T>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::NotFound))
}

fn is_conflict<T>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Conflict))
}

fn audit_record(org: Option<OrgId>, action: &str, object_id: &str, at_ms: i64) -> AuditRecord {
    AuditRecord {
        seq: 0,
        at_ms,
        actor_user_id: Some(format!("actor-of-{object_id}")),
        actor_label: "cara@acme.test".to_owned(),
        actor_side: Some("client".to_owned()),
        actor_org_id: org.map(|o| o.to_string()),
        org_id: org.map(|o| o.to_string()),
        action: action.to_owned(),
        object_type: "user".to_owned(),
        object_id: object_id.to_owned(),
        change: format!(r#"{{"name":{{"after":"{object_id}"}}}}"#),
        request_id: format!("req-{object_id}"),
        source_addr: "192.0.2.7".to_owned(),
    }
}

async fn append_one(db: &Db, record: AuditRecord) -> i64 {
    let mut tx = db.begin().await.expect("begin");
    let seq = audit::append(&mut tx, record).await.expect("append");
    tx.commit().await.expect("commit audit");
    seq
}

async fn whole_log(db: &Db) -> Vec<tandem_domain::audit::StoredAudit> {
    audit::page_in_order(db, 0, 10_000).await.expect("page log")
}

// ---------------------------------------------------------------------------
// Db
// ---------------------------------------------------------------------------

async fn check_db_lifecycle(db: &Db) {
    match db {
        Db::Sqlite { .. } => assert_eq!(db.backend(), Backend::Sqlite),
        Db::Postgres(_) => assert_eq!(db.backend(), Backend::Postgres),
    }
    db.ping().await.expect("ping");
    // Migrating an up-to-date schema is a no-op.
    db.migrate().await.expect("second migrate");
    db.ping().await.expect("ping after migrate");

    let url = "mysql://root@localhost/tandem";
    assert!(matches!(
        Db::connect(url).await,
        Err(StoreError::UnsupportedUrl(u)) if u == url
    ));

    // A transaction dropped without commit leaves nothing behind.
    let dropped = org(Side::Client, "Rolled Back", "rolled-back");
    {
        let mut tx = db.begin().await.expect("begin");
        orgs::insert(&mut tx, &dropped).await.expect("insert");
        drop(tx);
    }
    assert_eq!(orgs::count(db).await.expect("count"), 0);
    assert!(
        orgs::find_by_slug_unscoped(db, "rolled-back")
            .await
            .expect("by slug")
            .is_none()
    );

    // A committed one is visible to later reads.
    let kept = org(Side::Client, "Kept", "kept");
    let mut tx = db.begin().await.expect("begin");
    orgs::insert(&mut tx, &kept).await.expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(orgs::count(db).await.expect("count"), 1);
}

// ---------------------------------------------------------------------------
// Organizations
// ---------------------------------------------------------------------------

async fn check_orgs_insert_and_lookup(db: &Db) {
    assert_eq!(orgs::count(db).await.expect("count"), 0);
    let provider = org(Side::Provider, "Northwind MSP", "northwind");
    let mut client = org(Side::Client, "Acme", "acme");
    client.require_totp = true;
    insert_orgs(db, &[&provider, &client]).await;
    assert_eq!(orgs::count(db).await.expect("count"), 2);

    assert_same_org(
        &orgs::get_unscoped(db, provider.id).await.expect("get"),
        &provider,
    );
    assert_same_org(
        &orgs::get_unscoped(db, client.id).await.expect("get"),
        &client,
    );
    assert!(is_not_found(&orgs::get_unscoped(db, OrgId::new()).await));

    let by_slug = orgs::find_by_slug_unscoped(db, "acme")
        .await
        .expect("by slug");
    assert_same_org(&by_slug.expect("acme by slug"), &client);
    assert!(
        orgs::find_by_slug_unscoped(db, "ACME")
            .await
            .expect("by slug")
            .is_none()
    );
    assert!(
        orgs::find_by_slug_unscoped(db, "nobody")
            .await
            .expect("by slug")
            .is_none()
    );

    let mut tx = db.begin().await.expect("begin");
    orgs::set_require_totp(&mut tx, provider.id, true)
        .await
        .expect("set");
    orgs::set_require_totp(&mut tx, client.id, false)
        .await
        .expect("set");
    tx.commit().await.expect("commit");
    assert!(
        orgs::get_unscoped(db, provider.id)
            .await
            .expect("get")
            .require_totp
    );
    assert!(
        !orgs::get_unscoped(db, client.id)
            .await
            .expect("get")
            .require_totp
    );

    let mut tx = db.begin().await.expect("begin");
    assert!(is_not_found(
        &orgs::set_require_totp(&mut tx, OrgId::new(), true).await
    ));
    drop(tx);
    assert_eq!(orgs::count(db).await.expect("count"), 2);
}

async fn check_orgs_duplicate_slug_is_conflict(db: &Db) {
    let first = org(Side::Client, "Acme", "acme");
    insert_orgs(db, &[&first]).await;

    let twin = org(Side::Client, "Acme Two", "acme");
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&orgs::insert(&mut tx, &twin).await));
    drop(tx);

    // The same id twice is a conflict too.
    let mut same_id = org(Side::Client, "Other", "other");
    same_id.id = first.id;
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&orgs::insert(&mut tx, &same_id).await));
    drop(tx);

    assert_eq!(orgs::count(db).await.expect("count"), 1);
    assert_same_org(
        &orgs::get_unscoped(db, first.id).await.expect("get"),
        &first,
    );
}

async fn check_orgs_scope(db: &Db) {
    let w = seed(db).await;

    // Client staff see their own organization only.
    let cs = scope(&w.client_admin);
    assert_same_org(
        &orgs::find(db, &cs, w.client.id).await.expect("own"),
        &w.client,
    );
    assert!(is_not_found(&orgs::find(db, &cs, w.other_client.id).await));
    assert!(is_not_found(&orgs::find(db, &cs, w.provider.id).await));
    assert!(is_not_found(&orgs::find(db, &cs, OrgId::new()).await));
    let visible = orgs::list_visible(db, &cs).await.expect("visible");
    assert_eq!(org_ids(&visible), vec![w.client.id]);
    let os = scope(&w.other_admin);
    assert!(is_not_found(&orgs::find(db, &os, w.client.id).await));
    assert_eq!(
        org_ids(&orgs::list_visible(db, &os).await.expect("visible")),
        vec![w.other_client.id]
    );

    // The assigned engineer sees the provider and the engaged client.
    let es = scope(&w.engineer);
    assert_same_org(
        &orgs::find(db, &es, w.client.id).await.expect("engaged"),
        &w.client,
    );
    assert_same_org(
        &orgs::find(db, &es, w.provider.id).await.expect("own"),
        &w.provider,
    );
    assert!(is_not_found(&orgs::find(db, &es, w.other_client.id).await));
    assert_eq!(
        org_ids(&orgs::list_visible(db, &es).await.expect("visible")),
        vec![w.provider.id, w.client.id],
        "provider first, then clients"
    );

    // Staff of the same provider who are not assigned do not.
    for unassigned in [&w.bench_engineer, &w.provider_admin] {
        let s = scope(unassigned);
        assert!(is_not_found(&orgs::find(db, &s, w.client.id).await));
        assert_eq!(
            org_ids(&orgs::list_visible(db, &s).await.expect("visible")),
            vec![w.provider.id]
        );
    }

    // Ending the engagement takes the client away at once.
    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(is_not_found(&orgs::find(db, &es, w.client.id).await));
    assert_eq!(
        org_ids(&orgs::list_visible(db, &es).await.expect("visible")),
        vec![w.provider.id]
    );
    // The client keeps its own organization.
    orgs::find(db, &cs, w.client.id)
        .await
        .expect("client keeps own org");
}

// ---------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------

async fn check_users_insert_and_lookup(db: &Db) {
    let acme = org(Side::Client, "Acme", "acme");
    insert_orgs(db, &[&acme]).await;
    let mut cara = user(&acme, Role::ClientAdmin, "cara@acme.test", "Cara Admin");
    cara.totp_secret = Some("JBSWY3DPEHPK3PXP".to_owned());
    cara.totp_enabled = true;
    cara.totp_last_step = Some(42);
    let mut rob = user(&acme, Role::Requester, "rob@acme.test", "Rob Requester");
    rob.active = false;

    // Inside the transaction the new row is visible to get_for_actor_tx.
    let mut tx = db.begin().await.expect("begin");
    users::insert(&mut tx, &cara).await.expect("insert");
    users::insert(&mut tx, &rob).await.expect("insert");
    assert_same_user(
        &users::get_for_actor_tx(&mut tx, cara.id)
            .await
            .expect("in tx"),
        &cara,
    );
    assert!(is_not_found(
        &users::get_for_actor_tx(&mut tx, UserId::new()).await
    ));
    tx.commit().await.expect("commit");

    assert_same_user(
        &users::get_for_actor(db, cara.id).await.expect("get"),
        &cara,
    );
    assert_same_user(&users::get_for_actor(db, rob.id).await.expect("get"), &rob);
    assert!(is_not_found(&users::get_for_actor(db, UserId::new()).await));

    let by_email = users::find_by_email_for_sign_in(db, "cara@acme.test")
        .await
        .expect("by email")
        .expect("cara by email");
    assert_same_user(&by_email, &cara);
    assert!(
        users::find_by_email_for_sign_in(db, "nobody@acme.test")
            .await
            .expect("by email")
            .is_none()
    );

    // Password and TOTP changes.
    let mut tx = db.begin().await.expect("begin");
    users::set_password_hash(&mut tx, rob.id, "$argon2id$new", T0 + MINUTE)
        .await
        .expect("set hash");
    users::set_totp(&mut tx, rob.id, Some("PENDINGSECRET"), false, None)
        .await
        .expect("set totp");
    users::set_totp(&mut tx, cara.id, None, false, None)
        .await
        .expect("clear totp");
    tx.commit().await.expect("commit");

    let rob_now = users::get_for_actor(db, rob.id).await.expect("get");
    assert_eq!(rob_now.password_hash, "$argon2id$new");
    assert_eq!(rob_now.updated_at, T0 + MINUTE);
    assert_eq!(rob_now.totp_secret.as_deref(), Some("PENDINGSECRET"));
    assert!(!rob_now.totp_enabled);
    assert_eq!(rob_now.totp_last_step, None);
    let cara_now = users::get_for_actor(db, cara.id).await.expect("get");
    assert_eq!(cara_now.totp_secret, None);
    assert!(!cara_now.totp_enabled);
    assert_eq!(cara_now.totp_last_step, None);
    assert_eq!(cara_now.password_hash, cara.password_hash);

    let mut tx = db.begin().await.expect("begin");
    users::set_totp(&mut tx, rob.id, Some("PENDINGSECRET"), true, Some(7))
        .await
        .expect("confirm totp");
    tx.commit().await.expect("commit");
    let rob_now = users::get_for_actor(db, rob.id).await.expect("get");
    assert!(rob_now.totp_enabled);
    assert_eq!(rob_now.totp_last_step, Some(7));

    // Foreign keys hold on both backends: no user without an organization.
    let orphan = user(
        &org(Side::Client, "Ghost", "ghost"),
        Role::ClientAdmin,
        "ghost@ghost.test",
        "Ghost",
    );
    let mut tx = db.begin().await.expect("begin");
    assert!(matches!(
        users::insert(&mut tx, &orphan).await,
        Err(StoreError::Database(_))
    ));
    drop(tx);
    assert!(is_not_found(&users::get_for_actor(db, orphan.id).await));
}

async fn check_users_duplicate_email_is_conflict(db: &Db) {
    let acme = org(Side::Client, "Acme", "acme");
    let globex = org(Side::Client, "Globex", "globex");
    insert_orgs(db, &[&acme, &globex]).await;
    let first = user(&acme, Role::ClientAdmin, "cara@acme.test", "Cara");
    insert_users(db, &[&first]).await;

    // Same e-mail, even in another organization.
    let twin = user(&globex, Role::ClientAdmin, "cara@acme.test", "Cara Twin");
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&users::insert(&mut tx, &twin).await));
    drop(tx);

    let mut same_id = user(&acme, Role::Requester, "other@acme.test", "Other");
    same_id.id = first.id;
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&users::insert(&mut tx, &same_id).await));
    drop(tx);

    assert!(is_not_found(&users::get_for_actor(db, twin.id).await));
    assert_same_user(
        &users::get_for_actor(db, first.id).await.expect("get"),
        &first,
    );
}

async fn check_users_scope(db: &Db) {
    let w = seed(db).await;

    // Client staff: their own people only, ordered by role then name.
    let cs = scope(&w.client_admin);
    assert_same_user(
        &users::find(db, &cs, w.requester.id).await.expect("own"),
        &w.requester,
    );
    assert!(is_not_found(&users::find(db, &cs, w.other_admin.id).await));
    assert!(is_not_found(&users::find(db, &cs, w.engineer.id).await));
    assert!(is_not_found(&users::find(db, &cs, UserId::new()).await));
    assert_eq!(
        user_ids(
            &users::list_in_org(db, &cs, w.client.id)
                .await
                .expect("list")
        ),
        vec![w.client_admin.id, w.requester.id]
    );
    assert!(
        users::list_in_org(db, &cs, w.other_client.id)
            .await
            .expect("list")
            .is_empty()
    );
    assert!(
        users::list_in_org(db, &cs, w.provider.id)
            .await
            .expect("list")
            .is_empty()
    );
    let os = scope(&w.other_admin);
    assert!(is_not_found(&users::find(db, &os, w.client_admin.id).await));
    assert!(
        users::list_in_org(db, &os, w.client.id)
            .await
            .expect("list")
            .is_empty()
    );

    // The assigned engineer sees the engaged client's people and their own.
    let es = scope(&w.engineer);
    assert_same_user(
        &users::find(db, &es, w.client_admin.id)
            .await
            .expect("engaged"),
        &w.client_admin,
    );
    assert_eq!(
        user_ids(
            &users::list_in_org(db, &es, w.client.id)
                .await
                .expect("list")
        ),
        vec![w.client_admin.id, w.requester.id]
    );
    assert_eq!(
        user_ids(
            &users::list_in_org(db, &es, w.provider.id)
                .await
                .expect("list")
        ),
        vec![w.provider_admin.id, w.bench_engineer.id, w.engineer.id]
    );
    assert!(is_not_found(&users::find(db, &es, w.other_admin.id).await));
    assert!(
        users::list_in_org(db, &es, w.other_client.id)
            .await
            .expect("list")
            .is_empty()
    );

    // Unassigned staff of the same provider do not.
    for unassigned in [&w.bench_engineer, &w.provider_admin] {
        let s = scope(unassigned);
        assert!(is_not_found(&users::find(db, &s, w.client_admin.id).await));
        assert!(
            users::list_in_org(db, &s, w.client.id)
                .await
                .expect("list")
                .is_empty()
        );
        users::find(db, &s, w.engineer.id)
            .await
            .expect("own colleague");
    }

    // After the engagement ends the engineer no longer does.
    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(is_not_found(&users::find(db, &es, w.client_admin.id).await));
    assert!(
        users::list_in_org(db, &es, w.client.id)
            .await
            .expect("list")
            .is_empty()
    );
    users::find(db, &cs, w.requester.id)
        .await
        .expect("client keeps its users");
}

async fn check_users_update_profile_in_scope(db: &Db) {
    let w = seed(db).await;
    let mut changed = w.requester.clone();
    changed.name = "Robert Requester".to_owned();
    changed.role = Role::ClientTechnician;
    changed.active = false;

    async fn update(
        db: &Db,
        actor: &User,
        u: &User,
        now: i64,
        commit: bool,
    ) -> Result<(), StoreError> {
        let mut tx = db.begin().await.expect("begin");
        let r = users::update_profile(&mut tx, &scope(actor), u, now).await;
        if commit {
            tx.commit().await.expect("commit");
        }
        r
    }

    // Outside the caller's scope: another client's admin, and staff of the
    // engaged provider who are not assigned. Nothing changes.
    for outsider in [&w.other_admin, &w.bench_engineer, &w.provider_admin] {
        let r = update(db, outsider, &changed, T0 + MINUTE, true).await;
        assert!(is_not_found(&r), "{} -> {r:?}", outsider.email);
    }
    let mut ghost = changed.clone();
    ghost.id = UserId::new();
    assert!(is_not_found(
        &update(db, &w.client_admin, &ghost, T0, true).await
    ));
    assert_same_user(
        &users::get_for_actor(db, w.requester.id).await.expect("get"),
        &w.requester,
    );

    // The assigned engineer reaches the engaged client's users (the policy
    // decides which changes they may make).
    update(db, &w.engineer, &changed, T0 + MINUTE, false)
        .await
        .expect("engaged engineer");
    // The provider's admin reaches the provider's own staff.
    let mut bench = w.bench_engineer.clone();
    bench.name = "Ben Benched".to_owned();
    update(db, &w.provider_admin, &bench, T0 + MINUTE, true)
        .await
        .expect("own organization");
    assert_eq!(
        users::get_for_actor(db, bench.id).await.expect("get").name,
        "Ben Benched"
    );

    // The client's own admin.
    update(db, &w.client_admin, &changed, T0 + MINUTE, true)
        .await
        .expect("update own org");
    let now = users::get_for_actor(db, w.requester.id).await.expect("get");
    assert_eq!(now.name, "Robert Requester");
    assert_eq!(now.role, Role::ClientTechnician);
    assert!(!now.active);
    assert_eq!(now.updated_at, T0 + MINUTE);
    // Fields outside the profile are untouched.
    assert_eq!(now.email, w.requester.email);
    assert_eq!(now.org_id, w.requester.org_id);
    assert_eq!(now.password_hash, w.requester.password_hash);
    assert_eq!(now.created_at, w.requester.created_at);

    // Once the engagement ends the engineer can no longer change anyone there.
    assert!(end_engagement(db, w.engagement, T0 + 2 * MINUTE).await);
    let mut again = now.clone();
    again.name = "Changed After End".to_owned();
    assert!(is_not_found(
        &update(db, &w.engineer, &again, T0 + 3 * MINUTE, true).await
    ));
    assert_eq!(
        users::get_for_actor(db, w.requester.id)
            .await
            .expect("get")
            .name,
        "Robert Requester"
    );
}

async fn check_totp_step_only_moves_forward(db: &Db) {
    let acme = org(Side::Client, "Acme", "acme");
    insert_orgs(db, &[&acme]).await;
    let cara = user(&acme, Role::ClientAdmin, "cara@acme.test", "Cara");
    insert_users(db, &[&cara]).await;

    async fn advance(db: &Db, id: UserId, step: i64) -> bool {
        let mut tx = db.begin().await.expect("begin");
        let moved = users::advance_totp_step(&mut tx, id, step)
            .await
            .expect("advance");
        tx.commit().await.expect("commit");
        moved
    }

    assert!(advance(db, cara.id, 1_000).await, "first step from none");
    assert!(!advance(db, cara.id, 1_000).await, "same step is a replay");
    assert!(!advance(db, cara.id, 999).await, "older step is refused");
    assert_eq!(
        users::get_for_actor(db, cara.id)
            .await
            .expect("get")
            .totp_last_step,
        Some(1_000)
    );
    assert!(advance(db, cara.id, 1_001).await, "next step moves on");
    assert!(!advance(db, cara.id, 1_000).await);
    assert_eq!(
        users::get_for_actor(db, cara.id)
            .await
            .expect("get")
            .totp_last_step,
        Some(1_001)
    );
    assert!(!advance(db, UserId::new(), 5).await, "unknown user");

    // Two uses of the same step in one transaction: only the first wins.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        users::advance_totp_step(&mut tx, cara.id, 2_000)
            .await
            .expect("advance")
    );
    assert!(
        !users::advance_totp_step(&mut tx, cara.id, 2_000)
            .await
            .expect("advance")
    );
    tx.commit().await.expect("commit");
}

// ---------------------------------------------------------------------------
// Engagements
// ---------------------------------------------------------------------------

async fn check_engagements_lifecycle(db: &Db) {
    let w = seed(db).await;

    for party in [
        &w.provider_admin,
        &w.engineer,
        &w.bench_engineer,
        &w.client_admin,
        &w.requester,
    ] {
        let e = engagements::find(db, &scope(party), w.engagement)
            .await
            .expect("party sees engagement");
        assert_eq!(e.id, w.engagement);
        assert_eq!(e.provider_id, w.provider.id);
        assert_eq!(e.provider_name, w.provider.name);
        assert_eq!(e.client_id, w.client.id);
        assert_eq!(e.client_name, w.client.name);
        assert_eq!(e.status, "active");
        assert!(e.is_active());
        assert_eq!(e.started_at, T0);
        assert_eq!(e.ended_at, None);
    }
    assert!(is_not_found(
        &engagements::find(db, &scope(&w.other_admin), w.engagement).await
    ));
    assert!(is_not_found(
        &engagements::find(db, &scope(&w.client_admin), EngagementId::new()).await
    ));

    let ids = |v: Vec<engagements::Engagement>| v.into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(
        ids(engagements::list_for_org(db, &scope(&w.provider_admin))
            .await
            .expect("list")),
        vec![w.engagement]
    );
    assert_eq!(
        ids(engagements::list_for_org(db, &scope(&w.client_admin))
            .await
            .expect("list")),
        vec![w.engagement]
    );
    assert!(
        engagements::list_for_org(db, &scope(&w.other_admin))
            .await
            .expect("list")
            .is_empty()
    );

    assert!(
        engagements::has_history(db, w.provider.id, w.client.id)
            .await
            .expect("history")
    );
    assert!(
        !engagements::has_history(db, w.provider.id, w.other_client.id)
            .await
            .expect("history")
    );
    assert!(
        !engagements::has_history(db, w.client.id, w.provider.id)
            .await
            .expect("history")
    );

    let assigned = engagements::assignments(db, w.engagement)
        .await
        .expect("assignments");
    assert_eq!(assigned.len(), 1);
    assert_eq!(assigned[0].user_id, w.engineer.id);
    assert_eq!(assigned[0].name, w.engineer.name);
    assert_eq!(assigned[0].email, w.engineer.email);
    assert_eq!(assigned[0].role, "provider_engineer");
    assert_eq!(assigned[0].assigned_at, T0);

    // Assigning is idempotent; unassigning says whether anything changed.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        !engagements::assign(&mut tx, w.engagement, w.engineer.id, T0 + 5)
            .await
            .expect("assign")
    );
    assert!(
        engagements::assign(&mut tx, w.engagement, w.bench_engineer.id, T0 + 5)
            .await
            .expect("assign")
    );
    tx.commit().await.expect("commit");
    let assigned = engagements::assignments(db, w.engagement)
        .await
        .expect("assignments");
    assert_eq!(
        assigned.iter().map(|a| a.user_id).collect::<Vec<_>>(),
        vec![w.bench_engineer.id, w.engineer.id],
        "ordered by name"
    );
    assert_eq!(
        assigned[1].assigned_at, T0,
        "re-assigning keeps the first instant"
    );

    let mut tx = db.begin().await.expect("begin");
    assert!(
        engagements::unassign(&mut tx, w.engagement, w.bench_engineer.id)
            .await
            .expect("unassign")
    );
    assert!(
        !engagements::unassign(&mut tx, w.engagement, w.bench_engineer.id)
            .await
            .expect("unassign")
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        engagements::assignments(db, w.engagement)
            .await
            .expect("assignments")
            .len(),
        1
    );

    // Ending: once only; history and assignments stay.
    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(!end_engagement(db, w.engagement, T0 + 2 * MINUTE).await);
    let mut tx = db.begin().await.expect("begin");
    assert!(
        !engagements::end(&mut tx, EngagementId::new(), T0)
            .await
            .expect("end unknown")
    );
    drop(tx);
    let e = engagements::find(db, &scope(&w.client_admin), w.engagement)
        .await
        .expect("find");
    assert_eq!(e.status, "ended");
    assert!(!e.is_active());
    assert_eq!(e.ended_at, Some(T0 + MINUTE));
    assert!(
        engagements::has_history(db, w.provider.id, w.client.id)
            .await
            .expect("history")
    );
    assert_eq!(
        engagements::assignments(db, w.engagement)
            .await
            .expect("assignments")
            .len(),
        1
    );
}

async fn check_engagements_second_active_is_conflict(db: &Db) {
    let w = seed(db).await;

    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &engagements::insert(
            &mut tx,
            EngagementId::new(),
            w.provider.id,
            w.client.id,
            T0 + 1
        )
        .await
    ));
    drop(tx);

    // Another client is fine.
    let globex = EngagementId::new();
    let mut tx = db.begin().await.expect("begin");
    engagements::insert(&mut tx, globex, w.provider.id, w.other_client.id, T0 + 1)
        .await
        .expect("engage another client");
    tx.commit().await.expect("commit");

    // Once the first has ended the pair may start again.
    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    let again = EngagementId::new();
    let mut tx = db.begin().await.expect("begin");
    engagements::insert(&mut tx, again, w.provider.id, w.client.id, T0 + 2 * MINUTE)
        .await
        .expect("re-engage after end");
    tx.commit().await.expect("commit");
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &engagements::insert(
            &mut tx,
            EngagementId::new(),
            w.provider.id,
            w.client.id,
            T0 + 3 * MINUTE
        )
        .await
    ));
    drop(tx);

    let listed = engagements::list_for_org(db, &scope(&w.client_admin))
        .await
        .expect("list");
    assert_eq!(
        listed
            .iter()
            .map(|e| (e.id, e.status.as_str()))
            .collect::<Vec<_>>(),
        vec![(again, "active"), (w.engagement, "ended")],
        "active first"
    );
    assert_eq!(
        engagements::list_for_org(db, &scope(&w.provider_admin))
            .await
            .expect("list")
            .len(),
        3
    );

    // The new engagement grants nothing until someone is assigned to it.
    let es = scope(&w.engineer);
    assert_eq!(
        engagements::relation(db, &es, w.client.id)
            .await
            .expect("relation"),
        Relation::Foreign
    );
}

async fn check_relation_follows_assignment_and_end(db: &Db) {
    let w = seed(db).await;
    let rel = |s: Scope, target: OrgId| async move {
        engagements::relation(db, &s, target)
            .await
            .expect("relation")
    };

    let cs = scope(&w.client_admin);
    assert_eq!(rel(cs, w.client.id).await, Relation::Own);
    assert_eq!(rel(cs, w.other_client.id).await, Relation::Foreign);
    assert_eq!(rel(cs, w.provider.id).await, Relation::Foreign);

    let es = scope(&w.engineer);
    assert_eq!(rel(es, w.provider.id).await, Relation::Own);
    assert_eq!(rel(es, w.client.id).await, Relation::Engaged);
    assert_eq!(rel(es, w.other_client.id).await, Relation::Foreign);
    assert_eq!(rel(es, OrgId::new()).await, Relation::Foreign);

    assert_eq!(
        rel(scope(&w.bench_engineer), w.client.id).await,
        Relation::Foreign
    );
    assert_eq!(
        rel(scope(&w.provider_admin), w.client.id).await,
        Relation::Foreign
    );

    // An engineer of another provider wrongly assigned to this engagement
    // still gets nothing: the engagement is not their provider's.
    let rival = org(Side::Provider, "Rival MSP", "rival");
    insert_orgs(db, &[&rival]).await;
    let mole = user(&rival, Role::ProviderEngineer, "mole@rival.test", "Mole");
    insert_users(db, &[&mole]).await;
    let mut tx = db.begin().await.expect("begin");
    assert!(
        engagements::assign(&mut tx, w.engagement, mole.id, T0)
            .await
            .expect("assign")
    );
    tx.commit().await.expect("commit");
    let ms = scope(&mole);
    assert_eq!(rel(ms, w.client.id).await, Relation::Foreign);
    assert!(is_not_found(&orgs::find(db, &ms, w.client.id).await));
    assert!(is_not_found(&users::find(db, &ms, w.client_admin.id).await));

    // A client user's scope never reaches another client, even if assigned.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        engagements::assign(&mut tx, w.engagement, w.other_admin.id, T0)
            .await
            .expect("assign")
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        rel(scope(&w.other_admin), w.client.id).await,
        Relation::Foreign
    );
    assert!(is_not_found(
        &orgs::find(db, &scope(&w.other_admin), w.client.id).await
    ));

    // Unassigning and reassigning take effect at once.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        engagements::unassign(&mut tx, w.engagement, w.engineer.id)
            .await
            .expect("unassign")
    );
    tx.commit().await.expect("commit");
    assert_eq!(rel(es, w.client.id).await, Relation::Foreign);
    let mut tx = db.begin().await.expect("begin");
    assert!(
        engagements::assign(&mut tx, w.engagement, w.engineer.id, T0 + 1)
            .await
            .expect("assign")
    );
    tx.commit().await.expect("commit");
    assert_eq!(rel(es, w.client.id).await, Relation::Engaged);

    // Ending the engagement: Engaged becomes Foreign on the next call.
    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert_eq!(rel(es, w.client.id).await, Relation::Foreign);
    assert_eq!(rel(es, w.provider.id).await, Relation::Own);
    assert_eq!(rel(cs, w.client.id).await, Relation::Own);
}

// ---------------------------------------------------------------------------
// Sessions
// ---------------------------------------------------------------------------

fn session(user: UserId, hash: &str, created_at: i64, last_seen_at: i64) -> Session {
    Session {
        id_hash: hash.to_owned(),
        user_id: user,
        csrf_token: format!("csrf-{hash}"),
        awaiting_totp: false,
        created_at,
        last_seen_at,
    }
}

async fn insert_sessions(db: &Db, list: &[Session]) {
    let mut tx = db.begin().await.expect("begin");
    for s in list {
        sessions::insert(&mut tx, s).await.expect("insert session");
    }
    tx.commit().await.expect("commit sessions");
}

async fn check_sessions_live_window(db: &Db) {
    let w = seed(db).await;
    let mut s = session(w.client_admin.id, "h-live", T0, T0);
    s.awaiting_totp = true;
    insert_sessions(db, std::slice::from_ref(&s)).await;

    let found = sessions::find_live(db, "h-live", T0 - 1, T0 - 1)
        .await
        .expect("find")
        .expect("live session");
    assert_eq!(found.id_hash, s.id_hash);
    assert_eq!(found.user_id, s.user_id);
    assert_eq!(found.csrf_token, s.csrf_token);
    assert!(found.awaiting_totp);
    assert_eq!(found.created_at, T0);
    assert_eq!(found.last_seen_at, T0);

    // Both cut-offs are exclusive: a session seen exactly at the idle cut-off
    // has idled out, one created exactly at the absolute cut-off has expired.
    let live = |idle_since: i64, created_since: i64| async move {
        sessions::find_live(db, "h-live", idle_since, created_since)
            .await
            .expect("find")
            .is_some()
    };
    assert!(!live(T0, T0 - 1).await, "idle cut-off");
    assert!(!live(T0 - 1, T0).await, "absolute cut-off");
    assert!(
        sessions::find_live(db, "h-other", T0 - 1, T0 - 1)
            .await
            .expect("find")
            .is_none()
    );

    // Activity extends the idle window but never the absolute one.
    let mut tx = db.begin().await.expect("begin");
    sessions::touch(&mut tx, "h-live", T0 + 30 * MINUTE)
        .await
        .expect("touch");
    tx.commit().await.expect("commit");
    assert!(live(T0 + 10 * MINUTE, T0 - 1).await);
    assert!(!live(T0 + 30 * MINUTE, T0 - 1).await);
    assert!(!live(T0 + 10 * MINUTE, T0).await);
    let touched = sessions::find_live(db, "h-live", T0, T0 - 1)
        .await
        .expect("find")
        .expect("touched");
    assert_eq!(touched.last_seen_at, T0 + 30 * MINUTE);
    assert_eq!(touched.created_at, T0);
}

async fn check_sessions_delete_and_purge(db: &Db) {
    let w = seed(db).await;
    let cara = w.client_admin.id;
    let rob = w.requester.id;
    insert_sessions(
        db,
        &[
            session(cara, "c1", T0, T0),
            session(cara, "c2", T0, T0),
            session(cara, "c3", T0, T0),
            session(rob, "r1", T0, T0),
        ],
    )
    .await;
    let is_live = |hash: &'static str| async move {
        sessions::find_live(db, hash, 0, 0)
            .await
            .expect("find")
            .is_some()
    };

    let mut tx = db.begin().await.expect("begin");
    sessions::delete(&mut tx, "c1").await.expect("delete");
    sessions::delete(&mut tx, "no-such")
        .await
        .expect("delete unknown");
    tx.commit().await.expect("commit");
    assert!(!is_live("c1").await);
    assert!(is_live("c2").await);

    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        sessions::delete_for_user(&mut tx, cara)
            .await
            .expect("delete all"),
        2
    );
    assert_eq!(
        sessions::delete_for_user(&mut tx, cara)
            .await
            .expect("delete all"),
        0
    );
    tx.commit().await.expect("commit");
    assert!(!is_live("c2").await);
    assert!(!is_live("c3").await);
    assert!(is_live("r1").await, "other users keep their sessions");

    // Purge: idle ones and over-age ones go, fresh ones stay.
    let now = T0 + 24 * 60 * MINUTE;
    let idle_since = now - 30 * MINUTE;
    let created_since = now - 12 * 60 * MINUTE;
    insert_sessions(
        db,
        &[
            session(cara, "fresh", now - MINUTE, now - MINUTE),
            session(cara, "idle", now - MINUTE, idle_since),
            session(cara, "old", created_since, now - MINUTE),
        ],
    )
    .await;
    let mut tx = db.begin().await.expect("begin");
    // r1 (seen at T0) is idle as well.
    assert_eq!(
        sessions::purge_expired(&mut tx, idle_since, created_since)
            .await
            .expect("purge"),
        3
    );
    tx.commit().await.expect("commit");
    assert!(is_live("fresh").await);
    assert!(!is_live("idle").await);
    assert!(!is_live("old").await);
    assert!(!is_live("r1").await);
}

// ---------------------------------------------------------------------------
// API tokens
// ---------------------------------------------------------------------------

fn token(user: UserId, name: &str, created_at: i64) -> ApiToken {
    ApiToken {
        id: ApiTokenId::new(),
        user_id: user,
        name: name.to_owned(),
        prefix: format!("tdm_{}", &name[..name.len().min(4)]),
        created_at,
        last_used_at: None,
        revoked_at: None,
    }
}

async fn insert_tokens(db: &Db, list: &[(&ApiToken, &str)]) {
    let mut tx = db.begin().await.expect("begin");
    for (t, hash) in list {
        tokens::insert(&mut tx, t, hash)
            .await
            .expect("insert token");
    }
    tx.commit().await.expect("commit tokens");
}

async fn check_tokens_lifecycle(db: &Db) {
    let w = seed(db).await;
    let laptop = token(w.client_admin.id, "laptop", T0);
    let ci = token(w.client_admin.id, "ci", T0 + 1_000);
    let robs = token(w.requester.id, "robs", T0 + 2_000);
    insert_tokens(
        db,
        &[
            (&laptop, "hash-laptop"),
            (&ci, "hash-ci"),
            (&robs, "hash-robs"),
        ],
    )
    .await;

    let found = tokens::find_live_by_hash(db, "hash-laptop")
        .await
        .expect("find")
        .expect("live token");
    assert_eq!(found.id, laptop.id);
    assert_eq!(found.user_id, laptop.user_id);
    assert_eq!(found.name, laptop.name);
    assert_eq!(found.prefix, laptop.prefix);
    assert_eq!(found.created_at, laptop.created_at);
    assert_eq!(found.last_used_at, None);
    assert_eq!(found.revoked_at, None);
    assert!(
        tokens::find_live_by_hash(db, "hash-nope")
            .await
            .expect("find")
            .is_none()
    );

    let mine = tokens::list_for_user(db, w.client_admin.id)
        .await
        .expect("list");
    assert_eq!(
        mine.iter().map(|t| t.id).collect::<Vec<_>>(),
        vec![ci.id, laptop.id],
        "newest first, own tokens only"
    );
    assert!(
        tokens::list_for_user(db, w.engineer.id)
            .await
            .expect("list")
            .is_empty()
    );

    // Use is noted at most once a minute.
    let last_used = || async move {
        tokens::find_live_by_hash(db, "hash-laptop")
            .await
            .expect("find")
            .expect("live")
            .last_used_at
    };
    for (at, expected) in [
        (T0 + 5 * MINUTE, T0 + 5 * MINUTE),
        (T0 + 5 * MINUTE + 30_000, T0 + 5 * MINUTE),
        (T0 + 6 * MINUTE, T0 + 5 * MINUTE),
        (T0 + 6 * MINUTE + 1, T0 + 6 * MINUTE + 1),
    ] {
        let mut tx = db.begin().await.expect("begin");
        tokens::touch(&mut tx, laptop.id, at).await.expect("touch");
        tx.commit().await.expect("commit");
        assert_eq!(last_used().await, Some(expected), "touch at {at}");
    }
    assert_eq!(
        tokens::find_live_by_hash(db, "hash-ci")
            .await
            .expect("find")
            .expect("live")
            .last_used_at,
        None
    );

    // The hash is unique.
    let twin = token(w.requester.id, "twin", T0);
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &tokens::insert(&mut tx, &twin, "hash-laptop").await
    ));
    drop(tx);
    assert_eq!(
        tokens::list_for_user(db, w.requester.id)
            .await
            .expect("list")
            .len(),
        1
    );
}

async fn check_tokens_revoke_is_owner_only(db: &Db) {
    let w = seed(db).await;
    let laptop = token(w.client_admin.id, "laptop", T0);
    let ci = token(w.client_admin.id, "ci", T0 + 1);
    insert_tokens(db, &[(&laptop, "hash-laptop"), (&ci, "hash-ci")]).await;

    // Someone else, even an admin of the same organization: not found.
    for other in [&w.requester, &w.engineer, &w.other_admin] {
        let mut tx = db.begin().await.expect("begin");
        assert!(is_not_found(
            &tokens::revoke(&mut tx, other.id, laptop.id, T0 + MINUTE).await
        ));
        tx.commit().await.expect("commit");
    }
    assert!(
        tokens::find_live_by_hash(db, "hash-laptop")
            .await
            .expect("find")
            .is_some()
    );

    let mut tx = db.begin().await.expect("begin");
    tokens::revoke(&mut tx, w.client_admin.id, laptop.id, T0 + MINUTE)
        .await
        .expect("owner revokes");
    tx.commit().await.expect("commit");
    assert!(
        tokens::find_live_by_hash(db, "hash-laptop")
            .await
            .expect("find")
            .is_none(),
        "a revoked token no longer authenticates"
    );
    assert!(
        tokens::find_live_by_hash(db, "hash-ci")
            .await
            .expect("find")
            .is_some()
    );

    let listed = tokens::list_for_user(db, w.client_admin.id)
        .await
        .expect("list");
    let revoked = listed
        .iter()
        .find(|t| t.id == laptop.id)
        .expect("still listed");
    assert_eq!(revoked.revoked_at, Some(T0 + MINUTE));

    let mut tx = db.begin().await.expect("begin");
    assert!(is_not_found(
        &tokens::revoke(&mut tx, w.client_admin.id, laptop.id, T0 + 2 * MINUTE).await
    ));
    assert!(is_not_found(
        &tokens::revoke(&mut tx, w.client_admin.id, ApiTokenId::new(), T0).await
    ));
    tx.commit().await.expect("commit");
    let listed = tokens::list_for_user(db, w.client_admin.id)
        .await
        .expect("list");
    let revoked = listed
        .iter()
        .find(|t| t.id == laptop.id)
        .expect("still listed");
    assert_eq!(
        revoked.revoked_at,
        Some(T0 + MINUTE),
        "first revocation stands"
    );
}

// ---------------------------------------------------------------------------
// Sign-in failures
// ---------------------------------------------------------------------------

async fn check_login_failures_count_per_account_and_address(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    for (account, addr, at) in [
        ("ann@acme.test", "10.0.0.1", T0),
        ("ann@acme.test", "10.0.0.2", T0 + 1_000),
        ("bob@acme.test", "10.0.0.1", T0 + 2_000),
        ("bob@acme.test", "10.0.0.3", T0 - 10 * MINUTE),
    ] {
        login_failures::record(&mut tx, account, addr, at)
            .await
            .expect("record");
    }
    tx.commit().await.expect("commit");

    let recent = |account: &'static str, addr: &'static str, since: i64| async move {
        login_failures::recent(db, account, addr, since)
            .await
            .expect("recent")
    };
    assert_eq!(
        recent("ann@acme.test", "10.0.0.1", T0 - MINUTE).await,
        ((2, Some(T0)), (2, Some(T0)))
    );
    assert_eq!(
        recent("ann@acme.test", "10.0.0.1", T0).await,
        ((1, Some(T0 + 1_000)), (1, Some(T0 + 2_000))),
        "the window start is exclusive"
    );
    assert_eq!(
        recent("bob@acme.test", "10.0.0.3", T0 - 60 * MINUTE).await,
        ((2, Some(T0 - 10 * MINUTE)), (1, Some(T0 - 10 * MINUTE)))
    );
    assert_eq!(
        recent("nobody@acme.test", "192.0.2.1", 0).await,
        ((0, None), (0, None))
    );

    // A successful sign-in clears the account, not the address.
    let mut tx = db.begin().await.expect("begin");
    login_failures::clear_account(&mut tx, "ann@acme.test")
        .await
        .expect("clear");
    tx.commit().await.expect("commit");
    assert_eq!(
        recent("ann@acme.test", "10.0.0.1", 0).await,
        ((0, None), (1, Some(T0 + 2_000)))
    );

    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        login_failures::purge_before(&mut tx, T0)
            .await
            .expect("purge"),
        1
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        recent("bob@acme.test", "10.0.0.3", 0).await,
        ((1, Some(T0 + 2_000)), (0, None))
    );
}

// ---------------------------------------------------------------------------
// Audit log
// ---------------------------------------------------------------------------

async fn check_audit_append_chains(db: &Db) {
    assert!(whole_log(db).await.is_empty());
    assert_eq!(verify_chain(whole_log(db).await), Ok(0));

    let org = OrgId::new();
    let mut written = Vec::new();
    for i in 0..5 {
        let mut r = audit_record(Some(org), "user.create", &format!("u{i}"), T0 + i);
        if i == 2 {
            // A system entry with every optional field empty.
            r.actor_user_id = None;
            r.actor_side = None;
            r.actor_org_id = None;
            r.org_id = None;
            r.actor_label = "system".to_owned();
        }
        let seq = append_one(db, r.clone()).await;
        r.seq = seq;
        written.push(r);
    }
    // Several appends in one transaction chain too.
    let mut tx = db.begin().await.expect("begin");
    for i in 5..7 {
        let mut r = audit_record(Some(org), "user.update", &format!("u{i}"), T0 + i);
        r.seq = audit::append(&mut tx, r.clone()).await.expect("append");
        written.push(r);
    }
    tx.commit().await.expect("commit");

    assert_eq!(
        written.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=7).collect::<Vec<_>>()
    );

    let log = whole_log(db).await;
    assert_eq!(log.len(), 7);
    assert_eq!(log[0].prev_hash, GENESIS);
    for (stored, want) in log.iter().zip(&written) {
        assert_eq!(&stored.record, want, "stored fields round-trip");
    }
    for pair in log.windows(2) {
        assert_eq!(pair[1].prev_hash, pair[0].hash);
    }
    assert_eq!(verify_chain(log), Ok(7));

    // Paging in stored order covers the log exactly once.
    let mut verifier = ChainVerifier::default();
    let mut after = 0;
    let mut pages = Vec::new();
    loop {
        let page = audit::page_in_order(db, after, 3).await.expect("page");
        if page.is_empty() {
            break;
        }
        pages.push(page.iter().map(|e| e.record.seq).collect::<Vec<_>>());
        for e in &page {
            verifier.check(e).expect("chain holds across pages");
        }
        after = page.last().map_or(after, |e| e.record.seq);
    }
    assert_eq!(pages, vec![vec![1, 2, 3], vec![4, 5, 6], vec![7]]);
    assert_eq!(verifier.checked(), 7);
}

async fn check_audit_rollback_leaves_no_gap(db: &Db) {
    let org = OrgId::new();
    assert_eq!(
        append_one(db, audit_record(Some(org), "a", "1", T0)).await,
        1
    );
    assert_eq!(
        append_one(db, audit_record(Some(org), "a", "2", T0)).await,
        2
    );

    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        audit::append(&mut tx, audit_record(Some(org), "a", "lost", T0))
            .await
            .expect("append"),
        3
    );
    drop(tx);

    assert_eq!(
        append_one(db, audit_record(Some(org), "a", "3", T0)).await,
        3
    );
    let log = whole_log(db).await;
    assert_eq!(
        log.iter()
            .map(|e| e.record.object_id.as_str())
            .collect::<Vec<_>>(),
        vec!["1", "2", "3"]
    );
    assert_eq!(verify_chain(log), Ok(3));
}

async fn check_audit_concurrent_appends_chain(db: &Db) {
    const N: i64 = 16;
    let org = OrgId::new();
    let mut tasks = Vec::new();
    for i in 0..N {
        let db = db.clone();
        tasks.push(tokio::spawn(async move {
            let mut tx = db.begin().await.expect("begin");
            let seq = audit::append(
                &mut tx,
                audit_record(Some(org), "c", &i.to_string(), T0 + i),
            )
            .await
            .expect("append");
            // Give other appenders a chance to run into the lock.
            tokio::task::yield_now().await;
            tx.commit().await.expect("commit");
            seq
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("task"));
    }
    seqs.sort_unstable();
    assert_eq!(seqs, (1..=N).collect::<Vec<_>>());
    assert_eq!(verify_chain(whole_log(db).await), Ok(N as u64));
}

async fn check_audit_list_for_org_scope(db: &Db) {
    let w = seed(db).await;
    let c = Some(w.client.id);
    let g = Some(w.other_client.id);
    let p = Some(w.provider.id);
    for (org, id) in [
        (c, "c1"),
        (g, "g1"),
        (c, "c2"),
        (None, "sys"),
        (p, "p1"),
        (c, "c3"),
        (g, "g2"),
    ] {
        append_one(db, audit_record(org, "user.update", id, T0)).await;
    }
    let list = |s: Scope, org: OrgId, before: Option<i64>, limit: i64| async move {
        audit::list_for_org(db, &s, org, before, limit, None)
            .await
            .expect("list")
            .into_iter()
            .map(|r| r.object_id)
            .collect::<Vec<_>>()
    };

    let cs = scope(&w.client_admin);
    let all = audit::list_for_org(db, &cs, w.client.id, None, 100, None)
        .await
        .expect("list");
    assert_eq!(
        all.iter().map(|r| r.seq).collect::<Vec<_>>(),
        vec![6, 3, 1],
        "newest first"
    );
    assert_eq!(all[0], {
        let mut r = audit_record(c, "user.update", "c3", T0);
        r.seq = 6;
        r
    });
    assert_eq!(list(cs, w.client.id, None, 2).await, vec!["c3", "c2"]);
    assert_eq!(list(cs, w.client.id, Some(3), 100).await, vec!["c1"]);
    assert_eq!(
        list(cs, w.client.id, Some(1), 100).await,
        Vec::<String>::new()
    );
    assert!(list(cs, w.other_client.id, None, 100).await.is_empty());
    assert!(list(cs, w.provider.id, None, 100).await.is_empty());
    assert_eq!(
        list(scope(&w.requester), w.client.id, None, 100)
            .await
            .len(),
        3
    );
    assert!(
        list(scope(&w.other_admin), w.client.id, None, 100)
            .await
            .is_empty()
    );
    assert_eq!(
        list(scope(&w.other_admin), w.other_client.id, None, 100).await,
        vec!["g2", "g1"]
    );

    let es = scope(&w.engineer);
    assert_eq!(
        list(es, w.client.id, None, 100).await,
        vec!["c3", "c2", "c1"]
    );
    assert_eq!(list(es, w.provider.id, None, 100).await, vec!["p1"]);
    assert!(list(es, w.other_client.id, None, 100).await.is_empty());
    assert!(
        list(scope(&w.bench_engineer), w.client.id, None, 100)
            .await
            .is_empty()
    );
    assert!(
        list(scope(&w.provider_admin), w.client.id, None, 100)
            .await
            .is_empty()
    );
    assert_eq!(
        list(scope(&w.provider_admin), w.provider.id, None, 100).await,
        vec!["p1"]
    );

    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(list(es, w.client.id, None, 100).await.is_empty());
    assert_eq!(
        list(cs, w.client.id, None, 100).await.len(),
        3,
        "the client keeps its log"
    );
}

// ---------------------------------------------------------------------------
// Backup
// ---------------------------------------------------------------------------

async fn check_backup(db: &Db) {
    // The soundness check refuses what is not a database, and never
    // creates the file it was asked about.
    let missing = temp_path("db");
    assert!(
        sqlite_file_is_sound(&missing.to_string_lossy())
            .await
            .is_err()
    );
    assert!(!missing.exists());
    let garbage = temp_path("db");
    std::fs::write(&garbage, b"this is not a database ".repeat(400)).expect("write garbage");
    assert!(!matches!(
        sqlite_file_is_sound(&garbage.to_string_lossy()).await,
        Ok(true)
    ));
    remove_sqlite_files(&garbage);

    let w = seed(db).await;
    for i in 0..3 {
        append_one(
            db,
            audit_record(Some(w.client.id), "user.update", &i.to_string(), T0),
        )
        .await;
    }

    let target = temp_path("db");
    let target_str = target.to_string_lossy().into_owned();
    if db.backend() == Backend::Postgres {
        assert!(matches!(
            db.backup_sqlite_to(&target_str).await,
            Err(StoreError::UnsupportedUrl(_))
        ));
        assert!(!target.exists());
        return;
    }

    db.backup_sqlite_to(&target_str).await.expect("backup");
    assert!(
        sqlite_file_is_sound(&target_str)
            .await
            .expect("check backup")
    );
    // A second backup never overwrites an existing file.
    assert!(db.backup_sqlite_to(&target_str).await.is_err());

    // A copy with a damaged page is not accepted.
    let damaged = temp_path("db");
    let mut bytes = std::fs::read(&target).expect("read backup");
    assert!(bytes.len() > 3 * 4096, "backup has several pages");
    for b in &mut bytes[2 * 4096..3 * 4096] {
        *b = 0xA5;
    }
    std::fs::write(&damaged, &bytes).expect("write damaged copy");
    assert!(!matches!(
        sqlite_file_is_sound(&damaged.to_string_lossy()).await,
        Ok(true)
    ));
    remove_sqlite_files(&damaged);

    // The backup holds the rows.
    let copy = Db::connect(&format!("sqlite://{target_str}"))
        .await
        .expect("open backup");
    assert_eq!(orgs::count(&copy).await.expect("count"), 3);
    let cara = users::find_by_email_for_sign_in(&copy, &w.client_admin.email)
        .await
        .expect("by email")
        .expect("user in backup");
    assert_same_user(&cara, &w.client_admin);
    assert_eq!(
        engagements::relation(&copy, &scope(&w.engineer), w.client.id)
            .await
            .expect("relation"),
        Relation::Engaged
    );
    assert_eq!(verify_chain(whole_log(&copy).await), Ok(3));
    copy.close().await;
    remove_sqlite_files(&target);
}
