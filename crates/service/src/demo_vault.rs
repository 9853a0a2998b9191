//! The vault part of the demo: each client's admin keeps a few
//! credentials (the office Wi-Fi key, the firewall's admin account, the
//! Microsoft 365 break-glass account, the domain registrar), one overdue
//! for rotation and one due soon; an engineer of the provider and the
//! client's admin have revealed some, so the reveal log shows both sides.

use crate::demo_devices::{assigned_engineer, client_admin};
use crate::secrets::random_token;
use crate::vault::NewSecret;
use crate::{RequestMeta, Result, Tandem};
use jiff::ToSpan;
use tandem_domain::Actor;
use tandem_domain::vault::{SecretSpec, SecretValue};
use tandem_store::orgs::Org;

/// (name, username, URL, days until rotation is due: negative is overdue)
const CREDENTIALS: [(&str, &str, &str, Option<i64>); 4] = [
    ("Office Wi-Fi (PSK)", "", "", Some(-20)),
    (
        "Firewall admin",
        "admin",
        "https://192.168.1.1:8443",
        Some(10),
    ),
    (
        "Microsoft 365 break-glass",
        "breakglass@",
        "https://admin.microsoft.com",
        Some(150),
    ),
    (
        "Domain registrar",
        "it-admin",
        "https://registrar.example",
        None,
    ),
];

pub(crate) async fn seed(
    t: &Tandem,
    provider_staff: &[Actor],
    clients: &[(Org, String)],
) -> Result<()> {
    let meta = RequestMeta {
        request_id: "demo-vault".into(),
        source_addr: "demo".into(),
    };
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    for (client, domain) in clients {
        let engineer = assigned_engineer(t, provider_staff, client).await?;
        let admin = client_admin(t, provider_staff, client).await?;
        let mut ids = Vec::new();
        for (name, user, url, due) in CREDENTIALS {
            let username = if user.ends_with('@') {
                format!("{user}{domain}")
            } else {
                user.to_owned()
            };
            let due = due.and_then(|d| today.checked_add(d.days()).ok());
            let new = NewSecret {
                spec: SecretSpec::new(name, &username, url, due)?,
                secret: SecretValue::parse(&random_token()[..20])?,
                notes: format!("Kept by the {} IT team.", client.name),
            };
            ids.push(t.add_vault_secret(&admin, client.id, &new, &meta).await?.id);
        }
        let browser = "Mozilla/5.0 (demo)";
        for id in &ids[1..3] {
            t.reveal_proved(&engineer, client.id, *id, "password", browser, &meta)
                .await?;
        }
        t.reveal_proved(&admin, client.id, ids[0], "password", browser, &meta)
            .await?;
    }
    Ok(())
}
