//! How a client stands to an actor, and what day it is at the client: asked
//! by every feature that keeps records per client (documents, assets, the
//! vault, the overview), so each rule is written once.

use crate::{Result, ServiceError, Tandem};
use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use tandem_domain::policy::Relation;
use tandem_domain::{Actor, OrgId, Side};
use tandem_store::orgs::{self, Org};
use tandem_store::{StoreError, calendars};

impl Tandem {
    /// The organization `client` as `actor` reaches it (none when out of
    /// reach) and its relation to them, looked up now so that an ended
    /// engagement ends access on the next request.
    pub(crate) async fn client_relation(
        &self,
        actor: &Actor,
        client: OrgId,
    ) -> Result<(Option<Org>, Relation)> {
        let found = match orgs::find(&self.db, &actor.scope(), client).await {
            Ok(o) => Some(o),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let relation = match &found {
            Some(o) if o.id == actor.org_id => Relation::Own,
            Some(_) => Relation::Engaged,
            None => Relation::Foreign,
        };
        Ok((found, relation))
    }

    /// [`Tandem::client_relation`] for what only clients keep (assets,
    /// alerts, rotas, webhooks): the provider's own organization is
    /// answered as missing, whatever the role.
    pub(crate) async fn client_only(
        &self,
        actor: &Actor,
        client: OrgId,
    ) -> Result<(Option<Org>, Relation)> {
        let (found, relation) = self.client_relation(actor, client).await?;
        if found.as_ref().is_some_and(|o| o.kind != Side::Client) {
            return Err(ServiceError::NotFound);
        }
        Ok((found, relation))
    }

    /// The day it is at `now` in a client's time zone: its business
    /// calendar's, else the organization's, else UTC.
    pub async fn client_today(&self, client: &Org, now: Timestamp) -> Result<Date> {
        let named = match calendars::time_zone(&self.db, client.id).await? {
            Some(z) => z,
            None => client.time_zone.clone(),
        };
        let zone = TimeZone::get(&named).unwrap_or(TimeZone::UTC);
        Ok(now.to_zoned_datetime(zone).date())
    }
}
