-- A reminder that opens a ticket reserves the ticket's id in its ledger row
-- and marks it pending, in the transaction that fires it; the ticket is
-- written after that commit. A crash in between leaves the row pending,
-- and the sweep writes the ticket under the reserved id (never twice).
ALTER TABLE asset_reminders ADD COLUMN ticket_pending BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX asset_reminders_ticket_pending ON asset_reminders (fired_at) WHERE ticket_pending;
