//! People who sign in, on either side.

use crate::{Db, Result, StoreError, Tx, direct, exec_tx, on_db, on_tx, scope_filter};
use tandem_domain::{OrgId, Role, Scope, UserId};

/// A user as stored (the password hash and TOTP secret stay in the store
/// and service layers; web types copy only what they show).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct User {
    /// Their id.
    #[sqlx(try_from = "String")]
    pub id: UserId,
    /// Their organization.
    #[sqlx(try_from = "String")]
    pub org_id: OrgId,
    /// Normalised e-mail, unique.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Role (the side follows).
    #[sqlx(try_from = "String")]
    pub role: Role,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Base32 TOTP secret: pending until `totp_enabled`.
    pub totp_secret: Option<String>,
    /// Whether sign-in asks for a TOTP code.
    pub totp_enabled: bool,
    /// The last TOTP step accepted, so no code works twice.
    pub totp_last_step: Option<i64>,
    /// Deactivated users cannot sign in or use tokens.
    pub active: bool,
    /// Creation instant (epoch ms).
    pub created_at: i64,
    /// Last change (epoch ms).
    pub updated_at: i64,
}

impl User {
    /// The user whose columns (as [`select_users!`] lists them) start at
    /// column `at` of an in-thread read.
    pub(crate) fn from_direct(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(Self {
            id: direct::parsed(r, at)?,
            org_id: direct::parsed(r, at + 1)?,
            email: r.get(at + 2)?,
            name: r.get(at + 3)?,
            role: direct::parsed(r, at + 4)?,
            password_hash: r.get(at + 5)?,
            totp_secret: r.get(at + 6)?,
            totp_enabled: r.get(at + 7)?,
            totp_last_step: r.get(at + 8)?,
            active: r.get(at + 9)?,
            created_at: r.get(at + 10)?,
            updated_at: r.get(at + 11)?,
        })
    }
}

macro_rules! select_users {
    ($rest:expr) => {
        concat!(
            "SELECT id, org_id, email, name, role, password_hash, totp_secret, totp_enabled, totp_last_step, active, created_at, updated_at FROM users ",
            $rest
        )
    };
}

/// Insert a user.
pub async fn insert(tx: &mut Tx, u: &User) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO users (id, org_id, email, name, role, password_hash, totp_secret, totp_enabled, totp_last_step, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(u.id.to_string())
        .bind(u.org_id.to_string())
        .bind(&u.email)
        .bind(&u.name)
        .bind(u.role.as_str())
        .bind(&u.password_hash)
        .bind(&u.totp_secret)
        .bind(u.totp_enabled)
        .bind(u.totp_last_step)
        .bind(u.active)
        .bind(u.created_at)
        .bind(u.updated_at)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    if u.active {
        open_period(tx, u, u.created_at).await?;
    }
    Ok(())
}

/// Open a stretch of the account's history at `at` in its present role,
/// unless one is open already (the history of [`requester_periods`]).
async fn open_period(tx: &mut Tx, u: &User, at: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO account_periods (user_id, org_id, role, active_from) \
         SELECT $1, $2, $3, $4 WHERE NOT EXISTS \
         (SELECT 1 FROM account_periods WHERE user_id = $1 AND active_until IS NULL)")
        .bind(u.id.to_string())
        .bind(u.org_id.to_string())
        .bind(u.role.as_str())
        .bind(at)
        .execute(c).await)?;
    Ok(())
}

/// A user by e-mail, for sign-in (no scope: nobody is signed in yet).
pub async fn find_by_email_for_sign_in(db: &Db, email: &str) -> Result<Option<User>> {
    Ok(
        on_db!(db, c => sqlx::query_as::<_, User>(select_users!("WHERE email = $1"))
        .bind(email).fetch_optional(c).await)?,
    )
}

/// A user by id, for resolving the actor of a session or token.
pub async fn get_for_actor(db: &Db, id: UserId) -> Result<User> {
    db.row(
        select_users!("WHERE id = $1"),
        &[id.to_string().into()],
        |r| User::from_direct(r, 0),
    )
    .await?
    .ok_or(StoreError::NotFound)
}

/// The user, if active and working `client`: its own people, or provider
/// staff assigned to its active engagement. Nobody else may be handed the
/// client's tickets or hear about them.
pub async fn working_client(db: &Db, id: UserId, client: OrgId) -> Result<Option<User>> {
    let sql = select_users!(
        "WHERE id = $1 AND active AND (org_id = $2 OR EXISTS (SELECT 1 FROM engagements e \
         JOIN engagement_engineers a ON a.engagement_id = e.id WHERE e.client_id = $2 \
         AND e.provider_id = users.org_id AND a.user_id = users.id AND e.status = 'active'))"
    );
    db.row(
        sql,
        &[id.to_string().into(), client.to_string().into()],
        |r| User::from_direct(r, 0),
    )
    .await
}

