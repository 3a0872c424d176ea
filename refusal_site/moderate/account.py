"""Signing in (the password, then a one-time code or setting codes up), signing out, and the
moderator's own account: password, recovery codes, codes turned on. A browser that signed in keeps
a cookie that makes it a known browser of the account, which a lock set by others does not keep out."""

import re
import time

from flask import Response, abort, after_this_request, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from .. import digest, moderators
from ..extensions import limiter
from ..http import configured_limit, redirect_to_show_once, shown_once
from ..models import Moderator
from .blueprint import bp
from .forms import CodeForm, PasswordForm, RenewRecoveryCodesForm, SignInForm, TotpSetupForm
from .notice_forms import DigestForm

_sign_in_limit = configured_limit("SIGN_IN_RATE_LIMIT")

KNOWN_BROWSER_COOKIE = "known_browser"
# Renewed at each sign-in: a browser stays known while its moderator signs in now and then.
KNOWN_BROWSER_DAYS = 90


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


def _known_browser() -> str | None:
    return request.cookies.get(KNOWN_BROWSER_COOKIE)


def _keep_known_browser(moderator: Moderator) -> None:
    """Give this browser the account's known-browser key with the response, whatever page it is."""
    token = moderators.known_browser_token(moderator)

    @after_this_request
    def _set_cookie(response: Response) -> Response:
        response.set_cookie(
            KNOWN_BROWSER_COOKIE, token, max_age=KNOWN_BROWSER_DAYS * 86400, path=bp.url_prefix,
            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Strict",
        )
        return response


def _start_session(moderator: Moderator):
    moderator = moderators.complete_sign_in(moderator, known_browser=_known_browser())
    _keep_known_browser(moderator)
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
    if not form.is_submitted():  # GET, or HEAD (answered as GET)
        session["next"] = _safe_next(request.args.get("next"))
    if form.validate_on_submit():
        try:
            moderator = moderators.authenticate(form.email.data, form.password.data, known_browser=_known_browser())
        except moderators.SignInFailed:
            # One answer for an unknown address, a wrong password and a locked account alike.
            form.password.errors.append(
                _("Wrong e-mail address or password, or too many failed attempts: then wait 15 minutes and try again, "
                  "or sign in from a browser you have signed in with before.")
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
            moderators.verify_code(moderator, form.code.data, known_browser=_known_browser())
        except moderators.AccountLocked:
            form.code.errors.append(
                _("Too many failed attempts: wait 15 minutes, then sign in again, or sign in from a browser you have signed in with before.")
            )
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
            next_page = on_success(moderator).location  # signing in starts a fresh session: the codes go in after
            return redirect_to_show_once(url_for(".recovery_codes"), "recovery codes", codes=recovery_codes, next_page=next_page, first=True)
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
            _keep_known_browser(moderator)  # the only browser still known to the account
            flash(_("Password changed. Every other session of yours has been signed out."))
            return redirect(url_for(".account"))
    return render_template(
        "moderate/account.html", form=form, renew_form=RenewRecoveryCodesForm(), codes_left=moderators.recovery_codes_left(current_user),
        digest_form=DigestForm(formdata=None, wanted=current_user.digest_mail),
    ), 400 if request.method == "POST" else 200  # fmt: skip


@bp.post("/account/digest")
def account_digest():
    form = DigestForm()
    if not form.validate_on_submit():
        abort(400)
    digest.set_wanted(current_user, form.wanted.data)
    flash(_("You will get the digest mail.") if form.wanted.data else _("You will not get the digest mail any more."))
    return redirect(url_for(".account"), code=303)


@bp.post("/account/recovery-codes")
def renew_recovery_codes():
    if not RenewRecoveryCodesForm().validate_on_submit() or not current_user.totp_secret:
        abort(400)
    codes = moderators.renew_recovery_codes(current_user)
    return redirect_to_show_once(url_for(".recovery_codes"), "recovery codes", codes=codes, next_page=url_for(".account"), first=False)


@bp.get("/account/recovery-codes")
def recovery_codes():
    """The codes just made, this once: back here later, or reloaded, the page is the account."""
    shown = shown_once("recovery codes")
    if shown is None:
        return redirect(url_for(".account"))
    return render_template("moderate/recovery_codes.html", codes=shown["codes"], next_page=shown["next_page"], first=shown["first"])


@bp.route("/account/code", methods=["GET", "POST"])
def account_code():
    if current_user.totp_secret:
        return redirect(url_for(".account"))

    def done(moderator: Moderator):
        flash(_("One-time codes are on for your account."))
        return redirect(url_for(".account"))

    return _totp_setup(current_user, on_success=done)
