"""Moderators: sign in, work the queue, decide, correct, audit. Every route is checked once, here."""

import re
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import audit, compilation, letters, moderators, params, signatures
from ..audit import AuditAction, AuditFilter
from ..extensions import db, limiter, login_manager
from ..models import Letter, LetterStatus, Moderator, Role, SignatureStatus
from ..http import configured_limit, no_store
from ..params import language_filter, page_number
from .forms import (
    CodeForm,
    CreateModeratorForm,
    DecisionForm,
    EditForm,
    PasswordForm,
    ReasonForm,
    RenewRecoveryCodesForm,
    ScheduleForm,
    SignatureDecisionForm,
    SignInForm,
    TeamActionForm,
    TotpSetupForm,
)

bp = Blueprint("moderate", __name__, url_prefix="/moderate")

# ASCII digits that fit an INTEGER column ("²".isdigit() is True; int() of it is not).
_SMALL_INTEGER = re.compile(r"[0-9]{1,9}")
# The days an audit filter can name: a year-1 or year-9999 day in the site's zone is no moment in UTC.
AUDIT_DAYS = (date(2000, 1, 1), date(2999, 12, 31))

# The only moderation pages a visitor without a session may open.
SIGN_IN_ENDPOINTS = frozenset({"moderate.sign_in", "moderate.sign_in_code", "moderate.setup_code"})
ADMIN_ENDPOINTS = frozenset(
    {"moderate.audit_log", "moderate.audit_csv", "moderate.team", "moderate.team_create", "moderate.team_action"}
)


@login_manager.user_loader
def _load_moderator(session_id: str) -> Moderator | None:
    return moderators.by_session_id(session_id)


@bp.before_request
def _require_moderator():
    """One gate for the whole blueprint: sign-in pages are open, everything else needs a live session."""
    if request.endpoint in SIGN_IN_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("moderate.sign_in", next=request.path if request.method == "GET" else None))
    now = int(time.time())
    idle, lifetime = current_app.config["MODERATOR_IDLE_TIMEOUT"], current_app.config["MODERATOR_SESSION_MAX"]
    if now - session.get("seen", 0) > idle or now - session.get("signed_in", 0) > lifetime:
        logout_user()
        session.clear()
        flash(_("You were signed out after a period of inactivity. Please sign in again."))
        return redirect(url_for("moderate.sign_in"))
    session["seen"] = now
    if current_user.needs_totp and not current_user.totp_secret and request.endpoint != "moderate.account_code":
        return redirect(url_for("moderate.account_code"))
    if request.endpoint in ADMIN_ENDPOINTS and current_user.role != Role.ADMIN:
        abort(403)
    return None


bp.after_request(no_store)
_sign_in_limit = configured_limit("SIGN_IN_RATE_LIMIT")


# A moderation page's path as the gate records it: plain segments of letters, digits, "-", "_" and
# inner dots. Nothing a browser could read as another host or a header could break on (no "//",
# backslash, CR/LF, "%" escapes, "." or ".." segments, query or fragment).
_NEXT_PATH = re.compile(r"/moderate/(?:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*/?)*")
_NEXT_MAX = 200


def _safe_next(target: str | None) -> str | None:
    """The page to go to after sign-in when it is one of our own moderation pages, else None."""
    if target and len(target) <= _NEXT_MAX and _NEXT_PATH.fullmatch(target) and "//" not in target:
        return target
    return None


def _start_session(moderator: Moderator):
    moderator = moderators.complete_sign_in(moderator)
    next_page = session.get("next")
    session.clear()  # a fresh session: nothing from before sign-in carries over
    login_user(moderator)
    now = int(time.time())
    session.update(seen=now, signed_in=now)
    return redirect(_safe_next(next_page) or url_for("moderate.queue"))


