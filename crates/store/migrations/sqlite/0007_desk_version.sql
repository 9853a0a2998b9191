-- A client's desk (categories, split, calendar, SLA policies, priority
-- matrix, active engagement) changes rarely and is read by every ticket
-- opened. Its version moves with every change, in the changing
-- transaction, so a process may keep the desk in memory and check it with
-- the organization row it reads anyway. Triggers keep every writer honest,
-- whichever code path (or process) makes the change.
ALTER TABLE organizations ADD COLUMN desk_version BIGINT NOT NULL DEFAULT 0;

CREATE TRIGGER desk_categories_insert AFTER INSERT ON work_categories BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id = new.client_id;
END;
CREATE TRIGGER desk_categories_update AFTER UPDATE ON work_categories BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id IN (old.client_id, new.client_id);
END;
CREATE TRIGGER desk_categories_delete AFTER DELETE ON work_categories BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id = old.client_id;
END;

CREATE TRIGGER desk_calendars_insert AFTER INSERT ON calendars BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id = new.client_id;
END;
CREATE TRIGGER desk_calendars_update AFTER UPDATE ON calendars BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id IN (old.client_id, new.client_id);
END;
CREATE TRIGGER desk_calendars_delete AFTER DELETE ON calendars BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id = old.client_id;
END;

CREATE TRIGGER desk_engagements_insert AFTER INSERT ON engagements BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id = new.client_id;
END;
CREATE TRIGGER desk_engagements_update AFTER UPDATE ON engagements BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id IN (old.client_id, new.client_id);
END;
CREATE TRIGGER desk_engagements_delete AFTER DELETE ON engagements BEGIN
    UPDATE organizations SET desk_version = desk_version + 1 WHERE id = old.client_id;
END;

CREATE TRIGGER desk_split_insert AFTER INSERT ON split_lines BEGIN
    UPDATE organizations SET desk_version = desk_version + 1
    WHERE id = (SELECT client_id FROM engagements WHERE id = new.engagement_id);
END;
CREATE TRIGGER desk_split_update AFTER UPDATE ON split_lines BEGIN
    UPDATE organizations SET desk_version = desk_version + 1
    WHERE id IN (SELECT client_id FROM engagements WHERE id IN (old.engagement_id, new.engagement_id));
END;
CREATE TRIGGER desk_split_delete AFTER DELETE ON split_lines BEGIN
    UPDATE organizations SET desk_version = desk_version + 1
    WHERE id = (SELECT client_id FROM engagements WHERE id = old.engagement_id);
END;

CREATE TRIGGER desk_policies_insert AFTER INSERT ON sla_policies BEGIN
    UPDATE organizations SET desk_version = desk_version + 1
    WHERE id = (SELECT client_id FROM engagements WHERE id = new.engagement_id);
END;
CREATE TRIGGER desk_policies_update AFTER UPDATE ON sla_policies BEGIN
    UPDATE organizations SET desk_version = desk_version + 1
    WHERE id IN (SELECT client_id FROM engagements WHERE id IN (old.engagement_id, new.engagement_id));
END;
CREATE TRIGGER desk_policies_delete AFTER DELETE ON sla_policies BEGIN
    UPDATE organizations SET desk_version = desk_version + 1
    WHERE id = (SELECT client_id FROM engagements WHERE id = old.engagement_id);
END;
