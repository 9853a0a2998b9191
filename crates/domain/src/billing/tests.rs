//! Golden invoices, one per pricing model, with every amount worked out by
//! hand in the comments; then the properties no invoice may break.
// A test's unwrap is one of its assertions.
#![allow(clippy::unwrap_used)]

use super::*;
use jiff::civil::date;
use proptest::prelude::*;

const NOV: Date = date(2026, 11, 1);

fn terms(pricing: Pricing) -> Terms {
    Terms {
        currency: Currency::parse("USD").unwrap(),
        starts_on: date(2026, 1, 1),
        ends_on: None,
        invoice_day: 1,
        payment_days: 30,
        tax_bps: None,
        pricing,
        credits: Priority::ALL
            .iter()
            .map(|p| (*p, Credit::Fixed(0)))
            .collect(),
        credit_cap: None,
        inclusions: Vec::new(),
        exclusions: Vec::new(),
    }
}

fn month() -> Month {
    Month {
        first: NOV,
        users: Vec::new(),
        devices: BTreeMap::new(),
        work: Vec::new(),
        blocks: Vec::new(),
        breaches: Vec::new(),
    }
}

fn work(id: &str, day: i8, minutes: u32, category: &str, in_scope: bool) -> Work {
    Work {
        id: id.into(),
        on: date(2026, 11, day),
        minutes,
        category: category.into(),
        category_name: category.into(),
        in_scope,
        after_hours: false,
        side: WorkSide::Provider,
        role: Role::ProviderEngineer,
    }
}

fn after_hours(mut w: Work) -> Work {
    w.after_hours = true;
    w
}

fn amounts(inv: &Invoice) -> Vec<(LineKind, Minor)> {
    inv.lines.iter().map(|l| (l.kind, l.amount)).collect()
}

fn paid(inv: &Invoice, id: &str) -> Vec<(u32, Paid)> {
    inv.coverage
        .iter()
        .find(|c| c.work_id == id)
        .unwrap()
        .portions
        .iter()
        .map(|p| (p.minutes, p.paid.clone()))
        .collect()
}

#[test]
fn per_user_counts_requesters_day_by_day_with_a_minimum() {
    let t = terms(Pricing {
        per_user: Some(PerUser {
            rate: 8_000,
            counting: UserCounting::ActiveRequesters,
            minimum: 10,
        }),
        ..Pricing::default()
    });
    let mut m = month();
    // 12 users from October, 15 from 16 November.
    m.users = vec![(date(2026, 10, 1), 12), (date(2026, 11, 16), 15)];
    m.work = vec![work("w1", 3, 50, "help-desk", true)];
    let inv = invoice(&t, &m);
    // 12 x $80 = $960 a month, days 1-15 of 30: $480.00.
    // 15 x $80 = $1,200 a month, days 16-30: $1,200 - $600 = $600.00.
    assert_eq!(
        amounts(&inv),
        [(LineKind::Users, 48_000), (LineKind::Users, 60_000)]
    );
    assert_eq!(inv.total, 108_000);
    assert_eq!(
        inv.lines[0].description,
        "12 users x USD 80.00, days 1-15 (15 of 30 days)"
    );
    // In-scope work is covered by the base.
    assert_eq!(paid(&inv, "w1"), [(50, Paid::Included)]);
    assert!(
        inv.coverage[0]
            .why
            .contains("in scope: covered by the base")
    );

    // Fewer users than the minimum bill the minimum: 10 x $80.
    m.users = vec![(date(2026, 10, 1), 8)];
    assert_eq!(invoice(&t, &m).total, 80_000);
}

#[test]
fn requesters_count_from_the_day_they_start_until_the_day_before_they_stop() {
    let (d, nov) = (|n| date(2026, 11, n), |n| Some(date(2026, 11, n)));
    let stretches = [
        (date(2026, 10, 1), None),    // the whole month
        (date(2026, 10, 1), nov(11)), // deactivated on the 11th
        (d(16), None),                // added on the 16th
        (d(5), nov(5)),               // added and removed on the 5th
        (d(20), nov(25)),             // the 20th to the 24th ...
        (d(25), None),                // ... then again from the 25th
        (date(2026, 9, 1), nov(1)),   // gone before the month began
        (date(2026, 12, 1), None),    // not yet
    ];
    assert_eq!(
        requesters_by_day(NOV, &stretches),
        [(d(1), 2), (d(11), 1), (d(16), 2), (d(20), 3)]
    );
    assert_eq!(requesters_by_day(NOV, &[]), [(d(1), 0)]);
}

