//! Monitoring alerts into the shared desk: a client's intake sources
//! (created by either side's admin, each with a key shown once and kept
//! only as a hash), the two payloads they send (Prometheus Alertmanager's
//! webhook and a generic JSON event), and what an alert does to the desk.
//!
//! An alert is known by its source and dedup key (Alertmanager's
//! fingerprint, or the event's `dedup_key`). A new one opens a ticket
//! through the desk's own path ([`Tandem::open_reserved_ticket`]: the split, the
//! client's calendar, priority from impact x urgency, the SLA), opened as
//! the source's own inactive account. One that fires again while its
//! ticket is open is counted on it, with an entry on the timeline; once
//! the ticket is resolved or closed, the next firing opens a new one. A
//! resolved alert is noted on its ticket, and so is the moment the last
//! firing alert of a ticket resolves. The same event sent again (the same
//! content as the alert's last event) changes nothing and is answered the
//! same.
//!
//! Two controls stand between a new alert and its ticket. Inside one of
//! the client's maintenance windows ([`crate::maintenance`]) the alert is
//! stored, marked with the window, and opens nothing until it is sent
//! firing outside every window. Past the source's `storm_per_minute` new
//! tickets a clock minute (counted in the database, per source), new
//! alerts join the source's one "Alert storm" ticket instead. The windows
//! are read once per request and the flood count at most once, so the
//! path stays at one indexed read per alert.
//!
//! A new ticket's id is stored with the alert before the ticket is written;
//! should the process die in between, the alert sent again finds its ticket
//! missing and opens it under that id, so a retry never opens two.

use crate::audit::{Entry, record};
use crate::desk::{NewTicket, Source as TicketSource, Visibility, event};
use crate::secrets::{random_token, sha256_hex};
use crate::{RequestMeta, Result, ServiceError, Tandem, alert_sweeps, now_ms};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use subtle::ConstantTimeEq;
use tandem_domain::alert::{
    AlertStatus, AuthMode, SourceKind, impact_of_label, severity_impact_urgency, timestamp_fresh,
};
use tandem_domain::alert_control::{
    DEFAULT_RATE_PER_SECOND, DEFAULT_STORM_PER_MINUTE, FloodCount, MaintenanceSchedule,
    TokenBucket, severity_rank,
};
use tandem_domain::policy::{self, Action};
use tandem_domain::ticket::TicketStatus;
use tandem_domain::{Actor, AlertSourceId, OrgId, Role, TicketId, ValidationError};
use tandem_store::alerts::{self, FiringAlert};
pub use tandem_store::alerts::{Alert, Source};
use tandem_store::orgs::Org;
use tandem_store::users::{self, User};
use tandem_store::{Tx, maintenance};

/// Every source key starts with this, so secret scanners can recognise a leak.
pub const SOURCE_KEY_PREFIX: &str = "tdi_";

/// Largest intake body accepted, in bytes (larger ones are answered 413).
pub const INTAKE_MAX_BYTES: usize = 1024 * 1024;

/// Most alerts one request may carry.
pub const INTAKE_MAX_ALERTS: usize = 1000;

/// A new intake source as an admin describes it.
#[derive(Clone, Debug)]
pub struct NewSource {
    /// 1-100 printable characters.
    pub name: String,
    /// What it sends.
    pub kind: SourceKind,
    /// How it proves who it is.
    pub auth_mode: AuthMode,
    /// A category key of the client, for alerts whose labels name none.
    pub default_category: String,
    /// The label whose value is the category key.
    pub category_label: Option<String>,
    /// The label whose value is the impact.
    pub impact_label: Option<String>,
    /// The label whose value names the device.
    pub device_label: Option<String>,
    /// Whether the alerts of one Alertmanager group share one ticket.
    pub group_alerts: bool,
    /// Minutes a ticket whose alerts have all resolved waits before it
    /// resolves itself (0-10080; [`crate::alert_sweeps::DEFAULT_QUIET_MINUTES`] when absent).
    pub quiet_minutes: Option<i64>,
    /// Minutes between promised heartbeats (1-10080; absent: no dead
    /// man's switch).
    pub heartbeat_minutes: Option<i64>,
    /// New tickets a minute before its alerts join one alert storm ticket
    /// (0-100000, 0: never; [`DEFAULT_STORM_PER_MINUTE`] when absent).
    pub storm_per_minute: Option<i64>,
    /// Intake requests a second it may send, with a burst of twice that
    /// (0-100000, 0: unlimited; [`DEFAULT_RATE_PER_SECOND`] when absent).
    pub rate_per_second: Option<i64>,
}

/// One alert as the desk reads it, whichever payload it came in.
#[derive(Clone, Debug)]
pub struct IncomingAlert {
    /// Fingerprint or dedup key.
    pub dedup_key: String,
    /// Alertmanager's group key (empty for generic events).
    pub group_key: String,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// As the sender said it (`critical`, `warning`, ...).
    pub severity: String,
    /// One line: the ticket's title.
    pub summary: String,
    /// The rest: the ticket's description.
    pub details: String,
    /// Labels the source's mappings read.
    pub labels: BTreeMap<String, String>,
    /// The device the sender named itself.
    pub device: Option<String>,
    /// The event's content, canonical: the same event has the same text.
    pub content: String,
    /// A heartbeat (Alertmanager's `Watchdog`, a generic event of kind
    /// `heartbeat`): proof that monitoring works, never a ticket.
    pub heartbeat: bool,
}

/// What became of one alert of a request; the same request sent again
/// gets the same answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AlertReceipt {
    /// The alert's fingerprint or dedup key.
    pub dedup_key: String,
    /// The ticket it opened or joined (none for a resolution of an alert
    /// never heard of firing).
    pub ticket_id: Option<TicketId>,
}

/// Each source's token bucket for the intake endpoints.
///
/// Per process, in memory: the limit protects this process from a sender
/// gone wild, so several processes behind a balancer each allow the rate
/// (the database is not asked, which keeps the check at a few nanoseconds
/// under 10,000 alerts a second). The lock is held only for the bucket
/// arithmetic, never across an await.
#[derive(Debug, Default)]
pub struct IntakeLimiter {
    buckets: std::sync::Mutex<HashMap<AlertSourceId, TokenBucket>>,
}

