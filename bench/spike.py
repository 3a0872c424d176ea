"""Spike: readers hammer the public pages while submissions and moderator approvals go on (issue 7, item 4).

One run, on loopback only, for --seconds (default 60), against gunicorn (sync workers) on a PostgreSQL
database of its own (created on the --database-url server and dropped at the end) and Redis (a db
number of its own, --redis-url) for the rate limits:

- Readers: one wrk process per route, --reader-connections each, back to back (closed loop):
  /, /letters, /api/v1/count and the PDF of a published letter (/letters/<id>.pdf, rendered once
  before the run, then served from its cache).
- Submissions, open loop at --rate per second: each is what a browser does, a GET of the form (session
  cookie, CSRF token, submission key) and a POST of it with those hidden fields, by a new visitor each
  time; a letter counts as acknowledged on a 303 to /submit/sent. Latency of the whole submission is
  measured from its scheduled start, so a server that falls behind cannot hide it.
- Moderation: one signed-in moderator approves pending letters through the moderation pages, paced at
  --approvals per second: open the letter, press approve (POST with the form's CSRF token and
  revision), follow the redirect back to the queue.
- PDFs: production's arrangement. One `flask build-pdf --watch` process (niced, as it runs itself)
  keeps the standard compilations built while approvals go on; the run starts once it has built
  them, and reports how long after the load they held every approved letter (`--no-pdf-builder`
  leaves it out).
- The front: with --via-nginx, every request goes through Debian's nginx running deploy/nginx/'s
  rules as they ship (bench/lib/servers.py), on loopback, and the app trusts one proxy (PROXY_COUNT=1),
  as in production; by default the load goes straight to gunicorn.
- Mail: production's arrangement. The web workers only queue the confirmation mail
  (MAIL_DELIVER_AFTER_RESPONSE off) and one `flask send-mail --loop` process delivers it to an SMTP
  sink on loopback (aiosmtpd, in a process of its own) that counts messages and Message-IDs.
  `--mail after-response` measures the other arrangement (each worker sends what it queued).

Rate limits are raised for the run (every client here shares one address): the bench measures the
site's capacity, not the limiter.

Afterwards: every acknowledged submission must be in the database (lost: target 0), every queued
message delivered once (rows left, duplicates: target 0), every acknowledged approval published and
counted (/api/v1/count against the database and a recount). Targets from the issue, on this machine
with the load generator on it: 100 submissions/s sustained for 60 s, 0 errors, 0 lost, and readers'
p99 on / under 250 ms. The table is printed and written to bench/results/spike.md (git-ignored).

Run from the repository root (needs wrk):

    .venv/bin/python -m bench.spike --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.spike --database-url postgresql://postgres@127.0.0.1:5432/test --seconds 10
    .venv/bin/python -m bench.spike --database-url postgresql://postgres@127.0.0.1:5432/test --via-nginx
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench.lib.app import FACTORY
from bench.lib.databases import Database, PostgresBackend, seed_pending
from bench.lib.forms import CLIENT_ERRORS, Browser, hidden_fields, letter_form, tokens
from bench.lib.processes import machine_busy, process_cpu, tree_cpu, worker_pids
from bench.lib.report import machine_info, table, with_wrk_and_command_line
from bench.lib.servers import HIGH_LIMIT, NGINX, fetch, free_port, gunicorn, nginx
from bench.lib.stats import Route, error_text, percentile

ROOT = Path(__file__).resolve().parent.parent
MODERATOR_EMAIL = "spike@team.example"
MODERATOR_PASSWORD = "a long enough spike password"
# Every limit a client of this run could meet: all clients share 127.0.0.1.
RAISED_LIMITS = ("SUBMIT_RATE_LIMIT", "CONFIRM_RATE_LIMIT", "RESEND_RATE_LIMIT", "SIGN_RATE_LIMIT", "SIGN_IN_RATE_LIMIT")

# Targets from the issue.
TARGET_RATE = 100.0
TARGET_INDEX_P99_MS = 250.0
# Kept pace: no submission started more than this late (no backlog in the load generator), and
# the last one was answered within PACE_OVERRUN seconds of the end of the schedule.
PACE_SLACK = 0.1
PACE_OVERRUN = 2.0

# wrk prints one JSON line with what the report needs (wrk's own --latency output has no p95).
WRK_SCRIPT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('SPIKE {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, '
    .. '"status": %d, "timeout": %d, "p50": %d, "p95": %d, "p99": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- measurements ---------------------------------------------------------------------------------


@dataclass
class WrkRoute:
    name: str
    result: dict

    def row(self, duration: float) -> list[str]:
        r = self.result
        kinds = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
        seconds = r["duration_us"] / 1e6 or duration
        return [
            f"GET {self.name} (wrk)",
            f"{r['requests']:,}",
            f"{r['requests'] / seconds:,.1f}",
            *(f"{r[p] / 1000:,.0f}" for p in ("p50", "p95", "p99")),
            error_text(sum(kinds.values()), kinds),
        ]


def start_wrk(wrk: str, url: str, seconds: int, connections: int, script: Path) -> subprocess.Popen:
    command = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wrk_result(process: subprocess.Popen, seconds: int) -> dict:
    output, _ = process.communicate(timeout=seconds + 60)
    line = next((l for l in output.splitlines() if l.startswith("SPIKE ")), None)
    if process.returncode != 0 or line is None:
        raise RuntimeError(f"{' '.join(process.args)} failed ({process.returncode}):\n{output}")
    return json.loads(line[len("SPIKE "):])


# --- submissions -----------------------------------------------------------------------------------


@dataclass
class Submissions:
    form: Route = field(default_factory=lambda: Route("GET /submit (form)"))
    post: Route = field(default_factory=lambda: Route("POST /submit"))
    whole: Route = field(default_factory=lambda: Route("submission: form + post, from its scheduled start"))
    acknowledged: list[str] = field(default_factory=list)
    scheduled: int = 0
    late: list[float] = field(default_factory=list)  # how late each submission started (generator backlog)
    finished_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def submit_one(base: str, name: str, email: str, scheduled: float, out: Submissions) -> None:
    """One visitor: GET the form, POST it with its hidden fields (CSRF token, submission key)."""
    started = time.perf_counter()
    with out.lock:
        out.late.append(started - scheduled)
    browser = Browser(base)
    try:
        try:
            response = browser.request("GET", "/submit?lang=he")
            html = response.read().decode()
        except CLIENT_ERRORS as error:
            out.form.failed(type(error).__name__)
            return
        got_form = time.perf_counter()
        fields = tokens(html)
        if response.status != 200 or len(fields) != 2:
            out.form.failed(f"status {response.status}")
            return
        out.form.ok(got_form - started)
        try:
            response = browser.request("POST", "/submit", *letter_form(html, name, email))
            response.read()
        except CLIENT_ERRORS as error:
            out.post.failed(type(error).__name__)
            return
        done = time.perf_counter()
        if response.status != 303 or not (response.getheader("Location") or "").endswith("/submit/sent"):
            out.post.failed(f"status {response.status}")
            return
        out.post.ok(done - got_form)
        out.whole.ok(done - scheduled)
        with out.lock:
            out.acknowledged.append(name)
            out.finished_at = max(out.finished_at, done)
    finally:
        browser.connection.close()


def run_submissions(base: str, rate: float, seconds: float, run: str, threads: int) -> tuple[Submissions, float]:
    """Start submissions at a fixed rate (open loop) for `seconds`; wait for the last to finish."""
    out = Submissions()
    total = int(rate * seconds)
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="submit") as pool:
        start = time.perf_counter() + 0.05
        for i in range(total):
            scheduled = start + i / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(submit_one, base, f"spike-{run}-{i}", f"s{i}.{run}@private.example", scheduled, out)
            out.scheduled += 1
    return out, start


# --- moderation -----------------------------------------------------------------------------------

QUEUE_LINK = re.compile(r'href="/moderate/letters/([A-Za-z0-9_-]{8,32})"')
APPROVE_FORM = re.compile(r'<form method="post" action="/moderate/letters/([A-Za-z0-9_-]+)/approve">(.*?)</form>', re.S)


@dataclass
class Moderation:
    queue: Route = field(default_factory=lambda: Route("GET /moderate/ (queue, after each approval)"))
    review: Route = field(default_factory=lambda: Route("GET /moderate/letters/<id>"))
    approve: Route = field(default_factory=lambda: Route("POST /moderate/letters/<id>/approve"))
    approved: list[str] = field(default_factory=list)
    crashed: str | None = None


def sign_in(base: str) -> Browser:
    browser = Browser(base)
    page = browser.request("GET", "/moderate/sign-in")
    fields = tokens(page.read().decode())
    body = urlencode({**fields, "email": MODERATOR_EMAIL, "password": MODERATOR_PASSWORD})
    response = browser.request("POST", "/moderate/sign-in", body)
    response.read()
    if response.status != 302:
        raise RuntimeError(f"the moderator could not sign in: {response.status}")
    return browser


def timed(route: Route, browser: Browser, method: str, path: str, body: str | None = None, expect: int = 200) -> str | None:
    started = time.perf_counter()
    try:
        response = browser.request(method, path, body)
        text = response.read().decode()
    except CLIENT_ERRORS as error:
        route.failed(type(error).__name__)
        return None
    elapsed = time.perf_counter() - started
    if response.status != expect:
        route.failed(f"status {response.status}")
        return None
    route.ok(elapsed)
    return response.getheader("Location") or text


def moderate(base: str, per_second: float, stop: threading.Event, out: Moderation) -> None:
    try:
        approve_pending(base, per_second, stop, out)
    except Exception as error:  # reported with the results, not lost in a thread
        out.crashed = repr(error)


def approve_pending(base: str, per_second: float, stop: threading.Event, out: Moderation) -> None:
    """Approve pending letters one after another, at `per_second`, as a moderator in a browser would."""
    browser = sign_in(base)
    queue = timed(out.queue, browser, "GET", "/moderate/") or ""
    next_at = time.perf_counter()
    while not stop.is_set():
        ids = QUEUE_LINK.findall(queue)
        if not ids:
            queue = timed(out.queue, browser, "GET", "/moderate/") or ""
            if not QUEUE_LINK.findall(queue):
                return  # nothing left to approve
            continue
        public_id = ids[0]
        review = timed(out.review, browser, "GET", f"/moderate/letters/{public_id}")
        form = APPROVE_FORM.search(review or "")
        if form:
            location = timed(out.approve, browser, "POST", f"/moderate/letters/{public_id}/approve",
                             urlencode(hidden_fields(form.group(2))), expect=303)  # fmt: skip
            if location is not None:
                out.approved.append(public_id)
        queue = timed(out.queue, browser, "GET", "/moderate/") or ""
        next_at += 1 / per_second
        stop.wait(max(0.0, next_at - time.perf_counter()))


# --- mail: an SMTP sink in a process of its own, and the sender --------------------------------------


def run_sink(port: int, ready, stop, results) -> None:
    """Accept every message; at the end report how many, their distinct Message-IDs and recipients."""
    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID:\s*(\S+)", re.I | re.M)

    class Count:
        def __init__(self) -> None:
            self.ids: list[bytes] = []
            self.recipients: list[str] = []

        async def handle_DATA(self, server, session, envelope):
            found = message_id.search(envelope.content)
            self.ids.append(found.group(1) if found else b"")
            self.recipients.extend(envelope.rcpt_tos)
            return "250 OK"

    handler = Count()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    results.put((len(handler.ids), len(set(handler.ids)), handler.recipients))


@dataclass
class Sink:
    port: int
    process: multiprocessing.Process
    stop: object
    results: object

    @classmethod
    def start(cls) -> Sink:
        context = multiprocessing.get_context("spawn")
        port = free_port()
        ready, stop, results = context.Event(), context.Event(), context.Queue()
        process = context.Process(target=run_sink, args=(port, ready, stop, results), daemon=True)
        process.start()
        if not ready.wait(30):
            raise RuntimeError("the SMTP sink did not start")
        return cls(port, process, stop, results)

    def finish(self) -> tuple[int, int, list[str]]:
        self.stop.set()
        received = self.results.get(timeout=30)
        self.process.join(timeout=10)
        return received


def start_service(database: Database, workdir: Path, *command: str) -> tuple[subprocess.Popen, Path]:
    """`flask <command>` on the benchmark's app, as production runs its services next to gunicorn;
    its output goes to a log file in `workdir`."""
    env = dict(os.environ, BENCH_DATABASE_URL=database.url, BENCH_INSTANCE_PATH=database.instance_path)
    log_path = workdir / f"{command[0]}.log"
    with open(log_path, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", FACTORY, *command],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return process, log_path


def compilations_current(database: Database) -> bool:
    """Whether every standard compilation of what is published now is built."""
    from refusal_site.compilation.assembly import existing
    from refusal_site.compilation.selection import standard_jobs

    with database.app.app_context():
        return all(existing(selection, language) is not None for selection, language in standard_jobs())


def wait_for_compilations(database: Database, seconds: float, since: float | None = None) -> float | None:
    """Seconds from `since` (default: now) until the standard compilations are current, polled every
    0.2 s (None: not within `seconds` of now)."""
    started = time.perf_counter()
    since = started if since is None else since
    while time.perf_counter() - started < seconds:
        if compilations_current(database):
            return time.perf_counter() - since
        time.sleep(0.2)
    return None


def stop_service(process: subprocess.Popen, log_path: Path, name: str, problem: str) -> list[str]:
    """Stop a service started by start_service; the lines of its log that match `problem`, and its
    exit code if it was not 0."""
    code = stop_process(process)
    problems = [f"{name}: {line}" for line in log_path.read_text(errors="replace").splitlines() if re.search(problem, line)]
    return problems + ([f"{name} exited with {code}"] if code != 0 else [])


def stop_process(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


# --- CPU: where the machine's time went ----------------------------------------------------------------



def postgres_backends(database: Database) -> list[int]:
    from sqlalchemy import create_engine, make_url, text

    url = make_url(database.url)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        pids = list(connection.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = :d"), {"d": url.database}).scalars())
    engine.dispose()
    return pids


# --- the run ------------------------------------------------------------------------------------------


def set_up(database: Database, published: int, pending: int) -> str:
    """Published letters for the readers, pending ones for the moderator, the moderator; the PDF's letter."""
    from refusal_site import moderators, published as reads
    from refusal_site.extensions import db

    database.seed_to(published, log)
    with database.app.app_context():
        seed_pending(pending)
        moderators.create(MODERATOR_EMAIL, MODERATOR_PASSWORD)
        public_id = reads.latest_published(1)[0].public_id
        db.session.remove()
    database.release()
    return public_id


