//! Invoices as spreadsheets, for the API and the pages alike: the lines as
//! they are, and the columns of Xero's sales-invoice import; one invoice,
//! or every invoice of a month the reader may see.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tandem_domain::billing;
use tandem_domain::money::Currency;
use tandem_service::invoices::InvoiceView;

/// A CSV field: quoted when it holds a comma, a quote or a line break, and
/// with a leading `'` when a spreadsheet would read it as a formula.
fn field(raw: &str) -> String {
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

fn row(fields: &[&str]) -> String {
    let mut line = fields
        .iter()
        .map(|f| field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

const LINE_COLUMNS: [&str; 7] = [
    "kind",
    "description",
    "quantity",
    "unit_price",
    "amount",
    "currency",
    "time_entries",
];

/// An invoice's lines and its total, as [`LINE_COLUMNS`].
fn line_rows(v: &InvoiceView) -> Vec<[String; 7]> {
    let cur = Currency::or_plain(&v.invoice.currency);
    let mut rows: Vec<[String; 7]> = v
        .lines
        .iter()
        .map(|l| {
            let ids: Vec<String> = serde_json::from_str(&l.work_ids).unwrap_or_default();
            [
                l.kind.clone(),
                l.description.clone(),
                l.quantity.clone(),
                cur.plain(l.unit_price),
                cur.plain(l.amount),
                cur.code.clone(),
                ids.join(" "),
            ]
        })
        .collect();
    rows.push([
        "total".into(),
        String::new(),
        String::new(),
        String::new(),
        cur.plain(v.invoice.total),
        cur.code.clone(),
        String::new(),
    ]);
    rows
}

/// The lines as they are, amounts in the currency's units.
pub fn lines_csv(v: &InvoiceView) -> String {
    let mut out = row(&LINE_COLUMNS);
    for r in line_rows(v) {
        out.push_str(&row(&r.each_ref().map(String::as_str)));
    }
    out
}

/// Every invoice of a month as one sheet: each invoice's lines and total
/// (as [`lines_csv`] has them), each row naming its invoice.
pub fn period_csv(all: &[InvoiceView]) -> String {
    let mut head = vec![
        "invoice", "number", "status", "client", "provider", "period",
    ];
    head.extend(LINE_COLUMNS);
    let mut out = row(&head);
    for v in all {
        let inv = &v.invoice;
        let number = inv
            .number
            .map(|n| format!("INV-{n:05}"))
            .unwrap_or_default();
        for r in line_rows(v) {
            let mut fields = vec![
                inv.id.as_str(),
                &number,
                &inv.status,
                &v.client_name,
                &v.provider_name,
                &inv.period,
            ];
            fields.extend(r.iter().map(String::as_str));
            out.push_str(&row(&fields));
        }
    }
    out
}

const XERO_COLUMNS: [&str; 11] = [
    "*ContactName",
    "*InvoiceNumber",
    "Reference",
    "*InvoiceDate",
    "*DueDate",
    "*Description",
    "*Quantity",
    "*UnitAmount",
    "*AccountCode",
    "*TaxType",
    "Currency",
];

/// Xero's sales-invoice import: one row per line, with the invoice's
/// details repeated. Tax is Xero's to work out from the tax type, so our
/// tax line is left out and the other lines carry the type.
pub fn xero_csv(v: &InvoiceView) -> String {
    let mut out = row(&XERO_COLUMNS);
    xero_rows(v, &mut out);
    out
}

/// Every invoice of a month in Xero's import, but the void ones (nothing
/// is owed on them): Xero makes one invoice of the rows that share a
/// number, and every draft's number is its own.
pub fn xero_period_csv(all: &[InvoiceView]) -> String {
    let mut out = row(&XERO_COLUMNS);
    for v in all.iter().filter(|v| v.invoice.status != "void") {
        xero_rows(v, &mut out);
    }
    out
}

fn xero_rows(v: &InvoiceView, out: &mut String) {
    let cur = Currency::or_plain(&v.invoice.currency);
    let inv = &v.invoice;
    let day = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.to_zoned_datetime(jiff::tz::TimeZone::UTC).date())
            .unwrap_or_default()
    };
    let date = day(inv.issued_at.unwrap_or(inv.created_at));
    let due = date
        .checked_add(jiff::Span::new().days(i64::from(v.payment_days)))
        .unwrap_or(date);
    // A draft's number names the invoice too, so that a month of drafts
    // loads as one invoice each.
    let number = inv.number.map_or_else(
        || {
            let tail = &inv.id[inv.id.len().saturating_sub(8)..];
            format!("DRAFT-{}-{}", inv.period, tail.to_uppercase())
        },
        |n| format!("INV-{n:05}"),
    );
    let taxed = v.lines.iter().any(|l| l.kind == "tax");
    let tax_type = if taxed { "Tax on Sales" } else { "Tax Exempt" };
    for l in v.lines.iter().filter(|l| l.kind != "tax") {
        // Xero multiplies quantity by unit amount: time lines keep their
        // hours and rate while those still make the amount (a dispute's
        // adjustment may have set another), every other line is one of its
        // amount.
        let adds_up = l
            .quantity
            .parse::<rust_decimal::Decimal>()
            .ok()
            .and_then(|q| billing::line_amount(q, l.unit_price))
            == Some(l.amount);
        let (qty, unit) = match l.kind.as_str() {
            "hourly" | "overage" | "excluded_work" if adds_up => {
                (l.quantity.clone(), cur.plain(l.unit_price))
            }
            _ => ("1".to_owned(), cur.plain(l.amount)),
        };
        out.push_str(&row(&[
            &v.client_name,
            &number,
            &format!("{} {}", v.provider_name, inv.period),
            &date.to_string(),
            &due.to_string(),
            &l.description,
            &qty,
            &unit,
            "200",
            tax_type,
            &cur.code,
        ]));
    }
}

pub fn csv_answer(v: &InvoiceView, body: &str, suffix: &str) -> Response {
    let name = format!(
        "invoice-{}{}{suffix}.csv",
        v.invoice.period,
        v.invoice
            .number
            .map(|n| format!("-{n}"))
            .unwrap_or_default()
    );
    csv_file(&name, body)
}

/// A sheet as a download named `name`.
pub fn csv_file(name: &str, body: &str) -> Response {
    let name = format!("attachment; filename=\"{name}\"");
    let mut res = (StatusCode::OK, body.to_owned()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&name) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}
