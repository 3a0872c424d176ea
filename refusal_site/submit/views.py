"""Refusers: submit a letter, confirm it by a button behind a mailed link, see its status, withdraw it."""

from flask import Blueprint, abort, after_this_request, current_app, redirect, render_template, request, url_for

from .. import letters, notify, signatures, tokens
from ..extensions import limiter
from ..http import configured_limit, no_store
from ..i18n import current_language
from ..models import LetterStatus, SignatureStatus
from .forms import ConfirmForm, LetterForm, ResendForm, SignForm, WithdrawForm, WithdrawSignatureForm

bp = Blueprint("submit", __name__)


bp.after_request(no_store)
_submit_limit = configured_limit("SUBMIT_RATE_LIMIT")
_confirm_limit = configured_limit("CONFIRM_RATE_LIMIT")
_resend_limit = configured_limit("RESEND_RATE_LIMIT")
_sign_limit = configured_limit("SIGN_RATE_LIMIT")


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
                collective=form.collective.data,
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
    for signature in signatures.signatures_for_contact(address):
        notify.send_signer_links(signature, template="signature_links")


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


# --- co-signing a collective letter ---------------------------------------------------------------


@bp.route("/letters/<public_id>/sign", methods=["GET", "POST"])
@limiter.limit(_sign_limit, methods=["POST"])
def sign(public_id: str):
    letter = letters.published_letter(public_id)
    if letter is None or not letter.collective:
        abort(404)
    if not letter.open_for_signing:
        return render_template("submit/sign_closed.html", letter=letter), 409 if request.method == "POST" else 200
    form = SignForm()
    if request.method == "GET":
        form.submission_key.data = SignForm.new_submission_key()
    elif form.validate_on_submit():
        try:
            signature = signatures.sign(
                letter,
                display_name=form.display_name.data,
                descriptor=form.descriptor.data,
                contact_email=form.contact_email.data,
                submission_key=form.submission_key.data,
            )
            sent = notify.send_signer_links(signature)
        except signatures.DuplicateSigning:
            return render_template("submit/sign_duplicate.html", letter=letter), 409
        except signatures.NotOpenForSigning:
            return render_template("submit/sign_closed.html", letter=letter), 409
        except signatures.AlreadySigned as already:
            # The same page as a first signature, so the page never tells whether an address signed;
            # the address itself is told, with its links.
            sent = notify.send_signer_links(already.signature, template="sign_again")
        return redirect(url_for(".sign_sent", public_id=letter.public_id, mail="ok" if sent else "failed"), code=303)
    return render_template("submit/sign.html", form=form, letter=letter), 400 if request.method == "POST" else 200


@bp.get("/letters/<public_id>/sign/sent")
def sign_sent(public_id: str):
    letter = letters.published_letter(public_id)
    if letter is None:
        abort(404)
    return render_template("submit/sign_sent.html", letter=letter, mail_failed=request.args.get("mail") == "failed")


@bp.route("/signature/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_confirm_limit, methods=["POST"])
def confirm_signature(token: str):
    try:
        signature = tokens.read_signature(tokens.Purpose.SIGNATURE_CONFIRM, token)
    except tokens.TokenExpired:
        return render_template("submit/link_problem.html", problem="expired"), 410
    except tokens.TokenInvalid:
        return render_template("submit/link_problem.html", problem="invalid"), 404
    if signature.status != SignatureStatus.UNCONFIRMED:
        return render_template("submit/link_problem.html", problem="signature_used"), 410
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            signature = signatures.confirm(signature)
        except (signatures.SignatureExpired, letters.LetterGone):
            return render_template("submit/link_problem.html", problem="expired"), 410
        except signatures.IllegalSignatureMove:
            return render_template("submit/link_problem.html", problem="signature_used"), 410
        manage_token = tokens.make(tokens.Purpose.SIGNATURE_MANAGE, signature)
        return redirect(url_for(".signature", token=manage_token, confirmed=1), code=303)
    return render_template("submit/confirm_signature.html", form=form, signature=signature, letter=signature.letter)


def _signature_page(token: str, form: WithdrawSignatureForm, status: int = 200, **context):
    try:
        signature = tokens.read_signature(tokens.Purpose.SIGNATURE_MANAGE, token)
    except tokens.TokenError:
        return render_template("submit/link_problem.html", problem="invalid"), 404
    page = render_template("submit/signature.html", signature=signature, letter=signature.letter, token=token, form=form, **context)
    return page, status


@bp.get("/my-signature/<token>")
def signature(token: str):
    return _signature_page(token, WithdrawSignatureForm(), just_confirmed=bool(request.args.get("confirmed")))


@bp.post("/my-signature/<token>/withdraw")
@limiter.limit(_confirm_limit)
def withdraw_signature(token: str):
    try:
        signature = tokens.read_signature(tokens.Purpose.SIGNATURE_MANAGE, token)
    except tokens.TokenError:
        return render_template("submit/link_problem.html", problem="invalid"), 404
    form = WithdrawSignatureForm()
    if not form.validate_on_submit():
        return _signature_page(token, form, 400)
    try:
        signatures.withdraw(signature)
    except letters.LetterGone:
        return render_template("submit/link_problem.html", problem="invalid"), 410
    except signatures.IllegalSignatureMove:
        return _signature_page(token, form, 409, already_withdrawn=True)
    return redirect(url_for(".signature", token=token), code=303)
