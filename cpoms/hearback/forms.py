from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from ..formfields import OnceForm
from .operations import MAX_MESSAGE

# Shown beside the field, and stated in docs/security.md: the recorder may read the message
# without two-factor sign-in, so it is written to hold nothing of the record.
MESSAGE_RULE = (
    "For the person who logged this, to read even without two-factor sign-in: "
    "thank them, or ask them to come and see you. Write nothing of the concern "
    "and no child's name. At most 500 characters."
)


class RecorderMessageForm(OnceForm):
    # Its own id: the entry page's follow-up form has a "text" field too.
    text = TextAreaField(
        "Message to the person who logged this",
        id="recorder-message-text",
        validators=[
            DataRequired("Write the message."),
            Length(max=MAX_MESSAGE, message=f"Keep the message to {MAX_MESSAGE} characters."),
        ],
    )
