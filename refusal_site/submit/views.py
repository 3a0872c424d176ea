"""Refusers: submit a letter, correct it before confirming, confirm it by a button behind a mailed link,
see its status, hide it for now and show it again, withdraw it. Co-signers have signing.py."""

import time
from functools import partial

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf

from .. import author_translations, delay_notice, drafts, letter_translations, letters, mail, pauses, reminders, tokens
from ..compilation import cleanup
from ..extensions import limiter
from ..http import CSRF_EXPIRED, configured_limit, csrf_refusal, no_store
from ..i18n import current_language
from ..mail_http import after_response
from ..models import Letter, LetterStatus
from ..page_cache import page_cache
from .correct_forms import AddressForm, CorrectTextForm
from .forms import ConfirmForm, LetterForm, OwnTranslationForm, PauseForm, ResendForm, SendBackTranslationForm, WithdrawForm

bp = Blueprint("submit", __name__)


bp.after_request(no_store)
_submit_limit = configured_limit("SUBMIT_RATE_LIMIT")
_confirm_limit = configured_limit("CONFIRM_RATE_LIMIT")
_resend_limit = configured_limit("RESEND_RATE_LIMIT")


class LinkProblem(Exception):
    """What a private link leads to cannot be done: the link has expired, was already used, or its
    letter is gone or not public. `problem` names the explanation link_problem.html gives."""

    def __init__(self, problem: str, status: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.status = status


@bp.errorhandler(tokens.TokenError)
@bp.errorhandler(LinkProblem)
def _link_problem(error: tokens.TokenError | LinkProblem):
    """A link that is forged, names nothing any more, has expired or was already used: one page for every route."""
    if isinstance(error, tokens.TokenError):
        error = LinkProblem("expired", 410) if isinstance(error, tokens.TokenExpired) else LinkProblem("invalid", 404)
    return render_template("submit/link_problem.html", problem=error.problem), error.status


@bp.errorhandler(CSRFError)
def _form_refused(error: CSRFError):
    """A letter can take longer to write than a form's token lives: a letter form sent after that comes
    back whole, with a fresh token, to be sent again. Any other refusal gets the site's usual page."""
    if request.endpoint != "submit.submit" or error.description != CSRF_EXPIRED:
        return csrf_refusal()
    flash(_("This form was open longer than we can accept, so it was not sent. Everything you wrote is still here: please check it and send it again."))
    return render_template("submit/form.html", form=LetterForm()), 400


def _letter(purpose: tokens.Purpose, token: str) -> Letter:
    """The letter a link names, or TokenError; LinkProblem for a link mailed to an address the author
    has since corrected."""
    public_id, link_version = tokens.read(purpose, token)
    letter = letters.letter_by_public_id(public_id)
    if letter is None:
        raise tokens.TokenInvalid(purpose)
    if link_version != letter.link_version:
        raise LinkProblem("superseded", 410)
    return letter


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"])
def submit():
    if request.method != "POST":  # GET, or HEAD (answered as GET); before any form, which would set a cookie
        return _blank_letter_form()
    form = LetterForm()
    if form.validate_on_submit():
        try:
            letter = letters.submit(
                display_name=form.display_name.data,
                descriptor=form.descriptor.data,
                language=form.language.data,
                title=form.title.data,
                body_text=form.body.data,
                contact_email=form.contact_email.data,
                submission_key=form.submission_key.data,
                collective=form.collective.data,
                second_text=form.second_text(),
            )
        except letters.DuplicateSubmission:
            return render_template("submit/duplicate.html"), 409
        _remember_submitted(letter)
        return redirect(url_for(".sent"), code=303)
    return render_template("submit/form.html", form=form), 400


# The blank letter form is one page per language but for two values of each visitor's own: it is
# rendered once per worker and language, and those values are put into their slots (the form is
# what everybody fetches in a spike, and rendering its fields is most of a request's cost).
_CSRF_SLOT, _KEY_SLOT = b"csrf-token-slot-7f3c", b"submission-key-slot-2b9e"


def _blank_letter_form() -> Response:
    key = (current_app.config["BUILD_ID"], current_language(), "blank letter form")
    page = page_cache().get(key)
    if page is None:
        g.shared_page = True  # rendered for anyone: without this visitor's flashed messages
        form = LetterForm()
        form.language.data = current_language()
        form.csrf_token.current_token = _CSRF_SLOT.decode()
        form.submission_key.data = _KEY_SLOT.decode()
        page = (render_template("submit/form.html", form=form).encode(), "text/html")
        page_cache().put(key, page, current_app.config["PAGE_CACHE_SIZE"])
    # Both values are URL-safe base64: nothing in them needs escaping in an attribute.
    body = page[0].replace(_CSRF_SLOT, generate_csrf().encode()).replace(_KEY_SLOT, LetterForm.new_submission_key().encode())
    return Response(body, mimetype=page[1])


# --- before confirming: the address the mail went to, and corrections ---------------------------

# How long the "check your e-mail" page shows this browser the address it submitted with: long
# enough to come back when no mail arrives, short enough that a shared computer's next user does
# not find it there days later.
SUBMITTED_SHOWN_SECONDS = 24 * 3600


def _remember_submitted(letter: Letter) -> None:
    """Keep in this browser's signed session (never in a URL) which letter it submitted."""
    session["submitted"] = {"letter": letter.public_id, "at": int(time.time())}


def _submitted_letter() -> Letter | None:
    """The unconfirmed letter this browser submitted lately, or None."""
    mine = session.get("submitted")
    if not isinstance(mine, dict) or not isinstance(mine.get("at"), int) or time.time() - mine["at"] > SUBMITTED_SHOWN_SECONDS:
        return None
    letter = letters.letter_by_public_id(str(mine.get("letter", "")))
    return letter if letter is not None and letter.status == LetterStatus.UNCONFIRMED else None


@bp.get("/submit/sent")
def sent():
    letter = _submitted_letter()
    return render_template("submit/sent.html", letter=letter, form=AddressForm(formdata=None) if letter else None)


@bp.post("/submit/sent/address")
@limiter.limit(_resend_limit)
def correct_sent_address():
    letter = _submitted_letter()
    if letter is None:
        raise LinkProblem("not_submitted_here", 409)
    form = AddressForm()
    if not form.validate_on_submit():
        return render_template("submit/sent.html", letter=letter, form=form), 400
    return _correct_address(letter, form.contact_email.data)


@bp.post("/my-letter/<token>/address")
@limiter.limit(_resend_limit)
def correct_address(token: str):
    letter = _letter(tokens.Purpose.MANAGE, token)
    form = AddressForm()
    if not form.validate_on_submit():
        return _manage_page(letter, token, 400, address_form=form)
    return _correct_address(letter, form.contact_email.data)


def _correct_address(letter: Letter, address: str):
    """A new confirmation to the new address; this browser then sees where it went."""
    try:
        letter = drafts.correct_address(letter, address)
    except letters.NothingChanged:
        pass
    except (letters.ConfirmationExpired, letters.LetterGone):
        raise LinkProblem("expired", 410) from None
    except letters.IllegalTransition:
        raise LinkProblem("used", 410) from None
    _remember_submitted(letter)
    return redirect(url_for(".sent"), code=303)


@bp.route("/my-letter/<token>/text", methods=["GET", "POST"])
@limiter.limit(_confirm_limit, methods=["POST"])
def correct_text(token: str):
    letter = _letter(tokens.Purpose.MANAGE, token)
    if letter.status != LetterStatus.UNCONFIRMED:
        raise LinkProblem("used", 410)
    given = author_translations.of_letter(letter)[:1]
    second = {"second_language": given[0].language, "second_title": given[0].title, "second_body": given[0].body_text} if given else {}
    form = CorrectTextForm(letter.language, data={"display_name": letter.display_name, "descriptor": letter.descriptor, "title": letter.title,
                                                  "body": letter.body_text, **second})  # fmt: skip
    if form.validate_on_submit():
        try:
            drafts.correct_text(letter, display_name=form.display_name.data, descriptor=form.descriptor.data, title=form.title.data, body_text=form.body.data,
                                second_text=form.second_text())  # fmt: skip
        except letters.NothingChanged:
            pass
        except (letters.ConfirmationExpired, letters.LetterGone):
            raise LinkProblem("expired", 410) from None
        except letters.IllegalTransition:
            raise LinkProblem("used", 410) from None
        return redirect(url_for(".manage", token=token), code=303)
    return render_template("submit/correct_text.html", form=form, letter=letter, token=token), 400 if request.method == "POST" else 200


@bp.route("/submit/resend", methods=["GET", "POST"])
@limiter.limit(_resend_limit, methods=["POST"])
def resend():
    form = ResendForm()
    if form.validate_on_submit():
        # The same answer, in the same time, whether or not we know the address: the look-up and
        # the mail happen after the response is sent, so timing cannot reveal who wrote a letter.
        after_response(partial(_resend_links, form.contact_email.data))
        return redirect(url_for(".resent"), code=303)
    return render_template("submit/resend.html", form=form), 400 if request.method == "POST" else 200


@bp.get("/submit/resend/sent")
def resent():
    return render_template("submit/resent.html")


def _resend_links(address: str) -> None:
    reminders.resend_links(address)
    mail.deliver_queued()


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_confirm_limit, methods=["POST"])
def confirm(token: str):
    letter = _letter(tokens.Purpose.CONFIRM, token)
    if letter.status != LetterStatus.UNCONFIRMED:
        raise LinkProblem("used", 410)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            letter = letters.confirm(letter)
        except (letters.ConfirmationExpired, letters.LetterGone):
            raise LinkProblem("expired", 410) from None
        except letters.IllegalTransition:
            raise LinkProblem("used", 410) from None
        return redirect(url_for(".manage", token=tokens.make(tokens.Purpose.MANAGE, letter), confirmed=1), code=303)
    return render_template("submit/confirm.html", form=form, letter=letter)


