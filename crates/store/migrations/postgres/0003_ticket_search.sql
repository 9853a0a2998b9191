-- Full-text search over ticket titles, descriptions and comments
-- (tsvector columns with GIN indexes). The 'simple' configuration keeps
-- names, error codes and mixed languages searchable as written.

ALTER TABLE tickets ADD COLUMN search tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || description)) STORED;
CREATE INDEX tickets_search ON tickets USING GIN (search);

ALTER TABLE ticket_events ADD COLUMN search tsvector
    GENERATED ALWAYS AS (CASE WHEN kind = 'comment' THEN to_tsvector('simple', body) END) STORED;
CREATE INDEX ticket_events_search ON ticket_events USING GIN (search);
