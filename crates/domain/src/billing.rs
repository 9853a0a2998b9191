//! Agreements priced the way the market prices co-managed IT, and the
//! invoice a month of work adds up to.
//!
//! An agreement combines pricing components (a hybrid is a combination):
//! per user, per device, a fixed retainer, hourly rates, blocks of hours and
//! a rate for excluded work; per priority it names the service credit a
//! missed SLA target earns, with a monthly cap.
//!
//! **Which work costs what.** In-house time is never billed (it is counted,
//! so both sides' effort shows). Provider time is taken in order of date
//! and id, each entry rounded up to the agreement's increment and to its
//! minimum, and then, in this order:
//! 1. *included*: in-scope work when the agreement has a base (per user,
//!    per device or retainer) is covered by that base;
//! 2. *excluded work*: work in a category the split marks out of scope is
//!    billed at the excluded-work rate when the agreement sets one;
//! 3. *blocks*: otherwise the entry is drawn from the blocks of hours that
//!    are valid on its date, the one expiring first first (an entry may
//!    span blocks); when they run out and a top-up is set, a new block is
//!    bought and drawing goes on;
//! 4. *overage*: what is left is billed at the blocks' overage rate, or, if
//!    the agreement has no blocks, at the hourly rate (by work category,
//!    else by role, else the default);
//! 5. *unpriced*: work nothing prices shows on the invoice at zero.
//!
//! Money rates are multiplied for after-hours work; blocks are drawn in
//! real (rounded) minutes.
//!
//! **Proration.** Monthly charges (users x rate, devices x rate, the
//! retainer) run by calendar day: the month is cut into runs of days with
//! the same agreement status and counts, and each run gets its part of that
//! run's monthly amount by cumulative rounding ([`crate::money::prorate`]),
//! so a month cut into parts always adds up to the whole month. Days before
//! the agreement starts or after it ends bill nothing.
//!
//! Counts are taken per day of the client's calendar zone. A device counts
//! from the day it is acquired and no longer on the day it is retired. A
//! requester account counts the same way over each stretch in which it was
//! an active requester ([`requesters_by_day`]): from the day it was
//! created, activated or made a requester, and no longer on the day it was
//! deactivated or given another role (in effect: it counts on a day when it
//! is an active requester as that day ends).
//!
//! **Rounding** happens at named points only ([`Rounding`]): each line,
//! each proration, each credit and the tax.

use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::actor::Role;
use crate::device::DeviceClass;
use crate::money::{Currency, Minor, Rounding, prorate, round};
use crate::text::ValidationError;
use crate::ticket::Priority;

/// How users are counted for per-user pricing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "users")]
pub enum UserCounting {
    /// The client's active requester accounts, day by day.
    ActiveRequesters,
    /// A number written into the agreement.
    Fixed(u32),
}

/// A rate per active user per month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PerUser {
    /// Per user per month.
    pub rate: Minor,
    /// How users are counted.
    pub counting: UserCounting,
    /// Billed as at least this many users.
    #[serde(default)]
    pub minimum: u32,
}

/// A rate per device per month, by class; classes without a rate are not
/// billed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PerDevice {
    /// Per device of the class per month.
    pub rates: BTreeMap<DeviceClass, Minor>,
}

/// What an hourly rate applies to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "key")]
pub enum RateFor {
    /// Work of one category (its key).
    Category(String),
    /// Work by people of one role.
    Role(Role),
}

/// Time billed by the hour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Hourly {
    /// Per hour, where no specific rate applies.
    pub default_rate: Option<Minor>,
    /// Specific rates: a category's first, then a role's.
    #[serde(default)]
    pub rates: Vec<(RateFor, Minor)>,
}

/// How provider time is rounded before it is priced or drawn.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TimeRounding {
    /// Each entry is rounded up to a multiple of this (e.g. 15 minutes).
    pub increment_minutes: u32,
    /// And counts for at least this long.
    pub minimum_minutes: u32,
    /// Money rates for work outside the client's business hours are
    /// multiplied by this, in basis points (15000 = x1.5).
    pub after_hours_bps: u32,
}

impl Default for TimeRounding {
    fn default() -> Self {
        Self {
            increment_minutes: 1,
            minimum_minutes: 0,
            after_hours_bps: 10_000,
        }
    }
}

/// Hours bought in advance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Block {
    /// Its id (for the ledger).
    pub id: String,
    /// Bought on; drawable from that day.
    #[schema(value_type = String)]
    pub purchased_on: Date,
    /// Minutes bought.
    pub minutes: u32,
    /// What it cost.
    pub price: Minor,
    /// Last day it may be drawn from, unless it rolls over.
    #[schema(value_type = String)]
    pub expires_on: Date,
    /// Unused minutes stay drawable after the expiry date.
    pub rolls_over: bool,
    /// Bought automatically when the others ran out.
    #[serde(default)]
    pub top_up: bool,
}

