-- The device inventory becomes the client's asset records: every kind of
-- thing IT keeps track of (hardware, licences, domains, certificates,
-- cloud tenants), with owner, location, vendor, the dates that expire and
-- reminders before they do. Ids and existing rows are kept; `class`
-- becomes `asset_type`.
ALTER TABLE devices RENAME TO assets;
ALTER TABLE assets RENAME COLUMN class TO asset_type;
ALTER TABLE assets DROP CONSTRAINT devices_class_check;
ALTER TABLE assets ADD CONSTRAINT assets_asset_type_check CHECK (asset_type IN ('workstation', 'server',
    'network_device', 'printer', 'software_licence', 'domain', 'tls_certificate', 'cloud_tenant', 'other'));
ALTER TABLE assets
    ADD COLUMN owner_user_id TEXT REFERENCES users (id),
    ADD COLUMN owner_text TEXT NOT NULL DEFAULT '',
    ADD COLUMN location TEXT NOT NULL DEFAULT '',
    ADD COLUMN serial TEXT NOT NULL DEFAULT '',
    ADD COLUMN vendor TEXT NOT NULL DEFAULT '',
    ADD COLUMN warranty_end TEXT,
    ADD COLUMN renewal_on TEXT,
    ADD COLUMN cert_not_after TEXT,
    ADD COLUMN cert_subject TEXT NOT NULL DEFAULT '',
    ADD COLUMN cert_issuer TEXT NOT NULL DEFAULT '',
    ADD COLUMN cert_sans TEXT NOT NULL DEFAULT '',
    ADD COLUMN notes TEXT NOT NULL DEFAULT '',
    ADD COLUMN search_text TEXT NOT NULL DEFAULT '',
    ADD COLUMN next_expiry TEXT,
    ADD COLUMN next_reminder_on TEXT;
UPDATE assets SET search_text = name_key;
ALTER INDEX devices_client_name RENAME TO assets_client_name;
ALTER INDEX devices_client_class RENAME TO assets_client_type;
-- A filtered page by type in name order.
CREATE INDEX assets_client_type_name ON assets (client_id, asset_type, name_key);
-- "Expiring within N days" reads a client's assets by their next expiry.
CREATE INDEX assets_client_expiry ON assets (client_id, next_expiry) WHERE next_expiry IS NOT NULL;
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
