//! A client's shared documentation: pages (list by cursor with folder, tag
//! and search filters; create with Idempotency-Key; read; save with
//! If-Match; delete), their revisions, the diff between two of them, a
//! restore, and the templates a new page may start from.

use super::versions::{self, IfMatch};
use crate::AppState;
use crate::auth::{ApiActor, ApiJson};
use crate::error::{ApiError, ProblemBody};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::{Extension, Json};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tandem_domain::device::parse_date;
use tandem_domain::document::{self, DiffLine, PageSpec, PageTemplate, tags_of};
use tandem_domain::{OrgId, PageId, TicketId};
use tandem_service::documents::{
    AuthorCount, LinkTarget, PageChange, PageLink, PageQuery, PageSummary, PageView, Revision,
};
use tandem_service::{RequestMeta, ServiceError};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A page in a list (without its body).
#[derive(Serialize, ToSchema)]
pub struct PageSummaryDto {
    id: PageId,
    client_id: OrgId,
    /// `Network/Firewalls`; empty at the top level.
    folder: String,
    title: String,
    tags: Vec<String>,
    /// `YYYY-MM-DD`: when it is next due for review.
    review_on: Option<String>,
    /// Whether requesters may read it in the portal (a knowledge-base article).
    published: bool,
    /// Its latest revision; send it in `If-Match` to save.
    version: i64,
    updated_at: i64,
    /// `provider` or `client`: who saved it last.
    updated_side: String,
}

impl From<PageSummary> for PageSummaryDto {
    fn from(p: PageSummary) -> Self {
        Self {
            id: p.id,
            client_id: p.client_id,
            folder: p.folder,
            title: p.title,
            tags: tags_of(&p.tags),
            review_on: p.review_on,
            published: p.published == 1,
            version: p.version,
            updated_at: p.updated_at,
            updated_side: p.updated_side,
        }
    }
}

/// A page with its Markdown, its sanitized HTML, the links the caller may
/// follow and its authors by side.
#[derive(Serialize, ToSchema)]
pub struct PageDto {
    #[serde(flatten)]
    summary: PageSummaryDto,
    /// The Markdown.
    body: String,
    /// The body rendered and sanitized (no scripts, event handlers or
    /// `javascript:`/`data:` URLs).
    html: String,
    /// Past its review date in the client's time zone.
    stale: bool,
    /// Links to tickets and pages of the same client that the caller may
    /// read (others are left out, title and all).
    links: Vec<PageLinkDto>,
    /// Who wrote it, by side, with revision counts (empty for requesters).
    authors: Vec<AuthorDto>,
    /// The client's assets related to it (empty for requesters).
    assets: Vec<RelatedAssetDto>,
    created_at: i64,
}

/// An asset related to a page.
#[derive(Serialize, ToSchema)]
pub struct RelatedAssetDto {
    id: String,
    name: String,
}

/// A link from a page.
#[derive(Serialize, ToSchema)]
pub struct PageLinkDto {
    /// `page` or `ticket`.
    kind: &'static str,
    id: String,
    /// The ticket's number, for a ticket.
    number: Option<i64>,
    title: String,
}

/// One author of a page.
#[derive(Serialize, ToSchema)]
pub struct AuthorDto {
    /// `provider` or `client`.
    side: String,
    user_id: Option<String>,
    name: String,
    /// How many revisions they saved.
    revisions: i64,
}

impl From<AuthorCount> for AuthorDto {
    fn from(a: AuthorCount) -> Self {
        Self {
            side: a.side,
            user_id: a.author_id,
            name: a.name,
            revisions: a.revisions,
        }
    }
}

impl From<PageView> for PageDto {
    fn from(v: PageView) -> Self {
        let mut page = v.page;
        let body = std::mem::take(&mut page.body);
        let created_at = page.created_at;
        Self {
            summary: PageSummary::from(page).into(),
            body,
            html: v.html,
            stale: v.stale,
            links: v
                .links
                .into_iter()
                .map(|l| match l {
                    PageLink::Page { id, title } => PageLinkDto {
                        kind: "page",
                        id: id.to_string(),
                        number: None,
                        title,
                    },
                    PageLink::Ticket { id, number, title } => PageLinkDto {
                        kind: "ticket",
                        id: id.to_string(),
                        number: Some(number),
                        title,
                    },
                })
                .collect(),
            authors: v.authors.into_iter().map(Into::into).collect(),
            assets: v
                .assets
                .into_iter()
                .map(|a| RelatedAssetDto {
                    id: a.id.to_string(),
                    name: a.name,
                })
                .collect(),
            created_at,
        }
    }
}

