//! A client's asset records (the device inventory grown into every kind of
//! thing IT keeps), their custom fields, relations, reminder rules and the
//! ledger of reminders fired. Every call names the client first; the
//! service has checked that the caller may reach it.

use crate::{Arg, Db, Result, StoreError, Tx, direct, exec_tx, on_db, on_tx};
use tandem_domain::asset::{AssetType, ExpiryKind, FieldKind, LinkTarget, ReminderRule};
use tandem_domain::device::{DeviceStatus, name_key};
use tandem_domain::ids::{AssetFieldId, AssetLinkId};
use tandem_domain::{DeviceId, OrgId, TicketId};

/// An asset as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Asset {
    /// Its id (the same id the device inventory gave it).
    #[sqlx(try_from = "String")]
    pub id: DeviceId,
    /// The client it belongs to.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Its name, unique per client without case.
    pub name: String,
    /// What kind of thing it is.
    #[sqlx(try_from = "String")]
    pub asset_type: AssetType,
    /// Active or retired.
    #[sqlx(try_from = "String")]
    pub status: DeviceStatus,
    /// Purchase date (`YYYY-MM-DD`).
    pub acquired_on: Option<String>,
    /// Retirement date.
    pub retired_on: Option<String>,
    /// Bumped by every change.
    pub version: i64,
    /// Creation instant (epoch ms).
    pub created_at: i64,
    /// Last change (epoch ms).
    pub updated_at: i64,
    /// Who added it.
    pub created_by: Option<String>,
    /// The owning person, if one is named.
    pub owner_user_id: Option<String>,
    /// The owner in words.
    pub owner_text: String,
    /// Where it is.
    pub location: String,
    /// Serial number or key.
    pub serial: String,
    /// Who sold it.
    pub vendor: String,
    /// Warranty end.
    pub warranty_end: Option<String>,
    /// Renewal date (licences and domains).
    pub renewal_on: Option<String>,
    /// Certificate not-after date.
    pub cert_not_after: Option<String>,
    /// Certificate subject.
    pub cert_subject: String,
    /// Certificate issuer.
    pub cert_issuer: String,
    /// Certificate subject alternative names, one per line.
    pub cert_sans: String,
    /// Notes.
    pub notes: String,
    /// Lower-cased name, serial and vendor, for the list's search.
    pub search_text: String,
    /// The earliest date of it that runs out (active assets).
    pub next_expiry: Option<String>,
    /// The day the reminder sweep looks at it next.
    pub next_reminder_on: Option<String>,
}

const COLS: &str = "id, client_id, name, asset_type, status, acquired_on, retired_on, version, created_at, updated_at, created_by, \
    owner_user_id, owner_text, location, serial, vendor, warranty_end, renewal_on, cert_not_after, cert_subject, cert_issuer, \
    cert_sans, notes, search_text, next_expiry, next_reminder_on";

/// Add an asset; a name the client uses already (any case) is a conflict.
pub async fn insert(tx: &mut Tx, a: &Asset) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO assets (id, client_id, name, name_key, asset_type, status, acquired_on, retired_on, version, created_at, updated_at, created_by, \
         owner_user_id, owner_text, location, serial, vendor, warranty_end, renewal_on, cert_not_after, cert_subject, cert_issuer, cert_sans, notes, \
         search_text, next_expiry, next_reminder_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27)")
        .bind(a.id.to_string()).bind(a.client_id.to_string()).bind(&a.name).bind(name_key(&a.name))
        .bind(a.asset_type.as_str()).bind(a.status.as_str()).bind(&a.acquired_on).bind(&a.retired_on)
        .bind(a.version).bind(a.created_at).bind(a.updated_at).bind(&a.created_by)
        .bind(&a.owner_user_id).bind(&a.owner_text).bind(&a.location).bind(&a.serial).bind(&a.vendor)
        .bind(&a.warranty_end).bind(&a.renewal_on).bind(&a.cert_not_after).bind(&a.cert_subject).bind(&a.cert_issuer)
        .bind(&a.cert_sans).bind(&a.notes).bind(&a.search_text).bind(&a.next_expiry).bind(&a.next_reminder_on)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Write every field of an asset of `client` if it is still at
