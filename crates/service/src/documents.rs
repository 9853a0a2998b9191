//! A client's shared documentation: Markdown pages in folders with tags, a
//! review date and links, every save a revision that can be compared with
//! any other and restored, full-text search within what the reader may
//! see, stale pages, and who of each side wrote and keeps up the pages.
//! IT staff of both sides read and write; the client's viewers read;
//! requesters read only the pages published to the portal.

use crate::audit::{Entry, audit_record, record};
use crate::{RequestMeta, Result, ServiceError, Tandem, now_ms};
use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::json;
use tandem_domain::document::{
    self, DiffLine, PageSpec, PageTemplate, TEMPLATES, diff_lines, is_stale, tags_of, tags_text,
};
use tandem_domain::policy::{self, AssetAction, DocumentAction, Relation};
use tandem_domain::{Actor, OrgId, PageId, Role, Side, TicketId, ValidationError};
use tandem_store::documents::{self as docs, PageFilter};
/// The records of the documentation, as the use cases hand them back.
pub use tandem_store::documents::{
    AuthorCount, LinkTarget, Page, PageSummary, Revision, SideAuthorship,
};
use tandem_store::orgs::{self, Org};

/// Most pages one list answer holds.
pub const PAGE_LIST_MAX: i64 = 500;

/// Which of a client's pages to list.
#[derive(Clone, Debug, Default)]
pub struct PageQuery {
    /// Only this folder and the folders below it.
    pub folder: Option<String>,
    /// Only pages with this tag.
    pub tag: Option<String>,
    /// Full-text search over titles, folders, tags and bodies.
    pub search: Option<String>,
    /// The cursor: pages after this one.
    pub after: Option<PageId>,
    /// Page size, 1-500 (default 100).
    pub limit: Option<i64>,
}

/// A change to a page; absent fields stay as they are.
#[derive(Clone, Debug, Default)]
pub struct PageChange {
    /// A new title.
    pub title: Option<String>,
    /// A new folder path.
    pub folder: Option<String>,
    /// New tags (replacing the old ones).
    pub tags: Option<Vec<String>>,
    /// A new body.
    pub body: Option<String>,
    /// A new review date, or `Some(None)` to clear it.
    pub review_on: Option<Option<Date>>,
    /// Publish to the portal or take back.
    pub published: Option<bool>,
    /// New links (replacing the old ones).
    pub links: Option<Vec<LinkTarget>>,
}

/// One link of a page as its reader may see it: only targets the reader
/// may read on their own are listed at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageLink {
    /// Another page of the client.
    Page {
        /// Its id.
        id: PageId,
        /// Its title.
        title: String,
    },
    /// A ticket of the client.
    Ticket {
        /// Its id.
        id: TicketId,
        /// Its human number (`ACME-1042` without the prefix).
        number: i64,
        /// Its title.
        title: String,
    },
}

/// A page with what its reader is shown beside the text.
#[derive(Clone, Debug)]
pub struct PageView {
    /// The page.
    pub page: Page,
    /// Its body rendered as sanitized HTML.
    pub html: String,
    /// Its links the reader may follow.
    pub links: Vec<PageLink>,
    /// Its authors by side, with their revision counts (empty for
    /// requesters, who see no history).
    pub authors: Vec<AuthorCount>,
    /// Whether it is past its review date in the client's time zone.
    pub stale: bool,
    /// Whether the reader may change it.
    pub can_write: bool,
    /// The client's assets related to it, for readers of assets (IT
    /// staff; requesters reading a published article see none).
    pub assets: Vec<tandem_store::assets::RelatedAsset>,
}

/// The fields an audit entry records of a page (the body is in the
/// revision, not repeated in the log).
fn fields(p: &Page) -> serde_json::Value {
    json!({ "title": p.title, "folder": p.folder, "tags": p.tags, "review_on": p.review_on,
            "published": p.published == 1, "version": p.version })
}

/// A stored page's validated fields.
fn spec_of(p: &Page) -> Result<PageSpec> {
    let review_on = p
        .review_on
        .as_deref()
        .map(str::parse::<Date>)
        .transpose()
        .map_err(|e| ServiceError::Internal(format!("stored date: {e}")))?;
    Ok(PageSpec::new(
        &p.title,
        &p.folder,
        &tags_of(&p.tags),
        &p.body,
        review_on,
        p.published == 1,
    )?)
}

