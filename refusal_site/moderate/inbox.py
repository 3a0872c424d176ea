"""The team's inbox: messages sent through the contact form, open ones first; a message read and
marked handled (or open again), each mark audited. Every moderator sees it."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import contact
from ..extensions import db
from ..forms import Form
from ..params import page_number
from .blueprint import bp


@bp.get("/inbox")
def inbox():
    handled, number = request.args.get("handled") == "1", page_number()
    per_page = current_app.config["QUEUE_PER_PAGE"]
    query = contact.inbox(handled=handled).limit(per_page + 1).offset((number - 1) * per_page)
    rows = db.session.execute(query).scalars().all()
    if number > 1 and not rows:
        abort(404)
    return render_template(
        "moderate/inbox.html", messages=rows[:per_page], has_next=len(rows) > per_page, number=number, handled=handled,
        open_count=contact.open_count(), kind_labels=contact.KIND_LABELS,
    )  # fmt: skip


def _message_or_404(message_id: int):
    message = contact.message_by_id(message_id)
    if message is None:
        abort(404)
    return message


@bp.get("/inbox/<int:message_id>")
def inbox_message(message_id: int):
    message = _message_or_404(message_id)
    return render_template("moderate/inbox_message.html", message=message, form=Form(), kind_labels=contact.KIND_LABELS)


@bp.post("/inbox/<int:message_id>/<any(handled, open):mark>")
def inbox_mark(message_id: int, mark: str):
    message = _message_or_404(message_id)
    if not Form().validate_on_submit():
        abort(400)
    try:
        contact.mark_handled(message, by=current_user, handled=mark == "handled")
    except contact.AlreadyDone:
        # Another moderator (or another tab) got there first: nothing to undo, say so.
        flash(_("This message was already marked so."))
        return redirect(url_for(".inbox_message", message_id=message_id), code=303)
    flash(_("Marked handled.") if mark == "handled" else _("Open again."))
    return redirect(url_for(".inbox") if mark == "handled" else url_for(".inbox_message", message_id=message_id), code=303)
