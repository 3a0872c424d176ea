"""The queue of letters, a letter's review page, and every decision on a letter: publish, schedule,
reject, take down, open or close co-signing, correct. A stale page or an illegal move is a clear
409/410, never a 500."""

from zoneinfo import ZoneInfo

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from babel.lists import format_list
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import author_translations, letter_translations, letters, moderation, pauses, paging, signatures
from ..compilation import cleanup, unprintable
from ..audit import AuditAction
from ..i18n import site_time, site_zone
from ..models import LetterStatus
from ..params import language_filter, page_number
from .blueprint import bp, letter_or_404
from .forms import ApproveForm, DecisionForm, EditForm, HideForm, ReasonForm, ScheduleForm


def _state_filter() -> str:
    state = request.args.get("state", LetterStatus.PENDING.value)
    if state not in LetterStatus.__members__.values():
        abort(400)
    return state


@bp.get("/")
def queue():
    state, language, number = _state_filter(), language_filter(), page_number()
    try:
        page = moderation.queue_page(number, current_app.config["QUEUE_PER_PAGE"], status=state, language=language)
    except paging.PageOutOfRange:
        abort(404)
    return render_template("moderate/queue.html", page=page, counts=moderation.state_counts(), state=state, language=language,
                           unprintable=unprintable.unprintable_letters())


# The states from which a letter can be published: its review page says if its PDF cannot be made.
APPROVABLE = frozenset({LetterStatus.PENDING, LetterStatus.SCHEDULED, LetterStatus.UNPUBLISHED})


# Where the review page shows each form that has fields a moderator fills in.
_REVIEW_SLOTS = {ScheduleForm: "schedule_form", ReasonForm: "reason_form"}


@bp.get("/letters/<public_id>")
def review(public_id: str):
    return _review_page(letter_or_404(public_id))


def _review_page(letter, **sent_back):
    """The review page; `sent_back` is a decision form refused, shown with its errors and all that was typed."""
    blank = {
        "decision": ApproveForm(revision=letter.revision),
        "schedule_form": ScheduleForm(revision=letter.revision),
        "reason_form": ReasonForm(revision=letter.revision),
        "hide_form": HideForm(prefix=HideForm.PREFIX, revision=letter.revision),
    }
    return render_template(
        "moderate/review.html",
        letter=letter,
        duplicates=moderation.possible_duplicates(letter),
        versions=moderation.versions(letter),
        history=moderation.letter_history(letter),
        **(blank | sent_back),
        timezone=site_zone(),
        signature_counts=signatures.state_counts(letter) if letter.collective else None,
        render_problem=unprintable.render_problem(letter) if letter.status in APPROVABLE else None,
        author_translations=author_translations.of_letter(letter), as_letter=letter_translations.as_letter,
        going_out=_going_out_with(letter),
        made_before=author_translations.made_before_correction,
    )


def _decide(public_id: str, form_class, decide, *, action: AuditAction, back_to_letter: bool = False):
    """Run one decision; a stale page, a letter gone or an illegal move becomes a clear 409/410. The
    same decision sent twice by the same moderator (a double click) is done once and said so."""
    letter = letter_or_404(public_id)
    form = form_class()
    if not form.validate_on_submit():
        if form_class in _REVIEW_SLOTS and "revision" not in form.errors:
            # A reason too long or missing: back in its box, whole, with the message next to it.
            return _review_page(letter, **{_REVIEW_SLOTS[form_class]: form}), 400
        return render_template("moderate/decision_error.html", letter=letter, form=form), 400
    try:
        message = decide(letter, form)
    except letters.StaleLetter:
        if moderation.last_event_is(letter, action, by=current_user):
            flash(_("Already done: the button was pressed twice, and nothing was done twice."))
            return redirect(url_for(".review", public_id=public_id) if back_to_letter else url_for(".queue"), code=303)
        return render_template("moderate/decision_error.html", letter=letter, stale=True), 409
    except letters.LetterGone:
        return render_template("moderate/decision_error.html", letter=None, gone=True), 410
    except (letters.IllegalTransition, letters.NothingChanged, pauses.NotYours):
        return render_template("moderate/decision_error.html", letter=letter, illegal=True), 409
    except letters.ScheduleInPast:
        return render_template("moderate/decision_error.html", letter=letter, past=True), 400
    flash(message)
    return redirect(url_for(".review", public_id=public_id) if back_to_letter else url_for(".queue"), code=303)


