-- The client's device inventory: enough to count devices per class on a
-- day for per-device billing. Names are unique per client without case;
-- `name_key` holds the name lower-cased by the application, so that both
-- databases agree on what "the same name" is (SQLite's lower() knows ASCII
-- only). Dates are `YYYY-MM-DD` text, which sorts like the date.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    class TEXT NOT NULL CHECK (class IN ('workstation', 'server', 'network_device', 'other')),
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    acquired_on TEXT,
    retired_on TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    CHECK ((status = 'retired') = (retired_on IS NOT NULL)),
    CHECK (acquired_on IS NULL OR retired_on IS NULL OR retired_on >= acquired_on)
);
CREATE UNIQUE INDEX devices_client_name ON devices (client_id, name_key);
-- Counting a client's devices of a class on a day reads this index only.
CREATE INDEX devices_client_class ON devices (client_id, class, acquired_on, retired_on);
