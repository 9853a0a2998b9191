//! Maintenance windows: a client's planned work, during which its alerts
//! are recorded but open no ticket (an alert still firing once the window
//! is over opens its ticket then; see [`crate::alerts`]). One-off windows
//! run between two instants; weekly ones on some weekdays from a local
//! time in the client's calendar zone (the rules are in
//! [`tandem_domain::alert_control`]). Either side's admin creates and
//! deletes them; both sides' staff read them.

use crate::audit::{Entry, record};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use jiff::Timestamp;
use jiff::civil::{DateTime, Time};
use jiff::tz::TimeZone;
use serde_json::json;
use tandem_domain::alert_control::MaintenanceSchedule;
use tandem_domain::policy::Action;
use tandem_domain::{AlertSourceId, MaintenanceWindowId, OrgId, ValidationError};
use tandem_store::StoreError;
use tandem_store::alerts;
use tandem_store::calendars;
pub use tandem_store::maintenance::MaintenanceWindow;
use tandem_store::maintenance::{self as store};

/// When a new window holds alerts back, as an admin describes it.
#[derive(Clone, Debug)]
pub enum NewSchedule {
    /// Between two instants, each RFC 3339 (`2026-03-02T22:00:00Z`) or a
    /// local date and time (`2026-03-02T22:00`) read in the client's zone.
    Once {
        /// First instant inside.
        starts_at: String,
        /// First instant outside.
        ends_at: String,
    },
    /// Every chosen weekday from a local time for some minutes.
    Weekly {
        /// `mon` ... `sun` (or the full names).
        weekdays: Vec<String>,
        /// Local `HH:MM`.
        start_time: String,
        /// Length of each occurrence (1-10080).
        duration_minutes: i64,
    },
}

/// A new maintenance window.
#[derive(Clone, Debug)]
pub struct NewMaintenanceWindow {
    /// Why (1-200 characters), shown beside the alerts it holds.
    pub reason: String,
    /// Limit it to one of the client's sources (none: all of them).
    pub source_id: Option<AlertSourceId>,
    /// When it holds alerts back.
    pub schedule: NewSchedule,
}

/// A window as pages and the API show it.
#[derive(Clone, Debug)]
pub struct WindowView {
    /// The stored window.
    pub window: MaintenanceWindow,
    /// Its schedule.
    pub schedule: MaintenanceSchedule,
    /// The name of the source it is limited to.
    pub source_name: Option<String>,
    /// Whether it holds alerts back right now.
    pub active: bool,
    /// The occurrence running now or the next one (epoch ms).
    pub next: Option<(i64, i64)>,
    /// The client's zone its weekly times are read in.
    pub time_zone: String,
}

/// The schedule of a stored window (none for a row that breaks the
/// rules, which the constructors never write).
pub(crate) fn schedule_of(w: &MaintenanceWindow) -> Option<MaintenanceSchedule> {
    match (
        w.starts_at,
        w.ends_at,
        w.weekdays,
        &w.start_time,
        w.duration_minutes,
    ) {
        (Some(s), Some(e), _, _, _) => Some(MaintenanceSchedule::Once {
            starts_at: Timestamp::from_millisecond(s).ok()?,
            ends_at: Timestamp::from_millisecond(e).ok()?,
        }),
        (None, None, Some(days), Some(start), Some(minutes)) => {
            let start = start.parse::<Time>().ok()?;
            MaintenanceSchedule::weekly_mask(u8::try_from(days).ok()?, start, minutes).ok()
        }
        _ => None,
    }
}

/// An instant from RFC 3339, or from a local date and time in `zone`.
fn instant_in(field: &'static str, raw: &str, zone: &TimeZone) -> Result<Timestamp> {
    let raw = raw.trim();
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Ok(t);
    }
    raw.parse::<DateTime>()
        .ok()
        .and_then(|dt| zone.to_ambiguous_timestamp(dt).compatible().ok())
        .ok_or_else(|| {
            ValidationError::new(
                field,
                "must be an RFC 3339 instant or a local date and time (YYYY-MM-DDTHH:MM)",
            )
            .into()
        })
}

fn reason_of(raw: &str) -> Result<String> {
    let r = raw.trim();
    if r.is_empty() || r.chars().count() > 200 || r.chars().any(char::is_control) {
        return Err(ValidationError::new("reason", "must be 1-200 printable characters").into());
    }
    Ok(r.to_owned())
}

impl Tandem {
    async fn maintenance_zone(&self, client: OrgId) -> Result<(String, TimeZone)> {
        let name = calendars::time_zone(&self.db, client)
            .await?
            .unwrap_or_else(|| "UTC".into());
        let zone = TimeZone::get(&name).unwrap_or(TimeZone::UTC);
        Ok((name, zone))
    }

