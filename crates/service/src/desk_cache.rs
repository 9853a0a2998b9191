//! Each client's desk (active engagement, categories, priority matrix,
//! calendar, split, SLA policies) kept in memory for opening tickets.
//!
//! Opening a ticket reads all of it, and it changes a few times a year, so
//! reading it per ticket would put half a dozen queries in front of every
//! create. An entry is good while the organization's `desk_version` (moved
//! by database triggers on every change, whoever makes it) is the one it
//! was loaded at; the organization row is read on every create anyway, so
//! checking costs nothing, and other processes sharing a PostgreSQL
//! database are seen at once.

use crate::desk::{Policy, ensure_desk, parse_matrix, working_time};
use crate::{Result, Tandem};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tandem_domain::sla::WorkingTime;
use tandem_domain::ticket::{Priority, PriorityMatrix};
use tandem_domain::{Actor, EngagementId, OrgId};
use tandem_store::orgs::Org;
use tandem_store::split::{self, Category, SplitRow};
use tandem_store::{calendars, engagements};

/// More clients than this and the cache starts over (a bound on memory,
/// far above any one provider's client list).
const MAX_CLIENTS: usize = 10_000;

/// A client's desk as ticket creation reads it.
pub(crate) struct Desk {
    /// The organization's `desk_version` this was loaded at.
    version: i64,
    /// The active engagement, if any.
    pub engagement: Option<EngagementId>,
    /// Work categories, in order.
    pub categories: Vec<Category>,
    /// Impact x urgency to priority.
    pub matrix: PriorityMatrix,
    /// Business hours.
    pub business: Arc<dyn WorkingTime + Send + Sync>,
    /// The split, by category id.
    lines: HashMap<String, SplitRow>,
    /// SLA policies by priority.
    policies: HashMap<String, Policy>,
}

impl Desk {
    /// The split line of a category.
    pub fn line(&self, category_id: &str) -> Option<&SplitRow> {
        self.lines.get(category_id)
    }

    /// The policy for a priority (the default when none is stored).
    pub fn policy(&self, p: Priority) -> Policy {
        self.policies
            .get(p.as_str())
            .cloned()
            .unwrap_or_else(|| Policy::default_for(p))
    }

    /// Whether everything a new ticket needs exists.
    fn complete(&self) -> bool {
        !self.categories.is_empty()
            && self.engagement.is_none_or(|_| {
                self.lines.len() >= self.categories.len() && self.policies.len() >= 4
            })
    }
}

/// The cache, shared by every clone of [`Tandem`].
#[derive(Default)]
pub(crate) struct DeskCache {
    desks: Mutex<HashMap<OrgId, Arc<Desk>>>,
}

impl std::fmt::Debug for DeskCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskCache").finish_non_exhaustive()
    }
}

impl DeskCache {
    fn get(&self, client: &Org) -> Option<Arc<Desk>> {
        let desks = self.desks.lock().unwrap_or_else(|p| p.into_inner());
        desks
            .get(&client.id)
            .filter(|d| d.version == client.desk_version)
            .cloned()
    }

    fn put(&self, client: OrgId, desk: Arc<Desk>) {
        let mut desks = self.desks.lock().unwrap_or_else(|p| p.into_inner());
        if desks.len() >= MAX_CLIENTS {
            desks.clear();
        }
        desks.insert(client, desk);
    }
}

impl Tandem {
    /// The desk of `client` (read by `actor`, who may open tickets there),
    /// set up with defaults first if parts of it are missing.
    pub(crate) async fn desk_of(&self, actor: &Actor, client: &Org) -> Result<Arc<Desk>> {
        if let Some(d) = self.desks.get(client) {
            return Ok(d);
        }
        let mut desk = self.load_desk(actor, client).await?;
        if !desk.complete() {
            let mut tx = self.db.begin().await?;
            ensure_desk(&mut tx, client.id, desk.engagement).await?;
            tx.commit().await?;
            desk = self.load_desk(actor, client).await?;
        }
        let desk = Arc::new(desk);
        self.desks.put(client.id, desk.clone());
        Ok(desk)
    }

    async fn load_desk(&self, actor: &Actor, client: &Org) -> Result<Desk> {
        let engagement = engagements::active_for_client(&self.db, client.id)
            .await?
            .map(|e| e.id);
        let categories = split::categories(&self.db, &actor.scope(), client.id).await?;
        let business = working_time(calendars::calendar(&self.db, client.id).await?.as_ref())?;
        let (matrix, lines, policies) = match engagement {
            Some(e) => (
                parse_matrix(&engagements::priority_matrix(&self.db, e).await?),
                split::lines(&self.db, e).await?,
                calendars::policies(&self.db, e).await?,
            ),
            None => (PriorityMatrix::default(), Vec::new(), Vec::new()),
        };
        Ok(Desk {
            // Tagged with the version read before loading: a change made
            // meanwhile moves the stored version past it, so the next
            // ticket loads again.
            version: client.desk_version,
            engagement,
            categories,
            matrix,
            business: Arc::from(business),
            lines: lines
                .into_iter()
                .map(|l| (l.category_id.clone(), l))
                .collect(),
            policies: policies
                .iter()
                .map(|p| (p.priority.clone(), Policy::from_row(p)))
                .collect(),
        })
    }
}
