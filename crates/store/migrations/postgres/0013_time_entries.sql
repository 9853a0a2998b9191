-- Time logged on tickets by either side. In-house time is never billed but
-- is counted; provider time is priced by the agreement in force. Whether
-- the work was in scope and after hours is decided when it is logged (the
-- split and the calendar of that moment), so an invoice never changes
-- because the split did later. An entry on an issued invoice is locked:
-- a correction is a new entry that names the one it corrects.
CREATE TABLE time_entries (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    side TEXT NOT NULL CHECK (side IN ('provider', 'in_house')),
    role TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    minutes BIGINT NOT NULL,
    category_key TEXT NOT NULL,
    category_name TEXT NOT NULL,
    in_scope BOOLEAN NOT NULL,
    after_hours BOOLEAN NOT NULL,
    note TEXT NOT NULL,
    invoice_id TEXT,
    corrects TEXT REFERENCES time_entries (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX time_entries_client ON time_entries (client_id, started_at);
CREATE INDEX time_entries_ticket ON time_entries (ticket_id, started_at);
