"""Tasks: given on an entry to a member of its school, shown on their home page,
completed in place (htmx) or by a plain post, reminded of by email, counted overdue
in the reports."""

from __future__ import annotations

import csv
import email
import email.policy
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from cpoms.audit import AuditEvent
from cpoms.common import uk_today
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.models import Alert, Entry, Kind, RoleAssignment, User
from cpoms.tasks.models import Task, TaskCompletion, TaskReminder
from cpoms.tasks.operations import give_task

from helpers import assert_flat, make_task, queries_for

HX = {"HX-Request": "true"}


def task_form(world, **changes) -> dict:
    return {
        "kind": "task",
        "text": "Phone mum about the missed appointment.",
        "assignee": str(world["teacher2"].id),
        "due_on": (uk_today() + timedelta(days=2)).isoformat(),
        **changes,
    }


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- giving a task ----------------------------------------------------------------------


def test_the_team_gives_a_task_and_the_person_sees_it_and_may_read_the_entry(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["teacher2"])
    assert client.get(f"/entries/{entry_id}").status_code == 404  # not theirs yet
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert 'value="task"' in page and "Give the task to" in page and "Teacher2" in page
    response = client.post(f"/entries/{entry_id}/follow-ups", data=task_form(world))
    assert response.status_code == 303
    with app.app_context():
        task = db.session.scalar(select(Task))
        assert (task.assignee_id, task.entry_id, task.school_id) == (world["teacher2"].id, entry_id, world.school.id)
        assert task.follow_up.kind == Kind.TASK and task.follow_up.text.startswith("Phone mum")
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "give_task")) == 1
        )
    shown = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "For Teacher2" in shown and "Due in 2 days" in shown
    auth.as_(world["teacher2"])
    home = client.get("/").get_data(as_text=True)
    assert "My tasks" in home and "Phone mum about the missed appointment." in home
    assert f'href="/entries/{entry_id}#follow-up-' in home
    assert client.get(f"/entries/{entry_id}").status_code == 200  # the assignee reads the entry now
    assert "Mark as done" in client.get(f"/entries/{entry_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"assignee": ""}, "Choose who the task is for."),
        ({"assignee": "other_teacher"}, "Choose a member of staff of this school from the list."),
        ({"assignee": "governor"}, "Choose a member of staff of this school from the list."),
        ({"assignee": "admin"}, "Choose a member of staff of this school from the list."),
        ({"assignee": "abc"}, "Choose a member of staff of this school from the list."),
        ({"due_on": ""}, "Enter the date the task is due by."),
        ({"due_on": "yesterday"}, "Not a valid date value."),
        ({"due_on": "past"}, "The due date cannot be in the past."),
        ({"due_on": "far"}, "Choose a due date within the next year."),
        ({"text": ""}, "Write the details."),
    ],
)
def test_a_task_needs_a_member_of_the_schools_staff_and_a_due_date(
    app, client, auth, world, make_entry, changes, message
):
    entry_id = make_entry()
    auth.as_(world["dsl"])
    values = dict(changes)
    if values.get("assignee") in world.users:
        values["assignee"] = str(world[values["assignee"]].id)
    values["due_on"] = {
        "past": (uk_today() - timedelta(days=1)).isoformat(),
        "far": (uk_today() + timedelta(days=500)).isoformat(),
    }.get(values.get("due_on"), values.get("due_on"))
    data = {k: v for k, v in {**task_form(world), **values}.items() if v is not None}
    response = client.post(f"/entries/{entry_id}/follow-ups", data=data)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert message in body
    assert "Phone mum about the missed appointment." in body or not data["text"]  # nothing typed is lost
    with app.app_context():
        assert count(Task) == 0


def test_an_inactive_member_of_staff_cannot_be_given_a_task(app, client, auth, world, make_entry):
    entry_id = make_entry()
    with app.app_context():
        db.session.get(User, world["teacher2"].id).active = False
        db.session.commit()
    auth.as_(world["dsl"])
    assert "Teacher2" not in client.get(f"/entries/{entry_id}").get_data(as_text=True)
    response = client.post(f"/entries/{entry_id}/follow-ups", data=task_form(world))
    assert response.status_code == 422
    assert "Choose a member of staff of this school from the list." in response.get_data(as_text=True)


def test_slt_gives_tasks_and_the_recorder_does_not(app, client, auth, world, make_entry):
    entry_id = make_entry()
    auth.as_(world["slt"])
    assert client.post(f"/entries/{entry_id}/follow-ups", data=task_form(world)).status_code == 303
    auth.as_(world["teacher1"])
    response = client.post(f"/entries/{entry_id}/follow-ups", data=task_form(world))
    assert response.status_code == 422 and "Not a valid choice" in response.get_data(as_text=True)
    with app.app_context():
        assert count(Task) == 1


