"""Fixtures: an app per test on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL too."""

import importlib.util
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, make_url, text

from refusal_site import create_app
from refusal_site.config import database_url
from refusal_site.extensions import db
from refusal_site.storage import dispose_engines

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)] if POSTGRES_URL else ["sqlite"]


def _migration(name: str):
    """A migration module (its file name starts with a digit, so it cannot be imported by name)."""
    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"migration_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SEEDED_REASONS = _migration("0014_rejection_reasons")
TABLES = ("letter_search", "author_translations", "translation_versions", "translations", "contact_messages", "site_pages", "mail_marks", "queued_mail", "audit_events", "letter_versions", "signatures", "letters", "recovery_codes", "moderators", "public_tally", "moderation_digest", "delay_notices", "rejection_reasons", "press_previews")


def pytest_configure(config) -> None:
    if os.environ.get("CI") and not POSTGRES_URL:
        raise pytest.UsageError("CI must run the suite against PostgreSQL: set TEST_DATABASE_URL")


def pytest_collection_modifyitems(items) -> None:
    """The longest tests first (slow ones in a browser, then other slow ones, then other browser
    ones): `make test` spreads the suite over workers, and a long test started last would keep the
    run going after the other workers ran out of tests."""
    items.sort(key=lambda item: (item.get_closest_marker("slow") is None, item.get_closest_marker("browser") is None))


def base_config(tmp_path, url: str) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "DATABASE_URL": url,
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "SITE_URL": "https://refusers.example",
    }


def migrate_empty_database(url: str, instance_path: str) -> None:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": url, "INSTANCE_PATH": instance_path})
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file, copied for each test (much faster than migrating each time)."""
    folder = tmp_path_factory.mktemp("sqlite-template")
    path = folder / "template.sqlite3"
    migrate_empty_database(f"sqlite:///{path}", str(folder / "instance"))
    return str(path)


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory):
    """A PostgreSQL database of our own for this session, migrated once, dropped at the end."""
    name = f"refusal_test_{uuid.uuid4().hex[:12]}"
    admin_url = make_url(database_url(POSTGRES_URL, ""))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    migrate_empty_database(url, str(tmp_path_factory.mktemp("pg-instance")))
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def reset_postgres(url: str) -> None:
    """Empty TABLES and restart their ids, as a freshly migrated database has them.

    DELETE, children before parents, rather than TRUNCATE: TRUNCATE gives every table new files, and
    cost 0.3-0.5 s before each PostgreSQL test on a busy machine where this costs 0.05-0.1 s."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for table in _children_first(TABLES):
            connection.execute(text(f"DELETE FROM {table}"))
        # RESTART IDENTITY's part: each sequence a column of these tables owns starts again.
        connection.execute(
            text(
                "SELECT setval(sequence.seqrelid, sequence.seqstart, false) FROM pg_sequence sequence"
                " JOIN pg_depend owner ON owner.objid = sequence.seqrelid AND owner.deptype IN ('a', 'i')"
                " JOIN pg_class owned ON owned.oid = owner.refobjid"
                " WHERE owned.relname = ANY(:tables) AND owned.relnamespace = 'public'::regnamespace"
            ),
            {"tables": list(TABLES)},
        )
        connection.execute(
            text("INSERT INTO public_tally (id, refusers, signatures, letters_he, letters_ar, letters_en, revision) VALUES (1, 0, 0, 0, 0, 0, 0)")
        )
        # The stock reasons the migration seeds, as an SQLite copy of the migrated template has them.
        connection.execute(SEEDED_REASONS.reasons_table.insert(), SEEDED_REASONS.default_rows())
    engine.dispose()


