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
use tandem_domain::device::{DeviceClass, DeviceCounts, DeviceSpec, DeviceStatus};
use tandem_domain::policy::Relation;
use tandem_domain::{
    ApiTokenId, DeviceId, EngagementId, NotificationId, OrgId, Role, Scope, Side, TicketId, UserId,
};
use tandem_store::calendars::{CalendarRow, PolicyRow};
use tandem_store::jobs::Notification;
use tandem_store::orgs::Org;
use tandem_store::sessions::Session;
use tandem_store::split::{Category, SplitRow};
use tandem_store::tickets::{Arg, Event, ListQuery, Opening, QueueRow, Ticket, fts5_query};
use tandem_store::tokens::ApiToken;
use tandem_store::users::User;
use tandem_store::{
    Backend, Db, StoreError, agreements, attachments, audit, blocks, bulk, calendars, demo_seed,
    devices, engagements, idempotency, invoices, jobs, login_failures, orgs, sessions, split,
    sqlite_file_is_sound, tickets, time_entries, tokens, users,
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
    check_demo_seed_is_marked_once => demo_seed_is_marked_once_sqlite, demo_seed_is_marked_once_postgres;
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
    check_transactions_stand_alone => transactions_stand_alone_sqlite, transactions_stand_alone_postgres;
    check_backup => backup_sqlite, backup_postgres;
    check_split_categories => split_categories_sqlite, split_categories_postgres;
    check_split_lines_and_history => split_lines_and_history_sqlite, split_lines_and_history_postgres;
    check_split_desk_ready => split_desk_ready_sqlite, split_desk_ready_postgres;
    check_calendars_round_trip => calendars_round_trip_sqlite, calendars_round_trip_postgres;
    check_sla_policies_round_trip => sla_policies_round_trip_sqlite, sla_policies_round_trip_postgres;
    check_tickets_numbers => tickets_numbers_sqlite, tickets_numbers_postgres;
    check_tickets_visibility => tickets_visibility_sqlite, tickets_visibility_postgres;
    check_tickets_update_versions => tickets_update_versions_sqlite, tickets_update_versions_postgres;
    check_tickets_list_query => tickets_list_query_sqlite, tickets_list_query_postgres;
    check_tickets_search => tickets_search_sqlite, tickets_search_postgres;
    check_tickets_open_beside_other_writes => tickets_open_beside_other_writes_sqlite, tickets_open_beside_other_writes_postgres;
    check_tickets_open_abandoned_by_callers => tickets_open_abandoned_by_callers_sqlite, tickets_open_abandoned_by_callers_postgres;
    check_tickets_search_pages => tickets_search_pages_sqlite, tickets_search_pages_postgres;
    check_bulk_load_is_searchable => bulk_load_is_searchable_sqlite, bulk_load_is_searchable_postgres;
    check_tickets_sla_worker => tickets_sla_worker_sqlite, tickets_sla_worker_postgres;
    check_tickets_timeline => tickets_timeline_sqlite, tickets_timeline_postgres;
    check_tickets_watchers => tickets_watchers_sqlite, tickets_watchers_postgres;
    check_tickets_page => tickets_page_sqlite, tickets_page_postgres;
    check_tickets_routing => tickets_routing_sqlite, tickets_routing_postgres;
    check_jobs_lease => jobs_lease_sqlite, jobs_lease_postgres;
    check_jobs_retry => jobs_retry_sqlite, jobs_retry_postgres;
    check_notifications => notifications_sqlite, notifications_postgres;
    check_idempotency_reserve => idempotency_reserve_sqlite, idempotency_reserve_postgres;
    check_idempotency_release_and_purge => idempotency_release_and_purge_sqlite, idempotency_release_and_purge_postgres;
    check_attachments => attachments_sqlite, attachments_postgres;
    check_engagements_priority_matrix => engagements_priority_matrix_sqlite, engagements_priority_matrix_postgres;
    check_engagements_active_for_client => engagements_active_for_client_sqlite, engagements_active_for_client_postgres;
    check_devices_in_scope => devices_in_scope_sqlite, devices_in_scope_postgres;
    check_devices_names_unique_without_case => devices_names_unique_without_case_sqlite, devices_names_unique_without_case_postgres;
    check_devices_update_versions => devices_update_versions_sqlite, devices_update_versions_postgres;
    check_devices_count_active_on_a_day => devices_count_active_on_a_day_sqlite, devices_count_active_on_a_day_postgres;
    check_billing_store => billing_store_sqlite, billing_store_postgres;
    check_block_ledger => block_ledger_sqlite, block_ledger_postgres;
    check_invoice_line_edits => invoice_line_edits_sqlite, invoice_line_edits_postgres;
    check_account_history => account_history_sqlite, account_history_postgres;
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
        desk_version: 0,
        time_zone: "UTC".to_owned(),
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
/// A fresh database has no finished demo; the mark is written once, and
/// a second mark (two starts seeding one database) is refused.
async fn check_demo_seed_is_marked_once(db: &Db) {
    assert_eq!(demo_seed::finished(db).await.expect("read"), None);
    let seed = demo_seed::DemoSeed {
        finished_at: 1_765_000_000_000,
        with_history: true,
    };
    let mut tx = db.begin().await.expect("begin");
    demo_seed::mark_finished(&mut tx, seed).await.expect("mark");
    tx.commit().await.expect("commit");
    assert_eq!(demo_seed::finished(db).await.expect("read"), Some(seed));

    let mut tx = db.begin().await.expect("begin");
    let again = demo_seed::DemoSeed {
        finished_at: seed.finished_at + 1,
        with_history: false,
    };
    assert!(demo_seed::mark_finished(&mut tx, again).await.is_err());
    drop(tx);
    assert_eq!(demo_seed::finished(db).await.expect("read"), Some(seed));
}

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

    let found = tokens::holder_by_hash(db, "hash-laptop")
        .await
        .expect("find")
        .expect("live token");
    assert_eq!(found.token_id, laptop.id);
    assert_eq!(found.user.id, laptop.user_id);
    assert_eq!(found.user.email, w.client_admin.email);
    assert_eq!(found.last_used_at, None);
    assert!(
        tokens::holder_by_hash(db, "hash-nope")
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
        tokens::holder_by_hash(db, "hash-laptop")
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
        tokens::holder_by_hash(db, "hash-ci")
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
        tokens::holder_by_hash(db, "hash-laptop")
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
        tokens::holder_by_hash(db, "hash-laptop")
            .await
            .expect("find")
            .is_none(),
        "a revoked token no longer authenticates"
    );
    assert!(
        tokens::holder_by_hash(db, "hash-ci")
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

/// Concurrent write transactions each keep or lose their own work, however
/// they end (on SQLite they share commit groups): committed ones are
/// readable as soon as `commit` returns, rolled back, cancelled and failed
/// ones leave nothing, and the writer is free afterwards.
async fn check_transactions_stand_alone(db: &Db) {
    const N: i64 = 48;
    let taken = org(Side::Client, "Taken", "taken");
    insert_orgs(db, &[&taken]).await;
    let org = OrgId::new();
    let mut tasks = Vec::new();
    for i in 0..N {
        let db = db.clone();
        let taken = taken.clone();
        tasks.push(tokio::spawn(async move {
            let id = i.to_string();
            let work = async {
                let mut tx = db.begin().await.expect("begin");
                audit::append(&mut tx, audit_record(Some(org), "t", &id, T0 + i))
                    .await
                    .expect("append");
                tokio::task::yield_now().await;
                match i % 4 {
                    0 => {
                        tx.commit().await.expect("commit");
                        // Readable once commit returns, through the readers.
                        assert!(
                            whole_log(&db)
                                .await
                                .iter()
                                .any(|e| e.record.object_id == id),
                            "committed entry {id} is visible"
                        );
                        true
                    }
                    1 => false, // dropped: rolled back
                    2 => {
                        // A failing statement after the append; the caller
                        // gives up the transaction.
                        let clash = Org {
                            id: OrgId::new(),
                            ..taken.clone()
                        };
                        assert!(matches!(
                            orgs::insert(&mut tx, &clash).await,
                            Err(StoreError::Conflict)
                        ));
                        false
                    }
                    _ => {
                        // Cancelled while holding the transaction.
                        tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        unreachable!("cancelled")
                    }
                }
            };
            let kept = if i % 4 == 3 {
                tokio::time::timeout(std::time::Duration::from_millis(50), work)
                    .await
                    .unwrap_or(false)
            } else {
                work.await
            };
            kept.then_some(id)
        }));
    }
    let mut kept = Vec::new();
    for t in tasks {
        kept.extend(t.await.expect("task"));
    }
    kept.sort();
    let mut logged: Vec<String> = whole_log(db)
        .await
        .into_iter()
        .map(|e| e.record.object_id)
        .collect();
    logged.sort();
    let mut expected: Vec<String> = (0..N)
        .filter(|i| i % 4 == 0)
        .map(|i| i.to_string())
        .collect();
    expected.sort();
    assert_eq!(kept, expected, "every committing task finished");
    assert_eq!(logged, expected, "exactly the committed entries are kept");
    assert_eq!(verify_chain(whole_log(db).await), Ok(expected.len() as u64));
    // The writer is free: a new transaction goes through at once.
    let next = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        append_one(db, audit_record(Some(org), "t", "after", T0 + N)),
    )
    .await
    .expect("the writer is not left held");
    assert_eq!(next, expected.len() as i64 + 1);
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

// ---------------------------------------------------------------------------
// Service-desk fixtures
// ---------------------------------------------------------------------------

fn category(client: &Org, key: &str, name: &str, position: i64) -> Category {
    Category {
        id: format!("{}-{key}", client.slug),
        client_id: client.id,
        key: key.to_owned(),
        name: name.to_owned(),
        position,
    }
}

async fn insert_categories(db: &Db, list: &[&Category]) {
    let mut tx = db.begin().await.expect("begin");
    for c in list {
        split::insert_category(&mut tx, c)
            .await
            .expect("insert category");
    }
    tx.commit().await.expect("commit categories");
}

fn split_line(
    engagement: EngagementId,
    category_id: &str,
    business: &str,
    after: &str,
) -> SplitRow {
    SplitRow {
        engagement_id: engagement,
        category_id: category_id.to_owned(),
        category_key: String::new(),
        category_name: String::new(),
        business_hours: business.to_owned(),
        after_hours: after.to_owned(),
        provider_assignee: None,
        in_house_assignee: None,
        in_scope: true,
    }
}

fn calendar_row(client: &Org, zone: &str, at: i64) -> CalendarRow {
    CalendarRow {
        client_id: client.id,
        time_zone: zone.to_owned(),
        windows: r#"[{"day":"mon","start":"09:00","end":"17:00"}]"#.to_owned(),
        holidays: r#"["2026-12-25"]"#.to_owned(),
        yearly_holidays: r#"["01-01"]"#.to_owned(),
        updated_at: at,
    }
}

fn policy_row(engagement: EngagementId, priority: &str, response: i64) -> PolicyRow {
    PolicyRow {
        engagement_id: engagement,
        priority: priority.to_owned(),
        response_minutes: response,
        resolution_minutes: response * 8,
        around_the_clock: priority == "p1",
        pause_statuses: r#"["waiting_on_requester"]"#.to_owned(),
        warn_percent: 75,
    }
}

/// A new, unassigned ticket of `client` with both SLA clocks stopped.
fn ticket(client: &Org, requester: &User, category_id: &str, number: i64, title: &str) -> Ticket {
    Ticket {
        id: TicketId::new(),
        client_id: client.id,
        engagement_id: None,
        number,
        title: title.to_owned(),
        description: format!("Details of {title}"),
        requester_id: requester.id,
        category_id: category_id.to_owned(),
        impact: "medium".to_owned(),
        urgency: "medium".to_owned(),
        priority: "p3".to_owned(),
        priority_reason: None,
        status: "new".to_owned(),
        owner_side: "in_house".to_owned(),
        assignee_id: None,
        source: "web".to_owned(),
        version: 1,
        created_at: T0 + number,
        updated_at: T0 + number,
        resolved_at: None,
        response_target: 60,
        response_consumed: 0,
        response_since: None,
        response_due: None,
        response_warn_at: None,
        response_met_at: None,
        response_warned: false,
        response_breached: false,
        resolution_target: 480,
        resolution_consumed: 0,
        resolution_since: None,
        resolution_due: None,
        resolution_warn_at: None,
        resolution_warned: false,
        resolution_breached: false,
        next_due: None,
        next_sla_event_at: None,
    }
}

async fn insert_tickets(db: &Db, list: &[&Ticket]) {
    let mut tx = db.begin().await.expect("begin");
    for t in list {
        tickets::insert(&mut tx, t).await.expect("insert ticket");
    }
    tx.commit().await.expect("commit tickets");
}

fn event(t: &Ticket, kind: &str, visibility: &str, body: &str, at: i64) -> Event {
    Event {
        id: 0,
        ticket_id: t.id.to_string(),
        client_id: t.client_id.to_string(),
        at,
        actor_user_id: Some(t.requester_id.to_string()),
        actor_label: "rob@acme.test".to_owned(),
        actor_name: None,
        actor_side: Some("client".to_owned()),
        kind: kind.to_owned(),
        visibility: visibility.to_owned(),
        body: body.to_owned(),
        data: "{}".to_owned(),
    }
}

async fn insert_events(db: &Db, list: &[&Event]) -> Vec<i64> {
    let mut tx = db.begin().await.expect("begin");
    let mut ids = Vec::new();
    for e in list {
        ids.push(
            tickets::insert_event(&mut tx, e)
                .await
                .expect("insert event"),
        );
    }
    tx.commit().await.expect("commit events");
    ids
}

/// Tickets compare field by field through their debug form (the struct has
/// no `PartialEq`).
fn assert_same_ticket(got: &Ticket, want: &Ticket) {
    assert_eq!(format!("{got:?}"), format!("{want:?}"));
}

/// The world with two categories for the client and one for the other client.
async fn desk(db: &Db) -> (World, Category, Category, Category) {
    let w = seed(db).await;
    let network = category(&w.client, "network", "Network", 1);
    let email = category(&w.client, "email", "E-mail", 2);
    let globex_network = category(&w.other_client, "network", "Network", 1);
    insert_categories(db, &[&network, &email, &globex_network]).await;
    (w, network, email, globex_network)
}

fn ticket_numbers(rows: &[QueueRow]) -> Vec<i64> {
    rows.iter().map(|r| r.ticket.number).collect()
}

// ---------------------------------------------------------------------------
// Work categories and the split
// ---------------------------------------------------------------------------

async fn check_split_categories(db: &Db) {
    let w = seed(db).await;
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        split::next_position(&mut tx, w.client.id)
            .await
            .expect("next"),
        1,
        "an empty client starts at 1"
    );
    let network = category(&w.client, "network", "Network", 1);
    split::insert_category(&mut tx, &network)
        .await
        .expect("insert");
    assert_eq!(
        split::next_position(&mut tx, w.client.id)
            .await
            .expect("next"),
        2
    );
    // Same position: ordered by name.
    let backup = category(&w.client, "backup", "Backup", 5);
    let access = category(&w.client, "access", "Access", 5);
    split::insert_category(&mut tx, &backup)
        .await
        .expect("insert");
    split::insert_category(&mut tx, &access)
        .await
        .expect("insert");
    assert_eq!(
        split::next_position(&mut tx, w.client.id)
            .await
            .expect("next"),
        6
    );
    assert_eq!(
        split::next_position(&mut tx, w.other_client.id)
            .await
            .expect("next"),
        1,
        "positions are per client"
    );
    let in_tx = split::categories_tx(&mut tx, w.client.id)
        .await
        .expect("categories in tx");
    assert_eq!(
        in_tx.iter().map(|c| c.key.as_str()).collect::<Vec<_>>(),
        vec!["network", "access", "backup"]
    );
    tx.commit().await.expect("commit");

    // The same key again in the same client is a conflict.
    let mut twin = category(&w.client, "network", "Network again", 9);
    twin.id = "acme-network-2".to_owned();
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&split::insert_category(&mut tx, &twin).await));
    drop(tx);
    // The same id is a conflict too.
    let mut same_id = category(&w.client, "printing", "Printing", 9);
    same_id.id = network.id.clone();
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &split::insert_category(&mut tx, &same_id).await
    ));
    drop(tx);
    // The same key in another client is fine.
    let globex_network = category(&w.other_client, "network", "Network", 1);
    insert_categories(db, &[&globex_network]).await;

    let keys = |s: Scope, client: OrgId| async move {
        split::categories(db, &s, client)
            .await
            .expect("categories")
            .into_iter()
            .map(|c| c.key)
            .collect::<Vec<_>>()
    };
    let all = split::categories(db, &scope(&w.client_admin), w.client.id)
        .await
        .expect("categories");
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].id, network.id);
    assert_eq!(all[0].client_id, w.client.id);
    assert_eq!(all[0].name, "Network");
    assert_eq!(all[0].position, 1);
    assert_eq!(
        keys(scope(&w.requester), w.client.id).await,
        vec!["network", "access", "backup"]
    );
    assert_eq!(
        keys(scope(&w.engineer), w.client.id).await,
        vec!["network", "access", "backup"],
        "visible to the engaged engineer"
    );
    for outsider in [&w.other_admin, &w.bench_engineer, &w.provider_admin] {
        assert!(keys(scope(outsider), w.client.id).await.is_empty());
    }
    assert_eq!(
        keys(scope(&w.other_admin), w.other_client.id).await,
        vec!["network"]
    );
    assert!(
        keys(scope(&w.client_admin), w.other_client.id)
            .await
            .is_empty()
    );
    assert!(keys(scope(&w.engineer), w.other_client.id).await.is_empty());

    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(keys(scope(&w.engineer), w.client.id).await.is_empty());
}

