//! The append-only, hash-chained audit log.

use crate::{Db, Result, Tx, direct, exec_tx, on_db, on_tx, scope_filter};
use rusqlite::ToSql;
use tandem_domain::audit::{AuditRecord, GENESIS, StoredAudit};
use tandem_domain::{OrgId, Scope, Side};

#[derive(sqlx::FromRow)]
struct Row {
    seq: i64,
    at: i64,
    actor_user_id: Option<String>,
    actor_label: String,
    actor_side: Option<String>,
    actor_org_id: Option<String>,
    org_id: Option<String>,
    action: String,
    object_type: String,
    object_id: String,
    change: String,
    request_id: String,
    source_addr: String,
    prev_hash: String,
    hash: String,
}

impl From<Row> for StoredAudit {
    fn from(r: Row) -> Self {
        StoredAudit {
            record: AuditRecord {
                seq: r.seq,
                at_ms: r.at,
                actor_user_id: r.actor_user_id,
                actor_label: r.actor_label,
                actor_side: r.actor_side,
                actor_org_id: r.actor_org_id,
                org_id: r.org_id,
                action: r.action,
                object_type: r.object_type,
                object_id: r.object_id,
                change: r.change,
                request_id: r.request_id,
                source_addr: r.source_addr,
            },
            prev_hash: r.prev_hash,
            hash: r.hash,
        }
    }
}

macro_rules! select_audit {
    ($rest:expr) => {
        concat!(
            "SELECT seq, at, actor_user_id, actor_label, actor_side, actor_org_id, org_id, action, object_type, object_id, change, request_id, source_addr, prev_hash, hash FROM audit_log ",
            $rest
        )
    };
}

/// Append an entry in the caller's transaction: it commits or rolls back
/// with the change it records. `record.seq` is assigned here.
pub async fn append(tx: &mut Tx, mut record: AuditRecord) -> Result<i64> {
    // PostgreSQL: serialise appenders across processes for the rest of the
    // transaction; SQLite already has a single writer.
    if let Tx::Postgres(t) = tx {
        sqlx::query("SELECT pg_advisory_xact_lock(7316001)")
            .execute(&mut **t)
            .await?;
    }
    let tail: Option<(i64, String)> =
        on_tx!(tx, c => sqlx::query_as(TAIL).fetch_optional(c).await)?;
    let (seq, prev, hash) = link(&mut record, tail);
    exec_tx!(tx, c => sqlx::query(INSERT)
        .bind(seq).bind(record.at_ms).bind(&record.actor_user_id).bind(&record.actor_label)
        .bind(&record.actor_side).bind(&record.actor_org_id).bind(&record.org_id)
        .bind(&record.action).bind(&record.object_type).bind(&record.object_id)
        .bind(&record.change).bind(&record.request_id).bind(&record.source_addr)
        .bind(&prev).bind(&hash)
        .execute(c).await)?;
    Ok(seq)
}

/// The chain's last link.
const TAIL: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";
const INSERT: &str = "INSERT INTO audit_log (seq, at, actor_user_id, actor_label, actor_side, actor_org_id, org_id, action, object_type, \
    object_id, change, request_id, source_addr, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";

/// Number `record` after `tail` (the last entry's seq and hash): its seq,
/// the previous hash and its own hash.
fn link(record: &mut AuditRecord, tail: Option<(i64, String)>) -> (i64, String, String) {
    let (seq, prev) = match tail {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    record.seq = seq;
    let hash = record.chain_hash(&prev);
    (seq, prev, hash)
}

/// [`append`] on SQLite's in-place writer ([`crate::group_commit`]).
pub(crate) fn append_in_place(c: &rusqlite::Connection, mut record: AuditRecord) -> Result<i64> {
    let none: [&dyn ToSql; 0] = [];
    let tail = direct::query(c, TAIL, &none, |r| Ok((r.get(0)?, r.get(1)?)))?.pop();
    let (seq, prev, hash) = link(&mut record, tail);
    let r = &record;
    direct::execute(
        c,
        INSERT,
        &[
            &seq as &dyn ToSql,
            &r.at_ms,
            &r.actor_user_id,
            &r.actor_label,
            &r.actor_side,
            &r.actor_org_id,
            &r.org_id,
            &r.action,
            &r.object_type,
            &r.object_id,
            &r.change,
            &r.request_id,
            &r.source_addr,
            &prev,
            &hash,
        ],
    )?;
    Ok(seq)
}

/// Entries on one organization's data, newest first, before `before_seq`,
/// if the organization is within the caller's scope; with `actor_side`
/// only what that side did.
pub async fn list_for_org(
    db: &Db,
    scope: &Scope,
    org: OrgId,
    before_seq: Option<i64>,
    limit: i64,
    actor_side: Option<Side>,
) -> Result<Vec<AuditRecord>> {
    let sql = select_audit!(concat!(
        "WHERE org_id = $1 AND seq < $2 AND ($6 = '' OR actor_side = $6) AND ",
        scope_filter!("audit_log.org_id", "$3", "$4"),
        " ORDER BY seq DESC LIMIT $5"
    ));
    let rows = on_db!(db, c => sqlx::query_as::<_, Row>(sql)
        .bind(org.to_string())
        .bind(before_seq.unwrap_or(i64::MAX))
        .bind(scope.user_id.to_string())
        .bind(scope.org_id.to_string())
        .bind(limit)
        .bind(actor_side.map_or("", Side::as_str))
        .fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| StoredAudit::from(r).record)
        .collect())
}

/// A page of the whole log in stored order, for verification.
pub async fn page_in_order(db: &Db, after_seq: i64, limit: i64) -> Result<Vec<StoredAudit>> {
    let rows = on_db!(db, c => sqlx::query_as::<_, Row>(select_audit!("WHERE seq > $1 ORDER BY seq LIMIT $2"))
        .bind(after_seq).bind(limit).fetch_all(c).await)?;
    Ok(rows.into_iter().map(StoredAudit::from).collect())
}