def _going_out_with(letter) -> list:
    """The approved translations a decision to publish this letter makes public with it (one ticked
    when it was scheduled, before its embargo was lifted, or public before it was taken down): whoever
    decides now reads them too."""
    if letter.status not in APPROVABLE:
        return []
    return [t for t in letter_translations.of_letter(letter) if t.status == letter_translations.S.APPROVED]


@bp.post("/letters/<public_id>/approve")
def approve(public_id: str):
    def decide(letter, form):
        letter = letters.publish(letter, by=current_user, expected_revision=form.revision.data, with_translations=form.with_translations.data)
        if form.with_translations.data and author_translations.published_with_decision(letter):
            return _("Published: the letter is public and counted, with its author's translation.")
        if any(mine.status == author_translations.S.WAITING for mine in author_translations.of_letter(letter)):
            return _("Published: the letter is public and counted. Its author's translation waits for a check with the translations written by authors.")
        return _("Published: the letter is public and counted.")

    return _decide(public_id, ApproveForm, decide, action=AuditAction.LETTER_PUBLISH)


@bp.post("/letters/<public_id>/schedule")
def schedule(public_id: str):
    def decide(letter, form):
        zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
        at = form.at.data.replace(tzinfo=zone)
        letters.schedule(letter, by=current_user, at=at, expected_revision=form.revision.data, with_translations=form.with_translations.data)
        return _("Scheduled: the letter will be published and counted at %(at)s.", at=site_time(at))

    return _decide(public_id, ScheduleForm, decide, action=AuditAction.LETTER_SCHEDULE)


@bp.post("/letters/<public_id>/unschedule")
def unschedule(public_id: str):
    def decide(letter, form):
        letters.unschedule(letter, by=current_user, expected_revision=form.revision.data)
        return _("The embargo is lifted; the letter is back in the queue.")

    return _decide(public_id, DecisionForm, decide, action=AuditAction.LETTER_UNSCHEDULE)


def _decide_with_reason(public_id: str, act, action: AuditAction, done: str, done_unmailed: str):
    """A decision the author is told about by mail (queued with it), with the moderator's reason. It
    takes two steps: the first shows the reason as the author will read it, the second does it."""
    if request.form.get("confirmed") != "yes" or "change" in request.form:
        return _confirm(public_id, action)

    def decide(letter, form):
        stock = form.stock_reason
        letter = act(letter, by=current_user, reason=form.reason_for(letter.language), expected_revision=form.revision.data,
                     stock_reason=stock.id if stock else None)  # fmt: skip
        # Not public, or never to be: no cached PDF of this machine shows it any more (the builder
        # service of every machine sweeps its own cache too).
        shown = letter.published_at is not None
        cleanup.forget(letter.public_id, compilations=shown, contents=shown)
        return done if letter.contact_email else done_unmailed

    return _decide(public_id, ReasonForm, decide, action=action)


# The state each decision with a reason moves a letter to.
_TARGETS = {AuditAction.LETTER_REJECT: LetterStatus.REJECTED, AuditAction.LETTER_UNPUBLISH: LetterStatus.UNPUBLISHED}


