//! Business calendars and the SLA deadline math on them: when does a clock
//! that counts only business hours reach its target, and how much business
//! time lies between two instants. One place for this rule (DESIGN.md,
//! principle 4); everything else asks this module.
//!
//! # The model
//! A [`BusinessCalendar`] is an IANA time zone, opening [`Window`]s per
//! weekday in local wall-clock time, single holidays ([`Date`]) and yearly
//! holidays ([`YearlyHoliday`]).
//!
//! # Semantics (the decisions, in one place)
//! - **Open time.** The open set is the union, over every local date `D`
//!   that is not a holiday and every window of `D`'s weekday, of the instant
//!   interval `[resolve(D, start), resolve(D or D+1, end))`. A window whose
//!   end is not after its start crosses midnight and ends on `D+1`; an end of
//!   `24:00` (or `00:00`) is midnight at the end of `D`.
//! - **Holidays belong to the start date.** A window is kept or dropped as a
//!   whole by the date it *starts* on: a night shift starting on a working
//!   Monday 22:00 and running to 06:00 stays open into Tuesday morning even if
//!   Tuesday is a holiday, and a window starting on a holiday is closed even
//!   after midnight. (Shift work is staffed by the day it starts.)
//! - **Wall-clock windows across DST.** Each boundary is a local civil time
//!   turned into an instant with jiff's *compatible* disambiguation (the one
//!   RFC 5545 and `java.time` use): a time that falls in a gap (spring
//!   forward) is read with the offset from before the gap, i.e. pushed later
//!   by the gap's length; a time that falls in a fold (fall back) takes the
//!   earlier of its two instants. So `01:00-03:00` in New York is 1 hour long
//!   on the spring-forward day and 3 hours on the fall-back day, and a window
//!   `00:00-02:30` on the spring-forward day ends at 03:30 EDT. A window with
//!   a boundary in a gap can come out shorter, even empty (`02:30-03:15`
//!   that day), and windows that overlap in time after this reading merge
//!   (open is open). A window `01:30-05:00` on the fall-back day opens at the
//!   first 01:30 and runs without a break.
//! - **Windows** may not start and end at the same time (ambiguous: empty or
//!   24 hours?) and may not overlap anywhere in the week; `00:00-24:00` is a
//!   whole day.
//! - **Seconds inside, minutes outside.** Window boundaries are whole
//!   seconds; the math runs in nanoseconds, so a start with a fraction of a
//!   second keeps it. [`BusinessCalendar::add_business_minutes`] adds whole
//!   minutes; [`BusinessCalendar::business_minutes_between`] floors to whole
//!   minutes, and the `_seconds` variants exist so that a clock paused and
//!   resumed many times can keep exact seconds and lose nothing.
//! - **Adding zero** returns the first open instant at or after the start
//!   (the instant the clock would start running); adding `m > 0` minutes
//!   returns the instant the `m`-th open minute completes, which may be a
//!   window's closing instant (Friday 09:00 + 480 min on 09:00-17:00 is Friday
//!   17:00, not Monday 09:00). Negative amounts count as zero.
//! - **No endless search.** A calendar without any window is refused by the
//!   constructors. A calendar whose windows are all eaten by holidays cannot
//!   loop forever either: a deadline that is not reached within
//!   [`SEARCH_DAYS`] (about ten years) of local dates after the start is
//!   [`NEVER`] (`Timestamp::MAX`).
//!
//! # Speed
//! The math walks window by window, never minute by minute, and asks jiff
//! about the time zone a couple of times per call rather than per window: it
//! reads the zone's transitions lazily, uses plain offset arithmetic where
//! no transition is within two days, and lets jiff resolve only the few
//! boundaries near a transition. Holidays are checked with a cursor over a
//! sorted list and a bit mask. Calendars open around the clock take a
//! shortcut. `cargo bench -p tandem-domain --bench sla` measures it (several
//! million deadlines a second on one core for targets up to ten business
//! days).
//!
//! Why not check each minute's wall-clock time against the windows? In a
//! gap or a fold the wall clock skips or repeats, so "is 02:30 inside
//! 01:00-03:00" has no single answer; turning each boundary into an instant
//! once (compatible disambiguation, as above) gives every window one exact
//! start and end. The property tests hold the fast path to a
//! minute-by-minute oracle built on that definition.

use crate::text::ValidationError;
use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How far ahead a deadline is searched, in local dates (about ten years).
pub const SEARCH_DAYS: i64 = 3653;

/// The deadline reported when the target cannot be reached within
/// [`SEARCH_DAYS`]: effectively "never".
pub const NEVER: Timestamp = Timestamp::MAX;

/// At most this many windows on one weekday (bounds the work per date).
pub const MAX_WINDOWS_PER_DAY: usize = 24;

/// At most this many single holidays.
pub const MAX_HOLIDAYS: usize = 10_000;

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
const NANOS: i128 = 1_000_000_000;
// No offset jiff can represent reaches 26 hours.
const MAX_OFFSET: i64 = 26 * 3600;
// Without a transition within this distance of a civil time, the civil time
// has exactly one instant: civil minus the offset in force.
const RESOLVE_MARGIN: i64 = 2 * DAY;
// Used to bound the instants of every window on dates not yet generated.
const BOUND_MARGIN: i64 = 4 * DAY;
// How far before the start instant the zone's transitions are read.
const ZONE_LOOKBEHIND: i64 = 9 * DAY;

const WEEKDAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One opening window in local wall-clock time, e.g. Monday 09:00-17:00,
/// Friday 22:00-06:00 (crossing midnight into Saturday) or Sunday
/// 00:00-24:00 (all day).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    // Field order gives the natural sort: by weekday, then start.
    day: u8,
    start: u32,
    end: u32,
}

impl Window {
    /// A window from `start` to `end` on `day`. An `end` not after `start`
    /// crosses midnight into the next day; an `end` of 00:00 means midnight
    /// at the end of `day`. `start == end` is refused as empty (say 00:00 to
    /// 24:00, [`Window::all_day`], for a whole day).
    pub fn new(day: Weekday, start: Time, end: Time) -> Result<Self, ValidationError> {
        Self::from_secs(day, whole_seconds(start)?, whole_seconds(end)?)
    }

    /// A window from `start` to midnight at the end of `day`.
    pub fn until_midnight(day: Weekday, start: Time) -> Result<Self, ValidationError> {
        Self::from_secs(day, whole_seconds(start)?, DAY as u32)
    }

    /// The whole of `day`, 00:00-24:00.
    pub fn all_day(day: Weekday) -> Self {
        Self {
            day: weekday_index(day),
            start: 0,
            end: DAY as u32,
        }
    }

    /// Parse the stored form: a weekday (`mon` or `monday`, any case) and
    /// `HH:MM` or `HH:MM:SS` times; the end may be `24:00`.
    pub fn parse(day: &str, start: &str, end: &str) -> Result<Self, ValidationError> {
        let day = parse_weekday(day)?;
        let start = parse_time(start, false)?;
        let end = parse_time(end, true)?;
        Self::from_secs(day, start, end)
    }

    fn from_secs(day: Weekday, start: u32, end: u32) -> Result<Self, ValidationError> {
        if start == end {
            return Err(ValidationError::new(
                "windows",
                "a window must not start and end at the same time (use 00:00-24:00 for a whole day)",
            ));
        }
        // 00:00 as an end is the midnight that ends the day.
        let end = if end == 0 { DAY as u32 } else { end };
        Ok(Self {
            day: weekday_index(day),
            start,
            end,
        })
    }

    /// The weekday the window starts on.
    pub fn day(&self) -> Weekday {
        WEEKDAYS[usize::from(self.day) % 7]
    }

    /// Local start time.
    pub fn start(&self) -> Time {
        time_of(self.start)
    }

    /// Local end time; `None` for midnight at the end of the start day (24:00).
    pub fn end(&self) -> Option<Time> {
        (i64::from(self.end) < DAY).then(|| time_of(self.end))
    }

    /// Whether the window runs past midnight into the next day.
    pub fn crosses_midnight(&self) -> bool {
        self.end <= self.start
    }

    /// Length in wall-clock terms (DST changes make real windows shorter or longer).
    pub fn nominal_minutes(&self) -> i64 {
        (self.end_offset() - i64::from(self.start)) / 60
    }

    /// The stored form.
    pub fn to_spec(&self) -> WindowSpec {
        WindowSpec {
            day: WEEKDAY_NAMES[usize::from(self.day) % 7].to_owned(),
            start: format_secs(self.start),
            end: format_secs(self.end),
        }
    }

    // End as seconds after the start date's local midnight (past 86 400 when
    // crossing midnight).
    fn end_offset(&self) -> i64 {
        if self.end > self.start {
            i64::from(self.end)
        } else {
            i64::from(self.end) + DAY
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.to_spec();
        write!(f, "{} {}-{}", s.day, s.start, s.end)
    }
}

/// A window as stored and exchanged: `{"day":"mon","start":"09:00","end":"17:00"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WindowSpec {
    /// Weekday the window starts on: `mon` .. `sun`.
    pub day: String,
    /// Local start, `HH:MM`.
    pub start: String,
    /// Local end, `HH:MM` or `24:00`; not after the start means the next day.
    pub end: String,
}

/// A holiday on the same date every year, e.g. 12-25. 02-29 counts in
/// leap years only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearlyHoliday {
    month: i8,
    day: i8,
}

impl YearlyHoliday {
    /// The holiday on `day` of `month` every year.
    pub fn new(month: i8, day: i8) -> Result<Self, ValidationError> {
        // Checked against a leap year so that 02-29 is allowed.
        if Date::new(2000, month, day).is_err() {
            return Err(ValidationError::new(
                "yearly_holidays",
                format!("{month:02}-{day:02} is not a day of the year"),
            ));
        }
        Ok(Self { month, day })
    }