impl Block {
    fn valid_on(&self, day: Date) -> bool {
        self.purchased_on <= day && (self.rolls_over || day <= self.expires_on)
    }
}

/// A block bought automatically when the others run out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TopUp {
    /// Minutes per top-up.
    pub minutes: u32,
    /// Price per top-up.
    pub price: Minor,
    /// Days it stays valid from the day it is bought.
    pub valid_days: u32,
}

/// Blocks of hours: the terms (the blocks themselves are a ledger, see
/// [`BlockBalance`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlockTerms {
    /// Per hour once the blocks are used up (and no top-up is set).
    pub overage_rate: Minor,
    /// Warn both sides when a block's balance falls below this.
    pub low_balance_minutes: u32,
    /// Buy another block automatically when they run out.
    pub top_up: Option<TopUp>,
}

/// A service credit for one missed target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Credit {
    /// A fixed amount.
    Fixed(Minor),
    /// A share of the month's base charges, in basis points (500 = 5%).
    ShareOfBase(u32),
}

/// The pricing of an agreement; any combination.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pricing {
    /// Per user per month.
    pub per_user: Option<PerUser>,
    /// Per device per month.
    pub per_device: Option<PerDevice>,
    /// A fixed monthly retainer.
    pub retainer: Option<Minor>,
    /// Hourly rates.
    pub hourly: Option<Hourly>,
    /// Blocks of hours.
    pub blocks: Option<BlockTerms>,
    /// Per hour of work in categories the split marks out of scope.
    pub excluded_rate: Option<Minor>,
    /// How time is rounded.
    #[serde(default)]
    pub rounding: TimeRounding,
}

impl Pricing {
    /// Whether a base covers in-scope work.
    pub fn has_base(&self) -> bool {
        self.per_user.is_some() || self.per_device.is_some() || self.retainer.is_some()
    }
}

/// An agreement's terms.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Terms {
    /// Its currency.
    pub currency: Currency,
    /// First day.
    #[schema(value_type = String)]
    pub starts_on: Date,
    /// Last day, if it has one.
    #[schema(value_type = Option<String>)]
    pub ends_on: Option<Date>,
    /// Day of the month the invoice is made (1-28).
    pub invoice_day: u8,
    /// Days to pay.
    pub payment_days: u16,
    /// Tax, in basis points (2000 = 20%).
    pub tax_bps: Option<u32>,
    /// The pricing.
    pub pricing: Pricing,
    /// Per priority, the credit a missed target earns.
    pub credits: BTreeMap<Priority, Credit>,
    /// At most this much credit a month.
    pub credit_cap: Option<Credit>,
    /// What is included, in words, beside the split's in-scope categories.
    #[serde(default)]
    pub inclusions: Vec<String>,
    /// What is excluded, in words, beside the split's excluded categories.
    #[serde(default)]
    pub exclusions: Vec<String>,
}

fn invalid(field: &'static str, msg: impl Into<String>) -> ValidationError {
    ValidationError::new(field, msg)
}

impl Terms {
    /// Whether the agreement runs on any day of the month that starts on
    /// `first`.
    pub fn runs_in(&self, first: Date) -> bool {
        self.starts_on <= first.last_of_month() && self.ends_on.is_none_or(|e| e >= first)
    }