def final_state(database: Database, run: str, approved: list[str]) -> dict:
    from sqlalchemy import func, select

    from refusal_site import tally
    from refusal_site.extensions import db
    from refusal_site.models import Letter, LetterStatus, QueuedMail

    with database.app.app_context():
        stored = set(db.session.execute(select(Letter.display_name).where(Letter.display_name.like(f"spike-{run}-%"))).scalars())
        statuses = dict(db.session.execute(select(Letter.public_id, Letter.status).where(Letter.public_id.in_(approved))).all()) if approved else {}
        state = {
            "stored": stored,
            "approved_published": sum(1 for s in statuses.values() if s == LetterStatus.PUBLISHED),
            "tally": tally.row().refusers,
            "drift": tally.check(),
            "mail_left": db.session.execute(select(func.count()).select_from(QueuedMail)).scalar_one(),
        }
        db.session.remove()
    database.release()
    return state


def wait_for_outbox(database: Database, seconds: float) -> float:
    """Wait until the sender has emptied the outbox (or `seconds` pass); return the time it took."""
    from sqlalchemy import func, select

    from refusal_site.extensions import db
    from refusal_site.models import QueuedMail

    started = time.perf_counter()
    with database.app.app_context():
        while time.perf_counter() - started < seconds:
            left = db.session.execute(select(func.count()).select_from(QueuedMail)).scalar_one()
            db.session.rollback()
            if left == 0:
                break
            time.sleep(0.25)
        db.session.remove()
    database.release()
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = uuid.uuid4().hex[:6]
    workdir = Path(tempfile.mkdtemp(prefix="refusal-bench-spike-"))
    backend = PostgresBackend(args.database_url)
    redis_was_empty = check_redis(args.redis_url)
    sink = Sink.start()
    os.environ.update(
        {f"REFUSAL_{name}": HIGH_LIMIT for name in RAISED_LIMITS}
        | {
            "REFUSAL_REDIS_URL": args.redis_url,
            "REFUSAL_MAIL_SERVER": "127.0.0.1",
            "REFUSAL_MAIL_PORT": str(sink.port),
            "REFUSAL_MAIL_USE_TLS": "false",
            "REFUSAL_MAIL_DELIVER_AFTER_RESPONSE": "true" if args.mail == "after-response" else "false",
        }
        | ({"REFUSAL_PROXY_COUNT": "1"} if args.via_nginx else {})
    )
    script = workdir / "spike.lua"
    script.write_text(WRK_SCRIPT)
    sender = builder = None
    caught_up = None
    try:
        info = machine_info(backend, args)
        uptime_before = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        database = Database.create(backend, "spike", workdir)
        pdf_id = set_up(database, args.published, args.pending)
        readers = ["/", "/letters", "/api/v1/count", f"/letters/{pdf_id}.pdf"]
        with gunicorn(database, workdir, args.workers, args.gunicorn_config) as server, \
                (nginx(server.base.removeprefix("http://")) if args.via_nginx else nullcontext()) as front:  # fmt: skip
            base = front.base if front else server.base
            if args.mail == "sender":
                sender, sender_log = start_service(database, workdir, "send-mail", "--loop")
            if args.pdf_builder:
                builder, builder_log = start_service(database, workdir, "build-pdf", "--watch")
                if wait_for_compilations(database, args.drain * 5) is None:
                    raise RuntimeError(f"build-pdf --watch did not build the compilations:\n{builder_log.read_text()[-3000:]}")
            for path in readers:  # every worker renders and caches; the PDF is built once
                for _ in range(args.workers * 2):
                    status, _ = fetch(base + path)
                    if status != 200:
                        raise RuntimeError(f"GET {path} answered {status} before the run")
            warm = Submissions()
            for i in range(args.workers * 2):
                submit_one(base, f"warm-{run}-{i}", f"warm{i}.{run}@private.example", time.perf_counter(), warm)
            if len(warm.acknowledged) != args.workers * 2:
                raise RuntimeError(f"warm-up submissions failed: {warm.form.error_kinds} {warm.post.error_kinds}")
            _, count_before = fetch(base + "/api/v1/count")
            count_before = json.loads(count_before)["count"]

            log(f"spike for {args.seconds} s: {args.rate:g} submissions/s, {args.approvals:g} approvals/s, "
                f"wrk -c{args.reader_connections} on each of {len(readers)} reader routes")  # fmt: skip
            tracked = {"gunicorn workers": worker_pids(server.pid), "PostgreSQL backends (this database)": postgres_backends(database)}
            if front:
                tracked["nginx (master and workers)"] = [front.pid, *worker_pids(front.pid)]
            if sender:
                tracked["send-mail --loop"] = [sender.pid]
            tracked["SMTP sink"] = [sink.process.pid]
            cpu_before = {k: sum(process_cpu(p) for p in pids) for k, pids in tracked.items()}
            if builder:
                cpu_before["build-pdf --watch (niced)"] = tree_cpu(builder.pid)
            self_before, machine_before = sum(os.times()[:2]), machine_busy()

            wrks = [start_wrk(args.wrk, base + path, args.seconds, args.reader_connections, script) for path in readers]
            stop = threading.Event()
            moderation = Moderation()
            moderator = threading.Thread(target=moderate, args=(base, args.approvals, stop, moderation), name="moderator")
            moderator.start()
            submissions, started = run_submissions(base, args.rate, args.seconds, run, args.threads)
            # How long after the end of the schedule the last submission was answered: a server that
            # keeps pace answers within moments; one that falls behind builds a queue that shows here.
            overrun = (submissions.finished_at or time.perf_counter()) - (started + args.seconds)
            stop.set()
            load_ended = time.perf_counter()
            moderator.join(timeout=60)
            reader_results = [WrkRoute(path, wrk_result(p, args.seconds)) for path, p in zip(readers, wrks)]
            elapsed = time.perf_counter() - started

            cpu_after = {k: sum(process_cpu(p) for p in pids) for k, pids in tracked.items()}
            if builder:
                cpu_after["build-pdf --watch (niced)"] = tree_cpu(builder.pid)
            self_after, machine_after = sum(os.times()[:2]), machine_busy()
            drained = wait_for_outbox(database, args.drain) if sender or args.mail == "after-response" else 0.0
            caught_up = wait_for_compilations(database, args.drain * 5, since=load_ended) if builder else None
            _, count_body = fetch(base + "/api/v1/count")
            count_after = json.loads(count_body)["count"]
            problems = server.log_problems()
            if front:
                problems += [f"nginx: {line}" for line in front.error_log().splitlines() if re.search(r"\[(error|crit|alert|emerg)\]", line)]
            if sender:
                problems += stop_service(sender, sender_log, "send-mail", r"ERROR|Traceback|dropped after")
                sender = None
            if builder:
                problems += stop_service(builder, builder_log, "build-pdf", r"ERROR|Traceback|failed")
                builder = None
        if moderation.crashed:
            problems.append(f"the moderator stopped: {moderation.crashed}")
        state = final_state(database, run, moderation.approved)
        received, distinct, recipients = sink.finish()
    finally:
        if sender:
            stop_process(sender)
        if builder:
            stop_process(builder)
        if sink.process.is_alive():
            sink.process.terminate()
        backend.cleanup()
        clean_redis(args.redis_url, redis_was_empty)
        shutil.rmtree(workdir, ignore_errors=True)
    uptime_after = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()

    spike_recipients = [r for r in recipients if f".{run}@" in r and r.startswith("s")]
    acknowledged = submissions.acknowledged
    lost = [name for name in acknowledged if name not in state["stored"]]
    cpu = {k: cpu_after[k] - cpu_before[k] for k in cpu_before}
    cpu["spike.py (load generator: submitters, moderator)"] = self_after - self_before
    machine = (machine_after[0] - machine_before[0]) / (machine_after[1] - machine_before[1])
    outcome = Outcome(
        args=args, info=info, uptime=(uptime_before, uptime_after),
        readers=reader_results, submissions=submissions, moderation=moderation, elapsed=elapsed,
        overrun=overrun, lost=lost, state=state, count=(count_before, count_after),
        mail=(len(state["stored"]) , received, distinct, len(set(spike_recipients)), len(spike_recipients), drained),
        cpu=cpu, machine=machine, problems=problems, caught_up=caught_up,
    )  # fmt: skip
    report = outcome.report()
    print(report)
    output = args.output or ROOT / "bench" / "results" / "spike.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(f"written to {output}")
    return 0


