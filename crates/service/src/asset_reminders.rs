//! Expiry reminders of asset records, swept by the background worker
//! ([`Tandem::sweep_asset_reminders`], called from [`Tandem::work_once`]).
//!
//! Each asset carries the day the sweep should look at it next
//! (`next_reminder_on`: its earliest reminder not yet fired), so a round
//! starts from one read of a partial index. The read takes the latest
//! date anywhere on Earth; the client's own date (its calendar's zone)
//! decides. A reminder fires once per asset, kind and date: the ledger
//! row is written with the notifications in one transaction, and a second
//! worker that races it writes nothing. A changed date is a new reminder.
//!
//! Who hears: the side the split gives the category of the client's rule
//! for that kind in business hours (both teams for shared work), falling
//! back to the client's admins. When the client turned tickets on for the
//! kind, a ticket is opened in that category, routed by the split, on
//! behalf of the client's first admin. Its id is reserved in the ledger
//! row, marked pending, and the ticket is written after the ledger
//! commits; a crash between the two leaves the row pending, and a later
//! round writes the ticket under that id: never lost, never doubled.

use crate::assets::{draft_of, parse_fired};
use crate::desk::{NewTicket, Source};
use crate::{RequestMeta, Result, ServiceError, Tandem};
use serde_json::json;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use tandem_domain::asset::{self, AssetSpec, ReminderStep, rules_with_defaults};
use tandem_domain::ticket::{Impact, OwnerSide, Urgency};
use tandem_domain::{Actor, DeviceId, OrgId, TicketId};
use tandem_store::assets::{self, Asset};
use tandem_store::orgs::Org;
use tandem_store::{StoreError, jobs, orgs, users};

/// Assets one round looks at.
const SWEEP_BATCH: i64 = 100;

/// How long a pending reminder ticket is left to the worker that fired it
/// before a round writes it instead (that worker writes it right after its
/// commit, so a minute means it stopped).
const REPAIR_AFTER_MS: i64 = 60_000;

/// What a sweep round knows of one client.
struct ClientRound {
    org: Org,
    /// The client's date now (its calendar's zone).
    today: jiff::civil::Date,
    /// Its reminder rules, the defaults filled in.
    rules: Vec<asset::ReminderRule>,
    /// Its first active admin, on whose behalf reminder tickets open.
    admin: Option<Actor>,
}

fn worker_meta() -> RequestMeta {
    RequestMeta {
        request_id: "worker:asset-reminders".into(),
        source_addr: "local".into(),
    }
}

impl Tandem {
    /// Fire the asset reminders due at `now` (epoch ms); returns how many
    /// were announced. A failure on one asset is logged and left for the
    /// next round.
    pub async fn sweep_asset_reminders(&self, now: i64) -> Result<usize> {
        // The latest calendar date anywhere (UTC+14) bounds the read.
        let latest = jiff::Timestamp::from_millisecond(now + 14 * 3_600_000)
            .unwrap_or_else(|_| jiff::Timestamp::now())
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        let mut clients: HashMap<OrgId, ClientRound> = HashMap::new();
        let pending =
            assets::pending_reminder_tickets(&self.db, now - REPAIR_AFTER_MS, SWEEP_BATCH).await?;
        for p in pending {
            let Some(round) = self.round_of(&mut clients, p.client_id, now).await else {
                continue;
            };
            if let Err(e) = self.repair_reminder_ticket(&p, round, now).await {
                tracing::warn!(asset = %p.asset_id, error = %e, "asset reminder ticket");
            }
        }
        let due = assets::due(&self.db, &latest.to_string(), SWEEP_BATCH).await?;
        let mut fired = 0;
        for a in due {
            let Some(round) = self.round_of(&mut clients, a.client_id, now).await else {
                continue;
            };
            match self.remind_asset(&a, round, now).await {
                Ok(n) => fired += n,
                Err(e) => tracing::warn!(asset = %a.id, error = %e, "asset reminder"),
            }
        }
        Ok(fired)
    }