    /// The checks a draft must pass to be saved at all.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if let Some(end) = self.ends_on
            && end < self.starts_on
        {
            return Err(invalid("ends_on", "the end is before the start"));
        }
        if !(1..=28).contains(&self.invoice_day) {
            return Err(invalid(
                "invoice_day",
                "pick a day from 1 to 28, so every month has it",
            ));
        }
        if self.tax_bps.is_some_and(|t| t > 10_000) {
            return Err(invalid("tax_bps", "tax is at most 100% (10000)"));
        }
        let p = &self.pricing;
        let money = [
            ("per_user.rate", p.per_user.as_ref().map(|u| u.rate)),
            ("retainer", p.retainer),
            ("excluded_rate", p.excluded_rate),
            (
                "blocks.overage_rate",
                p.blocks.as_ref().map(|b| b.overage_rate),
            ),
            (
                "hourly.default_rate",
                p.hourly.as_ref().and_then(|h| h.default_rate),
            ),
        ];
        for (field, amount) in money {
            if amount.is_some_and(|a| a < 0) {
                return Err(invalid(field, "amounts are not negative"));
            }
        }
        if let Some(d) = &p.per_device
            && d.rates.values().any(|r| *r < 0)
        {
            return Err(invalid("per_device.rates", "amounts are not negative"));
        }
        if let Some(h) = &p.hourly
            && h.rates.iter().any(|(_, r)| *r < 0)
        {
            return Err(invalid("hourly.rates", "amounts are not negative"));
        }
        if p.rounding.increment_minutes == 0 || p.rounding.increment_minutes > 240 {
            return Err(invalid(
                "rounding.increment_minutes",
                "round to between 1 and 240 minutes",
            ));
        }
        if p.rounding.after_hours_bps < 10_000 || p.rounding.after_hours_bps > 50_000 {
            return Err(invalid(
                "rounding.after_hours_bps",
                "the after-hours multiplier is between x1 (10000) and x5 (50000)",
            ));
        }
        if let Some(t) = p.blocks.as_ref().and_then(|b| b.top_up.as_ref())
            && (t.minutes == 0 || t.valid_days == 0 || t.price < 0)
        {
            return Err(invalid(
                "blocks.top_up",
                "a top-up buys some minutes, for some days, at a price",
            ));
        }
        for c in self.credits.values().chain(self.credit_cap.iter()) {
            match c {
                Credit::Fixed(a) if *a < 0 => {
                    return Err(invalid("credits", "credits are not negative"));
                }
                Credit::ShareOfBase(b) if *b > 10_000 => {
                    return Err(invalid("credits", "a share is at most 100% (10000)"));
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// What stops this agreement from being activated, in words; empty
    /// when nothing does. `targets` are the client's SLA targets per
    /// priority (first response and resolution, in minutes): "best effort"
    /// is not an SLA, so each priority needs both numbers and a consequence
    /// for a miss.
    pub fn activation_problems(
        &self,
        targets: &BTreeMap<Priority, (Option<i64>, Option<i64>)>,
    ) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = self.validate() {
            problems.push(e.to_string());
        }
        let p = &self.pricing;
        if !p.has_base() && p.hourly.is_none() && p.blocks.is_none() && p.excluded_rate.is_none() {
            problems.push("no pricing: add at least one component".into());
        }
        for prio in Priority::ALL {
            let name = prio.as_str().to_uppercase();
            let (response, resolution) = targets.get(prio).copied().unwrap_or((None, None));
            if response.is_none_or(|m| m <= 0) {
                problems.push(format!("{name} has no first-response target in minutes"));
            }
            if resolution.is_none_or(|m| m <= 0) {
                problems.push(format!("{name} has no resolution target in minutes"));
            }
            if !self.credits.contains_key(prio) {
                problems.push(format!("{name} has no consequence for a missed target"));
            }
        }
        problems
    }
}

/// A block and what is left of it when the month starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockBalance {
    /// The block.
    pub block: Block,
    /// Minutes left.
    pub remaining: u32,
}

/// Who did the work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkSide {
    /// The client's own IT team: counted, never billed.
    InHouse,
    /// The provider.
    Provider,
}

/// A time entry, as the billing run needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Work {
    /// Its id.
    pub id: String,
    /// The local day it was worked.
    pub on: Date,
    /// Minutes logged.
    pub minutes: u32,
    /// Its category key.
    pub category: String,
    /// Its category's name (for lines).
    pub category_name: String,
    /// Whether the split has the category in scope.
    pub in_scope: bool,
    /// Worked outside the client's business hours.
    pub after_hours: bool,
    /// Whose.
    pub side: WorkSide,
    /// The role of who did it.
    pub role: Role,
}

/// How a part of an entry is paid for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paid {
    /// Counted, never billed.
    InHouse,
    /// Covered by the base.
    Included,
    /// Drawn from a block.
    Block {
        /// Which.
        block_id: String,
    },
    /// Billed at a rate per hour (multiplier already applied).
    Billed {
        /// What kind of billing.
        kind: LineKind,
        /// Per hour.
        per_hour: Minor,
    },
    /// No rate of the agreement prices it.
    Unpriced,
}

/// One part of an entry: how many minutes, paid how.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Portion {
    /// Minutes.
    pub minutes: u32,
    /// Paid how.
    pub paid: Paid,
}

/// What became of one time entry, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// The entry.
    pub work_id: String,
    /// Its minutes after rounding.
    pub counted_minutes: u32,
    /// How they are paid.
    pub portions: Vec<Portion>,
    /// Why, in words.
    pub why: String,
}

/// What kind of line.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Users x rate.
    Users,
    /// Devices of a class x rate.
    Devices,
    /// The retainer.
    Retainer,
    /// A block bought.
    BlockPurchase,
    /// Time drawn from a block (no price).
    BlockDraw,
    /// Time billed by the hour.
    Hourly,
    /// Time past the blocks.
    Overage,
    /// Out-of-scope work.
    ExcludedWork,
    /// Work nothing prices (no price).
    Unpriced,
    /// SLA credits (negative).
    SlaCredit,
    /// Credits past the monthly cap given back.
    CreditCap,
    /// A line the provider's admin added to a draft by hand, with a reason
    /// (a one-off charge, a goodwill credit); the run never makes one.
    Manual,
    /// Tax.
    Tax,
}