@bp.get("/my-letter/<token>")
def manage(token: str):
    return _manage_page(_letter(tokens.Purpose.MANAGE, token), token, just_confirmed=bool(request.args.get("confirmed")))


def _manage_page(letter: Letter, token: str, status: int = 200, **context):
    """The letter's private page: its forms (blank unless given), and for a waiting letter the delay notice."""
    context.setdefault("form", WithdrawForm(formdata=None))
    context.setdefault("address_form", AddressForm(formdata=None))
    context.setdefault("pause_form", PauseForm(formdata=None, revision=letter.revision))
    context.update(_translations(letter, context.pop("back_forms", {}), context.pop("own_form", None)))
    page = render_template("submit/manage.html", letter=letter, token=token, delay_notice=delay_notice.notice(current_language()), **context)
    return page, status


def _translations(letter: Letter, back_forms: dict, own_form: OwnTranslationForm | None) -> dict:
    """The letter's translations on its private page: each waiting for the author with its buttons
    (a form sent back with errors in its place), their own waiting for the team's check or sent
    back with the team's reason, and the form to write one of their own (holding the one sent back)."""
    translations = letter_translations.of_letter(letter)
    mine = author_translations.of_letter(letter)
    seen = {f"revision_{m.language}": m.revision for m in mine}
    returned = [m for m in mine if m.status == author_translations.S.RETURNED][:1]
    again = {"language": returned[0].language, "title": returned[0].title, "body": returned[0].body_text} if returned else {}
    return {
        "translations": translations,
        "mine": mine,
        "as_letter": letter_translations.as_letter,
        "back_forms": {t.language: back_forms.get(t.language) or SendBackTranslationForm(formdata=None, prefix=f"back-{t.language}", revision=t.revision)
                       for t in translations},  # fmt: skip
        "own_form": own_form or OwnTranslationForm(letter.language, formdata=None, **seen, **again),
    }


