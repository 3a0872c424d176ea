"""Anyone writing to the team: the contact form (no address shown), with the letter form's protections:
CSRF, a rate limit, a field bots fill, limits that refuse rather than cut, control characters refused.
In this blueprint for its rate limit and its no-store pages; the message goes to contact.receive."""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Optional, ValidationError

from .. import contact, sanitize
from ..extensions import limiter
from ..forms import EMAIL_MAX, NAME_MAX, CharacterLimit, Form, no_control_characters, not_blank_after_cleaning, one_line_checks
from ..http import configured_limit
from ..i18n import current_language
from ..models import ContactKind
from .views import bp

MESSAGE_MAX = 5000

KIND_CHOICES = [SelectChoice(kind.value, label) for kind, label in contact.KIND_LABELS.items()]


class ContactForm(Form):
    kind = RadioField(_l("What is it about?"), choices=KIND_CHOICES, validators=[InputRequired(_l("Please choose what your message is about."))])
    name = StringField(_l("Your name (optional)"), validators=one_line_checks(NAME_MAX), description=_l("Up to %(max)s characters.", max=NAME_MAX))
    reply_email = EmailField(
        _l("Your e-mail address, if you want an answer (optional)"),
        validators=[
            Optional(),
            CharacterLimit(EMAIL_MAX),
            Email(_l("Please enter a valid e-mail address, like name@example.org."), check_deliverability=False),
        ],
        description=_l("Only the moderators see it, to answer you. It is never published."),
    )
    message = TextAreaField(
        _l("Your message"),
        validators=[
            InputRequired(_l("Please write your message.")),
            no_control_characters,
            not_blank_after_cleaning(sanitize.clean_text),
            CharacterLimit(MESSAGE_MAX, sanitize.clean_text),
        ],
        description=_l("Up to %(max)s characters.", max=f"{MESSAGE_MAX:,}"),
    )
    # A field people never see: bots fill every field they find.
    website = StringField(_l("Leave this field empty"), validators=[Optional()])

    def validate_website(self, field) -> None:
        if field.data:
            raise ValidationError(_l("This field must stay empty. If you are a person, please clear it."))


_contact_limit = configured_limit("CONTACT_RATE_LIMIT")


@bp.route("/contact", methods=["GET", "POST"])
@limiter.limit(_contact_limit, methods=["POST"])
def contact_form():
    form = ContactForm()
    if not form.is_submitted():  # GET, or HEAD (answered as GET)
        form.kind.data = _kind_asked()
    elif form.validate_on_submit():
        contact.receive(
            kind=form.kind.data, name=form.name.data, reply_email=form.reply_email.data, body=form.message.data, language=current_language()
        )
        return redirect(url_for(".contact_sent"), code=303)
    return render_template("submit/contact.html", form=form), 400 if request.method == "POST" else 200


def _kind_asked() -> str | None:
    """?kind= preselects what the message is about (the rejection mail links with kind=letter)."""
    kind = request.args.get("kind") or None
    if kind is not None and kind not in ContactKind.__members__.values():
        abort(400)
    return kind


@bp.get("/contact/sent")
def contact_sent():
    return render_template("submit/contact_sent.html")
