"""retention deletion through every append-only table: pupil grants, retention-aware triggers

Revision ID: 0017_retention_triggers
Revises: 0016_administration
Create Date: 2026-11-28 17:20:00

0016 let the two-person deletion after the retention review through key_events only.
Every other append-only table that holds rows about an entry or a pupil gets the same
triggers (append_only.RETENTION_GRANTED): UPDATE and TRUNCATE refused as before, DELETE
only for a row whose entry (or pupil) the confirming transaction has granted.
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_retention_triggers"
down_revision = "0016_administration"
branch_labels = None
depends_on = None

# The statements this revision runs, frozen as cpoms/append_only.py wrote them when it was
# released: that module may change, what this revision does may not. For each table of
# RETENTION_GRANTED then but key_events (retention-aware since 0016), in name order: the
# append-only triggers dropped, the retention-aware ones created (downgrade: the reverse).
REFUSE_CHANGE = """
CREATE OR REPLACE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be changed or deleted';
END $$
"""

UPGRADE_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS amendments_no_update",
        "DROP TRIGGER IF EXISTS amendments_no_delete",
        "CREATE TRIGGER amendments_no_update BEFORE UPDATE ON amendments BEGIN SELECT RAISE(ABORT, "
        "'amendments is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT RAISE(ABORT, "
        "'amendments is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS attachments_no_update",
        "DROP TRIGGER IF EXISTS attachments_no_delete",
        "CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments BEGIN SELECT RAISE(ABORT, "
        "'attachments is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT RAISE(ABORT, "
        "'attachments is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS body_map_marks_no_update",
        "DROP TRIGGER IF EXISTS body_map_marks_no_delete",
        "CREATE TRIGGER body_map_marks_no_update BEFORE UPDATE ON body_map_marks BEGIN SELECT "
        "RAISE(ABORT, 'body_map_marks is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER body_map_marks_no_delete BEFORE DELETE ON body_map_marks WHEN NOT EXISTS (SELECT "
        "1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT RAISE(ABORT, "
        "'body_map_marks is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entries_no_update",
        "DROP TRIGGER IF EXISTS entries_no_delete",
        "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, "
        "'entries is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id IN (OLD.id)) BEGIN SELECT RAISE(ABORT, "
        "'entries is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entry_categories_no_update",
        "DROP TRIGGER IF EXISTS entry_categories_no_delete",
        "CREATE TRIGGER entry_categories_no_update BEFORE UPDATE ON entry_categories BEGIN SELECT "
        "RAISE(ABORT, 'entry_categories is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_categories_no_delete BEFORE DELETE ON entry_categories WHEN NOT EXISTS "
        "(SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT "
        "RAISE(ABORT, 'entry_categories is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entry_links_no_update",
        "DROP TRIGGER IF EXISTS entry_links_no_delete",
        "CREATE TRIGGER entry_links_no_update BEFORE UPDATE ON entry_links BEGIN SELECT RAISE(ABORT, "
        "'entry_links is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_links_no_delete BEFORE DELETE ON entry_links WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id, OLD.other_entry_id)) BEGIN SELECT "
        "RAISE(ABORT, 'entry_links is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entry_shares_no_update",
        "DROP TRIGGER IF EXISTS entry_shares_no_delete",
        "CREATE TRIGGER entry_shares_no_update BEFORE UPDATE ON entry_shares BEGIN SELECT RAISE(ABORT, "
        "'entry_shares is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_shares_no_delete BEFORE DELETE ON entry_shares WHEN NOT EXISTS (SELECT 1 "
        "FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT RAISE(ABORT, "
        "'entry_shares is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS follow_ups_no_update",
        "DROP TRIGGER IF EXISTS follow_ups_no_delete",
        "CREATE TRIGGER follow_ups_no_update BEFORE UPDATE ON follow_ups BEGIN SELECT RAISE(ABORT, "
        "'follow_ups is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT RAISE(ABORT, "
        "'follow_ups is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS monitoring_events_no_update",
        "DROP TRIGGER IF EXISTS monitoring_events_no_delete",
        "CREATE TRIGGER monitoring_events_no_update BEFORE UPDATE ON monitoring_events BEGIN SELECT "
        "RAISE(ABORT, 'monitoring_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER monitoring_events_no_delete BEFORE DELETE ON monitoring_events WHEN NOT EXISTS "
        "(SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN SELECT "
        "RAISE(ABORT, 'monitoring_events is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_update",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_delete",
        "CREATE TRIGGER subject_access_exports_no_update BEFORE UPDATE ON subject_access_exports BEGIN "
        "SELECT RAISE(ABORT, 'subject_access_exports is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER subject_access_exports_no_delete BEFORE DELETE ON subject_access_exports WHEN NOT "
        "EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) BEGIN "
        "SELECT RAISE(ABORT, 'subject_access_exports is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS task_completions_no_update",
        "DROP TRIGGER IF EXISTS task_completions_no_delete",
        "CREATE TRIGGER task_completions_no_update BEFORE UPDATE ON task_completions BEGIN SELECT "
        "RAISE(ABORT, 'task_completions is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER task_completions_no_delete BEFORE DELETE ON task_completions WHEN NOT EXISTS "
        "(SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN ((SELECT t.entry_id FROM tasks t "
        "WHERE t.id = OLD.task_id))) BEGIN SELECT RAISE(ABORT, "
        "'task_completions is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS task_reminders_no_update",
        "DROP TRIGGER IF EXISTS task_reminders_no_delete",
        "CREATE TRIGGER task_reminders_no_update BEFORE UPDATE ON task_reminders BEGIN SELECT "
        "RAISE(ABORT, 'task_reminders is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER task_reminders_no_delete BEFORE DELETE ON task_reminders WHEN NOT EXISTS (SELECT "
        "1 FROM retention_deletion_grants g WHERE g.entry_id IN ((SELECT t.entry_id FROM tasks t WHERE "
        "t.id = OLD.task_id))) BEGIN SELECT RAISE(ABORT, "
        "'task_reminders is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS tasks_no_update",
        "DROP TRIGGER IF EXISTS tasks_no_delete",
        "CREATE TRIGGER tasks_no_update BEFORE UPDATE ON tasks BEGIN SELECT RAISE(ABORT, "
        "'tasks is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER tasks_no_delete BEFORE DELETE ON tasks WHEN NOT EXISTS (SELECT 1 FROM "
        "retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) BEGIN SELECT RAISE(ABORT, "
        "'tasks is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS transfer_events_no_update",
        "DROP TRIGGER IF EXISTS transfer_events_no_delete",
        "CREATE TRIGGER transfer_events_no_update BEFORE UPDATE ON transfer_events BEGIN SELECT "
        "RAISE(ABORT, 'transfer_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER transfer_events_no_delete BEFORE DELETE ON transfer_events WHEN NOT EXISTS "
        "(SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = (SELECT t.pupil_id FROM "
        "transfers t WHERE t.id = OLD.transfer_id)) BEGIN SELECT RAISE(ABORT, "
        "'transfer_events is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_update",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_delete",
        "CREATE TRIGGER transfer_reminders_no_update BEFORE UPDATE ON transfer_reminders BEGIN SELECT "
        "RAISE(ABORT, 'transfer_reminders is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER transfer_reminders_no_delete BEFORE DELETE ON transfer_reminders WHEN NOT EXISTS "
        "(SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = (SELECT t.pupil_id FROM "
        "transfers t WHERE t.id = OLD.transfer_id)) BEGIN SELECT RAISE(ABORT, "
        "'transfer_reminders is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS amendments_append_only ON amendments",
        "DROP TRIGGER IF EXISTS amendments_no_truncate ON amendments",
        """CREATE OR REPLACE FUNCTION amendments_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER amendments_append_only BEFORE UPDATE ON amendments FOR EACH ROW EXECUTE FUNCTION "
        "refuse_change()",
        "CREATE TRIGGER amendments_no_truncate BEFORE TRUNCATE ON amendments FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments FOR EACH ROW EXECUTE FUNCTION "
        "amendments_delete_if_granted()",
        "DROP TRIGGER IF EXISTS attachments_append_only ON attachments",
        "DROP TRIGGER IF EXISTS attachments_no_truncate ON attachments",
        """CREATE OR REPLACE FUNCTION attachments_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER attachments_append_only BEFORE UPDATE ON attachments FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments FOR EACH ROW EXECUTE FUNCTION "
        "attachments_delete_if_granted()",
        "DROP TRIGGER IF EXISTS body_map_marks_append_only ON body_map_marks",
        "DROP TRIGGER IF EXISTS body_map_marks_no_truncate ON body_map_marks",
        """CREATE OR REPLACE FUNCTION body_map_marks_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER body_map_marks_append_only BEFORE UPDATE ON body_map_marks FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER body_map_marks_no_truncate BEFORE TRUNCATE ON body_map_marks FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER body_map_marks_no_delete BEFORE DELETE ON body_map_marks FOR EACH ROW EXECUTE "
        "FUNCTION body_map_marks_delete_if_granted()",
        "DROP TRIGGER IF EXISTS entries_append_only ON entries",
        "DROP TRIGGER IF EXISTS entries_no_truncate ON entries",
        """CREATE OR REPLACE FUNCTION entries_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER entries_append_only BEFORE UPDATE ON entries FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries FOR EACH ROW EXECUTE FUNCTION "
        "entries_delete_if_granted()",
        "DROP TRIGGER IF EXISTS entry_categories_append_only ON entry_categories",
        "DROP TRIGGER IF EXISTS entry_categories_no_truncate ON entry_categories",
        """CREATE OR REPLACE FUNCTION entry_categories_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_categories_append_only BEFORE UPDATE ON entry_categories FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_categories_no_truncate BEFORE TRUNCATE ON entry_categories FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_categories_no_delete BEFORE DELETE ON entry_categories FOR EACH ROW EXECUTE "
        "FUNCTION entry_categories_delete_if_granted()",
        "DROP TRIGGER IF EXISTS entry_links_append_only ON entry_links",
        "DROP TRIGGER IF EXISTS entry_links_no_truncate ON entry_links",
        """CREATE OR REPLACE FUNCTION entry_links_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id, OLD.other_entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_links_append_only BEFORE UPDATE ON entry_links FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER entry_links_no_truncate BEFORE TRUNCATE ON entry_links FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER entry_links_no_delete BEFORE DELETE ON entry_links FOR EACH ROW EXECUTE FUNCTION "
        "entry_links_delete_if_granted()",
        "DROP TRIGGER IF EXISTS entry_shares_append_only ON entry_shares",
        "DROP TRIGGER IF EXISTS entry_shares_no_truncate ON entry_shares",
        """CREATE OR REPLACE FUNCTION entry_shares_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_shares_append_only BEFORE UPDATE ON entry_shares FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER entry_shares_no_truncate BEFORE TRUNCATE ON entry_shares FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_shares_no_delete BEFORE DELETE ON entry_shares FOR EACH ROW EXECUTE "
        "FUNCTION entry_shares_delete_if_granted()",
        "DROP TRIGGER IF EXISTS follow_ups_append_only ON follow_ups",
        "DROP TRIGGER IF EXISTS follow_ups_no_truncate ON follow_ups",
        """CREATE OR REPLACE FUNCTION follow_ups_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER follow_ups_append_only BEFORE UPDATE ON follow_ups FOR EACH ROW EXECUTE FUNCTION "
        "refuse_change()",
        "CREATE TRIGGER follow_ups_no_truncate BEFORE TRUNCATE ON follow_ups FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups FOR EACH ROW EXECUTE FUNCTION "
        "follow_ups_delete_if_granted()",
        "DROP TRIGGER IF EXISTS monitoring_events_append_only ON monitoring_events",
        "DROP TRIGGER IF EXISTS monitoring_events_no_truncate ON monitoring_events",
        """CREATE OR REPLACE FUNCTION monitoring_events_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER monitoring_events_append_only BEFORE UPDATE ON monitoring_events FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER monitoring_events_no_truncate BEFORE TRUNCATE ON monitoring_events FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER monitoring_events_no_delete BEFORE DELETE ON monitoring_events FOR EACH ROW "
        "EXECUTE FUNCTION monitoring_events_delete_if_granted()",
        "DROP TRIGGER IF EXISTS subject_access_exports_append_only ON subject_access_exports",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_truncate ON subject_access_exports",
        """CREATE OR REPLACE FUNCTION subject_access_exports_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = OLD.pupil_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER subject_access_exports_append_only BEFORE UPDATE ON subject_access_exports FOR "
        "EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER subject_access_exports_no_truncate BEFORE TRUNCATE ON subject_access_exports FOR "
        "EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER subject_access_exports_no_delete BEFORE DELETE ON subject_access_exports FOR EACH "
        "ROW EXECUTE FUNCTION subject_access_exports_delete_if_granted()",
        "DROP TRIGGER IF EXISTS task_completions_append_only ON task_completions",
        "DROP TRIGGER IF EXISTS task_completions_no_truncate ON task_completions",
        """CREATE OR REPLACE FUNCTION task_completions_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN ((SELECT t.entry_id FROM tasks t WHERE t.id = OLD.task_id))) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER task_completions_append_only BEFORE UPDATE ON task_completions FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER task_completions_no_truncate BEFORE TRUNCATE ON task_completions FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER task_completions_no_delete BEFORE DELETE ON task_completions FOR EACH ROW EXECUTE "
        "FUNCTION task_completions_delete_if_granted()",
        "DROP TRIGGER IF EXISTS task_reminders_append_only ON task_reminders",
        "DROP TRIGGER IF EXISTS task_reminders_no_truncate ON task_reminders",
        """CREATE OR REPLACE FUNCTION task_reminders_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN ((SELECT t.entry_id FROM tasks t WHERE t.id = OLD.task_id))) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER task_reminders_append_only BEFORE UPDATE ON task_reminders FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER task_reminders_no_truncate BEFORE TRUNCATE ON task_reminders FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER task_reminders_no_delete BEFORE DELETE ON task_reminders FOR EACH ROW EXECUTE "
        "FUNCTION task_reminders_delete_if_granted()",
        "DROP TRIGGER IF EXISTS tasks_append_only ON tasks",
        "DROP TRIGGER IF EXISTS tasks_no_truncate ON tasks",
        """CREATE OR REPLACE FUNCTION tasks_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_grants g WHERE g.entry_id IN (OLD.entry_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER tasks_append_only BEFORE UPDATE ON tasks FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER tasks_no_truncate BEFORE TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER tasks_no_delete BEFORE DELETE ON tasks FOR EACH ROW EXECUTE FUNCTION tasks_delete_if_granted()",
        "DROP TRIGGER IF EXISTS transfer_events_append_only ON transfer_events",
        "DROP TRIGGER IF EXISTS transfer_events_no_truncate ON transfer_events",
        """CREATE OR REPLACE FUNCTION transfer_events_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = (SELECT t.pupil_id FROM transfers t WHERE t.id = OLD.transfer_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER transfer_events_append_only BEFORE UPDATE ON transfer_events FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_events_no_truncate BEFORE TRUNCATE ON transfer_events FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_events_no_delete BEFORE DELETE ON transfer_events FOR EACH ROW EXECUTE "
        "FUNCTION transfer_events_delete_if_granted()",
        "DROP TRIGGER IF EXISTS transfer_reminders_append_only ON transfer_reminders",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_truncate ON transfer_reminders",
        """CREATE OR REPLACE FUNCTION transfer_reminders_delete_if_granted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_deletion_pupil_grants g WHERE g.pupil_id = (SELECT t.pupil_id FROM transfers t WHERE t.id = OLD.transfer_id)) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only, rows cannot be deleted';
