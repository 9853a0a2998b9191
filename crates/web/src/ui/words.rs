//! The one place that turns the store's codes into the words people read.
//! Pages never show a code (`in_house`, `in_progress`, `provider->in_house`,
//! `p2`); every page that shows an enum, now and later, asks here.

use serde_json::Value;
use std::borrow::Cow;
use tandem_service::model::TicketEvent;

/// A code this module does not know yet, made readable rather than shown
/// raw: `waiting_on_parts` reads "Waiting on parts".
fn readable(code: &str) -> Cow<'static, str> {
    let spaced = code.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => Cow::Owned(first.to_uppercase().chain(chars).collect()),
        None => Cow::Borrowed(""),
    }
}

/// A ticket status.
pub fn status(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "new" => "New",
        "open" => "Open",
        "in_progress" => "In progress",
        "waiting_on_customer" => "Waiting on the requester",
        "waiting_on_vendor" => "Waiting on a vendor",
        "on_hold" => "On hold",
        "resolved" => "Resolved",
        "closed" => "Closed",
        other => return readable(other),
    })
}

/// The side of the split that owns a ticket.
pub fn owner_side(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "in_house" => "In-house",
        "provider" => "Provider",
        "shared" => "Shared",
        other => return readable(other),
    })
}

/// The same in the middle of a sentence.
fn owner_side_lower(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "in_house" => "in-house",
        "provider" => "provider",
        "shared" => "shared",
        other => return Cow::Owned(readable(other).to_lowercase()),
    })
}

/// A hand-off's direction: "Provider → in-house".
pub fn hand_off(from: &str, to: &str) -> String {
    format!("{} → {}", owner_side(from), owner_side_lower(to))
}

/// The side a person or an organization is on.
pub fn side(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "provider" => "Provider",
        "client" => "Client",
        other => return readable(other),
    })
}

/// A priority: "P2".
pub fn priority(code: &str) -> String {
    code.to_uppercase()
}

/// An impact or an urgency.
pub fn level(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "high" => "High",
        "medium" => "Medium",
        "low" => "Low",
        other => return readable(other),
    })
}

/// How a ticket came in.
pub fn source(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "web" => "Opened on the web",
        "api" => "Opened through the API",
        "email" => "Opened by e-mail",
        "alert" => "Opened by a monitoring alert",
        other => return Cow::Owned(format!("Opened ({})", readable(other))),
    })
}

/// What kind of timeline entry this is.
pub fn event_kind(kind: &str, visibility: &str) -> Cow<'static, str> {
    Cow::Borrowed(match (kind, visibility) {
        ("comment", "team") => "Team note",
        ("comment", _) => "Reply",
        ("created", _) => "Opened",
        ("status", _) => "Status",
        ("field", _) => "Change",
        ("handoff", _) => "Hand-off",
        ("sla", _) => "SLA",
        ("attachment", _) => "File",
        (other, _) => return readable(other),
    })
}

/// A class of device in the inventory.
pub fn device_class(code: &str) -> Cow<'static, str> {
    match code.parse::<tandem_domain::device::DeviceClass>() {
        Ok(c) => Cow::Borrowed(c.label()),
        Err(_) => readable(code),
    }
}

/// A class of device as a heading over a count: "Network devices".
pub fn device_class_plural(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "workstation" => "Workstations",
        "server" => "Servers",
        "network_device" => "Network devices",
        "other" => "Other devices",
        other => return readable(other),
    })
}

/// Whether a device is still in use.
pub fn device_status(code: &str) -> Cow<'static, str> {
    match code.parse::<tandem_domain::device::DeviceStatus>() {
        Ok(s) => Cow::Borrowed(s.label()),
        Err(_) => readable(code),
    }
}

/// An SLA clock by its code.
pub fn clock(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "response" => "First response",
        "resolution" => "Resolution",
        other => return readable(other),
    })
}

