//! Who is on duty after hours: per client and side, a weekly rota of named
//! people in the client's local time, and overrides for a span of instants
//! that take precedence over it. One pure function, [`on_duty`], answers
//! "who is on duty at this instant, and why"; the desk routes an
//! after-hours alert ticket by it.
//!
//! # Semantics
//! - **A slot** runs from a weekday and local time to a weekday and local
//!   time, e.g. `fri 17:00 → mon 08:00`: the end is the first time that
//!   weekday and time come round after the start, so a slot may cross
//!   midnight and the end of the week, and lasts at most a week (`mon 00:00
//!   → sun 24:00` is the whole week). A slot that ends where it starts is
//!   refused as ambiguous (empty or a whole week?). Slots of one rota may
//!   not overlap anywhere in the week; they may touch.
//! - **Local time across DST** is read as the business calendar reads it
//!   ([`crate::calendar`]): each boundary is a civil time turned into an
//!   instant with *compatible* disambiguation, so a boundary in a gap
//!   (spring forward) moves later by the gap and one in a fold (fall back)
//!   takes the earlier instant. A night slot `sat 22:00 → sun 06:00` is an
//!   hour shorter on the spring-forward night and an hour longer on the
//!   fall-back night. Should two slots cover one instant after that reading
//!   (only possible next to a transition), whoever came on duty first stays
//!   until their slot ends.
//! - **Overrides** are instants (`[from, to)`), so they mean the same in any
//!   zone; any override covering the instant beats the rota, and of several
//!   the one added last wins (callers pass them oldest first).

use crate::ids::UserId;
use crate::text::ValidationError;
use crate::ticket::OwnerSide;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;

/// At most this many slots in one side's week (bounds the work per lookup).
pub const MAX_SLOTS: usize = 100;

const DAY: u32 = 86_400;
const WEEK: u32 = 7 * DAY;
const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const LONG_DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The side a rota belongs to: the provider or the in-house team. Shared
/// work starts in-house (see [`OwnerSide::routed`]), so there is no shared
/// rota.
pub fn rota_side(raw: &str) -> Result<OwnerSide, ValidationError> {
    match raw.parse::<OwnerSide>() {
        Ok(side @ (OwnerSide::Provider | OwnerSide::InHouse)) => Ok(side),
        _ => Err(ValidationError::new(
            "side",
            format!("{raw:?} is not a side with a rota: provider or in_house"),
        )),
    }
}

/// When a slot runs in the week, in local wall-clock time: seconds after
/// Monday 00:00 for the start, and for the end (past a week when the slot
/// wraps into the next one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WeeklySpan {
    start: u32,
    end: u32,
}

impl WeeklySpan {
    /// Parse a slot: weekdays as `mon` or `monday` (any case) and times as
    /// `HH:MM`; the end may be `24:00`. Errors name `field`.
    pub fn parse(
        field: &'static str,
        start_day: &str,
        start_time: &str,
        end_day: &str,
        end_time: &str,
    ) -> Result<Self, ValidationError> {
        let start = parse_day(field, start_day)? * DAY + parse_time(field, start_time, false)?;
        let end = parse_day(field, end_day)? * DAY + parse_time(field, end_time, true)?;
        if start == end {
            return Err(ValidationError::new(
                field,
                format!(
                    "a slot must not end where it starts ({start_day} {start_time}); \
                     for the whole week say mon 00:00 to sun 24:00"
                ),
            ));
        }
        // 24:00 on Sunday is the end of the week: Monday 00:00 of the next.
        let end = end % WEEK;
        let end = if end > start { end } else { end + WEEK };
        Ok(Self { start, end })
    }

    /// The weekday (`mon`..`sun`) and `HH:MM` the slot starts at.
    pub fn start_spec(&self) -> (&'static str, String) {
        spec_of(self.start, false)
    }

    /// The weekday and `HH:MM` the slot ends at (`24:00` on the day before
    /// rather than `00:00`, as people say it).
    pub fn end_spec(&self) -> (&'static str, String) {
        spec_of(self.end % WEEK, true)
    }

    /// Length in wall-clock minutes (DST makes some weeks' slot shorter or longer).
    pub fn nominal_minutes(&self) -> i64 {
        i64::from(self.end - self.start) / 60
    }

    /// Whether the slot runs past midnight of the day it starts on.
    pub fn crosses_midnight(&self) -> bool {
        self.end > (self.start / DAY + 1) * DAY
    }

