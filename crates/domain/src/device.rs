//! A client's device inventory: what a device is (its class), whether it is
//! still in use, and the dates that decide whether it counts on a given day,
//! which is what per-device billing counts. Also the rules of a CSV import.
//!
//! The rules, in one place:
//! - a name is 1-200 characters and unique per client, ignoring case;
//! - `retired` and a retirement date go together: a retired device has the
//!   date it left service, an active one has none;
//! - a retirement date is never before the acquisition date;
//! - a device counts on a day when it was acquired on or before that day
//!   (or its acquisition date is unknown) and had not been retired on or
//!   before it: a device retired on the 1st does not count on the 1st.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::actor::UnknownValue;
use crate::csv;
use crate::text::{ValidationError, clean_line};
use crate::ticket::text_enum;

text_enum!(
    /// What kind of device it is; per-device prices differ by class.
    DeviceClass {
        /// A desktop or laptop someone works at.
        Workstation = "workstation",
        /// A physical or virtual server.
        Server = "server",
        /// A switch, router, firewall or access point.
        NetworkDevice = "network_device",
        /// Anything else worth counting (printers, phones, ...).
        Other = "other",
    }
);

text_enum!(
    /// Whether a device is still in use.
    DeviceStatus {
        /// In use (or on order, with an acquisition date ahead).
        Active = "active",
        /// Out of service since its retirement date.
        Retired = "retired",
    }
);

/// Codes and words are compared without case, and with `_`, `-` and
/// spaces taken as the same: "Network device", "network-device" and
/// `network_device` all name one class.
fn loose(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect()
}

impl DeviceClass {
    /// The words a person reads.
    pub fn label(self) -> &'static str {
        match self {
            DeviceClass::Workstation => "Workstation",
            DeviceClass::Server => "Server",
            DeviceClass::NetworkDevice => "Network device",
            DeviceClass::Other => "Other",
        }
    }

    /// A class from its code or its words, in any case.
    pub fn parse_loose(raw: &str) -> Result<Self, UnknownValue> {
        let want = loose(raw);
        DeviceClass::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == want || loose(c.label()) == want)
            .ok_or_else(|| UnknownValue(raw.to_owned()))
    }
}

impl DeviceStatus {
    /// The words a person reads.
    pub fn label(self) -> &'static str {
        match self {
            DeviceStatus::Active => "Active",
            DeviceStatus::Retired => "Retired",
        }
    }

    /// A status from its code or its words, in any case.
    pub fn parse_loose(raw: &str) -> Result<Self, UnknownValue> {
        let want = loose(raw);
        DeviceStatus::ALL
            .iter()
            .copied()
            .find(|s| s.as_str() == want || loose(s.label()) == want)
            .ok_or_else(|| UnknownValue(raw.to_owned()))
    }
}

/// A calendar date as people type it and the store keeps it: `YYYY-MM-DD`,
/// a real day, between 1900 and 9999 (so that the text sorts like the date).
/// Blank is no date.
pub fn parse_date(field: &'static str, raw: &str) -> Result<Option<Date>, ValidationError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let b = v.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    let date = shaped
        .then(|| v.parse::<Date>().ok())
        .flatten()
        .filter(|d| d.year() >= 1900);
    date.map(Some).ok_or_else(|| {
        ValidationError::new(field, format!("{v:?} is not a date; write e.g. 2026-03-31"))
    })
}

/// The key that makes names unique per client: the name without case.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// A device as it may be stored: every rule of this module holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSpec {
    name: String,
    class: DeviceClass,
    status: DeviceStatus,
    acquired_on: Option<Date>,
    retired_on: Option<Date>,
}

impl DeviceSpec {
    /// Check a device's fields together.
    pub fn new(
        name: &str,
        class: DeviceClass,
        status: DeviceStatus,
        acquired_on: Option<Date>,
        retired_on: Option<Date>,
    ) -> Result<Self, ValidationError> {
        let name = clean_line("name", name, 200)?;
        match (status, retired_on) {
            (DeviceStatus::Retired, None) => {
                return Err(ValidationError::new(
                    "retired_on",
                    "a retired device needs the date it was retired",
                ));
            }
            (DeviceStatus::Active, Some(_)) => {
                return Err(ValidationError::new(
                    "retired_on",
                    "only a retired device has a retirement date",
                ));
            }
            _ => {}
        }
        if let (Some(a), Some(r)) = (acquired_on, retired_on)
            && r < a
        {
            return Err(ValidationError::new(
                "retired_on",
                format!("{r} is before the acquisition date {a}"),
            ));
        }
        Ok(Self {
            name,
            class,
            status,
            acquired_on,
            retired_on,
        })
    }

