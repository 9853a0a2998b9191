//! Use cases of Tandem. Each public function is one thing a person or a
//! script does; it checks the policy, owns the transaction, and writes the
//! audit entry in that same transaction, so a change and its record commit
//! together or not at all.

pub mod accounts;
pub mod agreements;
pub mod alert_sweeps;
pub mod alerts;
mod answers;
mod asset_reminders;
pub mod assets;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod blocks;
mod calendar_support;
pub mod dashboard;
pub mod demo;
mod demo_alerts;
mod demo_assets;
mod demo_billing;
mod demo_desk;
mod demo_devices;
mod demo_docs;
mod demo_duty;
mod demo_vault;
pub mod desk;
mod desk_cache;
pub mod desk_setup;
pub mod devices;
pub mod documents;
pub mod duty;
pub mod engagements;
pub mod idempotency;
pub mod invoices;
pub mod maintenance;
pub mod notifications;
pub mod overview;
pub mod queue;
pub mod quote;
mod reach;
mod secrets;
pub mod time;
pub mod tokens;
pub mod vault;
pub mod vault_keys;
pub mod watchers;
pub mod webhooks;
pub mod worker;

use tandem_domain::policy::{self, Action, Decision};
use tandem_domain::{Actor, OrgId, Role, TicketId, ValidationError};
pub use tandem_store::{Backend, Db, StoreError};

/// Errors a use case reports; the web edge maps each to one HTTP answer.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Missing, or outside what the actor may know of (404).
    #[error("not found")]
    NotFound,
    /// Visible to the actor but not theirs to do (403).
    #[error("not permitted")]
    Forbidden,
    /// Not signed in, or the credentials are wrong (401).
    #[error("not signed in")]
    Unauthenticated,
    /// Input refused, naming the field (400/422).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// The change clashes with existing data (409).
    #[error("{0}")]
    Conflict(String),
    /// The object changed since the caller read it (412 in the API).
    #[error("changed by someone else since you loaded it (now at version {current_version})")]
    Stale {
        /// The version the object is at now.
        current_version: i64,
    },
    /// Too many attempts; try again after this many seconds (429).
    #[error("too many attempts")]
    RateLimited {
        /// Seconds until the limit lifts.
        retry_after_secs: u64,
    },
    /// The upload is larger than allowed (413).
    #[error("larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The store failed; its text is logged, never shown.
    #[error("store: {0}")]
    Store(StoreError),
    /// A cryptographic primitive failed (should not happen).
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ServiceError::NotFound,
            other => ServiceError::Store(other),
        }
    }
}

/// Result of a use case.
pub type Result<T> = std::result::Result<T, ServiceError>;

/// Where a request came from, for the audit log.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    /// The request id (also in the response header and on error pages).
    pub request_id: String,
    /// The client address as the server saw it.
    pub source_addr: String,
}

impl RequestMeta {
    /// Metadata for work started from the command line.
    pub fn cli(command: &str) -> Self {
        Self {
            request_id: format!("cli:{command}"),
            source_addr: "local".into(),
        }
    }
}

/// Settings the use cases need.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Sessions die after this long without a request.
    pub session_idle_minutes: i64,
    /// Sessions die this long after sign-in, however active.
    pub session_absolute_hours: i64,
    /// Failed sign-ins allowed per account within the window.
    pub login_max_failures_per_account: i64,
    /// Failed sign-ins allowed per source address within the window.
    pub login_max_failures_per_addr: i64,
    /// The window for both limits.
    pub login_window_minutes: i64,
    /// argon2id cost for new password hashes.
    pub password_cost: PasswordCost,
    /// Largest attachment accepted, in bytes.
    pub attachment_max_bytes: usize,
    /// Whether webhooks may post to loopback and private addresses
    /// (`TANDEM_WEBHOOK_ALLOW_PRIVATE`); link-local ones stay refused.
    pub webhook_allow_private: bool,
}

/// argon2id cost parameters. The default follows OWASP's recommendation
/// (19 MiB, 2 passes); tests turn it down so that seeding stays fast.
#[derive(Clone, Copy, Debug)]
pub struct PasswordCost {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes over memory.
    pub iterations: u32,
}

impl Default for PasswordCost {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            session_idle_minutes: 60,
            session_absolute_hours: 12,
            login_max_failures_per_account: 5,
            login_max_failures_per_addr: 30,
            login_window_minutes: 15,
            password_cost: PasswordCost::default(),
            attachment_max_bytes: 25 * 1024 * 1024,
            webhook_allow_private: false,
        }
    }
}

/// The services over one database.
#[derive(Clone, Debug)]
pub struct Tandem {
    /// The database.
    pub db: Db,
    /// The settings.
    pub settings: Settings,
    /// Each client's desk, for opening tickets.
    desks: std::sync::Arc<desk_cache::DeskCache>,
    /// Queue pages as last answered, while the data is unchanged.
    answers: std::sync::Arc<answers::QueueAnswers>,
    /// The client webhooks are posted with, made at the first delivery.
    webhook_http: std::sync::Arc<std::sync::OnceLock<reqwest::Client>>,
    /// Each alert source's request budget (per process).
    intake_limits: std::sync::Arc<alerts::IntakeLimiter>,
    /// The vault's master keys (an in-memory key until
    /// [`Tandem::with_keyring`] names the key file).
    vault: std::sync::Arc<vault_keys::Keyring>,
}

impl Tandem {
    /// Services over `db` with `settings`.
    pub fn new(db: Db, settings: Settings) -> Self {
        Self {
            db,
            settings,
            desks: std::sync::Arc::default(),
            answers: std::sync::Arc::default(),
            webhook_http: std::sync::Arc::default(),
            intake_limits: std::sync::Arc::default(),
            vault: std::sync::Arc::new(vault_keys::Keyring::ephemeral()),
        }
    }

