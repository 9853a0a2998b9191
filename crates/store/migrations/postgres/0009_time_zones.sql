-- Times on pages are shown in the reader's zone. A person may choose one;
-- otherwise client staff read in their client's calendar zone and provider
-- staff in their organization's zone (which has no calendar of its own).
ALTER TABLE users ADD COLUMN time_zone TEXT;
ALTER TABLE organizations ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
