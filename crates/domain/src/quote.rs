//! The proposal calculator: what provider proposals would cost a company
//! in a typical month, side by side, against doing the work in-house.
//!
//! A proposal is priced by the billing engine itself ([`crate::billing`]):
//! the company's profile becomes one [`Month`] (its users and devices
//! counted all month, one time entry per work category, after-hours work as
//! its own entry, all of it the provider's) and each end of the proposal's
//! ranges becomes one [`Pricing`]; [`invoice`] says what that month comes
//! to. A quote and a real invoice therefore never disagree.
//!
//! **Ranges.** Every amount of a proposal is an [`Amount`]: one figure, or a
//! `low`-`high` range as proposals are usually written ("$65-$90 per
//! user"). The low end of a proposal prices every component at its low
//! figure, the high end at its high figure; a single figure is both ends.
//!
//! **What the comparison shows**, per proposal and for each end:
//! - the month and the year (12 months);
//! - the month before project work: the same month without the work of
//!   categories marked as project work;
//! - the *exclusion exposure*: what the month bills for work in categories
//!   the proposal leaves out of scope (excluded-work, hourly and overage
//!   lines of those categories; project work is shown on its own, not
//!   here), and the hours of such work no rate of the proposal prices;
//! - the effective hourly rate: the month divided by all expected hours;
//! - beside them, the in-house baseline: salaries a year, a month and per
//!   expected hour.

use jiff::civil::{Date, date};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use crate::actor::Role;
use crate::billing::{
    Block, BlockBalance, BlockTerms, Hourly, Invoice, Line, LineKind, Month, Paid, PerDevice,
    PerUser, Pricing, Terms, TimeRounding, UserCounting, Work, WorkSide, invoice,
};
use crate::device::DeviceClass;
use crate::money::{Currency, Minor, Rounding, round};
use crate::text::ValidationError;

/// At most this many proposals in one comparison.
pub const MAX_PROPOSALS: usize = 10;
/// At most this many work categories in a profile.
pub const MAX_CATEGORIES: usize = 50;
/// At most this many hours a month in one category.
pub const MAX_HOURS: u32 = 10_000;
/// At most this many users or devices of a class.
pub const MAX_COUNT: u32 = 1_000_000;
/// No amount of a proposal is above this (10,000,000.00 in a two-decimal
/// currency), so that no product of counts and rates can overflow.
pub const MAX_AMOUNT: Minor = 1_000_000_000;

/// A figure or a range of figures, in minor units: `6500` or
/// `{"low": 6500, "high": 9000}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Amount {
    /// From `low` to `high`.
    Range {
        /// The low end.
        low: Minor,
        /// The high end.
        high: Minor,
    },
    /// One figure for both ends.
    One(Minor),
}

impl Amount {
    /// The figure at one end.
    pub fn at(self, end: End) -> Minor {
        match (self, end) {
            (Amount::One(a), _) => a,
            (Amount::Range { low, .. }, End::Low) => low,
            (Amount::Range { high, .. }, End::High) => high,
        }
    }

    fn check(self, field: &'static str, whose: &str) -> Result<(), ValidationError> {
        let (low, high) = (self.at(End::Low), self.at(End::High));
        if low < 0 {
            return Err(ValidationError::new(
                field,
                format!("{whose}amounts are not negative"),
            ));
        }
        if high > MAX_AMOUNT {
            return Err(ValidationError::new(
                field,
                format!("{whose}an amount is at most {MAX_AMOUNT} minor units"),
            ));
        }
        if low > high {
            return Err(ValidationError::new(
                field,
                format!("{whose}the low end is above the high end"),
            ));
        }
        Ok(())
    }
}

/// One end of every range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Every component at its low figure.
    Low,
    /// Every component at its high figure.
    High,
}

/// A low and a high figure, as the comparison answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Span {
    /// The low end.
    pub low: Minor,
    /// The high end.
    pub high: Minor,
}

impl Span {
    fn map(self, f: impl Fn(Minor) -> Minor) -> Span {
        Span {
            low: f(self.low),
            high: f(self.high),
        }
    }
}