impl LineKind {
    /// A base charge (credits that are shares of the base count these).
    fn is_base(self) -> bool {
        matches!(
            self,
            LineKind::Users | LineKind::Devices | LineKind::Retainer
        )
    }
}

/// One line of an invoice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Line {
    /// What kind.
    pub kind: LineKind,
    /// In words.
    pub description: String,
    /// How many (users, devices, hours, breaches, months).
    #[schema(value_type = String)]
    pub quantity: Decimal,
    /// Per unit.
    pub unit_price: Minor,
    /// The line's amount.
    pub amount: Minor,
    /// The time entries behind it.
    #[serde(default)]
    pub work_ids: Vec<String>,
}

/// A month of an agreement, as the billing run gathers it.
#[derive(Clone, Debug)]
pub struct Month {
    /// The month's first day.
    pub first: Date,
    /// Active requester accounts from a day on: `(day, count)`, sorted;
    /// the count before the first entry is 0.
    pub users: Vec<(Date, u32)>,
    /// Active devices of a class from a day on, as for users.
    pub devices: BTreeMap<DeviceClass, Vec<(Date, u32)>>,
    /// The time entries of the month.
    pub work: Vec<Work>,
    /// Blocks and their balances when the month starts (including blocks
    /// bought during the month, at their full size).
    pub blocks: Vec<BlockBalance>,
    /// Missed SLA targets of the month: priority and day.
    pub breaches: Vec<(Priority, Date)>,
}

/// What a month of an agreement comes to.
#[derive(Clone, Debug)]
pub struct Invoice {
    /// The lines, tax last.
    pub lines: Vec<Line>,
    /// The sum of the lines.
    pub total: Minor,
    /// What became of each time entry.
    pub coverage: Vec<Coverage>,
    /// Blocks and what is left of them at the month's end (top-ups
    /// included).
    pub blocks: Vec<BlockBalance>,
    /// Things both sides should know (a block running low).
    pub warnings: Vec<String>,
}

fn month_days(first: Date) -> u32 {
    u32::try_from(first.days_in_month()).unwrap_or(30)
}

fn hours(minutes: u32) -> Decimal {
    Decimal::from(minutes) / Decimal::from(60)
}

/// Active requester accounts day by day over the month of `first`, as
/// [`Month::users`] takes them, from the stretches in which accounts were
/// active requesters: `(from, until)`, the days (in the client's calendar
/// zone) the stretch began and ended, `None` while it lasts. A stretch
/// counts from the day it began and no longer on the day it ended, the rule
/// a device follows from its acquisition to its retirement
/// ([`crate::device::active_on`]): in effect an account counts on a day
/// when it is an active requester as the day ends. So an account added on
/// the 16th counts from the 16th, one deactivated or made a technician on
/// the 11th counts up to the 10th, and a stretch that begins and ends on
/// one day counts on none. One account's stretches never overlap in time,
/// so never on a day either: nobody is counted twice.
pub fn requesters_by_day(first: Date, stretches: &[(Date, Option<Date>)]) -> Vec<(Date, u32)> {
    let mut out: Vec<(Date, u32)> = Vec::new();
    for d in 1..=month_days(first) {
        let Ok(day) = first.with().day(i8::try_from(d).unwrap_or(1)).build() else {
            continue;
        };
        let n = stretches
            .iter()
            .filter(|(from, until)| crate::device::active_on(Some(*from), *until, day))
            .count();
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        if out.last().is_none_or(|(_, last)| *last != n) {
            out.push((day, n));
        }
    }
    out
}

/// The count in effect on `day` of a `(from, count)` series.
fn count_on(series: &[(Date, u32)], day: Date) -> u32 {
    series
        .iter()
        .take_while(|(from, _)| *from <= day)
        .last()
        .map_or(0, |(_, n)| *n)
}

/// Runs of days `first..=last` (1-based) in the month on which the
/// agreement is active and `quantity(day)` is the same.
fn runs(terms: &Terms, month: &Month, quantity: impl Fn(Date) -> u32) -> Vec<(u32, u32, u32)> {
    let days = month_days(month.first);
    let mut out: Vec<(u32, u32, u32)> = Vec::new();
    for d in 1..=days {
        let Ok(day) = month.first.with().day(i8::try_from(d).unwrap_or(1)).build() else {
            continue;
        };
        let active = terms.starts_on <= day && terms.ends_on.is_none_or(|e| day <= e);
        if !active {
            continue;
        }
        let q = quantity(day);
        match out.last_mut() {
            Some((_, last, n)) if *last + 1 == d && *n == q => *last = d,
            _ => out.push((d, d, q)),
        }
    }
    out
}