async fn check_split_lines_and_history(db: &Db) {
    let (w, network, email, _) = desk(db).await;
    assert!(
        split::lines(db, w.engagement)
            .await
            .expect("lines")
            .is_empty()
    );

    // Inserted out of category order; read back in it.
    let mut email_line = split_line(w.engagement, &email.id, "in_house", "provider");
    email_line.in_house_assignee = Some(w.client_admin.id.to_string());
    let mut network_line = split_line(w.engagement, &network.id, "provider", "provider");
    network_line.provider_assignee = Some(w.engineer.id.to_string());
    network_line.in_scope = false;
    let mut tx = db.begin().await.expect("begin");
    split::upsert_line(&mut tx, &email_line)
        .await
        .expect("upsert");
    split::upsert_line(&mut tx, &network_line)
        .await
        .expect("upsert");
    let got = split::line_tx(&mut tx, w.engagement, &network.id)
        .await
        .expect("line")
        .expect("network line");
    assert_eq!(got.engagement_id, w.engagement);
    assert_eq!(got.category_id, network.id);
    assert_eq!(got.category_key, "network");
    assert_eq!(got.category_name, "Network");
    assert_eq!(got.business_hours, "provider");
    assert_eq!(got.after_hours, "provider");
    assert_eq!(got.provider_assignee, Some(w.engineer.id.to_string()));
    assert_eq!(got.in_house_assignee, None);
    assert!(!got.in_scope);
    assert!(
        split::line_tx(&mut tx, w.engagement, "no-such-category")
            .await
            .expect("line")
            .is_none()
    );
    assert!(
        split::line_tx(&mut tx, EngagementId::new(), &network.id)
            .await
            .expect("line")
            .is_none()
    );
    tx.commit().await.expect("commit");

    let lines = split::lines(db, w.engagement).await.expect("lines");
    assert_eq!(
        lines
            .iter()
            .map(|l| l.category_key.as_str())
            .collect::<Vec<_>>(),
        vec!["network", "email"]
    );
    assert_eq!(lines[1].category_name, "E-mail");
    assert_eq!(lines[1].business_hours, "in_house");
    assert_eq!(lines[1].after_hours, "provider");
    assert_eq!(
        lines[1].in_house_assignee,
        Some(w.client_admin.id.to_string())
    );
    assert!(lines[1].in_scope);

    // Upserting again replaces every field of the line.
    let mut changed = split_line(w.engagement, &network.id, "shared", "in_house");
    changed.in_house_assignee = Some(w.client_admin.id.to_string());
    let mut tx = db.begin().await.expect("begin");
    split::upsert_line(&mut tx, &changed)
        .await
        .expect("upsert again");
    let got = split::line_tx(&mut tx, w.engagement, &network.id)
        .await
        .expect("line")
        .expect("still there");
    tx.commit().await.expect("commit");
    assert_eq!(got.business_hours, "shared");
    assert_eq!(got.after_hours, "in_house");
    assert_eq!(got.provider_assignee, None);
    assert_eq!(got.in_house_assignee, Some(w.client_admin.id.to_string()));
    assert!(got.in_scope);
    assert_eq!(
        split::lines(db, w.engagement).await.expect("lines").len(),
        2
    );

    // An owner outside the allowed values is refused by the schema.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        split::upsert_line(
            &mut tx,
            &split_line(w.engagement, &email.id, "nobody", "provider")
        )
        .await
        .is_err()
    );
    drop(tx);
    assert_eq!(
        split::lines(db, w.engagement).await.expect("lines")[1].business_hours,
        "in_house"
    );

    // History, newest first.
    assert!(
        split::history(db, w.engagement, 10)
            .await
            .expect("history")
            .is_empty()
    );
    let mut tx = db.begin().await.expect("begin");
    for (i, key) in ["network", "email", "network"].into_iter().enumerate() {
        let i = i as i64;
        split::record_change(
            &mut tx,
            w.engagement,
            w.client.id,
            key,
            T0 + i,
            if i == 1 {
                None
            } else {
                Some(w.client_admin.id)
            },
            if i == 1 { "system" } else { "cara@acme.test" },
            if i == 1 { None } else { Some("client") },
            &format!(r#"{{"step":{i}}}"#),
        )
        .await
        .expect("record change");
    }
    tx.commit().await.expect("commit");
    let history = split::history(db, w.engagement, 10).await.expect("history");
    assert_eq!(
        history.iter().map(|h| h.at).collect::<Vec<_>>(),
        vec![T0 + 2, T0 + 1, T0]
    );
    assert!(history[0].id > history[1].id && history[1].id > history[2].id);
    assert_eq!(history[0].category_key, "network");
    assert_eq!(history[0].actor_label, "cara@acme.test");
    assert_eq!(history[0].actor_side.as_deref(), Some("client"));
    assert_eq!(history[0].change, r#"{"step":2}"#);
    assert_eq!(history[1].category_key, "email");
    assert_eq!(history[1].actor_label, "system");
    assert_eq!(history[1].actor_side, None);
    let two = split::history(db, w.engagement, 2).await.expect("history");
    assert_eq!(
        two.iter().map(|h| h.at).collect::<Vec<_>>(),
        vec![T0 + 2, T0 + 1]
    );
    assert!(
        split::history(db, EngagementId::new(), 10)
            .await
            .expect("history")
            .is_empty()
    );
}

async fn check_split_desk_ready(db: &Db) {
    let (w, network, email, _) = desk(db).await;
    // Both forms answer alike outside a write.
    let ready = |engagement: EngagementId, client: OrgId| async move {
        let mut tx = db.begin().await.expect("begin");
        let ready = split::desk_ready_tx(&mut tx, engagement, client)
            .await
            .expect("desk ready");
        tx.commit().await.expect("commit");
        let read = split::desk_ready(db, engagement, client)
            .await
            .expect("desk ready");
        assert_eq!(read, ready, "read and in-transaction checks agree");
        ready
    };
    assert!(!ready(w.engagement, w.client.id).await, "nothing set up");

    let mut tx = db.begin().await.expect("begin");
    calendars::upsert_calendar(&mut tx, &calendar_row(&w.client, "Europe/Berlin", T0))
        .await
        .expect("calendar");
    tx.commit().await.expect("commit");
    assert!(!ready(w.engagement, w.client.id).await, "calendar only");

    let mut tx = db.begin().await.expect("begin");
    split::upsert_line(
        &mut tx,
        &split_line(w.engagement, &network.id, "provider", "provider"),
    )
    .await
    .expect("line");
    for p in ["p1", "p2", "p3", "p4"] {
        calendars::upsert_policy(&mut tx, &policy_row(w.engagement, p, 30))
            .await
            .expect("policy");
    }
    assert!(
        !split::desk_ready_tx(&mut tx, w.engagement, w.client.id)
            .await
            .expect("desk ready"),
        "one category has no line yet"
    );
    split::upsert_line(
        &mut tx,
        &split_line(w.engagement, &email.id, "in_house", "shared"),
    )
    .await
    .expect("line");
    assert!(
        split::desk_ready_tx(&mut tx, w.engagement, w.client.id)
            .await
            .expect("desk ready"),
        "read inside the transaction that completed it"
    );
    tx.commit().await.expect("commit");
    assert!(ready(w.engagement, w.client.id).await);

    // A new category without a line makes the desk incomplete again.
    let printing = category(&w.client, "printing", "Printing", 3);
    insert_categories(db, &[&printing]).await;
    assert!(!ready(w.engagement, w.client.id).await);
    let mut tx = db.begin().await.expect("begin");
    split::upsert_line(
        &mut tx,
        &split_line(w.engagement, &printing.id, "provider", "provider"),
    )
    .await
    .expect("line");
    tx.commit().await.expect("commit");
    assert!(ready(w.engagement, w.client.id).await);

    // Three policies are not enough: another engagement with the same lines.
    let second = EngagementId::new();
    let mut tx = db.begin().await.expect("begin");
    engagements::insert(&mut tx, second, w.provider.id, w.other_client.id, T0)
        .await
        .expect("engagement");
    tx.commit().await.expect("commit");
    let globex = category(&w.other_client, "email", "E-mail", 2);
    insert_categories(db, &[&globex]).await;
    let mut tx = db.begin().await.expect("begin");
    calendars::upsert_calendar(&mut tx, &calendar_row(&w.other_client, "UTC", T0))
        .await
        .expect("calendar");
    for c in ["globex-network", "globex-email"] {
        split::upsert_line(&mut tx, &split_line(second, c, "provider", "provider"))
            .await
            .expect("line");
    }
    for p in ["p1", "p2", "p3"] {
        calendars::upsert_policy(&mut tx, &policy_row(second, p, 30))
            .await
            .expect("policy");
    }
    tx.commit().await.expect("commit");
    assert!(!ready(second, w.other_client.id).await, "three policies");
    let mut tx = db.begin().await.expect("begin");
    calendars::upsert_policy(&mut tx, &policy_row(second, "p4", 30))
        .await
        .expect("policy");
    tx.commit().await.expect("commit");
    assert!(ready(second, w.other_client.id).await);
    assert!(ready(w.engagement, w.client.id).await);
}

// ---------------------------------------------------------------------------
// Calendars and SLA policies
// ---------------------------------------------------------------------------

async fn check_calendars_round_trip(db: &Db) {
    let w = seed(db).await;
    assert!(
        calendars::calendar(db, w.client.id)
            .await
            .expect("calendar")
            .is_none()
    );
    let first = calendar_row(&w.client, "Europe/Berlin", T0);
    let mut tx = db.begin().await.expect("begin");
    assert!(
        calendars::calendar_tx(&mut tx, w.client.id)
            .await
            .expect("calendar")
            .is_none()
    );
    calendars::upsert_calendar(&mut tx, &first)
        .await
        .expect("upsert");
    let in_tx = calendars::calendar_tx(&mut tx, w.client.id)
        .await
        .expect("calendar")
        .expect("in tx");
    assert_eq!(format!("{in_tx:?}"), format!("{first:?}"));
    tx.commit().await.expect("commit");
    let got = calendars::calendar(db, w.client.id)
        .await
        .expect("calendar")
        .expect("stored");
    assert_eq!(format!("{got:?}"), format!("{first:?}"));

    let second = CalendarRow {
        client_id: w.client.id,
        time_zone: "America/New_York".to_owned(),
        windows: "[]".to_owned(),
        holidays: "[]".to_owned(),
        yearly_holidays: r#"["07-04","12-25"]"#.to_owned(),
        updated_at: T0 + MINUTE,
    };
    let mut tx = db.begin().await.expect("begin");
    calendars::upsert_calendar(&mut tx, &second)
        .await
        .expect("upsert again");
    tx.commit().await.expect("commit");
    let got = calendars::calendar(db, w.client.id)
        .await
        .expect("calendar")
        .expect("stored");
    assert_eq!(format!("{got:?}"), format!("{second:?}"));
    assert!(
        calendars::calendar(db, w.other_client.id)
            .await
            .expect("calendar")
            .is_none()
    );
}

async fn check_sla_policies_round_trip(db: &Db) {
    let w = seed(db).await;
    assert!(
        calendars::policies(db, w.engagement)
            .await
            .expect("policies")
            .is_empty()
    );
    let mut tx = db.begin().await.expect("begin");
    for (p, minutes) in [("p3", 240), ("p1", 15), ("p4", 480), ("p2", 60)] {
        calendars::upsert_policy(&mut tx, &policy_row(w.engagement, p, minutes))
            .await
            .expect("upsert");
    }
    let p1 = calendars::policy_tx(&mut tx, w.engagement, "p1")
        .await
        .expect("policy")
        .expect("p1");
    assert_eq!(
        format!("{p1:?}"),
        format!("{:?}", policy_row(w.engagement, "p1", 15))
    );
    assert!(p1.around_the_clock);
    assert!(
        calendars::policy_tx(&mut tx, w.engagement, "p5")
            .await
            .expect("policy")
            .is_none()
    );
    assert!(
        calendars::policy_tx(&mut tx, EngagementId::new(), "p1")
            .await
            .expect("policy")
            .is_none()
    );
    tx.commit().await.expect("commit");

    let all = calendars::policies(db, w.engagement)
        .await
        .expect("policies");
    assert_eq!(
        all.iter().map(|p| p.priority.as_str()).collect::<Vec<_>>(),
        vec!["p1", "p2", "p3", "p4"]
    );
    assert_eq!(
        all.iter().map(|p| p.response_minutes).collect::<Vec<_>>(),
        vec![15, 60, 240, 480]
    );
    assert_eq!(all[3].resolution_minutes, 480 * 8);
    assert!(!all[3].around_the_clock);
    assert_eq!(all[3].pause_statuses, r#"["waiting_on_requester"]"#);
    assert_eq!(all[3].warn_percent, 75);

    // Writing a line again replaces it.
    let mut p2 = policy_row(w.engagement, "p2", 90);
    p2.around_the_clock = true;
    p2.pause_statuses = "[]".to_owned();
    p2.warn_percent = 50;
    let mut tx = db.begin().await.expect("begin");
    calendars::upsert_policy(&mut tx, &p2)
        .await
        .expect("upsert again");
    let got = calendars::policy_tx(&mut tx, w.engagement, "p2")
        .await
        .expect("policy")
        .expect("p2");
    tx.commit().await.expect("commit");
    assert_eq!(format!("{got:?}"), format!("{p2:?}"));
    assert_eq!(
        calendars::policies(db, w.engagement)
            .await
            .expect("policies")
            .len(),
        4
    );

    // The schema refuses a priority outside p1..p4.
    let mut tx = db.begin().await.expect("begin");
    assert!(matches!(
        calendars::upsert_policy(&mut tx, &policy_row(w.engagement, "p9", 5)).await,
        Err(StoreError::Database(_))
    ));
    drop(tx);
    assert_eq!(
        calendars::policies(db, w.engagement)
            .await
            .expect("policies")
            .len(),
        4
    );
}

// ---------------------------------------------------------------------------
// Tickets
// ---------------------------------------------------------------------------

async fn check_tickets_numbers(db: &Db) {
    let (w, network, _, globex_network) = desk(db).await;
    let mut tx = db.begin().await.expect("begin");
    let mut acme = Vec::new();
    let mut globex = Vec::new();
    for _ in 0..3 {
        acme.push(
            tickets::take_number(&mut tx, w.client.id)
                .await
                .expect("take"),
        );
    }
    globex.push(
        tickets::take_number(&mut tx, w.other_client.id)
            .await
            .expect("take"),
    );
    acme.push(
        tickets::take_number(&mut tx, w.client.id)
            .await
            .expect("take"),
    );
    assert!(is_not_found(
        &tickets::take_number(&mut tx, OrgId::new()).await
    ));
    tx.commit().await.expect("commit");
    assert_eq!(acme, vec![1, 2, 3, 4]);
    assert_eq!(globex, vec![1]);

    // A number taken in a rolled-back transaction is handed out again.
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        tickets::take_number(&mut tx, w.client.id)
            .await
            .expect("take"),
        5
    );
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        tickets::take_number(&mut tx, w.client.id)
            .await
            .expect("take"),
        5
    );
    assert_eq!(
        tickets::take_number(&mut tx, w.other_client.id)
            .await
            .expect("take"),
        2
    );
    tx.commit().await.expect("commit");

    // Numbers are unique per client, not across clients.
    let first = ticket(&w.client, &w.requester, &network.id, 1, "First");
    let globex_first = ticket(
        &w.other_client,
        &w.other_admin,
        &globex_network.id,
        1,
        "Globex first",
    );
    insert_tickets(db, &[&first, &globex_first]).await;
    let twin = ticket(&w.client, &w.requester, &network.id, 1, "Twin");
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&tickets::insert(&mut tx, &twin).await));
    drop(tx);
    let mut same_id = ticket(&w.client, &w.requester, &network.id, 2, "Same id");
    same_id.id = first.id;
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&tickets::insert(&mut tx, &same_id).await));
    drop(tx);
}

