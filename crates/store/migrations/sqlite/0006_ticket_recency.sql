-- The "all" view and search read tickets newest first; these indexes let
-- a page stop after its rows instead of sorting every visible ticket.
CREATE INDEX tickets_created ON tickets (created_at);
CREATE INDEX tickets_client_created ON tickets (client_id, created_at);
