from wtforms import SelectField

from ..formfields import as_id, choices
from ..reports.forms import ReportFilterForm

SAMPLES = {"": "Every entry", "10": "10 at random", "25": "25 at random"}


class OversightFilterForm(ReportFilterForm):
    """The reports' filters (school, year, term, category), and a random sample."""

    sample = SelectField("Show", default="", choices=choices(SAMPLES.items()))

    def sample_size(self) -> int | None:
        return int(self.sample.data) if self.sample.data else None

    @staticmethod
    def seed(value) -> int:
        """The same sample for the same seed, so a sample can be shared and re-read."""
        return as_id(value or "") or 1
