//! A client's device inventory, and the count per class on a day that
//! per-device billing reads. Devices are the hardware among the client's
//! asset records (table `assets`, see [`crate::assets`]): workstations,
//! servers, network devices, printers and other devices, a printer read as
//! class `other` (see [`tandem_domain::asset::AssetType::billing_class`]).
//! Licences, domains, certificates and cloud tenants are not devices.

use crate::{Db, Result, StoreError, Tx, exec_tx, on_db, on_tx, scope_filter};
use jiff::civil::Date;
use tandem_domain::asset::AssetType;
use tandem_domain::device::{DeviceClass, DeviceCounts, DeviceStatus, name_key};
use tandem_domain::{DeviceId, OrgId, Scope};

/// A device as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Device {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: DeviceId,
    /// The client it belongs to.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Its name, unique per client without case.
    pub name: String,
    /// What kind of device.
    #[sqlx(try_from = "String")]
    pub class: DeviceClass,
    /// Active or retired.
    #[sqlx(try_from = "String")]
    pub status: DeviceStatus,
    /// When it came into use (`YYYY-MM-DD`), if known.
    pub acquired_on: Option<String>,
    /// When it left service (`YYYY-MM-DD`), for retired devices.
    pub retired_on: Option<String>,
    /// Bumped by every change; a change names the version it was made on.
    pub version: i64,
    /// Creation instant (epoch ms).
    pub created_at: i64,
    /// Last change (epoch ms).
    pub updated_at: i64,
    /// Who added it (absent for devices added by the system).
    pub created_by: Option<String>,
}

const COLS: &str = "id, client_id, name, CASE WHEN asset_type = 'printer' THEN 'other' ELSE asset_type END AS class, \
    status, acquired_on, retired_on, version, created_at, updated_at, created_by";

/// The asset types that are devices.
const HARDWARE: &str =
    "asset_type IN ('workstation', 'server', 'network_device', 'printer', 'other')";

/// Add a device; a name already used by the client (in any case) is a
/// [`StoreError::Conflict`].
pub async fn insert(tx: &mut Tx, d: &Device) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO assets (id, client_id, name, name_key, asset_type, status, acquired_on, retired_on, version, created_at, updated_at, created_by, search_text) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $4)")
        .bind(d.id.to_string()).bind(d.client_id.to_string()).bind(&d.name).bind(name_key(&d.name))
        .bind(d.class.as_str()).bind(d.status.as_str()).bind(&d.acquired_on).bind(&d.retired_on)
        .bind(d.version).bind(d.created_at).bind(d.updated_at).bind(&d.created_by)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// Write a device's fields (name, class, status, dates, `updated_at`) if it
/// is still at `expected_version`, and move it to the next version. False
/// when someone changed it in between (nothing is written); a name another
/// device of the client has is a [`StoreError::Conflict`].
pub async fn update(tx: &mut Tx, d: &Device, expected_version: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(
        "UPDATE assets SET name = $1, name_key = $2, \
         asset_type = CASE WHEN asset_type = 'printer' AND $3 = 'other' THEN 'printer' ELSE $3 END, status = $4, acquired_on = $5, retired_on = $6, \
         updated_at = $7, version = version + 1, \
         search_text = $2 || substr(search_text, length(name_key) + 1) \
         WHERE id = $8 AND version = $9")
        .bind(&d.name).bind(name_key(&d.name)).bind(d.class.as_str()).bind(d.status.as_str())
        .bind(&d.acquired_on).bind(&d.retired_on).bind(d.updated_at).bind(d.id.to_string()).bind(expected_version)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(n == 1)
}

/// A client's devices in name order, if the client is within scope.
pub async fn list(db: &Db, scope: &Scope, client: OrgId) -> Result<Vec<Device>> {
    let sql = format!(
        "SELECT {COLS} FROM assets WHERE client_id = $1 AND {HARDWARE} AND {} ORDER BY name_key",
        scope_filter!("assets.client_id", "$2", "$3")
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Device>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).bind(scope.user_id.to_string()).bind(scope.org_id.to_string())
        .fetch_all(c).await)?,
    )
}

/// One device, if its client is within scope ([`StoreError::NotFound`]
/// otherwise, the same as a missing one).
pub async fn get(db: &Db, scope: &Scope, id: DeviceId) -> Result<Device> {
    let sql = format!(
        "SELECT {COLS} FROM assets WHERE id = $1 AND {HARDWARE} AND {}",
        scope_filter!("assets.client_id", "$2", "$3")
    );
    on_db!(db, c => sqlx::query_as::<_, Device>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(id.to_string()).bind(scope.user_id.to_string()).bind(scope.org_id.to_string())
        .fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// A client's devices inside a transaction, for an import to compare
/// against (the caller has checked scope).
pub async fn in_client_tx(tx: &mut Tx, client: OrgId) -> Result<Vec<Device>> {
    let sql =
        format!("SELECT {COLS} FROM assets WHERE client_id = $1 AND {HARDWARE} ORDER BY name_key");
    Ok(
        on_tx!(tx, c => sqlx::query_as::<_, Device>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(client.to_string()).fetch_all(c).await)?,
    )
}

/// A client's devices that count on some day of `first..=last`: class,
/// acquisition and retirement dates (the billing run counts them day by
/// day with [`tandem_domain::device::active_on`]). Like [`count_active`],
/// it takes no scope.
pub async fn dated_between(
    db: &Db,
    client: OrgId,
    first: Date,
    last: Date,
) -> Result<Vec<(DeviceClass, Option<Date>, Option<Date>)>> {
    let rows: Vec<(String, Option<String>, Option<String>)> = db
        .rows(
            "SELECT CASE WHEN asset_type = 'printer' THEN 'other' ELSE asset_type END, acquired_on, retired_on FROM assets \
             WHERE client_id = $1 AND asset_type IN ('workstation', 'server', 'network_device', 'printer', 'other') \
             AND (acquired_on IS NULL OR acquired_on <= $3) AND (retired_on IS NULL OR retired_on > $2)",
            &[
                client.to_string().into(),
                first.to_string().into(),
                last.to_string().into(),
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .await?;
    // The table's CHECKs admit known classes and ISO dates only.
    let date = |d: Option<String>| d.and_then(|d| d.parse().ok());
    Ok(rows
        .into_iter()
        .filter_map(|(class, a, r)| Some((class.parse().ok()?, date(a), date(r))))
        .collect())
}

/// How many of a client's devices of each class are active on `on`:
/// acquired on or before it (or on an unknown date) and not retired on or
/// before it. The billing run calls this with no person behind it, so it
/// takes no scope: a caller acting for a person checks that person's
/// access to the client first.
pub async fn count_active(db: &Db, client: OrgId, on: Date) -> Result<DeviceCounts> {
    // Read in place on SQLite: the invoice run asks once per day of the
    // month for every per-device agreement.
    let rows: Vec<(String, i64)> = db
        .rows(
            "SELECT asset_type, COUNT(*) FROM assets WHERE client_id = $1 \
             AND asset_type IN ('workstation', 'server', 'network_device', 'printer', 'other') \
             AND (acquired_on IS NULL OR acquired_on <= $2) AND (retired_on IS NULL OR retired_on > $2) \
             GROUP BY asset_type",
            &[client.to_string().into(), on.to_string().into()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .await?;
    let mut counts = DeviceCounts::default();
    for (class, n) in rows {
        // Printers count among the other devices.
        if let Some(class) = class
            .parse::<AssetType>()
            .ok()
            .and_then(AssetType::billing_class)
        {
            counts.add(class, n);
        }
    }
    Ok(counts)
}