impl IntakeLimiter {
    /// Take one request of `source` at `now_ms` within `rate` requests a
    /// second (0: unlimited); when over, the whole seconds to wait.
    pub fn admit(
        &self,
        source: AlertSourceId,
        rate: i64,
        now_ms: i64,
    ) -> std::result::Result<(), u64> {
        if rate <= 0 {
            return Ok(());
        }
        // A poisoned lock only means a panic elsewhere mid-arithmetic; the
        // buckets stay usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        buckets
            .entry(source)
            .or_insert_with(|| TokenBucket::full(rate, now_ms))
            .take(rate, now_ms)
    }
}

/// A firing alert with what a page shows of its ticket.
#[derive(Clone, Debug)]
pub struct FiringView {
    /// The alert.
    pub alert: Alert,
    /// The name of the source that sent it.
    pub source_name: String,
    /// `ALDER-12`, once the ticket is written.
    pub ticket_label: Option<String>,
    /// The ticket's title.
    pub ticket_title: Option<String>,
    /// The ticket's status code.
    pub ticket_status: Option<String>,
    /// Held back by a maintenance window: its reason (the alert opens its
    /// ticket if it fires again outside every window).
    pub maintenance_reason: Option<String>,
    /// Whether it joined its source's current alert storm ticket.
    pub storm: bool,
}

fn name_of(raw: &str) -> Result<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(ValidationError::new("name", "must be 1-100 printable characters").into());
    }
    Ok(n.to_owned())
}

fn label_of(field: &'static str, raw: &Option<String>) -> Result<Option<String>> {
    match raw.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(l) if l.len() <= 100 && l.chars().all(|c| c.is_ascii_graphic()) => {
            Ok(Some(l.to_owned()))
        }
        Some(_) => {
            Err(ValidationError::new(field, "must be a label name of 1-100 characters").into())
        }
    }
}

/// A per-source limit: 0 (off) to 100,000, `default` when absent.
fn limit_of(field: &'static str, raw: Option<i64>, default: i64) -> Result<i64> {
    let v = raw.unwrap_or(default);
    if !(0..=100_000).contains(&v) {
        return Err(ValidationError::new(field, "must be 0-100000 (0: no limit)").into());
    }
    Ok(v)
}

/// One line of at most `max` characters, without control characters.
fn one_line(raw: &str, max: usize) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .chars()
        .take(max)
        .collect()
}

/// The HMAC-SHA256 signature (lowercase hex) of a signed intake request:
/// keyed with the lowercase hex SHA-256 of the source's key, over
/// `timestamp + "." + body`.
pub fn intake_signature(key_hash: &str, timestamp: &str, body: &[u8]) -> Result<String> {
    crate::secrets::hmac_sha256_hex(key_hash.as_bytes(), timestamp, body)
}

impl Tandem {
    /// The client whose alerts `actor` wants to reach with `action`.
    pub(crate) async fn alerts_client(
        &self,
        actor: &Actor,
        action: Action,
        client: OrgId,
    ) -> Result<Org> {
        let (found, relation) = self.client_only(actor, client).await?;
        crate::decided(policy::decide_alerts(actor.role, action, relation))?;
        found.ok_or(ServiceError::NotFound)
    }

    /// A client's intake sources, newest first.
    pub async fn alert_sources(&self, actor: &Actor, client: OrgId) -> Result<Vec<Source>> {
        self.alerts_client(actor, Action::ViewAlerts, client)
            .await?;
        Ok(alerts::sources(&self.db, client).await?)
    }

