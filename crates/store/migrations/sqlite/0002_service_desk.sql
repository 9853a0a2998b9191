-- The shared service desk: work categories and the responsibility split
-- (with its history), business calendars, SLA policies, the priority
-- matrix, tickets with their SLA clocks, the timeline, notifications and
-- the job table (outbox).

ALTER TABLE organizations ADD COLUMN ticket_prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE organizations ADD COLUMN next_ticket_number BIGINT NOT NULL DEFAULT 1;
ALTER TABLE engagements ADD COLUMN priority_matrix TEXT NOT NULL DEFAULT '["p1","p2","p3","p2","p3","p4","p3","p4","p4"]';

CREATE TABLE work_categories (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    key TEXT NOT NULL,
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    UNIQUE (client_id, key)
);

CREATE TABLE split_lines (
    engagement_id TEXT NOT NULL REFERENCES engagements (id),
    category_id TEXT NOT NULL REFERENCES work_categories (id),
    business_hours TEXT NOT NULL CHECK (business_hours IN ('in_house', 'provider', 'shared')),
    after_hours TEXT NOT NULL CHECK (after_hours IN ('in_house', 'provider', 'shared')),
    provider_assignee TEXT REFERENCES users (id),
    in_house_assignee TEXT REFERENCES users (id),
    in_scope BOOLEAN NOT NULL,
    PRIMARY KEY (engagement_id, category_id)
);

CREATE TABLE split_history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    engagement_id TEXT NOT NULL REFERENCES engagements (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    category_key TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_user_id TEXT,
    actor_label TEXT NOT NULL,
    actor_side TEXT,
    change TEXT NOT NULL
);
CREATE INDEX split_history_engagement ON split_history (engagement_id, id);

-- One business-hours calendar per client. Windows and holidays are JSON:
-- [{"day":"mon","start":"09:00","end":"17:00"}], ["2026-12-25"], ["12-25"].
CREATE TABLE calendars (
    client_id TEXT PRIMARY KEY REFERENCES organizations (id),
    time_zone TEXT NOT NULL,
    windows TEXT NOT NULL,
    holidays TEXT NOT NULL,
    yearly_holidays TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sla_policies (
    engagement_id TEXT NOT NULL REFERENCES engagements (id),
    priority TEXT NOT NULL CHECK (priority IN ('p1', 'p2', 'p3', 'p4')),
    response_minutes BIGINT NOT NULL,
    resolution_minutes BIGINT NOT NULL,
    around_the_clock BOOLEAN NOT NULL,
    pause_statuses TEXT NOT NULL,
    warn_percent BIGINT NOT NULL,
    PRIMARY KEY (engagement_id, priority)
);

-- SLA clocks: for each of response and resolution, the milliseconds of clock time consumed
-- while paused or before the last change, the instant it last started
-- running (NULL while paused or stopped), its due and warning instants,
-- and when it was met, warned and breached.
CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    engagement_id TEXT REFERENCES engagements (id),
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    requester_id TEXT NOT NULL REFERENCES users (id),
    category_id TEXT NOT NULL REFERENCES work_categories (id),
    impact TEXT NOT NULL,
    urgency TEXT NOT NULL,
    priority TEXT NOT NULL,
    priority_reason TEXT,
    status TEXT NOT NULL,
    owner_side TEXT NOT NULL,
    assignee_id TEXT REFERENCES users (id),
    source TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    resolved_at BIGINT,
    response_target BIGINT NOT NULL,
    response_consumed BIGINT NOT NULL,
    response_since BIGINT,
    response_due BIGINT,
    response_warn_at BIGINT,
    response_met_at BIGINT,
    response_warned BOOLEAN NOT NULL,
    response_breached BOOLEAN NOT NULL,
    resolution_target BIGINT NOT NULL,
    resolution_consumed BIGINT NOT NULL,
    resolution_since BIGINT,
    resolution_due BIGINT,
    resolution_warn_at BIGINT,
    resolution_warned BOOLEAN NOT NULL,
    resolution_breached BOOLEAN NOT NULL,
    next_due BIGINT,
    next_sla_event_at BIGINT,
    UNIQUE (client_id, number)
);
CREATE INDEX tickets_queue ON tickets (client_id, owner_side, next_due);
CREATE INDEX tickets_assignee ON tickets (assignee_id, next_due);
CREATE INDEX tickets_requester ON tickets (requester_id, updated_at);
CREATE INDEX tickets_sla_events ON tickets (next_sla_event_at);

CREATE TABLE ticket_watchers (
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    PRIMARY KEY (ticket_id, user_id)
);

CREATE TABLE ticket_links (
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    linked_id TEXT NOT NULL REFERENCES tickets (id),
    PRIMARY KEY (ticket_id, linked_id)
);

-- The timeline: comments (public or team), status and field changes,
-- hand-offs and SLA events, in order.
CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT NOT NULL REFERENCES tickets (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    at BIGINT NOT NULL,
    actor_user_id TEXT,
    actor_label TEXT NOT NULL,
    actor_side TEXT,
    kind TEXT NOT NULL,
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'team')),
    body TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id, id);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    ticket_id TEXT REFERENCES tickets (id),
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, read_at, created_at);

-- The outbox: written in the transaction that causes the work, claimed by
-- the worker with a lease so a crashed worker's jobs come back.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    locked_until BIGINT,
    done_at BIGINT,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs (done_at, run_at);

CREATE TABLE idempotency_keys (
    user_id TEXT NOT NULL REFERENCES users (id),
    key TEXT NOT NULL,
    status BIGINT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);
