-- Shared documentation (issue 17): Markdown pages of a client in folders,
-- with tags, a review date, revisions, links to tickets and other pages,
-- and full-text search. A page's version is the number of its latest
-- revision.

CREATE TABLE doc_pages (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    folder TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    -- Lower-case title, for ordering the same way on both backends.
    title_key TEXT NOT NULL,
    -- Space-separated, lower case (see tandem_domain::document::tags_text).
    tags TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    review_on TEXT CHECK (review_on IS NULL OR review_on GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    published INTEGER NOT NULL DEFAULT 0 CHECK (published IN (0, 1)),
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    updated_at BIGINT NOT NULL,
    updated_by TEXT REFERENCES users (id),
    updated_side TEXT NOT NULL CHECK (updated_side IN ('provider', 'client'))
);
CREATE INDEX doc_pages_order ON doc_pages (client_id, folder, title_key, id);
CREATE INDEX doc_pages_review ON doc_pages (client_id, review_on);

CREATE TABLE doc_revisions (
    page_id TEXT NOT NULL REFERENCES doc_pages (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    client_id TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    author_id TEXT REFERENCES users (id),
    author_side TEXT NOT NULL CHECK (author_side IN ('provider', 'client')),
    created_at BIGINT NOT NULL,
    -- The revision this one restored, if it is a restore.
    restored_from BIGINT,
    PRIMARY KEY (page_id, number)
);
CREATE INDEX doc_revisions_client ON doc_revisions (client_id, author_side);

CREATE TABLE doc_links (
    page_id TEXT NOT NULL REFERENCES doc_pages (id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('page', 'ticket')),
    target_id TEXT NOT NULL,
    PRIMARY KEY (page_id, target_kind, target_id)
);
CREATE INDEX doc_links_target ON doc_links (target_id);

-- Titles, folders, tags and bodies, searched like tickets (FTS5). Kept by
-- triggers: pages are saved rarely, unlike tickets opened in bursts.
-- `client` holds the page's client id as one token (without its dashes):
-- a search of one client's pages matches it too, so the index answers with
-- that client's pages alone rather than every client's pages holding a
-- common word (at 100,000 pages, the difference between 1.5 s and a few ms).
CREATE VIRTUAL TABLE doc_search USING fts5 (
    client,
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER doc_pages_search_insert AFTER INSERT ON doc_pages BEGIN
    INSERT INTO doc_search (rowid, client, text)
    VALUES (new.rowid, replace(new.client_id, '-', ''),
            new.title || ' ' || new.folder || ' ' || new.tags || ' ' || new.body);
END;

CREATE TRIGGER doc_pages_search_update AFTER UPDATE OF title, folder, tags, body ON doc_pages BEGIN
    UPDATE doc_search SET text = new.title || ' ' || new.folder || ' ' || new.tags || ' ' || new.body
    WHERE rowid = new.rowid;
END;

CREATE TRIGGER doc_pages_search_delete AFTER DELETE ON doc_pages BEGIN
    DELETE FROM doc_search WHERE rowid = old.rowid;
END;