/// `expected_version`, moving it to the next version. False when it
/// changed in between (or is not the client's); a name another asset of
/// the client has is a conflict.
pub async fn update(tx: &mut Tx, client: OrgId, a: &Asset, expected_version: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE assets SET name = $1, name_key = $2, asset_type = $3, status = $4, acquired_on = $5, retired_on = $6, updated_at = $7, \
         owner_user_id = $8, owner_text = $9, location = $10, serial = $11, vendor = $12, warranty_end = $13, renewal_on = $14, \
         cert_not_after = $15, cert_subject = $16, cert_issuer = $17, cert_sans = $18, notes = $19, search_text = $20, next_expiry = $21, \
         next_reminder_on = $22, version = version + 1 WHERE client_id = $23 AND id = $24 AND version = $25")
        .bind(&a.name).bind(name_key(&a.name)).bind(a.asset_type.as_str()).bind(a.status.as_str())
        .bind(&a.acquired_on).bind(&a.retired_on).bind(a.updated_at)
        .bind(&a.owner_user_id).bind(&a.owner_text).bind(&a.location).bind(&a.serial).bind(&a.vendor)
        .bind(&a.warranty_end).bind(&a.renewal_on).bind(&a.cert_not_after).bind(&a.cert_subject).bind(&a.cert_issuer)
        .bind(&a.cert_sans).bind(&a.notes).bind(&a.search_text).bind(&a.next_expiry).bind(&a.next_reminder_on)
        .bind(client.to_string()).bind(a.id.to_string()).bind(expected_version)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(n == 1)
}

