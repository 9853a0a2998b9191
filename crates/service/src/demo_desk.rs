//! The service-desk part of the demo: each client's calendar and split,
//! and three weeks of realistic tickets in every state — answered and not,
//! paused, handed off both ways, resolved, and some breached.

use crate::auth::actor_of;
use crate::desk::{CalendarSpec, NewTicket, Source, TicketChange, Visibility, WindowSpec};
use crate::desk_setup::SplitEdit;
use crate::{RequestMeta, Result, Tandem, now_ms};
use tandem_domain::ticket::{Impact, OwnerSide, TicketStatus, Urgency};
use tandem_domain::{Actor, Role, UserId};
use tandem_store::engagements;
use tandem_store::orgs::Org;

/// Tickets in the demo.
const TICKETS: usize = 300;
const DAY: i64 = 86_400_000;

/// A small deterministic generator, so every demo tells the same story.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const TITLES: [(&str, &[&str]); 11] = [
    (
        "help-desk",
        &[
            "Password reset for a new starter",
            "Cannot open shared mailbox",
            "Teams camera not detected",
            "Printer shows offline on 2nd floor",
            "Laptop very slow after update",
        ],
    ),
    (
        "on-site",
        &[
            "Move desk phone to meeting room B",
            "Replace monitor in reception",
            "Cable mess under the front desk",
        ],
    ),
    (
        "network",
        &[
            "VPN drops every hour",
            "Wi-Fi weak in the warehouse",
            "Branch office cannot reach file server",
            "Firewall blocks supplier portal",
        ],
    ),
    (
        "security-operations",
        &[
            "Suspicious sign-in from abroad",
            "Phishing mail reported by finance",
            "EDR alert on a workstation",
        ],
    ),
    (
        "patching",
        &[
            "Monthly patch window failed on 3 servers",
            "Browser updates pending on kiosks",
        ],
    ),
    (
        "backup-monitoring",
        &[
            "Nightly backup job failed",
            "Restore test for the ERP database",
        ],
    ),
    (
        "m365-administration",
        &[
            "Outlook keeps asking for the password",
            "Create shared mailbox for projects",
            "License count does not match staff list",
        ],
    ),
    (
        "vendor-escalation",
        &[
            "ISP line down at the depot",
            "ERP vendor ticket open for 5 days",
        ],
    ),
    (
        "projects",
        &["Plan the move to the new office", "Replace the core switch"],
    ),
    (
        "strategic-planning",
        &[
            "Draft the 2027 IT budget",
            "Review the laptop lifecycle policy",
        ],
    ),
    (
        "compliance",
        &[
            "Evidence for the cyber insurance questionnaire",
            "Access review for the finance share",
        ],
    ),
];

struct ClientSetup {
    calendar: CalendarSpec,
}

fn setups() -> [ClientSetup; 3] {
    let win = |day: &str, start: &str, end: &str| WindowSpec {
        day: day.into(),
        start: start.into(),
        end: end.into(),
    };
    let yearly: Vec<String> = ["01-01", "12-25", "12-26"]
        .iter()
        .map(|s| (*s).to_string())
        .collect();
    [
        ClientSetup {
            calendar: CalendarSpec {
                yearly_holidays: yearly.clone(),
                holidays: vec!["2026-11-26".into(), "2026-11-27".into()],
                ..CalendarSpec::weekdays("America/Chicago", "08:00", "17:00")
            },
        },
        ClientSetup {
            calendar: CalendarSpec {
                time_zone: "Europe/London".into(),
                windows: ["mon", "tue", "wed", "thu", "fri"]
                    .iter()
                    .map(|d| win(d, "08:30", "18:00"))
                    .chain([win("sat", "09:00", "13:00")])
                    .collect(),
                holidays: vec!["2026-12-28".into()],
                yearly_holidays: yearly.clone(),
            },
        },
        // A factory with a night shift: two windows a weekday, one across midnight.
        ClientSetup {
            calendar: CalendarSpec {
                time_zone: "America/New_York".into(),
                windows: ["mon", "tue", "wed", "thu", "fri"]
                    .iter()
                    .flat_map(|d| [win(d, "06:00", "18:00"), win(d, "22:00", "02:00")])
                    .collect(),
                holidays: vec!["2026-11-26".into()],
                yearly_holidays: yearly,
            },
        },
    ]
}

