//! The device-inventory part of the demo: each client's admin imports a
//! plausible inventory (workstations, servers, network gear, a printer or
//! two, a few devices retired lately) through the ordinary CSV import.

use crate::auth::actor_of;
use crate::{RequestMeta, Result, ServiceError, Tandem};
use jiff::ToSpan;
use jiff::civil::Date;
use tandem_domain::{Actor, Role};
use tandem_store::engagements;
use tandem_store::orgs::Org;

/// One client's inventory: a name prefix and how many devices of each kind
/// are in use, and how many workstations and servers were retired lately.
struct Inventory {
    prefix: &'static str,
    workstations: usize,
    servers: usize,
    network: usize,
    other: usize,
    retired_workstations: usize,
    retired_servers: usize,
}

/// In the order of the demo's clients: Alder, Brightwater, Corvid.
const INVENTORIES: [Inventory; 3] = [
    Inventory {
        prefix: "ALD",
        workstations: 40,
        servers: 3,
        network: 6,
        other: 2,
        retired_workstations: 3,
        retired_servers: 1,
    },
    Inventory {
        prefix: "BWD",
        workstations: 24,
        servers: 2,
        network: 5,
        other: 4,
        retired_workstations: 2,
        retired_servers: 0,
    },
    Inventory {
        prefix: "CRV",
        workstations: 85,
        servers: 9,
        network: 14,
        other: 6,
        retired_workstations: 6,
        retired_servers: 2,
    },
];

/// The import file for one inventory, with dates counted back from `today`.
fn inventory_csv(inv: &Inventory, today: Date) -> String {
    let mut out = String::from("name,class,status,acquired_on,retired_on\n");
    let ago = |days: i64| today.checked_sub(days.days()).unwrap_or(today).to_string();
    let network = ["Core switch", "Firewall", "Access point", "Edge router"];
    let other = ["Printer", "Label printer", "Conference phone"];
    for i in 0..inv.workstations {
        // Bought over the last four years; some before records were kept.
        let acquired = if i % 9 == 4 {
            String::new()
        } else {
            ago(30 + (i as i64 * 37) % 1400)
        };
        out.push_str(&format!(
            "{}-WS-{:03},Workstation,Active,{acquired},\n",
            inv.prefix,
            i + 1
        ));
    }
    for i in 0..inv.retired_workstations {
        out.push_str(&format!(
            "{}-WS-R{:02},Workstation,Retired,{},{}\n",
            inv.prefix,
            i + 1,
            ago(1700 + i as i64 * 20),
            ago(20 + i as i64 * 45)
        ));
    }
    for i in 0..inv.servers {
        out.push_str(&format!(
            "{}-SRV-{:02},Server,Active,{},\n",
            inv.prefix,
            i + 1,
            ago(200 + i as i64 * 160)
        ));
    }
    for i in 0..inv.retired_servers {
        out.push_str(&format!(
            "{}-SRV-R{:02},Server,Retired,{},{}\n",
            inv.prefix,
            i + 1,
            ago(2000 + i as i64 * 30),
            ago(60 + i as i64 * 30)
        ));
    }
    for i in 0..inv.network {
        out.push_str(&format!(
            "{}-NET-{:02} {},Network device,Active,{},\n",
            inv.prefix,
            i + 1,
            network[i % network.len()],
            ago(100 + i as i64 * 90)
        ));
    }
    for i in 0..inv.other {
        out.push_str(&format!(
            "{}-OTH-{:02} {},Other,Active,{},\n",
            inv.prefix,
            i + 1,
            other[i % other.len()],
            ago(50 + i as i64 * 120)
        ));
    }
    out
}

/// A client's admin, as an actor: the demo's inventory (and its asset
/// records, see `demo_assets`) are loaded as them.
pub(crate) async fn client_admin(
    t: &Tandem,
    provider_staff: &[Actor],
    client: &Org,
) -> Result<Actor> {
    // The client's people are read as one of its assigned engineers: a
    // real actor's scope, like every other store call.
    let reader = assigned_engineer(t, provider_staff, client).await?;
    t.list_users(&reader, client.id)
        .await?
        .iter()
        .find(|u| u.role == Role::ClientAdmin)
        .map(actor_of)
        .ok_or(ServiceError::NotFound)
}

/// An engineer assigned to the client's active engagement, as an actor:
/// the demo does the provider side's part as them.
pub(crate) async fn assigned_engineer(
    t: &Tandem,
    provider_staff: &[Actor],
    client: &Org,
) -> Result<Actor> {
    let engagement = engagements::active_for_client(&t.db, client.id)
        .await?
        .ok_or(ServiceError::NotFound)?;
    let assigned: Vec<_> = engagements::assignments(&t.db, engagement.id)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect();
    provider_staff
        .iter()
        .find(|a| a.role == Role::ProviderEngineer && assigned.contains(&a.user_id))
        .cloned()
        .ok_or(ServiceError::NotFound)
}

/// Import each client's inventory as its admin.
pub(crate) async fn seed(
    t: &Tandem,
    provider_staff: &[Actor],
    clients: &[(Org, String)],
) -> Result<()> {
    let meta = RequestMeta {
        request_id: "demo-devices".into(),
        source_addr: "demo".into(),
    };
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    for ((client, _), inv) in clients.iter().zip(&INVENTORIES) {
        let admin = client_admin(t, provider_staff, client).await?;
        t.import_devices(
            &admin,
            client.id,
            inventory_csv(inv, today).as_bytes(),
            &meta,
        )
        .await
        .map_err(|e| match e {
            crate::devices::ImportError::Service(e) => e,
            refused => ServiceError::Internal(format!("demo inventory: {refused}")),
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_inventory_is_a_valid_import() {
        let today: Date = "2026-06-15".parse().expect("date");
        for inv in &INVENTORIES {
            let rows = tandem_domain::device::parse_import(&inventory_csv(inv, today))
                .expect("the demo's file imports");
            assert_eq!(
                rows.len(),
                inv.workstations
                    + inv.servers
                    + inv.network
                    + inv.other
                    + inv.retired_workstations
                    + inv.retired_servers
            );
        }
    }
}
