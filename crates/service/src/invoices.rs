//! The monthly invoice run and the life of an invoice: a draft per active
//! agreement and month (running it again makes nothing new), issued with
//! the provider's next number (then immutable, its time locked), or void
//! with a reason (a corrected invoice is a new one).
//!
//! What a month counts: the agreement's terms as accepted; users day by day
//! from the history of the client's accounts (or the number the agreement
//! fixes): on each day of the client's calendar zone, the accounts that
//! are active requesters as the day ends, so an account counts from the
//! day it is created, activated or made a requester and no longer from the
//! day it is deactivated or given another role (the domain's
//! `billing::requesters_by_day`, the rule devices follow from acquisition
//! to retirement); devices day by day from the inventory; the month's
//! time entries (corrections netted in) and late provider time: entries
//! from earlier months of the agreement that have their invoice but were
//! not counted on it (logged after the month was drafted), and corrections of time on an earlier
//! invoice (one that adds time is billed as work of its own; one that
//! takes time away is named in the draft's warnings for the provider's
//! admin to credit, since the rate it was billed at is that invoice's);
//! issuing locks exactly the entries the draft counted; the SLA targets
//! missed in the
//! month; the blocks of hours and their balances from the ledger
//! (`crate::blocks`), where the draft records what it drew and bought.

use crate::agreements::terms_of;
use crate::audit::{Entry, record};
use crate::blocks::{balance_of, books_of};
use crate::time::{local_day, month_bounds, unpriced_corrections, works_of};
use crate::{RequestMeta, Result, ServiceError, Tandem, decided, now_ms};
use jiff::civil::Date;
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use tandem_domain::billing::{self, Month, Terms, UserCounting};
use tandem_domain::device::{self, DeviceClass};
use tandem_domain::policy;
use tandem_domain::ticket::Priority;
use tandem_domain::{Actor, OrgId, ValidationError};
use tandem_store::StoreError;
use tandem_store::agreements::{self, Agreement};
use tandem_store::invoices::{self, Invoice, Line};
use tandem_store::{blocks, dashboard, devices, engagements, time_entries, users};

/// An invoice with its lines.
#[derive(Clone, Debug)]
pub struct InvoiceView {
    /// The invoice.
    pub invoice: Invoice,
    /// Its lines in order.
    pub lines: Vec<Line>,
    /// What both sides should know.
    pub warnings: Vec<String>,
    /// The client's name.
    pub client_name: String,
    /// The provider's name.
    pub provider_name: String,
    /// Days to pay, from the agreement.
    pub payment_days: u16,
    /// Disputed lines and their answers, oldest first.
    pub disputes: Vec<invoices::Dispute>,
    /// Lines changed, added and removed by hand, oldest first.
    pub edits: Vec<invoices::LineEdit>,
    /// The agreement's tax rate (basis points), which an adjusted line's
    /// tax follows.
    tax_bps: Option<u32>,
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct RunOutcome {
    /// Drafts made.
    pub created: Vec<String>,
    /// Agreements that had their invoice for the month already.
    pub existing: usize,
    /// Agreements not running in the month.
    pub not_running: usize,
}

/// What one month of issued invoices came to, by kind of charge.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonthCost {
    /// `YYYY-MM`.
    pub period: String,
    /// Its currency.
    pub currency: String,
    /// Users, devices and the retainer.
    pub base: i64,
    /// Blocks of hours bought.
    pub blocks: i64,
    /// Hourly work and overage.
    pub billable: i64,
    /// Work outside the agreed scope.
    pub excluded: i64,
    /// SLA credits, net of the cap (zero or less).
    pub credits: i64,
    /// Everything, tax included.
    pub total: i64,
}

/// An act on an invoice, on its client's audit log (the client reads what
/// was invoiced to it and how disputes went).
async fn audit_invoice(
    tx: &mut tandem_store::Tx,
    actor: &Actor,
    inv: &Invoice,
    action: &'static str,
    change: serde_json::Value,
    meta: &RequestMeta,
) -> Result<()> {
    record(
        tx,
        Some(actor),
        "",
        meta,
        Entry {
            org: Some(inv.client_id),
            action,
            object_type: "invoice",
            object_id: inv.id.clone(),
            change,
        },
    )
    .await
}

/// What a month's draft counts beside the engine's month.
pub(crate) struct Counted {
    /// Every provider entry it counts, corrections included: issuing
    /// locks exactly these.
    pub provider_entries: Vec<String>,
    /// Corrections it cannot price.
    pub notes: Vec<String>,
}

/// How many agreements a run drafts at once.
const RUN_WIDTH: usize = 4;

/// What the run did with one agreement's month.
enum Drafted {
    /// Its draft, made now.
    Created(String),
    /// It had its invoice already.
    Existing,
    /// The agreement does not run in the month.
    NotRunning,
}