# --- my tasks and overdue ------------------------------------------------------------------


def test_home_lists_my_open_tasks_soonest_first_and_says_which_are_overdue(app, client, auth, world, make_entry):
    entry_id = make_entry()
    make_task(app, world, entry_id, due_in=5, text_="Later task.")
    make_task(app, world, entry_id, due_in=-3, text_="Overdue task.")
    make_task(app, world, entry_id, due_in=0, text_="Today's task.")
    make_task(app, world, entry_id, who="teacher1", text_="Someone else's task.")
    auth.as_(world["teacher2"])
    home = client.get("/").get_data(as_text=True)
    assert home.index("Overdue task.") < home.index("Today&#39;s task.") < home.index("Later task.")
    assert "Someone else" not in home
    assert "3 open tasks, <strong>1 overdue</strong>" in home
    assert "Overdue by 3 days" in home and "Due today" in home and "Due in 5 days" in home
    assert home.count('class="status status-overdue"') == 1  # in words, not only colour


def test_tasks_at_a_school_one_has_left_are_not_shown_and_their_entry_is_not_readable(
    app, client, auth, world, make_entry
):
    entry_id = make_entry()
    make_task(app, world, entry_id)
    with app.app_context():
        db.session.execute(RoleAssignment.__table__.delete().where(RoleAssignment.user_id == world["teacher2"].id))
        db.session.add(RoleAssignment(user_id=world["teacher2"].id, role="staff", school_id=world.other_school.id))
        db.session.commit()
    auth.as_(world["teacher2"])
    assert "My tasks" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/entries/{entry_id}").status_code == 404


# --- completing ------------------------------------------------------------------------------


def test_completing_without_javascript_records_who_and_when_and_goes_back(app, client, auth, world, make_entry):
    entry_id = make_entry()
    task_id = make_task(app, world, entry_id)
    auth.as_(world["teacher2"])
    response = client.post(f"/tasks/{task_id}/complete", data={"next": "/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    with app.app_context():
        done = db.session.scalar(select(TaskCompletion))
        assert done.task_id == task_id and done.completed_by_id == world["teacher2"].id
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "complete_task", AuditEvent.entry_id == entry_id)
            )
            == 1
        )
    assert "My tasks" not in client.get("/").get_data(as_text=True)
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "Completed by Teacher2" in page and "Mark as done" not in page
    # Again (another tab): nothing more is written.
    assert client.post(f"/tasks/{task_id}/complete").headers["Location"] == "/"
    with app.app_context():
        assert count(TaskCompletion) == 1


def test_completing_with_htmx_answers_the_task_status_in_place(app, client, auth, world, make_entry):
    entry_id = make_entry()
    task_id = make_task(app, world, entry_id)
    auth.as_(world["dsl"])  # a reviewer of the school may complete it too
    response = client.post(f"/tasks/{task_id}/complete", headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith(f'<div class="task-status " id="task-{task_id}-status">')
    assert "Completed by Dsl" in body and "<html" not in body


@pytest.mark.parametrize("who, status", [("teacher1", 403), ("governor", 403), ("other_dsl", 404), ("admin", 404)])
def test_only_the_assignee_and_reviewers_complete_a_task(app, client, auth, world, make_entry, who, status):
    entry_id = make_entry()
    task_id = make_task(app, world, entry_id)
    auth.as_(world[who])
    assert client.post(f"/tasks/{task_id}/complete").status_code == status
    assert client.post("/tasks/999999/complete").status_code == 404
    with app.app_context():
        assert count(TaskCompletion) == 0
        assert (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action == "denied", AuditEvent.user_id == world[who].id)
            )
            == 2
        )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE tasks SET due_on = '2030-01-01'",
        "DELETE FROM tasks",
        "UPDATE task_completions SET completed_by_id = 1",
        "DELETE FROM task_completions",
    ],
)
def test_the_database_refuses_to_change_a_task_or_its_completion(app, client, auth, world, make_entry, statement):
    entry_id = make_entry()
    task_id = make_task(app, world, entry_id)
    auth.as_(world["teacher2"])
    client.post(f"/tasks/{task_id}/complete")
    with app.app_context():
        with pytest.raises(Exception, match="append-only"):
            with db.engine.begin() as conn:
                conn.execute(text(statement))


# --- reminders ------------------------------------------------------------------------------


