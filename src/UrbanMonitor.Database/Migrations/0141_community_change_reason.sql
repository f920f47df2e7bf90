-- Why a council or project changed (issue 13's history: who, when and why). A write that gives a reason names it in
-- its transaction (urbanmonitor.reason, as urbanmonitor.actor names who); this trigger copies it into the row, so the
-- audit log's after-image of that write carries it and the history shows it beside the fields it changed. Every write
-- sets it again (no reason: NULL), so a later write never inherits an earlier one's reason. The service takes a
-- reason with a PUT of a council or a project, not of a member: the history is public, and a member's reason would
-- be words about a person (a council's recount of its members runs in the member's write, so it has no reason).
-- A project's status_reason (0080) stays: the reason of its last status move, shown with the project.
ALTER TABLE councils ADD COLUMN change_reason text;
ALTER TABLE projects ADD COLUMN change_reason text;

CREATE FUNCTION community_change_reason() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.change_reason := nullif(current_setting('urbanmonitor.reason', true), '');
    RETURN NEW;
END
$$;
CREATE TRIGGER councils_change_reason BEFORE INSERT OR UPDATE ON councils FOR EACH ROW EXECUTE FUNCTION community_change_reason();
CREATE TRIGGER projects_change_reason BEFORE INSERT OR UPDATE ON projects FOR EACH ROW EXECUTE FUNCTION community_change_reason();