/// `YYYY-MM` of a month's first day.
pub fn period_of(first: Date) -> String {
    format!("{:04}-{:02}", first.year(), first.month())
}

/// The month a `YYYY-MM` names.
pub fn parse_period(raw: &str) -> Result<Date> {
    format!("{}-01", raw.trim())
        .parse()
        .map_err(|_| ValidationError::new("period", "use YYYY-MM, e.g. 2026-11").into())
}

impl Tandem {
    /// Make the month's draft for every active agreement: of the actor's
    /// provider (its admin), or of every provider (`None`: the operator's
    /// command and the background run).
    pub async fn run_invoices(
        &self,
        actor: Option<&Actor>,
        first: Date,
        meta: &RequestMeta,
    ) -> Result<RunOutcome> {
        let provider = match actor {
            Some(a) => {
                decided(policy::decide_billing(a.role, true))?;
                Some(a.org_id)
            }
            None => None,
        };
        let first = first.first_of_month();
        let mut out = RunOutcome::default();
        let mut all = Vec::new();
        for a in agreements::all_active(&self.db, provider).await? {
            let terms = terms_of(&a)?;
            all.push((a, terms));
        }
        for drafted in self.draft_all(actor, all, first, meta).await? {
            match drafted {
                Drafted::Created(id) => out.created.push(id),
                Drafted::Existing => out.existing += 1,
                Drafted::NotRunning => out.not_running += 1,
            }
        }
        Ok(out)
    }

    /// Draft each agreement's month, [`RUN_WIDTH`] at a time: one
    /// agreement's reads overlap another's commit (and on SQLite the
    /// commits share their syncs). Each draft commits on its own, so a run
    /// stopped half way is finished by running it again.
    async fn draft_all(
        &self,
        actor: Option<&Actor>,
        agreements: Vec<(Agreement, Terms)>,
        first: Date,
        meta: &RequestMeta,
    ) -> Result<Vec<Drafted>> {
        let mut agreements = agreements.into_iter();
        let mut running = tokio::task::JoinSet::new();
        let mut out = Vec::new();
        loop {
            while running.len() < RUN_WIDTH {
                let Some((a, terms)) = agreements.next() else {
                    break;
                };
                let (t, actor, meta) = (self.clone(), actor.cloned(), meta.clone());
                running.spawn(async move {
                    t.draft_invoice(actor.as_ref(), &a, &terms, first, &meta)
                        .await
                });
            }
            match running.join_next().await {
                None => return Ok(out),
                Some(done) => {
                    out.push(done.map_err(|e| ServiceError::Internal(e.to_string()))??);
                }
            }
        }
    }

    /// The background run: on an agreement's invoice day (or later, if the
    /// server was down that day) the month before is drafted, once.
    /// Returns the drafts made.
    pub async fn run_due_invoices(&self, today: Date) -> Result<usize> {
        let meta = RequestMeta {
            request_id: "invoice-day".into(),
            source_addr: "worker".into(),
        };
        let last_month = today
            .first_of_month()
            .yesterday()
            .map_err(|e| ServiceError::Internal(e.to_string()))?
            .first_of_month();
        let mut due = Vec::new();
        for a in agreements::all_active(&self.db, None).await? {
            let terms = terms_of(&a)?;
            if today.day() >= i8::try_from(terms.invoice_day).unwrap_or(28) {
                due.push((a, terms));
            }
        }
        Ok(self
            .draft_all(None, due, last_month, &meta)
            .await?
            .iter()
            .filter(|d| matches!(d, Drafted::Created(_)))
            .count())
    }

    /// [`Tandem::run_due_invoices`] for today (UTC).
    pub async fn run_due_invoices_today(&self) -> Result<usize> {
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        self.run_due_invoices(today).await
    }

