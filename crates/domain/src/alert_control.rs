//! What holds back or bundles alerts before they become tickets:
//! maintenance windows (a client's planned work, when alerts are recorded
//! but open nothing), flood control (past a number of new tickets per
//! source per minute, alerts join one "alert storm" ticket) and the token
//! bucket that limits how often a source may post.
//!
//! # Maintenance windows
//! A window is either one-off (two instants) or weekly: some weekdays, a
//! local start time and a duration, in the client's time zone. A weekly
//! occurrence starts at the local start time on each chosen day, read with
//! jiff's *compatible* disambiguation as the business calendar does (a
//! start in the spring-forward gap is pushed later by the gap, a start in
//! the fall-back fold takes the earlier instant), and lasts its duration in
//! elapsed time: a two-hour window is two hours long on a DST day too.
//! Occurrences may run past midnight and overlap (their union counts).

use crate::ValidationError;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// The longest a weekly occurrence may last: a week (longer would cover
/// everything; a one-off window says so more plainly).
pub const MAX_WEEKLY_MINUTES: i64 = 7 * 24 * 60;

/// The longest a one-off window may last, so a typo cannot silence a
/// client's monitoring for years.
pub const MAX_ONE_OFF_DAYS: i64 = 90;

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// When a maintenance window holds alerts back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MaintenanceSchedule {
    /// From one instant up to (not including) another.
    Once {
        /// First instant inside.
        starts_at: Timestamp,
        /// First instant outside.
        ends_at: Timestamp,
    },
    /// Every chosen weekday from a local time, for a number of minutes.
    Weekly {
        /// Bit 0 Monday ... bit 6 Sunday.
        days: u8,
        /// Local start time (whole minutes).
        start: Time,
        /// Elapsed length of each occurrence.
        minutes: i64,
    },
}

/// A weekday by its name (`mon` or `monday`, any case).
pub fn parse_weekday(raw: &str) -> Result<Weekday, ValidationError> {
    const FULL: [&str; 7] = [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    ];
    let v = raw.trim().to_ascii_lowercase();
    (0i8..7)
        .find(|&i| {
            let i = usize::from(i.unsigned_abs());
            FULL[i] == v || DAY_NAMES[i] == v
        })
        .and_then(|i| Weekday::from_monday_zero_offset(i).ok())
        .ok_or_else(|| ValidationError::new("weekdays", format!("{raw:?} is not a weekday")))
}

fn bit(day: Weekday) -> u8 {
    1 << day.to_monday_zero_offset().unsigned_abs()
}

impl MaintenanceSchedule {
    /// A one-off window; it must end after it starts and last at most
    /// [`MAX_ONE_OFF_DAYS`].
    pub fn once(starts_at: Timestamp, ends_at: Timestamp) -> Result<Self, ValidationError> {
        if ends_at <= starts_at {
            return Err(ValidationError::new("ends_at", "must be after the start"));
        }
        if ends_at.as_millisecond() - starts_at.as_millisecond() > MAX_ONE_OFF_DAYS * 24 * 3_600_000
        {
            return Err(ValidationError::new(
                "ends_at",
                format!("a window may last at most {MAX_ONE_OFF_DAYS} days"),
            ));
        }
        Ok(Self::Once { starts_at, ends_at })
    }

    /// A weekly window on `days` from local `start` (`HH:MM`) for `minutes`
    /// (1 to [`MAX_WEEKLY_MINUTES`]).
    pub fn weekly<S: AsRef<str>>(
        days: &[S],
        start: &str,
        minutes: i64,
    ) -> Result<Self, ValidationError> {
        let mut mask = 0u8;
        for d in days {
            mask |= bit(parse_weekday(d.as_ref())?);
        }
        if mask == 0 {
            return Err(ValidationError::new(
                "weekdays",
                "choose at least one weekday",
            ));
        }
        let start = start
            .trim()
            .parse::<Time>()
            .ok()
            .filter(|t| t.second() == 0 && t.subsec_nanosecond() == 0)
            .ok_or_else(|| ValidationError::new("start_time", "must be a time HH:MM"))?;
        Self::weekly_mask(mask, start, minutes)
    }

    /// A weekly window from its stored form (a weekday bit mask).
    pub fn weekly_mask(days: u8, start: Time, minutes: i64) -> Result<Self, ValidationError> {
        if days == 0 || days > 0x7f {
            return Err(ValidationError::new(
                "weekdays",
                "choose at least one weekday",
            ));
        }
        if !(1..=MAX_WEEKLY_MINUTES).contains(&minutes) {
            return Err(ValidationError::new(
                "duration_minutes",
                format!("must be 1-{MAX_WEEKLY_MINUTES} minutes"),
            ));
        }
        Ok(Self::Weekly {
            days,
            start,
            minutes,
        })
    }

