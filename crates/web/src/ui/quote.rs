//! The proposal calculator page: a company profile and up to three
//! proposals as a form (the seed case filled in), the comparison below it.
//! Nothing is stored; a post computes and shows the form again with what
//! was typed.

use super::Nav;
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tandem_domain::ValidationError;
use tandem_domain::money::Currency;
use tandem_domain::quote::{
    Amount, Baseline, BlockOffer, End, Profile, Proposal, QuoteRequest, Table, Workload,
    format_major, format_multiplier, parse_hours, parse_major, parse_multiplier, seed,
};
use tandem_service::ServiceError;
use tandem_service::auth::SessionActor;

/// Proposals on the page.
const PROPOSALS: usize = 3;
/// Blank category rows offered for work the seed does not name.
const BLANK_ROWS: usize = 2;
/// At most this many category rows are read from a post.
const MAX_ROWS: usize = tandem_domain::quote::MAX_CATEGORIES;

/// A proposal's money components: form code and label.
const COMPONENTS: [(&str, &str); 9] = [
    ("user", "Per user a month"),
    ("workstation", "Per workstation a month"),
    ("server", "Per server a month"),
    ("network", "Per network device a month"),
    ("retainer", "Retainer a month"),
    ("hourly", "Hourly rate"),
    ("block_price", "Block of hours: its price a month"),
    ("block_overage", "Block of hours: per hour past it"),
    ("excluded", "Excluded work per hour"),
];

/// One category row as typed.
#[derive(Clone, Debug, Default)]
struct CategoryRow {
    key: String,
    name: String,
    hours: String,
    after: String,
    project: bool,
    /// In scope of each proposal.
    scope: Vec<bool>,
}

/// One proposal as typed.
#[derive(Clone, Debug, Default)]
struct ProposalFields {
    name: String,
    /// Low and high per component, in [`COMPONENTS`] order.
    amounts: Vec<(String, String)>,
    block_hours: String,
    after_hours: String,
}

/// The whole form as typed (strings, so that it shows again as it was).
#[derive(Clone, Debug, Default)]
struct QuoteFields {
    currency: String,
    users: String,
    workstations: String,
    servers: String,
    network_devices: String,
    rows: Vec<CategoryRow>,
    proposals: Vec<ProposalFields>,
    baseline_what: String,
    baseline_low: String,
    baseline_high: String,
}

/// One cell pair of the components matrix.
struct AmountCell {
    proposal: usize,
    low_name: String,
    high_name: String,
    low: String,
    high: String,
}

/// One row of the components matrix.
struct ComponentRow {
    label: &'static str,
    cells: Vec<AmountCell>,
}

#[derive(Template, WebTemplate)]
#[template(path = "quote.html")]
pub(super) struct QuotePage {
    nav: Nav,
    fields: QuoteFields,
    table: Option<Table>,
    error: Option<String>,
}

impl QuotePage {
    fn component_rows(&self) -> Vec<ComponentRow> {
        COMPONENTS
            .iter()
            .enumerate()
            .map(|(c, (code, label))| ComponentRow {
                label,
                cells: self
                    .fields
                    .proposals
                    .iter()
                    .enumerate()
                    .map(|(j, p)| {
                        let (low, high) = p.amounts.get(c).cloned().unwrap_or_default();
                        AmountCell {
                            proposal: j + 1,
                            low_name: format!("p{}_{code}_low", j + 1),
                            high_name: format!("p{}_{code}_high", j + 1),
                            low,
                            high,
                        }
                    })
                    .collect(),
            })
            .collect()
    }

    fn proposal_numbers(&self) -> Vec<usize> {
        (1..=self.fields.proposals.len()).collect()
    }
}

fn amount_text(a: Option<Amount>, currency: &Currency) -> (String, String) {
    match a {
        None => (String::new(), String::new()),
        Some(Amount::One(v)) => (format_major(v, currency), String::new()),
        Some(a) => (
            format_major(a.at(End::Low), currency),
            format_major(a.at(End::High), currency),
        ),
    }
}