    /// Whether `actor` may create and revoke the client's sources (pages
    /// show the forms only then); a client out of reach is not found.
    pub async fn may_manage_alert_sources(&self, actor: &Actor, client: OrgId) -> Result<bool> {
        match self
            .alerts_client(actor, Action::ManageAlertSources, client)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// A client's firing alerts with their tickets, most recent first.
    pub async fn firing_alerts(&self, actor: &Actor, client: OrgId) -> Result<Vec<FiringView>> {
        let org = self
            .alerts_client(actor, Action::ViewAlerts, client)
            .await?;
        let names: HashMap<AlertSourceId, String> = alerts::sources(&self.db, client)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect();
        let prefix = if org.ticket_prefix.is_empty() {
            org.slug.to_uppercase()
        } else {
            org.ticket_prefix.clone()
        };
        // Every window, over or not: an alert held by a window that has
        // since ended still shows why it has no ticket.
        let reasons: HashMap<String, String> = maintenance::current(&self.db, client, i64::MIN)
            .await?
            .into_iter()
            .map(|w| (w.id.to_string(), w.reason))
            .collect();
        let storms: std::collections::HashSet<String> = alerts::storm_tickets(&self.db, client)
            .await?
            .into_iter()
            .collect();
        Ok(alerts::firing(&self.db, client, 500)
            .await?
            .into_iter()
            .map(|f: FiringAlert| FiringView {
                source_name: names.get(&f.alert.source_id).cloned().unwrap_or_default(),
                ticket_label: f
                    .ticket_number
                    .map(|n| crate::desk::ticket_label(&prefix, n)),
                ticket_title: f.ticket_title,
                ticket_status: f.ticket_status,
                maintenance_reason: f.alert.maintenance_id.as_ref().map(|m| {
                    reasons
                        .get(m)
                        .cloned()
                        .unwrap_or_else(|| "maintenance (window deleted)".into())
                }),
                storm: storms.contains(&f.alert.ticket_id.to_string()),
                alert: f.alert,
            })
            .collect())
    }

    /// Create a source; its key is returned once and never again.
    pub async fn create_alert_source(
        &self,
        actor: &Actor,
        client: OrgId,
        input: &NewSource,
        meta: &RequestMeta,
    ) -> Result<(Source, String)> {
        let org = self
            .alerts_client(actor, Action::ManageAlertSources, client)
            .await?;
        let name = name_of(&input.name)?;
        let category_label = label_of("category_label", &input.category_label)?;
        let impact_label = label_of("impact_label", &input.impact_label)?;
        let device_label = label_of("device_label", &input.device_label)?;
        let (quiet_minutes, heartbeat_minutes) = crate::alert_sweeps::watch_of(input)?;
        let storm_per_minute = limit_of(
            "storm_per_minute",
            input.storm_per_minute,
            DEFAULT_STORM_PER_MINUTE,
        )?;
        let rate_per_second = limit_of(
            "rate_per_second",
            input.rate_per_second,
            DEFAULT_RATE_PER_SECOND,
        )?;
        let desk = self.desk_of(actor, &org).await?;
        let category = input.default_category.trim();
        if !desk.categories.iter().any(|c| c.key == category) {
            return Err(ValidationError::new(
                "default_category",
                format!("{category:?} is not a category of this client"),
            )
            .into());
        }
        let now = now_ms();
        let id = AlertSourceId::new();
        let key = format!("{SOURCE_KEY_PREFIX}{}", random_token());
        // The account the source's tickets are opened as: a requester of
        // the client that never signs in (inactive, no usable password).
        let account = User {
            id: tandem_domain::UserId::new(),
            org_id: client,
            email: format!("alerts+{}@intake.tandem.invalid", id.0.simple()),
            name: one_line(&format!("{name} (monitoring)"), 200),
            role: Role::Requester,
            password_hash: "!".into(),
            totp_secret: None,
            totp_enabled: false,
            totp_last_step: None,
            active: false,
            created_at: now,
            updated_at: now,
        };
        let source = Source {
            id,
            client_id: client,
            name,
            kind: input.kind,
            auth_mode: input.auth_mode,
            key_prefix: key.chars().take(SOURCE_KEY_PREFIX.len() + 6).collect(),
            default_category: category.to_owned(),
            category_label,
            impact_label,
            device_label,
            group_alerts: input.group_alerts,
            actor_user_id: account.id,
            created_by: Some(actor.user_id.to_string()),
            created_at: now,
            last_seen_at: None,
            revoked_at: None,
            quiet_minutes,
            heartbeat_minutes,
            last_heartbeat_at: None,
            // Never heard from: overdue counting from its creation.
            heartbeat_due_at: heartbeat_minutes.map(|m| now + m * 60_000),
            down_ticket_id: None,
            down_since: None,
            storm_per_minute,
            rate_per_second,
        };
        let mut tx = self.db.begin().await?;
        users::insert(&mut tx, &account).await?;
        alerts::insert_source(&mut tx, &source, &sha256_hex(&key)).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "alert_source.create",
                object_type: "alert_source",
                object_id: id.to_string(),
                change: json!({ "name": source.name, "kind": source.kind, "auth_mode": source.auth_mode,
                    "prefix": source.key_prefix, "default_category": source.default_category,
                    "category_label": source.category_label, "impact_label": source.impact_label,
                    "device_label": source.device_label, "group_alerts": source.group_alerts,
                    "quiet_minutes": source.quiet_minutes, "heartbeat_minutes": source.heartbeat_minutes,
                    "storm_per_minute": source.storm_per_minute, "rate_per_second": source.rate_per_second }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok((source, key))
    }

    /// Revoke a source: its next request is refused.
    pub async fn revoke_alert_source(
        &self,
        actor: &Actor,
        client: OrgId,
        id: AlertSourceId,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.alerts_client(actor, Action::ManageAlertSources, client)
            .await?;
        let mut tx = self.db.begin().await?;
        alerts::revoke_source(&mut tx, client, id, now_ms()).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "alert_source.revoke",
                object_type: "alert_source",
                object_id: id.to_string(),
                change: json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Let a request of an authenticated source through its rate, or
    /// refuse it ([`ServiceError::RateLimited`] with the seconds to wait).
    pub fn admit_intake(&self, source: &Source) -> Result<()> {
        self.intake_limits
            .admit(source.id, source.rate_per_second, now_ms())
            .map_err(|retry_after_secs| ServiceError::RateLimited { retry_after_secs })
    }

    /// The live bearer-mode source whose key this is; anything else is
    /// unauthenticated.
    pub async fn intake_source_by_key(&self, key: &str) -> Result<Source> {
        alerts::live_source_by_hash(&self.db, &sha256_hex(key.trim()))
            .await?
            .filter(|s| s.auth_mode == AuthMode::Bearer)
            .ok_or(ServiceError::Unauthenticated)
    }

    /// The live HMAC-mode source `source_id` if `signature` (hex, with or
    /// without a `sha256=` prefix) signs `timestamp + "." + body` with it
    /// and the timestamp (Unix seconds) is at most five minutes off.
    pub async fn intake_source_by_signature(
        &self,
        source_id: &str,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<Source> {
        let ts: i64 = timestamp
            .trim()
            .parse()
            .map_err(|_| ServiceError::Unauthenticated)?;
        if !timestamp_fresh(ts, now_ms() / 1000) {
            return Err(ServiceError::Unauthenticated);
        }
        let id: AlertSourceId = source_id
            .trim()
            .parse()
            .map_err(|_| ServiceError::Unauthenticated)?;
        let (source, key_hash) = alerts::live_source_by_id(&self.db, id)
            .await?
            .filter(|(s, _)| s.auth_mode == AuthMode::Hmac)
            .ok_or(ServiceError::Unauthenticated)?;
        let want = intake_signature(&key_hash, timestamp.trim(), body)?;
        let got = signature.trim();
        let got = got
            .strip_prefix("sha256=")
            .unwrap_or(got)
            .to_ascii_lowercase();
        if got.len() == want.len() && bool::from(got.as_bytes().ct_eq(want.as_bytes())) {
            Ok(source)
        } else {
            Err(ServiceError::Unauthenticated)
        }
    }

    /// Take a request's alerts from `source` into its client's desk; the
    /// answer comes once everything is committed.
    pub async fn ingest_alerts(
        &self,
        source: &Source,
        incoming: &[IncomingAlert],
        meta: &RequestMeta,
    ) -> Result<Vec<AlertReceipt>> {
        self.ingest_alerts_at(source, incoming, meta, now_ms())
            .await
    }

    /// [`Tandem::ingest_alerts`] as of `now` (tests pass the instant a
    /// maintenance window or a storm's minute needs).
    pub async fn ingest_alerts_at(
        &self,
        source: &Source,
        incoming: &[IncomingAlert],
        meta: &RequestMeta,
        now: i64,
    ) -> Result<Vec<AlertReceipt>> {
        if !incoming.is_empty() && incoming.iter().all(|a| a.heartbeat) {
            return self.take_heartbeats(source, incoming, now).await;
        }
        // Alertmanager sends a group's firing alerts again, unchanged, with
        // every notification of the group, so most of a busy source's
        // alerts change nothing: those are answered from one read of what
        // is committed, and only the rest take the writer.
        let keys: Vec<&str> = incoming
            .iter()
            .filter(|a| !a.heartbeat)
            .map(|a| a.dedup_key.as_str())
            .collect();
        let known: HashMap<String, Alert> = alerts::known(&self.db, source.id, &keys)
            .await?
            .into_iter()
            .map(|k| (k.dedup_key.clone(), k))
            .collect();
        let settled: Vec<Option<TicketId>> = incoming
            .iter()
            .map(|a| unchanged(known.get(&a.dedup_key), a))
            .collect();
        // "Last seen" is for people: a few seconds stale saves a write.
        let touch = source
            .last_seen_at
            .is_none_or(|seen| now - seen >= LAST_SEEN_GRAIN_MS);
        if settled.iter().all(Option::is_some) {
            if touch {
                let mut tx = self.db.begin().await?;
                alerts::touch_source(&mut tx, source.id, now).await?;
                tx.commit().await?;
            }
            return Ok(incoming
                .iter()
                .zip(settled)
                .map(|(a, ticket)| AlertReceipt {
                    dedup_key: a.dedup_key.clone(),
                    ticket_id: ticket,
                })
                .collect());
        }
        let account = users::get_for_actor(&self.db, source.actor_user_id).await?;
        let actor = crate::auth::actor_of(&account);
        let mut receipts = Vec::with_capacity(incoming.len());
        let firing = incoming
            .iter()
            .zip(&settled)
            .any(|(a, done)| done.is_none() && !a.heartbeat && a.status == AlertStatus::Firing);
        let mut intake = Intake::start(self, source, firing, now).await?;
        let mut tx = self.db.begin().await?;
        if touch {
            alerts::touch_source(&mut tx, source.id, now).await?;
        }
        if incoming.iter().any(|a| a.heartbeat) {
            alert_sweeps::heartbeat(&mut tx, source.id, now).await?;
        }
        for (a, done) in incoming.iter().zip(settled) {
            let ticket = if a.heartbeat {
                None
            } else if done.is_some() {
                done
            } else {
                self.take_alert(&mut tx, source, &actor, a, &mut intake)
                    .await?
            };
            receipts.push(AlertReceipt {
                dedup_key: a.dedup_key.clone(),
                ticket_id: ticket,
            });
        }
        let storm_opening = self
            .settle_storm(&mut tx, source, &actor, &mut intake)
            .await?;
        tx.commit().await?;
        let to_open = intake.to_open;
        if to_open.is_empty() && storm_opening.is_none() {
            return Ok(receipts);
        }
        for (ticket, members) in &to_open {
            self.open_alert_ticket(source, &actor, *ticket, members, meta, now)
                .await?;
        }
        if let Some((ticket, members, severity)) = &storm_opening {
            self.open_storm_ticket(source, &actor, *ticket, members, severity, meta, now)
                .await?;
        }
        let mut tx = self.db.begin().await?;
        for ticket in to_open
            .iter()
            .map(|(t, _)| *t)
            .chain(storm_opening.iter().map(|(t, _, _)| *t))
        {
            alerts::mark_opened(&mut tx, ticket).await?;
        }
        tx.commit().await?;
        Ok(receipts)
    }

    /// One alert inside the request's transaction: its ticket, if any
    /// (none while a maintenance window holds it back).
    async fn take_alert<'a>(
        &self,
        tx: &mut Tx,
        source: &Source,
        actor: &Actor,
        a: &'a IncomingAlert,
        intake: &mut Intake<'a>,
    ) -> Result<Option<TicketId>> {
        let now = intake.now;
        let hash = sha256_hex(&a.content);
        let known = alerts::alert_tx(tx, source.id, &a.dedup_key).await?;
        let written = |known: &Alert| known.ticket_opened;
        match (known, a.status) {
            (None, AlertStatus::Resolved) => Ok(None),
            // Held back by a window: recorded, and it opens its ticket the
            // first time it is sent firing outside every window.
            (Some(k), status) if k.maintenance_id.is_some() => match status {
                AlertStatus::Firing if intake.holding().is_none() => {
                    self.new_life(tx, source, actor, a, k.id, &hash, intake)
                        .await
                }
                AlertStatus::Firing => {
                    alerts::refire(tx, &k.id, &hash, &one_line(&a.summary, 500), now).await?;
                    Ok(None)
                }
                AlertStatus::Resolved => {
                    alerts::resolve(tx, &k.id, &hash, now).await?;
                    Ok(None)
                }
            },
            (Some(k), _) if k.last_hash == hash => {
                // The same event again: nothing changes, but a ticket left
                // unwritten by a crash is written now (as the storm ticket
                // if that is what it was chosen as).
                if !written(&k) {
                    if intake.is_storm_ticket(tx, source, k.ticket_id).await? {
                        intake.storm_joined.push(a);
                    } else {
                        queue_opening(&mut intake.to_open, k.ticket_id, a);
                    }
                }
                Ok(Some(k.ticket_id))
            }
            (None, AlertStatus::Firing) => {
                let id = uuid::Uuid::now_v7().to_string();
                self.new_life(tx, source, actor, a, id, &hash, intake).await
            }
            (Some(k), AlertStatus::Firing) => {
                let open = !written(&k)
                    || alerts::ticket_status_tx(tx, source.client_id, k.ticket_id)
                        .await?
                        .and_then(|s| s.parse::<TicketStatus>().ok())
                        .is_some_and(|s| !s.is_done());
                if !open {
                    return self
                        .new_life(tx, source, actor, a, k.id, &hash, intake)
                        .await;
                }
                let summary = one_line(&a.summary, 500);
                if alerts::refire(tx, &k.id, &hash, &summary, now).await? && written(&k) {
                    let count = k.fire_count + 1;
                    self.note(tx, actor, k.ticket_id, now,
                        &format!("Alert fired again ({count} times): {summary}"),
                        json!({ "alert": "fired", "dedup_key": a.dedup_key, "count": count, "severity": a.severity }))
                        .await?;
                }
                Ok(Some(k.ticket_id))
            }
            (Some(k), AlertStatus::Resolved) => {
                if alerts::resolve(tx, &k.id, &hash, now).await? && written(&k) {
                    let summary = one_line(&k.summary, 500);
                    self.note(
                        tx,
                        actor,
                        k.ticket_id,
                        now,
                        &format!("Alert resolved: {summary}"),
                        json!({ "alert": "resolved", "dedup_key": a.dedup_key }),
                    )
                    .await?;
                    if alerts::firing_on_ticket_tx(tx, k.ticket_id).await? == 0 {
                        // The worker resolves the ticket once the source's
                        // quiet period has passed (crate::alert_sweeps).
                        crate::alert_sweeps::start_quiet(tx, source, k.ticket_id, now).await?;
                        self.note(
                            tx,
                            actor,
                            k.ticket_id,
                            now,
                            "All alerts of this ticket are resolved",
                            json!({ "alert": "all_resolved" }),
                        )
                        .await?;
                    }
                }
                Ok(Some(k.ticket_id))
            }
        }
    }

    /// A firing alert with no open ticket. Inside a maintenance window it
    /// is only recorded; otherwise it joins its group's ticket (when the
    /// source groups), the source's storm ticket (past its limit of new
    /// tickets a minute) or gets a new one, written after commit.
    #[allow(clippy::too_many_arguments)]
    async fn new_life<'a>(
        &self,
        tx: &mut Tx,
        source: &Source,
        actor: &Actor,
        a: &'a IncomingAlert,
        id: String,
        hash: &str,
        intake: &mut Intake<'a>,
    ) -> Result<Option<TicketId>> {
        let now = intake.now;
        let held = intake.holding();
        let group = if held.is_none() && source.group_alerts && !a.group_key.is_empty() {
            alerts::group_ticket_tx(tx, source.id, &a.group_key).await?
        } else {
            None
        };
        let mut written = match group {
            Some(t) => alerts::ticket_status_tx(tx, source.client_id, t)
                .await?
                .is_some(),
            None => false,
        };
        let mut storm = false;
        let ticket = match group {
            // A held alert's ticket is only reserved: it is written when
            // the alert fires again outside the window (as a new life).
            _ if held.is_some() => TicketId::new(),
            Some(t) => t,
            None if intake.count_new(tx, source).await? => {
                storm = true;
                let (t, w) = intake.storm_target(tx, source).await?;
                written = w;
                t
            }
            None => TicketId::new(),
        };
        let device = self.device_of(source, a);
        let alert = Alert {
            id,
            source_id: source.id,
            client_id: source.client_id,
            dedup_key: a.dedup_key.clone(),
            group_key: a.group_key.clone(),
            status: AlertStatus::Firing,
            severity: one_line(&a.severity, 50),
            summary: one_line(&a.summary, 500),
            device,
            ticket_id: ticket,
            ticket_opened: written,
            fire_count: 1,
            last_hash: hash.to_owned(),
            first_seen_at: now,
            last_seen_at: now,
            resolved_at: None,
            maintenance_id: held,
        };
        alerts::put_alert(tx, &alert).await?;
        if alert.maintenance_id.is_some() {
            return Ok(None);
        }
        if storm {
            intake.storm_joined.push(a);
        } else if written {
            self.note(
                tx,
                actor,
                ticket,
                now,
                &format!("Alert of the same group: {}", alert.summary),
                json!({ "alert": "joined", "dedup_key": a.dedup_key, "severity": a.severity }),
            )
            .await?;
        } else {
            queue_opening(&mut intake.to_open, ticket, a);
        }
        Ok(Some(ticket))
    }

    /// End of a request's alerts, still inside its transaction: the flood
    /// count is written back, and the alerts that joined the storm are
    /// listed on the storm ticket's timeline, or (ticket not yet written)
    /// returned to open it with after commit, with the highest severity.
    async fn settle_storm<'a>(
        &self,
        tx: &mut Tx,
        source: &Source,
        actor: &Actor,
        intake: &mut Intake<'a>,
    ) -> Result<Option<StormOpening<'a>>> {
        let Some(flood) = intake.flood.as_mut() else {
            return Ok(None);
        };
        let joined = std::mem::take(&mut intake.storm_joined);
        let before = flood.storm_severity.clone();
        for a in &joined {
            if flood.storm_severity.is_empty()
                || severity_rank(&a.severity) > severity_rank(&flood.storm_severity)
            {
                flood.storm_severity = one_line(&a.severity, 50);
            }
        }
        alerts::save_flood(tx, source.id, flood).await?;
        let severity = flood.storm_severity.clone();
        let Some((ticket, written)) = intake.storm else {
            return Ok(None);
        };
        if joined.is_empty() {
            return Ok(None);
        }
        if !written {
            return Ok(Some((ticket, joined, severity)));
        }
        let mut body = storm_list(&joined);
        if severity != before {
            body.push_str(&format!("\nHighest severity so far: {severity}"));
        }
        self.note(
            tx,
            actor,
            ticket,
            intake.now,
            &body,
            json!({ "alert": "storm", "joined": joined.iter().map(|a| &a.dedup_key).collect::<Vec<_>>(),
                "highest_severity": severity }),
        )
        .await?;
        Ok(None)
    }

