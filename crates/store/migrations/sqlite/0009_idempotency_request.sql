-- A key remembers which request it was first used for (a SHA-256 of the
-- parsed request, hex), so that the same key sent with a different
-- request is refused instead of answered with the first one's result.
-- Keys stored before this migration have none and are not checked.
ALTER TABLE idempotency_keys ADD COLUMN request_hash TEXT NOT NULL DEFAULT '';
