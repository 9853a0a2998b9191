//! The documentation pages of a client: the list (folders, tags, search,
//! stale markers, who of each side writes and keeps the pages), a page
//! rendered, the editor with a preview and a clear message (text kept)
//! when someone saved the page meanwhile, the history with a diff between
//! any two revisions and a restore, and a new page from a template.

use super::Nav;
use crate::AppState;
use crate::auth::{CsrfForm, PageSession};
use crate::error::PageError;
use askama::Template;
use askama_web::WebTemplate;
use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeSet;
use tandem_domain::device::parse_date;
use tandem_domain::document::{
    self, PageSpec, PageTemplate, TEMPLATES, is_stale, tags_of, template,
};
use tandem_domain::{OrgId, PageId, Role, ValidationError};
use tandem_service::auth::SessionActor;
use tandem_service::documents::{
    LinkTarget, Page, PageChange, PageLink, PageQuery, PageSummary, PageView, Revision,
    SideAuthorship,
};
use tandem_service::{RequestMeta, ServiceError};

/// A page in the list, as the list shows it.
pub(super) struct Row {
    page: PageSummary,
    tags: Vec<String>,
    stale: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "documents.html")]
pub(super) struct DocumentsPage {
    nav: Nav,
    client: OrgId,
    client_name: String,
    clients: Vec<(String, String, bool)>,
    rows: Vec<Row>,
    folders: Vec<String>,
    tags: Vec<String>,
    folder: String,
    tag: String,
    q: String,
    stale_count: usize,
    authorship: Vec<SideAuthorship>,
    can_write: bool,
    staff: bool,
    templates: &'static [PageTemplate],
}

impl DocumentsPage {
    fn side_words(&self, side: &str) -> &'static str {
        side_words(side)
    }
}

fn side_words(side: &str) -> &'static str {
    if side == "provider" {
        "Provider"
    } else {
        "In-house"
    }
}

#[derive(Deserialize)]
pub(super) struct DocumentsQuery {
    client: Option<OrgId>,
    folder: Option<String>,
    tag: Option<String>,
    q: Option<String>,
}

/// The documents list of a client.
pub(super) async fn get_documents(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<DocumentsQuery>,
) -> Result<DocumentsPage, PageError> {
    let a = &session.actor;
    let (orgs, client) = super::client_choice(&s, a, q.client).await?;
    let now = Timestamp::now();
    let all = s
        .tandem
        .pages(
            a,
            client,
            &PageQuery {
                limit: Some(tandem_service::documents::PAGE_LIST_MAX),
                ..PageQuery::default()
            },
        )
        .await?;
    let folders: BTreeSet<String> = all
        .iter()
        .filter(|p| !p.folder.is_empty())
        .map(|p| p.folder.clone())
        .collect();
    let tags: BTreeSet<String> = all.iter().flat_map(|p| tags_of(&p.tags)).collect();
    let shown = s
        .tandem
        .pages(
            a,
            client,
            &PageQuery {
                folder: q.folder.clone().filter(|f| !f.is_empty()),
                tag: q.tag.clone().filter(|t| !t.is_empty()),
                search: q.q.clone().filter(|t| !t.trim().is_empty()),
                after: None,
                limit: Some(tandem_service::documents::PAGE_LIST_MAX),
            },
        )
        .await?;
    let org = orgs
        .iter()
        .find(|o| o.id == client)
        .ok_or(ServiceError::NotFound)?;
    let today = s.tandem.client_today(org, now).await?;
    let rows: Vec<Row> = shown
        .into_iter()
        .map(|p| Row {
            tags: tags_of(&p.tags),
            stale: is_stale(p.review_on.as_deref().and_then(|d| d.parse().ok()), today),
            page: p,
        })
        .collect();
    let stale_count = s.tandem.stale_pages(a, client, now).await?.len();
    let staff = a.role != Role::Requester;
    let authorship = if staff {
        s.tandem.documents_authorship(a, client, now).await?
    } else {
        Vec::new()
    };
    let can_write = s.tandem.may_write_pages(a, client).await?;
    Ok(DocumentsPage {
        nav: Nav::load(&s, &session).await,
        client,
        client_name: org.name.clone(),
        clients: orgs
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone(), o.id == client))
            .collect(),
        rows,
        folders: folders.into_iter().collect(),
        tags: tags.into_iter().collect(),
        folder: q.folder.unwrap_or_default(),
        tag: q.tag.unwrap_or_default(),
        q: q.q.unwrap_or_default(),
        stale_count,
        authorship,
        can_write,
        staff,
        templates: &TEMPLATES,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "document.html")]
