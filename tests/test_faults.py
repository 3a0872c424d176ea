"""Faults: a worker killed mid-write, PostgreSQL down and back, Redis lost and found again.

The site runs under gunicorn with the repository's gunicorn.conf.py, started by the benchmark's
own helpers (bench/lib/); PostgreSQL and Redis, where a test stops them,
are private servers of that test, never the shared ones other tests use.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text

from bench.lib.databases import Database, PostgresBackend, stored_names
from bench.lib.forms import Browser, acknowledged, run_submissions
from bench.lib.processes import worker_pids
from bench.lib.servers import free_port, gunicorn
from refusal_site import create_app
from refusal_site.extensions import db
from refusal_site.storage import dispose_engines
from tests.conftest import base_config
from tests.pages import Page

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
# An answer slower than this counts as hanging (the machine may be busy with other tests).
HANGING = 5
UNAVAILABLE = {
    "he": "האתר אינו זמין לרגע",
    "ar": "الموقع غير متاح للحظة",
    "en": "The site is unavailable for a moment",
}


def wait_for(condition, timeout: float, interval: float = 0.1):
    """Poll until `condition()` is truthy; return its last value."""
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(interval)
    return result


def booted_workers(server) -> int:
    return server.log_path.read_text(errors="replace").count("Booting worker")


@pytest.fixture
def served(app, app_config) -> Database:
    """This test's database, as the benchmark helpers take it (they serve and read it)."""
    return Database(app_config["DATABASE_URL"], app_config["INSTANCE_PATH"], app)


@pytest.fixture
def served_sqlite(sqlite_template, tmp_path) -> Database:
    """A database of its own, for tests about something else than the database (run once, not per backend)."""
    path = tmp_path / "served.sqlite3"
    shutil.copyfile(sqlite_template, path)
    app = create_app(base_config(tmp_path, f"sqlite:///{path}"))
    yield Database(app.config["DATABASE_URL"], app.config["INSTANCE_PATH"], app)
    dispose_engines(app)


@pytest.fixture
def many_submissions(monkeypatch):
    # Every client here is 127.0.0.1: raise the per-client limit, for the servers this test starts.
    monkeypatch.setenv("REFUSAL_SUBMIT_RATE_LIMIT", "1000000 per minute")


# --- 1. a worker killed with SIGKILL while it writes ---------------------------------------------

SUBMISSIONS = 90


def test_a_worker_killed_mid_write_loses_no_acknowledged_submission(served, tmp_path, many_submissions):
    run = uuid.uuid4().hex[:6]
    names = [f"killed-{run}-{n}" for n in range(SUBMISSIONS)]
    killed: list[int] = []
    acknowledged_at_kill: list[int] = []
    lock = threading.Lock()
    with gunicorn(served, tmp_path, workers=2, config=GUNICORN_CONF) as server:

        def kill_a_worker(done: int) -> None:
            with lock:
                if not killed and done >= SUBMISSIONS // 3:
                    killed.append(worker_pids(server.pid)[0])
                    acknowledged_at_kill.append(done)
                    os.kill(killed[0], signal.SIGKILL)

        outcome, _ = run_submissions(server.base, names, threads=8, on_progress=kill_a_worker)
        assert killed, f"a worker was killed ({len(outcome.acknowledged)} acknowledged, {outcome.failed} failed, {server.log_problems()[:5]})"
        assert len(outcome.acknowledged) > acknowledged_at_kill[0] + SUBMISSIONS // 3, "writes went on after the kill"
        replaced = wait_for(lambda: len(pids := worker_pids(server.pid)) == 2 and killed[0] not in pids, timeout=20)
        assert replaced, f"the master started a new worker: {worker_pids(server.pid)}"
        assert wait_for(lambda: booted_workers(server) == 3, timeout=5), server.log_path.read_text()
        assert Browser(server.base).submit(f"killed-{run}-after"), "the new worker serves"
    stored = stored_names(served, f"killed-{run}-")
    lost = sorted(set(outcome.acknowledged) - stored)
    assert not lost, f"{len(lost)} acknowledged but not stored, e.g. {lost[:5]}"
    assert len(stored) >= len(outcome.acknowledged) + 1