#[test]
fn per_device_bills_each_class_and_prorates_a_retired_server() {
    let t = terms(Pricing {
        per_device: Some(PerDevice {
            rates: [
                (DeviceClass::Workstation, 4_500),
                (DeviceClass::Server, 30_000),
                (DeviceClass::NetworkDevice, 2_500),
            ]
            .into_iter()
            .collect(),
        }),
        ..Pricing::default()
    });
    let mut m = month();
    let since = date(2026, 9, 1);
    m.devices = [
        (DeviceClass::Workstation, vec![(since, 40)]),
        // One server retired on 11 November: 3 on days 1-10, 2 from the 11th.
        (
            DeviceClass::Server,
            vec![(since, 3), (date(2026, 11, 11), 2)],
        ),
        (DeviceClass::NetworkDevice, vec![(since, 6)]),
        // Printers have no rate: not billed.
        (DeviceClass::Other, vec![(since, 5)]),
    ]
    .into_iter()
    .collect();
    let inv = invoice(&t, &m);
    // 40 x $45 = $1,800; servers 3 x $300 = $900 a month for 10 of 30
    // days = $300, then 2 x $300 = $600 a month for 20 days = $400;
    // 6 x $25 = $150.
    assert_eq!(
        amounts(&inv),
        [
            (LineKind::Devices, 180_000),
            (LineKind::Devices, 30_000),
            (LineKind::Devices, 40_000),
            (LineKind::Devices, 15_000),
        ]
    );
    assert_eq!(inv.total, 265_000);
}

#[test]
fn a_retainer_starting_mid_month_with_capped_credits_and_tax() {
    let mut t = terms(Pricing {
        retainer: Some(500_000),
        ..Pricing::default()
    });
    t.starts_on = date(2026, 11, 10);
    t.tax_bps = Some(1_000);
    t.credits.insert(Priority::P1, Credit::ShareOfBase(500));
    t.credit_cap = Some(Credit::Fixed(25_000));
    let mut m = month();
    m.breaches = vec![
        (Priority::P1, date(2026, 11, 12)),
        (Priority::P1, date(2026, 11, 20)),
    ];
    let inv = invoice(&t, &m);
    // $5,000 a month from the 10th: days 10-30 of 30 = $5,000 - $1,500 =
    // $3,500. Two P1 misses at 5% of the base ($175 each) = -$350, capped
    // at $250: +$100 back. Subtotal $3,250, tax 10% $325, total $3,575.
    assert_eq!(
        amounts(&inv),
        [
            (LineKind::Retainer, 350_000),
            (LineKind::SlaCredit, -35_000),
            (LineKind::CreditCap, 10_000),
            (LineKind::Tax, 32_500),
        ]
    );
    assert_eq!(inv.total, 357_500);
    assert_eq!(
        inv.lines[1].description,
        "SLA credit: 2 missed P1 targets at USD 175.00 each"
    );

    // Ended on the 20th instead: days 10-20 of 30 = $1,833.33.
    t.ends_on = Some(date(2026, 11, 20));
    t.tax_bps = None;
    m.breaches.clear();
    // F(20) - F(9) = round(3,333.333...) - 1,500.00 = 3,333.33 - 1,500.00.
    assert_eq!(amounts(&invoice(&t, &m)), [(LineKind::Retainer, 183_333)]);
}

