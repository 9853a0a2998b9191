//! Monitoring alerts as the desk reads them: what kind of source sends
//! them, how it proves who it is, and how an alert's severity becomes the
//! impact and urgency (and so the priority and SLA) of the ticket it opens.

use crate::actor::UnknownValue;
use crate::ticket::{Impact, Urgency, text_enum};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

text_enum!(
    /// What a source sends.
    SourceKind {
        /// Prometheus Alertmanager's webhook (payload version 4).
        Alertmanager = "alertmanager",
        /// Tandem's generic JSON event.
        Generic = "generic",
    }
);

text_enum!(
    /// How a source proves who it is.
    AuthMode {
        /// `Authorization: Bearer <key>`.
        Bearer = "bearer",
        /// An HMAC-SHA256 signature over the timestamp and the body.
        Hmac = "hmac",
    }
);

text_enum!(
    /// Whether an alert is still going on.
    AlertStatus {
        /// The condition holds.
        Firing = "firing",
        /// The condition has cleared.
        Resolved = "resolved",
    }
);

/// How far a signed request's timestamp may be from the server's clock.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// The impact and urgency of a ticket opened by an alert of `severity`
/// (case and surrounding space ignored):
///
/// | severity | impact | urgency | priority (default matrix) |
/// |---|---|---|---|
/// | `critical`, `crit`, `emergency`, `fatal`, `disaster`, `page`, `p1` | high | high | P1 |
/// | `error`, `err`, `major`, `high`, `p2` | medium | high | P2 |
/// | `warning`, `warn`, `minor`, `medium`, `average`, `p3` | medium | medium | P3 |
/// | anything else (`info`, `low`, `none`, absent) | low | low | P4 |
pub fn severity_impact_urgency(severity: &str) -> (Impact, Urgency) {
    match severity.trim().to_ascii_lowercase().as_str() {
        "critical" | "crit" | "emergency" | "fatal" | "disaster" | "page" | "p1" => {
            (Impact::High, Urgency::High)
        }
        "error" | "err" | "major" | "high" | "p2" => (Impact::Medium, Urgency::High),
        "warning" | "warn" | "minor" | "medium" | "average" | "p3" => {
            (Impact::Medium, Urgency::Medium)
        }
        _ => (Impact::Low, Urgency::Low),
    }
}

/// The impact a label value names (`high`, `medium`, `low`, any case), for
/// a source that maps a label to the impact.
pub fn impact_of_label(value: &str) -> Option<Impact> {
    value.trim().to_ascii_lowercase().parse().ok()
}

/// Whether a signed request's timestamp (Unix seconds) is close enough to
/// `now_secs` to be accepted.
pub fn timestamp_fresh(timestamp_secs: i64, now_secs: i64) -> bool {
    (now_secs - timestamp_secs).abs() <= MAX_CLOCK_SKEW_SECS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_impact_and_urgency() {
        assert_eq!(
            severity_impact_urgency(" Critical "),
            (Impact::High, Urgency::High)
        );
        assert_eq!(
            severity_impact_urgency("error"),
            (Impact::Medium, Urgency::High)
        );
        assert_eq!(
            severity_impact_urgency("warning"),
            (Impact::Medium, Urgency::Medium)
        );
        assert_eq!(severity_impact_urgency("info"), (Impact::Low, Urgency::Low));
        assert_eq!(severity_impact_urgency(""), (Impact::Low, Urgency::Low));
    }

    #[test]
    fn timestamps_more_than_five_minutes_off_are_stale() {
        assert!(timestamp_fresh(1_000, 1_300));
        assert!(timestamp_fresh(1_300, 1_000));
        assert!(!timestamp_fresh(1_000, 1_301));
        assert!(!timestamp_fresh(1_301, 1_000));
    }

    #[test]
    fn impact_labels_read_in_any_case() {
        assert_eq!(impact_of_label("HIGH"), Some(Impact::High));
        assert_eq!(impact_of_label("huge"), None);
    }
}
