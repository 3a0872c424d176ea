"""Submitting letters: sanitizing cost, submissions per second, and nothing lost when a worker dies.

What it measures, in one run:

1. Sanitizing a 5 KB letter (sanitize.clean_text + text_to_html), median of many runs, in-process.
2. What a submission costs: the CPU seconds of one gunicorn worker per submission (a GET of the
   form and a POST of it, encoded as the form's enctype says), one visitor at a time, mail queued
   for send-mail as in production; three batches of 100 after 20 to warm up.
3. Submissions per second through gunicorn (2 sync workers): each submission is what a browser
   does, a GET of the form (CSRF token, submission key, session cookie) and a POST of it; the
   confirmation mail is written to the outbox on the request path. Several client threads on
   loopback, with the rate limit raised for the run (all clients share one address); and the
   workers' CPU per acknowledged submission in that run.
4. Durability: 500 submissions in flight from 20 threads; each time another quarter has been
   acknowledged (303 to /submit/sent), a gunicorn worker is killed with SIGKILL (three kills;
   gunicorn starts a new worker each time). Afterwards every
   acknowledged submission must be in the database: "lost" counts those that are not (target 0).
   Submissions cut off by the kill got no success answer; they are counted separately.

Run from the repository root:

    .venv/bin/python bench/submit.py
    .venv/bin/python bench/submit.py --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from werkzeug.test import encode_multipart

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.public import Database, PostgresBackend, SQLiteBackend, gunicorn  # noqa: E402

LETTER_5KB = ("אני מסרב לשרת במילואים. זו החלטה שקיבלתי אחרי מחשבה ארוכה, ואני כותב אותה בשמי המלא. " * 40).strip()
HIDDEN = re.compile(r'<input[^>]*name="(csrf_token|submission_key)"[^>]*value="([^"]*)"')
LETTER_FORM = re.compile(r'<form[^>]*class="letter-form"[^>]*>')
ENCTYPE = re.compile(r'enctype="([^"]+)"')


def sanitize_median_us(runs: int) -> tuple[float, int]:
    from refusal_site import sanitize

    text = LETTER_5KB.encode()[:5 * 1024].decode(errors="ignore")  # 5 KB of UTF-8
    size = len(text.encode())
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        sanitize.text_to_html(sanitize.clean_text(text))
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6, size


class Browser:
    """One client on a keep-alive connection: fetch the form, post it, like a person would."""

    def __init__(self, base: str) -> None:
        self.address = urlsplit(base).netloc
        self.connection = http.client.HTTPConnection(self.address, timeout=30)
        self.cookie = ""

    def request(self, method: str, path: str, body: str | bytes | None = None,
                content_type: str = "application/x-www-form-urlencoded") -> http.client.HTTPResponse:  # fmt: skip
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.address, timeout=30)
            raise
        set_cookie = response.getheader("Set-Cookie")
        if set_cookie:
            self.cookie = set_cookie.split(";", 1)[0]
        return response

    def submit(self, name: str) -> bool:
        """True only when the site acknowledged the letter (303 to the 'check your mail' page)."""
        return acknowledged(self.post_letter(name))

    def post_letter(self, name: str) -> http.client.HTTPResponse:
        """Fetch the form and post a letter signed `name`; the answer to the post, its body read."""
        html = self.request("GET", "/submit?lang=he").read().decode()
        # An address per letter, as real authors have: one address would meet the per-recipient mail limit.
        address = f"bench-{hashlib.sha256(name.encode()).hexdigest()[:12]}@private.example"
        response = self.request("POST", "/submit", *letter_form(html, name, address))
        response.read()
        return response


def letter_form(html: str, name: str, email: str) -> tuple[bytes, str]:
    """The letter form of the page `html`, filled in and encoded as its enctype says (as a browser does)."""
    form = LETTER_FORM.search(html)
    enctype = ENCTYPE.search(form[0]) if form else None
    fields = {
        **dict(HIDDEN.findall(html)),
        "display_name": name,
        "language": "he",
        "body": LETTER_5KB[:2000],
        "contact_email": email,
        "consent_name": "y",
        "consent_public": "y",
    }
    if enctype and enctype[1] == "multipart/form-data":
        boundary, body = encode_multipart(fields)
        return body, f"multipart/form-data; boundary={boundary}"
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def acknowledged(response: http.client.HTTPResponse) -> bool:
    return response.status == 303 and "/submit/sent" in (response.getheader("Location") or "")


@dataclass
class Outcome:
    acknowledged: list[str] = field(default_factory=list)
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_submissions(base: str, names: list[str], threads: int, on_progress=None) -> tuple[Outcome, float]:
    outcome = Outcome()
    queue = iter(names)
    queue_lock = threading.Lock()

    def client() -> None:
        browser = Browser(base)
        while True:
            with queue_lock:
                name = next(queue, None)
            if name is None:
                return
            try:
                ok = browser.submit(name)
            except (http.client.HTTPException, OSError):
                ok = False
            with outcome.lock:
                if ok:
                    outcome.acknowledged.append(name)
                else:
                    outcome.failed += 1
                done = len(outcome.acknowledged)
            if on_progress:
                on_progress(done)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcome, time.perf_counter() - started


def stored_names(database: Database, prefix: str) -> set[str]:
    from sqlalchemy import select

    from refusal_site.extensions import db
    from refusal_site.models import Letter

    with database.app.app_context():
        names = set(db.session.execute(select(Letter.display_name).where(Letter.display_name.like(f"{prefix}%"))).scalars())
    database.release()
    return names


def worker_pids(master: int) -> list[int]:
    output = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return [int(pid) for pid in output.split()]


TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system seconds of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_per_submission(database: Database, workdir: Path, run: str, batches: int = 3, size: int = 100) -> list[float]:
    """Worker CPU seconds per submission (form GET + POST), batch by batch: one gunicorn worker, one
    visitor at a time, the mail only queued (send-mail delivers it in production). What the code
    costs, which other load moves much less than it moves a rate."""
    os.environ["REFUSAL_MAIL_DELIVER_AFTER_RESPONSE"] = "false"
    try:
        with gunicorn(database, workdir, workers=1, config=None) as server:
            (worker,) = worker_pids(server.pid)
            for i in range(20):
                Browser(server.base).submit(f"cpu-warm-{run}-{i}")
            costs = []
            for batch in range(batches):
                before = process_cpu(worker)
                done = sum(Browser(server.base).submit(f"cpu-{run}-{batch}-{i}") for i in range(size))
                costs.append((process_cpu(worker) - before) / max(1, done))
            return costs
    finally:
        del os.environ["REFUSAL_MAIL_DELIVER_AFTER_RESPONSE"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server for temporary databases (default: SQLite)")
    parser.add_argument("--submissions", type=int, default=300, help="for the throughput run")
    parser.add_argument("--threads", type=int, default=8, help="clients in the throughput run")
    parser.add_argument("--in-flight", type=int, default=500, help="submissions in the durability run")
    args = parser.parse_args()

    # One loopback address for every client: raise the per-client limit for the run only.
    os.environ["REFUSAL_SUBMIT_RATE_LIMIT"] = "1000000 per minute"
    workdir = Path(tempfile.mkdtemp(prefix="refusal-bench-submit-"))
    backend = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(workdir)
    lines = [f"# Submission benchmark ({backend.describe()})", ""]
    try:
        sanitize_us, size = sanitize_median_us(400)
        lines.append(f"- sanitizing a {size:,}-byte letter: median {sanitize_us / 1000:.2f} ms (400 runs)")

        database = Database.create(backend, "submit", workdir)
        run = uuid.uuid4().hex[:6]
        costs = cpu_per_submission(database, workdir, run)
        lines.append(
            f"- one worker, one visitor at a time, mail queued only: worker CPU **{statistics.median(costs) * 1000:.2f} ms a "
            f"submission** (form GET + POST; median of {len(costs)} batches of 100: {', '.join(f'{c * 1000:.2f}' for c in costs)})"
        )
        with gunicorn(database, workdir, workers=2, config=None) as server:
            Browser(server.base).submit(f"warm-{run}")
            names = [f"throughput-{run}-{i}" for i in range(args.submissions)]
            workers = worker_pids(server.pid)
            cpu_before = sum(process_cpu(pid) for pid in workers)
            outcome, elapsed = run_submissions(server.base, names, args.threads)
            # What a submission costs the site, whatever else the machine is doing: the workers' CPU.
            cpu_each = (sum(process_cpu(pid) for pid in workers) - cpu_before) / max(1, len(outcome.acknowledged))
            rate = len(outcome.acknowledged) / elapsed
            lines.append(
                f"- throughput: {len(outcome.acknowledged)} of {args.submissions} acknowledged in {elapsed:.1f} s with "
                f"{args.threads} clients: **{rate:.0f} submissions/s** (each a form GET and a POST); failures {outcome.failed}; "
                f"worker CPU **{cpu_each * 1000:.1f} ms a submission**"
            )
            stored = stored_names(database, f"throughput-{run}-")
            lines.append(f"- stored after the throughput run: {len(stored)} (acknowledged {len(outcome.acknowledged)})")

            names = [f"durable-{run}-{i}" for i in range(args.in_flight)]
            killed: list[int] = []
            kill_lock = threading.Lock()

            def kill_workers(acknowledged: int) -> None:
                with kill_lock:
                    if len(killed) < 3 and acknowledged >= (len(killed) + 1) * args.in_flight // 4:
                        pids = worker_pids(server.pid)
                        if pids:
                            killed.append(pids[len(killed) % len(pids)])
                            os.kill(killed[-1], signal.SIGKILL)

            outcome, elapsed = run_submissions(server.base, names, 20, on_progress=kill_workers)
            stored = stored_names(database, f"durable-{run}-")
            lost = [name for name in outcome.acknowledged if name not in stored]
            reaped = len(re.findall(r"was sent SIGKILL|exited|Booting worker", server.log_path.read_text()))
            lines.append(
                f"- durability: {args.in_flight} submissions from 20 clients; {len(killed)} workers killed with SIGKILL "
                f"(pids {', '.join(map(str, killed))}; gunicorn log lines about dead/new workers: {reaped}): "
                f"acknowledged {len(outcome.acknowledged)}, cut off without an answer {outcome.failed}, "
                f"stored {len(stored)}, **lost {len(lost)}**"
            )
        database.release()
    finally:
        backend.cleanup()
    report = "\n".join(lines)
    print(report)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"submit-{backend.name}.md").write_text(report + "\n")


if __name__ == "__main__":
    main()