    /// Parse `MM-DD`.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let bad = || ValidationError::new("yearly_holidays", format!("{raw:?} is not MM-DD"));
        let (m, d) = raw.trim().split_once('-').ok_or_else(bad)?;
        if m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let month = m.parse::<i8>().map_err(|_| bad())?;
        let day = d.parse::<i8>().map_err(|_| bad())?;
        Self::new(month, day)
    }

    /// Month, 1-12.
    pub fn month(&self) -> i8 {
        self.month
    }

    /// Day of the month.
    pub fn day(&self) -> i8 {
        self.day
    }

    /// Whether `date` is this holiday.
    pub fn matches(&self, date: Date) -> bool {
        date.month() == self.month && date.day() == self.day
    }
}

impl fmt::Display for YearlyHoliday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}-{:02}", self.month, self.day)
    }
}

/// A client's business hours: the clock that business-hours SLAs run on.
/// Build it with [`BusinessCalendar::new`] or [`BusinessCalendar::parse`]
/// (both check it), or take [`BusinessCalendar::always`]. Construction
/// precomputes what the deadline math needs; build once and reuse.
#[derive(Clone, Debug)]
pub struct BusinessCalendar {
    time_zone_name: String,
    time_zone: TimeZone,
    windows: Vec<Window>,
    holidays: Vec<Date>,
    yearly_holidays: Vec<YearlyHoliday>,
    // Precomputed for the hot loop.
    fixed_offset: Option<i64>,
    // (start, end) in seconds after local midnight, per weekday (Monday
    // first), sorted by start: `spans[day_ranges[d].0..day_ranges[d].1]`.
    spans: Vec<(i64, i64)>,
    day_ranges: [(usize, usize); 7],
    // Single holidays as days since 1970-01-01, sorted.
    holiday_days: Vec<i64>,
    // Yearly holidays: bit `d` of `yearly_mask[m - 1]`.
    yearly_mask: [u32; 12],
    has_yearly: bool,
    always_open: bool,
}

impl BusinessCalendar {
    /// A checked calendar. Refuses an unknown time zone (`time_zone`), no
    /// window at all, more than [`MAX_WINDOWS_PER_DAY`] on a weekday, or
    /// windows that overlap in the week, including a window crossing
    /// midnight into the next day's first window (`windows`), and more than
    /// [`MAX_HOLIDAYS`] holidays (`holidays`). Duplicate holidays are merged.
    pub fn new(
        time_zone: &str,
        windows: Vec<Window>,
        holidays: Vec<Date>,
        yearly_holidays: Vec<YearlyHoliday>,
    ) -> Result<Self, ValidationError> {
        let (name, tz) = known_zone(time_zone)?;
        Self::with_zone(name, tz, windows, holidays, yearly_holidays)
    }

    // The checks and precomputation, for any jiff zone (tests use POSIX
    // rules to reach DST changes no IANA zone has today).
    fn with_zone(
        name: &str,
        tz: TimeZone,
        windows: Vec<Window>,
        holidays: Vec<Date>,
        yearly_holidays: Vec<YearlyHoliday>,
    ) -> Result<Self, ValidationError> {
        let mut windows = windows;
        windows.sort();
        check_windows(&windows)?;
        let mut holidays = holidays;
        holidays.sort();
        holidays.dedup();
        if holidays.len() > MAX_HOLIDAYS {
            return Err(ValidationError::new(
                "holidays",
                format!("at most {MAX_HOLIDAYS} holidays"),
            ));
        }
        let mut yearly_holidays = yearly_holidays;
        yearly_holidays.sort();
        yearly_holidays.dedup();
        let name = tz.iana_name().unwrap_or(name).to_owned();
        Ok(Self::assemble(name, tz, windows, holidays, yearly_holidays))
    }

    // Precompute what the hot loop needs from checked, sorted parts.
    fn assemble(
        time_zone_name: String,
        time_zone: TimeZone,
        windows: Vec<Window>,
        holidays: Vec<Date>,
        yearly_holidays: Vec<YearlyHoliday>,
    ) -> Self {
        let mut spans = Vec::with_capacity(windows.len());
        let mut day_ranges = [(0, 0); 7];
        for (d, range) in day_ranges.iter_mut().enumerate() {
            let from = spans.len();
            spans.extend(
                windows
                    .iter()
                    .filter(|w| usize::from(w.day) == d)
                    .map(|w| (i64::from(w.start), w.end_offset())),
            );
            *range = (from, spans.len());
        }
        let holiday_days = holidays.iter().map(|d| date_to_days(*d)).collect();
        let mut yearly_mask = [0u32; 12];
        for y in &yearly_holidays {
            if let Some(m) = yearly_mask.get_mut(usize::try_from(y.month - 1).unwrap_or(0)) {
                *m |= 1 << y.day;
            }
        }
        let open_per_week: i64 = spans.iter().map(|(s, e)| e - s).sum();
        // Windows never overlap, so a week's worth of them leaves no gap.
        let always_open =
            open_per_week == WEEK && holidays.is_empty() && yearly_holidays.is_empty();
        let fixed_offset = time_zone
            .to_fixed_offset()
            .ok()
            .map(|o| i64::from(o.seconds()));
        Self {
            time_zone_name,
            time_zone,
            windows,
            holidays,
            yearly_holidays,
            fixed_offset,
            spans,
            day_ranges,
            holiday_days,
            has_yearly: yearly_mask != [0; 12],
            yearly_mask,
            always_open,
        }
    }