    /// Write a storm ticket ("Alert storm: <source>") through the desk's
    /// own path unless it exists already, and list on its timeline the
    /// alerts that joined it with this request.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_storm_ticket(
        &self,
        source: &Source,
        actor: &Actor,
        ticket: TicketId,
        members: &[&IncomingAlert],
        severity: &str,
        meta: &RequestMeta,
        now: i64,
    ) -> Result<()> {
        if !tandem_store::tickets::exists(&self.db, source.client_id, ticket).await? {
            let (impact, urgency) = severity_impact_urgency(severity);
            let input = NewTicket {
                client_id: source.client_id,
                title: one_line(&format!("Alert storm: {}", source.name), 200),
                description: format!(
                    "The monitoring source \"{}\" sent more than {} new alerts a minute. Rather than a ticket \
                     each, its new alerts join this ticket while the storm lasts (until a minute with at most \
                     {} new alerts); each one is listed on the timeline, and its repeats and resolution land \
                     here too. Highest severity when opened: {}.",
                    source.name,
                    source.storm_per_minute,
                    source.storm_per_minute,
                    if severity.is_empty() {
                        "none given"
                    } else {
                        severity
                    }
                ),
                category: source.default_category.clone(),
                impact,
                urgency,
                requester_id: None,
                source: TicketSource::Alert,
            };
            self.open_reserved_ticket(actor, &input, meta, now, ticket, false)
                .await?;
        }
        let mut tx = self.db.begin().await?;
        self.note(
            &mut tx,
            actor,
            ticket,
            now,
            &storm_list(members),
            json!({ "alert": "storm", "joined": members.iter().map(|a| &a.dedup_key).collect::<Vec<_>>(),
                "highest_severity": severity }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The device an alert names: the sender's own field, else the
    /// source's device label.
    fn device_of(&self, source: &Source, a: &IncomingAlert) -> Option<String> {
        a.device
            .clone()
            .or_else(|| {
                source
                    .device_label
                    .as_ref()
                    .and_then(|l| a.labels.get(l).cloned())
            })
            .map(|d| one_line(&d, 200))
            .filter(|d| !d.is_empty())
    }

    /// A team entry on an alert ticket's timeline.
    async fn note(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        ticket: TicketId,
        now: i64,
        body: &str,
        data: serde_json::Value,
    ) -> Result<()> {
        let t = tandem_store::tickets::find_tx(tx, &actor.scope(), false, ticket).await?;
        event(
            tx,
            now,
            &t,
            Some(actor),
            "alert",
            Visibility::Team,
            body,
            data,
        )
        .await?;
        Ok(())
    }

    /// Write the ticket of a new alert (and the alerts of its group that
    /// came with it) through the desk's own path, unless it exists already.
    pub(crate) async fn open_alert_ticket(
        &self,
        source: &Source,
        actor: &Actor,
        ticket: TicketId,
        members: &[&IncomingAlert],
        meta: &RequestMeta,
        now: i64,
    ) -> Result<()> {
        if tandem_store::tickets::exists(&self.db, source.client_id, ticket).await? {
            return Ok(());
        }
        let Some(first) = members.first() else {
            return Ok(());
        };
        let (mut impact, urgency) = severity_impact_urgency(&first.severity);
        if let Some(i) = source
            .impact_label
            .as_ref()
            .and_then(|l| first.labels.get(l))
            .and_then(|v| impact_of_label(v))
        {
            impact = i;
        }
        let category = source
            .category_label
            .as_ref()
            .and_then(|l| first.labels.get(l))
            .cloned()
            .unwrap_or_else(|| source.default_category.clone());
        let mut description = format!("Reported by the monitoring source \"{}\".\n", source.name);
        if let Some(d) = self.device_of(source, first) {
            description.push_str(&format!("Device: {d}\n"));
        }
        description.push_str(&format!("Severity: {}\n", one_line(&first.severity, 50)));
        for m in members {
            description.push_str(&format!(
                "\n— {}\n{}\n",
                one_line(&m.summary, 500),
                m.details
            ));
        }
        let description: String = description.chars().take(100_000).collect();
        let mut input = NewTicket {
            client_id: source.client_id,
            title: one_line(&first.summary, 200),
            description,
            category,
            impact,
            urgency,
            requester_id: None,
            source: TicketSource::Alert,
        };
        if input.title.is_empty() {
            input.title = format!("Alert {}", one_line(&first.dedup_key, 180));
        }
        match self
            .open_reserved_ticket(actor, &input, meta, now, ticket, false)
            .await
        {
            // A label naming no category of the client falls back to the
            // source's default.
            Err(ServiceError::Invalid(v)) if v.field == "category" => {
                input.category = source.default_category.clone();
                self.open_reserved_ticket(actor, &input, meta, now, ticket, false)
                    .await
            }
            other => other,
        }
    }
}

/// A storm ticket to write after commit: its id, the alerts that joined it
/// with the request, and the highest severity seen in the storm.
type StormOpening<'a> = (TicketId, Vec<&'a IncomingAlert>, String);

/// What one intake request carries from alert to alert, so that the
/// maintenance windows are read once per request (not per alert) and the
/// source's flood row at most once, only when a new ticket is in question.
struct Intake<'a> {
    now: i64,
    at: Option<Timestamp>,
    /// The windows that apply to the source, by id, in the client's zone.
    windows: Vec<(String, MaintenanceSchedule)>,
    zone: TimeZone,
    /// The source's flood row, locked, once a new alert needed it.
    flood: Option<alerts::Flood>,
    /// This request's storm ticket once chosen: (id, already written).
    storm: Option<(TicketId, bool)>,
    /// The alerts that joined the storm ticket in this request.
    storm_joined: Vec<&'a IncomingAlert>,
    /// Tickets to write after the first commit, each with its alerts.
    to_open: Vec<(TicketId, Vec<&'a IncomingAlert>)>,
}

impl<'a> Intake<'a> {
    /// `firing`: whether the request has a firing alert to take (only
    /// those can be held back, so without one no window is read).
    async fn start(tandem: &Tandem, source: &Source, firing: bool, now: i64) -> Result<Self> {
        let mut windows = Vec::new();
        let mut zone = TimeZone::UTC;
        if firing {
            for w in maintenance::for_intake(&tandem.db, source.client_id, source.id, now).await? {
                if let Some(z) = w.time_zone.as_deref().and_then(|z| TimeZone::get(z).ok()) {
                    zone = z;
                }
                if let Some(s) = crate::maintenance::schedule_of(&w.window) {
                    windows.push((w.window.id.to_string(), s));
                }
            }
        }
        Ok(Self {
            now,
            at: Timestamp::from_millisecond(now).ok(),
            windows,
            zone,
            flood: None,
            storm: None,
            storm_joined: Vec::new(),
            to_open: Vec::new(),
        })
    }

    /// The window that holds back an alert firing now, if any.
    fn holding(&self) -> Option<String> {
        let at = self.at?;
        self.windows
            .iter()
            .find(|(_, s)| s.covers(&self.zone, at))
            .map(|(id, _)| id.clone())
    }

    async fn flood(&mut self, tx: &mut Tx, source: AlertSourceId) -> Result<&mut alerts::Flood> {
        if self.flood.is_none() {
            self.flood = Some(alerts::lock_flood(tx, source).await?);
        }
        self.flood
            .as_mut()
            .ok_or_else(|| ServiceError::Internal("flood row not loaded".into()))
    }

    /// Count a new alert that would open a ticket; true when it joins the
    /// storm ticket instead.
    async fn count_new(&mut self, tx: &mut Tx, source: &Source) -> Result<bool> {
        if source.storm_per_minute <= 0 {
            return Ok(false);
        }
        let now = self.now;
        let f = self.flood(tx, source.id).await?;
        let mut count = FloodCount {
            minute: f.minute,
            opened: f.opened,
            prev_opened: f.prev_opened,
        };
        let storm = count.count_new(now, source.storm_per_minute);
        f.minute = count.minute;
        f.opened = count.opened;
        f.prev_opened = count.prev_opened;
        Ok(storm)
    }

    /// The source's storm ticket: the one chosen before while it is not
    /// done (or not yet written), else a new one.
    async fn storm_target(&mut self, tx: &mut Tx, source: &Source) -> Result<(TicketId, bool)> {
        if let Some(t) = self.storm {
            return Ok(t);
        }
        let chosen = self
            .flood(tx, source.id)
            .await?
            .storm_ticket_id
            .as_deref()
            .and_then(|t| t.parse::<TicketId>().ok());
        let target = match chosen {
            Some(t) => match alerts::ticket_status_tx(tx, source.client_id, t).await? {
                None => (t, false),
                Some(s) if s.parse::<TicketStatus>().is_ok_and(|s| !s.is_done()) => (t, true),
                Some(_) => (TicketId::new(), false),
            },
            None => (TicketId::new(), false),
        };
        if chosen != Some(target.0) {
            let f = self.flood(tx, source.id).await?;
            f.storm_ticket_id = Some(target.0.to_string());
            f.storm_severity.clear();
        }
        self.storm = Some(target);
        Ok(target)
    }

    /// Whether an unwritten ticket is the source's storm ticket (then it
    /// is opened as one).
    async fn is_storm_ticket(
        &mut self,
        tx: &mut Tx,
        source: &Source,
        ticket: TicketId,
    ) -> Result<bool> {
        let id = ticket.to_string();
        let storm = self.flood(tx, source.id).await?.storm_ticket_id.as_deref() == Some(&id);
        if storm {
            self.storm = Some((ticket, false));
        }
        Ok(storm)
    }
}

/// The timeline entry listing alerts that joined a storm ticket.
fn storm_list(members: &[&IncomingAlert]) -> String {
    let n = members.len();
    let mut s = format!(
        "{n} alert{} joined the storm:",
        if n == 1 { "" } else { "s" }
    );
    for a in members {
        let severity = one_line(&a.severity, 50);
        s.push_str(&format!(
            "\n— [{}] {} ({})",
            if severity.is_empty() {
                "no severity"
            } else {
                &severity
            },
            one_line(&a.summary, 200),
            one_line(&a.dedup_key, 255)
        ));
    }
    s.chars().take(100_000).collect()
}

/// How stale a source's "last seen" may grow before a request writes it.
const LAST_SEEN_GRAIN_MS: i64 = 10_000;

/// The alert's ticket when `a` is the same event as the alert's last one,
/// committed with its ticket written: taking it again changes nothing. An
/// alert held back by a maintenance window is never settled here, since a
/// repeat after the window opens its ticket.
fn unchanged(known: Option<&Alert>, a: &IncomingAlert) -> Option<TicketId> {
    known
        .filter(|k| {
            !a.heartbeat
                && k.ticket_opened
                && k.maintenance_id.is_none()
                && k.last_hash == sha256_hex(&a.content)
        })
        .map(|k| k.ticket_id)
}

fn queue_opening<'a>(
    to_open: &mut Vec<(TicketId, Vec<&'a IncomingAlert>)>,
    ticket: TicketId,
    a: &'a IncomingAlert,
) {
    match to_open.iter_mut().find(|(t, _)| *t == ticket) {
        Some((_, members)) => members.push(a),
        None => to_open.push((ticket, vec![a])),
    }
}

/// Prometheus Alertmanager's webhook payload, version 4, exactly as
/// Alertmanager sends it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerPayload {
    /// Always `"4"`.
    pub version: String,
    /// Identifies the group the alerts belong to.
    pub group_key: String,
    /// How many alerts Alertmanager left out (`max_alerts`).
    #[serde(default)]
    pub truncated_alerts: u64,
    /// `firing` when at least one alert of the group fires.
    pub status: AlertStatus,
    /// The receiver's name in Alertmanager's configuration.
    pub receiver: String,
    /// The labels the group is made by.
    #[serde(default)]
    pub group_labels: BTreeMap<String, String>,
    /// Labels every alert shares.
    #[serde(default)]
    pub common_labels: BTreeMap<String, String>,
    /// Annotations every alert shares.
    #[serde(default)]
    pub common_annotations: BTreeMap<String, String>,
    /// Alertmanager's address.
    #[serde(rename = "externalURL", default)]
    pub external_url: String,
    /// The alerts.
    pub alerts: Vec<AlertmanagerAlert>,
}

