//! A client's shared documentation: pages, their revisions, their links
//! to tickets and other pages, and full-text search over them (FTS5 on
//! SQLite, a tsvector on PostgreSQL, as for tickets).

use crate::tickets::{fts5_query, fts5_whole_words, pg_tsquery, pg_whole_words};
use crate::{Arg, Db, Result, StoreError, Tx, direct, exec_tx, on_db, scope_filter};
use rusqlite::ToSql;
use tandem_domain::audit::AuditRecord;
use tandem_domain::{OrgId, PageId, Scope, TicketId};

/// A page as stored (its current text; the history is in [`Revision`]s).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Page {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: PageId,
    /// The client it belongs to.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Its folder path (`Network/Firewalls`), empty at the top level.
    pub folder: String,
    /// Its title.
    pub title: String,
    /// Its tags, space-separated.
    pub tags: String,
    /// Its Markdown.
    pub body: String,
    /// When it is next due for review (`YYYY-MM-DD`).
    pub review_on: Option<String>,
    /// 1 when requesters may read it in the portal.
    pub published: i64,
    /// The number of its latest revision; a save names the one it was made on.
    pub version: i64,
    /// Creation instant (epoch ms).
    pub created_at: i64,
    /// Who created it.
    pub created_by: Option<String>,
    /// Last save (epoch ms).
    pub updated_at: i64,
    /// Who saved it last.
    pub updated_by: Option<String>,
    /// Which side saved it last (`provider` or `client`).
    pub updated_side: String,
}

const COLS: &str = "p.id, p.client_id, p.folder, p.title, p.tags, p.body, p.review_on, p.published, p.version, \
     p.created_at, p.created_by, p.updated_at, p.updated_by, p.updated_side";

/// A page in a list: everything but its body. A body is about 2 KB that
/// SQLite keeps on overflow pages; a list of 50 never reads them.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct PageSummary {
    /// Its id.
    #[sqlx(try_from = "String")]
    pub id: PageId,
    /// The client it belongs to.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// Its folder path, empty at the top level.
    pub folder: String,
    /// Its title.
    pub title: String,
    /// Its tags, space-separated.
    pub tags: String,
    /// When it is next due for review (`YYYY-MM-DD`).
    pub review_on: Option<String>,
    /// 1 when requesters may read it in the portal.
    pub published: i64,
    /// The number of its latest revision.
    pub version: i64,
    /// Last save (epoch ms).
    pub updated_at: i64,
    /// Which side saved it last (`provider` or `client`).
    pub updated_side: String,
}

const SUMMARY_COLS: &str = "p.id, p.client_id, p.folder, p.title, p.tags, p.review_on, p.published, p.version, \
     p.updated_at, p.updated_side";

impl From<Page> for PageSummary {
    fn from(p: Page) -> Self {
        PageSummary {
            id: p.id,
            client_id: p.client_id,
            folder: p.folder,
            title: p.title,
            tags: p.tags,
            review_on: p.review_on,
            published: p.published,
            version: p.version,
            updated_at: p.updated_at,
            updated_side: p.updated_side,
        }
    }
}

impl PageSummary {
    /// A row of [`SUMMARY_COLS`] read in place.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(PageSummary {
            id: direct::parsed(r, 0)?,
            client_id: direct::parsed(r, 1)?,
            folder: r.get(2)?,
            title: r.get(3)?,
            tags: r.get(4)?,
            review_on: r.get(5)?,
            published: r.get(6)?,
            version: r.get(7)?,
            updated_at: r.get(8)?,
            updated_side: r.get(9)?,
        })
    }
}

/// Add a page (its first revision is written with [`insert_revision`]).
pub async fn insert(tx: &mut Tx, p: &Page) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(
        "INSERT INTO doc_pages (id, client_id, folder, title, title_key, tags, body, review_on, published, version, \
         created_at, created_by, updated_at, updated_by, updated_side) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)")
        .bind(p.id.to_string()).bind(p.client_id.to_string()).bind(&p.folder).bind(&p.title)
        .bind(p.title.to_lowercase()).bind(&p.tags).bind(&p.body).bind(&p.review_on).bind(p.published)
        .bind(p.version).bind(p.created_at).bind(&p.created_by).bind(p.updated_at).bind(&p.updated_by)
        .bind(&p.updated_side)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