#[test]
fn hourly_rounds_each_entry_and_prices_by_category_then_default() {
    let t = terms(Pricing {
        hourly: Some(Hourly {
            default_rate: Some(15_000),
            rates: vec![(RateFor::Category("network".into()), 18_000)],
        }),
        rounding: TimeRounding {
            increment_minutes: 15,
            minimum_minutes: 30,
            after_hours_bps: 15_000,
        },
        ..Pricing::default()
    });
    let mut m = month();
    let mut in_house = work("w4", 9, 120, "help-desk", true);
    in_house.side = WorkSide::InHouse;
    m.work = vec![
        work("w1", 2, 50, "network", true),
        work("w2", 3, 10, "help-desk", true),
        after_hours(work("w3", 4, 70, "help-desk", true)),
        in_house,
    ];
    let inv = invoice(&t, &m);
    // w1: 50 -> 60 min at $180/h = $180.00 (network's own rate).
    // w2: 10 -> 15 -> the 30-minute minimum at $150/h = $75.00.
    // w3: 70 -> 75 min after hours at $150 x 1.5 = $225/h = $281.25.
    // w4: in-house, counted but never billed.
    assert_eq!(
        amounts(&inv),
        [
            (LineKind::Hourly, 7_500),
            (LineKind::Hourly, 28_125),
            (LineKind::Hourly, 18_000),
        ]
    );
    assert_eq!(inv.total, 53_625);
    assert_eq!(paid(&inv, "w4"), [(120, Paid::InHouse)]);
    let w3 = inv.coverage.iter().find(|c| c.work_id == "w3").unwrap();
    assert_eq!(w3.counted_minutes, 75);
    assert!(w3.why.contains("after hours x1.5"), "{}", w3.why);
    assert_eq!(inv.lines[1].work_ids, ["w3"]);
}

fn block(id: &str, bought: Date, hours: u32, price: Minor, expires: Date) -> Block {
    Block {
        id: id.into(),
        purchased_on: bought,
        minutes: hours * 60,
        price,
        expires_on: expires,
        rolls_over: false,
        top_up: false,
    }
}

fn block_terms(top_up: Option<TopUp>) -> Terms {
    terms(Pricing {
        blocks: Some(BlockTerms {
            overage_rate: 17_500,
            low_balance_minutes: 300,
            top_up,
        }),
        rounding: TimeRounding {
            increment_minutes: 15,
            ..TimeRounding::default()
        },
        ..Pricing::default()
    })
}

fn block_month() -> Month {
    let mut m = month();
    m.blocks = vec![
        // 40 h bought in October, 10 h left.
        BlockBalance {
            block: block("b1", date(2026, 10, 1), 40, 600_000, date(2026, 12, 31)),
            remaining: 600,
        },
        // 20 h bought on 15 November.
        BlockBalance {
            block: block("b2", date(2026, 11, 15), 20, 320_000, date(2027, 2, 14)),
            remaining: 1_200,
        },
    ];
    m.work = vec![
        work("e1", 3, 480, "projects", true),
        work("e2", 10, 200, "projects", true),
        work("e3", 20, 600, "projects", true),
    ];
    m
}

#[test]
fn block_hours_draw_oldest_expiry_first_then_overage() {
    let inv = invoice(&block_terms(None), &block_month());
    // e1 (3 Nov): 8 h from b1, which keeps 2 h.
    // e2 (10 Nov): 200 -> 210 min; b1's 120 min, b2 is not bought yet, so
    //   90 min overage at $175/h = $262.50.
    // e3 (20 Nov): 10 h from b2, which keeps 10 h.
    // Lines: b2 bought ($3,200), draws at no price, the overage.
    assert_eq!(
        paid(&inv, "e1"),
        [(
            480,
            Paid::Block {
                block_id: "b1".into()
            }
        )]
    );
    assert_eq!(
        paid(&inv, "e2"),
        [
            (
                120,
                Paid::Block {
                    block_id: "b1".into()
                }
            ),
            (
                90,
                Paid::Billed {
                    kind: LineKind::Overage,
                    per_hour: 17_500
                }
            )
        ]
    );
    assert_eq!(
        amounts(&inv),
        [
            (LineKind::BlockPurchase, 320_000),
            (LineKind::BlockDraw, 0),
            (LineKind::BlockDraw, 0),
            (LineKind::Overage, 26_250),
        ]
    );
    assert_eq!(inv.total, 346_250);
    assert_eq!(inv.lines[1].quantity, Decimal::from(10));
    assert_eq!(
        inv.lines[1].description,
        "Drawn from the block of 40 h bought 2026-10-01: 0 h left"
    );
    assert_eq!(
        inv.lines[2].description,
        "Drawn from the block of 20 h bought 2026-11-15: 10 h left"
    );
    // b1 is empty and still valid: both sides are warned.
    assert_eq!(inv.warnings.len(), 1, "{:?}", inv.warnings);
    assert!(inv.warnings[0].contains("2026-10-01 has 0 h left"));
}

