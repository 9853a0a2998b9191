-- Controls on alert intake (issue 16): per-source storm threshold and
-- request rate, maintenance windows per client, the window that held an
-- alert back, and each source's count of new alerts per minute.
ALTER TABLE alert_sources ADD COLUMN storm_per_minute BIGINT NOT NULL DEFAULT 30;
ALTER TABLE alert_sources ADD COLUMN rate_per_second BIGINT NOT NULL DEFAULT 200;

-- Set while the alert was held back by this maintenance window: its
-- `ticket_id` is then reserved but not written, and the alert opens it when
-- it fires again outside any window. No foreign key: a deleted window
-- simply stops holding anything.
ALTER TABLE alerts ADD COLUMN maintenance_id TEXT;

-- One-off windows carry `starts_at`/`ends_at`; weekly ones a weekday bit
-- mask (bit 0 Monday), a local `HH:MM` start in the client's calendar zone
-- and a duration in minutes.
CREATE TABLE maintenance_windows (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    source_id TEXT REFERENCES alert_sources (id),
    reason TEXT NOT NULL,
    starts_at BIGINT,
    ends_at BIGINT,
    weekdays BIGINT,
    start_time TEXT,
    duration_minutes BIGINT,
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    CHECK ((starts_at IS NOT NULL AND ends_at IS NOT NULL AND weekdays IS NULL)
        OR (starts_at IS NULL AND weekdays IS NOT NULL AND start_time IS NOT NULL AND duration_minutes IS NOT NULL))
);
CREATE INDEX maintenance_windows_client ON maintenance_windows (client_id, ends_at);

-- Flood control: new alerts of a source in the current and the previous
-- clock minute, and the open storm ticket its alerts join while it storms.
-- In the database (locked per request that has new alerts) so the count
-- holds across restarts and across processes sharing one database.
CREATE TABLE alert_floods (
    source_id TEXT PRIMARY KEY REFERENCES alert_sources (id),
    minute BIGINT NOT NULL,
    opened BIGINT NOT NULL,
    prev_opened BIGINT NOT NULL,
    storm_ticket_id TEXT,
    storm_severity TEXT NOT NULL DEFAULT ''
);
