-- The "all" view and search read tickets newest first; these indexes let
-- a page stop after its rows instead of sorting every visible ticket.
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_client_created ON tickets (client_id, created_at);

-- Queues list open tickets with a running clock by deadline, then those
-- whose clocks are all paused, oldest first: one index for each part, so
-- neither is tempted to walk the other's rows.
DROP INDEX tickets_open_side_due;
DROP INDEX tickets_open_client_side_due;
CREATE INDEX tickets_open_side_due ON tickets (owner_side, next_due)
    WHERE status NOT IN ('resolved', 'closed') AND next_due IS NOT NULL;
CREATE INDEX tickets_open_client_side_due ON tickets (client_id, owner_side, next_due)
    WHERE status NOT IN ('resolved', 'closed') AND next_due IS NOT NULL;
CREATE INDEX tickets_open_side_paused ON tickets (owner_side, created_at)
    WHERE status NOT IN ('resolved', 'closed') AND next_due IS NULL;
CREATE INDEX tickets_open_client_side_paused ON tickets (client_id, owner_side, created_at)
    WHERE status NOT IN ('resolved', 'closed') AND next_due IS NULL;

-- Superseded by the partial open-ticket indexes of 0005; left in place it
-- invites the planner to walk every closed ticket (their next_due is NULL
-- too) when a queue asks for paused tickets.
DROP INDEX tickets_queue;
