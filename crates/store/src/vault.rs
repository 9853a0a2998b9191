//! A client's credential vault: its wrapped data key, its secrets (stored
//! only as ciphertext), the log of reveals, and the departures of people
//! who revealed secrets. Every call names the client first; the service
//! has checked that the caller may reach that client.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db, on_tx};
use tandem_domain::ids::{VaultDepartureId, VaultSecretId};
use tandem_domain::vault::name_key;
use tandem_domain::{OrgId, UserId};

/// A client's data key, wrapped by one master key.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct WrappedKey {
    /// The client whose secrets it encrypts.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Which master key wrapped it.
    pub master_key_id: String,
    /// Nonce and sealed key, base64.
    pub wrapped_key: String,
}

/// A secret as stored: visible fields in the clear, the secret and the
/// notes as ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSecret {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: VaultSecretId,
    /// The client it belongs to.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// What people call it.
    pub name: String,
    /// The account name; may be blank.
    pub username: String,
    /// Where it is used; may be blank.
    pub url: String,
    /// The secret, sealed under the client's data key (base64).
    pub secret_ct: String,
    /// The notes, sealed the same way (base64).
    pub notes_ct: String,
    /// `YYYY-MM-DD` when it should next be changed, if set.
    pub rotation_due_on: Option<String>,
    /// When its secret was last set (epoch ms).
    pub rotated_at: i64,
    /// Bumped by every change.
    pub version: i64,
    /// Creation instant (epoch ms).
    pub created_at: i64,
    /// Last change (epoch ms).
    pub updated_at: i64,
    /// Who added it.
    pub created_by: Option<String>,
}

const COLS: &str = "id, client_id, name, username, url, secret_ct, notes_ct, rotation_due_on, rotated_at, version, created_at, updated_at, created_by";

/// One reveal of a secret.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Reveal {
    /// Its id (time-ordered: the log's cursor).
    pub id: String,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The secret revealed.
    #[sqlx(try_from = "String")]
    pub secret_id: VaultSecretId,
    /// Its name at the time.
    pub secret_name: String,
    /// Who revealed it.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// Their name at the time.
    pub user_name: String,
    /// Their e-mail at the time.
    pub user_email: String,
    /// `provider` or `client`.
    pub side: String,
    /// How they proved who they were: `session`, `token`, `password`, `totp`.
    pub proof: String,
    /// The address the request came from.
    pub source_addr: String,
    /// The browser or tool that asked.
    pub user_agent: String,
    /// When (epoch ms).
    pub revealed_at: i64,
}

const REVEAL_COLS: &str = "id, client_id, secret_id, secret_name, user_id, user_name, user_email, side, proof, source_addr, user_agent, revealed_at";

/// A person who lost access to a client after revealing its secrets.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Departure {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: VaultDepartureId,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Who left.
    #[sqlx(try_from = "String")]
    pub user_id: UserId,
    /// Their name now.
    pub user_name: String,
    /// Why their access ended.
    pub reason: String,
    /// When (epoch ms).
    pub departed_at: i64,
}

/// A secret a departed person had revealed, with its rotation ticket if
/// one was opened.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct LeftSecret {
    /// The secret.
    #[sqlx(try_from = "String")]
    pub secret_id: VaultSecretId,
    /// Its name now.
    pub secret_name: String,
    /// The last time the person revealed it (epoch ms).
    pub last_revealed_at: i64,
    /// Whether its secret was changed after the person left.
    pub rotated_since: bool,
    /// The rotation ticket, once opened.
    pub ticket_id: Option<String>,
}

/// The client's wrapped data key, if it has one yet.
pub async fn key(db: &Db, client: OrgId) -> Result<Option<WrappedKey>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, WrappedKey>(
        "SELECT client_id, master_key_id, wrapped_key FROM vault_keys WHERE client_id = $1")
        .bind(client.to_string()).fetch_optional(c).await)?)
}

/// Store a client's first data key; false when another request stored one
/// first (the caller then reads that one).
pub async fn insert_key(tx: &mut Tx, k: &WrappedKey, now: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "INSERT INTO vault_keys (client_id, master_key_id, wrapped_key, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (client_id) DO NOTHING")
        .bind(k.client_id.to_string()).bind(&k.master_key_id).bind(&k.wrapped_key).bind(now)
        .execute(c).await)?;
    Ok(n == 1)
}