    /// The name, trimmed.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The class.
    pub fn class(&self) -> DeviceClass {
        self.class
    }

    /// Active or retired.
    pub fn status(&self) -> DeviceStatus {
        self.status
    }

    /// When it came into use, if known.
    pub fn acquired_on(&self) -> Option<Date> {
        self.acquired_on
    }

    /// When it left service (retired devices only).
    pub fn retired_on(&self) -> Option<Date> {
        self.retired_on
    }

    /// Whether it counts on `day` (see the module's rules). The store
    /// counts with the same rule in SQL; this is its statement in Rust.
    pub fn active_on(&self, day: Date) -> bool {
        active_on(self.acquired_on, self.retired_on, day)
    }
}

/// Whether a device acquired and retired on these dates counts on `day`:
/// acquired on or before it (or on an unknown date), not retired on or
/// before it.
pub fn active_on(acquired_on: Option<Date>, retired_on: Option<Date>, day: Date) -> bool {
    acquired_on.is_none_or(|a| a <= day) && retired_on.is_none_or(|r| r > day)
}

/// How many devices of each class count on a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceCounts {
    /// Workstations.
    pub workstation: i64,
    /// Servers.
    pub server: i64,
    /// Network devices.
    pub network_device: i64,
    /// Other devices.
    pub other: i64,
}

impl DeviceCounts {
    /// The count of one class.
    pub fn of(&self, class: DeviceClass) -> i64 {
        match class {
            DeviceClass::Workstation => self.workstation,
            DeviceClass::Server => self.server,
            DeviceClass::NetworkDevice => self.network_device,
            DeviceClass::Other => self.other,
        }
    }

    /// Add `n` devices of `class`.
    pub fn add(&mut self, class: DeviceClass, n: i64) {
        match class {
            DeviceClass::Workstation => self.workstation += n,
            DeviceClass::Server => self.server += n,
            DeviceClass::NetworkDevice => self.network_device += n,
            DeviceClass::Other => self.other += n,
        }
    }

    /// All classes together.
    pub fn total(&self) -> i64 {
        self.workstation + self.server + self.network_device + self.other
    }
}

/// The columns of an import file, in the order an export writes them.
pub const IMPORT_COLUMNS: [&str; 5] = ["name", "class", "status", "acquired_on", "retired_on"];
/// The most devices one import may carry.
pub const IMPORT_MAX_ROWS: usize = 5_000;
/// The largest import file, in bytes.
pub const IMPORT_MAX_BYTES: usize = 1024 * 1024;
/// How many row problems a refusal lists at most (it says how many more).
pub const IMPORT_MAX_PROBLEMS: usize = 100;

/// One device read from an import file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportRow {
    /// Its row in the file (the header is row 1).
    pub row: usize,
    /// The device.
    pub spec: DeviceSpec,
}

/// What is wrong with one row of an import file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The row in the file (the header is row 1), as a spreadsheet numbers it.
    pub row: usize,
    /// The column at fault, if one is.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl RowProblem {
    fn new(row: usize, column: Option<&str>, message: impl Into<String>) -> Self {
        Self {
            row,
            column: column.map(str::to_owned),
            message: message.into(),
        }
    }
}

/// Why an import file was refused as a whole; nothing of it is stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportRefusal {
    /// The file itself: empty, too many rows, not CSV.
    File(ValidationError),
    /// Rows that break a rule, in file order (at most
    /// [`IMPORT_MAX_PROBLEMS`]), and how many there are in all.
    Rows {
        /// The first problems.
        problems: Vec<RowProblem>,
        /// All problems, listed or not.
        total: usize,
    },
}

