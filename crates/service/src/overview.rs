//! A client's overview: what in its shared documentation, asset records and
//! vault needs someone's attention soon. Both IT sides read the same page,
//! so neither can say it did not know a certificate was about to lapse.

use crate::vault::VaultSecret;
use crate::{Result, ServiceError, Tandem};
use jiff::Timestamp;
use tandem_domain::policy::{self, Action};
use tandem_domain::{Actor, OrgId, Side};
use tandem_store::assets::Expiring;
use tandem_store::documents::PageSummary;

/// How far ahead the overview looks when the reader does not say.
pub const DEFAULT_HORIZON_DAYS: i64 = 60;

/// What needs attention at one client. A part is `None` when the reader
/// may not see that kind of record at all (rather than an empty list,
/// which would claim there is nothing).
#[derive(Debug, Clone)]
pub struct ClientOverview {
    /// Pages past their review date.
    pub stale_pages: Option<Vec<PageSummary>>,
    /// Warranties, renewals and certificates ending within the horizon.
    pub expiring: Option<Vec<Expiring>>,
    /// Credentials whose rotation is due within the horizon (or overdue).
    pub secrets_due: Option<Vec<VaultSecret>>,
    /// The horizon in days.
    pub horizon_days: i64,
}

/// A part the reader is refused is left out; any other failure is the
/// overview's failure.
fn part<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(ServiceError::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

impl Tandem {
    /// The overview of `client` as `actor` may see it, looking `horizon_days`
    /// ahead. IT staff of both sides (viewers included) read it; to anyone
    /// else the client is not found.
    pub async fn client_overview(
        &self,
        actor: &Actor,
        client: OrgId,
        horizon_days: i64,
        now: Timestamp,
    ) -> Result<ClientOverview> {
        let (found, relation) = self.client_relation(actor, client).await?;
        // Only clients have an overview; the provider's own organization
        // answers like a missing one.
        if found.is_some_and(|o| o.kind != Side::Client) {
            return Err(ServiceError::NotFound);
        }
        crate::decided(policy::decide_inventory(
            actor.role,
            Action::ViewClientOverview,
            relation,
        ))?;
        if !(0..=3650).contains(&horizon_days) {
            return Err(tandem_domain::ValidationError::new("days", "must be 0-3650").into());
        }
        Ok(ClientOverview {
            stale_pages: part(self.stale_pages(actor, client, now).await)?,
            expiring: part(self.upcoming_expiries(actor, client, horizon_days).await)?,
            secrets_due: part(
                self.secrets_due_for_rotation(actor, client, horizon_days)
                    .await,
            )?,
            horizon_days,
        })
    }
}