/// Up to `limit` data keys still wrapped by a master key other than
/// `current` (a rotation's next batch).
pub async fn keys_not_under(db: &Db, current: &str, limit: i64) -> Result<Vec<WrappedKey>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, WrappedKey>(
        "SELECT client_id, master_key_id, wrapped_key FROM vault_keys WHERE master_key_id <> $1 ORDER BY client_id LIMIT $2")
        .bind(current).bind(limit).fetch_all(c).await)?)
}

/// Replace a data key's wrapping, if it is still the one read (`was`).
pub async fn rewrap_key(
    tx: &mut Tx,
    was: &WrappedKey,
    now_under: &WrappedKey,
    now: i64,
) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE vault_keys SET master_key_id = $1, wrapped_key = $2, rewrapped_at = $3 \
         WHERE client_id = $4 AND master_key_id = $5 AND wrapped_key = $6")
        .bind(&now_under.master_key_id).bind(&now_under.wrapped_key).bind(now)
        .bind(was.client_id.to_string()).bind(&was.master_key_id).bind(&was.wrapped_key)
        .execute(c).await)?;
    Ok(n == 1)
}

/// How many data keys each master key wraps.
pub async fn keys_per_master(db: &Db) -> Result<Vec<(String, i64)>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, (String, i64)>(
        "SELECT master_key_id, COUNT(*) FROM vault_keys GROUP BY master_key_id ORDER BY master_key_id")
        .fetch_all(c).await)?)
}

/// Add a secret; a name the client has already (in any case) is a
/// [`StoreError::Conflict`].
pub async fn insert(tx: &mut Tx, s: &StoredSecret) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO vault_secrets (id, client_id, name, name_key, username, url, secret_ct, notes_ct, rotation_due_on, rotated_at, version, created_at, updated_at, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
        .bind(s.id.to_string()).bind(s.client_id.to_string()).bind(&s.name).bind(name_key(&s.name))
        .bind(&s.username).bind(&s.url).bind(&s.secret_ct).bind(&s.notes_ct).bind(&s.rotation_due_on)
        .bind(s.rotated_at).bind(s.version).bind(s.created_at).bind(s.updated_at).bind(&s.created_by)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Write a secret's fields if it is still at `expected_version`, moving it
/// to the next version; false when someone changed it in between.
pub async fn update(tx: &mut Tx, s: &StoredSecret, expected_version: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE vault_secrets SET name = $1, name_key = $2, username = $3, url = $4, secret_ct = $5, notes_ct = $6, \
         rotation_due_on = $7, rotated_at = $8, updated_at = $9, version = version + 1 \
         WHERE client_id = $10 AND id = $11 AND version = $12 AND deleted_at IS NULL")
        .bind(&s.name).bind(name_key(&s.name)).bind(&s.username).bind(&s.url).bind(&s.secret_ct).bind(&s.notes_ct)
        .bind(&s.rotation_due_on).bind(s.rotated_at).bind(s.updated_at)
        .bind(s.client_id.to_string()).bind(s.id.to_string()).bind(expected_version)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(n == 1)
}

/// Delete a secret if it is still at `expected_version`: its row stays
/// (the reveal log names it) with the secret and notes wiped, out of every
/// read; false when someone changed or deleted it in between.
pub async fn delete(
    tx: &mut Tx,
    client: OrgId,
    id: VaultSecretId,
    expected_version: i64,
    now: i64,
) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE vault_secrets SET deleted_at = $1, updated_at = $1, secret_ct = '', notes_ct = '', version = version + 1 \
         WHERE client_id = $2 AND id = $3 AND version = $4 AND deleted_at IS NULL")
        .bind(now).bind(client.to_string()).bind(id.to_string()).bind(expected_version)
        .execute(c).await)?;
    Ok(n == 1)
}

/// A page of the client's secrets in name order, after the name key
/// `after` (the cursor) when given.
pub async fn list(
    db: &Db,
    client: OrgId,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<StoredSecret>> {
    let sql = format!(
        "SELECT {COLS} FROM vault_secrets WHERE client_id = $1 AND deleted_at IS NULL AND name_key > $2 \
         ORDER BY name_key LIMIT $3"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, StoredSecret>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(after.unwrap_or("")).bind(limit).fetch_all(c).await)?,
    )
}