/// Read an import file: a header row naming the columns
/// ([`IMPORT_COLUMNS`]; `name`, `class` and `status` are required, the
/// dates may be left out, the order is free, case does not matter), then
/// one device per row. Classes and statuses may be codes or words. Blank
/// rows are skipped. Every row is checked; any problem refuses the file.
pub fn parse_import(text: &str) -> Result<Vec<ImportRow>, ImportRefusal> {
    let records = csv::records(text).map_err(|e| ImportRefusal::Rows {
        problems: vec![RowProblem::new(e.row, None, e.message)],
        total: 1,
    })?;
    let mut records = records.into_iter().skip_while(csv::Record::is_blank);
    let Some(header) = records.next() else {
        return Err(ImportRefusal::File(ValidationError::new(
            "file",
            format!(
                "is empty; the first row names the columns: {}",
                IMPORT_COLUMNS.join(",")
            ),
        )));
    };
    let columns = header_columns(&header)?;
    let rows: Vec<csv::Record> = records.filter(|r| !r.is_blank()).collect();
    if rows.len() > IMPORT_MAX_ROWS {
        return Err(ImportRefusal::File(ValidationError::new(
            "file",
            format!(
                "has {} devices; one import takes at most {IMPORT_MAX_ROWS}: split the file",
                rows.len()
            ),
        )));
    }
    let mut problems = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for r in rows {
        match device_of(&r, &columns) {
            Ok(spec) => match seen.get(&name_key(spec.name())) {
                Some(first) => problems.push(RowProblem::new(
                    r.row,
                    Some("name"),
                    format!("{:?} is already on row {first}", spec.name()),
                )),
                None => {
                    seen.insert(name_key(spec.name()), r.row);
                    out.push(ImportRow { row: r.row, spec });
                }
            },
            Err(p) => problems.push(p),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        let total = problems.len();
        problems.truncate(IMPORT_MAX_PROBLEMS);
        Err(ImportRefusal::Rows { problems, total })
    }
}

/// Where each known column is in the header.
fn header_columns(header: &csv::Record) -> Result<[Option<usize>; 5], ImportRefusal> {
    let refuse = |message: String| ImportRefusal::Rows {
        problems: vec![RowProblem::new(header.row, None, message)],
        total: 1,
    };
    let mut at = [None; 5];
    for (i, raw) in header.fields.iter().enumerate() {
        let name = loose(raw);
        let Some(k) = IMPORT_COLUMNS.iter().position(|c| *c == name) else {
            return Err(refuse(format!(
                "unknown column {:?}; the columns are {}",
                raw.trim(),
                IMPORT_COLUMNS.join(",")
            )));
        };
        if at[k].is_some() {
            return Err(refuse(format!(
                "column {} appears twice",
                IMPORT_COLUMNS[k]
            )));
        }
        at[k] = Some(i);
    }
    for k in 0..3 {
        if at[k].is_none() {
            return Err(refuse(format!(
                "the column {} is missing; the columns are {}",
                IMPORT_COLUMNS[k],
                IMPORT_COLUMNS.join(",")
            )));
        }
    }
    Ok(at)
}

fn device_of(r: &csv::Record, at: &[Option<usize>; 5]) -> Result<DeviceSpec, RowProblem> {
    let wanted = at.iter().flatten().count();
    if r.fields.len() != wanted {
        return Err(RowProblem::new(
            r.row,
            None,
            format!("has {} fields; the header has {wanted}", r.fields.len()),
        ));
    }
    let cell = |k: usize| at[k].map_or("", |i| r.fields[i].as_str());
    let class = DeviceClass::parse_loose(cell(1)).map_err(|_| {
        RowProblem::new(
            r.row,
            Some("class"),
            format!(
                "{:?} is not a class; use one of: {}",
                cell(1).trim(),
                DeviceClass::ALL
                    .iter()
                    .map(|c| c.label())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let status = DeviceStatus::parse_loose(cell(2)).map_err(|_| {
        RowProblem::new(
            r.row,
            Some("status"),
            format!(
                "{:?} is not a status; use Active or Retired",
                cell(2).trim()
            ),
        )
    })?;
    let field_problem = |e: ValidationError| RowProblem::new(r.row, Some(e.field), e.message);
    let acquired_on = parse_date("acquired_on", cell(3)).map_err(field_problem)?;
    let retired_on = parse_date("retired_on", cell(4)).map_err(field_problem)?;
    DeviceSpec::new(cell(0), class, status, acquired_on, retired_on).map_err(field_problem)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().expect("a date")
    }

    #[test]
    fn classes_and_statuses_read_codes_and_words_in_any_case() {
        for raw in [
            "network_device",
            "Network device",
            "NETWORK-DEVICE",
            " network device ",
        ] {
            assert_eq!(
                DeviceClass::parse_loose(raw).ok(),
                Some(DeviceClass::NetworkDevice),
                "{raw}"
            );
        }
        assert_eq!(
            DeviceClass::parse_loose("Workstation").ok(),
            Some(DeviceClass::Workstation)
        );
        assert!(DeviceClass::parse_loose("laptop").is_err());
        assert_eq!(
            DeviceStatus::parse_loose("RETIRED").ok(),
            Some(DeviceStatus::Retired)
        );
        for c in DeviceClass::ALL {
            assert_eq!(c.as_str().parse::<DeviceClass>().ok(), Some(*c));
        }
    }

    #[test]
    fn dates_are_real_days_in_one_shape() {
        assert_eq!(parse_date("d", " 2026-02-28 "), Ok(Some(day("2026-02-28"))));
        assert_eq!(parse_date("d", ""), Ok(None));
        for bad in [
            "2026-02-30",
            "2026-2-1",
            "01/02/2026",
            "1899-12-31",
            "20260101",
            "2026-01-01T00:00",
        ] {
            assert!(parse_date("d", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_and_retirement_date_go_together_and_keep_their_order() {
        let w = DeviceClass::Workstation;
        let (a, r) = (DeviceStatus::Active, DeviceStatus::Retired);
        assert!(DeviceSpec::new("PC-1", w, a, Some(day("2025-01-01")), None).is_ok());
        assert_eq!(
            DeviceSpec::new("PC-1", w, r, None, None).map_err(|e| e.field),
            Err("retired_on")
        );
        assert_eq!(
            DeviceSpec::new("PC-1", w, a, None, Some(day("2025-01-01"))).map_err(|e| e.field),
            Err("retired_on")
        );
        assert_eq!(
            DeviceSpec::new(
                "PC-1",
                w,
                r,
                Some(day("2025-02-01")),
                Some(day("2025-01-31"))
            )
            .map_err(|e| e.field),
            Err("retired_on")
        );
        assert!(
            DeviceSpec::new(
                "PC-1",
                w,
                r,
                Some(day("2025-02-01")),
                Some(day("2025-02-01"))
            )
            .is_ok()
        );
        assert_eq!(
            DeviceSpec::new(" ", w, a, None, None).map_err(|e| e.field),
            Err("name")
        );
        assert!(DeviceSpec::new(&"x".repeat(201), w, a, None, None).is_err());
        assert!(DeviceSpec::new(&"x".repeat(200), w, a, None, None).is_ok());
    }

    #[test]
    fn a_device_counts_from_its_acquisition_until_the_day_before_its_retirement() {
        let d = DeviceSpec::new(
            "SRV-1",
            DeviceClass::Server,
            DeviceStatus::Retired,
            Some(day("2026-01-10")),
            Some(day("2026-03-01")),
        )
        .expect("valid");
        assert!(!d.active_on(day("2026-01-09")));
        assert!(d.active_on(day("2026-01-10")));
        assert!(d.active_on(day("2026-02-28")));
        assert!(!d.active_on(day("2026-03-01")));
        let unknown = DeviceSpec::new(
            "SW-1",
            DeviceClass::NetworkDevice,
            DeviceStatus::Active,
            None,
            None,
        )
        .expect("valid");
        assert!(unknown.active_on(day("1990-01-01")));
    }

    #[test]
    fn an_import_reads_words_free_column_order_and_skips_blank_rows() {
        let text = "\u{feff}Name,Status,Class\r\nPC-1,Active,Workstation\r\n\r\n\"Core, switch\",active,Network device\r\n";
        let rows = parse_import(text).expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].row, 4);
        assert_eq!(rows[1].spec.name(), "Core, switch");
        assert_eq!(rows[1].spec.class(), DeviceClass::NetworkDevice);
    }

    #[test]
    fn an_import_names_every_bad_row_and_refuses_the_whole_file() {
        let text = "name,class,status,acquired_on,retired_on\n\
                    PC-1,workstation,active,2025-01-01,\n\
                    PC-2,laptop,active,,\n\
                    PC-3,workstation,retired,2025-01-01,\n\
                    pc-1,server,active,,\n\
                    PC-5,server,active,tomorrow,\n\
                    PC-6,server\n";
        let Err(ImportRefusal::Rows { problems, total }) = parse_import(text) else {
            panic!("refused");
        };
        assert_eq!(total, 5);
        let rows: Vec<(usize, Option<&str>)> = problems
            .iter()
            .map(|p| (p.row, p.column.as_deref()))
            .collect();
        assert_eq!(
            rows,
            vec![
                (3, Some("class")),
                (4, Some("retired_on")),
                (5, Some("name")),
                (6, Some("acquired_on")),
                (7, None)
            ]
        );
    }

    #[test]
    fn an_import_header_must_name_known_columns() {
        for (text, why) in [
            ("name,class\nPC-1,server\n", "status is missing"),
            ("name,class,status,colour\n", "unknown column"),
            ("name,class,status,name\n", "twice"),
        ] {
            match parse_import(text) {
                Err(ImportRefusal::Rows { problems, .. }) => {
                    assert_eq!(problems[0].row, 1);
                    assert!(problems[0].message.contains(why), "{}", problems[0].message);
                }
                other => panic!("{text}: {other:?}"),
            }
        }
        assert!(matches!(parse_import("\n\n"), Err(ImportRefusal::File(_))));
        let many = format!(
            "name,class,status\n{}",
            (0..=IMPORT_MAX_ROWS)
                .map(|i| format!("PC-{i},workstation,active\n"))
                .collect::<String>()
        );
        assert!(matches!(parse_import(&many), Err(ImportRefusal::File(e)) if e.field == "file"));
    }
}
