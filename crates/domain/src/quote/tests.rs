//! The seed case and the calculator's arithmetic, worked out by hand in
//! the comments.
#![allow(clippy::unwrap_used)]

use super::*;

fn span(low: Minor, high: Minor) -> Span {
    Span { low, high }
}

fn one_category(users: u32, hours: u32, after: u32, in_scope: bool) -> (Profile, Proposal) {
    let profile = Profile {
        currency: "USD".into(),
        users,
        workstations: 0,
        servers: 0,
        network_devices: 0,
        work: vec![Workload {
            key: "help-desk".into(),
            name: "Help desk".into(),
            hours: Decimal::from(hours),
            after_hours: Decimal::from(after),
            project: false,
        }],
    };
    let mut proposal = seed().proposals.remove(0);
    proposal.in_scope = if in_scope {
        vec!["help-desk".into()]
    } else {
        Vec::new()
    };
    (profile, proposal)
}

#[test]
fn the_seed_hybrid_is_6500_to_9000_a_month_before_project_work() {
    let c = seed().compare().unwrap();
    let usd = &c.currency;
    let hybrid = &c.proposals[0];
    assert_eq!(hybrid.name, "Hybrid");
    // 100 users x $65 = $6,500.00; x $90 = $9,000.00.
    assert_eq!(hybrid.before_projects, span(650_000, 900_000));
    assert_eq!(usd.format(hybrid.before_projects.low), "USD 6,500.00");
    assert_eq!(usd.format(hybrid.before_projects.high), "USD 9,000.00");
    // 20 project hours x $150 = $3,000.00; x $200 = $4,000.00.
    assert_eq!(hybrid.projects, span(300_000, 400_000));
    assert_eq!(hybrid.monthly, span(950_000, 1_300_000));
    assert_eq!(hybrid.annual, span(11_400_000, 15_600_000));
    assert_eq!(hybrid.annual.low, 12 * hybrid.monthly.low);
    assert_eq!(hybrid.annual.high, 12 * hybrid.monthly.high);
    // Everything but projects is in scope: nothing is exposed.
    assert_eq!(hybrid.exposure, span(0, 0));
    assert_eq!(hybrid.exposure_unpriced_hours, Decimal::ZERO);
    assert_eq!(hybrid.out_of_scope, vec!["Projects".to_owned()]);
    // 100 hours of work a month: $9,500.00 / 100 h = $95.00; $130.00.
    assert_eq!(c.hours, Decimal::from(100));
    assert_eq!(c.project_hours, Decimal::from(20));
    assert_eq!(hybrid.effective_hourly, Some(span(9_500, 13_000)));
    // The figures are the billing engine's lines.
    let kinds: Vec<_> = hybrid
        .lines_low
        .iter()
        .map(|l| (l.kind, l.amount))
        .collect();
    assert_eq!(
        kinds,
        vec![(LineKind::Users, 650_000), (LineKind::Hourly, 300_000)]
    );
}

#[test]
fn the_seed_per_device_and_retainer_proposals() {
    let c = seed().compare().unwrap();
    let device = &c.proposals[1];
    // 110 workstations x $30 + 6 servers x $300 + 14 network devices x $50
    // = 3,300 + 1,800 + 700 = $5,800.00 (x $75: 8,250 + 2,500 = $10,750.00);
    // compliance is out of scope and billed by the hour: 2 h x $175 = $350.00
    // (x $225 = $450.00).
    assert_eq!(device.exposure, span(35_000, 45_000));
    assert_eq!(device.before_projects, span(615_000, 1_120_000));
    // 20 project hours x $175 = $3,500.00 (x $225 = $4,500.00).
    assert_eq!(device.monthly, span(965_000, 1_570_000));

    let retainer = &c.proposals[2];
    // Out of scope at $225/h (x1.5 after hours = $337.50/h):
    // security operations 8 h x 225 + 8 h x 337.50 = 1,800 + 2,700,
    // strategic planning 2 h x 225 = 450, compliance 2 h x 225 = 450:
    // $5,400.00. At $250/h: 2,000 + 3,000 + 500 + 500 = $6,000.00.
    assert_eq!(retainer.exposure, span(540_000, 600_000));
    // $5,000.00 + 5,400.00; $6,000.00 + 6,000.00.
    assert_eq!(retainer.before_projects, span(1_040_000, 1_200_000));
    // Projects, out of scope too: 20 h x $225 = $4,500.00 (x $250 = $5,000.00).
    assert_eq!(retainer.projects, span(450_000, 500_000));
    assert_eq!(retainer.monthly, span(1_490_000, 1_700_000));
    assert_eq!(retainer.effective_hourly, Some(span(14_900, 17_000)));
    assert_eq!(
        retainer.out_of_scope,
        vec![
            "Security operations",
            "Strategic planning",
            "Compliance",
            "Projects"
        ]
    );
}

