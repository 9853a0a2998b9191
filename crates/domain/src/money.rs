//! Money: whole minor units of one currency (cents for USD) in an `i64`.
//!
//! Amounts are worked out exactly in `i128` and rounded once, at a named
//! point ([`Rounding`]), half away from zero. A monthly amount spread over
//! the days of a month is prorated by *cumulative* rounding ([`prorate`]):
//! the part for days `a..=b` is `F(b) - F(a - 1)` with `F(k)` the rounded
//! amount of the first `k` days, so the parts of any split of a month add
//! up to the whole month, to the cent.

use serde::{Deserialize, Serialize};

use crate::text::ValidationError;

/// Minor units (cents).
pub type Minor = i64;

/// Where an amount is rounded to whole minor units. Named so that every
/// rounding in an invoice can be pointed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    /// A line's amount: quantity x unit price (x multiplier), once per line.
    Line,
    /// The part of a monthly amount that falls on some days of the month.
    Proration,
    /// An SLA credit worked out as a share of the month's base.
    Credit,
    /// Tax on the subtotal.
    Tax,
}

/// `numerator / denominator` rounded half away from zero at `_point`. The
/// point only names why; the rule is the same everywhere.
pub fn round(numerator: i128, denominator: i128, _point: Rounding) -> Minor {
    assert!(denominator > 0, "rounding by a non-positive denominator");
    let q = numerator / denominator;
    let r = numerator % denominator;
    let q = if 2 * r.abs() >= denominator {
        q + numerator.signum()
    } else {
        q
    };
    Minor::try_from(q).unwrap_or(if q < 0 { Minor::MIN } else { Minor::MAX })
}

/// The part of `monthly` that falls on days `first..=last` (1-based) of a
/// month of `days` days.
pub fn prorate(monthly: Minor, first: u32, last: u32, days: u32) -> Minor {
    debug_assert!(first >= 1 && first <= last + 1 && last <= days);
    let upto = |k: u32| {
        round(
            i128::from(monthly) * i128::from(k),
            i128::from(days),
            Rounding::Proration,
        )
    };
    upto(last) - upto(first.saturating_sub(1))
}

/// A currency: its ISO 4217 code and how many decimals its minor unit has.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Currency {
    /// `USD`, `EUR`, `GBP`, ...
    pub code: String,
    /// 2 for most currencies, 0 for JPY and KRW.
    pub decimals: u8,
}

/// Currencies whose minor unit is the unit itself.
const NO_DECIMALS: [&str; 6] = ["JPY", "KRW", "ISK", "CLP", "VND", "HUF"];

impl Currency {
    /// A currency by its three-letter code.
    pub fn parse(code: &str) -> Result<Self, ValidationError> {
        let code = code.trim().to_uppercase();
        if code.len() != 3 || !code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(ValidationError::new(
                "currency",
                "use a three-letter ISO 4217 code such as USD or EUR",
            ));
        }
        let decimals = if NO_DECIMALS.contains(&code.as_str()) {
            0
        } else {
            2
        };
        Ok(Self { code, decimals })
    }

    /// The currency of a stored code: checked when it was stored, so one
    /// that no longer parses is shown as it is, with two decimals.
    pub fn or_plain(code: &str) -> Self {
        Self::parse(code).unwrap_or_else(|_| Self {
            code: code.to_owned(),
            decimals: 2,
        })
    }

    /// An amount as people read it: `USD 1,234.50`, `USD -12.00`.
    pub fn format(&self, amount: Minor) -> String {
        let sign = if amount < 0 { "-" } else { "" };
        let abs = amount.unsigned_abs();
        let scale = 10u64.pow(u32::from(self.decimals));
        let (units, cents) = (abs / scale, abs % scale);
        let digits = units.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if self.decimals == 0 {
            format!("{} {sign}{grouped}", self.code)
        } else {
            format!(
                "{} {sign}{grouped}.{cents:0width$}",
                self.code,
                width = usize::from(self.decimals)
            )
        }
    }
}