const UPDATE_PAGE: &str = "UPDATE doc_pages SET folder = $1, title = $2, title_key = $3, tags = $4, body = $5, \
     review_on = $6, published = $7, version = $8, updated_at = $9, updated_by = $10, updated_side = $11 \
     WHERE id = $12 AND version = $13";

const INSERT_REVISION: &str = "INSERT INTO doc_revisions (page_id, number, client_id, title, body, author_id, \
     author_side, created_at, restored_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

const CLEAR_LINKS: &str = "DELETE FROM doc_links WHERE page_id = $1";

const INSERT_LINK: &str = "INSERT INTO doc_links (page_id, target_kind, target_id) VALUES ($1, $2, $3) \
     ON CONFLICT DO NOTHING";

/// A page's next revision as one save writes it: the page's new fields
/// (`page.version` the new number), the revision, the links when they
/// change, and the audit entry.
#[derive(Clone, Debug)]
pub struct Save {
    /// The page as saved.
    pub page: Page,
    /// The version the save was made on.
    pub expected_version: i64,
    /// The revision recorded.
    pub revision: Revision,
    /// The page's links from now on, when the save changes them.
    pub links: Option<Vec<LinkTarget>>,
    /// The audit entry.
    pub audit: AuditRecord,
}

/// Write `s` in one transaction if the page is still at its expected
/// version; false when someone saved it in between (nothing is written).
/// On SQLite this is one in-place member of the group commit, as opening
/// a ticket is: a save's statements run back to back on the writer's
/// thread instead of each waiting for a worker.
pub async fn save(db: &Db, s: Save) -> Result<bool> {
    if let Db::Sqlite { group, .. } = db {
        return group
            .write(move |c| {
                let p = &s.page;
                let (id, title_key) = (p.id.to_string(), p.title.to_lowercase());
                let page_args: [&dyn ToSql; 13] = [
                    &p.folder,
                    &p.title,
                    &title_key,
                    &p.tags,
                    &p.body,
                    &p.review_on,
                    &p.published,
                    &p.version,
                    &p.updated_at,
                    &p.updated_by,
                    &p.updated_side,
                    &id,
                    &s.expected_version,
                ];
                if direct::execute(c, UPDATE_PAGE, &page_args)? != 1 {
                    return Ok(false);
                }
                let r = &s.revision;
                let client = r.client_id.to_string();
                let revision_args: [&dyn ToSql; 9] = [
                    &id,
                    &r.number,
                    &client,
                    &r.title,
                    &r.body,
                    &r.author_id,
                    &r.author_side,
                    &r.created_at,
                    &r.restored_from,
                ];
                direct::execute(c, INSERT_REVISION, &revision_args)?;
                if let Some(links) = &s.links {
                    direct::execute(c, CLEAR_LINKS, &[&id])?;
                    for t in links {
                        let (kind, target) = link_parts(t);
                        direct::execute(c, INSERT_LINK, &[&id as &dyn ToSql, &kind, &target])?;
                    }
                }
                crate::audit::append_in_place(c, s.audit)?;
                Ok(true)
            })
            .await;
    }
    let mut tx = db.begin().await?;
    if !update(&mut tx, &s.page, s.expected_version).await? {
        return Ok(false);
    }
    insert_revision(&mut tx, &s.revision).await?;
    if let Some(links) = &s.links {
        set_links(&mut tx, s.page.id, links).await?;
    }
    crate::audit::append(&mut tx, s.audit).await?;
    tx.commit().await?;
    Ok(true)
}

