"""Press previews (admins only, as the gate says): the embargoes to come, a link to one of them made
for named journalists (shown once), and revoking a link. What each link is for, and how often it
was opened, stays here: the public sees nothing of an embargo before its release."""

from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import format_decimal, get_translations
from flask_login import current_user
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired

from .. import press_previews, sanitize
from ..forms import CharacterLimit, Form, no_control_characters, not_blank_after_cleaning
from ..http import redirect_to_show_once, shown_once
from ..i18n import site_time
from ..urls import site_url
from .blueprint import bp


class PressPreviewForm(Form):
    # Any value is taken here; press_previews.create refuses a moment no letter is scheduled for.
    release_at = RadioField(_l("Embargo"), validate_choice=False, validators=[InputRequired(_l("Please choose the embargo to preview."))])
    recipients = TextAreaField(
        _l("For whom"),
        description=_l("The journalists' names and their outlets. Shown at the top of the preview, never to the public."),
        validators=[InputRequired(_l("Please name the journalists and their outlets.")), no_control_characters,
                    not_blank_after_cleaning(sanitize.clean_text), CharacterLimit(press_previews.RECIPIENTS_MAX, sanitize.clean_text)],
    )


class RevokeForm(Form):
    pass


def _page(form: PressPreviewForm, status: int = 200):
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
        preview, token = press_previews.create(release_at, sanitize.clean_text(form.recipients.data), by=current_user)
    except (ValueError, press_previews.NoSuchEmbargo):
        form.release_at.errors = [_("No letter is scheduled for that moment any more. Please choose an embargo from the list.")]
        return _page(form, 409)
    link = site_url("press.preview", token=token)
    return redirect_to_show_once(url_for(".press_preview_created"), "press preview", id=preview.id, link=link)


@bp.get("/press-previews/created")
def press_preview_created():
    """The new preview's link, this once."""
    shown = shown_once("press preview")
    if shown is None:
        return redirect(url_for(".press_previews_list"))
    return render_template("moderate/press_preview_created.html", link=shown["link"])


@bp.post("/press-previews/<int:preview_id>/revoke")
def press_preview_revoke(preview_id: int):
    if not RevokeForm().validate_on_submit():
        abort(400)
    # A number no integer column holds names no preview (the database would refuse to compare it).
    if preview_id >= 2**31 or press_previews.revoke(preview_id, by=current_user) is None:
        abort(404)
    flash(_("Revoked: the link no longer opens the preview."))
    return redirect(url_for(".press_previews_list"), code=303)
