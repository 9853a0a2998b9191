//! Organizations: the provider and its clients.

use crate::{Db, Result, StoreError, Tx, direct, exec_tx, on_db, scope_filter};
use tandem_domain::{OrgId, Scope, Side};

/// An organization as stored.
#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct Org {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: OrgId,
    /// Provider or client.
    #[sqlx(try_from = "String")]
    pub kind: Side,
    /// Display name.
    pub name: String,
    /// Short handle, unique.
    pub slug: String,
    /// Whether all staff must use TOTP to sign in.
    pub require_totp: bool,
    /// Creation instant (epoch ms).
    pub created_at: i64,
    /// Ticket prefix (the upper-cased slug when empty).
    pub ticket_prefix: String,
    /// Moves with every change to the client's desk (set by triggers;
    /// ignored on insert).
    pub desk_version: i64,
    /// The IANA zone its staff read times in unless they chose their own
    /// (a client's calendar zone takes precedence for its staff).
    pub time_zone: String,
}

/// Insert an organization.
pub async fn insert(tx: &mut Tx, org: &Org) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO organizations (id, kind, name, slug, require_totp, created_at, ticket_prefix, time_zone) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
        .bind(org.id.to_string())
        .bind(org.kind.as_str())
        .bind(&org.name)
        .bind(&org.slug)
        .bind(org.require_totp)
        .bind(org.created_at)
        .bind(&org.ticket_prefix)
        .bind(&org.time_zone)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// An organization within the caller's scope.
pub async fn find(db: &Db, scope: &Scope, id: OrgId) -> Result<Org> {
    let sql = concat!(
        "SELECT id, kind, name, slug, require_totp, created_at, ticket_prefix, desk_version, time_zone FROM organizations WHERE id = $1 AND ",
        scope_filter!("organizations.id", "$2", "$3")
    );
    let args = [
        id.to_string().into(),
        scope.user_id.to_string().into(),
        scope.org_id.to_string().into(),
    ];
    db.row(sql, &args, Org::from_direct)
        .await?
        .ok_or(StoreError::NotFound)
}

impl Org {
    /// The organization whose columns (id, kind, name, slug, require_totp,
    /// created_at, ticket_prefix, desk_version, time_zone) make up a row of
    /// an in-place read.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Org {
            id: direct::parsed(r, 0)?,
            kind: direct::parsed(r, 1)?,
            name: r.get(2)?,
            slug: r.get(3)?,
            require_totp: r.get(4)?,
            created_at: r.get(5)?,
            ticket_prefix: r.get(6)?,
            desk_version: r.get(7)?,
            time_zone: r.get(8)?,
        })
    }
}

/// Every organization the caller can see: their own and engaged clients.
pub async fn list_visible(db: &Db, scope: &Scope) -> Result<Vec<Org>> {
    let sql = concat!(
        "SELECT id, kind, name, slug, require_totp, created_at, ticket_prefix, desk_version, time_zone FROM organizations WHERE ",
        scope_filter!("organizations.id", "$1", "$2"),
        " ORDER BY kind DESC, name"
    );
    Ok(on_db!(db, c => sqlx::query_as::<_, Org>(sql)
        .bind(scope.user_id.to_string())
        .bind(scope.org_id.to_string())
        .fetch_all(c).await)?)
}

/// An organization by id, without scope: for resolving the signed-in
/// actor's own organization and for operator commands.
pub async fn get_unscoped(db: &Db, id: OrgId) -> Result<Org> {
    // In place on SQLite: every ticket write and time entry reads its
    // client's organization (the desk cache's version).
    let sql = "SELECT id, kind, name, slug, require_totp, created_at, ticket_prefix, desk_version, time_zone FROM organizations WHERE id = $1";
    db.row(sql, &[id.to_string().into()], Org::from_direct)
        .await?
        .ok_or(StoreError::NotFound)
}

/// An organization by slug, without scope (operator commands, the demo).
pub async fn find_by_slug_unscoped(db: &Db, slug: &str) -> Result<Option<Org>> {
    let sql = "SELECT id, kind, name, slug, require_totp, created_at, ticket_prefix, desk_version, time_zone FROM organizations WHERE slug = $1";
    Ok(on_db!(db, c => sqlx::query_as::<_, Org>(sql).bind(slug).fetch_optional(c).await)?)
}

/// Require (or stop requiring) TOTP for an organization's staff.
pub async fn set_require_totp(tx: &mut Tx, id: OrgId, on: bool) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query("UPDATE organizations SET require_totp = $1 WHERE id = $2")
        .bind(on).bind(id.to_string()).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// Set the zone an organization's staff read times in by default.
pub async fn set_time_zone(tx: &mut Tx, id: OrgId, zone: &str) -> Result<()> {
    let n = exec_tx!(tx, c => sqlx::query("UPDATE organizations SET time_zone = $1 WHERE id = $2")
        .bind(zone).bind(id.to_string()).execute(c).await)?;
    if n == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// How many organizations exist (setup and the demo start only an empty
/// database).
pub async fn count(db: &Db) -> Result<i64> {
    Ok(
        on_db!(db, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM organizations").fetch_one(c).await)?,
    )
}
