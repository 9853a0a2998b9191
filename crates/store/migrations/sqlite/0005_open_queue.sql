-- Queues sort open tickets by their next deadline. These partial indexes
-- hold open tickets only, in deadline order, per owner side (provider
-- staff see many clients) and per client and side (client staff).
CREATE INDEX tickets_open_side_due ON tickets (owner_side, next_due) WHERE status NOT IN ('resolved', 'closed');
CREATE INDEX tickets_open_client_side_due ON tickets (client_id, owner_side, next_due) WHERE status NOT IN ('resolved', 'closed');