async fn check_tickets_visibility(db: &Db) {
    let (w, network, email, globex_network) = desk(db).await;
    let mut mine = ticket(&w.client, &w.requester, &network.id, 1, "Requester's own");
    mine.engagement_id = Some(w.engagement.to_string());
    mine.priority_reason = Some("CEO affected".to_owned());
    mine.assignee_id = Some(w.engineer.id.to_string());
    mine.owner_side = "provider".to_owned();
    mine.response_since = Some(T0);
    mine.response_due = Some(T0 + 60 * MINUTE);
    mine.response_warn_at = Some(T0 + 45 * MINUTE);
    mine.response_warned = true;
    mine.resolution_breached = true;
    mine.next_due = Some(T0 + 60 * MINUTE);
    mine.next_sla_event_at = Some(T0 + 45 * MINUTE);
    let admins = ticket(&w.client, &w.client_admin, &email.id, 2, "Admin's");
    let foreign = ticket(
        &w.other_client,
        &w.other_admin,
        &globex_network.id,
        1,
        "Globex",
    );
    insert_tickets(db, &[&mine, &admins, &foreign]).await;

    let find = |s: Scope, requester_only: bool, id: TicketId| async move {
        tickets::find(db, &s, requester_only, id).await
    };
    let got = find(scope(&w.client_admin), false, mine.id)
        .await
        .expect("own client");
    assert_same_ticket(&got, &mine);
    assert_same_ticket(
        &find(scope(&w.engineer), false, admins.id)
            .await
            .expect("engaged engineer"),
        &admins,
    );
    assert_same_ticket(
        &find(scope(&w.requester), true, mine.id)
            .await
            .expect("requester's own"),
        &mine,
    );
    assert!(is_not_found(
        &find(scope(&w.requester), true, admins.id).await
    ));
    // The requester flag is the caller's: without it the client rule applies.
    find(scope(&w.requester), false, admins.id)
        .await
        .expect("whole client");
    for outsider in [&w.other_admin, &w.bench_engineer, &w.provider_admin] {
        assert!(is_not_found(&find(scope(outsider), false, mine.id).await));
    }
    assert!(is_not_found(
        &find(scope(&w.client_admin), false, foreign.id).await
    ));
    assert!(is_not_found(
        &find(scope(&w.engineer), false, foreign.id).await
    ));
    assert_same_ticket(
        &find(scope(&w.other_admin), false, foreign.id)
            .await
            .expect("own"),
        &foreign,
    );
    assert!(is_not_found(
        &find(scope(&w.client_admin), false, TicketId::new()).await
    ));

    let mut tx = db.begin().await.expect("begin");
    assert_same_ticket(
        &tickets::find_tx(&mut tx, &scope(&w.engineer), false, mine.id)
            .await
            .expect("in tx"),
        &mine,
    );
    assert!(is_not_found(
        &tickets::find_tx(&mut tx, &scope(&w.requester), true, admins.id).await
    ));
    assert!(is_not_found(
        &tickets::find_tx(&mut tx, &scope(&w.other_admin), false, mine.id).await
    ));
    // A ticket inserted in the transaction is visible to it.
    let fresh = ticket(&w.client, &w.requester, &network.id, 3, "Fresh");
    tickets::insert(&mut tx, &fresh).await.expect("insert");
    assert_same_ticket(
        &tickets::find_tx(&mut tx, &scope(&w.requester), true, fresh.id)
            .await
            .expect("fresh in tx"),
        &fresh,
    );
    tx.commit().await.expect("commit");

    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(is_not_found(
        &find(scope(&w.engineer), false, mine.id).await
    ));
    let mut tx = db.begin().await.expect("begin");
    assert!(is_not_found(
        &tickets::find_tx(&mut tx, &scope(&w.engineer), false, mine.id).await
    ));
    drop(tx);
    find(scope(&w.client_admin), false, mine.id)
        .await
        .expect("client keeps its tickets");
}

async fn check_tickets_update_versions(db: &Db) {
    let (w, network, email, _) = desk(db).await;
    let original = ticket(&w.client, &w.requester, &network.id, 1, "Printer jammed");
    insert_tickets(db, &[&original]).await;
    let cs = scope(&w.client_admin);

    let mut edited = original.clone();
    edited.title = "Printer jammed on floor 3".to_owned();
    edited.category_id = email.id.clone();
    edited.status = "in_progress".to_owned();
    edited.assignee_id = Some(w.client_admin.id.to_string());
    edited.priority = "p2".to_owned();
    edited.updated_at = T0 + MINUTE;
    let mut tx = db.begin().await.expect("begin");
    tickets::update(&mut tx, &edited, 1).await.expect("update");
    tx.commit().await.expect("commit");
    let got = tickets::find(db, &cs, false, original.id)
        .await
        .expect("find");
    edited.version = 2;
    assert_same_ticket(&got, &edited);

    // A stale version is a conflict and changes nothing.
    let mut stale = original.clone();
    stale.title = "Lost update".to_owned();
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(&tickets::update(&mut tx, &stale, 1).await));
    assert!(is_conflict(&tickets::update(&mut tx, &stale, 3).await));
    let mut unknown = original.clone();
    unknown.id = TicketId::new();
    assert!(is_conflict(&tickets::update(&mut tx, &unknown, 1).await));
    tx.commit().await.expect("commit");
    assert_same_ticket(
        &tickets::find(db, &cs, false, original.id)
            .await
            .expect("find"),
        &edited,
    );

    // The clocks move without a version bump, and only the clock fields do.
    let mut clocks = edited.clone();
    clocks.title = "Not written by update_clocks".to_owned();
    clocks.status = "resolved".to_owned();
    clocks.updated_at = T0 + 2 * MINUTE;
    clocks.resolved_at = Some(T0 + 2 * MINUTE);
    clocks.response_consumed = 7;
    clocks.response_since = Some(T0 + MINUTE);
    clocks.response_due = Some(T0 + 61 * MINUTE);
    clocks.response_warn_at = Some(T0 + 46 * MINUTE);
    clocks.response_met_at = Some(T0 + 2 * MINUTE);
    clocks.response_warned = true;
    clocks.response_breached = true;
    clocks.resolution_consumed = 11;
    clocks.resolution_since = Some(T0 + MINUTE);
    clocks.resolution_due = Some(T0 + 481 * MINUTE);
    clocks.resolution_warn_at = Some(T0 + 361 * MINUTE);
    clocks.resolution_warned = true;
    clocks.resolution_breached = true;
    clocks.next_due = Some(T0 + 481 * MINUTE);
    clocks.next_sla_event_at = Some(T0 + 361 * MINUTE);
    clocks.version = 99;
    let mut tx = db.begin().await.expect("begin");
    tickets::update_clocks(&mut tx, &clocks)
        .await
        .expect("update clocks");
    tx.commit().await.expect("commit");
    let got = tickets::find(db, &cs, false, original.id)
        .await
        .expect("find");
    let mut want = clocks.clone();
    want.title = edited.title.clone();
    want.status = edited.status.clone();
    want.version = 2;
    assert_same_ticket(&got, &want);

    // The open edit form (version 2) still saves; clearing options works.
    let mut next = got.clone();
    next.assignee_id = None;
    next.priority_reason = None;
    next.resolved_at = None;
    next.next_due = None;
    let mut tx = db.begin().await.expect("begin");
    tickets::update(&mut tx, &next, 2).await.expect("update");
    tx.commit().await.expect("commit");
    next.version = 3;
    assert_same_ticket(
        &tickets::find(db, &cs, false, original.id)
            .await
            .expect("find"),
        &next,
    );
}

async fn check_tickets_list_query(db: &Db) {
    let (w, network, email, globex_network) = desk(db).await;
    let mut t1 = ticket(&w.client, &w.requester, &network.id, 1, "One");
    t1.owner_side = "provider".to_owned();
    t1.assignee_id = Some(w.engineer.id.to_string());
    let mut t2 = ticket(&w.client, &w.client_admin, &email.id, 2, "Two");
    t2.owner_side = "provider".to_owned();
    let mut t3 = ticket(&w.client, &w.requester, &email.id, 3, "Three");
    t3.owner_side = "provider".to_owned();
    t3.resolved_at = Some(T0 + MINUTE);
    let t4 = ticket(&w.client, &w.requester, &network.id, 4, "Four");
    let g1 = ticket(
        &w.other_client,
        &w.other_admin,
        &globex_network.id,
        1,
        "Globex one",
    );
    insert_tickets(db, &[&t1, &t2, &t3, &t4, &g1]).await;

    let list = |s: Scope, requester_only: bool, q: ListQuery| async move {
        tickets::list(db, &s, requester_only, &q)
            .await
            .expect("list")
    };
    let by_number = |limit: i64| ListQuery {
        order: "t.number",
        limit,
        ..ListQuery::default()
    };
    let cs = scope(&w.client_admin);
    let all = list(cs, false, by_number(100)).await;
    assert_eq!(ticket_numbers(&all), vec![1, 2, 3, 4]);
    assert_same_ticket(&all[0].ticket, &t1);
    assert_eq!(all[0].client_name, "Acme");
    assert_eq!(all[0].client_prefix, "ACME");
    assert_eq!(all[0].category_key, "network");
    assert_eq!(all[0].category_name, "Network");
    assert_eq!(all[0].requester_name, "Rob Requester");
    assert_eq!(all[0].assignee_name.as_deref(), Some("Eve Engineer"));
    assert_eq!(all[1].category_name, "E-mail");
    assert_eq!(all[1].requester_name, "Cara Admin");
    assert_eq!(all[1].assignee_name, None);

    // Order and limit (clamped to 1..=500).
    let desc = ListQuery {
        order: "t.number DESC",
        limit: 2,
        ..ListQuery::default()
    };
    assert_eq!(ticket_numbers(&list(cs, false, desc).await), vec![4, 3]);
    assert_eq!(
        ticket_numbers(&list(cs, false, by_number(0)).await),
        vec![1]
    );
    assert_eq!(
        ticket_numbers(&list(cs, false, by_number(-5)).await),
        vec![1]
    );
    assert_eq!(list(cs, false, by_number(10_000)).await.len(), 4);

    // Conditions with values, numbered after the visibility placeholders.
    let mut q = by_number(100);
    q.filter("t.owner_side = ?", Arg::Text("provider".to_owned()));
    q.filter("t.number >= ?", Arg::Int(2));
    assert_eq!(q.conditions, vec!["t.owner_side = $4", "t.number >= $5"]);
    assert_eq!(
        ticket_numbers(&list(cs, false, q.clone()).await),
        vec![2, 3]
    );
    q.condition("t.resolved_at IS NULL");
    assert_eq!(q.conditions.len(), 3);
    assert_eq!(q.args.len(), 2);
    assert_eq!(ticket_numbers(&list(cs, false, q.clone()).await), vec![2]);
    let mut by_requester = by_number(100);
    by_requester.filter("t.requester_id = ?", Arg::Text(w.requester.id.to_string()));
    by_requester.filter("t.category_id = ?", Arg::Text(network.id.clone()));
    assert_eq!(
        ticket_numbers(&list(cs, false, by_requester).await),
        vec![1, 4]
    );

    // Visibility applies to lists as to single tickets.
    assert_eq!(
        ticket_numbers(&list(scope(&w.requester), true, by_number(100)).await),
        vec![1, 3, 4]
    );
    assert_eq!(
        ticket_numbers(&list(scope(&w.requester), true, q.clone()).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ticket_numbers(&list(scope(&w.engineer), false, by_number(100)).await),
        vec![1, 2, 3, 4]
    );
    let globex = list(scope(&w.other_admin), false, by_number(100)).await;
    assert_eq!(ticket_numbers(&globex), vec![1]);
    assert_eq!(globex[0].ticket.id, g1.id);
    assert_eq!(globex[0].client_prefix, "GLOBEX");
    for outsider in [&w.bench_engineer, &w.provider_admin] {
        assert!(
            list(scope(outsider), false, by_number(100))
                .await
                .is_empty()
        );
    }
    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(
        list(scope(&w.engineer), false, by_number(100))
            .await
            .is_empty()
    );
}

/// Search reads only as far as a page: the newest matches (by ticket text
/// and by comment), whole words first, the last word as a prefix only when
/// whole words do not fill the page.
async fn check_tickets_search_pages(db: &Db) {
    let (w, network, ..) = desk(db).await;
    let mut rows: Vec<Ticket> = (1..=70)
        .map(|n| {
            let mut t = ticket(
                &w.client,
                &w.requester,
                &network.id,
                n,
                &format!("Printer {n}"),
            );
            t.created_at = T0 + n * MINUTE;
            t
        })
        .collect();
    let mut plural = ticket(
        &w.client,
        &w.requester,
        &network.id,
        71,
        "Printers everywhere",
    );
    plural.description = "All floors".to_owned();
    plural.created_at = T0 + 71 * MINUTE;
    let mut toner = ticket(&w.client, &w.requester, &network.id, 72, "Toner low");
    toner.description = "Third floor".to_owned();
    toner.created_at = T0 + 72 * MINUTE;
    rows.push(plural);
    rows.push(toner.clone());
    insert_tickets(db, &rows.iter().collect::<Vec<_>>()).await;
    insert_events(
        db,
        &[&event(
            &toner,
            "comment",
            "public",
            "The printer toner is out",
            T0 + 80 * MINUTE,
        )],
    )
    .await;
    let cs = scope(&w.client_admin);
    let search = |text: &'static str, limit: i64| async move {
        let q = ListQuery {
            order: "t.created_at DESC",
            limit,
            search: Some(text.to_owned()),
            ..ListQuery::default()
        };
        ticket_numbers(&tickets::list(db, &cs, false, &q).await.expect("search"))
    };
    let newest = |from: i64, to: i64| (to..=from).rev().collect::<Vec<i64>>();

    // 70 titles and one comment say "printer": the page holds the newest
    // 50; the plural, a prefix match only, waits for a page of its own.
    let mut expected = vec![72];
    expected.extend(newest(70, 22));
    assert_eq!(search("printer", 50).await, expected);
    assert_eq!(search("printer", 5).await, vec![72, 70, 69, 68, 67]);
    // No whole word "print": the prefix finds all three kinds.
    let mut expected = vec![72, 71];
    expected.extend(newest(70, 23));
    assert_eq!(search("print", 50).await, expected);
    // Few whole-word matches: the prefix completes the page.
    assert_eq!(search("printers", 50).await, vec![71]);
    assert_eq!(search("toner", 50).await, vec![72]);
}

/// A bulk load (benchmark seeds, imports) is searchable as it lands: the
/// tickets' text and their comments, with the comments' visibility, and
/// nothing of what was stored before it twice.
async fn check_bulk_load_is_searchable(db: &Db) {
    let (w, network, ..) = desk(db).await;
    let before = ticket(&w.client, &w.requester, &network.id, 1, "Kettle descaled");
    insert_tickets(db, &[&before]).await;
    let mut loaded: Vec<Ticket> = (2..=4)
        .map(|n| {
            ticket(
                &w.client,
                &w.requester,
                &network.id,
                n,
                &format!("Kettle {n}"),
            )
        })
        .collect();
    loaded[0].description = "Limescale everywhere".to_owned();
    let events = [
        event(
            &loaded[1],
            "comment",
            "public",
            "Ordered a new filter",
            T0 + 1,
        ),
        event(
            &loaded[2],
            "comment",
            "team",
            "Filter vendor is slow",
            T0 + 2,
        ),
        // Only comments are searchable, not other timeline entries.
        event(&loaded[2], "status", "public", "Status gecko", T0 + 3),
        // A comment on a ticket stored before the load.
        event(
            &before,
            "comment",
            "public",
            "Gecko behind the kettle",
            T0 + 4,
        ),
    ];
    bulk::insert_tickets(db, &loaded, &events)
        .await
        .expect("bulk load");
    let search = |s: Scope, requester_only: bool, text: &'static str| async move {
        let q = ListQuery {
            order: "t.number",
            limit: 100,
            search: Some(text.to_owned()),
            ..ListQuery::default()
        };
        ticket_numbers(
            &tickets::list(db, &s, requester_only, &q)
                .await
                .expect("search"),
        )
    };
    let cs = scope(&w.client_admin);
    assert_eq!(search(cs, false, "kettle").await, vec![1, 2, 3, 4]);
    assert_eq!(search(cs, false, "limescale").await, vec![2]);
    assert_eq!(search(cs, false, "filter").await, vec![3, 4]);
    assert_eq!(search(cs, false, "gecko").await, vec![1]);
    assert_eq!(
        search(scope(&w.requester), true, "filter").await,
        vec![3],
        "a team comment is not the requester's to find"
    );
}