/// One asset of `client` ([`StoreError::NotFound`] for another client's,
/// the same as a missing one).
pub async fn get(db: &Db, client: OrgId, id: DeviceId) -> Result<Asset> {
    let sql = format!("SELECT {COLS} FROM assets WHERE client_id = $1 AND id = $2");
    on_db!(db, c => sqlx::query_as::<_, Asset>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// [`get`] inside a transaction.
pub async fn get_tx(tx: &mut Tx, client: OrgId, id: DeviceId) -> Result<Asset> {
    let sql = format!("SELECT {COLS} FROM assets WHERE client_id = $1 AND id = $2");
    on_tx!(tx, c => sqlx::query_as::<_, Asset>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(id.to_string()).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// Which of a client's assets a list page shows.
#[derive(Clone, Debug, Default)]
pub struct AssetFilter {
    /// Only this type.
    pub asset_type: Option<AssetType>,
    /// Only this status.
    pub status: Option<DeviceStatus>,
    /// Only assets whose name, serial or vendor contains this (any case).
    pub text: Option<String>,
    /// Only assets with a date running out on or before this day
    /// (`YYYY-MM-DD`), and not before `expiring_from`.
    pub expiring_by: Option<String>,
    /// The first day "expiring" counts from (today).
    pub expiring_from: Option<String>,
    /// The page starts after this name key (the cursor).
    pub after: Option<String>,
    /// Page size.
    pub limit: i64,
}

/// A page of a client's assets in name order, filtered. Every condition
/// runs on an index that starts with the client, so a page reads at most
/// one client's rows.
pub async fn list(db: &Db, client: OrgId, f: &AssetFilter) -> Result<Vec<Asset>> {
    // Only the conditions asked for, each a fixed fragment with its value
    // bound (no text from input): a condition written as "$n = '' OR ..."
    // keeps the planner off the index that would serve it (a type's own
    // names, the dates running out).
    let mut args: Vec<Arg> = vec![client.to_string().into()];
    // Without statistics SQLite would rather walk the client's assets in
    // name order than read the few running out from their own index and
    // sort them (1.9 ms against 0.5 ms at 2,500 assets): it is told.
    let from = match (db.backend(), &f.expiring_by) {
        (crate::Backend::Sqlite, Some(_)) => "assets INDEXED BY assets_client_expiry",
        _ => "assets",
    };
    let mut sql = format!("SELECT {COLS} FROM {from} WHERE client_id = $1");
    let mut and = |fragment: &str, values: Vec<Arg>| {
        let mut f = fragment.to_owned();
        for (i, v) in values.into_iter().enumerate() {
            args.push(v);
            f = f.replace(&format!("${{{i}}}"), &format!("${}", args.len()));
        }
        sql.push_str(" AND ");
        sql.push_str(&f);
    };
    if let Some(t) = f.asset_type {
        and("asset_type = ${0}", vec![t.as_str().into()]);
    }
    if let Some(s) = f.status {
        and("status = ${0}", vec![s.as_str().into()]);
    }
    let like = f.text.as_deref().map_or(String::new(), |t| {
        let escaped = t
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        if escaped.is_empty() {
            String::new()
        } else {
            format!("%{escaped}%")
        }
    });
    if !like.is_empty() {
        and("search_text LIKE ${0} ESCAPE '\\'", vec![like.into()]);
    }
    if let Some(by) = &f.expiring_by {
        and(
            "next_expiry IS NOT NULL AND next_expiry <= ${0} AND next_expiry >= ${1}",
            vec![
                by.as_str().into(),
                f.expiring_from.clone().unwrap_or_default().into(),
            ],
        );
    }
    if let Some(after) = &f.after {
        and("name_key > ${0}", vec![after.as_str().into()]);
    }
    args.push(f.limit.into());
    sql.push_str(&format!(" ORDER BY name_key LIMIT ${}", args.len()));
    db.rows(&sql, &args, Asset::from_direct).await
}

impl Asset {
    /// A row of [`COLS`] read in place.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Asset {
            id: direct::parsed(r, 0)?,
            client_id: direct::parsed(r, 1)?,
            name: r.get(2)?,
            asset_type: direct::parsed(r, 3)?,
            status: direct::parsed(r, 4)?,
            acquired_on: r.get(5)?,
            retired_on: r.get(6)?,
            version: r.get(7)?,
            created_at: r.get(8)?,
            updated_at: r.get(9)?,
            created_by: r.get(10)?,
            owner_user_id: r.get(11)?,
            owner_text: r.get(12)?,
            location: r.get(13)?,
            serial: r.get(14)?,
            vendor: r.get(15)?,
            warranty_end: r.get(16)?,
            renewal_on: r.get(17)?,
            cert_not_after: r.get(18)?,
            cert_subject: r.get(19)?,
            cert_issuer: r.get(20)?,
            cert_sans: r.get(21)?,
            notes: r.get(22)?,
            search_text: r.get(23)?,
            next_expiry: r.get(24)?,
            next_reminder_on: r.get(25)?,
        })
    }
}

/// All of a client's assets of one type (or every type) in name order, for
/// an export.
pub async fn all_of_type(db: &Db, client: OrgId, t: Option<AssetType>) -> Result<Vec<Asset>> {
    let sql = format!(
        "SELECT {COLS} FROM assets WHERE client_id = $1 AND ($2 = '' OR asset_type = $2) ORDER BY name_key"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Asset>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(client.to_string()).bind(t.map_or("", |t| t.as_str())).fetch_all(c).await)?,
    )
}

/// A client's assets inside a transaction (an import compares against them).
pub async fn in_client_tx(tx: &mut Tx, client: OrgId) -> Result<Vec<Asset>> {
    let sql = format!("SELECT {COLS} FROM assets WHERE client_id = $1 ORDER BY name_key");
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, Asset>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(client.to_string()).fetch_all(c).await)?,
    )
}

/// An expiring date of an asset.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Expiring {
    /// The asset.
    #[sqlx(try_from = "String")]
    pub asset_id: DeviceId,
    /// Its name.
    pub name: String,
    /// Its type.
    #[sqlx(try_from = "String")]
    pub asset_type: AssetType,
    /// Which date.
    #[sqlx(try_from = "String")]
    pub kind: ExpiryKind,
    /// The date (`YYYY-MM-DD`).
    pub expires_on: String,
}

