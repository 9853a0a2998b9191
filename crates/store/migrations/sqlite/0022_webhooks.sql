-- Outgoing webhooks: endpoints a side of a client registers to hear about
-- that client's ticket events, each delivery (one event for one endpoint,
-- its body fixed when it is made so every retry sends the same bytes), and
-- every attempt to post it.
CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    -- The side that owns it; `owner_org_id` is that side's organization
    -- (the provider, or the client itself).
    side TEXT NOT NULL CHECK (side IN ('provider', 'client')),
    owner_org_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    url TEXT NOT NULL,
    -- The events it wants, comma-separated (`opened,resolved`).
    events TEXT NOT NULL,
    -- The signing key itself: an HMAC needs it, not a hash of it. Issue 17's
    -- vault master key will wrap this column.
    secret TEXT NOT NULL,
    secret_prefix TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX webhooks_client ON webhooks (client_id, revoked_at);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    event TEXT NOT NULL,
    ticket_id TEXT,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'cancelled')),
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    next_attempt_at BIGINT,
    finished_at BIGINT
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

CREATE TABLE webhook_attempts (
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt BIGINT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id),
    at BIGINT NOT NULL,
    http_status BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
CREATE INDEX webhook_attempts_webhook ON webhook_attempts (webhook_id, delivery_id);