#[test]
fn an_empty_block_is_topped_up_when_the_agreement_says_so() {
    let top_up = TopUp {
        minutes: 600,
        price: 150_000,
        valid_days: 90,
    };
    let inv = invoice(&block_terms(Some(top_up)), &block_month());
    // e2's 90 minutes past b1 buy a 10 h top-up on 10 November (valid to
    // 7 February), which then goes first for e3 (it expires before b2):
    // 510 min from it, 90 from b2. No overage.
    assert!(inv.coverage.iter().all(|c| {
        c.portions
            .iter()
            .all(|p| matches!(p.paid, Paid::Block { .. }))
    }));
    assert_eq!(
        amounts(&inv),
        [
            (LineKind::BlockPurchase, 320_000),
            (LineKind::BlockPurchase, 150_000),
            (LineKind::BlockDraw, 0),
            (LineKind::BlockDraw, 0),
            (LineKind::BlockDraw, 0),
        ]
    );
    assert!(
        inv.lines[1]
            .description
            .contains("valid to 2027-02-07 (automatic top-up)")
    );
    let left: BTreeMap<&str, u32> = inv
        .blocks
        .iter()
        .map(|b| (b.block.id.as_str(), b.remaining))
        .collect();
    assert_eq!(left["b1"], 0);
    assert_eq!(left["b2"], 1_110);
    assert_eq!(left["top-up-2026-11-10-1"], 0);
    assert_eq!(inv.total, 470_000);
}

#[test]
fn expired_blocks_are_not_drawn_unless_they_roll_over() {
    let mut m = month();
    m.blocks = vec![BlockBalance {
        block: block("old", date(2026, 8, 1), 10, 0, date(2026, 10, 31)),
        remaining: 300,
    }];
    m.work = vec![work("w", 5, 60, "projects", true)];
    let t = block_terms(None);
    // Expired at the end of October: all overage.
    assert_eq!(amounts(&invoice(&t, &m)), [(LineKind::Overage, 17_500)]);
    m.blocks[0].block.rolls_over = true;
    assert_eq!(
        paid(&invoice(&t, &m), "w"),
        [(
            60,
            Paid::Block {
                block_id: "old".into()
            }
        )]
    );
}

#[test]
fn hybrid_base_with_excluded_work_at_its_own_rate() {
    let t = terms(Pricing {
        per_user: Some(PerUser {
            rate: 8_500,
            counting: UserCounting::Fixed(100),
            minimum: 0,
        }),
        hourly: Some(Hourly {
            default_rate: Some(16_000),
            rates: Vec::new(),
        }),
        excluded_rate: Some(19_000),
        rounding: TimeRounding {
            increment_minutes: 15,
            minimum_minutes: 0,
            after_hours_bps: 15_000,
        },
        ..Pricing::default()
    });
    let mut m = month();
    m.work = vec![
        work("in", 4, 120, "help-desk", true),
        work("proj", 5, 300, "projects", false),
        after_hours(work("night", 6, 55, "projects", false)),
    ];
    let inv = invoice(&t, &m);
    // 100 users x $85 = $8,500. Help desk is in scope: included.
    // Projects are out of scope: 5 h at $190 = $950; 55 -> 60 min after
    // hours at $285/h = $285.
    assert_eq!(
        amounts(&inv),
        [
            (LineKind::Users, 850_000),
            (LineKind::ExcludedWork, 95_000),
            (LineKind::ExcludedWork, 28_500),
        ]
    );
    assert_eq!(inv.total, 973_500);
    assert!(
        inv.coverage[1]
            .why
            .contains("out of scope: excluded work at USD 190.00/h"),
        "{}",
        inv.coverage[1].why
    );
}

