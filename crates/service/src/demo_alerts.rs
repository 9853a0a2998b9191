//! The monitoring part of the demo: Alder's admin connects its Prometheus
//! Alertmanager and Corvid's admin its backup checks, and each has sent a
//! few alerts through the ordinary intake: a disk filling up (fired three
//! times), a host whose load came back to normal (resolved), and a failed
//! backup job, so the Alerts page and the desk show alert tickets.

use crate::alerts::{AlertmanagerPayload, GenericEvent, NewSource};
use crate::auth::actor_of;
use crate::demo::email_for;
use crate::{RequestMeta, Result, ServiceError, Tandem};
use serde_json::json;
use tandem_domain::alert::{AuthMode, SourceKind};
use tandem_store::orgs::Org;
use tandem_store::users;

fn source(name: &str, kind: SourceKind) -> NewSource {
    NewSource {
        name: name.into(),
        kind,
        auth_mode: AuthMode::Bearer,
        default_category: "network".into(),
        category_label: None,
        impact_label: None,
        device_label: Some("instance".into()),
        group_alerts: false,
        quiet_minutes: None,
        heartbeat_minutes: None,
        storm_per_minute: None,
        rate_per_second: None,
    }
}

/// One Alertmanager notification of `alerts` (status, alertname, instance,
/// severity, summary).
fn notification(alerts: &[(&str, &str, &str, &str, &str)]) -> serde_json::Value {
    let alerts: Vec<_> = alerts
        .iter()
        .map(|(status, name, instance, severity, summary)| {
            json!({
                "status": status,
                "labels": { "alertname": name, "instance": instance, "severity": severity, "job": "node" },
                "annotations": { "summary": summary },
                "startsAt": "2026-12-01T02:14:00Z",
                "endsAt": if *status == "resolved" { "2026-12-01T02:41:00Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus.alder.example:9090/graph",
                "fingerprint": format!("{name}-{instance}"),
            })
        })
        .collect();
    json!({
        "version": "4", "groupKey": "{}:{alertname=\"demo\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "tandem", "groupLabels": {}, "commonLabels": { "job": "node" },
        "commonAnnotations": {}, "externalURL": "http://alertmanager.alder.example:9093",
        "alerts": alerts,
    })
}

/// Connect the sources and send their alerts; `clients` are Alder,
/// Brightwater, Corvid in that order.
pub(crate) async fn seed(t: &Tandem, clients: &[(Org, String)]) -> Result<()> {
    let meta = RequestMeta {
        request_id: "demo-alerts".into(),
        source_addr: "demo".into(),
    };
    let (Some((alder, alder_domain)), Some((corvid, corvid_domain))) =
        (clients.first(), clients.get(2))
    else {
        return Ok(());
    };
    let actor = |email: String| async move {
        users::find_by_email_for_sign_in(&t.db, &email)
            .await?
            .map(|u| actor_of(&u))
            .ok_or(ServiceError::NotFound)
    };

    let priya = actor(email_for("Priya Nair", alder_domain)).await?;
    let (prometheus, _) = t
        .create_alert_source(
            &priya,
            alder.id,
            &source("Prometheus (Alder data centre)", SourceKind::Alertmanager),
            &meta,
        )
        .await?;
    let sends = [
        notification(&[
            (
                "firing",
                "DiskFull",
                "ald-srv-01:9100",
                "critical",
                "Disk /srv is 96% full",
            ),
            (
                "firing",
                "HighLoad",
                "ald-srv-02:9100",
                "warning",
                "Load above 8 for 15 minutes",
            ),
        ]),
        notification(&[
            (
                "firing",
                "DiskFull",
                "ald-srv-01:9100",
                "critical",
                "Disk /srv is 97% full",
            ),
            (
                "resolved",
                "HighLoad",
                "ald-srv-02:9100",
                "warning",
                "Load above 8 for 15 minutes",
            ),
        ]),
        notification(&[(
            "firing",
            "DiskFull",
            "ald-srv-01:9100",
            "critical",
            "Disk /srv is 98% full",
        )]),
    ];
    for payload in sends {
        let incoming = serde_json::from_value::<AlertmanagerPayload>(payload)
            .map_err(|e| ServiceError::Internal(format!("demo alert payload: {e}")))?
            .into_alerts()
            .map_err(|e| ServiceError::Internal(format!("demo alert payload: {}", e.field)))?;
        t.ingest_alerts(&prometheus, &incoming, &meta).await?;
    }

    let ben = actor(email_for("Ben Adeyemi", corvid_domain)).await?;
    let mut backups = source("Backup checks", SourceKind::Generic);
    backups.default_category = "backup-monitoring".into();
    let (backups, _) = t
        .create_alert_source(&ben, corvid.id, &backups, &meta)
        .await?;
    let event = serde_json::from_value::<GenericEvent>(json!({
        "source": "veeam-check",
        "dedup_key": "backup-job-fileserver",
        "status": "firing",
        "severity": "error",
        "summary": "Nightly backup of CRV-SRV-02 failed: repository full",
        "details": { "job": "Fileserver nightly", "repository": "NAS-01" },
        "device": "CRV-SRV-02",
    }))
    .map_err(|e| ServiceError::Internal(format!("demo alert event: {e}")))?
    .into_alert()
    .map_err(|e| ServiceError::Internal(format!("demo alert event: {}", e.field)))?;
    t.ingest_alerts(&backups, &[event], &meta).await?;
    Ok(())
}
