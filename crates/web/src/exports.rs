//! Invoices as spreadsheets, for the API and the pages alike: the lines as
//! they are, and the columns of Xero's sales-invoice import.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
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

/// The lines as they are, amounts in the currency's units.
pub fn lines_csv(v: &InvoiceView) -> String {
    let cur = Currency::or_plain(&v.invoice.currency);
    let mut out = row(&[
        "kind",
        "description",
        "quantity",
        "unit_price",
        "amount",
        "currency",
        "time_entries",
    ]);
    for l in &v.lines {
        let ids: Vec<String> = serde_json::from_str(&l.work_ids).unwrap_or_default();
        out.push_str(&row(&[
            &l.kind,
            &l.description,
            &l.quantity,
            &cur.plain(l.unit_price),
            &cur.plain(l.amount),
            &cur.code,
            &ids.join(" "),
        ]));
    }
    out.push_str(&row(&[
        "total",
        "",
        "",
        "",
        &cur.plain(v.invoice.total),
        &cur.code,
        "",
    ]));
    out
}

/// Xero's sales-invoice import: one row per line, with the invoice's
/// details repeated. Tax is Xero's to work out from the tax type, so our
/// tax line is left out and the other lines carry the type.
pub fn xero_csv(v: &InvoiceView) -> String {
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
    let number = inv.number.map_or_else(
        || format!("DRAFT-{}", inv.period),
        |n| format!("INV-{n:05}"),
    );
    let taxed = v.lines.iter().any(|l| l.kind == "tax");
    let tax_type = if taxed { "Tax on Sales" } else { "Tax Exempt" };
    let mut out = row(&[
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
    ]);
    for l in v.lines.iter().filter(|l| l.kind != "tax") {
        // Xero multiplies quantity by unit amount: time lines keep their
        // hours and rate, every other line is one of its amount.
        let (qty, unit) = match l.kind.as_str() {
            "hourly" | "overage" | "excluded_work" => (l.quantity.clone(), cur.plain(l.unit_price)),
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
    out
}

pub fn csv_answer(v: &InvoiceView, body: &str, suffix: &str) -> Response {
    let name = format!(
        "attachment; filename=\"invoice-{}{}{suffix}.csv\"",
        v.invoice.period,
        v.invoice
            .number
            .map(|n| format!("-{n}"))
            .unwrap_or_default()
    );
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
