"""The stock reasons for rejecting or taking down a letter, which admins write in each language, change
and retire (the gate lets only admins in). Moderators pick them on a letter's review page."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import IntegerField, TextAreaField
from wtforms.validators import InputRequired

from .. import rejection_reasons, sanitize
from ..extensions import db
from ..forms import CharacterLimit, Form, no_control_characters, not_blank_after_cleaning
from ..models import RejectionReason
from .blueprint import bp


def _text_field(label):
    return TextAreaField(label, validators=[
        InputRequired(_l("Please write the reason in each language: the author reads it in their letter's.")),
        CharacterLimit(rejection_reasons.TEXT_MAX, sanitize.clean_text),
        no_control_characters,
        not_blank_after_cleaning(sanitize.clean_text),
    ])  # fmt: skip


class RejectionReasonForm(Form):
    he = _text_field(_l("In Hebrew"))
    ar = _text_field(_l("In Arabic"))
    en = _text_field(_l("In English"))
    revision = IntegerField(validators=[InputRequired()])


class RetireForm(Form):
    revision = IntegerField(validators=[InputRequired()])


def _reason_or_404(reason_id: int) -> RejectionReason:
    # A number no integer column holds names no reason (the database would refuse to compare it).
    reason = db.session.get(RejectionReason, reason_id) if reason_id < 2**31 else None
    if reason is None:
        abort(404)
    return reason


@bp.get("/reasons")
def rejection_reasons_list():
    return render_template("moderate/reasons.html", reasons=rejection_reasons.every_reason(), retire_form=RetireForm())


@bp.route("/reasons/new", methods=["GET", "POST"])
def rejection_reason_new():
    form = RejectionReasonForm(revision=0)
    if form.validate_on_submit():
        rejection_reasons.create({"he": form.he.data, "ar": form.ar.data, "en": form.en.data}, by=current_user)
        flash(_("The reason is saved: moderators can choose it now."))
        return redirect(url_for(".rejection_reasons_list"), code=303)
    return render_template("moderate/reason_edit.html", form=form, reason=None), 400 if request.method == "POST" else 200


@bp.route("/reasons/<int:reason_id>", methods=["GET", "POST"])
def rejection_reason_edit(reason_id: int):
    reason = _reason_or_404(reason_id)
    form = RejectionReasonForm(data={"he": reason.text_he, "ar": reason.text_ar, "en": reason.text_en, "revision": reason.revision})
    if not form.validate_on_submit():
        return render_template("moderate/reason_edit.html", form=form, reason=reason), 400 if request.method == "POST" else 200
    try:
        rejection_reasons.edit(reason, {"he": form.he.data, "ar": form.ar.data, "en": form.en.data}, by=current_user, expected_revision=form.revision.data)
    except rejection_reasons.StaleReason:
        form.he.errors = [_("Someone changed this reason while you were editing it. Copy your text, reload the page and apply your changes again.")]
        return render_template("moderate/reason_edit.html", form=form, reason=reason), 409
    flash(_("The reason is saved. Letters refused before keep the words their authors were sent."))
    return redirect(url_for(".rejection_reasons_list"), code=303)


@bp.post("/reasons/<int:reason_id>/retire")
def rejection_reason_retire(reason_id: int):
    return _set_retired(reason_id, True, _("Retired: moderators are no longer offered this reason."))


@bp.post("/reasons/<int:reason_id>/restore")
def rejection_reason_restore(reason_id: int):
    return _set_retired(reason_id, False, _("Offered again: moderators can choose this reason."))


def _set_retired(reason_id: int, retired: bool, done: str):
    reason = _reason_or_404(reason_id)
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rejection_reasons.set_retired(reason, retired, by=current_user, expected_revision=form.revision.data)
    except rejection_reasons.StaleReason:
        flash(_("Someone changed this reason meanwhile; nothing was done. Look at it again."))
        return rejection_reasons_list(), 409
    flash(done)
    return redirect(url_for(".rejection_reasons_list"), code=303)
