from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ..formfields import BaseForm

DESCRIPTION_MAX = 400


class GuidanceForm(BaseForm):
    body = TextAreaField(
        "The guidance",
        validators=[
            DataRequired("Write the guidance."),  # not just spaces
            Length(max=50000, message="Keep the guidance under 50,000 characters."),
        ],
    )
    note = StringField(
        "What changed (optional)",
        validators=[Optional(), Length(max=200, message="Keep this under 200 characters.")],
    )


def category_descriptions_form(categories):
    """One description field per category, named by its id."""

    class CategoryDescriptionsForm(BaseForm):
        pass

    for category in categories:
        required = f"Write a short description of {category.name}."
        setattr(
            CategoryDescriptionsForm,
            field_name(category),
            TextAreaField(
                category.name,
                default=category.description,
                validators=[
                    # Sent (the default would stand in for a missing field), and not just spaces.
                    InputRequired(required),
                    DataRequired(required),
                    Length(
                        max=DESCRIPTION_MAX,
                        message=f"Keep the description of {category.name} under {DESCRIPTION_MAX} characters.",
                    ),
                ],
            ),
        )
    return CategoryDescriptionsForm()


def field_name(category) -> str:
    return f"description_{category.id}"
