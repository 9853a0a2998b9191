-- The demo is seeded in many transactions (organizations and people, then
-- each part of the desk's history through the ordinary use cases). A start
-- stopped part way (a kill, a lost machine) used to leave the demo's
-- organizations without the rest, and every later start took their
-- presence for a finished demo. The seeding now ends by writing this row,
-- and a start that finds the organizations without it says so.
CREATE TABLE demo_seed (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    finished_at BIGINT NOT NULL,
    with_history BOOLEAN NOT NULL
);
-- A demo seeded before this row existed is taken as finished, as it was.
INSERT INTO demo_seed (id, finished_at, with_history)
    SELECT 1, created_at, TRUE FROM organizations WHERE slug = 'harborlane' AND kind = 'provider';