#[test]
fn exclusion_exposure_appears_when_a_category_is_out_of_scope() {
    // In scope, the per-user base covers it.
    let (profile, mut p) = one_category(10, 4, 0, true);
    p.excluded_rate = Some(Amount::One(20_000));
    let c = compare(&profile, std::slice::from_ref(&p), &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].exposure, span(0, 0));
    assert_eq!(c.proposals[0].monthly, span(65_000, 90_000));

    // Out of scope: 4 h x $200 excluded work on top of 10 users.
    p.in_scope.clear();
    let c = compare(&profile, std::slice::from_ref(&p), &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].exposure, span(80_000, 80_000));
    assert_eq!(c.proposals[0].monthly, span(145_000, 170_000));
    assert!(
        c.proposals[0]
            .lines_low
            .iter()
            .any(|l| l.kind == LineKind::ExcludedWork && l.amount == 80_000)
    );

    // Out of scope and nothing prices it: the hours show instead.
    p.excluded_rate = None;
    p.hourly = None;
    let c = compare(&profile, std::slice::from_ref(&p), &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].exposure, span(0, 0));
    assert_eq!(c.proposals[0].exposure_unpriced_hours, Decimal::from(4));
}

#[test]
fn project_work_out_of_scope_is_projects_not_exposure() {
    let (mut profile, mut p) = one_category(10, 4, 0, false);
    profile.work[0].project = true;
    p.hourly = None;
    let c = compare(&profile, &[p], &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].exposure_unpriced_hours, Decimal::ZERO);
    assert_eq!(c.project_hours, Decimal::from(4));
}

#[test]
fn the_baseline_is_two_senior_engineers_unless_said() {
    let b = Baseline::default();
    assert_eq!(
        b.yearly,
        Amount::Range {
            low: 25_000_000,
            high: 35_000_000
        }
    );
    let c = seed().compare().unwrap();
    assert_eq!(c.baseline.annual, span(25_000_000, 35_000_000));
    // $250,000 / 12 = $20,833.333... -> $20,833.33; $350,000 / 12 =
    // $29,166.666... -> $29,166.67.
    assert_eq!(c.baseline.monthly, span(2_083_333, 2_916_667));
    // Over 100 hours: $208.33 and $291.67 an hour.
    assert_eq!(c.baseline.effective_hourly, Some(span(20_833, 29_167)));

    // Configurable: one engineer at $120,000.
    let one = Baseline {
        what: "One systems engineer".into(),
        yearly: Amount::One(12_000_000),
    };
    let r = seed();
    let c = compare(&r.profile, &r.proposals, &one).unwrap();
    assert_eq!(c.baseline.monthly, span(1_000_000, 1_000_000));
    assert_eq!(c.baseline.what, "One systems engineer");
}

#[test]
fn the_effective_rate_is_the_month_over_the_hours() {
    // 3 users x $65 = $195.00 over 7 h = $27.857... -> $27.86;
    // 3 x $90 = $270.00 over 7 h = $38.571... -> $38.57.
    let (profile, p) = one_category(3, 7, 0, true);
    let c = compare(&profile, &[p], &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].monthly, span(19_500, 27_000));
    assert_eq!(c.proposals[0].effective_hourly, Some(span(2_786, 3_857)));
    // No hours, no rate.
    let (profile, p) = one_category(3, 0, 0, true);
    let c = compare(&profile, &[p], &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].effective_hourly, None);
    assert_eq!(c.baseline.effective_hourly, None);
}

#[test]
fn after_hours_work_costs_the_multiplier_and_fractions_of_hours_count() {
    // 2.5 h out of scope, 1 h of it after hours, at $100/h x1.5:
    // 1.5 h x $100 + 1 h x $150 = $300.00.
    let (mut profile, mut p) = one_category(0, 0, 0, false);
    profile.work[0].hours = Decimal::new(25, 1);
    profile.work[0].after_hours = Decimal::ONE;
    p.per_user = None;
    p.hourly = Some(Amount::One(10_000));
    p.after_hours_bps = 15_000;
    let c = compare(&profile, &[p], &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].monthly, span(30_000, 30_000));
    assert_eq!(c.hours, Decimal::new(25, 1));
}

#[test]
fn a_block_covers_its_hours_and_overage_the_rest() {
    // 12 h in scope, no base: 10 h from the $1,500 block, 2 h x $200.
    let (profile, mut p) = one_category(0, 12, 0, true);
    p.per_user = None;
    p.hourly = None;
    p.blocks = Some(BlockOffer {
        hours: 10,
        price: Amount::One(150_000),
        overage_rate: Some(Amount::One(20_000)),
    });
    let c = compare(&profile, &[p], &Baseline::default()).unwrap();
    assert_eq!(c.proposals[0].monthly, span(190_000, 190_000));
}

