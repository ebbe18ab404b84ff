"""pack sections: the parts of a pupil's record that other areas add to a pack.

Each function returns plain records for records.json, every one with `created_at`
(ISO 8601, UTC), `author` and `school`, so the format's rule "each record says when,
who and where" holds whatever area supplies it.
"""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..keyinfo import queries as keyinfo
from ..models import Pupil, School


def key_information(pupil: Pupil) -> list[dict]:
    """The pupil's key information (child protection plan, looked after...): one record per
    status period, oldest first, with what it said, since when, and its end if it ended."""
    statuses = keyinfo.statuses_for_export(pupil)
    schools = dict(
        db.session.execute(
            select(School.id, School.name).where(School.id.in_({s["school_id"] for s in statuses}))
        ).all()
    )
    return [
        {
            "created_at": s["recorded_at"],
            "author": s["recorded_by"],
            "school": schools[s["school_id"]],
            "label": s["status"],
            "value": " · ".join(filter(None, [s["category_of_abuse"], s["authority"], s["contact"]])) or None,
            "since": s["starts_on"],
            "text": "\n".join(
                filter(None, [s["note"], s["ends_on"] and f"Ended {s['ends_on']} by {s['ended_by']}: {s['end_note']}"])
            )
            or None,
        }
        for s in statuses
    ]
