from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..formfields import BaseForm


class StaffUploadForm(BaseForm):
    school = SelectField("School", coerce=str)
    file = FileField("The CSV file exported from your MIS",
                     validators=[FileRequired("Choose the CSV file to import.")])


class UploadForm(StaffUploadForm):
    full = BooleanField("This file lists every pupil on roll: mark pupils who are not in it as left",
                        default=True)


class ProposeDeletionForm(BaseForm):
    reason = TextAreaField("Why these records may now be deleted",
                           filters=[lambda v: v.strip() if isinstance(v, str) else v],
                           validators=[DataRequired("Say why the records may be deleted."),
                                       Length(max=2000, message="Keep this under 2,000 characters.")])