/// Hours as a JSON number (`7.5`) or a decimal string (`"7.5"`).
fn hours_de<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Int(u64),
        Float(f64),
        Text(String),
    }
    let text = match Raw::deserialize(d)? {
        Raw::Int(n) => return Ok(Decimal::from(n)),
        Raw::Float(f) => f.to_string(),
        Raw::Text(t) => t,
    };
    Decimal::from_str(text.trim())
        .map_err(|_| serde::de::Error::custom(format!("{text:?} is not a number of hours")))
}

/// One category of work the company expects in a month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Workload {
    /// The category's key, as the responsibility split names it
    /// (`help-desk`, `security-operations`, ...).
    pub key: String,
    /// Its name, as people read it.
    pub name: String,
    /// Hours of this work expected a month, all of them.
    #[serde(deserialize_with = "hours_de")]
    #[schema(value_type = f64)]
    pub hours: Decimal,
    /// Of those, the hours outside business hours (they may cost more).
    #[serde(default, deserialize_with = "hours_de")]
    #[schema(value_type = f64)]
    pub after_hours: Decimal,
    /// Project work: priced apart from the always-on work (the month is
    /// also shown without it).
    #[serde(default)]
    pub project: bool,
}

fn usd() -> String {
    "USD".into()
}

/// The company a proposal is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Profile {
    /// The currency every amount is in (ISO 4217), `USD` unless said.
    #[serde(default = "usd")]
    pub currency: String,
    /// People who use technology.
    pub users: u32,
    /// Desktops and laptops.
    #[serde(default)]
    pub workstations: u32,
    /// Physical and virtual servers.
    #[serde(default)]
    pub servers: u32,
    /// Switches, routers, firewalls, access points.
    #[serde(default)]
    pub network_devices: u32,
    /// The work expected a month, by category.
    pub work: Vec<Workload>,
}

/// Hours bought each month in advance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BlockOffer {
    /// Hours in the monthly block (unused hours lapse at the month's end).
    pub hours: u32,
    /// What the block costs.
    pub price: Amount,
    /// Per hour past the block; the hourly rate when not given.
    #[serde(default)]
    pub overage_rate: Option<Amount>,
}

fn times_one() -> u32 {
    10_000
}

/// One provider's proposal: its pricing components and its scope.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Proposal {
    /// Whose proposal, or what kind ("Hybrid", "Acme IT").
    pub name: String,
    /// Per user per month.
    #[serde(default)]
    pub per_user: Option<Amount>,
    /// Billed as at least this many users.
    #[serde(default)]
    pub minimum_users: u32,
    /// Per workstation per month.
    #[serde(default)]
    pub per_workstation: Option<Amount>,
    /// Per server per month.
    #[serde(default)]
    pub per_server: Option<Amount>,
    /// Per network device per month.
    #[serde(default)]
    pub per_network_device: Option<Amount>,
    /// A fixed monthly fee.
    #[serde(default)]
    pub retainer: Option<Amount>,
    /// Per hour, for work no base covers.
    #[serde(default)]
    pub hourly: Option<Amount>,
    /// A block of hours bought every month.
    #[serde(default)]
    pub blocks: Option<BlockOffer>,
    /// Per hour of work in categories out of scope.
    #[serde(default)]
    pub excluded_rate: Option<Amount>,
    /// Hourly rates are multiplied by this for after-hours work, in basis
    /// points (15000 = x1.5); x1 unless said.
    #[serde(default = "times_one")]
    pub after_hours_bps: u32,
    /// The keys of the categories the proposal covers; the others are
    /// out of scope.
    #[serde(default)]
    pub in_scope: Vec<String>,
}

