//! The agreements page: what the engagement covers, in words both sides
//! read; the proposal waiting for the client's admin; the provider admin's
//! drafts with what stops them from taking effect; and the history.

use super::{Nav, words};
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use tandem_domain::billing::{
    BlockTerms, Credit, Hourly, PerDevice, PerUser, Pricing, Terms, TimeRounding, TopUp,
    UserCounting,
};
use tandem_domain::device::DeviceClass;
use tandem_domain::money::Currency;
use tandem_domain::policy::{self, AgreementAction};
use tandem_domain::ticket::Priority;
use tandem_domain::{EngagementId, Role, ValidationError};
use tandem_service::agreements::AgreementView;
use tandem_service::auth::SessionActor;
use tandem_service::{RequestMeta, ServiceError};

/// An agreement as the page shows it.
pub(super) struct Shown {
    id: String,
    status: Cow<'static, str>,
    version: i64,
    /// The terms, line by line.
    lines: Vec<(&'static str, String)>,
    problems: Vec<String>,
    reject_reason: Option<String>,
    created_at: i64,
    decided_at: Option<i64>,
    /// Whether it has blocks of hours (and so a ledger).
    blocks: bool,
}

fn percent(bps: u32) -> String {
    format!("{}%", Decimal::from(bps) / Decimal::from(100))
}

fn credit_words(c: &Credit, cur: &Currency) -> String {
    match c {
        Credit::Fixed(a) => cur.format(*a),
        Credit::ShareOfBase(bps) => format!("{} of the month's base", percent(*bps)),
    }
}

fn hours(minutes: u32) -> String {
    format!("{} h", Decimal::from(minutes) / Decimal::from(60))
}

/// The terms in words, one line per thing an agreement says.
pub(super) fn describe(t: &Terms) -> Vec<(&'static str, String)> {
    let cur = &t.currency;
    let p = &t.pricing;
    let mut out = vec![(
        "Runs",
        match t.ends_on {
            Some(end) => format!("{} to {end}", t.starts_on),
            None => format!("from {}, until replaced", t.starts_on),
        },
    )];
    out.push((
        "Invoicing",
        format!(
            "monthly on day {}, payable within {} days{}",
            t.invoice_day,
            t.payment_days,
            t.tax_bps
                .map(|b| format!(", tax {}", percent(b)))
                .unwrap_or_default()
        ),
    ));
    if let Some(u) = &p.per_user {
        let counted = match u.counting {
            UserCounting::ActiveRequesters => "active requester accounts, day by day".to_owned(),
            UserCounting::Fixed(n) => format!("{n} users as agreed"),
        };
        let minimum = if u.minimum > 0 {
            format!(", at least {}", u.minimum)
        } else {
            String::new()
        };
        out.push((
            "Per user",
            format!(
                "{} a month per user ({counted}{minimum})",
                cur.format(u.rate)
            ),
        ));
    }
    if let Some(d) = &p.per_device {
        let rates: Vec<String> = d
            .rates
            .iter()
            .map(|(class, r)| format!("{} {}", class.label(), cur.format(*r)))
            .collect();
        out.push(("Per device a month", rates.join(", ")));
    }
    if let Some(r) = p.retainer {
        out.push(("Retainer", format!("{} a month", cur.format(r))));
    }
    if let Some(h) = &p.hourly {
        let mut text = h
            .default_rate
            .map(|r| format!("{}/h", cur.format(r)))
            .unwrap_or_else(|| "no default rate".into());
        for (what, rate) in &h.rates {
            let who = match what {
                tandem_domain::billing::RateFor::Category(k) => k.clone(),
                tandem_domain::billing::RateFor::Role(r) => r.label().to_owned(),
            };
            text.push_str(&format!("; {who} {}/h", cur.format(*rate)));
        }
        out.push(("Hourly", text));
    }
    if let Some(b) = &p.blocks {
        let mut text = format!(
            "overage {}/h once blocks are used up; warn below {}",
            cur.format(b.overage_rate),
            hours(b.low_balance_minutes)
        );
        if let Some(t) = &b.top_up {
            text.push_str(&format!(
                "; tops up automatically with {} for {}, valid {} days",
                hours(t.minutes),
                cur.format(t.price),
                t.valid_days
            ));
        }
        out.push(("Block hours", text));
    }
    if let Some(r) = p.excluded_rate {
        out.push((
            "Excluded work",
            format!("{}/h for categories out of scope", cur.format(r)),
        ));
    }
    out.push((
        "Time",
        format!(
            "rounded up to {} min, at least {} min an entry, after hours x{}",
            p.rounding.increment_minutes,
            p.rounding.minimum_minutes,
            Decimal::from(p.rounding.after_hours_bps) / Decimal::from(10_000)
        ),
    ));
    for prio in Priority::ALL {
        out.push((
            match prio {
                Priority::P1 => "Missed P1 target",
                Priority::P2 => "Missed P2 target",
                Priority::P3 => "Missed P3 target",
                Priority::P4 => "Missed P4 target",
            },
            t.credits.get(prio).map_or_else(
                || "no consequence".into(),
                |c| format!("credit {}", credit_words(c, cur)),
            ),
        ));
    }
    if let Some(cap) = &t.credit_cap {
        out.push(("Credit cap", format!("{} a month", credit_words(cap, cur))));
    }
    if !t.inclusions.is_empty() {
        out.push(("Also included", t.inclusions.join("; ")));
    }
    if !t.exclusions.is_empty() {
        out.push(("Also excluded", t.exclusions.join("; ")));
    }
    out
}

fn shown(v: &AgreementView) -> Shown {
    let a = &v.agreement;
    Shown {
        id: a.id.clone(),
        status: words::agreement_status(&a.status),
        version: a.version,
        lines: describe(&v.terms),
        problems: v.problems.clone(),
        reject_reason: a.reject_reason.clone(),
        created_at: a.created_at,
        decided_at: a.decided_at,
        blocks: v.terms.pricing.blocks.is_some(),
    }
}

/// The draft form's fields, as typed.
#[derive(Deserialize, Default, Clone)]
pub(super) struct DraftInput {
    #[serde(default)]
    agreement_id: String,
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    invoice_day: String,
    #[serde(default)]
    payment_days: String,
    #[serde(default)]
    tax_percent: String,
    #[serde(default)]
    per_user_rate: String,
    #[serde(default)]
    users: String,
    #[serde(default)]
    user_minimum: String,
    #[serde(default)]
    rate_workstation: String,
    #[serde(default)]
    rate_server: String,
    #[serde(default)]
    rate_network_device: String,
    #[serde(default)]
    rate_other: String,
    #[serde(default)]
    retainer: String,
    #[serde(default)]
    hourly_rate: String,
    #[serde(default)]
    overage_rate: String,
    #[serde(default)]
    low_balance_hours: String,
    #[serde(default)]
    top_up_hours: String,
    #[serde(default)]
    top_up_price: String,
    #[serde(default)]
    top_up_days: String,
    #[serde(default)]
    excluded_rate: String,
    #[serde(default)]
    increment_minutes: String,
    #[serde(default)]
    minimum_minutes: String,
    #[serde(default)]
    after_hours: String,
    #[serde(default)]
    credit_p1: String,
    #[serde(default)]
    credit_p2: String,
    #[serde(default)]
    credit_p3: String,
    #[serde(default)]
    credit_p4: String,
    #[serde(default)]
    credit_cap: String,
    #[serde(default)]
    inclusions: String,
    #[serde(default)]
    exclusions: String,
}

fn number<T: std::str::FromStr>(
    field: &'static str,
    raw: &str,
    default: T,
) -> Result<T, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(default);
    }
    raw.parse()
        .map_err(|_| ValidationError::new(field, format!("{raw:?} is not a whole number")))
}