pub(super) struct DocumentPage {
    nav: Nav,
    view: PageView,
    tags: Vec<String>,
    history: bool,
}

impl DocumentPage {
    fn side_words(&self, side: &str) -> &'static str {
        side_words(side)
    }

    fn ticket_links(&self) -> Vec<(String, i64, String)> {
        self.view
            .links
            .iter()
            .filter_map(|l| match l {
                PageLink::Ticket { id, number, title } => {
                    Some((id.to_string(), *number, title.clone()))
                }
                PageLink::Page { .. } => None,
            })
            .collect()
    }

    fn page_links(&self) -> Vec<(String, String)> {
        self.view
            .links
            .iter()
            .filter_map(|l| match l {
                PageLink::Page { id, title } => Some((id.to_string(), title.clone())),
                PageLink::Ticket { .. } => None,
            })
            .collect()
    }
}

/// One page, rendered.
pub(super) async fn get_document(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<PageId>,
) -> Result<DocumentPage, PageError> {
    let view = s.tandem.page(&session.actor, id, Timestamp::now()).await?;
    Ok(DocumentPage {
        nav: Nav::load(&s, &session).await,
        tags: tags_of(&view.page.tags),
        history: session.actor.role != Role::Requester,
        view,
    })
}

/// The editor: a new page (no `page`) or a save of an existing one.
#[derive(Template, WebTemplate)]
#[template(path = "document_edit.html")]
pub(super) struct EditPage {
    nav: Nav,
    client: OrgId,
    page: Option<PageId>,
    version: i64,
    form: EditForm,
    /// The client's other pages, for links: (id, title, linked).
    others: Vec<(String, String, bool)>,
    preview: Option<String>,
    error: Option<String>,
    /// Someone saved the page meanwhile: the message, and the diff from
    /// the saved text to the text kept in the form.
    conflict: Option<(String, String)>,
    templates: &'static [PageTemplate],
}

/// What the editor's fields hold.
#[derive(Clone, Debug, Default)]
pub(super) struct EditForm {
    title: String,
    folder: String,
    tags: String,
    body: String,
    review_on: String,
    published: bool,
    link_tickets: String,
    link_pages: Vec<String>,
}

#[derive(Deserialize)]
pub(super) struct NewQuery {
    client: Option<OrgId>,
    template: Option<String>,
}

async fn others(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    page: Option<PageId>,
    linked: &[String],
) -> Result<Vec<(String, String, bool)>, ServiceError> {
    let all = s
        .tandem
        .pages(
            &session.actor,
            client,
            &PageQuery {
                limit: Some(tandem_service::documents::PAGE_LIST_MAX),
                ..PageQuery::default()
            },
        )
        .await?;
    Ok(all
        .into_iter()
        .filter(|p| Some(p.id) != page)
        .map(|p| {
            let id = p.id.to_string();
            let on = linked.contains(&id);
            let label = if p.folder.is_empty() {
                p.title
            } else {
                format!("{} / {}", p.folder, p.title)
            };
            (id, label, on)
        })
        .collect())
}