impl Proposal {
    /// The proposal as the billing engine's pricing, at one end.
    pub fn pricing(&self, end: End) -> Pricing {
        let at = |a: &Option<Amount>| a.map(|a| a.at(end));
        let rates: BTreeMap<DeviceClass, Minor> = [
            (DeviceClass::Workstation, at(&self.per_workstation)),
            (DeviceClass::Server, at(&self.per_server)),
            (DeviceClass::NetworkDevice, at(&self.per_network_device)),
        ]
        .into_iter()
        .filter_map(|(c, r)| r.map(|r| (c, r)))
        .collect();
        Pricing {
            per_user: at(&self.per_user).map(|rate| PerUser {
                rate,
                counting: UserCounting::ActiveRequesters,
                minimum: self.minimum_users,
            }),
            per_device: (!rates.is_empty()).then_some(PerDevice { rates }),
            retainer: at(&self.retainer),
            hourly: at(&self.hourly).map(|r| Hourly {
                default_rate: Some(r),
                rates: Vec::new(),
            }),
            blocks: self.blocks.as_ref().map(|b| BlockTerms {
                overage_rate: at(&b.overage_rate.or(self.hourly)).unwrap_or(0),
                low_balance_minutes: 0,
                top_up: None,
            }),
            excluded_rate: at(&self.excluded_rate),
            rounding: TimeRounding {
                after_hours_bps: self.after_hours_bps,
                ..TimeRounding::default()
            },
        }
    }

    fn validate(&self, keys: &BTreeSet<&str>) -> Result<(), ValidationError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(ValidationError::new(
                "proposals.name",
                "name each proposal, in at most 100 characters",
            ));
        }
        let whose = format!("{name}: ");
        let amounts = [
            ("proposals.per_user", self.per_user),
            ("proposals.per_workstation", self.per_workstation),
            ("proposals.per_server", self.per_server),
            ("proposals.per_network_device", self.per_network_device),
            ("proposals.retainer", self.retainer),
            ("proposals.hourly", self.hourly),
            ("proposals.excluded_rate", self.excluded_rate),
            (
                "proposals.blocks.price",
                self.blocks.as_ref().map(|b| b.price),
            ),
            (
                "proposals.blocks.overage_rate",
                self.blocks.as_ref().and_then(|b| b.overage_rate),
            ),
        ];
        for (field, amount) in amounts {
            if let Some(a) = amount {
                a.check(field, &whose)?;
            }
        }
        if self.minimum_users > MAX_COUNT {
            return Err(ValidationError::new(
                "proposals.minimum_users",
                format!("{whose}at most {MAX_COUNT} users"),
            ));
        }
        if !(10_000..=50_000).contains(&self.after_hours_bps) {
            return Err(ValidationError::new(
                "proposals.after_hours_bps",
                format!("{whose}the after-hours multiplier is between x1 (10000) and x5 (50000)"),
            ));
        }
        if let Some(b) = &self.blocks {
            if b.hours == 0 || b.hours > MAX_HOURS {
                return Err(ValidationError::new(
                    "proposals.blocks.hours",
                    format!("{whose}a block has 1 to {MAX_HOURS} hours"),
                ));
            }
            if b.overage_rate.is_none() && self.hourly.is_none() {
                return Err(ValidationError::new(
                    "proposals.blocks.overage_rate",
                    format!("{whose}say what an hour past the block costs"),
                ));
            }
        }
        let priced = self.pricing(End::Low);
        if !priced.has_base()
            && priced.hourly.is_none()
            && priced.blocks.is_none()
            && priced.excluded_rate.is_none()
        {
            return Err(ValidationError::new(
                "proposals",
                format!("{whose}give at least one pricing component"),
            ));
        }
        if let Some(k) = self.in_scope.iter().find(|k| !keys.contains(k.as_str())) {
            return Err(ValidationError::new(
                "proposals.in_scope",
                format!("{whose}{k:?} is not a category of the profile"),
            ));
        }
        Ok(())
    }
}

/// What doing the work in-house would cost instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Baseline {
    /// Who would be hired.
    #[serde(default = "Baseline::default_what")]
    pub what: String,
    /// Their salaries a year, together.
    pub yearly: Amount,
}

impl Baseline {
    fn default_what() -> String {
        "Two senior engineers (security and systems)".into()
    }
}

impl Default for Baseline {
    /// Two senior hires, security and systems: $250,000-$350,000 a year
    /// together, before any tooling.
    fn default() -> Self {
        Self {
            what: Self::default_what(),
            yearly: Amount::Range {
                low: 25_000_000,
                high: 35_000_000,
            },
        }
    }
}

