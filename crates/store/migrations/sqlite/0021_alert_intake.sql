-- Alert intake: sources per client (a key stored only as its SHA-256
-- hash), and the alerts they sent, each tied to the ticket it opened or
-- joined. `ticket_id` is chosen before the ticket is written (it has no
-- foreign key): an alert whose `ticket_opened` is still false after a crash
-- has its ticket opened, under that same id, the next time it is sent.
CREATE TABLE alert_sources (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('alertmanager', 'generic')),
    auth_mode TEXT NOT NULL CHECK (auth_mode IN ('bearer', 'hmac')),
    key_hash TEXT NOT NULL UNIQUE,
    key_prefix TEXT NOT NULL,
    default_category TEXT NOT NULL,
    category_label TEXT,
    impact_label TEXT,
    device_label TEXT,
    group_alerts BOOLEAN NOT NULL,
    -- The person-shaped account alert tickets are opened as (inactive: it
    -- never signs in); it names the source as the tickets' requester.
    actor_user_id TEXT NOT NULL REFERENCES users (id),
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX alert_sources_client ON alert_sources (client_id, created_at);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    source_id TEXT NOT NULL REFERENCES alert_sources (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    dedup_key TEXT NOT NULL,
    group_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('firing', 'resolved')),
    severity TEXT NOT NULL,
    summary TEXT NOT NULL,
    device TEXT,
    ticket_id TEXT NOT NULL,
    ticket_opened BOOLEAN NOT NULL,
    fire_count BIGINT NOT NULL,
    -- SHA-256 of the last event's content: the same event again is a no-op.
    last_hash TEXT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE UNIQUE INDEX alerts_source_key ON alerts (source_id, dedup_key);
CREATE INDEX alerts_client_status ON alerts (client_id, status, last_seen_at);
CREATE INDEX alerts_ticket ON alerts (ticket_id);
CREATE INDEX alerts_group ON alerts (source_id, group_key, first_seen_at);