/// Opening tickets (one in-place write on SQLite) side by side with other
/// write transactions: every opened ticket gets the next number with its
/// timeline entry, audit entry, watcher and job; one that fails half-way
/// (its category does not exist, after its number was taken) leaves
/// nothing, not even a gap in the numbers; the audit chain stays whole;
/// the new tickets are found by search at once. One that fails after its
/// search row was written (its timeline entry is refused) leaves no search
/// row either: the next ticket takes its row id, and is found.
async fn check_tickets_open_beside_other_writes(db: &Db) {
    const N: i64 = 24;
    let (w, network, _, _) = desk(db).await;
    let jobs_before = jobs::pending(db).await.expect("count jobs");
    let mut tasks = Vec::new();
    for i in 0..N {
        let db = db.clone();
        let (client, requester, category) =
            (w.client.clone(), w.requester.clone(), network.id.clone());
        tasks.push(tokio::spawn(async move {
            if i % 3 == 2 {
                // Another kind of write in between (sqlx transactions on SQLite).
                append_one(
                    &db,
                    audit_record(Some(client.id), "t.other", &i.to_string(), T0 + i),
                )
                .await;
                return None;
            }
            let broken = i == 7;
            let mut t = ticket(
                &client,
                &requester,
                if broken {
                    "no-such-category"
                } else {
                    &category
                },
                0,
                &format!("Quokka outage {i}"),
            );
            t.number = 0;
            let opened = tickets::open(&db, t, requester.id, move |t| Opening {
                event: event(t, "created", "public", "Opened", T0 + i),
                audit: audit_record(
                    Some(t.client_id),
                    "ticket.create",
                    &t.id.to_string(),
                    T0 + i,
                ),
                job: Some(jobs::NewJob {
                    kind: "notify",
                    payload: format!("{{\"n\":{}}}", t.number),
                    run_at: T0,
                }),
                webhook: None,
            })
            .await;
            if broken {
                assert!(opened.is_err(), "a ticket in no category is refused");
                return None;
            }
            Some(opened.expect("open"))
        }));
    }
    let mut opened = Vec::new();
    for t in tasks {
        opened.extend(t.await.expect("task"));
    }
    let expected = (0..N).filter(|i| i % 3 != 2 && *i != 7).count();
    assert_eq!(opened.len(), expected);
    let mut numbers: Vec<i64> = opened.iter().map(|t| t.number).collect();
    numbers.sort();
    assert_eq!(
        numbers,
        (1..=expected as i64).collect::<Vec<_>>(),
        "numbers without gaps"
    );
    for t in &opened {
        let stored = tickets::find(db, &scope(&w.client_admin), false, t.id)
            .await
            .expect("stored");
        assert_eq!(stored.number, t.number);
        let timeline = tickets::timeline(db, t.id, false).await.expect("timeline");
        assert_eq!(
            timeline.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
            vec!["created"]
        );
        assert_eq!(
            tickets::watchers(db, t.id).await.expect("watchers"),
            vec![w.requester.id.to_string()]
        );
    }
    let log = whole_log(db).await;
    let created = log
        .iter()
        .filter(|e| e.record.action == "ticket.create")
        .count();
    let other = log.iter().filter(|e| e.record.action == "t.other").count();
    assert_eq!((created, other), (expected, (N / 3) as usize));
    assert_eq!(verify_chain(log), Ok((expected + (N / 3) as usize) as u64));
    assert_eq!(
        jobs::pending(db).await.expect("count jobs"),
        jobs_before + expected as i64
    );
    let search = |text: &'static str| {
        let q = ListQuery {
            order: "t.number",
            limit: 100,
            search: Some(text.to_owned()),
            ..ListQuery::default()
        };
        let cs = scope(&w.client_admin);
        async move { ticket_numbers(&tickets::list(db, &cs, false, &q).await.expect("search")) }
    };
    assert_eq!(
        search("quokka").await,
        (1..=expected as i64).collect::<Vec<_>>()
    );

    let open_one = |title: &'static str, first: [&'static str; 3]| {
        let mut t = ticket(&w.client, &w.requester, &network.id, 0, title);
        t.number = 0;
        tickets::open(db, t, w.requester.id, move |t| Opening {
            event: event(t, first[0], first[1], first[2], T0 + N),
            audit: audit_record(
                Some(t.client_id),
                "ticket.create",
                &t.id.to_string(),
                T0 + N,
            ),
            job: None,
            webhook: None,
        })
    };
    assert!(
        open_one("Wombat burrow", ["created", "nobody", "Opened"])
            .await
            .is_err(),
        "a timeline entry of no visibility is refused"
    );
    // A ticket may open with a comment, which search covers too.
    let next = open_one("Echidna sighting", ["comment", "public", "Platypus nearby"])
        .await
        .expect("the next ticket opens");
    assert_eq!(next.number, expected as i64 + 1, "no gap");
    assert_eq!(search("wombat").await, Vec::<i64>::new());
    assert_eq!(search("echidna").await, vec![next.number]);
    assert_eq!(search("platypus").await, vec![next.number]);
}

/// Opening tickets whose callers stop waiting (a request cancelled while
/// its write is queued or running): each ticket is written whole or not at
/// all, the numbers stay gapless, the writer keeps serving, and once the
/// database is closed opening a ticket is an error rather than a wait.
async fn check_tickets_open_abandoned_by_callers(db: &Db) {
    const N: i64 = 30;
    let (w, network, _, _) = desk(db).await;
    let open = |db: Db, i: i64| {
        let (client, requester, category) =
            (w.client.clone(), w.requester.clone(), network.id.clone());
        async move {
            let mut t = ticket(&client, &requester, &category, 0, &format!("Wombat {i}"));
            t.number = 0;
            tickets::open(&db, t, requester.id, move |t| Opening {
                event: event(t, "created", "public", "Opened", T0 + i),
                audit: audit_record(
                    Some(t.client_id),
                    "ticket.create",
                    &t.id.to_string(),
                    T0 + i,
                ),
                job: None,
                webhook: None,
            })
            .await
        }
    };
    let mut kept = Vec::new();
    for i in 0..N {
        let task = tokio::spawn(open(db.clone(), i));
        if i % 3 == 0 {
            task.abort();
        } else {
            kept.push(task);
        }
    }
    for task in kept {
        task.await.expect("task").expect("open");
    }
    let q = ListQuery {
        order: "t.number",
        limit: 100,
        ..ListQuery::default()
    };
    let stored = tickets::list(db, &scope(&w.client_admin), false, &q)
        .await
        .expect("list");
    let n = stored.len() as i64;
    assert!(
        (N - N / 3..=N).contains(&n),
        "every ticket whose caller waited is kept ({n})"
    );
    assert_eq!(ticket_numbers(&stored), (1..=n).collect::<Vec<_>>());
    let log = whole_log(db).await;
    assert_eq!(
        log.iter()
            .filter(|e| e.record.action == "ticket.create")
            .count(),
        n as usize,
        "one audit entry per ticket kept, none for the others"
    );
    assert_eq!(verify_chain(log), Ok(n as u64));
    for t in stored.iter().map(|r| &r.ticket) {
        let timeline = tickets::timeline(db, t.id, false).await.expect("timeline");
        assert_eq!(
            timeline.len(),
            1,
            "ticket {} has its timeline entry",
            t.number
        );
        assert_eq!(
            tickets::watchers(db, t.id).await.expect("watchers"),
            vec![w.requester.id.to_string()]
        );
    }
    let next = open(db.clone(), N).await.expect("the writer still serves");
    assert_eq!(next.number, n + 1);

    db.close().await;
    let refused = tokio::time::timeout(std::time::Duration::from_secs(10), open(db.clone(), N + 1))
        .await
        .expect("a closed database answers at once");
    assert!(refused.is_err(), "no ticket is opened on a closed database");
}

