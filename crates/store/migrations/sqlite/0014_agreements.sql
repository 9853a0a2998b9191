-- Agreements: how an engagement is priced, proposed by the provider's admin
-- and accepted (or rejected, with a reason) by the client's admin. One is
-- active per engagement at a time; the others are its history. The terms
-- are the domain's `billing::Terms` as JSON, read and checked by the
-- domain: the store keeps them whole so that an agreement reads back
-- exactly as it was accepted.
CREATE TABLE agreements (
    id TEXT PRIMARY KEY,
    engagement_id TEXT NOT NULL REFERENCES engagements (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('draft', 'proposed', 'active', 'rejected', 'ended')),
    terms TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    proposed_at BIGINT,
    proposed_by TEXT REFERENCES users (id),
    decided_at BIGINT,
    decided_by TEXT REFERENCES users (id),
    reject_reason TEXT,
    ended_at BIGINT
);
CREATE INDEX agreements_engagement ON agreements (engagement_id, created_at);
CREATE UNIQUE INDEX agreements_one_active ON agreements (engagement_id) WHERE status = 'active';