    /// The month of one agreement as the engine takes it.
    pub(crate) async fn month_of(
        &self,
        a: &Agreement,
        terms: &Terms,
        first: Date,
    ) -> Result<(Month, Counted)> {
        let client = a.client_id;
        let tz = self.client_zone(client).await?;
        let (from, to) = month_bounds(first, &tz);
        let users = match terms.pricing.per_user.as_ref().map(|u| &u.counting) {
            Some(UserCounting::ActiveRequesters) => {
                // The stretches overlapping the month, read once, counted
                // day by day in the client's zone by the domain's rule.
                let stretches: Vec<_> = users::requester_periods(&self.db, client, from, to)
                    .await?
                    .into_iter()
                    .map(|(since, until)| {
                        (local_day(since, &tz), until.map(|at| local_day(at, &tz)))
                    })
                    .collect();
                billing::requesters_by_day(first, &stretches)
            }
            _ => Vec::new(),
        };
        let mut series: BTreeMap<DeviceClass, Vec<(Date, u32)>> = BTreeMap::new();
        if terms.pricing.per_device.is_some() {
            // Read once, counted day by day.
            let last = first.last_of_month();
            let dated = devices::dated_between(&self.db, client, first, last).await?;
            let mut day = first;
            while day <= last {
                for class in DeviceClass::ALL {
                    let n = dated
                        .iter()
                        .filter(|(c, a, r)| c == class && device::active_on(*a, *r, day))
                        .count();
                    let n = u32::try_from(n).unwrap_or(u32::MAX);
                    let s = series.entry(*class).or_default();
                    if s.last().is_none_or(|(_, last)| *last != n) {
                        s.push((day, n));
                    }
                }
                day = day
                    .tomorrow()
                    .map_err(|e| ServiceError::Internal(e.to_string()))?;
            }
        }
        // The month's entries, and provider time from before it (since the
        // agreement began) that no invoice counts yet: logged after its
        // month was drafted, or correcting time invoiced already. Time on
        // another draft is that draft's.
        let drafted: HashSet<String> = invoices::drafted_work(&self.db, client)
            .await?
            .into_iter()
            .collect();
        let since = terms
            .starts_on
            .to_zoned_datetime(tz.clone())
            .map_or(from, |z| z.timestamp().as_millisecond());
        let mut entries = if since < from {
            // Only months that have their invoice: a month not run yet, or
            // void and not yet drafted again, keeps its time for its own.
            let invoiced: HashSet<String> = invoices::invoiced_periods(&self.db, &a.id)
                .await?
                .into_iter()
                .collect();
            let mut late = time_entries::unbilled_between(&self.db, client, since, from).await?;
            late.retain(|e| {
                invoiced.contains(&period_of(local_day(e.started_at, &tz).first_of_month()))
            });
            late
        } else {
            Vec::new()
        };
        entries.extend(time_entries::for_billing(&self.db, client, from, to).await?);
        entries.retain(|e| e.invoice_id.is_none() && !drafted.contains(&e.id));
        let counted = Counted {
            provider_entries: entries
                .iter()
                .filter(|e| e.side == "provider")
                .map(|e| e.id.clone())
                .collect(),
            notes: unpriced_corrections(&entries),
        };
        let breaches = dashboard::breaches(&self.db, client, from, to)
            .await?
            .into_iter()
            .filter_map(|(p, at)| {
                let day = jiff::Timestamp::from_millisecond(at)
                    .ok()?
                    .to_zoned_datetime(tz.clone())
                    .date();
                Some((p.parse::<Priority>().ok()?, day))
            })
            .collect();
        let month = Month {
            first,
            users,
            devices: series,
            work: works_of(&entries, &tz),
            blocks: if terms.pricing.blocks.is_some() {
                blocks::balances(
                    &self.db,
                    &a.id,
                    &first.last_of_month().to_string(),
                    &period_of(first),
                )
                .await?
                .iter()
                .map(|(p, drawn)| balance_of(p, *drawn))
                .collect()
            } else {
                Vec::new()
            },
            breaches,
        };
        Ok((month, counted))
    }