fn span_words(first: u32, last: u32, days: u32) -> String {
    if first == 1 && last == days {
        String::new()
    } else if first == last {
        format!(", day {first} ({} of {days} days)", 1)
    } else {
        format!(
            ", days {first}-{last} ({} of {days} days)",
            last - first + 1
        )
    }
}

/// "40 workstations", "1 server".
fn device_words(class: DeviceClass, n: u32) -> &'static str {
    match (class, n == 1) {
        (DeviceClass::Workstation, true) => "workstation",
        (DeviceClass::Workstation, false) => "workstations",
        (DeviceClass::Server, true) => "server",
        (DeviceClass::Server, false) => "servers",
        (DeviceClass::NetworkDevice, true) => "network device",
        (DeviceClass::NetworkDevice, false) => "network devices",
        (DeviceClass::Other, true) => "other device",
        (DeviceClass::Other, false) => "other devices",
    }
}

/// The monthly charges: users, devices, retainer.
fn base_lines(terms: &Terms, month: &Month) -> Vec<Line> {
    let days = month_days(month.first);
    let mut lines = Vec::new();
    let cur = &terms.currency;
    if let Some(u) = &terms.pricing.per_user {
        let users = |day: Date| match u.counting {
            UserCounting::Fixed(n) => n.max(u.minimum),
            UserCounting::ActiveRequesters => count_on(&month.users, day).max(u.minimum),
        };
        for (first, last, n) in runs(terms, month, users) {
            let monthly = u.rate * Minor::from(n);
            lines.push(Line {
                kind: LineKind::Users,
                description: format!(
                    "{n} users x {}{}",
                    cur.format(u.rate),
                    span_words(first, last, days)
                ),
                quantity: Decimal::from(n),
                unit_price: u.rate,
                amount: prorate(monthly, first, last, days),
                work_ids: Vec::new(),
            });
        }
    }
    if let Some(d) = &terms.pricing.per_device {
        for (class, rate) in &d.rates {
            let series = month.devices.get(class).cloned().unwrap_or_default();
            for (first, last, n) in runs(terms, month, |day| count_on(&series, day)) {
                if n == 0 {
                    continue;
                }
                lines.push(Line {
                    kind: LineKind::Devices,
                    description: format!(
                        "{n} {} x {}{}",
                        device_words(*class, n),
                        cur.format(*rate),
                        span_words(first, last, days)
                    ),
                    quantity: Decimal::from(n),
                    unit_price: *rate,
                    amount: prorate(rate * Minor::from(n), first, last, days),
                    work_ids: Vec::new(),
                });
            }
        }
    }
    if let Some(r) = terms.pricing.retainer {
        for (first, last, _) in runs(terms, month, |_| 1) {
            let amount = prorate(r, first, last, days);
            lines.push(Line {
                kind: LineKind::Retainer,
                description: format!("Retainer{}", span_words(first, last, days)),
                quantity: Decimal::from(last - first + 1) / Decimal::from(days),
                unit_price: r,
                amount,
                work_ids: Vec::new(),
            });
        }
    }
    lines
}

/// An entry's minutes after the agreement's rounding.
fn counted(minutes: u32, r: &TimeRounding) -> u32 {
    let inc = r.increment_minutes.max(1);
    minutes
        .div_ceil(inc)
        .saturating_mul(inc)
        .max(r.minimum_minutes)
}

/// The hourly rate for an entry: its category's, else its role's, else the
/// default.
fn hourly_rate(h: &Hourly, w: &Work) -> Option<Minor> {
    let by = |want: &RateFor| h.rates.iter().find(|(k, _)| k == want).map(|(_, r)| *r);
    by(&RateFor::Category(w.category.clone()))
        .or_else(|| by(&RateFor::Role(w.role)))
        .or(h.default_rate)
}

fn with_after_hours(per_hour: Minor, w: &Work, r: &TimeRounding) -> Minor {
    if w.after_hours {
        round(
            i128::from(per_hour) * i128::from(r.after_hours_bps),
            10_000,
            Rounding::Line,
        )
    } else {
        per_hour
    }
}

