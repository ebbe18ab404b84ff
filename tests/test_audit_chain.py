"""The audit log is append-only and hash-chained: `flask verify-audit` finds the
first row that was altered, removed or inserted after it was written."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, text

from cpoms import append_only, audit
from cpoms.audit import AuditChainHead, AuditEvent
from cpoms.extensions import db


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.fixture
def history(app, world, auth, make_entry):
    """Some ordinary use: an entry logged, viewed by two people, a refusal."""
    entry_id = make_entry()
    auth.as_(world["dsl"]).get(f"/entries/{entry_id}")
    auth.as_(world["slt"]).get(f"/entries/{entry_id}")
    auth.as_(world["other_dsl"]).get(f"/entries/{entry_id}")
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 4
    return entry_id


def raw(app, *statements: str) -> None:
    """What someone with the database password could do, triggers dropped first."""
    with app.app_context():
        with db.engine.begin() as conn:
            for statement in append_only.drop_trigger_statements("audit_events", conn.dialect.name):
                conn.execute(text(statement))
            for statement in statements:
                conn.execute(text(statement))


def test_events_are_chained_in_order(app, history):
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
        assert [e.seq for e in events] == [1, 2, 3, 4]
        assert events[0].prev_hash == "0" * 64
        for before, after in zip(events, events[1:]):
            assert after.prev_hash == before.hash
        head = db.session.get(AuditChainHead, 1)
        assert (head.seq, head.hash) == (4, events[-1].hash)
    result = run(app, "verify-audit")
    assert result.exit_code == 0, result.output
    assert "intact: 4 events" in result.output


def test_the_database_refuses_to_change_or_delete_an_event(app, history):
    with app.app_context():
        for statement in (
            "UPDATE audit_events SET action = 'nothing' WHERE seq = 2",
            "DELETE FROM audit_events WHERE seq = 2",
        ):
            with pytest.raises(Exception, match="append-only"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 4


@pytest.mark.parametrize(
    "tamper, broken, says",
    [
        ("UPDATE audit_events SET user_id = NULL WHERE seq = 2", 2, "was altered"),
        ('UPDATE audit_events SET detail = \'{"what": "nothing"}\' WHERE seq = 4', 4, "was altered"),
        ("UPDATE audit_events SET at = at - INTERVAL '1 day' WHERE seq = 3", 3, "was altered"),
        ("DELETE FROM audit_events WHERE seq = 2", 2, "is missing"),
        ("DELETE FROM audit_events WHERE seq = 4", 4, "removed from the end"),
    ],
)
def test_verify_audit_reports_the_first_broken_row(app, history, tamper, broken, says):
    with app.app_context():
        if "INTERVAL" in tamper and db.engine.dialect.name == "sqlite":
            tamper = "UPDATE audit_events SET at = datetime(at, '-1 day') WHERE seq = 3"
    raw(app, tamper)
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert f"BROKEN at event #{broken}" in result.output
    assert says in result.output


def test_a_row_recomputed_by_a_forger_still_breaks_the_next_link(app, history):
    """Someone who rewrites a row and its hash must rewrite every later row too."""
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.seq == 2))
        event.user_id = None
        forged = audit.digest(event, event.prev_hash)
        db.session.rollback()
    raw(app, f"UPDATE audit_events SET user_id = NULL, hash = '{forged}' WHERE seq = 2")
    result = run(app, "verify-audit")
    assert result.exit_code == 1
    assert "BROKEN at event #3" in result.output and "does not follow #2" in result.output


def test_a_request_that_fails_leaves_no_audit_row(app, world, auth, make_entry, monkeypatch):
    entry_id = make_entry()
    import cpoms.entries.routes as entry_routes

    def broken(*args, **kwargs):
        raise RuntimeError("the page failed to render")

    monkeypatch.setattr(entry_routes, "render", broken)
    response = auth.as_(world["dsl"]).get(f"/entries/{entry_id}")
    assert response.status_code == 500
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert actions == ["create_entry"]


def test_concurrent_commits_chain_one_after_another(app, world):
    """Eight threads committing at once: no fork, no gap, no lost event."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            with app.app_context():
                for i in range(10):
                    audit.record(audit.SIGN_OUT, thread=n, i=i)
                    db.session.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        check = audit.verify_chain()
        assert check.intact, check.problem
        assert check.events == 80
