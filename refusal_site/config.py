"""Every setting with a safe default. Layered: these -> instance/config.py -> REFUSAL_* -> test_config."""

import os
import secrets
from datetime import timedelta


class Config:
    # "development" or "production"; production refuses unsafe defaults.
    ENV = "development"
    # Signs sessions and tokens. Generated into instance/ in development; required in production.
    SECRET_KEY: str | None = None
    # SQLAlchemy URL; None means the SQLite file instance/refusal_site.sqlite3.
    DATABASE_URL: str | None = None
    # Seconds to wait for PostgreSQL to accept a new connection: a server that does not answer
    # gives an error page quickly instead of holding the worker until gunicorn kills it.
    DATABASE_CONNECT_TIMEOUT = 5
    # Redis URL shared by all workers (rate limits); None keeps such state in process memory.
    REDIS_URL: str | None = None
    # Seconds to wait for Redis to connect or answer. A Redis that accepts connections and never
    # answers costs a request this much, once; then limits fall back to each worker's memory.
    REDIS_TIMEOUT = 0.5
    # The public base URL that links in mail are built from (never the request's Host header).
    SITE_URL = "http://127.0.0.1:5000"
    # Host names this deployment answers to; None accepts any (development only).
    TRUSTED_HOSTS: list[str] | None = None
    # Letters per page on /letters and /api/v1/letters.
    LETTERS_PER_PAGE = 20
    # The most letters one download of a search or filter holds (/export/chosen.csv): as many as a
    # search ranks (search.CANDIDATES); every letter is one download already (/export/letters.csv).
    EXPORT_CHOSEN_MAX = 1000
    # Letters shown on the home page and in the Atom feed.
    LATEST_LETTERS = 10
    # Largest request body accepted, in bytes (a 20,000-character letter in UTF-8 is under 80 KB).
    MAX_CONTENT_LENGTH = 256 * 1024
    # SQLite waits this long (ms) for a competing writer before giving up.
    SQLITE_BUSY_TIMEOUT_MS = 15_000
    # How many rendered public pages each worker keeps in memory.
    PAGE_CACHE_SIZE = 256
    # Languages a letter may be written in, and that the interface speaks; the first is the default.
    LANGUAGES = ("he", "ar", "en")
    BABEL_DEFAULT_LOCALE = "he"
    BABEL_TRANSLATION_DIRECTORIES = "translations"
    # Cookies: not readable by scripts, not sent on cross-site subrequests.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(days=30)
    # Outgoing mail. With no MAIL_SERVER, messages are written to instance/outbox/ as .eml files.
    MAIL_SERVER: str | None = None
    MAIL_PORT = 587
    MAIL_USE_TLS = True  # STARTTLS on MAIL_PORT
    MAIL_USE_SSL = False  # TLS from the first byte (port 465)
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    # The address mail comes from; its display name is the site's name in the mail's language (languages.SITE_NAME).
    MAIL_SENDER = "no-reply@refusers.invalid"
    MAIL_TIMEOUT = 10  # seconds
    # Mail is queued in the database with the change that causes it and sent outside the request:
    # by `flask send-mail --loop`, and (unless turned off) right after the response by the worker
    # that queued it, so nothing else needs to run. Turn it off when send-mail runs, to keep SMTP
    # time off the web workers.
    MAIL_DELIVER_AFTER_RESPONSE = True
    MAIL_BATCH_SIZE = 50  # messages one sender claims at a time (one SMTP connection)
    MAIL_CLAIM_SECONDS = 300  # no other sender takes a claimed message for this long (a dead sender's lapse)
    MAIL_RETRY_SECONDS = 30  # wait before the first retry; doubled after each failure ...
    MAIL_RETRY_MAX_SECONDS = 3600  # ... up to this
    MAIL_MAX_ATTEMPTS = 12  # then the message is dropped and logged (without its address): about 5 hours
    MAIL_POLL_SECONDS = 2.0  # send-mail --loop: pause when nothing is due
    # Per recipient, messages anyone can cause by typing an address (confirmations, links, sign-again);
    # beyond these they are dropped and logged without the address. Decisions are never limited.
    # A person co-signing several letters in one sitting gets a confirmation for each: room for ten.
    MAIL_RECIPIENT_HOURLY = 10  # in the last hour
    MAIL_RECIPIENT_DAILY = 30  # in the last day
    # Rate limits per client (a keyed hash of the address); storage is Redis when REDIS_URL is set.
    SUBMIT_RATE_LIMIT = "10 per minute; 60 per hour"
    CONFIRM_RATE_LIMIT = "20 per minute"
    RESEND_RATE_LIMIT = "3 per minute; 10 per hour"
    SIGN_RATE_LIMIT = "10 per minute; 60 per hour"
    CONTACT_RATE_LIMIT = "5 per minute; 20 per hour"
    RATELIMIT_ENABLED = True
    RATELIMIT_HEADERS_ENABLED = True
    # If Redis goes away, keep limiting per process rather than failing requests.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # How many reverse proxies in front of the app set X-Forwarded-For (0: none; trust nothing).
    PROXY_COUNT = 0
    # A form may take hours to write; its CSRF token must outlive that.
    WTF_CSRF_TIME_LIMIT = 12 * 3600
    # Flask-WTF's HTTPS check demands a Referer, which privacy tools and our own no-referrer pages
    # leave out: forms are guarded by the token, SameSite cookies and the Origin check in http.py.
    WTF_CSRF_SSL_STRICT = False
    # Every date and time the site shows (pages, mails, PDFs) is in this zone; embargoes are entered in it.
    DISPLAY_TIMEZONE = "Asia/Jerusalem"
    # A moderator idle this long is signed out; no session lasts longer than the second.
    MODERATOR_IDLE_TIMEOUT = 30 * 60
    MODERATOR_SESSION_MAX = 12 * 3600
    # Sign-in attempts per client (a keyed hash of the address), on top of the per-account lockout.
    # Below the 20 an hour it takes to keep an account locked (5 failures per 15-minute lock), so one
    # client cannot keep a moderator out for good.
    SIGN_IN_RATE_LIMIT = "10 per minute; 15 per hour"
    # Moderators get one digest mail of what waits for them at most this often (minutes), from send-mail.
    MODERATION_DIGEST_MINUTES = 60
    # A claim on a translation keeps others from writing it for this long (hours), then lapses by itself.
    TRANSLATION_CLAIM_HOURS = 72
    # Letters per page in the moderation queue (and the translators'), and audit rows per page.
    QUEUE_PER_PAGE = 50
    # Signatures per moderation page: one "approve all shown" decides this many at once.
    SIGNATURE_QUEUE_PER_PAGE = 500
    # Signers listed per page under a collective letter.
    SIGNERS_PER_PAGE = 200
    AUDIT_PER_PAGE = 100
    # Press PDFs: a build runs in its own process with these limits; a date range holds at most
    # PDF_MAX_LETTERS letters (one request must not tie up the machine).
    PDF_BUILD_MEMORY_BYTES = 2 * 1024**3
    PDF_BUILD_SECONDS = 600
    PDF_MAX_LETTERS = 3000
    # A collective letter with more co-signers than this, or a letter longer than this many
    # characters, gets its PDF built in the background (a request would hold its worker seconds).
    PDF_INLINE_SIGNERS = 300
    PDF_INLINE_CHARS = 8000
    # Background PDF builds that may run at once on one machine; more requests get a 503 to retry.
    PDF_MAX_BUILDS = 2
    # build-pdf deletes cached PDFs and pages that no build has used for this many days.
    PDF_KEEP_DAYS = 7
    # Builds of date ranges (compilations nobody asked for before) that one client may start.
    PDF_RANGE_RATE_LIMIT = "5 per 10 minutes; 20 per day"
    # A range's compilation nobody asked for again in this many hours is deleted (the standard ones
    # are kept PDF_KEEP_DAYS).
    PDF_RANGE_KEEP_HOURS = 24
    # After a compilation's build failed, requests for it get a 503 for this many seconds.
    PDF_RETRY_AFTER_FAILURE = 60
    # A letter whose pages failed to render is not tried again for this many seconds: its PDF answers
    # 503 and compilations print a note in its place meanwhile (a new version of it is tried at once).
    PDF_UNPRINTABLE_SECONDS = 3600
    # build-pdf --watch looks for a new publication, withdrawal or correction this often (seconds).
    PDF_WATCH_SECONDS = 2.0
    # Contact addresses are erased this many days after a letter is published, rejected or withdrawn.
    CONTACT_RETENTION_DAYS = 90
    # Where contact-form messages are mailed as well as kept in the moderators' inbox; None: inbox only.
    # They are deleted CONTACT_RETENTION_DAYS after a moderator marks them handled.
    CONTACT_TEAM_EMAIL: str | None = None
    # Do not let the ORM's event tracking cost memory on every write.
    SQLALCHEMY_TRACK_MODIFICATIONS = False