    /// The weekday names of a weekly window (`mon`, `tue`, ...), Monday first.
    pub fn weekday_names(&self) -> Vec<&'static str> {
        match self {
            Self::Once { .. } => Vec::new(),
            Self::Weekly { days, .. } => DAY_NAMES
                .iter()
                .enumerate()
                .filter(|(i, _)| days & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect(),
        }
    }

    /// The weekly occurrence that starts on local date `d`, if `d` is one
    /// of its days.
    fn occurrence_on(&self, tz: &TimeZone, d: Date) -> Option<(Timestamp, Timestamp)> {
        let Self::Weekly {
            days,
            start,
            minutes,
        } = self
        else {
            return None;
        };
        if days & bit(d.weekday()) == 0 {
            return None;
        }
        let s = tz
            .to_ambiguous_timestamp(d.to_datetime(*start))
            .compatible()
            .ok()?;
        let e = s.checked_add(Span::new().minutes(*minutes)).ok()?;
        Some((s, e))
    }

    /// The occurrence that holds `at`, if any: (start, end).
    pub fn occurrence_at(&self, tz: &TimeZone, at: Timestamp) -> Option<(Timestamp, Timestamp)> {
        match self {
            Self::Once { starts_at, ends_at } => {
                (*starts_at <= at && at < *ends_at).then_some((*starts_at, *ends_at))
            }
            Self::Weekly { minutes, .. } => {
                let today = tz.to_datetime(at).date();
                // An occurrence that started up to `minutes` ago (plus a
                // day for offset changes) may still run.
                let back = minutes / (24 * 60) + 1;
                (0..=back)
                    .filter_map(|k| today.checked_sub(Span::new().days(k)).ok())
                    .filter_map(|d| self.occurrence_on(tz, d))
                    .find(|(s, e)| *s <= at && at < *e)
            }
        }
    }

    /// Whether alerts at `at` are held back.
    pub fn covers(&self, tz: &TimeZone, at: Timestamp) -> bool {
        self.occurrence_at(tz, at).is_some()
    }

    /// The occurrence running at `now`, else the next one to start; none
    /// once a one-off window is over.
    pub fn current_or_next(&self, tz: &TimeZone, now: Timestamp) -> Option<(Timestamp, Timestamp)> {
        if let Some(o) = self.occurrence_at(tz, now) {
            return Some(o);
        }
        match self {
            Self::Once { starts_at, ends_at } => {
                (now < *starts_at).then_some((*starts_at, *ends_at))
            }
            Self::Weekly { .. } => {
                let today = tz.to_datetime(now).date();
                (0..=8)
                    .filter_map(|k| today.checked_add(Span::new().days(k)).ok())
                    .filter_map(|d| self.occurrence_on(tz, d))
                    .find(|(s, _)| *s > now)
            }
        }
    }
}

/// How alarming a severity is, for "the highest seen so far": 3 for what
/// maps to P1 down to 0 for P4 (see
/// [`crate::alert::severity_impact_urgency`]).
pub fn severity_rank(severity: &str) -> u8 {
    use crate::ticket::{Impact, Urgency};
    match crate::alert::severity_impact_urgency(severity) {
        (Impact::High, Urgency::High) => 3,
        (_, Urgency::High) => 2,
        (Impact::Medium, _) => 1,
        _ => 0,
    }
}

/// The default number of new tickets a source may open per minute before
/// its alerts join an alert storm ticket.
pub const DEFAULT_STORM_PER_MINUTE: i64 = 30;

/// The default number of intake requests a source may send per second
/// (its burst is twice that). Generous: a busy Alertmanager batches.
pub const DEFAULT_RATE_PER_SECOND: i64 = 200;

/// New alerts of one source counted by clock minute: enough to tell
/// whether the source is storming.
///
/// A source storms while the current or the previous minute has seen more
/// new alerts than its limit: so a storm ends only after a whole quiet
/// minute (one with at most the limit), and a loud minute's alerts all
/// join the storm however they fall across the minute's boundary.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FloodCount {
    /// The clock minute counted (epoch minutes).
    pub minute: i64,
    /// New alerts in that minute.
    pub opened: i64,
    /// New alerts in the minute before it.
    pub prev_opened: i64,
}