/// Every secret of the client (for rotation planning and the demo).
pub async fn all(db: &Db, client: OrgId) -> Result<Vec<StoredSecret>> {
    let sql = format!(
        "SELECT {COLS} FROM vault_secrets WHERE client_id = $1 AND deleted_at IS NULL ORDER BY name_key"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, StoredSecret>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_all(c).await)?,
    )
}

/// The client's secrets due on or before `by` (`YYYY-MM-DD`), soonest first.
pub async fn due_by(db: &Db, client: OrgId, by: &str) -> Result<Vec<StoredSecret>> {
    let sql = format!(
        "SELECT {COLS} FROM vault_secrets WHERE client_id = $1 AND deleted_at IS NULL AND rotation_due_on IS NOT NULL \
         AND rotation_due_on <= $2 \
         ORDER BY rotation_due_on, name_key"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, StoredSecret>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(by).fetch_all(c).await)?,
    )
}

/// One secret of the client ([`StoreError::NotFound`] when the client has
/// no such secret, whoever else may).
pub async fn get(db: &Db, client: OrgId, id: VaultSecretId) -> Result<StoredSecret> {
    let sql = format!(
        "SELECT {COLS} FROM vault_secrets WHERE client_id = $1 AND id = $2 AND deleted_at IS NULL"
    );
    on_db!(db, c => sqlx::query_as::<_, StoredSecret>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// Record a reveal.
pub async fn insert_reveal(tx: &mut Tx, r: &Reveal) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO vault_reveals (id, client_id, secret_id, secret_name, user_id, user_name, user_email, side, proof, source_addr, user_agent, revealed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(&r.id).bind(r.client_id.to_string()).bind(r.secret_id.to_string()).bind(&r.secret_name)
        .bind(r.user_id.to_string()).bind(&r.user_name).bind(&r.user_email).bind(&r.side).bind(&r.proof)
        .bind(&r.source_addr).bind(&r.user_agent).bind(r.revealed_at)
        .execute(c).await)?;
    Ok(())
}

/// A page of the client's reveals, newest first: of one secret when
/// given, older than the reveal `before` (the cursor) when given.
pub async fn reveals(
    db: &Db,
    client: OrgId,
    secret: Option<VaultSecretId>,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<Reveal>> {
    let sql = format!(
        "SELECT {REVEAL_COLS} FROM vault_reveals WHERE client_id = $1 AND ($2 = '' OR secret_id = $2) \
         AND ($3 = '' OR id < $3) ORDER BY id DESC LIMIT $4"
    );
    let secret = secret.map(|s| s.to_string()).unwrap_or_default();
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Reveal>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(&secret).bind(before.unwrap_or("")).bind(limit)
        .fetch_all(c).await)?,
    )
}

/// Note that people lost access to a client: each person of the provider
/// side who revealed one of its secrets (only `only` when given) gets a
/// departure, dated `now`. Gives how many were noted.
pub async fn note_departures(
    tx: &mut Tx,
    client: OrgId,
    only: Option<UserId>,
    reason: &str,
    now: i64,
) -> Result<u64> {
    let only = only.map(|u| u.to_string()).unwrap_or_default();
    let people: Vec<(String,)> = on_tx!(tx, c => sqlx::query_as::<_, (String,)>(
        "SELECT DISTINCT user_id FROM vault_reveals WHERE client_id = $1 AND side = 'provider' \
         AND ($2 = '' OR user_id = $2) ORDER BY user_id")
        .bind(client.to_string()).bind(&only).fetch_all(c).await)?;
    let mut n = 0;
    for (user,) in people {
        n += exec_tx!(tx, c => sqlx::query(
            "INSERT INTO vault_departures (id, client_id, user_id, reason, departed_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(VaultDepartureId::new().to_string()).bind(client.to_string()).bind(&user).bind(reason).bind(now)
            .execute(c).await)?;
    }
    Ok(n)
}

/// The client's departures, newest first.
pub async fn departures(db: &Db, client: OrgId) -> Result<Vec<Departure>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Departure>(
        "SELECT d.id, d.client_id, d.user_id, u.name AS user_name, d.reason, d.departed_at \
         FROM vault_departures d JOIN users u ON u.id = d.user_id WHERE d.client_id = $1 ORDER BY d.departed_at DESC, d.id DESC")
        .bind(client.to_string()).fetch_all(c).await)?)
}

