//! Deadlines per second: `cargo bench -p tandem-domain --bench sla`.
//!
//! Each iteration computes a batch of deadlines with starts spread over a
//! year (any time of day or week, some with fractions of a second) and
//! targets up to ten business days (4 800 minutes of 09:00-17:00), so the
//! reported elements per second are deadlines per second.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use jiff::Timestamp;
use std::hint::black_box;
use tandem_domain::calendar::{BusinessCalendar, WindowSpec};

const BATCH: usize = 4096;
const TEN_DAYS: i64 = 10 * 8 * 60;

fn office_new_york() -> BusinessCalendar {
    let windows: Vec<WindowSpec> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .map(|d| WindowSpec {
            day: (*d).to_owned(),
            start: "09:00".to_owned(),
            end: "17:00".to_owned(),
        })
        .collect();
    // US federal holidays 2026 (observed).
    let holidays = [
        "2026-01-01",
        "2026-01-19",
        "2026-02-16",
        "2026-05-25",
        "2026-06-19",
        "2026-07-03",
        "2026-09-07",
        "2026-10-12",
        "2026-11-26",
        "2026-12-25",
    ];
    let none: [&str; 0] = [];
    BusinessCalendar::parse("America/New_York", &windows, &holidays, &none).expect("valid calendar")
}

// Deterministic inputs (a small LCG; no rand needed): starts anywhere in
// 2026, to the second with a fraction on every fourth, and targets in
// 0..=max_minutes.
fn inputs(max_minutes: i64) -> Vec<(Timestamp, i64)> {
    let year_start = 1_767_225_600_i64; // 2026-01-01T00:00:00Z
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        x >> 33
    };
    (0..BATCH)
        .map(|i| {
            let secs = year_start + (next() % (365 * 86_400)) as i64;
            let nanos = if i % 4 == 0 {
                (next() % 1_000_000_000) as i32
            } else {
                0
            };
            let start = Timestamp::new(secs, nanos).expect("in range");
            let target = (next() % (max_minutes as u64 + 1)) as i64;
            (start, target)
        })
        .collect()
}

fn deadlines(c: &mut Criterion) {
    let office = office_new_york();
    let always = BusinessCalendar::always();
    let mixed = inputs(TEN_DAYS);
    let full: Vec<(Timestamp, i64)> = mixed.iter().map(|(s, _)| (*s, TEN_DAYS)).collect();
    let short = inputs(240);

    let mut g = c.benchmark_group("deadline");
    g.throughput(Throughput::Elements(BATCH as u64));
    for (name, cal, batch) in [
        ("ny_office_10_holidays/targets_0-4800min", &office, &mixed),
        ("ny_office_10_holidays/target_4800min", &office, &full),
        ("ny_office_10_holidays/targets_0-240min", &office, &short),
        ("24x7/targets_0-4800min", &always, &mixed),
    ] {
        g.bench_function(name, |b| {
            b.iter(|| {
                for &(start, minutes) in batch {
                    black_box(cal.add_business_minutes(black_box(start), black_box(minutes)));
                }
            })
        });
    }
    g.finish();

    let ends: Vec<(Timestamp, Timestamp)> = mixed
        .iter()
        .map(|&(s, m)| (s, office.add_business_minutes(s, m)))
        .collect();
    let mut g = c.benchmark_group("business_minutes_between");
    g.throughput(Throughput::Elements(BATCH as u64));
    g.bench_function("ny_office_10_holidays/spans_up_to_10_business_days", |b| {
        b.iter(|| {
            for &(from, to) in &ends {
                black_box(office.business_minutes_between(black_box(from), black_box(to)));
            }
        })
    });
    g.finish();

    let mut g = c.benchmark_group("calendar");
    g.bench_function("parse_ny_office_10_holidays", |b| {
        b.iter(|| black_box(office_new_york()))
    });
    g.finish();
}

criterion_group!(benches, deadlines);
criterion_main!(benches);