impl QuoteFields {
    /// A comparison as a form shows it.
    fn from_request(r: &QuoteRequest) -> Self {
        let currency = Currency::parse(&r.profile.currency).unwrap_or_else(|_| Currency {
            code: "USD".into(),
            decimals: 2,
        });
        let p = &r.profile;
        let mut rows: Vec<CategoryRow> = p
            .work
            .iter()
            .map(|w| CategoryRow {
                key: w.key.clone(),
                name: w.name.clone(),
                hours: w.hours.normalize().to_string(),
                after: w.after_hours.normalize().to_string(),
                project: w.project,
                scope: (0..PROPOSALS)
                    .map(|j| {
                        r.proposals
                            .get(j)
                            .is_some_and(|pr| pr.in_scope.contains(&w.key))
                    })
                    .collect(),
            })
            .collect();
        rows.extend((0..BLANK_ROWS).map(|_| CategoryRow {
            scope: vec![false; PROPOSALS],
            ..CategoryRow::default()
        }));
        let proposals = (0..PROPOSALS)
            .map(|j| match r.proposals.get(j) {
                None => ProposalFields {
                    amounts: vec![Default::default(); COMPONENTS.len()],
                    ..ProposalFields::default()
                },
                Some(pr) => ProposalFields {
                    name: pr.name.clone(),
                    amounts: [
                        pr.per_user,
                        pr.per_workstation,
                        pr.per_server,
                        pr.per_network_device,
                        pr.retainer,
                        pr.hourly,
                        pr.blocks.as_ref().map(|b| b.price),
                        pr.blocks.as_ref().and_then(|b| b.overage_rate),
                        pr.excluded_rate,
                    ]
                    .into_iter()
                    .map(|a| amount_text(a, &currency))
                    .collect(),
                    block_hours: pr
                        .blocks
                        .as_ref()
                        .map(|b| b.hours.to_string())
                        .unwrap_or_default(),
                    after_hours: format_multiplier(pr.after_hours_bps),
                },
            })
            .collect();
        let (baseline_low, baseline_high) = match r.baseline.yearly {
            Amount::One(v) => (format_major(v, &currency), String::new()),
            a => (
                format_major(a.at(End::Low), &currency),
                format_major(a.at(End::High), &currency),
            ),
        };
        Self {
            currency: currency.code.clone(),
            users: p.users.to_string(),
            workstations: p.workstations.to_string(),
            servers: p.servers.to_string(),
            network_devices: p.network_devices.to_string(),
            rows,
            proposals,
            baseline_what: r.baseline.what.clone(),
            baseline_low,
            baseline_high,
        }
    }

    /// The form as posted.
    fn from_form(pairs: Vec<(String, String)>) -> Self {
        let f: HashMap<String, String> = pairs.into_iter().collect();
        let get = |k: &str| f.get(k).cloned().unwrap_or_default();
        let on = |k: &str| f.get(k).is_some_and(|v| !v.is_empty());
        let rows = (0..MAX_ROWS)
            .take_while(|i| f.contains_key(&format!("c{i}_name")))
            .map(|i| CategoryRow {
                key: get(&format!("c{i}_key")),
                name: get(&format!("c{i}_name")),
                hours: get(&format!("c{i}_hours")),
                after: get(&format!("c{i}_after")),
                project: on(&format!("c{i}_project")),
                scope: (1..=PROPOSALS).map(|j| on(&format!("s{j}_{i}"))).collect(),
            })
            .collect();
        let proposals = (1..=PROPOSALS)
            .map(|j| ProposalFields {
                name: get(&format!("p{j}_name")),
                amounts: COMPONENTS
                    .iter()
                    .map(|(code, _)| {
                        (
                            get(&format!("p{j}_{code}_low")),
                            get(&format!("p{j}_{code}_high")),
                        )
                    })
                    .collect(),
                block_hours: get(&format!("p{j}_block_hours")),
                after_hours: get(&format!("p{j}_after_hours")),
            })
            .collect();
        Self {
            currency: get("currency"),
            users: get("users"),
            workstations: get("workstations"),
            servers: get("servers"),
            network_devices: get("network_devices"),
            rows,
            proposals,
            baseline_what: get("baseline_what"),
            baseline_low: get("baseline_low"),
            baseline_high: get("baseline_high"),
        }
    }