/// A comparison to make: the file `tandem quote` reads and the body of
/// `POST /api/v1/quote`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct QuoteRequest {
    /// The company.
    pub profile: Profile,
    /// The proposals, 1 to 10.
    pub proposals: Vec<Proposal>,
    /// The in-house alternative; two senior engineers unless said.
    #[serde(default)]
    pub baseline: Baseline,
}

impl QuoteRequest {
    /// Compare the proposals.
    pub fn compare(&self) -> Result<Comparison, ValidationError> {
        compare(&self.profile, &self.proposals, &self.baseline)
    }
}

/// One proposal, priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ProposalCost {
    /// The proposal's name.
    pub name: String,
    /// A typical month.
    pub monthly: Span,
    /// Twelve of them.
    pub annual: Span,
    /// The month without project work.
    pub before_projects: Span,
    /// What project work adds to the month.
    pub projects: Span,
    /// What the month bills for work outside the proposal's scope
    /// (project work aside).
    pub exposure: Span,
    /// Hours a month of out-of-scope work (project work aside) that no
    /// rate of the proposal prices: a cost the proposal does not name.
    #[schema(value_type = String)]
    pub exposure_unpriced_hours: Decimal,
    /// The names of the categories out of scope.
    pub out_of_scope: Vec<String>,
    /// The month per expected hour of work; none without hours.
    pub effective_hourly: Option<Span>,
    /// The month's invoice lines at the low end.
    pub lines_low: Vec<Line>,
    /// And at the high end.
    pub lines_high: Vec<Line>,
}

/// The in-house alternative, priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BaselineCost {
    /// Who would be hired.
    pub what: String,
    /// A month (a twelfth of the year, to the minor unit).
    pub monthly: Span,
    /// A year.
    pub annual: Span,
    /// The month per expected hour of work; none without hours.
    pub effective_hourly: Option<Span>,
}

/// Proposals side by side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Comparison {
    /// What every amount is in.
    pub currency: Currency,
    /// Expected hours of work a month, all categories.
    #[schema(value_type = String)]
    pub hours: Decimal,
    /// Of which project work.
    #[schema(value_type = String)]
    pub project_hours: Decimal,
    /// Each proposal, in the order given.
    pub proposals: Vec<ProposalCost>,
    /// The in-house alternative.
    pub baseline: BaselineCost,
}

/// The comparison as people read it: a column per proposal and one for the
/// in-house baseline, a row per figure, each figure `low - high` (one
/// figure when both ends agree). The command line and the page both show
/// this, so they never word a figure differently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// The proposals' names, then "In-house".
    pub columns: Vec<String>,
    /// A label and one cell per column.
    pub rows: Vec<(&'static str, Vec<String>)>,
    /// What each proposal leaves out of scope, and who the baseline hires.
    pub notes: Vec<String>,
}

impl Comparison {
    /// A low-high figure in words: `USD 6,500.00 - USD 9,000.00`.
    pub fn span_text(&self, s: Span) -> String {
        if s.low == s.high {
            self.currency.format(s.low)
        } else {
            format!(
                "{} - {}",
                self.currency.format(s.low),
                self.currency.format(s.high)
            )
        }
    }