fn apply(p: &mut Page, s: &PageSpec) {
    p.title = s.title().to_owned();
    p.folder = s.folder().to_owned();
    p.tags = tags_text(s.tags());
    p.body = s.body().to_owned();
    p.review_on = s.review_on().map(|d| d.to_string());
    p.published = i64::from(s.published());
}

impl Tandem {
    /// The client whose documentation `actor` wants to reach with
    /// `action`: within their scope and a client (the provider keeps none).
    async fn documents_client(
        &self,
        actor: &Actor,
        action: DocumentAction,
        client: OrgId,
    ) -> Result<(Org, Relation)> {
        let (found, relation) = self.client_relation(actor, client).await?;
        crate::decided(policy::decide_documents(actor.role, action, relation))?;
        let org = found
            .filter(|o| o.kind == Side::Client)
            .ok_or(ServiceError::NotFound)?;
        Ok((org, relation))
    }

    /// One page `actor` may read, then take `action` on; the engagement is
    /// looked up now, so access that ends ends for a page reached by id too.
    async fn page_in_reach(
        &self,
        actor: &Actor,
        action: DocumentAction,
        id: PageId,
    ) -> Result<(Page, Relation)> {
        let p = docs::get(&self.db, &actor.scope(), id).await?;
        let relation = if p.client_id == actor.org_id {
            Relation::Own
        } else {
            Relation::Engaged
        };
        if !policy::may_read_page(actor.role, relation, p.published == 1) {
            return Err(ServiceError::NotFound);
        }
        crate::decided(policy::decide_documents(actor.role, action, relation))?;
        Ok((p, relation))
    }

    /// A client's pages in folder and title order, filtered; requesters get
    /// only pages published to the portal, search included.
    pub async fn pages(
        &self,
        actor: &Actor,
        client: OrgId,
        q: &PageQuery,
    ) -> Result<Vec<PageSummary>> {
        self.documents_client(actor, DocumentAction::Read, client)
            .await?;
        let filter = PageFilter {
            folder: q.folder.clone(),
            tag: q.tag.as_ref().map(|t| t.trim().to_lowercase()),
            search: q.search.clone().filter(|s| !s.trim().is_empty()),
            published_only: actor.role == Role::Requester,
            review_before: None,
            after: q.after,
            limit: q.limit.unwrap_or(100).clamp(1, PAGE_LIST_MAX),
        };
        Ok(docs::list(&self.db, &actor.scope(), client, &filter).await?)
    }

    /// Pages of every client the actor works with that match a search, at
    /// most `limit`, each one the actor may read (requesters: published
    /// pages of their own organization): the page hits shown beside ticket
    /// hits.
    pub async fn search_pages(
        &self,
        actor: &Actor,
        search: &str,
        limit: i64,
    ) -> Result<Vec<PageSummary>> {
        let published_only = actor.role == Role::Requester;
        let found = docs::search_in_scope(
            &self.db,
            &actor.scope(),
            published_only,
            search,
            limit.clamp(1, PAGE_LIST_MAX),
        )
        .await?;
        Ok(found
            .into_iter()
            .filter(|p| {
                let relation = if p.client_id == actor.org_id {
                    Relation::Own
                } else {
                    Relation::Engaged
                };
                policy::may_read_page(actor.role, relation, p.published == 1)
            })
            .collect())
    }

    /// A client's pages past their review date in the client's time zone
    /// at `now` (for the client overview and the documents page).
    pub async fn stale_pages(
        &self,
        actor: &Actor,
        client: OrgId,
        now: Timestamp,
    ) -> Result<Vec<PageSummary>> {
        let (org, _) = self
            .documents_client(actor, DocumentAction::Read, client)
            .await?;
        let today = self.client_today(&org, now).await?;
        let filter = PageFilter {
            published_only: actor.role == Role::Requester,
            review_before: Some(today.to_string()),
            limit: PAGE_LIST_MAX,
            ..PageFilter::default()
        };
        Ok(docs::list(&self.db, &actor.scope(), client, &filter).await?)
    }

