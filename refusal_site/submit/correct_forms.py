"""What the author of an unconfirmed letter may correct: the address the confirmation went to, and
the letter's text, with the letter form's own fields and checks."""

from ..forms import Form
from .forms import LetterForm, SecondTextChecks


class AddressForm(Form):
    contact_email = LetterForm.contact_email

    def __init__(self, *args, **kwargs) -> None:
        # Its own names and ids: it shares the letter's private page with the withdrawal form.
        kwargs.setdefault("prefix", "address")
        super().__init__(*args, **kwargs)


class CorrectTextForm(SecondTextChecks, Form):
    """The letter form's public fields and its second text (a translation: corrected, dropped or
    added); the language, the address and the consents stay as given."""

    display_name = LetterForm.display_name
    descriptor = LetterForm.descriptor
    title = LetterForm.title
    body = LetterForm.body
    second_language = LetterForm.second_language
    second_title = LetterForm.second_title
    second_body = LetterForm.second_body

    def __init__(self, letter_language: str, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._letter_language = letter_language
        self.second_language.choices = [choice for choice in self.second_language.choices if choice.value != letter_language]

    def letter_language(self) -> str:
        return self._letter_language