    /// The comparison as a [`Table`].
    pub fn table(&self) -> Table {
        let none = || "-".to_owned();
        let b = &self.baseline;
        let row =
            |label: &'static str, each: &dyn Fn(&ProposalCost) -> String, baseline: String| {
                let mut cells: Vec<String> = self.proposals.iter().map(each).collect();
                cells.push(baseline);
                (label, cells)
            };
        let rate = |r: Option<Span>| r.map_or_else(none, |r| self.span_text(r));
        let mut columns: Vec<String> = self.proposals.iter().map(|p| p.name.clone()).collect();
        columns.push("In-house".into());
        let mut notes: Vec<String> = self
            .proposals
            .iter()
            .map(|p| {
                let out = if p.out_of_scope.is_empty() {
                    "nothing".to_owned()
                } else {
                    p.out_of_scope.join(", ")
                };
                format!("{}: out of scope: {out}.", p.name)
            })
            .collect();
        notes.push(format!("In-house: {}.", b.what));
        Table {
            columns,
            rows: vec![
                row(
                    "A month",
                    &|p| self.span_text(p.monthly),
                    self.span_text(b.monthly),
                ),
                row(
                    "Before project work",
                    &|p| self.span_text(p.before_projects),
                    self.span_text(b.monthly),
                ),
                row("Project work", &|p| self.span_text(p.projects), none()),
                row(
                    "A year",
                    &|p| self.span_text(p.annual),
                    self.span_text(b.annual),
                ),
                row(
                    "Exclusion exposure a month",
                    &|p| self.span_text(p.exposure),
                    none(),
                ),
                row(
                    "Out-of-scope hours no rate prices",
                    &|p| format!("{} h", p.exposure_unpriced_hours),
                    none(),
                ),
                row(
                    "Effective hourly rate",
                    &|p| rate(p.effective_hourly),
                    rate(b.effective_hourly),
                ),
            ],
            notes,
        }
    }
}

/// The month every quote is priced in; with constant counts its length
/// changes nothing (a whole month prorates to the monthly amount).
const TYPICAL: Date = date(2026, 1, 1);

fn minutes_of(hours: Decimal) -> u32 {
    (hours * Decimal::from(60)).round().to_u32().unwrap_or(0)
}

fn hours_of(minutes: u32) -> Decimal {
    (Decimal::from(minutes) / Decimal::from(60))
        .round_dp(2)
        .normalize()
}

impl Profile {
    fn validate(&self) -> Result<Currency, ValidationError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|e| ValidationError::new("profile.currency", e.message))?;
        for (field, n) in [
            ("profile.users", self.users),
            ("profile.workstations", self.workstations),
            ("profile.servers", self.servers),
            ("profile.network_devices", self.network_devices),
        ] {
            if n > MAX_COUNT {
                return Err(ValidationError::new(field, format!("at most {MAX_COUNT}")));
            }
        }
        if self.work.is_empty() || self.work.len() > MAX_CATEGORIES {
            return Err(ValidationError::new(
                "profile.work",
                format!("give 1 to {MAX_CATEGORIES} categories of work"),
            ));
        }
        let mut keys = BTreeSet::new();
        for w in &self.work {
            let key = w.key.trim();
            if key.is_empty() || key.len() > 64 || key.chars().any(char::is_control) {
                return Err(ValidationError::new(
                    "profile.work.key",
                    "a category's key is 1 to 64 characters",
                ));
            }
            if !keys.insert(key) {
                return Err(ValidationError::new(
                    "profile.work.key",
                    format!("{key:?} is given twice"),
                ));
            }
            let name = w.name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(ValidationError::new(
                    "profile.work.name",
                    format!("{key}: name it, in at most 100 characters"),
                ));
            }
            if w.hours < Decimal::ZERO || w.hours > Decimal::from(MAX_HOURS) {
                return Err(ValidationError::new(
                    "profile.work.hours",
                    format!("{name}: 0 to {MAX_HOURS} hours a month"),
                ));
            }
            if w.after_hours < Decimal::ZERO || w.after_hours > w.hours {
                return Err(ValidationError::new(
                    "profile.work.after_hours",
                    format!("{name}: the after-hours part is 0 to all of the hours"),
                ));
            }
        }
        Ok(currency)
    }

    fn minutes(&self) -> u32 {
        self.work.iter().map(|w| minutes_of(w.hours)).sum()
    }

    /// The profile's typical month as a proposal sees it: `include` picks
    /// the categories to bring.
    fn month(&self, proposal: &Proposal, end: End, include: impl Fn(&Workload) -> bool) -> Month {
        let mut work = Vec::new();
        for w in self.work.iter().filter(|w| include(w)) {
            let key = w.key.trim();
            let all = minutes_of(w.hours);
            let after = minutes_of(w.after_hours).min(all);
            for (id, minutes, after_hours) in [
                (key.to_owned(), all - after, false),
                (format!("{key} (after hours)"), after, true),
            ] {
                if minutes == 0 {
                    continue;
                }
                work.push(Work {
                    id,
                    on: TYPICAL,
                    minutes,
                    category: key.to_owned(),
                    category_name: w.name.trim().to_owned(),
                    in_scope: proposal.in_scope.iter().any(|k| k == key),
                    after_hours,
                    side: WorkSide::Provider,
                    role: Role::ProviderEngineer,
                });
            }
        }
        let last = TYPICAL.last_of_month();
        let blocks = proposal
            .blocks
            .iter()
            .map(|b| BlockBalance {
                block: Block {
                    id: "monthly".into(),
                    purchased_on: TYPICAL,
                    minutes: b.hours * 60,
                    price: b.price.at(end),
                    expires_on: last,
                    rolls_over: false,
                    top_up: false,
                },
                remaining: b.hours * 60,
            })
            .collect();
        let constant = |n: u32| vec![(TYPICAL, n)];
        Month {
            first: TYPICAL,
            users: constant(self.users),
            devices: [
                (DeviceClass::Workstation, constant(self.workstations)),
                (DeviceClass::Server, constant(self.servers)),
                (DeviceClass::NetworkDevice, constant(self.network_devices)),
            ]
            .into_iter()
            .collect(),
            work,
            blocks,
            breaches: Vec::new(),
        }
    }
}

