//! SLA clocks. A clock counts working time (by a calendar, or 24x7) toward
//! a target; it pauses in waiting states, stops when met, and when its
//! target or calendar changes it keeps the time already consumed. Time is
//! counted in milliseconds so that many short pauses lose nothing.

use serde::{Deserialize, Serialize};

/// Working time as a clock sees it. Implemented by business calendars and
/// by the 24x7 clock; instants are epoch milliseconds.
pub trait WorkingTime {
    /// The instant at which `millis` of working time have passed since
    /// `start` (a start in closed time waits for the next opening).
    fn add_millis(&self, start_ms: i64, millis: i64) -> i64;
    /// Working milliseconds in `[from_ms, to_ms)`.
    fn millis_between(&self, from_ms: i64, to_ms: i64) -> i64;
    /// Whether working time is running at `at_ms`.
    fn is_open(&self, at_ms: i64) -> bool {
        self.add_millis(at_ms, 0) == at_ms
    }
}

/// Around the clock: every second counts.
#[derive(Clone, Copy, Debug, Default)]
pub struct AroundTheClock;

impl WorkingTime for AroundTheClock {
    fn add_millis(&self, start_ms: i64, millis: i64) -> i64 {
        start_ms + millis.max(0)
    }
    fn millis_between(&self, from_ms: i64, to_ms: i64) -> i64 {
        (to_ms - from_ms).max(0)
    }
}

/// What a clock reports when its time comes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaEvent {
    /// The warning threshold was crossed.
    Warning,
    /// The target was missed.
    Breach,
}

/// One SLA clock (first response or resolution).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SlaClock {
    /// Target in minutes of working time.
    pub target_minutes: i64,
    /// Working milliseconds consumed before `since`.
    pub consumed_ms: i64,
    /// When it last started running; `None` while paused or stopped.
    pub since: Option<i64>,
    /// The deadline while running.
    pub due: Option<i64>,
    /// When the warning falls due while running and not yet warned.
    pub warn_at: Option<i64>,
    /// When it was met (response) or stopped (resolution).
    pub done_at: Option<i64>,
    /// The warning was raised.
    pub warned: bool,
    /// The target was missed.
    pub breached: bool,
}

impl SlaClock {
    /// A clock started at `now`.
    pub fn start(target_minutes: i64, now: i64, wt: &dyn WorkingTime, warn_percent: i64) -> Self {
        let mut c = SlaClock {
            target_minutes,
            ..SlaClock::default()
        };
        c.run_from(now, wt, warn_percent);
        c
    }

    fn run_from(&mut self, now: i64, wt: &dyn WorkingTime, warn_percent: i64) {
        let target = self.target_minutes * 60_000;
        self.since = Some(now);
        self.due = Some(wt.add_millis(now, (target - self.consumed_ms).max(0)));
        self.warn_at = if self.warned || self.breached {
            None
        } else {
            let warn_point = target * warn_percent.clamp(0, 100) / 100;
            Some(wt.add_millis(now, (warn_point - self.consumed_ms).max(0)))
        };
    }

    /// Whether it is counting now.
    pub fn running(&self) -> bool {
        self.since.is_some()
    }

    /// Working milliseconds consumed up to `now`.
    pub fn consumed_at(&self, now: i64, wt: &dyn WorkingTime) -> i64 {
        self.consumed_ms + self.since.map_or(0, |s| wt.millis_between(s, now))
    }

    /// Stop counting (a waiting status); the time used so far is kept.
    pub fn pause(&mut self, now: i64, wt: &dyn WorkingTime) {
        if let Some(s) = self.since.take() {
            self.consumed_ms += wt.millis_between(s, now);
            self.due = None;
            self.warn_at = None;
        }
    }

    /// Count again from `now` with the time already used (leaving a
    /// waiting status, or reopening a resolved ticket).
    pub fn resume(&mut self, now: i64, wt: &dyn WorkingTime, warn_percent: i64) {
        if self.since.is_none() {
            self.done_at = None;
            self.run_from(now, wt, warn_percent);
        }
    }

    /// Stop for good: met (response) or resolved (resolution).
    pub fn stop(&mut self, now: i64, wt: &dyn WorkingTime) {
        self.pause(now, wt);
        if self.done_at.is_none() {
            self.done_at = Some(now);
        }
    }

