-- Dashboards count a client's hand-offs of the week and SLA breaches of
-- the month from the timeline, and its resolved tickets per week and per
-- month from the tickets. Without these, each count walks every timeline
-- entry or every ticket of the client (millions on a large desk). The
-- timeline index holds only the two kinds the dashboards count (comments
-- and field changes, most of the timeline, are not written to it); the
-- queries name that same `kind IN (...)` condition so SQLite may use it.
CREATE INDEX ticket_events_client_kind_at ON ticket_events (client_id, kind, at)
    WHERE kind IN ('handoff', 'sla');
CREATE INDEX tickets_client_resolved ON tickets (client_id, resolved_at)
    WHERE resolved_at IS NOT NULL;
