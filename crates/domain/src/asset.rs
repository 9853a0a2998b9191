//! A client's asset records: everything IT keeps track of, from
//! workstations to domain names, with the dates that run out and the rules
//! for reminding people before they do. The device inventory of per-device
//! billing is the hardware part of it (see [`AssetType::billing_class`]).
//!
//! The rules, in one place:
//! - an asset keeps the device rules (name 1-200 characters, unique per
//!   client without case; retired goes with a retirement date);
//! - a renewal date belongs to licences and domains, a certificate's
//!   not-after date to TLS certificates only; any asset may have a
//!   warranty end;
//! - a reminder is due on the expiry date minus the client's "days
//!   before" for that kind of expiry, in the client's time zone, and fires
//!   once per asset, kind and date (a changed date is a new reminder); a
//!   date already past when first seen is recorded but not announced;
//! - custom field values are checked against their field's kind.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use crate::actor::UnknownValue;
use crate::csv;
use crate::device::{DeviceClass, DeviceSpec, DeviceStatus, RowProblem, name_key, parse_date};
use crate::text::{ValidationError, clean_line};
use crate::ticket::text_enum;

text_enum!(
    /// What kind of thing an asset is.
    AssetType {
        /// A desktop or laptop someone works at.
        Workstation = "workstation",
        /// A physical or virtual server.
        Server = "server",
        /// A switch, router, firewall or access point.
        NetworkDevice = "network_device",
        /// A printer or multifunction device.
        Printer = "printer",
        /// A software licence or subscription, renewed on a date.
        SoftwareLicence = "software_licence",
        /// A registered domain name, renewed on a date.
        Domain = "domain",
        /// A TLS certificate, valid until its not-after date.
        TlsCertificate = "tls_certificate",
        /// A cloud tenant (Microsoft 365, Google Workspace, AWS account, ...).
        CloudTenant = "cloud_tenant",
        /// Anything else worth keeping a record of.
        Other = "other",
    }
);

text_enum!(
    /// Which date of an asset runs out; reminders are set per kind.
    ExpiryKind {
        /// The end of a hardware (or support) warranty.
        Warranty = "warranty",
        /// A licence or subscription's renewal date.
        LicenceRenewal = "licence_renewal",
        /// A domain's renewal date.
        DomainRenewal = "domain_renewal",
        /// A certificate's not-after date.
        Certificate = "certificate",
    }
);

text_enum!(
    /// The kind of value a custom field holds.
    FieldKind {
        /// Free text, one line.
        Text = "text",
        /// A decimal number.
        Number = "number",
        /// A `YYYY-MM-DD` date.
        Date = "date",
        /// Yes or no.
        Bool = "bool",
    }
);

text_enum!(
    /// What an asset's relation points at.
    LinkTarget {
        /// Another asset of the client.
        Asset = "asset",
        /// A documentation page.
        Page = "page",
        /// A ticket.
        Ticket = "ticket",
        /// A vault secret.
        Secret = "secret",
    }
);

/// Codes and words compared without case, `-`, `_` and spaces alike.
fn loose(raw: &str) -> String {
    raw.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == '-' || c == ' ' { '_' } else { c })
        .collect()
}

