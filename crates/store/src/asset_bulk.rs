//! Bulk loading of asset records (the benchmarks' data set): many rows per
//! statement, one transaction per call, with the statement shape of
//! [`crate::bulk`].

use crate::assets::Asset;
use crate::bulk::values_sql;
use crate::{Backend, Db, Result, StoreError, exec_tx};
use tandem_domain::device::name_key;

/// Columns of an asset row as loaded.
const COLS: &str = "id, client_id, name, name_key, asset_type, status, acquired_on, retired_on, version, created_at, \
    updated_at, created_by, owner_text, location, serial, vendor, warranty_end, renewal_on, cert_not_after, search_text, \
    next_expiry, next_reminder_on";
/// How many columns [`COLS`] names.
const WIDTH: usize = 22;
/// Rows per statement: 1,000 x 22 placeholders stay below SQLite's 32,766.
const PER_STATEMENT: usize = 1_000;

/// Insert assets (names must be free per client) in one transaction.
pub async fn insert_assets(db: &Db, assets: &[Asset]) -> Result<()> {
    let numbered = db.backend() == Backend::Postgres;
    let mut tx = db.begin().await?;
    for chunk in assets.chunks(PER_STATEMENT) {
        let sql = values_sql("assets", COLS, WIDTH, chunk.len(), numbered);
        exec_tx!(&mut tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for a in chunk {
                q = q
                    .bind(a.id.to_string())
                    .bind(a.client_id.to_string())
                    .bind(a.name.clone())
                    .bind(name_key(&a.name))
                    .bind(a.asset_type.as_str())
                    .bind(a.status.as_str())
                    .bind(a.acquired_on.clone())
                    .bind(a.retired_on.clone())
                    .bind(a.version)
                    .bind(a.created_at)
                    .bind(a.updated_at)
                    .bind(a.created_by.clone())
                    .bind(a.owner_text.clone())
                    .bind(a.location.clone())
                    .bind(a.serial.clone())
                    .bind(a.vendor.clone())
                    .bind(a.warranty_end.clone())
                    .bind(a.renewal_on.clone())
                    .bind(a.cert_not_after.clone())
                    .bind(a.search_text.clone())
                    .bind(a.next_expiry.clone())
                    .bind(a.next_reminder_on.clone());
            }
            q.execute(c).await
        })
        .map_err(StoreError::from_write)?;
    }
    tx.commit().await
}
