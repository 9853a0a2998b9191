-- What the worker's alert sweeps need (crates/service/src/alert_sweeps.rs),
-- each sweep one indexed range read of what is due:
--
-- * the quiet period: a source's `quiet_minutes`, and per alert ticket
--   whose alerts all resolved, when the last one did and when the ticket
--   is due to resolve itself (`resolve_at`, cleared once a person has
--   taken the ticket up and the sweep has said it waits for them);
-- * the dead man's switch: a source's `heartbeat_minutes` (none: not
--   watched), its last heartbeat, the instant it becomes overdue (moved
--   forward by every heartbeat in the same UPDATE), and the "monitoring is
--   down" ticket it has open, chosen before that ticket is written so it is
--   opened once;
-- * the repair of tickets never written: alerts whose `ticket_opened` is
--   still false (except those a maintenance window holds back on purpose).
ALTER TABLE alert_sources ADD COLUMN quiet_minutes BIGINT NOT NULL DEFAULT 10;
ALTER TABLE alert_sources ADD COLUMN heartbeat_minutes BIGINT;
ALTER TABLE alert_sources ADD COLUMN last_heartbeat_at BIGINT;
ALTER TABLE alert_sources ADD COLUMN heartbeat_due_at BIGINT;
ALTER TABLE alert_sources ADD COLUMN down_ticket_id TEXT;
ALTER TABLE alert_sources ADD COLUMN down_since BIGINT;
CREATE INDEX alert_sources_heartbeat_due ON alert_sources (heartbeat_due_at)
    WHERE heartbeat_due_at IS NOT NULL AND revoked_at IS NULL AND down_ticket_id IS NULL;
CREATE INDEX alert_sources_down ON alert_sources (down_since)
    WHERE down_ticket_id IS NOT NULL;

CREATE TABLE alert_quiet_tickets (
    ticket_id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    source_id TEXT NOT NULL REFERENCES alert_sources (id),
    quiet_since BIGINT NOT NULL,
    resolve_at BIGINT,
    waiting_since BIGINT
);
CREATE INDEX alert_quiet_tickets_due ON alert_quiet_tickets (resolve_at)
    WHERE resolve_at IS NOT NULL;

CREATE INDEX alerts_unopened ON alerts (first_seen_at)
    WHERE ticket_opened = FALSE AND maintenance_id IS NULL;