    async fn draft_invoice(
        &self,
        actor: Option<&Actor>,
        a: &Agreement,
        terms: &Terms,
        first: Date,
        meta: &RequestMeta,
    ) -> Result<Drafted> {
        if !terms.runs_in(first) {
            return Ok(Drafted::NotRunning);
        }
        // Most runs find the month done already: say so before working it out.
        if invoices::exists_for(&self.db, &a.id, &period_of(first)).await? {
            return Ok(Drafted::Existing);
        }
        let (month, counted) = self.month_of(a, terms, first).await?;
        let made = billing::invoice(terms, &month);
        let mut warnings = made.warnings.clone();
        warnings.extend(counted.notes);
        let id = uuid::Uuid::now_v7().to_string();
        let inv = Invoice {
            id: id.clone(),
            agreement_id: a.id.clone(),
            engagement_id: a.engagement_id,
            client_id: a.client_id,
            provider_id: a.provider_id,
            period: period_of(first),
            status: "draft".into(),
            number: None,
            currency: terms.currency.code.clone(),
            total: made.total,
            warnings: json!(warnings).to_string(),
            covered: json!(counted.provider_entries).to_string(),
            version: 1,
            created_at: now_ms(),
            issued_at: None,
            issued_by: None,
            voided_at: None,
            voided_by: None,
            void_reason: None,
        };
        let lines: Vec<Line> = made
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| Line {
                invoice_id: id.clone(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                kind: json!(l.kind).as_str().unwrap_or("").to_owned(),
                description: l.description.clone(),
                quantity: l.quantity.normalize().to_string(),
                unit_price: l.unit_price,
                amount: l.amount,
                work_ids: json!(l.work_ids).to_string(),
            })
            .collect();
        let mut tx = self.db.begin().await?;
        if !invoices::insert_draft(&mut tx, &inv, &lines).await? {
            // Another run drafted it meanwhile.
            return Ok(Drafted::Existing);
        }
        let (top_ups, draws) = books_of(a, &id, &month.blocks, &made.blocks, inv.created_at);
        for p in &top_ups {
            blocks::insert(&mut tx, p).await?;
        }
        blocks::record_draws(&mut tx, &id, &inv.period, &draws).await?;
        record(
            &mut tx,
            actor,
            "invoice run",
            meta,
            Entry {
                org: Some(a.client_id),
                action: "invoice.draft",
                object_type: "invoice",
                object_id: id.clone(),
                change: json!({ "period": inv.period, "total": inv.total, "lines": lines.len() }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Drafted::Created(id))
    }

    /// An invoice both of whose parties' reader may see it: the client's
    /// staff and the provider's admin.
    pub async fn invoice(&self, actor: &Actor, id: &str) -> Result<InvoiceView> {
        let inv = match invoices::find(&self.db, &actor.scope(), id).await {
            Ok(i) => i,
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound),
            Err(e) => return Err(e.into()),
        };
        if !policy::may_read_invoices(
            actor.role,
            inv.client_id == actor.org_id,
            inv.provider_id == actor.org_id,
        ) {
            return Err(ServiceError::NotFound);
        }
        let lines = invoices::lines(&self.db, &inv.id).await?;
        let warnings = serde_json::from_str(&inv.warnings).unwrap_or_default();
        let e = engagements::find(&self.db, &actor.scope(), inv.engagement_id).await?;
        let terms = agreements::find(&self.db, &actor.scope(), &inv.agreement_id)
            .await
            .ok()
            .and_then(|a| terms_of(&a).ok());
        let disputes = invoices::disputes(&self.db, &inv.id).await?;
        let edits = invoices::line_edits(&self.db, &inv.id).await?;
        Ok(InvoiceView {
            invoice: inv,
            lines,
            warnings,
            client_name: e.client_name,
            provider_name: e.provider_name,
            payment_days: terms.as_ref().map_or(30, |t| t.payment_days),
            tax_bps: terms.and_then(|t| t.tax_bps),
            disputes,
            edits,
        })
    }

    /// The invoices the actor may see, newest month first.
    pub async fn invoices(
        &self,
        actor: &Actor,
        client: Option<OrgId>,
        period: Option<&str>,
    ) -> Result<Vec<Invoice>> {
        if !policy::may_read_invoices(actor.role, true, true) {
            return Err(ServiceError::NotFound);
        }
        let all = invoices::list(&self.db, &actor.scope(), client, period).await?;
        Ok(all
            .into_iter()
            .filter(|i| {
                policy::may_read_invoices(
                    actor.role,
                    i.client_id == actor.org_id,
                    i.provider_id == actor.org_id,
                )
            })
            .collect())
    }

    /// A client's cost, month by month, over the twelve months before
    /// `until` (issued invoices only): what the client's people and the
    /// provider's admin may read.
    pub async fn cost_trend(
        &self,
        actor: &Actor,
        client: OrgId,
        until: Date,
    ) -> Result<Vec<MonthCost>> {
        let own_provider = actor.side() == tandem_domain::Side::Provider
            && engagements::has_history(&self.db, actor.org_id, client).await?;
        if !policy::may_read_invoices(actor.role, client == actor.org_id, own_provider) {
            return Err(ServiceError::NotFound);
        }
        let first = until
            .first_of_month()
            .checked_sub(jiff::Span::new().months(11))
            .unwrap_or(until);
        let mut months: Vec<MonthCost> = Vec::new();
        for (period, currency, kind, amount) in
            invoices::trend(&self.db, client, &period_of(first)).await?
        {
            if months.last().is_none_or(|m| m.period != period) {
                months.push(MonthCost {
                    period,
                    currency,
                    ..MonthCost::default()
                });
            }
            let Some(m) = months.last_mut() else { continue };
            match kind.as_str() {
                "users" | "devices" | "retainer" => m.base += amount,
                "block_purchase" => m.blocks += amount,
                "hourly" | "overage" => m.billable += amount,
                "excluded_work" => m.excluded += amount,
                "sla_credit" | "credit_cap" => m.credits += amount,
                // A line added by hand: a charge is billable, a credit a
                // credit.
                "manual" if amount < 0 => m.credits += amount,
                "manual" => m.billable += amount,
                _ => {}
            }
            m.total += amount;
        }
        Ok(months)
    }

    /// Issue a draft: the provider's next number, and its time locked.
    pub async fn issue_invoice(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let v = self.invoice(actor, id).await?;
        decided(policy::decide_billing(
            actor.role,
            v.invoice.provider_id == actor.org_id,
        ))?;
        if v.invoice.status != "draft" {
            return Err(ServiceError::Conflict(format!(
                "only a draft is issued; this invoice is {}",
                v.invoice.status
            )));
        }
        if v.disputes.iter().any(|d| d.outcome.is_none()) {
            return Err(ServiceError::Conflict(
                "a line is disputed: answer the dispute before issuing".into(),
            ));
        }
        // Everything the draft counted is invoiced now, covered or billed.
        let work: Vec<String> = serde_json::from_str(&v.invoice.covered).unwrap_or_default();
        let mut tx = self.db.begin().await?;
        let number = invoices::issue(&mut tx, &v.invoice, version, actor.user_id, now_ms(), &work)
            .await
            .map_err(|e| crate::stale(e, v.invoice.version))?;
        audit_invoice(
            &mut tx,
            actor,
            &v.invoice,
            "invoice.issue",
            json!({ "number": number, "total": v.invoice.total, "time_entries": work.len() }),
            meta,
        )
        .await?;
        tx.commit().await?;
        self.invoice(actor, id).await
    }

    /// Dispute a line of a draft (the client's admin), with a reason.
    pub async fn dispute_line(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        position: i32,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let v = self.invoice(actor, id).await?;
        decided(policy::decide_dispute(
            actor.role,
            v.invoice.client_id == actor.org_id,
        ))?;
        if v.invoice.status != "draft" {
            return Err(ServiceError::Conflict(
                "only a draft's lines are disputed; ask the provider to void an issued invoice"
                    .into(),
            ));
        }
        let Some(line) = v
            .lines
            .iter()
            .find(|l| l.position == position && l.kind != "tax")
        else {
            return Err(
                ValidationError::new("position", "no such line (tax follows the lines)").into(),
            );
        };
        let reason = crate::stated("reason", reason, "say why")?;
        let now = now_ms();
        let d = invoices::Dispute {
            id: uuid::Uuid::now_v7().to_string(),
            invoice_id: id.to_owned(),
            position,
            reason: reason.to_owned(),
            raised_by: actor.user_id.to_string(),
            raised_by_name: actor.name.clone(),
            raised_at: now,
            outcome: None,
            answer: None,
            old_amount: None,
            new_amount: None,
            answered_by: None,
            answered_at: None,
        };
        let mut tx = self.db.begin().await?;
        invoices::raise_dispute(&mut tx, &v.invoice, version, &d)
            .await
            .map_err(|e| crate::stale(e, v.invoice.version))?;
        audit_invoice(&mut tx, actor, &v.invoice, "invoice.dispute", json!({ "dispute": d.id, "line": line.description, "amount": line.amount, "reason": reason }), meta).await?;
        tx.commit().await?;
        self.invoice(actor, id).await
    }

    /// Answer a dispute (the provider's admin): adjust the line to
    /// `new_amount`, or keep it, explaining either way. Tax follows.
    #[allow(clippy::too_many_arguments)]
    pub async fn answer_dispute(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        dispute: &str,
        new_amount: Option<i64>,
        explanation: &str,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let v = self.invoice(actor, id).await?;
        decided(policy::decide_billing(
            actor.role,
            v.invoice.provider_id == actor.org_id,
        ))?;
        let Some(open) = v.disputes.iter().find(|d| d.id == dispute) else {
            return Err(ServiceError::NotFound);
        };
        if open.outcome.is_some() {
            return Err(ServiceError::Conflict(
                "this dispute is answered already".into(),
            ));
        }
        let explanation = crate::stated("answer", explanation, "explain the answer")?;
        let line = v
            .lines
            .iter()
            .find(|l| l.position == open.position)
            .ok_or(ServiceError::NotFound)?;
        // The lines as they will stand, the tax worked out again on them.
        let mut changed: Vec<Line> = Vec::new();
        let mut total = v.invoice.total;
        if let Some(a) = new_amount {
            let adjusted = Line {
                amount: a,
                ..line.clone()
            };
            let (tax, t) = v.retaxed(Some(&adjusted), None);
            changed.push(adjusted);
            changed.extend(tax);
            total = t;
        }
        let mut answered = open.clone();
        answered.outcome = Some(
            if new_amount.is_some() {
                "adjusted"
            } else {
                "kept"
            }
            .to_owned(),
        );
        answered.old_amount = Some(line.amount);
        answered.new_amount = new_amount;
        let mut tx = self.db.begin().await?;
        invoices::answer_dispute(
            &mut tx,
            &v.invoice,
            version,
            &answered,
            &changed,
            total,
            explanation,
            actor.user_id,
            now_ms(),
        )
        .await
        .map_err(|e| crate::stale(e, v.invoice.version))?;
        audit_invoice(&mut tx, actor, &v.invoice, "invoice.answer", json!({ "dispute": dispute, "outcome": answered.outcome, "amount": { "from": line.amount, "to": new_amount }, "answer": explanation, "total": total }), meta).await?;
        tx.commit().await?;
        self.invoice(actor, id).await
    }

    /// Void an invoice, saying why; its time is free for a corrected one.
    pub async fn void_invoice(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let v = self.invoice(actor, id).await?;
        decided(policy::decide_billing(
            actor.role,
            v.invoice.provider_id == actor.org_id,
        ))?;
        let reason = crate::stated("reason", reason, "say why")?;
        if v.invoice.status == "void" {
            return Err(ServiceError::Conflict(
                "this invoice is void already".into(),
            ));
        }
        if blocks::top_ups_drawn_later(&self.db, id).await? {
            return Err(ServiceError::Conflict(
                "a later invoice draws on the blocks this one bought: void that one first".into(),
            ));
        }
        let mut tx = self.db.begin().await?;
        invoices::void(
            &mut tx,
            &v.invoice,
            version,
            actor.user_id,
            now_ms(),
            reason,
        )
        .await
        .map_err(|e| crate::stale(e, v.invoice.version))?;
        audit_invoice(
            &mut tx,
            actor,
            &v.invoice,
            "invoice.void",
            json!({ "reason": reason, "was": v.invoice.status }),
            meta,
        )
        .await?;
        tx.commit().await?;
        self.invoice(actor, id).await
    }
}

/// The most a line set by hand may charge or credit (minor units).
const MOST: i64 = 1_000_000_000_000;

/// What to set on a draft's line by hand; what is left out stays as it is.
/// A new amount makes the line a lump sum (one of that amount); a new
/// quantity or unit price works the amount out from both, rounded once.
#[derive(Clone, Debug, Default)]
pub struct LineInput {
    /// In words.
    pub description: Option<String>,
    /// A decimal number.
    pub quantity: Option<String>,
    /// Per unit (minor units).
    pub unit_price: Option<i64>,
    /// The line's amount (minor units).
    pub amount: Option<i64>,
}

fn money_in(field: &'static str, amount: i64) -> Result<i64> {
    if amount.abs() > MOST {
        return Err(
            ValidationError::new(field, format!("at most {MOST} minor units either way")).into(),
        );
    }
    Ok(amount)
}

/// The line `input` makes of `old`.
fn set_line(old: &Line, input: &LineInput) -> Result<Line> {
    let mut new = old.clone();
    if let Some(d) = &input.description {
        crate::stated("description", d, "describe the line")?.clone_into(&mut new.description);
    }
    let old_quantity = billing::stored_quantity(&old.quantity);
    // The quantity as it was (a form sends it back, with every decimal the
    // engine wrote) is no change.
    let quantity = input
        .quantity
        .as_deref()
        .filter(|q| q.trim() != old.quantity)
        .map(|q| billing::parse_quantity("quantity", q))
        .transpose()?;
    let unit_price = input
        .unit_price
        .map(|p| money_in("unit_price", p))
        .transpose()?;
    // A field sent back as it was (a form sends every field) is no change.
    let quantity_changed = quantity.is_some_and(|q| Some(q) != old_quantity);
    let price_changed = unit_price.is_some_and(|p| p != old.unit_price);
    if let Some(amount) = input.amount {
        let amount = money_in("amount", amount)?;
        if quantity_changed || price_changed {
            return Err(ValidationError::new(
                "amount",
                "give a new amount, or a quantity and a unit price, not both",
            )
            .into());
        }
        if amount != old.amount {
            "1".clone_into(&mut new.quantity);
            new.unit_price = amount;
            new.amount = amount;
        }
    } else if quantity_changed || price_changed {
        let Some(q) = quantity.or(old_quantity) else {
            return Err(ValidationError::new("quantity", "give the line's quantity").into());
        };
        let p = unit_price.unwrap_or(old.unit_price);
        new.amount = billing::line_amount(q, p)
            .filter(|a| a.abs() <= MOST)
            .ok_or_else(|| {
                ValidationError::new(
                    "quantity",
                    "quantity x unit price is more than a line may be",
                )
            })?;
        new.quantity = q.to_string();
        new.unit_price = p;
    }
    Ok(new)
}

impl InvoiceView {
    /// The draft's lines as they will stand with `line` in place (changed
    /// at its position, or added) and the line at `removed` gone: the tax
    /// line worked out again on the others by the run's own rule
    /// ([`billing::tax_line`]), and the total. Every change to a draft's
    /// amounts comes through here, a dispute's adjustment and an edit by
    /// hand alike. A draft without a tax line has no tax to work out; one
    /// whose agreement's rate cannot be read keeps its tax as it was.
    fn retaxed(&self, line: Option<&Line>, removed: Option<i32>) -> (Option<Line>, i64) {
        let subtotal: i64 = self
            .lines
            .iter()
            .filter(|l| {
                Some(l.position) != removed && line.is_none_or(|n| n.position != l.position)
            })
            .chain(line)
            .filter(|l| l.kind != "tax")
            .map(|l| l.amount)
            .sum();
        let tax = self
            .lines
            .iter()
            .find(|l| l.kind == "tax")
            .map(|old| match self.tax_bps {
                Some(bps) => {
                    let cur = tandem_domain::money::Currency::or_plain(&self.invoice.currency);
                    let t = billing::tax_line(&cur, subtotal, bps);
                    Line {
                        description: t.description,
                        quantity: t.quantity.normalize().to_string(),
                        unit_price: t.unit_price,
                        amount: t.amount,
                        ..old.clone()
                    }
                }
                None => old.clone(),
            });
        let total = subtotal + tax.as_ref().map_or(0, |t| t.amount);
        (tax, total)
    }