impl FloodCount {
    /// Count one new alert at `now_ms`; true when it belongs in the storm
    /// ticket rather than its own (never with a `limit` of 0: no limit).
    pub fn count_new(&mut self, now_ms: i64, limit: i64) -> bool {
        let minute = now_ms.div_euclid(60_000);
        if minute != self.minute {
            self.prev_opened = if minute == self.minute + 1 {
                self.opened
            } else {
                0
            };
            self.minute = minute;
            self.opened = 0;
        }
        self.opened += 1;
        limit > 0 && (self.opened > limit || self.prev_opened > limit)
    }
}

/// A token bucket over integer thousandths of a request, so the math is
/// exact and cheap: refilled at `rate` requests per second up to a burst
/// of twice that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenBucket {
    milli_tokens: i64,
    at_ms: i64,
}

impl TokenBucket {
    /// A full bucket at `now_ms` for `rate` requests per second.
    pub fn full(rate: i64, now_ms: i64) -> Self {
        Self {
            milli_tokens: rate.saturating_mul(2_000),
            at_ms: now_ms,
        }
    }

    /// Take one request at `now_ms`; when the bucket is empty, the whole
    /// seconds (at least 1) until a request would be let through.
    pub fn take(&mut self, rate: i64, now_ms: i64) -> Result<(), u64> {
        let rate = rate.max(1);
        let cap = rate.saturating_mul(2_000);
        // `rate` requests per second is `rate` thousandths per millisecond.
        let elapsed = (now_ms - self.at_ms).max(0);
        self.milli_tokens = self
            .milli_tokens
            .saturating_add(elapsed.saturating_mul(rate))
            .min(cap);
        self.at_ms = self.at_ms.max(now_ms);
        if self.milli_tokens >= 1_000 {
            self.milli_tokens -= 1_000;
            return Ok(());
        }
        let wait_ms = (1_000 - self.milli_tokens + rate - 1) / rate;
        Err(u64::try_from((wait_ms + 999) / 1_000).unwrap_or(1).max(1))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse::<jiff::ZonedDateTime>()
            .map(|z| z.timestamp())
            .or_else(|_| s.parse::<Timestamp>())
            .unwrap()
    }

    #[test]
    fn one_off_windows_hold_from_start_up_to_end() {
        let w = MaintenanceSchedule::once(at("2026-03-02T10:00:00Z"), at("2026-03-02T12:00:00Z"))
            .unwrap();
        let tz = TimeZone::UTC;
        assert!(!w.covers(&tz, at("2026-03-02T09:59:59Z")));
        assert!(w.covers(&tz, at("2026-03-02T10:00:00Z")));
        assert!(w.covers(&tz, at("2026-03-02T11:59:59Z")));
        assert!(!w.covers(&tz, at("2026-03-02T12:00:00Z")));
        assert!(
            MaintenanceSchedule::once(at("2026-03-02T12:00:00Z"), at("2026-03-02T12:00:00Z"))
                .is_err()
        );
        assert!(
            MaintenanceSchedule::once(at("2026-01-01T00:00:00Z"), at("2026-06-01T00:00:00Z"))
                .is_err()
        );
    }

    #[test]
    fn weekly_windows_follow_the_clients_wall_clock() {
        let tz = TimeZone::get("Europe/London").unwrap();
        // Sundays 02:00 local for 3 hours.
        let w = MaintenanceSchedule::weekly(&["sun"], "02:00", 180).unwrap();
        // Winter (GMT): 02:00-05:00Z.
        assert!(w.covers(&tz, at("2026-01-11T02:30:00+00:00[Europe/London]")));
        assert!(!w.covers(&tz, at("2026-01-11T05:00:00+00:00[Europe/London]")));
        // Summer (BST): 02:00 local is 01:00Z.
        assert!(w.covers(&tz, at("2026-07-05T01:30:00Z")));
        assert!(!w.covers(&tz, at("2026-07-05T00:59:00Z")));
        // Not on a Monday.
        assert!(!w.covers(&tz, at("2026-07-06T02:30:00+01:00[Europe/London]")));
    }