@bp.route("/sign-in", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in():
    form = SignInForm()
    if request.method == "GET":
        session["next"] = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            moderator = moderators.authenticate(form.email.data, form.password.data)
        except moderators.SignInFailed:
            # One answer for an unknown address, a wrong password and a locked account alike.
            form.password.errors.append(
                _("Wrong e-mail address or password, or too many failed attempts: then wait 15 minutes and try again.")
            )
        else:
            if not moderator.needs_totp and not moderator.totp_secret:
                return _start_session(moderator)
            session["mfa"] = {"id": moderator.get_id(), "at": int(time.time())}
            return redirect(url_for(".sign_in_code" if moderator.totp_secret else ".setup_code"))
    status = 400 if request.method == "POST" else 200
    return render_template("moderate/sign_in.html", form=form), status


def _password_checked_moderator() -> Moderator | None:
    """The moderator who passed the password step less than 5 minutes ago, in this browser."""
    pending = session.get("mfa") or {}
    if int(time.time()) - pending.get("at", 0) > 300:
        return None
    return moderators.by_session_id(pending.get("id", ""))


@bp.route("/sign-in/code", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def sign_in_code():
    moderator = _password_checked_moderator()
    if moderator is None or not moderator.totp_secret:
        return redirect(url_for(".sign_in"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            moderators.verify_code(moderator, form.code.data)
        except moderators.AccountLocked:
            form.code.errors.append(_("Too many failed attempts: wait 15 minutes, then sign in again."))
        except moderators.CodeRejected:
            form.code.errors.append(_("This code is wrong or was already used. Wait for the next code and try again."))
        else:
            return _start_session(moderator)
    return render_template("moderate/code.html", form=form), 400 if request.method == "POST" else 200


@bp.route("/sign-in/set-up-code", methods=["GET", "POST"])
@limiter.limit(_sign_in_limit, methods=["POST"])
def setup_code():
    moderator = _password_checked_moderator()
    if moderator is None or moderator.totp_secret:
        return redirect(url_for(".sign_in"))
    return _totp_setup(moderator, on_success=_start_session)


def _totp_setup(moderator: Moderator, on_success):
    """Show the key (as text and as a QR code) until the moderator's app proves it; then show the
    recovery codes, once, on the page that answers (they are never stored in the clear)."""
    secret = session.get("totp_secret") or moderators.new_totp_secret()
    session["totp_secret"] = secret
    form = TotpSetupForm()
    if form.validate_on_submit():
        try:
            moderator, recovery_codes = moderators.enable_totp(moderator, secret, form.code.data)
        except moderators.CodeRejected:
            form.code.errors.append(_("This code does not match. Check the key you typed and try the next code."))
        else:
            session.pop("totp_secret", None)
            next_page = on_success(moderator).location
            return render_template("moderate/recovery_codes.html", codes=recovery_codes, next_page=next_page, first=True)
    return render_template(
        "moderate/setup_code.html",
        form=form,
        secret=secret,
        uri=moderators.totp_uri(moderator, secret),
        qr_code=moderators.totp_qr_svg(moderator, secret),
    ), 400 if request.method == "POST" else 200


@bp.post("/sign-out")
def sign_out():
    moderators.sign_out(current_user)
    logout_user()
    session.clear()
    flash(_("You are signed out, on every device."))
    return redirect(url_for(".sign_in"))


@bp.route("/account", methods=["GET", "POST"])
def account():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            moderator = moderators.change_password(current_user, form.current.data, form.new.data)
        except moderators.SignInFailed:
            form.current.errors.append(_("This is not your current password."))
        else:
            login_user(moderator)  # this session continues under the new token; all others end
            flash(_("Password changed. Every other session of yours has been signed out."))
            return redirect(url_for(".account"))
    return render_template(
        "moderate/account.html", form=form, renew_form=RenewRecoveryCodesForm(), codes_left=moderators.recovery_codes_left(current_user)
    ), 400 if request.method == "POST" else 200


@bp.post("/account/recovery-codes")
def renew_recovery_codes():
    if not RenewRecoveryCodesForm().validate_on_submit() or not current_user.totp_secret:
        abort(400)
    codes = moderators.renew_recovery_codes(current_user)
    return render_template("moderate/recovery_codes.html", codes=codes, next_page=url_for(".account"), first=False)


@bp.route("/account/code", methods=["GET", "POST"])
def account_code():
    if current_user.totp_secret:
        return redirect(url_for(".account"))

    def done(moderator: Moderator):
        flash(_("One-time codes are on for your account."))
        return redirect(url_for(".account"))

    return _totp_setup(current_user, on_success=done)


# --- the queue and decisions -------------------------------------------------------------------


def _state_filter() -> str:
    state = request.args.get("state", LetterStatus.PENDING.value)
    if state not in LetterStatus.__members__.values():
        abort(400)
    return state


@bp.get("/")
def queue():
    state, language, number = _state_filter(), language_filter(), page_number()
    try:
        page = letters.queue_page(number, current_app.config["QUEUE_PER_PAGE"], status=state, language=language)
    except letters.PageOutOfRange:
        abort(404)
    return render_template("moderate/queue.html", page=page, counts=letters.state_counts(), state=state, language=language,
                           unprintable=compilation.unprintable_letters())


def _letter_or_404(public_id: str) -> Letter:
    letter = letters.letter_by_public_id(public_id)
    if letter is None:
        abort(404)
    return letter


# The states from which a letter can be published: its review page says if its PDF cannot be made.
APPROVABLE = frozenset({LetterStatus.PENDING, LetterStatus.SCHEDULED, LetterStatus.UNPUBLISHED})


@bp.get("/letters/<public_id>")
def review(public_id: str):
    letter = _letter_or_404(public_id)
    return render_template(
        "moderate/review.html",
        letter=letter,
        duplicates=letters.possible_duplicates(letter),
        versions=letters.versions(letter),
        history=letters.letter_history(letter),
        decision=DecisionForm(revision=letter.revision),
        schedule_form=ScheduleForm(revision=letter.revision),
        reason_form=ReasonForm(revision=letter.revision),
        timezone=current_app.config["DISPLAY_TIMEZONE"],
        signature_counts=signatures.state_counts(letter) if letter.collective else None,
        render_problem=compilation.render_problem(letter) if letter.status in APPROVABLE else None,
    )


def _decide(public_id: str, form_class, decide):
    """Run one decision; a stale page, a letter gone or an illegal move becomes a clear 409/410."""
    letter = _letter_or_404(public_id)
    form = form_class()
    if not form.validate_on_submit():
        return render_template("moderate/decision_error.html", letter=letter, form=form), 400
    try:
        message = decide(letter, form)
    except letters.StaleLetter:
        return render_template("moderate/decision_error.html", letter=letter, stale=True), 409
    except letters.LetterGone:
        return render_template("moderate/decision_error.html", letter=None, gone=True), 410
    except (letters.IllegalTransition, letters.NothingChanged):
        return render_template("moderate/decision_error.html", letter=letter, illegal=True), 409
    except letters.ScheduleInPast:
        return render_template("moderate/decision_error.html", letter=letter, past=True), 400
    flash(message)
    return redirect(url_for(".queue"), code=303)


@bp.post("/letters/<public_id>/approve")
def approve(public_id: str):
    def decide(letter, form):
        letters.publish(letter, by=current_user, expected_revision=form.revision.data)
        return _("Published: the letter is public and counted.")

    return _decide(public_id, DecisionForm, decide)


@bp.post("/letters/<public_id>/schedule")
def schedule(public_id: str):
    def decide(letter, form):
        zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
        at = form.at.data.replace(tzinfo=zone)
        letters.schedule(letter, by=current_user, at=at, expected_revision=form.revision.data)
        return _("Scheduled: the letter will be published and counted at %(at)s.", at=at.strftime("%Y-%m-%d %H:%M"))

    return _decide(public_id, ScheduleForm, decide)


@bp.post("/letters/<public_id>/unschedule")
def unschedule(public_id: str):
    def decide(letter, form):
        letters.unschedule(letter, by=current_user, expected_revision=form.revision.data)
        return _("The embargo is lifted; the letter is back in the queue.")

    return _decide(public_id, DecisionForm, decide)


def _decide_with_reason(public_id: str, act, done: str, done_unmailed: str):
    """A decision the author is told about by mail (queued with it), with the moderator's reason."""

    def decide(letter, form):
        letter = act(letter, by=current_user, reason=form.reason.data, expected_revision=form.revision.data)
        # Not public, or never to be: no cached PDF of this machine shows it any more (the builder
        # service of every machine sweeps its own cache too).
        shown = letter.published_at is not None
        compilation.forget(letter.public_id, compilations=shown, contents=shown)
        return done if letter.contact_email else done_unmailed

    return _decide(public_id, ReasonForm, decide)


@bp.post("/letters/<public_id>/reject")
def reject(public_id: str):
    return _decide_with_reason(
        public_id,
        letters.reject,
        _("Rejected. The reason is on its way to the author by e-mail."),
        _("Rejected. The author's address has been erased, so they could not be told."),
    )


@bp.post("/letters/<public_id>/unpublish")
def unpublish(public_id: str):
    return _decide_with_reason(
        public_id,
        letters.unpublish,
        _("Taken down. The reason is on its way to the author by e-mail."),
        _("Taken down. The author's address has been erased, so they could not be told."),
    )


@bp.post("/letters/<public_id>/open-signing")
def open_signing(public_id: str):
    def decide(letter, form):
        signatures.open_signing(letter, by=current_user, expected_revision=form.revision.data)
        return _("The letter is open for co-signing.")

    return _decide(public_id, DecisionForm, decide)


@bp.post("/letters/<public_id>/close-signing")
def close_signing(public_id: str):
    def decide(letter, form):
        signatures.close_signing(letter, by=current_user, expected_revision=form.revision.data)
        return _("The letter is closed to new signatures.")

    return _decide(public_id, DecisionForm, decide)


@bp.route("/letters/<public_id>/edit", methods=["GET", "POST"])
def edit(public_id: str):
    letter = _letter_or_404(public_id)
    form = EditForm(
        obj=letter if request.method == "GET" else None,
        body=letter.body_text if request.method == "GET" else None,
        revision=letter.revision if request.method == "GET" else None,
    )
    if request.method == "POST":

        def decide(letter, form):
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
            compilation.forget(letter.public_id, compilations=True, contents=True)
            if letter.contact_email:
                return _("Corrected. The author is told by e-mail what changed and why; the earlier version is kept in the letter's history.")
            return _("Corrected. The author's address has been erased, so they could not be told; the earlier version is kept in the letter's history.")

        if form.validate():
            try:
                return _decide(public_id, EditForm, decide)
            except letters.NeedsAdmin:
                return render_template("moderate/decision_error.html", letter=letter, needs_admin=True), 403
    return render_template("moderate/edit.html", letter=letter, form=form), 400 if request.method == "POST" else 200


# --- audit log and team (admins) ---------------------------------------------------------------


# --- co-signatures --------------------------------------------------------------------------------

_SEEN = re.compile(r"([0-9]{1,9}):([0-9]{1,9})")


def _signature_filters() -> tuple[str, Letter | None]:
    state = request.args.get("state", SignatureStatus.PENDING.value)
    if state not in SignatureStatus.__members__.values():
        abort(400)
    letter_id = request.args.get("letter")
    return state, _letter_or_404(letter_id) if letter_id else None


@bp.get("/signatures")
def signature_queue():
    state, letter = _signature_filters()
    form = SignatureDecisionForm(decision="unpublish" if state == SignatureStatus.PUBLISHED else "publish")
    return _signature_page(state, letter, page_number(), form)


def _signature_page(state: str, letter: Letter | None, number: int, form: SignatureDecisionForm, problem: str | None = None):
    try:
        page = signatures.queue_page(number, current_app.config["SIGNATURE_QUEUE_PER_PAGE"], status=state, letter=letter)
    except letters.PageOutOfRange:
        abort(404)
    return render_template(
        "moderate/signatures.html", page=page, state=state, letter=letter, counts=signatures.state_counts(letter), form=form, problem=problem
    )


@bp.post("/signatures")
def decide_signatures():
    """Decide the signatures the moderator saw: the ticked ones, or all shown. Those that changed meanwhile are skipped."""
    (state, letter), number = _signature_filters(), page_number()
    form = SignatureDecisionForm()
    if not form.validate_on_submit():
        return _signature_page(state, letter, number, form), 400
    seen = {int(m[1]): int(m[2]) for m in map(_SEEN.fullmatch, request.form.getlist("shown")[:1000]) if m}
    if form.scope.data == "selected":
        ticked = {int(value) for value in request.form.getlist("selected")[:1000] if _SMALL_INTEGER.fullmatch(value)}
        seen = {key: revision for key, revision in seen.items() if key in ticked}
    if not seen:
        problem = _("No signature was ticked. Tick some, or apply the decision to all shown.")
        return _signature_page(state, letter, number, form, problem), 400
    result = signatures.decide(seen, form.decision.data, by=current_user, reason=form.reason.data)
    flash(_("Decided: %(done)s. Skipped because they changed since the page was shown: %(skipped)s.", done=result.done, skipped=result.skipped))
    if result.illegal:
        flash(_("Left unchanged because this decision is not allowed from their current state: %(illegal)s.", illegal=result.illegal))
    return redirect(url_for(".signature_queue", state=state, letter=letter.public_id if letter else None), code=303)


def _audit_filter() -> AuditFilter:
    args = request.args
    action = args.get("action") or None
    if action is not None and action not in AuditAction.__members__.values():
        abort(400)
    moderator_id = args.get("moderator") or None
    if moderator_id is not None and not _SMALL_INTEGER.fullmatch(moderator_id):
        abort(400)

    def day(name: str) -> datetime | None:
        value = params.day(name)
        if value is None:
            return None
        value = min(max(value, AUDIT_DAYS[0]), AUDIT_DAYS[1])
        return datetime.combine(value, datetime.min.time(), ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))

    letter = args.get("letter") or None
    if letter is not None and not letters.looks_like_public_id(letter):
        abort(400)
    return AuditFilter(action, int(moderator_id) if moderator_id else None, letter, day("since"), day("until"))


@bp.get("/audit")
def audit_log():
    where, number = _audit_filter(), page_number()
    per_page = current_app.config["AUDIT_PER_PAGE"]
    rows = db.session.execute(audit.events(where).limit(per_page + 1).offset((number - 1) * per_page)).scalars().all()
    return render_template(
        "moderate/audit.html",
        events=rows[:per_page],
        has_next=len(rows) > per_page,
        number=number,
        where=where,
        actions=[a.value for a in AuditAction],
        team=moderators.team(),
    )


@bp.get("/audit.csv")
def audit_csv():
    where = _audit_filter()
    audit.record_export(current_user, where)
    filename = f"audit-{datetime.now().strftime('%Y%m%d-%H%M')}.csv"
    return Response(
        stream_with_context(audit.csv_rows(where)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.get("/team")
def team():
    return render_template("moderate/team.html", team=moderators.team(), form=CreateModeratorForm(), action_form=TeamActionForm())


@bp.post("/team")
def team_create():
    form = CreateModeratorForm()
    if not form.validate_on_submit():
        return render_template("moderate/team.html", team=moderators.team(), form=form, action_form=TeamActionForm()), 400
    try:
        created, password = moderators.create_for_team(
            form.email.data, role=Role(form.role.data), require_totp=form.require_code.data, by=current_user
        )
    except moderators.EmailTaken:
        form.email.errors.append(_("There is already an account with this address."))
        return render_template("moderate/team.html", team=moderators.team(), form=form, action_form=TeamActionForm()), 409
    return render_template("moderate/created.html", created=created, password=password)


TEAM_ACTIONS = {
    "deactivate": lambda target: moderators.deactivate(target, by=current_user),
    "activate": lambda target: moderators.activate(target, by=current_user),
    "make-admin": lambda target: moderators.set_role(target, Role.ADMIN, by=current_user),
    "make-moderator": lambda target: moderators.set_role(target, Role.MODERATOR, by=current_user),
    "require-code": lambda target: moderators.require_totp(target, True, by=current_user),
    "reset-code": lambda target: moderators.reset_totp(target, by=current_user),
}


@bp.post("/team/<int:moderator_id>")
def team_action(moderator_id: int):
    form = TeamActionForm()
    target = db.session.get(Moderator, moderator_id) if moderator_id < 2**31 else None
    if target is None:
        abort(404)
    if not form.validate_on_submit() or form.action.data not in TEAM_ACTIONS:
        abort(400)
    if target.id == current_user.id and form.action.data in ("deactivate", "make-moderator"):
        flash(_("You cannot remove your own admin access; ask another admin."))
        return redirect(url_for(".team"), code=303)
    TEAM_ACTIONS[form.action.data](target)
    flash(_("Done."))
    return redirect(url_for(".team"), code=303)
