//! Who is on duty after hours: each client's weekly rota per side and the
//! overrides that take precedence over it (the rule itself is
//! [`tandem_domain::duty`]), and the one question the desk asks of them:
//! whom does an alert ticket opened after hours go to?
//!
//! Both sides' staff read both rotas; each side's admin changes its own
//! ([`policy::decide_duty`]). Only people who staff that side for the
//! client may be named: an engineer or admin of the provider assigned to
//! the client's active engagement, or the client's own admin or
//! technician. That is checked when a rota or override is saved and again
//! when a ticket is routed, so someone taken off the engagement since is
//! skipped and the split's default assignee gets the ticket.

use crate::audit::{Entry, record};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde_json::json;
use tandem_domain::duty::{DutyBasis, DutyOverride, OnDuty, Rota, WeeklySpan, on_duty};
use tandem_domain::policy::{self, Action};
use tandem_domain::ticket::OwnerSide;
use tandem_domain::{Actor, OrgId, Role, UserId, ValidationError};
pub use tandem_store::duty::{OverrideRow, SlotRow};
use tandem_store::orgs::Org;
use tandem_store::users::{self, User};
use tandem_store::{calendars, duty, engagements};

/// Both sides that keep a rota, in the order pages show them.
pub const ROTA_SIDES: [OwnerSide; 2] = [OwnerSide::Provider, OwnerSide::InHouse];

/// One slot of a week as someone writes it.
#[derive(Clone, Debug)]
pub struct SlotInput {
    /// `mon`..`sun` (or the full name).
    pub start_day: String,
    /// `HH:MM`, the client's local time.
    pub start_time: String,
    /// `mon`..`sun`.
    pub end_day: String,
    /// `HH:MM` or `24:00`.
    pub end_time: String,
    /// Who is on duty.
    pub person_id: UserId,
}

/// An override as someone writes it.
#[derive(Clone, Debug)]
pub struct OverrideInput {
    /// First instant covered (epoch ms).
    pub starts_at: i64,
    /// First instant no longer covered (epoch ms).
    pub ends_at: i64,
    /// Who is on duty meanwhile.
    pub person_id: UserId,
    /// Why (holiday cover, a launch weekend ...), optional.
    pub reason: Option<String>,
}

/// Who is on duty for one side at some instant, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnDutyView {
    /// The person.
    pub user_id: UserId,
    /// Their name.
    pub name: String,
    /// Rota or override.
    pub basis: DutyBasis,
    /// Until when, as things stand (epoch ms).
    pub until: i64,
    /// The override's reason, when an override put them there.
    pub reason: Option<String>,
    /// Whether they still staff that side for the client; if not, an
    /// alert ticket skips them for the split's default assignee.
    pub staffs: bool,
}

impl OnDutyView {
    /// The words a ticket's timeline records: "Dev Ramanathan (rota)".
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.basis.as_str())
    }
}

/// One side's rota of a client as a page or an answer shows it.
#[derive(Clone, Debug)]
pub struct SideDuty {
    /// Provider or in-house.
    pub side: OwnerSide,
    /// The week, in order.
    pub slots: Vec<SlotRow>,
    /// Overrides not yet over, soonest first.
    pub overrides: Vec<OverrideRow>,
    /// Who is on duty now.
    pub now: Option<OnDutyView>,
    /// Whether the reader may change this side's rota.
    pub can_manage: bool,
    /// Who may be named (for the forms; empty unless `can_manage`).
    pub candidates: Vec<(UserId, String)>,
}

/// A client's after-hours duty, both sides.
#[derive(Clone, Debug)]
pub struct DutyBoard {
    /// The client.
    pub client: Org,
    /// The zone the rota's times are read in (the calendar's).
    pub time_zone: String,
    /// Provider first, then in-house.
    pub sides: Vec<SideDuty>,
}

