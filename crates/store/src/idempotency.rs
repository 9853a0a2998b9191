//! Remembered answers to creates sent with an `Idempotency-Key`, so a
//! client that retries gets the first answer instead of a duplicate.

use crate::{Db, Result, Tx, exec_tx, on_db};
use tandem_domain::UserId;

/// The stored answer for a user's key, if any.
pub async fn get(db: &Db, user: UserId, key: &str) -> Result<Option<(i64, String)>> {
    Ok(
        on_db!(db, c => sqlx::query_as::<_, (i64, String)>("SELECT status, response FROM idempotency_keys WHERE user_id = $1 AND key = $2")
        .bind(user.to_string()).bind(key).fetch_optional(c).await)?,
    )
}

/// Remember an answer (the first one wins).
pub async fn put(
    tx: &mut Tx,
    user: UserId,
    key: &str,
    status: i64,
    response: &str,
    now: i64,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO idempotency_keys (user_id, key, status, response, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
        .bind(user.to_string()).bind(key).bind(status).bind(response).bind(now).execute(c).await)?;
    Ok(())
}

/// Forget keys older than `before` (they are kept for a day).
pub async fn purge_before(tx: &mut Tx, before: i64) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1").bind(before).execute(c).await)?,
    )
}
