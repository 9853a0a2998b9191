-- When each account was active and in which role: per-user pricing counts
-- a client's requesters day by day from these stretches, not from the
-- accounts as they are when the invoice run happens. A stretch opens when
-- an account is created active, activated, or given a new role while
-- active; it closes (`active_until`) when the account is deactivated or
-- its role changes. An account has at most one open stretch. Every role is
-- kept, so the history reads on its own; billing counts `requester` only.
CREATE TABLE account_periods (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    org_id TEXT NOT NULL REFERENCES organizations (id),
    role TEXT NOT NULL,
    active_from BIGINT NOT NULL,
    active_until BIGINT,
    CHECK (active_until IS NULL OR active_until >= active_from)
);
CREATE UNIQUE INDEX account_periods_open ON account_periods (user_id) WHERE active_until IS NULL;
-- The invoice run reads a client's requesters overlapping a month.
CREATE INDEX account_periods_org ON account_periods (org_id, role, active_from);

-- Accounts from before the history: active ones from their creation on in
-- their present role; a deactivated one from its creation until its last
-- change, the latest it can have been deactivated (the old table keeps no
-- more than that).
INSERT INTO account_periods (user_id, org_id, role, active_from, active_until)
SELECT id, org_id, role, created_at,
       CASE WHEN active THEN NULL ELSE GREATEST(updated_at, created_at) END
FROM users ORDER BY created_at, id;
