"""Concerns about adults as the tests raise and follow them up (over HTTP, as the forms post)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from cpoms.adults.models import AdultConcern
from cpoms.extensions import db
from cpoms.timefmt import now_utc, uk_local_input

WHAT = "Shouted at a pupil in the corridor and grabbed his sleeve hard."


def raise_concern(client, **kwargs):
    page = client.get("/adult-concerns/new").get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="submission_key"', page
    )
    return client.post("/adult-concerns/new", data={**raise_form(**kwargs), "submission_key": key.group(1)})


def concern_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(AdultConcern.id).order_by(AdultConcern.id)))


def follow_up(client, concern_id: int, kind: str, **data):
    page = client.get(f"/adult-concerns/{concern_id}?add={kind}").get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', page).group(1)
    return client.post(f"/adult-concerns/{concern_id}/{kind}", data={**data, "submission_key": key})


def raise_form(person_id=None, name="", pupils=(), kind="staff", **extra) -> dict:
    data = {
        "subject_kind": kind,
        "staff_member": str(person_id) if person_id else "",
        "subject_name": name,
        "subject_role": "",
        "happened_at": uk_local_input(now_utc() - timedelta(hours=2)),
        "location": PLACE,
        "what_happened": WHAT,
        "what_was_said": SAID,
        "pupil_ids": [str(p) for p in pupils],
        **extra,
    }
    return data


SAID = "You will regret telling anyone about this."


PLACE = "Upper corridor by the library"
