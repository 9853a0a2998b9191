-- New tickets and comments are now indexed for search by the store itself
-- (`tickets::insert`, `tickets::insert_event`, `bulk::insert_tickets`, and
-- for tickets opened in place the group commit, once per group), not by
-- these triggers. A statement with a trigger gets a statement journal, and
-- every statement journal, like every savepoint, makes FTS5 write what it
-- holds in memory as a segment of its own: one segment and its merges per
-- ticket opened, 15% of the writer's time (BENCHMARKS.md, session 11).
-- Edits of a title or description keep their trigger: they are rare.
DROP TRIGGER tickets_search_insert;
DROP TRIGGER ticket_events_search_insert;