/// Paging by cursor and filters.
#[derive(Deserialize, IntoParams)]
pub struct PagesQuery {
    /// Only this folder and those below it.
    folder: Option<String>,
    /// Only pages with this tag.
    tag: Option<String>,
    /// Full-text search over titles, folders, tags and bodies (requesters
    /// find only published pages).
    q: Option<String>,
    /// The last page's `next_after`.
    after: Option<PageId>,
    /// Page size, 1-500 (default 100).
    limit: Option<i64>,
}

/// A page of pages, in folder and title order.
#[derive(Serialize, ToSchema)]
pub struct PagesPage {
    pages: Vec<PageSummaryDto>,
    /// Cursor for the next page; absent on the last one.
    next_after: Option<PageId>,
}

/// What a page links to.
#[derive(Deserialize, Serialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct LinksBody {
    /// Tickets of the same client.
    #[serde(default)]
    tickets: Vec<TicketId>,
    /// Other pages of the same client.
    #[serde(default)]
    pages: Vec<PageId>,
}

impl LinksBody {
    fn targets(&self) -> Vec<LinkTarget> {
        self.pages
            .iter()
            .map(|p| LinkTarget::Page(*p))
            .chain(self.tickets.iter().map(|t| LinkTarget::Ticket(*t)))
            .collect()
    }
}

/// A new page. With `template` (a key from the templates list), absent
/// fields start from the template's.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPageBody {
    /// 1-200 characters.
    title: String,
    /// Folder names separated by `/` (at most 8 levels).
    folder: Option<String>,
    /// Letters a-z, digits and `-`; at most 20.
    tags: Option<Vec<String>>,
    /// Markdown, at most 256 KiB.
    body: Option<String>,
    /// `YYYY-MM-DD`.
    review_on: Option<String>,
    /// Publish to the requesters' portal as a knowledge-base article.
    #[serde(default)]
    published: bool,
    template: Option<String>,
    #[serde(default)]
    links: LinksBody,
}

/// Changes to a page; absent fields stay, `review_on: null` clears the
/// review date, `links` replaces all links. Send the version you read in
/// `If-Match`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PagePatchBody {
    title: Option<String>,
    folder: Option<String>,
    tags: Option<Vec<String>>,
    body: Option<String>,
    /// `YYYY-MM-DD`, or null to clear it.
    #[serde(default, deserialize_with = "super::present")]
    #[schema(value_type = Option<String>)]
    review_on: Option<Option<String>>,
    published: Option<bool>,
    links: Option<LinksBody>,
}

/// One revision of a page.
#[derive(Serialize, ToSchema)]
pub struct RevisionDto {
    number: i64,
    title: String,
    /// The Markdown (absent in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    author_id: Option<String>,
    author_name: String,
    /// `provider` or `client`.
    author_side: String,
    created_at: i64,
    /// For a restore: the revision it brought back.
    restored_from: Option<i64>,
}

impl RevisionDto {
    fn of(r: Revision, with_body: bool) -> Self {
        Self {
            number: r.number,
            title: r.title,
            body: with_body.then_some(r.body),
            author_id: r.author_id,
            author_name: r.author_name,
            author_side: r.author_side,
            created_at: r.created_at,
            restored_from: r.restored_from,
        }
    }
}

/// Which two revisions to compare.
#[derive(Deserialize, IntoParams)]
pub struct DiffQuery {
    /// The earlier revision's number.
    from: i64,
    /// The later revision's number.
    to: i64,
}

/// The line diff of the bodies of two revisions.
#[derive(Serialize, ToSchema)]
pub struct DiffDto {
    from: i64,
    to: i64,
    from_title: String,
    to_title: String,
    lines: Vec<DiffLine>,
    /// The same lines as escaped HTML, added lines in `<ins>`, removed in `<del>`.
    html: String,
}

pub(super) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_client_pages, post_client_page))
        .routes(routes!(list_page_templates))
        .routes(routes!(
            get_client_page,
            patch_client_page,
            delete_client_page
        ))
        .routes(routes!(list_page_revisions))
        .routes(routes!(get_page_revision))
        .routes(routes!(get_page_diff))
        .routes(routes!(post_page_restore))
}