def test_send_reminders_emails_due_tomorrow_and_overdue_once_a_day_without_details(mail_app, smtp, world, make_entry):
    app = mail_app
    entry_id = make_entry(narrative="Secret narrative words.")
    tomorrow = make_task(app, world, entry_id, due_in=1, text_="Secret task words.")
    overdue = make_task(app, world, entry_id, who="teacher1", due_in=-2)
    make_task(app, world, entry_id, due_in=3)  # not yet
    done = make_task(app, world, entry_id, due_in=-1)
    with app.test_request_context():
        db.session.add(TaskCompletion(task_id=done, completed_by_id=world["dsl"].id))
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["send-reminders"])
    assert result.exit_code == 0, result.output
    assert "2 task reminders queued" in result.output and "sent 2, failed 0" in result.output
    assert smtp.inbox.recipients == ["teacher1@ashgrove.example.org", "teacher2@ashgrove.example.org"]
    bodies = {
        m.rcpt_tos[0]: email.message_from_bytes(m.original_content, policy=email.policy.default)
        for m in smtp.inbox.messages
    }
    to_teacher2 = bodies["teacher2@ashgrove.example.org"]
    plain = to_teacher2.get_body(preferencelist=("plain",)).get_content()
    assert "due tomorrow" in to_teacher2["Subject"] and "due tomorrow" in plain and "A.H." in plain
    assert f"/entries/{entry_id}" in plain
    assert "overdue by 2 days" in bodies["teacher1@ashgrove.example.org"]["Subject"]
    for message in bodies.values():
        for part in ("plain", "html"):
            content = message.get_body(preferencelist=(part,)).get_content()
            assert "Secret" not in content and "Amelia" not in content and "Hassan" not in content
    # The same day again: nothing more.
    again = runner.invoke(args=["send-reminders"])
    assert "0 task reminders queued" in again.output and len(smtp.inbox.messages) == 2
    # The next day: the overdue ones again (the one due tomorrow is now due today: not reminded).
    later = (uk_today() + timedelta(days=1)).isoformat()
    next_day = runner.invoke(args=["send-reminders", "--day", later])
    assert "2 task reminders queued" in next_day.output
    with app.app_context():
        reminded = {(r.task_id, r.sent_on.isoformat()) for r in db.session.scalars(select(TaskReminder))}
        assert (tomorrow, uk_today().isoformat()) in reminded and (overdue, later) in reminded
        assert db.session.scalar(select(func.count()).select_from(Alert).where(Alert.reason == "task_reminder")) == 4


def test_reminders_wait_in_the_outbox_without_a_mail_server(app, world, make_entry):
    entry_id = make_entry(category="Behaviour")
    make_task(app, world, entry_id, due_in=-1)
    result = app.test_cli_runner().invoke(args=["send-reminders"])
    assert "1 task reminders queued" in result.output and "stay queued" in result.output
    with app.app_context():
        assert db.session.scalar(select(Alert.status).where(Alert.reason == "task_reminder")) == "pending"
    # The entry page's alert line counts the team's alerts, not reminders.


def test_reminders_are_not_counted_as_the_entrys_alerts(app, client, auth, world, make_entry):
    entry_id = make_entry()
    make_task(app, world, entry_id, due_in=-1)
    app.test_cli_runner().invoke(args=["send-reminders"])
    auth.as_(world["dsl"])
    page = client.get(f"/entries/{entry_id}").get_data(as_text=True)
    assert "2 waiting to be sent" in page  # the dsl's and the deputy's alerts; not the reminder


# --- reports ------------------------------------------------------------------------------


def test_reports_count_open_and_overdue_tasks_per_school_and_in_all(app, client, auth, world, make_entry):
    here = make_entry()
    there = make_entry(recorder="other_teacher", pupils=world.other_pupils)
    make_task(app, world, here, due_in=-1)
    make_task(app, world, here, due_in=-5)
    make_task(app, world, here, due_in=3)
    done = make_task(app, world, here, due_in=-2)
    with app.test_request_context():
        db.session.add(TaskCompletion(task_id=done, completed_by_id=world["dsl"].id))
        entry = db.session.get(Entry, there)
        follow_up = add_follow_up(db.session.get(User, world["other_dsl"].id), entry, Kind.TASK, "Call.")
        give_task(
            db.session.get(User, world["other_dsl"].id),
            follow_up,
            world["other_teacher"].id,
            uk_today() - timedelta(days=1),
        )
        db.session.commit()
    auth.as_(world["trust_rep"])
    page = client.get("/reports").get_data(as_text=True)
    assert "Overdue tasks" in page and "3 overdue in all" in page
    assert "Teacher2" not in page and "Other Teacher" not in page  # counts, no names
    rows = list(csv.reader(io.StringIO(client.get("/reports/tasks.csv").get_data(as_text=True))))
    assert rows[0] == ["School", "Open tasks", "Overdue tasks"]
    assert ["Ashgrove Primary School", "3", "2"] in rows and ["Brookfield Primary School", "1", "1"] in rows
    assert rows[-1] == ["All schools shown", "4", "3"]
    auth.as_(world["governor"])
    rows = list(csv.reader(io.StringIO(client.get("/reports/tasks.csv").get_data(as_text=True))))
    assert rows[1:] == [["Ashgrove Primary School", "3", "2"]]
    other = world.categories["Behaviour"].id
    assert "0 overdue in all" in client.get(f"/reports?category={other}").get_data(as_text=True)


