//! Agreements, two-party: the provider's admin drafts and proposes, the
//! client's admin accepts (or rejects with a reason). Accepting one ends
//! the engagement's previous agreement; one is active at a time and the
//! rest is history both sides read.

use crate::audit::{Entry, record};
use crate::desk::Policy;
use crate::{RequestMeta, Result, ServiceError, Tandem, decided, now_ms};
use serde_json::json;
use std::collections::BTreeMap;
use tandem_domain::billing::Terms;
use tandem_domain::policy::{self, AgreementAction};
use tandem_domain::ticket::Priority;
use tandem_domain::{Actor, EngagementId, ValidationError};
use tandem_store::StoreError;
use tandem_store::agreements::{self, Agreement};
use tandem_store::calendars;
use tandem_store::engagements::{self, Engagement};

/// An agreement as both sides read it.
#[derive(Clone, Debug)]
pub struct AgreementView {
    /// The stored agreement.
    pub agreement: Agreement,
    /// Its terms.
    pub terms: Terms,
    /// What stops it from being activated now (empty: nothing).
    pub problems: Vec<String>,
    /// The engagement it prices.
    pub engagement: Engagement,
}

/// An agreement's terms, as stored whole.
pub(crate) fn terms_of(a: &Agreement) -> Result<Terms> {
    serde_json::from_str(&a.terms)
        .map_err(|e| ServiceError::Internal(format!("agreement {} terms: {e}", a.id)))
}

