-- Page search reads one client's pages. With the client as a token of the
-- index (0026), a word common to every client's pages still made the
-- index walk that word's whole list, every client's entries, to find the
-- few hundred of one client: about 2 ms a word at 100,000 pages. Here a
-- page's entry in the index is numbered by its client first
-- (`search_key` = client number << 32, plus the page's number within the
-- client), so one client's entries sit side by side and a search asks the
-- index for that range alone (0.2 ms).
--
-- The index keeps no copy of the text (`content=''`): the pages hold it.
-- A save or delete hands the index the old text to take out (the
-- triggers below build it from the same columns as when it went in), so
-- the index needs no copy to read back. (`contentless_delete`, which
-- needs no old text, was tried: it rewrote the deleted-entry lists of the
-- large merged segments on every save, 15 ms of CPU and 160 KiB written
-- a save at 100,000 pages.)

CREATE TABLE doc_search_clients (
    number INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE
);

ALTER TABLE doc_pages ADD COLUMN search_key INTEGER;

INSERT INTO doc_search_clients (client_id)
    SELECT DISTINCT client_id FROM doc_pages ORDER BY client_id;

UPDATE doc_pages SET search_key = k.search_key
FROM (
    SELECT p.rowid AS page_rowid,
           (c.number << 32) + row_number() OVER (PARTITION BY p.client_id ORDER BY p.rowid) AS search_key
    FROM doc_pages p JOIN doc_search_clients c ON c.client_id = p.client_id
) k
WHERE doc_pages.rowid = k.page_rowid;

CREATE UNIQUE INDEX doc_pages_search_key ON doc_pages (search_key);

-- A search walks the client's pages in list order and keeps those the
-- index found, until the list is full; with the key in the order index it
-- reads a page's row only for the ones it keeps (a row holds a 2 KB body).
DROP INDEX doc_pages_order;
CREATE INDEX doc_pages_order ON doc_pages (client_id, folder, title_key, id, search_key);

DROP TRIGGER doc_pages_search_insert;
DROP TRIGGER doc_pages_search_update;
DROP TRIGGER doc_pages_search_delete;
DROP TABLE doc_search;

CREATE VIRTUAL TABLE doc_search USING fts5 (
    text,
    content = '',
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO doc_search (rowid, text)
    SELECT search_key, title || ' ' || folder || ' ' || tags || ' ' || body
    FROM doc_pages ORDER BY search_key;

-- A new page takes its client's next number (the client's first page
-- numbers the client), then enters the index under it.
CREATE TRIGGER doc_pages_search_insert AFTER INSERT ON doc_pages BEGIN
    INSERT OR IGNORE INTO doc_search_clients (client_id) VALUES (new.client_id);
    UPDATE doc_pages SET search_key = (
        SELECT COALESCE(
            (SELECT MAX(p.search_key) + 1 FROM doc_pages p
             WHERE p.search_key > (c.number << 32) AND p.search_key < ((c.number + 1) << 32)),
            (c.number << 32) + 1)
        FROM doc_search_clients c WHERE c.client_id = new.client_id)
    WHERE rowid = new.rowid;
    INSERT INTO doc_search (rowid, text)
        SELECT search_key, new.title || ' ' || new.folder || ' ' || new.tags || ' ' || new.body
        FROM doc_pages WHERE rowid = new.rowid;
END;

CREATE TRIGGER doc_pages_search_update AFTER UPDATE OF title, folder, tags, body ON doc_pages BEGIN
    INSERT INTO doc_search (doc_search, rowid, text)
        VALUES ('delete', old.search_key, old.title || ' ' || old.folder || ' ' || old.tags || ' ' || old.body);
    INSERT INTO doc_search (rowid, text)
        VALUES (new.search_key, new.title || ' ' || new.folder || ' ' || new.tags || ' ' || new.body);
END;

CREATE TRIGGER doc_pages_search_delete AFTER DELETE ON doc_pages BEGIN
    INSERT INTO doc_search (doc_search, rowid, text)
        VALUES ('delete', old.search_key, old.title || ' ' || old.folder || ' ' || old.tags || ' ' || old.body);
END;