@dataclass
class Outcome:
    args: argparse.Namespace
    info: list[tuple[str, str]]
    uptime: tuple[str, str]
    readers: list[WrkRoute]
    submissions: Submissions
    moderation: Moderation
    elapsed: float
    overrun: float
    lost: list[str]
    state: dict
    count: tuple[int, int]
    mail: tuple[int, int, int, int, int, float]
    cpu: dict[str, float]
    machine: float
    problems: list[str]
    caught_up: float | None

    def report(self) -> str:
        a, s, m = self.args, self.submissions, self.moderation
        h = "## "
        out = ["# Spike: readers, submissions and approvals at once", ""]
        for key, value in self.info + [
            ("uptime before", self.uptime[0]),
            ("uptime after", self.uptime[1]),
            ("command", f"`{a.command_line}`"),
        ]:
            out.append(f"- {key}: {value}")
        out += [
            "",
            f"Rate limits raised to `{HIGH_LIMIT}` for the run ({', '.join(RAISED_LIMITS)}): every client here "
            "shares one address, and the bench measures the site's capacity, not the limiter.",
            ("Every request through nginx (deploy/nginx/site.conf as shipped, bench/lib/servers.py) on loopback; the app "
             "trusts one proxy (PROXY_COUNT=1). " if a.via_nginx else "")
            + f"gunicorn {a.workers} sync workers; mail: "
            + ("queued by the web workers, delivered by one `send-mail --loop` process" if a.mail == "sender"
               else "queued and then delivered after the response by the web worker that queued it")
            + " to an SMTP sink on loopback."
            + (" One `build-pdf --watch` process keeps the standard compilations built." if a.pdf_builder else ""),
            "",
        ]  # fmt: skip

        ack = len(s.acknowledged)
        rate = ack / a.seconds
        index = next(r for r in self.readers if r.name == "/").result
        errors = sum(r.errors for r in (s.form, s.post, m.queue, m.review, m.approve)) + sum(
            sum(r.result[k] for k in ("connect", "read", "write", "status", "timeout")) for r in self.readers
        )
        stored, received, distinct, spike_distinct, spike_total, drained = self.mail
        expected_count = self.count[0] + len(m.approved)
        count_ok = self.count[1] == self.state["tally"] == expected_count and not self.state["drift"] and self.state["approved_published"] == len(m.approved)
        late = sorted(s.late) or [0.0]
        out.append(f"{h}Targets")
        out.append("")
        out.append(
            table(
                ["target", "measured", "result"],
                [
                    [f"{TARGET_RATE:g} submissions/s (form GET + POST) sustained for {a.seconds} s",
                     f"{ack:,} of {s.scheduled:,} acknowledged, {rate:.1f}/s over the {a.seconds} s schedule; start delay p99 "
                     f"{percentile(late, 99) * 1000:.0f} ms; last answer {self.overrun:.2f} s after the schedule ended",
                     verdict(a.rate >= TARGET_RATE and ack == s.scheduled and percentile(late, 99) < PACE_SLACK
                             and self.overrun < PACE_OVERRUN)],
                    ["0 errors (every route)", f"{errors}", verdict(errors == 0)],
                    ["0 acknowledged submissions lost", f"{len(self.lost)} lost; {len(self.state['stored']) - ack} stored without an answer",
                     verdict(not self.lost)],
                    [f"readers' p99 on / under {TARGET_INDEX_P99_MS:g} ms", f"{index['p99'] / 1000:.0f} ms",
                     verdict(index["p99"] / 1000 < TARGET_INDEX_P99_MS)],
                    ["every approved letter in the count",
                     f"{len(m.approved)} approved, {self.state['approved_published']} published; /api/v1/count "
                     f"{self.count[0]:,} -> {self.count[1]:,} (expected {expected_count:,}); database tally {self.state['tally']:,}; "
                     f"recount drift: {'none' if not self.state['drift'] else self.state['drift']}",
                     verdict(count_ok)],
                    ["every queued mail delivered once",
                     f"{stored:,} letters stored, {spike_distinct:,} of them mailed ({spike_total:,} messages); "
                     f"sink: {received:,} messages, {distinct:,} distinct Message-IDs; rows left {self.state['mail_left']} "
                     f"(outbox emptied {drained:.1f} s after the load)",
                     verdict(spike_distinct == stored and spike_total == stored and received == distinct and self.state["mail_left"] == 0)],
                ] + ([[
                    "standard compilations hold every approved letter within a minute of the load (build-pdf --watch)",
                    "not within the wait" if self.caught_up is None else f"all 6 current {self.caught_up:.1f} s after the load "
                    "(looked for once the outbox was empty)",
                    verdict(self.caught_up is not None and self.caught_up <= 60),
                ]] if a.pdf_builder else []),
                markdown=True,
            )
        )  # fmt: skip
        out += ["", f"{h}Per route ({a.seconds} s of load; latency in ms)", ""]
        duration = a.seconds
        rows = [r.row(a.seconds) for r in self.readers]
        rows += [route.row(duration) for route in (s.form, s.post, s.whole)]
        rows += [route.row(self.elapsed) for route in (m.review, m.approve, m.queue)]
        out.append(table(["route", "requests", "req/s", "p50", "p95", "p99", "errors"], rows, markdown=True))
        out += ["", f"{h}Where the CPU went (seconds over the load; machine {self.machine:.0%} busy of {os.cpu_count()} cores)", ""]
        out.append(table(["process", "CPU s", "share of 2 cores"],
                         [[k, f"{v:.1f}", f"{v / (self.elapsed * (os.cpu_count() or 1)):.0%}"] for k, v in self.cpu.items()],
                         markdown=True))  # fmt: skip
        out += ["", "wrk processes and PostgreSQL's own background processes are not in the table (the machine figure has them)."]
        out += ["", "Problems in the logs: " + ("; ".join(self.problems[:10]) if self.problems else "none")]
        return "\n".join(out) + "\n"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


