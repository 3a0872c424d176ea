"""An admin's emergency hide of many letters at once (one letter is hidden from its review page,
decisions.hide): every published letter listed goes off the site, the count and future PDFs in one
transaction, with one reason on the record for each. The same for co-signatures, from the signature
queue (signature_queue): those ticked, or all shown, are hidden, or shown again if the team hid them."""

import re

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from .. import pauses
from ..compilation import cleanup
from ..params import page_number
from .blueprint import bp
from .forms import HideManyForm, SignatureDecisionForm, SignatureHideForm, SignatureShowForm
from .signature_queue import each_told, seen_on_page, signature_filters, signature_page

# A letter's public id as it stands alone on a line or ends a letter's address (…/letters/<id>).
PUBLIC_ID = re.compile(r"(?:^|/)([A-Za-z0-9_-]{16,32})/?$")


def listed_ids(text: str) -> list[str]:
    """The public ids in an admin's list: one a line, bare or as the letter's address."""
    found = [PUBLIC_ID.search(line.strip()) for line in text.splitlines() if line.strip()]
    return [match.group(1) for match in found if match]


@bp.route("/hide", methods=["GET", "POST"])
def hide_many():
    form = HideManyForm()
    if not form.validate_on_submit():
        return render_template("moderate/hide_many.html", form=form), 200 if not form.is_submitted() else 400
    hidden, skipped = pauses.hide_many(listed_ids(form.letters.data), by=current_user, reason=form.reason.data)
    for letter in hidden:
        cleanup.forget(letter.public_id)
    flash(ngettext("%(num)d letter hidden.", "%(num)d letters hidden.", len(hidden)))
    if hidden:
        flash(each_told())
    if skipped:
        flash(_("Not hidden (not found, or not public): %(ids)s", ids=", ".join(skipped)))
    return redirect(url_for(".hide_many"), code=303)


@bp.post("/signatures/hide")
def hide_signatures():
    """An admin's emergency hide of co-signatures: off their letters, the count and future PDFs at once."""
    form = SignatureHideForm()

    def act(seen: dict[int, int]) -> None:
        result = pauses.hide_signatures(seen, by=current_user, reason=form.hide_reason.data)
        flash(_("Hidden: %(done)s. Skipped because they changed since the page was shown: %(skipped)s.", done=result.done, skipped=result.skipped))
        if result.done:
            flash(each_told())
        if result.illegal:
            flash(_("Left unchanged because they are not public: %(illegal)s.", illegal=result.illegal))
        for public_id in result.letters:
            cleanup.forget(public_id, compilations=True, contents=False)

    return _signature_safety(form, act, hide_form=form)


@bp.post("/signatures/show")
def show_signatures():
    """Show again the co-signatures the team hid; those their signers hid stay hidden."""
    form = SignatureShowForm()

    def act(seen: dict[int, int]) -> None:
        result = pauses.show_signatures(seen, by=current_user)
        flash(_("Shown again: %(done)s. Skipped because they changed since the page was shown: %(skipped)s.", done=result.done, skipped=result.skipped))
        if result.done:
            flash(each_told())
        if result.not_yours:
            flash(_("Left hidden because their signers hid them; only they can show them again: %(num)s.", num=result.not_yours))
        if result.illegal:
            flash(_("Left unchanged because they are not hidden: %(illegal)s.", illegal=result.illegal))

    return _signature_safety(form, act, show_form=form)


def _signature_safety(form: SignatureShowForm, act, **sent_back):
    (state, letter), number = signature_filters(), page_number()
    if not form.validate_on_submit():
        return signature_page(state, letter, number, SignatureDecisionForm(formdata=None), **sent_back), 400
    seen = seen_on_page(form.safety_scope.data)
    if not seen:
        problem = _("No signature was ticked. Tick some, or apply the decision to all shown.")
        return signature_page(state, letter, number, SignatureDecisionForm(formdata=None), problem, **sent_back), 400
    act(seen)
    return redirect(url_for(".signature_queue", state=state, letter=letter.public_id if letter else None), code=303)