impl AssetType {
    /// The words a person reads.
    pub fn label(self) -> &'static str {
        match self {
            AssetType::Workstation => "Workstation",
            AssetType::Server => "Server",
            AssetType::NetworkDevice => "Network device",
            AssetType::Printer => "Printer",
            AssetType::SoftwareLicence => "Software licence",
            AssetType::Domain => "Domain",
            AssetType::TlsCertificate => "TLS certificate",
            AssetType::CloudTenant => "Cloud tenant",
            AssetType::Other => "Other",
        }
    }

    /// A type from its code or its words, in any case ("licence" and
    /// "certificate" are understood too).
    pub fn parse_loose(raw: &str) -> Result<Self, UnknownValue> {
        let want = loose(raw);
        match want.as_str() {
            "licence" | "license" | "software_license" | "subscription" => {
                return Ok(AssetType::SoftwareLicence);
            }
            "certificate" | "tls_cert" | "ssl_certificate" => return Ok(AssetType::TlsCertificate),
            _ => {}
        }
        AssetType::ALL
            .iter()
            .copied()
            .find(|t| t.as_str() == want || loose(t.label()) == want)
            .ok_or_else(|| UnknownValue(raw.to_owned()))
    }

    /// The class a per-device price counts the asset under, if any. A
    /// per-device price counts hardware: workstations, servers, network
    /// devices and other devices, printers among the other devices (as
    /// before they had a type of their own). Licences, domains,
    /// certificates and cloud tenants are not devices and never count.
    pub fn billing_class(self) -> Option<DeviceClass> {
        match self {
            AssetType::Workstation => Some(DeviceClass::Workstation),
            AssetType::Server => Some(DeviceClass::Server),
            AssetType::NetworkDevice => Some(DeviceClass::NetworkDevice),
            AssetType::Printer | AssetType::Other => Some(DeviceClass::Other),
            AssetType::SoftwareLicence
            | AssetType::Domain
            | AssetType::TlsCertificate
            | AssetType::CloudTenant => None,
        }
    }

    /// The kind of renewal date this type has, if any.
    pub fn renewal_kind(self) -> Option<ExpiryKind> {
        match self {
            AssetType::SoftwareLicence => Some(ExpiryKind::LicenceRenewal),
            AssetType::Domain => Some(ExpiryKind::DomainRenewal),
            _ => None,
        }
    }

    /// The split category a reminder ticket about this type goes to unless
    /// the client chose another.
    pub fn default_category(self) -> &'static str {
        match self {
            AssetType::TlsCertificate => "security-operations",
            AssetType::Domain | AssetType::NetworkDevice => "network",
            AssetType::SoftwareLicence => "vendor-escalation",
            AssetType::CloudTenant => "m365-administration",
            AssetType::Server => "patching",
            AssetType::Workstation | AssetType::Printer | AssetType::Other => "help-desk",
        }
    }
}

impl ExpiryKind {
    /// The words a person reads.
    pub fn label(self) -> &'static str {
        match self {
            ExpiryKind::Warranty => "Warranty end",
            ExpiryKind::LicenceRenewal => "Licence renewal",
            ExpiryKind::DomainRenewal => "Domain renewal",
            ExpiryKind::Certificate => "Certificate expiry",
        }
    }

    /// Days before the date a reminder fires unless the client chose:
    /// certificates and domains break things the day they lapse, so a
    /// month; licences and warranties need a purchase, so two.
    pub fn default_days(self) -> i64 {
        match self {
            ExpiryKind::Certificate | ExpiryKind::DomainRenewal => 30,
            ExpiryKind::LicenceRenewal | ExpiryKind::Warranty => 60,
        }
    }

    /// The split category of a reminder ticket unless the client chose one.
    pub fn default_category(self) -> &'static str {
        match self {
            ExpiryKind::Warranty => "vendor-escalation",
            ExpiryKind::LicenceRenewal => "vendor-escalation",
            ExpiryKind::DomainRenewal => "network",
            ExpiryKind::Certificate => "security-operations",
        }
    }
}

/// The longest "days before" a reminder may have.
pub const MAX_DAYS_BEFORE: i64 = 365;

/// One client's reminder rule for one kind of expiry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReminderRule {
    /// The kind of date.
    pub kind: ExpiryKind,
    /// Remind this many days before it (0-365).
    pub days_before: i64,
    /// Open a ticket too, not only notify.
    pub open_ticket: bool,
    /// The split category of that ticket.
    pub category: String,
}

impl ReminderRule {
    /// The rule a client has until its admin changes it.
    pub fn default_for(kind: ExpiryKind) -> Self {
        Self {
            kind,
            days_before: kind.default_days(),
            open_ticket: false,
            category: kind.default_category().to_owned(),
        }
    }

    /// Check a rule as an admin sets it.
    pub fn new(
        kind: ExpiryKind,
        days_before: i64,
        open_ticket: bool,
        category: &str,
    ) -> Result<Self, ValidationError> {
        if !(0..=MAX_DAYS_BEFORE).contains(&days_before) {
            return Err(ValidationError::new(
                "days_before",
                format!("must be 0-{MAX_DAYS_BEFORE} days"),
            ));
        }
        let category = clean_line("category", category, 100)?;
        Ok(Self {
            kind,
            days_before,
            open_ticket,
            category,
        })
    }
}