/// Same as [`get_for_actor`] inside a write transaction.
pub async fn get_for_actor_tx(tx: &mut Tx, id: UserId) -> Result<User> {
    on_tx!(tx, c => sqlx::query_as::<_, User>(select_users!("WHERE id = $1"))
        .bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// A user within the caller's scope.
pub async fn find(db: &Db, scope: &Scope, id: UserId) -> Result<User> {
    let sql = select_users!(concat!(
        "WHERE id = $1 AND ",
        scope_filter!("users.org_id", "$2", "$3")
    ));
    on_db!(db, c => sqlx::query_as::<_, User>(sql)
        .bind(id.to_string())
        .bind(scope.user_id.to_string())
        .bind(scope.org_id.to_string())
        .fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// The people of one organization, if it is within the caller's scope.
pub async fn list_in_org(db: &Db, scope: &Scope, org: OrgId) -> Result<Vec<User>> {
    let sql = select_users!(concat!(
        "WHERE org_id = $1 AND ",
        scope_filter!("users.org_id", "$2", "$3"),
        " ORDER BY role, name"
    ));
    Ok(on_db!(db, c => sqlx::query_as::<_, User>(sql)
        .bind(org.to_string())
        .bind(scope.user_id.to_string())
        .bind(scope.org_id.to_string())
        .fetch_all(c).await)?)
}

/// Change name, role and active flag of a user within the caller's scope.
/// The account's history follows in the same transaction: deactivating it
/// or changing its role closes its open stretch at `now`, and an active
/// account without one (just activated, or in its new role) opens one.
pub async fn update_profile(tx: &mut Tx, scope: &Scope, u: &User, now: i64) -> Result<()> {
    let sql = concat!(
        "UPDATE users SET name = $1, role = $2, active = $3, updated_at = $4 WHERE id = $5 AND ",
        scope_filter!("users.org_id", "$6", "$7")
    );
    let n = exec_tx!(tx, c => sqlx::query(sql)
        .bind(&u.name).bind(u.role.as_str()).bind(u.active).bind(now)
        .bind(u.id.to_string()).bind(scope.user_id.to_string()).bind(scope.org_id.to_string())
        .execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    // What stays open: a stretch in the account's present role while it is
    // active; anything else ends now.
    let kept = if u.active { u.role.as_str() } else { "" };
    exec_tx!(tx, c => sqlx::query(
        "UPDATE account_periods SET active_until = $1 \
         WHERE user_id = $2 AND active_until IS NULL AND role <> $3")
        .bind(now).bind(u.id.to_string()).bind(kept)
        .execute(c).await)?;
    if u.active {
        open_period(tx, u, now).await?;
    }
    Ok(())
}

/// Replace a user's password hash.
pub async fn set_password_hash(tx: &mut Tx, id: UserId, hash: &str, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash).bind(now).bind(id.to_string()).execute(c).await)?;
    Ok(())
}

/// Store a TOTP secret and whether it is confirmed.
pub async fn set_totp(
    tx: &mut Tx,
    id: UserId,
    secret: Option<&str>,
    enabled: bool,
    last_step: Option<i64>,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_enabled = $2, totp_last_step = $3 WHERE id = $4")
        .bind(secret).bind(enabled).bind(last_step).bind(id.to_string()).execute(c).await)?;
    Ok(())
}

/// Record the TOTP step just used. Only moves forward, and answers false
/// when another request used the same or a later step first, so a code
/// cannot be replayed even by two concurrent sign-ins.
pub async fn advance_totp_step(tx: &mut Tx, id: UserId, step: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE users SET totp_last_step = $1 WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
        .bind(step).bind(id.to_string()).execute(c).await)?;
    Ok(n == 1)
}

/// The zone a person reads times in: their own choice, else their
/// organization's (a client's calendar zone, else the zone set on the
/// organization: a provider has no calendar of its own).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadingZone {
    /// Their own choice.
    pub own: Option<String>,
    /// Their organization's.
    pub organization: String,
}

impl ReadingZone {
    /// The zone in effect.
    pub fn effective(&self) -> &str {
        self.own.as_deref().unwrap_or(&self.organization)
    }
}

/// A person's [`ReadingZone`].
pub async fn reading_zone(db: &Db, id: UserId) -> Result<ReadingZone> {
    let (own, organization) = db
        .row(
            "SELECT u.time_zone, COALESCE(c.time_zone, o.time_zone) FROM users u \
             JOIN organizations o ON o.id = u.org_id LEFT JOIN calendars c ON c.client_id = u.org_id \
             WHERE u.id = $1",
            &[id.to_string().into()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(ReadingZone { own, organization })
}

/// Set (or, with `None`, clear) a person's own time zone.
pub async fn set_time_zone(tx: &mut Tx, id: UserId, zone: Option<&str>, now: i64) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query("UPDATE users SET time_zone = $1, updated_at = $2 WHERE id = $3")
        .bind(zone).bind(now).bind(id.to_string()).execute(&mut *c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// The stretches in which a client's accounts were active requesters and
/// that overlap `[from, to)` (epoch ms): `(active_from, active_until)`,
/// `None` while still open. Per-user pricing counts them day by day
/// ([`tandem_domain::billing::requesters_by_day`]). The invoice run reads
/// it with nobody behind it, so it takes no scope.
pub async fn requester_periods(
    db: &Db,
    client: OrgId,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, Option<i64>)>> {
    db.rows(
        "SELECT active_from, active_until FROM account_periods \
         WHERE org_id = $1 AND role = 'requester' AND active_from < $3 \
         AND (active_until IS NULL OR active_until > $2) ORDER BY active_from",
        &[client.to_string().into(), from.into(), to.into()],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .await
}