    /// A calendar from its stored form: the IANA zone name, windows as
    /// [`WindowSpec`], single holidays as `YYYY-MM-DD` and yearly ones as `MM-DD`.
    pub fn parse<H: AsRef<str>, Y: AsRef<str>>(
        time_zone: &str,
        windows: &[WindowSpec],
        holidays: &[H],
        yearly_holidays: &[Y],
    ) -> Result<Self, ValidationError> {
        let windows = windows
            .iter()
            .map(|w| Window::parse(&w.day, &w.start, &w.end))
            .collect::<Result<Vec<_>, _>>()?;
        let holidays = holidays
            .iter()
            .map(|h| {
                let h = h.as_ref().trim();
                h.parse::<Date>().map_err(|_| {
                    ValidationError::new("holidays", format!("{h:?} is not a YYYY-MM-DD date"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let yearly = yearly_holidays
            .iter()
            .map(|y| YearlyHoliday::parse(y.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(time_zone, windows, holidays, yearly)
    }

    /// The 24x7 clock: UTC, open every instant, no holidays.
    pub fn always() -> Self {
        let windows = WEEKDAYS.iter().map(|d| Window::all_day(*d)).collect();
        Self::assemble(
            "UTC".to_owned(),
            TimeZone::UTC,
            windows,
            Vec::new(),
            Vec::new(),
        )
    }

    /// The IANA name of the time zone (as jiff spells it).
    pub fn time_zone_name(&self) -> &str {
        &self.time_zone_name
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.time_zone
    }

    /// The windows, sorted by weekday (Monday first) and start.
    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// The windows in their stored form.
    pub fn window_specs(&self) -> Vec<WindowSpec> {
        self.windows.iter().map(Window::to_spec).collect()
    }

    /// Single holidays, sorted.
    pub fn holidays(&self) -> &[Date] {
        &self.holidays
    }

    /// Yearly holidays, sorted.
    pub fn yearly_holidays(&self) -> &[YearlyHoliday] {
        &self.yearly_holidays
    }

    /// Whether every instant is open (a 24x7 calendar).
    pub fn is_always_open(&self) -> bool {
        self.always_open
    }

    /// Whether `date` is a holiday (single or yearly).
    pub fn is_holiday(&self, date: Date) -> bool {
        self.is_holiday_day(date_to_days(date))
    }

    /// Whether `at` lies in open time (routing "in business hours").
    pub fn is_open(&self, at: Timestamp) -> bool {
        self.next_open(at) == at
    }

    /// The first open instant at or after `at`: when a clock started at `at`
    /// begins to run. [`NEVER`] if none within [`SEARCH_DAYS`].
    pub fn next_open(&self, at: Timestamp) -> Timestamp {
        self.add_nanos(at, 0)
    }

    /// The deadline: the instant at which `minutes` of open time have passed
    /// since `start` (a start in closed time waits for the next opening).
    /// Zero (or less) gives [`BusinessCalendar::next_open`]; unreachable
    /// within [`SEARCH_DAYS`] gives [`NEVER`].
    pub fn add_business_minutes(&self, start: Timestamp, minutes: i64) -> Timestamp {
        self.add_nanos(start, i128::from(minutes.max(0)) * 60 * NANOS)
    }

    /// As [`BusinessCalendar::add_business_minutes`], in seconds.
    pub fn add_business_seconds(&self, start: Timestamp, seconds: i64) -> Timestamp {
        self.add_nanos(start, i128::from(seconds.max(0)) * NANOS)
    }

    /// Open time in `[from, to)` in whole minutes, rounded down; 0 when `to`
    /// is not after `from`. Linear in the number of local dates spanned.
    pub fn business_minutes_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        clamp_i64(self.open_nanos_between(from, to) / (60 * NANOS))
    }

    /// Open time in `[from, to)` in whole seconds, rounded down.
    pub fn business_seconds_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        clamp_i64(self.open_nanos_between(from, to) / NANOS)
    }

    /// Open time in `[from, to)` in whole milliseconds (SLA clocks count in
    /// milliseconds so that short pauses lose nothing).
    pub fn business_millis_between(&self, from: Timestamp, to: Timestamp) -> i64 {
        clamp_i64(self.open_nanos_between(from, to) / 1_000_000)
    }

    /// The instant at which `millis` of open time have passed since `start`.
    pub fn add_business_millis(&self, start: Timestamp, millis: i64) -> Timestamp {
        self.add_nanos(start, i128::from(millis.max(0)) * 1_000_000)
    }

    /// The deadline of a clock that has already used `consumed_minutes` of a
    /// `target_minutes` target and runs again from `now`: after a pause, or
    /// when a new priority or calendar keeps the time already used. Nothing
    /// left means the clock's due instant is the next open instant.
    pub fn deadline_after_consumed(
        &self,
        now: Timestamp,
        target_minutes: i64,
        consumed_minutes: i64,
    ) -> Timestamp {
        let left = target_minutes.saturating_sub(consumed_minutes).max(0);
        self.add_business_minutes(now, left)
    }

    fn add_nanos(&self, start: Timestamp, target: i128) -> Timestamp {
        if self.always_open {
            return nanos_to_timestamp(start.as_nanosecond() + target);
        }
        // More open time than the searched stretch of dates can hold.
        if target > i128::from((SEARCH_DAYS + 3) * DAY) * NANOS {
            return NEVER;
        }
        let Ok(target) = i64::try_from(target) else {
            return NEVER;
        };
        // Positions are nanoseconds after the start's whole second `a`; the
        // search horizon keeps them far inside i64.
        let (a, frac) = split_seconds(start);
        let (mut stream, day0) = IntervalStream::new(self, a);
        stream.last_day = day0.saturating_add(SEARCH_DAYS);
        let rel = |x: i64| x.saturating_sub(a).saturating_mul(NANOS as i64);
        let mut pos = frac;
        let mut left = target;
        while let Some((s, e)) = stream.next() {
            let s = rel(s).max(pos);
            let e = rel(e);
            if e <= s {
                continue;
            }
            if left == 0 {
                return timestamp_after(a, s);
            }
            let avail = e - s;
            if left <= avail {
                return timestamp_after(a, s + left);
            }
            left -= avail;
            pos = e;
        }
        NEVER
    }

    fn open_nanos_between(&self, from: Timestamp, to: Timestamp) -> i128 {
        let (from_ns, to_ns) = (from.as_nanosecond(), to.as_nanosecond());
        if to_ns <= from_ns {
            return 0;
        }
        if self.always_open {
            return to_ns - from_ns;
        }
        let (mut stream, _) = IntervalStream::new(self, split_seconds(from).0);
        // Windows of later dates start after `to` (no instant of a civil
        // time lies more than MAX_OFFSET before it).
        let to_sec = split_seconds(to).0;
        stream.last_day = (to_sec.saturating_add(MAX_OFFSET)).div_euclid(DAY) + 1;
        let mut pos = from_ns;
        let mut total = 0;
        while let Some((s, e)) = stream.next() {
            let s = (i128::from(s) * NANOS).max(pos);
            if s >= to_ns {
                break;
            }
            let e = (i128::from(e) * NANOS).min(to_ns);
            if e > s {
                total += e - s;
                pos = e;
            }
        }
        total
    }

    fn is_holiday_day(&self, day: i64) -> bool {
        self.holiday_days.binary_search(&day).is_ok()
            || (self.has_yearly && self.is_yearly_holiday(day))
    }

    fn is_yearly_holiday(&self, day: i64) -> bool {
        let (_, m, d) = civil_from_days(day);
        self.yearly_mask
            .get(usize::try_from(m - 1).unwrap_or(0))
            .is_some_and(|mask| mask & (1 << d) != 0)
    }

    fn day_spans(&self, day: i64) -> &[(i64, i64)] {
        let wd = usize::try_from((day + 3).rem_euclid(7)).unwrap_or(0);
        let (from, to) = self.day_ranges.get(wd).copied().unwrap_or((0, 0));
        self.spans.get(from..to).unwrap_or(&[])
    }
}

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn weekday_index(day: Weekday) -> u8 {
    day.to_monday_zero_offset().unsigned_abs()
}

fn parse_weekday(raw: &str) -> Result<Weekday, ValidationError> {
    let v = raw.trim().to_ascii_lowercase();
    let full = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    WEEKDAY_NAMES
        .iter()
        .zip(full)
        .position(|(short, long)| v == *short || v == long)
        .and_then(|i| WEEKDAYS.get(i).copied())
        .ok_or_else(|| {
            ValidationError::new("windows", format!("{raw:?} is not a weekday (mon..sun)"))
        })
}

fn parse_time(raw: &str, end: bool) -> Result<u32, ValidationError> {
    let v = raw.trim();
    if end && (v == "24:00" || v == "24:00:00") {
        return Ok(DAY as u32);
    }
    let t = v
        .parse::<Time>()
        .map_err(|_| ValidationError::new("windows", format!("{raw:?} is not a time (HH:MM)")))?;
    whole_seconds(t)
}

fn whole_seconds(t: Time) -> Result<u32, ValidationError> {
    if t.subsec_nanosecond() != 0 {
        return Err(ValidationError::new(
            "windows",
            "window times must be whole seconds",
        ));
    }
    let secs = i32::from(t.hour()) * 3600 + i32::from(t.minute()) * 60 + i32::from(t.second());
    Ok(secs.unsigned_abs())
}

fn time_of(secs: u32) -> Time {
    let s = i64::from(secs).rem_euclid(DAY);
    // In range by construction: hour < 24, minute and second < 60.
    Time::new((s / 3600) as i8, (s / 60 % 60) as i8, (s % 60) as i8, 0).unwrap_or(Time::midnight())
}

fn format_secs(secs: u32) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if s == 0 {
        format!("{h:02}:{m:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

// Refuse overlapping windows anywhere in the week, including a window that
// crosses midnight into the next day's first window and Sunday night into
// Monday morning.
fn check_windows(windows: &[Window]) -> Result<(), ValidationError> {
    if windows.is_empty() {
        return Err(ValidationError::new(
            "windows",
            "at least one opening window is required",
        ));
    }
    for d in 0..7u8 {
        if windows.iter().filter(|w| w.day == d).count() > MAX_WINDOWS_PER_DAY {
            return Err(ValidationError::new(
                "windows",
                format!("at most {MAX_WINDOWS_PER_DAY} windows a day"),
            ));
        }
    }
    let mut segs: Vec<(i64, i64, usize)> = Vec::with_capacity(windows.len() + 1);
    for (i, w) in windows.iter().enumerate() {
        let a = i64::from(w.day) * DAY + i64::from(w.start);
        let b = i64::from(w.day) * DAY + w.end_offset();
        if b > WEEK {
            segs.push((a, WEEK, i));
            segs.push((0, b - WEEK, i));
        } else {
            segs.push((a, b, i));
        }
    }
    segs.sort_unstable();
    for pair in segs.windows(2) {
        if let [(_, end, i), (start, _, j)] = pair
            && start < end
        {
            let (wi, wj) = (windows.get(*i), windows.get(*j));
            if let (Some(wi), Some(wj)) = (wi, wj) {
                return Err(ValidationError::new(
                    "windows",
                    format!("windows {wi} and {wj} overlap"),
                ));
            }
        }
    }
    Ok(())
}

fn clamp_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

// Whole seconds (rounded down) and the nanoseconds after them.
fn split_seconds(t: Timestamp) -> (i64, i64) {
    let (s, ns) = (t.as_second(), i64::from(t.subsec_nanosecond()));
    if ns < 0 {
        (s - 1, ns + NANOS as i64)
    } else {
        (s, ns)
    }
}

// The instant `rel` nanoseconds (not negative) after second `a`.
fn timestamp_after(a: i64, rel: i64) -> Timestamp {
    let nanos = NANOS as i64;
    let secs = a.saturating_add(rel / nanos);
    // The remainder is below 10^9.
    Timestamp::new(secs, (rel % nanos) as i32).unwrap_or(NEVER)
}

fn nanos_to_timestamp(ns: i128) -> Timestamp {
    Timestamp::from_nanosecond(ns).unwrap_or(if ns < 0 { Timestamp::MIN } else { NEVER })
}

fn date_to_days(d: Date) -> i64 {
    days_from_civil(
        i64::from(d.year()),
        i64::from(d.month()),
        i64::from(d.day()),
    )
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
// algorithm); our own so that the hot loop never builds jiff dates.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// The inverse: (year, month, day) of a day count.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// The civil date-time `c` seconds after 1970-01-01T00:00 (wall clock).
fn civil_datetime(c: i64) -> Option<DateTime> {
    let (y, m, d) = civil_from_days(c.div_euclid(DAY));
    let s = c.rem_euclid(DAY);
    DateTime::new(
        i16::try_from(y).ok()?,
        m as i8,
        d as i8,
        (s / 3600) as i8,
        (s / 60 % 60) as i8,
        (s % 60) as i8,
        0,
    )
    .ok()
}

/// The zone's offsets around one computation, read lazily from jiff: the
/// offset in force at `lo` and the transitions after it as far as needed.
struct ZoneCursor<'a> {
    tz: &'a TimeZone,
    lo: i64,
    base: i64,
    // (instant, offset after) of each transition after `lo`, ascending.
    transitions: Vec<(i64, i64)>,
    // Every transition at or before this instant is in `transitions`.
    known_until: i64,
    // Civil times `[from, to)` whose instant is civil minus `offset` (no
    // transition within RESOLVE_MARGIN), as last found; and the same for
    // the lower bound (BOUND_MARGIN).
    resolve_span: Stable,
    bound_span: Stable,
}

#[derive(Clone, Copy)]
struct Stable {
    from: i64,
    to: i64,
    offset: i64,
}

impl Stable {
    const NONE: Stable = Stable {
        from: 0,
        to: 0,
        offset: 0,
    };

    fn get(&self, c: i64) -> Option<i64> {
        (self.from <= c && c < self.to).then_some(self.offset)
    }
}

impl<'a> ZoneCursor<'a> {
    fn new(cal: &'a BusinessCalendar, around: i64) -> Self {
        let tz = &cal.time_zone;
        if let Some(off) = cal.fixed_offset {
            let always = Stable {
                from: i64::MIN,
                to: i64::MAX,
                offset: off,
            };
            return Self {
                tz,
                lo: i64::MIN,
                base: off,
                transitions: Vec::new(),
                known_until: i64::MAX,
                resolve_span: always,
                bound_span: always,
            };
        }
        let lo_ts = Timestamp::from_second(around.saturating_sub(ZONE_LOOKBEHIND))
            .unwrap_or(Timestamp::MIN);
        let lo = lo_ts.as_second();
        Self {
            tz,
            lo,
            base: i64::from(tz.to_offset(lo_ts).seconds()),
            transitions: Vec::new(),
            known_until: lo,
            resolve_span: Stable::NONE,
            bound_span: Stable::NONE,
        }
    }

    fn ensure(&mut self, until: i64) {
        while self.known_until < until {
            let next = Timestamp::from_second(self.known_until)
                .ok()
                .and_then(|ts| self.tz.following(ts).next());
            match next {
                Some(t) => {
                    let at = t.timestamp().as_second();
                    if at <= self.known_until {
                        // Cannot happen (jiff yields strictly later ones);
                        // stop rather than loop.
                        self.known_until = i64::MAX;
                        break;
                    }
                    self.transitions.push((at, i64::from(t.offset().seconds())));
                    self.known_until = at;
                }
                None => self.known_until = i64::MAX,
            }
        }
    }

    // The offset in force at instant `u` (u >= lo).
    fn offset_at(&mut self, u: i64) -> i64 {
        self.ensure(u);
        self.transitions
            .iter()
            .rev()
            .find(|(at, _)| *at <= u)
            .map_or(self.base, |(_, off)| *off)
    }

    // The offset in force throughout `(c - margin, c + margin]` if no
    // transition falls in there, with the range of `c` for which that holds.
    fn stable(&mut self, c: i64, margin: i64) -> Option<Stable> {
        let lo_edge = c.checked_sub(margin)?;
        if lo_edge < self.lo {
            return None;
        }
        let hi_edge = c.saturating_add(margin);
        self.ensure(hi_edge);
        let idx = self.transitions.partition_point(|t| t.0 <= lo_edge);
        let next = self.transitions.get(idx).map(|t| t.0);
        if next.is_some_and(|n| n <= hi_edge) {
            return None;
        }
        let (prev, offset) = match idx.checked_sub(1).and_then(|i| self.transitions.get(i)) {
            Some(&(at, off)) => (at.max(self.lo), off),
            None => (self.lo, self.base),
        };
        Some(Stable {
            from: prev.saturating_add(margin),
            // `ensure` read up to a transition past `hi_edge`, or to the end.
            to: next.map_or(i64::MAX, |n| n.saturating_sub(margin)),
            offset,
        })
    }

    // The instant of civil time `c` (seconds since 1970-01-01T00:00 on the
    // wall clock), compatible disambiguation.
    fn resolve(&mut self, c: i64) -> i64 {
        if let Some(off) = self.resolve_span.get(c) {
            return c - off;
        }
        if let Some(span) = self.stable(c, RESOLVE_MARGIN) {
            self.resolve_span = span;
            return c - span.offset;
        }
        civil_datetime(c)
            .and_then(|dt| self.tz.to_ambiguous_timestamp(dt).compatible().ok())
            .map_or_else(
                // Only past the ends of jiff's range.
                || c - self.base,
                |ts| ts.as_second(),
            )
    }

    // No window of a date at or after civil midnight `c` starts before this.
    fn lower_bound(&mut self, c: i64) -> i64 {
        if let Some(off) = self.bound_span.get(c) {
            return c - off;
        }
        match self.stable(c, BOUND_MARGIN) {
            Some(span) => {
                self.bound_span = span;
                c - span.offset
            }
            None => c - MAX_OFFSET,
        }
    }
}

/// The open intervals of a calendar as instants (seconds), date by date,
/// handed out in order of their start. Intervals may touch or overlap
/// (windows turned into instants across a DST gap); the consumer merges.
struct IntervalStream<'a> {
    cal: &'a BusinessCalendar,
    zone: ZoneCursor<'a>,
    // Next local date to generate, days since 1970-01-01.
    day: i64,
    // Last local date to generate.
    last_day: i64,
    // Single holidays before `day` are `cal.holiday_days[..holiday]`.
    holiday: usize,
    // Generated, not yet handed out: `buf[head..]`, sorted by start.
    buf: Vec<(i64, i64)>,
    head: usize,
}

impl<'a> IntervalStream<'a> {
    // A stream covering every window still open at `start` (seconds) and
    // after; also returns the local date of `start`.
    fn new(cal: &'a BusinessCalendar, start: i64) -> (Self, i64) {
        let mut zone = ZoneCursor::new(cal, start);
        let day0 = start.saturating_add(zone.offset_at(start)).div_euclid(DAY);
        // A window lasts under 48 hours from its date's midnight; a DST
        // gap (at most a day) can push its end one more day.
        let day = day0 - 2;
        let stream = Self {
            cal,
            zone,
            day,
            last_day: day0,
            holiday: cal.holiday_days.partition_point(|d| *d < day),
            buf: Vec::with_capacity(8),
            head: 0,
        };
        (stream, day0)
    }

    fn next(&mut self) -> Option<(i64, i64)> {
        loop {
            if let Some(&front) = self.buf.get(self.head) {
                // Safe to hand out once no date still to come can hold an
                // interval starting earlier.
                if self.day > self.last_day || front.0 <= self.zone.lower_bound(self.day * DAY) {
                    self.head += 1;
                    return Some(front);
                }
            } else {
                self.buf.clear();
                self.head = 0;
                if self.day > self.last_day {
                    return None;
                }
            }
            self.generate();
        }
    }

    fn generate(&mut self) {
        let day = self.day;
        self.day += 1;
        let cal = self.cal;
        let spans = cal.day_spans(day);
        if spans.is_empty() || self.is_holiday(day) {
            return;
        }
        let midnight = day * DAY;
        for &(s, e) in spans {
            let us = self.zone.resolve(midnight + s);
            let ue = self.zone.resolve(midnight + e);
            if ue > us {
                self.push((us, ue));
            }
        }
    }

    // Dates are asked in increasing order: the single holidays are walked
    // with a cursor.
    fn is_holiday(&mut self, day: i64) -> bool {
        let days = &self.cal.holiday_days;
        while days.get(self.holiday).is_some_and(|d| *d < day) {
            self.holiday += 1;
        }
        if days.get(self.holiday) == Some(&day) {
            return true;
        }
        self.cal.has_yearly && self.cal.is_yearly_holiday(day)
    }

    fn push(&mut self, iv: (i64, i64)) {
        let mut i = self.buf.len();
        self.buf.push(iv);
        while i > self.head && self.buf.get(i - 1).is_some_and(|p| p.0 > iv.0) {
            self.buf.swap(i - 1, i);
            i -= 1;
        }
    }
}

/// An IANA time zone by name (trimmed), or the error a form shows for it.
pub fn known_zone(name: &str) -> Result<(&str, TimeZone), ValidationError> {
    let name = name.trim();
    TimeZone::get(name).map(|tz| (name, tz)).map_err(|_| {
        ValidationError::new(
            "time_zone",
            format!("{name:?} is not a known IANA time zone"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::ZonedDateTime;
    use jiff::civil::date;
    use proptest::prelude::*;
    use std::collections::{HashMap, HashSet};

    const NY: &str = "America/New_York";

    // An instant from `2026-01-09T16:30[America/New_York]` or `...Z`.
    fn at(s: &str) -> Timestamp {
        if s.ends_with(']') {
            s.parse::<ZonedDateTime>()
                .unwrap_or_else(|e| panic!("{s}: {e}"))
                .timestamp()
        } else {
            s.parse::<Timestamp>()
                .unwrap_or_else(|e| panic!("{s}: {e}"))
        }
    }

    fn cal(
        tz: &str,
        windows: &[(&str, &str, &str)],
        holidays: &[&str],
        yearly: &[&str],
    ) -> BusinessCalendar {
        let specs: Vec<WindowSpec> = windows
            .iter()
            .map(|(d, s, e)| WindowSpec {
                day: (*d).to_owned(),
                start: (*s).to_owned(),
                end: (*e).to_owned(),
            })
            .collect();
        BusinessCalendar::parse(tz, &specs, holidays, yearly).expect("valid calendar")
    }

    fn every_day(tz: &str, start: &str, end: &str) -> BusinessCalendar {
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let w: Vec<_> = days.iter().map(|d| (*d, start, end)).collect();
        cal(tz, &w, &[], &[])
    }

    fn office(tz: &str, holidays: &[&str], yearly: &[&str]) -> BusinessCalendar {
        let days = ["mon", "tue", "wed", "thu", "fri"];
        let w: Vec<_> = days.iter().map(|d| (*d, "09:00", "17:00")).collect();
        cal(tz, &w, holidays, yearly)
    }

    fn plus_nanos(t: Timestamp, ns: i128) -> Timestamp {
        Timestamp::from_nanosecond(t.as_nanosecond() + ns).expect("in range")
    }

    // A whole local day's open minutes.
    fn day_minutes(c: &BusinessCalendar, tz: &str, day: &str, next: &str) -> i64 {
        c.business_minutes_between(
            at(&format!("{day}T00:00[{tz}]")),
            at(&format!("{next}T00:00[{tz}]")),
        )
    }

    #[test]
    fn friday_afternoon_rolls_over_the_weekend() {
        let c = office(NY, &[], &[]);
        let start = at("2026-01-09T16:30[America/New_York]");
        let due = c.add_business_minutes(start, 60);
        assert_eq!(due, at("2026-01-12T09:30[America/New_York]"));
        assert_eq!(c.business_minutes_between(start, due), 60);
    }

    #[test]
    fn the_last_minute_ends_at_closing_and_zero_waits_for_opening() {
        let c = office(NY, &[], &[]);
        let fri = |t: &str| at(&format!("2026-01-09T{t}[America/New_York]"));
        assert_eq!(c.add_business_minutes(fri("09:00"), 480), fri("17:00"));
        assert_eq!(
            c.add_business_minutes(fri("17:00"), 0),
            at("2026-01-12T09:00[America/New_York]")
        );
        assert_eq!(c.add_business_minutes(fri("12:00"), 0), fri("12:00"));
        assert_eq!(c.add_business_minutes(fri("12:00"), -5), fri("12:00"));
        assert_eq!(c.next_open(fri("08:00")), fri("09:00"));
        assert!(c.is_open(fri("09:00")));
        assert!(c.is_open(fri("16:59:59")));
        assert!(!c.is_open(fri("17:00")));
        assert!(!c.is_open(fri("08:59:59")));
        assert_eq!(c.business_minutes_between(fri("00:00"), fri("23:59")), 480);
        assert_eq!(c.business_minutes_between(fri("12:00"), fri("11:00")), 0);
    }

    #[test]
    fn a_start_in_closed_time_waits_for_the_next_opening() {
        let c = office(NY, &[], &[]);
        let ny = |s: &str| at(&format!("{s}[America/New_York]"));
        assert_eq!(
            c.add_business_minutes(ny("2026-01-10T10:00"), 30),
            ny("2026-01-12T09:30")
        );
        assert_eq!(
            c.add_business_minutes(ny("2026-01-12T07:00"), 0),
            ny("2026-01-12T09:00")
        );
        assert_eq!(
            c.add_business_minutes(ny("2026-01-11T23:59"), 480),
            ny("2026-01-12T17:00")
        );
        assert_eq!(
            c.add_business_minutes(ny("2026-01-12T18:00"), 1),
            ny("2026-01-13T09:01")
        );
    }

    #[test]
    fn night_windows_cross_midnight_and_belong_to_their_start_date() {
        let days = ["mon", "tue", "wed", "thu", "fri"];
        let w: Vec<_> = days.iter().map(|d| (*d, "22:00", "06:00")).collect();
        let c = cal(NY, &w, &[], &[]);
        let ny = |s: &str| at(&format!("{s}[America/New_York]"));
        assert!(c.windows().iter().all(Window::crosses_midnight));
        assert_eq!(
            c.add_business_minutes(ny("2026-01-12T23:00"), 120),
            ny("2026-01-13T01:00")
        );
        assert_eq!(
            c.add_business_minutes(ny("2026-01-13T05:00"), 120),
            ny("2026-01-13T23:00")
        );
        // Friday night runs into Saturday morning; Sunday night is closed.
        assert_eq!(
            c.add_business_minutes(ny("2026-01-17T05:00"), 90),
            ny("2026-01-19T22:30")
        );
        assert_eq!(
            c.add_business_minutes(ny("2026-01-18T23:00"), 0),
            ny("2026-01-19T22:00")
        );
        assert!(c.is_open(ny("2026-01-17T05:59")));
        assert!(!c.is_open(ny("2026-01-18T02:00")));

        // Tuesday a holiday: Monday's shift still runs to Tuesday 06:00,
        // Tuesday's own night shift does not happen.
        let h = cal(NY, &w, &["2026-01-13"], &[]);
        assert!(h.is_open(ny("2026-01-13T05:00")));
        assert!(!h.is_open(ny("2026-01-13T23:00")));
        assert_eq!(
            h.add_business_minutes(ny("2026-01-12T23:00"), 420),
            ny("2026-01-13T06:00")
        );
        assert_eq!(
            h.add_business_minutes(ny("2026-01-12T23:00"), 421),
            ny("2026-01-14T22:01")
        );
        // Monday a holiday: its shift is closed even after midnight.
        let m = cal(NY, &w, &["2026-01-12"], &[]);
        assert!(!m.is_open(ny("2026-01-13T01:00")));
    }

    #[test]
    fn two_windows_a_day_skip_the_lunch_break() {
        let days = ["mon", "tue", "wed", "thu", "fri"];
        let mut w = Vec::new();
        for d in days {
            w.push((d, "08:00", "12:00"));
            w.push((d, "13:00", "17:00"));
        }
        let c = cal("Europe/London", &w, &[], &[]);
        let lo = |s: &str| at(&format!("{s}[Europe/London]"));
        assert_eq!(
            c.add_business_minutes(lo("2026-01-12T11:30"), 60),
            lo("2026-01-12T13:30")
        );
        assert_eq!(
            c.add_business_minutes(lo("2026-01-12T12:15"), 0),
            lo("2026-01-12T13:00")
        );
        assert_eq!(
            c.add_business_minutes(lo("2026-01-12T08:00"), 240),
            lo("2026-01-12T12:00")
        );
        assert_eq!(
            c.add_business_minutes(lo("2026-01-12T08:00"), 241),
            lo("2026-01-12T13:01")
        );
        assert_eq!(
            day_minutes(&c, "Europe/London", "2026-01-12", "2026-01-13"),
            480
        );
    }

    #[test]
    fn single_and_yearly_holidays_including_the_christmas_run() {
        let ny = |s: &str| at(&format!("{s}[America/New_York]"));
        let c = office(
            NY,
            &["2026-07-03", "2026-12-28", "2026-12-29", "2026-12-30"],
            &["12-24", "12-25", "12-26", "12-31", "01-01", "02-29"],
        );
        assert!(c.is_holiday(date(2026, 7, 3)));
        assert!(c.is_holiday(date(2031, 12, 25)));
        assert!(!c.is_holiday(date(2026, 7, 6)));
        // Independence Day observed on Friday.
        assert_eq!(
            c.add_business_minutes(ny("2026-07-02T16:30"), 60),
            ny("2026-07-06T09:30")
        );
        // Dec 24 - Jan 3 closed: yearly, single and weekend days in a row.
        let start = ny("2026-12-23T16:30");
        let due = c.add_business_minutes(start, 60);
        assert_eq!(due, ny("2027-01-04T09:30"));
        assert_eq!(c.business_minutes_between(start, due), 60);
        // Yearly holidays recur: 2028-12-25 is a Monday, 12-26 a Tuesday.
        assert_eq!(
            c.add_business_minutes(ny("2028-12-22T16:30"), 60),
            ny("2028-12-27T09:30")
        );
        // 02-29 exists in leap years only.
        assert_eq!(
            c.add_business_minutes(ny("2028-02-28T16:30"), 60),
            ny("2028-03-01T09:30")
        );
        assert_eq!(
            c.add_business_minutes(ny("2027-02-26T16:30"), 60),
            ny("2027-03-01T09:30")
        );
    }

    #[test]
    fn new_york_dst_shortens_and_lengthens_wall_clock_windows() {
        let c = every_day(NY, "01:00", "03:00");
        let ny = |s: &str| at(&format!("{s}[America/New_York]"));
        // Spring forward 2026-03-08: 02:00 EST jumps to 03:00 EDT.
        assert_eq!(day_minutes(&c, NY, "2026-03-08", "2026-03-09"), 60);
        assert_eq!(
            c.add_business_minutes(ny("2026-03-08T01:00"), 60),
            at("2026-03-08T03:00-04:00[America/New_York]")
        );
        assert_eq!(
            c.add_business_minutes(ny("2026-03-08T01:00"), 61),
            ny("2026-03-09T01:01")
        );
        // Fall back 2026-11-01: 01:00-02:00 happens twice; the window opens
        // at the first 01:00 and closes at 03:00 EST.
        assert_eq!(day_minutes(&c, NY, "2026-11-01", "2026-11-02"), 180);
        let first_one = at("2026-11-01T01:00-04:00[America/New_York]");
        assert_eq!(
            c.next_open(at("2026-11-01T00:30-04:00[America/New_York]")),
            first_one
        );
        assert_eq!(
            c.add_business_minutes(first_one, 180),
            at("2026-11-01T03:00-05:00[America/New_York]")
        );
        assert!(c.is_open(at("2026-11-01T01:30-05:00[America/New_York]")));
        assert_eq!(day_minutes(&c, NY, "2026-03-07", "2026-03-08"), 120);
    }

    #[test]
    fn boundaries_in_a_gap_are_pushed_later_by_the_gap() {
        let ny = |s: &str| at(&format!("{s}[America/New_York]"));
        // 02:30 does not exist on 2026-03-08; compatible reads it as 03:30 EDT.
        let c = every_day(NY, "00:00", "02:30");
        assert_eq!(day_minutes(&c, NY, "2026-03-08", "2026-03-09"), 150);
        assert_eq!(
            c.add_business_minutes(ny("2026-03-08T00:00"), 150),
            at("2026-03-08T03:30-04:00[America/New_York]")
        );
        let c = every_day(NY, "02:30", "04:00");
        assert_eq!(day_minutes(&c, NY, "2026-03-08", "2026-03-09"), 30);
        assert_eq!(
            c.next_open(ny("2026-03-08T00:00")),
            at("2026-03-08T03:30-04:00[America/New_York]")
        );
        // A window ending in the gap runs past the start of the next one:
        // the two merge and open time is not counted twice.
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let mut w = Vec::new();
        for d in days {
            w.push((d, "01:00", "02:30"));
            w.push((d, "03:00", "04:00"));
        }
        let c = cal(NY, &w, &[], &[]);
        assert_eq!(day_minutes(&c, NY, "2026-03-08", "2026-03-09"), 120);
        // Two windows inside the gap come out of order in real time.
        let mut w = Vec::new();
        for d in days {
            w.push((d, "02:30", "02:50"));
            w.push((d, "03:00", "03:20"));
        }
        let c = cal(NY, &w, &[], &[]);
        let day = ny("2026-03-08T00:00");
        assert_eq!(day_minutes(&c, NY, "2026-03-08", "2026-03-09"), 40);
        assert_eq!(c.add_business_minutes(day, 20), at("2026-03-08T07:20Z"));
        assert_eq!(c.add_business_minutes(day, 21), at("2026-03-08T07:31Z"));
    }

    #[test]
    fn london_dst_with_a_window_straddling_the_change() {
        let c = every_day("Europe/London", "01:00", "03:00");
        // 2026-03-29: 01:00 GMT jumps to 02:00 BST; 01:00 is read as 02:00 BST.
        assert_eq!(
            day_minutes(&c, "Europe/London", "2026-03-29", "2026-03-30"),
            60
        );
        assert_eq!(
            c.next_open(at("2026-03-29T00:00Z")),
            at("2026-03-29T01:00Z")
        );
        // 2026-10-25: 02:00 BST falls back to 01:00 GMT.
        assert_eq!(
            day_minutes(&c, "Europe/London", "2026-10-25", "2026-10-26"),
            180
        );
        assert_eq!(
            c.add_business_minutes(at("2026-10-25T00:00Z"), 180),
            at("2026-10-25T03:00Z")
        );
    }

    #[test]
    fn lord_howe_shifts_by_half_an_hour() {
        let lh = "Australia/Lord_Howe";
        let c = every_day(lh, "01:00", "03:00");
        // 2026-04-05: 02:00 (+11) falls back to 01:30 (+10:30).
        assert_eq!(day_minutes(&c, lh, "2026-04-05", "2026-04-06"), 150);
        // 2026-10-04: 02:00 (+10:30) springs to 02:30 (+11).
        assert_eq!(day_minutes(&c, lh, "2026-10-04", "2026-10-05"), 90);
        assert_eq!(
            c.add_business_minutes(at("2026-10-04T01:00[Australia/Lord_Howe]"), 90),
            at("2026-10-04T03:00[Australia/Lord_Howe]")
        );
        // A window inside the repeated half hour opens at its first occurrence.
        let c = every_day(lh, "01:45", "02:15");
        assert_eq!(day_minutes(&c, lh, "2026-04-05", "2026-04-06"), 60);
        assert_eq!(
            c.next_open(at("2026-04-05T00:00[Australia/Lord_Howe]")),
            at("2026-04-04T14:45Z")
        );
    }

    #[test]
    fn kolkata_has_a_half_hour_offset_and_no_dst() {
        let c = office("Asia/Kolkata", &[], &[]);
        let start = at("2026-01-09T16:30[Asia/Kolkata]");
        assert_eq!(c.add_business_minutes(start, 60), at("2026-01-12T04:00Z"));
        assert_eq!(
            c.add_business_minutes(start, 60),
            at("2026-01-12T09:30[Asia/Kolkata]")
        );
        assert_eq!(
            c.next_open(at("2026-01-12T00:00Z")),
            at("2026-01-12T03:30Z")
        );
    }

    #[test]
    fn ten_business_days() {
        let ny = |s: &str| at(&format!("{s}[America/New_York]"));
        let c = office(NY, &[], &[]);
        assert_eq!(
            c.add_business_minutes(ny("2026-01-12T09:00"), 4800),
            ny("2026-01-23T17:00")
        );
        // Across the spring change (2026-03-08), still whole office days.
        assert_eq!(
            c.add_business_minutes(ny("2026-03-02T09:00"), 4800),
            ny("2026-03-13T17:00")
        );
        let c = office(NY, &["2026-01-19"], &[]);
        let due = c.add_business_minutes(ny("2026-01-12T09:00"), 4800);
        assert_eq!(due, ny("2026-01-26T17:00"));
        assert_eq!(
            c.business_minutes_between(ny("2026-01-12T09:00"), due),
            4800
        );
    }

    #[test]
    fn around_the_clock() {
        let c = BusinessCalendar::always();
        assert!(c.is_always_open());
        assert_eq!(c.time_zone_name(), "UTC");
        let t = at("2026-03-08T01:17:03.25Z");
        assert_eq!(
            c.add_business_minutes(t, 90),
            plus_nanos(t, 90 * 60 * NANOS)
        );
        assert_eq!(c.next_open(t), t);
        assert_eq!(
            c.business_minutes_between(t, plus_nanos(t, 119 * NANOS + 999)),
            1
        );
        assert_eq!(
            c.business_seconds_between(t, plus_nanos(t, 119 * NANOS + 999)),
            119
        );
        // All-day windows in New York are real hours across DST, through
        // the shortcut and, with a holiday far away, the general path.
        let c = every_day(NY, "00:00", "24:00");
        assert!(c.is_always_open());
        let start = at("2026-03-07T23:00[America/New_York]");
        assert_eq!(
            c.add_business_minutes(start, 180),
            at("2026-03-08T03:00-04:00[America/New_York]")
        );
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let w: Vec<_> = days.iter().map(|d| (*d, "00:00", "24:00")).collect();
        let h = cal(NY, &w, &["2030-01-01"], &[]);
        assert!(!h.is_always_open());
        assert_eq!(
            h.add_business_minutes(start, 180),
            at("2026-03-08T03:00-04:00[America/New_York]")
        );
        assert_eq!(
            h.add_business_minutes(start, 7 * 1440),
            plus_nanos(start, 7 * 1440 * 60 * NANOS)
        );
        assert_eq!(
            h.business_minutes_between(start, plus_nanos(start, 1000 * 60 * NANOS)),
            1000
        );
        let fall = at("2026-11-01T00:00[America/New_York]");
        assert_eq!(
            h.business_minutes_between(fall, at("2026-11-02T00:00[America/New_York]")),
            25 * 60
        );
    }

    #[test]
    fn fractions_of_a_second_are_kept() {
        let c = office(NY, &[], &[]);
        let start = at("2026-01-09T16:59:30.5[America/New_York]");
        let due = c.add_business_minutes(start, 1);
        assert_eq!(due, at("2026-01-12T09:00:30.5[America/New_York]"));
        assert_eq!(c.business_seconds_between(start, due), 60);
        assert_eq!(c.business_minutes_between(start, due), 1);
        // A start in closed time starts the clock at the opening itself.
        let sat = at("2026-01-10T10:00:00.7[America/New_York]");
        assert_eq!(
            c.add_business_minutes(sat, 1),
            at("2026-01-12T09:01[America/New_York]")
        );
        assert!(c.is_open(at("2026-01-09T12:00:00.5[America/New_York]")));
        assert_eq!(
            c.add_business_seconds(start, 29),
            at("2026-01-09T16:59:59.5[America/New_York]")
        );
        assert_eq!(
            c.add_business_seconds(start, 30),
            at("2026-01-12T09:00:00.5[America/New_York]")
        );
    }

    #[test]
    fn the_deadline_keeps_the_time_already_used() {
        let c = office(NY, &[], &[]);
        let ny = |s: &str| at(&format!("{s}[America/New_York]"));
        let now = ny("2026-01-09T16:00");
        assert_eq!(
            c.deadline_after_consumed(now, 240, 150),
            ny("2026-01-12T09:30")
        );
        assert_eq!(c.deadline_after_consumed(now, 60, 90), now);
        assert_eq!(
            c.deadline_after_consumed(ny("2026-01-09T18:00"), 60, 60),
            ny("2026-01-12T09:00")
        );
    }

    #[test]
    fn calendars_that_never_open_do_not_loop() {
        let every_date: Vec<String> = (1..=12)
            .flat_map(|m| {
                (1..=date(2000, m, 1).days_in_month()).map(move |d| format!("{m:02}-{d:02}"))
            })
            .collect();
        assert_eq!(every_date.len(), 366);
        let c = office(
            NY,
            &[],
            &every_date.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        let t = at("2026-01-09T12:00Z");
        assert_eq!(c.add_business_minutes(t, 60), NEVER);
        assert_eq!(c.next_open(t), NEVER);
        assert!(!c.is_open(t));
        assert_eq!(c.business_minutes_between(t, at("2036-01-01T00:00Z")), 0);
        // Targets beyond the search horizon on a normal calendar.
        let c = office(NY, &[], &[]);
        assert_eq!(c.add_business_minutes(t, i64::MAX), NEVER);
        assert_eq!(c.add_business_minutes(t, 11 * 52 * 40 * 60), NEVER);
        assert_ne!(c.add_business_minutes(t, 9 * 52 * 40 * 60), NEVER);
        assert_eq!(c.add_business_minutes(Timestamp::MAX, 1), NEVER);
        assert_eq!(
            BusinessCalendar::always().add_business_minutes(Timestamp::MAX, 1),
            NEVER
        );
    }

    #[test]
    fn bad_calendars_are_refused_with_the_field_named() {
        let field = |r: Result<BusinessCalendar, ValidationError>| {
            r.map(|_| ()).expect_err("refused").field
        };
        let w = |d: &str, s: &str, e: &str| WindowSpec {
            day: d.into(),
            start: s.into(),
            end: e.into(),
        };
        let none: [&str; 0] = [];
        let p = |tz: &str, ws: &[WindowSpec]| BusinessCalendar::parse(tz, ws, &none, &none);
        assert_eq!(
            field(p("Mars/Olympus", &[w("mon", "09:00", "17:00")])),
            "time_zone"
        );
        assert_eq!(field(p(NY, &[])), "windows");
        assert_eq!(field(p(NY, &[w("mon", "09:00", "09:00")])), "windows");
        assert_eq!(field(p(NY, &[w("mon", "00:00", "00:00")])), "windows");
        assert_eq!(field(p(NY, &[w("mon", "24:00", "09:00")])), "windows");
        assert_eq!(field(p(NY, &[w("mon", "9am", "17:00")])), "windows");
        assert_eq!(field(p(NY, &[w("someday", "09:00", "17:00")])), "windows");
        assert_eq!(
            field(p(
                NY,
                &[w("mon", "09:00", "12:00"), w("mon", "11:00", "13:00")]
            )),
            "windows"
        );
        // A night window overlapping the next morning, and Sunday into Monday.
        assert_eq!(
            field(p(
                NY,
                &[w("mon", "22:00", "06:00"), w("tue", "05:00", "09:00")]
            )),
            "windows"
        );
        assert_eq!(
            field(p(
                NY,
                &[w("sun", "22:00", "06:00"), w("mon", "00:00", "09:00")]
            )),
            "windows"
        );
        let too_many: Vec<_> = (0..25)
            .map(|h| {
                w(
                    "mon",
                    &format!("{:02}:00", h % 24),
                    &format!("{:02}:30", h % 24),
                )
            })
            .collect();
        assert_eq!(field(p(NY, &too_many)), "windows");
        let ok = [w("mon", "09:00", "17:00")];
        assert_eq!(
            field(BusinessCalendar::parse(NY, &ok, &["2026-02-30"], &none)),
            "holidays"
        );
        assert_eq!(
            field(BusinessCalendar::parse(NY, &ok, &none, &["02-30"])),
            "yearly_holidays"
        );
        assert_eq!(
            field(BusinessCalendar::parse(NY, &ok, &none, &["2-3"])),
            "yearly_holidays"
        );
        // Touching windows are fine, and so is a whole week of them.
        assert!(
            p(
                NY,
                &[w("mon", "09:00", "12:00"), w("mon", "12:00", "17:00")]
            )
            .is_ok()
        );
        assert!(
            p(
                NY,
                &[w("mon", "22:00", "06:00"), w("tue", "06:00", "09:00")]
            )
            .is_ok()
        );
    }

    #[test]
    fn the_stored_form_round_trips() {
        let c = cal(
            "  Europe/London ",
            &[
                ("Friday", "22:00", "06:00"),
                ("mon", "09:00", "17:30:15"),
                ("sun", "18:00", "00:00"),
                ("sat", "06:00", "24:00"),
            ],
            &["2026-12-25", "2026-12-25"],
            &["01-01"],
        );
        assert_eq!(c.time_zone_name(), "Europe/London");
        let lower = office("america/new_york", &[], &[]);
        assert_eq!(lower.time_zone_name(), NY);
        assert_eq!(c.holidays(), &[date(2026, 12, 25)]);
        let specs = c.window_specs();
        let shown: Vec<String> = c.windows().iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "mon 09:00-17:30:15",
                "fri 22:00-06:00",
                "sat 06:00-24:00",
                "sun 18:00-24:00"
            ]
        );
        let again =
            BusinessCalendar::parse(c.time_zone_name(), &specs, &["2026-12-25"], &["01-01"])
                .expect("valid");
        assert_eq!(again.windows(), c.windows());
        let yearly: Vec<String> = c
            .yearly_holidays()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(yearly, ["01-01"]);
        assert_eq!(Window::all_day(Weekday::Sunday).end(), None);
        assert_eq!(Window::all_day(Weekday::Sunday).nominal_minutes(), 1440);
        let night = Window::new(
            Weekday::Friday,
            Time::constant(22, 0, 0, 0),
            Time::constant(6, 0, 0, 0),
        )
        .expect("valid");
        assert_eq!(night.nominal_minutes(), 480);
        assert_eq!(night.end(), Some(Time::constant(6, 0, 0, 0)));
    }

    #[test]
    fn day_arithmetic_matches_jiff() {
        let mut d = date(1899, 12, 25);
        for _ in 0..80_000 {
            let n = date_to_days(d);
            assert_eq!(
                civil_from_days(n),
                (
                    i64::from(d.year()),
                    i64::from(d.month()),
                    i64::from(d.day())
                )
            );
            assert_eq!(
                (n + 3).rem_euclid(7),
                i64::from(d.weekday().to_monday_zero_offset())
            );
            d = d.tomorrow().expect("in range");
        }
    }

    // ---- The oracle: minute by minute, straight from the definition. ----
    //
    // It shares nothing with the fast path but jiff: its own window list,
    // jiff dates, jiff's compatible conversion of each window boundary,
    // and a walk of one minute at a time.

    struct Oracle {
        tz: TimeZone,
        // (weekday Monday=0, start minute, end minute after the start
        // date's midnight, past 1440 when crossing midnight)
        windows: Vec<(i8, i32, i32)>,
        singles: HashSet<Date>,
        yearly: HashSet<(i8, i8)>,
        memo: HashMap<Date, Vec<(Timestamp, Timestamp)>>,
    }

    impl Oracle {
        // The open intervals of the windows starting on `d` (memoised).
        fn intervals(&mut self, d: Date) -> &[(Timestamp, Timestamp)] {
            if !self.memo.contains_key(&d) {
                let v = self.compute_intervals(d);
                self.memo.insert(d, v);
            }
            self.memo.get(&d).map_or(&[], Vec::as_slice)
        }

        fn compute_intervals(&self, d: Date) -> Vec<(Timestamp, Timestamp)> {
            let mut v = Vec::new();
            let holiday = self.singles.contains(&d) || self.yearly.contains(&(d.month(), d.day()));
            if !holiday {
                let wd = d.weekday().to_monday_zero_offset();
                for &(day, s, e) in &self.windows {
                    if day != wd {
                        continue;
                    }
                    let boundary = |minute: i32| {
                        let mut day = d;
                        let mut m = minute;
                        while m >= 1440 {
                            day = day.tomorrow().expect("date");
                            m -= 1440;
                        }
                        let dt = day.to_datetime(
                            Time::new((m / 60) as i8, (m % 60) as i8, 0, 0).expect("time"),
                        );
                        self.tz
                            .to_ambiguous_timestamp(dt)
                            .compatible()
                            .expect("instant")
                    };
                    v.push((boundary(s), boundary(e)));
                }
            }
            v
        }

        fn open(&mut self, t: Timestamp) -> bool {
            let local = self.tz.to_datetime(t).date();
            let mut d = local.yesterday().and_then(Date::yesterday).expect("date");
            for _ in 0..4 {
                if self.intervals(d).iter().any(|&(s, e)| s <= t && t < e) {
                    return true;
                }
                d = d.tomorrow().expect("date");
            }
            false
        }

        fn add(&mut self, start: Timestamp, minutes: i64) -> Timestamp {
            let step = jiff::SignedDuration::from_mins(1);
            let mut t = start;
            let mut counted = 0;
            for _ in 0..400_000 {
                if self.open(t) {
                    if minutes == 0 {
                        return t;
                    }
                    counted += 1;
                    if counted == minutes {
                        return t.checked_add(step).expect("instant");
                    }
                }
                t = t.checked_add(step).expect("instant");
            }
            panic!("oracle ran away");
        }

        fn minutes_between(&mut self, from: Timestamp, to: Timestamp) -> i64 {
            let step = jiff::SignedDuration::from_mins(1);
            let mut t = from;
            let mut n = 0;
            while t < to {
                if self.open(t) {
                    n += 1;
                }
                t = t.checked_add(step).expect("instant");
            }
            n
        }
    }

    const ZONES: [&str; 5] = [
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "UTC",
    ];

    #[derive(Debug, Clone)]
    struct Case {
        zone: &'static str,
        // (weekday, start minute, length in minutes), before overlap filtering
        windows: Vec<(i8, i32, i32)>,
        // (days after the start's local date, run length)
        single_runs: Vec<(i64, i64)>,
        // (month, day, run length)
        yearly_runs: Vec<(i8, i8, i64)>,
        start_minute: i64,
        near_transition: Option<i64>,
        target: i64,
        span: i64,
        fraction_ns: i64,
    }

    fn case() -> impl Strategy<Value = Case> {
        let start = prop_oneof![
            (0i32..96).prop_map(|q| q * 15),
            0i32..1440,
            0i32..240,
            1320i32..1440
        ];
        let len = prop_oneof![(1i32..=96).prop_map(|q| q * 15), 1i32..=1440, 30i32..=300];
        (
            prop::sample::select(ZONES.to_vec()),
            prop::collection::vec((0i8..7, start, len), 1..10),
            prop::collection::vec((-3i64..40, 1i64..=7), 0..4),
            prop::collection::vec((1i8..=12, 1i8..=28, 1i64..=5), 0..3),
            0i64..(11 * 365 * 1440),
            prop::option::of(-4320i64..1440),
            0i64..=1440,
            1i64..=5760,
            1i64..60_000_000_000,
        )
            .prop_map(
                |(
                    zone,
                    windows,
                    single_runs,
                    yearly_runs,
                    start_minute,
                    near_transition,
                    target,
                    span,
                    fraction_ns,
                )| Case {
                    zone,
                    windows,
                    single_runs,
                    yearly_runs,
                    start_minute,
                    near_transition,
                    target,
                    span,
                    fraction_ns,
                },
            )
    }

    // Keep the windows that do not overlap those already kept, on the
    // weekly circle in minutes (test data only; not part of the oracle).
    fn non_overlapping(raw: &[(i8, i32, i32)]) -> Vec<(i8, i32, i32)> {
        const W: i32 = 7 * 1440;
        let mut kept: Vec<(i8, i32, i32)> = Vec::new();
        let segs = |(d, s, e): (i8, i32, i32)| {
            let a = i32::from(d) * 1440 + s;
            let b = i32::from(d) * 1440 + e;
            if b > W {
                vec![(a, W), (0, b - W)]
            } else {
                vec![(a, b)]
            }
        };
        for &(d, s, len) in raw {
            let len = if len >= 1440 && s != 0 {
                1439
            } else {
                len.min(1440)
            };
            let w = (d, s, s + len);
            let clash = kept.iter().any(|k| {
                segs(*k)
                    .iter()
                    .any(|x| segs(w).iter().any(|y| x.0 < y.1 && y.0 < x.1))
            });
            if !clash {
                kept.push(w);
            }
        }
        kept
    }

    fn hhmm(m: i32) -> String {
        format!("{:02}:{:02}", m / 60, m % 60)
    }

    struct Built {
        fast: BusinessCalendar,
        oracle: Oracle,
        start: Timestamp,
        target: i64,
    }

    fn zone(name: &str) -> TimeZone {
        match name.strip_prefix("posix:") {
            Some(rule) => TimeZone::posix(rule).expect("posix rule"),
            None => TimeZone::get(name).expect("zone"),
        }
    }

    fn build(c: &Case) -> Built {
        let tz = zone(c.zone);
        let base = Timestamp::from_second(1_577_836_800 + c.start_minute * 60).expect("instant");
        let start = match (c.near_transition, tz.following(base).next()) {
            (Some(off), Some(tr)) => tr
                .timestamp()
                .checked_add(jiff::SignedDuration::from_mins(off))
                .expect("instant"),
            _ => base,
        };
        let windows = non_overlapping(&c.windows);
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let specs: Vec<WindowSpec> = windows
            .iter()
            .map(|&(d, s, e)| WindowSpec {
                day: names[d as usize].to_owned(),
                start: hhmm(s),
                end: if e == 1440 {
                    "24:00".to_owned()
                } else {
                    hhmm(e % 1440)
                },
            })
            .collect();
        let local = tz.to_datetime(start).date();
        let mut singles = HashSet::new();
        for &(off, len) in &c.single_runs {
            for i in 0..len {
                singles.insert(
                    local
                        .checked_add(jiff::Span::new().days(off + i))
                        .expect("date"),
                );
            }
        }
        let mut yearly = HashSet::new();
        for &(m, d, len) in &c.yearly_runs {
            let mut day = date(2000, m, d);
            for _ in 0..len {
                yearly.insert((day.month(), day.day()));
                day = day.tomorrow().expect("date");
                if day.year() == 2001 {
                    day = date(2000, 1, 1);
                }
            }
        }
        let single_text: Vec<String> = singles.iter().map(ToString::to_string).collect();
        let yearly_text: Vec<String> = yearly
            .iter()
            .map(|(m, d)| format!("{m:02}-{d:02}"))
            .collect();
        let fast = if c.zone.starts_with("posix:") {
            let ws = specs
                .iter()
                .map(|w| Window::parse(&w.day, &w.start, &w.end))
                .collect::<Result<Vec<_>, _>>()
                .expect("windows");
            let ys = yearly
                .iter()
                .map(|&(m, d)| YearlyHoliday::new(m, d))
                .collect::<Result<Vec<_>, _>>()
                .expect("yearly");
            BusinessCalendar::with_zone(
                c.zone,
                tz.clone(),
                ws,
                singles.iter().copied().collect(),
                ys,
            )
        } else {
            BusinessCalendar::parse(c.zone, &specs, &single_text, &yearly_text)
        }
        .expect("generated calendar is valid");
        let weekly: i64 = windows.iter().map(|&(_, s, e)| i64::from(e - s)).sum();
        Built {
            fast,
            oracle: Oracle {
                tz,
                windows: windows.clone(),
                singles,
                yearly,
                memo: HashMap::new(),
            },
            start,
            target: c.target.min(2 * weekly),
        }
    }

    #[test]
    fn samoa_skipped_a_whole_day() {
        // Pacific/Apia went from UTC-10 to UTC+14 after 2011-12-29: the 30th
        // never happened, so its windows land on the 31st's instants, and
        // windows of consecutive dates come out of order in real time.
        let case = Case {
            zone: "Pacific/Apia",
            windows: (0..7)
                .flat_map(|d| [(d, 540, 480), (d, 1320, 240), (d, 150, 30)])
                .collect(),
            single_runs: Vec::new(),
            yearly_runs: Vec::new(),
            start_minute: 0,
            near_transition: None,
            target: 0,
            span: 1,
            fraction_ns: 1,
        };
        let Built {
            fast, mut oracle, ..
        } = build(&case);
        let first = at("2011-12-28T00:00Z");
        for i in 0..40 {
            let start = first
                .checked_add(jiff::SignedDuration::from_hours(5 * i))
                .expect("instant");
            for target in [0, 1, 45, 480, 1500] {
                let due = fast.add_business_minutes(start, target);
                assert_eq!(due, oracle.add(start, target), "{start} + {target}");
                assert_eq!(fast.business_minutes_between(start, due), target);
            }
            let end = start
                .checked_add(jiff::SignedDuration::from_hours(30))
                .expect("instant");
            assert_eq!(
                fast.business_minutes_between(start, end),
                oracle.minutes_between(start, end)
            );
        }
    }

    #[test]
    fn dst_gaps_spanning_midnight_reorder_windows_across_dates() {
        // +09 -> +12 at 22:45 on the first Sunday of October: 22:45-01:45
        // never happens. Sunday's 22:50 window is read as Monday 01:50 (+12),
        // after Monday's own 01:45 window.
        // The last: nearly day-long windows; Saturday 23:40 - Sunday 23:35
        // ends in Sunday night's gap, so it is open until Monday 01:35, two
        // local dates after it began.
        for (zone, pattern) in [
            (
                "posix:CCC-9DDD-12,M10.1.0/22:45,M4.1.0/3",
                vec![(1370, 10), (105, 15)],
            ),
            (
                "posix:AAA3BBB1,M3.2.0/23:30,M11.1.0/1",
                vec![(1415, 10), (95, 20)],
            ),
            ("posix:AAA3BBB1,M3.2.0/23:30,M11.1.0/1", vec![(1420, 1435)]),
        ] {
            let case = Case {
                zone,
                windows: (0..7)
                    .flat_map(|d| pattern.iter().map(move |&(s, len)| (d, s, len)))
                    .collect(),
                single_runs: Vec::new(),
                yearly_runs: Vec::new(),
                start_minute: 0,
                near_transition: None,
                target: 0,
                span: 1,
                fraction_ns: 1,
            };
            let Built {
                fast, mut oracle, ..
            } = build(&case);
            let tz = self::zone(zone);
            for year in [2026, 2027] {
                let from = date(year, 1, 1)
                    .to_zoned_datetime(tz.clone())
                    .expect("zoned")
                    .timestamp();
                for tr in tz.following(from).take(2) {
                    for h in (-60..12).step_by(4).chain([2]) {
                        let start = tr
                            .timestamp()
                            .checked_add(jiff::SignedDuration::from_hours(h))
                            .expect("instant");
                        for target in [0, 5, 10, 20, 35, 60] {
                            let due = fast.add_business_minutes(start, target);
                            assert_eq!(due, oracle.add(start, target), "{zone} {start} + {target}");
                        }
                        let end = start
                            .checked_add(jiff::SignedDuration::from_hours(30))
                            .expect("instant");
                        assert_eq!(
                            fast.business_minutes_between(start, end),
                            oracle.minutes_between(start, end)
                        );
                    }
                }
            }
        }
    }

    // Every day the same few short windows in the small hours, and a start
    // from two days before to a few hours after a DST change: boundaries
    // land in gaps and folds, and windows come out of order in real time.
    fn small_hours_case() -> impl Strategy<Value = Case> {
        (
            prop::sample::select(vec![
                "America/New_York",
                "Europe/London",
                "Australia/Lord_Howe",
            ]),
            prop::collection::vec(((0i32..60).prop_map(|q| q * 5), 5i32..=90), 1..6),
            0i64..(11 * 365 * 1440),
            -2880i64..360,
            0i64..=400,
            1i64..=2880,
            1i64..60_000_000_000,
        )
            .prop_map(
                |(zone, pattern, start_minute, off, target, span, fraction_ns)| Case {
                    zone,
                    windows: (0..7)
                        .flat_map(|d| pattern.iter().map(move |&(s, len)| (d, s, len)))
                        .collect(),
                    single_runs: Vec::new(),
                    yearly_runs: Vec::new(),
                    start_minute,
                    near_transition: Some(off),
                    target,
                    span,
                    fraction_ns,
                },
            )
    }

    // DST changes around midnight: Havana's (00:00 -> 01:00, 01:00 ->
    // 00:00) and two rule-made zones whose gaps and folds span midnight
    // (23:30 -> 01:30 and back 01:00 -> 23:00; 22:45 -> 01:45), with windows
    // around midnight, some crossing it. Windows of consecutive dates then
    // come out of order in real time.
    fn midnight_case() -> impl Strategy<Value = Case> {
        (
            prop::sample::select(vec![
                "America/Havana",
                "posix:AAA3BBB1,M3.2.0/23:30,M11.1.0/1",
                "posix:CCC-9DDD-12,M10.1.0/22:45,M4.1.0/3",
            ]),
            prop::collection::vec(
                (
                    prop_oneof![
                        (252i32..288).prop_map(|q| q * 5),
                        (0i32..36).prop_map(|q| q * 5)
                    ],
                    5i32..=150,
                ),
                1..6,
            ),
            0i64..(11 * 365 * 1440),
            -2880i64..360,
            0i64..=400,
            1i64..=2880,
            1i64..60_000_000_000,
        )
            .prop_map(
                |(zone, pattern, start_minute, off, target, span, fraction_ns)| Case {
                    zone,
                    windows: (0..7)
                        .flat_map(|d| pattern.iter().map(move |&(s, len)| (d, s, len)))
                        .collect(),
                    single_runs: Vec::new(),
                    yearly_runs: Vec::new(),
                    start_minute,
                    near_transition: Some(off),
                    target,
                    span,
                    fraction_ns,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn deadlines_match_the_minute_by_minute_oracle(c in case()) {
            check_against_oracle(&c)?;
        }

        #[test]
        fn deadlines_match_the_oracle_around_dst_changes(c in small_hours_case()) {
            check_against_oracle(&c)?;
        }

        #[test]
        fn deadlines_match_the_oracle_when_dst_changes_span_midnight(c in midnight_case()) {
            check_against_oracle(&c)?;
        }
    }

    fn check_against_oracle(c: &Case) -> Result<(), TestCaseError> {
        let Built {
            fast,
            mut oracle,
            start,
            target,
        } = build(c);
        let due = fast.add_business_minutes(start, target);
        prop_assert_eq!(
            due,
            oracle.add(start, target),
            "add {} from {}",
            target,
            start
        );
        prop_assert_eq!(fast.business_minutes_between(start, due), target);
        prop_assert_eq!(fast.business_seconds_between(start, due), target * 60);
        prop_assert_eq!(fast.is_open(start), oracle.open(start));
        let end = start
            .checked_add(jiff::SignedDuration::from_mins(c.span))
            .expect("instant");
        prop_assert_eq!(
            fast.business_minutes_between(start, end),
            oracle.minutes_between(start, end)
        );

        // A start between whole minutes: exactly the target, and no sooner.
        let s = plus_nanos(start, i128::from(c.fraction_ns));
        let due_s = fast.add_business_minutes(s, target);
        prop_assert_eq!(fast.business_seconds_between(s, due_s), target * 60);
        prop_assert_eq!(fast.business_minutes_between(s, due_s), target);
        if target > 0 {
            prop_assert_eq!(
                fast.business_seconds_between(s, plus_nanos(due_s, -1)),
                target * 60 - 1
            );
        } else {
            prop_assert_eq!(due_s, fast.next_open(s));
            prop_assert!(fast.is_open(due_s));
        }
        let after = plus_nanos(start, 60 * NANOS);
        prop_assert!(due <= due_s && due_s <= fast.add_business_minutes(after, target));
        Ok(())
    }
}