    /// A line the provider's admin may change or remove: not the tax (it
    /// follows the others), not a block line (the ledger keeps those), and
    /// not while a dispute of it awaits an answer.
    fn editable_line(&self, position: i32) -> Result<&Line> {
        let line = self
            .lines
            .iter()
            .find(|l| l.position == position)
            .ok_or(ServiceError::NotFound)?;
        if line.kind == "tax" {
            return Err(ValidationError::new(
                "position",
                "the tax is worked out from the other lines: change those instead",
            )
            .into());
        }
        if matches!(line.kind.as_str(), "block_purchase" | "block_draw") {
            // The block-hours ledger keeps these: a changed line would
            // disagree with the balances both sides read.
            return Err(ServiceError::Conflict(
                "block lines follow the block-hours ledger: void the draft and draft the month again to change them".into(),
            ));
        }
        if self
            .disputes
            .iter()
            .any(|d| d.position == position && d.outcome.is_none())
        {
            return Err(ServiceError::Conflict(
                "the client disputes this line: answer the dispute before changing the line".into(),
            ));
        }
        Ok(line)
    }

    /// A position no line of the invoice has had (disputes and the history
    /// keep naming theirs).
    fn next_position(&self) -> i32 {
        self.lines
            .iter()
            .map(|l| l.position)
            .chain(self.disputes.iter().map(|d| d.position))
            .chain(self.edits.iter().map(|e| e.position))
            .max()
            .map_or(0, |p| p.saturating_add(1))
    }
}

/// How a line changed by hand is kept on the invoice's history and its
/// audit entry.
fn line_json(l: Option<&Line>) -> serde_json::Value {
    l.map_or(serde_json::Value::Null, |l| {
        json!({ "description": l.description, "quantity": l.quantity, "unit_price": l.unit_price, "amount": l.amount })
    })
}

impl Tandem {
    /// A draft whose lines the actor may change (its provider's admin), as
    /// it stands at `version`: a change asked of an older version is
    /// refused as stale before it is looked at (the store checks again as
    /// it writes).
    async fn editable_draft(&self, actor: &Actor, id: &str, version: i64) -> Result<InvoiceView> {
        let v = self.invoice(actor, id).await?;
        decided(policy::decide_billing(
            actor.role,
            v.invoice.provider_id == actor.org_id,
        ))?;
        match v.invoice.status.as_str() {
            "draft" if v.invoice.version != version => Err(ServiceError::Stale {
                current_version: v.invoice.version,
            }),
            "draft" => Ok(v),
            "void" => Err(ServiceError::Conflict(
                "this invoice is void and its lines stay as they were; a corrected invoice is a new one"
                    .into(),
            )),
            _ => Err(ServiceError::Conflict(
                "an issued invoice is not changed: void it, saying why, and draft a corrected one"
                    .into(),
            )),
        }
    }