/// A client's rules for every kind (the defaults where it set none).
pub fn rules_with_defaults(set: &[ReminderRule]) -> Vec<ReminderRule> {
    ExpiryKind::ALL
        .iter()
        .map(|k| {
            set.iter()
                .find(|r| r.kind == *k)
                .cloned()
                .unwrap_or_else(|| ReminderRule::default_for(*k))
        })
        .collect()
}

/// The day a reminder of a date `expires_on` is due with `days_before`.
pub fn remind_on(expires_on: Date, days_before: i64) -> Date {
    expires_on
        .checked_sub(jiff::Span::new().days(days_before))
        .unwrap_or(expires_on)
}

/// What the sweep does about one expiry on `today` (the client's date).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReminderStep {
    /// Not due yet.
    Wait,
    /// Due: announce it.
    Fire,
    /// The date passed before the reminder was ever due or seen: record it
    /// so it is not read again, announce nothing.
    Lapsed,
}

/// Whether a reminder of `expires_on` is due on `today`.
pub fn reminder_step(expires_on: Date, days_before: i64, today: Date) -> ReminderStep {
    if today < remind_on(expires_on, days_before) {
        ReminderStep::Wait
    } else if today <= expires_on {
        ReminderStep::Fire
    } else {
        ReminderStep::Lapsed
    }
}

/// The earliest day one of `expiries` not yet `fired` is due under
/// `rules`: where the reminder sweep looks next. None when all have fired.
pub fn next_reminder_on(
    expiries: &[(ExpiryKind, Date)],
    rules: &[ReminderRule],
    fired: &[(ExpiryKind, Date)],
) -> Option<Date> {
    expiries
        .iter()
        .filter(|e| !fired.contains(e))
        .map(|(k, d)| {
            let days = rules
                .iter()
                .find(|r| r.kind == *k)
                .map_or(k.default_days(), |r| r.days_before);
            remind_on(*d, days)
        })
        .min()
}

/// Who owns an asset: a person of the client, or words (a team, a room).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Owner {
    /// A person, by id (checked by the service to be the client's).
    pub user_id: Option<crate::UserId>,
    /// Free text, when no person is named (or beside one).
    pub text: String,
}

/// The facts of a certificate read from its PEM text.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct CertificateFacts {
    /// The subject's distinguished name.
    pub subject: String,
    /// The issuer's distinguished name.
    pub issuer: String,
    /// Subject alternative names (DNS names and addresses).
    pub sans: Vec<String>,
    /// The last day it is valid (UTC), `YYYY-MM-DD`.
    #[schema(value_type = String)]
    pub not_after: Option<Date>,
}

/// An asset as it may be stored: every rule of this module holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetSpec {
    /// The device rules: name, status and service dates (its class is the
    /// billing class, or `other` for types that are not devices).
    pub base: DeviceSpec,
    /// The type.
    pub asset_type: AssetType,
    /// The owner.
    pub owner: Owner,
    /// Where it is.
    pub location: String,
    /// Its serial number or key.
    pub serial: String,
    /// Who sold it.
    pub vendor: String,
    /// End of its warranty.
    pub warranty_end: Option<Date>,
    /// Renewal date (licences and domains).
    pub renewal_on: Option<Date>,
    /// What its certificate says (certificates only).
    pub certificate: Option<CertificateFacts>,
    /// Notes, free text.
    pub notes: String,
}

/// Optional short text: trimmed, at most `max` characters, no control
/// characters; blank is empty.
fn optional_line(field: &'static str, raw: &str, max: usize) -> Result<String, ValidationError> {
    if raw.trim().is_empty() {
        return Ok(String::new());
    }
    clean_line(field, raw, max)
}

/// The unchecked fields of an asset, as a form or an API body gives them.
#[derive(Clone, Debug, Default)]
pub struct AssetDraft {
    /// Name.
    pub name: String,
    /// Type.
    pub asset_type: Option<AssetType>,
    /// Status (active unless a retirement date is given).
    pub status: Option<DeviceStatus>,
    /// Purchase date.
    pub acquired_on: Option<Date>,
    /// Retirement date.
    pub retired_on: Option<Date>,
    /// Owner.
    pub owner: Owner,
    /// Location.
    pub location: String,
    /// Serial.
    pub serial: String,
    /// Vendor.
    pub vendor: String,
    /// Warranty end.
    pub warranty_end: Option<Date>,
    /// Renewal date.
    pub renewal_on: Option<Date>,
    /// Certificate facts.
    pub certificate: Option<CertificateFacts>,
    /// Notes.
    pub notes: String,
}

