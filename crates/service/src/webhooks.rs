//! Outgoing webhooks: each side of a client registers its own endpoints
//! (provider admin for the provider side, the client's admin for the
//! in-house side) to hear about that client's ticket events — opened,
//! assigned, handed off, SLA warning and breach, resolved — as signed JSON
//! posts, so either side can page through its own tools.
//!
//! The path of an event:
//! 1. The desk writes a timeline entry ([`crate::desk`]'s `event`, or the
//!    `created` entry of `tickets::open`). In that same transaction
//!    [`ticket_event_job`] turns it into one `webhook_event` job, queued
//!    only if the client has an endpoint at all.
//! 2. The worker fans that job out: one delivery (with its body, fixed
//!    from then on) and one `webhook` job per endpoint that wants it.
//! 3. [`Tandem::deliver_webhooks`] claims `webhook` jobs with a lease and
//!    commits, posts each with a short timeout outside any transaction
//!    (SQLite has one writer), then records the attempt and finishes the
//!    job or puts it back with exponential backoff.
//!
//! At the moment of posting, an endpoint revoked since, or a provider-side
//! endpoint whose provider no longer has an active engagement with the
//! client, gets nothing: the delivery is cancelled instead.

use crate::audit::{Entry, record};
use crate::secrets::{hmac_sha256_hex, random_token};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tandem_domain::policy::{self, Relation, WebhookAction};
use tandem_domain::ticket::TicketStatus;
use tandem_domain::webhook::{
    MAX_URL_CHARS, TEST_EVENT, WebhookEvent, address_allowed, retry_delay_ms,
};
use tandem_domain::{Actor, OrgId, Side, TicketId, ValidationError, WebhookId};
use tandem_store::jobs::{self, Job, NewJob, WEBHOOK_DELIVERY};
use tandem_store::orgs::{self, Org};
pub use tandem_store::webhooks::{Attempt, Delivery, Webhook};
use tandem_store::{StoreError, Tx, engagements, users, webhooks};

/// Every signing secret starts with this, so secret scanners can recognise a leak.
pub const SECRET_PREFIX: &str = "whsec_";

/// The job kind of a ticket event waiting to be fanned out to endpoints.
pub(crate) const TICKET_EVENT_JOB: &str = "webhook_event";

/// How long one post may take, connection included.
const POST_TIMEOUT: Duration = Duration::from_secs(5);

/// Deliveries posted side by side in one round.
const DELIVERY_BATCH: i64 = 16;

/// How long claimed deliveries stay with one worker: the whole batch runs
/// at once, so a few timeouts' worth is plenty.
const DELIVERY_LEASE_MS: i64 = 60_000;

/// Longest error text kept in the delivery log.
const MAX_ERROR_CHARS: usize = 300;

/// A new endpoint as its side's admin describes it.
#[derive(Clone, Debug)]
pub struct NewWebhook {
    /// 1-100 printable characters.
    pub name: String,
    /// `http://` or `https://`, at most [`MAX_URL_CHARS`].
    pub url: String,
    /// At least one.
    pub events: Vec<WebhookEvent>,
}

/// An endpoint as the asking person may see it.
#[derive(Clone, Debug)]
pub struct WebhookView {
    /// The endpoint; its `url` is empty for the other side
    /// ([`policy::may_see_webhook_url`]).
    pub webhook: Webhook,
    /// The events it wants.
    pub events: Vec<WebhookEvent>,
    /// Whether the asker may revoke it, test it and read its log.
    pub manageable: bool,
}

/// A delivery with its attempts, newest first.
#[derive(Clone, Debug)]
pub struct DeliveryView {
    /// The delivery.
    pub delivery: Delivery,
    /// Its attempts, the latest first.
    pub attempts: Vec<Attempt>,
}

/// One page of an endpoint's delivery log.
#[derive(Clone, Debug)]
pub struct DeliveryPage {
    /// The deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
    /// The cursor of the next (older) page, if there may be one.
    pub next: Option<String>,
}