/// Draws `minutes` of `w` from the blocks valid on its day, oldest expiry
/// first, topping up when they run out and a top-up is set. Returns the
/// portions drawn and the minutes left over.
fn draw(
    minutes: u32,
    w: &Work,
    blocks: &mut Vec<BlockBalance>,
    terms: &BlockTerms,
    bought: &mut Vec<Block>,
) -> (Vec<Portion>, u32) {
    let mut left = minutes;
    let mut portions = Vec::new();
    loop {
        let mut order: Vec<usize> = (0..blocks.len())
            .filter(|i| blocks[*i].remaining > 0 && blocks[*i].block.valid_on(w.on))
            .collect();
        order.sort_by_key(|i| (blocks[*i].block.expires_on, blocks[*i].block.purchased_on));
        for i in order {
            if left == 0 {
                break;
            }
            let take = left.min(blocks[i].remaining);
            blocks[i].remaining -= take;
            left -= take;
            portions.push(Portion {
                minutes: take,
                paid: Paid::Block {
                    block_id: blocks[i].block.id.clone(),
                },
            });
        }
        match (&terms.top_up, left) {
            (Some(t), 1..) => {
                let block = Block {
                    id: format!("top-up-{}-{}", w.on, bought.len() + 1),
                    purchased_on: w.on,
                    minutes: t.minutes,
                    price: t.price,
                    expires_on: w
                        .on
                        .checked_add(jiff::Span::new().days(i64::from(t.valid_days) - 1))
                        .unwrap_or(w.on),
                    rolls_over: false,
                    top_up: true,
                };
                bought.push(block.clone());
                blocks.push(BlockBalance {
                    remaining: block.minutes,
                    block,
                });
            }
            _ => return (portions, left),
        }
    }
}

/// What becomes of each entry, in order of day and id.
fn cover(
    terms: &Terms,
    work: &[Work],
    blocks: &mut Vec<BlockBalance>,
    bought: &mut Vec<Block>,
) -> Vec<Coverage> {
    let p = &terms.pricing;
    let cur = &terms.currency;
    let mut order: Vec<&Work> = work.iter().collect();
    order.sort_by(|a, b| (a.on, &a.id).cmp(&(b.on, &b.id)));
    let mut out = Vec::with_capacity(order.len());
    for w in order {
        if w.side == WorkSide::InHouse {
            out.push(Coverage {
                work_id: w.id.clone(),
                counted_minutes: w.minutes,
                portions: vec![Portion {
                    minutes: w.minutes,
                    paid: Paid::InHouse,
                }],
                why: "In-house work: counted, never billed".into(),
            });
            continue;
        }
        let minutes = counted(w.minutes, &p.rounding);
        let after = if w.after_hours && p.rounding.after_hours_bps != 10_000 {
            format!(
                ", after hours x{}",
                Decimal::from(p.rounding.after_hours_bps) / Decimal::from(10_000)
            )
        } else {
            String::new()
        };
        let (portions, why) = if w.in_scope && p.has_base() {
            (
                vec![Portion {
                    minutes,
                    paid: Paid::Included,
                }],
                format!("{} is in scope: covered by the base", w.category_name),
            )
        } else if let (false, Some(rate)) = (w.in_scope, p.excluded_rate) {
            let per_hour = with_after_hours(rate, w, &p.rounding);
            (
                vec![Portion {
                    minutes,
                    paid: Paid::Billed {
                        kind: LineKind::ExcludedWork,
                        per_hour,
                    },
                }],
                format!(
                    "{} is out of scope: excluded work at {}/h{after}",
                    w.category_name,
                    cur.format(rate)
                ),
            )
        } else {
            let (mut portions, left) = match &p.blocks {
                Some(bt) => draw(minutes, w, blocks, bt, bought),
                None => (Vec::new(), minutes),
            };
            let mut why = if portions.is_empty() {
                String::new()
            } else {
                "drawn from blocks".to_owned()
            };
            if left > 0 {
                let (kind, rate) = match &p.blocks {
                    Some(bt) => (LineKind::Overage, Some(bt.overage_rate)),
                    None => (
                        LineKind::Hourly,
                        p.hourly.as_ref().and_then(|h| hourly_rate(h, w)),
                    ),
                };
                let text = match rate {
                    Some(rate) => {
                        portions.push(Portion {
                            minutes: left,
                            paid: Paid::Billed {
                                kind,
                                per_hour: with_after_hours(rate, w, &p.rounding),
                            },
                        });
                        if kind == LineKind::Overage {
                            format!("blocks used up: overage at {}/h{after}", cur.format(rate))
                        } else {
                            format!("billed at {}/h{after}", cur.format(rate))
                        }
                    }
                    None => {
                        portions.push(Portion {
                            minutes: left,
                            paid: Paid::Unpriced,
                        });
                        "no rate of the agreement prices it".to_owned()
                    }
                };
                why = if why.is_empty() {
                    text
                } else {
                    format!("{why}, then {text}")
                };
            }
            let scope = if w.in_scope {
                "in scope, no base"
            } else {
                "out of scope"
            };
            (portions, format!("{} ({scope}): {why}", w.category_name))
        };
        out.push(Coverage {
            work_id: w.id.clone(),
            counted_minutes: minutes,
            portions,
            why,
        });
    }
    out
}

