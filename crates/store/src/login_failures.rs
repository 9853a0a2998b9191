//! Failed sign-ins, counted per account and per source address so that
//! guessing is slowed down on either axis. Kept in the database so that
//! several server processes share the count.

use crate::{Db, Result, Tx, exec_tx, on_db};

/// Record one failure.
pub async fn record(tx: &mut Tx, account: &str, addr: &str, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("INSERT INTO login_failures (account, source_addr, at) VALUES ($1, $2, $3)")
        .bind(account).bind(addr).bind(now).execute(c).await)?;
    Ok(())
}

/// Failures for the account and for the address since `since`, with the
/// oldest of each (to say when the limit lifts).
pub async fn recent(
    db: &Db,
    account: &str,
    addr: &str,
    since: i64,
) -> Result<((i64, Option<i64>), (i64, Option<i64>))> {
    let by_account: (i64, Option<i64>) = on_db!(db, c => sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE account = $1 AND at > $2")
        .bind(account).bind(since).fetch_one(c).await)?;
    let by_addr: (i64, Option<i64>) = on_db!(db, c => sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM login_failures WHERE source_addr = $1 AND at > $2")
        .bind(addr).bind(since).fetch_one(c).await)?;
    Ok((by_account, by_addr))
}

/// Forget an account's failures after a successful sign-in.
pub async fn clear_account(tx: &mut Tx, account: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM login_failures WHERE account = $1").bind(account).execute(c).await)?;
    Ok(())
}

/// Drop failures older than the window.
pub async fn purge_before(tx: &mut Tx, before: i64) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("DELETE FROM login_failures WHERE at <= $1").bind(before).execute(c).await)?,
    )
}
