from ..formfields import OnceForm


class AddAttachmentForm(OnceForm):
    """Files added to a saved entry. The files are read by uploads.from_request: the
    form carries the CSRF token and the submission's one-time key."""