/// One alert of an Alertmanager payload.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertmanagerAlert {
    /// `firing` or `resolved`.
    pub status: AlertStatus,
    /// Identifying labels (`alertname`, `severity`, `instance`, ...).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Descriptive annotations (`summary`, `description`, ...).
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// RFC 3339.
    pub starts_at: String,
    /// RFC 3339; `0001-01-01T00:00:00Z` while unknown.
    #[serde(default)]
    pub ends_at: String,
    /// Where the alert comes from (e.g. Prometheus' graph).
    #[serde(rename = "generatorURL", default)]
    pub generator_url: String,
    /// Alertmanager's identity of the alert: its dedup key here.
    pub fingerprint: String,
}

/// A generic monitoring event.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenericEvent {
    /// The tool or check that sends it (e.g. `zabbix`, `backup-check`).
    pub source: String,
    /// `alert` (when absent) or `heartbeat`: a heartbeat only proves that
    /// monitoring works (see the source's `heartbeat_minutes`) and never
    /// opens a ticket; it needs no other field but `source`.
    #[serde(default)]
    pub kind: GenericEventKind,
    /// Identifies the alert: events with the same key are the same alert.
    /// 1-255 characters; required for an alert.
    #[serde(default)]
    pub dedup_key: String,
    /// `firing` or `resolved`; required for an alert.
    #[serde(default)]
    pub status: Option<AlertStatus>,
    /// `critical`, `error`, `warning` or `info` (see the severity map);
    /// `info` when absent.
    #[serde(default)]
    pub severity: Option<String>,
    /// One line saying what is wrong: the ticket's title. Required when firing.
    #[serde(default)]
    pub summary: Option<String>,
    /// Anything else, as a JSON object; its string values can be read by
    /// the source's label mappings.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub details: Option<serde_json::Map<String, serde_json::Value>>,
    /// The device it concerns.
    #[serde(default)]
    pub device: Option<String>,
    /// When it happened (RFC 3339).
    #[serde(default)]
    pub occurred_at: Option<String>,
}

