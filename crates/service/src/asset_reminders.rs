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
//! behalf of the client's first admin. The ticket is opened after the
//! ledger commits: a crash between the two loses that ticket, never
//! doubles it.

use crate::assets::{draft_of, parse_fired};
use crate::desk::{NewTicket, Source};
use crate::{RequestMeta, Result, Tandem};
use serde_json::json;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use tandem_domain::asset::{self, AssetSpec, ReminderStep, rules_with_defaults};
use tandem_domain::ticket::{Impact, OwnerSide, Urgency};
use tandem_domain::{Actor, OrgId, TicketId};
use tandem_store::assets::{self, Asset};
use tandem_store::orgs::Org;
use tandem_store::{StoreError, jobs, orgs, users};

/// Assets one round looks at.
const SWEEP_BATCH: i64 = 100;

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
        let due = assets::due(&self.db, &latest.to_string(), SWEEP_BATCH).await?;
        let mut clients: HashMap<OrgId, ClientRound> = HashMap::new();
        let mut fired = 0;
        for a in due {
            let round = match clients.entry(a.client_id) {
                Entry::Occupied(known) => known.into_mut(),
                Entry::Vacant(first) => match self.client_round(a.client_id, now).await {
                    Ok(c) => first.insert(c),
                    Err(e) => {
                        tracing::warn!(client = %a.client_id, error = %e, "asset reminders");
                        continue;
                    }
                },
            };
            match self.remind_asset(&a, round, now).await {
                Ok(n) => fired += n,
                Err(e) => tracing::warn!(asset = %a.id, error = %e, "asset reminder"),
            }
        }
        Ok(fired)
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
            let rule = rules
                .iter()
                .find(|r| r.kind == kind)
                .cloned()
                .unwrap_or_else(|| asset::ReminderRule::default_for(kind));
            let step = asset::reminder_step(date, rule.days_before, today);
            if step == ReminderStep::Wait {
                continue;
            }
            let notify = step == ReminderStep::Fire;
            let day = date.to_string();
            if !assets::record_fired(&mut tx, a.client_id, a.id, kind, &day, now, notify).await? {
                continue;
            }
            done.push((kind, date));
            if !notify {
                continue;
            }
            announced += 1;
            let text = format!("{} of {} is on {day}", kind.label(), a.name);
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
            if rule.open_ticket {
                to_open.push((kind, day, rule.category.clone(), text));
            }
        }
        let next = asset::next_reminder_on(&spec.expiries(), rules, &done).map(|d| d.to_string());
        // A reminder due tomorrow in the client's zone (but today
        // somewhere) waits on its day; nothing else moves it.
        assets::set_next_reminder(&mut tx, a.client_id, a.id, next.as_deref()).await?;
        tx.commit().await?;
        if let Some(actor) = admin {
            for (kind, day, category, text) in to_open {
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
                    .open_ticket_routed(actor, &input, &worker_meta(), now, TicketId::new(), false)
                    .await
                {
                    Ok(t) => {
                        let mut tx = self.db.begin().await?;
                        assets::set_fired_ticket(
                            &mut tx,
                            a.client_id,
                            a.id,
                            kind,
                            &day,
                            &t.ticket.id.to_string(),
                        )
                        .await?;
                        tx.commit().await?;
                    }
                    Err(e) => tracing::warn!(asset = %a.id, error = %e, "asset reminder ticket"),
                }
            }
        }
        Ok(announced)
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

/// "30 days" for a kind under the client's rules.
fn days_words(rules: &[asset::ReminderRule], kind: asset::ExpiryKind) -> String {
    let n = rules
        .iter()
        .find(|r| r.kind == kind)
        .map_or(kind.default_days(), |r| r.days_before);
    if n == 1 {
        "1 day".into()
    } else {
        format!("{n} days")
    }
}