fn terms(currency: &Currency, pricing: Pricing) -> Terms {
    Terms {
        currency: currency.clone(),
        starts_on: TYPICAL,
        ends_on: None,
        invoice_day: 1,
        payment_days: 30,
        tax_bps: None,
        pricing,
        credits: BTreeMap::new(),
        credit_cap: None,
        inclusions: Vec::new(),
        exclusions: Vec::new(),
    }
}

/// One end of a proposal: the whole month, the month without project work.
fn price(
    profile: &Profile,
    proposal: &Proposal,
    currency: &Currency,
    end: End,
) -> (Invoice, Invoice) {
    let t = terms(currency, proposal.pricing(end));
    let whole = profile.month(proposal, end, |_| true);
    let base = profile.month(proposal, end, |w| !w.project);
    (invoice(&t, &whole), invoice(&t, &base))
}

/// What an invoice bills for out-of-scope work that is not project work,
/// and the minutes of such work nothing prices.
fn exposure(inv: &Invoice, profile: &Profile, proposal: &Proposal) -> (Minor, u32) {
    let by_key: BTreeMap<&str, &Workload> =
        profile.work.iter().map(|w| (w.key.trim(), w)).collect();
    let exposed = |work_id: &str| {
        let key = work_id.strip_suffix(" (after hours)").unwrap_or(work_id);
        by_key
            .get(key)
            .is_some_and(|w| !w.project && !proposal.in_scope.iter().any(|k| k == key))
    };
    let money = inv
        .lines
        .iter()
        .filter(|l| {
            matches!(
                l.kind,
                LineKind::ExcludedWork | LineKind::Hourly | LineKind::Overage
            )
        })
        // Time lines are per category: their first entry says which.
        .filter(|l| l.work_ids.first().is_some_and(|id| exposed(id)))
        .map(|l| l.amount)
        .sum();
    let unpriced = inv
        .coverage
        .iter()
        .filter(|c| exposed(&c.work_id))
        .flat_map(|c| c.portions.iter())
        .filter(|p| p.paid == Paid::Unpriced)
        .map(|p| p.minutes)
        .sum();
    (money, unpriced)
}

fn per_hour(monthly: Span, minutes: u32) -> Option<Span> {
    (minutes > 0)
        .then(|| monthly.map(|m| round(i128::from(m) * 60, i128::from(minutes), Rounding::Line)))
}

