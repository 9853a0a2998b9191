//! The monthly invoice run and the life of an invoice: a draft per active
//! agreement and month (running it again makes nothing new), issued with
//! the provider's next number (then immutable, its time locked), or void
//! with a reason (a corrected invoice is a new one).
//!
//! What a month counts: the agreement's terms as accepted; users as the
//! client's active requester accounts when the run happens (or the number
//! the agreement fixes); devices day by day from the inventory; the month's
//! time entries (corrections netted in); the SLA targets missed in the
//! month. Block purchases are not kept as a ledger yet, so block-hours
//! agreements bill all their time as overage.

use crate::agreements::terms_of;
use crate::audit::{Entry, record};
use crate::time::{month_bounds, works_of};
use crate::{RequestMeta, Result, ServiceError, Tandem, decided, now_ms};
use jiff::civil::Date;
use serde_json::json;
use std::collections::BTreeMap;
use tandem_domain::billing::{self, Month, Terms, UserCounting};
use tandem_domain::device::{self, DeviceClass};
use tandem_domain::policy;
use tandem_domain::ticket::Priority;
use tandem_domain::{Actor, OrgId, ValidationError};
use tandem_store::StoreError;
use tandem_store::agreements::{self, Agreement};
use tandem_store::invoices::{self, Invoice, Line};
use tandem_store::{dashboard, devices, engagements, time_entries, users};

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
        for a in agreements::all_active(&self.db, provider).await? {
            match self
                .draft_invoice(actor, &a, &terms_of(&a)?, first, meta)
                .await?
            {
                Drafted::Created(id) => out.created.push(id),
                Drafted::Existing => out.existing += 1,
                Drafted::NotRunning => out.not_running += 1,
            }
        }
        Ok(out)
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
        let mut made = 0;
        for a in agreements::all_active(&self.db, None).await? {
            let terms = terms_of(&a)?;
            if today.day() >= i8::try_from(terms.invoice_day).unwrap_or(28)
                && matches!(
                    self.draft_invoice(None, &a, &terms, last_month, &meta)
                        .await?,
                    Drafted::Created(_)
                )
            {
                made += 1;
            }
        }
        Ok(made)
    }

    /// [`Tandem::run_due_invoices`] for today (UTC).
    pub async fn run_due_invoices_today(&self) -> Result<usize> {
        let today = jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
        self.run_due_invoices(today).await
    }

    /// The month of one agreement as the engine takes it.
    async fn month_of(&self, a: &Agreement, terms: &Terms, first: Date) -> Result<Month> {
        let client = a.client_id;
        let tz = self.client_zone(client).await?;
        let (from, to) = month_bounds(first, &tz);
        let users = match terms.pricing.per_user.as_ref().map(|u| &u.counting) {
            Some(UserCounting::ActiveRequesters) => {
                let n = users::active_requesters(&self.db, client).await?;
                vec![(first, u32::try_from(n).unwrap_or(u32::MAX))]
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
        let entries: Vec<_> = time_entries::for_client(&self.db, client, from, to)
            .await?
            .into_iter()
            .filter(|e| e.invoice_id.is_none())
            .collect();
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
        Ok(Month {
            first,
            users,
            devices: series,
            work: works_of(&entries, &tz),
            blocks: Vec::new(),
            breaches,
        })
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
        let month = self.month_of(a, terms, first).await?;
        let made = billing::invoice(terms, &month);
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
            warnings: json!(made.warnings).to_string(),
            covered: json!(
                month
                    .work
                    .iter()
                    .filter(|w| w.side == billing::WorkSide::Provider)
                    .map(|w| &w.id)
                    .collect::<Vec<_>>()
            )
            .to_string(),
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
        Ok(InvoiceView {
            invoice: inv,
            lines,
            warnings,
            client_name: e.client_name,
            provider_name: e.provider_name,
            payment_days: terms.as_ref().map_or(30, |t| t.payment_days),
            tax_bps: terms.and_then(|t| t.tax_bps),
            disputes,
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
        let mut amounts: Vec<(i32, i64)> = Vec::new();
        if let Some(a) = new_amount {
            amounts.push((line.position, a));
        }
        let amount_of = |l: &invoices::Line| {
            amounts
                .iter()
                .find(|(p, _)| *p == l.position)
                .map_or(l.amount, |(_, a)| *a)
        };
        let subtotal: i64 = v
            .lines
            .iter()
            .filter(|l| l.kind != "tax")
            .map(amount_of)
            .sum();
        let mut total = subtotal;
        if let (Some(bps), Some(tax)) = (v.tax_bps, v.lines.iter().find(|l| l.kind == "tax")) {
            let t = tandem_domain::money::round(
                i128::from(subtotal) * i128::from(bps),
                10_000,
                tandem_domain::money::Rounding::Tax,
            );
            if t != tax.amount {
                amounts.push((tax.position, t));
            }
            total += t;
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
            &amounts,
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