# --- 2. PostgreSQL stopped and started again under traffic ---------------------------------------


class PrivatePostgres:
    """A throwaway PostgreSQL cluster: the shared one on 5432 must never be restarted by a test."""

    def __init__(self) -> None:
        bindir = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        self.bin = Path(bindir)
        # Short: the server's Unix socket lives here, and its path may not exceed 107 bytes.
        self.folder = Path(tempfile.mkdtemp(prefix="refusal-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        # initdb refuses to run as root: the cluster belongs to the postgres account then.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync")

    def _run(self, tool: str, *args) -> None:
        command = [*self.as_owner, str(self.bin / tool), *map(str, args)]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", self.data, "-l", self.folder / "server.log", "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", self.data, "-m", mode, "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture
def private_postgres():
    cluster = PrivatePostgres()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


class Reader(threading.Thread):
    """A reader who keeps asking for public pages, recording every answer and when it was asked."""

    PATHS = ("/", "/letters", "/api/v1/count")

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.browser = Browser(base)
        self.answers: list[tuple[str, int | str, float, float]] = []  # path, status, asked, answered
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            for path in self.PATHS:
                started = time.monotonic()
                try:
                    response = self.browser.request("GET", path)
                    response.read()
                    status = response.status
                except OSError as error:
                    status = type(error).__name__
                self.answers.append((path, status, started, time.monotonic()))
            time.sleep(0.02)

    def stop(self) -> list[tuple[str, int | str, float, float]]:
        self.stopping.set()
        self.join(timeout=30)
        return self.answers


def get(browser: Browser, path: str) -> tuple[int, dict, str, float]:
    started = time.monotonic()
    response = browser.request("GET", path)
    body = response.read().decode()
    return response.status, dict(response.getheaders()), body, time.monotonic() - started


def assert_unavailable_page(status: int, headers: dict, body: str, elapsed: float, lang: str) -> None:
    assert status == 503, body[:500]
    assert int(headers["Retry-After"]) > 0
    assert headers["Cache-Control"] == "no-store", "no proxy keeps the outage page"
    assert elapsed < HANGING, f"answered after {elapsed:.1f} s"
    page = Page(body)
    assert page.find("html")[0]["lang"] == lang
    assert UNAVAILABLE[lang] in page.visible_text
    assert "Traceback" not in body and "psycopg" not in body and "sqlalchemy" not in body.lower()


def test_postgres_down_gives_a_translated_503_and_the_site_recovers_without_a_restart(private_postgres, tmp_path, many_submissions):
    backend = PostgresBackend(private_postgres.url)
    try:
        database = Database.create(backend, "restart", tmp_path)
        with gunicorn(database, tmp_path, workers=2, config=GUNICORN_CONF) as server:
            browser = Browser(server.base)
            assert browser.submit("before the restart")
            reader = Reader(server.base)
            reader.start()
            time.sleep(0.5)  # both workers now hold pooled connections

            private_postgres.stop()
            stopped = time.monotonic()
            time.sleep(0.5)
            for lang in ("he", "en", "ar"):
                for path in ("/", "/letters", "/press/letters.pdf"):
                    assert_unavailable_page(*get(browser, f"{path}?lang={lang}"), lang)
            status, headers, body, _ = get(browser, "/api/v1/count")
            assert status == 503 and "Retry-After" in headers and json.loads(body)["error"] == 503
            refused = browser.post_letter("during the outage")
            assert refused.status == 503 and not acknowledged(refused)

            starting = time.monotonic()
            private_postgres.start()
            started = time.monotonic()
            for lang in ("he", "en"):
                for path in ("/", "/letters", "/api/v1/count"):
                    status, _, body, _ = get(browser, f"{path}?lang={lang}")
                    assert status == 200, body[:500]
            assert browser.submit("after the restart")
            time.sleep(0.5)
            answers = reader.stop()

            # A restart between two requests is not seen at all: the pooled connections it broke
            # are noticed (a ping before writes, one retry of reads) and replaced on the spot.
            private_postgres.stop()
            private_postgres.start()
            for n in range(4):
                for path in Reader.PATHS:
                    status, _, body, _ = get(Browser(server.base), path)
                    assert status == 200, f"{path} after a quiet restart: {body[:300]}"
                assert Browser(server.base).submit(f"after a quiet restart {n}")
            log = server.log_path.read_text(errors="replace")
            assert booted_workers(server) == 2, "no worker was restarted"

        statuses = {status for _, status, _, _ in answers}
        assert statuses <= {200, 503}, f"only pages or the outage page, never a 500 or a dropped connection: {statuses}"
        down = [(path, status) for path, status, asked, answered in answers if stopped <= asked and answered <= starting]
        assert {path for path, _ in down} == set(Reader.PATHS) and {status for _, status in down} == {503}, down
        up = {(path, status) for path, status, asked, _ in answers if asked >= started}
        assert up == {(path, 200) for path in Reader.PATHS}, "every page is back, without restarting anything"
        assert max(answered - asked for _, _, asked, answered in answers) < HANGING, "no reader waited long"
        assert "database unavailable on GET /" in log, "the outage is logged"
        assert "Traceback" not in log
        assert {"before the restart", "after the restart", "after a quiet restart 3"} <= stored_names(database, "")
        assert "during the outage" not in stored_names(database, "")
    finally:
        backend.admin.dispose()


def test_a_database_that_does_not_answer_gives_a_503_within_the_connect_timeout(tmp_path):
    # A socket that listens but never accepts: the connection is made and then nothing is said,
    # like a database host that hangs. Without a connect timeout the request would wait forever.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"postgresql://postgres@127.0.0.1:{silent.getsockname()[1]}/refusal"
        app = create_app({**base_config(tmp_path, url), "DATABASE_CONNECT_TIMEOUT": 2})
        answers = []

        def ask() -> None:
            started = time.monotonic()
            response = app.test_client().get("/?lang=he")
            answers.append((response, time.monotonic() - started))

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        asking.join(timeout=10)
        assert answers, "the request was still waiting for the database after 10 s"
    asking.join(timeout=10)
    dispose_engines(app)
    response, elapsed = answers[0]
    assert_unavailable_page(response.status_code, response.headers, response.get_data(as_text=True), elapsed, "he")


# --- 3. Redis lost while submissions go on, then back --------------------------------------------


class PrivateRedis:
    """A redis-server of this test's own, to kill and start again (nothing saved to disk)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", str(self.folder),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        assert wait_for(lambda: self._answers(client), timeout=10), "redis-server did not start"
        client.close()

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def counters(self) -> list[str]:
        with redis.Redis.from_url(self.url) as client:
            return [key.decode() for key in client.keys("LIMITS:*")]


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.kill()


def remaining(response) -> int:
    """What the submission limit still allows this client, as the response says."""
    assert acknowledged(response), f"the submission was refused ({response.status})"
    left = response.getheader("X-RateLimit-Remaining")
    assert left is not None, "no limit applied: submissions are not counted at all"
    return int(left)


def shared_round(first: Browser, second: Browser) -> bool:
    """Two letters on the first server, one on the second: do they count on one counter?

    Separate counters grow by two and by one a round, so they cannot match twice in a row.
    """
    remaining(first.post_letter("round"))
    left = remaining(first.post_letter("round"))
    return remaining(second.post_letter("round")) == left - 1


def test_with_redis_lost_submissions_go_on_limited_in_memory_and_limits_are_shared_again_when_it_returns(
    served_sqlite, tmp_path, private_redis, monkeypatch
):
    monkeypatch.setenv("REFUSAL_REDIS_URL", private_redis.url)
    monkeypatch.setenv("REFUSAL_SUBMIT_RATE_LIMIT", "1000 per hour")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    # Two servers of one worker each: two machines sharing the database and Redis.
    with gunicorn(served_sqlite, tmp_path / "a", workers=1, config=GUNICORN_CONF) as one, \
            gunicorn(served_sqlite, tmp_path / "b", workers=1, config=GUNICORN_CONF) as two:  # fmt: skip
        first, second = Browser(one.base), Browser(two.base)
        assert shared_round(first, second) and shared_round(first, second), "limits are shared through Redis"

        private_redis.kill()
        counted = [remaining(first.post_letter("redis down")) for _ in range(3)]
        assert counted == [counted[0], counted[0] - 1, counted[0] - 2], "still limited, in this worker's memory"
        remaining(second.post_letter("redis down"))
        # A worker that starts while Redis is down (gunicorn replaced it) must work, and rejoin later.
        old = worker_pids(two.pid)
        os.kill(old[0], signal.SIGKILL)
        assert wait_for(lambda: (pids := worker_pids(two.pid)) and pids != old, timeout=20)
        alone = [remaining(second.post_letter("redis down")) for _ in range(3)]
        assert alone == [alone[0], alone[0] - 1, alone[0] - 2]
        assert "Rate limit storage unreachable - falling back to in-memory storage" in one.log_path.read_text()
        assert "Redis unreachable: rate-limit key is local to this worker" in two.log_path.read_text()

        private_redis.start()
        rounds: list[bool] = []
        assert wait_for(lambda: rounds.append(shared_round(first, second)) or rounds[-2:] == [True, True], timeout=45), (
            f"limits are shared again once Redis is back: not after {len(rounds)} rounds"
        )
        counters = private_redis.counters()
        assert counters and not any("127.0.0.1" in key for key in counters), counters
    assert "Traceback" not in one.log_path.read_text() + two.log_path.read_text()


# --- 4. a Redis that accepts connections and never answers -----------------------------------------


@pytest.fixture
def hung_redis():
    """A server on loopback that accepts every connection and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stopping = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stopping.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stopping.set()
    thread.join(5)
    for connection in held:
        connection.close()
    listener.close()


def test_a_hung_redis_is_a_slow_path_and_the_letter_is_stored(served_sqlite, tmp_path, hung_redis, monkeypatch):
    monkeypatch.setenv("REFUSAL_REDIS_URL", hung_redis)
    with gunicorn(served_sqlite, tmp_path, workers=1, config=GUNICORN_CONF) as server:
        browser = Browser(server.base)
        timings = []
        for n in range(3):
            started = time.monotonic()
            response = browser.post_letter(f"hung redis {n}")
            timings.append(time.monotonic() - started)
            assert acknowledged(response), response.status
        print("hung Redis: submissions answered in", ", ".join(f"{t:.2f} s" for t in timings))
        assert max(timings) < HANGING, timings
        assert stored_names(served_sqlite, "hung redis") == {f"hung redis {n}" for n in range(3)}
        log = server.log_path.read_text()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_a_page_made_before_the_database_dropped_its_connection_is_served_not_a_500(app, client):
    """PostgreSQL restarting (or failing over) while a request is answered drops the request's
    connection. The page was made; ending the request's transaction on the dead connection must not
    turn it into a 500, and the next request gets a fresh connection."""

    def dropped_midway():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with killer.begin() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
        killer.dispose()
        return "made before the drop"

    app.add_url_rule("/made-before-the-drop", view_func=dropped_midway)
    response = client.get("/made-before-the-drop")
    assert response.status_code == 200 and response.get_data(as_text=True) == "made before the drop"
    assert client.get("/api/v1/count").status_code == 200