fn with_etag(v: PageView) -> Response {
    versions::with_etag(v.page.version, (StatusCode::OK, Json(PageDto::from(v))))
}

/// A client's pages in folder and title order, by cursor, filtered by
/// folder, tag and search.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/pages", tag = "documents", params(("client_id" = OrgId, Path), PagesQuery),
    responses((status = 200, body = PagesPage), (status = 404, body = ProblemBody)))]
async fn list_client_pages(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    Query(q): Query<PagesQuery>,
) -> Result<Json<PagesPage>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 500);
    let query = PageQuery {
        folder: q.folder,
        tag: q.tag,
        search: q.q,
        after: q.after,
        limit: Some(limit),
    };
    let pages = s.tandem.pages(&a, client, &query).await?;
    let next_after = (pages.len() as i64 == limit)
        .then(|| pages.last().map(|p| p.id))
        .flatten();
    Ok(Json(PagesPage {
        pages: pages.into_iter().map(Into::into).collect(),
        next_after,
    }))
}

/// Create a page, optionally from a template.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/pages", tag = "documents",
    params(("client_id" = OrgId, Path), ("Idempotency-Key" = Option<String>, Header, description = "repeat a create safely: the same key with the same body answers the first result; with another body, 422")),
    request_body = NewPageBody,
    responses((status = 201, body = PageDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody), (status = 422, body = ProblemBody)))]
async fn post_client_page(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
    headers: HeaderMap,
    ApiJson(b): ApiJson<NewPageBody>,
) -> Result<Response, ApiError> {
    let work = async {
        let template = match b.template.as_deref() {
            Some(k) => Some(document::template(k).ok_or_else(|| {
                ServiceError::from(tandem_domain::ValidationError::new(
                    "template",
                    "no template has that key",
                ))
            })?),
            None => None,
        };
        let tags = match (&b.tags, template) {
            (Some(t), _) => t.clone(),
            (None, Some(t)) => vec![t.tags.to_owned()],
            (None, None) => Vec::new(),
        };
        let spec = PageSpec::new(
            &b.title,
            b.folder
                .as_deref()
                .or(template.map(|t| t.folder))
                .unwrap_or(""),
            &tags,
            b.body.as_deref().or(template.map(|t| t.body)).unwrap_or(""),
            parse_date("review_on", b.review_on.as_deref().unwrap_or(""))?,
            b.published,
        )?;
        let p = s
            .tandem
            .create_page(&a, client, &spec, &b.links.targets(), &meta)
            .await?;
        let view = s.tandem.page(&a, p.id, Timestamp::now()).await?;
        Ok(PageDto::from(view))
    };
    super::idempotent::create(
        &s,
        &a,
        &headers,
        &b,
        |p: &PageDto| Some(p.summary.version),
        work,
    )
    .await
}

/// The templates a new page may start from.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/pages/templates", tag = "documents", params(("client_id" = OrgId, Path)),
    responses((status = 200, body = [PageTemplate]), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn list_page_templates(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(client): Path<OrgId>,
) -> Result<Json<Vec<PageTemplate>>, ApiError> {
    Ok(Json(s.tandem.page_templates(&a, client).await?.to_vec()))
}

/// One page, with its version as the ETag.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/pages/{page_id}", tag = "documents",
    params(("client_id" = OrgId, Path), ("page_id" = PageId, Path)),
    responses((status = 200, body = PageDto), (status = 404, body = ProblemBody)))]
async fn get_client_page(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, PageId)>,
) -> Result<Response, ApiError> {
    Ok(with_etag(
        s.tandem.page_of(&a, client, id, Timestamp::now()).await?,
    ))
}