def _confirm(public_id: str, action: AuditAction):
    """The confirming step: nothing is done yet. "Change" brings the reason back into its box."""
    letter = letter_or_404(public_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        if "revision" in form.errors:
            return render_template("moderate/decision_error.html", letter=letter, form=form), 400
        return _review_page(letter, reason_form=form), 400
    if form.revision.data != letter.revision:
        return render_template("moderate/decision_error.html", letter=letter, stale=True), 409
    if _TARGETS[action] not in letters.TRANSITIONS[LetterStatus(letter.status)]:
        return render_template("moderate/decision_error.html", letter=letter, illegal=True), 409
    if "change" in request.form:
        return _review_page(letter, reason_form=form)
    return render_template("moderate/confirm.html", letter=letter, form=form, action=action, reason=form.reason_for(letter.language))


@bp.post("/letters/<public_id>/hide")
def hide(public_id: str):
    """An admin's emergency hide of one letter: off the site, the count and future PDFs at once."""

    def decide(letter, form):
        letter = pauses.pause(letter, by=current_user, reason=form.reason.data, expected_revision=form.revision.data)
        cleanup.forget(letter.public_id)
        return f'{_("Hidden: the letter is off the site and not counted until an admin shows it again.")} {_author_told(letter)}'

    return _decide(public_id, lambda: HideForm(prefix=HideForm.PREFIX), decide, action=AuditAction.LETTER_PAUSE)


@bp.post("/letters/<public_id>/show")
def show(public_id: str):
    def decide(letter, form):
        letter = pauses.resume(letter, by=current_user, expected_revision=form.revision.data)
        return f'{_("Shown again: the letter is public with its original date, and counted.")} {_author_told(letter)}'

    return _decide(public_id, DecisionForm, decide, action=AuditAction.LETTER_RESUME)


def _author_told(letter) -> str:
    """Whether the author could be told of the team's change by mail (pauses.py mails them)."""
    return _("The author is told by e-mail.") if letter.contact_email else _("The author's address has been erased, so they could not be told.")


@bp.post("/letters/<public_id>/reject")
def reject(public_id: str):
    return _decide_with_reason(
        public_id,
        letters.reject,
        AuditAction.LETTER_REJECT,
        _("Rejected. The reason is on its way to the author by e-mail."),
        _("Rejected. The author's address has been erased, so they could not be told."),
    )


@bp.post("/letters/<public_id>/unpublish")
def unpublish(public_id: str):
    return _decide_with_reason(
        public_id,
        letters.unpublish,
        AuditAction.LETTER_UNPUBLISH,
        _("Taken down. The reason is on its way to the author by e-mail."),
        _("Taken down. The author's address has been erased, so they could not be told."),
    )


@bp.post("/letters/<public_id>/open-signing")
def open_signing(public_id: str):
    def decide(letter, form):
        signatures.open_signing(letter, by=current_user, expected_revision=form.revision.data)
        return _("The letter is open for co-signing.")

    return _decide(public_id, DecisionForm, decide, action=AuditAction.LETTER_OPEN_SIGNING)


@bp.post("/letters/<public_id>/close-signing")
def close_signing(public_id: str):
    def decide(letter, form):
        signatures.close_signing(letter, by=current_user, expected_revision=form.revision.data)
        return _("The letter is closed to new signatures.")

    return _decide(public_id, DecisionForm, decide, action=AuditAction.LETTER_CLOSE_SIGNING)


# What a correction can change, as the flash after it names each.
_CORRECTED = {"display_name": _l("the name"), "descriptor": _l("the rank, unit or role"), "title": _l("the title"), "body_text": _l("the text")}


@bp.route("/letters/<public_id>/edit", methods=["GET", "POST"])
def edit(public_id: str):
    letter = letter_or_404(public_id)
    form = EditForm(
        obj=letter if request.method == "GET" else None,
        body=letter.body_text if request.method == "GET" else None,
        revision=letter.revision if request.method == "GET" else None,
    )
    if request.method == "POST":

        def decide(letter, form):
            before = {field: getattr(letter, field) for field in _CORRECTED}
            letter = letters.edit(
                letter,
                by=current_user,
                display_name=form.display_name.data,
                descriptor=form.descriptor.data,
                title=form.title.data,
                body_text=form.body.data,
                reason=form.reason.data,
                expected_revision=form.revision.data,
            )
            # No cached PDF of this machine shows the earlier text or name (each machine's builder service sweeps its own).
            cleanup.forget(letter.public_id, compilations=True, contents=True)
            changed = format_list([str(label) for field, label in _CORRECTED.items() if getattr(letter, field) != before[field]], locale=get_locale())
            if letter.contact_email:
                return _("Corrected: %(changed)s. The author is told by e-mail what changed and why; the earlier version is kept in the letter's history.", changed=changed)
            return _("Corrected: %(changed)s. The author's address has been erased, so they could not be told; the earlier version is kept in the letter's history.", changed=changed)

        if form.validate():
            try:
                return _decide(public_id, EditForm, decide, action=AuditAction.LETTER_EDIT, back_to_letter=True)
            except letters.NeedsAdmin:
                return render_template("moderate/decision_error.html", letter=letter, needs_admin=True), 403
    return render_template("moderate/edit.html", letter=letter, form=form), 400 if request.method == "POST" else 200