/// The form for a new page, from a template when one is chosen.
pub(super) async fn get_document_new(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Query(q): Query<NewQuery>,
) -> Result<EditPage, PageError> {
    let (_, client) = super::client_choice(&s, &session.actor, q.client).await?;
    let templates = s.tandem.page_templates(&session.actor, client).await?;
    let form = match q.template.as_deref().and_then(template) {
        Some(t) => EditForm {
            title: t.name.to_owned(),
            folder: t.folder.to_owned(),
            tags: t.tags.to_owned(),
            body: t.body.to_owned(),
            ..EditForm::default()
        },
        None => EditForm::default(),
    };
    Ok(EditPage {
        nav: Nav::load(&s, &session).await,
        client,
        page: None,
        version: 0,
        others: others(&s, &session, client, None, &[]).await?,
        form,
        preview: None,
        error: None,
        conflict: None,
        templates,
    })
}

/// The editor of a page.
pub(super) async fn get_document_edit(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<PageId>,
) -> Result<EditPage, PageError> {
    let view = s.tandem.page(&session.actor, id, Timestamp::now()).await?;
    if !view.can_write {
        return Err(ServiceError::Forbidden.into());
    }
    let p = &view.page;
    let mut link_tickets = Vec::new();
    let mut link_pages = Vec::new();
    for l in &view.links {
        match l {
            PageLink::Ticket { number, .. } => link_tickets.push(number.to_string()),
            PageLink::Page { id, .. } => link_pages.push(id.to_string()),
        }
    }
    let form = EditForm {
        title: p.title.clone(),
        folder: p.folder.clone(),
        tags: p.tags.clone(),
        body: p.body.clone(),
        review_on: p.review_on.clone().unwrap_or_default(),
        published: p.published == 1,
        link_tickets: link_tickets.join(", "),
        link_pages,
    };
    Ok(EditPage {
        nav: Nav::load(&s, &session).await,
        client: p.client_id,
        page: Some(id),
        version: p.version,
        others: others(&s, &session, p.client_id, Some(id), &form.link_pages).await?,
        form,
        preview: None,
        error: None,
        conflict: None,
        templates: &[],
    })
}

/// The editor's fields from a posted form (repeated `link_page` fields
/// are the linked pages), with the client, the version and the intent.
struct Posted {
    client: Option<OrgId>,
    version: i64,
    preview: bool,
    form: EditForm,
}

fn posted(fields: Vec<(String, String)>) -> Posted {
    let mut p = Posted {
        client: None,
        version: 0,
        preview: false,
        form: EditForm::default(),
    };
    for (k, v) in fields {
        match k.as_str() {
            "client_id" => p.client = v.parse().ok(),
            "version" => p.version = v.parse().unwrap_or(0),
            "intent" => p.preview = v == "preview",
            "title" => p.form.title = v,
            "folder" => p.form.folder = v,
            "tags" => p.form.tags = v,
            "body" => p.form.body = v,
            "review_on" => p.form.review_on = v,
            "published" => p.form.published = true,
            "link_tickets" => p.form.link_tickets = v,
            "link_page" => p.form.link_pages.push(v),
            _ => {}
        }
    }
    p
}

impl EditForm {
    fn spec(&self) -> Result<PageSpec, ServiceError> {
        Ok(PageSpec::new(
            &self.title,
            &self.folder,
            std::slice::from_ref(&self.tags),
            &self.body,
            parse_date("review_on", &self.review_on)?,
            self.published,
        )?)
    }

    /// The links the form names: ticket numbers looked up in the client,
    /// page ids as chosen.
    async fn links(
        &self,
        s: &AppState,
        session: &SessionActor,
        client: OrgId,
    ) -> Result<Vec<LinkTarget>, ServiceError> {
        let mut out = Vec::new();
        for n in self
            .link_tickets
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|n| !n.is_empty())
        {
            let digits: String = n.chars().filter(char::is_ascii_digit).collect();
            let bad = || {
                ServiceError::from(ValidationError::new(
                    "link_tickets",
                    format!("{n:?} is not a ticket number of this client"),
                ))
            };
            let number: i64 = digits.parse().map_err(|_| bad())?;
            let id = match s
                .tandem
                .ticket_id_by_number(&session.actor, client, number)
                .await
            {
                Ok(id) => id,
                Err(ServiceError::NotFound) => return Err(bad()),
                Err(e) => return Err(e),
            };
            out.push(LinkTarget::Ticket(id));
        }
        for p in &self.link_pages {
            let id = p
                .parse()
                .map_err(|_| ServiceError::from(ValidationError::new("link_page", "not a page")))?;
            out.push(LinkTarget::Page(id));
        }
        Ok(out)
    }
}