    /// The comparison the form asks for.
    fn to_request(&self) -> Result<QuoteRequest, ValidationError> {
        let code = match self.currency.trim() {
            "" => "USD",
            c => c,
        };
        let currency = Currency::parse(code)
            .map_err(|e| ValidationError::new("profile.currency", e.message))?;
        let count = |field: &'static str, raw: &str| -> Result<u32, ValidationError> {
            match raw.trim() {
                "" => Ok(0),
                t => t
                    .parse()
                    .map_err(|_| ValidationError::new(field, "write a whole number")),
            }
        };
        let mut work = Vec::new();
        let mut kept = Vec::new();
        for (i, r) in self.rows.iter().enumerate() {
            if r.name.trim().is_empty() && r.hours.trim().is_empty() {
                continue;
            }
            let key = match r.key.trim() {
                "" => format!("category-{}", i + 1),
                k => k.to_owned(),
            };
            work.push(Workload {
                key: key.clone(),
                name: r.name.trim().to_owned(),
                hours: parse_hours("profile.work.hours", &r.hours)?,
                after_hours: parse_hours("profile.work.after_hours", &r.after)?,
                project: r.project,
            });
            kept.push((key, r));
        }
        let amount = |field: &'static str, (low, high): &(String, String)| {
            let low = match low.trim() {
                "" => None,
                t => Some(parse_major(field, t, &currency)?),
            };
            let high = match high.trim() {
                "" => None,
                t => Some(parse_major(field, t, &currency)?),
            };
            match (low, high) {
                (None, None) => Ok(None),
                (Some(l), None) => Ok(Some(Amount::One(l))),
                (Some(l), Some(h)) if l == h => Ok(Some(Amount::One(l))),
                (Some(low), Some(high)) => Ok(Some(Amount::Range { low, high })),
                (None, Some(_)) => Err(ValidationError::new(
                    field,
                    "give the low end too (or only one figure)",
                )),
            }
        };
        let mut proposals = Vec::new();
        for (j, p) in self.proposals.iter().enumerate() {
            let blank = p.name.trim().is_empty()
                && p.block_hours.trim().is_empty()
                && p.amounts
                    .iter()
                    .all(|(l, h)| l.trim().is_empty() && h.trim().is_empty());
            if blank {
                continue;
            }
            let a = |c: usize, field: &'static str| {
                p.amounts
                    .get(c)
                    .map_or(Ok(None), |pair| amount(field, pair))
            };
            let block_price = a(6, "proposals.blocks.price")?;
            let block_overage = a(7, "proposals.blocks.overage_rate")?;
            let blocks = match (p.block_hours.trim(), block_price) {
                ("", None) => None,
                (h, Some(price)) => Some(BlockOffer {
                    hours: h.parse().map_err(|_| {
                        ValidationError::new(
                            "proposals.blocks.hours",
                            "say how many hours the monthly block has",
                        )
                    })?,
                    price,
                    overage_rate: block_overage,
                }),
                (_, None) => {
                    return Err(ValidationError::new(
                        "proposals.blocks.price",
                        "say what the block of hours costs",
                    ));
                }
            };
            let after_hours_bps = parse_multiplier("proposals.after_hours_bps", &p.after_hours)?;
            proposals.push(Proposal {
                name: match p.name.trim() {
                    "" => format!("Proposal {}", j + 1),
                    n => n.to_owned(),
                },
                per_user: a(0, "proposals.per_user")?,
                minimum_users: 0,
                per_workstation: a(1, "proposals.per_workstation")?,
                per_server: a(2, "proposals.per_server")?,
                per_network_device: a(3, "proposals.per_network_device")?,
                retainer: a(4, "proposals.retainer")?,
                hourly: a(5, "proposals.hourly")?,
                blocks,
                excluded_rate: a(8, "proposals.excluded_rate")?,
                after_hours_bps,
                in_scope: kept
                    .iter()
                    .filter(|(_, r)| r.scope.get(j).copied().unwrap_or(false))
                    .map(|(k, _)| k.clone())
                    .collect(),
            });
        }
        let yearly = amount(
            "baseline.yearly",
            &(self.baseline_low.clone(), self.baseline_high.clone()),
        )?
        .unwrap_or(Baseline::default().yearly);
        Ok(QuoteRequest {
            profile: Profile {
                currency: currency.code.clone(),
                users: count("profile.users", &self.users)?,
                workstations: count("profile.workstations", &self.workstations)?,
                servers: count("profile.servers", &self.servers)?,
                network_devices: count("profile.network_devices", &self.network_devices)?,
                work,
            },
            proposals,
            baseline: Baseline {
                what: match self.baseline_what.trim() {
                    "" => Baseline::default().what,
                    w => w.to_owned(),
                },
                yearly,
            },
        })
    }
}