async fn check_tickets_search(db: &Db) {
    // The FTS5 query builder quotes every word and makes the last a prefix.
    assert_eq!(fts5_query("disk full"), r#""disk" "full"*"#);
    assert_eq!(fts5_query(r#"a"b OR ("#), r#""a" "b" "OR"*"#);
    assert_eq!(
        fts5_query("NEAR(x y) -z ^w col:v"),
        r#""NEAR" "x" "y" "z" "w" "col" "v"*"#
    );
    assert_eq!(fts5_query("Müller"), r#""Müller"*"#);
    assert_eq!(fts5_query("  \" ( ) * - "), "");
    assert_eq!(fts5_query(""), "");
    let many: Vec<String> = (0..20).map(|i| format!("w{i}")).collect();
    let q = fts5_query(&many.join(" "));
    assert_eq!(q.matches('"').count(), 32, "at most 16 words");
    assert!(q.ends_with(r#""w15"*"#));

    let (w, network, email, globex_network) = desk(db).await;
    let mut printer = ticket(&w.client, &w.requester, &network.id, 1, "Printer jammed");
    printer.description = "Paper stuck in tray two".to_owned();
    printer.owner_side = "provider".to_owned();
    let mut vpn = ticket(&w.client, &w.requester, &email.id, 2, "VPN drops");
    vpn.description = "Laptop disconnects hourly".to_owned();
    let mut admins = ticket(&w.client, &w.client_admin, &email.id, 3, "Mailbox quota");
    admins.description = "Printer queue also slow".to_owned();
    let mut globex = ticket(
        &w.other_client,
        &w.other_admin,
        &globex_network.id,
        1,
        "Printer broken",
    );
    globex.description = "Globex printer".to_owned();
    insert_tickets(db, &[&printer, &vpn, &admins, &globex]).await;
    insert_events(
        db,
        &[
            &event(
                &vpn,
                "comment",
                "public",
                "Replaced the router firmware",
                T0 + 1,
            ),
            &event(
                &printer,
                "comment",
                "team",
                "Escalate to vendor zebracorp",
                T0 + 2,
            ),
            // Only comments are searchable, not other timeline entries.
            &event(&vpn, "status", "public", "Status quokka", T0 + 3),
        ],
    )
    .await;

    let search = |s: Scope, requester_only: bool, text: &'static str| async move {
        let q = ListQuery {
            order: "t.number",
            limit: 100,
            search: Some(text.to_owned()),
            ..ListQuery::default()
        };
        ticket_numbers(
            &tickets::list(db, &s, requester_only, &q)
                .await
                .expect("search"),
        )
    };
    let cs = scope(&w.client_admin);
    let rs = scope(&w.requester);
    assert_eq!(
        search(cs, false, "printer").await,
        vec![1, 3],
        "title and description"
    );
    assert_eq!(
        search(cs, false, "PRINTER").await,
        vec![1, 3],
        "case-insensitive"
    );
    assert_eq!(
        search(cs, false, "printer jammed").await,
        vec![1],
        "all words"
    );
    assert_eq!(search(cs, false, "hourly").await, vec![2]);
    assert_eq!(
        search(cs, false, "firmware").await,
        vec![2],
        "public comment"
    );
    assert_eq!(
        search(cs, false, "zebracorp").await,
        vec![1],
        "team comment"
    );
    assert_eq!(search(cs, false, "quokka").await, Vec::<i64>::new());
    assert_eq!(search(cs, false, "nothingmatches").await, Vec::<i64>::new());
    assert_eq!(search(rs, true, "printer").await, vec![1]);
    assert_eq!(search(rs, true, "firmware").await, vec![2]);
    assert_eq!(
        search(rs, true, "zebracorp").await,
        Vec::<i64>::new(),
        "requesters never match team comments"
    );
    assert_eq!(
        search(scope(&w.engineer), false, "zebracorp").await,
        vec![1]
    );
    assert_eq!(
        search(scope(&w.other_admin), false, "printer").await,
        vec![1]
    );
    assert_eq!(
        search(scope(&w.other_admin), false, "zebracorp").await,
        Vec::<i64>::new()
    );
    assert!(
        search(scope(&w.bench_engineer), false, "printer")
            .await
            .is_empty()
    );

    // Input that would be syntax in a query language is only text.
    for hostile in [
        r#"a"b OR ("#,
        "\"",
        "(",
        "printer\" OR \"vpn",
        "NEAR(printer vpn)",
        "-printer",
        "!!!",
        "   ",
        "",
        "' OR 1=1 --",
    ] {
        let q = ListQuery {
            order: "t.number",
            limit: 100,
            search: Some(hostile.to_owned()),
            ..ListQuery::default()
        };
        tickets::list(db, &cs, false, &q)
            .await
            .unwrap_or_else(|e| panic!("search {hostile:?} failed: {e}"));
    }
    for empty in ["!!!", "   ", ""] {
        assert!(search(cs, false, empty).await.is_empty(), "{empty:?}");
    }

    // Search combines with conditions (its placeholder comes after theirs).
    let mut q = ListQuery {
        order: "t.number",
        limit: 100,
        search: Some("printer".to_owned()),
        ..ListQuery::default()
    };
    q.filter("t.owner_side = ?", Arg::Text("provider".to_owned()));
    assert_eq!(
        ticket_numbers(&tickets::list(db, &cs, false, &q).await.expect("search")),
        vec![1]
    );
    q.filter("t.number > ?", Arg::Int(1));
    assert!(
        tickets::list(db, &cs, false, &q)
            .await
            .expect("search")
            .is_empty()
    );

    // A renamed ticket is found by its new title only.
    let mut renamed = vpn.clone();
    renamed.title = "Wireless outage".to_owned();
    let mut tx = db.begin().await.expect("begin");
    tickets::update(&mut tx, &renamed, 1).await.expect("update");
    tx.commit().await.expect("commit");
    assert_eq!(search(cs, false, "wireless").await, vec![2]);
    assert!(search(cs, false, "vpn").await.is_empty());
    assert_eq!(
        search(cs, false, "firmware").await,
        vec![2],
        "comments stay indexed"
    );
    // A comment added later is found.
    insert_events(
        db,
        &[&event(
            &admins,
            "comment",
            "public",
            "Archived old mail",
            T0 + 4,
        )],
    )
    .await;
    assert_eq!(search(cs, false, "archived").await, vec![3]);
}

async fn check_tickets_sla_worker(db: &Db) {
    let (w, network, _, globex_network) = desk(db).await;
    let mut a = ticket(&w.client, &w.requester, &network.id, 1, "A");
    a.next_sla_event_at = Some(T0 + 3 * MINUTE);
    let mut b = ticket(&w.client, &w.requester, &network.id, 2, "B");
    b.next_sla_event_at = Some(T0 + MINUTE);
    let mut c = ticket(&w.other_client, &w.other_admin, &globex_network.id, 1, "C");
    c.next_sla_event_at = Some(T0 + 2 * MINUTE);
    let mut later = ticket(&w.client, &w.requester, &network.id, 3, "Later");
    later.next_sla_event_at = Some(T0 + 60 * MINUTE);
    let none = ticket(&w.client, &w.requester, &network.id, 4, "No clock");
    insert_tickets(db, &[&a, &b, &c, &later, &none]).await;

    let due = |now: i64, limit: i64| async move {
        tickets::due_sla_events(db, now, limit)
            .await
            .expect("due")
            .into_iter()
            .map(|t| t.id)
            .collect::<Vec<_>>()
    };
    assert!(due(T0, 10).await.is_empty());
    assert_eq!(
        due(T0 + MINUTE, 10).await,
        vec![b.id],
        "the cut-off is inclusive"
    );
    assert_eq!(
        due(T0 + 3 * MINUTE, 10).await,
        vec![b.id, c.id, a.id],
        "across clients, earliest first"
    );
    assert_eq!(due(T0 + 3 * MINUTE, 2).await, vec![b.id, c.id]);
    assert_eq!(
        due(i64::MAX, 10).await.len(),
        4,
        "tickets without an event never come"
    );
    let full = tickets::due_sla_events(db, T0 + MINUTE, 10)
        .await
        .expect("due");
    assert_same_ticket(&full[0], &b);

    let mut tx = db.begin().await.expect("begin");
    assert_same_ticket(
        &tickets::get_for_worker(&mut tx, c.id).await.expect("get"),
        &c,
    );
    assert!(is_not_found(
        &tickets::get_for_worker(&mut tx, TicketId::new()).await
    ));
    // The worker handles the event and clears it.
    let mut handled = b.clone();
    handled.response_warned = true;
    handled.next_sla_event_at = Some(T0 + 90 * MINUTE);
    handled.updated_at = T0 + MINUTE;
    tickets::update_clocks(&mut tx, &handled)
        .await
        .expect("clocks");
    assert_same_ticket(
        &tickets::get_for_worker(&mut tx, b.id).await.expect("get"),
        &handled,
    );
    tx.commit().await.expect("commit");
    assert_eq!(due(T0 + 3 * MINUTE, 10).await, vec![c.id, a.id]);
    assert_eq!(
        due(T0 + 90 * MINUTE, 10).await,
        vec![c.id, a.id, later.id, b.id]
    );
}

async fn check_tickets_timeline(db: &Db) {
    let (w, network, _, globex_network) = desk(db).await;
    let t = ticket(&w.client, &w.requester, &network.id, 1, "Timeline");
    let other = ticket(&w.client, &w.requester, &network.id, 2, "Other");
    let g = ticket(
        &w.other_client,
        &w.other_admin,
        &globex_network.id,
        1,
        "Globex",
    );
    insert_tickets(db, &[&t, &other, &g]).await;
    assert!(
        tickets::timeline(db, t.id, false)
            .await
            .expect("timeline")
            .is_empty()
    );

    let created = event(&t, "created", "public", "Opened", T0);
    let mut note = event(&t, "comment", "team", "Looks like the switch", T0 + 1);
    note.actor_user_id = Some(w.engineer.id.to_string());
    note.actor_label = "eve@northwind.test".to_owned();
    note.actor_side = Some("provider".to_owned());
    note.data = r#"{"mentions":[]}"#.to_owned();
    let mut handoff = event(&t, "handoff", "team", "to_provider", T0 + 2);
    handoff.actor_user_id = None;
    handoff.actor_label = "system".to_owned();
    handoff.actor_side = None;
    let reply = event(&t, "comment", "public", "On it", T0 + 3);
    let ids = insert_events(db, &[&created, &note, &handoff, &reply]).await;
    assert!(ids.windows(2).all(|p| p[0] < p[1]), "ids increase: {ids:?}");
    insert_events(
        db,
        &[
            &event(&other, "handoff", "team", "to_provider", T0),
            &event(&other, "handoff", "team", "to_in_house", T0 + 1),
            &event(&other, "comment", "public", "Unrelated", T0 + 2),
            &event(&g, "handoff", "team", "to_provider", T0),
        ],
    )
    .await;

    let all = tickets::timeline(db, t.id, false).await.expect("timeline");
    assert_eq!(all.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    for (got, want) in all.iter().zip([&created, &note, &handoff, &reply]) {
        let mut want = want.clone();
        want.id = got.id;
        // Each person's name is read beside the label they wrote with.
        want.actor_name = [&w.requester, &w.engineer]
            .into_iter()
            .find(|u| want.actor_user_id.as_deref() == Some(u.id.to_string().as_str()))
            .map(|u| u.name.clone());
        assert_eq!(format!("{got:?}"), format!("{want:?}"));
    }
    let public = tickets::timeline(db, t.id, true).await.expect("timeline");
    assert_eq!(
        public.iter().map(|e| e.body.as_str()).collect::<Vec<_>>(),
        vec!["Opened", "On it"]
    );
    assert!(
        tickets::timeline(db, TicketId::new(), false)
            .await
            .expect("timeline")
            .is_empty()
    );

    assert_eq!(
        tickets::handoff_counts(db, w.client.id)
            .await
            .expect("counts"),
        vec![("to_in_house".to_owned(), 1), ("to_provider".to_owned(), 2)]
    );
    assert_eq!(
        tickets::handoff_counts(db, w.other_client.id)
            .await
            .expect("counts"),
        vec![("to_provider".to_owned(), 1)]
    );
    assert!(
        tickets::handoff_counts(db, w.provider.id)
            .await
            .expect("counts")
            .is_empty()
    );

    // The visibility column only takes its two values.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        tickets::insert_event(&mut tx, &event(&t, "comment", "secret", "x", T0))
            .await
            .is_err()
    );
    drop(tx);
    assert_eq!(
        tickets::timeline(db, t.id, false)
            .await
            .expect("timeline")
            .len(),
        4
    );
}

async fn check_tickets_watchers(db: &Db) {
    let (w, network, _, _) = desk(db).await;
    let t = ticket(&w.client, &w.requester, &network.id, 1, "Watched");
    let quiet = ticket(&w.client, &w.requester, &network.id, 2, "Quiet");
    insert_tickets(db, &[&t, &quiet]).await;
    assert!(
        tickets::watchers(db, t.id)
            .await
            .expect("watchers")
            .is_empty()
    );

    let mut tx = db.begin().await.expect("begin");
    for u in [&w.requester, &w.engineer, &w.requester, &w.client_admin] {
        tickets::watch(&mut tx, t.id, u.id).await.expect("watch");
    }
    tx.commit().await.expect("commit");
    let mut tx = db.begin().await.expect("begin");
    tickets::watch(&mut tx, t.id, w.engineer.id)
        .await
        .expect("watch again");
    tx.commit().await.expect("commit");

    let mut want = vec![
        w.requester.id.to_string(),
        w.engineer.id.to_string(),
        w.client_admin.id.to_string(),
    ];
    want.sort();
    assert_eq!(tickets::watchers(db, t.id).await.expect("watchers"), want);
    assert!(
        tickets::watchers(db, quiet.id)
            .await
            .expect("watchers")
            .is_empty()
    );
}

/// A ticket's page (one read on SQLite) says what the separate reads say,
/// under the same visibility rule, and leaves no reader behind in its
/// snapshot: a change made after one page read shows in the next.
async fn check_tickets_page(db: &Db) {
    let (w, network, _, globex_network) = desk(db).await;
    let t = ticket(&w.client, &w.requester, &network.id, 1, "Paged");
    let linked = ticket(&w.client, &w.client_admin, &network.id, 2, "Linked");
    let g = ticket(
        &w.other_client,
        &w.other_admin,
        &globex_network.id,
        1,
        "Globex",
    );
    insert_tickets(db, &[&t, &linked, &g]).await;
    insert_events(
        db,
        &[
            &event(&t, "created", "public", "Opened", T0),
            &event(&t, "comment", "team", "Switch port 12", T0 + 1),
        ],
    )
    .await;
    let mut tx = db.begin().await.expect("begin");
    tickets::watch(&mut tx, t.id, w.engineer.id)
        .await
        .expect("watch");
    tandem_store::ticket_links::link(&mut tx, t.id, linked.id)
        .await
        .expect("link");
    tx.commit().await.expect("commit");

    let staff = tickets::page(db, &scope(&w.engineer), false, t.id)
        .await
        .expect("the engaged engineer's page");
    assert_same_ticket(&staff.ticket.ticket, &t);
    assert_eq!(staff.ticket.requester_name, w.requester.name);
    assert_eq!(
        format!("{:?}", staff.timeline),
        format!(
            "{:?}",
            tickets::timeline(db, t.id, false).await.expect("timeline")
        )
    );
    assert_eq!(
        staff.watchers,
        vec![(w.engineer.id.to_string(), w.engineer.name.clone())]
    );
    assert_eq!(
        staff
            .links
            .iter()
            .map(|l| (l.id, l.number))
            .collect::<Vec<_>>(),
        vec![(linked.id, 2)]
    );
    let own = tickets::page(db, &scope(&w.requester), true, t.id)
        .await
        .expect("the requester's own");
    assert_eq!(
        own.timeline
            .iter()
            .map(|e| e.body.as_str())
            .collect::<Vec<_>>(),
        vec!["Opened"]
    );
    for (who, requester_only, id) in [
        (&w.requester, true, linked.id),
        (&w.engineer, false, g.id),
        (&w.client_admin, false, TicketId::new()),
    ] {
        assert!(
            matches!(
                tickets::page(db, &scope(who), requester_only, id).await,
                Err(StoreError::NotFound)
            ),
            "{} reads {id}",
            who.email
        );
    }
    // Many pages, then a change: every reader sees it at once.
    for _ in 0..20 {
        tickets::page(db, &scope(&w.engineer), false, t.id)
            .await
            .expect("page");
    }
    insert_events(db, &[&event(&t, "comment", "public", "Fixed", T0 + 2)]).await;
    for _ in 0..20 {
        let after = tickets::page(db, &scope(&w.engineer), false, t.id)
            .await
            .expect("page");
        assert_eq!(after.timeline.len(), 3, "a reader kept an old snapshot");
    }
}

async fn check_tickets_routing(db: &Db) {
    let w = seed(db).await;
    let mut tech = user(
        &w.client,
        Role::ClientTechnician,
        "tia@acme.test",
        "Tia Tech",
    );
    let mut gone = user(
        &w.client,
        Role::ClientTechnician,
        "gus@acme.test",
        "Gus Gone",
    );
    gone.active = false;
    let viewer = user(&w.client, Role::ClientViewer, "vic@acme.test", "Vic Viewer");
    tech.created_at = T0 + 1;
    insert_users(db, &[&tech, &gone, &viewer]).await;

    assert_eq!(tickets::side_text(Side::Provider), "provider");
    assert_eq!(tickets::side_text(Side::Client), "in_house");

    let sorted = |mut ids: Vec<UserId>| {
        ids.sort_by_key(|u| u.to_string());
        ids
    };
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        tickets::active_engagement_tx(&mut tx, w.client.id)
            .await
            .expect("active"),
        Some(w.engagement)
    );
    assert_eq!(
        tickets::active_engagement_tx(&mut tx, w.other_client.id)
            .await
            .expect("active"),
        None
    );
    assert_eq!(
        tickets::side_staff_tx(&mut tx, w.client.id, "provider")
            .await
            .expect("staff"),
        vec![w.engineer.id]
    );
    assert_eq!(
        tickets::side_staff_tx(&mut tx, w.client.id, "in_house")
            .await
            .expect("staff"),
        sorted(vec![w.client_admin.id, tech.id]),
        "admins and active technicians, not requesters or viewers"
    );
    assert!(
        tickets::side_staff_tx(&mut tx, w.other_client.id, "provider")
            .await
            .expect("staff")
            .is_empty()
    );
    assert_eq!(
        tickets::side_staff_tx(&mut tx, w.other_client.id, "in_house")
            .await
            .expect("staff"),
        vec![w.other_admin.id]
    );
    assert!(
        engagements::assign(&mut tx, w.engagement, w.bench_engineer.id, T0)
            .await
            .expect("assign")
    );
    assert_eq!(
        tickets::side_staff_tx(&mut tx, w.client.id, "provider")
            .await
            .expect("staff"),
        sorted(vec![w.engineer.id, w.bench_engineer.id])
    );
    // A deactivated engineer still assigned hears nothing, like in-house staff.
    let mut benched = w.bench_engineer.clone();
    benched.active = false;
    users::update_profile(&mut tx, &scope(&w.provider_admin), &benched, T0 + 1)
        .await
        .expect("deactivate");
    assert_eq!(
        tickets::side_staff_tx(&mut tx, w.client.id, "provider")
            .await
            .expect("staff"),
        vec![w.engineer.id]
    );
    tx.commit().await.expect("commit");

    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        tickets::active_engagement_tx(&mut tx, w.client.id)
            .await
            .expect("active"),
        None
    );
    assert!(
        tickets::side_staff_tx(&mut tx, w.client.id, "provider")
            .await
            .expect("staff")
            .is_empty(),
        "an ended engagement routes to nobody"
    );
    let next = EngagementId::new();
    engagements::insert(&mut tx, next, w.provider.id, w.client.id, T0 + 2 * MINUTE)
        .await
        .expect("re-engage");
    assert_eq!(
        tickets::active_engagement_tx(&mut tx, w.client.id)
            .await
            .expect("active"),
        Some(next)
    );
    assert!(
        tickets::side_staff_tx(&mut tx, w.client.id, "provider")
            .await
            .expect("staff")
            .is_empty(),
        "nobody is assigned to the new engagement yet"
    );
    tx.commit().await.expect("commit");
}

// ---------------------------------------------------------------------------
// Jobs and notifications
// ---------------------------------------------------------------------------

async fn claim(db: &Db, now: i64, lease_ms: i64, limit: i64) -> Vec<(String, i64)> {
    let mut tx = db.begin().await.expect("begin");
    let mut jobs = jobs::claim(&mut tx, now, lease_ms, limit)
        .await
        .expect("claim");
    tx.commit().await.expect("commit");
    jobs.sort_by_key(|j| j.id);
    jobs.into_iter().map(|j| (j.payload, j.attempts)).collect()
}

async fn check_jobs_lease(db: &Db) {
    assert_eq!(jobs::pending(db).await.expect("pending"), 0);
    let mut tx = db.begin().await.expect("begin");
    jobs::enqueue(&mut tx, "notify", "a", T0)
        .await
        .expect("enqueue");
    jobs::enqueue(&mut tx, "notify", "b", T0 - MINUTE)
        .await
        .expect("enqueue");
    jobs::enqueue(&mut tx, "email", "c", T0 + 10 * MINUTE)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    // A job enqueued in a rolled-back transaction never exists.
    let mut tx = db.begin().await.expect("begin");
    jobs::enqueue(&mut tx, "notify", "lost", T0)
        .await
        .expect("enqueue");
    drop(tx);
    assert_eq!(jobs::pending(db).await.expect("pending"), 3);

    assert!(
        claim(db, T0 - 2 * MINUTE, MINUTE, 10).await.is_empty(),
        "nothing due yet"
    );
    let mut tx = db.begin().await.expect("begin");
    let first = jobs::claim(&mut tx, T0, MINUTE, 10).await.expect("claim");
    tx.commit().await.expect("commit");
    let mut first: Vec<_> = first
        .into_iter()
        .map(|j| (j.id, j.kind, j.payload, j.attempts))
        .collect();
    first.sort();
    assert_eq!(
        first
            .iter()
            .map(|j| (j.1.as_str(), j.2.as_str(), j.3))
            .collect::<Vec<_>>(),
        vec![("notify", "a", 1), ("notify", "b", 1)]
    );

    // Leased jobs are not claimed again until the lease has run out.
    assert!(claim(db, T0 + 1, MINUTE, 10).await.is_empty());
    assert!(claim(db, T0 + MINUTE, MINUTE, 10).await.is_empty());
    assert_eq!(
        claim(db, T0 + MINUTE + 1, MINUTE, 1).await,
        vec![("a".to_owned(), 2)],
        "the limit holds, oldest first"
    );
    assert_eq!(
        claim(db, T0 + MINUTE + 2, MINUTE, 10).await,
        vec![("b".to_owned(), 2)]
    );
    assert_eq!(
        jobs::pending(db).await.expect("pending"),
        3,
        "claimed is not done"
    );

    // Finished jobs are gone for good.
    let mut tx = db.begin().await.expect("begin");
    jobs::finish(&mut tx, first[0].0, T0 + 2 * MINUTE)
        .await
        .expect("finish");
    tx.commit().await.expect("commit");
    assert_eq!(jobs::pending(db).await.expect("pending"), 2);
    assert_eq!(
        claim(db, T0 + 5 * MINUTE, MINUTE, 10).await,
        vec![("b".to_owned(), 3)]
    );
    assert_eq!(
        claim(db, T0 + 10 * MINUTE, MINUTE, 10).await,
        vec![("b".to_owned(), 4), ("c".to_owned(), 1)]
    );
}

async fn check_jobs_retry(db: &Db) {
    let mut tx = db.begin().await.expect("begin");
    jobs::enqueue(&mut tx, "notify", "flaky", T0)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    let mut tx = db.begin().await.expect("begin");
    let claimed = jobs::claim(&mut tx, T0, 10 * MINUTE, 10)
        .await
        .expect("claim");
    tx.commit().await.expect("commit");
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].id;

    // A retry releases the lease but the job waits for its new time.
    let mut tx = db.begin().await.expect("begin");
    jobs::retry(&mut tx, id, T0 + 5 * MINUTE, "smtp: connection refused")
        .await
        .expect("retry");
    tx.commit().await.expect("commit");
    assert_eq!(jobs::pending(db).await.expect("pending"), 1);
    assert!(claim(db, T0 + MINUTE, MINUTE, 10).await.is_empty());
    assert!(claim(db, T0 + 5 * MINUTE - 1, MINUTE, 10).await.is_empty());
    assert_eq!(
        claim(db, T0 + 5 * MINUTE, MINUTE, 10).await,
        vec![("flaky".to_owned(), 2)],
        "claimable at run_at, before the old lease would have run out"
    );

    let mut tx = db.begin().await.expect("begin");
    jobs::finish(&mut tx, id, T0 + 6 * MINUTE)
        .await
        .expect("finish");
    tx.commit().await.expect("commit");
    assert_eq!(jobs::pending(db).await.expect("pending"), 0);
    assert!(claim(db, T0 + 60 * MINUTE, MINUTE, 10).await.is_empty());
}

async fn check_notifications(db: &Db) {
    let (w, network, _, _) = desk(db).await;
    let t = ticket(&w.client, &w.requester, &network.id, 1, "Noisy");
    insert_tickets(db, &[&t]).await;
    let note = |u: &User, kind: &str, at: i64, with_ticket: bool| Notification {
        id: NotificationId::new(),
        user_id: u.id,
        client_id: w.client.id.to_string(),
        ticket_id: with_ticket.then(|| t.id.to_string()),
        kind: kind.to_owned(),
        text: format!("{kind} at {at}"),
        created_at: at,
        read_at: None,
    };
    let n1 = note(&w.requester, "assigned", T0, true);
    let n2 = note(&w.requester, "public_comment", T0 + 2, true);
    let n3 = note(&w.requester, "sla_warning", T0 + 1, false);
    let other = note(&w.client_admin, "handoff", T0, true);
    assert!(
        jobs::notifications(db, w.requester.id, 10)
            .await
            .expect("list")
            .is_empty()
    );
    assert_eq!(
        jobs::unread_count(db, w.requester.id)
            .await
            .expect("unread"),
        0
    );
    let mut tx = db.begin().await.expect("begin");
    for n in [&n1, &n2, &n3, &other] {
        jobs::insert_notification(&mut tx, n).await.expect("insert");
    }
    tx.commit().await.expect("commit");

    let list = jobs::notifications(db, w.requester.id, 10)
        .await
        .expect("list");
    assert_eq!(
        list.iter().map(|n| n.id).collect::<Vec<_>>(),
        vec![n2.id, n3.id, n1.id],
        "newest first"
    );
    assert_eq!(format!("{:?}", list[1]), format!("{n3:?}"));
    assert_eq!(format!("{:?}", list[0]), format!("{n2:?}"));
    assert_eq!(
        jobs::notifications(db, w.requester.id, 2)
            .await
            .expect("list")
            .iter()
            .map(|n| n.id)
            .collect::<Vec<_>>(),
        vec![n2.id, n3.id]
    );
    assert_eq!(
        jobs::unread_count(db, w.requester.id)
            .await
            .expect("unread"),
        3
    );
    assert_eq!(
        jobs::unread_count(db, w.client_admin.id)
            .await
            .expect("unread"),
        1
    );

    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        jobs::mark_all_read(&mut tx, w.requester.id, T0 + MINUTE)
            .await
            .expect("mark"),
        3
    );
    assert_eq!(
        jobs::mark_all_read(&mut tx, w.requester.id, T0 + 2 * MINUTE)
            .await
            .expect("mark"),
        0
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        jobs::unread_count(db, w.requester.id)
            .await
            .expect("unread"),
        0
    );
    assert_eq!(
        jobs::unread_count(db, w.client_admin.id)
            .await
            .expect("unread"),
        1
    );
    let list = jobs::notifications(db, w.requester.id, 10)
        .await
        .expect("list");
    assert!(
        list.iter().all(|n| n.read_at == Some(T0 + MINUTE)),
        "first mark stands"
    );

    let n4 = note(&w.requester, "sla_breach", T0 + 3, true);
    let mut tx = db.begin().await.expect("begin");
    jobs::insert_notification(&mut tx, &n4)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");
    assert_eq!(
        jobs::unread_count(db, w.requester.id)
            .await
            .expect("unread"),
        1
    );
    let list = jobs::notifications(db, w.requester.id, 10)
        .await
        .expect("list");
    assert_eq!(list[0].id, n4.id);
    assert_eq!(list[0].read_at, None);
}

// ---------------------------------------------------------------------------
// Idempotency keys
// ---------------------------------------------------------------------------

async fn check_idempotency_reserve(db: &Db) {
    let w = seed(db).await;
    let u = w.requester.id;
    let reserve = |user: UserId, key: &'static str, now: i64| async move {
        let mut tx = db.begin().await.expect("begin");
        let held = idempotency::reserve(&mut tx, user, key, "r1", now)
            .await
            .expect("reserve");
        tx.commit().await.expect("commit");
        held
    };
    assert_eq!(idempotency::get(db, u, "k1").await.expect("get"), None);
    assert!(reserve(u, "k1", T0).await);
    assert_eq!(
        idempotency::get(db, u, "k1").await.expect("get"),
        Some((0, String::new(), "r1".to_owned())),
        "in progress"
    );
    assert!(!reserve(u, "k1", T0 + 1).await, "held by the first request");
    assert!(
        !reserve(u, "k1", T0 + MINUTE).await,
        "a minute is not yet stale"
    );
    assert!(
        reserve(w.client_admin.id, "k1", T0 + 1).await,
        "keys are per user"
    );
    assert!(reserve(u, "k2", T0 + 1).await);
    assert!(
        reserve(u, "k1", T0 + MINUTE + 1).await,
        "a stale claim is taken over"
    );
    assert!(!reserve(u, "k1", T0 + MINUTE + 2).await, "and held again");
    assert!(
        !reserve(u, "k1", T0 + 2 * MINUTE).await,
        "from the takeover on"
    );
    assert!(reserve(u, "k1", T0 + 2 * MINUTE + 2).await);

    // A completed key is never taken over, however old.
    let mut tx = db.begin().await.expect("begin");
    idempotency::complete(&mut tx, u, "k1", 201, r#"{"id":"t-1"}"#)
        .await
        .expect("complete");
    tx.commit().await.expect("commit");
    assert_eq!(
        idempotency::get(db, u, "k1").await.expect("get"),
        Some((201, r#"{"id":"t-1"}"#.to_owned(), "r1".to_owned()))
    );
    assert!(!reserve(u, "k1", T0 + 1_000 * MINUTE).await);
    assert_eq!(
        idempotency::get(db, w.client_admin.id, "k1")
            .await
            .expect("get"),
        Some((0, String::new(), "r1".to_owned())),
        "another user's key is untouched"
    );

    // A rolled-back reservation leaves the key free.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        idempotency::reserve(&mut tx, u, "k3", "r1", T0)
            .await
            .expect("reserve")
    );
    drop(tx);
    assert_eq!(idempotency::get(db, u, "k3").await.expect("get"), None);
    assert!(reserve(u, "k3", T0).await);

    // A stale claim taken over by another request records that request.
    let mut tx = db.begin().await.expect("begin");
    assert!(
        idempotency::reserve(&mut tx, u, "k4", "r1", T0)
            .await
            .expect("reserve")
    );
    assert!(
        idempotency::reserve(&mut tx, u, "k4", "r2", T0 + MINUTE + 1)
            .await
            .expect("reserve")
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        idempotency::get(db, u, "k4").await.expect("get"),
        Some((0, String::new(), "r2".to_owned()))
    );
}

async fn check_idempotency_release_and_purge(db: &Db) {
    let w = seed(db).await;
    let u = w.requester.id;
    let mut tx = db.begin().await.expect("begin");
    assert!(
        idempotency::reserve(&mut tx, u, "failed", "r1", T0)
            .await
            .expect("reserve")
    );
    assert!(
        idempotency::reserve(&mut tx, u, "done", "r1", T0 + 1)
            .await
            .expect("reserve")
    );
    assert!(
        idempotency::reserve(&mut tx, u, "recent", "r1", T0 + 10 * MINUTE)
            .await
            .expect("reserve")
    );
    idempotency::complete(&mut tx, u, "done", 200, "ok")
        .await
        .expect("complete");
    tx.commit().await.expect("commit");

    // Releasing gives back an in-progress claim only.
    let mut tx = db.begin().await.expect("begin");
    idempotency::release(&mut tx, u, "failed")
        .await
        .expect("release");
    idempotency::release(&mut tx, u, "done")
        .await
        .expect("release");
    idempotency::release(&mut tx, u, "never-reserved")
        .await
        .expect("release");
    idempotency::release(&mut tx, w.client_admin.id, "recent")
        .await
        .expect("release");
    tx.commit().await.expect("commit");
    assert_eq!(idempotency::get(db, u, "failed").await.expect("get"), None);
    assert_eq!(
        idempotency::get(db, u, "done").await.expect("get"),
        Some((200, "ok".to_owned(), "r1".to_owned()))
    );
    assert_eq!(
        idempotency::get(db, u, "recent").await.expect("get"),
        Some((0, String::new(), "r1".to_owned()))
    );
    let mut tx = db.begin().await.expect("begin");
    assert!(
        idempotency::reserve(&mut tx, u, "failed", "r1", T0 + 2)
            .await
            .expect("reserve"),
        "a released key can be claimed at once"
    );
    tx.commit().await.expect("commit");

    // Purging removes keys created before the cut-off, whatever their state.
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        idempotency::purge_before(&mut tx, T0 + 2)
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        idempotency::purge_before(&mut tx, T0 + 10 * MINUTE)
            .await
            .expect("purge"),
        1
    );
    tx.commit().await.expect("commit");
    assert_eq!(idempotency::get(db, u, "done").await.expect("get"), None);
    assert_eq!(idempotency::get(db, u, "failed").await.expect("get"), None);
    assert_eq!(
        idempotency::get(db, u, "recent").await.expect("get"),
        Some((0, String::new(), "r1".to_owned()))
    );
}

// ---------------------------------------------------------------------------
// Attachments
// ---------------------------------------------------------------------------

async fn check_attachments(db: &Db) {
    let (w, network, _, _) = desk(db).await;
    let t = ticket(&w.client, &w.requester, &network.id, 1, "With files");
    let bare = ticket(&w.client, &w.requester, &network.id, 2, "Without files");
    insert_tickets(db, &[&t, &bare]).await;
    let ids = insert_events(
        db,
        &[
            &event(&t, "comment", "public", "Screenshot attached", T0),
            &event(&t, "comment", "team", "Log attached", T0 + 1),
        ],
    )
    .await;

    let mut binary: Vec<u8> = vec![
        0x00, 0xFF, 0x00, 0x00, b'P', b'N', b'G', 0xFE, 0x80, 0x7F, 0x00,
    ];
    binary.extend((0..=255u8).cycle().take(70_000));
    binary.push(0x00);
    let log = b"line one\r\nline two\n\xFF\x00".to_vec();
    let empty: Vec<u8> = Vec::new();
    let files = [
        (
            "att-png",
            ids[0],
            "public",
            "screen shot.png",
            "image/png",
            &binary,
            T0 + 10,
        ),
        (
            "att-log",
            ids[1],
            "team",
            "../../etc/passwd",
            "text/plain",
            &log,
            T0 + 20,
        ),
        (
            "att-empty",
            ids[0],
            "public",
            "empty.txt",
            "text/plain",
            &empty,
            T0 + 30,
        ),
    ];
    let mut tx = db.begin().await.expect("begin");
    for (id, event_id, visibility, name, ctype, bytes, at) in files {
        attachments::insert(
            &mut tx,
            id,
            t.id,
            w.client.id,
            event_id,
            visibility,
            name,
            ctype,
            bytes,
            w.requester.id,
            at,
        )
        .await
        .expect("insert attachment");
    }
    tx.commit().await.expect("commit");

    let png = attachments::find(db, "att-png").await.expect("find");
    assert_eq!(png.id, "att-png");
    assert_eq!(png.ticket_id, t.id.to_string());
    assert_eq!(png.client_id, w.client.id.to_string());
    assert_eq!(png.event_id, Some(ids[0]));
    assert_eq!(png.visibility, "public");
    assert_eq!(png.filename, "screen shot.png");
    assert_eq!(png.content_type, "image/png");
    assert_eq!(png.size, binary.len() as i64);
    assert_eq!(png.uploaded_by, w.requester.id.to_string());
    assert_eq!(png.created_at, T0 + 10);
    assert_eq!(
        attachments::content(db, "att-png").await.expect("content"),
        binary
    );
    assert_eq!(
        attachments::content(db, "att-log").await.expect("content"),
        log
    );
    assert_eq!(
        attachments::find(db, "att-log")
            .await
            .expect("find")
            .filename,
        "../../etc/passwd"
    );
    assert_eq!(
        attachments::find(db, "att-empty").await.expect("find").size,
        0
    );
    assert_eq!(
        attachments::content(db, "att-empty")
            .await
            .expect("content"),
        empty
    );
    assert!(is_not_found(&attachments::find(db, "att-missing").await));
    assert!(is_not_found(&attachments::content(db, "att-missing").await));

    let list_ids = |public_only: bool, ticket: TicketId| async move {
        attachments::list_for_ticket(db, ticket, public_only)
            .await
            .expect("list")
            .into_iter()
            .map(|a| a.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        list_ids(false, t.id).await,
        vec!["att-png", "att-log", "att-empty"]
    );
    assert_eq!(list_ids(true, t.id).await, vec!["att-png", "att-empty"]);
    assert!(list_ids(false, bare.id).await.is_empty());

    // Ids are unique; visibility takes its two values only.
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &attachments::insert(
            &mut tx,
            "att-png",
            bare.id,
            w.client.id,
            ids[0],
            "public",
            "x",
            "text/plain",
            b"x",
            w.requester.id,
            T0,
        )
        .await
    ));
    drop(tx);
    let mut tx = db.begin().await.expect("begin");
    assert!(
        attachments::insert(
            &mut tx,
            "att-odd",
            bare.id,
            w.client.id,
            ids[0],
            "secret",
            "x",
            "text/plain",
            b"x",
            w.requester.id,
            T0,
        )
        .await
        .is_err()
    );
    drop(tx);
    assert!(list_ids(false, bare.id).await.is_empty());
}