/// The zone a client's rota is read in: its business calendar's (UTC
/// without one, as the desk's default calendar).
fn zone_of(name: Option<String>) -> (String, TimeZone) {
    name.and_then(|n| {
        tandem_domain::calendar::known_zone(&n)
            .ok()
            .map(|(n, tz)| (n.to_owned(), tz))
    })
    .unwrap_or_else(|| ("UTC".to_owned(), TimeZone::UTC))
}

fn ts(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap_or(Timestamp::MAX)
}

/// The week of stored slots as the domain reads it (stored slots were
/// checked on save; one that no longer parses is left out).
fn rota_of(slots: &[SlotRow]) -> Rota {
    let parsed = slots
        .iter()
        .filter_map(|s| {
            WeeklySpan::parse(
                "slots",
                &s.start_day,
                &s.start_time,
                &s.end_day,
                &s.end_time,
            )
            .ok()
            .map(|span| (span, s.user_id))
        })
        .collect();
    Rota::new(parsed).unwrap_or_default()
}

/// Who is on duty at `at` by these slots and overrides, with the row that
/// put them there.
fn resolve<'a>(
    tz: &TimeZone,
    slots: &'a [SlotRow],
    overrides: &'a [OverrideRow],
    at: i64,
) -> Option<(OnDuty, Option<&'a OverrideRow>)> {
    let rota = rota_of(slots);
    // The domain lets the override added last win: oldest first.
    let mut covering: Vec<&OverrideRow> = overrides
        .iter()
        .filter(|o| o.starts_at <= at && at < o.ends_at)
        .collect();
    covering.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let spans: Vec<DutyOverride> = covering
        .iter()
        .map(|o| DutyOverride {
            from: ts(o.starts_at),
            to: ts(o.ends_at),
            person: o.user_id,
        })
        .collect();
    let d = on_duty(tz, &rota, &spans, ts(at))?;
    let row = (d.basis == DutyBasis::Override)
        .then(|| covering.get(d.index).copied())
        .flatten();
    Some((d, row))
}

/// Whether `u` staffs `side` of `client`: found by
/// [`users::working_client`] (active, and the client's own or assigned to
/// its active engagement) and of a role that works that side's tickets.
fn staffs(u: &User, client: OrgId, side: OwnerSide) -> bool {
    match side {
        OwnerSide::Provider => matches!(u.role, Role::ProviderAdmin | Role::ProviderEngineer),
        _ => u.org_id == client && matches!(u.role, Role::ClientAdmin | Role::ClientTechnician),
    }
}

fn reason_of(raw: Option<&str>) -> Result<Option<String>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) if r.chars().count() <= 500 && !r.chars().any(char::is_control) => {
            Ok(Some(r.to_owned()))
        }
        Some(_) => {
            Err(ValidationError::new("reason", "must be at most 500 printable characters").into())
        }
    }
}

/// An instant typed in a client's local time (`YYYY-MM-DDTHH:MM`, as a
/// browser's date-time field sends it), read in `zone` the way the rota
/// reads its times.
pub fn local_instant(field: &'static str, zone: &str, raw: &str) -> Result<i64> {
    let (_, tz) = zone_of(Some(zone.to_owned()));
    let bad = || ValidationError::new(field, format!("{raw:?} is not a date and time"));
    let dt: jiff::civil::DateTime = raw.trim().parse().map_err(|_| bad())?;
    Ok(tz
        .to_ambiguous_timestamp(dt)
        .compatible()
        .map_err(|_| bad())?
        .as_millisecond())
}

impl Tandem {
    /// The client whose rota of `side` `actor` wants to reach with `action`.
    async fn duty_client(
        &self,
        actor: &Actor,
        action: Action,
        client: OrgId,
        side: OwnerSide,
    ) -> Result<Org> {
        let (found, relation) = self.client_only(actor, client).await?;
        crate::decided(policy::decide_duty(actor.role, action, relation, side))?;
        found.ok_or(ServiceError::NotFound)
    }