/// "12.5" -> 1250 basis points.
fn bps(field: &'static str, raw: &str) -> Result<Option<u32>, ValidationError> {
    let raw = raw.trim().trim_end_matches('%').trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let d: Decimal = raw
        .parse()
        .map_err(|_| ValidationError::new(field, format!("{raw:?} is not a percentage")))?;
    u32::try_from((d * Decimal::from(100)).round().mantissa())
        .map(Some)
        .map_err(|_| ValidationError::new(field, "not a percentage"))
}

/// A credit: "5%" of the base or an amount.
fn credit(
    field: &'static str,
    raw: &str,
    cur: &Currency,
) -> Result<Option<Credit>, ValidationError> {
    if raw.trim().ends_with('%') {
        Ok(bps(field, raw)?.map(Credit::ShareOfBase))
    } else {
        Ok(cur.parse_amount(field, raw)?.map(Credit::Fixed))
    }
}

fn date(field: &'static str, raw: &str) -> Result<Option<jiff::civil::Date>, ValidationError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    raw.parse()
        .map(Some)
        .map_err(|_| ValidationError::new(field, format!("{raw:?} is not a date (YYYY-MM-DD)")))
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

impl DraftInput {
    /// The terms the form describes.
    fn terms(&self) -> Result<Terms, ValidationError> {
        let cur = Currency::parse(if self.currency.trim().is_empty() {
            "USD"
        } else {
            &self.currency
        })?;
        let money = |field: &'static str, raw: &str| cur.parse_amount(field, raw);
        let per_user = match money("per_user_rate", &self.per_user_rate)? {
            Some(rate) => Some(PerUser {
                rate,
                counting: match self.users.trim() {
                    "" => UserCounting::ActiveRequesters,
                    n => UserCounting::Fixed(number("users", n, 0)?),
                },
                minimum: number("user_minimum", &self.user_minimum, 0)?,
            }),
            None => None,
        };
        let mut rates = BTreeMap::new();
        for (class, field, raw) in [
            (
                DeviceClass::Workstation,
                "rate_workstation",
                &self.rate_workstation,
            ),
            (DeviceClass::Server, "rate_server", &self.rate_server),
            (
                DeviceClass::NetworkDevice,
                "rate_network_device",
                &self.rate_network_device,
            ),
            (DeviceClass::Other, "rate_other", &self.rate_other),
        ] {
            if let Some(r) = money(field, raw)? {
                rates.insert(class, r);
            }
        }
        let blocks = match money("overage_rate", &self.overage_rate)? {
            Some(overage_rate) => Some(BlockTerms {
                overage_rate,
                low_balance_minutes: number::<u32>(
                    "low_balance_hours",
                    &self.low_balance_hours,
                    0,
                )? * 60,
                top_up: match money("top_up_price", &self.top_up_price)? {
                    Some(price) => Some(TopUp {
                        minutes: number::<u32>("top_up_hours", &self.top_up_hours, 0)? * 60,
                        price,
                        valid_days: number("top_up_days", &self.top_up_days, 90)?,
                    }),
                    None => None,
                },
            }),
            None => None,
        };
        let mut credits = BTreeMap::new();
        for (p, field, raw) in [
            (Priority::P1, "credit_p1", &self.credit_p1),
            (Priority::P2, "credit_p2", &self.credit_p2),
            (Priority::P3, "credit_p3", &self.credit_p3),
            (Priority::P4, "credit_p4", &self.credit_p4),
        ] {
            if let Some(c) = credit(field, raw, &cur)? {
                credits.insert(p, c);
            }
        }
        let terms = Terms {
            starts_on: date("starts_on", &self.starts_on)?
                .ok_or_else(|| ValidationError::new("starts_on", "say when it starts"))?,
            ends_on: date("ends_on", &self.ends_on)?,
            invoice_day: number("invoice_day", &self.invoice_day, 1)?,
            payment_days: number("payment_days", &self.payment_days, 30)?,
            tax_bps: bps("tax_percent", &self.tax_percent)?,
            pricing: Pricing {
                per_user,
                per_device: (!rates.is_empty()).then_some(PerDevice { rates }),
                retainer: money("retainer", &self.retainer)?,
                hourly: money("hourly_rate", &self.hourly_rate)?.map(|r| Hourly {
                    default_rate: Some(r),
                    rates: Vec::new(),
                }),
                blocks,
                excluded_rate: money("excluded_rate", &self.excluded_rate)?,
                rounding: TimeRounding {
                    increment_minutes: number("increment_minutes", &self.increment_minutes, 15)?,
                    minimum_minutes: number("minimum_minutes", &self.minimum_minutes, 0)?,
                    after_hours_bps: match self.after_hours.trim() {
                        "" => 10_000,
                        raw => {
                            let d: Decimal = raw.trim_start_matches('x').parse().map_err(|_| {
                                ValidationError::new(
                                    "after_hours",
                                    format!("{raw:?} is not a multiplier such as 1.5"),
                                )
                            })?;
                            u32::try_from((d * Decimal::from(10_000)).round().mantissa()).map_err(
                                |_| ValidationError::new("after_hours", "not a multiplier"),
                            )?
                        }
                    },
                },
            },
            credits,
            credit_cap: credit("credit_cap", &self.credit_cap, &cur)?,
            inclusions: lines(&self.inclusions),
            exclusions: lines(&self.exclusions),
            currency: cur,
        };
        Ok(terms)
    }

    /// The form filled from terms, to revise them or start from them.
    fn from_terms(id: Option<(&str, i64)>, t: &Terms) -> Self {
        let cur = &t.currency;
        let m = |a: Option<i64>| a.map(|a| cur.plain(a)).unwrap_or_default();
        let p = &t.pricing;
        let rate = |c: DeviceClass| m(p.per_device.as_ref().and_then(|d| d.rates.get(&c).copied()));
        let credit_text = |c: Option<&Credit>| match c {
            Some(Credit::Fixed(a)) => cur.plain(*a),
            Some(Credit::ShareOfBase(b)) => percent(*b),
            None => String::new(),
        };
        Self {
            agreement_id: id.map(|(i, _)| i.to_owned()).unwrap_or_default(),
            version: id.map(|(_, v)| v),
            currency: cur.code.clone(),
            starts_on: t.starts_on.to_string(),
            ends_on: t.ends_on.map(|d| d.to_string()).unwrap_or_default(),
            invoice_day: t.invoice_day.to_string(),
            payment_days: t.payment_days.to_string(),
            tax_percent: t
                .tax_bps
                .map(|b| percent(b).trim_end_matches('%').to_owned())
                .unwrap_or_default(),
            per_user_rate: m(p.per_user.as_ref().map(|u| u.rate)),
            users: match p.per_user.as_ref().map(|u| &u.counting) {
                Some(UserCounting::Fixed(n)) => n.to_string(),
                _ => String::new(),
            },
            user_minimum: p
                .per_user
                .as_ref()
                .map(|u| u.minimum.to_string())
                .unwrap_or_default(),
            rate_workstation: rate(DeviceClass::Workstation),
            rate_server: rate(DeviceClass::Server),
            rate_network_device: rate(DeviceClass::NetworkDevice),
            rate_other: rate(DeviceClass::Other),
            retainer: m(p.retainer),
            hourly_rate: m(p.hourly.as_ref().and_then(|h| h.default_rate)),
            overage_rate: m(p.blocks.as_ref().map(|b| b.overage_rate)),
            low_balance_hours: p
                .blocks
                .as_ref()
                .map(|b| (b.low_balance_minutes / 60).to_string())
                .unwrap_or_default(),
            top_up_hours: p
                .blocks
                .as_ref()
                .and_then(|b| b.top_up.as_ref())
                .map(|t| (t.minutes / 60).to_string())
                .unwrap_or_default(),
            top_up_price: m(p
                .blocks
                .as_ref()
                .and_then(|b| b.top_up.as_ref())
                .map(|t| t.price)),
            top_up_days: p
                .blocks
                .as_ref()
                .and_then(|b| b.top_up.as_ref())
                .map(|t| t.valid_days.to_string())
                .unwrap_or_default(),
            excluded_rate: m(p.excluded_rate),
            increment_minutes: p.rounding.increment_minutes.to_string(),
            minimum_minutes: p.rounding.minimum_minutes.to_string(),
            after_hours: (Decimal::from(p.rounding.after_hours_bps) / Decimal::from(10_000))
                .normalize()
                .to_string(),
            credit_p1: credit_text(t.credits.get(&Priority::P1)),
            credit_p2: credit_text(t.credits.get(&Priority::P2)),
            credit_p3: credit_text(t.credits.get(&Priority::P3)),
            credit_p4: credit_text(t.credits.get(&Priority::P4)),
            credit_cap: credit_text(t.credit_cap.as_ref()),
            inclusions: t.inclusions.join("\n"),
            exclusions: t.exclusions.join("\n"),
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "agreements.html")]
pub(super) struct AgreementsPage {
    nav: Nav,
    /// Engagements to pick from: id, client name, selected.
    engagements: Vec<(String, String, bool)>,
    engagement: Option<String>,
    client_name: String,
    active: Option<Shown>,
    proposed: Vec<Shown>,
    drafts: Vec<Shown>,
    history: Vec<Shown>,
    in_scope: Vec<String>,
    excluded: Vec<String>,
    can_propose: bool,
    can_decide: bool,
    form: DraftInput,
    error: Option<String>,
}

impl AgreementsPage {
    fn at(&self, ms: &i64) -> super::local::LocalTime {
        self.nav.zone.at(*ms)
    }

    fn listed(&self, list: &[String]) -> String {
        if list.is_empty() {
            "none".to_owned()
        } else {
            list.join(", ")
        }
    }
}

#[derive(Deserialize)]
pub(super) struct PageQuery {
    engagement: Option<EngagementId>,
}

async fn agreements_page(
    s: &AppState,
    session: &SessionActor,
    chosen: Option<EngagementId>,
    form: Option<DraftInput>,
    error: Option<String>,
) -> Result<AgreementsPage, PageError> {
    let a = &session.actor;
    let engagements: Vec<_> = s
        .tandem
        .list_engagements(a)
        .await?
        .into_iter()
        .map(|v| v.engagement)
        .filter(|e| e.is_active())
        .collect();
    let current = chosen.or_else(|| engagements.first().map(|e| e.id));
    let mut page = AgreementsPage {
        engagements: engagements
            .iter()
            .map(|e| {
                (
                    e.id.to_string(),
                    e.client_name.clone(),
                    Some(e.id) == current,
                )
            })
            .collect(),
        engagement: current.map(|e| e.to_string()),
        client_name: String::new(),
        active: None,
        proposed: Vec::new(),
        drafts: Vec::new(),
        history: Vec::new(),
        in_scope: Vec::new(),
        excluded: Vec::new(),
        can_propose: false,
        can_decide: false,
        form: form.clone().unwrap_or_default(),
        error,
        nav: Nav::load(s, session).await,
    };
    let Some(id) = current else {
        return Ok(page);
    };
    let all = s.tandem.agreements(a, id).await?;
    let Some(e) = engagements.iter().find(|e| e.id == id) else {
        return Err(ServiceError::NotFound.into());
    };
    page.client_name = e.client_name.clone();
    page.can_propose = policy::decide_agreement(
        a.role,
        AgreementAction::Propose,
        e.provider_id == a.org_id,
        e.client_id == a.org_id,
    )
    .allowed();
    page.can_decide = policy::decide_agreement(
        a.role,
        AgreementAction::Decide,
        e.provider_id == a.org_id,
        e.client_id == a.org_id,
    )
    .allowed();
    if let Ok(desk) = s.tandem.desk_setup(a, e.client_id).await {
        for l in &desk.split {
            if l.in_scope {
                page.in_scope.push(l.category_name.clone());
            } else {
                page.excluded.push(l.category_name.clone());
            }
        }
    }
    if form.is_none() {
        // Start a revision from the newest draft, else from what is active.
        let base = all
            .iter()
            .find(|v| v.agreement.status == "draft")
            .map(|v| {
                (
                    Some((v.agreement.id.as_str(), v.agreement.version)),
                    &v.terms,
                )
            })
            .or_else(|| {
                all.iter()
                    .find(|v| v.agreement.status == "active")
                    .map(|v| (None, &v.terms))
            });
        page.form = match base {
            Some((id, t)) => DraftInput::from_terms(id, t),
            None => DraftInput {
                currency: "USD".into(),
                starts_on: jiff::Timestamp::now()
                    .to_zoned_datetime(page.nav.zone.tz().clone())
                    .date()
                    .first_of_month()
                    .to_string(),
                invoice_day: "1".into(),
                payment_days: "30".into(),
                increment_minutes: "15".into(),
                after_hours: "1.5".into(),
                ..DraftInput::default()
            },
        };
    }
    for v in &all {
        match v.agreement.status.as_str() {
            "active" => page.active = Some(shown(v)),
            "proposed" => page.proposed.push(shown(v)),
            "draft" if page.can_propose => page.drafts.push(shown(v)),
            "draft" => {}
            _ => page.history.push(shown(v)),
        }
    }
    Ok(page)
}

/// The agreements of an engagement.
pub(super) async fn get_agreements(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<PageQuery>,
) -> Result<AgreementsPage, PageError> {
    if session.actor.role == Role::Requester {
        return Err(ServiceError::NotFound.into());
    }
    agreements_page(&s, &session, q.engagement, None, None).await
}

fn back(engagement: EngagementId) -> Response {
    Redirect::to(&format!("/agreements?engagement={engagement}")).into_response()
}

async fn refused(
    s: &AppState,
    session: &SessionActor,
    engagement: EngagementId,
    form: Option<DraftInput>,
    e: ServiceError,
) -> Response {
    let status = match e {
        ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        ServiceError::Conflict(_) => StatusCode::CONFLICT,
        ServiceError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
        other => return PageError::from(other).into_response(),
    };
    let message = match &e {
        ServiceError::Stale { .. } => "Someone changed this agreement while you were looking at it. Nothing was saved; the current version is shown below.".to_owned(),
        other => other.to_string(),
    };
    match agreements_page(s, session, Some(engagement), form, Some(message)).await {
        Ok(p) => (status, p).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Save the draft form: a new draft, or a revision of the one it shows.
pub(super) async fn post_agreement_draft(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(engagement): Path<EngagementId>,
    CsrfForm(session, input): CsrfForm<DraftInput>,
) -> Response {
    let a = &session.actor;
    let result = match input.terms() {
        Err(v) => Err(ServiceError::from(v)),
        Ok(terms) => match (input.agreement_id.trim(), input.version) {
            ("", _) => s.tandem.draft_agreement(a, engagement, &terms, &meta).await,
            (id, Some(version)) => {
                s.tandem
                    .revise_agreement(a, id, version, &terms, &meta)
                    .await
            }
            (_, None) => {
                Err(ValidationError::new("version", "the form lost its version; reload").into())
            }
        },
    };
    match result {
        Ok(_) => back(engagement),
        Err(e) => refused(&s, &session, engagement, Some(input), e).await,
    }
}

#[derive(Deserialize)]
pub(super) struct StepInput {
    version: i64,
    #[serde(default)]
    reason: String,
}

/// Propose, accept or reject.
pub(super) async fn post_agreement_step(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path((engagement, id, step)): Path<(EngagementId, String, String)>,
    CsrfForm(session, input): CsrfForm<StepInput>,
) -> Response {
    let a = &session.actor;
    let result = match step.as_str() {
        "propose" => {
            s.tandem
                .propose_agreement(a, &id, input.version, &meta)
                .await
        }
        "accept" => {
            s.tandem
                .accept_agreement(a, &id, input.version, &meta)
                .await
        }
        "reject" => {
            s.tandem
                .reject_agreement(a, &id, input.version, &input.reason, &meta)
                .await
        }
        _ => Err(ServiceError::NotFound),
    };
    match result {
        Ok(_) => back(engagement),
        Err(e) => refused(&s, &session, engagement, None, e).await,
    }
}