impl AssetSpec {
    /// Check an asset's fields together.
    pub fn new(d: AssetDraft) -> Result<Self, ValidationError> {
        let asset_type = d
            .asset_type
            .ok_or_else(|| ValidationError::new("asset_type", "must be given"))?;
        let status = d.status.unwrap_or(if d.retired_on.is_some() {
            DeviceStatus::Retired
        } else {
            DeviceStatus::Active
        });
        let class = asset_type.billing_class().unwrap_or(DeviceClass::Other);
        let base = DeviceSpec::new(&d.name, class, status, d.acquired_on, d.retired_on)?;
        if d.renewal_on.is_some() && asset_type.renewal_kind().is_none() {
            return Err(ValidationError::new(
                "renewal_on",
                "only licences and domains have a renewal date",
            ));
        }
        if d.certificate.is_some() && asset_type != AssetType::TlsCertificate {
            return Err(ValidationError::new(
                "certificate",
                "only TLS certificates have certificate details",
            ));
        }
        let owner_text = optional_line("owner", &d.owner.text, 200)?;
        if d.notes.chars().count() > 10_000 {
            return Err(ValidationError::new(
                "notes",
                "must be at most 10000 characters",
            ));
        }
        Ok(Self {
            base,
            asset_type,
            owner: Owner {
                user_id: d.owner.user_id,
                text: owner_text,
            },
            location: optional_line("location", &d.location, 200)?,
            serial: optional_line("serial", &d.serial, 200)?,
            vendor: optional_line("vendor", &d.vendor, 200)?,
            warranty_end: d.warranty_end,
            renewal_on: d.renewal_on,
            certificate: d.certificate,
            notes: d.notes.trim().to_owned(),
        })
    }

    /// The dates of this asset that run out, by kind. A retired asset has
    /// none: nobody renews what is out of service.
    pub fn expiries(&self) -> Vec<(ExpiryKind, Date)> {
        expiries_of(
            self.asset_type,
            self.base.status(),
            self.warranty_end,
            self.renewal_on,
            self.certificate.as_ref().and_then(|c| c.not_after),
        )
    }

    /// The lower-cased text the list's search looks in: name, serial, vendor.
    pub fn search_text(&self) -> String {
        format!(
            "{}\n{}\n{}",
            name_key(self.base.name()),
            self.serial.to_lowercase(),
            self.vendor.to_lowercase()
        )
    }
}

