"""Co-signatures awaiting a decision, or decided: listed per state (and per letter), and decided many
at a time. Only the signatures the moderator saw are decided, at the revision they saw."""

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import paging, signatures
from ..models import Letter, SignatureStatus
from ..params import page_number
from .blueprint import SMALL_INTEGER, bp, letter_or_404
from .forms import SignatureDecisionForm, SignatureHideForm, SignatureShowForm

_SEEN = re.compile(r"([0-9]{1,9}):([0-9]{1,9})")


@bp.get("/signatures")
def signature_queue():
    state, letter = signature_filters()
    form = SignatureDecisionForm(decision="unpublish" if state == SignatureStatus.PUBLISHED else "publish")
    return signature_page(state, letter, page_number(), form)


def signature_page(state: str, letter: Letter | None, number: int, form: SignatureDecisionForm, problem: str | None = None, **forms):
    """The queue page of `state` (and `letter`), with the decision form and, for admins, the emergency
    hide and show forms (`forms`: those sent back with their errors)."""
    try:
        page = signatures.queue_page(number, current_app.config["SIGNATURE_QUEUE_PER_PAGE"], status=state, letter=letter)
    except paging.PageOutOfRange:
        abort(404)
    forms.setdefault("hide_form", SignatureHideForm(formdata=None))
    forms.setdefault("show_form", SignatureShowForm(formdata=None))
    return render_template(
        "moderate/signatures.html",
        page=page, state=state, letter=letter, counts=signatures.state_counts(letter), form=form, problem=problem, **forms,
    )  # fmt: skip


def signature_filters() -> tuple[str, Letter | None]:
    """The state (pending unless asked) and letter (all unless asked) the page lists."""
    state = request.args.get("state", SignatureStatus.PENDING.value)
    if state not in SignatureStatus.__members__.values():
        abort(400)
    letter_id = request.args.get("letter")
    return state, letter_or_404(letter_id) if letter_id else None


def seen_on_page(scope: str) -> dict[int, int]:
    """The signatures the moderator saw, id to the revision shown: the ticked ones, or all shown."""
    seen = {int(m[1]): int(m[2]) for m in map(_SEEN.fullmatch, request.form.getlist("shown")[:1000]) if m}
    if scope == "selected":
        ticked = {int(value) for value in request.form.getlist("selected")[:1000] if SMALL_INTEGER.fullmatch(value)}
        seen = {key: revision for key, revision in seen.items() if key in ticked}
    return seen


@bp.post("/signatures")
def decide_signatures():
    """Decide the signatures the moderator saw: the ticked ones, or all shown. Those that changed meanwhile are skipped."""
    (state, letter), number = signature_filters(), page_number()
    form = SignatureDecisionForm()
    if not form.validate_on_submit():
        return signature_page(state, letter, number, form), 400
    seen = seen_on_page(form.scope.data)
    if not seen:
        problem = _("No signature was ticked. Tick some, or apply the decision to all shown.")
        return signature_page(state, letter, number, form, problem), 400
    result = signatures.decide(seen, form.decision.data, by=current_user, reason=form.reason.data)
    flash(_("Decided: %(done)s. Skipped because they changed since the page was shown: %(skipped)s.", done=result.done, skipped=result.skipped))
    if result.done and form.decision.data == "unpublish":
        flash(each_told())
    if result.illegal:
        flash(_("Left unchanged because this decision is not allowed from their current state: %(illegal)s.", illegal=result.illegal))
    return redirect(url_for(".signature_queue", state=state, letter=letter.public_id if letter else None), code=303)


def each_told() -> str:
    """What the team reads of the mail its change of many letters or signatures sent (pauses.py, signatures.decide)."""
    return _("Each person concerned is told by e-mail, once, unless their address has been erased.")
