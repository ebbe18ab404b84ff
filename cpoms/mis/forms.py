from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField

from ..formfields import BaseForm


class UploadForm(BaseForm):
    school = SelectField("School", coerce=str)
    file = FileField("The CSV file exported from your MIS",
                     validators=[FileRequired("Choose the CSV file to import.")])
    full = BooleanField("This file lists every pupil on roll: mark pupils who are not in it as left",
                        default=True)
