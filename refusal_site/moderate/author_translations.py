"""Translations written by authors, waiting for the team's check: the list (in one language or all),
one of them previewed beside the original, and the two decisions, publishing it or sending it back
to the author with a reason. Moderators and admins only: the gate (blueprint.py) keeps translators
out, as they decide nothing. A refusal is a clear 409/410 with what was typed kept."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import author_translations as at
from .. import letter_translations as lt
from .. import moderation, paging
from ..audit import AuditAction
from ..params import language_filter, page_number
from ..sanitize import clean_text
from .blueprint import bp, letter_to_translate
from .forms import CheckForm, SendBackForm


@bp.get("/translations/by-authors")
def author_translations():
    language, number = language_filter(), page_number()
    try:
        page = at.waiting_page(language, number, current_app.config["QUEUE_PER_PAGE"])
    except paging.PageOutOfRange:
        abort(404)
    return render_template("moderate/author_translations.html", page=page, language=language, made_before=at.made_before_correction)


def _letter_and_mine(public_id: str, language: str):
    letter = letter_to_translate(public_id, language)
    found = at.of_letter(letter, language)
    return letter, (found[0] if found else None)


@bp.get("/translations/by-authors/<public_id>/<language>")
def author_translation(public_id: str, language: str):
    letter, mine = _letter_and_mine(public_id, language)
    if mine is None:
        abort(404)
    return _page(letter, mine)


@bp.post("/translations/by-authors/<public_id>/<language>/publish")
def author_translation_publish(public_id: str, language: str):
    letter, mine = _letter_and_mine(public_id, language)
    form = CheckForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        if mine is None:
            raise at.StaleTranslation("gone")
        at.publish(mine, by=current_user, expected_revision=form.revision.data, expected_source=form.source.data)
    except at.TranslationError as refused:
        if isinstance(refused, at.StaleTranslation) and mine is None and moderation.last_event_is(letter, AuditAction.TRANSLATION_PUBLISH_CHECKED, by=current_user):
            return _already_done(language)
        return _refused(letter, mine, refused)
    flash(_("Published: the translation is shown beside the letter, marked as approved by the author."))
    return redirect(url_for(".author_translations", language=language), code=303)


@bp.post("/translations/by-authors/<public_id>/<language>/send-back")
def author_translation_send_back(public_id: str, language: str):
    letter, mine = _letter_and_mine(public_id, language)
    if mine is None:
        return _gone(language)  # decided on by a colleague (or never there): nothing to send back
    form = SendBackForm()
    if not form.validate_on_submit():
        return _page(letter, mine, form, 400)
    try:
        at.send_back(mine, by=current_user, reason=form.reason.data, expected_revision=form.revision.data)
    except at.TranslationError as refused:
        fresh = at.of_letter(letter, language)
        if fresh and fresh[0].revision == form.revision.data + 1 and fresh[0].team_reason == clean_text(form.reason.data):
            return _already_done(language)
        return _refused(letter, mine, refused, form)
    if letter.contact_email:
        flash(_("Sent back: the author gets your reason by e-mail and can correct the translation from their private page."))
    else:
        flash(_("Sent back. The author's address has been erased, so they were not told; they see your reason on their private page."))
    return redirect(url_for(".author_translations", language=language), code=303)


def _already_done(language: str):
    flash(_("Already done: the button was pressed twice, and nothing was done twice."))
    return redirect(url_for(".author_translations", language=language), code=303)


def _gone(language: str):
    return render_template("moderate/author_translation_gone.html", language=language), 409


def _page(letter, mine, form=None, status: int = 200, **context):
    """The author's translation as the public would read it, beside the original, with the two decisions."""
    return render_template(
        "moderate/author_translation.html", letter=letter, mine=mine, as_letter=lt.as_letter, made_before=at.made_before_correction(mine),
        decision=CheckForm(formdata=None, revision=mine.revision, source=lt.source_hash(letter)), form=form or SendBackForm(formdata=None, revision=mine.revision), **context,
    ), status  # fmt: skip


def _refused(letter, mine, refused: at.TranslationError, form=None):
    """Nothing was done: a withdrawn letter is gone for good (410); otherwise the page as it stands
    now (or the list, if the translation is gone), with what was typed kept."""
    if isinstance(refused, at.DecidersOnly):
        abort(403)
    if isinstance(refused, at.LetterWithdrawn):
        abort(410)
    fresh = at.of_letter(letter, mine.language) if mine is not None else []
    if not fresh:
        return _gone(request.view_args["language"])
    problem = "stale" if isinstance(refused, at.StaleTranslation) else "not_checkable"
    return _page(letter, fresh[0], form, 409, problem=problem)