/// Write a page's fields and move it to `p.version` if it is still at
/// `expected_version` ([`save`] on PostgreSQL). False when someone saved
/// it in between (nothing is written).
async fn update(tx: &mut Tx, p: &Page, expected_version: i64) -> Result<bool> {
    let n = exec_tx!(tx, c => sqlx::query(UPDATE_PAGE)
        .bind(&p.folder).bind(&p.title).bind(p.title.to_lowercase()).bind(&p.tags).bind(&p.body)
        .bind(&p.review_on).bind(p.published).bind(p.version).bind(p.updated_at).bind(&p.updated_by)
        .bind(&p.updated_side).bind(p.id.to_string()).bind(expected_version)
        .execute(c).await)?;
    Ok(n == 1)
}

/// Remove a page with its revisions and links, and the links other pages
/// had to it. False when it was gone already.
pub async fn delete(tx: &mut Tx, id: PageId) -> Result<bool> {
    exec_tx!(tx, c => sqlx::query("DELETE FROM doc_links WHERE target_kind = 'page' AND target_id = $1")
        .bind(id.to_string()).execute(c).await)?;
    let n = exec_tx!(tx, c => sqlx::query("DELETE FROM doc_pages WHERE id = $1")
        .bind(id.to_string()).execute(c).await)?;
    Ok(n == 1)
}

/// One page, if its client is within scope ([`StoreError::NotFound`]
/// otherwise, the same as a missing one).
pub async fn get(db: &Db, scope: &Scope, id: PageId) -> Result<Page> {
    let sql = format!(
        "SELECT {COLS} FROM doc_pages p WHERE p.id = $1 AND {}",
        scope_filter!("p.client_id", "$2", "$3")
    );
    let args = [
        id.to_string().into(),
        scope.user_id.to_string().into(),
        scope.org_id.to_string().into(),
    ];
    db.row(&sql, &args, Page::from_direct)
        .await?
        .ok_or(StoreError::NotFound)
}

impl Page {
    /// A row of [`COLS`] read in place.
    fn from_direct(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Page {
            id: direct::parsed(r, 0)?,
            client_id: direct::parsed(r, 1)?,
            folder: r.get(2)?,
            title: r.get(3)?,
            tags: r.get(4)?,
            body: r.get(5)?,
            review_on: r.get(6)?,
            published: r.get(7)?,
            version: r.get(8)?,
            created_at: r.get(9)?,
            created_by: r.get(10)?,
            updated_at: r.get(11)?,
            updated_by: r.get(12)?,
            updated_side: r.get(13)?,
        })
    }
}

/// Which of a client's pages to list.
#[derive(Clone, Debug, Default)]
pub struct PageFilter {
    /// Only pages in this folder or below it.
    pub folder: Option<String>,
    /// Only pages with this tag.
    pub tag: Option<String>,
    /// Full-text search over titles, folders, tags and bodies.
    pub search: Option<String>,
    /// Only pages published to the portal (what requesters may read).
    pub published_only: bool,
    /// Only pages with a review date before this day (`YYYY-MM-DD`).
    pub review_before: Option<String>,
    /// Pages after this one in the list's order (the cursor).
    pub after: Option<PageId>,
    /// Most pages returned.
    pub limit: i64,
}

/// A client's pages in folder and title order, filtered, if the client is
/// within scope (none otherwise). The order and the cursor are the same
/// for every filter: (folder, lower-case title, id).
///
/// A search tries whole words first, and reads the last word as a prefix
/// (so `firew` finds `firewall`) only when whole words do not fill the
/// page, as ticket search does: a prefix makes the index merge the lists
/// of every word it starts, across every client (about 10 ms at 100,000
/// pages, against 1 ms for whole words).
pub async fn list(
    db: &Db,
    scope: &Scope,
    client: OrgId,
    f: &PageFilter,
) -> Result<Vec<PageSummary>> {
    let Some(raw) = f.search.as_deref() else {
        return list_matching(db, scope, client, f, None).await;
    };
    let (whole, prefix) = match db {
        Db::Sqlite { .. } => (fts5_whole_words(raw), fts5_query(raw)),
        Db::Postgres(_) => (pg_whole_words(raw), pg_tsquery(raw)),
    };
    if whole.is_empty() {
        return list_matching(db, scope, client, f, None).await;
    }
    let rows = list_matching(db, scope, client, f, Some(&whole)).await?;
    if rows.len() as i64 >= f.limit || whole == prefix {
        return Ok(rows);
    }
    list_matching(db, scope, client, f, Some(&prefix)).await
}