/// What a generic event is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GenericEventKind {
    /// Something is wrong (or no longer wrong): a ticket's matter.
    #[default]
    Alert,
    /// Monitoring is alive.
    Heartbeat,
}

/// The `alertname` of Alertmanager's always-firing alert: while firing,
/// Tandem reads it as a heartbeat of the source (whether or not the
/// source expects one), never as a ticket.
pub const WATCHDOG: &str = "Watchdog";

/// A payload that breaks its format: the field at fault (a path such as
/// `alerts[2].startsAt`) and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct Malformed {
    /// The field at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

fn bad(field: String, message: &str) -> Malformed {
    Malformed {
        field,
        message: message.to_owned(),
    }
}

fn check_instant(field: String, raw: &str) -> std::result::Result<(), Malformed> {
    raw.parse::<jiff::Timestamp>()
        .map(|_| ())
        .map_err(|_| bad(field, "must be an RFC 3339 instant"))
}

fn check_key(field: String, raw: &str) -> std::result::Result<(), Malformed> {
    if raw.trim().is_empty() || raw.len() > 255 {
        return Err(bad(field, "must be 1-255 characters"));
    }
    Ok(())
}

impl AlertmanagerPayload {
    /// The alerts as the desk reads them; a field that breaks the format
    /// is named (e.g. `alerts[2].startsAt`).
    pub fn into_alerts(self) -> std::result::Result<Vec<IncomingAlert>, Malformed> {
        if self.version != "4" {
            return Err(bad("version".into(), "must be \"4\""));
        }
        if self.alerts.len() > INTAKE_MAX_ALERTS {
            return Err(bad("alerts".into(), "carries too many alerts"));
        }
        let mut out = Vec::with_capacity(self.alerts.len());
        for (i, a) in self.alerts.into_iter().enumerate() {
            check_key(format!("alerts[{i}].fingerprint"), &a.fingerprint)?;
            check_instant(format!("alerts[{i}].startsAt"), &a.starts_at)?;
            if !a.ends_at.is_empty() {
                check_instant(format!("alerts[{i}].endsAt"), &a.ends_at)?;
            }
            let mut labels = self.common_labels.clone();
            labels.extend(a.labels.clone());
            let annotation = |k: &str| {
                a.annotations
                    .get(k)
                    .or_else(|| self.common_annotations.get(k))
                    .cloned()
            };
            let alertname = labels.get("alertname").cloned().unwrap_or_default();
            let summary = annotation("summary")
                .or_else(|| annotation("description"))
                .unwrap_or_default();
            let summary = match (alertname.is_empty(), summary.is_empty()) {
                (false, false) => format!("{alertname}: {summary}"),
                (false, true) => alertname,
                (true, _) => summary,
            };
            let mut details = String::new();
            if let Some(d) = annotation("description") {
                details.push_str(&d);
                details.push('\n');
            }
            for (k, v) in &labels {
                details.push_str(&format!("{k}={v}\n"));
            }
            if !a.generator_url.is_empty() {
                details.push_str(&format!("Source: {}\n", a.generator_url));
            }
            // Alertmanager moves a firing alert's `endsAt` forward with
            // every notification: only a resolved alert's end is content.
            let ends = if a.status == AlertStatus::Resolved {
                a.ends_at.as_str()
            } else {
                ""
            };
            let content =
                json!({ "status": a.status, "labels": a.labels, "annotations": a.annotations,
                "startsAt": a.starts_at, "endsAt": ends })
                .to_string();
            out.push(IncomingAlert {
                dedup_key: a.fingerprint.trim().to_owned(),
                group_key: self.group_key.clone(),
                status: a.status,
                severity: labels.get("severity").cloned().unwrap_or_default(),
                summary,
                details,
                device: None,
                // A resolved Watchdog says the heartbeat stopped: not one.
                heartbeat: a.status == AlertStatus::Firing
                    && labels.get("alertname").is_some_and(|n| n == WATCHDOG),
                labels,
                content,
            });
        }
        Ok(out)
    }
}