/// A timeline entry's text. Entries that record a change of a coded
/// field are told from their data; people's words are shown as written.
pub fn event_text(e: &TicketEvent) -> String {
    let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
    let field = |k: &str| data.get(k).and_then(Value::as_str);
    match e.kind.as_str() {
        "created" => e
            .body
            .strip_prefix("Opened via ")
            .map_or_else(|| e.body.clone(), |code| source(code).into_owned()),
        "status" => match (field("from"), field("to")) {
            (Some(from), Some(to)) => format!("Status: {} → {}", status(from), status(to)),
            _ => e.body.clone(),
        },
        "handoff" => match (field("from"), field("to")) {
            (Some(from), Some(to)) => {
                let reason = field("reason").unwrap_or("").trim();
                if reason.is_empty() {
                    format!("Handed off: {}", hand_off(from, to))
                } else {
                    format!("Handed off: {}. Reason: {reason}", hand_off(from, to))
                }
            }
            _ => e.body.clone(),
        },
        "sla" => match (field("clock"), field("event")) {
            (Some(c), Some("warning")) => format!("{} deadline is near", clock(c)),
            (Some(c), Some("breach")) => format!("{} target missed", clock(c)),
            _ => match data.get("priority") {
                Some(p) => match (
                    p.get("from").and_then(Value::as_str),
                    p.get("to").and_then(Value::as_str),
                ) {
                    (Some(from), Some(to)) => format!(
                        "Priority {} → {}; deadlines recomputed with the time already used",
                        priority(from),
                        priority(to)
                    ),
                    _ => e.body.clone(),
                },
                None => e.body.clone(),
            },
        },
        _ => e.body.clone(),
    }
}

/// Where an agreement stands.
pub fn agreement_status(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "draft" => "Draft",
        "proposed" => "Proposed, awaiting the client",
        "active" => "Active",
        "rejected" => "Rejected",
        "ended" => "Ended",
        other => return readable(other),
    })
}

/// Where an invoice stands.
pub fn invoice_status(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "draft" => "Draft",
        "issued" => "Issued",
        "void" => "Void",
        other => return readable(other),
    })
}

/// Where a block of hours stands today.
pub fn block_state(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "active" => "In use",
        "used_up" => "Used up",
        "expired" => "Expired",
        "not_yet_valid" => "Not yet valid",
        other => return readable(other),
    })
}

/// What an invoice line charges for.
pub fn line_kind(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "users" => "Users",
        "devices" => "Devices",
        "retainer" => "Retainer",
        "block_purchase" => "Block bought",
        "block_draw" => "Block used",
        "hourly" => "Hourly work",
        "overage" => "Overage",
        "excluded_work" => "Excluded work",
        "unpriced" => "Not priced",
        "sla_credit" => "SLA credit",
        "credit_cap" => "Credit cap",
        "manual" => "Added by hand",
        "tax" => "Tax",
        other => return readable(other),
    })
}

/// What was done by hand to a line of a draft invoice.
pub fn line_edit(code: &str) -> Cow<'static, str> {
    Cow::Borrowed(match code {
        "changed" => "Changed",
        "added" => "Added",
        "removed" => "Removed",
        other => return readable(other),
    })
}

