-- Attachments on tickets and comments. The bytes live in the database so a
-- backup or an export carries them; the name a person gave is only ever
-- shown, never used as a path.
CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    event_id BIGINT,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'team')),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_ticket ON attachments (ticket_id, created_at);