/// The dates that run out of an asset with these fields.
pub fn expiries_of(
    asset_type: AssetType,
    status: DeviceStatus,
    warranty_end: Option<Date>,
    renewal_on: Option<Date>,
    cert_not_after: Option<Date>,
) -> Vec<(ExpiryKind, Date)> {
    if status == DeviceStatus::Retired {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(w) = warranty_end {
        out.push((ExpiryKind::Warranty, w));
    }
    if let (Some(k), Some(r)) = (asset_type.renewal_kind(), renewal_on) {
        out.push((k, r));
    }
    if let (AssetType::TlsCertificate, Some(c)) = (asset_type, cert_not_after) {
        out.push((ExpiryKind::Certificate, c));
    }
    out
}

/// Check a custom field's value against its kind, and give the form it is
/// stored in: trimmed text, a number as written, a date `YYYY-MM-DD`, a
/// bool `true`/`false`. Blank clears the value (None).
pub fn field_value(
    kind: FieldKind,
    name: &str,
    raw: &str,
) -> Result<Option<String>, ValidationError> {
    let v = raw.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let bad =
        |what: &str| ValidationError::new("custom_fields", format!("{name}: {v:?} is not {what}"));
    match kind {
        FieldKind::Text => {
            if v.chars().count() > 1000 || v.chars().any(char::is_control) {
                return Err(bad("one line of at most 1000 characters"));
            }
            Ok(Some(v.to_owned()))
        }
        FieldKind::Number => match v.parse::<rust_decimal::Decimal>() {
            Ok(n) => Ok(Some(n.normalize().to_string())),
            Err(_) => Err(bad("a number")),
        },
        FieldKind::Date => parse_date("custom_fields", v)
            .map_err(|_| bad("a date like 2026-03-31"))
            .map(|d| d.map(|d| d.to_string())),
        FieldKind::Bool => match v.to_lowercase().as_str() {
            "true" | "yes" | "1" | "on" => Ok(Some("true".into())),
            "false" | "no" | "0" | "off" => Ok(Some("false".into())),
            _ => Err(bad("yes or no")),
        },
    }
}

/// A custom field's name, as the admin writes it.
pub fn field_name(raw: &str) -> Result<String, ValidationError> {
    clean_line("name", raw, 100)
}

/// The asset fields a CSV column may be mapped to, in export order.
pub const IMPORT_FIELDS: [&str; 13] = [
    "name",
    "asset_type",
    "status",
    "owner",
    "location",
    "serial",
    "vendor",
    "acquired_on",
    "retired_on",
    "warranty_end",
    "renewal_on",
    "cert_not_after",
    "notes",
];

/// How a mapping names a custom field: `custom:<field name>`. Field names
/// are the admins' words, so they get a prefix of their own rather than
/// competing with [`IMPORT_FIELDS`].
const CUSTOM_TARGET: &str = "custom:";

/// The mapping value that sends a column to the custom field `name`.
pub fn custom_target(name: &str) -> String {
    format!("{CUSTOM_TARGET}{name}")
}

/// The custom field name a mapping value names, if it is `custom:<name>`.
pub fn custom_field_of(target: &str) -> Option<&str> {
    target
        .strip_prefix(CUSTOM_TARGET)
        .map(str::trim)
        .filter(|n| !n.is_empty())
}

/// A non-blank cell of a column mapped to a custom field, unchecked: the
/// field's kind and type belong to the client, so the service checks it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomCell {
    /// The file's header of the column (where a problem is reported).
    pub header: String,
    /// The custom field's name as the mapping gives it.
    pub field: String,
    /// The cell, trimmed.
    pub value: String,
}

/// One asset read from an import file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetImportRow {
    /// Its row in the file (the header is row 1).
    pub row: usize,
    /// The asset.
    pub spec: AssetSpec,
    /// Its custom values; a blank cell is left out, as it says nothing.
    pub custom: Vec<CustomCell>,
}

/// What reading an import file gave: the valid rows and every problem.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssetImport {
    /// The rows that satisfy every rule.
    pub rows: Vec<AssetImportRow>,
    /// Every problem, in file order (row, field, reason).
    pub problems: Vec<RowProblem>,
    /// The headers of the file, in order (for the mapping step).
    pub headers: Vec<String>,
}

/// The most asset rows one import may carry.
pub const IMPORT_MAX_ROWS: usize = 5_000;

/// The built-in field a header names, if any.
fn built_in_field(header: &str) -> Option<&'static str> {
    let l = loose(header);
    let f = match l.as_str() {
        "type" | "class" | "kind" => "asset_type",
        "purchase_date" | "purchased_on" | "purchased" => "acquired_on",
        "warranty" | "warranty_until" => "warranty_end",
        "renewal" | "renews_on" | "renewal_date" => "renewal_on",
        "not_after" | "expires" | "expiry" => "cert_not_after",
        "serial_number" => "serial",
        "manufacturer" => "vendor",
        other => IMPORT_FIELDS.iter().find(|f| **f == other)?,
    };
    Some(f)
}

/// The mapping of a file's headers to asset fields that the headers
/// themselves suggest: a header that names a field (in any case, with
/// spaces for underscores) maps to it; else a header that is the name of
/// one of `custom_fields` (in any case) maps to that custom field, so an
/// export reads back without a mapping.
pub fn suggested_mapping(headers: &[String], custom_fields: &[String]) -> HashMap<String, String> {
    headers
        .iter()
        .filter_map(|h| {
            let to = match built_in_field(h) {
                Some(f) => f.to_owned(),
                None => custom_target(custom_fields.iter().find(|c| name_key(c) == name_key(h))?),
            };
            Some((h.clone(), to))
        })
        .collect()
}