    /// Whether `actor` may change `side`'s rota of a client they can read.
    async fn may_manage_duty(&self, actor: &Actor, client: OrgId, side: OwnerSide) -> Result<bool> {
        match self
            .duty_client(actor, Action::ManageDuty, client, side)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The person `who` if they staff `side` of `client` now, else none.
    async fn duty_person(
        &self,
        who: UserId,
        client: OrgId,
        side: OwnerSide,
    ) -> Result<Option<User>> {
        Ok(users::working_client(&self.db, who, client)
            .await?
            .filter(|u| staffs(u, client, side)))
    }

    /// The people who may be named on `side`'s rota of `client`, by name.
    async fn duty_candidates(
        &self,
        actor: &Actor,
        client: OrgId,
        side: OwnerSide,
    ) -> Result<Vec<(UserId, String)>> {
        let mut out: Vec<(UserId, String)> = match side {
            OwnerSide::Provider => match engagements::active_for_client(&self.db, client).await? {
                Some(e) => engagements::assignments(&self.db, e.id)
                    .await?
                    .into_iter()
                    .filter(|a| matches!(a.role.as_str(), "provider_admin" | "provider_engineer"))
                    .map(|a| (a.user_id, a.name))
                    .collect(),
                None => Vec::new(),
            },
            _ => users::list_in_org(&self.db, &actor.scope(), client)
                .await?
                .into_iter()
                .filter(|u| u.active && staffs(u, client, side))
                .map(|u| (u.id, u.name))
                .collect(),
        };
        out.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(out)
    }

    /// A client's after-hours duty, both sides, with who is on duty now.
    pub async fn duty_board(&self, actor: &Actor, client: OrgId) -> Result<DutyBoard> {
        let org = self
            .duty_client(actor, Action::ViewDuty, client, OwnerSide::Provider)
            .await?;
        let now = now_ms();
        let (zone, _) = zone_of(calendars::time_zone(&self.db, client).await?);
        let slots = duty::slots(&self.db, client).await?;
        let overrides = duty::overrides(&self.db, client, now).await?;
        let mut sides = Vec::new();
        for side in ROTA_SIDES {
            let slots: Vec<SlotRow> = slots
                .iter()
                .filter(|s| s.side == side.as_str())
                .cloned()
                .collect();
            let overrides: Vec<OverrideRow> = overrides
                .iter()
                .filter(|o| o.side == side.as_str())
                .cloned()
                .collect();
            let now_on = self.on_duty_at(client, side, now).await?.map(|(v, _)| v);
            let can_manage = self.may_manage_duty(actor, client, side).await?;
            let candidates = if can_manage {
                self.duty_candidates(actor, client, side).await?
            } else {
                Vec::new()
            };
            sides.push(SideDuty {
                side,
                slots,
                overrides,
                now: now_on,
                can_manage,
                candidates,
            });
        }
        Ok(DutyBoard {
            client: org,
            time_zone: zone,
            sides,
        })
    }

    /// Who is on duty for each side of a client at `at` (epoch ms), and why.
    pub async fn duty_at(
        &self,
        actor: &Actor,
        client: OrgId,
        at: i64,
    ) -> Result<Vec<(OwnerSide, Option<OnDutyView>)>> {
        self.duty_client(actor, Action::ViewDuty, client, OwnerSide::Provider)
            .await?;
        let mut out = Vec::new();
        for side in ROTA_SIDES {
            out.push((
                side,
                self.on_duty_at(client, side, at).await?.map(|(v, _)| v),
            ));
        }
        Ok(out)
    }

    /// Who is on duty for `side` of a client at `at`, and the person's
    /// record when they still staff that side (the caller has checked
    /// access).
    async fn on_duty_at(
        &self,
        client: OrgId,
        side: OwnerSide,
        at: i64,
    ) -> Result<Option<(OnDutyView, Option<User>)>> {
        let found = duty::duty_at(&self.db, client, side.as_str(), at).await?;
        let (_, tz) = zone_of(found.time_zone.clone());
        let Some((d, o)) = resolve(&tz, &found.slots, &found.overrides, at) else {
            return Ok(None);
        };
        let staffing = self.duty_person(d.person, client, side).await?;
        let name = match &staffing {
            Some(u) => u.name.clone(),
            None => users::get_for_actor(&self.db, d.person).await?.name,
        };
        let view = OnDutyView {
            user_id: d.person,
            name,
            basis: d.basis,
            until: d.until.as_millisecond(),
            reason: o.and_then(|o| o.reason.clone()),
            staffs: staffing.is_some(),
        };
        Ok(Some((view, staffing)))
    }

    /// Replace `side`'s week for a client. The week is checked as a whole:
    /// every slot well formed, none overlapping another, and each naming
    /// someone who staffs that side for the client (`slots` says which).
    pub async fn replace_rota(
        &self,
        actor: &Actor,
        client: OrgId,
        side: OwnerSide,
        input: &[SlotInput],
        meta: &RequestMeta,
    ) -> Result<Vec<SlotRow>> {
        self.duty_client(actor, Action::ManageDuty, client, side)
            .await?;
        let mut week: Vec<(WeeklySpan, SlotRow)> = Vec::new();
        for (i, s) in input.iter().enumerate() {
            let span = WeeklySpan::parse(
                "slots",
                &s.start_day,
                &s.start_time,
                &s.end_day,
                &s.end_time,
            )
            .map_err(|e| ValidationError::new("slots", format!("slot {}: {}", i + 1, e.message)))?;
            let person = self
                .duty_person(s.person_id, client, side)
                .await?
                .ok_or_else(|| {
                    ValidationError::new(
                        "slots",
                        format!("slot {} ({span}) names someone who does not staff the {} side of this client", i + 1, words(side)),
                    )
                })?;
            let (start_day, start_time) = span.start_spec();
            let (end_day, end_time) = span.end_spec();
            week.push((
                span,
                SlotRow {
                    id: uuid::Uuid::now_v7().to_string(),
                    side: side.as_str().to_owned(),
                    start_day: start_day.to_owned(),
                    start_time,
                    end_day: end_day.to_owned(),
                    end_time,
                    user_id: person.id,
                    user_name: person.name,
                    position: i as i64,
                },
            ));
        }
        // Checked as a whole week; stored in its order, as pages show it.
        Rota::new(week.iter().map(|(span, r)| (*span, r.user_id)).collect())?;
        week.sort_by_key(|(span, _)| *span);
        let ordered: Vec<SlotRow> = week.into_iter().map(|(_, r)| r).collect();
        let mut tx = self.db.begin().await?;
        duty::replace_slots(&mut tx, client, side.as_str(), &ordered).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "duty.rota.replace",
                object_type: "duty_rota",
                object_id: format!("{client}/{}", side.as_str()),
                change: json!({ "side": side.as_str(), "slots": ordered.iter().map(|s| json!({
                    "start": format!("{} {}", s.start_day, s.start_time),
                    "end": format!("{} {}", s.end_day, s.end_time),
                    "user_id": s.user_id })).collect::<Vec<_>>() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(ordered)
    }

    /// Add one slot to `side`'s week (the week is checked as a whole).
    pub async fn add_duty_slot(
        &self,
        actor: &Actor,
        client: OrgId,
        side: OwnerSide,
        slot: SlotInput,
        meta: &RequestMeta,
    ) -> Result<Vec<SlotRow>> {
        let mut week = self.current_week(actor, client, side).await?;
        week.push(slot);
        self.replace_rota(actor, client, side, &week, meta).await
    }

    /// Take one slot out of `side`'s week.
    pub async fn remove_duty_slot(
        &self,
        actor: &Actor,
        client: OrgId,
        side: OwnerSide,
        slot_id: &str,
        meta: &RequestMeta,
    ) -> Result<Vec<SlotRow>> {
        self.duty_client(actor, Action::ManageDuty, client, side)
            .await?;
        let slots = duty::slots(&self.db, client).await?;
        if !slots
            .iter()
            .any(|s| s.id == slot_id && s.side == side.as_str())
        {
            return Err(ServiceError::NotFound);
        }
        let week: Vec<SlotInput> = slots
            .into_iter()
            .filter(|s| s.side == side.as_str() && s.id != slot_id)
            .map(slot_input)
            .collect();
        self.replace_rota(actor, client, side, &week, meta).await
    }

    async fn current_week(
        &self,
        actor: &Actor,
        client: OrgId,
        side: OwnerSide,
    ) -> Result<Vec<SlotInput>> {
        self.duty_client(actor, Action::ManageDuty, client, side)
            .await?;
        Ok(duty::slots(&self.db, client)
            .await?
            .into_iter()
            .filter(|s| s.side == side.as_str())
            .map(slot_input)
            .collect())
    }

    /// Put someone on duty for a span, whatever the rota says.
    pub async fn add_duty_override(
        &self,
        actor: &Actor,
        client: OrgId,
        side: OwnerSide,
        input: &OverrideInput,
        meta: &RequestMeta,
    ) -> Result<OverrideRow> {
        self.duty_client(actor, Action::ManageDuty, client, side)
            .await?;
        DutyOverride::new(ts(input.starts_at), ts(input.ends_at), input.person_id)?;
        let reason = reason_of(input.reason.as_deref())?;
        let person = self
            .duty_person(input.person_id, client, side)
            .await?
            .ok_or_else(|| {
                ValidationError::new(
                    "person_id",
                    format!("does not staff the {} side of this client", words(side)),
                )
            })?;
        let now = now_ms();
        let row = OverrideRow {
            id: uuid::Uuid::now_v7().to_string(),
            side: side.as_str().to_owned(),
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            user_id: person.id,
            user_name: person.name,
            reason,
            created_by: Some(actor.user_id.to_string()),
            created_at: now,
        };
        let mut tx = self.db.begin().await?;
        duty::insert_override(&mut tx, client, &row).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "duty.override.create",
                object_type: "duty_override",
                object_id: row.id.clone(),
                change: json!({ "side": row.side, "starts_at": row.starts_at, "ends_at": row.ends_at,
                    "user_id": row.user_id, "reason": row.reason }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Remove an override of `side`.
    pub async fn remove_duty_override(
        &self,
        actor: &Actor,
        client: OrgId,
        side: OwnerSide,
        id: &str,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.duty_client(actor, Action::ManageDuty, client, side)
            .await?;
        let mut tx = self.db.begin().await?;
        let gone = duty::delete_override(&mut tx, client, side.as_str(), id).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "duty.override.delete",
                object_type: "duty_override",
                object_id: gone.id.clone(),
                change: json!({ "side": gone.side, "starts_at": gone.starts_at, "ends_at": gone.ends_at,
                    "user_id": gone.user_id }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whom an alert ticket opened after hours at `at` goes to on `side`:
    /// the person on duty then, if they still staff that side for the
    /// client. One indexed read (plus the person's), made only for
    /// after-hours alert tickets.
    pub(crate) async fn on_duty_assignee(
        &self,
        client: OrgId,
        side: OwnerSide,
        at: i64,
    ) -> Result<Option<(User, OnDutyView)>> {
        if !ROTA_SIDES.contains(&side) {
            return Ok(None);
        }
        Ok(match self.on_duty_at(client, side, at).await? {
            Some((view, Some(person))) => Some((person, view)),
            _ => None,
        })
    }
}

fn slot_input(s: SlotRow) -> SlotInput {
    SlotInput {
        start_day: s.start_day,
        start_time: s.start_time,
        end_day: s.end_day,
        end_time: s.end_time,
        person_id: s.user_id,
    }
}

/// The side in words, for messages.
fn words(side: OwnerSide) -> &'static str {
    match side {
        OwnerSide::Provider => "provider",
        _ => "in-house",
    }
}