/// Save a page: a new revision. Requires `If-Match` with the current
/// ETag; if someone saved it since, 412 and nothing is written.
#[utoipa::path(patch, path = "/api/v1/clients/{client_id}/pages/{page_id}", tag = "documents",
    params(("client_id" = OrgId, Path), ("page_id" = PageId, Path), ("If-Match" = String, Header)),
    request_body = PagePatchBody,
    responses((status = 200, body = PageDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 412, body = ProblemBody), (status = 422, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn patch_client_page(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, PageId)>,
    IfMatch(version): IfMatch,
    ApiJson(b): ApiJson<PagePatchBody>,
) -> Result<Response, ApiError> {
    s.tandem.page_in_client(&a, client, id).await?;
    let change = PageChange {
        title: b.title,
        folder: b.folder,
        tags: b.tags,
        body: b.body,
        review_on: b
            .review_on
            .map(|v| parse_date("review_on", v.as_deref().unwrap_or("")))
            .transpose()
            .map_err(ServiceError::from)?,
        published: b.published,
        links: b.links.map(|l| l.targets()),
    };
    s.tandem.save_page(&a, id, version, &change, &meta).await?;
    Ok(with_etag(s.tandem.page(&a, id, Timestamp::now()).await?))
}

/// Delete a page with its history (the audit log keeps that it was).
#[utoipa::path(delete, path = "/api/v1/clients/{client_id}/pages/{page_id}", tag = "documents",
    params(("client_id" = OrgId, Path), ("page_id" = PageId, Path)),
    responses((status = 204), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody)))]
async fn delete_client_page(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, PageId)>,
) -> Result<StatusCode, ApiError> {
    s.tandem.page_in_client(&a, client, id).await?;
    s.tandem.delete_page(&a, id, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A page's revisions, newest first (without bodies).
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/pages/{page_id}/revisions", tag = "documents",
    params(("client_id" = OrgId, Path), ("page_id" = PageId, Path)),
    responses((status = 200, body = [RevisionDto]), (status = 404, body = ProblemBody)))]
async fn list_page_revisions(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, PageId)>,
) -> Result<Json<Vec<RevisionDto>>, ApiError> {
    let (page, revs) = s.tandem.page_revisions(&a, id).await?;
    if page.client_id != client {
        return Err(ServiceError::NotFound.into());
    }
    Ok(Json(
        revs.into_iter()
            .map(|r| RevisionDto::of(r, false))
            .collect(),
    ))
}

/// One revision of a page, with its body.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/pages/{page_id}/revisions/{number}", tag = "documents",
    params(("client_id" = OrgId, Path), ("page_id" = PageId, Path), ("number" = i64, Path)),
    responses((status = 200, body = RevisionDto), (status = 404, body = ProblemBody)))]
async fn get_page_revision(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id, number)): Path<(OrgId, PageId, i64)>,
) -> Result<Json<RevisionDto>, ApiError> {
    let r = s.tandem.page_revision(&a, id, number).await?;
    if r.client_id != client {
        return Err(ServiceError::NotFound.into());
    }
    Ok(Json(RevisionDto::of(r, true)))
}

/// The line diff between the bodies of two revisions.
#[utoipa::path(get, path = "/api/v1/clients/{client_id}/pages/{page_id}/diff", tag = "documents",
    params(("client_id" = OrgId, Path), ("page_id" = PageId, Path), DiffQuery),
    responses((status = 200, body = DiffDto), (status = 404, body = ProblemBody)))]
async fn get_page_diff(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path((client, id)): Path<(OrgId, PageId)>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<DiffDto>, ApiError> {
    let (from, to, lines) = s.tandem.page_diff(&a, id, q.from, q.to).await?;
    if from.client_id != client {
        return Err(ServiceError::NotFound.into());
    }
    Ok(Json(DiffDto {
        from: from.number,
        to: to.number,
        from_title: from.title,
        to_title: to.title,
        html: document::diff_html(&lines),
        lines,
    }))
}

/// Restore a revision: its title and body become a new revision. Requires
/// `If-Match` with the page's current ETag.
#[utoipa::path(post, path = "/api/v1/clients/{client_id}/pages/{page_id}/revisions/{number}/restore", tag = "documents",
    params(("client_id" = OrgId, Path), ("page_id" = PageId, Path), ("number" = i64, Path), ("If-Match" = String, Header)),
    responses((status = 200, body = PageDto), (status = 403, body = ProblemBody), (status = 404, body = ProblemBody),
        (status = 412, body = ProblemBody), (status = 428, body = ProblemBody)))]
async fn post_page_restore(
    State(s): State<AppState>,
    Extension(meta): Extension<RequestMeta>,
    ApiActor(a): ApiActor,
    Path((client, id, number)): Path<(OrgId, PageId, i64)>,
    IfMatch(version): IfMatch,
) -> Result<Response, ApiError> {
    s.tandem.page_in_client(&a, client, id).await?;
    s.tandem
        .restore_page(&a, id, number, version, &meta)
        .await?;
    Ok(with_etag(s.tandem.page(&a, id, Timestamp::now()).await?))
}