impl Tandem {
    /// The engagement, if the actor's organization is party to it and the
    /// actor may read its agreements.
    async fn agreement_party(&self, actor: &Actor, id: EngagementId) -> Result<Engagement> {
        let e = match engagements::find(&self.db, &actor.scope(), id).await {
            Ok(e) => e,
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound),
            Err(other) => return Err(other.into()),
        };
        let relation = engagements::relation(&self.db, &actor.scope(), e.client_id).await?;
        if policy::may_read_agreement(actor.role, relation, e.provider_id == actor.org_id) {
            Ok(e)
        } else {
            Err(ServiceError::NotFound)
        }
    }

    fn may_step(actor: &Actor, e: &Engagement, action: AgreementAction) -> Result<()> {
        decided(policy::decide_agreement(
            actor.role,
            action,
            e.provider_id == actor.org_id,
            e.client_id == actor.org_id,
        ))
    }

    /// What stops `terms` from being activated for this engagement: its
    /// own checks and the client's SLA targets.
    async fn problems(&self, e: &Engagement, terms: &Terms) -> Result<Vec<String>> {
        // A priority the client never set runs on the desk's defaults,
        // which are numbers too.
        let mut targets: BTreeMap<Priority, (Option<i64>, Option<i64>)> = Priority::ALL
            .iter()
            .map(|p| {
                let d = Policy::default_for(*p);
                (*p, (Some(d.response_minutes), Some(d.resolution_minutes)))
            })
            .collect();
        for row in calendars::policies(&self.db, e.id).await? {
            if let Ok(p) = row.priority.parse() {
                targets.insert(
                    p,
                    (Some(row.response_minutes), Some(row.resolution_minutes)),
                );
            }
        }
        Ok(terms.activation_problems(&targets))
    }

    async fn view(&self, e: Engagement, a: Agreement) -> Result<AgreementView> {
        let terms = terms_of(&a)?;
        let problems = self.problems(&e, &terms).await?;
        Ok(AgreementView {
            agreement: a,
            terms,
            problems,
            engagement: e,
        })
    }

    /// An engagement's agreements, newest first.
    pub async fn agreements(&self, actor: &Actor, id: EngagementId) -> Result<Vec<AgreementView>> {
        let e = self.agreement_party(actor, id).await?;
        let mut out = Vec::new();
        for a in agreements::list_for_engagement(&self.db, &actor.scope(), e.id).await? {
            out.push(self.view(e.clone(), a).await?);
        }
        Ok(out)
    }

    /// One agreement.
    pub async fn agreement(&self, actor: &Actor, id: &str) -> Result<AgreementView> {
        let a = match agreements::find(&self.db, &actor.scope(), id).await {
            Ok(a) => a,
            Err(StoreError::NotFound) => return Err(ServiceError::NotFound),
            Err(other) => return Err(other.into()),
        };
        let e = self.agreement_party(actor, a.engagement_id).await?;
        self.view(e, a).await
    }

    /// Draft an agreement for an active engagement.
    pub async fn draft_agreement(
        &self,
        actor: &Actor,
        engagement: EngagementId,
        terms: &Terms,
        meta: &RequestMeta,
    ) -> Result<AgreementView> {
        let e = self.agreement_party(actor, engagement).await?;
        Self::may_step(actor, &e, AgreementAction::Propose)?;
        if !e.is_active() {
            return Err(ServiceError::Conflict(
                "the engagement has ended: it takes no new agreement".into(),
            ));
        }
        terms.validate()?;
        let now = now_ms();
        let a = Agreement {
            id: uuid::Uuid::now_v7().to_string(),
            engagement_id: e.id,
            client_id: e.client_id,
            provider_id: e.provider_id,
            status: "draft".into(),
            terms: serde_json::to_string(terms)
                .map_err(|err| ServiceError::Internal(err.to_string()))?,
            version: 1,
            created_at: now,
            created_by: actor.user_id.to_string(),
            proposed_at: None,
            proposed_by: None,
            decided_at: None,
            decided_by: None,
            reject_reason: None,
            ended_at: None,
        };
        let mut tx = self.db.begin().await?;
        agreements::insert(&mut tx, &a).await?;
        self.audit_step(
            &mut tx,
            actor,
            &a,
            "agreement.draft",
            json!({ "terms": terms }),
            meta,
        )
        .await?;
        tx.commit().await?;
        self.view(e, a).await
    }

    /// Replace a draft's terms (the version it read must still be current).
    pub async fn revise_agreement(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        terms: &Terms,
        meta: &RequestMeta,
    ) -> Result<AgreementView> {
        let current = self.agreement(actor, id).await?;
        Self::may_step(actor, &current.engagement, AgreementAction::Propose)?;
        if current.agreement.status != "draft" {
            return Err(ServiceError::Conflict(format!(
                "only a draft can be changed; this agreement is {}",
                current.agreement.status
            )));
        }
        terms.validate()?;
        let text =
            serde_json::to_string(terms).map_err(|err| ServiceError::Internal(err.to_string()))?;
        let mut tx = self.db.begin().await?;
        agreements::update_terms(&mut tx, id, &text, version)
            .await
            .map_err(|e| crate::stale(e, current.agreement.version))?;
        self.audit_step(
            &mut tx,
            actor,
            &current.agreement,
            "agreement.revise",
            json!({ "terms": terms }),
            meta,
        )
        .await?;
        tx.commit().await?;
        self.agreement(actor, id).await
    }

    /// Put a draft to the client. It must be activatable as it stands:
    /// the client is never asked to accept what could not take effect.
    pub async fn propose_agreement(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        meta: &RequestMeta,
    ) -> Result<AgreementView> {
        let current = self.agreement(actor, id).await?;
        Self::may_step(actor, &current.engagement, AgreementAction::Propose)?;
        self.ready(&current)?;
        self.take_step(actor, &current, version, ("draft", "proposed"), None, meta)
            .await
    }

    /// Accept a proposed agreement: it becomes the engagement's active one,
    /// and the one it replaces ends.
    pub async fn accept_agreement(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        meta: &RequestMeta,
    ) -> Result<AgreementView> {
        let current = self.agreement(actor, id).await?;
        Self::may_step(actor, &current.engagement, AgreementAction::Decide)?;
        self.ready(&current)?;
        self.take_step(actor, &current, version, ("proposed", "active"), None, meta)
            .await
    }

    /// Reject a proposed agreement, saying why.
    pub async fn reject_agreement(
        &self,
        actor: &Actor,
        id: &str,
        version: i64,
        reason: &str,
        meta: &RequestMeta,
    ) -> Result<AgreementView> {
        let current = self.agreement(actor, id).await?;
        Self::may_step(actor, &current.engagement, AgreementAction::Decide)?;
        let reason = crate::stated("reason", reason, "say why")?;
        self.take_step(
            actor,
            &current,
            version,
            ("proposed", "rejected"),
            Some(reason),
            meta,
        )
        .await
    }

    /// Nothing stops the agreement from taking effect.
    fn ready(&self, v: &AgreementView) -> Result<()> {
        if !v.engagement.is_active() {
            return Err(ServiceError::Conflict(
                "the engagement has ended: its agreements no longer change".into(),
            ));
        }
        if v.problems.is_empty() {
            Ok(())
        } else {
            Err(ValidationError::new(
                "terms",
                format!("not ready to take effect: {}", v.problems.join("; ")),
            )
            .into())
        }
    }

    async fn take_step(
        &self,
        actor: &Actor,
        current: &AgreementView,
        version: i64,
        (from, to): (&str, &str),
        reason: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<AgreementView> {
        let a = &current.agreement;
        if a.status != from {
            return Err(ServiceError::Conflict(format!(
                "the agreement is {}, not {from}",
                a.status
            )));
        }
        let now = now_ms();
        let mut tx = self.db.begin().await?;
        let ended = if to == "active" {
            agreements::end_active(&mut tx, a.engagement_id, now).await?
        } else {
            None
        };
        agreements::step(
            &mut tx,
            &a.id,
            version,
            from,
            to,
            actor.user_id,
            now,
            reason,
        )
        .await
        .map_err(|e| crate::stale(e, a.version))?;
        let action = match to {
            "proposed" => "agreement.propose",
            "active" => "agreement.accept",
            _ => "agreement.reject",
        };
        self.audit_step(
            &mut tx,
            actor,
            a,
            action,
            json!({ "status": { "from": from, "to": to }, "reason": reason, "replaces": ended }),
            meta,
        )
        .await?;
        tx.commit().await?;
        self.agreement(actor, &a.id).await
    }

    async fn audit_step(
        &self,
        tx: &mut tandem_store::Tx,
        actor: &Actor,
        a: &Agreement,
        action: &'static str,
        change: serde_json::Value,
        meta: &RequestMeta,
    ) -> Result<()> {
        // On the client's log: the client reads what was proposed to it and
        // what its admin decided.
        record(
            tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(a.client_id),
                action,
                object_type: "agreement",
                object_id: a.id.clone(),
                change,
            },
        )
        .await
    }
}
