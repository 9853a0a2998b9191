-- A client's desk (categories, split, calendar, SLA policies, priority
-- matrix, active engagement) changes rarely and is read by every ticket
-- opened. Its version moves with every change, in the changing
-- transaction, so a process may keep the desk in memory and check it with
-- the organization row it reads anyway. Triggers keep every writer honest,
-- whichever code path (or process) makes the change.
ALTER TABLE organizations ADD COLUMN desk_version BIGINT NOT NULL DEFAULT 0;

-- Rows that name their client.
CREATE FUNCTION desk_changed_by_client() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE organizations SET desk_version = desk_version + 1 WHERE id = OLD.client_id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE organizations SET desk_version = desk_version + 1 WHERE id = NEW.client_id;
    END IF;
    RETURN NULL;
END;
$$;

-- Rows that belong to an engagement.
CREATE FUNCTION desk_changed_by_engagement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        UPDATE organizations SET desk_version = desk_version + 1
        WHERE id = (SELECT client_id FROM engagements WHERE id = OLD.engagement_id);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        UPDATE organizations SET desk_version = desk_version + 1
        WHERE id = (SELECT client_id FROM engagements WHERE id = NEW.engagement_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER desk_categories AFTER INSERT OR UPDATE OR DELETE ON work_categories
    FOR EACH ROW EXECUTE FUNCTION desk_changed_by_client();
CREATE TRIGGER desk_calendars AFTER INSERT OR UPDATE OR DELETE ON calendars
    FOR EACH ROW EXECUTE FUNCTION desk_changed_by_client();
CREATE TRIGGER desk_engagements AFTER INSERT OR UPDATE OR DELETE ON engagements
    FOR EACH ROW EXECUTE FUNCTION desk_changed_by_client();
CREATE TRIGGER desk_split AFTER INSERT OR UPDATE OR DELETE ON split_lines
    FOR EACH ROW EXECUTE FUNCTION desk_changed_by_engagement();
CREATE TRIGGER desk_policies AFTER INSERT OR UPDATE OR DELETE ON sla_policies
    FOR EACH ROW EXECUTE FUNCTION desk_changed_by_engagement();
