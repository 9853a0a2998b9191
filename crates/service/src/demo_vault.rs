//! The vault part of the demo: each client's admin keeps a few
//! credentials (the office Wi-Fi key, the firewall's admin account, the
//! Microsoft 365 break-glass account, the domain registrar), one overdue
//! for rotation and one due soon; an engineer of the provider and the
//! client's admin have revealed some, so the reveal log shows both sides.

use crate::auth::actor_of;
use crate::secrets::random_token;
use crate::vault::NewSecret;
use crate::{RequestMeta, Result, ServiceError, Tandem};
use jiff::ToSpan;
use tandem_domain::vault::{SecretSpec, SecretValue};
use tandem_domain::{Actor, Role};
use tandem_store::engagements;
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
        let engagement = engagements::active_for_client(&t.db, client.id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let assigned: Vec<_> = engagements::assignments(&t.db, engagement.id)
            .await?
            .into_iter()
            .map(|a| a.user_id)
            .collect();
        let engineer = provider_staff
            .iter()
            .find(|a| a.role == Role::ProviderEngineer && assigned.contains(&a.user_id))
            .ok_or(ServiceError::NotFound)?;
        let admin = t
            .list_users(engineer, client.id)
            .await?
            .iter()
            .find(|u| u.role == Role::ClientAdmin)
            .map(actor_of)
            .ok_or(ServiceError::NotFound)?;
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
            t.reveal_proved(engineer, client.id, *id, "password", browser, &meta)
                .await?;
        }
        t.reveal_proved(&admin, client.id, ids[0], "password", browser, &meta)
            .await?;
    }
    Ok(())
}