def _children_first(tables: tuple[str, ...]) -> list[str]:
    """`tables` in an order DELETE can empty them: a table before the tables its foreign keys point at."""
    ordered = [table.name for table in reversed(db.metadata.sorted_tables)]
    assert set(tables) <= set(ordered), f"not a model's table: {set(tables) - set(ordered)}"
    return [name for name in ordered if name in tables]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url_for_test(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_database")
    reset_postgres(url)
    return url


@pytest.fixture
def app_config(tmp_path, database_url_for_test) -> dict:
    """Tests may change this before the app is created."""
    return base_config(tmp_path, database_url_for_test)


class FreshContextClient(FlaskClient):
    """Each request gets its own app context, `g` and database session, as in production,
    even while the test itself holds an app context for factories and assertions."""

    def open(self, *args, **kwargs):
        # Buffered: a streamed body is produced inside the request's own context, as a server would.
        kwargs.setdefault("buffered", True)
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if has_app_context():
            # The test looks at the database after the request: end its own transaction, so it
            # sees what the request committed rather than an older snapshot.
            db.session.rollback()
        return response


class CompiledTemplates(BytecodeCache):
    """Templates compiled once for the session, not once for each test: every test's app has a Jinja
    environment of its own, which parsed and compiled again each template the test rendered (a sixth
    of the CPU time of tests/test_public.py and test_submit.py). Jinja keys them by name and source."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = CompiledTemplates()


def new_app(config: dict):
    """An app as production builds it, with the session's compiled templates and our test client."""
    app = create_app(config)
    app.jinja_env.bytecode_cache = COMPILED_TEMPLATES
    app.test_client_class = FreshContextClient
    return app


@pytest.fixture
def app(app_config):
    app = new_app(app_config)
    with app.app_context():
        yield app
        db.session.remove()
    dispose_engines(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app):
    """The app served over real HTTP on a loopback port, for the browser."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Without these, Chromium tries to reach Google's hosts at start and on every page.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        raise pytest.UsageError(f"Chromium not found at {CHROMIUM}: run `make test` (installs Debian's chromium)")
    from playwright.sync_api import expect

    # An assertion waits as long as a loaded machine takes to show a page (the suite runs on two workers
    # sharing two cores, each with a browser and servers); a page that never shows it still fails.
    expect.set_options(timeout=20_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser tab with JavaScript off (every page must work without it) that records requests."""
    context = browser.new_context(java_script_enabled=False, base_url=live_server, locale="he-IL")
    tab = context.new_page()
    tab.requested_urls = []
    tab.on("request", lambda request: tab.requested_urls.append(request.url))
    yield tab
    context.close()


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts.

    A test may make it refuse: `refusals` are replies given to the next messages instead of accepting
    them (e.g. "451 4.3.0 Try again later"), `unknown_mailboxes` are refused at RCPT with 550, and
    `delay` slows every message down (seconds)."""
    import asyncio
    import socket
    from email import message_from_bytes
    from email.policy import default

    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self) -> None:
            self.messages = []
            self.envelopes = []  # as they came: mail options, raw bytes
            self.refusals: list[str] = []
            self.unknown_mailboxes: set[str] = set()
            self.delay = 0.0

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in self.unknown_mailboxes:
                return "550 5.1.1 No such mailbox here"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            if self.delay:
                await asyncio.sleep(self.delay)
            if self.refusals:
                return self.refusals.pop(0)
            self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=default)))
            self.envelopes.append(envelope)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keep()
    # Like the mail servers people use, it takes internationalized addresses (RFC 6531).
    controller = Controller(handler, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


@pytest.fixture
def make_app(app_config):
    """More apps on the test's database (e.g. two 'workers'); their connections closed afterwards."""
    made = []

    def make(**overrides):
        new = new_app({**app_config, **overrides})
        made.append(new)
        return new

    yield make
    for made_app in made:
        dispose_engines(made_app)


@pytest.fixture(autouse=True)
def _fresh_rate_limiter():
    """Flask-Limiter is one object per process; a test that kills its storage must not affect the next."""
    from refusal_site.extensions import limiter

    yield
    limiter._storage_dead = False


PASSWORD = "correct horse battery staple"


@pytest.fixture
def login_as(app):
    """Create a moderator and sign `client` in through the real form (with a real one-time code if needed)."""
    import pyotp

    from refusal_site import moderators
    from refusal_site.models import Role
    from tests.pages import hidden_fields

    def sign_in(client, role: str = "moderator", email: str | None = None, totp: bool = False):
        email = email or f"{role}-{uuid.uuid4().hex[:6]}@team.example"
        moderator = moderators.create(email, PASSWORD, role=Role(role))
        secret = None
        if role == "admin" or totp:
            secret = pyotp.random_base32()
            # Set up with the previous step's code (still accepted), so the current one is unused.
            previous = pyotp.TOTP(secret).at(time.time() - 30)
            moderator, _ = moderators.enable_totp(moderator, secret, previous)
        form = hidden_fields(client.get("/moderate/sign-in"))
        response = client.post("/moderate/sign-in", data={**form, "email": email, "password": PASSWORD})
        if secret:
            form = hidden_fields(client.get("/moderate/sign-in/code"))
            response = client.post("/moderate/sign-in/code", data={**form, "code": pyotp.TOTP(secret).now()})
        assert response.status_code == 302, response.get_data(as_text=True)[:300]
        moderator = db.session.get(type(moderator), moderator.id)
        moderator.totp = pyotp.TOTP(secret) if secret else None
        return moderator

    return sign_in
