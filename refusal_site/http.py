"""Application-wide HTTP behaviour: language switch, headers, absolute links, error pages."""

import hashlib
import hmac
import ipaddress
import math
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import redis

from flask import Flask, Response, current_app, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import Rule
from werkzeug.exceptions import BadRequest, HTTPException, SecurityError

from .config import redis_options
from .i18n import UnknownLanguage, requested_language
from .urls import site_url

# No third-party host anywhere, no inline script, nothing may frame our pages (but the one page
# made to be framed, which sets g.frameable: it has no form and reads no cookie).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
FRAMEABLE_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")

# What no search engine should index, besides every page reached by a private link: moderation, the
# framed count, and the pages that only say "check your e-mail" (robots.txt is made from this too).
NOT_INDEXED_BLUEPRINTS = frozenset({"moderate", "embed"})
NOT_INDEXED_ENDPOINTS = frozenset({"submit.sent", "submit.sign_sent", "submit.contact_sent"})
# Blueprints whose answers depend on no cookie and set none: pages other sites show.
COOKIELESS_BLUEPRINTS = frozenset({"embed"})

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Each error page's title says what happened, in plain words; its message, what to do next.
ERROR_TITLES = {
    400: lambda: _("Something in the request was wrong"),
    404: lambda: _("Page not found"),
    405: lambda: _("Not possible on this page"),
    409: lambda: _("Changed in the meantime"),
    410: lambda: _("This link no longer works"),
    413: lambda: _("Too much was sent at once"),
    429: lambda: _("Too many requests for now"),
    500: lambda: _("Something went wrong on our side"),
    503: lambda: _("Not available at the moment"),
}

