"""Body-map marks as the log form sends them: one row per mark, in number order.

Each row has an area (a select, which works without JavaScript and from the
keyboard) and a description; a mark placed by tapping the picture also sends its
exact place (x and y, fractions of the drawing). Rows left wholly empty are ignored."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import request

from .areas import AREAS, HEIGHT, WIDTH, nearest

MAX_MARKS = 30
MAX_DESCRIPTION = 300
FIELDS = ("mark_area", "mark_x", "mark_y", "mark_note")


@dataclass
class MarkRow:
    """One posted row, kept as typed so the form can show it again."""

    area: str = ""
    x: str = ""
    y: str = ""
    note: str = ""
    error: str = ""


@dataclass(frozen=True)
class Mark:
    number: int
    view: str
    x: float
    y: float
    area: str
    description: str


@dataclass
class Posted:
    rows: list[MarkRow] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors


def _fraction(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0.0 <= value <= 1.0 else None


def from_request() -> Posted:
    columns = [request.form.getlist(name) for name in FIELDS]
    count = max(len(c) for c in columns)
    posted = Posted()
    if count > MAX_MARKS * 2:  # far beyond any form we send: do not echo it back
        posted.errors.append(f"A body map can have {MAX_MARKS} marks at most.")
        return posted
    for i in range(count):
        area, x, y, note = (c[i].replace("\x00", "") if i < len(c) else "" for c in columns)
        row = MarkRow(area.strip(), x.strip(), y.strip(), note.strip())
        if not (row.area or row.note):
            continue
        posted.rows.append(row)
        number = len(posted.rows)
        row.error = _problem(row, number)
        if row.error:
            posted.errors.append(row.error)
            continue
        chosen = AREAS[row.area]
        fx, fy = _fraction(row.x), _fraction(row.y)
        if fx is None or fy is None:  # chosen from the list: the area's centre
            fx, fy = chosen.x / WIDTH, chosen.y / HEIGHT
        named = nearest(chosen.view, fx, fy) if row.x else chosen
        posted.marks.append(Mark(number, chosen.view, round(fx, 4), round(fy, 4), named.key, row.note))
    if len(posted.rows) > MAX_MARKS:
        posted.errors.append(f"A body map can have {MAX_MARKS} marks at most.")
    return posted


def _problem(row: MarkRow, number: int) -> str:
    if row.area not in AREAS:
        return f"Mark {number}: choose where on the body it is."
    if not row.note:
        return f"Mark {number}: describe what you saw (for example: bruise, about 2 cm, yellow)."
    if len(row.note) > MAX_DESCRIPTION:
        return f"Mark {number}: keep the description under {MAX_DESCRIPTION} characters."
    if bool(row.x) != bool(row.y) or (row.x and (_fraction(row.x) is None or _fraction(row.y) is None)):
        return f"Mark {number}: its place on the picture was not understood; choose the area again."
    return ""
