"""How far ahead tasks and monitoring reviews may fall due (the day itself: common.uk_today)."""

from __future__ import annotations

from datetime import timedelta

# How far ahead a due or review date may be set: a school year and a bit.
FURTHEST = timedelta(days=400)
