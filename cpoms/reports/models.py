"""What the reports count, kept up to date as entries are written (counters.py)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class ReportCount(db.Model):
    """How many entries of one school and category were logged in one UK calendar
    month and stand at one status now. Terms and academic years are made of months,
    so every period a report offers is a sum of these rows: a year of a whole trust
    is a few thousand rows whatever the number of entries. Not a record: derived
    from entries and their states, and rebuilt from them by `flask recount-reports`."""

    __tablename__ = "report_counts"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, UK time
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)


class ReportWaits(db.Model):
    """The waits from logging to first review and to first action of one school's
    entries of one category logged in one UK month: seconds, each followed by a
    comma, in the order they happened. The reports' medians need every wait, and a
    year of a whole trust is a hundred thousand of them: read as one text per
    school, month and category (a few thousand rows), not an entry at a time."""

    __tablename__ = "report_waits"
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), primary_key=True)
    review: Mapped[str] = mapped_column(Text, default="")
    action: Mapped[str] = mapped_column(Text, default="")
