-- Full-text search over ticket titles, descriptions and comments (FTS5).
-- One row per ticket (title and description) and one per comment, each
-- with its visibility so requesters only ever match public text.

CREATE VIRTUAL TABLE ticket_search USING fts5 (
    ticket_id UNINDEXED,
    visibility UNINDEXED,
    text,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER tickets_search_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO ticket_search (rowid, ticket_id, visibility, text)
    VALUES (-new.rowid, new.id, 'public', new.title || ' ' || new.description);
END;

CREATE TRIGGER tickets_search_update AFTER UPDATE OF title, description ON tickets BEGIN
    UPDATE ticket_search SET text = new.title || ' ' || new.description WHERE rowid = -new.rowid;
END;

CREATE TRIGGER ticket_events_search_insert AFTER INSERT ON ticket_events WHEN new.kind = 'comment' BEGIN
    INSERT INTO ticket_search (rowid, ticket_id, visibility, text)
    VALUES (new.id, new.ticket_id, new.visibility, new.body);
END;

-- Index what exists already.
INSERT INTO ticket_search (rowid, ticket_id, visibility, text)
SELECT -rowid, id, 'public', title || ' ' || description FROM tickets;
INSERT INTO ticket_search (rowid, ticket_id, visibility, text)
SELECT id, ticket_id, visibility, body FROM ticket_events WHERE kind = 'comment';
