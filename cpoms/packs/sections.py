"""pack sections: the parts of a pupil's record that other areas add to a pack.

Each function returns plain records for records.json, every one with `created_at`
(ISO 8601, UTC), `author` and `school`, so the format's rule "each record says when,
who and where" holds whatever area supplies it.
"""

from __future__ import annotations

from ..models import Pupil


def key_information(pupil: Pupil) -> list[dict]:
    """The pupil's key information (statuses such as "child protection plan", each with
    `label`, `value`, `since` and `text`). No area records key information yet: when one
    does, it answers here and the pack, its schema and the import already carry it."""
    return []