/// [`list`] with `query` (FTS5 or tsquery words) as the search, if any.
async fn list_matching(
    db: &Db,
    scope: &Scope,
    client: OrgId,
    f: &PageFilter,
    query: Option<&str>,
) -> Result<Vec<PageSummary>> {
    let mut args: Vec<Arg> = vec![
        client.to_string().into(),
        scope.user_id.to_string().into(),
        scope.org_id.to_string().into(),
    ];
    // The scope is asked of `$1`, the client, once for the statement, not
    // of each row's client (the same value) once a row.
    let mut sql = format!(
        "SELECT {SUMMARY_COLS} FROM doc_pages p WHERE p.client_id = $1 AND {}",
        scope_filter!("$1", "$2", "$3")
    );
    let next = |args: &mut Vec<Arg>, v: Arg| {
        args.push(v);
        args.len()
    };
    if f.published_only {
        sql.push_str(" AND p.published = 1");
    }
    if let Some(folder) = f.folder.as_deref().filter(|x| !x.is_empty()) {
        let a = next(&mut args, folder.into());
        let b = next(&mut args, format!("{folder}/%").into());
        sql.push_str(&format!(" AND (p.folder = ${a} OR p.folder LIKE ${b})"));
    }
    if let Some(tag) = f.tag.as_deref().filter(|x| !x.is_empty()) {
        // Tags hold no LIKE wildcards (letters, digits and - only).
        let n = next(&mut args, format!("% {tag} %").into());
        sql.push_str(&format!(" AND (' ' || p.tags || ' ') LIKE ${n}"));
    }
    if let Some(day) = &f.review_before {
        let n = next(&mut args, day.as_str().into());
        sql.push_str(&format!(" AND p.review_on < ${n}"));
    }
    if let Some(q) = query {
        match db {
            Db::Sqlite { .. } => {
                // Only this client's range of the index: see `doc_search`
                // in the schema (0030). The `+` keeps SQLite walking the
                // pages in list order (and stopping when the list is full)
                // rather than reading every page the index found and
                // sorting them.
                let n = next(&mut args, q.to_owned().into());
                sql.push_str(&format!(
                    " AND +p.search_key IN (SELECT rowid FROM doc_search WHERE doc_search MATCH ${n} \
                     AND rowid > (SELECT number << 32 FROM doc_search_clients WHERE client_id = $1) \
                     AND rowid < (SELECT (number + 1) << 32 FROM doc_search_clients WHERE client_id = $1))"
                ));
            }
            Db::Postgres(_) => {
                let n = next(&mut args, q.to_owned().into());
                sql.push_str(&format!(" AND p.search @@ to_tsquery('simple', ${n})"));
            }
        }
    }
    if let Some(after) = f.after {
        let n = next(&mut args, after.to_string().into());
        sql.push_str(&format!(
            " AND (p.folder, p.title_key, p.id) > (SELECT a.folder, a.title_key, a.id FROM doc_pages a WHERE a.id = ${n} AND a.client_id = $1)"
        ));
    }
    let n = next(&mut args, f.limit.into());
    sql.push_str(&format!(" ORDER BY p.folder, p.title_key, p.id LIMIT ${n}"));
    db.rows(&sql, &args, PageSummary::from_direct).await
}