// ---------------------------------------------------------------------------
// Engagements: priority matrix and the active engagement of a client
// ---------------------------------------------------------------------------

async fn check_engagements_priority_matrix(db: &Db) {
    let w = seed(db).await;
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        engagements::priority_matrix_tx(&mut tx, w.engagement)
            .await
            .expect("matrix"),
        r#"["p1","p2","p3","p2","p3","p4","p3","p4","p4"]"#,
        "the default matrix"
    );
    assert!(is_not_found(
        &engagements::priority_matrix_tx(&mut tx, EngagementId::new()).await
    ));
    let custom = r#"["p1","p1","p2","p2","p2","p3","p3","p4","p4"]"#;
    engagements::set_priority_matrix(&mut tx, w.engagement, custom)
        .await
        .expect("set");
    assert_eq!(
        engagements::priority_matrix_tx(&mut tx, w.engagement)
            .await
            .expect("matrix"),
        custom
    );
    tx.commit().await.expect("commit");

    let second = EngagementId::new();
    let mut tx = db.begin().await.expect("begin");
    engagements::insert(&mut tx, second, w.provider.id, w.other_client.id, T0)
        .await
        .expect("engagement");
    tx.commit().await.expect("commit");
    let mut tx = db.begin().await.expect("begin");
    assert_eq!(
        engagements::priority_matrix_tx(&mut tx, w.engagement)
            .await
            .expect("matrix"),
        custom,
        "committed"
    );
    assert_eq!(
        engagements::priority_matrix_tx(&mut tx, second)
            .await
            .expect("matrix"),
        r#"["p1","p2","p3","p2","p3","p4","p3","p4","p4"]"#,
        "other engagements keep theirs"
    );
    drop(tx);
}

async fn check_engagements_active_for_client(db: &Db) {
    let w = seed(db).await;
    let active = engagements::active_for_client(db, w.client.id)
        .await
        .expect("active")
        .expect("the seeded engagement");
    assert_eq!(active.id, w.engagement);
    assert_eq!(active.provider_id, w.provider.id);
    assert_eq!(active.provider_name, "Northwind MSP");
    assert_eq!(active.client_id, w.client.id);
    assert_eq!(active.client_name, "Acme");
    assert_eq!(active.status, "active");
    assert!(active.is_active());
    assert_eq!(active.started_at, T0);
    assert_eq!(active.ended_at, None);
    for nobody in [w.other_client.id, w.provider.id, OrgId::new()] {
        assert!(
            engagements::active_for_client(db, nobody)
                .await
                .expect("active")
                .is_none()
        );
    }

    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(
        engagements::active_for_client(db, w.client.id)
            .await
            .expect("active")
            .is_none(),
        "none after the end"
    );
    let next = EngagementId::new();
    let mut tx = db.begin().await.expect("begin");
    engagements::insert(&mut tx, next, w.provider.id, w.client.id, T0 + 2 * MINUTE)
        .await
        .expect("re-engage");
    tx.commit().await.expect("commit");
    let again = engagements::active_for_client(db, w.client.id)
        .await
        .expect("active")
        .expect("the new engagement");
    assert_eq!(again.id, next);
    assert_eq!(again.started_at, T0 + 2 * MINUTE);
}

