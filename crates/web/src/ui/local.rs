//! Instants as the reader reads them: in their own time zone, named once on
//! the page, and deadlines as a countdown ("due in 2 h 14 min") with the
//! exact local time on hover. `static/tandem.js` keeps countdowns current
//! with the same wording ([`span`]).

use super::chart::escape;
use askama::filters::HtmlSafe;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use std::fmt;

/// The reader's time zone.
#[derive(Clone, Debug)]
pub struct Zone {
    name: String,
    tz: TimeZone,
}

impl Zone {
    /// A zone by its IANA name. Names are checked when they are stored; one
    /// that a later time zone database no longer knows reads as UTC rather
    /// than breaking every page.
    pub fn named(name: &str) -> Self {
        match TimeZone::get(name) {
            Ok(tz) => Self {
                name: name.to_owned(),
                tz,
            },
            Err(_) => Self::utc(),
        }
    }

    /// UTC (pages seen before anyone is signed in).
    pub fn utc() -> Self {
        Self {
            name: "UTC".to_owned(),
            tz: TimeZone::UTC,
        }
    }

    /// Its IANA name, as the page names it once.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The zone itself, for bucketing by local day, week or month.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }

    /// An instant (epoch ms) as a `<time>` element.
    pub fn at(&self, ms: i64) -> LocalTime {
        LocalTime {
            iso: iso(ms),
            text: self.short(ms),
            title: self.exact(ms),
        }
    }

    /// A deadline as a countdown from `now`, with the exact time on hover.
    pub fn due(&self, due_ms: i64, now_ms: i64) -> Due {
        Due {
            ms: due_ms,
            iso: iso(due_ms),
            text: countdown(due_ms, now_ms),
            title: self.exact(due_ms),
            overdue: due_ms < now_ms,
        }
    }

    /// "6 Dec 2026 09:00": short, for lists.
    pub fn short(&self, ms: i64) -> String {
        self.format(ms, "%-d %b %Y %H:%M")
    }

    /// "Sun 6 Dec 2026, 09:00 CST": for the hover text.
    pub fn exact(&self, ms: i64) -> String {
        self.format(ms, "%a %-d %b %Y, %H:%M %Z")
    }

    fn format(&self, ms: i64, pattern: &str) -> String {
        Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned_datetime(self.tz.clone())
                    .strftime(pattern)
                    .to_string()
            })
            .unwrap_or_default()
    }
}

/// Every zone name the time zone database knows, sorted: the choices of
/// the zone forms. Read once; the database does not change while we run.
pub fn zone_names() -> &'static [String] {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            // Legacy aliases ("EST5EDT", "US/Central") and bare
            // abbreviations crowd the list; the Area/City names cover
            // every place, and UTC is kept.
            .filter(|n| {
                n == "UTC" || (n.contains('/') && !n.starts_with("Etc/") && !n.starts_with("US/"))
            })
            .collect();
        names.sort();
        names.dedup();
        names
    });
    &NAMES
}

/// The options of a zone form, `current` selected (and listed even when it
/// is a name [`zone_names`] leaves out).
pub fn zone_options(current: Option<&str>) -> Vec<(String, bool)> {
    let mut options: Vec<(String, bool)> = zone_names()
        .iter()
        .map(|n| (n.clone(), Some(n.as_str()) == current))
        .collect();
    if let Some(c) = current
        && !options.iter().any(|(_, on)| *on)
    {
        options.insert(0, (c.to_owned(), true));
    }
    options
}