    /// Keep one change of a draft's lines: the line written, the tax
    /// worked out again, the total, the history and the audit log.
    #[allow(clippy::too_many_arguments)]
    async fn keep_line_edit(
        &self,
        actor: &Actor,
        v: &InvoiceView,
        version: i64,
        reason: &str,
        old: Option<&Line>,
        new: Option<&Line>,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let (action, write, position, kind) = match (old, new) {
            (Some(o), Some(n)) => (
                "changed",
                invoices::LineWrite::Changed(n),
                o.position,
                &o.kind,
            ),
            (None, Some(n)) => ("added", invoices::LineWrite::Added(n), n.position, &n.kind),
            (Some(o), None) => (
                "removed",
                invoices::LineWrite::Removed(o.position),
                o.position,
                &o.kind,
            ),
            (None, None) => return Err(ServiceError::Internal("an edit of no line".into())),
        };
        let removed = matches!(write, invoices::LineWrite::Removed(_)).then_some(position);
        let (tax, total) = v.retaxed(new, removed);
        let edit = invoices::LineEdit {
            id: uuid::Uuid::now_v7().to_string(),
            invoice_id: v.invoice.id.clone(),
            position,
            action: action.to_owned(),
            kind: kind.clone(),
            old_description: old.map(|l| l.description.clone()),
            old_quantity: old.map(|l| l.quantity.clone()),
            old_unit_price: old.map(|l| l.unit_price),
            old_amount: old.map(|l| l.amount),
            new_description: new.map(|l| l.description.clone()),
            new_quantity: new.map(|l| l.quantity.clone()),
            new_unit_price: new.map(|l| l.unit_price),
            new_amount: new.map(|l| l.amount),
            old_total: v.invoice.total,
            new_total: total,
            reason: reason.to_owned(),
            edited_by: actor.user_id.to_string(),
            edited_by_name: actor.name.clone(),
            edited_at: now_ms(),
        };
        let mut tx = self.db.begin().await?;
        invoices::edit_line(&mut tx, &v.invoice, version, &edit, write, tax.as_ref())
            .await
            .map_err(|e| crate::stale(e, v.invoice.version))?;
        let act = match action {
            "changed" => "invoice.line_change",
            "added" => "invoice.line_add",
            _ => "invoice.line_remove",
        };
        audit_invoice(
            &mut tx,
            actor,
            &v.invoice,
            act,
            json!({
                "edit": edit.id, "line": position, "kind": kind,
                "from": line_json(old), "to": line_json(new),
                "total": { "from": v.invoice.total, "to": total }, "reason": reason,
            }),
            meta,
        )
        .await?;
        tx.commit().await?;
        self.invoice(actor, &v.invoice.id).await
    }

