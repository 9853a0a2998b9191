-- The device inventory becomes the client's asset records: every kind of
-- thing IT keeps track of (hardware, licences, domains, certificates,
-- cloud tenants), with owner, location, vendor, the dates that expire and
-- reminders before they do. Ids and existing rows are kept; `class`
-- becomes `asset_type`. SQLite cannot widen a CHECK in place, so the table
-- is rebuilt under its new name (nothing references it yet).
CREATE TABLE assets (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    asset_type TEXT NOT NULL CHECK (asset_type IN ('workstation', 'server', 'network_device', 'printer',
        'software_licence', 'domain', 'tls_certificate', 'cloud_tenant', 'other')),
    status TEXT NOT NULL CHECK (status IN ('active', 'retired')),
    acquired_on TEXT,
    retired_on TEXT,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id),
    owner_user_id TEXT REFERENCES users (id),
    owner_text TEXT NOT NULL DEFAULT '',
    location TEXT NOT NULL DEFAULT '',
    serial TEXT NOT NULL DEFAULT '',
    vendor TEXT NOT NULL DEFAULT '',
    warranty_end TEXT,
    renewal_on TEXT,
    cert_not_after TEXT,
    cert_subject TEXT NOT NULL DEFAULT '',
    cert_issuer TEXT NOT NULL DEFAULT '',
    cert_sans TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    search_text TEXT NOT NULL DEFAULT '',
    next_expiry TEXT,
    next_reminder_on TEXT,
    CHECK ((status = 'retired') = (retired_on IS NOT NULL)),
    CHECK (acquired_on IS NULL OR retired_on IS NULL OR retired_on >= acquired_on)
);
INSERT INTO assets (id, client_id, name, name_key, asset_type, status, acquired_on, retired_on,
    version, created_at, updated_at, created_by, search_text)
SELECT id, client_id, name, name_key, class, status, acquired_on, retired_on,
    version, created_at, updated_at, created_by, name_key FROM devices;
DROP TABLE devices;
CREATE UNIQUE INDEX assets_client_name ON assets (client_id, name_key);
-- Per-device billing counts a client's hardware of a type on a day from this index.
CREATE INDEX assets_client_type ON assets (client_id, asset_type, acquired_on, retired_on);
-- A filtered page by type in name order.
CREATE INDEX assets_client_type_name ON assets (client_id, asset_type, name_key);
-- "Expiring within N days" reads a client's assets by their next expiry.
CREATE INDEX assets_client_expiry ON assets (client_id, next_expiry) WHERE next_expiry IS NOT NULL;
-- The reminder sweep reads only what is due.
CREATE INDEX assets_reminder_due ON assets (next_reminder_on) WHERE next_reminder_on IS NOT NULL;

-- Custom fields a client's admin defines per asset type.
CREATE TABLE asset_fields (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    asset_type TEXT NOT NULL,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('text', 'number', 'date', 'bool')),
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX asset_fields_name ON asset_fields (client_id, asset_type, name_key);

-- One asset's value of a custom field, checked against its kind when written.
CREATE TABLE asset_field_values (
    client_id TEXT NOT NULL REFERENCES organizations (id),
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    field_id TEXT NOT NULL REFERENCES asset_fields (id) ON DELETE CASCADE,
    value TEXT NOT NULL,
    PRIMARY KEY (asset_id, field_id)
);

-- What an asset relates to: another asset, a documentation page, a ticket,
-- a vault secret. Pages and secrets live in tables of their own features,
-- so only asset and ticket targets are checked when a link is made.
CREATE TABLE asset_links (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES organizations (id),
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('asset', 'page', 'ticket', 'secret')),
    target_id TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT REFERENCES users (id)
);
CREATE UNIQUE INDEX asset_links_pair ON asset_links (asset_id, target_kind, target_id);
CREATE INDEX asset_links_target ON asset_links (client_id, target_kind, target_id);

-- Per client and kind of expiry: how many days before to remind, and
-- whether a ticket is opened too (in which category, routed by the split).
CREATE TABLE asset_reminder_settings (
    client_id TEXT NOT NULL REFERENCES organizations (id),
    expiry_kind TEXT NOT NULL CHECK (expiry_kind IN ('warranty', 'licence_renewal', 'domain_renewal', 'certificate')),
    days_before BIGINT NOT NULL CHECK (days_before BETWEEN 0 AND 365),
    open_ticket BOOLEAN NOT NULL,
    category_key TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, expiry_kind)
);

-- Each reminder fired, once per asset, kind and expiry date: a changed
-- date is a new reminder. `notified` is false for a date already past
-- when it was first seen (recorded so it is not read again, not announced).
CREATE TABLE asset_reminders (
    client_id TEXT NOT NULL REFERENCES organizations (id),
    asset_id TEXT NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    expiry_kind TEXT NOT NULL,
    expires_on TEXT NOT NULL,
    fired_at BIGINT NOT NULL,
    notified BOOLEAN NOT NULL,
    ticket_id TEXT,
    PRIMARY KEY (asset_id, expiry_kind, expires_on)
);
