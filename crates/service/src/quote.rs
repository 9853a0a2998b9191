//! The proposal calculator as a use case: who may price proposals. It
//! reads and stores nothing; the pricing is the domain's
//! ([`tandem_domain::quote`]), which is the billing engine's.

use crate::{Result, Tandem, decided};
use tandem_domain::Actor;
use tandem_domain::policy::{self, Action, Relation};
use tandem_domain::quote::{Comparison, QuoteRequest};

impl Tandem {
    /// Compare provider proposals for a company profile. Any IT staff of
    /// either side may; requesters may not. Nothing is stored or audited:
    /// the figures are the caller's own.
    pub fn compare_proposals(&self, actor: &Actor, request: &QuoteRequest) -> Result<Comparison> {
        self.may_compare_proposals(actor)?;
        Ok(request.compare()?)
    }

    /// Whether `actor` may use the calculator at all, asked before a form
    /// is read so that a requester is refused the same whatever they type.
    pub fn may_compare_proposals(&self, actor: &Actor) -> Result<()> {
        decided(policy::decide(
            actor.role,
            Action::CompareProposals,
            Relation::Own,
        ))
    }
}
