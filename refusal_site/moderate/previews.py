"""Press previews (admins only, as the gate says): the embargoes to come, links to one of them made
for named journalists, one each (shown once), and revoking a link. What each link is for, and how
often it was opened, stays here: the public sees nothing of an embargo before its release."""

from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import format_decimal, get_translations
from flask_login import current_user
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, ValidationError

from .. import press_previews, sanitize
from ..forms import CharacterLimit, Form, new_submission_key, no_control_characters, not_blank_after_cleaning, submission_key_field
from ..http import redirect_to_show_once, shown_once, still_to_show
from ..i18n import site_time
from ..urls import site_url
from .blueprint import bp


class PressPreviewForm(Form):
    # Any value is taken here; press_previews.create refuses a moment no letter is scheduled for.
    release_at = RadioField(_l("Embargo"), validate_choice=False, validators=[InputRequired(_l("Please choose the embargo to preview."))])
    recipients = TextAreaField(
        _l("For whom"),
        description=_l("One journalist a line, with their outlet: each line gets a link of its own, whose preview names only them at the top. Never shown to the public. Up to %(max)s at once.",
                       max=press_previews.AT_ONCE),
        validators=[InputRequired(_l("Please name the journalists and their outlets.")), no_control_characters,
                    not_blank_after_cleaning(sanitize.clean_text), CharacterLimit(press_previews.RECIPIENTS_MAX, sanitize.clean_text)],
    )
    submission_key = submission_key_field()

    def names(self) -> list[str]:
        """The journalists named, one a line, each as its link's page will name them."""
        return [name for name in map(sanitize.clean_line, (self.recipients.data or "").splitlines()) if name]

    def validate_recipients(self, field) -> None:
        if not self.names():
            raise ValidationError(_l("This cannot be empty."))
        if len(dict.fromkeys(self.names())) > press_previews.AT_ONCE:
            raise ValidationError(_l("Up to %(max)s journalists at once, one a line: make the others' links after these.", max=press_previews.AT_ONCE))


class RevokeForm(Form):
    pass


def _page(form: PressPreviewForm, status: int = 200):
    # A new form gets its key; one sent back with an error keeps the key it was posted with.
    form.submission_key.data = form.submission_key.data or new_submission_key()
    embargoes = press_previews.embargoes()
    form.release_at.choices = [(embargo.release_at.isoformat(), _embargo_label(embargo)) for embargo in embargoes]
    previews = press_previews.every_preview()
    return render_template("moderate/press_previews.html", form=form, embargoes=embargoes, previews=previews,
                           live={preview.id for preview in previews if press_previews.is_live(preview)}, revoke_form=RevokeForm()), status


def _embargo_label(embargo: press_previews.Embargo) -> str:
    # Number formatted (Flask-Babel's ngettext would not format it).
    phrase = get_translations().ungettext("%(moment)s: %(num)s letter", "%(moment)s: %(num)s letters", embargo.letters)
    return phrase % {"moment": site_time(embargo.release_at), "num": format_decimal(embargo.letters)}


def _moment(value: str) -> datetime:
    """A moment as the form's choices write it (ISO, with its offset); ValueError for anything else."""
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(value)
    return moment


@bp.get("/press-previews")
def press_previews_list():
    return _page(PressPreviewForm())


@bp.post("/press-previews")
def press_preview_create():
    form = PressPreviewForm()
    if not form.validate_on_submit():
        return _page(form, 400)
    try:
        release_at = _moment(form.release_at.data)
        made = press_previews.create(release_at, form.names(), by=current_user, submission_key=form.submission_key.data)
    except (ValueError, press_previews.NoSuchEmbargo):
        form.release_at.errors = [_("No letter is scheduled for that moment any more. Please choose an embargo from the list.")]
        return _page(form, 409)
    except press_previews.AlreadyMade:
        return _already_made()
    # Ids and tokens only: the names are read again from the database, so the cookie stays small.
    return redirect_to_show_once(url_for(".press_preview_created"), "press preview", links=[[preview.id, token] for preview, token in made])


def _already_made():
    """The same form posted again: its links were made once. Shown, if the first answer's page has not
    been; otherwise they cannot be shown again (only their hashes are kept)."""
    flash(_("Already done: the button was pressed twice, and nothing was done twice."))
    if still_to_show("press preview"):
        return redirect(url_for(".press_preview_created"), code=303)
    flash(_("Their links were shown once, after the first press. If you did not see them, revoke them below and make new ones."))
    return redirect(url_for(".press_previews_list"), code=303)


@bp.get("/press-previews/created")
def press_preview_created():
    """The new previews' links, this once: each with the journalist it names."""
    shown = shown_once("press preview")
    if shown is None or not isinstance(shown.get("links"), list):
        return redirect(url_for(".press_previews_list"))
    found = press_previews.previews_by_id([preview_id for preview_id, _token in shown["links"]])
    links = [(found[preview_id], site_url("press.preview", token=token)) for preview_id, token in shown["links"] if preview_id in found]
    return render_template("moderate/press_preview_created.html", links=links)


@bp.post("/press-previews/<int:preview_id>/revoke")
def press_preview_revoke(preview_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    # A number no integer column holds names no preview (the database would refuse to compare it).
    if preview_id >= 2**31 or press_previews.revoke(preview_id, by=current_user) is None:
        abort(404)
    flash(_("Revoked: the link no longer opens the preview."))
    return redirect(url_for(".press_previews_list"), code=303)