impl GenericEvent {
    /// The event as the desk reads it; a field that breaks the format is named.
    pub fn into_alert(self) -> std::result::Result<IncomingAlert, Malformed> {
        if self.source.chars().count() > 200 {
            return Err(bad("source".into(), "must be at most 200 characters"));
        }
        if self.kind == GenericEventKind::Heartbeat {
            return Ok(crate::alert_sweeps::heartbeat_event(&self.dedup_key));
        }
        check_key("dedup_key".into(), &self.dedup_key)?;
        let status = self
            .status
            .ok_or_else(|| bad("status".into(), "is required for an alert"))?;
        let summary = self.summary.clone().unwrap_or_default();
        if status == AlertStatus::Firing && summary.trim().is_empty() {
            return Err(bad("summary".into(), "is required for a firing event"));
        }
        if let Some(at) = &self.occurred_at {
            check_instant("occurred_at".into(), at)?;
        }
        let details = self.details.clone().unwrap_or_default();
        let labels: BTreeMap<String, String> = details
            .iter()
            .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
            .collect();
        let mut text = format!("Sent by {}\n", one_line(&self.source, 200));
        if !details.is_empty() {
            text.push_str(&serde_json::to_string_pretty(&details).unwrap_or_default());
            text.push('\n');
        }
        let content = json!({ "source": self.source, "status": self.status, "severity": self.severity,
            "summary": self.summary, "details": self.details, "device": self.device, "occurred_at": self.occurred_at })
        .to_string();
        Ok(IncomingAlert {
            dedup_key: self.dedup_key.trim().to_owned(),
            group_key: String::new(),
            status,
            severity: self.severity.unwrap_or_else(|| "info".into()),
            summary,
            details: text,
            labels,
            device: self.device,
            content,
            heartbeat: false,
        })
    }
}