    /// A client's round, read at its first asset of the sweep; `None`
    /// (logged) when it cannot be read, so its assets wait for the next.
    async fn round_of<'a>(
        &self,
        clients: &'a mut HashMap<OrgId, ClientRound>,
        client: OrgId,
        now: i64,
    ) -> Option<&'a ClientRound> {
        match clients.entry(client) {
            Entry::Occupied(known) => Some(known.into_mut()),
            Entry::Vacant(first) => match self.client_round(client, now).await {
                Ok(c) => Some(first.insert(c)),
                Err(e) => {
                    tracing::warn!(client = %client, error = %e, "asset reminders");
                    None
                }
            },
        }
    }

    /// What a round reads of a client once, however many of its assets
    /// are due: its organization, its date, its rules and its first admin.
    async fn client_round(&self, client: OrgId, now: i64) -> Result<ClientRound> {
        let org = orgs::get_unscoped(&self.db, client).await?;
        let today = self
            .client_today(
                &org,
                jiff::Timestamp::from_millisecond(now).unwrap_or_default(),
            )
            .await?;
        Ok(ClientRound {
            today,
            rules: rules_with_defaults(&assets::rules(&self.db, client).await?),
            admin: self.first_client_admin(client).await?,
            org,
        })
    }

    /// Fire what is due of one asset.
    async fn remind_asset(&self, a: &Asset, round: &ClientRound, now: i64) -> Result<usize> {
        let ClientRound {
            org: client,
            today,
            rules,
            admin,
        } = round;
        let today = *today;
        // Due somewhere on Earth but not yet on the client's own date:
        // nothing to write until its day comes.
        if a.next_reminder_on
            .as_deref()
            .and_then(|d| d.parse::<jiff::civil::Date>().ok())
            .is_some_and(|d| today < d)
        {
            return Ok(0);
        }
        let spec = AssetSpec::new(draft_of(a)?)?;
        let mut tx = self.db.begin().await?;
        let mut done = parse_fired(assets::fired_tx(&mut tx, a.client_id, a.id).await?);
        let mut to_open = Vec::new();
        let mut announced = 0;
        for (kind, date) in spec.expiries() {
            if done.contains(&(kind, date)) {
                continue;
            }
            let rule = rule_for(rules, kind);
            let step = asset::reminder_step(date, rule.days_before, today);
            if step == ReminderStep::Wait {
                continue;
            }
            let notify = step == ReminderStep::Fire;
            let day = date.to_string();
            let ticket = (notify && rule.open_ticket && admin.is_some()).then(TicketId::new);
            if !assets::record_fired(&mut tx, a.client_id, a.id, kind, &day, now, notify, ticket)
                .await?
            {
                continue;
            }
            done.push((kind, date));
            if !notify {
                continue;
            }
            announced += 1;
            let text = reminder_text(kind, &a.name, &day);
            let side = match admin {
                Some(actor) => self.owning_side(actor, client, &rule.category).await?,
                None => None,
            };
            let mut people = match side {
                Some(OwnerSide::Provider) => {
                    assets::side_staff(&mut tx, a.client_id, "provider").await?
                }
                Some(OwnerSide::Shared) => {
                    let mut both = assets::side_staff(&mut tx, a.client_id, "in_house").await?;
                    both.extend(assets::side_staff(&mut tx, a.client_id, "provider").await?);
                    both
                }
                Some(OwnerSide::InHouse) => {
                    assets::side_staff(&mut tx, a.client_id, "in_house").await?
                }
                None => Vec::new(),
            };
            if people.is_empty() {
                people = assets::client_admins(&mut tx, a.client_id).await?;
            }
            people.sort();
            people.dedup();
            for p in people {
                let payload = json!({ "user_id": p, "client_id": a.client_id, "ticket_id": null,
                    "kind": "asset_expiry", "text": text });
                jobs::enqueue(&mut tx, "notify", &payload.to_string(), crate::now_ms()).await?;
            }
            if let Some(id) = ticket {
                to_open.push((kind, day, rule.category, id));
            }
        }
        let next = asset::next_reminder_on(&spec.expiries(), rules, &done).map(|d| d.to_string());
        // A reminder due tomorrow in the client's zone (but today
        // somewhere) waits on its day; nothing else moves it.
        assets::set_next_reminder(&mut tx, a.client_id, a.id, next.as_deref()).await?;
        tx.commit().await?;
        if let Some(actor) = admin {
            for (kind, day, category, id) in to_open {
                if let Err(e) = self
                    .open_reminder_ticket(actor, a, rules, kind, &day, category, id, now)
                    .await
                {
                    // Left pending: a later round writes it.
                    tracing::warn!(asset = %a.id, error = %e, "asset reminder ticket");
                }
            }
        }
        Ok(announced)
    }

    /// Write a fired reminder's ticket under the id reserved for it, and
    /// mark it written. A ticket already there (another worker wrote it)
    /// counts as written.
    #[allow(clippy::too_many_arguments)]
    async fn open_reminder_ticket(
        &self,
        actor: &Actor,
        a: &Asset,
        rules: &[asset::ReminderRule],
        kind: asset::ExpiryKind,
        day: &str,
        category: String,
        ticket: TicketId,
        now: i64,
    ) -> Result<()> {
        let text = reminder_text(kind, &a.name, day);
        let input = NewTicket {
            client_id: a.client_id,
            title: text.chars().take(200).collect(),
            description: format!(
                "{text}. Opened by the asset reminder ({} before). Asset: {} ({}).",
                days_words(rules, kind),
                a.name,
                a.asset_type.label()
            ),
            category,
            impact: Impact::Low,
            urgency: Urgency::Medium,
            requester_id: None,
            source: Source::Reminder,
        };
        match self
            .open_reserved_ticket(actor, &input, &worker_meta(), now, ticket, false)
            .await
        {
            Ok(()) => {}
            // A ticket the desk refuses as asked (its category since
            // removed, say) is logged and no longer owed, rather than tried
            // again every round ahead of the others.
            Err(ServiceError::Invalid(v)) => {
                tracing::warn!(asset = %a.id, field = v.field, reason = %v.message, "asset reminder ticket refused");
            }
            Err(e) => return Err(e),
        }
        self.reminder_ticket_settled(a.client_id, a.id, kind.as_str(), day)
            .await
    }

    /// A reminder ticket a crash left unwritten after its reminder fired:
    /// written now under its reserved id, in the category the client's rule
    /// names now. When the client has no admin to open it for any more,
    /// or turned reminder tickets off since, it is no longer owed.
    async fn repair_reminder_ticket(
        &self,
        p: &assets::PendingReminderTicket,
        round: &ClientRound,
        now: i64,
    ) -> Result<()> {
        let owed = p
            .expiry_kind
            .parse::<asset::ExpiryKind>()
            .ok()
            .map(|k| (k, rule_for(&round.rules, k)))
            .filter(|(_, rule)| rule.open_ticket);
        match (&round.admin, owed) {
            (Some(actor), Some((kind, rule))) => {
                let a = assets::get(&self.db, p.client_id, p.asset_id).await?;
                self.open_reminder_ticket(
                    actor,
                    &a,
                    &round.rules,
                    kind,
                    &p.expires_on,
                    rule.category,
                    p.ticket_id,
                    now,
                )
                .await
            }
            _ => {
                self.reminder_ticket_settled(p.client_id, p.asset_id, &p.expiry_kind, &p.expires_on)
                    .await
            }
        }
    }

    /// A reminder's ticket is written, or no longer owed: not pending.
    async fn reminder_ticket_settled(
        &self,
        client: OrgId,
        asset: DeviceId,
        kind: &str,
        expires_on: &str,
    ) -> Result<()> {
        let mut tx = self.db.begin().await?;
        assets::reminder_ticket_written(&mut tx, client, asset, kind, expires_on).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The client's first active admin, as an actor (reminder tickets are
    /// opened on their behalf).
    async fn first_client_admin(&self, client: OrgId) -> Result<Option<Actor>> {
        let mut tx = self.db.begin().await?;
        let ids = assets::client_admins(&mut tx, client).await?;
        drop(tx);
        for id in ids {
            let Ok(u) = id.parse() else { continue };
            match users::get_for_actor(&self.db, u).await {
                Ok(u) if u.active => return Ok(Some(crate::auth::actor_of(&u))),
                Ok(_) | Err(StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// The side that owns `category` of the client in business hours, by
    /// the split; None without an engagement or a line.
    async fn owning_side(
        &self,
        actor: &Actor,
        client: &orgs::Org,
        category: &str,
    ) -> Result<Option<OwnerSide>> {
        let desk = self.desk_of(actor, client).await?;
        let Some(cat) = desk.categories.iter().find(|c| c.key == category) else {
            return Ok(None);
        };
        Ok(desk
            .engagement
            .and(desk.line(&cat.id))
            .map(|l| crate::desk::split_line(l).business_hours))
    }
}

/// A client's rule for one kind of date (its default when it set none).
fn rule_for(rules: &[asset::ReminderRule], kind: asset::ExpiryKind) -> asset::ReminderRule {
    rules
        .iter()
        .find(|r| r.kind == kind)
        .cloned()
        .unwrap_or_else(|| asset::ReminderRule::default_for(kind))
}

/// What a reminder says, in its notification and as its ticket's title.
fn reminder_text(kind: asset::ExpiryKind, asset_name: &str, day: &str) -> String {
    format!("{} of {asset_name} is on {day}", kind.label())
}

/// "30 days" for a kind under the client's rules.
fn days_words(rules: &[asset::ReminderRule], kind: asset::ExpiryKind) -> String {
    let n = rule_for(rules, kind).days_before;
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}
