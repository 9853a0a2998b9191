//! Browser sessions. Only a hash of the session id is stored, so a copy of
//! the database does not let anyone sign in as a user.

use crate::{Db, Result, Tx, direct, exec_tx};
use tandem_domain::UserId;

/// A live session.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Session {
    /// SHA-256 of the cookie value.
    pub id_hash: String,
    /// Its user.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// The CSRF token every form of this session carries.
    pub csrf_token: String,
    /// Password accepted, second factor still awaited.
    pub awaiting_totp: bool,
    /// Sign-in instant (epoch ms), for the absolute time-out.
    pub created_at: i64,
    /// Last request (epoch ms), for the idle time-out.
    pub last_seen_at: i64,
}

/// Store a new session.
pub async fn insert(tx: &mut Tx, s: &Session) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, awaiting_totp, created_at, last_seen_at, proved_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(&s.id_hash).bind(s.user_id.to_string()).bind(&s.csrf_token).bind(s.awaiting_totp)
        .bind(s.created_at).bind(s.last_seen_at)
        // A full session is opened right after a password (and, where set
        // up, a TOTP code) was checked: that is a fresh proof of identity.
        .bind((!s.awaiting_totp).then_some(s.created_at)).execute(c).await)?;
    Ok(())
}

/// A session that has neither idled out nor passed its absolute limit.
pub async fn find_live(
    db: &Db,
    id_hash: &str,
    idle_since: i64,
    created_since: i64,
) -> Result<Option<Session>> {
    let sql = "SELECT id_hash, user_id, csrf_token, awaiting_totp, created_at, last_seen_at FROM sessions \
         WHERE id_hash = $1 AND last_seen_at > $2 AND created_at > $3";
    let args = [id_hash.into(), idle_since.into(), created_since.into()];
    db.row(sql, &args, |r| {
        Ok(Session {
            id_hash: r.get(0)?,
            user_id: direct::parsed(r, 1)?,
            csrf_token: r.get(2)?,
            awaiting_totp: r.get(3)?,
            created_at: r.get(4)?,
            last_seen_at: r.get(5)?,
        })
    })
    .await
}

/// Note activity on a session.
pub async fn touch(tx: &mut Tx, id_hash: &str, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now).bind(id_hash).execute(c).await)?;
    Ok(())
}

/// End one session.
pub async fn delete(tx: &mut Tx, id_hash: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE id_hash = $1").bind(id_hash).execute(c).await)?;
    Ok(())
}

/// End every session of a user (password change, deactivation).
pub async fn delete_for_user(tx: &mut Tx, user: UserId) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.to_string()).execute(c).await)?,
    )
}

/// Drop sessions that can no longer be used.
pub async fn purge_expired(tx: &mut Tx, idle_since: i64, created_since: i64) -> Result<u64> {
    Ok(
        exec_tx!(tx, c => sqlx::query("DELETE FROM sessions WHERE last_seen_at <= $1 OR created_at <= $2")
        .bind(idle_since).bind(created_since).execute(c).await)?,
    )
}
