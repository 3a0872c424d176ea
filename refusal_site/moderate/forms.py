"""Moderation forms. Decisions carry the letter's revision, so a decision on a stale page is refused."""

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateTimeLocalField, EmailField, HiddenField, IntegerField, PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, Optional, Regexp, ValidationError

from .. import rejection_reasons, sanitize
from ..forms import (
    DESCRIPTOR_MAX,
    EMAIL_MAX,
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    CharacterLimit,
    Form,
    letter_text_checks,
    no_control_characters,
    not_blank_after_cleaning,
    one_line_checks,
)
from ..models import RejectionReason, Role

REASON_MAX = 2000


class SignInForm(Form):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(_l("Please enter your e-mail address.")), CharacterLimit(EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[InputRequired(_l("Please enter your password.")), CharacterLimit(1024, message=_l("A password has up to 1,024 characters."))])


class CodeForm(Form):
    """The code step of sign-in: a one-time code from the app, or one of the recovery codes."""

    code = StringField(
        _l("One-time code"),
        validators=[
            InputRequired(_l("Please enter the 6-digit code from your app.")),
            Regexp(r"^[\s0-9A-Za-z-]{6,40}$", message=_l("Enter the 6 digits your app shows, or one of your recovery codes.")),
        ],
        description=_l("The 6-digit code your authenticator app shows now, or one of your recovery codes if you lost it."),
    )


class DecisionForm(Form):
    revision = IntegerField(validators=[InputRequired()])


class CheckForm(DecisionForm):
    """Publishing an author's translation: its revision, and the letter's text it was read beside
    (letter_translations.source_hash), so a correction of the letter since refuses it."""

    source = HiddenField(validators=[InputRequired()])


class ApproveForm(DecisionForm):
    """Publishing a letter, and (ticked) the translation its author gave with it: the review page
    shows both, so one reading decides both. Unticked, the translation waits for a check."""

    with_translations = BooleanField()


class SendBackForm(DecisionForm):
    """An author's translation not published: the reason they read, by mail and on their private page."""

    reason = TextAreaField(
        _l("Why it is not published, for the author"),
        validators=[InputRequired(_l("Please write the reason: the author reads it.")), CharacterLimit(REASON_MAX, sanitize.clean_text),
                    no_control_characters, not_blank_after_cleaning(sanitize.clean_text)],
        description=_l("Sent to the author by e-mail as you write it, in the letter's language if you can, and shown on their private page."),
    )  # fmt: skip


class ScheduleForm(ApproveForm):
    at = DateTimeLocalField(
        _l("Publish at"),
        format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
        validators=[InputRequired(_l("Please give a date and time, like 2026-03-01 09:30."))],
    )


