//! What the alert suites share: the intake endpoints, a source made
//! through the API, and reads of the firing list and of a ticket.

use super::TestApp;
use serde_json::Value;

/// Prometheus Alertmanager's webhook endpoint.
pub const AM: &str = "/api/v1/intake/alertmanager";
/// The generic JSON event endpoint.
pub const EVENTS: &str = "/api/v1/intake/events";

/// A source created as `token` for client `slug`: (id, key).
pub async fn source(app: &TestApp, token: &str, slug: &str, body: Value) -> (String, String) {
    let (s, b) = app
        .api(
            "POST",
            &format!("/api/v1/clients/{}/alert-sources", app.org(slug)),
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let key = b["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("tdi_"));
    (b["source"]["id"].as_str().unwrap().to_owned(), key)
}

/// The client's firing alerts as `token` reads them.
pub async fn firing(app: &TestApp, token: &str, slug: &str) -> Vec<Value> {
    let (s, b) = app
        .api(
            "GET",
            &format!("/api/v1/clients/{}/alerts", app.org(slug)),
            Some(token),
            None,
        )
        .await;
    assert_eq!(s, 200, "{b}");
    b.as_array().unwrap().clone()
}

/// A ticket with its timeline, which `token` must be able to read.
pub async fn ticket(app: &TestApp, token: &str, id: &str) -> Value {
    let (s, b) = app
        .api("GET", &format!("/api/v1/tickets/{id}"), Some(token), None)
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

/// The wall clock in epoch milliseconds.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
