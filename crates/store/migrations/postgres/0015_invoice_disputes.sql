-- A client's admin may dispute a line of a draft invoice, with a reason;
-- the provider's admin answers: adjust the line (its new amount) or keep
-- it, explaining why. Both stay on the invoice's history.
CREATE TABLE invoice_disputes (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    position INTEGER NOT NULL,
    reason TEXT NOT NULL,
    raised_by TEXT NOT NULL REFERENCES users (id),
    raised_at BIGINT NOT NULL,
    outcome TEXT CHECK (outcome IN ('adjusted', 'kept')),
    answer TEXT,
    old_amount BIGINT,
    new_amount BIGINT,
    answered_by TEXT REFERENCES users (id),
    answered_at BIGINT
);
CREATE INDEX invoice_disputes_invoice ON invoice_disputes (invoice_id, raised_at);
