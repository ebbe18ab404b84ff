"""The queue's filters, from the query string: anything unknown falls back to the default
(all the reader's schools, every category, open entries, the first page)."""

from __future__ import annotations

from dataclasses import dataclass

from ..formfields import page_number
from ..models import Category, School
from ..keyinfo.queries import filter_choices
from .queries import STATUSES

KEY_KINDS = filter_choices()


@dataclass(frozen=True)
class QueueFilter:
    schools: list[School]  # every school the reader reviews, for the picker
    school: School | None
    category_id: int | None
    status: str
    page: int
    key: str | None  # pupils with an active status of this kind (key information)

    @classmethod
    def from_args(cls, args, schools: list[School], categories: list[Category]) -> QueueFilter:
        category_id = args.get("category", type=int)
        status = args.get("status", "open")
        return cls(
            schools=schools,
            school=next((s for s in schools if s.slug == args.get("school")), None),
            category_id=category_id if category_id in {c.id for c in categories} else None,
            status=status if status in STATUSES else "open",
            page=page_number(10_000),
            key=args.get("key") if args.get("key") in KEY_KINDS else None,
        )

    @property
    def school_ids(self) -> list[int]:
        return [self.school.id] if self.school else [s.id for s in self.schools]
