"""What only admins see: the audit log (filtered, and exported as CSV, the export itself recorded)
and the team (accounts created, deactivated, promoted, made to use one-time codes)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit, models, moderators, params
from ..audit import AuditAction, AuditFilter
from ..extensions import db
from ..http import redirect_to_show_once, shown_once
from ..models import Moderator, Role
from ..params import page_number
from .blueprint import SMALL_INTEGER, bp
from .forms import CreateModeratorForm, TeamActionForm

# The days an audit filter can name: a year-1 or year-9999 day in the site's zone is no moment in UTC.
AUDIT_DAYS = (date(2000, 1, 1), date(2999, 12, 31))


def _audit_filter() -> AuditFilter:
    args = request.args
    action = args.get("action") or None
    if action is not None and action not in AuditAction.__members__.values():
        abort(400)
    moderator_id = args.get("moderator") or None
    if moderator_id is not None and not SMALL_INTEGER.fullmatch(moderator_id):
        abort(400)

    def day(name: str) -> datetime | None:
        value = params.day(name)
        if value is None:
            return None
        value = min(max(value, AUDIT_DAYS[0]), AUDIT_DAYS[1])
        return datetime.combine(value, datetime.min.time(), ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))

    letter = args.get("letter") or None
    if letter is not None and not models.looks_like_public_id(letter):
        abort(400)
    return AuditFilter(action, int(moderator_id) if moderator_id else None, letter, day("since"), day("until"))


@bp.get("/audit")
def audit_log():
    where, number = _audit_filter(), page_number()
    per_page = current_app.config["AUDIT_PER_PAGE"]
    rows = db.session.execute(audit.events(where).limit(per_page + 1).offset((number - 1) * per_page)).scalars().all()
    team = moderators.team()
    return render_template(
        "moderate/audit.html",
        events=rows[:per_page],
        has_next=len(rows) > per_page,
        number=number,
        where=where,
        actions=[a.value for a in AuditAction],
        team=team,
        accounts={m.id: m for m in team},
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
    return redirect_to_show_once(url_for(".team_created"), "first password", email=created.email, password=password)


@bp.get("/team/created")
def team_created():
    """The new account's first password, this once."""
    shown = shown_once("first password")
    if shown is None:
        return redirect(url_for(".team"))
    return render_template("moderate/created.html", email=shown["email"], password=shown["password"])


TEAM_ACTIONS = {
    "deactivate": lambda target: moderators.deactivate(target, by=current_user),
    "activate": lambda target: moderators.activate(target, by=current_user),
    "make-admin": lambda target: moderators.set_role(target, Role.ADMIN, by=current_user),
    "make-moderator": lambda target: moderators.set_role(target, Role.MODERATOR, by=current_user),
    "make-translator": lambda target: moderators.set_role(target, Role.TRANSLATOR, by=current_user),
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
    if target.id == current_user.id and form.action.data in ("deactivate", "make-moderator", "make-translator"):
        flash(_("You cannot remove your own admin access; ask another admin."))
        return redirect(url_for(".team"), code=303)
    TEAM_ACTIONS[form.action.data](target)
    flash(_("Done."))
    return redirect(url_for(".team"), code=303)
