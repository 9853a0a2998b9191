//! Personal API tokens, stored only as a SHA-256 hash of the secret.

use crate::{Db, Result, StoreError, Tx, direct, exec_tx, on_db};
use tandem_domain::{ApiTokenId, UserId};

/// A token's record (never its secret).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ApiToken {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: ApiTokenId,
    /// Whose rights it carries.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// The owner's label for it.
    pub name: String,
    /// The first characters of the secret, so a person can tell tokens apart.
    pub prefix: String,
    /// Creation (epoch ms).
    pub created_at: i64,
    /// Last use (epoch ms).
    pub last_used_at: Option<i64>,
    /// Revocation (epoch ms).
    pub revoked_at: Option<i64>,
}

/// Store a new token.
pub async fn insert(tx: &mut Tx, t: &ApiToken, token_hash: &str) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(t.id.to_string()).bind(t.user_id.to_string()).bind(&t.name).bind(token_hash)
        .bind(&t.prefix).bind(t.created_at).execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A live token with its user, read together (every API request does it).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct TokenHolder {
    /// The token's id.
    #[sqlx(try_from = "String")]
    pub token_id: ApiTokenId,
    /// Its last use (epoch ms).
    pub last_used_at: Option<i64>,
    /// Whose rights it carries.
    #[sqlx(flatten)]
    pub user: crate::users::User,
}

/// The unrevoked token with this hash, and its user.
pub async fn holder_by_hash(db: &Db, token_hash: &str) -> Result<Option<TokenHolder>> {
    let sql = "SELECT t.id AS token_id, t.last_used_at, u.id, u.org_id, u.email, u.name, u.role, u.password_hash, u.totp_secret, \
         u.totp_enabled, u.totp_last_step, u.active, u.created_at, u.updated_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL";
    db.row(sql, &[token_hash.into()], |r| {
        Ok(TokenHolder {
            token_id: direct::parsed(r, 0)?,
            last_used_at: r.get(1)?,
            user: crate::users::User::from_direct(r, 2)?,
        })
    })
    .await
}

/// A user's own tokens, newest first.
pub async fn list_for_user(db: &Db, user: UserId) -> Result<Vec<ApiToken>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, ApiToken>(
        "SELECT id, user_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens \
         WHERE user_id = $1 ORDER BY created_at DESC")
        .bind(user.to_string()).fetch_all(c).await)?)
}

/// Revoke one of the user's own tokens.
pub async fn revoke(tx: &mut Tx, user: UserId, id: ApiTokenId, now: i64) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
        .bind(now).bind(id.to_string()).bind(user.to_string()).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Note a token's use (at most once a minute, to spare the writer).
pub async fn touch(tx: &mut Tx, id: ApiTokenId, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)")
        .bind(now).bind(id.to_string()).bind(now - 60_000).execute(c).await)?;
    Ok(())
}
