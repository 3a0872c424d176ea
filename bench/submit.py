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

    .venv/bin/python -m bench.submit
    .venv/bin/python -m bench.submit --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import tempfile
import threading
import time
import uuid
from pathlib import Path

from bench.lib.databases import Database, PostgresBackend, SQLiteBackend, stored_names
from bench.lib.forms import LETTER_5KB, Browser, run_submissions
from bench.lib.processes import process_cpu, worker_pids
from bench.lib.servers import HIGH_LIMIT, gunicorn

ROOT = Path(__file__).resolve().parent.parent


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
    os.environ["REFUSAL_SUBMIT_RATE_LIMIT"] = HIGH_LIMIT
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