// ---------------------------------------------------------------------------
// Devices
// ---------------------------------------------------------------------------

fn device(
    client: &Org,
    name: &str,
    class: DeviceClass,
    acquired_on: Option<&str>,
    retired_on: Option<&str>,
) -> devices::Device {
    devices::Device {
        id: DeviceId::new(),
        client_id: client.id,
        name: name.to_owned(),
        class,
        status: if retired_on.is_some() {
            DeviceStatus::Retired
        } else {
            DeviceStatus::Active
        },
        acquired_on: acquired_on.map(str::to_owned),
        retired_on: retired_on.map(str::to_owned),
        version: 1,
        created_at: T0,
        updated_at: T0,
        created_by: None,
    }
}

async fn insert_devices(db: &Db, list: &[&devices::Device]) {
    let mut tx = db.begin().await.expect("begin");
    for d in list {
        devices::insert(&mut tx, d).await.expect("insert device");
    }
    tx.commit().await.expect("commit devices");
}

async fn check_devices_in_scope(db: &Db) {
    let w = seed(db).await;
    let b = device(&w.client, "PC-B", DeviceClass::Workstation, None, None);
    let a = device(
        &w.client,
        "pc-a",
        DeviceClass::Server,
        Some("2025-01-01"),
        None,
    );
    let theirs = device(
        &w.other_client,
        "PC-A",
        DeviceClass::Workstation,
        None,
        None,
    );
    insert_devices(db, &[&b, &a, &theirs]).await;

    // Name order ignores case; each reader sees their own or engaged client only.
    for reader in [&w.client_admin, &w.engineer, &w.requester] {
        let got = devices::list(db, &scope(reader), w.client.id)
            .await
            .expect("list");
        assert_eq!(got, vec![a.clone(), b.clone()], "{}", reader.email);
        assert_eq!(
            devices::get(db, &scope(reader), a.id).await.expect("get"),
            a
        );
    }
    for stranger in [&w.bench_engineer, &w.other_admin, &w.provider_admin] {
        assert!(
            devices::list(db, &scope(stranger), w.client.id)
                .await
                .expect("list")
                .is_empty(),
            "{}",
            stranger.email
        );
        assert!(is_not_found(
            &devices::get(db, &scope(stranger), a.id).await
        ));
    }
    assert!(is_not_found(
        &devices::get(db, &scope(&w.client_admin), theirs.id).await
    ));
    assert!(is_not_found(
        &devices::get(db, &scope(&w.client_admin), DeviceId::new()).await
    ));

    // Access that ends ends for a device reached by id too.
    assert!(end_engagement(db, w.engagement, T0 + MINUTE).await);
    assert!(is_not_found(
        &devices::get(db, &scope(&w.engineer), a.id).await
    ));
    assert!(
        devices::list(db, &scope(&w.engineer), w.client.id)
            .await
            .expect("list")
            .is_empty()
    );

    let mut tx = db.begin().await.expect("begin");
    let inside = devices::in_client_tx(&mut tx, w.client.id)
        .await
        .expect("in tx");
    drop(tx);
    assert_eq!(inside, vec![a, b]);
}

async fn check_devices_names_unique_without_case(db: &Db) {
    let w = seed(db).await;
    let first = device(
        &w.client,
        "Reception PC",
        DeviceClass::Workstation,
        None,
        None,
    );
    insert_devices(db, &[&first]).await;
    let mut tx = db.begin().await.expect("begin");
    let again = device(&w.client, "RECEPTION pc", DeviceClass::Server, None, None);
    assert!(is_conflict(&devices::insert(&mut tx, &again).await));
    drop(tx);
    // Another client may use the same name.
    let elsewhere = device(
        &w.other_client,
        "Reception PC",
        DeviceClass::Workstation,
        None,
        None,
    );
    insert_devices(db, &[&elsewhere]).await;
    // Renaming onto a name the client has is a conflict too.
    let second = device(
        &w.client,
        "Back office PC",
        DeviceClass::Workstation,
        None,
        None,
    );
    insert_devices(db, &[&second]).await;
    let mut tx = db.begin().await.expect("begin");
    let renamed = devices::Device {
        name: "reception pc".into(),
        ..second.clone()
    };
    assert!(is_conflict(&devices::update(&mut tx, &renamed, 1).await));
    drop(tx);
    // A device may change the case of its own name.
    let mut tx = db.begin().await.expect("begin");
    let recased = devices::Device {
        name: "RECEPTION PC".into(),
        ..first.clone()
    };
    assert!(devices::update(&mut tx, &recased, 1).await.expect("update"));
    tx.commit().await.expect("commit");
}

async fn check_devices_update_versions(db: &Db) {
    let w = seed(db).await;
    let d = device(
        &w.client,
        "FW-1",
        DeviceClass::NetworkDevice,
        Some("2024-05-01"),
        None,
    );
    insert_devices(db, &[&d]).await;
    let retired = devices::Device {
        status: DeviceStatus::Retired,
        retired_on: Some("2026-02-01".into()),
        updated_at: T0 + MINUTE,
        ..d.clone()
    };
    let mut tx = db.begin().await.expect("begin");
    assert!(devices::update(&mut tx, &retired, 1).await.expect("update"));
    tx.commit().await.expect("commit");
    let got = devices::get(db, &scope(&w.client_admin), d.id)
        .await
        .expect("get");
    assert_eq!(got.version, 2);
    assert_eq!(got.status, DeviceStatus::Retired);
    assert_eq!(got.retired_on.as_deref(), Some("2026-02-01"));
    assert_eq!(got.updated_at, T0 + MINUTE);
    assert_eq!(got.created_at, T0);

    // A change made on version 1 is too late now, and writes nothing.
    let stale = devices::Device {
        name: "FW-old".into(),
        ..d.clone()
    };
    let mut tx = db.begin().await.expect("begin");
    assert!(!devices::update(&mut tx, &stale, 1).await.expect("update"));
    tx.commit().await.expect("commit");
    let after = devices::get(db, &scope(&w.client_admin), d.id)
        .await
        .expect("get");
    assert_eq!(after, got);
}

async fn check_devices_count_active_on_a_day(db: &Db) {
    let w = seed(db).await;
    let list = [
        device(
            &w.client,
            "PC-1",
            DeviceClass::Workstation,
            Some("2026-01-10"),
            None,
        ),
        device(&w.client, "PC-2", DeviceClass::Workstation, None, None),
        device(
            &w.client,
            "PC-3",
            DeviceClass::Workstation,
            Some("2025-01-01"),
            Some("2026-02-01"),
        ),
        device(
            &w.client,
            "SRV-1",
            DeviceClass::Server,
            Some("2025-06-01"),
            Some("2026-03-01"),
        ),
        device(
            &w.client,
            "SW-1",
            DeviceClass::NetworkDevice,
            Some("2026-03-01"),
            None,
        ),
        // Bought and given back the same day: never counted.
        device(
            &w.client,
            "SW-2",
            DeviceClass::NetworkDevice,
            Some("2026-02-10"),
            Some("2026-02-10"),
        ),
        device(
            &w.client,
            "Printer",
            DeviceClass::Other,
            Some("2026-01-01"),
            None,
        ),
        // Another client's devices never count for this one.
        device(
            &w.other_client,
            "PC-1",
            DeviceClass::Workstation,
            None,
            None,
        ),
    ];
    insert_devices(db, &list.iter().collect::<Vec<_>>()).await;
    let specs: Vec<DeviceSpec> = list
        .iter()
        .filter(|d| d.client_id == w.client.id)
        .map(|d| {
            let date = |s: &Option<String>| s.as_deref().map(|s| s.parse().expect("date"));
            DeviceSpec::new(
                &d.name,
                d.class,
                d.status,
                date(&d.acquired_on),
                date(&d.retired_on),
            )
            .expect("valid")
        })
        .collect();
    for (day, ws, srv, net, other) in [
        ("2025-05-31", 2, 0, 0, 0),
        ("2026-01-01", 2, 1, 0, 1),
        ("2026-01-09", 2, 1, 0, 1),
        ("2026-01-10", 3, 1, 0, 1),
        ("2026-01-31", 3, 1, 0, 1),
        ("2026-02-01", 2, 1, 0, 1),
        ("2026-02-10", 2, 1, 0, 1),
        ("2026-02-28", 2, 1, 0, 1),
        ("2026-03-01", 2, 0, 1, 1),
    ] {
        let on: jiff::civil::Date = day.parse().expect("date");
        let got = devices::count_active(db, w.client.id, on)
            .await
            .expect("count");
        let want = DeviceCounts {
            workstation: ws,
            server: srv,
            network_device: net,
            other,
        };
        assert_eq!(got, want, "on {day}");
        // The SQL says what the domain's rule says.
        let mut by_rule = DeviceCounts::default();
        for s in specs.iter().filter(|s| s.active_on(on)) {
            by_rule.add(s.class(), 1);
        }
        assert_eq!(got, by_rule, "the rule on {day}");
        // The billing run reads the devices once and counts by the rule.
        let mut dated = DeviceCounts::default();
        for (class, a, r) in devices::dated_between(db, w.client.id, on, on)
            .await
            .expect("dated")
        {
            if tandem_domain::device::active_on(a, r, on) {
                dated.add(class, 1);
            }
        }
        assert_eq!(dated, want, "dated on {day}");
    }
    assert_eq!(
        devices::count_active(db, OrgId::new(), "2026-01-01".parse().expect("date"))
            .await
            .expect("count"),
        DeviceCounts::default()
    );
}

fn agreement_row(w: &World, status: &str) -> agreements::Agreement {
    agreements::Agreement {
        id: Uuid::now_v7().to_string(),
        engagement_id: w.engagement,
        client_id: w.client.id,
        provider_id: w.provider.id,
        status: status.to_owned(),
        terms: "{}".to_owned(),
        version: 1,
        created_at: T0,
        created_by: w.provider_admin.id.to_string(),
        proposed_at: None,
        proposed_by: None,
        decided_at: None,
        decided_by: None,
        reject_reason: None,
        ended_at: None,
    }
}

/// The block-hours ledger: balances are bought less the draws of invoices
/// that are not void, of months before the one asked; a top-up stands
/// only while the draft that bought it does; a later draw on a top-up is
/// seen.
async fn check_block_ledger(db: &Db) {
    let (w, _, _, _) = desk(db).await;
    let a = agreement_row(&w, "active");
    let block = |on: &str, minutes: i64, top_up: Option<&str>| blocks::Purchase {
        id: Uuid::now_v7().to_string(),
        agreement_id: a.id.clone(),
        client_id: w.client.id,
        provider_id: w.provider.id,
        purchased_on: on.to_owned(),
        minutes,
        price: 1_000,
        expires_on: "2027-12-31".to_owned(),
        rolls_over: false,
        top_up_invoice_id: top_up.map(str::to_owned),
        note: String::new(),
        created_by: None,
        created_at: T0,
    };
    let invoice = |period: &str| invoices::Invoice {
        id: Uuid::now_v7().to_string(),
        agreement_id: a.id.clone(),
        engagement_id: w.engagement,
        client_id: w.client.id,
        provider_id: w.provider.id,
        period: period.to_owned(),
        status: "draft".to_owned(),
        number: None,
        currency: "USD".to_owned(),
        total: 0,
        warnings: "[]".to_owned(),
        covered: "[]".to_owned(),
        version: 1,
        created_at: T0,
        issued_at: None,
        issued_by: None,
        voided_at: None,
        voided_by: None,
        void_reason: None,
    };
    let october = invoice("2026-10");
    let november = invoice("2026-11");
    let bought = block("2026-10-05", 600, None);
    let later = block("2026-11-20", 300, None);
    let top_up = block("2026-10-25", 180, Some(&october.id));
    let mut tx = db.begin().await.expect("begin");
    agreements::insert(&mut tx, &a).await.expect("agreement");
    for inv in [&october, &november] {
        assert!(
            invoices::insert_draft(&mut tx, inv, &[])
                .await
                .expect("draft")
        );
    }
    for b in [&bought, &later, &top_up] {
        blocks::insert(&mut tx, b).await.expect("block");
    }
    blocks::record_draws(
        &mut tx,
        &october.id,
        "2026-10",
        &[(bought.id.clone(), 240), (top_up.id.clone(), 120)],
    )
    .await
    .expect("draws");
    blocks::record_draws(
        &mut tx,
        &november.id,
        "2026-11",
        &[(bought.id.clone(), 60), (top_up.id.clone(), 30)],
    )
    .await
    .expect("draws");
    tx.commit().await.expect("commit");
    let agreement = a.id.clone();
    let balances = |until: &'static str, period: &'static str| {
        let agreement = agreement.clone();
        async move {
            blocks::balances(db, &agreement, until, period)
                .await
                .expect("balances")
                .into_iter()
                .map(|(p, drawn)| (p.minutes, drawn))
                .collect::<Vec<_>>()
        }
    };
    // November starts with October's draws taken; the block bought on the
    // 20th is in (bought within the month), a December one would not be.
    assert_eq!(
        balances("2026-11-30", "2026-11").await,
        [(600, 240), (180, 120), (300, 0)]
    );
    assert_eq!(
        balances("2026-10-31", "2026-10").await,
        [(600, 0), (180, 0)]
    );
    assert_eq!(
        balances("2026-12-31", "2026-12").await,
        [(600, 300), (180, 150), (300, 0)]
    );
    assert_eq!(blocks::ledger(db, &a.id).await.expect("ledger").len(), 3);
    let draws = blocks::draws(db, &a.id).await.expect("draws");
    let mut seen: Vec<(&str, i64)> = draws
        .iter()
        .map(|d| (d.period.as_str(), d.minutes))
        .collect();
    seen.sort_unstable();
    assert_eq!(
        seen,
        [
            ("2026-10", 120),
            ("2026-10", 240),
            ("2026-11", 30),
            ("2026-11", 60)
        ]
    );
    // November draws on October's top-up: October may not be voided first.
    assert!(
        blocks::top_ups_drawn_later(db, &october.id)
            .await
            .expect("later")
    );
    assert!(
        !blocks::top_ups_drawn_later(db, &november.id)
            .await
            .expect("later")
    );
    let mut tx = db.begin().await.expect("begin");
    invoices::void(&mut tx, &november, 1, w.provider_admin.id, T0, "redo")
        .await
        .expect("void");
    tx.commit().await.expect("commit");
    assert!(
        !blocks::top_ups_drawn_later(db, &october.id)
            .await
            .expect("later")
    );
    // Voiding October then drops its draws and its top-up.
    let mut tx = db.begin().await.expect("begin");
    invoices::void(&mut tx, &october, 1, w.provider_admin.id, T0, "redo")
        .await
        .expect("void");
    tx.commit().await.expect("commit");
    assert_eq!(
        balances("2026-12-31", "2026-12").await,
        [(600, 0), (300, 0)]
    );
    assert_eq!(blocks::ledger(db, &a.id).await.expect("ledger").len(), 2);
}