    /// A client's maintenance windows that are not over: those holding
    /// alerts back now first, then by their next occurrence.
    pub async fn maintenance_windows(
        &self,
        actor: &crate::Actor,
        client: OrgId,
    ) -> Result<Vec<WindowView>> {
        self.alerts_client(actor, Action::ViewAlerts, client)
            .await?;
        let now = now_ms();
        let (zone_name, zone) = self.maintenance_zone(client).await?;
        let names: std::collections::HashMap<String, String> = alerts::sources(&self.db, client)
            .await?
            .into_iter()
            .map(|s| (s.id.to_string(), s.name))
            .collect();
        let at = Timestamp::from_millisecond(now).unwrap_or(Timestamp::UNIX_EPOCH);
        let mut views: Vec<WindowView> = store::current(&self.db, client, now)
            .await?
            .into_iter()
            .filter_map(|w| {
                let schedule = schedule_of(&w)?;
                let next = schedule
                    .current_or_next(&zone, at)
                    .map(|(s, e)| (s.as_millisecond(), e.as_millisecond()));
                Some(WindowView {
                    source_name: w.source_id.as_ref().and_then(|s| names.get(s).cloned()),
                    active: schedule.covers(&zone, at),
                    next,
                    schedule,
                    window: w,
                    time_zone: zone_name.clone(),
                })
            })
            .collect();
        views.sort_by_key(|v| (!v.active, v.next.map_or(i64::MAX, |(s, _)| s)));
        Ok(views)
    }

    /// Whether `actor` may create and delete the client's windows (pages
    /// show the forms only then); a client out of reach is not found.
    pub async fn may_manage_maintenance(
        &self,
        actor: &crate::Actor,
        client: OrgId,
    ) -> Result<bool> {
        match self
            .alerts_client(actor, Action::ManageMaintenanceWindows, client)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Create a maintenance window.
    pub async fn create_maintenance_window(
        &self,
        actor: &crate::Actor,
        client: OrgId,
        input: &NewMaintenanceWindow,
        meta: &RequestMeta,
    ) -> Result<WindowView> {
        self.alerts_client(actor, Action::ManageMaintenanceWindows, client)
            .await?;
        let reason = reason_of(&input.reason)?;
        let (zone_name, zone) = self.maintenance_zone(client).await?;
        let source_name = match input.source_id {
            Some(id) => match alerts::source(&self.db, client, id).await {
                Ok(s) => Some(s.name),
                Err(StoreError::NotFound) => {
                    return Err(ValidationError::new(
                        "source_id",
                        "is not a source of this client",
                    )
                    .into());
                }
                Err(e) => return Err(e.into()),
            },
            None => None,
        };
        let now = now_ms();
        let mut w = MaintenanceWindow {
            id: MaintenanceWindowId::new(),
            client_id: client,
            source_id: input.source_id.map(|s| s.to_string()),
            reason,
            starts_at: None,
            ends_at: None,
            weekdays: None,
            start_time: None,
            duration_minutes: None,
            created_by: Some(actor.user_id.to_string()),
            created_at: now,
        };
        let schedule = match &input.schedule {
            NewSchedule::Once { starts_at, ends_at } => {
                let s = instant_in("starts_at", starts_at, &zone)?;
                let e = instant_in("ends_at", ends_at, &zone)?;
                if e.as_millisecond() <= now {
                    return Err(ValidationError::new("ends_at", "is already past").into());
                }
                let schedule = MaintenanceSchedule::once(s, e)?;
                w.starts_at = Some(s.as_millisecond());
                w.ends_at = Some(e.as_millisecond());
                schedule
            }
            NewSchedule::Weekly {
                weekdays,
                start_time,
                duration_minutes,
            } => {
                let schedule =
                    MaintenanceSchedule::weekly(weekdays, start_time, *duration_minutes)?;
                if let MaintenanceSchedule::Weekly {
                    days,
                    start,
                    minutes,
                } = &schedule
                {
                    w.weekdays = Some(i64::from(*days));
                    w.start_time = Some(start.strftime("%H:%M").to_string());
                    w.duration_minutes = Some(*minutes);
                }
                schedule
            }
        };
        let mut tx = self.db.begin().await?;
        store::insert(&mut tx, &w).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "maintenance_window.create",
                object_type: "maintenance_window",
                object_id: w.id.to_string(),
                change: json!({ "reason": w.reason, "source_id": w.source_id, "starts_at": w.starts_at,
                    "ends_at": w.ends_at, "weekdays": schedule.weekday_names(), "start_time": w.start_time,
                    "duration_minutes": w.duration_minutes }),
            },
        )
        .await?;
        tx.commit().await?;
        let at = Timestamp::from_millisecond(now).unwrap_or(Timestamp::UNIX_EPOCH);
        Ok(WindowView {
            active: schedule.covers(&zone, at),
            next: schedule
                .current_or_next(&zone, at)
                .map(|(s, e)| (s.as_millisecond(), e.as_millisecond())),
            schedule,
            source_name,
            window: w,
            time_zone: zone_name,
        })
    }

    /// Delete a maintenance window: alerts it held open their tickets the
    /// next time they are sent firing.
    pub async fn delete_maintenance_window(
        &self,
        actor: &crate::Actor,
        client: OrgId,
        id: MaintenanceWindowId,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.alerts_client(actor, Action::ManageMaintenanceWindows, client)
            .await?;
        let mut tx = self.db.begin().await?;
        store::delete(&mut tx, client, id).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "maintenance_window.delete",
                object_type: "maintenance_window",
                object_id: id.to_string(),
                change: json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
