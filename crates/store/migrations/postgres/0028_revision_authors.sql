-- A page's authors are counted from its revisions on every read of the
-- page; a page saved thousands of times made that read every revision row
-- (each holding a whole body). Counted from this index, the rows stay
-- unread.
CREATE INDEX doc_revisions_authors ON doc_revisions (page_id, author_side, author_id);