    /// The slot as it falls in the week that starts on the local Monday
    /// `monday`: its start and end instants.
    fn instants(&self, tz: &TimeZone, monday: Date) -> Option<(Timestamp, Timestamp)> {
        Some((
            instant(tz, monday, self.start)?,
            instant(tz, monday, self.end)?,
        ))
    }
}

impl std::fmt::Display for WeeklySpan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (sd, st) = self.start_spec();
        let (ed, et) = self.end_spec();
        write!(f, "{sd} {st} → {ed} {et}")
    }
}

/// One side's weekly rota: slots that do not overlap, each naming a person.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rota {
    slots: Vec<(WeeklySpan, UserId)>,
}

impl Rota {
    /// A checked rota: at most [`MAX_SLOTS`] slots, none overlapping
    /// another anywhere in the week (`slots` names the clash).
    pub fn new(mut slots: Vec<(WeeklySpan, UserId)>) -> Result<Self, ValidationError> {
        if slots.len() > MAX_SLOTS {
            return Err(ValidationError::new(
                "slots",
                format!("at most {MAX_SLOTS} slots a week"),
            ));
        }
        slots.sort_by_key(|(s, _)| *s);
        for pair in slots.windows(2) {
            if pair[0].0.end > pair[1].0.start {
                return Err(overlap(&pair[0].0, &pair[1].0));
            }
        }
        // The last slot may wrap into next week's first.
        if let (Some(first), Some(last)) = (slots.first(), slots.last())
            && slots.len() > 1
            && last.0.end > first.0.start + WEEK
        {
            return Err(overlap(&last.0, &first.0));
        }
        Ok(Self { slots })
    }

    /// The slots in the order of the week.
    pub fn slots(&self) -> &[(WeeklySpan, UserId)] {
        &self.slots
    }
}

fn overlap(a: &WeeklySpan, b: &WeeklySpan) -> ValidationError {
    ValidationError::new("slots", format!("the slots {a} and {b} overlap"))
}

/// An override: `person` is on duty from `from` until `to`, whatever the
/// rota says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DutyOverride {
    /// First instant covered.
    pub from: Timestamp,
    /// First instant no longer covered.
    pub to: Timestamp,
    /// Who is on duty meanwhile.
    pub person: UserId,
}

impl DutyOverride {
    /// A checked override: it must end after it starts.
    pub fn new(from: Timestamp, to: Timestamp, person: UserId) -> Result<Self, ValidationError> {
        if to <= from {
            return Err(ValidationError::new(
                "ends_at",
                "an override must end after it starts",
            ));
        }
        Ok(Self { from, to, person })
    }
}

/// Why someone is on duty.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DutyBasis {
    /// Their slot of the weekly rota.
    Rota,
    /// An override covering the instant.
    Override,
}

impl DutyBasis {
    /// The word a timeline shows in brackets.
    pub fn as_str(self) -> &'static str {
        match self {
            DutyBasis::Rota => "rota",
            DutyBasis::Override => "override",
        }
    }
}

/// The answer of [`on_duty`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OnDuty {
    /// Who.
    pub person: UserId,
    /// Why.
    pub basis: DutyBasis,
    /// Which slot of the rota (in the order of [`Rota::slots`]) or which
    /// override (in the order given).
    pub index: usize,
    /// Until when, as things stand (the slot's or the override's end).
    pub until: Timestamp,
}

/// Who is on duty at `at`: the last override covering it, else the rota
/// slot covering it in `tz`, else nobody.
pub fn on_duty(
    tz: &TimeZone,
    rota: &Rota,
    overrides: &[DutyOverride],
    at: Timestamp,
) -> Option<OnDuty> {
    if let Some((index, o)) = overrides
        .iter()
        .enumerate()
        .rev()
        .find(|(_, o)| o.from <= at && at < o.to)
    {
        return Some(OnDuty {
            person: o.person,
            basis: DutyBasis::Override,
            index,
            until: o.to,
        });
    }
    let local = tz.to_datetime(at).date();
    let monday = local
        .checked_sub(jiff::Span::new().days(i64::from(local.weekday().to_monday_zero_offset())))
        .ok()?;
    // A slot covering `at` started this week or, wrapping, last week; next
    // week's is checked too because a fold can put a civil time that is
    // later than `at`'s at an earlier instant.
    let mut best: Option<OnDuty> = None;
    let mut best_start = Timestamp::MAX;
    for weeks in [-1i64, 0, 1] {
        let Ok(m) = monday.checked_add(jiff::Span::new().days(7 * weeks)) else {
            continue;
        };
        for (index, (span, person)) in rota.slots.iter().enumerate() {
            let Some((from, to)) = span.instants(tz, m) else {
                continue;
            };
            if from <= at && at < to && from < best_start {
                best_start = from;
                best = Some(OnDuty {
                    person: *person,
                    basis: DutyBasis::Rota,
                    index,
                    until: to,
                });
            }
        }
    }
    best
}

