"""The author's and the co-signer's forms: the letter, confirming, withdrawing, asking for the links
again, signing. Every message says what to fix, in the page's language."""

import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Optional, Regexp, ValidationError
from wtforms.widgets import HiddenInput

from .. import sanitize
from ..author_translations import SecondText
from ..forms import (DESCRIPTOR_MAX, EMAIL_MAX, NAME_MAX, TEXT_MAX, TITLE_MAX, CharacterLimit, Form, letter_text_checks, no_control_characters,
                     not_blank_after_cleaning, one_line_checks)
from ..languages import LANGUAGE_NAMES


def deliverable_address(form, field) -> None:
    """A syntactically valid address (no DNS lookup: that would leak who is submitting)."""
    try:
        field.data = validate_email(field.data or "", check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(_l("Please enter a valid e-mail address, like name@example.org.")) from None


# An author's comment on a translation sent back to the team.
COMMENT_MAX = 2000

# Each language's name in itself, marked with its language for screen readers.
LANGUAGE_CHOICES = [SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()]


class SecondTextChecks:
    """What a form with the letter's optional second text (a translation into another of the site's
    languages, checked by the moderator with the letter) checks across its fields: given in full (a
    language other than the letter's, and a text) or not at all. Its fields are LetterForm's."""

    def letter_language(self) -> str | None:
        return self.language.data

    def given_second_text(self) -> bool:
        return bool(self.second_language.data or (self.second_title.data or "").strip() or (self.second_body.data or "").strip())

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.given_second_text() or self.second_language.errors or self.second_body.errors:
            return valid
        if not self.second_language.data:
            self.second_language.errors = [_l("Please choose the translation's language, or leave its fields empty.")]
        elif self.second_language.data == self.letter_language():
            self.second_language.errors = [_l("Please choose another language than the letter's: a translation is in another language.")]
        elif not sanitize.clean_text(self.second_body.data or ""):
            self.second_body.errors = [_l("Please write the translation, or choose \"No translation\".")]
        else:
            return valid
        return False

    def second_text(self) -> SecondText | None:
        """What to store with the letter: None when no translation was given."""
        if not self.given_second_text():
            return None
        return SecondText(language=self.second_language.data, title=self.second_title.data, body_text=self.second_body.data)


class LetterForm(SecondTextChecks, Form):
    display_name = StringField(
        _l("Your name, as it will be published"),
        validators=one_line_checks(NAME_MAX, _l("Please write the name to publish the letter under.")),
        description=_l("Up to %(max)s characters.", max=NAME_MAX),
    )
    descriptor = StringField(
        _l("Rank, unit or role (optional)"),
        validators=one_line_checks(DESCRIPTOR_MAX),
        description=_l("For example: reserve captain, armoured corps. Up to %(max)s characters.", max=DESCRIPTOR_MAX),
    )
    language = RadioField(_l("Language of the letter"), choices=LANGUAGE_CHOICES, validators=[InputRequired(_l("Please choose the letter's language."))])
    title = StringField(_l("Title (optional)"), validators=one_line_checks(TITLE_MAX), description=_l("Up to %(max)s characters.", max=TITLE_MAX))
    body = TextAreaField(
        _l("Your letter"),
        validators=letter_text_checks(_l("Please write your letter.")),
        description=_l("Up to %(max)s characters. Leave an empty line between paragraphs.", max=f"{TEXT_MAX:,}"),
    )
    # The optional second text: the author's translation of the letter (SecondTextChecks).
    second_language = SelectField(
        _l("Language of the translation"), choices=[SelectChoice("", _l("No translation")), *LANGUAGE_CHOICES], default="",
        description=_l("Another language than the letter's."),
    )  # fmt: skip
    second_title = StringField(_l("Title of the translation (optional)"), validators=one_line_checks(TITLE_MAX),
                               description=_l("Up to %(max)s characters.", max=TITLE_MAX))  # fmt: skip
    second_body = TextAreaField(
        _l("The translation"),
        validators=letter_text_checks(None),
        description=_l("Up to %(max)s characters. Leave an empty line between paragraphs.", max=f"{TEXT_MAX:,}"),
    )
    contact_email = EmailField(
        _l("Your e-mail address (never published)"),
        validators=[InputRequired(_l("Please give an e-mail address: we send the confirmation link there.")), CharacterLimit(EMAIL_MAX), deliverable_address],
        description=_l("We send a link there to confirm that the letter is yours. Moderators may write to you. It is never shown to anyone else."),
    )
    consent_name = BooleanField(
        _l("I want this letter published under the name above."),
        validators=[DataRequired(_l("Please confirm that the letter may be published under this name."))],
    )
    consent_public = BooleanField(
        _l("I understand that the letter and my name will be public, and that anyone may read, quote and share them."),
        validators=[DataRequired(_l("Please confirm that you understand the letter will be public."))],
    )
    collective = BooleanField(
        _l("Others may co-sign this letter"),
        description=_l("For a letter written for a group: once it is published, others can add their names to it, and each is counted."),
    )
    # A field people never see: bots fill every field they find.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])
    submission_key = HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{16,64}$")])

    def validate_website(self, field) -> None:
        if field.data:
            raise ValidationError(_l("This field must stay empty. If you are a person, please clear it."))

    @staticmethod
    def new_submission_key() -> str:
        return secrets.token_urlsafe(24)



class ConfirmForm(Form):
    """Only a deliberate press of this button confirms: mail scanners follow links, not forms."""


class WithdrawForm(Form):
    understood = BooleanField(
        _l("I understand that my letter will be removed from the site and cannot be restored."),
        validators=[DataRequired(_l("Please tick the box to confirm the withdrawal."))],
    )


class PauseForm(Form):
    """Hide the letter for now, or show it again: the page's revision of the letter, so that a press on
    a page older than the letter's state is refused instead of acted on."""

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ResendForm(Form):
    contact_email = EmailField(
        _l("The e-mail address you gave with your letter"),
        validators=[InputRequired(_l("Please enter the e-mail address you gave with your letter.")), CharacterLimit(EMAIL_MAX), deliverable_address],
    )


class SignForm(Form):
    """Co-signing a collective letter: the letter form's protections, without the letter."""

    display_name = StringField(
        _l("Your name, as it will be published"),
        validators=one_line_checks(NAME_MAX, _l("Please write the name to sign with.")),
        description=_l("Up to %(max)s characters.", max=NAME_MAX),
    )
    descriptor = StringField(
        _l("Rank, unit or role (optional)"),
        validators=one_line_checks(DESCRIPTOR_MAX),
        description=_l("For example: reserve captain, armoured corps. Up to %(max)s characters.", max=DESCRIPTOR_MAX),
    )
    contact_email = EmailField(
        _l("Your e-mail address (never published)"),
        validators=[InputRequired(_l("Please give an e-mail address: we send the confirmation link there.")), CharacterLimit(EMAIL_MAX), deliverable_address],
        description=_l("We send a link there to confirm that the signature is yours. It is never shown to anyone else."),
    )
    consent_public = BooleanField(
        _l("I understand that my name will be shown under this letter, and that anyone may read, quote and share it."),
        validators=[DataRequired(_l("Please confirm that you understand your name will be public."))],
    )
    website = StringField(_l("Leave this field empty"), validators=[Optional()])
    submission_key = HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{16,64}$")])

    validate_website = LetterForm.validate_website
    new_submission_key = LetterForm.new_submission_key


class WithdrawSignatureForm(Form):
    understood = BooleanField(
        _l("I understand that my signature will be removed from the letter."),
        validators=[DataRequired(_l("Please tick the box to confirm the withdrawal."))],
    )


class ApproveTranslationForm(Form):
    """The author approves a translation as their page showed it: its revision then."""

    revision = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class SendBackTranslationForm(ApproveTranslationForm):
    comment = TextAreaField(
        _l("What should change"),
        validators=[InputRequired(_l("Please say what should change: the translator reads it.")), CharacterLimit(COMMENT_MAX), no_control_characters,
                    not_blank_after_cleaning(sanitize.clean_text)],
        description=_l("Up to %(max)s characters.", max=f"{COMMENT_MAX:,}"),
    )


class OwnTranslationForm(Form):
    """The author's own translation of their published letter, checked by the team before it is
    shown. The revision of each language's translation by the author as the page showed it (0: none)."""

    language = RadioField(_l("Language of the translation"), choices=LANGUAGE_CHOICES, validators=[InputRequired(_l("Please choose the translation's language."))])
    title = StringField(_l("Title (optional)"), validators=one_line_checks(TITLE_MAX), description=_l("Up to %(max)s characters.", max=TITLE_MAX))
    body = TextAreaField(
        _l("Your translation"),
        validators=letter_text_checks(_l("Please write the translation.")),
        description=_l("Up to %(max)s characters. Leave an empty line between paragraphs.", max=f"{TEXT_MAX:,}"),
    )
    revision_he = IntegerField(widget=HiddenInput(), default=0, validators=[InputRequired()])
    revision_ar = IntegerField(widget=HiddenInput(), default=0, validators=[InputRequired()])
    revision_en = IntegerField(widget=HiddenInput(), default=0, validators=[InputRequired()])

    def __init__(self, letter_language: str, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "own")
        super().__init__(*args, **kwargs)
        self.language.choices = [choice for choice in LANGUAGE_CHOICES if choice.value != letter_language]

    def seen_revision(self) -> int:
        return self[f"revision_{self.language.data}"].data