def instance_path(test_config: dict | None = None) -> str | None:
    """The instance folder (secret key, SQLite file, outbox, PDF cache): a test's own, else
    REFUSAL_INSTANCE_PATH (a deployment's, or a service's sharing the web workers' folder), else
    None, Flask's ./instance in the checkout. Read before the app exists, so not a setting."""
    return (test_config or {}).get("INSTANCE_PATH") or os.environ.get("REFUSAL_INSTANCE_PATH") or None


def configure(app, test_config: dict | None = None) -> None:
    """Load settings in layers and refuse to run production on unsafe defaults."""
    app.config.from_object(Config)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("REFUSAL")
    if test_config:
        app.config.update(test_config)
    production = app.config["ENV"] == "production"
    if not app.config.get("SECRET_KEY"):
        if production:
            raise RuntimeError("REFUSAL_SECRET_KEY must be set when REFUSAL_ENV=production")
        app.config["SECRET_KEY"] = _development_secret_key(app.instance_path)
    if production:
        app.config["SESSION_COOKIE_SECURE"] = True
        _refuse_unsafe_production(app.config)
    app.config["RATELIMIT_STORAGE_URI"] = app.config["REDIS_URL"] or "memory://"
    if app.config["REDIS_URL"]:
        app.config["RATELIMIT_STORAGE_OPTIONS"] = redis_options(app.config)
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["DATABASE_URL"], app.instance_path)
    # hide_parameters: database errors in the log must not carry contact addresses or letters.
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "hide_parameters": True}
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] = {"connect_timeout": app.config["DATABASE_CONNECT_TIMEOUT"]}