#[test]
fn work_nothing_prices_shows_at_zero() {
    let t = terms(Pricing {
        retainer: Some(250_000),
        ..Pricing::default()
    });
    let mut m = month();
    m.work = vec![work("x", 7, 45, "projects", false)];
    let inv = invoice(&t, &m);
    assert_eq!(
        amounts(&inv),
        [(LineKind::Retainer, 250_000), (LineKind::Unpriced, 0)]
    );
    assert_eq!(paid(&inv, "x"), [(45, Paid::Unpriced)]);
}

#[test]
fn best_effort_is_not_an_sla() {
    let mut t = terms(Pricing {
        retainer: Some(1),
        ..Pricing::default()
    });
    t.credits.remove(&Priority::P3);
    let mut targets: BTreeMap<Priority, (Option<i64>, Option<i64>)> = Priority::ALL
        .iter()
        .map(|p| (*p, (Some(60), Some(480))))
        .collect();
    targets.insert(Priority::P4, (Some(240), None));
    assert_eq!(
        t.activation_problems(&targets),
        [
            "P3 has no consequence for a missed target",
            "P4 has no resolution target in minutes",
        ]
    );
    t.credits.insert(Priority::P3, Credit::Fixed(5_000));
    targets.insert(Priority::P4, (Some(240), Some(2_880)));
    assert!(t.activation_problems(&targets).is_empty());
    t.pricing = Pricing::default();
    assert_eq!(
        t.activation_problems(&targets),
        ["no pricing: add at least one component"]
    );
}

#[test]
fn drafts_refuse_what_no_agreement_can_mean() {
    let mut t = terms(Pricing::default());
    t.invoice_day = 31;
    assert_eq!(t.validate().unwrap_err().field, "invoice_day");
    t.invoice_day = 1;
    t.ends_on = Some(date(2025, 12, 31));
    assert_eq!(t.validate().unwrap_err().field, "ends_on");
    t.ends_on = None;
    t.pricing.retainer = Some(-1);
    assert_eq!(t.validate().unwrap_err().field, "retainer");
    t.pricing.retainer = None;
    t.pricing.rounding.after_hours_bps = 5_000;
    assert_eq!(t.validate().unwrap_err().field, "rounding.after_hours_bps");
}