/// Seed calendars, split assignees and tickets for the demo clients.
pub(crate) async fn seed(
    t: &Tandem,
    provider_staff: &[Actor],
    clients: &[(Org, String)],
) -> Result<()> {
    let meta = RequestMeta {
        request_id: "demo-desk".into(),
        source_addr: "demo".into(),
    };
    let mut dice = Dice(2026);
    let now = now_ms();
    let mut people = Vec::new();
    for ((client, _), setup) in clients.iter().zip(setups()) {
        let engagement = engagements::active_for_client(&t.db, client.id)
            .await?
            .ok_or(crate::ServiceError::NotFound)?;
        let assigned: Vec<UserId> = engagements::assignments(&t.db, engagement.id)
            .await?
            .into_iter()
            .map(|a| a.user_id)
            .collect();
        let engineers: Vec<Actor> = provider_staff
            .iter()
            .filter(|a| assigned.contains(&a.user_id))
            .cloned()
            .collect();
        // Read the client's people as one of its assigned engineers: a real
        // actor's scope, like every other store call.
        let reader = engineers.first().ok_or(crate::ServiceError::NotFound)?;
        let members = t.list_users(reader, client.id).await?;
        let admin = members
            .iter()
            .find(|u| u.role == Role::ClientAdmin)
            .map(actor_of)
            .ok_or(crate::ServiceError::NotFound)?;
        let techs: Vec<Actor> = members
            .iter()
            .filter(|u| u.role == Role::ClientTechnician)
            .map(actor_of)
            .collect();
        let requesters: Vec<Actor> = members
            .iter()
            .filter(|u| u.role == Role::Requester)
            .map(actor_of)
            .collect();
        t.set_calendar(&admin, client.id, &setup.calendar, &meta)
            .await?;
        // Name who picks up what: the first technician in-house, the first
        // assigned engineer on the provider side; one split change each way.
        let setup_now = t.desk_setup(&admin, client.id).await?;
        for line in &setup_now.split {
            let edit = SplitEdit {
                category: line.category_key.clone(),
                business_hours: line.business_hours.parse().unwrap_or(OwnerSide::InHouse),
                after_hours: line.after_hours.parse().unwrap_or(OwnerSide::Provider),
                provider_assignee: engineers.first().map(|e| e.user_id),
                in_house_assignee: techs.first().map(|a| a.user_id),
                in_scope: line.in_scope,
            };
            t.edit_split(&admin, client.id, &edit, &meta).await?;
        }
        people.push((client.clone(), admin, techs, requesters, engineers));
    }

    let weights = [1usize, 2, 3];
    for i in 0..TICKETS {
        let which = {
            let roll = dice.below(6);
            if roll < weights[0] {
                0
            } else if roll < weights[0] + weights[1] {
                1
            } else {
                2
            }
        };
        let (client, admin, techs, requesters, engineers) = &people[which];
        let (category, titles) = *dice.pick(&TITLES);
        let title = *dice.pick(titles);
        let age = (dice.below(21 * 24 * 60) as i64) * 60_000 + 30 * 60_000;
        let opened = now - age;
        let requester = dice.pick(requesters).clone();
        let impact = *dice.pick(&[
            Impact::Low,
            Impact::Low,
            Impact::Medium,
            Impact::Medium,
            Impact::High,
        ]);
        let urgency = *dice.pick(&[
            Urgency::Low,
            Urgency::Medium,
            Urgency::Medium,
            Urgency::High,
        ]);
        let input = NewTicket {
            client_id: client.id,
            title: title.into(),
            description: format!(
                "Reported by {}. {}",
                requester.email, "Details as described on the phone; screenshots to follow."
            ),
            category: category.into(),
            impact,
            urgency,
            requester_id: None,
            source: *dice.pick(&[Source::Web, Source::Web, Source::Email, Source::Api]),
        };
        let view = t.open_ticket_at(&requester, &input, &meta, opened).await?;
        let id = view.ticket.id;
        let on_provider = view.ticket.owner_side == "provider";
        let worker = if on_provider {
            dice.pick(engineers).clone()
        } else {
            techs.first().cloned().unwrap_or_else(|| admin.clone())
        };
        let step = |f: i64| opened + ((age as f64) * (f as f64) / 100.0) as i64;
        // Most get a first answer; the rest are the ones that breach.
        if !dice.chance(80) {
            continue;
        }
        t.comment_at(
            &worker,
            id,
            "Thanks, we are on it. We will update you here.",
            Visibility::Public,
            &meta,
            step(5),
        )
        .await?;
        let mut version = t.visible_ticket(&worker, id).await?.ticket.version;
        let change = |status: TicketStatus| TicketChange {
            status: Some(status),
            ..TicketChange::default()
        };
        let v = t
            .change_ticket_at(
                &worker,
                id,
                version,
                &change(TicketStatus::InProgress),
                &meta,
                step(10),
            )
            .await?;
        version = v.ticket.version;
        match i % 7 {
            0 => {
                t.comment_at(
                    &worker,
                    id,
                    "Could you tell us when this started, and send a screenshot?",
                    Visibility::Public,
                    &meta,
                    step(20),
                )
                .await?;
                t.change_ticket_at(
                    &worker,
                    id,
                    version,
                    &change(TicketStatus::WaitingOnCustomer),
                    &meta,
                    step(21),
                )
                .await?;
            }
            1 => {
                let v = t
                    .hand_off_at(
                        &worker,
                        id,
                        version,
                        if on_provider {
                            "On-site work needed; the in-house team is at the building"
                        } else {
                            "Needs the provider's network team and the vendor"
                        },
                        &meta,
                        step(30),
                    )
                    .await?;
                t.comment_at(
                    &worker,
                    id,
                    "Handed over with the notes above.",
                    Visibility::Team,
                    &meta,
                    step(31),
                )
                .await?;
                if i % 2 == 0 {
                    let v2 = t
                        .change_ticket_at(
                            &worker,
                            id,
                            v.ticket.version,
                            &change(TicketStatus::Resolved),
                            &meta,
                            step(80),
                        )
                        .await?;
                    let _ = v2;
                }
            }
            2 => {
                t.change_ticket_at(
                    &worker,
                    id,
                    version,
                    &change(TicketStatus::WaitingOnVendor),
                    &meta,
                    step(40),
                )
                .await?;
            }
            3..=5 => {
                t.comment_at(
                    &worker,
                    id,
                    "Fixed. Please check on your side.",
                    Visibility::Public,
                    &meta,
                    step(60),
                )
                .await?;
                let v = t
                    .change_ticket_at(
                        &worker,
                        id,
                        version,
                        &change(TicketStatus::Resolved),
                        &meta,
                        step(61),
                    )
                    .await?;
                if i % 3 == 0 && age > 7 * DAY {
                    t.change_ticket_at(
                        admin,
                        id,
                        v.ticket.version,
                        &change(TicketStatus::Closed),
                        &meta,
                        step(90),
                    )
                    .await?;
                }
            }
            _ => {
                t.comment_at(
                    &worker,
                    id,
                    "Internal: checked the logs, looks like a driver issue.",
                    Visibility::Team,
                    &meta,
                    step(50),
                )
                .await?;
            }
        }
    }
    // Let the SLA clock catch up with three weeks of history.
    while t.raise_sla_events(now).await? > 0 {}
    t.run_jobs(10_000).await?;
    Ok(())
}