/// Billed time is grouped by kind, category (key, name) and rate per hour.
type BilledKey = (LineKind, String, String, Minor);
/// Minutes, and the entries they come from.
type Tally = (u32, Vec<String>);

/// The lines for time: block draws (no price), billed hours by kind,
/// category and rate, unpriced work.
fn time_lines(
    terms: &Terms,
    work: &[Work],
    coverage: &[Coverage],
    blocks: &[BlockBalance],
) -> Vec<Line> {
    let cur = &terms.currency;
    let category: BTreeMap<&str, (&str, &str)> = work
        .iter()
        .map(|w| {
            (
                w.id.as_str(),
                (w.category.as_str(), w.category_name.as_str()),
            )
        })
        .collect();
    let mut billed: BTreeMap<BilledKey, Tally> = BTreeMap::new();
    let mut drawn: BTreeMap<String, Tally> = BTreeMap::new();
    let mut unpriced: Tally = (0, Vec::new());
    for c in coverage {
        let (key, name) = category
            .get(c.work_id.as_str())
            .copied()
            .unwrap_or(("", ""));
        for portion in &c.portions {
            let slot = match &portion.paid {
                Paid::InHouse | Paid::Included => continue,
                Paid::Block { block_id } => drawn.entry(block_id.clone()).or_default(),
                Paid::Billed { kind, per_hour } => billed
                    .entry((*kind, key.to_owned(), name.to_owned(), *per_hour))
                    .or_default(),
                Paid::Unpriced => &mut unpriced,
            };
            slot.0 += portion.minutes;
            if slot.1.last() != Some(&c.work_id) {
                slot.1.push(c.work_id.clone());
            }
        }
    }
    let mut lines = Vec::new();
    for (id, (minutes, ids)) in drawn {
        let Some(b) = blocks.iter().find(|b| b.block.id == id) else {
            continue;
        };
        lines.push(Line {
            kind: LineKind::BlockDraw,
            description: format!(
                "Drawn from the block of {} h bought {}: {} h left",
                hours(b.block.minutes),
                b.block.purchased_on,
                hours(b.remaining)
            ),
            quantity: hours(minutes),
            unit_price: 0,
            amount: 0,
            work_ids: ids,
        });
    }
    for ((kind, _, name, per_hour), (minutes, ids)) in billed {
        let what = match kind {
            LineKind::Overage => "Overage",
            LineKind::ExcludedWork => "Excluded work",
            _ => "Hourly work",
        };
        lines.push(Line {
            kind,
            description: format!("{what}: {name} at {}/h", cur.format(per_hour)),
            quantity: hours(minutes),
            unit_price: per_hour,
            amount: round(
                i128::from(per_hour) * i128::from(minutes),
                60,
                Rounding::Line,
            ),
            work_ids: ids,
        });
    }
    if unpriced.0 > 0 {
        lines.push(Line {
            kind: LineKind::Unpriced,
            description: "Work no rate of the agreement prices".into(),
            quantity: hours(unpriced.0),
            unit_price: 0,
            amount: 0,
            work_ids: unpriced.1,
        });
    }
    lines
}

/// Credits for the month's missed targets, capped.
fn credit_lines(terms: &Terms, month: &Month, base: Minor) -> Vec<Line> {
    let cur = &terms.currency;
    let worth = |c: &Credit| match c {
        Credit::Fixed(a) => *a,
        Credit::ShareOfBase(bps) => round(
            i128::from(base) * i128::from(*bps),
            10_000,
            Rounding::Credit,
        ),
    };
    let mut per_priority: BTreeMap<Priority, u32> = BTreeMap::new();
    for (p, _) in &month.breaches {
        *per_priority.entry(*p).or_default() += 1;
    }
    let mut lines = Vec::new();
    let mut total = 0;
    for (p, n) in per_priority {
        let Some(credit) = terms.credits.get(&p) else {
            continue;
        };
        let each = worth(credit);
        let amount = -(each * Minor::from(n));
        total += amount;
        lines.push(Line {
            kind: LineKind::SlaCredit,
            description: format!(
                "SLA credit: {n} missed {} target{} at {} each",
                p.as_str().to_uppercase(),
                if n == 1 { "" } else { "s" },
                cur.format(each)
            ),
            quantity: Decimal::from(n),
            unit_price: -each,
            amount,
            work_ids: Vec::new(),
        });
    }
    if let Some(cap) = &terms.credit_cap {
        let cap = worth(cap);
        if -total > cap {
            lines.push(Line {
                kind: LineKind::CreditCap,
                description: format!("Credits are capped at {} a month", cur.format(cap)),
                quantity: Decimal::ONE,
                unit_price: -total - cap,
                amount: -total - cap,
                work_ids: Vec::new(),
            });
        }
    }
    lines
}

