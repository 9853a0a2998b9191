//! Tickets as the domain sees them: status, priority from impact and
//! urgency through the engagement's matrix, and which side owns them.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::actor::UnknownValue;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Stable text form, as stored and shown in the API.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownValue(s.to_owned())),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }
    };
}
pub(crate) use text_enum;

text_enum!(
    /// Where a ticket stands.
    TicketStatus {
        /// Just opened, nobody has looked.
        New = "new",
        /// Acknowledged.
        Open = "open",
        /// Someone is working on it.
        InProgress = "in_progress",
        /// Waiting for the requester.
        WaitingOnCustomer = "waiting_on_customer",
        /// Waiting for a vendor.
        WaitingOnVendor = "waiting_on_vendor",
        /// Parked deliberately.
        OnHold = "on_hold",
        /// Fixed; the requester may reopen.
        Resolved = "resolved",
        /// Done for good.
        Closed = "closed",
    }
);

impl TicketStatus {
    /// Resolved or closed: the resolution clock has stopped.
    pub fn is_done(self) -> bool {
        matches!(self, TicketStatus::Resolved | TicketStatus::Closed)
    }
}

text_enum!(
    /// How many people or how much of the business a problem touches.
    Impact {
        /// The whole organization or a site.
        High = "high",
        /// A team or department.
        Medium = "medium",
        /// One person.
        Low = "low",
    }
);

text_enum!(
    /// How soon it hurts.
    Urgency {
        /// Work has stopped.
        High = "high",
        /// Work is impaired.
        Medium = "medium",
        /// It can wait.
        Low = "low",
    }
);

text_enum!(
    /// Ticket priority, P1 the most urgent.
    Priority {
        /// Critical: e.g. a site down or a security incident.
        P1 = "p1",
        /// High.
        P2 = "p2",
        /// Normal.
        P3 = "p3",
        /// Low.
        P4 = "p4",
    }
);

text_enum!(
    /// Who owns a category or a ticket at a given moment.
    OwnerSide {
        /// The client's in-house IT team.
        InHouse = "in_house",
        /// The provider.
        Provider = "provider",
        /// Both teams; the ticket starts with the in-house team.
        Shared = "shared",
    }
);

impl OwnerSide {
    /// The side a new ticket is routed to: shared work starts in-house,
    /// because the in-house team knows the business and decides.
    pub fn routed(self) -> OwnerSide {
        match self {
            OwnerSide::Shared => OwnerSide::InHouse,
            other => other,
        }
    }

    /// The other side, for a hand-off.
    pub fn other(self) -> OwnerSide {
        match self {
            OwnerSide::Provider => OwnerSide::InHouse,
            _ => OwnerSide::Provider,
        }
    }
}

/// The impact x urgency grid that gives a priority. Each engagement keeps
/// its own; [`PriorityMatrix::default`] is the usual ITIL-style grid.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriorityMatrix {
    /// Rows by impact (high, medium, low), columns by urgency (high, medium, low).
    pub grid: [[Priority; 3]; 3],
}

impl Default for PriorityMatrix {
    fn default() -> Self {
        use Priority::*;
        Self {
            grid: [[P1, P2, P3], [P2, P3, P4], [P3, P4, P4]],
        }
    }
}

impl PriorityMatrix {
    /// The priority for an impact and an urgency.
    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        let row = match impact {
            Impact::High => 0,
            Impact::Medium => 1,
            Impact::Low => 2,
        };
        let col = match urgency {
            Urgency::High => 0,
            Urgency::Medium => 1,
            Urgency::Low => 2,
        };
        self.grid[row][col]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_matrix_gives_p1_only_for_high_impact_and_urgency() {
        let m = PriorityMatrix::default();
        assert_eq!(m.priority(Impact::High, Urgency::High), Priority::P1);
        assert_eq!(m.priority(Impact::Low, Urgency::Low), Priority::P4);
        assert_eq!(m.priority(Impact::Medium, Urgency::High), Priority::P2);
        let p1s = Impact::ALL
            .iter()
            .flat_map(|i| Urgency::ALL.iter().map(|u| m.priority(*i, *u)))
            .filter(|p| *p == Priority::P1)
            .count();
        assert_eq!(p1s, 1);
    }

    #[test]
    fn texts_round_trip_and_unknown_ones_are_refused() {
        for s in TicketStatus::ALL {
            assert_eq!(s.as_str().parse::<TicketStatus>().ok(), Some(*s));
        }
        assert!("pending".parse::<TicketStatus>().is_err());
        assert_eq!(OwnerSide::Shared.routed(), OwnerSide::InHouse);
        assert_eq!(OwnerSide::InHouse.other(), OwnerSide::Provider);
    }
}
