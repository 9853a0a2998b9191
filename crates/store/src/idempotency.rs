//! Remembered answers to creates sent with an `Idempotency-Key`, so a
//! client that retries gets the first answer instead of a duplicate.

use crate::{Db, Result, Tx, exec_tx, on_db};
use tandem_domain::UserId;

/// What is stored for a user's key, if anything: the answer's status (0
/// while the first request is still at work), the answer, and the hash of
/// the request the key was first used for ('' for keys older than that).
pub async fn get(db: &Db, user: UserId, key: &str) -> Result<Option<(i64, String, String)>> {
    Ok(
        on_db!(db, c => sqlx::query_as::<_, (i64, String, String)>("SELECT status, response, request_hash FROM idempotency_keys WHERE user_id = $1 AND key = $2")
        .bind(user.to_string()).bind(key).fetch_optional(c).await)?,
    )
}

/// Claim a key for the request hashed `request` before doing the work
/// (status 0 means "in progress"). True when this caller holds it now; a
/// claim left by a request that died more than a minute ago is taken over.
pub async fn reserve(
    tx: &mut Tx,
    user: UserId,
    key: &str,
    request: &str,
    now: i64,
) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, status, response, created_at, request_hash) VALUES ($1, $2, 0, '', $3, $5) \
         ON CONFLICT (user_id, key) DO UPDATE SET created_at = excluded.created_at, request_hash = excluded.request_hash \
         WHERE idempotency_keys.status = 0 AND idempotency_keys.created_at < $4")
        .bind(user.to_string()).bind(key).bind(now).bind(now - 60_000).bind(request).execute(c).await)?;
    Ok(n == 1)
}

/// Record the answer for a claimed key.
pub async fn complete(
    tx: &mut Tx,
    user: UserId,
    key: &str,
    status: i64,
    response: &str,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE idempotency_keys SET status = $1, response = $2 WHERE user_id = $3 AND key = $4")
        .bind(status).bind(response).bind(user.to_string()).bind(key).execute(c).await)?;
    Ok(())
}

/// Give a claim back after the work failed, so a retry can run.
pub async fn release(tx: &mut Tx, user: UserId, key: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status = 0")
        .bind(user.to_string()).bind(key).execute(c).await)?;
    Ok(())
}

/// Forget keys older than `before` (they are kept for a day).
pub async fn purge_before(tx: &mut Tx, before: i64) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(c).await)?,
    )
}
