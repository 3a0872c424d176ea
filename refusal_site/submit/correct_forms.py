"""What the author of an unconfirmed letter may correct: the address the confirmation went to, and
the letter's text, with the letter form's own fields and checks."""

from ..forms import Form
from .forms import LetterForm


class AddressForm(Form):
    contact_email = LetterForm.contact_email

    def __init__(self, *args, **kwargs) -> None:
        # Its own names and ids: it shares the letter's private page with the withdrawal form.
        kwargs.setdefault("prefix", "address")
        super().__init__(*args, **kwargs)


class CorrectTextForm(Form):
    """The letter form's public fields; the language, the address and the consents stay as given."""

    display_name = LetterForm.display_name
    descriptor = LetterForm.descriptor
    title = LetterForm.title
    body = LetterForm.body