ERROR_MESSAGES = {
    400: lambda: _("The request was not understood. Please check the address and try again."),
    404: lambda: _("There is no public page at this address; the letter may have been withdrawn. Please check the address, or look among all the letters."),
    405: lambda: _("This page does not accept that kind of request. Please go back and use the links and buttons on the page."),
    409: lambda: _("This was changed in the meantime. Please reload and try again."),
    410: lambda: _("This link is no longer valid. If it came in an e-mail from us, please ask for your links again."),
    # Nothing of the body was read, so nothing can be shown again: the page says how to send less.
    413: lambda: _(
        "What you sent is too large: this site takes up to %(size)s KB at once, so nothing was saved. "
        "Please go back, shorten the text (each box says how many characters it takes) and send it again. "
        "If the box is empty when you go back, paste your text again from where you wrote it.",
        size=format_decimal(current_app.config["MAX_CONTENT_LENGTH"] // 1024),
    ),
    429: lambda: _("Too many requests. Please wait a minute and try again."),
    500: lambda: _("Something went wrong on our side. Nothing you sent was lost; please try again later."),
    503: lambda: _("The site is unavailable for a moment. Please try again in a minute; if you were sending a form, go back and send it again."),
}

# Flask-WTF's reason for refusing a token older than WTF_CSRF_TIME_LIMIT.
CSRF_EXPIRED = "The CSRF token has expired."

# Seconds a visitor (or a proxy) is told to wait when the database cannot be reached.
DATABASE_RETRY_AFTER = 30
# How often a worker asks Redis for the key of the day again: after Redis was unreachable or lost
# its data, every worker is back on one shared key, and limits are shared again, within this time.
CLIENT_KEY_RECHECK_SECONDS = 5


# The only blueprints with rate limits (on their form posts and sign-in).
LIMITED_BLUEPRINTS = frozenset({"submit", "moderate"})


def has_no_limits() -> bool:
    """Whether this request may skip the rate limiter: it is outside LIMITED_BLUEPRINTS and no default
    or application-wide limit is configured. The limiter would otherwise resolve blueprint limits and
    exemptions for each reader's page and PDF, a cost that shows beside serving a cached compilation."""
    config = current_app.config
    return request.blueprint not in LIMITED_BLUEPRINTS and not (config.get("RATELIMIT_DEFAULT") or config.get("RATELIMIT_APPLICATION"))


def client_key() -> str:
    """Who is asking, for rate limits: a keyed hash of the address under a random key of the day.

    The address is never stored: Redis keeps only this hash, for one limit window, and the key
    lives two days in Redis (or in memory) and is never written anywhere else, so a copy of
    the limiter's data cannot be turned back into addresses once the key is gone.
    """
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    digest = hmac.new(_key_of_the_day(day), client_network(request.remote_addr).encode(), hashlib.sha256)
    return digest.hexdigest()[:32]


def _key_of_the_day(day: str) -> bytes:
    known: dict = current_app.extensions.setdefault("refusal_client_key", {})
    if known.get("day") != day:
        known.update(day=day, key=secrets.token_bytes(32), checked=-math.inf)
    if current_app.config["REDIS_URL"] and time.monotonic() - known["checked"] >= CLIENT_KEY_RECHECK_SECONDS:
        known["checked"] = time.monotonic()
        # Not only once a day: a worker that started while Redis was down must join the others.
        known["key"] = _shared_key(day, proposal=known["key"]) or known["key"]
    return known["key"]


def _shared_key(day: str, proposal: bytes) -> bytes | None:
    """One key for every worker and machine, agreed through Redis (first writer wins)."""
    try:
        client = redis.Redis.from_url(current_app.config["REDIS_URL"], **redis_options(current_app.config))
        with client:
            name = f"refusal:client-key:{day}"
            client.set(name, proposal, nx=True, ex=2 * 86400)
            return client.get(name)
    except redis.RedisError:
        current_app.logger.warning("Redis unreachable: rate-limit key is local to this worker for now")
        return None


def client_network(address: str | None) -> str:
    """The unit a rate limit counts: one IPv4 address, or one IPv6 /64 (what one subscriber gets)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def no_store(response: Response) -> Response:
    """For forms and private pages: never kept by a browser or a proxy."""
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect_to_show_once(location: str, what: str, **shown) -> Response:
    """Post/Redirect/Get for a page that shows something only once (recovery codes, a first password):
    the values wait in this browser's session, never in the URL, and `shown_once` takes them out, so
    Back or a reload never sends the form again and never shows them twice."""
    session[f"once:{what}"] = shown
    return redirect(location, code=303)


def shown_once(what: str) -> dict | None:
    """What `redirect_to_show_once` kept for this page, taken out of the session; None after once."""
    shown = session.pop(f"once:{what}", None)
    return shown if isinstance(shown, dict) else None


def still_to_show(what: str) -> bool:
    """Whether `redirect_to_show_once` kept something for this page that has not been shown yet."""
    return f"once:{what}" in session


def configured_limit(setting: str):
    """A rate limit read from the configuration at request time (so tests and deployments can set it)."""
    return lambda: current_app.config[setting]


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


def error_response(status: int, message: str | None = None, title: str | None = None):
    """The page (or, for the API, the JSON) of an error: what happened, and what to do next."""
    if isinstance(request.routing_exception, SecurityError):
        # A Host header outside TRUSTED_HOSTS: Flask cannot build URLs for it, so no page either.
        return Response("Unknown host.\n", status=400, mimetype="text/plain")
    message = message or ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])()
    if request.blueprint == "api":
        return {"error": status, "message": message}, status
    title = title or ERROR_TITLES.get(status, ERROR_TITLES[500])()
    # Not to be indexed or previewed, and drawn without the database (it may be what failed).
    g.error_page = True
    return render_template("errors/error.html", status=status, title=title, message=message), status


def csrf_refusal():
    """A form refused by its CSRF check: usually left open past its time limit, or posted from another site."""
    message = _("This form has expired or did not come from this site. Please reload the page and send it again; what you typed may need to be copied first.")
    return error_response(400, message, title=_("This form has expired"))


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie session, never sent on the pages other sites show: they must not set
    (or refresh) a cookie on the reader of another site."""

    def should_set_cookie(self, app: Flask, session) -> bool:
        return request.blueprint not in COOKIELESS_BLUEPRINTS and super().should_set_cookie(app, session)


def init_app(app: Flask) -> None:
    app.session_interface = SessionInterface()
    if app.config["PROXY_COUNT"]:
        # Only as many X-Forwarded-* hops as there are proxies we run; the rest could be forged.
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)
    # A PDF builder is handed the id of the workers that started it: files changed on disk since they
    # started (a deploy under way) must not give its PDFs names the workers never look for.
    if "BUILD_ID" not in app.config:
        app.config["BUILD_ID"] = build_id(app)
    app.json.ensure_ascii = False
    app.jinja_env.filters["atom_time"] = lambda moment: moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    # Valid for <time datetime>: whole seconds (HTML allows at most three decimals), in UTC.
    app.jinja_env.filters["html_time"] = lambda moment: moment.astimezone(UTC).isoformat(timespec="seconds")
    # Form field attributes without the unset ones: WTForms would write None as the text "None".
    app.jinja_env.filters["without_none"] = lambda attributes: {k: v for k, v in attributes.items() if v is not None}
    app.jinja_env.globals.update(
        site_url=site_url, static_url=_static_url, language_switch_url=_language_switch_url, epoch=EPOCH, indexable=indexable,
        canonical_url=canonical_url,
    )

    @app.before_request
    def _remember_language() -> None:
        if request.blueprint in COOKIELESS_BLUEPRINTS:
            return
        try:
            lang = requested_language()
        except UnknownLanguage:
            raise BadRequest("unknown language") from None
        if lang is not None and session.get("lang") != lang:
            session["lang"] = lang
            session.permanent = True

    @app.before_request
    def _refuse_posts_from_other_sites() -> None:
        """A form sent from another site's page is refused by where the browser says it came from:
        Origin, else Referer. Neither is required (privacy tools drop the Referer, and a page with
        Referrer-Policy: no-referrer sends "Origin: null"): the CSRF token still guards each form."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if source and source != "null" and not _same_origin(source):
            raise CSRFError("the form was sent from another site")

    @app.before_request
    def _refuse_what_no_route_takes():
        """Refused here, once for every route, before any view sees it: a file (no form takes one,
        and a text field sent as a file part is no text), and NUL in the address (nothing we look up
        may hold it; PostgreSQL cannot). NUL in a form field is refused next to the field (forms.Form)."""
        if "\x00" in request.path:
            return error_response(404)
        if request.method == "POST" and request.mimetype == "multipart/form-data" and request.files:
            return error_response(400, _("This form takes no files. Please go back, and send the form with the text typed into it."))
        if any("\x00" in text for pair in request.args.items(multi=True) for text in pair):
            return error_response(400, _("The address holds an invisible NUL character. Please check the address and try again."))

    @app.after_request
    def _security_headers(response):
        frameable = g.get("frameable", False)
        response.headers.setdefault("Content-Security-Policy", FRAMEABLE_SECURITY_POLICY if frameable else CONTENT_SECURITY_POLICY)
        # A page reached by a private link names no page to anyone, not even to our own: the
        # address is the key to the letter.
        private = is_private()
        response.headers.setdefault("Referrer-Policy", "no-referrer" if private else "same-origin")
        if not indexable():
            response.headers.setdefault("X-Robots-Tag", "noindex")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if not frameable:
            response.headers.setdefault("X-Frame-Options", "DENY")
        return response

    # The page nginx shows for a body over its own limit (deploy/nginx/site.conf, error_page 413):
    # the app's page, in the reader's language, with the same status.
    app.add_url_rule("/errors/too-large", "too_large", lambda: error_response(413))

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return csrf_refusal()

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        # A refusal that says in the visitor's words what was wrong (params.BadParameters) says it.
        return error_response(error.code or 500, getattr(error, "user_message", None))

    @app.errorhandler(DBAPIError)
    def _database_error(error: DBAPIError):
        if not isinstance(error, OperationalError) and not error.connection_invalidated:
            return _unexpected_error(error)
        # Down, restarting or unreachable: a page that says so, not a 500. The driver's first line
        # only; it names the server, never the statement's parameters.
        reason = (str(error.orig).strip() or type(error.orig).__name__).splitlines()[0]
        app.logger.warning("database unavailable on %s %s: %s", request.method, _route(), reason)
        response = make_response(error_response(503))
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return no_store(response)

    @app.errorhandler(Exception)
    def _unexpected_error(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, _route())
        return error_response(500)


def is_private() -> bool:
    """Whether this request is for a page reached by a private link (a token in its address), or for
    an address that matched no route (a 404, a 405), which may be such a link misspelled."""
    return request.url_rule is None or "token" in (request.view_args or {})


def indexable() -> bool:
    """Whether search engines may index this page and messengers show a preview of it (never an
    error page: its preview would need the database, which may be what failed)."""
    return not g.get("error_page") and not is_private() and is_indexable(request.url_rule)


def is_indexable(rule: Rule) -> bool:
    blueprint = rule.endpoint.rpartition(".")[0]
    return "token" not in rule.arguments and blueprint not in NOT_INDEXED_BLUEPRINTS and rule.endpoint not in NOT_INDEXED_ENDPOINTS


def canonical_url(params: dict) -> str:
    """This page's one address (for rel=canonical and og:url): the route and the page's validated
    parameters, without the defaults and without ?lang= (each language has its alternate)."""
    query = {key: value for key, value in params.items() if value is not None and not (key == "page" and value == 1)}
    return site_url(request.endpoint, **(request.view_args or {}), **query)


def _same_origin(url: str) -> bool:
    """Whether `url` is of this site: the scheme and host of this request, or of SITE_URL."""
    source = urlsplit(url)
    ours = {(request.scheme, request.host), (urlsplit(current_app.config["SITE_URL"]).scheme, urlsplit(current_app.config["SITE_URL"]).netloc)}
    return (source.scheme, source.netloc) in ours


def _route() -> str:
    # The route pattern, not the path: paths can carry an author's private token.
    return request.url_rule.rule if request.url_rule else "(no route)"


def _language_switch_url(code: str, params: dict) -> str:
    """This page in another language. Only validated parameters are carried over, never raw ones,
    because the page may be cached and served to the next visitor."""
    query = {key: value for key, value in params.items() if value is not None}
    query["lang"] = code
    return request.path + "?" + urlencode(query)


def _static_url(filename: str) -> str:
    """A static file's URL with the build id, so it can be cached for a year and still change on deploy."""
    return url_for("static", filename=filename, v=current_app.config["BUILD_ID"])