/// Pages of every client within scope whose text matches `raw` (full-text,
/// as [`list`]): at most `limit` matches, in title order; with
/// `published_only` only pages published to the portal. For search beside
/// ticket search. PostgreSQL takes the newest matches. SQLite reads the
/// index from the end of its keys (client by client, each client's newest
/// pages first) and stops at `limit` matches in scope, so a common word
/// over many clients' pages costs a page of matches, not all of them.
pub async fn search_in_scope(
    db: &Db,
    scope: &Scope,
    published_only: bool,
    raw: &str,
    limit: i64,
) -> Result<Vec<PageSummary>> {
    // The same words on both backends; none, no search.
    let words = fts5_query(raw);
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let (sql, q) = match db {
        Db::Sqlite { .. } => (
            format!(
                "SELECT {SUMMARY_COLS} FROM doc_pages p WHERE p.search_key IN (SELECT s.rowid FROM doc_search s \
                 JOIN doc_pages m ON m.search_key = s.rowid WHERE s.doc_search MATCH $3 AND {} \
                 AND ($4 = 0 OR m.published = 1) ORDER BY s.rowid DESC LIMIT $5) \
                 ORDER BY p.title_key, p.id",
                scope_filter!("m.client_id", "$1", "$2")
            ),
            words,
        ),
        Db::Postgres(_) => (
            format!(
                "SELECT {SUMMARY_COLS} FROM doc_pages p WHERE p.id IN (SELECT m.id FROM doc_pages m \
                 WHERE m.search @@ to_tsquery('simple', $3) AND {} AND ($4 = 0 OR m.published = 1) \
                 ORDER BY m.created_at DESC LIMIT $5) ORDER BY p.title_key, p.id",
                scope_filter!("m.client_id", "$1", "$2")
            ),
            pg_tsquery(raw),
        ),
    };

    let args = [
        scope.user_id.to_string().into(),
        scope.org_id.to_string().into(),
        q.into(),
        i64::from(published_only).into(),
        limit.into(),
    ];
    db.rows(&sql, &args, PageSummary::from_direct).await
}

/// One saved state of a page.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct Revision {
    /// The page.
    #[sqlx(try_from = "String")]
    pub page_id: PageId,
    /// 1 for the first save, then counting up (the page's version).
    pub number: i64,
    /// The page's client.
    #[sqlx(try_from = "String")]
    pub client_id: OrgId,
    /// The title saved.
    pub title: String,
    /// The Markdown saved.
    pub body: String,
    /// Who saved it.
    pub author_id: Option<String>,
    /// Their name (empty when unknown).
    pub author_name: String,
    /// Their side: `provider` or `client`.
    pub author_side: String,
    /// When (epoch ms).
    pub created_at: i64,
    /// The revision it restored, for a restore.
    pub restored_from: Option<i64>,
}

const REV_COLS: &str = "r.page_id, r.number, r.client_id, r.title, r.body, r.author_id, \
     COALESCE(u.name, '') AS author_name, r.author_side, r.created_at, r.restored_from";

/// Record a revision (in the transaction that saved the page).
pub async fn insert_revision(tx: &mut Tx, r: &Revision) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(INSERT_REVISION)
        .bind(r.page_id.to_string()).bind(r.number).bind(r.client_id.to_string()).bind(&r.title)
        .bind(&r.body).bind(&r.author_id).bind(&r.author_side).bind(r.created_at).bind(r.restored_from)
        .execute(c).await)
    .map_err(StoreError::from_write)?;
    Ok(())
}

/// A page's revisions, newest first (the caller has checked access to
/// the page).
pub async fn revisions(db: &Db, page: PageId) -> Result<Vec<Revision>> {
    let sql = format!(
        "SELECT {REV_COLS} FROM doc_revisions r LEFT JOIN users u ON u.id = r.author_id \
         WHERE r.page_id = $1 ORDER BY r.number DESC"
    );
    Ok(
        on_db!(db, c => sqlx::query_as::<_, Revision>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(page.to_string()).fetch_all(c).await)?,
    )
}

/// One revision of a page (the caller has checked access to the page).
pub async fn revision(db: &Db, page: PageId, number: i64) -> Result<Revision> {
    let sql = format!(
        "SELECT {REV_COLS} FROM doc_revisions r LEFT JOIN users u ON u.id = r.author_id \
         WHERE r.page_id = $1 AND r.number = $2"
    );
    on_db!(db, c => sqlx::query_as::<_, Revision>(sqlx::AssertSqlSafe(sql.as_str()))
        .bind(page.to_string()).bind(number).fetch_optional(c).await)?
    .ok_or(StoreError::NotFound)
}

/// What a page links to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkTarget {
    /// Another page of the same client.
    Page(PageId),
    /// A ticket of the same client.
    Ticket(TicketId),
}

