"""The author and the translations of their letter, from its private page: approving one the team
sent (as the page showed it), sending it back with a comment, or writing their own, which the team
checks before it is shown. A stale page, or a letter withdrawn meanwhile, is a clear 409/410 and
nothing is stored.
Routes of the submit blueprint (views.py)."""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _

from .. import author_translations as at
from .. import letter_translations as lt
from .. import tokens
from ..models import TranslationApproval
from ..sanitize import clean_text
from ..extensions import limiter
from ..http import configured_limit
from .forms import ApproveTranslationForm, OwnTranslationForm, SendBackTranslationForm
from .views import _letter, _manage_page, bp

_confirm_limit = configured_limit("CONFIRM_RATE_LIMIT")


def _translation(letter, language: str):
    found = lt.of_letter(letter, language) if language in ("he", "ar", "en") else []
    if not found:
        abort(404)
    return found[0]


@bp.post("/my-letter/<token>/translations/<language>/approve")
@limiter.limit(_confirm_limit)
def approve_translation(token: str, language: str):
    letter = _letter(tokens.Purpose.MANAGE, token)
    translation = _translation(letter, language)
    form = ApproveTranslationForm(prefix=f"approve-{language}")
    if not form.validate_on_submit():
        return _manage_page(letter, token, 400, translation_out_of_date=True)
    try:
        lt.approve(translation, expected_revision=form.revision.data)
    except lt.TranslationError as refused:
        if _already_as_asked(letter, language, form.revision.data, status=lt.S.APPROVED, approved_by=TranslationApproval.AUTHOR):
            return _already_done(token)
        return _refused(letter, token, refused)
    flash(_("Done: the translation is approved and shown beside your letter, marked as approved by you."))
    return redirect(url_for(".manage", token=token), code=303)


@bp.post("/my-letter/<token>/translations/<language>/send-back")
@limiter.limit(_confirm_limit)
def send_back_translation(token: str, language: str):
    letter = _letter(tokens.Purpose.MANAGE, token)
    translation = _translation(letter, language)
    form = SendBackTranslationForm(prefix=f"back-{language}")
    if not form.validate_on_submit():
        return _manage_page(letter, token, 400, back_forms={language: form})
    try:
        lt.send_back(translation, comment=form.comment.data, expected_revision=form.revision.data)
    except lt.TranslationError as refused:
        if _already_as_asked(letter, language, form.revision.data, status=lt.S.RETURNED, author_comment=clean_text(form.comment.data)):
            return _already_done(token)
        return _refused(letter, token, refused)
    flash(_("Done: the translation went back to the team with your comment. It is not shown on the site."))
    return redirect(url_for(".manage", token=token), code=303)


@bp.post("/my-letter/<token>/translations")
@limiter.limit(_confirm_limit)
def write_translation(token: str):
    letter = _letter(tokens.Purpose.MANAGE, token)
    form = OwnTranslationForm(letter.language)
    if not form.validate_on_submit():
        return _manage_page(letter, token, 400, own_form=form)
    try:
        at.write(letter, form.language.data, title=form.title.data, body_text=form.body.data, expected_revision=form.seen_revision())
    except lt.TranslationError as refused:
        # The same words sent since the page was drawn (a new one's revisions start past the last
        # published one's, so "once since" is "later", not "one more").
        found = at.of_letter(letter, form.language.data)
        if found and found[0].revision > form.seen_revision() and found[0].status == at.S.WAITING and found[0].body_text == clean_text(form.body.data):
            return _already_done(token)
        return _refused(letter, token, refused, own_form=form)
    flash(_("Sent: the site's team checks your translation, as they checked your letter, and then shows it beside your letter."))
    return redirect(url_for(".manage", token=token), code=303)


def _already_as_asked(letter, language: str, seen_revision: int, **asked) -> bool:
    """Whether the translation moved exactly once since the page the button was pressed on, to what
    the button asks: the same button pressed twice (or in two tabs), done once."""
    found = lt.of_letter(letter, language)
    return bool(found) and found[0].revision == seen_revision + 1 and all(getattr(found[0], name) == value for name, value in asked.items())


def _already_done(token: str):
    flash(_("Already done: the button was pressed twice, and nothing was done twice."))
    return redirect(url_for(".manage", token=token), code=303)


def _refused(letter, token: str, refused: lt.TranslationError, **context):
    """Nothing was done: the page as it stands now says why (a withdrawn letter is gone for good: 410)."""
    status = 410 if isinstance(refused, lt.LetterWithdrawn) else 409
    return _manage_page(letter, token, status, translation_out_of_date=True, **context)