    /// A new target or calendar: keep the time consumed and the time
    /// paused; a running clock is re-anchored at `now` on the new terms.
    pub fn retarget(
        &mut self,
        now: i64,
        old: &dyn WorkingTime,
        new: &dyn WorkingTime,
        target_minutes: i64,
        warn_percent: i64,
    ) {
        let was_running = self.running();
        self.pause(now, old);
        self.target_minutes = target_minutes;
        if self.consumed_ms < target_minutes * 60_000 {
            self.breached = false;
        }
        if was_running {
            self.run_from(now, new, warn_percent);
        }
    }

    /// Raise what has fallen due by `now`: at most one event per call,
    /// breach before warning.
    pub fn check(&mut self, now: i64) -> Option<SlaEvent> {
        if !self.running() {
            return None;
        }
        if !self.breached && self.due.is_some_and(|d| d <= now) {
            self.breached = true;
            self.warned = true;
            self.warn_at = None;
            return Some(SlaEvent::Breach);
        }
        if !self.warned && self.warn_at.is_some_and(|w| w <= now) {
            self.warned = true;
            self.warn_at = None;
            return Some(SlaEvent::Warning);
        }
        None
    }

    /// The next instant at which [`SlaClock::check`] would raise something.
    pub fn next_event_at(&self) -> Option<i64> {
        if !self.running() {
            return None;
        }
        let warn = if self.warned { None } else { self.warn_at };
        let due = if self.breached { None } else { self.due };
        match (warn, due) {
            (Some(w), Some(d)) => Some(w.min(d)),
            (w, d) => w.or(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn paused_time_is_kept_and_the_deadline_moves_by_the_pause() {
        let wt = AroundTheClock;
        let mut c = SlaClock::start(60, 0, &wt, 75);
        assert_eq!(c.due, Some(60 * MIN));
        assert_eq!(c.warn_at, Some(45 * MIN));
        c.pause(20 * MIN, &wt);
        assert_eq!(c.consumed_ms, 20 * MIN);
        assert_eq!(c.check(100 * MIN), None, "a paused clock never breaches");
        c.resume(100 * MIN, &wt, 75);
        assert_eq!(c.due, Some(140 * MIN));
        assert_eq!(c.check(125 * MIN), Some(SlaEvent::Warning));
        assert_eq!(c.check(126 * MIN), None);
        assert_eq!(c.check(140 * MIN), Some(SlaEvent::Breach));
        assert_eq!(c.next_event_at(), None);
    }

    #[test]
    fn retargeting_keeps_consumed_time_and_many_short_pauses_lose_nothing() {
        let wt = AroundTheClock;
        let mut c = SlaClock::start(240, 0, &wt, 75);
        for i in 0..10 {
            c.pause(i * MIN + 30_000, &wt);
            c.resume((i + 1) * MIN, &wt, 75);
        }
        assert_eq!(c.consumed_ms, 10 * 30_000);
        c.retarget(20 * MIN, &wt, &wt, 60, 75);
        // 5 minutes ran before the pauses ended plus 10 since: 15 of 60 used.
        assert_eq!(c.consumed_ms, 15 * MIN);
        assert_eq!(c.due, Some(20 * MIN + 45 * MIN));
    }

    #[test]
    fn sub_second_pauses_lose_nothing() {
        let wt = AroundTheClock;
        let mut c = SlaClock::start(60, 0, &wt, 75);
        for i in 0..1000 {
            c.pause(i * 1000 + 300, &wt);
            c.resume(i * 1000 + 1000, &wt, 75);
        }
        // 1000 runs of 300 ms each, not 1000 runs rounded down to nothing.
        assert_eq!(c.consumed_ms, 300_000);
        assert_eq!(c.due, Some(1_000_000 + 60 * MIN - 300_000));
    }

    #[test]
    fn stopping_records_when_and_reopening_resumes_with_time_used() {
        let wt = AroundTheClock;
        let mut c = SlaClock::start(60, 0, &wt, 75);
        c.stop(10 * MIN, &wt);
        assert_eq!(c.done_at, Some(10 * MIN));
        assert!(!c.running());
        c.resume(30 * MIN, &wt, 75);
        assert_eq!(c.done_at, None);
        assert_eq!(c.due, Some(80 * MIN));
    }
}