fn any_work() -> impl Strategy<Value = Vec<Work>> {
    proptest::collection::vec(
        (
            1i8..=30,
            1u32..600,
            prop_oneof![Just("help-desk"), Just("network"), Just("projects")],
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        0..40,
    )
    .prop_map(|v| {
        v.into_iter()
            .enumerate()
            .map(|(i, (day, minutes, cat, in_scope, night, provider))| {
                let mut w = work(&format!("w{i:02}"), day, minutes, cat, in_scope);
                w.after_hours = night;
                if !provider {
                    w.side = WorkSide::InHouse;
                }
                w
            })
            .collect()
    })
}

fn hybrid() -> Terms {
    let mut t = terms(Pricing {
        per_user: Some(PerUser {
            rate: 7_333,
            counting: UserCounting::ActiveRequesters,
            minimum: 0,
        }),
        retainer: Some(99_999),
        blocks: Some(BlockTerms {
            overage_rate: 17_777,
            low_balance_minutes: 60,
            top_up: None,
        }),
        excluded_rate: Some(19_999),
        rounding: TimeRounding {
            increment_minutes: 15,
            minimum_minutes: 30,
            after_hours_bps: 15_000,
        },
        ..Pricing::default()
    });
    t.tax_bps = Some(825);
    t.credits.insert(Priority::P2, Credit::ShareOfBase(333));
    t.credit_cap = Some(Credit::ShareOfBase(1_000));
    t
}

proptest! {
    /// The lines add up to the total, every entry's minutes are all paid
    /// for one way or another, and blocks give exactly what they lose.
    #[test]
    fn lines_sum_to_the_total_and_no_minute_is_lost(
        work in any_work(),
        users in proptest::collection::vec((1i8..=30, 0u32..300), 1..5),
        breaches in 0usize..6,
    ) {
        let t = hybrid();
        let mut m = block_month();
        m.work = work;
        let mut users: Vec<(Date, u32)> = users.into_iter().map(|(d, n)| (date(2026, 11, d), n)).collect();
        users.sort();
        m.users = users;
        m.breaches = (0..breaches).map(|i| (Priority::P2, date(2026, 11, 1 + i as i8))).collect();
        let inv = invoice(&t, &m);
        prop_assert_eq!(inv.total, inv.lines.iter().map(|l| l.amount).sum::<Minor>());
        for c in &inv.coverage {
            prop_assert_eq!(c.portions.iter().map(|p| p.minutes).sum::<u32>(), c.counted_minutes);
        }
        let before: u32 = m.blocks.iter().map(|b| b.remaining).sum();
        let after: u32 = inv.blocks.iter().map(|b| b.remaining).sum();
        let drawn: u32 = inv.coverage.iter().flat_map(|c| &c.portions)
            .filter(|p| matches!(p.paid, Paid::Block { .. })).map(|p| p.minutes).sum();
        prop_assert_eq!(before - after, drawn);
        // Credits never exceed the cap: 10% of the base.
        let base: Minor = inv.lines.iter().filter(|l| l.kind.is_base()).map(|l| l.amount).sum();
        let credits: Minor = inv.lines.iter()
            .filter(|l| matches!(l.kind, LineKind::SlaCredit | LineKind::CreditCap))
            .map(|l| l.amount).sum();
        prop_assert!(-credits <= (base + 5) / 10 + 1, "credits {} base {}", credits, base);
    }

    /// The order the entries arrive in changes nothing: no value is made
    /// or lost by the order of rounding.
    #[test]
    fn the_order_of_entries_changes_nothing(work in any_work(), seed in any::<u64>()) {
        let t = hybrid();
        let mut m = block_month();
        m.work = work.clone();
        let a = invoice(&t, &m);
        let mut shuffled = work;
        // A deterministic shuffle from the seed.
        let n = shuffled.len();
        let mut s = seed;
        for i in (1..n).rev() {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            shuffled.swap(i, (s >> 33) as usize % (i + 1));
        }
        m.work = shuffled;
        let b = invoice(&t, &m);
        prop_assert_eq!(a.lines, b.lines);
        prop_assert_eq!(a.total, b.total);
    }
}

/// A line set by hand: quantity x unit price, rounded half away from zero
/// once; a tax line worked out again says what it was worked out on.
#[test]
fn a_line_set_by_hand_and_its_tax() {
    let dec = |s: &str| s.parse::<Decimal>().unwrap();
    // 5.5 h at $190.00 = $1,045.00; 0.333 x $1.00 = 33.3 cents -> 33;
    // 2.5 x -1 cent = -2.5 -> -3.
    assert_eq!(line_amount(dec("5.5"), 19_000), Some(104_500));
    assert_eq!(line_amount(dec("0.333"), 100), Some(33));
    assert_eq!(line_amount(dec("2.5"), -1), Some(-3));
    assert_eq!(line_amount(dec("1000000000000"), Minor::MAX), None);
    // 350 minutes as the engine writes them, at $190.00/h: $1,108.33, as
    // the engine's own line has it.
    let hours = Decimal::from(350) / Decimal::from(60);
    assert_eq!(stored_quantity(&hours.to_string()), Some(hours));
    assert_eq!(line_amount(hours, 19_000), Some(110_833));
    assert_eq!(
        line_amount(hours, 1_000_000_000_000),
        Some(5_833_333_333_333)
    );
    let usd = Currency::parse("USD").unwrap();
    // 8.25% of $9,450.00 = $779.625 -> $779.63.
    let tax = tax_line(&usd, 945_000, 825);
    assert_eq!(
        (tax.kind, tax.amount, tax.unit_price),
        (LineKind::Tax, 77_963, 77_963)
    );
    assert_eq!(tax.description, "Tax 8.25% on USD 9,450.00");
    assert_eq!(parse_quantity("quantity", " 5.50 ").unwrap(), dec("5.5"));
    assert_eq!(parse_quantity("quantity", "-2").unwrap(), dec("-2"));
    for bad in ["", "five", "1000001", "0.0000001"] {
        assert_eq!(
            parse_quantity("quantity", bad).unwrap_err().field,
            "quantity"
        );
    }
}
