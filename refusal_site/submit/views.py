"""Refusers: submit a letter, confirm it by a button behind a mailed link, see its status, withdraw it."""

from flask import Blueprint, current_app, redirect, render_template, request, url_for

from .. import letters, mail, tokens
from ..extensions import limiter
from ..http import site_url
from ..i18n import current_language
from ..models import Letter, LetterStatus
from .forms import ConfirmForm, LetterForm, ResendForm, WithdrawForm

bp = Blueprint("submit", __name__)


@bp.after_request
def _private(response):
    # Forms and an author's own pages must never be kept by a browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _submit_limit() -> str:
    return current_app.config["SUBMIT_RATE_LIMIT"]


def _confirm_limit() -> str:
    return current_app.config["CONFIRM_RATE_LIMIT"]


def _resend_limit() -> str:
    return current_app.config["RESEND_RATE_LIMIT"]


def send_links(letter: Letter, template: str = "confirm") -> bool:
    """Mail the author their links; False (and the letter kept) when the mail could not go out."""
    links = {"manage_url": site_url("submit.manage", token=tokens.make(tokens.Purpose.MANAGE, letter))}
    if letter.status == LetterStatus.UNCONFIRMED:
        links["confirm_url"] = site_url("submit.confirm", token=tokens.make(tokens.Purpose.CONFIRM, letter))
    try:
        mail.send(template, letter.contact_email, language=letter.language, letter=letter, **links)
    except mail.MailError:
        return False
    return True


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
        return redirect(url_for(".sent", mail="ok" if send_links(letter) else "failed"), code=303)
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
        for letter in letters.letters_for_contact(form.contact_email.data):
            send_links(letter, template="links")
        # The same answer whether or not we know the address: this page must not reveal who wrote.
        return render_template("submit/resent.html")
    return render_template("submit/resend.html", form=form), 400 if request.method == "POST" else 200


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
    except letters.IllegalTransition:
        return render_template("submit/manage.html", letter=letter, token=token, form=form, already_withdrawn=True), 409
    return redirect(url_for(".manage", token=token), code=303)