/// A client's active assets with a date in `from..=to`, soonest first.
pub async fn expiring_between(
    db: &Db,
    client: OrgId,
    from: &str,
    to: &str,
) -> Result<Vec<Expiring>> {
    let sql = "SELECT id AS asset_id, name, asset_type, 'warranty' AS kind, warranty_end AS expires_on FROM assets \
         WHERE client_id = $1 AND status = 'active' AND warranty_end >= $2 AND warranty_end <= $3 \
         UNION ALL SELECT id, name, asset_type, CASE asset_type WHEN 'domain' THEN 'domain_renewal' ELSE 'licence_renewal' END, renewal_on FROM assets \
         WHERE client_id = $1 AND status = 'active' AND asset_type IN ('software_licence', 'domain') AND renewal_on >= $2 AND renewal_on <= $3 \
         UNION ALL SELECT id, name, asset_type, 'certificate', cert_not_after FROM assets \
         WHERE client_id = $1 AND status = 'active' AND asset_type = 'tls_certificate' AND cert_not_after >= $2 AND cert_not_after <= $3 \
         ORDER BY expires_on, name";
    Ok(on_db!(db, c => sqlx::query_as::<_, Expiring>(sql)
            .bind(client.to_string()).bind(from).bind(to).fetch_all(c).await)?)
}

/// A custom field definition.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FieldDef {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: AssetFieldId,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The asset type it belongs to.
    #[sqlx(try_from = "String")]
    pub asset_type: AssetType,
    /// Its name.
    pub name: String,
    /// The kind of value.
    #[sqlx(try_from = "String")]
    pub kind: FieldKind,
    /// Creation instant.
    pub created_at: i64,
}

/// Define a custom field; a name the type has already is a conflict.
pub async fn insert_field(tx: &mut Tx, f: &FieldDef) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO asset_fields (id, client_id, asset_type, name, name_key, kind, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(f.id.to_string()).bind(f.client_id.to_string()).bind(f.asset_type.as_str()).bind(&f.name)
        .bind(name_key(&f.name)).bind(f.kind.as_str()).bind(f.created_at)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A client's custom fields (of one type, or all), by type and name.
pub async fn fields(db: &Db, client: OrgId, t: Option<AssetType>) -> Result<Vec<FieldDef>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, FieldDef>(
        "SELECT id, client_id, asset_type, name, kind, created_at FROM asset_fields \
         WHERE client_id = $1 AND ($2 = '' OR asset_type = $2) ORDER BY asset_type, name_key")
        .bind(client.to_string()).bind(t.map_or("", |t| t.as_str())).fetch_all(c).await)?)
}

const FIELD_VALUES: &str =
    "SELECT field_id, value FROM asset_field_values WHERE client_id = $1 AND asset_id = $2";

/// An asset's custom values: (field id, value).
pub async fn values(db: &Db, client: OrgId, asset: DeviceId) -> Result<Vec<(String, String)>> {
    Ok(
        on_db!(db, c => sqlx::query_as::<_, (String, String)>(FIELD_VALUES)
        .bind(client.to_string()).bind(asset.to_string()).fetch_all(c).await)?,
    )
}

/// [`values`] inside a write transaction, as an import compares what it
/// is about to write with what is stored.
pub async fn values_tx(
    tx: &mut Tx,
    client: OrgId,
    asset: DeviceId,
) -> Result<Vec<(String, String)>> {
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, (String, String)>(FIELD_VALUES)
        .bind(client.to_string()).bind(asset.to_string()).fetch_all(c).await)?,
    )
}