    /// Change a line of a draft by hand (the provider's admin), saying why:
    /// its description, and its amount or its quantity and unit price. The
    /// tax and the total follow.
    #[allow(clippy::too_many_arguments)]
    pub async fn edit_invoice_line(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        position: i32,
        input: &LineInput,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let v = self.editable_draft(actor, id, version).await?;
        let reason = crate::stated("reason", reason, "say why")?;
        let old = v.editable_line(position)?;
        let new = set_line(old, input)?;
        if (&new.description, &new.quantity, new.unit_price, new.amount)
            == (&old.description, &old.quantity, old.unit_price, old.amount)
        {
            return Err(ValidationError::new(
                "line",
                "nothing would change: give a new description, amount, quantity or unit price",
            )
            .into());
        }
        self.keep_line_edit(actor, &v, version, reason, Some(old), Some(&new), meta)
            .await
    }

    /// Add a line to a draft by hand (the provider's admin), saying why: a
    /// one-off charge, or a credit with a negative amount. The tax and the
    /// total follow.
    pub async fn add_invoice_line(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        input: &LineInput,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let v = self.editable_draft(actor, id, version).await?;
        let reason = crate::stated("reason", reason, "say why")?;
        if input.description.is_none() {
            return Err(ValidationError::new("description", "describe the line").into());
        }
        if input.amount.is_none() && input.unit_price.is_none() {
            return Err(ValidationError::new(
                "amount",
                "give the line's amount, or its quantity and unit price",
            )
            .into());
        }
        let blank = Line {
            invoice_id: v.invoice.id.clone(),
            position: v.next_position(),
            kind: "manual".into(),
            description: String::new(),
            quantity: "1".into(),
            unit_price: 0,
            amount: 0,
            work_ids: "[]".into(),
        };
        let new = set_line(&blank, input)?;
        self.keep_line_edit(actor, &v, version, reason, None, Some(&new), meta)
            .await
    }

    /// Remove a line from a draft (the provider's admin), saying why. The
    /// tax and the total follow.
    pub async fn remove_invoice_line(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        position: i32,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<InvoiceView> {
        let v = self.editable_draft(actor, id, version).await?;
        let reason = crate::stated("reason", reason, "say why")?;
        let old = v.editable_line(position)?;
        self.keep_line_edit(actor, &v, version, reason, Some(old), None, meta)
            .await
    }

    /// Every invoice of a month the actor may read, with its lines, for
    /// the period's exports: the same invoices the list shows.
    pub async fn invoices_of_period(&self, actor: &Actor, first: Date) -> Result<Vec<InvoiceView>> {
        let period = period_of(first.first_of_month());
        let mut out = Vec::new();
        for i in self.invoices(actor, None, Some(&period)).await? {
            out.push(self.invoice(actor, &i.id).await?);
        }
        // Oldest first, as a ledger reads.
        out.reverse();
        Ok(out)
    }
}