/// The tax line on a subtotal: `bps` basis points of it, rounded once
/// ([`Rounding::Tax`]). The run makes it this way, and a draft's tax is
/// worked out again the same way whenever one of its lines changes (a
/// dispute's adjustment, an edit by hand).
pub fn tax_line(cur: &Currency, subtotal: Minor, bps: u32) -> Line {
    let tax = round(
        i128::from(subtotal) * i128::from(bps),
        10_000,
        Rounding::Tax,
    );
    Line {
        kind: LineKind::Tax,
        description: format!(
            "Tax {}% on {}",
            Decimal::from(bps) / Decimal::from(100),
            cur.format(subtotal)
        ),
        quantity: Decimal::ONE,
        unit_price: tax,
        amount: tax,
        work_ids: Vec::new(),
    }
}

/// A quantity set by hand on a line (hours, users, months): a decimal
/// number, at most a million either way, with at most six decimals.
pub fn parse_quantity(field: &'static str, raw: &str) -> Result<Decimal, ValidationError> {
    let q: Decimal = raw
        .trim()
        .parse()
        .map_err(|_| invalid(field, format!("{raw:?} is not a number (e.g. 1 or 5.5)")))?;
    if q.abs() > Decimal::from(1_000_000) || q.normalize().scale() > 6 {
        return Err(invalid(
            field,
            "a quantity is at most 1,000,000 either way, with at most six decimals",
        ));
    }
    Ok(q.normalize())
}

/// A line's amount from its quantity and unit price, rounded once
/// ([`Rounding::Line`]), for a line set by hand; `None` when it does not
/// fit in minor units.
pub fn line_amount(quantity: Decimal, unit_price: Minor) -> Option<Minor> {
    // The product as a decimal (exact to 28 digits: an engine's hours may
    // carry that many), then rounded once.
    let exact = quantity.checked_mul(Decimal::from(unit_price))?;
    let denominator = 10_i128.checked_pow(exact.scale())?;
    let whole = exact.mantissa() / denominator;
    // Within range before rounding moves it by at most one.
    if whole.unsigned_abs() >= u128::from(Minor::MAX.unsigned_abs()) {
        return None;
    }
    Some(round(exact.mantissa(), denominator, Rounding::Line))
}

/// A quantity as a stored line has it (whatever the engine wrote: hours
/// may carry many decimals), or `None` if it is not a number.
pub fn stored_quantity(raw: &str) -> Option<Decimal> {
    raw.trim().parse().ok()
}

/// A month of an agreement, as an invoice.
pub fn invoice(terms: &Terms, month: &Month) -> Invoice {
    let mut lines = base_lines(terms, month);
    let base: Minor = lines
        .iter()
        .filter(|l| l.kind.is_base())
        .map(|l| l.amount)
        .sum();

    let mut blocks = month.blocks.clone();
    let mut bought = Vec::new();
    let coverage = cover(terms, &month.work, &mut blocks, &mut bought);
    let days = month_days(month.first);
    let last_day = month
        .first
        .with()
        .day(i8::try_from(days).unwrap_or(28))
        .build()
        .unwrap_or(month.first);
    let cur = &terms.currency;
    for b in month
        .blocks
        .iter()
        .map(|b| &b.block)
        .filter(|b| month.first <= b.purchased_on && b.purchased_on <= last_day)
        .chain(bought.iter())
    {
        lines.push(Line {
            kind: LineKind::BlockPurchase,
            description: format!(
                "Block of {} h bought {}, valid to {}{}",
                hours(b.minutes),
                b.purchased_on,
                b.expires_on,
                if b.top_up { " (automatic top-up)" } else { "" }
            ),
            quantity: Decimal::ONE,
            unit_price: b.price,
            amount: b.price,
            work_ids: Vec::new(),
        });
    }
    lines.extend(time_lines(terms, &month.work, &coverage, &blocks));
    lines.extend(credit_lines(terms, month, base));

    let subtotal: Minor = lines.iter().map(|l| l.amount).sum();
    if let Some(bps) = terms.tax_bps {
        lines.push(tax_line(cur, subtotal, bps));
    }
    let warnings = match &terms.pricing.blocks {
        Some(bt) => blocks
            .iter()
            .filter(|b| b.block.valid_on(last_day) && b.remaining < bt.low_balance_minutes)
            .map(|b| {
                format!(
                    "The block bought {} has {} h left (warning below {} h)",
                    b.block.purchased_on,
                    hours(b.remaining),
                    hours(bt.low_balance_minutes)
                )
            })
            .collect(),
        None => Vec::new(),
    };
    Invoice {
        total: lines.iter().map(|l| l.amount).sum(),
        lines,
        coverage,
        blocks,
        warnings,
    }
}

#[cfg(test)]
mod tests;