    #[test]
    fn weekly_windows_across_dst_changes() {
        let tz = TimeZone::get("America/New_York").unwrap();
        // Sunday 02:30 does not exist on 2026-03-08 (spring forward at
        // 02:00): it is read as 03:30 EDT, and lasts its 60 minutes.
        let w = MaintenanceSchedule::weekly(&["sunday"], "02:30", 60).unwrap();
        let (s, e) = w
            .occurrence_at(&tz, at("2026-03-08T03:45:00-04:00[America/New_York]"))
            .unwrap();
        assert_eq!(s, at("2026-03-08T07:30:00Z"));
        assert_eq!(e, at("2026-03-08T08:30:00Z"));
        assert!(!w.covers(&tz, at("2026-03-08T03:15:00-04:00[America/New_York]")));
        // Fall back on 2026-11-01: 01:30 happens twice; the window opens at
        // the first and lasts 90 elapsed minutes, into the second 01:xx.
        let w = MaintenanceSchedule::weekly(&["sun"], "01:30", 90).unwrap();
        let (s, e) = w
            .occurrence_at(&tz, at("2026-11-01T01:40:00-05:00[America/New_York]"))
            .unwrap();
        assert_eq!(s, at("2026-11-01T05:30:00Z"));
        assert_eq!(e, at("2026-11-01T07:00:00Z"));
    }

    #[test]
    fn weekly_windows_run_past_midnight_and_name_the_next_occurrence() {
        let tz = TimeZone::UTC;
        let w = MaintenanceSchedule::weekly(&["fri", "sat"], "22:00", 240).unwrap();
        assert!(w.covers(&tz, at("2026-03-07T01:59:00Z")));
        assert!(!w.covers(&tz, at("2026-03-07T02:00:00Z")));
        assert!(w.covers(&tz, at("2026-03-08T01:00:00Z")));
        assert!(!w.covers(&tz, at("2026-03-09T01:00:00Z")));
        // Tuesday: the next one is Friday 22:00.
        assert_eq!(
            w.current_or_next(&tz, at("2026-03-03T12:00:00Z")),
            Some((at("2026-03-06T22:00:00Z"), at("2026-03-07T02:00:00Z")))
        );
        assert_eq!(w.weekday_names(), vec!["fri", "sat"]);
    }

    #[test]
    fn weekly_windows_refuse_bad_input() {
        assert_eq!(
            MaintenanceSchedule::weekly::<&str>(&[], "02:00", 60)
                .unwrap_err()
                .field,
            "weekdays"
        );
        assert_eq!(
            MaintenanceSchedule::weekly(&["funday"], "02:00", 60)
                .unwrap_err()
                .field,
            "weekdays"
        );
        assert_eq!(
            MaintenanceSchedule::weekly(&["mon"], "25:00", 60)
                .unwrap_err()
                .field,
            "start_time"
        );
        assert_eq!(
            MaintenanceSchedule::weekly(&["mon"], "02:00", 0)
                .unwrap_err()
                .field,
            "duration_minutes"
        );
        assert_eq!(
            MaintenanceSchedule::weekly(&["mon"], "02:00", MAX_WEEKLY_MINUTES + 1)
                .unwrap_err()
                .field,
            "duration_minutes"
        );
    }

    #[test]
    fn a_source_storms_past_its_limit_until_a_quiet_minute() {
        let mut f = FloodCount::default();
        let m = 1_000 * 60_000;
        for _ in 0..3 {
            assert!(!f.count_new(m, 3));
        }
        assert!(f.count_new(m + 10_000, 3));
        // The next minute: still storming, because the last one was loud.
        assert!(f.count_new(m + 60_000, 3));
        // Then a minute of one alert is quiet; the one after is calm.
        assert!(!f.count_new(m + 180_000, 3));
        // No limit, no storm.
        let mut f = FloodCount::default();
        assert!((0..100).all(|_| !f.count_new(m, 0)));
    }

    #[test]
    fn the_token_bucket_allows_a_burst_then_names_the_wait() {
        let mut b = TokenBucket::full(2, 0);
        for _ in 0..4 {
            assert_eq!(b.take(2, 0), Ok(()));
        }
        assert_eq!(b.take(2, 0), Err(1));
        // Half a second refills one request at 2 per second.
        assert_eq!(b.take(2, 500), Ok(()));
        assert_eq!(b.take(2, 500), Err(1));
        let mut slow = TokenBucket::full(1, 0);
        slow.take(1, 0).unwrap();
        slow.take(1, 0).unwrap();
        assert_eq!(slow.take(1, 0), Err(1));
    }

    #[test]
    fn severities_rank_by_the_priority_they_map_to() {
        assert!(severity_rank("critical") > severity_rank("error"));
        assert!(severity_rank("error") > severity_rank("warning"));
        assert!(severity_rank("warning") > severity_rank("info"));
    }
}
