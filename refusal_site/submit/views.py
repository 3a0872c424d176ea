"""Refusers: submit a letter, confirm it by a button behind a mailed link, see its status, withdraw it."""

from flask import Blueprint, after_this_request, current_app, redirect, render_template, request, url_for

from .. import letters, notify, tokens
from ..extensions import limiter
from ..http import configured_limit, no_store
from ..i18n import current_language
from ..models import LetterStatus
from .forms import ConfirmForm, LetterForm, ResendForm, WithdrawForm

bp = Blueprint("submit", __name__)


bp.after_request(no_store)
_submit_limit = configured_limit("SUBMIT_RATE_LIMIT")
_confirm_limit = configured_limit("CONFIRM_RATE_LIMIT")
_resend_limit = configured_limit("RESEND_RATE_LIMIT")


@bp.route("/submit", methods=["GET", "POST"])
@limiter.limit(_submit_limit, methods=["POST"])
def submit():
    form = LetterForm()
    if request.method == "GET":
        form.language.data = current_language()
        form.submission_key.data = LetterForm.new_submission_key()
    elif form.validate_on_submit():
        try:
            letter = letters.submit(
                display_name=form.display_name.data,
                descriptor=form.descriptor.data,
                language=form.language.data,
                title=form.title.data,
                body_text=form.body.data,
                contact_email=form.contact_email.data,
                submission_key=form.submission_key.data,
            )
        except letters.DuplicateSubmission:
            return render_template("submit/duplicate.html"), 409
        return redirect(url_for(".sent", mail="ok" if notify.send_links(letter) else "failed"), code=303)
    status = 400 if request.method == "POST" else 200
    return render_template("submit/form.html", form=form), status


@bp.get("/submit/sent")
def sent():
    return render_template("submit/sent.html", mail_failed=request.args.get("mail") == "failed")


@bp.route("/submit/resend", methods=["GET", "POST"])
@limiter.limit(_resend_limit, methods=["POST"])
def resend():
    form = ResendForm()
    if form.validate_on_submit():
        # The same answer, in the same time, whether or not we know the address: the mail goes
        # out after the response is sent, so timing cannot reveal who wrote a letter.
        _after_response(_resend_links, form.contact_email.data)
        return render_template("submit/resent.html")
    return render_template("submit/resend.html", form=form), 400 if request.method == "POST" else 200


def _resend_links(address: str) -> None:
    for letter in letters.letters_for_contact(address):
        notify.send_links(letter, template="links")


def _after_response(work, *args) -> None:
    app = current_app._get_current_object()

    @after_this_request
    def _schedule(response):
        def run() -> None:
            with app.app_context():
                work(*args)

        response.call_on_close(run)
        return response


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_confirm_limit, methods=["POST"])
def confirm(token: str):
    try:
        letter = tokens.read(tokens.Purpose.CONFIRM, token)
    except tokens.TokenExpired:
        return render_template("submit/link_problem.html", problem="expired"), 410
    except tokens.TokenInvalid:
        return render_template("submit/link_problem.html", problem="invalid"), 404
    if letter.status != LetterStatus.UNCONFIRMED:
        return render_template("submit/link_problem.html", problem="used", letter=letter), 410
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            letter = letters.confirm(letter)
        except letters.ConfirmationExpired:
            return render_template("submit/link_problem.html", problem="expired"), 410
        except letters.IllegalTransition:
            return render_template("submit/link_problem.html", problem="used", letter=letter), 410
        except letters.LetterGone:
            return render_template("submit/link_problem.html", problem="expired"), 410
        return redirect(url_for(".manage", token=tokens.make(tokens.Purpose.MANAGE, letter), confirmed=1), code=303)
    return render_template("submit/confirm.html", form=form, letter=letter)


@bp.get("/my-letter/<token>")
def manage(token: str):
    try:
        letter = tokens.read(tokens.Purpose.MANAGE, token)
    except tokens.TokenError:
        return render_template("submit/link_problem.html", problem="invalid"), 404
    return render_template(
        "submit/manage.html", letter=letter, token=token, form=WithdrawForm(), just_confirmed=bool(request.args.get("confirmed"))
    )


@bp.post("/my-letter/<token>/withdraw")
@limiter.limit(_confirm_limit)
def withdraw(token: str):
    try:
        letter = tokens.read(tokens.Purpose.MANAGE, token)
    except tokens.TokenError:
        return render_template("submit/link_problem.html", problem="invalid"), 404
    form = WithdrawForm()
    if not form.validate_on_submit():
        return render_template("submit/manage.html", letter=letter, token=token, form=form), 400
    try:
        letters.withdraw(letter)
    except letters.LetterGone:
        return render_template("submit/link_problem.html", problem="invalid"), 410
    except letters.IllegalTransition:
        return render_template("submit/manage.html", letter=letter, token=token, form=form, already_withdrawn=True), 409
    return redirect(url_for(".manage", token=token), code=303)