def _refuse_unsafe_production(config) -> None:
    """Settings without which a production site would leak or mislead; better not to start."""
    problems = []
    if not config.get("REDIS_URL"):
        # In-memory limits are per process: four workers would let four times as much through.
        problems.append("REFUSAL_REDIS_URL (rate limits shared by all workers)")
    if config["SITE_URL"] == Config.SITE_URL or not config["SITE_URL"].startswith("https://"):
        problems.append("REFUSAL_SITE_URL as an https:// address (links in mail are built from it)")
    if not config.get("TRUSTED_HOSTS"):
        problems.append("REFUSAL_TRUSTED_HOSTS (the host names this site answers to)")
    if not config.get("MAIL_SERVER"):
        # The outbox folder would pile up contact addresses and private links forever.
        problems.append("REFUSAL_MAIL_SERVER (the outbox folder is for development only)")
    if problems:
        raise RuntimeError("REFUSAL_ENV=production needs: " + "; ".join(problems))


def redis_options(config) -> dict:
    """What every Redis client of ours is made with: a hung Redis is a slow path, not an outage."""
    return {"socket_timeout": config["REDIS_TIMEOUT"], "socket_connect_timeout": config["REDIS_TIMEOUT"]}


def database_url(url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL: the instance SQLite file by default, psycopg 3 for PostgreSQL."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "refusal_site.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _development_secret_key(instance_path: str) -> str:
    """Generate a key once into instance/ so sessions survive restarts in development."""
    os.makedirs(instance_path, exist_ok=True)
    path = os.path.join(instance_path, "secret_key")
    try:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    except FileNotFoundError:
        pass
    key = secrets.token_hex(32)
    # O_EXCL: two workers starting at once agree on one key instead of overwriting each other's.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        with open(path, encoding="ascii") as f:
            return f.read().strip()
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key)
    return key