class ReasonForm(DecisionForm):
    """Why a letter is rejected or taken down: a stock reason (the author reads it in the letter's
    language), the moderator's own words (sent as written), or both."""

    stock = RadioField(_l("Reason"), validate_choice=False, default="")
    reason = TextAreaField(
        _l("In your own words"),
        validators=[Optional(), CharacterLimit(REASON_MAX, sanitize.clean_text), no_control_characters],
        description=_l("Sent as you write it: after the reason chosen above, or alone if none is chosen."),
    )
    # Sent by the confirming page only: the moderator has read the reason as the author will.
    confirmed = HiddenField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        language = get_locale().language
        self.offered = {str(reason.id): reason for reason in rejection_reasons.offered()}
        self.stock.choices = [SelectChoice(key, reason.text(language)) for key, reason in self.offered.items()]
        self.stock.choices.append(SelectChoice("", _l("None of these: only my own words")))

    @property
    def stock_reason(self) -> RejectionReason | None:
        return self.offered.get(self.stock.data or "")

    def validate_stock(self, field) -> None:
        if field.data and field.data not in self.offered:
            raise ValidationError(_l("Please choose one of the reasons offered."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.stock.data and not sanitize.clean_text(self.reason.data or ""):
            self.reason.errors = [*self.reason.errors, _l("Please choose a reason or write one: the author will read it.")]
            return False
        return valid

    def reason_for(self, language: str) -> str:
        """The reason as the author reads it, in the letter's language."""
        return rejection_reasons.compose(self.stock_reason, self.reason.data, language)


class HideForm(DecisionForm):
    """An admin hides a letter at once (for its author's safety, or while something is checked). On the
    review page beside the reason to take it down: its fields are named apart (PREFIX)."""

    PREFIX = "hide"

    reason = TextAreaField(
        _l("Why it is hidden (kept on the record, and sent to its author)"),
        validators=[
            InputRequired(_l("Please say why the letter is hidden.")),
            CharacterLimit(REASON_MAX, sanitize.clean_text),
            no_control_characters,
            not_blank_after_cleaning(sanitize.clean_text),
        ],
    )


class HideManyForm(Form):
    """An admin hides many letters at once: their addresses or public ids, one a line, and one reason."""

    letters = TextAreaField(
        _l("Letters to hide: their addresses on the site or their ids, one a line"),
        validators=[InputRequired(_l("Please list the letters to hide.")), CharacterLimit(20000), no_control_characters],
    )
    reason = HideForm.reason


class SignatureShowForm(Form):
    """An admin shows again the co-signatures the team hid: the ticked ones, or all shown (the queue
    page's `shown` and `selected`, parsed by the view). Beside the decision form on that page: its
    fields are named apart."""

    safety_scope = StringField(validators=[InputRequired(), AnyOf(["selected", "shown"])])


class SignatureHideForm(SignatureShowForm):
    """An admin hides co-signatures at once in an emergency, with one reason on the record of each."""

    hide_reason = TextAreaField(
        _l("Why they are hidden (kept on the record, and sent to their signers)"),
        validators=[
            InputRequired(_l("Please say why the signatures are hidden.")),
            CharacterLimit(REASON_MAX, sanitize.clean_text),
            no_control_characters,
            not_blank_after_cleaning(sanitize.clean_text),
        ],
    )


class EditForm(DecisionForm):
    display_name = StringField(_l("Name"), validators=one_line_checks(NAME_MAX, _l("Please write the name to publish the letter under.")))
    descriptor = StringField(_l("Rank, unit or role"), validators=one_line_checks(DESCRIPTOR_MAX))
    title = StringField(_l("Title"), validators=one_line_checks(TITLE_MAX))
    body = TextAreaField(_l("Text"), validators=letter_text_checks(_l("Please write your letter.")))
    reason = StringField(
        _l("What was corrected"), validators=[InputRequired(_l("Please say what you corrected.")), CharacterLimit(REASON_MAX, sanitize.clean_text), no_control_characters]
    )


class TranslationForm(DecisionForm):
    """A translation by the team: the letter form's checks on its title and text. `revision` is the
    translation's as the page showed it (0: none yet)."""

    title = StringField(_l("Title"), validators=one_line_checks(TITLE_MAX), description=_l("Up to %(max)s characters.", max=TITLE_MAX))
    body = TextAreaField(
        _l("Translation"),
        validators=letter_text_checks(_l("Please write the translation.")),
        description=_l("Up to %(max)s characters. Leave an empty line between paragraphs.", max=f"{TEXT_MAX:,}"),
    )


class PasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[InputRequired()])
    new = PasswordField(_l("New password"), validators=[InputRequired(), Length(min=12, message=_l("A password has 12 to 256 characters.")),
                                                    CharacterLimit(256, message=_l("A password has 12 to 256 characters."))])


class TotpSetupForm(Form):
    code = StringField(
        _l("One-time code"),
        validators=[InputRequired(_l("Please enter the 6-digit code from your app.")), Regexp(r"^\s*\d{3}\s?\d{3}\s*$", message=_l("The code has 6 digits."))],
        description=_l("The 6-digit code your authenticator app shows now."),
    )


class RenewRecoveryCodesForm(Form):
    """A button: the CSRF token is all it carries."""


class CreateModeratorForm(Form):
    email = EmailField(_l("E-mail address"), validators=[InputRequired(), CharacterLimit(EMAIL_MAX)])
    role = RadioField(
        _l("Role"),
        choices=[SelectChoice(Role.MODERATOR.value, _l("Moderator")), SelectChoice(Role.ADMIN.value, _l("Admin")),
                 SelectChoice(Role.TRANSLATOR.value, _l("Translator"))],
        default=Role.MODERATOR.value,
        validators=[InputRequired()],
    )
    require_code = BooleanField(_l("Require one-time codes"))


class TeamActionForm(Form):
    action = HiddenField(validators=[DataRequired()])


class SignatureDecisionForm(Form):
    """A decision on many signatures at once. Which ones, and at which revision, come from the page the
    moderator saw (`shown`: "id:revision" each) and the boxes ticked (`selected`), parsed by the view."""

    decision = RadioField(
        _l("Decision"),
        choices=[SelectChoice("publish", _l("Publish")), SelectChoice("reject", _l("Reject")), SelectChoice("unpublish", _l("Take down"))],
        validators=[InputRequired(_l("Please choose a decision."))],
    )
    # Set by the button pressed: the ticked signatures, or every signature shown on the page.
    scope = StringField(validators=[InputRequired(), AnyOf(["selected", "shown"])])
    reason = TextAreaField(
        _l("Reason (for rejecting or taking down)"),
        validators=[
            Optional(),
            CharacterLimit(REASON_MAX, sanitize.clean_text),
            no_control_characters,
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Checked here: the field's Optional() ends its own checks when it is empty.
        if self.decision.data in ("reject", "unpublish") and not sanitize.clean_text(self.reason.data or ""):
            self.reason.errors = [*self.reason.errors, _l("Please give a reason: it stays on the record.")]
            return False
        return valid