/// The instant of `offset` seconds after local Monday 00:00 of the week of
/// `monday` (compatible disambiguation, as the business calendar).
fn instant(tz: &TimeZone, monday: Date, offset: u32) -> Option<Timestamp> {
    let date = monday
        .checked_add(jiff::Span::new().days(i64::from(offset / DAY)))
        .ok()?;
    let secs = offset % DAY;
    let time = Time::new(
        (secs / 3600) as i8,
        (secs / 60 % 60) as i8,
        (secs % 60) as i8,
        0,
    )
    .ok()?;
    tz.to_ambiguous_timestamp(DateTime::from_parts(date, time))
        .compatible()
        .ok()
}

fn parse_day(field: &'static str, raw: &str) -> Result<u32, ValidationError> {
    let lower = raw.trim().to_ascii_lowercase();
    DAY_NAMES
        .iter()
        .zip(LONG_DAY_NAMES)
        .position(|(short, long)| lower == *short || lower == long)
        .map(|i| i as u32)
        .ok_or_else(|| ValidationError::new(field, format!("{raw:?} is not a weekday (mon..sun)")))
}

fn parse_time(field: &'static str, raw: &str, end: bool) -> Result<u32, ValidationError> {
    let bad = || ValidationError::new(field, format!("{raw:?} is not a time HH:MM"));
    let (h, m) = raw.trim().split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    match (h, m) {
        (24, 0) if end => Ok(DAY),
        (0..=23, 0..=59) => Ok(h * 3600 + m * 60),
        _ => Err(bad()),
    }
}

