"""Co-signing a collective letter: the form, the confirmation link, and the co-signer's private page
(withdraw; hide for now and show again). Routes of the submit blueprint (views.py)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from .. import letters, pauses, published, signatures, tokens
from ..compilation import cleanup
from ..extensions import limiter
from ..http import configured_limit
from ..models import LetterStatus, Signature, SignatureStatus
from .forms import ConfirmForm, PauseForm, SignForm, WithdrawSignatureForm
from .views import LinkProblem, bp

_confirm_limit = configured_limit("CONFIRM_RATE_LIMIT")
_sign_limit = configured_limit("SIGN_RATE_LIMIT")


def _signature(purpose: tokens.Purpose, token: str) -> Signature:
    """The signature a link names, or TokenError."""
    signature = signatures.signature_by_public_id(tokens.read(purpose, token)[0])
    if signature is None:
        raise tokens.TokenInvalid(purpose)
    return signature


@bp.route("/letters/<public_id>/sign", methods=["GET", "POST"])
@limiter.limit(_sign_limit, methods=["POST"])
def sign(public_id: str):
    letter = published.published_letter(public_id)
    if letter is None or not letter.collective:
        abort(404)
    if not letter.open_for_signing:
        return render_template("submit/sign_closed.html", letter=letter), 409 if request.method == "POST" else 200
    form = SignForm()
    if not form.is_submitted():  # GET, or HEAD (answered as GET)
        form.submission_key.data = SignForm.new_submission_key()
    elif form.validate_on_submit():
        try:
            signatures.sign(
                letter,
                display_name=form.display_name.data,
                descriptor=form.descriptor.data,
                contact_email=form.contact_email.data,
                submission_key=form.submission_key.data,
            )
        except signatures.DuplicateSigning:
            return render_template("submit/sign_duplicate.html", letter=letter), 409
        except signatures.NotOpenForSigning:
            return render_template("submit/sign_closed.html", letter=letter), 409
        except (signatures.AlreadySigned, signatures.AuthorSigning):
            # The same page as a first signature, so the page never tells whether an address signed;
            # the address itself was told by mail, with its links.
            pass
        return redirect(url_for(".sign_sent", public_id=letter.public_id), code=303)
    return render_template("submit/sign.html", form=form, letter=letter), 400 if request.method == "POST" else 200


@bp.get("/letters/<public_id>/sign/sent")
def sign_sent(public_id: str):
    letter = published.published_letter(public_id)
    if letter is None:
        abort(404)
    return render_template("submit/sign_sent.html", letter=letter)


@bp.route("/signature/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_confirm_limit, methods=["POST"])
def confirm_signature(token: str):
    signature = _signature(tokens.Purpose.SIGNATURE_CONFIRM, token)
    if signature.status != SignatureStatus.UNCONFIRMED:
        raise LinkProblem("signature_used", 410)
    if signature.letter.status != LetterStatus.PUBLISHED:
        raise LinkProblem("letter_not_public", 409)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            signature = signatures.confirm(signature)
        except (signatures.SignatureExpired, letters.LetterGone):
            raise LinkProblem("expired", 410) from None
        except signatures.IllegalSignatureMove:
            raise LinkProblem("signature_used", 410) from None
        except signatures.NotOpenForSigning:
            raise LinkProblem("letter_not_public", 409) from None
        manage_token = tokens.make(tokens.Purpose.SIGNATURE_MANAGE, signature)
        return redirect(url_for(".signature", token=manage_token, confirmed=1), code=303)
    return render_template("submit/confirm_signature.html", form=form, signature=signature, letter=signature.letter)


def _signature_page(token: str, form: WithdrawSignatureForm, status: int = 200, **context):
    signature = _signature(tokens.Purpose.SIGNATURE_MANAGE, token)
    context.setdefault("pause_form", PauseForm(formdata=None, revision=signature.revision))
    page = render_template("submit/signature.html", signature=signature, letter=signature.letter, token=token, form=form, **context)
    return page, status


@bp.get("/my-signature/<token>")
def signature(token: str):
    return _signature_page(token, WithdrawSignatureForm(), just_confirmed=bool(request.args.get("confirmed")))


@bp.post("/my-signature/<token>/withdraw")
@limiter.limit(_confirm_limit)
def withdraw_signature(token: str):
    signature = _signature(tokens.Purpose.SIGNATURE_MANAGE, token)
    form = WithdrawSignatureForm()
    if not form.validate_on_submit():
        return _signature_page(token, form, 400)
    try:
        signature = signatures.withdraw(signature)
    except letters.LetterGone:
        raise LinkProblem("invalid", 410) from None
    except signatures.IllegalSignatureMove:
        return _signature_page(token, form, 409, already_withdrawn=True)
    # No cached PDF of this machine shows the signer's name any more (each machine's builder service sweeps its own).
    cleanup.forget(signature.letter.public_id, compilations=True, contents=False)
    return redirect(url_for(".signature", token=token), code=303)


@bp.post("/my-signature/<token>/hide")
@limiter.limit(_confirm_limit)
def pause_signature(token: str):
    """The safety pause: the co-signer hides their published signature at once, to show it again later."""
    return _pause_or_resume_signature(token, pauses.pause_signature)


@bp.post("/my-signature/<token>/show")
@limiter.limit(_confirm_limit)
def resume_signature(token: str):
    return _pause_or_resume_signature(token, pauses.resume_signature)


def _pause_or_resume_signature(token: str, act):
    signature = _signature(tokens.Purpose.SIGNATURE_MANAGE, token)
    form = PauseForm()
    if not form.validate_on_submit():
        return _signature_page(token, WithdrawSignatureForm(formdata=None), 400, out_of_date=True)
    try:
        signature = act(signature, expected_revision=form.revision.data)
    except letters.LetterGone:
        raise LinkProblem("invalid", 410) from None
    except letters.NothingChanged:
        # The same button pressed twice (or in two tabs): already as asked, nothing done twice, and
        # said so, as on a letter's page.
        flash(_("Already done: the button was pressed twice, and nothing was done twice."))
        return redirect(url_for(".signature", token=token), code=303)
    except (letters.StaleLetter, signatures.IllegalSignatureMove, pauses.NotYours):
        # Pressed on a page older than the signature's state: nothing was done; the page as it stands
        # now says what can be done (a withdrawn signature is gone for good: 410).
        gone = signatures.signature_by_public_id(signature.public_id).status == SignatureStatus.WITHDRAWN
        return _signature_page(token, WithdrawSignatureForm(formdata=None), 410 if gone else 409, out_of_date=not gone, already_withdrawn=gone)
    if signature.status == SignatureStatus.PAUSED:
        # No cached PDF of this machine shows the signer's name meanwhile (each machine's builder service sweeps its own).
        cleanup.forget(signature.letter.public_id, compilations=True, contents=False)
        flash(_("Done: your signature is hidden. Nobody sees your name under the letter until you show it again from this page."))
    else:
        flash(_("Done: your name is back under the letter in its place, with its original date, and you are counted again."))
    return redirect(url_for(".signature", token=token), code=303)
