-- The provider's admin may change, add or remove a line of a draft
-- invoice, always with a reason; each act is kept with the line as it was
-- and as it became, and the invoice's total before and after (the tax
-- follows the lines), so both sides read on the invoice what was changed,
-- by whom, when and why.
CREATE TABLE invoice_line_edits (
    id TEXT PRIMARY KEY,
    invoice_id TEXT NOT NULL REFERENCES invoices (id),
    position INTEGER NOT NULL,
    action TEXT NOT NULL CHECK (action IN ('changed', 'added', 'removed')),
    kind TEXT NOT NULL,
    old_description TEXT,
    old_quantity TEXT,
    old_unit_price BIGINT,
    old_amount BIGINT,
    new_description TEXT,
    new_quantity TEXT,
    new_unit_price BIGINT,
    new_amount BIGINT,
    old_total BIGINT NOT NULL,
    new_total BIGINT NOT NULL,
    reason TEXT NOT NULL,
    edited_by TEXT NOT NULL REFERENCES users (id),
    edited_at BIGINT NOT NULL
);
CREATE INDEX invoice_line_edits_invoice ON invoice_line_edits (invoice_id, edited_at);
