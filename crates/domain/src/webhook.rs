//! Outgoing webhooks as the desk reads them: which ticket events a
//! receiver may ask for, which addresses Tandem may post to, and how long
//! it waits before trying a failed delivery again.

use crate::actor::UnknownValue;
use crate::ticket::text_enum;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

text_enum!(
    /// A ticket event an endpoint may subscribe to.
    WebhookEvent {
        /// A ticket was opened.
        Opened = "opened",
        /// Its assignee changed.
        Assigned = "assigned",
        /// It was handed to the other side.
        HandedOff = "handed_off",
        /// An SLA clock passed its warning point.
        SlaWarning = "sla_warning",
        /// An SLA clock passed its target.
        SlaBreach = "sla_breach",
        /// It was resolved (or closed without being resolved first).
        Resolved = "resolved",
    }
);

/// The event a "send test event" delivery carries; no ticket is behind it
/// and no endpoint subscribes to it.
pub const TEST_EVENT: &str = "test";

/// Longest endpoint URL accepted.
pub const MAX_URL_CHARS: usize = 2000;

/// Attempts before a delivery is given up as failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// How long to wait after failed attempt number `attempt` (1-based) before
/// the next one, or `None` once the delivery has had its
/// [`MAX_ATTEMPTS`]: 30 s, 2 min, 10 min, 1 h, then every 6 h, so a
/// receiver down for a day still gets everything.
pub fn retry_delay_ms(attempt: i64) -> Option<i64> {
    const MINUTE: i64 = 60_000;
    if attempt >= MAX_ATTEMPTS {
        return None;
    }
    Some(match attempt {
        ..=1 => 30_000,
        2 => 2 * MINUTE,
        3 => 10 * MINUTE,
        4 => 60 * MINUTE,
        _ => 6 * 60 * MINUTE,
    })
}

/// Whether Tandem may post to `ip`. Link-local addresses (where cloud
/// metadata services answer), unspecified, multicast and broadcast ones
/// never; loopback and private ranges only when the operator allows them
/// (`allow_private`), since a webhook URL is otherwise a way to make the
/// server call into its own network.
pub fn address_allowed(ip: IpAddr, allow_private: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_allowed(v4, allow_private),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4_allowed(v4, allow_private),
            None => v6_allowed(v6, allow_private),
        },
    }
}

fn v4_allowed(ip: Ipv4Addr, allow_private: bool) -> bool {
    let [a, b, ..] = ip.octets();
    if ip.is_unspecified() || ip.is_link_local() || ip.is_multicast() || ip.is_broadcast() || a == 0
    {
        return false;
    }
    // 100.64.0.0/10: carrier-grade NAT, private in all but name.
    let private = ip.is_loopback() || ip.is_private() || (a == 100 && (64..128).contains(&b));
    allow_private || !private
}

fn v6_allowed(ip: Ipv6Addr, allow_private: bool) -> bool {
    let first = ip.segments()[0];
    let link_local = first & 0xffc0 == 0xfe80;
    if ip.is_unspecified() || link_local || ip.is_multicast() {
        return false;
    }
    // fc00::/7: unique local addresses, the IPv6 private ranges.
    let private = ip.is_loopback() || first & 0xfe00 == 0xfc00;
    allow_private || !private
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str, allow_private: bool) -> bool {
        address_allowed(s.parse().expect("an address"), allow_private)
    }

    #[test]
    fn link_local_and_unspecified_addresses_are_refused_even_when_private_ones_are_allowed() {
        for a in [
            "169.254.169.254",
            "0.0.0.0",
            "::",
            "fe80::1",
            "febf::1",
            "::ffff:169.254.169.254",
            "224.0.0.1",
            "255.255.255.255",
        ] {
            assert!(!ok(a, true), "{a}");
            assert!(!ok(a, false), "{a}");
        }
    }

    #[test]
    fn loopback_and_private_ranges_need_the_operators_consent() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!ok(a, false), "{a}");
            assert!(ok(a, true), "{a}");
        }
        for a in ["93.184.216.34", "2606:2800:220:1::1", "172.32.0.1"] {
            assert!(ok(a, false), "{a}");
        }
    }

    #[test]
    fn retries_back_off_and_stop_after_the_last_attempt() {
        let delays: Vec<Option<i64>> = (1..=MAX_ATTEMPTS).map(retry_delay_ms).collect();
        assert_eq!(delays[0], Some(30_000));
        assert_eq!(delays[1], Some(120_000));
        assert_eq!(delays[2], Some(600_000));
        assert_eq!(delays[3], Some(3_600_000));
        assert_eq!(delays[6], Some(21_600_000));
        assert_eq!(delays[7], None);
        assert!(delays.windows(2).all(|w| match (w[0], w[1]) {
            (Some(a), Some(b)) => a <= b,
            _ => true,
        }));
    }

    #[test]
    fn events_read_back_from_their_names() {
        for e in WebhookEvent::ALL {
            assert_eq!(e.as_str().parse::<WebhookEvent>().ok(), Some(*e));
        }
        assert!(TEST_EVENT.parse::<WebhookEvent>().is_err());
    }
}