/// Price each proposal for a typical month of `profile`, beside the
/// in-house `baseline`. Refuses absurd input (more than
/// [`MAX_PROPOSALS`] proposals or [`MAX_CATEGORIES`] categories, negative
/// or inverted amounts, scope keys the profile does not have).
pub fn compare(
    profile: &Profile,
    proposals: &[Proposal],
    baseline: &Baseline,
) -> Result<Comparison, ValidationError> {
    let currency = profile.validate()?;
    if proposals.is_empty() || proposals.len() > MAX_PROPOSALS {
        return Err(ValidationError::new(
            "proposals",
            format!("compare 1 to {MAX_PROPOSALS} proposals"),
        ));
    }
    let keys: BTreeSet<&str> = profile.work.iter().map(|w| w.key.trim()).collect();
    for p in proposals {
        p.validate(&keys)?;
    }
    baseline
        .yearly
        .check("baseline.yearly", "")
        .and_then(|()| {
            if baseline.yearly.at(End::High) > MAX_AMOUNT * 100 {
                Err(ValidationError::new("baseline.yearly", "that is too much"))
            } else {
                Ok(())
            }
        })?;
    let minutes = profile.minutes();
    let project_minutes: u32 = profile
        .work
        .iter()
        .filter(|w| w.project)
        .map(|w| minutes_of(w.hours))
        .sum();

    let mut out = Vec::with_capacity(proposals.len());
    for p in proposals {
        let (low, low_base) = price(profile, p, &currency, End::Low);
        let (high, high_base) = price(profile, p, &currency, End::High);
        let monthly = Span {
            low: low.total,
            high: high.total,
        };
        let before_projects = Span {
            low: low_base.total,
            high: high_base.total,
        };
        let (exposed_low, unpriced) = exposure(&low, profile, p);
        let (exposed_high, _) = exposure(&high, profile, p);
        out.push(ProposalCost {
            name: p.name.trim().to_owned(),
            monthly,
            annual: monthly.map(|m| m * 12),
            before_projects,
            projects: Span {
                low: monthly.low - before_projects.low,
                high: monthly.high - before_projects.high,
            },
            exposure: Span {
                low: exposed_low,
                high: exposed_high,
            },
            exposure_unpriced_hours: hours_of(unpriced),
            out_of_scope: profile
                .work
                .iter()
                .filter(|w| !p.in_scope.iter().any(|k| k == w.key.trim()))
                .map(|w| w.name.trim().to_owned())
                .collect(),
            effective_hourly: per_hour(monthly, minutes),
            lines_low: low.lines,
            lines_high: high.lines,
        });
    }
    let annual = Span {
        low: baseline.yearly.at(End::Low),
        high: baseline.yearly.at(End::High),
    };
    // A twelfth of a year: the same rule as a day's part of a month.
    let monthly = annual.map(|y| round(i128::from(y), 12, Rounding::Proration));
    Ok(Comparison {
        currency,
        hours: hours_of(minutes),
        project_hours: hours_of(project_minutes),
        proposals: out,
        baseline: BaselineCost {
            what: baseline.what.trim().to_owned(),
            monthly,
            annual,
            effective_hourly: per_hour(monthly, minutes),
        },
    })
}