/// The editor again with what happened: a preview, a refusal, or a
/// conflict; the person's text is always kept.
#[allow(clippy::too_many_arguments)]
async fn editor_again(
    s: &AppState,
    session: &SessionActor,
    client: OrgId,
    page: Option<PageId>,
    version: i64,
    form: EditForm,
    preview: Option<String>,
    error: Option<String>,
    conflict: Option<(String, String)>,
    status: StatusCode,
) -> Response {
    let others = match others(s, session, client, page, &form.link_pages).await {
        Ok(o) => o,
        Err(e) => return PageError::from(e).into_response(),
    };
    let templates = if page.is_none() { &TEMPLATES[..] } else { &[] };
    let p = EditPage {
        nav: Nav::load(s, session).await,
        client,
        page,
        version,
        form,
        others,
        preview,
        error,
        conflict,
        templates,
    };
    (status, p).into_response()
}

fn refusal(e: &ServiceError) -> Option<String> {
    match e {
        ServiceError::Invalid(v) => Some(super::refusal_text(v)),
        ServiceError::Conflict(m) => Some(m.clone()),
        _ => None,
    }
}

/// Create a page (or preview it).
pub(super) async fn post_documents(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    CsrfForm(session, fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let p = posted(fields);
    let Some(client) = p.client else {
        return PageError::from(ServiceError::NotFound).into_response();
    };
    if let Err(e) = s.tandem.page_templates(&session.actor, client).await {
        return PageError::from(e).into_response();
    }
    if p.preview {
        let html = document::render_markdown(&p.form.body);
        return editor_again(
            &s,
            &session,
            client,
            None,
            0,
            p.form,
            Some(html),
            None,
            None,
            StatusCode::OK,
        )
        .await;
    }
    let r = async {
        let spec = p.form.spec()?;
        let links = p.form.links(&s, &session, client).await?;
        s.tandem
            .create_page(&session.actor, client, &spec, &links, &meta)
            .await
    }
    .await;
    match r {
        Ok(page) => Redirect::to(&format!("/documents/{}", page.id)).into_response(),
        Err(e) => match refusal(&e) {
            Some(m) => {
                editor_again(
                    &s,
                    &session,
                    client,
                    None,
                    0,
                    p.form,
                    None,
                    Some(m),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => PageError::from(e).into_response(),
        },
    }
}

/// Save a page (or preview the change). If someone saved it since the
/// form was opened, nothing is written: the editor comes back with the
/// person's text, a message saying so, and the difference from the saved
/// page; it now carries the saved version, so saving again replaces it.
pub(super) async fn post_document_edit(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<PageId>,
    CsrfForm(session, fields): CsrfForm<Vec<(String, String)>>,
) -> Response {
    let p = posted(fields);
    let current = match s.tandem.page(&session.actor, id, Timestamp::now()).await {
        Ok(v) if v.can_write => v.page,
        Ok(_) => return PageError::from(ServiceError::Forbidden).into_response(),
        Err(e) => return PageError::from(e).into_response(),
    };
    let client = current.client_id;
    if p.preview {
        let html = document::render_markdown(&p.form.body);
        return editor_again(
            &s,
            &session,
            client,
            Some(id),
            p.version,
            p.form,
            Some(html),
            None,
            None,
            StatusCode::OK,
        )
        .await;
    }
    let r = async {
        let spec = p.form.spec()?;
        let links = p.form.links(&s, &session, client).await?;
        let change = PageChange {
            title: Some(spec.title().to_owned()),
            folder: Some(spec.folder().to_owned()),
            tags: Some(spec.tags().to_vec()),
            body: Some(spec.body().to_owned()),
            review_on: Some(spec.review_on()),
            published: Some(spec.published()),
            links: Some(links),
        };
        s.tandem
            .save_page(&session.actor, id, p.version, &change, &meta)
            .await
    }
    .await;
    match r {
        Ok(_) => Redirect::to(&format!("/documents/{id}")).into_response(),
        Err(ServiceError::Stale { current_version }) => {
            let saved = match s.tandem.page(&session.actor, id, Timestamp::now()).await {
                Ok(v) => v.page,
                Err(e) => return PageError::from(e).into_response(),
            };
            let who = if saved.updated_side == "provider" {
                "the provider's side"
            } else {
                "the in-house side"
            };
            let message = format!(
                "Someone saved this page since you opened it (revision {current_version}, by {who}). \
                 Nothing of yours was saved and your text is kept below. Compare it with the saved page, \
                 then save again to replace the saved page with your text."
            );
            let diff = document::diff_html(&document::diff_lines(
                &saved.body,
                &p.form.body.replace("\r\n", "\n"),
            ));
            editor_again(
                &s,
                &session,
                client,
                Some(id),
                current_version,
                p.form,
                None,
                None,
                Some((message, diff)),
                StatusCode::CONFLICT,
            )
            .await
        }
        Err(e) => match refusal(&e) {
            Some(m) => {
                editor_again(
                    &s,
                    &session,
                    client,
                    Some(id),
                    p.version,
                    p.form,
                    None,
                    Some(m),
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => PageError::from(e).into_response(),
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "document_history.html")]
pub(super) struct HistoryPage {
    nav: Nav,
    page: Page,
    revisions: Vec<Revision>,
    from: i64,
    to: i64,
    diff: Option<String>,
    can_write: bool,
}

impl HistoryPage {
    fn side_words(&self, side: &str) -> &'static str {
        side_words(side)
    }

    fn when(&self, ms: &i64) -> String {
        self.nav.zone.short(*ms)
    }
}

#[derive(Deserialize)]
pub(super) struct HistoryQuery {
    from: Option<i64>,
    to: Option<i64>,
}

/// A page's revisions, the diff between two of them (by default the last
/// two), and a restore button per revision.
pub(super) async fn get_document_history(
    State(s): State<AppState>,
    PageSession(session): PageSession,
    Path(id): Path<PageId>,
    Query(q): Query<HistoryQuery>,
) -> Result<HistoryPage, PageError> {
    let a = &session.actor;
    let (page, revisions) = s.tandem.page_revisions(a, id).await?;
    let to = q.to.unwrap_or(page.version);
    let from = q.from.unwrap_or((to - 1).max(1));
    let diff = if from != to {
        let (_, _, lines) = s.tandem.page_diff(a, id, from, to).await?;
        Some(document::diff_html(&lines))
    } else {
        None
    };
    let can_write = s.tandem.may_write_pages(a, page.client_id).await?;
    Ok(HistoryPage {
        nav: Nav::load(&s, &session).await,
        page,
        revisions,
        from,
        to,
        diff,
        can_write,
    })
}

#[derive(Deserialize)]
pub(super) struct RestoreInput {
    number: i64,
    version: i64,
}

/// Restore a revision (a new revision with its title and body).
pub(super) async fn post_document_restore(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<PageId>,
    CsrfForm(session, i): CsrfForm<RestoreInput>,
) -> Response {
    match s
        .tandem
        .restore_page(&session.actor, id, i.number, i.version, &meta)
        .await
    {
        Ok(_) => Redirect::to(&format!("/documents/{id}/history")).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}

#[derive(Deserialize)]
pub(super) struct DeleteInput {}

/// Delete a page.
pub(super) async fn post_document_delete(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    Path(id): Path<PageId>,
    CsrfForm(session, _): CsrfForm<DeleteInput>,
) -> Response {
    let client = match s.tandem.page(&session.actor, id, Timestamp::now()).await {
        Ok(v) => v.page.client_id,
        Err(e) => return PageError::from(e).into_response(),
    };
    match s.tandem.delete_page(&session.actor, id, &meta).await {
        Ok(()) => Redirect::to(&format!("/documents?client={client}")).into_response(),
        Err(e) => PageError::from(e).into_response(),
    }
}
