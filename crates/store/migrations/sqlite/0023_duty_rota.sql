-- Who is on duty after hours, per client and side (`provider` or
-- `in_house`): a weekly rota of slots in the client's local time, each
-- naming one person, and overrides for a span of instants that take
-- precedence over it. Slots are replaced as a whole week at once.
CREATE TABLE duty_slots (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    side TEXT NOT NULL CHECK (side IN ('provider', 'in_house')),
    -- `mon`..`sun` and `HH:MM` (the end may be `24:00`); an end not after
    -- the start wraps into the next week.
    start_day TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_day TEXT NOT NULL,
    end_time TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    position BIGINT NOT NULL
);
CREATE INDEX duty_slots_client_side ON duty_slots (client_id, side, position);

CREATE TABLE duty_overrides (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    side TEXT NOT NULL CHECK (side IN ('provider', 'in_house')),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL CHECK (ends_at > starts_at),
    user_id TEXT NOT NULL REFERENCES users (id),
    reason TEXT,
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
-- Routing asks for the overrides of a side still running at an instant.
CREATE INDEX duty_overrides_client_side ON duty_overrides (client_id, side, ends_at);
