//! Writing and reading the audit log.

use crate::{RequestMeta, Result, Tandem, now_ms};
use tandem_domain::audit::{AuditRecord, ChainBreak, ChainVerifier};
use tandem_domain::policy::Action;
use tandem_domain::{Actor, OrgId, Side};
use tandem_store::Tx;

/// What an audit entry records about its object.
pub(crate) struct Entry<'a> {
    /// The organization whose data it concerns.
    pub org: Option<OrgId>,
    /// e.g. `user.create`.
    pub action: &'a str,
    /// e.g. `user`.
    pub object_type: &'a str,
    /// The object's id.
    pub object_id: String,
    /// What changed.
    pub change: serde_json::Value,
}

/// Append an entry for `actor` in the caller's transaction.
pub(crate) async fn record(
    tx: &mut Tx,
    actor: Option<&Actor>,
    label: &str,
    meta: &RequestMeta,
    e: Entry<'_>,
) -> Result<()> {
    tandem_store::audit::append(tx, audit_record(actor, label, meta, e)).await?;
    Ok(())
}

/// The entry [`record`] appends, for writes that append it themselves.
pub(crate) fn audit_record(
    actor: Option<&Actor>,
    label: &str,
    meta: &RequestMeta,
    e: Entry<'_>,
) -> AuditRecord {
    AuditRecord {
        seq: 0,
        at_ms: now_ms(),
        actor_user_id: actor.map(|a| a.user_id.to_string()),
        actor_label: actor.map_or_else(|| label.to_owned(), |a| a.email.clone()),
        actor_side: actor.map(|a| a.side().as_str().to_owned()),
        actor_org_id: actor.map(|a| a.org_id.to_string()),
        org_id: e.org.map(|o| o.to_string()),
        action: e.action.to_owned(),
        object_type: e.object_type.to_owned(),
        object_id: e.object_id,
        change: e.change.to_string(),
        request_id: meta.request_id.clone(),
        source_addr: meta.source_addr.clone(),
    }
}

impl Tandem {
    /// Audit entries on `org`'s data, newest first. Client staff read their
    /// own client's; assigned provider staff read their engaged clients'.
    pub async fn list_audit(
        &self,
        actor: &Actor,
        org: OrgId,
        before_seq: Option<i64>,
        limit: i64,
        actor_side: Option<Side>,
    ) -> Result<Vec<AuditRecord>> {
        self.authorize(actor, Action::ViewAudit, org).await?;
        let limit = limit.clamp(1, 500);
        Ok(tandem_store::audit::list_for_org(
            &self.db,
            &actor.scope(),
            org,
            before_seq,
            limit,
            actor_side,
        )
        .await?)
    }

    /// Walk the whole chain; the number of entries, or the first break.
    pub async fn verify_audit(&self) -> Result<std::result::Result<u64, ChainBreak>> {
        let mut verifier = ChainVerifier::default();
        let mut after = 0;
        loop {
            let page = tandem_store::audit::page_in_order(&self.db, after, 5000).await?;
            let Some(last) = page.last() else { break };
            after = last.record.seq;
            for e in &page {
                if let Err(b) = verifier.check(e) {
                    return Ok(Err(b));
                }
            }
        }
        Ok(Ok(verifier.checked()))
    }
}