# --- Redis ------------------------------------------------------------------------------------------


def check_redis(url: str) -> bool:
    """The run's Redis db must answer; say whether it was empty (then it is emptied again at the end)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        return client.dbsize() == 0
    except redis.RedisError as error:
        raise SystemExit(f"Redis at {url} does not answer: {error}") from None
    finally:
        client.close()


def clean_redis(url: str, was_empty: bool) -> None:
    import redis

    if not was_empty:
        return
    client = redis.Redis.from_url(url, socket_timeout=2)
    try:
        client.flushdb()
    except redis.RedisError:
        pass
    finally:
        client.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test",
                        help="PostgreSQL server for a temporary database (its own database is only used to connect)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11", help="Redis db for the rate limits (default db 11)")
    parser.add_argument("--seconds", type=int, default=60, help="length of the load (default 60)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="submissions started per second (default 100)")
    parser.add_argument("--approvals", type=float, default=2.0, help="moderator approvals per second (default 2)")
    parser.add_argument("--reader-connections", type=int, default=1, help="wrk connections per reader route (default 1)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4, as in README's production command)")
    parser.add_argument("--threads", type=int, default=48, help="submitting threads, the most submissions in flight (default 48)")
    parser.add_argument("--published", type=int, default=1000, help="published letters before the run (default 1000)")
    parser.add_argument("--pending", type=int, default=1000, help="letters waiting for the moderator (default 1000)")
    parser.add_argument("--mail", choices=("sender", "after-response"), default="sender",
                        help="who delivers the mail: a send-mail --loop process (default), or each web worker after its response")
    parser.add_argument("--pdf-builder", action=argparse.BooleanOptionalAction, default=True,
                        help="run build-pdf --watch beside gunicorn, as production does (default: yes)")
    parser.add_argument("--drain", type=float, default=60, help="seconds to wait for the outbox to empty after the load (default 60)")
    parser.add_argument("--gunicorn-config", type=Path, help="a gunicorn config file to load (default: none)")
    parser.add_argument("--via-nginx", action="store_true",
                        help="send every request through nginx with deploy/nginx/'s rules, as production does (default: straight to gunicorn)")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk", help="path to wrk")
    parser.add_argument("--output", type=Path, help="Markdown report (default bench/results/spike.md)")
    args = parser.parse_args(argv)
    if args.seconds < 1 or args.rate <= 0 or args.approvals <= 0:
        parser.error("--seconds, --rate and --approvals must be positive")
    if args.via_nginx and not os.access(NGINX, os.X_OK):
        parser.error(f"nginx not found at {NGINX}; install it (Debian: apt-get install nginx, or make system-packages)")
    return with_wrk_and_command_line(parser, args)


if __name__ == "__main__":
    sys.exit(main())