/// What went wrong, in the page's words rather than the field's code.
fn in_words(e: &ValidationError) -> String {
    let what = match e.field {
        "profile.currency" => "Currency",
        "profile.users" => "Users",
        "profile.workstations" => "Workstations",
        "profile.servers" => "Servers",
        "profile.network_devices" => "Network devices",
        "profile.work" | "profile.work.key" | "profile.work.name" => "Work",
        "profile.work.hours" => "Hours a month",
        "profile.work.after_hours" => "Of which after hours",
        "proposals.per_user" => "Per user a month",
        "proposals.per_workstation" => "Per workstation a month",
        "proposals.per_server" => "Per server a month",
        "proposals.per_network_device" => "Per network device a month",
        "proposals.retainer" => "Retainer a month",
        "proposals.hourly" => "Hourly rate",
        "proposals.blocks.hours" => "Block of hours: hours",
        "proposals.blocks.price" => "Block of hours: its price",
        "proposals.blocks.overage_rate" => "Block of hours: per hour past it",
        "proposals.excluded_rate" => "Excluded work per hour",
        "proposals.after_hours_bps" => "After-hours multiplier",
        "proposals.in_scope" => "In scope",
        "baseline.yearly" => "In-house cost a year",
        _ => "Proposals",
    };
    format!("{what}: {}", e.message)
}

async fn page(
    s: &AppState,
    session: &SessionActor,
    fields: QuoteFields,
) -> Result<Response, PageError> {
    s.tandem.may_compare_proposals(&session.actor)?;
    let compared = fields
        .to_request()
        .map_err(ServiceError::from)
        .and_then(|r| s.tandem.compare_proposals(&session.actor, &r));
    let (table, error) = match compared {
        Ok(c) => (Some(c.table()), None),
        Err(ServiceError::Invalid(e)) => (None, Some(in_words(&e))),
        Err(e) => return Err(e.into()),
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let nav = Nav::load(s, session).await;
    Ok((
        status,
        QuotePage {
            nav,
            fields,
            table,
            error,
        },
    )
        .into_response())
}

/// The calculator with the seed case filled in and compared.
pub(super) async fn get_quote(
    State(s): State<AppState>,
    PageSession(session): PageSession,
) -> Result<Response, PageError> {
    page(&s, &session, QuoteFields::from_request(&seed())).await
}

/// Compare what the form says; the form comes back as it was typed.
pub(super) async fn post_quote(
    State(s): State<AppState>,
    CsrfForm(session, pairs): CsrfForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    page(&s, &session, QuoteFields::from_form(pairs)).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_seed_form_reads_back_as_the_seed() {
        let fields = QuoteFields::from_request(&seed());
        assert_eq!(fields.rows.len(), seed().profile.work.len() + BLANK_ROWS);
        assert_eq!(
            fields.proposals[0].amounts[0],
            ("65.00".into(), "90.00".into())
        );
        assert_eq!(fields.proposals[2].after_hours, "1.5");
        assert_eq!(fields.to_request().unwrap(), seed());
    }
}
