from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..formfields import BaseForm


class StaffUploadForm(BaseForm):
    school = SelectField("School", coerce=str)
    file = FileField("The CSV file exported from your MIS", validators=[FileRequired("Choose the CSV file to import.")])


class UploadForm(StaffUploadForm):
    # Off unless chosen: a file of a few pupils taken for the full list would mark the rest as left.
    full = BooleanField(
        "Full import: this file lists every pupil on roll, so mark pupils who are not in it as left", default=False
    )


class ConfirmImportForm(BaseForm):
    # Asked only when the preview would mark more than a tenth of the roll as left (Plan.many_leave).
    leavers = BooleanField("Yes, mark them as left: this file is the full list of pupils on roll")


class ProposeDeletionForm(BaseForm):
    reason = TextAreaField(
        "Why these records may now be deleted",
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired("Say why the records may be deleted."),
            Length(max=2000, message="Keep this under 2,000 characters."),
        ],
    )