    /// Per side, how many of a client's pages it wrote and how many it
    /// keeps up to date (saved last, not past the review date at `now` in
    /// the client's zone). IT staff of both sides and viewers; requesters
    /// may not learn who writes what.
    pub async fn documents_authorship(
        &self,
        actor: &Actor,
        client: OrgId,
        now: Timestamp,
    ) -> Result<Vec<SideAuthorship>> {
        let (org, _) = self
            .documents_client(actor, DocumentAction::ReadHistory, client)
            .await?;
        let today = self.client_today(&org, now).await?;
        Ok(docs::client_authorship(&self.db, client, &today.to_string()).await?)
    }

    /// Whether `actor` may write a client's pages (pages show the forms
    /// only then); a client out of reach is not found.
    pub async fn may_write_pages(&self, actor: &Actor, client: OrgId) -> Result<bool> {
        match self
            .documents_client(actor, DocumentAction::Write, client)
            .await
        {
            Ok(_) => Ok(true),
            Err(ServiceError::Forbidden) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The templates a new page of the client may start from.
    pub async fn page_templates(
        &self,
        actor: &Actor,
        client: OrgId,
    ) -> Result<&'static [PageTemplate]> {
        self.documents_client(actor, DocumentAction::Write, client)
            .await?;
        Ok(&TEMPLATES)
    }

    /// One page with its rendered text, the links the reader may follow,
    /// its authors and whether it is stale at `now`.
    pub async fn page(&self, actor: &Actor, id: PageId, now: Timestamp) -> Result<PageView> {
        let (page, relation) = self.page_in_reach(actor, DocumentAction::Read, id).await?;
        let links = self.readable_links(actor, &page).await?;
        let history =
            policy::decide_documents(actor.role, DocumentAction::ReadHistory, relation).allowed();
        let authors = if history {
            docs::authors(&self.db, id).await?
        } else {
            Vec::new()
        };
        let can_write =
            policy::decide_documents(actor.role, DocumentAction::Write, relation).allowed();
        let org = orgs::find(&self.db, &actor.scope(), page.client_id).await?;
        let today = self.client_today(&org, now).await?;
        let stale = is_stale(spec_of(&page)?.review_on(), today);
        // Requesters may not learn of assets (they are "not found" to
        // them); they read the article without its assets. The client and
        // the reader's relation to it are known already: the assets' own
        // rule is asked of them, not looked up again.
        let sees_assets = org.kind == Side::Client
            && policy::decide_assets(actor.role, AssetAction::Read, relation).allowed();
        let assets = if sees_assets {
            tandem_store::assets::related_to(
                &self.db,
                page.client_id,
                tandem_domain::asset::LinkTarget::Page,
                &page.id.to_string(),
            )
            .await?
        } else {
            Vec::new()
        };
        Ok(PageView {
            html: document::render_markdown(&page.body),
            page,
            links,
            authors,
            stale,
            can_write,
            assets,
        })
    }

    /// Whether `actor` may read page `id` and it belongs to `client`: the
    /// check a route naming both makes before it acts on the page, without
    /// building the page's view.
    pub async fn page_in_client(&self, actor: &Actor, client: OrgId, id: PageId) -> Result<()> {
        let (page, _) = self.page_in_reach(actor, DocumentAction::Read, id).await?;
        if page.client_id != client {
            return Err(ServiceError::NotFound);
        }
        Ok(())
    }

    /// [`Tandem::page`] of a page that must belong to `client` (a page of
    /// another client answers like a missing one).
    pub async fn page_of(
        &self,
        actor: &Actor,
        client: OrgId,
        id: PageId,
        now: Timestamp,
    ) -> Result<PageView> {
        let view = self.page(actor, id, now).await?;
        if view.page.client_id != client {
            return Err(ServiceError::NotFound);
        }
        Ok(view)
    }

    /// A page's links whose targets `reader` may read on their own: the
    /// same rule as the target's own route, so nothing of a target the
    /// reader may not open (not even its title) is shown.
    async fn readable_links(&self, reader: &Actor, page: &Page) -> Result<Vec<PageLink>> {
        let stored = docs::links(&self.db, page.id).await?;
        let relation = if page.client_id == reader.org_id {
            Relation::Own
        } else {
            Relation::Engaged
        };
        let tickets: Vec<(TicketId, OrgId)> = stored
            .iter()
            .filter(|l| l.target_kind == "ticket")
            .filter_map(|l| Some((l.target_id.parse().ok()?, l.client_id.parse().ok()?)))
            .collect();
        let readable = self.readable_tickets(reader, &tickets).await?;
        let mut out = Vec::new();
        for l in stored {
            // Links join one client's objects only (checked when saved).
            if l.client_id != page.client_id.to_string() {
                continue;
            }
            match l.target_kind.as_str() {
                "page" => {
                    if let Ok(id) = l.target_id.parse::<PageId>()
                        && policy::may_read_page(reader.role, relation, l.published == 1)
                    {
                        out.push(PageLink::Page { id, title: l.title });
                    }
                }
                _ => {
                    if let Ok(id) = l.target_id.parse::<TicketId>()
                        && readable.contains(&id)
                    {
                        out.push(PageLink::Ticket {
                            id,
                            number: l.number,
                            title: l.title,
                        });
                    }
                }
            }
        }
        Ok(out)
    }

    /// Check that every link joins the page to an object of its own client.
    async fn check_links(&self, client: OrgId, page: PageId, links: &[LinkTarget]) -> Result<()> {
        if links.len() > document::LINKS_MAX {
            return Err(ValidationError::new(
                "links",
                format!("at most {} links", document::LINKS_MAX),
            )
            .into());
        }
        for l in links {
            if *l == LinkTarget::Page(page) {
                return Err(ValidationError::new("links", "a page cannot link to itself").into());
            }
            if !docs::target_in_client(&self.db, client, l).await? {
                let what = match l {
                    LinkTarget::Page(_) => "page",
                    LinkTarget::Ticket(_) => "ticket",
                };
                return Err(ValidationError::new(
                    "links",
                    format!("no {what} of this client has that id"),
                )
                .into());
            }
        }
        Ok(())
    }

    /// Create a page (its first revision) in a client's documentation.
    pub async fn create_page(
        &self,
        actor: &Actor,
        client: OrgId,
        spec: &PageSpec,
        links: &[LinkTarget],
        meta: &RequestMeta,
    ) -> Result<Page> {
        self.documents_client(actor, DocumentAction::Write, client)
            .await?;
        let now = now_ms();
        let mut p = Page {
            id: PageId::new(),
            client_id: client,
            folder: String::new(),
            title: String::new(),
            tags: String::new(),
            body: String::new(),
            review_on: None,
            published: 0,
            version: 1,
            created_at: now,
            created_by: Some(actor.user_id.to_string()),
            updated_at: now,
            updated_by: Some(actor.user_id.to_string()),
            updated_side: actor.side().as_str().to_owned(),
        };
        apply(&mut p, spec);
        self.check_links(client, p.id, links).await?;
        let mut tx = self.db.begin().await?;
        docs::insert(&mut tx, &p).await?;
        docs::insert_revision(&mut tx, &revision_of(&p, actor, None)).await?;
        docs::set_links(&mut tx, p.id, links).await?;
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(client),
                action: "page.create",
                object_type: "page",
                object_id: p.id.to_string(),
                change: fields(&p),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(p)
    }

    /// Save a page made on `version` (a later version is
    /// [`ServiceError::Stale`], and nothing is written): a new revision. A
    /// save that changes nothing writes nothing.
    pub async fn save_page(
        &self,
        actor: &Actor,
        id: PageId,
        version: i64,
        change: &PageChange,
        meta: &RequestMeta,
    ) -> Result<Page> {
        let (current, _) = self.page_in_reach(actor, DocumentAction::Write, id).await?;
        if current.version != version {
            return Err(ServiceError::Stale {
                current_version: current.version,
            });
        }
        let was = spec_of(&current)?;
        let spec = PageSpec::new(
            change.title.as_deref().unwrap_or(was.title()),
            change.folder.as_deref().unwrap_or(was.folder()),
            change.tags.as_deref().unwrap_or(was.tags()),
            change.body.as_deref().unwrap_or(was.body()),
            change.review_on.unwrap_or(was.review_on()),
            change.published.unwrap_or(was.published()),
        )?;
        if let Some(links) = &change.links {
            self.check_links(current.client_id, id, links).await?;
        }
        if spec == was && change.links.is_none() {
            return Ok(current);
        }
        let mut p = current.clone();
        apply(&mut p, &spec);
        self.write_revision(actor, &current, p, change.links.as_deref(), None, meta)
            .await
    }

    /// Store `p` as the next revision of `current` (with new links, when
    /// given), in one transaction with its audit entry.
    async fn write_revision(
        &self,
        actor: &Actor,
        current: &Page,
        mut p: Page,
        links: Option<&[LinkTarget]>,
        restored_from: Option<i64>,
        meta: &RequestMeta,
    ) -> Result<Page> {
        p.version = current.version + 1;
        p.updated_at = now_ms();
        p.updated_by = Some(actor.user_id.to_string());
        p.updated_side = actor.side().as_str().to_owned();
        let (action, change) = match restored_from {
            Some(n) => (
                "page.restore",
                json!({ "restored": n, "before": fields(current), "after": fields(&p) }),
            ),
            None => (
                "page.save",
                json!({ "before": fields(current), "after": fields(&p) }),
            ),
        };
        let audit = audit_record(
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(p.client_id),
                action,
                object_type: "page",
                object_id: p.id.to_string(),
                change,
            },
        );
        let save = docs::Save {
            revision: revision_of(&p, actor, restored_from),
            page: p.clone(),
            expected_version: current.version,
            links: links.map(<[LinkTarget]>::to_vec),
            audit,
        };
        if !docs::save(&self.db, save).await? {
            let now = docs::get(&self.db, &actor.scope(), p.id).await?;
            return Err(ServiceError::Stale {
                current_version: now.version,
            });
        }
        Ok(p)
    }