/// Set (Some) or clear (None) an asset's value of a field.
pub async fn set_value(
    tx: &mut Tx,
    client: OrgId,
    asset: DeviceId,
    field: AssetFieldId,
    value: Option<&str>,
) -> Result<()> {
    match value {
        Some(v) => exec_tx!(tx, c => sqlx::query(
            "INSERT INTO asset_field_values (client_id, asset_id, field_id, value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (asset_id, field_id) DO UPDATE SET value = excluded.value")
            .bind(client.to_string()).bind(asset.to_string()).bind(field.to_string()).bind(v)
            .execute(c).await)?,
        None => exec_tx!(tx, c => sqlx::query(
            "DELETE FROM asset_field_values WHERE client_id = $1 AND asset_id = $2 AND field_id = $3")
            .bind(client.to_string()).bind(asset.to_string()).bind(field.to_string())
            .execute(c).await)?,
    };
    Ok(())
}

/// A relation of an asset.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Link {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: AssetLinkId,
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The asset it starts from.
    #[sqlx(try_from = "String")]
    pub asset_id: DeviceId,
    /// What it points at.
    #[sqlx(try_from = "String")]
    pub target_kind: LinkTarget,
    /// The target's id.
    pub target_id: String,
    /// Creation instant.
    pub created_at: i64,
    /// Who made it.
    pub created_by: Option<String>,
}

/// Relate an asset; the same relation twice is a conflict.
pub async fn insert_link(tx: &mut Tx, l: &Link) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO asset_links (id, client_id, asset_id, target_kind, target_id, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(l.id.to_string()).bind(l.client_id.to_string()).bind(l.asset_id.to_string()).bind(l.target_kind.as_str())
        .bind(&l.target_id).bind(l.created_at).bind(&l.created_by)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Remove a relation of an asset; false when there is none.
pub async fn delete_link(
    tx: &mut Tx,
    client: OrgId,
    asset: DeviceId,
    id: AssetLinkId,
) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "DELETE FROM asset_links WHERE client_id = $1 AND asset_id = $2 AND id = $3")
        .bind(client.to_string()).bind(asset.to_string()).bind(id.to_string()).execute(c).await)?;
    Ok(n == 1)
}

/// An asset's relations, oldest first.
pub async fn links(db: &Db, client: OrgId, asset: DeviceId) -> Result<Vec<Link>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, Link>(
        "SELECT id, client_id, asset_id, target_kind, target_id, created_at, created_by FROM asset_links \
         WHERE client_id = $1 AND asset_id = $2 ORDER BY created_at, id")
        .bind(client.to_string()).bind(asset.to_string()).fetch_all(c).await)?)
}

/// An asset as a related record lists it.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct RelatedAsset {
    /// The asset.
    #[sqlx(try_from = "String")]
    pub id: DeviceId,
    /// Its name.
    pub name: String,
}

/// The client's assets related to one page, ticket or secret, by name:
/// what the record of that page shows as its assets.
pub async fn related_to(
    db: &Db,
    client: OrgId,
    kind: LinkTarget,
    target: &str,
) -> Result<Vec<RelatedAsset>> {
    // From the relations to their assets: SQLite, without statistics,
    // would walk every asset of the client in name order and probe each
    // (8 ms at 2,500 assets); its CROSS JOIN keeps the order written.
    let join = match db.backend() {
        crate::Backend::Sqlite => "CROSS JOIN",
        crate::Backend::Postgres => "JOIN",
    };
    let sql = format!(
        "SELECT a.id, a.name FROM asset_links l {join} assets a ON a.id = l.asset_id \
         WHERE l.client_id = $1 AND l.target_kind = $2 AND l.target_id = $3 AND a.client_id = $1 \
         ORDER BY a.name_key"
    );
    let args = [
        client.to_string().into(),
        kind.as_str().into(),
        target.into(),
    ];
    db.rows(&sql, &args, |r| {
        Ok(RelatedAsset {
            id: direct::parsed(r, 0)?,
            name: r.get(1)?,
        })
    })
    .await
}