    /// The same services with the vault's master keys from `keyring`
    /// (`tandem serve` loads them from the key file).
    pub fn with_keyring(mut self, keyring: vault_keys::Keyring) -> Self {
        self.vault = std::sync::Arc::new(keyring);
        self
    }

    /// The vault's master keys.
    pub fn keyring(&self) -> &vault_keys::Keyring {
        &self.vault
    }

    /// Ask the policy whether `actor` may do `action` on `org`, looking the
    /// relation up now; Forbidden and NotFound become errors.
    pub async fn authorize(&self, actor: &Actor, action: Action, org: OrgId) -> Result<()> {
        let relation = tandem_store::engagements::relation(&self.db, &actor.scope(), org).await?;
        decided(policy::decide(actor.role, action, relation))
    }

    /// [`Tandem::authorize`] for use cases that need the organization row
    /// too, in one read: the row is found only within the actor's scope
    /// (their own organization or an engaged client), which is exactly the
    /// relation the policy asks about.
    pub(crate) async fn authorize_org(
        &self,
        actor: &Actor,
        action: Action,
        org: OrgId,
    ) -> Result<tandem_store::orgs::Org> {
        let found = match tandem_store::orgs::find(&self.db, &actor.scope(), org).await {
            Ok(o) => Some(o),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let relation = match &found {
            Some(o) if o.id == actor.org_id => policy::Relation::Own,
            Some(_) => policy::Relation::Engaged,
            None => policy::Relation::Foreign,
        };
        decided(policy::decide(actor.role, action, relation))?;
        found.ok_or(ServiceError::NotFound)
    }
}

impl Tandem {
    /// Which of these tickets `reader` may read now, by the rule of
    /// [`policy::may_read_ticket`]: the check a ticket reached through
    /// another object (a link, a notification) goes through, the same as
    /// the ticket's own route. (Search hits and lists are filtered by the
    /// store's SQL form of that same rule.) Each ticket comes with the
    /// client it belongs to; relations are looked up once per client.
    pub(crate) async fn readable_tickets(
        &self,
        reader: &Actor,
        tickets: &[(TicketId, OrgId)],
    ) -> Result<std::collections::HashSet<TicketId>> {
        self.readable_tickets_with(reader, tickets, &mut Relations::new())
            .await
    }

    /// [`Tandem::readable_tickets`] with the reader's relations kept by the
    /// caller, for a caller that asks many times for one reader.
    pub(crate) async fn readable_tickets_with(
        &self,
        reader: &Actor,
        tickets: &[(TicketId, OrgId)],
        relations: &mut Relations,
    ) -> Result<std::collections::HashSet<TicketId>> {
        let mut out = std::collections::HashSet::new();
        for &(id, client) in tickets {
            let relation = match relations.get(&client) {
                Some(r) => *r,
                None => {
                    let r = tandem_store::engagements::relation(&self.db, &reader.scope(), client)
                        .await?;
                    relations.insert(client, r);
                    r
                }
            };
            // Whether the reader opened it matters only to requesters, and
            // only where the relation lets them read at all; the store finds
            // a requester's own tickets only.
            let own_ticket = reader.role == Role::Requester
                && policy::may_read_ticket(reader.role, relation, true)
                && match tandem_store::tickets::find(&self.db, &reader.scope(), true, id).await {
                    Ok(_) => true,
                    Err(StoreError::NotFound) => false,
                    Err(e) => return Err(e.into()),
                };
            if policy::may_read_ticket(reader.role, relation, own_ticket) {
                out.insert(id);
            }
        }
        Ok(out)
    }
}

/// One reader's relation to each client asked about so far.
pub(crate) type Relations = std::collections::HashMap<OrgId, policy::Relation>;

/// The policy's answer as a result.
/// Words a person must give with a decision (why an agreement is
/// rejected, an invoice voided, a line disputed or kept): trimmed, not
/// empty, at most 2000 characters; `ask` says what is missing ("say why").
pub(crate) fn stated<'a>(field: &'static str, raw: &'a str, ask: &str) -> Result<&'a str> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > 2000 {
        return Err(
            ValidationError::new(field, format!("{ask}, in at most 2000 characters")).into(),
        );
    }
    Ok(text)
}

/// A write that found its object changed since `version` was read: the
/// store's conflict, as the caller's stale version.
pub(crate) fn stale(e: StoreError, version: i64) -> ServiceError {
    match e {
        StoreError::Conflict => ServiceError::Stale {
            current_version: version,
        },
        other => other.into(),
    }
}

pub(crate) fn decided(d: Decision) -> Result<()> {
    match d {
        Decision::Allow => Ok(()),
        Decision::Forbidden => Err(ServiceError::Forbidden),
        Decision::NotFound => Err(ServiceError::NotFound),
    }
}

/// The current instant in epoch milliseconds.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// The records use cases hand back, for the web edge to show.
pub mod model {
    pub use tandem_store::attachments::Attachment;
    pub use tandem_store::devices::Device;
    pub use tandem_store::engagements::{Assignment, Engagement};
    pub use tandem_store::invoices::{Invoice, Line as InvoiceLine, LineEdit as InvoiceLineEdit};
    pub use tandem_store::jobs::Notification;
    pub use tandem_store::orgs::Org;
    pub use tandem_store::split::{Category, SplitChange, SplitRow};
    pub use tandem_store::tickets::{Event as TicketEvent, QueueRow as QueueItem, Ticket};
    pub use tandem_store::time_entries::TimeEntry;
    pub use tandem_store::tokens::ApiToken;
    pub use tandem_store::users::User;
}