def test_the_overdue_count_is_one_aggregate_query_on_the_tasks_index(app, world):
    from cpoms.tasks.queries import counts_by_school

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the plan checked is SQLite's")
        plan = db.session.execute(
            text(
                "EXPLAIN QUERY PLAN SELECT tasks.school_id, count(tasks.id) FROM tasks LEFT OUTER JOIN task_completions "
                "ON task_completions.task_id = tasks.id WHERE tasks.school_id IN (1, 2) AND task_completions.id IS NULL "
                "GROUP BY tasks.school_id"
            )
        ).all()
        assert "ix_tasks_school_due" in " ".join(str(row) for row in plan)
        assert counts_by_school([world.school.id], uk_today()) == {}


# --- query counts ------------------------------------------------------------------------------


def test_home_runs_the_same_queries_with_one_task_or_many(app, client, auth, world, make_entry, count_queries):
    entries = [make_entry() for _ in range(3)]
    make_task(app, world, entries[0])
    auth.as_(world["teacher2"])
    small = queries_for(client, count_queries, "/")
    for n in range(20):
        make_task(app, world, entries[n % 3], due_in=n - 5)
    large = queries_for(client, count_queries, "/")
    assert_flat(small, large, "home with tasks")
    assert client.get("/").get_data(as_text=True).count('class="task-row') == 21


def test_entry_page_runs_the_same_queries_with_tasks(app, client, auth, world, make_entry, count_queries):
    entry_id = make_entry()
    make_task(app, world, entry_id)
    auth.as_(world["dsl"])
    small = queries_for(client, count_queries, f"/entries/{entry_id}")
    for n in range(10):
        make_task(app, world, entry_id, who=("teacher1", "teacher2", "slt")[n % 3])
    assert_flat(small, queries_for(client, count_queries, f"/entries/{entry_id}"), "entry page with tasks")


def test_the_review_page_lists_overdue_tasks_longest_overdue_first(app, client, auth, world, make_entry, count_queries):
    entry_id = make_entry()
    make_task(app, world, entry_id, due_in=-1, text_="Late by one.")
    auth.as_(world["dsl"])
    small = queries_for(client, count_queries, "/review")
    make_task(app, world, entry_id, due_in=-6, text_="Late by six.")
    make_task(app, world, entry_id, due_in=2, text_="Not late.")
    done = make_task(app, world, entry_id, due_in=-3, text_="Done already.")
    with app.test_request_context():
        db.session.add(TaskCompletion(task_id=done, completed_by_id=world["dsl"].id))
        db.session.commit()
    assert_flat(small, queries_for(client, count_queries, "/review"), "review with overdue tasks")
    page = client.get("/review").get_data(as_text=True).split("Overdue tasks")[1]
    assert page.index("Late by six.") < page.index("Late by one.")
    assert "Not late." not in page and "Done already." not in page
    assert "Overdue by 6 days" in page and "for Teacher2" in page
    auth.as_(world["other_dsl"])
    assert "Late by six." not in client.get("/review").get_data(as_text=True)


def test_exports_say_whom_a_task_was_for_when_due_and_whether_done(app, client, auth, world, make_entry):
    from pypdf import PdfReader

    entry_id = make_entry()
    done = make_task(app, world, entry_id, due_in=1, text_="Done task.")
    make_task(app, world, entry_id, who="teacher1", due_in=-1, text_="Late task.")
    auth.as_(world["teacher2"])
    client.post(f"/tasks/{done}/complete")
    auth.as_(world["dsl"])
    pupil = world.pupils[0].id
    rows = {
        r["Text"]: r
        for r in csv.DictReader(io.StringIO(client.get(f"/pupils/{pupil}/chronology.csv").get_data(as_text=True)))
    }
    assert rows["Done task."]["Task for"] == "Teacher2" and rows["Done task."]["Task done"].endswith("by Teacher2")
    assert rows["Late task."]["Task for"] == "Teacher1" and rows["Late task."]["Task done"] == "Not yet (overdue)"
    text_ = " ".join(
        p.extract_text() for p in PdfReader(io.BytesIO(client.get(f"/pupils/{pupil}/chronology.pdf").data)).pages
    )
    assert "Task for Teacher1" in text_ and "Done: Not yet (overdue)" in text_