/// Agreements, time entries and invoices: party scope, versions, one
/// active agreement, one invoice per agreement and month, numbering per
/// provider, and time locked by issuing and freed by voiding.
async fn check_billing_store(db: &Db) {
    let (w, network, _, _) = desk(db).await;
    let first = agreement_row(&w, "draft");
    let second = agreement_row(&w, "draft");
    let mut tx = db.begin().await.expect("begin");
    agreements::insert(&mut tx, &first).await.expect("insert");
    agreements::insert(&mut tx, &second).await.expect("insert");
    tx.commit().await.expect("commit");
    // Both parties reach it; another client does not.
    for reader in [&w.client_admin, &w.provider_admin, &w.engineer] {
        agreements::find(db, &scope(reader), &first.id)
            .await
            .expect("a party finds it");
    }
    assert!(is_not_found(
        &agreements::find(db, &scope(&w.other_admin), &first.id).await
    ));
    // Steps need the version read and the status expected.
    let by = w.client_admin.id;
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &agreements::step(&mut tx, &first.id, 7, "draft", "proposed", by, T0, None).await
    ));
    agreements::step(&mut tx, &first.id, 1, "draft", "proposed", by, T0, None)
        .await
        .expect("propose");
    assert_eq!(
        agreements::end_active(&mut tx, w.engagement, T0)
            .await
            .expect("end"),
        None
    );
    agreements::step(&mut tx, &first.id, 2, "proposed", "active", by, T0, None)
        .await
        .expect("accept");
    agreements::step(&mut tx, &second.id, 1, "draft", "proposed", by, T0, None)
        .await
        .expect("propose the second");
    // Accepting the second ends the first: one active at a time.
    assert_eq!(
        agreements::end_active(&mut tx, w.engagement, T0 + 1)
            .await
            .expect("end"),
        Some(first.id.clone())
    );
    agreements::step(
        &mut tx,
        &second.id,
        2,
        "proposed",
        "active",
        by,
        T0 + 1,
        None,
    )
    .await
    .expect("accept the second");
    tx.commit().await.expect("commit");
    let active = agreements::active(db, w.engagement)
        .await
        .expect("active")
        .expect("one");
    assert_eq!(active.id, second.id);
    assert_eq!(
        agreements::all_active(db, Some(w.provider.id))
            .await
            .expect("all")
            .len(),
        1
    );
    assert!(
        agreements::all_active(db, Some(w.client.id))
            .await
            .expect("none")
            .is_empty()
    );

    // Time: a month's entries by their start, a correction's sum.
    let t = ticket(&w.client, &w.requester, &network.id, 1, "Billing");
    insert_tickets(db, &[&t]).await;
    let entry = |minutes: i64, at: i64, corrects: Option<&str>| time_entries::TimeEntry {
        id: Uuid::now_v7().to_string(),
        client_id: w.client.id,
        ticket_id: t.id.to_string(),
        user_id: w.engineer.id.to_string(),
        user_name: String::new(),
        side: "provider".to_owned(),
        role: "provider_engineer".to_owned(),
        started_at: at,
        minutes,
        category_key: "network".to_owned(),
        category_name: "Network".to_owned(),
        in_scope: true,
        after_hours: false,
        note: String::new(),
        invoice_id: None,
        corrects: corrects.map(str::to_owned),
        created_at: at,
    };
    let inside = entry(90, T0 + 10, None);
    let fix = entry(-30, T0 + 20, Some(&inside.id));
    let later = entry(45, T0 + 10 * MINUTE, None);
    let mut tx = db.begin().await.expect("begin");
    for e in [&inside, &fix, &later] {
        time_entries::insert(&mut tx, e)
            .await
            .expect("insert entry");
    }
    let (got, corrected) = time_entries::get_tx(&mut tx, w.client.id, &inside.id)
        .await
        .expect("get");
    assert_eq!((got.minutes, corrected), (90, -30));
    assert!(is_not_found(
        &time_entries::get_tx(&mut tx, w.other_client.id, &inside.id).await
    ));
    tx.commit().await.expect("commit");
    let month = time_entries::for_client(db, w.client.id, T0, T0 + MINUTE)
        .await
        .expect("month");
    assert_eq!(
        month.iter().map(|e| e.minutes).collect::<Vec<_>>(),
        vec![90, -30],
        "the later entry is outside the window"
    );
    assert_eq!(month[0].user_name, w.engineer.name);

    // Invoices: one per agreement and month until voided; numbered per
    // provider when issued; issuing locks the time it counted.
    let draft = |period: &str| invoices::Invoice {
        id: Uuid::now_v7().to_string(),
        agreement_id: second.id.clone(),
        engagement_id: w.engagement,
        client_id: w.client.id,
        provider_id: w.provider.id,
        period: period.to_owned(),
        status: "draft".to_owned(),
        number: None,
        currency: "USD".to_owned(),
        total: 1_000,
        warnings: "[]".to_owned(),
        covered: format!("[\"{}\"]", inside.id),
        version: 1,
        created_at: T0,
        issued_at: None,
        issued_by: None,
        voided_at: None,
        voided_by: None,
        void_reason: None,
    };
    let line = |inv: &invoices::Invoice| invoices::Line {
        invoice_id: inv.id.clone(),
        position: 0,
        kind: "retainer".to_owned(),
        description: "Retainer".to_owned(),
        quantity: "1".to_owned(),
        unit_price: 1_000,
        amount: 1_000,
        work_ids: "[]".to_owned(),
    };
    let nov = draft("2026-11");
    let again = draft("2026-11");
    let mut tx = db.begin().await.expect("begin");
    assert!(
        invoices::insert_draft(&mut tx, &nov, &[line(&nov)])
            .await
            .expect("draft")
    );
    assert!(
        !invoices::insert_draft(&mut tx, &again, &[line(&again)])
            .await
            .expect("again")
    );
    tx.commit().await.expect("commit");
    assert!(
        invoices::exists_for(db, &second.id, "2026-11")
            .await
            .expect("exists")
    );
    assert_eq!(invoices::lines(db, &nov.id).await.expect("lines").len(), 1);
    assert!(is_not_found(
        &invoices::find(db, &scope(&w.other_admin), &nov.id).await
    ));
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &invoices::issue(
            &mut tx,
            &nov,
            9,
            w.provider_admin.id,
            T0,
            std::slice::from_ref(&inside.id)
        )
        .await
    ));
    // Issuing locks exactly the entries named (what the draft counted):
    // the entry and its correction, not the later entry.
    let number = invoices::issue(
        &mut tx,
        &nov,
        1,
        w.provider_admin.id,
        T0,
        &[inside.id.clone(), fix.id.clone()],
    )
    .await
    .expect("issue");
    assert_eq!(number, 1);
    tx.commit().await.expect("commit");
    let locked = time_entries::for_client(db, w.client.id, T0, T0 + 11 * MINUTE)
        .await
        .expect("month");
    assert_eq!(
        locked
            .iter()
            .map(|e| (e.id.as_str(), e.invoice_id.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            (inside.id.as_str(), Some(nov.id.as_str())),
            (fix.id.as_str(), Some(nov.id.as_str())),
            (later.id.as_str(), None)
        ],
        "the entry and its correction"
    );
    // The run's reads: the month's unissued entries, and provider time
    // before a month that no issued invoice holds.
    assert_eq!(
        time_entries::for_billing(db, w.client.id, T0, T0 + 11 * MINUTE)
            .await
            .expect("billing")
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        vec![later.id.as_str()]
    );
    assert_eq!(
        time_entries::unbilled_between(db, w.client.id, T0, T0 + 11 * MINUTE)
            .await
            .expect("unbilled")
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        vec![later.id.as_str()]
    );
    let mut tx = db.begin().await.expect("begin");
    invoices::void(&mut tx, &nov, 2, w.provider_admin.id, T0, "raised in error")
        .await
        .expect("void");
    // A voided month takes a corrected invoice, numbered next.
    let dec = draft("2026-11");
    assert!(
        invoices::insert_draft(&mut tx, &dec, &[line(&dec)])
            .await
            .expect("redraft")
    );
    assert_eq!(
        invoices::issue(&mut tx, &dec, 1, w.provider_admin.id, T0, &[])
            .await
            .expect("issue"),
        2
    );
    tx.commit().await.expect("commit");
    let freed = time_entries::for_client(db, w.client.id, T0, T0 + MINUTE)
        .await
        .expect("month");
    assert!(
        freed.iter().all(|e| e.invoice_id.is_none()),
        "voiding frees the time"
    );
    let trend = invoices::trend(db, w.client.id, "2026-01")
        .await
        .expect("trend");
    assert_eq!(
        trend,
        vec![(
            "2026-11".to_owned(),
            "USD".to_owned(),
            "retainer".to_owned(),
            1_000
        )]
    );
}

/// Per-user billing counts requesters from the accounts' history: creating,
/// (de)activating and changing the role of an account write it in the
/// caller's transaction, and the run reads a client's requester stretches
/// overlapping a window.
async fn check_account_history(db: &Db) {
    let w = seed(db).await;
    let stretches = |from: i64, to: i64| users::requester_periods(db, w.client.id, from, to);
    let all = || stretches(0, i64::MAX);
    // Created active at T0: one open stretch. Staff do not count, nor do
    // another client's requesters, nor an account created inactive.
    let mut idle = user(&w.client, Role::Requester, "ida@acme.test", "Ida Idle");
    idle.active = false;
    let elsewhere = user(&w.other_client, Role::Requester, "gus@globex.test", "Gus");
    insert_users(db, &[&idle, &elsewhere]).await;
    assert_eq!(all().await.expect("read"), vec![(T0, None)]);

    let admin = &scope(&w.client_admin);
    let update = |u: User, at: i64| async move {
        let mut tx = db.begin().await.expect("begin");
        users::update_profile(&mut tx, admin, &u, at)
            .await
            .expect("update");
        tx.commit().await.expect("commit");
    };
    let mut rob = w.requester.clone();
    rob.active = false;
    update(rob.clone(), T0 + 10).await;
    // A change nobody may make writes nothing, and a rolled-back one is gone.
    let mut tx = db.begin().await.expect("begin");
    rob.active = true;
    assert!(is_not_found(
        &users::update_profile(&mut tx, &scope(&w.other_admin), &rob, T0 + 12).await
    ));
    users::update_profile(&mut tx, admin, &rob, T0 + 15)
        .await
        .expect("update");
    drop(tx);
    assert_eq!(all().await.expect("read"), vec![(T0, Some(T0 + 10))]);
    // Active again; the same state again (or a new name) opens nothing new.
    update(rob.clone(), T0 + 20).await;
    update(rob.clone(), T0 + 25).await;
    rob.name = "Robert Requester".into();
    update(rob.clone(), T0 + 26).await;
    // A technician from T0 + 30 is no longer counted; a requester again
    // from T0 + 40.
    rob.role = Role::ClientTechnician;
    update(rob.clone(), T0 + 30).await;
    rob.role = Role::Requester;
    update(rob.clone(), T0 + 40).await;
    // Activating the idle account opens its first stretch.
    idle.active = true;
    update(idle, T0 + 50).await;
    assert_eq!(
        all().await.expect("read"),
        vec![
            (T0, Some(T0 + 10)),
            (T0 + 20, Some(T0 + 30)),
            (T0 + 40, None),
            (T0 + 50, None)
        ]
    );
    // A window takes the stretches that overlap it: a stretch ending as
    // the window begins, or starting as it ends, does not.
    assert_eq!(
        stretches(T0 + 10, T0 + 40).await.expect("read"),
        vec![(T0 + 20, Some(T0 + 30))]
    );
    assert_eq!(
        stretches(T0 + 5, T0 + 21).await.expect("read"),
        vec![(T0, Some(T0 + 10)), (T0 + 20, Some(T0 + 30))]
    );
    assert_eq!(
        stretches(T0 + 45, T0 + 50).await.expect("read"),
        vec![(T0 + 40, None)]
    );
    assert!(
        users::requester_periods(db, w.provider.id, 0, i64::MAX)
            .await
            .expect("read")
            .is_empty()
    );
}

/// A draft's lines changed by hand: each change at the invoice's version
/// (which moves), the line written, added or removed with the tax, and the
/// change kept on the history with its author's name; the tax reads last.
async fn check_invoice_line_edits(db: &Db) {
    let (w, _, _, _) = desk(db).await;
    let agreement = agreement_row(&w, "active");
    let inv = invoices::Invoice {
        id: Uuid::now_v7().to_string(),
        agreement_id: agreement.id.clone(),
        engagement_id: w.engagement,
        client_id: w.client.id,
        provider_id: w.provider.id,
        period: "2026-11".to_owned(),
        status: "draft".to_owned(),
        number: None,
        currency: "USD".to_owned(),
        total: 1_100,
        warnings: "[]".to_owned(),
        covered: "[]".to_owned(),
        version: 1,
        created_at: T0,
        issued_at: None,
        issued_by: None,
        voided_at: None,
        voided_by: None,
        void_reason: None,
    };
    let line = |position: i32, kind: &str, amount: i64| invoices::Line {
        invoice_id: inv.id.clone(),
        position,
        kind: kind.to_owned(),
        description: kind.to_owned(),
        quantity: "1".to_owned(),
        unit_price: amount,
        amount,
        work_ids: "[]".to_owned(),
    };
    let mut tx = db.begin().await.expect("begin");
    agreements::insert(&mut tx, &agreement)
        .await
        .expect("agreement");
    assert!(
        invoices::insert_draft(
            &mut tx,
            &inv,
            &[line(0, "retainer", 1_000), line(1, "tax", 100)]
        )
        .await
        .expect("draft")
    );
    tx.commit().await.expect("commit");
    let edit = |position: i32, action: &str, old_total: i64, new_total: i64| invoices::LineEdit {
        id: Uuid::now_v7().to_string(),
        invoice_id: inv.id.clone(),
        position,
        action: action.to_owned(),
        kind: "manual".to_owned(),
        old_description: None,
        old_quantity: None,
        old_unit_price: None,
        old_amount: None,
        new_description: Some("Goodwill".to_owned()),
        new_quantity: Some("1".to_owned()),
        new_unit_price: Some(-500),
        new_amount: Some(-500),
        old_total,
        new_total,
        reason: "the outage".to_owned(),
        edited_by: w.provider_admin.id.to_string(),
        edited_by_name: String::new(),
        edited_at: T0,
    };
    // A credit added after the tax's position reads before the tax.
    let credit = line(2, "manual", -500);
    let tax = line(1, "tax", 50);
    let mut tx = db.begin().await.expect("begin");
    assert!(is_conflict(
        &invoices::edit_line(
            &mut tx,
            &inv,
            7,
            &edit(2, "added", 1_100, 550),
            invoices::LineWrite::Added(&credit),
            Some(&tax)
        )
        .await
    ));
    invoices::edit_line(
        &mut tx,
        &inv,
        1,
        &edit(2, "added", 1_100, 550),
        invoices::LineWrite::Added(&credit),
        Some(&tax),
    )
    .await
    .expect("add");
    tx.commit().await.expect("commit");
    let kinds = |ls: Vec<invoices::Line>| {
        ls.into_iter()
            .map(|l| (l.position, l.kind, l.amount))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(invoices::lines(db, &inv.id).await.expect("lines")),
        vec![
            (0, "retainer".to_owned(), 1_000),
            (2, "manual".to_owned(), -500),
            (1, "tax".to_owned(), 50)
        ]
    );
    let now = invoices::find(db, &scope(&w.client_admin), &inv.id)
        .await
        .expect("find");
    assert_eq!((now.version, now.total), (2, 550));
    // Changed, then removed.
    let changed = invoices::Line {
        amount: 800,
        unit_price: 800,
        ..line(0, "retainer", 1_000)
    };
    let mut tx = db.begin().await.expect("begin");
    invoices::edit_line(
        &mut tx,
        &inv,
        2,
        &edit(0, "changed", 550, 330),
        invoices::LineWrite::Changed(&changed),
        Some(&line(1, "tax", 30)),
    )
    .await
    .expect("change");
    invoices::edit_line(
        &mut tx,
        &inv,
        3,
        &edit(2, "removed", 330, 880),
        invoices::LineWrite::Removed(2),
        Some(&line(1, "tax", 80)),
    )
    .await
    .expect("remove");
    tx.commit().await.expect("commit");
    // A line gone already: nothing is kept (the caller drops the change).
    let mut tx = db.begin().await.expect("begin");
    assert!(matches!(
        invoices::edit_line(
            &mut tx,
            &inv,
            4,
            &edit(2, "removed", 880, 880),
            invoices::LineWrite::Removed(2),
            None,
        )
        .await,
        Err(StoreError::NotFound)
    ));
    drop(tx);
    assert_eq!(
        kinds(invoices::lines(db, &inv.id).await.expect("lines")),
        vec![(0, "retainer".to_owned(), 800), (1, "tax".to_owned(), 80)]
    );
    let history = invoices::line_edits(db, &inv.id).await.expect("history");
    assert_eq!(
        history
            .iter()
            .map(|e| (e.action.as_str(), e.position, e.new_total))
            .collect::<Vec<_>>(),
        vec![("added", 2, 550), ("changed", 0, 330), ("removed", 2, 880)]
    );
    assert_eq!(history[0].edited_by_name, w.provider_admin.name);
    assert_eq!(history[0].reason, "the outage");
    // Issued, nothing changes.
    let mut tx = db.begin().await.expect("begin");
    invoices::issue(&mut tx, &now, 4, w.provider_admin.id, T0, &[])
        .await
        .expect("issue");
    assert!(is_conflict(
        &invoices::edit_line(
            &mut tx,
            &inv,
            5,
            &edit(0, "removed", 880, 80),
            invoices::LineWrite::Removed(0),
            None,
        )
        .await
    ));
    tx.commit().await.expect("commit");
}
