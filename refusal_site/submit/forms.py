"""The letter form and its checks. Every message says what to fix, in the page's language."""

import re
import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from .. import sanitize
from ..languages import LANGUAGE_NAMES

NAME_MAX = 120
DESCRIPTOR_MAX = 200
TITLE_MAX = 200
TEXT_MAX = 20_000
EMAIL_MAX = 254
# Longer than any word or web address a letter needs; a 5,000-character "word" is an attack on layout.
WORD_MAX = 300
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# Category Cc (the C0 and C1 controls, the same 65 characters in every Unicode version) but tab, LF, CR.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_WORD = re.compile(r"\S+")


def no_control_characters(form, field) -> None:
    """NUL and other control characters (tab and newlines aside) are refused, not silently eaten."""
    if _CONTROLS.search(field.data or ""):
        raise ValidationError(_l("This contains invisible control characters. Please type it again."))


def no_direction_controls(form, field) -> None:
    if _BIDI_CONTROLS.search(field.data or ""):
        raise ValidationError(
            _l("This contains invisible characters that change the direction of text. Please type it again without them.")
        )


def not_blank_after_cleaning(clean):
    def check(form, field) -> None:
        if field.data and not clean(field.data):
            raise ValidationError(_l("This cannot be empty."))

    return check


def cleaned_length(maximum: int, clean):
    """The limit applies to what is stored: NFC can make a text longer than what was typed."""

    def check(form, field) -> None:
        if field.data and len(clean(field.data)) > maximum:
            raise ValidationError(_l("This can have up to %(max)s characters.", max=maximum))

    return check


def no_overlong_words(form, field) -> None:
    if any(len(word) > WORD_MAX for word in _WORD.findall(field.data or "")):
        raise ValidationError(_l("A word in the text is longer than %(max)s characters. Please break it up.", max=WORD_MAX))


def bounded_markup(form, field) -> None:
    """The text's formatting fits the sanitizer's bounds, which would otherwise show part of it as tags."""
    exceeded = sanitize.exceeded_bound(field.data or "")
    if exceeded == "depth":
        raise ValidationError(
            _l("The formatting in the text is nested more than %(max)s levels deep. Please simplify it.", max=sanitize.MAX_DEPTH)
        )
    if exceeded == "elements":
        raise ValidationError(
            _l("The text has more than %(max)s paragraphs, line breaks, links and formatting tags in all. Please simplify it.",
               max=f"{sanitize.MAX_ELEMENTS:,}")
        )


def deliverable_address(form, field) -> None:
    """A syntactically valid address (no DNS lookup: that would leak who is submitting)."""
    try:
        field.data = validate_email(field.data or "", check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValidationError(_l("Please enter a valid e-mail address, like name@example.org.")) from None


class Form(FlaskForm):
    """Every form of the site. A field holding NUL is refused next to it, with what was typed kept,
    whatever its own checks: nothing may store NUL, and PostgreSQL cannot even look it up (an
    address typed at sign-in)."""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.data, str) and "\x00" in field.data and not field.errors:
                field.errors = [_l("This contains invisible control characters. Please type it again.")]
                valid = False
        return valid


# Each language's name in itself, marked with its language for screen readers.
LANGUAGE_CHOICES = [SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGE_NAMES.items()]


def one_line_checks(maximum: int, required: str | None = None) -> list:
    """What every one-line public field (name, descriptor, title) must pass, wherever it is typed."""
    presence = [InputRequired(required), not_blank_after_cleaning(sanitize.clean_line)] if required else [Optional()]
    return [*presence, no_control_characters, no_direction_controls, cleaned_length(maximum, sanitize.clean_line)]


def letter_text_checks(required: str) -> list:
    """What a letter's text must pass, wherever it is typed."""
    return [
        InputRequired(required),
        no_control_characters,
        not_blank_after_cleaning(sanitize.clean_text),
        cleaned_length(TEXT_MAX, sanitize.clean_text),
        no_overlong_words,
        bounded_markup,
    ]


class LetterForm(Form):
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
    contact_email = EmailField(
        _l("Your e-mail address (never published)"),
        validators=[InputRequired(_l("Please give an e-mail address: we send the confirmation link there.")), Length(max=EMAIL_MAX), deliverable_address],
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


class ResendForm(Form):
    contact_email = EmailField(
        _l("The e-mail address you gave with your letter"),
        validators=[InputRequired(_l("Please enter the e-mail address you gave with your letter.")), Length(max=EMAIL_MAX), deliverable_address],
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
        validators=[InputRequired(_l("Please give an e-mail address: we send the confirmation link there.")), Length(max=EMAIL_MAX), deliverable_address],
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