fn iso(ms: i64) -> String {
    Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// "due in 2 h 14 min" or "overdue by 3 days".
pub fn countdown(due_ms: i64, now_ms: i64) -> String {
    if due_ms >= now_ms {
        format!("due in {}", span((due_ms - now_ms) / 60_000))
    } else {
        format!("overdue by {}", span((now_ms - due_ms) / 60_000))
    }
}

/// A length of time in whole minutes, as people say it: "less than a
/// minute", "45 min", "2 h", "2 h 14 min", "1 day 4 h", "3 days". Within
/// a day the minutes count; within three days the hours; beyond, the days.
pub fn span(minutes: i64) -> String {
    let m = minutes.max(0);
    if m < 1 {
        return "less than a minute".to_owned();
    }
    if m < 60 {
        return format!("{m} min");
    }
    if m < 1440 {
        let (h, mm) = (m / 60, m % 60);
        return if mm > 0 {
            format!("{h} h {mm} min")
        } else {
            format!("{h} h")
        };
    }
    let (d, h) = (m / 1440, (m % 1440) / 60);
    let days = if d == 1 {
        "1 day".to_owned()
    } else {
        format!("{d} days")
    };
    if d < 3 && h > 0 {
        format!("{days} {h} h")
    } else {
        days
    }
}

/// An instant on a page: `<time datetime=... title=...>`.
pub struct LocalTime {
    iso: String,
    text: String,
    title: String,
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            r#"<time datetime="{}" title="{}">{}</time>"#,
            escape(&self.iso),
            escape(&self.title),
            escape(&self.text)
        )
    }
}

impl HtmlSafe for LocalTime {}

/// A deadline on a page: a countdown the script keeps current.
pub struct Due {
    ms: i64,
    iso: String,
    text: String,
    title: String,
    overdue: bool,
}

impl Due {
    /// Past its deadline.
    pub fn overdue(&self) -> bool {
        self.overdue
    }
}

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            r#"<time class="due{}" datetime="{}" data-due="{}" title="{}">{}</time>"#,
            if self.overdue { " overdue" } else { "" },
            escape(&self.iso),
            self.ms,
            escape(&self.title),
            escape(&self.text)
        )
    }
}

impl HtmlSafe for Due {}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    #[test]
    fn spans_read_as_people_say_them() {
        assert_eq!(span(0), "less than a minute");
        assert_eq!(span(1), "1 min");
        assert_eq!(span(59), "59 min");
        assert_eq!(span(60), "1 h");
        assert_eq!(span(134), "2 h 14 min");
        assert_eq!(span(1440), "1 day");
        assert_eq!(span(1440 + 4 * 60 + 30), "1 day 4 h");
        assert_eq!(span(2 * 1440), "2 days");
        assert_eq!(span(3 * 1440 + 300), "3 days");
        assert_eq!(countdown(134 * MIN + 30_000, 0), "due in 2 h 14 min");
        assert_eq!(countdown(0, 3 * 1440 * MIN), "overdue by 3 days");
    }

    #[test]
    fn instants_are_local_with_the_exact_time_on_hover() {
        // 2026-12-06T15:00:00Z is 09:00 in Chicago (CST, UTC-6).
        let ms = 1_796_569_200_000;
        let chicago = Zone::named("America/Chicago");
        assert_eq!(chicago.short(ms), "6 Dec 2026 09:00");
        assert_eq!(chicago.exact(ms), "Sun 6 Dec 2026, 09:00 CST");
        assert_eq!(
            chicago.at(ms).to_string(),
            r#"<time datetime="2026-12-06T15:00:00Z" title="Sun 6 Dec 2026, 09:00 CST">6 Dec 2026 09:00</time>"#
        );
        let due = chicago.due(ms, ms - 134 * MIN);
        assert!(!due.overdue());
        assert_eq!(
            due.to_string(),
            r#"<time class="due" datetime="2026-12-06T15:00:00Z" data-due="1796569200000" title="Sun 6 Dec 2026, 09:00 CST">due in 2 h 14 min</time>"#
        );
        assert!(
            chicago
                .due(ms, ms + MIN)
                .to_string()
                .contains("class=\"due overdue\"")
        );
        // An unknown stored name reads as UTC.
        assert_eq!(Zone::named("Mars/Olympus").name(), "UTC");
    }
}