/// One departure of the client.
pub async fn departure(db: &Db, client: OrgId, id: VaultDepartureId) -> Result<Departure> {
    on_db!(db, c => sqlx::query_as::<_, Departure>(
        "SELECT d.id, d.client_id, d.user_id, u.name AS user_name, d.reason, d.departed_at \
         FROM vault_departures d JOIN users u ON u.id = d.user_id WHERE d.client_id = $1 AND d.id = $2")
        .bind(client.to_string()).bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// The secrets the person of a departure revealed before leaving, with
/// whether each was changed since and its rotation ticket.
pub async fn left_secrets(db: &Db, d: &Departure) -> Result<Vec<LeftSecret>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, LeftSecret>(
        "SELECT s.id AS secret_id, s.name AS secret_name, MAX(r.revealed_at) AS last_revealed_at, \
         (s.rotated_at > $3) AS rotated_since, t.ticket_id \
         FROM vault_reveals r JOIN vault_secrets s ON s.id = r.secret_id AND s.client_id = r.client_id AND s.deleted_at IS NULL \
         LEFT JOIN vault_rotation_tickets t ON t.departure_id = $4 AND t.secret_id = s.id \
         WHERE r.client_id = $1 AND r.user_id = $2 AND r.revealed_at <= $3 \
         GROUP BY s.id, s.name, s.rotated_at, t.ticket_id ORDER BY s.name")
        .bind(d.client_id.to_string()).bind(d.user_id.to_string()).bind(d.departed_at).bind(d.id.to_string())
        .fetch_all(c).await)?)
}

/// Claim the rotation ticket of one secret of one departure; false when
/// it was claimed before (the ticket exists or is being opened).
pub async fn claim_rotation(
    tx: &mut Tx,
    departure: VaultDepartureId,
    secret: VaultSecretId,
    now: i64,
) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "INSERT INTO vault_rotation_tickets (departure_id, secret_id, claimed_at) VALUES ($1, $2, $3) \
         ON CONFLICT (departure_id, secret_id) DO NOTHING")
        .bind(departure.to_string()).bind(secret.to_string()).bind(now).execute(c).await)?;
    Ok(n == 1)
}

/// Name the ticket opened for a claimed rotation.
pub async fn set_rotation_ticket(
    tx: &mut Tx,
    departure: VaultDepartureId,
    secret: VaultSecretId,
    ticket: &str,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE vault_rotation_tickets SET ticket_id = $1 WHERE departure_id = $2 AND secret_id = $3")
        .bind(ticket).bind(departure.to_string()).bind(secret.to_string()).execute(c).await)?;
    Ok(())
}

/// Give up a claim whose ticket could not be opened, so a later try may.
pub async fn release_rotation(
    tx: &mut Tx,
    departure: VaultDepartureId,
    secret: VaultSecretId,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "DELETE FROM vault_rotation_tickets WHERE departure_id = $1 AND secret_id = $2 AND ticket_id IS NULL")
        .bind(departure.to_string()).bind(secret.to_string()).execute(c).await)?;
    Ok(())
}

/// When the session with this hash last proved its holder's identity.
pub async fn session_proved_at(db: &Db, id_hash: &str) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = on_db!(db, c => sqlx::query_as::<_, (Option<i64>,)>(
        "SELECT proved_at FROM sessions WHERE id_hash = $1").bind(id_hash).fetch_optional(c).await)?;
    Ok(row.and_then(|r| r.0))
}

/// Note a fresh proof on a session.
pub async fn set_session_proved(tx: &mut Tx, id_hash: &str, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE sessions SET proved_at = $1 WHERE id_hash = $2")
        .bind(now).bind(id_hash).execute(c).await)?;
    Ok(())
}

/// When the live API token with this hash last proved its holder's identity.
pub async fn token_proved_at(db: &Db, token_hash: &str) -> Result<Option<i64>> {
    let row: Option<(Option<i64>,)> = on_db!(db, c => sqlx::query_as::<_, (Option<i64>,)>(
        "SELECT proved_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL").bind(token_hash).fetch_optional(c).await)?;
    Ok(row.and_then(|r| r.0))
}

/// Note a fresh proof on an API token.
pub async fn set_token_proved(tx: &mut Tx, token_hash: &str, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE api_tokens SET proved_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
        .bind(now).bind(token_hash).execute(c).await)?;
    Ok(())
}
