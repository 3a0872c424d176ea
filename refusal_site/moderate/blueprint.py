"""The moderation blueprint and the one gate every route of it passes: a live session (idle and
lifetime limits), one-time codes set up when required, admin pages for admins only, and translators
kept to the translation pages. The routes live in the modules beside this one; the gate is here, so
a forgotten decorator cannot expose a page."""

import re
import time

from flask import Blueprint, abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from .. import letters, moderators
from ..extensions import login_manager
from ..http import no_store
from ..models import Language, Letter, LetterStatus, Moderator, Role

bp = Blueprint("moderate", __name__, url_prefix="/moderate")

# ASCII digits that fit an INTEGER column ("²".isdigit() is True; int() of it is not).
SMALL_INTEGER = re.compile(r"[0-9]{1,9}")

# The only moderation pages a visitor without a session may open.
SIGN_IN_ENDPOINTS = frozenset({"moderate.sign_in", "moderate.sign_in_code", "moderate.setup_code"})
ADMIN_ENDPOINTS = frozenset(
    {"moderate.audit_log", "moderate.audit_csv", "moderate.team", "moderate.team_create", "moderate.team_created",
     "moderate.team_action",
     "moderate.site_pages_list", "moderate.site_page_edit",
     "moderate.delay_notice_edit", "moderate.hide", "moderate.show", "moderate.hide_many",
     "moderate.rejection_reasons_list", "moderate.rejection_reason_new", "moderate.rejection_reason_edit",
     "moderate.rejection_reason_retire", "moderate.rejection_reason_restore",
     "moderate.hide_signatures", "moderate.show_signatures", "moderate.translation_publish",
     "moderate.press_previews_list", "moderate.press_preview_create", "moderate.press_preview_created", "moderate.press_preview_revoke"}
)
# All a translator may open: their own account, and the translation pages. They decide nothing and
# see no contact address, so every other page of the area is closed to them.
TRANSLATOR_ENDPOINTS = frozenset(
    {"moderate.account", "moderate.account_digest", "moderate.account_code", "moderate.recovery_codes",
     "moderate.renew_recovery_codes", "moderate.sign_out",
     "moderate.translations", "moderate.translation", "moderate.translation_claim", "moderate.translation_release",
     "moderate.translation_send"}
)
# Where a translator lands when they ask for the moderators' queue (as signing in does).
TRANSLATOR_HOME = "moderate.translations"


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
    if current_user.role == Role.TRANSLATOR and request.endpoint not in TRANSLATOR_ENDPOINTS:
        if request.endpoint == "moderate.queue":
            return redirect(url_for(TRANSLATOR_HOME))
        abort(403)
    return None


bp.after_request(no_store)


def letter_or_404(public_id: str) -> Letter:
    letter = letters.letter_by_public_id(public_id)
    if letter is None:
        abort(404)
    return letter


def letter_to_translate(public_id: str, language: str) -> Letter:
    """The letter a translation page names, for the team's or an author's translation into
    `language`: 404 for an unknown language or letter, 410 for a withdrawn one."""
    if language not in Language.__members__.values():
        abort(404)
    letter = letter_or_404(public_id)
    if letter.status == LetterStatus.WITHDRAWN:
        abort(410)
    return letter
