//! The demo's money: an agreement of a different model for each client
//! (a per-user hybrid, per device with hourly work, a retainer with block
//! hours, two blocks bought), proposed by the provider's admin and
//! accepted by the client's; three months of both sides' time; and the invoices those months come
//! to: the first two issued, the last a draft.

use crate::auth::actor_of;
use crate::blocks::NewBlock;
use crate::queue::{QueueFilter, QueueView};
use crate::time::NewTime;
use crate::{RequestMeta, Result, ServiceError, Tandem};
use jiff::civil::Date;
use std::collections::BTreeMap;
use tandem_domain::billing::{
    BlockTerms, Credit, Hourly, PerDevice, PerUser, Pricing, Terms, TimeRounding, UserCounting,
};
use tandem_domain::device::DeviceClass;
use tandem_domain::money::Currency;
use tandem_domain::ticket::Priority;
use tandem_domain::{Actor, Role};
use tandem_store::engagements;
use tandem_store::orgs::Org;

fn credits(p1: Credit, rest: i64) -> BTreeMap<Priority, Credit> {
    [
        (Priority::P1, p1),
        (Priority::P2, Credit::Fixed(rest)),
        (Priority::P3, Credit::Fixed(rest / 2)),
        (Priority::P4, Credit::Fixed(0)),
    ]
    .into_iter()
    .collect()
}

/// The three clients' terms, in the order of the demo's clients.
fn terms(starts_on: Date) -> [Terms; 3] {
    let usd = Currency {
        code: "USD".into(),
        decimals: 2,
    };
    let base = |pricing: Pricing, credits, cap, tax| Terms {
        currency: usd.clone(),
        starts_on,
        ends_on: None,
        invoice_day: 1,
        payment_days: 30,
        tax_bps: tax,
        pricing,
        credits,
        credit_cap: cap,
        inclusions: Vec::new(),
        exclusions: Vec::new(),
    };
    let rounding = TimeRounding {
        increment_minutes: 15,
        minimum_minutes: 15,
        after_hours_bps: 15_000,
    };
    let mut hybrid = base(
        Pricing {
            per_user: Some(PerUser {
                rate: 8_500,
                counting: UserCounting::ActiveRequesters,
                minimum: 10,
            }),
            excluded_rate: Some(19_000),
            rounding: rounding.clone(),
            ..Pricing::default()
        },
        credits(Credit::ShareOfBase(500), 25_000),
        Some(Credit::ShareOfBase(1_500)),
        None,
    );
    hybrid.inclusions = vec!["Patching and monitoring of every workstation".into()];
    hybrid.exclusions = vec!["Projects and compliance work, billed by the hour".into()];
    let per_device = base(
        Pricing {
            per_device: Some(PerDevice {
                rates: [
                    (DeviceClass::Workstation, 4_500),
                    (DeviceClass::Server, 30_000),
                    (DeviceClass::NetworkDevice, 2_500),
                ]
                .into_iter()
                .collect(),
            }),
            hourly: Some(Hourly {
                default_rate: Some(16_500),
                rates: Vec::new(),
            }),
            rounding: rounding.clone(),
            ..Pricing::default()
        },
        credits(Credit::Fixed(50_000), 20_000),
        Some(Credit::Fixed(100_000)),
        Some(825),
    );
    let retainer = base(
        Pricing {
            retainer: Some(600_000),
            blocks: Some(BlockTerms {
                overage_rate: 17_500,
                low_balance_minutes: 300,
                top_up: None,
            }),
            rounding,
            ..Pricing::default()
        },
        credits(Credit::ShareOfBase(1_000), 30_000),
        Some(Credit::Fixed(120_000)),
        None,
    );
    [hybrid, per_device, retainer]
}

/// A step of a small deterministic walk, for minutes and days.
fn pick(seed: &mut u64, n: u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*seed >> 33) % n
}

