-- The block-hours ledger of an agreement. A purchase is billed on the
-- invoice of the month it is dated in; an automatic top-up is bought by
-- the draft that ran the blocks out (and is gone with it if that invoice is
-- voided). Draws are recorded per invoice and block, so a block's balance
-- at a month's start is what it was bought with less the draws of the
-- agreement's invoices that are not void.
CREATE TABLE block_purchases (
    id TEXT PRIMARY KEY,
    agreement_id TEXT NOT NULL REFERENCES agreements (id),
    client_id TEXT NOT NULL REFERENCES organizations (id),
    provider_id TEXT NOT NULL REFERENCES organizations (id),
    purchased_on TEXT NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes > 0),
    price BIGINT NOT NULL CHECK (price >= 0),
    expires_on TEXT NOT NULL,
    rolls_over BOOLEAN NOT NULL,
    -- The draft that bought it automatically (NULL: bought by a person).
    top_up_invoice_id TEXT REFERENCES invoices (id),
    note TEXT NOT NULL,
    created_by TEXT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX block_purchases_agreement ON block_purchases (agreement_id, purchased_on);

CREATE TABLE block_draws (
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    block_id TEXT NOT NULL REFERENCES block_purchases (id),
    period TEXT NOT NULL,
    minutes BIGINT NOT NULL,
    PRIMARY KEY (invoice_id, block_id)
);
CREATE INDEX block_draws_block ON block_draws (block_id);

-- Provider time not yet on an issued invoice, for the run's sweep of late
-- entries (logged after their month was drafted, or corrections of time
-- invoiced already): without it the sweep would read a client's whole
-- history every month.
CREATE INDEX time_entries_unbilled ON time_entries (client_id, started_at) WHERE invoice_id IS NULL AND side = 'provider';