/// The comparison every new quote starts from: a company of 100 users
/// with the usual co-managed work, and three proposals of the kinds the
/// market offers (a hybrid of $65-$90 per user with hourly projects, per
/// device, a retainer with exclusions). `docs/quote-example.json` is this
/// case as a file.
pub fn seed() -> QuoteRequest {
    let work = |key: &str, name: &str, hours: u32, after: u32| Workload {
        key: key.into(),
        name: name.into(),
        hours: Decimal::from(hours),
        after_hours: Decimal::from(after),
        project: false,
    };
    let keys = |ks: &[&str]| ks.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>();
    let everything_but_projects = keys(&[
        "help-desk",
        "network",
        "security-operations",
        "patching",
        "backup-monitoring",
        "m365-administration",
        "vendor-escalation",
        "strategic-planning",
        "compliance",
    ]);
    let none = Proposal {
        name: String::new(),
        per_user: None,
        minimum_users: 0,
        per_workstation: None,
        per_server: None,
        per_network_device: None,
        retainer: None,
        hourly: None,
        blocks: None,
        excluded_rate: None,
        after_hours_bps: 10_000,
        in_scope: Vec::new(),
    };
    let range = |low, high| Some(Amount::Range { low, high });
    QuoteRequest {
        profile: Profile {
            currency: usd(),
            users: 100,
            workstations: 110,
            servers: 6,
            network_devices: 14,
            work: vec![
                work("help-desk", "Help desk", 30, 6),
                work("network", "Network", 10, 2),
                work("security-operations", "Security operations", 16, 8),
                work("patching", "Patching", 8, 4),
                work("backup-monitoring", "Backup monitoring", 4, 1),
                work("m365-administration", "Microsoft 365 administration", 6, 0),
                work("vendor-escalation", "Vendor escalation", 2, 0),
                work("strategic-planning", "Strategic planning", 2, 0),
                work("compliance", "Compliance", 2, 0),
                Workload {
                    project: true,
                    ..work("projects", "Projects", 20, 0)
                },
            ],
        },
        proposals: vec![
            Proposal {
                name: "Hybrid".into(),
                per_user: range(6_500, 9_000),
                hourly: range(15_000, 20_000),
                in_scope: everything_but_projects.clone(),
                ..none.clone()
            },
            Proposal {
                name: "Per device".into(),
                per_workstation: range(3_000, 7_500),
                per_server: Some(Amount::One(30_000)),
                per_network_device: Some(Amount::One(5_000)),
                hourly: range(17_500, 22_500),
                in_scope: everything_but_projects
                    .iter()
                    .filter(|k| *k != "compliance")
                    .cloned()
                    .collect(),
                ..none.clone()
            },
            Proposal {
                name: "Retainer".into(),
                retainer: range(500_000, 600_000),
                excluded_rate: range(22_500, 25_000),
                after_hours_bps: 15_000,
                in_scope: keys(&[
                    "help-desk",
                    "network",
                    "patching",
                    "backup-monitoring",
                    "m365-administration",
                    "vendor-escalation",
                ]),
                ..none
            },
        ],
        baseline: Baseline::default(),
    }
}

/// An amount as typed into a form, in major units (`65`, `65.5`,
/// `1,250.00`), as minor units of `currency`.
pub fn parse_major(
    field: &'static str,
    raw: &str,
    currency: &Currency,
) -> Result<Minor, ValidationError> {
    let text: String = raw.trim().chars().filter(|c| *c != ',').collect();
    let refuse = || {
        ValidationError::new(
            field,
            format!("{:?} is not an amount (write e.g. 65 or 65.50)", raw.trim()),
        )
    };
    let d = Decimal::from_str(&text).map_err(|_| refuse())?;
    if d.scale() > u32::from(currency.decimals) {
        return Err(ValidationError::new(
            field,
            format!(
                "{:?} has more decimals than {} has",
                raw.trim(),
                currency.code
            ),
        ));
    }
    (d * Decimal::from(10i64.pow(u32::from(currency.decimals))))
        .to_i64()
        .ok_or_else(refuse)
}

/// Hours as typed into a form (`7.5`); empty is none.
pub fn parse_hours(field: &'static str, raw: &str) -> Result<Decimal, ValidationError> {
    match raw.trim() {
        "" => Ok(Decimal::ZERO),
        t => Decimal::from_str(t)
            .map_err(|_| ValidationError::new(field, format!("{t:?} is not a number of hours"))),
    }
}

/// An after-hours multiplier as typed (`1.5`), in basis points; empty is
/// x1.
pub fn parse_multiplier(field: &'static str, raw: &str) -> Result<u32, ValidationError> {
    match raw.trim() {
        "" => Ok(10_000),
        t => Decimal::from_str(t)
            .ok()
            .and_then(|m| (m * Decimal::from(10_000)).to_u32())
            .ok_or_else(|| ValidationError::new(field, "write the multiplier as e.g. 1.5")),
    }
}

/// A multiplier in basis points as a form shows it: `1.5`.
pub fn format_multiplier(bps: u32) -> String {
    (Decimal::from(bps) / Decimal::from(10_000))
        .normalize()
        .to_string()
}

/// Minor units as a form shows them back: `65.00`, no grouping, no code.
pub fn format_major(amount: Minor, currency: &Currency) -> String {
    let scale = Decimal::from(10i64.pow(u32::from(currency.decimals)));
    let d = Decimal::from(amount) / scale;
    format!("{:.*}", usize::from(currency.decimals), d)
}

#[cfg(test)]
mod tests;
