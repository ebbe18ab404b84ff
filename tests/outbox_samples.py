"""One outbox row of every kind of email, made the way the app makes it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from cpoms import alerts
from cpoms.adults import operations as adults
from cpoms.auth import reset
from cpoms.common import uk_today
from cpoms.entries.operations import add_follow_up
from cpoms.extensions import db
from cpoms.hearback import operations as hearback
from cpoms.keyinfo import operations as keyinfo
from cpoms.packs import fileformat, receiving
from cpoms.models import Alert, Category, Entry, Kind, Pupil, School, User
from cpoms.tasks.operations import give_task
from cpoms.tasks.reminders import queue_reminders
from cpoms.timefmt import now_utc
from cpoms.transfers import operations as transfers

from pack_support import minimal_pack


def make_sample_alerts(app, world, make_entry) -> dict[str, int]:
    """{a label of the kind of email: the id of one outbox row of that kind}."""
    entry_id = make_entry(category="Safeguarding")
    samples: dict[str, int] = {}
    with app.test_request_context():
        entry = db.session.get(Entry, entry_id)
        dsl, teacher2 = db.session.get(User, world["dsl"].id), db.session.get(User, world["teacher2"].id)
        samples["safeguarding_team"] = db.session.scalar(
            select(Alert.id).where(Alert.entry_id == entry_id, Alert.reason == "safeguarding_team").order_by(Alert.id)
        )
        later = db.session.scalar(select(Category).where(Category.name != "Safeguarding", Category.active.is_(True)))
        row = Alert(
            entry_id=entry.id,
            school_id=entry.school_id,
            recipient_id=dsl.id,
            email=dsl.email,
            reason="safeguarding_team",
            category_id=later.id,
        )
        db.session.add(row)
        db.session.flush()
        samples["safeguarding_team, a later category"] = row.id
        samples[alerts.STAFF_CHOSEN] = alerts.queue_for_staff(entry, [teacher2], {})[teacher2.id]

        follow_up = add_follow_up(dsl, entry, Kind.TASK, "Check in with the child daily.")
        give_task(dsl, follow_up, teacher2.id, uk_today())
        db.session.commit()
    with app.app_context():
        [samples["task_reminder"]] = queue_reminders(uk_today())

    with app.test_request_context():
        entry = db.session.get(Entry, entry_id)
        dsl = db.session.get(User, world["dsl"].id)
        recorder = entry.recorded_by
        samples[hearback.REVIEWED] = alerts.queue_about_entry(entry, [recorder], hearback.REVIEWED)[recorder.id]
        samples[hearback.MESSAGE] = alerts.queue_about_entry(entry, [recorder], hearback.MESSAGE)[recorder.id]

        pupil = db.session.get(Pupil, world.pupils[1].id)
        other_school = db.session.get(School, world.other_school.id)
        transfer = transfers.start(
            dsl,
            pupil,
            to_school=other_school,
            destination_name=None,
            contact_name=None,
            contact_email=None,
            method="secure_email",
            sent_on=uk_today() - timedelta(days=9),
        )
        samples["transfer_received"] = db.session.scalar(
            select(Alert.id).where(Alert.transfer_id == transfer.id, Alert.reason == "transfer_received")
        )
        samples["transfer_overdue"] = alerts.queue_for_transfer(transfer, transfer.from_school_id, "transfer_overdue")[
            0
        ].id
        samples["transfer_declined"] = alerts.queue_for_transfer(
            transfer, transfer.from_school_id, "transfer_declined"
        )[0].id

        for reason in (reset.RESET, reset.FORCED, reset.NEW_ACCOUNT):
            [samples[reason]] = reset.queue_link(world["teacher1"].id, reason)
        [samples[adults.ALERT_REASON]] = [
            a.id for a in alerts.queue_to([dsl], dsl.roles[0].school_id, adults.ALERT_REASON)
        ]
        notification, [team_alert] = keyinfo.record_police_notification(
            dsl,
            db.session.get(Pupil, world.pupils[0].id),
            incident_at=now_utc(),
            child_present=True,
            officer="PC Sample",
            force_reference="REF-1",
            shared="What the police shared.",
            key_adult=db.session.get(User, world["teacher1"].id),
        )
        samples[keyinfo.POLICE_ALERT] = team_alert.id
        samples[keyinfo.CHECK_IN] = db.session.scalar(
            select(Alert.id).where(Alert.reason == keyinfo.CHECK_IN).order_by(Alert.id.desc())
        )
        # A child-protection file received from outside the trust: the receipt to its sender.
        body = minimal_pack(db.session.get(Pupil, world.pupils[0].id).upn)
        opened = fileformat.open_pack(body)
        received = receiving.receive(dsl, db.session.get(Pupil, world.pupils[0].id), opened, body)
        samples[receiving.RECEIPT] = db.session.scalar(select(Alert.id).where(Alert.received_pack_id == received.id))
        db.session.commit()
    return samples
