"""What every form of the site shares: the base Form (NUL refused in any field), the one way a length
is limited (refused with a message, never cut), and the checks of a letter's public fields (name,
descriptor, title, text), the same wherever they are typed: by an author, a co-signer or a moderator
correcting a letter."""

import re
import secrets
from collections.abc import Callable

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import InputRequired, Optional, Regexp, ValidationError

from . import sanitize
from .models import LIMITS

# The limits of a letter's public fields, as the columns hold them (models.LIMITS).
NAME_MAX = LIMITS["display_name"]
DESCRIPTOR_MAX = LIMITS["descriptor"]
TITLE_MAX = LIMITS["title"]
TEXT_MAX = LIMITS["body_text"]
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


class CharacterLimit:
    """At most `maximum` characters of what is stored (`clean`: NFC can make a text longer than what
    was typed). A longer text is refused next to its field, never cut: a browser's maxlength cuts a
    pasted text without a word, so the limit reaches the page as the flag `character_limit` (for the
    counter, static/js/counter.js), never as a maxlength attribute."""

    def __init__(self, maximum: int, clean: Callable[[str], str] = str, message: str | None = None) -> None:
        self.maximum = maximum
        self.clean = clean
        self.message = message
        self.field_flags = {"character_limit": maximum}

    def __call__(self, form, field) -> None:
        length = len(self.clean(field.data or ""))
        if length <= self.maximum:
            return
        if self.message:
            raise ValidationError(self.message)
        over = length - self.maximum
        # The form is chosen by how many characters are too many: "by 1 character", and in Arabic
        # one of six forms ("حرفين", "5 أحرف", "15 حرفًا", "3,400 حرف").
        raise ValidationError(
            ngettext("This has %(length)s characters and can have up to %(max)s: please shorten it by %(over)s character. Everything you wrote is still here.",
                "This has %(length)s characters and can have up to %(max)s: please shorten it by %(over)s characters. Everything you wrote is still here.",
                over, length=format_decimal(length), max=format_decimal(self.maximum), over=format_decimal(over))
        )


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


def submission_key_field() -> HiddenField:
    """The random key a form carries so that a double press, or the form posted again, stores what it
    asks once: the table's unique key on it decides (letters.submit, press_previews.create)."""
    return HiddenField(validators=[Regexp(r"^[A-Za-z0-9_-]{16,64}$")])


def new_submission_key() -> str:
    return secrets.token_urlsafe(24)


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


def one_line_checks(maximum: int, required: str | None = None) -> list:
    """What every one-line public field (name, descriptor, title) must pass, wherever it is typed."""
    presence = [InputRequired(required), not_blank_after_cleaning(sanitize.clean_line)] if required else [Optional()]
    return [*presence, no_control_characters, no_direction_controls, CharacterLimit(maximum, sanitize.clean_line)]


def letter_text_checks(required: str | None) -> list:
    """What a letter's text must pass, wherever it is typed (`required`: the message when it is
    missing; None for an optional text, such as a translation given with the letter)."""
    return [
        InputRequired(required) if required else Optional(),
        no_control_characters,
        not_blank_after_cleaning(sanitize.clean_text),
        CharacterLimit(TEXT_MAX, sanitize.clean_text),
        no_overlong_words,
        bounded_markup,
    ]