impl Currency {
    /// An amount as a person types it ("1,250.50", "85", "0.5") in minor
    /// units; empty is `None`. More decimals than the currency has, or
    /// anything that is not a non-negative number, is refused.
    pub fn parse_amount(
        &self,
        field: &'static str,
        raw: &str,
    ) -> Result<Option<Minor>, ValidationError> {
        let text: String = raw.trim().chars().filter(|c| *c != ',').collect();
        if text.is_empty() {
            return Ok(None);
        }
        let bad = || {
            ValidationError::new(
                field,
                format!("{raw:?} is not an amount in {} (e.g. 85.00)", self.code),
            )
        };
        let (units, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if units.is_empty() && fraction.is_empty()
            || !units.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
            || fraction.len() > usize::from(self.decimals)
            || units.len() > 13
        {
            return Err(bad());
        }
        let units: i64 = if units.is_empty() {
            0
        } else {
            units.parse().map_err(|_| bad())?
        };
        let scale = 10i64.pow(u32::from(self.decimals));
        let padded = format!("{fraction:0<width$}", width = usize::from(self.decimals));
        let fraction: i64 = if padded.is_empty() {
            0
        } else {
            padded.parse().map_err(|_| bad())?
        };
        Ok(Some(units * scale + fraction))
    }

    /// An amount as a form shows it back ("85.00"), without the code.
    pub fn plain(&self, amount: Minor) -> String {
        let scale = 10i64.pow(u32::from(self.decimals));
        if self.decimals == 0 {
            amount.to_string()
        } else {
            format!(
                "{}{}.{:0width$}",
                if amount < 0 { "-" } else { "" },
                amount.unsigned_abs() / scale.unsigned_abs(),
                amount.unsigned_abs() % scale.unsigned_abs(),
                width = usize::from(self.decimals)
            )
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round(5, 2, Rounding::Line), 3);
        assert_eq!(round(-5, 2, Rounding::Line), -3);
        assert_eq!(round(4, 3, Rounding::Line), 1);
        assert_eq!(round(-4, 3, Rounding::Line), -1);
        assert_eq!(round(1, 3, Rounding::Line), 0);
    }

    #[test]
    fn amounts_read_with_their_currency() {
        let usd = Currency::parse("usd").unwrap();
        assert_eq!(usd.format(123_450), "USD 1,234.50");
        assert_eq!(usd.format(-1_200), "USD -12.00");
        assert_eq!(usd.format(5), "USD 0.05");
        assert_eq!(usd.format(100_000_000), "USD 1,000,000.00");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.format(1_500_000), "JPY 1,500,000");
        assert!(Currency::parse("US").is_err());
        assert!(Currency::parse("U$D").is_err());
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(usd.parse_amount("f", "85").unwrap(), Some(8_500));
        assert_eq!(usd.parse_amount("f", "1,250.5").unwrap(), Some(125_050));
        assert_eq!(usd.parse_amount("f", " 0.05 ").unwrap(), Some(5));
        assert_eq!(usd.parse_amount("f", ".5").unwrap(), Some(50));
        assert_eq!(usd.parse_amount("f", "").unwrap(), None);
        for bad in ["1.234", "-5", "12a", "1e3", ".", "1.2.3"] {
            assert_eq!(
                usd.parse_amount("rate", bad).unwrap_err().field,
                "rate",
                "{bad}"
            );
        }
        assert_eq!(usd.plain(125_050), "1250.50");
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(jpy.parse_amount("f", "1500").unwrap(), Some(1_500));
        assert!(jpy.parse_amount("f", "1.5").is_err());
        assert_eq!(jpy.plain(1_500), "1500");
    }

    #[test]
    fn a_third_of_a_month_is_a_third() {
        // $1,000.00 over a 30-day month in three ten-day parts.
        let parts = [
            prorate(100_000, 1, 10, 30),
            prorate(100_000, 11, 20, 30),
            prorate(100_000, 21, 30, 30),
        ];
        assert_eq!(parts, [33_333, 33_334, 33_333]);
        assert_eq!(parts.iter().sum::<Minor>(), 100_000);
        assert_eq!(prorate(100_000, 1, 30, 30), 100_000);
        assert_eq!(prorate(100_000, 31, 30, 30), 0);
    }

    proptest! {
        /// However a month is cut into runs of days, its parts add up to
        /// the monthly amount: nothing is lost or made by rounding.
        #[test]
        fn prorations_over_a_month_add_up(
            monthly in -10_000_000_000i64..10_000_000_000,
            days in 28u32..=31,
            cuts in proptest::collection::vec(1u32..31, 0..8),
        ) {
            let mut cuts: Vec<u32> = cuts.into_iter().filter(|c| *c < days).collect();
            cuts.sort_unstable();
            cuts.dedup();
            let mut first = 1;
            let mut sum = 0;
            for last in cuts.into_iter().chain([days]) {
                sum += prorate(monthly, first, last, days);
                first = last + 1;
            }
            prop_assert_eq!(sum, monthly);
        }

        /// Each part is within one minor unit of its exact share.
        #[test]
        fn a_part_is_its_exact_share_to_the_cent(
            monthly in 0i64..10_000_000_000,
            days in 28u32..=31,
            first in 1u32..=28,
            len in 0u32..28,
        ) {
            let last = (first + len).min(days);
            let exact = i128::from(monthly) * i128::from(last - first + 1) * 1000 / i128::from(days);
            let part = i128::from(prorate(monthly, first, last, days)) * 1000;
            prop_assert!((part - exact).abs() <= 1000);
        }
    }
}
