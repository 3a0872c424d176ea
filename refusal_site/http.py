"""Application-wide HTTP behaviour: language switch, headers, absolute links, error pages."""

import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from flask import Flask, Response, current_app, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, HTTPException, SecurityError

from .i18n import UnknownLanguage, requested_language

# No third-party host anywhere, no inline script, nothing may frame our pages.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ERROR_MESSAGES = {
    400: lambda: _("The request was not understood. Please check the address and try again."),
    404: lambda: _("There is no public page at this address. The letter may have been withdrawn."),
    405: lambda: _("This page does not accept that kind of request."),
    409: lambda: _("This was changed in the meantime. Please reload and try again."),
    410: lambda: _("This link is no longer valid."),
    413: lambda: _("What you sent is too large."),
    429: lambda: _("Too many requests. Please wait a minute and try again."),
    500: lambda: _("Something went wrong on our side. Nothing you sent was lost; please try again later."),
}


def client_key() -> str:
    """Who is asking, for rate limits: a keyed hash of the address that changes every day.

    The address itself is never stored (Redis keeps only this hash, for one limit window).
    """
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"{day}|{request.remote_addr}".encode(), hashlib.sha256).hexdigest()[:32]


def site_url(endpoint: str, **values) -> str:
    """An absolute URL built from the configured SITE_URL, never from the request's Host header."""
    return current_app.config["SITE_URL"].rstrip("/") + url_for(endpoint, **values)


def build_id(app: Flask) -> str:
    """A short hash of the templates, translations and static files: changes with every deploy."""
    digest = hashlib.sha256()
    root = Path(app.root_path)
    for folder in ("templates", "translations", "static"):
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and path.suffix != ".po":
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def error_response(status: int, message: str | None = None):
    if isinstance(request.routing_exception, SecurityError):
        # A Host header outside TRUSTED_HOSTS: Flask cannot build URLs for it, so no page either.
        return Response("Unknown host.\n", status=400, mimetype="text/plain")
    message = message or ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])()
    if request.blueprint == "api":
        return {"error": status, "message": message}, status
    return render_template("errors/error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    app.config["BUILD_ID"] = build_id(app)
    app.json.ensure_ascii = False
    app.jinja_env.globals.update(
        site_url=site_url, static_url=_static_url, language_switch_url=_language_switch_url, epoch=EPOCH
    )

    @app.before_request
    def _remember_language() -> None:
        try:
            lang = requested_language()
        except UnknownLanguage:
            raise BadRequest("unknown language") from None
        if lang is not None and session.get("lang") != lang:
            session["lang"] = lang
            session.permanent = True

    @app.after_request
    def _security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        # Usually a form left open past its time limit, or posted from another site.
        message = _("This form has expired or did not come from this site. Please reload the page and send it again; what you typed may need to be copied first.")
        return error_response(400, message)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return error_response(error.code or 500)

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        # The route pattern, not the path: paths can carry an author's private token.
        rule = request.url_rule.rule if request.url_rule else "(no route)"
        app.logger.exception("unhandled error on %s %s", request.method, rule)
        return error_response(500)


def _language_switch_url(code: str, params: dict) -> str:
    """This page in another language. Only validated parameters are carried over, never raw ones,
    because the page may be cached and served to the next visitor."""
    query = {key: value for key, value in params.items() if value is not None}
    query["lang"] = code
    return request.path + "?" + urlencode(query)


def _static_url(filename: str) -> str:
    """A static file's URL with the build id, so it can be cached for a year and still change on deploy."""
    return url_for("static", filename=filename, v=current_app.config["BUILD_ID"])