    /// Restore revision `number` of a page made on `version`: its title and
    /// body become a new revision (the history keeps everything).
    pub async fn restore_page(
        &self,
        actor: &Actor,
        id: PageId,
        number: i64,
        version: i64,
        meta: &RequestMeta,
    ) -> Result<Page> {
        let (current, _) = self.page_in_reach(actor, DocumentAction::Write, id).await?;
        let old = docs::revision(&self.db, id, number).await?;
        if current.version != version {
            return Err(ServiceError::Stale {
                current_version: current.version,
            });
        }
        let mut p = current.clone();
        p.title = old.title;
        p.body = old.body;
        self.write_revision(actor, &current, p, None, Some(number), meta)
            .await
    }

    /// Delete a page with its history (the audit log keeps that it was,
    /// and what it was called).
    pub async fn delete_page(&self, actor: &Actor, id: PageId, meta: &RequestMeta) -> Result<()> {
        let (current, _) = self.page_in_reach(actor, DocumentAction::Write, id).await?;
        let mut tx = self.db.begin().await?;
        if !docs::delete(&mut tx, id).await? {
            return Err(ServiceError::NotFound);
        }
        record(
            &mut tx,
            Some(actor),
            "",
            meta,
            Entry {
                org: Some(current.client_id),
                action: "page.delete",
                object_type: "page",
                object_id: id.to_string(),
                change: fields(&current),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A page's revisions, newest first, with the page.
    pub async fn page_revisions(&self, actor: &Actor, id: PageId) -> Result<(Page, Vec<Revision>)> {
        let (page, _) = self
            .page_in_reach(actor, DocumentAction::ReadHistory, id)
            .await?;
        Ok((page, docs::revisions(&self.db, id).await?))
    }

    /// One revision of a page.
    pub async fn page_revision(&self, actor: &Actor, id: PageId, number: i64) -> Result<Revision> {
        self.page_in_reach(actor, DocumentAction::ReadHistory, id)
            .await?;
        Ok(docs::revision(&self.db, id, number).await?)
    }

    /// The line diff of a page's body from revision `from` to revision `to`
    /// (either order), with both revisions.
    pub async fn page_diff(
        &self,
        actor: &Actor,
        id: PageId,
        from: i64,
        to: i64,
    ) -> Result<(Revision, Revision, Vec<DiffLine>)> {
        self.page_in_reach(actor, DocumentAction::ReadHistory, id)
            .await?;
        let a = docs::revision(&self.db, id, from).await?;
        let b = docs::revision(&self.db, id, to).await?;
        let lines = diff_lines(&a.body, &b.body);
        Ok((a, b, lines))
    }
}

/// The revision a save of `p` by `actor` records.
fn revision_of(p: &Page, actor: &Actor, restored_from: Option<i64>) -> Revision {
    Revision {
        page_id: p.id,
        number: p.version,
        client_id: p.client_id,
        title: p.title.clone(),
        body: p.body.clone(),
        author_id: Some(actor.user_id.to_string()),
        author_name: String::new(),
        author_side: actor.side().as_str().to_owned(),
        created_at: p.updated_at,
        restored_from,
    }
}
