-- The credential vault. A client's secrets are encrypted (XChaCha20-
-- Poly1305) under the client's own random data key; the data key is kept
-- here only wrapped (encrypted) by a master key that lives in a file
-- outside the database, named by its id so that two master keys can
-- coexist while one replaces the other. Names, usernames and URLs are
-- plain (they are listed); secrets and notes are ciphertext, base64.

-- When the session (or API token) last proved its holder's password or
-- TOTP code: a reveal needs a proof from the last five minutes.
ALTER TABLE sessions ADD COLUMN proved_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN proved_at BIGINT;

CREATE TABLE vault_keys (
    client_id TEXT PRIMARY KEY REFERENCES organizations (id),
    master_key_id TEXT NOT NULL,
    -- base64 of the 24-byte nonce followed by the sealed 32-byte key.
    wrapped_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    rewrapped_at BIGINT
);
-- A master key rotation walks the keys still under the old master key.
CREATE INDEX vault_keys_master ON vault_keys (master_key_id);

CREATE TABLE vault_secrets (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    username TEXT NOT NULL,
    url TEXT NOT NULL,
    secret_ct TEXT NOT NULL,
    notes_ct TEXT NOT NULL,
    rotation_due_on TEXT,
    rotated_at BIGINT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id)
);
CREATE UNIQUE INDEX vault_secrets_client_name ON vault_secrets (client_id, name_key);
CREATE INDEX vault_secrets_client_due ON vault_secrets (client_id, rotation_due_on);

-- Every reveal: who, of which side, when, from where. Names are copied so
-- that the log reads the same after a rename.
CREATE TABLE vault_reveals (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    secret_id TEXT NOT NULL REFERENCES vault_secrets (id),
    secret_name TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    user_name TEXT NOT NULL,
    user_email TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('provider', 'client')),
    proof TEXT NOT NULL,
    source_addr TEXT NOT NULL,
    user_agent TEXT NOT NULL,
    revealed_at BIGINT NOT NULL
);
CREATE INDEX vault_reveals_client ON vault_reveals (client_id, id);
CREATE INDEX vault_reveals_secret ON vault_reveals (client_id, secret_id, id);
CREATE INDEX vault_reveals_user ON vault_reveals (client_id, user_id);

-- Someone who revealed a client's secrets and then lost access to it
-- (taken off the engagement, or the engagement ended).
CREATE TABLE vault_departures (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    departed_at BIGINT NOT NULL
);
CREATE INDEX vault_departures_client ON vault_departures (client_id, departed_at);

-- The rotation ticket opened for one secret of one departure: at most one.
CREATE TABLE vault_rotation_tickets (
    departure_id TEXT NOT NULL REFERENCES vault_departures (id),
    secret_id TEXT NOT NULL REFERENCES vault_secrets (id),
    ticket_id TEXT REFERENCES tickets (id),
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (departure_id, secret_id)
);