END $$""",
        REFUSE_CHANGE,
        "CREATE TRIGGER transfer_reminders_append_only BEFORE UPDATE ON transfer_reminders FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_reminders_no_truncate BEFORE TRUNCATE ON transfer_reminders FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_reminders_no_delete BEFORE DELETE ON transfer_reminders FOR EACH ROW "
        "EXECUTE FUNCTION transfer_reminders_delete_if_granted()",
    ),
}

DOWNGRADE_TRIGGERS = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS amendments_no_update",
        "DROP TRIGGER IF EXISTS amendments_no_delete",
        "CREATE TRIGGER amendments_no_update BEFORE UPDATE ON amendments BEGIN SELECT RAISE(ABORT, "
        "'amendments is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER amendments_no_delete BEFORE DELETE ON amendments BEGIN SELECT RAISE(ABORT, "
        "'amendments is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS attachments_no_update",
        "DROP TRIGGER IF EXISTS attachments_no_delete",
        "CREATE TRIGGER attachments_no_update BEFORE UPDATE ON attachments BEGIN SELECT RAISE(ABORT, "
        "'attachments is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER attachments_no_delete BEFORE DELETE ON attachments BEGIN SELECT RAISE(ABORT, "
        "'attachments is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS body_map_marks_no_update",
        "DROP TRIGGER IF EXISTS body_map_marks_no_delete",
        "CREATE TRIGGER body_map_marks_no_update BEFORE UPDATE ON body_map_marks BEGIN SELECT "
        "RAISE(ABORT, 'body_map_marks is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER body_map_marks_no_delete BEFORE DELETE ON body_map_marks BEGIN SELECT "
        "RAISE(ABORT, 'body_map_marks is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entries_no_update",
        "DROP TRIGGER IF EXISTS entries_no_delete",
        "CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries BEGIN SELECT RAISE(ABORT, "
        "'entries is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries BEGIN SELECT RAISE(ABORT, "
        "'entries is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entry_categories_no_update",
        "DROP TRIGGER IF EXISTS entry_categories_no_delete",
        "CREATE TRIGGER entry_categories_no_update BEFORE UPDATE ON entry_categories BEGIN SELECT "
        "RAISE(ABORT, 'entry_categories is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_categories_no_delete BEFORE DELETE ON entry_categories BEGIN SELECT "
        "RAISE(ABORT, 'entry_categories is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entry_links_no_update",
        "DROP TRIGGER IF EXISTS entry_links_no_delete",
        "CREATE TRIGGER entry_links_no_update BEFORE UPDATE ON entry_links BEGIN SELECT RAISE(ABORT, "
        "'entry_links is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_links_no_delete BEFORE DELETE ON entry_links BEGIN SELECT RAISE(ABORT, "
        "'entry_links is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS entry_shares_no_update",
        "DROP TRIGGER IF EXISTS entry_shares_no_delete",
        "CREATE TRIGGER entry_shares_no_update BEFORE UPDATE ON entry_shares BEGIN SELECT RAISE(ABORT, "
        "'entry_shares is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER entry_shares_no_delete BEFORE DELETE ON entry_shares BEGIN SELECT RAISE(ABORT, "
        "'entry_shares is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS follow_ups_no_update",
        "DROP TRIGGER IF EXISTS follow_ups_no_delete",
        "CREATE TRIGGER follow_ups_no_update BEFORE UPDATE ON follow_ups BEGIN SELECT RAISE(ABORT, "
        "'follow_ups is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER follow_ups_no_delete BEFORE DELETE ON follow_ups BEGIN SELECT RAISE(ABORT, "
        "'follow_ups is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS monitoring_events_no_update",
        "DROP TRIGGER IF EXISTS monitoring_events_no_delete",
        "CREATE TRIGGER monitoring_events_no_update BEFORE UPDATE ON monitoring_events BEGIN SELECT "
        "RAISE(ABORT, 'monitoring_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER monitoring_events_no_delete BEFORE DELETE ON monitoring_events BEGIN SELECT "
        "RAISE(ABORT, 'monitoring_events is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_update",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_delete",
        "CREATE TRIGGER subject_access_exports_no_update BEFORE UPDATE ON subject_access_exports BEGIN "
        "SELECT RAISE(ABORT, 'subject_access_exports is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER subject_access_exports_no_delete BEFORE DELETE ON subject_access_exports BEGIN "
        "SELECT RAISE(ABORT, 'subject_access_exports is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS task_completions_no_update",
        "DROP TRIGGER IF EXISTS task_completions_no_delete",
        "CREATE TRIGGER task_completions_no_update BEFORE UPDATE ON task_completions BEGIN SELECT "
        "RAISE(ABORT, 'task_completions is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER task_completions_no_delete BEFORE DELETE ON task_completions BEGIN SELECT "
        "RAISE(ABORT, 'task_completions is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS task_reminders_no_update",
        "DROP TRIGGER IF EXISTS task_reminders_no_delete",
        "CREATE TRIGGER task_reminders_no_update BEFORE UPDATE ON task_reminders BEGIN SELECT "
        "RAISE(ABORT, 'task_reminders is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER task_reminders_no_delete BEFORE DELETE ON task_reminders BEGIN SELECT "
        "RAISE(ABORT, 'task_reminders is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS tasks_no_update",
        "DROP TRIGGER IF EXISTS tasks_no_delete",
        "CREATE TRIGGER tasks_no_update BEFORE UPDATE ON tasks BEGIN SELECT RAISE(ABORT, "
        "'tasks is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER tasks_no_delete BEFORE DELETE ON tasks BEGIN SELECT RAISE(ABORT, "
        "'tasks is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS transfer_events_no_update",
        "DROP TRIGGER IF EXISTS transfer_events_no_delete",
        "CREATE TRIGGER transfer_events_no_update BEFORE UPDATE ON transfer_events BEGIN SELECT "
        "RAISE(ABORT, 'transfer_events is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER transfer_events_no_delete BEFORE DELETE ON transfer_events BEGIN SELECT "
        "RAISE(ABORT, 'transfer_events is append-only, rows cannot be deleted'); END",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_update",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_delete",
        "CREATE TRIGGER transfer_reminders_no_update BEFORE UPDATE ON transfer_reminders BEGIN SELECT "
        "RAISE(ABORT, 'transfer_reminders is append-only, rows cannot be changed'); END",
        "CREATE TRIGGER transfer_reminders_no_delete BEFORE DELETE ON transfer_reminders BEGIN SELECT "
        "RAISE(ABORT, 'transfer_reminders is append-only, rows cannot be deleted'); END",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS amendments_no_delete ON amendments",
        "DROP TRIGGER IF EXISTS amendments_append_only ON amendments",
        "DROP TRIGGER IF EXISTS amendments_no_truncate ON amendments",
        "DROP FUNCTION IF EXISTS amendments_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER amendments_append_only BEFORE UPDATE OR DELETE ON amendments FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER amendments_no_truncate BEFORE TRUNCATE ON amendments FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS attachments_no_delete ON attachments",
        "DROP TRIGGER IF EXISTS attachments_append_only ON attachments",
        "DROP TRIGGER IF EXISTS attachments_no_truncate ON attachments",
        "DROP FUNCTION IF EXISTS attachments_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER attachments_append_only BEFORE UPDATE OR DELETE ON attachments FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER attachments_no_truncate BEFORE TRUNCATE ON attachments FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS body_map_marks_no_delete ON body_map_marks",
        "DROP TRIGGER IF EXISTS body_map_marks_append_only ON body_map_marks",
        "DROP TRIGGER IF EXISTS body_map_marks_no_truncate ON body_map_marks",
        "DROP FUNCTION IF EXISTS body_map_marks_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER body_map_marks_append_only BEFORE UPDATE OR DELETE ON body_map_marks FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER body_map_marks_no_truncate BEFORE TRUNCATE ON body_map_marks FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS entries_no_delete ON entries",
        "DROP TRIGGER IF EXISTS entries_append_only ON entries",
        "DROP TRIGGER IF EXISTS entries_no_truncate ON entries",
        "DROP FUNCTION IF EXISTS entries_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS entry_categories_no_delete ON entry_categories",
        "DROP TRIGGER IF EXISTS entry_categories_append_only ON entry_categories",
        "DROP TRIGGER IF EXISTS entry_categories_no_truncate ON entry_categories",
        "DROP FUNCTION IF EXISTS entry_categories_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_categories_append_only BEFORE UPDATE OR DELETE ON entry_categories FOR EACH "
        "ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_categories_no_truncate BEFORE TRUNCATE ON entry_categories FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS entry_links_no_delete ON entry_links",
        "DROP TRIGGER IF EXISTS entry_links_append_only ON entry_links",
        "DROP TRIGGER IF EXISTS entry_links_no_truncate ON entry_links",
        "DROP FUNCTION IF EXISTS entry_links_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_links_append_only BEFORE UPDATE OR DELETE ON entry_links FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_links_no_truncate BEFORE TRUNCATE ON entry_links FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS entry_shares_no_delete ON entry_shares",
        "DROP TRIGGER IF EXISTS entry_shares_append_only ON entry_shares",
        "DROP TRIGGER IF EXISTS entry_shares_no_truncate ON entry_shares",
        "DROP FUNCTION IF EXISTS entry_shares_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER entry_shares_append_only BEFORE UPDATE OR DELETE ON entry_shares FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER entry_shares_no_truncate BEFORE TRUNCATE ON entry_shares FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS follow_ups_no_delete ON follow_ups",
        "DROP TRIGGER IF EXISTS follow_ups_append_only ON follow_ups",
        "DROP TRIGGER IF EXISTS follow_ups_no_truncate ON follow_ups",
        "DROP FUNCTION IF EXISTS follow_ups_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER follow_ups_append_only BEFORE UPDATE OR DELETE ON follow_ups FOR EACH ROW EXECUTE "
        "FUNCTION refuse_change()",
        "CREATE TRIGGER follow_ups_no_truncate BEFORE TRUNCATE ON follow_ups FOR EACH STATEMENT EXECUTE "
        "FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS monitoring_events_no_delete ON monitoring_events",
        "DROP TRIGGER IF EXISTS monitoring_events_append_only ON monitoring_events",
        "DROP TRIGGER IF EXISTS monitoring_events_no_truncate ON monitoring_events",
        "DROP FUNCTION IF EXISTS monitoring_events_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER monitoring_events_append_only BEFORE UPDATE OR DELETE ON monitoring_events FOR "
        "EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER monitoring_events_no_truncate BEFORE TRUNCATE ON monitoring_events FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_delete ON subject_access_exports",
        "DROP TRIGGER IF EXISTS subject_access_exports_append_only ON subject_access_exports",
        "DROP TRIGGER IF EXISTS subject_access_exports_no_truncate ON subject_access_exports",
        "DROP FUNCTION IF EXISTS subject_access_exports_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER subject_access_exports_append_only BEFORE UPDATE OR DELETE ON "
        "subject_access_exports FOR EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER subject_access_exports_no_truncate BEFORE TRUNCATE ON subject_access_exports FOR "
        "EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS task_completions_no_delete ON task_completions",
        "DROP TRIGGER IF EXISTS task_completions_append_only ON task_completions",
        "DROP TRIGGER IF EXISTS task_completions_no_truncate ON task_completions",
        "DROP FUNCTION IF EXISTS task_completions_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER task_completions_append_only BEFORE UPDATE OR DELETE ON task_completions FOR EACH "
        "ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER task_completions_no_truncate BEFORE TRUNCATE ON task_completions FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS task_reminders_no_delete ON task_reminders",
        "DROP TRIGGER IF EXISTS task_reminders_append_only ON task_reminders",
        "DROP TRIGGER IF EXISTS task_reminders_no_truncate ON task_reminders",
        "DROP FUNCTION IF EXISTS task_reminders_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER task_reminders_append_only BEFORE UPDATE OR DELETE ON task_reminders FOR EACH ROW "
        "EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER task_reminders_no_truncate BEFORE TRUNCATE ON task_reminders FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS tasks_no_delete ON tasks",
        "DROP TRIGGER IF EXISTS tasks_append_only ON tasks",
        "DROP TRIGGER IF EXISTS tasks_no_truncate ON tasks",
        "DROP FUNCTION IF EXISTS tasks_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER tasks_append_only BEFORE UPDATE OR DELETE ON tasks FOR EACH ROW EXECUTE FUNCTION "
        "refuse_change()",
        "CREATE TRIGGER tasks_no_truncate BEFORE TRUNCATE ON tasks FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS transfer_events_no_delete ON transfer_events",
        "DROP TRIGGER IF EXISTS transfer_events_append_only ON transfer_events",
        "DROP TRIGGER IF EXISTS transfer_events_no_truncate ON transfer_events",
        "DROP FUNCTION IF EXISTS transfer_events_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER transfer_events_append_only BEFORE UPDATE OR DELETE ON transfer_events FOR EACH "
        "ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_events_no_truncate BEFORE TRUNCATE ON transfer_events FOR EACH STATEMENT "
        "EXECUTE FUNCTION refuse_change()",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_delete ON transfer_reminders",
        "DROP TRIGGER IF EXISTS transfer_reminders_append_only ON transfer_reminders",
        "DROP TRIGGER IF EXISTS transfer_reminders_no_truncate ON transfer_reminders",
        "DROP FUNCTION IF EXISTS transfer_reminders_delete_if_granted()",
        REFUSE_CHANGE,
        "CREATE TRIGGER transfer_reminders_append_only BEFORE UPDATE OR DELETE ON transfer_reminders FOR "
        "EACH ROW EXECUTE FUNCTION refuse_change()",
        "CREATE TRIGGER transfer_reminders_no_truncate BEFORE TRUNCATE ON transfer_reminders FOR EACH "
        "STATEMENT EXECUTE FUNCTION refuse_change()",
    ),
}


def upgrade():
    op.create_table(
        "retention_deletion_pupil_grants",
        sa.Column("pupil_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("pupil_id", name=op.f("pk_retention_deletion_pupil_grants")),
    )
    for statement in UPGRADE_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    for statement in DOWNGRADE_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_table("retention_deletion_pupil_grants")