/// Whether the client has a record of this kind with this id (the target
/// of a new relation).
pub async fn target_exists_tx(
    tx: &mut Tx,
    client: OrgId,
    kind: LinkTarget,
    target: &str,
) -> Result<bool> {
    // The table comes from the kind, never from input.
    let sql = match kind {
        LinkTarget::Asset => "SELECT COUNT(*) FROM assets WHERE client_id = $1 AND id = $2",
        LinkTarget::Page => "SELECT COUNT(*) FROM doc_pages WHERE client_id = $1 AND id = $2",
        LinkTarget::Ticket => "SELECT COUNT(*) FROM tickets WHERE client_id = $1 AND id = $2",
        LinkTarget::Secret => {
            "SELECT COUNT(*) FROM vault_secrets WHERE client_id = $1 AND id = $2 AND deleted_at IS NULL"
        }
    };
    let n: i64 = on_tx!(tx, c => sqlx::query_scalar(sql)
        .bind(client.to_string()).bind(target).fetch_one(c).await)?;
    Ok(n > 0)
}

/// The reminder rules a client set (kinds it never set are absent).
pub async fn rules(db: &Db, client: OrgId) -> Result<Vec<ReminderRule>> {
    let rows: Vec<(String, i64, bool, String)> = on_db!(db, c => sqlx::query_as(
        "SELECT expiry_kind, days_before, open_ticket, category_key FROM asset_reminder_settings WHERE client_id = $1")
        .bind(client.to_string()).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, days_before, open_ticket, category)| {
            Some(ReminderRule {
                kind: k.parse().ok()?,
                days_before,
                open_ticket,
                category,
            })
        })
        .collect())
}

/// [`rules`] inside a transaction.
pub async fn rules_tx(tx: &mut Tx, client: OrgId) -> Result<Vec<ReminderRule>> {
    let rows: Vec<(String, i64, bool, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT expiry_kind, days_before, open_ticket, category_key FROM asset_reminder_settings WHERE client_id = $1")
        .bind(client.to_string()).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .filter_map(|(k, days_before, open_ticket, category)| {
            Some(ReminderRule {
                kind: k.parse().ok()?,
                days_before,
                open_ticket,
                category,
            })
        })
        .collect())
}

/// Set a client's rule for one kind of expiry.
pub async fn put_rule(tx: &mut Tx, client: OrgId, r: &ReminderRule, now: i64) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO asset_reminder_settings (client_id, expiry_kind, days_before, open_ticket, category_key, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id, expiry_kind) DO UPDATE SET \
         days_before = excluded.days_before, open_ticket = excluded.open_ticket, category_key = excluded.category_key, updated_at = excluded.updated_at")
        .bind(client.to_string()).bind(r.kind.as_str()).bind(r.days_before).bind(r.open_ticket).bind(&r.category).bind(now)
        .execute(c).await)?;
    Ok(())
}

/// The reminders fired for one asset: (kind, date).
pub async fn fired_tx(
    tx: &mut Tx,
    client: OrgId,
    asset: DeviceId,
) -> Result<Vec<(String, String)>> {
    Ok(on_tx!(tx, c => sqlx::query_as::<_, (String, String)>(
        "SELECT expiry_kind, expires_on FROM asset_reminders WHERE client_id = $1 AND asset_id = $2")
        .bind(client.to_string()).bind(asset.to_string()).fetch_all(c).await)?)
}

/// Record a reminder as fired; false when it had been already (another
/// worker fired it first), in which case it must not be announced again.
/// `ticket` is the id reserved for the ticket it opens, written after
/// commit: the row stays pending until [`reminder_ticket_written`].
#[allow(clippy::too_many_arguments)]
pub async fn record_fired(
    tx: &mut Tx,
    client: OrgId,
    asset: DeviceId,
    kind: ExpiryKind,
    expires_on: &str,
    at: i64,
    notified: bool,
    ticket: Option<TicketId>,
) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "INSERT INTO asset_reminders (client_id, asset_id, expiry_kind, expires_on, fired_at, notified, ticket_id, ticket_pending) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (asset_id, expiry_kind, expires_on) DO NOTHING")
        .bind(client.to_string()).bind(asset.to_string()).bind(kind.as_str()).bind(expires_on).bind(at).bind(notified)
        .bind(ticket.map(|t| t.to_string())).bind(ticket.is_some())
        .execute(c).await)?;
    Ok(n == 1)
}

