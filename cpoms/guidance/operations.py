"""Changes to the guidance: a new version of a page, new category descriptions."""

from __future__ import annotations

from .. import audit
from ..extensions import db
from ..models import Category, User
from .models import GuidanceVersion
from .queries import Scope


def save_version(author: User, scope: Scope, body: str, note: str | None) -> GuidanceVersion:
    """A new version of the page; earlier ones stay, as its history."""
    version = GuidanceVersion(school=scope.school, trust=scope.trust, body=body, note=note or None, created_by=author)
    db.session.add(version)
    db.session.flush()
    audit.record(
        audit.SAVE_GUIDANCE, user=author, school_id=scope.school_id, trust_id=scope.trust_id, version_id=version.id
    )
    return version


def describe_categories(author: User, descriptions: dict[Category, str]) -> list[Category]:
    """Set new descriptions; each change is audited with the old and the new text,
    so an earlier wording never vanishes without trace."""
    changed = []
    for category, text in descriptions.items():
        if text == category.description:
            continue
        audit.record(
            audit.EDIT_CATEGORY_DESCRIPTION,
            user=author,
            category_id=category.id,
            category=category.name,
            old=category.description,
            new=text,
        )
        category.description = text
        changed.append(category)
    db.session.flush()
    return changed
