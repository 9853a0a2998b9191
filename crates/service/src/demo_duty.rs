//! The on-duty part of the demo: provider after-hours rotas for Alder
//! (Dev every night and weekend, in Chicago time) and Brightwater (Dev
//! early in the week, Sofia late in the week and at weekends, in London
//! time), with one override coming up: Dev covering Sofia's next weekend.
//!
//! Written straight to the store: in the demo the provider's admin, whose
//! rota it is, is assigned to no client, and the use case would (rightly)
//! refuse her.

use crate::{Result, Tandem, now_ms};
use tandem_domain::Actor;
use tandem_store::duty::{self, OverrideRow, SlotRow};
use tandem_store::orgs::Org;

fn slot(from: (&str, &str), to: (&str, &str), who: &Actor) -> SlotRow {
    SlotRow {
        id: uuid::Uuid::now_v7().to_string(),
        side: "provider".into(),
        start_day: from.0.into(),
        start_time: from.1.into(),
        end_day: to.0.into(),
        end_time: to.1.into(),
        user_id: who.user_id,
        user_name: who.name.clone(),
        position: 0,
    }
}

/// Seed the rotas; `provider_staff` is Mara, Dev, Sofia, Tomasz.
pub(crate) async fn seed(
    t: &Tandem,
    provider_staff: &[Actor],
    clients: &[(Org, String)],
) -> Result<()> {
    let (Some(dev), Some(sofia)) = (provider_staff.get(1), provider_staff.get(2)) else {
        return Ok(());
    };
    let nights = |who: &Actor, days: &[(&str, &str)], start: &str, end: &str| -> Vec<SlotRow> {
        days.iter()
            .map(|(d, next)| slot((d, start), (next, end), who))
            .collect()
    };
    let mut alder = nights(
        dev,
        &[
            ("mon", "tue"),
            ("tue", "wed"),
            ("wed", "thu"),
            ("thu", "fri"),
        ],
        "17:00",
        "08:00",
    );
    alder.push(slot(("fri", "17:00"), ("mon", "08:00"), dev));
    let mut brightwater = nights(
        dev,
        &[("mon", "tue"), ("tue", "wed"), ("wed", "thu")],
        "18:00",
        "08:30",
    );
    brightwater.extend(nights(sofia, &[("thu", "fri")], "18:00", "08:30"));
    brightwater.push(slot(("fri", "18:00"), ("mon", "08:30"), sofia));
    let mut tx = t.db.begin().await?;
    for ((client, _), week) in clients.iter().zip([alder, brightwater]) {
        duty::replace_slots(&mut tx, client.id, "provider", &week).await?;
    }
    if let Some((brightwater, _)) = clients.get(1) {
        let day = 86_400_000;
        let start = (now_ms() / day + 7) * day;
        duty::insert_override(
            &mut tx,
            brightwater.id,
            &OverrideRow {
                id: uuid::Uuid::now_v7().to_string(),
                side: "provider".into(),
                starts_at: start,
                ends_at: start + 3 * day,
                user_id: dev.user_id,
                user_name: dev.name.clone(),
                reason: Some("Sofia on leave: Dev covers".into()),
                created_by: None,
                created_at: now_ms(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