/// Read an import file with `mapping` (file header -> asset field or
/// `custom:<field name>`; headers not in it are ignored). `name` and
/// `asset_type` must be mapped. Every row is checked and every problem
/// listed with its row, field and reason; custom cells come back unchecked
/// for the caller, who knows the client's fields and decides what to
/// store. Blank rows are skipped.
pub fn read_asset_import(
    text: &str,
    mapping: &HashMap<String, String>,
) -> Result<AssetImport, ValidationError> {
    let records = csv::records(text)
        .map_err(|e| ValidationError::new("file", format!("row {}: {}", e.row, e.message)))?;
    let mut records = records.into_iter().skip_while(csv::Record::is_blank);
    let Some(header) = records.next() else {
        return Err(ValidationError::new(
            "file",
            "is empty; the first row names the columns",
        ));
    };
    let headers: Vec<String> = header.fields.iter().map(|h| h.trim().to_owned()).collect();
    let mut at: HashMap<&str, usize> = HashMap::new();
    // Column, field name; one column per field, names compared without case.
    let mut custom_at: Vec<(usize, &str)> = Vec::new();
    let column = |from: &str| {
        headers.iter().position(|h| h == from).ok_or_else(|| {
            ValidationError::new("mapping", format!("the file has no column {from:?}"))
        })
    };
    for (from, to) in mapping {
        if to.is_empty() {
            continue;
        }
        let taken = if let Some(field) = IMPORT_FIELDS.iter().find(|f| **f == to.as_str()) {
            at.insert(field, column(from)?).is_some()
        } else if let Some(name) = custom_field_of(to) {
            let taken = custom_at.iter().any(|(_, n)| name_key(n) == name_key(name));
            custom_at.push((column(from)?, name));
            taken
        } else {
            return Err(ValidationError::new(
                "mapping",
                format!(
                    "{to:?} is not an asset field; use one of {}, or {CUSTOM_TARGET}<field name>",
                    IMPORT_FIELDS.join(", ")
                ),
            ));
        };
        if taken {
            return Err(ValidationError::new(
                "mapping",
                format!("two columns are mapped to {to}"),
            ));
        }
    }
    // The mapping has no order and the file has: a row's problems then
    // read left to right.
    custom_at.sort_unstable();
    for required in ["name", "asset_type"] {
        if !at.contains_key(required) {
            return Err(ValidationError::new(
                "mapping",
                format!("map a column to {required}"),
            ));
        }
    }
    let rows: Vec<csv::Record> = records.filter(|r| !r.is_blank()).collect();
    if rows.len() > IMPORT_MAX_ROWS {
        return Err(ValidationError::new(
            "file",
            format!(
                "has {} rows; one import takes at most {IMPORT_MAX_ROWS}: split the file",
                rows.len()
            ),
        ));
    }
    let mut out = AssetImport {
        headers: headers.clone(),
        ..AssetImport::default()
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in rows {
        if r.fields.len() != headers.len() {
            out.problems.push(problem(
                r.row,
                None,
                format!(
                    "has {} fields; the header has {}",
                    r.fields.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        match asset_of(&r, &at) {
            Ok(spec) => {
                let key = name_key(spec.base.name());
                if let Some(first) = seen.get(&key) {
                    out.problems.push(problem(
                        r.row,
                        Some("name"),
                        format!("{:?} is already on row {first}", spec.base.name()),
                    ));
                } else {
                    seen.insert(key, r.row);
                    let custom = custom_at
                        .iter()
                        .filter(|(i, _)| !r.fields[*i].trim().is_empty())
                        .map(|(i, name)| CustomCell {
                            header: headers[*i].clone(),
                            field: (*name).to_owned(),
                            value: r.fields[*i].trim().to_owned(),
                        })
                        .collect();
                    out.rows.push(AssetImportRow {
                        row: r.row,
                        spec,
                        custom,
                    });
                }
            }
            Err(p) => out.problems.extend(p),
        }
    }
    Ok(out)
}

fn problem(row: usize, column: Option<&str>, message: impl Into<String>) -> RowProblem {
    RowProblem {
        row,
        column: column.map(str::to_owned),
        message: message.into(),
    }
}

/// One row as an asset, or every problem of the row.
fn asset_of(r: &csv::Record, at: &HashMap<&str, usize>) -> Result<AssetSpec, Vec<RowProblem>> {
    let cell = |f: &str| at.get(f).map_or("", |i| r.fields[*i].trim());
    let mut problems = Vec::new();
    let mut date = |f: &'static str| match parse_date(f, cell(f)) {
        Ok(d) => d,
        Err(e) => {
            problems.push(problem(r.row, Some(f), e.message));
            None
        }
    };
    let acquired_on = date("acquired_on");
    let retired_on = date("retired_on");
    let warranty_end = date("warranty_end");
    let renewal_on = date("renewal_on");
    let cert_not_after = date("cert_not_after");
    let asset_type = match AssetType::parse_loose(cell("asset_type")) {
        Ok(t) => Some(t),
        Err(_) => {
            problems.push(problem(
                r.row,
                Some("asset_type"),
                format!(
                    "{:?} is not a type; use one of: {}",
                    cell("asset_type"),
                    AssetType::ALL
                        .iter()
                        .map(|t| t.label())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            None
        }
    };
    let status = if cell("status").is_empty() {
        None
    } else {
        match DeviceStatus::parse_loose(cell("status")) {
            Ok(s) => Some(s),
            Err(_) => {
                problems.push(problem(
                    r.row,
                    Some("status"),
                    format!(
                        "{:?} is not a status; use Active or Retired",
                        cell("status")
                    ),
                ));
                None
            }
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    AssetSpec::new(AssetDraft {
        name: cell("name").to_owned(),
        asset_type,
        status,
        acquired_on,
        retired_on,
        owner: Owner {
            user_id: None,
            text: cell("owner").to_owned(),
        },
        location: cell("location").to_owned(),
        serial: cell("serial").to_owned(),
        vendor: cell("vendor").to_owned(),
        warranty_end,
        renewal_on,
        certificate: cert_not_after.map(|d| CertificateFacts {
            not_after: Some(d),
            ..CertificateFacts::default()
        }),
        notes: cell("notes").to_owned(),
    })
    .map_err(|e| vec![problem(r.row, Some(e.field), e.message)])
}

/// One CSV field as written: quoted when it holds a comma, a quote or a
/// line break, and with a leading `'` when a spreadsheet would read it as
/// a formula.
pub fn csv_field(raw: &str) -> String {
    let safe = if raw.starts_with(['=', '+', '-', '@']) && raw.parse::<f64>().is_err() {
        format!("'{raw}")
    } else {
        raw.to_owned()
    };
    if safe.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", safe.replace('"', "\"\""))
    } else {
        safe
    }
}

/// One CSV line (CRLF-terminated) of `fields`.
pub fn csv_line<S: AsRef<str>>(fields: &[S]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Date {
        s.parse().expect("a date")
    }

    fn draft(name: &str, t: AssetType) -> AssetDraft {
        AssetDraft {
            name: name.into(),
            asset_type: Some(t),
            ..AssetDraft::default()
        }
    }

    #[test]
    fn billing_counts_hardware_only_printers_as_other() {
        assert_eq!(AssetType::Printer.billing_class(), Some(DeviceClass::Other));
        assert_eq!(AssetType::Domain.billing_class(), None);
        assert_eq!(AssetType::TlsCertificate.billing_class(), None);
        for c in DeviceClass::ALL {
            let t: AssetType = c.as_str().parse().expect("a device class is a type");
            assert_eq!(t.billing_class(), Some(*c));
        }
    }

    #[test]
    fn renewal_and_certificate_dates_belong_to_their_types() {
        let mut d = draft("Office 365", AssetType::Workstation);
        d.renewal_on = Some(day("2027-01-01"));
        assert_eq!(AssetSpec::new(d).map_err(|e| e.field), Err("renewal_on"));
        let mut d = draft("example.com", AssetType::Domain);
        d.renewal_on = Some(day("2027-01-01"));
        d.warranty_end = Some(day("2026-12-01"));
        let s = AssetSpec::new(d).expect("valid");
        assert_eq!(
            s.expiries(),
            vec![
                (ExpiryKind::Warranty, day("2026-12-01")),
                (ExpiryKind::DomainRenewal, day("2027-01-01"))
            ]
        );
    }

    #[test]
    fn a_reminder_fires_from_its_day_to_the_expiry_then_lapses() {
        let exp = day("2026-03-31");
        assert_eq!(
            reminder_step(exp, 30, day("2026-02-28")),
            ReminderStep::Wait
        );
        assert_eq!(
            reminder_step(exp, 30, day("2026-03-01")),
            ReminderStep::Fire
        );
        assert_eq!(
            reminder_step(exp, 30, day("2026-03-31")),
            ReminderStep::Fire
        );
        assert_eq!(
            reminder_step(exp, 30, day("2026-04-01")),
            ReminderStep::Lapsed
        );
        let rules = rules_with_defaults(&[]);
        let e = [
            (ExpiryKind::Certificate, exp),
            (ExpiryKind::Warranty, day("2026-04-30")),
        ];
        assert_eq!(next_reminder_on(&e, &rules, &[]), Some(day("2026-03-01")));
        assert_eq!(
            next_reminder_on(&e, &rules, &[(ExpiryKind::Warranty, day("2026-04-30"))]),
            Some(day("2026-03-01"))
        );
        assert_eq!(next_reminder_on(&e, &rules, &e), None);
    }

    #[test]
    fn custom_values_are_checked_against_their_kind() {
        assert_eq!(
            field_value(FieldKind::Number, "RAM", " 16.50 "),
            Ok(Some("16.5".into()))
        );
        assert!(field_value(FieldKind::Number, "RAM", "lots").is_err());
        assert_eq!(
            field_value(FieldKind::Bool, "Encrypted", "Yes"),
            Ok(Some("true".into()))
        );
        assert!(field_value(FieldKind::Date, "Lease", "31/12/2026").is_err());
        assert_eq!(field_value(FieldKind::Text, "Room", "  "), Ok(None));
    }

    #[test]
    fn an_import_lists_every_bad_row_with_field_and_reason() {
        let text = "Asset,Kind,Serial No,Warranty\n\
                    PC-1,Workstation,S1,2027-01-01\n\
                    PC-2,toaster,S2,\n\
                    PC-3,Server,S3,someday\n\
                    pc-1,Server,S4,\n";
        let mapping: HashMap<String, String> = [
            ("Asset", "name"),
            ("Kind", "asset_type"),
            ("Serial No", "serial"),
            ("Warranty", "warranty_end"),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        let read = read_asset_import(text, &mapping).expect("readable");
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].spec.serial, "S1");
        let got: Vec<(usize, Option<&str>)> = read
            .problems
            .iter()
            .map(|p| (p.row, p.column.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, Some("asset_type")),
                (4, Some("warranty_end")),
                (5, Some("name"))
            ]
        );
        let unmapped: HashMap<String, String> = HashMap::new();
        assert_eq!(
            read_asset_import(text, &unmapped).map_err(|e| e.field),
            Err("mapping")
        );
    }

    #[test]
    fn custom_columns_map_by_name_after_the_built_in_fields() {
        let headers: Vec<String> = ["Name", "Type", "ram gb", "Vendor", "Colour"]
            .map(str::to_owned)
            .to_vec();
        let custom = ["RAM GB".to_owned(), "Vendor".to_owned()];
        let m = suggested_mapping(&headers, &custom);
        assert_eq!(m.get("ram gb").map(String::as_str), Some("custom:RAM GB"));
        assert_eq!(m.get("Vendor").map(String::as_str), Some("vendor"));
        assert!(!m.contains_key("Colour"));
        let text = "Name,Type, ram gb ,Vendor,Colour\nPC-1,workstation, 16 ,Dell,red\nPC-2,workstation,,HP,\n";
        let read = read_asset_import(text, &m).expect("readable");
        let cells: Vec<Vec<CustomCell>> = read.rows.into_iter().map(|r| r.custom).collect();
        assert_eq!(
            cells,
            vec![
                vec![CustomCell {
                    header: "ram gb".into(),
                    field: "RAM GB".into(),
                    value: "16".into()
                }],
                vec![]
            ],
            "a blank cell says nothing"
        );
        let mut twice = m.clone();
        twice.insert("Colour".into(), "custom:ram gb".into());
        assert_eq!(
            read_asset_import(text, &twice).map_err(|e| e.field),
            Err("mapping")
        );
        let mut empty = m;
        empty.insert("Colour".into(), "custom: ".into());
        assert_eq!(
            read_asset_import(text, &empty).map_err(|e| e.field),
            Err("mapping")
        );
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_line(&["a,b", "=1+1", "-5"]), "\"a,b\",'=1+1,-5\r\n");
    }
}