/// Replace a page's links with `targets` (the caller has checked that each
/// belongs to the page's client).
pub async fn set_links(tx: &mut Tx, page: PageId, targets: &[LinkTarget]) -> Result<()> {
    exec_tx!(tx, c => sqlx::query(CLEAR_LINKS).bind(page.to_string()).execute(c).await)?;
    for t in targets {
        let (kind, id) = link_parts(t);
        exec_tx!(tx, c => sqlx::query(INSERT_LINK)
            .bind(page.to_string()).bind(kind).bind(id).execute(c).await)?;
    }
    Ok(())
}

/// A link target as stored: its kind and id.
fn link_parts(t: &LinkTarget) -> (&'static str, String) {
    match t {
        LinkTarget::Page(p) => ("page", p.to_string()),
        LinkTarget::Ticket(t) => ("ticket", t.to_string()),
    }
}

/// A link as stored, with what the reader might be shown of its target.
/// Whoever reads it must be allowed to read the target on its own (the
/// service filters by that rule before anything of the target is shown).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredLink {
    /// `page` or `ticket`.
    pub target_kind: String,
    /// The target's id.
    pub target_id: String,
    /// The target's client.
    pub client_id: String,
    /// The ticket's number (0 for a page).
    pub number: i64,
    /// The target's title.
    pub title: String,
    /// For a page: 1 when published to the portal.
    pub published: i64,
}

/// A page's links whose targets still exist, pages first.
pub async fn links(db: &Db, page: PageId) -> Result<Vec<StoredLink>> {
    let sql = "SELECT l.target_kind, l.target_id, d.client_id, CAST(0 AS BIGINT) AS number, d.title, d.published \
         FROM doc_links l JOIN doc_pages d ON d.id = l.target_id WHERE l.page_id = $1 AND l.target_kind = 'page' \
         UNION ALL SELECT l.target_kind, l.target_id, t.client_id, t.number, t.title, CAST(0 AS BIGINT) AS published \
         FROM doc_links l JOIN tickets t ON t.id = l.target_id WHERE l.page_id = $1 AND l.target_kind = 'ticket' \
         ORDER BY 1, 4, 5";
    db.rows(sql, &[page.to_string().into()], |r| {
        Ok(StoredLink {
            target_kind: r.get(0)?,
            target_id: r.get(1)?,
            client_id: r.get(2)?,
            number: r.get(3)?,
            title: r.get(4)?,
            published: r.get(5)?,
        })
    })
    .await
}

/// Whether `target` exists and belongs to `client` (a link may only join
/// what is one client's).
pub async fn target_in_client(db: &Db, client: OrgId, target: &LinkTarget) -> Result<bool> {
    let (sql, id) = match target {
        LinkTarget::Page(p) => (
            "SELECT COUNT(*) FROM doc_pages WHERE id = $1 AND client_id = $2",
            p.to_string(),
        ),
        LinkTarget::Ticket(t) => (
            "SELECT COUNT(*) FROM tickets WHERE id = $1 AND client_id = $2",
            t.to_string(),
        ),
    };
    let n: i64 = on_db!(db, c => sqlx::query_scalar(sql).bind(id).bind(client.to_string()).fetch_one(c).await)?;
    Ok(n > 0)
}

/// How much one person of one side wrote of a page.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct AuthorCount {
    /// `provider` or `client`.
    pub side: String,
    /// The person.
    pub author_id: Option<String>,
    /// Their name (empty when unknown).
    pub name: String,
    /// How many revisions they saved.
    pub revisions: i64,
}

/// A page's authors by side, most revisions first.
pub async fn authors(db: &Db, page: PageId) -> Result<Vec<AuthorCount>> {
    // Counted first (from `doc_revisions_authors` alone), named after: a
    // name looked up per revision would be a lookup per save.
    let sql = "SELECT g.side, g.author_id, COALESCE(u.name, '') AS name, g.revisions \
         FROM (SELECT author_side AS side, author_id, COUNT(*) AS revisions FROM doc_revisions \
               WHERE page_id = $1 GROUP BY author_side, author_id) g \
         LEFT JOIN users u ON u.id = g.author_id ORDER BY 1 DESC, 4 DESC, 3";
    db.rows(sql, &[page.to_string().into()], |r| {
        Ok(AuthorCount {
            side: r.get(0)?,
            author_id: r.get(1)?,
            name: r.get(2)?,
            revisions: r.get(3)?,
        })
    })
    .await
}