/// A ticket event as the desk wrote it, waiting to be fanned out. What the
/// ticket looked like is taken at the event; names (the client's, the
/// assignee's) are read when the deliveries are made.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct TicketEventJob {
    event: WebhookEvent,
    occurred_at: i64,
    client_id: OrgId,
    ticket_id: TicketId,
    number: i64,
    title: String,
    priority: String,
    status: String,
    owner_side: String,
    assignee_id: Option<String>,
    /// `response` or `resolution`, for SLA events.
    clock: Option<String>,
}

/// The webhook event a timeline entry is, if any: the one place that
/// decides which ticket changes the webhooks hear of.
fn event_of(e: &tandem_store::tickets::Event) -> Option<(WebhookEvent, Option<String>)> {
    let data = || serde_json::from_str::<serde_json::Value>(&e.data).unwrap_or_default();
    match e.kind.as_str() {
        "created" => Some((WebhookEvent::Opened, None)),
        // The timeline writes `field` for assignee changes only.
        "field" => Some((WebhookEvent::Assigned, None)),
        "handoff" => Some((WebhookEvent::HandedOff, None)),
        "status" => {
            let d = data();
            let status = |k: &str| d[k].as_str().and_then(|s| s.parse::<TicketStatus>().ok());
            match (status("from"), status("to")) {
                (Some(from), Some(to)) if to.is_done() && !from.is_done() => {
                    Some((WebhookEvent::Resolved, None))
                }
                _ => None,
            }
        }
        "sla" => {
            let d = data();
            let clock = d["clock"].as_str().map(str::to_owned);
            match d["event"].as_str() {
                Some("warning") => Some((WebhookEvent::SlaWarning, clock)),
                Some("breach") => Some((WebhookEvent::SlaBreach, clock)),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The job that carries timeline entry `e` of ticket `t` to the client's
/// webhooks, or none when the entry is no webhook event. The caller
/// queues it with the entry ([`tandem_store::webhooks::enqueue_if_heard`]).
pub(crate) fn ticket_event_job(
    e: &tandem_store::tickets::Event,
    t: &tandem_store::tickets::Ticket,
) -> Option<NewJob> {
    let (event, clock) = event_of(e)?;
    let job = TicketEventJob {
        event,
        occurred_at: e.at,
        client_id: t.client_id,
        ticket_id: t.id,
        number: t.number,
        title: t.title.clone(),
        priority: t.priority.clone(),
        status: t.status.clone(),
        owner_side: t.owner_side.clone(),
        assignee_id: t.assignee_id.clone(),
        clock,
    };
    Some(NewJob {
        kind: TICKET_EVENT_JOB,
        payload: serde_json::to_string(&job).ok()?,
        // Due at once, whatever instant the change itself is dated.
        run_at: now_ms(),
    })
}

/// The signature of a delivery: lowercase hex HMAC-SHA256 of
/// `timestamp + "." + body` under the endpoint's secret, the scheme
/// signed alert intake uses.
pub fn webhook_signature(secret: &str, timestamp: &str, body: &[u8]) -> Result<String> {
    hmac_sha256_hex(secret.as_bytes(), timestamp, body)
}

fn name_of(raw: &str) -> Result<String> {
    let n = raw.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(ValidationError::new("name", "must be 1-100 printable characters").into());
    }
    Ok(n.to_owned())
}

/// Why Tandem will not post to `url` under `allow_private`, if it will
/// not: the checks that need no name lookup (the names are checked again
/// each time they are looked up, see [`GuardedResolver`]).
fn url_refusal(url: &str, allow_private: bool) -> Option<&'static str> {
    if url.chars().count() > MAX_URL_CHARS {
        return Some("must be at most 2000 characters");
    }
    let Ok(u) = reqwest::Url::parse(url) else {
        return Some("is not a URL");
    };
    if !matches!(u.scheme(), "http" | "https") {
        return Some("must start with http:// or https://");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Some("must not carry a user name or password; the signature proves the sender");
    }
    if u.fragment().is_some() {
        return Some("must not have a #fragment");
    }
    let Some(host) = u.host_str() else {
        return Some("must name a host");
    };
    // IPv6 hosts come bracketed; the parser has already normalised the
    // other spellings of an address (decimal, octal) to dotted form.
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let refused = match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => !address_allowed(ip, allow_private),
        Err(_) => {
            let d = bare.trim_end_matches('.').to_ascii_lowercase();
            (d == "localhost" || d.ends_with(".localhost")) && !allow_private
        }
    };
    refused.then_some(
        "points at a loopback, private, link-local or unspecified address, which webhooks may not reach",
    )
}

/// Looks names up for the webhook client and refuses the lot if any
/// address is one webhooks may not reach: checking the URL's text alone
/// would let a name that resolves into the server's own network through.
/// The addresses checked are the ones connected to, so a name that
/// changes its answer between a check and the connection gains nothing.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: bool,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(format!("{host} has no address").into());
            }
            if let Some(bad) = addrs
                .iter()
                .find(|a| !address_allowed(a.ip(), allow_private))
            {
                return Err(format!(
                    "{host} resolves to {}, which webhooks may not reach",
                    bad.ip()
                )
                .into());
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The HTTP client webhooks are posted with: no redirects (a receiver
/// cannot bounce a post elsewhere), no proxy from the environment, no
/// cookies, a short timeout, and names looked up by [`GuardedResolver`].
fn http_client(allow_private: bool) -> Result<reqwest::Client> {
    // rustls needs a process-wide crypto provider; ring builds without
    // cmake. Installing it twice is harmless (the second is refused).
    // ring has no post-quantum key exchange yet (hence the deprecation);
    // aws-lc-rs, which has, needs cmake and minutes of C on two cores.
    #[allow(deprecated)]
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(POST_TIMEOUT)
        .connect_timeout(POST_TIMEOUT)
        .user_agent(concat!("Tandem-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(GuardedResolver { allow_private }))
        .build()
        .map_err(|e| ServiceError::Internal(format!("webhook client: {e}")))
}

/// What became of one claimed delivery job.
enum Outcome {
    /// Nothing to post (the delivery is gone or the payload unreadable).
    Nothing,
    /// Not posted: the endpoint is revoked or its side lost the client.
    Cancelled {
        delivery_id: String,
        attempts: i64,
        why: &'static str,
    },
    /// Posted (or tried to).
    Tried { attempt: Attempt, delivered: bool },
}

/// An error as the delivery log shows it: the URL left out (it may hold
/// the receiver's credentials), with its causes.
fn error_text(e: reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("timed out after {} s", POST_TIMEOUT.as_secs());
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text.chars().take(MAX_ERROR_CHARS).collect()
}

impl Tandem {
    /// The client whose webhooks `actor` reaches with `action` on an
    /// endpoint of `side`.
    async fn webhooks_client(
        &self,
        actor: &Actor,
        action: WebhookAction,
        client: OrgId,
        side: Side,
    ) -> Result<Org> {
        let (found, relation) = self.client_only(actor, client).await?;
        crate::decided(policy::decide_webhooks(actor.role, action, relation, side))?;
        found.ok_or(ServiceError::NotFound)
    }

    /// One endpoint of a client, if `actor` may take `action` on it.
    async fn webhook_for(
        &self,
        actor: &Actor,
        action: WebhookAction,
        client: OrgId,
        id: WebhookId,
    ) -> Result<Webhook> {
        // Whether the client is within reach is asked first, so that a
        // stranger learns nothing of the endpoint's existence.
        self.webhooks_client(actor, WebhookAction::List, client, actor.side())
            .await?;
        let w = webhooks::get(&self.db, client, id).await?;
        self.webhooks_client(actor, action, client, w.side).await?;
        Ok(w)
    }

    /// A client's endpoints of both sides, newest first.
    pub async fn webhooks(&self, actor: &Actor, client: OrgId) -> Result<Vec<WebhookView>> {
        self.webhooks_client(actor, WebhookAction::List, client, actor.side())
            .await?;
        let relation = if client == actor.org_id {
            Relation::Own
        } else {
            Relation::Engaged
        };
        Ok(webhooks::list(&self.db, client)
            .await?
            .into_iter()
            .map(|mut w| {
                if !policy::may_see_webhook_url(actor.side(), w.side) {
                    w.url.clear();
                }
                WebhookView {
                    events: events_of(&w.events),
                    manageable: policy::decide_webhooks(
                        actor.role,
                        WebhookAction::Manage,
                        relation,
                        w.side,
                    )
                    .allowed(),
                    webhook: w,
                }
            })
            .collect())
    }

    /// Whether `actor` may add endpoints for their side of the client
    /// (pages show the form only then); a client out of reach is not found.
    pub async fn may_create_webhooks(&self, actor: &Actor, client: OrgId) -> Result<bool> {
        match self
            .webhooks_client(actor, WebhookAction::Manage, client, actor.side())
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Create an endpoint of the actor's side; its signing secret is
    /// returned this once and never shown again.
    pub async fn create_webhook(
        &self,
        actor: &Actor,
        client: OrgId,
        input: &NewWebhook,
        meta: &RequestMeta,
    ) -> Result<(WebhookView, String)> {
        self.webhooks_client(actor, WebhookAction::Manage, client, actor.side())
            .await?;
        let name = name_of(&input.name)?;
        let url = input.url.trim().to_owned();
        if let Some(why) = url_refusal(&url, self.settings.webhook_allow_private) {
            return Err(ValidationError::new("url", why).into());
        }
        let mut events = input.events.clone();
        events.sort_unstable();
        events.dedup();
        if events.is_empty() {
            return Err(ValidationError::new("events", "choose at least one event").into());
        }
        let secret = format!("{SECRET_PREFIX}{}", random_token());
        let webhook = Webhook {
            id: WebhookId::new(),
            client_id: client,
            side: actor.side(),
            owner_org_id: actor.org_id,
            name,
            url,
            events: events
                .iter()
                .map(|e| e.as_str())
                .collect::<Vec<_>>()
                .join(","),
            secret_prefix: secret.chars().take(SECRET_PREFIX.len() + 6).collect(),
            created_by: Some(actor.user_id.to_string()),
            created_at: now_ms(),
            revoked_at: None,
        };
        let host = reqwest::Url::parse(&webhook.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        // Signing needs the secret itself, so it is stored sealed under the
        // client's vault data key (wrapped by the master key), never as it
        // is; it is never logged nor audited.
        let sealed = self
            .seal_for_client(client, "webhook", &webhook.id.to_string(), &secret)
            .await?;
        let mut tx = self.db.begin().await?;
        webhooks::insert(&mut tx, &webhook, &sealed).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "webhook.create",
                object_type: "webhook",
                object_id: webhook.id.to_string(),
                // The host only: both sides read the audit log, and a
                // receiver's URL may carry its own credentials.
                change: json!({ "name": webhook.name, "side": webhook.side, "host": host,
                    "events": webhook.events, "secret_prefix": webhook.secret_prefix }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok((
            WebhookView {
                webhook,
                events,
                manageable: true,
            },
            secret,
        ))
    }

    /// Revoke an endpoint of the actor's side: it receives nothing more,
    /// not even deliveries already queued.
    pub async fn revoke_webhook(
        &self,
        actor: &Actor,
        client: OrgId,
        id: WebhookId,
        meta: &RequestMeta,
    ) -> Result<()> {
        self.webhook_for(actor, WebhookAction::Manage, client, id)
            .await?;
        let mut tx = self.db.begin().await?;
        webhooks::revoke(&mut tx, client, id, now_ms()).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "webhook.revoke",
                object_type: "webhook",
                object_id: id.to_string(),
                change: json!({}),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queue a `test` event for an endpoint of the actor's side, so its
    /// owners can check their receiver; returns the delivery's id.
    pub async fn send_test_webhook(
        &self,
        actor: &Actor,
        client: OrgId,
        id: WebhookId,
    ) -> Result<String> {
        let w = self
            .webhook_for(actor, WebhookAction::Manage, client, id)
            .await?;
        if w.revoked_at.is_some() {
            return Err(ServiceError::Conflict("this endpoint is revoked".into()));
        }
        let org = orgs::get_unscoped(&self.db, client).await?;
        let now = now_ms();
        let delivery_id = uuid::Uuid::now_v7().to_string();
        let body = json!({
            "id": delivery_id,
            "event": TEST_EVENT,
            "occurred_at": rfc3339(now),
            "client": { "id": client, "name": org.name },
            "ticket": null,
        });
        let mut tx = self.db.begin().await?;
        queue_delivery(&mut tx, &w, &delivery_id, TEST_EVENT, None, &body, now).await?;
        tx.commit().await?;
        Ok(delivery_id)
    }

    /// One page of an endpoint's delivery log, newest first: at most
    /// `limit` deliveries older than the cursor `before`, with their
    /// attempts. Only the endpoint's own side reads it.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        client: OrgId,
        id: WebhookId,
        before: Option<&str>,
        limit: i64,
    ) -> Result<DeliveryPage> {
        self.webhook_for(actor, WebhookAction::ReadDeliveries, client, id)
            .await?;
        let limit = limit.clamp(1, 100);
        let page = webhooks::deliveries(&self.db, id, before, limit).await?;
        let mut attempts = match (page.last(), page.first()) {
            (Some(oldest), Some(newest)) => {
                webhooks::attempts(&self.db, id, &oldest.id, &newest.id).await?
            }
            _ => Vec::new(),
        };
        let next = (page.len() as i64 == limit)
            .then(|| page.last().map(|d| d.id.clone()))
            .flatten();
        let deliveries = page
            .into_iter()
            .map(|delivery| {
                let (mine, rest) = attempts
                    .drain(..)
                    .partition(|a: &Attempt| a.delivery_id == delivery.id);
                attempts = rest;
                DeliveryView {
                    delivery,
                    attempts: mine,
                }
            })
            .collect();
        Ok(DeliveryPage { deliveries, next })
    }

    /// Fan a ticket event out: a delivery and a job for every endpoint of
    /// the client that wants it, in the worker's transaction.
    pub(crate) async fn fan_out_ticket_event(
        &self,
        tx: &mut Tx,
        payload: &str,
        now: i64,
    ) -> Result<usize> {
        let e: TicketEventJob = serde_json::from_str(payload)
            .map_err(|err| ServiceError::Internal(format!("webhook event payload: {err}")))?;
        let endpoints: Vec<Webhook> = webhooks::live_tx(tx, e.client_id)
            .await?
            .into_iter()
            .filter(|w| events_of(&w.events).contains(&e.event))
            .collect();
        if endpoints.is_empty() {
            return Ok(0);
        }
        let engaged = self.engaged_provider(e.client_id).await?;
        let org = orgs::get_unscoped(&self.db, e.client_id).await?;
        let assignee = match e.assignee_id.as_deref().and_then(|a| a.parse().ok()) {
            Some(a) => match users::get_for_actor(&self.db, a).await {
                Ok(u) => Some(u.name),
                Err(StoreError::NotFound) => None,
                Err(err) => return Err(err.into()),
            },
            None => None,
        };
        let mut made = 0;
        for w in endpoints.iter().filter(|w| side_still_hears(w, engaged)) {
            let delivery_id = uuid::Uuid::now_v7().to_string();
            let mut body = json!({
                "id": delivery_id,
                "event": e.event,
                "occurred_at": rfc3339(e.occurred_at),
                "client": { "id": e.client_id, "name": org.name },
                "ticket": {
                    "id": e.ticket_id,
                    "label": crate::desk::ticket_label(&crate::desk::prefix_of(&org), e.number),
                    "number": e.number,
                    "title": e.title,
                    "priority": e.priority,
                    "status": e.status,
                    "owner_side": e.owner_side,
                    "assignee": assignee,
                    "link": format!("/tickets/{}", e.ticket_id),
                },
            });
            if let Some(clock) = &e.clock {
                body["sla"] = json!({ "clock": clock });
            }
            queue_delivery(
                tx,
                w,
                &delivery_id,
                e.event.as_str(),
                Some(e.ticket_id.to_string()),
                &body,
                now,
            )
            .await?;
            made += 1;
        }
        Ok(made)
    }

    /// The provider with an active engagement with `client`, if any.
    async fn engaged_provider(&self, client: OrgId) -> Result<Option<OrgId>> {
        Ok(engagements::active_for_client(&self.db, client)
            .await?
            .map(|e| e.provider_id))
    }

    /// Post the webhook deliveries due at `now` (at most one batch, side
    /// by side), then record each attempt. The claim is committed before
    /// anything is posted, and the results in one transaction after: no
    /// transaction waits on a receiver. Returns how many were handled.
    pub async fn deliver_webhooks(&self, now: i64) -> Result<usize> {
        let mut tx = self.db.begin().await?;
        let claimed =
            jobs::claim_webhook_deliveries(&mut tx, now, DELIVERY_LEASE_MS, DELIVERY_BATCH).await?;
        tx.commit().await?;
        if claimed.is_empty() {
            return Ok(0);
        }
        let mut posts = tokio::task::JoinSet::new();
        for job in claimed {
            let this = self.clone();
            posts.spawn(async move {
                let outcome = this.post_delivery(&job, now).await;
                (job, outcome)
            });
        }
        let mut results = Vec::new();
        while let Some(r) = posts.join_next().await {
            results.push(r.map_err(|e| ServiceError::Internal(format!("webhook post: {e}")))?);
        }
        let handled = results.len();
        let mut tx = self.db.begin().await?;
        for (job, outcome) in results {
            match outcome? {
                Outcome::Nothing => jobs::finish(&mut tx, job.id, now).await?,
                Outcome::Cancelled {
                    delivery_id,
                    attempts,
                    why,
                } => {
                    webhooks::update_delivery(
                        &mut tx,
                        &delivery_id,
                        "cancelled",
                        attempts,
                        None,
                        Some(now),
                    )
                    .await?;
                    jobs::finish(&mut tx, job.id, now).await?;
                    tracing::info!(delivery = delivery_id, why, "webhook delivery cancelled");
                }
                Outcome::Tried { attempt, delivered } => {
                    webhooks::insert_attempt(&mut tx, &attempt).await?;
                    let n = attempt.attempt;
                    let id = &attempt.delivery_id;
                    if delivered {
                        webhooks::update_delivery(&mut tx, id, "delivered", n, None, Some(now))
                            .await?;
                        jobs::finish(&mut tx, job.id, now).await?;
                    } else if let Some(delay) = retry_delay_ms(n) {
                        let at = now + delay;
                        webhooks::update_delivery(&mut tx, id, "pending", n, Some(at), None)
                            .await?;
                        let why = attempt.error.clone().unwrap_or_else(|| {
                            format!("HTTP {}", attempt.http_status.unwrap_or_default())
                        });
                        jobs::retry(&mut tx, job.id, at, &why).await?;
                    } else {
                        webhooks::update_delivery(&mut tx, id, "failed", n, None, Some(now))
                            .await?;
                        jobs::finish(&mut tx, job.id, now).await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(handled)
    }

    /// Post one delivery, unless its endpoint may no longer hear it.
    async fn post_delivery(&self, job: &Job, now: i64) -> Result<Outcome> {
        let Some(id) = delivery_of(job) else {
            return Ok(Outcome::Nothing);
        };
        let Some((d, w, stored)) = webhooks::delivery_target(&self.db, &id).await? else {
            return Ok(Outcome::Nothing);
        };
        let secret = self
            .open_for_client(w.client_id, "webhook", &w.id.to_string(), &stored)
            .await?;
        if d.status != "pending" {
            return Ok(Outcome::Nothing);
        }
        let cancelled = |why| Outcome::Cancelled {
            delivery_id: d.id.clone(),
            attempts: d.attempts,
            why,
        };
        if w.revoked_at.is_some() {
            return Ok(cancelled("endpoint revoked"));
        }
        if !side_still_hears(&w, self.engaged_provider(w.client_id).await?) {
            return Ok(cancelled("engagement ended"));
        }
        let attempt = d.attempts + 1;
        let started = Instant::now();
        let tried = |http_status: Option<i64>, error: Option<String>| Attempt {
            delivery_id: d.id.clone(),
            attempt,
            webhook_id: w.id,
            at: now,
            http_status,
            error,
            duration_ms: started.elapsed().as_millis().try_into().unwrap_or(i64::MAX),
        };
        let allow_private = self.settings.webhook_allow_private;
        // The operator may have withdrawn private addresses since the
        // endpoint was made: the URL's own host is checked again here, and
        // names by the resolver as they are looked up.
        if let Some(why) = url_refusal(&w.url, allow_private) {
            return Ok(Outcome::Tried {
                attempt: tried(None, Some(format!("refused: the URL {why}"))),
                delivered: false,
            });
        }
        let client = match self.webhook_http.get() {
            Some(c) => c.clone(),
            None => {
                let c = http_client(allow_private)?;
                self.webhook_http.get_or_init(|| c).clone()
            }
        };
        let timestamp = (now_ms() / 1000).to_string();
        let signature = webhook_signature(&secret, &timestamp, d.body.as_bytes())?;
        let sent = client
            .post(&w.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Tandem-Event", &d.event)
            .header("X-Tandem-Delivery", &d.id)
            .header("X-Tandem-Timestamp", &timestamp)
            .header("X-Tandem-Signature", format!("sha256={signature}"))
            .body(d.body.clone())
            .send()
            .await;
        Ok(match sent {
            Ok(res) => {
                let status = res.status();
                Outcome::Tried {
                    attempt: tried(Some(i64::from(status.as_u16())), None),
                    delivered: status.is_success(),
                }
            }
            Err(e) => Outcome::Tried {
                attempt: tried(None, Some(error_text(e))),
                delivered: false,
            },
        })
    }
}

/// Write a delivery of `body` to endpoint `w` and the job that posts it.
async fn queue_delivery(
    tx: &mut Tx,
    w: &Webhook,
    delivery_id: &str,
    event: &str,
    ticket_id: Option<String>,
    body: &serde_json::Value,
    now: i64,
) -> Result<()> {
    webhooks::insert_delivery(
        tx,
        &Delivery {
            id: delivery_id.to_owned(),
            webhook_id: w.id,
            client_id: w.client_id,
            event: event.to_owned(),
            ticket_id,
            body: body.to_string(),
            status: "pending".into(),
            attempts: 0,
            created_at: now,
            next_attempt_at: Some(now),
            finished_at: None,
        },
    )
    .await?;
    let payload = json!({ "delivery_id": delivery_id }).to_string();
    jobs::enqueue(tx, WEBHOOK_DELIVERY, &payload, now).await?;
    Ok(())
}

/// The delivery a `webhook` job posts.
fn delivery_of(job: &Job) -> Option<String> {
    #[derive(Deserialize)]
    struct P {
        delivery_id: String,
    }
    serde_json::from_str::<P>(&job.payload)
        .ok()
        .map(|p| p.delivery_id)
}

/// Whether endpoint `w`'s side still works its client: the in-house side
/// always; the provider side only while it has the client's active
/// engagement (`engaged` is that engagement's provider).
fn side_still_hears(w: &Webhook, engaged: Option<OrgId>) -> bool {
    match w.side {
        Side::Client => true,
        Side::Provider => engaged == Some(w.owner_org_id),
    }
}

/// The events stored as `opened,resolved`.
fn events_of(raw: &str) -> Vec<WebhookEvent> {
    raw.split(',').filter_map(|e| e.parse().ok()).collect()
}

/// Epoch milliseconds as RFC 3339 (UTC), always with three fractional
/// digits so that the texts sort as the instants do.
fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_are_refused_when_they_resolve_where_webhooks_may_not_reach() {
        let name = |n: &str| n.parse::<Name>().expect("a host name");
        let strict = GuardedResolver {
            allow_private: false,
        };
        let refused = match strict.resolve(name("localhost")).await {
            Ok(_) => String::new(),
            Err(e) => e.to_string(),
        };
        assert!(refused.contains("may not reach"), "{refused:?}");
        let lenient = GuardedResolver {
            allow_private: true,
        };
        let addrs: Vec<SocketAddr> = lenient
            .resolve(name("localhost"))
            .await
            .expect("loopback allowed")
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }

    #[test]
    fn instants_are_written_with_milliseconds_always() {
        assert_eq!(rfc3339(1_765_000_000_800), "2025-12-06T05:46:40.800Z");
        assert_eq!(rfc3339(1_765_000_000_000), "2025-12-06T05:46:40.000Z");
    }

    #[test]
    fn urls_are_checked_before_any_lookup() {
        assert_eq!(url_refusal("https://hooks.example.com/x", false), None);
        assert_eq!(url_refusal("http://127.0.0.1:8080/x", true), None);
        for bad in [
            "http://127.0.0.1/x",
            "http://LOCALHOST./x",
            "http://app.localhost/x",
            "http://0x7f000001/x",
            "http://[::ffff:169.254.169.254]/x",
            "https://hooks.example.com/x#frag",
            "gopher://hooks.example.com/",
        ] {
            assert!(url_refusal(bad, false).is_some(), "{bad}");
        }
        assert!(url_refusal("http://169.254.169.254/", true).is_some());
    }

    #[test]
    fn timeline_entries_map_to_webhook_events() {
        let entry = |kind: &str, data: serde_json::Value| tandem_store::tickets::Event {
            id: 0,
            ticket_id: String::new(),
            client_id: String::new(),
            at: 0,
            actor_user_id: None,
            actor_label: String::new(),
            actor_name: None,
            actor_side: None,
            kind: kind.into(),
            visibility: "team".into(),
            body: String::new(),
            data: data.to_string(),
        };
        let of = |kind, data| event_of(&entry(kind, data)).map(|(e, _)| e);
        assert_eq!(of("created", json!({})), Some(WebhookEvent::Opened));
        assert_eq!(of("field", json!({})), Some(WebhookEvent::Assigned));
        assert_eq!(of("handoff", json!({})), Some(WebhookEvent::HandedOff));
        let status = |from, to| of("status", json!({ "from": from, "to": to }));
        assert_eq!(status("open", "resolved"), Some(WebhookEvent::Resolved));
        assert_eq!(status("open", "closed"), Some(WebhookEvent::Resolved));
        assert_eq!(status("resolved", "closed"), None, "already resolved");
        assert_eq!(status("new", "open"), None);
        let sla = |event| {
            event_of(&entry(
                "sla",
                json!({ "clock": "response", "event": event }),
            ))
        };
        assert_eq!(
            sla("warning"),
            Some((WebhookEvent::SlaWarning, Some("response".into())))
        );
        assert_eq!(sla("breach").map(|(e, _)| e), Some(WebhookEvent::SlaBreach));
        assert_eq!(
            of("sla", json!({ "breached": false })),
            None,
            "first response"
        );
        assert_eq!(of("comment", json!({})), None);
    }
}