#[test]
fn absurd_or_malformed_input_is_refused_with_its_field() {
    let field = |r: &QuoteRequest| r.compare().unwrap_err().field;
    let mut r = seed();
    r.proposals = vec![r.proposals[0].clone(); MAX_PROPOSALS + 1];
    assert_eq!(field(&r), "proposals");
    let mut r = seed();
    r.proposals.clear();
    assert_eq!(field(&r), "proposals");

    let mut r = seed();
    let w = r.profile.work[0].clone();
    r.profile.work = (0..=MAX_CATEGORIES)
        .map(|i| Workload {
            key: format!("c{i}"),
            ..w.clone()
        })
        .collect();
    assert_eq!(field(&r), "profile.work");

    let mut r = seed();
    r.proposals[0].per_user = Some(Amount::Range {
        low: 9_000,
        high: 6_500,
    });
    assert_eq!(field(&r), "proposals.per_user");
    let mut r = seed();
    r.proposals[1].hourly = Some(Amount::One(-1));
    assert_eq!(field(&r), "proposals.hourly");
    let mut r = seed();
    r.proposals[0].in_scope.push("gardening".into());
    assert_eq!(field(&r), "proposals.in_scope");
    let mut r = seed();
    r.profile.work[0].after_hours = Decimal::from(31);
    assert_eq!(field(&r), "profile.work.after_hours");
    let mut r = seed();
    r.profile.work[1].key = "help-desk".into();
    assert_eq!(field(&r), "profile.work.key");
    let mut r = seed();
    r.profile.users = MAX_COUNT + 1;
    assert_eq!(field(&r), "profile.users");
    let mut r = seed();
    r.profile.currency = "dollars".into();
    assert_eq!(field(&r), "profile.currency");
    let mut r = seed();
    r.proposals[0] = Proposal {
        name: "Nothing".into(),
        per_user: None,
        hourly: None,
        ..r.proposals[0].clone()
    };
    assert_eq!(field(&r), "proposals");
}

#[test]
fn the_example_file_is_the_seed_case() {
    let file: QuoteRequest =
        serde_json::from_str(include_str!("../../../../docs/quote-example.json")).unwrap();
    assert_eq!(file, seed());
}

#[test]
fn ranges_and_hours_read_as_people_write_them() {
    let p: Proposal = serde_json::from_str(
        r#"{"name": "X", "per_user": {"low": 6500, "high": 9000}, "hourly": 15000}"#,
    )
    .unwrap();
    assert_eq!(
        p.per_user,
        Some(Amount::Range {
            low: 6_500,
            high: 9_000
        })
    );
    assert_eq!(p.hourly, Some(Amount::One(15_000)));
    assert_eq!(p.after_hours_bps, 10_000);
    let w: Workload =
        serde_json::from_str(r#"{"key": "k", "name": "K", "hours": 7.5, "after_hours": "1.25"}"#)
            .unwrap();
    assert_eq!(w.hours, Decimal::new(75, 1));
    assert_eq!(w.after_hours, Decimal::new(125, 2));
    assert!(
        serde_json::from_str::<Workload>(r#"{"key": "k", "name": "K", "hours": "x"}"#).is_err()
    );
}

#[test]
fn form_amounts_read_and_show_in_major_units() {
    let usd = Currency::parse("USD").unwrap();
    assert_eq!(parse_major("f", "65", &usd), Ok(6_500));
    assert_eq!(parse_major("f", " 1,250.5 ", &usd), Ok(125_050));
    assert!(parse_major("f", "65.505", &usd).is_err());
    assert!(parse_major("f", "sixty", &usd).is_err());
    assert_eq!(format_major(6_500, &usd), "65.00");
    assert_eq!(format_major(125_050, &usd), "1250.50");
    let jpy = Currency::parse("JPY").unwrap();
    assert_eq!(parse_major("f", "1500", &jpy), Ok(1_500));
    assert!(parse_major("f", "1500.5", &jpy).is_err());
    assert_eq!(format_major(1_500, &jpy), "1500");
}

#[test]
fn form_hours_and_multipliers_read_as_typed() {
    assert_eq!(parse_hours("h", ""), Ok(Decimal::ZERO));
    assert_eq!(parse_hours("h", " 7.5 "), Ok(Decimal::new(75, 1)));
    assert_eq!(parse_hours("h", "lots").unwrap_err().field, "h");
    assert_eq!(parse_multiplier("m", ""), Ok(10_000));
    assert_eq!(parse_multiplier("m", "1.5"), Ok(15_000));
    assert!(parse_multiplier("m", "-1").is_err());
    assert_eq!(format_multiplier(15_000), "1.5");
    assert_eq!(format_multiplier(10_000), "1");
}