/// Per side, how many of a client's pages it wrote (saved at least one
/// revision of) and how many it keeps up to date (saved last, and not past
/// their review date on `today`).
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SideAuthorship {
    /// `provider` or `client`.
    pub side: String,
    /// Pages it wrote any of.
    pub wrote: i64,
    /// Pages it saved last that are not stale.
    pub kept_current: i64,
}

/// [`SideAuthorship`] of both sides of a client (the caller checked access).
pub async fn client_authorship(db: &Db, client: OrgId, today: &str) -> Result<Vec<SideAuthorship>> {
    let sql = "SELECT s.side, \
         (SELECT COUNT(DISTINCT r.page_id) FROM doc_revisions r JOIN doc_pages p ON p.id = r.page_id \
          WHERE r.client_id = $1 AND r.author_side = s.side) AS wrote, \
         (SELECT COUNT(*) FROM doc_pages p WHERE p.client_id = $1 AND p.updated_side = s.side \
          AND (p.review_on IS NULL OR p.review_on >= $2)) AS kept_current \
         FROM (SELECT 'provider' AS side UNION ALL SELECT 'client') s ORDER BY 1 DESC";
    Ok(on_db!(db, c => sqlx::query_as::<_, SideAuthorship>(sql)
        .bind(client.to_string()).bind(today).fetch_all(c).await)?)
}

/// Columns of a page row in [`bulk_insert`].
const PAGE_COLS: &str = "id, client_id, folder, title, title_key, tags, body, review_on, published, version, \
     created_at, created_by, updated_at, updated_by, updated_side";
/// Columns of a revision row in [`bulk_insert`].
const REVISION_COLS: &str =
    "page_id, number, client_id, title, body, author_id, author_side, created_at, restored_from";

/// Insert many pages and their revisions in one transaction, many rows
/// per statement (benchmark data sets). On SQLite the search index is
/// filled by the table's triggers; on PostgreSQL by the generated column.
pub async fn bulk_insert(db: &Db, pages: &[Page], revisions: &[Revision]) -> Result<()> {
    let numbered = db.backend() == crate::Backend::Postgres;
    let mut tx = db.begin().await?;
    // 15 and 9 placeholders a row stay below SQLite's 32,766 per statement.
    for chunk in pages.chunks(1_000) {
        let sql = crate::bulk::values_sql("doc_pages", PAGE_COLS, 15, chunk.len(), numbered);
        exec_tx!(&mut tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for p in chunk {
                q = q.bind(p.id.to_string()).bind(p.client_id.to_string()).bind(p.folder.clone())
                    .bind(p.title.clone()).bind(p.title.to_lowercase()).bind(p.tags.clone())
                    .bind(p.body.clone()).bind(p.review_on.clone()).bind(p.published).bind(p.version)
                    .bind(p.created_at).bind(p.created_by.clone()).bind(p.updated_at)
                    .bind(p.updated_by.clone()).bind(p.updated_side.clone());
            }
            q.execute(c).await
        })
        .map_err(StoreError::from_write)?;
    }
    for chunk in revisions.chunks(3_000) {
        let sql = crate::bulk::values_sql("doc_revisions", REVISION_COLS, 9, chunk.len(), numbered);
        exec_tx!(&mut tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str()));
            for r in chunk {
                q = q.bind(r.page_id.to_string()).bind(r.number).bind(r.client_id.to_string())
                    .bind(r.title.clone()).bind(r.body.clone()).bind(r.author_id.clone())
                    .bind(r.author_side.clone()).bind(r.created_at).bind(r.restored_from);
            }
            q.execute(c).await
        })
        .map_err(StoreError::from_write)?;
    }
    tx.commit().await
}