fn spec_of(offset: u32, as_end: bool) -> (&'static str, String) {
    // An end at midnight reads as 24:00 of the day before.
    let (day, secs) = if as_end && offset.is_multiple_of(DAY) {
        ((offset / DAY + 6) % 7, DAY)
    } else {
        (offset / DAY, offset % DAY)
    };
    (
        DAY_NAMES[day as usize % 7],
        format!("{:02}:{:02}", secs / 3600, secs / 60 % 60),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn span(a: &str, b: &str, c: &str, d: &str) -> WeeklySpan {
        WeeklySpan::parse("slots", a, b, c, d).unwrap()
    }

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn chicago() -> TimeZone {
        TimeZone::get("America/Chicago").unwrap()
    }

    fn who(tz: &TimeZone, rota: &Rota, o: &[DutyOverride], at: &str) -> Option<UserId> {
        on_duty(tz, rota, o, ts(at)).map(|d| d.person)
    }

    #[test]
    fn a_weekend_slot_wraps_past_sunday_into_monday_morning() {
        let dev = UserId::new();
        let rota = Rota::new(vec![(span("fri", "17:00", "mon", "08:00"), dev)]).unwrap();
        let utc = TimeZone::UTC;
        // 2026-03-06 is a Friday.
        assert_eq!(who(&utc, &rota, &[], "2026-03-06T16:59:59Z"), None);
        assert_eq!(who(&utc, &rota, &[], "2026-03-06T17:00:00Z"), Some(dev));
        assert_eq!(who(&utc, &rota, &[], "2026-03-08T23:59:00Z"), Some(dev));
        // Monday morning belongs to the slot that started last week.
        assert_eq!(who(&utc, &rota, &[], "2026-03-09T07:59:59Z"), Some(dev));
        assert_eq!(who(&utc, &rota, &[], "2026-03-09T08:00:00Z"), None);
        let d = on_duty(&utc, &rota, &[], ts("2026-03-07T12:00:00Z")).unwrap();
        assert_eq!(d.until, ts("2026-03-09T08:00:00Z"));
        assert_eq!(d.basis, DutyBasis::Rota);
        assert_eq!(rota.slots()[0].0.nominal_minutes(), 63 * 60);
        assert!(rota.slots()[0].0.crosses_midnight());
    }

    #[test]
    fn a_night_slot_crosses_midnight_into_the_next_day() {
        let (a, b) = (UserId::new(), UserId::new());
        let rota = Rota::new(vec![
            (span("tue", "22:00", "wed", "06:00"), a),
            (span("wed", "06:00", "wed", "08:00"), b),
        ])
        .unwrap();
        let utc = TimeZone::UTC;
        // 2026-03-03 is a Tuesday; the slots touch at 06:00.
        assert_eq!(who(&utc, &rota, &[], "2026-03-03T23:30:00Z"), Some(a));
        assert_eq!(who(&utc, &rota, &[], "2026-03-04T05:59:00Z"), Some(a));
        assert_eq!(who(&utc, &rota, &[], "2026-03-04T06:00:00Z"), Some(b));
        assert_eq!(who(&utc, &rota, &[], "2026-03-04T08:00:00Z"), None);
    }

    #[test]
    fn local_times_follow_the_client_zone_across_spring_forward() {
        // 2026-03-08: Chicago goes from 02:00 CST (-6) to 03:00 CDT (-5).
        let a = UserId::new();
        let rota = Rota::new(vec![(span("sat", "22:00", "sun", "06:00"), a)]).unwrap();
        let tz = chicago();
        // Saturday 22:00 CST is 04:00Z; Sunday 06:00 CDT is 11:00Z, not 12:00Z.
        assert_eq!(who(&tz, &rota, &[], "2026-03-08T03:59:00Z"), None);
        assert_eq!(who(&tz, &rota, &[], "2026-03-08T04:00:00Z"), Some(a));
        assert_eq!(who(&tz, &rota, &[], "2026-03-08T10:59:00Z"), Some(a));
        assert_eq!(who(&tz, &rota, &[], "2026-03-08T11:00:00Z"), None);
        // The week before, on standard time, it ends at 12:00Z.
        assert_eq!(who(&tz, &rota, &[], "2026-03-01T11:30:00Z"), Some(a));
        assert_eq!(who(&tz, &rota, &[], "2026-03-01T12:00:00Z"), None);
        let d = on_duty(&tz, &rota, &[], ts("2026-03-08T05:00:00Z")).unwrap();
        assert_eq!(d.until, ts("2026-03-08T11:00:00Z"));
    }

    #[test]
    fn a_boundary_in_the_spring_gap_moves_later_by_the_gap() {
        // Sunday 02:30 does not exist on 2026-03-08 in Chicago: compatible
        // reading makes it 03:30 CDT (08:30Z).
        let (a, b) = (UserId::new(), UserId::new());
        let rota = Rota::new(vec![
            (span("sat", "20:00", "sun", "02:30"), a),
            (span("sun", "02:30", "sun", "07:00"), b),
        ])
        .unwrap();
        let tz = chicago();
        assert_eq!(who(&tz, &rota, &[], "2026-03-08T08:29:00Z"), Some(a));
        assert_eq!(who(&tz, &rota, &[], "2026-03-08T08:30:00Z"), Some(b));
    }

    #[test]
    fn local_times_follow_the_client_zone_across_fall_back() {
        // 2026-11-01: Chicago goes from 02:00 CDT (-5) back to 01:00 CST (-6).
        let (a, b) = (UserId::new(), UserId::new());
        let rota = Rota::new(vec![
            (span("sat", "22:00", "sun", "01:30"), a),
            (span("sun", "01:30", "sun", "06:00"), b),
        ])
        .unwrap();
        let tz = chicago();
        // 01:30 happens twice; the boundary takes the first (06:30Z).
        assert_eq!(who(&tz, &rota, &[], "2026-11-01T06:29:00Z"), Some(a));
        assert_eq!(who(&tz, &rota, &[], "2026-11-01T06:30:00Z"), Some(b));
        // The second 01:30 (07:30Z) is still b's, and 06:00 CST is 12:00Z.
        assert_eq!(who(&tz, &rota, &[], "2026-11-01T07:30:00Z"), Some(b));
        assert_eq!(who(&tz, &rota, &[], "2026-11-01T11:59:00Z"), Some(b));
        assert_eq!(who(&tz, &rota, &[], "2026-11-01T12:00:00Z"), None);
    }

    #[test]
    fn overrides_beat_the_rota_and_the_last_added_wins() {
        let (dev, sofia, tomasz) = (UserId::new(), UserId::new(), UserId::new());
        let rota = Rota::new(vec![(span("mon", "00:00", "sun", "24:00"), dev)]).unwrap();
        let cover = [
            DutyOverride::new(
                ts("2026-12-24T00:00:00Z"),
                ts("2026-12-27T00:00:00Z"),
                sofia,
            )
            .unwrap(),
            DutyOverride::new(
                ts("2026-12-25T00:00:00Z"),
                ts("2026-12-26T00:00:00Z"),
                tomasz,
            )
            .unwrap(),
        ];
        let utc = TimeZone::UTC;
        assert_eq!(who(&utc, &rota, &cover, "2026-12-23T23:59:59Z"), Some(dev));
        assert_eq!(
            who(&utc, &rota, &cover, "2026-12-24T00:00:00Z"),
            Some(sofia)
        );
        let d = on_duty(&utc, &rota, &cover, ts("2026-12-25T12:00:00Z")).unwrap();
        assert_eq!(
            (d.person, d.basis, d.index),
            (tomasz, DutyBasis::Override, 1)
        );
        assert_eq!(
            who(&utc, &rota, &cover, "2026-12-26T00:00:00Z"),
            Some(sofia)
        );
        assert_eq!(who(&utc, &rota, &cover, "2026-12-27T00:00:00Z"), Some(dev));
        // An override reaches where the rota has nobody.
        assert_eq!(
            who(&utc, &Rota::default(), &cover, "2026-12-24T08:00:00Z"),
            Some(sofia)
        );
        assert_eq!(
            who(&utc, &Rota::default(), &[], "2026-12-24T08:00:00Z"),
            None
        );
        assert_eq!(
            DutyOverride::new(ts("2026-12-24T00:00:00Z"), ts("2026-12-24T00:00:00Z"), dev)
                .unwrap_err()
                .field,
            "ends_at"
        );
    }

    #[test]
    fn overlapping_slots_are_refused_even_across_the_end_of_the_week() {
        let p = UserId::new();
        let clash = Rota::new(vec![
            (span("mon", "17:00", "tue", "08:00"), p),
            (span("tue", "07:00", "tue", "09:00"), p),
        ])
        .unwrap_err();
        assert_eq!(clash.field, "slots");
        assert!(clash.message.contains("overlap"), "{}", clash.message);
        let wrap = Rota::new(vec![
            (span("sun", "20:00", "mon", "06:00"), p),
            (span("mon", "05:00", "mon", "07:00"), p),
        ]);
        assert!(wrap.is_err());
        let whole = Rota::new(vec![(span("mon", "00:00", "sun", "24:00"), p)]).unwrap();
        assert_eq!(whole.slots()[0].0.nominal_minutes(), 7 * 24 * 60);
        assert!(
            Rota::new(vec![
                (span("mon", "00:00", "sun", "24:00"), p),
                (span("wed", "00:00", "wed", "01:00"), p),
            ])
            .is_err()
        );
    }

    #[test]
    fn slots_read_back_as_people_write_them_and_bad_ones_name_the_field() {
        let s = span("Friday", "17:00", "MON", "08:00");
        assert_eq!(s.to_string(), "fri 17:00 → mon 08:00");
        assert_eq!(
            span("sat", "00:00", "sat", "24:00").to_string(),
            "sat 00:00 → sat 24:00"
        );
        assert_eq!(
            span("sun", "18:00", "mon", "00:00").end_spec(),
            ("sun", "24:00".into())
        );
        for (a, b, c, d) in [
            ("fri", "17:00", "fri", "17:00"),
            ("mon", "00:00", "sun", "24:00x"),
            ("funday", "17:00", "mon", "08:00"),
            ("fri", "24:00", "mon", "08:00"),
            ("fri", "7:00", "mon", "08:00"),
            ("fri", "17:60", "mon", "08:00"),
        ] {
            let e = WeeklySpan::parse("slots[0]", a, b, c, d).unwrap_err();
            assert_eq!(e.field, "slots[0]", "{a} {b} {c} {d}");
        }
        assert_eq!(rota_side("provider").unwrap(), OwnerSide::Provider);
        assert_eq!(rota_side("in_house").unwrap(), OwnerSide::InHouse);
        assert_eq!(rota_side("shared").unwrap_err().field, "side");
    }
}