/// A fired reminder whose ticket is reserved but not yet written.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PendingReminderTicket {
    /// The client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The asset.
    #[sqlx(try_from = "String")]
    pub asset_id: DeviceId,
    /// What expires (`warranty`, `domain_renewal`, ...).
    pub expiry_kind: String,
    /// The expiry date the reminder was for.
    pub expires_on: String,
    /// The ticket's reserved id.
    #[sqlx(try_from = "String")]
    pub ticket_id: TicketId,
}

/// Reminders fired at or before `fired_by` whose ticket is still pending,
/// oldest first (the background worker, acting for no one).
pub async fn pending_reminder_tickets(
    db: &Db,
    fired_by: i64,
    limit: i64,
) -> Result<Vec<PendingReminderTicket>> {
    Ok(on_db!(db, c => sqlx::query_as::<_, PendingReminderTicket>(
        "SELECT client_id, asset_id, expiry_kind, expires_on, ticket_id FROM asset_reminders \
         WHERE ticket_pending AND fired_at <= $1 ORDER BY fired_at LIMIT $2")
        .bind(fired_by).bind(limit).fetch_all(c).await)?)
}

/// A reminder's ticket is written (or no longer owed): not pending.
pub async fn reminder_ticket_written(
    tx: &mut Tx,
    client: OrgId,
    asset: DeviceId,
    kind: &str,
    expires_on: &str,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE asset_reminders SET ticket_pending = FALSE \
         WHERE client_id = $1 AND asset_id = $2 AND expiry_kind = $3 AND expires_on = $4")
        .bind(client.to_string()).bind(asset.to_string()).bind(kind).bind(expires_on)
        .execute(c).await)?;
    Ok(())
}

/// Set the day the sweep looks at an asset next (no new version: it is
/// bookkeeping, not a change anyone made).
pub async fn set_next_reminder(
    tx: &mut Tx,
    client: OrgId,
    asset: DeviceId,
    on: Option<&str>,
) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "UPDATE assets SET next_reminder_on = $1 WHERE client_id = $2 AND id = $3")
        .bind(on).bind(client.to_string()).bind(asset.to_string()).execute(c).await)?;
    Ok(())
}

/// Up to `limit` assets (of any client) whose next reminder is due on or
/// before `by` (`YYYY-MM-DD`): one read of a partial index. The sweep
/// passes the latest date anywhere on Earth and checks each client's own
/// date itself.
pub async fn due(db: &Db, by: &str, limit: i64) -> Result<Vec<Asset>> {
    let sql = format!(
        "SELECT {COLS} FROM assets WHERE next_reminder_on IS NOT NULL AND next_reminder_on <= $1 \
         ORDER BY next_reminder_on, id LIMIT $2"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Asset>(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(by).bind(limit).fetch_all(c).await)?,
    )
}

/// Who answers for a side of a client: its in-house IT staff (`in_house`)
/// or the engaged provider's assigned engineers (`provider`), active only.
pub async fn side_staff(tx: &mut Tx, client: OrgId, side: &str) -> Result<Vec<String>> {
    Ok(crate::tickets::side_staff_tx(tx, client, side)
        .await?
        .into_iter()
        .map(|u| u.to_string())
        .collect())
}

/// A client's active admins, by id.
pub async fn client_admins(tx: &mut Tx, client: OrgId) -> Result<Vec<String>> {
    Ok(on_tx!(tx, c => sqlx::query_scalar::<_, String>(
        "SELECT id FROM users WHERE org_id = $1 AND active = TRUE AND role = 'client_admin' ORDER BY id")
        .bind(client.to_string()).fetch_all(c).await)?)
}
