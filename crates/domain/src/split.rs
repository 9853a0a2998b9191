//! The responsibility split: per work category, who owns it in business
//! hours and after hours, who picks it up by default on each side, and
//! whether it is inside the contract's scope.

use crate::ids::UserId;
use crate::ticket::OwnerSide;
use serde::{Deserialize, Serialize};

/// The categories every new engagement starts with, with the usual
/// co-managed split: the in-house team keeps presence and everyday work,
/// the provider fills the specialist and after-hours gaps.
pub const DEFAULT_CATEGORIES: [(&str, &str, OwnerSide, OwnerSide, bool); 11] = [
    (
        "help-desk",
        "Help desk",
        OwnerSide::InHouse,
        OwnerSide::Provider,
        true,
    ),
    (
        "on-site",
        "On-site",
        OwnerSide::InHouse,
        OwnerSide::InHouse,
        true,
    ),
    (
        "network",
        "Network",
        OwnerSide::Shared,
        OwnerSide::Provider,
        true,
    ),
    (
        "security-operations",
        "Security operations",
        OwnerSide::Provider,
        OwnerSide::Provider,
        true,
    ),
    (
        "patching",
        "Patching",
        OwnerSide::Provider,
        OwnerSide::Provider,
        true,
    ),
    (
        "backup-monitoring",
        "Backup monitoring",
        OwnerSide::Provider,
        OwnerSide::Provider,
        true,
    ),
    (
        "m365-administration",
        "Microsoft 365 administration",
        OwnerSide::Shared,
        OwnerSide::Provider,
        true,
    ),
    (
        "vendor-escalation",
        "Vendor escalation",
        OwnerSide::Provider,
        OwnerSide::Provider,
        true,
    ),
    (
        "projects",
        "Projects",
        OwnerSide::Provider,
        OwnerSide::Provider,
        false,
    ),
    (
        "strategic-planning",
        "Strategic planning",
        OwnerSide::Provider,
        OwnerSide::Provider,
        true,
    ),
    (
        "compliance",
        "Compliance",
        OwnerSide::Provider,
        OwnerSide::Provider,
        false,
    ),
];

/// One line of the split.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SplitLine {
    /// Category key, e.g. `network`.
    pub category: String,
    /// Owner while the client's business hours run.
    pub business_hours: OwnerSide,
    /// Owner outside them.
    pub after_hours: OwnerSide,
    /// Who picks it up on the provider side.
    pub provider_assignee: Option<UserId>,
    /// Who picks it up in-house.
    pub in_house_assignee: Option<UserId>,
    /// Inside the contract's scope (excluded work is billed extra).
    pub in_scope: bool,
}

/// Where a new ticket goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Routing {
    /// The side that owns it.
    pub owner: OwnerSide,
    /// The default assignee on that side, if the split names one.
    pub assignee: Option<UserId>,
}

impl SplitLine {
    /// Route a new ticket of this category opened in or out of business hours.
    pub fn route(&self, in_business_hours: bool) -> Routing {
        let owner = if in_business_hours {
            self.business_hours
        } else {
            self.after_hours
        }
        .routed();
        let assignee = match owner {
            OwnerSide::Provider => self.provider_assignee,
            _ => self.in_house_assignee,
        };
        Routing { owner, assignee }
    }

    /// The default assignee of a side, for a hand-off.
    pub fn assignee_for(&self, side: OwnerSide) -> Option<UserId> {
        match side {
            OwnerSide::Provider => self.provider_assignee,
            _ => self.in_house_assignee,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_follows_the_clock_and_shared_starts_in_house() {
        let eng = UserId::new();
        let tech = UserId::new();
        let line = SplitLine {
            category: "network".into(),
            business_hours: OwnerSide::Shared,
            after_hours: OwnerSide::Provider,
            provider_assignee: Some(eng),
            in_house_assignee: Some(tech),
            in_scope: true,
        };
        assert_eq!(
            line.route(true),
            Routing {
                owner: OwnerSide::InHouse,
                assignee: Some(tech)
            }
        );
        assert_eq!(
            line.route(false),
            Routing {
                owner: OwnerSide::Provider,
                assignee: Some(eng)
            }
        );
        assert_eq!(line.assignee_for(OwnerSide::Provider), Some(eng));
    }

    #[test]
    fn the_default_split_has_eleven_distinct_categories() {
        let mut keys: Vec<_> = DEFAULT_CATEGORIES.iter().map(|c| c.0).collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 11);
    }
}
