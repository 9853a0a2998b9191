//! Calendars as people write them (time zone, weekly windows, holidays)
//! and as the SLA clocks use them.

use crate::Result;
use serde::{Deserialize, Serialize};
use tandem_domain::calendar::BusinessCalendar;
pub use tandem_domain::calendar::WindowSpec;
use tandem_domain::sla::WorkingTime;
use tandem_domain::{OrgId, ValidationError};
use tandem_store::calendars::CalendarRow;

/// A business-hours calendar.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CalendarSpec {
    /// IANA time zone, e.g. `Europe/London`.
    pub time_zone: String,
    /// Weekly opening windows; several per day allowed.
    pub windows: Vec<WindowSpec>,
    /// Single holidays, `YYYY-MM-DD`.
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Yearly holidays, `MM-DD`.
    #[serde(default)]
    pub yearly_holidays: Vec<String>,
}

impl CalendarSpec {
    /// Monday to Friday, one window a day.
    pub fn weekdays(time_zone: &str, start: &str, end: &str) -> Self {
        Self {
            time_zone: time_zone.into(),
            windows: ["mon", "tue", "wed", "thu", "fri"]
                .iter()
                .map(|d| WindowSpec {
                    day: (*d).into(),
                    start: start.into(),
                    end: end.into(),
                })
                .collect(),
            holidays: Vec::new(),
            yearly_holidays: Vec::new(),
        }
    }

    /// The stored form, after checking that the calendar is valid.
    pub fn to_row(&self, client: OrgId, now: i64) -> Result<CalendarRow> {
        business(self)?;
        let json = |v: &[_]| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
        Ok(CalendarRow {
            client_id: client,
            time_zone: self.time_zone.clone(),
            windows: serde_json::to_string(&self.windows).unwrap_or_else(|_| "[]".into()),
            holidays: json(&self.holidays),
            yearly_holidays: json(&self.yearly_holidays),
            updated_at: now,
        })
    }

    /// The calendar of a stored row (24x7 UTC when the client has none yet).
    pub fn from_row(row: Option<&CalendarRow>) -> Result<Self> {
        let Some(r) = row else {
            return Ok(Self::weekdays("UTC", "09:00", "17:00"));
        };
        let bad = |f: &'static str| ValidationError::new(f, "stored calendar is damaged");
        Ok(Self {
            time_zone: r.time_zone.clone(),
            windows: serde_json::from_str(&r.windows).map_err(|_| bad("windows"))?,
            holidays: serde_json::from_str(&r.holidays).map_err(|_| bad("holidays"))?,
            yearly_holidays: serde_json::from_str(&r.yearly_holidays)
                .map_err(|_| bad("yearly_holidays"))?,
        })
    }
}

/// The working time of a client's calendar.
pub fn working_time(row: Option<&CalendarRow>) -> Result<Box<dyn WorkingTime + Send + Sync>> {
    business(&CalendarSpec::from_row(row)?)
}

fn business(spec: &CalendarSpec) -> Result<Box<dyn WorkingTime + Send + Sync>> {
    let cal = BusinessCalendar::parse(
        &spec.time_zone,
        &spec.windows,
        &spec.holidays,
        &spec.yearly_holidays,
    )?;
    Ok(Box::new(Business(cal)))
}

/// A client's business hours as an SLA clock counts them.
struct Business(BusinessCalendar);

fn ts(ms: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::MAX)
}

impl WorkingTime for Business {
    fn add_millis(&self, start_ms: i64, millis: i64) -> i64 {
        self.0
            .add_business_millis(ts(start_ms), millis)
            .as_millisecond()
    }

    fn millis_between(&self, from_ms: i64, to_ms: i64) -> i64 {
        self.0.business_millis_between(ts(from_ms), ts(to_ms))
    }

    fn is_open(&self, at_ms: i64) -> bool {
        self.0.is_open(ts(at_ms))
    }
}
