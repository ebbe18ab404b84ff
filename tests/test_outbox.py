"""The outbox's emails: each area declares its own (reason, templates, context) and
create_app registers them; the worker renders every row through that registry, and a
row whose reason nobody registered is a failure the admins see, never some other email."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from flask import Flask

import cpoms
from cpoms import alerts
from cpoms.extensions import db
from cpoms.models import Alert, Entry
from cpoms.timefmt import now_utc

from conftest import make_app
from outbox_samples import make_sample_alerts

# "Label: value" lines of an email's list (pupils' initials end in a full stop).
LIST_LINE = re.compile(r"^[A-Z][\w() ]*: ")


def test_every_registered_reason_renders_a_subject_and_a_body_for_a_sample_row(app, world, make_entry):
    samples = make_sample_alerts(app, world, make_entry)
    with app.test_request_context():
        rows = {label: db.session.get(Alert, alert_id) for label, alert_id in samples.items()}
        assert {row.reason for row in rows.values()} == set(alerts.registered_emails())
        for label, row in rows.items():
            message = alerts.render(row)
            assert message.recipients == [row.email]
            assert message.subject and "\n" not in message.subject and message.subject == message.subject.strip()
            assert message.body.strip() and "<p>" in message.html
            for text in (message.subject, message.body, message.html):
                # Initials only, and no word of the record.
                assert "Amelia" not in text and "Hassan" not in text and "Oliver" not in text, label
                assert "Saw a bruise" not in text and "Check in with the child" not in text, label


def test_paragraphs_of_every_email_are_separated_by_a_blank_line(app, world, make_entry):
    samples = make_sample_alerts(app, world, make_entry)
    with app.test_request_context():
        for label, alert_id in samples.items():
            lines = alerts.render(db.session.get(Alert, alert_id)).body.strip().split("\n")
            for line, following in zip(lines, lines[1:]):
                if line.endswith(".") and not LIST_LINE.match(line):
                    assert following == "", f"{label}: no blank line after {line!r}"


def test_a_row_whose_reason_is_not_registered_fails_with_a_clear_error_and_the_rest_go(
    mail_app, smtp, world, make_entry
):
    entry_id = make_entry(category="Safeguarding")
    with mail_app.app_context():
        entry = db.session.get(Entry, entry_id)
        stray = Alert(
            entry_id=entry.id,
            school_id=entry.school_id,
            recipient_id=world["dsl"].id,
            email=world["dsl"].email,
            reason="no_such_email",
            next_attempt_at=now_utc(),
        )
        db.session.add(stray)
        db.session.commit()
        stray_id = stray.id
        team = len(alerts.safeguarding_team(entry.school_id))
        assert alerts.send_pending() == {"sent": team, "failed": 1, "skipped": 0}
        stray = db.session.get(Alert, stray_id)
        assert stray.status == alerts.PENDING and stray.attempts == 1
        assert stray.last_error == "UnregisteredReason: No email is registered for the outbox reason 'no_such_email'"
        with pytest.raises(alerts.UnregisteredReason, match="no_such_email"):
            alerts.render(stray)
    assert len(smtp.inbox.messages) == team  # the team's alerts only: the stray row sent nothing


def test_the_registry_is_built_by_create_app_and_not_by_importing_modules(app, tmp_path):
    # Every module imported, as a worker or a test run may: none of them registers an email.
    modules = [importlib.import_module(m.name) for m in pkgutil.walk_packages(cpoms.__path__, "cpoms.")]
    bare = Flask("bare")
    assert dict(alerts.registered_emails(bare)) == {}
    with bare.app_context(), pytest.raises(alerts.UnregisteredReason):
        alerts.render(Alert(reason=alerts.SAFEGUARDING_TEAM))
    for module in modules:
        for name, value in vars(module).items():
            if isinstance(value, dict) and any(isinstance(v, alerts.Email) for v in value.values()):
                pytest.fail(f"{module.__name__}.{name} is a registry of emails outside create_app")

    other = make_app(f"sqlite:///{tmp_path / 'other.sqlite3'}")
    ours, theirs = app.extensions["outbox_emails"], other.extensions["outbox_emails"]
    assert ours == theirs and ours is not theirs
    assert set(ours) == {email.reason for email in ours.values()}


def test_two_emails_for_one_reason_are_refused():
    bare = Flask("bare")
    email = alerts.Email("a_reason", "alert", alerts.entry_alert_context)
    with pytest.raises(ValueError, match="a_reason"):
        alerts.register_emails(bare, (email, email))


def test_the_entry_page_counts_only_the_alerts_about_the_new_entry(app, world, make_entry):
    samples = make_sample_alerts(app, world, make_entry)
    with app.app_context():
        entry_id = db.session.get(Alert, samples[alerts.SAFEGUARDING_TEAM]).entry_id
        reasons = {reason for _, reason, _ in alerts.entry_alert_statuses(entry_id)}
        assert reasons == {alerts.SAFEGUARDING_TEAM, alerts.STAFF_CHOSEN}
        team = len(alerts.safeguarding_team(db.session.get(Entry, entry_id).school_id))
        # The team's alerts of the new entry, and the one for a category added later.
        assert sum(alerts.delivery_summary([entry_id])[entry_id].values()) == team + 1