pub(crate) async fn seed(
    t: &Tandem,
    provider_staff: &[Actor],
    clients: &[(Org, String)],
) -> Result<()> {
    let meta = RequestMeta {
        request_id: "demo-billing".into(),
        source_addr: "demo".into(),
    };
    let provider_admin = provider_staff
        .iter()
        .find(|a| a.role == Role::ProviderAdmin)
        .ok_or(ServiceError::NotFound)?;
    let this_month = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date()
        .first_of_month();
    let month = |back: i64| {
        this_month
            .checked_sub(jiff::Span::new().months(back))
            .unwrap_or(this_month)
    };
    let months = [month(3), month(2), month(1)];
    let mut seed = 15_u64;
    for ((client, _), terms) in clients.iter().zip(terms(months[0])) {
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
            .find(|a| assigned.contains(&a.user_id))
            .ok_or(ServiceError::NotFound)?;
        let people = t.list_users(engineer, client.id).await?;
        let admin = people
            .iter()
            .find(|u| u.role == Role::ClientAdmin)
            .map(actor_of)
            .ok_or(ServiceError::NotFound)?;
        let tech = people
            .iter()
            .find(|u| u.role == Role::ClientTechnician)
            .map_or_else(|| admin.clone(), actor_of);

        let draft = t
            .draft_agreement(provider_admin, engagement.id, &terms, &meta)
            .await?;
        let id = draft.agreement.id;
        let proposed = t.propose_agreement(provider_admin, &id, 1, &meta).await?;
        t.accept_agreement(&admin, &id, proposed.agreement.version, &meta)
            .await?;
        if terms.pricing.blocks.is_some() {
            // A block at the start that the project work runs out, and a
            // smaller one later whose unused hours roll over.
            for (first, hours, price, valid, rolls_over, note) in [
                (
                    months[0],
                    8,
                    120_000,
                    6,
                    false,
                    "Quarterly block, order PO-2291",
                ),
                (
                    months[2],
                    6,
                    90_000,
                    3,
                    true,
                    "Top-up ordered by the client, order PO-2347",
                ),
            ] {
                let on = first
                    .checked_add(jiff::Span::new().days(1))
                    .unwrap_or(first);
                let block = NewBlock {
                    purchased_on: on,
                    minutes: hours * 60,
                    price,
                    expires_on: on
                        .checked_add(jiff::Span::new().months(valid))
                        .unwrap_or(on),
                    rolls_over,
                    note: note.into(),
                };
                t.buy_block(provider_admin, &id, block, &meta).await?;
            }
        }

        // Both sides' time on the client's tickets, month by month.
        let tickets = t
            .queue(engineer, QueueView::All, &QueueFilter::default())
            .await?;
        let tickets: Vec<_> = tickets
            .into_iter()
            .filter(|q| q.ticket.client_id == client.id)
            .take(12)
            .collect();
        if tickets.is_empty() {
            continue;
        }
        for first in months {
            for n in 0..10 {
                let q =
                    &tickets[usize::try_from(pick(&mut seed, tickets.len() as u64)).unwrap_or(0)];
                let day = first
                    .checked_add(
                        jiff::Span::new().days(i64::try_from(pick(&mut seed, 27)).unwrap_or(0)),
                    )
                    .unwrap_or(first);
                let hour = 8 + i8::try_from(pick(&mut seed, 12)).unwrap_or(0);
                let started = day
                    .at(hour, 0, 0, 0)
                    .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                    .map(|z| z.timestamp().as_millisecond())
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
                // Every fourth piece of provider work is project work.
                let (who, category, note) = match n % 4 {
                    0 => (&tech, None, "Checked with the user and the logs"),
                    1 => (
                        engineer,
                        Some("projects"),
                        "Project work: the new site's network",
                    ),
                    _ => (engineer, None, "Diagnosed and fixed"),
                };
                let input = NewTime {
                    started_at: Some(started),
                    minutes: 15 + i64::try_from(pick(&mut seed, 12)).unwrap_or(0) * 15,
                    category: category.map(str::to_owned),
                    note: note.into(),
                    corrects: None,
                };
                t.log_time(who, q.ticket.id, &input, &meta).await?;
            }
        }
    }

    // The months come to invoices; the first two are issued.
    for (i, first) in months.iter().enumerate() {
        let out = t.run_invoices(Some(provider_admin), *first, &meta).await?;
        if i < 2 {
            for id in out.created {
                t.issue_invoice(provider_admin, &id, 1, &meta).await?;
            }
        }
    }
    Ok(())
}
