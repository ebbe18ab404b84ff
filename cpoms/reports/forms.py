from flask import request
from sqlalchemy import select
from wtforms import SelectField

from ..extensions import db
from ..formfields import BaseForm, choices
from ..models import Category, School
from .periods import TERMS, academic_year, current_academic_year, term, year_label
from .queries import first_year


class ReportFilterForm(BaseForm):
    """A GET form: a report can be bookmarked and shared with its filters."""

    class Meta:
        csrf = False

    school = SelectField("School", default="")
    year = SelectField("Academic year")
    term = SelectField("Term", default="")
    category = SelectField("Category", default="")

    def __init__(self, formdata, schools, categories, since: int | None = None):
        """since: the academic year of the schools' first entry (None: no entries yet)."""
        super().__init__(formdata)
        self._schools, self.categories = schools, categories
        each = [(s.slug, s.name) for s in schools] if len(schools) > 1 else []
        self.school.choices = choices([("", "All my schools" if each else schools[0].name), *each])
        latest = current_academic_year()
        earliest = min(since, latest) if since is not None else latest
        self.year.choices = choices([(str(y), year_label(y)) for y in range(latest, earliest - 1, -1)])
        self.term.choices = choices([("", "Whole year"), *[(k, v[0]) for k, v in TERMS.items()]])
        self.category.choices = choices([("", "All categories"), *[(str(c.id), c.name) for c in categories]])
        if not self.year.data:
            self.year.data = str(latest)

    def chosen_schools(self):
        return [s for s in self._schools if s.slug == self.school.data] or self._schools

    def period(self):
        start_year = int(self.year.data)
        return term(start_year, self.term.data) if self.term.data else academic_year(start_year)

    def category_id(self) -> int | None:
        return int(self.category.data) if self.category.data else None


def filters_for(form_class, school_ids):
    """A period filter form over these schools, read from the query string."""
    schools = list(db.session.scalars(select(School).where(School.id.in_(school_ids)).order_by(School.name)))
    return form_class(request.args, schools, Category.ordered(), first_year(school_ids))
