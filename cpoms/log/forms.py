from __future__ import annotations

from dataclasses import dataclass

from wtforms import BooleanField, Field, HiddenField, RadioField, TextAreaField
from wtforms.utils import unset_value
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..formfields import OnceForm, IdListField, UKDateTimeField, as_id, choices
from ..models import PupilRole, Source
from ..timefmt import now_utc, to_uk

MAX_PUPILS = 100  # a whole year group; more is a mistake or an attack, not one concern
MAX_ALERTED = 30  # a class team and the leaders; more is a mailing list, not an alert
ROLE_PREFIX = "role_"


class PupilRolesField(Field):
    """Each chosen pupil's role, from one select per pupil chip named role_<pupil id>:
    {pupil id: role as sent}. Checked against the chosen pupils in validate_with."""

    def process(self, formdata, data=unset_value, extra_filters=None):
        self.process_errors = []
        self.object_data = data
        self.data = dict(data) if isinstance(data, dict) else {}
        if formdata is None:
            return
        for key in formdata:
            pupil_id = as_id(key[len(ROLE_PREFIX) :]) if key.startswith(ROLE_PREFIX) else None
            if pupil_id is not None:
                self.data[pupil_id] = formdata.get(key)

    def role(self, pupil_id: int) -> str:
        return self.data.get(pupil_id) or PupilRole.DEFAULT

    def _value(self):
        return ""


class LogEntryForm(OnceForm):
    pupil_ids = IdListField("Pupils")
    category = RadioField("Category", coerce=int, validators=[InputRequired("Choose a category.")])
    source = RadioField(
        "How did this come to your attention?",
        choices=choices(Source.LABELS.items()),
        validators=[InputRequired("Choose how this came to your attention.")],
    )
    occurred_at = UKDateTimeField("When did it happen?", validators=[InputRequired("Enter when it happened.")])
    narrative = TextAreaField(
        "What happened",
        validators=[
            DataRequired("Write what happened, in your own words."),  # not just spaces
            Length(max=20000, message="Keep this under 20,000 characters."),
        ],
    )
    child_words = TextAreaField(
        "The child's own words (optional)",
        validators=[Optional(), Length(max=10000, message="Keep this under 10,000 characters.")],
    )
    pupil_roles = PupilRolesField("Each pupil's role")
    alert_staff = IdListField("Alert other staff (optional)")
    told_dsl_in_person = BooleanField("Yes, I have told a DSL in person")
    # Set once the gentle check on save has been shown: the next save stands as it is.
    checked = HiddenField()

    def offer(self, categories) -> None:
        """The categories to choose from; on a new form, now as when it happened (unless a kept draft says)."""
        self.category.choices = choices((c.id, c.name) for c in categories)
        if not self.is_submitted() and self.occurred_at.data is None:
            self.occurred_at.data = to_uk(now_utc()).replace(tzinfo=None, second=0, microsecond=0)

    def validate_with(self, pupils) -> bool:
        """Validate the fields, and the pupils they resolved to (which the view
        loads through the policy, so a pupil the user may not log about is absent)."""
        valid = self.validate()
        asked = self.pupil_ids.data or []
        problem = None
        if len(asked) > MAX_PUPILS:
            problem = f"An entry can be about {MAX_PUPILS} pupils at most."
        elif not pupils:
            problem = "Choose at least one pupil."
        elif self.pupil_ids.unreadable or len(pupils) < len(asked):
            # Never save an entry about fewer pupils than the person chose; and say
            # the same whether a pupil left, never existed or is another school's.
            problem = "Some of these pupils could not be found. Check who this entry is about and save again."
        elif len({p.school_id for p in pupils}) > 1:
            problem = "All pupils on one entry must be at the same school."
        elif any(self.pupil_roles.role(p.id) not in PupilRole.LABELS for p in pupils):
            problem = "Choose each pupil's role from the list."
        if problem:
            self.pupil_ids.errors = [problem]
            valid = False
        return valid

    def validate_alerted(self, allowed: dict[int, object], school_name: str) -> list:
        """The colleagues chosen to alert, from those this recorder may alert at the
        entry's school (`allowed`, by id); a refusal says so on the field."""
        asked = self.alert_staff.data or []
        problem = None
        if len(asked) > MAX_ALERTED:
            problem = f"Alert {MAX_ALERTED} people at most. The safeguarding team can tell others."
        elif self.alert_staff.unreadable or any(i not in allowed for i in asked):
            problem = (
                f"Some of the staff chosen could not be found at {school_name}. Check who to alert and save again."
            )
        if problem:
            self.alert_staff.errors = [problem]
            return []
        return [allowed[i] for i in asked]


# "Find", "Add" and "Add siblings" are the no-JavaScript pupil picker: they post the form
# to show it again (with htmx too, for siblings), never to save it.
PICKER_BUTTONS = ("find", "add_pupil", "add_siblings")


def picking_pupils(formdata) -> bool:
    return any(name in formdata for name in PICKER_BUTTONS)


@dataclass(frozen=True)
class PupilPick:
    """What the pupil picker was asked: the pupils on the form (with the one "Add" adds),
    whose siblings to add, and the search typed; `picking` when that is all the post is."""

    ids: list[int]
    siblings_of: int | None
    query: str
    picking: bool

    @classmethod
    def from_request(cls, form: LogEntryForm, request) -> PupilPick:
        posted = request.method == "POST"
        if posted or form.pupil_ids.data:  # posted, or a kept draft
            ids = list(form.pupil_ids.data or [])
        else:  # /log?pupil=ID starts an entry about that pupil
            ids = [i for i in map(as_id, request.args.getlist("pupil")) if i is not None]
        adding = as_id(request.form.get("add_pupil", ""))
        if adding is not None and adding not in ids:
            ids.append(adding)
        return cls(
            ids=ids,
            siblings_of=as_id(request.form.get("add_siblings", "")),
            query=request.values.get("q", "").strip(),
            picking=posted and picking_pupils(request.form),
        )
