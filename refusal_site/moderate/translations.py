"""Translations, for the whole team (translators too): the work queue of published letters lacking a
translation in a language, claiming one, writing it, sending it to the author, and an admin's
publication when the author can no longer be asked. A refusal is a clear 409/410 with what was typed
kept. Nothing here shows a contact address: translators open these pages."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import letter_translations as lt
from .. import paging
from ..models import Language, Role
from ..params import language_filter, page_number
from ..sanitize import clean_text
from .blueprint import bp, letter_to_translate
from .forms import DecisionForm, RenewRecoveryCodesForm, TranslationForm

ButtonForm = RenewRecoveryCodesForm  # a button: the CSRF token is all it carries


@bp.get("/translations")
def translations():
    language, number = language_filter() or Language.EN.value, page_number()
    try:
        page = lt.work_page(language, number, current_app.config["QUEUE_PER_PAGE"])
    except paging.PageOutOfRange:
        abort(404)
    return render_template("moderate/translations.html", page=page, language=language, holder=lt.claim_holder, button=ButtonForm(),
                           decision=DecisionForm)  # fmt: skip


def _letter_and_translation(public_id: str, language: str):
    letter = letter_to_translate(public_id, language)
    found = lt.of_letter(letter, language)
    return letter, (found[0] if found else None)


@bp.post("/translations/<public_id>/<language>/claim")
def translation_claim(public_id: str, language: str):
    letter, _translation = _letter_and_translation(public_id, language)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        lt.claim(letter, language, by=current_user)
    except lt.TranslationError as refused:
        return _refused(letter, language, refused)
    return redirect(url_for(".translation", public_id=public_id, language=language), code=303)


@bp.post("/translations/<public_id>/<language>/release")
def translation_release(public_id: str, language: str):
    def act(translation, revision):
        lt.release(translation, by=current_user, expected_revision=revision)
        return _("Released: anyone on the team may claim this translation now.")

    return _act(public_id, language, act)


@bp.post("/translations/<public_id>/<language>/send")
def translation_send(public_id: str, language: str):
    def act(translation, revision):
        lt.send_to_author(translation, by=current_user, expected_revision=revision)
        return _("Sent: the author gets the translation by e-mail and approves it or sends it back from their private page.")

    return _act(public_id, language, act)


@bp.post("/translations/<public_id>/<language>/publish")
def translation_publish(public_id: str, language: str):
    def act(translation, revision):
        lt.publish_without_author(translation, by=current_user, expected_revision=revision)
        return _("Published, marked as not reviewed by the author.")

    return _act(public_id, language, act)


def _act(public_id: str, language: str, act):
    """One button on a translation, carrying the revision its page showed."""
    letter, translation = _letter_and_translation(public_id, language)
    form = DecisionForm()
    if translation is None or not form.validate_on_submit():
        abort(400)
    try:
        message = act(translation, form.revision.data)
    except lt.TranslationError as refused:
        return _refused(letter, language, refused)
    flash(message)
    return redirect(url_for(".translations", language=language), code=303)


@bp.route("/translations/<public_id>/<language>", methods=["GET", "POST"])
def translation(public_id: str, language: str):
    letter, translation = _letter_and_translation(public_id, language)
    try:
        lt.check_translatable(letter, language)
    except lt.TranslationError as refused:
        return _refused(letter, language, refused)
    if request.method != "POST":  # GET, or HEAD (answered as GET)
        form = TranslationForm(title=translation and translation.title, body=translation and translation.body_text,
                               revision=translation.revision if translation else 0)  # fmt: skip
        return _page(letter, language, translation, form)
    form = TranslationForm()
    if not form.validate_on_submit():
        return _page(letter, language, translation, form, 400)
    try:
        lt.save(letter, language, by=current_user, title=form.title.data, body_text=form.body.data, expected_revision=form.revision.data)
    except lt.StaleTranslation:
        if translation and translation.written_by_id == current_user.id and translation.body_text == clean_text(form.body.data):
            flash(_("Already done: the button was pressed twice, and nothing was done twice."))
            return redirect(url_for(".translation", public_id=public_id, language=language), code=303)
        return _page(letter, language, translation, form, 409, problem="stale")
    except lt.ClaimedByOther as refused:
        return _page(letter, language, refused.translation, form, 409, problem="claimed")
    except lt.TranslationError as refused:
        return _refused(letter, language, refused)
    flash(_("Saved. When it is ready, send it to the author for approval."))
    return redirect(url_for(".translation", public_id=public_id, language=language), code=303)


def _page(letter, language: str, translation, form, status: int = 200, **context):
    """The translation's page: the original beside the form, what the author said, and its buttons."""
    return render_template(
        "moderate/translation.html", letter=letter, language=language, language_dir=Language(language).direction, translation=translation, form=form,
        holder=lt.claim_holder(translation), versions=lt.versions(translation) if translation else [],
        buttons=DecisionForm(formdata=None, revision=translation.revision if translation else 0),
        can_publish=current_user.role == Role.ADMIN and not letter.contact_email, **context,
    ), status  # fmt: skip


# Each refusal, the problem its page names and its status: a withdrawn letter is gone for good.
_REFUSALS = [
    (lt.LetterWithdrawn, "withdrawn", 410),
    (lt.NotTranslatable, "not_translatable", 409),
    (lt.StaleTranslation, "stale", 409),
    (lt.ClaimedByOther, "claimed", 409),
    (lt.AuthorReachable, "author_reachable", 409),
    (lt.AuthorUnreachable, "author_unreachable", 409),
    (lt.TranslationError, "wrong_state", 409),
]


def _refused(letter, language: str, refused: lt.TranslationError):
    problem, status = next((name, status) for kind, name, status in _REFUSALS if isinstance(refused, kind))
    holder = lt.claim_holder(refused.translation) if isinstance(refused, lt.ClaimedByOther) else None
    return render_template("moderate/translation_error.html", letter=letter, language=language, problem=problem, holder=holder), status
