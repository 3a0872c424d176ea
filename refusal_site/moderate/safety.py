"""An admin's emergency hide of many letters at once (one letter is hidden from its review page,
decisions.hide): every published letter listed goes off the site, the count and future PDFs in one
transaction, with one reason on the record for each."""

import re

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _, ngettext
from flask_login import current_user

from .. import pauses
from ..compilation import cleanup
from .blueprint import bp
from .forms import HideManyForm

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
    if skipped:
        flash(_("Not hidden (not found, or not public): %(ids)s", ids=", ".join(skipped)))
    return redirect(url_for(".hide_many"), code=303)
