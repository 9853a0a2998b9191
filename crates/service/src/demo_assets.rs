//! The asset-record part of the demo, on top of the device inventory
//! (`demo_devices`): each client's admin gives the first workstations and
//! servers a vendor, location and warranty end through the ordinary CSV
//! import (matching by name), then imports the client's licences,
//! domains, certificates and cloud tenants, and makes its printer one. A few dates run out
//! within the next weeks, so reminders and the overview have something to
//! show; every asset type appears.

use crate::{RequestMeta, Result, ServiceError, Tandem};
use jiff::ToSpan;
use jiff::civil::Date;
use std::collections::HashMap;
use tandem_domain::Actor;
use tandem_store::orgs::Org;

/// The device-name prefixes of `demo_devices`, in client order.
const PREFIXES: [&str; 3] = ["ALD", "BWD", "CRV"];

/// The columns of the demo files, each mapped to the asset field of its name.
const COLUMNS: [&str; 9] = [
    "name",
    "asset_type",
    "owner",
    "location",
    "serial",
    "vendor",
    "warranty_end",
    "renewal_on",
    "cert_not_after",
];

/// One client's asset records as an import file; dates counted from
/// `today`. Hardware rows name devices of the inventory, so no device is
/// added and per-device billing counts what it counted before.
fn records_csv(prefix: &str, domain: &str, today: Date) -> String {
    let ahead = |days: i64| today.checked_add(days.days()).unwrap_or(today).to_string();
    let mut out = COLUMNS.join(",");
    out.push('\n');
    let mut row = |cells: [&str; 9]| {
        out.push_str(&tandem_domain::asset::csv_line(&cells));
    };
    // Hardware of the inventory: warranties, some ending soon.
    for i in 1..=20 {
        let name = format!("{prefix}-WS-{i:03}");
        let serial = format!("PF{}{i:04}", prefix.chars().next().unwrap_or('X'));
        let warranty = ahead(if i <= 2 { 12 + i } else { 90 + i * 20 });
        row([
            &name,
            "workstation",
            "",
            "Head office",
            &serial,
            "Lenovo",
            &warranty,
            "",
            "",
        ]);
    }
    for i in 1..=2 {
        let name = format!("{prefix}-SRV-{i:02}");
        let serial = format!("CZ{prefix}{i:03}");
        let warranty = ahead(if i == 1 { 25 } else { 400 });
        row([
            &name,
            "server",
            "Infrastructure",
            "Server room",
            &serial,
            "HPE",
            &warranty,
            "",
            "",
        ]);
    }
    row([
        &format!("{prefix}-NET-01 Core switch"),
        "network_device",
        "Infrastructure",
        "Server room",
        "",
        "Cisco",
        &ahead(330),
        "",
        "",
    ]);
    let licences = [
        ("Microsoft 365 Business Premium", "Microsoft", 200),
        ("Adobe Creative Cloud", "Adobe", 20),
        ("Veeam Backup & Replication", "Veeam", 150),
        ("SentinelOne Control", "SentinelOne", 300),
        ("AutoCAD LT", "Autodesk", 45),
        ("Zoom Workplace", "Zoom", 320),
        ("1Password Business", "1Password", 75),
        ("Windows Server CALs", "Microsoft", 500),
    ];
    for (name, vendor, days) in licences {
        row([
            name,
            "software_licence",
            "IT",
            "",
            "",
            vendor,
            "",
            &ahead(days),
            "",
        ]);
    }
    for (i, d) in [
        domain.to_owned(),
        format!("shop.{domain}"),
        format!("{prefix}-staff.example").to_lowercase(),
    ]
    .iter()
    .enumerate()
    {
        row([
            d,
            "domain",
            "IT",
            "",
            "",
            "Gandi",
            "",
            &ahead(20 + i as i64 * 160),
            "",
        ]);
    }
    for (i, host) in [format!("www.{domain}"), format!("vpn.{domain}")]
        .iter()
        .enumerate()
    {
        row([
            host,
            "tls_certificate",
            "IT",
            "",
            "",
            "Let's Encrypt",
            "",
            "",
            &ahead(18 + i as i64 * 60),
        ]);
    }
    row([
        &format!("{prefix} Microsoft 365 tenant"),
        "cloud_tenant",
        "IT",
        "",
        "",
        "Microsoft",
        "",
        "",
        "",
    ]);
    row([
        &format!("{prefix} AWS account"),
        "cloud_tenant",
        "Infrastructure",
        "",
        "",
        "Amazon",
        "",
        "",
        "",
    ]);
    // The inventory's first "other" device is a printer: it becomes one
    // (and still counts among the other devices); the second stays other.
    row([
        &format!("{prefix}-OTH-01 Printer"),
        "printer",
        "Facilities",
        "Floor 1",
        "",
        "Brother",
        &ahead(230),
        "",
        "",
    ]);
    row([
        &format!("{prefix}-OTH-02 Label printer"),
        "other",
        "Facilities",
        "Dispatch",
        "",
        "Zebra",
        "",
        "",
        "",
    ]);
    out
}

/// Import each client's asset records as its admin.
pub(crate) async fn seed(
    t: &Tandem,
    provider_staff: &[Actor],
    clients: &[(Org, String)],
) -> Result<()> {
    let meta = RequestMeta {
        request_id: "demo-assets".into(),
        source_addr: "demo".into(),
    };
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let mapping: HashMap<String, String> = COLUMNS
        .iter()
        .map(|c| ((*c).to_owned(), (*c).to_owned()))
        .collect();
    for ((client, domain), prefix) in clients.iter().zip(PREFIXES) {
        let admin = crate::demo_devices::client_admin(t, provider_staff, client).await?;
        let report = t
            .import_assets(
                &admin,
                client.id,
                &records_csv(prefix, domain, today),
                Some(&mapping),
                false,
                &meta,
            )
            .await?;
        if !report.problems.is_empty() {
            return Err(ServiceError::Internal(format!(
                "demo assets of {}: {:?}",
                client.name, report.problems
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_domain::asset::read_asset_import;

    #[test]
    fn every_demo_row_is_a_valid_asset_of_every_type() {
        let today: Date = "2026-12-06".parse().expect("a date");
        let text = records_csv("ALD", "alder.example", today);
        let mapping = COLUMNS
            .iter()
            .map(|c| ((*c).to_owned(), (*c).to_owned()))
            .collect();
        let read = read_asset_import(&text, &mapping).expect("readable");
        assert!(read.problems.is_empty(), "{:?}", read.problems);
        for t in tandem_domain::asset::AssetType::ALL {
            assert!(
                read.rows.iter().any(|r| r.spec.asset_type == *t),
                "{t} missing"
            );
        }
    }
}
