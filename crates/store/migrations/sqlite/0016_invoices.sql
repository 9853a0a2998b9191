-- Invoices: one per agreement and month (a voided one may be followed by a
-- corrected one), drafted by the monthly run, numbered in sequence per
-- provider when issued, and immutable from then on. Lines are kept as the
-- billing engine made them, each with the time entries behind it.
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL REFERENCES agreements (id),
    engagement_id TEXT NOT NULL REFERENCES engagements (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    period TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'issued', 'void')),
    number BIGINT,
    currency TEXT NOT NULL,
    total BIGINT NOT NULL,
    warnings TEXT NOT NULL,
    -- The provider's time entries the draft counted (locked when issued).
    covered TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    issued_at BIGINT,
    issued_by TEXT REFERENCES users (id),
    voided_at BIGINT,
    voided_by TEXT REFERENCES users (id),
    void_reason TEXT
);
CREATE UNIQUE INDEX invoices_one_per_month ON invoices (agreement_id, period) WHERE status <> 'void';
CREATE UNIQUE INDEX invoices_number ON invoices (provider_id, number) WHERE number IS NOT NULL;
CREATE INDEX invoices_client ON invoices (client_id, period);

CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    position INTEGER NOT NULL,
    kind TEXT NOT NULL,
    description TEXT NOT NULL,
    quantity TEXT NOT NULL,
    unit_price BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    work_ids TEXT NOT NULL,
    PRIMARY KEY (invoice_id, position)
);
