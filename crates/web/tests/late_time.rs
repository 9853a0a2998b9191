//! Time that arrives after its month was drafted, and corrections of time
//! already invoiced: the next run bills them once, and issuing locks
//! exactly what a draft counted.
#![allow(clippy::unwrap_used)]

mod support;

use serde_json::{Value, json};
use support::*;

/// Hourly at $100 from 1 October 2026, to the minute, no tax.
async fn activate(app: &TestApp) {
    let eng = app.engagement_of("alder").await;
    let zero = json!({ "kind": "fixed", "value": 0 });
    app.agreement(
        &eng,
        json!({
            "currency": { "code": "USD", "decimals": 2 }, "starts_on": "2026-10-01", "ends_on": null,
            "invoice_day": 1, "payment_days": 14, "tax_bps": null,
            "pricing": { "hourly": { "default_rate": 10000, "rates": [] },
                         "rounding": { "increment_minutes": 1, "minimum_minutes": 0, "after_hours_bps": 10000 } },
            "credits": { "p1": zero, "p2": zero, "p3": zero, "p4": zero }, "credit_cap": null
        }),
        true,
        Some(PRIYA),
    )
    .await;
}

struct Desk<'a> {
    app: &'a TestApp,
    ticket: String,
    mara: String,
    dev: String,
}

impl Desk<'_> {
    /// Log `minutes` (correcting `corrects`); the entry's id.
    async fn log(&self, minutes: i64, at: &str, corrects: Option<&str>) -> String {
        let (s, e) = self
            .app
            .api(
                "POST",
                &format!("/api/v1/tickets/{}/time", self.ticket),
                Some(&self.dev),
                Some(json!({ "minutes": minutes, "category": "network", "started_at": at, "corrects": corrects })),
            )
            .await;
        assert_eq!(s, 201, "{e}");
        e["id"].as_str().unwrap().to_owned()
    }

    /// The month's draft.
    async fn run(&self, period: &str) -> Value {
        let (s, out) = self
            .app
            .api(
                "POST",
                "/api/v1/invoices/run",
                Some(&self.mara),
                Some(json!({ "period": period })),
            )
            .await;
        assert_eq!(s, 200, "{out}");
        let id = out["created"][0].as_str().unwrap();
        self.app
            .api(
                "GET",
                &format!("/api/v1/invoices/{id}"),
                Some(&self.mara),
                None,
            )
            .await
            .1
    }

    async fn issue(&self, inv: &Value) {
        let (s, v) = self
            .app
            .api_with(
                "POST",
                &format!("/api/v1/invoices/{}/issue", inv["id"].as_str().unwrap()),
                Some(&self.mara),
                None,
                &[("if-match", &inv["version"].to_string())],
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }

    /// Each entry's invoice, by entry id.
    async fn invoiced(&self) -> Vec<(String, Option<String>)> {
        let (_, t) = self
            .app
            .api(
                "GET",
                &format!("/api/v1/tickets/{}/time", self.ticket),
                Some(&self.dev),
                None,
            )
            .await;
        t["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["id"].as_str().unwrap().to_owned(),
                    e["invoice_id"].as_str().map(str::to_owned),
                )
            })
            .collect()
    }
}

fn invoice_of(all: &[(String, Option<String>)], entry: &str) -> Option<String> {
    all.iter().find(|(id, _)| id == entry).unwrap().1.clone()
}

#[tokio::test]
async fn late_time_and_corrections_of_invoiced_time_are_billed_once_on_the_next_invoice() {
    let app = TestApp::demo().await;
    activate(&app).await;
    let (s, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&app.token(PRIYA).await),
            Some(json!({ "client_id": app.org("alder"), "title": "Printer queue", "category": "network", "impact": "low", "urgency": "low" })),
        )
        .await;
    assert_eq!(s, 201, "{t}");
    let desk = Desk {
        app: &app,
        ticket: t["id"].as_str().unwrap().to_owned(),
        mara: app.token(MARA).await,
        dev: app.token(DEV).await,
    };

    // October: 1 h, drafted ($100.00).
    let first = desk.log(60, "2026-10-10T15:00:00Z", None).await;
    let october = desk.run("2026-10").await;
    assert_eq!(october["total"], 10_000);

    // After the draft: 30 more minutes on the October entry, and a late
    // October entry of 45 minutes. Issuing October locks the hour it
    // counted, not the correction it never saw.
    let added = desk.log(30, "2026-10-10T16:00:00Z", Some(&first)).await;
    let late = desk.log(45, "2026-10-20T15:00:00Z", None).await;
    desk.issue(&october).await;
    let all = desk.invoiced().await;
    assert_eq!(invoice_of(&all, &first).as_deref(), october["id"].as_str());
    assert_eq!(invoice_of(&all, &added), None);
    assert_eq!(invoice_of(&all, &late), None);

    // Once October is invoiced, 15 minutes are taken off the first entry.
    let taken = desk.log(-15, "2026-10-10T17:00:00Z", Some(&first)).await;

    // November: 2 h of its own, plus the 30 + 45 late minutes: 3 h 15 min
    // at $100 = $325.00. The 15 minutes taken away cannot be priced here:
    // the draft says so for the provider's admin to credit.
    desk.log(120, "2026-11-05T15:00:00Z", None).await;
    let november = desk.run("2026-11").await;
    assert_eq!(november["total"], 32_500, "{november}");
    let warnings = november["warnings"].to_string();
    assert!(warnings.contains("A correction of -15 min"), "{november}");
    desk.issue(&november).await;
    let all = desk.invoiced().await;
    for entry in [&added, &late, &taken] {
        assert_eq!(
            invoice_of(&all, entry).as_deref(),
            november["id"].as_str(),
            "{entry}"
        );
    }
    assert!(all.iter().all(|(_, inv)| inv.is_some()), "{all:?}");

    // December bills none of it again.
    desk.log(30, "2026-12-02T15:00:00Z", None).await;
    let december = desk.run("2026-12").await;
    assert_eq!(december["total"], 5_000, "{december}");
}

#[tokio::test]
async fn time_on_a_draft_is_left_to_that_draft_when_another_month_runs() {
    let app = TestApp::demo().await;
    activate(&app).await;
    let (_, t) = app
        .api(
            "POST",
            "/api/v1/tickets",
            Some(&app.token(PRIYA).await),
            Some(json!({ "client_id": app.org("alder"), "title": "Badge readers", "category": "network", "impact": "low", "urgency": "low" })),
        )
        .await;
    let desk = Desk {
        app: &app,
        ticket: t["id"].as_str().unwrap().to_owned(),
        mara: app.token(MARA).await,
        dev: app.token(DEV).await,
    };
    desk.log(60, "2026-10-10T15:00:00Z", None).await;
    let october = desk.run("2026-10").await;
    assert_eq!(october["total"], 10_000);
    // October's draft is not issued; November does not take its hour.
    desk.log(30, "2026-11-10T15:00:00Z", None).await;
    let november = desk.run("2026-11").await;
    assert_eq!(november["total"], 5_000, "{november}");
}
