//! `tandem bench-seed --assets N`: N asset records spread over the bench
//! clients, of every type, with serials, vendors and expiry dates spread
//! over the next two years (some past), bulk-inserted in batches, so that
//! the filtered asset list can be measured at 500,000 records.

use std::time::Instant;
use tandem_domain::OrgId;
use tandem_domain::asset::{
    AssetDraft, AssetSpec, AssetType, CertificateFacts, Owner, rules_with_defaults,
};
use tandem_service::Tandem;
use tandem_service::assets::new_asset;
use tandem_store::asset_bulk;

const VENDORS: [&str; 8] = [
    "Lenovo",
    "Dell",
    "HP",
    "Cisco",
    "Microsoft",
    "Adobe",
    "Gandi",
    "Let's Encrypt",
];

/// Load `n` assets over `clients`, `batch` per transaction.
pub async fn load(
    tandem: &Tandem,
    clients: &[OrgId],
    n: usize,
    batch: usize,
) -> anyhow::Result<()> {
    if n == 0 || clients.is_empty() {
        return Ok(());
    }
    let started = Instant::now();
    let now = tandem_service::now_ms();
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let rules = rules_with_defaults(&[]);
    let mut done = 0;
    while done < n {
        let m = batch.min(n - done);
        let mut rows = Vec::with_capacity(m);
        for k in 0..m {
            let i = done + k;
            let client = clients[i % clients.len()];
            let per = i / clients.len();
            let t = AssetType::ALL[per % AssetType::ALL.len()];
            // Deterministic spread: -60..670 days from today.
            let offset = ((i as i64).wrapping_mul(7_919) % 730) - 60;
            let date = today.checked_add(jiff::Span::new().days(offset)).ok();
            let draft = AssetDraft {
                name: format!("{} {per:06}", t.label()),
                asset_type: Some(t),
                owner: Owner {
                    user_id: None,
                    text: format!("Team {}", per % 12),
                },
                location: format!("Site {}", per % 5),
                serial: format!("SN{i:09}"),
                vendor: VENDORS[i % VENDORS.len()].to_owned(),
                warranty_end: t.billing_class().and(date),
                renewal_on: t.renewal_kind().and(date),
                certificate: (t == AssetType::TlsCertificate).then(|| CertificateFacts {
                    not_after: date,
                    ..CertificateFacts::default()
                }),
                ..AssetDraft::default()
            };
            let spec = AssetSpec::new(draft)?;
            rows.push(new_asset(client, None, now, &spec, &rules));
        }
        asset_bulk::insert_assets(&tandem.db, &rows).await?;
        done += m;
        if done % (batch * 10) == 0 || done == n {
            eprintln!(
                "bench-seed: {done}/{n} assets ({:.0}/s)",
                done as f64 / started.elapsed().as_secs_f64().max(1e-9)
            );
        }
    }
    Ok(())
}