/// A change of the responsibility split (as the split's history stores
/// it), in words; `name_of` gives a person's name by id.
pub fn split_change(change: &str, name_of: impl Fn(&str) -> String) -> String {
    let data: Value = serde_json::from_str(change).unwrap_or(Value::Null);
    let Some(fields) = data.as_object() else {
        return change.to_owned();
    };
    if let Some(name) = fields.get("added").and_then(Value::as_str) {
        return format!("Category added: {name}");
    }
    // In the matrix's column order, whatever order the JSON kept.
    const ORDER: [&str; 5] = [
        "business_hours",
        "after_hours",
        "provider_assignee",
        "in_house_assignee",
        "in_scope",
    ];
    let mut keys: Vec<&String> = fields.keys().collect();
    keys.sort_by_key(|k| ORDER.iter().position(|o| o == k).unwrap_or(ORDER.len()));
    let mut parts = Vec::new();
    for key in keys {
        let step = &fields[key];
        let end = |k: &str| step.get(k).and_then(Value::as_str);
        let (from, to) = (end("from"), end("to"));
        let (what, from, to): (Cow<'static, str>, String, String) = match key.as_str() {
            "business_hours" | "after_hours" => (
                Cow::Borrowed(if key == "business_hours" {
                    "Business hours"
                } else {
                    "After hours"
                }),
                from.map_or_else(|| "nobody".into(), |c| owner_side(c).into_owned()),
                to.map_or_else(|| "nobody".into(), |c| owner_side(c).into_owned()),
            ),
            "provider_assignee" | "in_house_assignee" => (
                Cow::Borrowed(if key == "provider_assignee" {
                    "Provider picks up"
                } else {
                    "In-house picks up"
                }),
                from.map_or_else(|| "nobody".into(), &name_of),
                to.map_or_else(|| "nobody".into(), &name_of),
            ),
            "in_scope" => {
                let yes_no = |v: Option<&str>| match v {
                    Some("true") => "in scope".to_owned(),
                    Some("false") => "excluded".to_owned(),
                    _ => "not set".to_owned(),
                };
                (Cow::Borrowed("Scope"), yes_no(from), yes_no(to))
            }
            other => (
                readable(other),
                from.unwrap_or("not set").to_owned(),
                to.unwrap_or("not set").to_owned(),
            ),
        };
        parts.push(format!("{what}: {from} → {to}"));
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_domain::ticket::{OwnerSide, TicketStatus};

    fn event(kind: &str, body: &str, data: &str) -> TicketEvent {
        TicketEvent {
            id: 1,
            ticket_id: String::new(),
            client_id: String::new(),
            at: 0,
            actor_user_id: None,
            actor_label: String::new(),
            actor_name: None,
            actor_side: None,
            kind: kind.into(),
            visibility: "team".into(),
            body: body.into(),
            data: data.into(),
        }
    }

    /// No code of a known enum is shown as it is stored.
    #[test]
    fn every_status_and_side_has_words() {
        for s in TicketStatus::ALL {
            let words = status(s.as_str());
            assert!(!words.contains('_'), "{words}");
            assert_ne!(words, s.as_str(), "status {s:?} has no words");
        }
        for side in OwnerSide::ALL {
            assert_ne!(owner_side(side.as_str()), side.as_str());
        }
        assert_eq!(status("in_progress"), "In progress");
        assert_eq!(owner_side("in_house"), "In-house");
        assert_eq!(hand_off("provider", "in_house"), "Provider → in-house");
        assert_eq!(priority("p2"), "P2");
        assert_eq!(source("api"), "Opened through the API");
        assert_eq!(status("waiting_on_parts"), "Waiting on parts");
    }

    #[test]
    fn split_changes_are_told_in_words() {
        let names = |id: &str| {
            if id == "u1" {
                "Dev Ramanathan".to_owned()
            } else {
                "someone".to_owned()
            }
        };
        assert_eq!(
            split_change(
                r#"{"after_hours":{"from":"provider","to":"in_house"},"provider_assignee":{"from":null,"to":"u1"},"in_scope":{"from":"true","to":"false"}}"#,
                names
            ),
            "After hours: Provider → In-house; Provider picks up: nobody → Dev Ramanathan; Scope: in scope → excluded"
        );
        assert_eq!(
            split_change(r#"{"added":"Printers"}"#, names),
            "Category added: Printers"
        );
    }

    #[test]
    fn coded_entries_are_told_in_words() {
        let handoff = event(
            "handoff",
            "provider->in_house",
            r#"{"from":"provider","to":"in_house","reason":"Desk phones are ours"}"#,
        );
        assert_eq!(
            event_text(&handoff),
            "Handed off: Provider → in-house. Reason: Desk phones are ours"
        );
        let status = event(
            "status",
            "Status: in_progress → waiting_on_vendor",
            r#"{"from":"in_progress","to":"waiting_on_vendor"}"#,
        );
        assert_eq!(
            event_text(&status),
            "Status: In progress → Waiting on a vendor"
        );
        assert_eq!(
            event_text(&event("created", "Opened via api", "{}")),
            "Opened through the API"
        );
        let sla = event(
            "sla",
            "SLA breach: resolution target of #4 x",
            r#"{"clock":"resolution","event":"breach"}"#,
        );
        assert_eq!(event_text(&sla), "Resolution target missed");
        // People's words stay theirs, even when they look like a code.
        let comment = event("comment", "set it to in_house please", "{}");
        assert_eq!(event_text(&comment), "set it to in_house please");
    }

    #[test]
    fn every_device_class_and_status_reads_as_words() {
        use tandem_domain::device::{DeviceClass, DeviceStatus};
        for c in DeviceClass::ALL {
            for w in [device_class(c.as_str()), device_class_plural(c.as_str())] {
                assert!(!w.contains('_') && w != c.as_str(), "{c}: {w}");
            }
        }
        assert_eq!(device_class("network_device"), "Network device");
        assert_eq!(device_class_plural("network_device"), "Network devices");
        for st in DeviceStatus::ALL {
            assert_ne!(device_status(st.as_str()), st.as_str());
        }
    }
}