@bp.post("/my-letter/<token>/withdraw")
@limiter.limit(_confirm_limit)
def withdraw(token: str):
    letter = _letter(tokens.Purpose.MANAGE, token)
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _manage_page(letter, token, 400, form=form)
    try:
        letter = letters.withdraw(letter)
    except letters.LetterGone:
        raise LinkProblem("invalid", 410) from None
    except letters.IllegalTransition:
        return _manage_page(letter, token, 409, form=form, already_withdrawn=True)
    # No cached PDF of this machine shows the letter any more (each machine's builder service sweeps its own).
    shown = letter.published_at is not None
    cleanup.forget(letter.public_id, compilations=shown, contents=shown)
    return redirect(url_for(".manage", token=token), code=303)


@bp.post("/my-letter/<token>/hide")
@limiter.limit(_confirm_limit)
def pause(token: str):
    """The safety pause: the author hides their published letter at once, to show it again later."""
    return _pause_or_resume(token, pauses.pause)


@bp.post("/my-letter/<token>/show")
@limiter.limit(_confirm_limit)
def resume(token: str):
    return _pause_or_resume(token, pauses.resume)


def _pause_or_resume(token: str, act):
    letter = _letter(tokens.Purpose.MANAGE, token)
    form = PauseForm()
    if not form.validate_on_submit():
        return _manage_page(letter, token, 400, out_of_date=True)
    try:
        letter = act(letter, expected_revision=form.revision.data)
    except letters.LetterGone:
        raise LinkProblem("invalid", 410) from None
    except (letters.StaleLetter, letters.IllegalTransition, pauses.NotYours):
        current = letters.letter_by_public_id(letter.public_id)
        if _already_as_asked(current, act):
            # The same button pressed twice (or in two tabs): done once, and said so.
            flash(_("Already done: the button was pressed twice, and nothing was done twice."))
            return redirect(url_for(".manage", token=token), code=303)
        # Pressed on a page older than the letter's state (another tab, a moderator's decision): nothing
        # was done; the page as it stands now says what can be done (a withdrawn letter is gone for good: 410).
        return _manage_page(current, token, 410 if current.status == LetterStatus.WITHDRAWN else 409, out_of_date=True)
    if letter.status == LetterStatus.PAUSED:
        # No cached PDF of this machine shows it meanwhile (each machine's builder service sweeps its own).
        cleanup.forget(letter.public_id)
        flash(_("Done: your letter is hidden. Nobody sees it on the site until you show it again from this page."))
    else:
        flash(_("Done: your letter is back on the site with its original date, and you are counted again."))
    return redirect(url_for(".manage", token=token), code=303)


def _already_as_asked(letter: Letter, act) -> bool:
    """The letter is already as the author's button asked: hidden by its author, or public again."""
    if act is pauses.pause:
        return letter.status == LetterStatus.PAUSED and letter.paused_by == pauses.AUTHOR
    return letter.status == LetterStatus.PUBLISHED
