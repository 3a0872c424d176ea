"""A flood of PDF range requests (issue 16, item 1): 100 concurrent requests for distinct date ranges
at 1,000 letters, while readers load the front page.

One run, on loopback only, against real gunicorn (the repository's gunicorn.conf.py, 2 sync workers)
on a database of its own (temporary SQLite by default; --database-url creates one on a PostgreSQL
server and drops it at the end):

1. 1,000 published demo letters (bench.lib.databases' seeding: spread over the past 180 days), and 100
   distinct ranges of --width days (default 7) that begin and end on days holding letters, checked
   in-process with selection.choose to name 100 different compilations (no two spellings of one).
2. Quiet baseline: --readers threads (default 3) GET / back to back for --baseline seconds.
3. The flood: 100 threads, released together by a barrier, each GET /press/letters.pdf?since=..&until=..
   for its own range (one connection each, http.client). A 202 is polled again every 5 s (as the
   "preparing" page does) until the PDF comes (200). With --persist a 503 is asked again every
   --retry seconds (a client that ignores Retry-After: 60) until it is served or refused with 429;
   without it, a 503 ends that client. The readers go on for the whole flood and until no build
   process is left.
4. Every 100 ms, from /proc, nothing taken or locked: the builder processes (children of the gunicorn
   workers started by multiprocessing's spawn), which of them have a build slot's file open (the
   builds: a builder holds its slot from before it starts until its build ends), the slots locked
   (locks/builder-N.slot in /proc/locks), any Python process under a builder (a build is one
   process: none is expected), the summed RSS and PSS of all of them, and the machine's used memory
   (MemTotal - MemAvailable); and per builder, how long it lived before holding its slot and after
   letting go of it.

The code measured is a copy of HEAD (git archive, translations compiled) with this script and bench/lib as they are:
others edit this checkout, and a change to a template, a static file or a compiled catalogue in the
middle of a run would make every build one the workers never find (see in_snapshot). --in-place
measures the checkout as it is.

Targets (from the issue): never more builds than PDF_MAX_BUILDS (default 2), a request beyond them
answered 503 with Retry-After, never a new process; the report also gives peak memory and readers'
p50/p99 on / during the flood against the quiet baseline of the same run.

Every client is 127.0.0.1, so the per-client PDF_RANGE_RATE_LIMIT is raised for the run
(REFUSAL_PDF_RANGE_RATE_LIMIT); `--range-limit default` keeps the app's own limit to show what it does
(its storage is per worker here: memory://, no Redis). Bounded: clients give up after --give-up
seconds (default 600). Printed and written to bench/results/pdf-flood-<backend>[-default-limit][-persist].md.

    .venv/bin/python -m bench.pdf_flood
    .venv/bin/python -m bench.pdf_flood --range-limit default --persist
    .venv/bin/python -m bench.pdf_flood --database-url postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from bench.lib.databases import Backend, Database, PostgresBackend, SQLiteBackend
from bench.lib.forms import CLIENT_ERRORS
from bench.lib.processes import descendants, pss_kb
from bench.lib.report import code_state, command_line, machine_info, table
from bench.lib.servers import HIGH_LIMIT, gunicorn
from bench.lib.stats import Route, percentile

ROOT = Path(__file__).resolve().parent.parent

LETTERS = 1000
REQUESTS = 100
PATH = "/press/letters.pdf"
POLL_SECONDS = 5  # what the "preparing" page's refresh waits
SAMPLE_SECONDS = 0.1
SPAWNED = "multiprocessing.spawn"  # in a spawned builder's command line


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the ranges -------------------------------------------------------------------------------------


def distinct_ranges(database: Database, count: int, width: int) -> list[tuple[date, date, int]]:
    """`count` ranges of `width` days with letters at both ends, each naming its own compilation
    (selection.choose, as the route does); with the number of letters each holds."""
    from refusal_site.compilation.selection import Selection, choose
    from refusal_site.extensions import db

    with database.app.app_context():
        zone = ZoneInfo(database.app.config["DISPLAY_TIMEZONE"])
        days = sorted({letter.published_at.astimezone(zone).date() for letter in Selection().letters()})
        ranges, names = [], set()
        # Not the first day nor the last: a range reaching either end is left open (another name).
        for start in range(1, len(days) - width):
            since, until = days[start], days[start + width - 1]
            selection, selected = choose(None, since, until)
            if selection.name not in names and selection.since and selection.until:
                names.add(selection.name)
                ranges.append((since, until, len(selected)))
            if len(ranges) == count:
                break
        db.session.remove()
    database.release()
    if len(ranges) < count:
        raise RuntimeError(f"only {len(ranges)} distinct ranges of {width} days in {len(days)} days of letters")
    return ranges


# --- what runs on the machine ------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            return next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
    except OSError:
        return 0


def _used_memory_kb() -> int:
    info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
    return int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])


def _held_inodes() -> set[int]:
    """Inodes of the files some process holds a flock on now."""
    held = set()
    for line in Path("/proc/locks").read_text().splitlines():
        # "1: FLOCK  ADVISORY  WRITE 4321 00:2a:1234 0 EOF" ("1: -> FLOCK ..." for a waiter: not held)
        fields = line.split()
        if fields[1:2] == ["FLOCK"]:
            held.update(int(f.rsplit(":", 1)[1]) for f in fields if f.count(":") == 2)
    return held


def _holds_slot(pid: int, slot_names: set[str]) -> bool:
    """Whether the process has a build slot's file open (a builder keeps it until its build ends)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.path.basename(os.readlink(f"/proc/{pid}/fd/{fd}")) in slot_names:
                return True
        except OSError:
            pass
    return False


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


@dataclass
class Sample:
    at: float
    builders: int  # builder processes (spawned by a worker), whatever they are doing
    builds: int  # builder processes holding a slot's file: the builds running
    processes: int  # builders and any Python process under them (a build is one process: none expected)
    slots: int  # slot files locked now
    zombies: int  # builders that ended and that their worker has not reaped yet
    rss_kb: int
    pss_kb: int
    used_kb: int
    detail: list[str]


class Sampler(threading.Thread):
    """Every SAMPLE_SECONDS: the builds under gunicorn's workers, their processes and memory."""

    def __init__(self, master: int, slot_files: list[Path]) -> None:
        super().__init__(daemon=True, name="sampler")
        self.master, self.slot_files = master, slot_files
        self.samples: list[Sample] = []
        self.builders_seen: set[int] = set()
        self.others_seen: dict[int, str] = {}  # other children of the workers (multiprocessing's resource tracker)
        self.failures: list[str] = []
        self.slot_names = {path.name for path in slot_files}
        self.lives: dict[int, list] = {}
        self.done = threading.Event()

    def sample(self) -> Sample:
        builders, zombies = [], 0
        for worker in _children(self.master):
            for child in _children(worker):
                if SPAWNED in _cmdline(child):
                    builders.append(child)
                elif _zombie(child):
                    zombies += 1
                elif _cmdline(child) not in ("", _cmdline(worker)):  # not one between fork and exec, nor ending
                    self.others_seen.setdefault(child, _cmdline(child)[:100])
        holding = [b for b in builders if _holds_slot(b, self.slot_names)]
        now = time.perf_counter()
        for b in builders:
            seen = self.lives.setdefault(b, [now, now, None, None])  # first seen, last seen, first / last with a slot
            seen[1] = now
            if b in holding:
                seen[2] = seen[2] or now
                seen[3] = now
        below = [p for b in builders for p in descendants(b)]
        # Python processes: the builders and any they started (one would keep its builder's command
        # line); the rest are tools (gcc and ld, which ctypes.util.find_library runs as WeasyPrint loads).
        processes = builders + [p for p in below if SPAWNED in _cmdline(p)]
        inodes = set()
        for slot in self.slot_files:
            try:
                inodes.add(slot.stat().st_ino)
            except OSError:
                pass
        self.builders_seen.update(builders)
        detail = [f"{p} (parent {_parent(p)}) {_cmdline(p)[:80]}" for p in builders + below]
        return Sample(now, len(builders), len(holding), len(processes), len(inodes & _held_inodes()), zombies,
                      sum(map(_rss_kb, builders + below)), sum(map(pss_kb, builders + below)), _used_memory_kb(), detail)  # fmt: skip

    def run(self) -> None:
        while not self.done.wait(SAMPLE_SECONDS):
            try:
                self.samples.append(self.sample())
            except Exception as error:  # reported, not lost in a thread
                self.failures.append(repr(error))

    def last_build_seen(self) -> float | None:
        return next((s.at for s in reversed(self.samples) if s.processes), None)


def _parent(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1]
    except OSError:
        return "?"


# --- clients -----------------------------------------------------------------------------------------


def get(base: str, path: str) -> tuple[int, str | None, int]:
    """GET on a connection of its own: status, Retry-After, body bytes."""
    connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=60)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read()
        if response.status == 200 and not body.startswith(b"%PDF") and path.startswith(PATH):
            raise ValueError(f"200 without a PDF for {path}")
        return response.status, response.getheader("Retry-After"), len(body)
    finally:
        connection.close()


@dataclass
class Asker:
    """One flooding client and its range."""

    since: date
    until: date
    letters: int
    answers: list[tuple[float, int, str | None]] = field(default_factory=list)  # (when, status, Retry-After)
    errors: list[str] = field(default_factory=list)
    served_at: float | None = None

    @property
    def path(self) -> str:
        return f"{PATH}?{urlencode({'since': self.since.isoformat(), 'until': self.until.isoformat()})}"

    def run(self, base: str, barrier: threading.Barrier, persist: bool, retry: float, deadline: float, max_polls: int) -> None:
        barrier.wait()
        while time.perf_counter() < deadline:
            try:
                status, retry_after, _ = get(base, self.path)
            except CLIENT_ERRORS as error:
                self.errors.append(type(error).__name__)
                status, retry_after = 0, None
            self.answers.append((time.perf_counter(), status, retry_after))
            if status == 200:
                self.served_at = time.perf_counter()
                return
            if status == 202:
                if sum(1 for _, st, _ in self.answers if st == 202) > max_polls:
                    return  # still preparing after minutes: reported
                time.sleep(POLL_SECONDS)
            elif status == 503 and persist:
                time.sleep(retry)
            else:
                return  # 429 (told to wait minutes), a 503 taken at its word, or an error


class Readers:
    """Threads that GET / back to back; each answer kept with its start time."""

    def __init__(self, base: str, threads: int) -> None:
        self.base = base
        self.times: list[tuple[float, float, int]] = []  # (start, seconds, status; 0 = client error)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.loop, daemon=True, name=f"reader-{n}") for n in range(threads)]

    def loop(self) -> None:
        while not self.stop.is_set():
            started = time.perf_counter()
            try:
                status, _, _ = get(self.base, "/")
            except CLIENT_ERRORS:
                status = 0
            self.times.append((started, time.perf_counter() - started, status))

    def route(self, name: str, start: float, end: float) -> Route:
        route = Route(name)
        for at, seconds, status in self.times:
            if start <= at < end:
                route.ok(seconds) if status == 200 else route.failed(f"status {status}" if status else "client error")
        return route


# --- the run -----------------------------------------------------------------------------------------


@dataclass
class Outcome:
    args: argparse.Namespace
    info: list[tuple[str, str]]
    max_builds: int
    ranges: list[Asker]
    baseline: Route
    flood: Route
    baseline_seconds: float
    flood_seconds: float
    samples: list[Sample]
    builders_seen: int
    others_seen: dict[int, str]
    sampler_failures: list[str]
    lives: dict[int, list]
    code: tuple[str, str]
    quiet_used_kb: int
    builds_done_after: float | None
    served_after: float | None
    problems: list[str]
    load: tuple[tuple[float, ...], tuple[float, ...]]

    def report(self) -> str:
        a = self.args
        first = [asker.answers[0][1] for asker in self.ranges if asker.answers]
        every = [status for asker in self.ranges for _, status, _ in asker.answers]
        retry_after = sorted({ra or "none" for asker in self.ranges for _, status, ra in asker.answers if status == 503})
        peak = max(self.samples, key=lambda s: (s.builds, s.processes), default=None)
        peak_builds = max((s.builds for s in self.samples), default=0)
        peak_builders = max((s.builders for s in self.samples), default=0)
        waited = [life[2] - life[0] for life in self.lives.values() if life[2] is not None]
        lingered = [life[1] - life[3] for life in self.lives.values() if life[3] is not None]
        never = sum(1 for life in self.lives.values() if life[2] is None)
        beyond = [s for s in self.samples if s.builders > self.max_builds]
        peak_processes = max((s.processes for s in self.samples), default=0)
        peak_slots = max((s.slots for s in self.samples), default=0)
        peak_rss = max((s.rss_kb for s in self.samples), default=0) / 1024
        peak_pss = max((s.pss_kb for s in self.samples), default=0) / 1024
        peak_used = max((s.used_kb for s in self.samples), default=0)
        over = [s for s in self.samples if s.builds > self.max_builds or s.slots > self.max_builds]
        served = sum(1 for asker in self.ranges if asker.served_at)
        b, f = sorted(self.baseline.latencies), sorted(self.flood.latencies)

        def ms(values: list[float], p: float) -> str:
            return f"{percentile(values, p) * 1000:,.0f}" if values else "-"

        def ratio(p: float) -> str:
            return f"{percentile(f, p) / percentile(b, p):.1f}x" if b and f else "-"

        limit = "the app's default" if a.range_limit == "default" else f"raised to `{a.range_limit}`"
        out = ["# PDF flood: 100 concurrent requests for distinct ranges at 1,000 letters", ""]
        for key, value in self.info + [("command", f"`{a.command_line}`")]:
            out.append(f"- {key}: {value}")
        out.append(f"- load average at start / end: {' '.join(f'{x:.2f}' for x in self.load[0])} / "
                   f"{' '.join(f'{x:.2f}' for x in self.load[1])} on {os.cpu_count()} cores")  # fmt: skip
        if self.load[0][0] >= 1.0:
            out.append(f"- **the machine was shared with other work** (load {self.load[0][0]:.1f} on {os.cpu_count()} cores "
                       "before the run): absolute latencies and build times are inflated; compare the readers' "
                       "ratio, flood over a baseline taken minutes earlier in the same run")  # fmt: skip
        out += [
            "",
            f"gunicorn.conf.py, {a.workers} sync workers; PDF_MAX_BUILDS {self.max_builds}; per-client "
            f"PDF_RANGE_RATE_LIMIT {limit} (memory storage, per worker); {REQUESTS} ranges of {a.width} days "
            f"({min(r.letters for r in self.ranges)}-{max(r.letters for r in self.ranges)} letters each) released together; "
            + (f"a 503 is asked again every {a.retry:g} s (ignoring Retry-After) until served or refused with 429"
               if a.persist else "a 503 ends that client (one shot); a 202 is polled every 5 s until the PDF comes")
            + f"; {a.readers} readers GET / back to back.",
            "",
            "## Targets",
            "",
        ]  # fmt: skip
        verdict = lambda ok: "PASS" if ok else "**FAIL**"  # noqa: E731
        out.append(table(["target", "measured", "result"], [
            [f"builds at once <= PDF_MAX_BUILDS ({self.max_builds})",
             f"peak {peak_builds} builds (builders holding a slot's file), peak {peak_slots} slots locked; "
             f"{self.builders_seen} builds in all",
             verdict(not over)],
            [f"builder processes alive at once <= PDF_MAX_BUILDS ({self.max_builds})",
             f"peak {peak_builders} (in {len(beyond)} of {len(self.samples)} samples more than {self.max_builds}: "
             "builders that had let go of their slot and were still ending)" if beyond else f"peak {peak_builders}",
             verdict(not beyond)],
            ["a request beyond the slots: 503 with Retry-After, no process",
             f"503 answers: {every.count(503)}, their Retry-After: {', '.join(retry_after) or '-'}; "
             f"builds started: {self.builders_seen}, first answers 202: {first.count(202)}",
             verdict((every.count(503) == 0 or retry_after == ["60"]) and self.builders_seen <= every.count(202))],
        ], markdown=True))  # fmt: skip
        out += ["", "## Answers", ""]
        statuses = sorted(set(every))
        out.append(table(["", *[str(s) if s else "client error" for s in statuses], "all"], [
            [f"first answer of each of the {REQUESTS}", *[str(first.count(s)) for s in statuses], str(len(first))],
            ["every answer (polls and retries too)", *[str(every.count(s)) for s in statuses], str(len(every))],
        ], markdown=True))  # fmt: skip
        out += [
            "",
            f"Ranges served (200, a PDF): {served} of {REQUESTS}"
            + (f", the last {self.served_after:.1f} s after the flood began" if self.served_after else "")
            + f"; refused by the limiter (429): {sum(1 for r in self.ranges if r.answers and r.answers[-1][1] == 429)}"
            + f"; stopped waiting (--give-up or --max-polls): {sum(1 for r in self.ranges if not r.answers or r.answers[-1][1] == 202 or (a.persist and r.answers[-1][1] == 503))}.",
            "",
            "## Builds and memory (sampled every 100 ms)",
            "",
        ]  # fmt: skip
        out.append(table(["figure", "value"], [
            ["peak builds (builder processes holding a slot's file)", str(peak_builds)],
            ["peak builder processes alive (building, starting or ending)", str(peak_builders)],
            ["a builder alive before it held its slot: median / max", _spread(waited)],
            ["a builder alive after it let go of its slot: median / max", _spread(lingered)],
            ["builders never seen holding a slot (lived under 100 ms with it)", str(never)],
            ["peak slots held (flock on locks/builder-N.slot)", str(peak_slots)],
            ["peak Python processes of builds (a build is one process: builders + any under them)", str(peak_processes)],
            ["builds in all (distinct builder processes seen)", str(self.builders_seen)],
            ["most ended builders not yet reaped by their worker (zombies: no memory, no slot)", str(max((s.zombies for s in self.samples), default=0))],
            ["peak summed RSS of build processes (with the tools they run)", f"{peak_rss:,.0f} MB"],
            ["peak summed PSS of build processes (shared pages once)", f"{peak_pss:,.0f} MB"],
            ["machine used memory: quiet -> peak", f"{self.quiet_used_kb / 1024:,.0f} -> {peak_used / 1024:,.0f} MB "
                                                   f"(+{(peak_used - self.quiet_used_kb) / 1024:,.0f} MB; others' work included)"],
            ["time until no build process was left, from the flood", f"{self.builds_done_after:.1f} s" if self.builds_done_after is not None else "never within the wait"],
        ], markdown=True))  # fmt: skip
        if peak is not None and peak.detail:
            out += ["", f"At the peak ({peak.builds} builds, {peak.processes} processes): " + "; ".join(f"`{d.strip()}`" for d in peak.detail)]
        if self.others_seen:
            out += ["", "Other children of the workers (not builds): " + "; ".join(f"`{c.strip()}`" for c in sorted(set(self.others_seen.values())))]
        out += ["", f"## Readers: GET / ({a.readers} threads back to back; ms)", ""]
        rows = [self.baseline.row(self.baseline_seconds), self.flood.row(self.flood_seconds)]
        rows.append(["during / quiet", "", "", ratio(50), ratio(95), ratio(99), ""])
        out.append(table(["phase", "requests", "req/s", "p50", "p95", "p99", "errors"], rows, markdown=True))
        out += ["", f"Quiet: the {self.baseline_seconds:.0f} s before the flood; during: from the flood's release until no client "
                f"was waiting and no build process was left ({self.flood_seconds:.1f} s)."]  # fmt: skip
        if self.code[0] != self.code[1]:
            out += ["", f"**The code on disk changed during the run** ({self.code[0]} -> {self.code[1]}): others work in this "
                    "checkout; a builder computes BUILD_ID from the files on disk, so a range may be built again and again."]
        ranges_started = sum(1 for r in self.ranges if any(st == 202 for _, st, _ in r.answers))
        if self.builders_seen > ranges_started:
            out += ["", f"**{self.builders_seen} builds for {ranges_started} ranges that were answered 202**: a range was built "
                    "more than once (a finished build whose file the workers did not find: a BUILD_ID of its own?)."]
        if over:
            out += ["", "**More builds than slots** at: " + "; ".join(
                f"+{s.at - self.samples[0].at:.1f} s: {s.builds} builds, {s.slots} slots: " + ", ".join(s.detail) for s in over[:5])]  # fmt: skip
        out += ["", "Problems in the logs: " + ("; ".join(self.problems[:10]) if self.problems else "none")]
        if self.sampler_failures:
            out.append(f"**Sampling failed {len(self.sampler_failures)} times**: {self.sampler_failures[0]}")
        errors = sorted({e for r in self.ranges for e in r.errors})
        if errors:
            out.append(f"Client errors on the flood: {', '.join(errors)}")
        return "\n".join(out) + "\n"


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} / {max(values):.2f} s" if values else "-"


def run(args: argparse.Namespace, backend: Backend, workdir: Path) -> Outcome:
    from refusal_site.compilation import cache

    if args.range_limit != "default":
        os.environ["REFUSAL_PDF_RANGE_RATE_LIMIT"] = args.range_limit
    info = [(k, os.environ.get("BENCH_CODE", v) if k == "commit" else v)
            for k, v in machine_info(backend, SimpleNamespace(wrk="", gunicorn_config="gunicorn.conf.py"))
            if k not in ("wrk", "load average at start")]
    load_start = os.getloadavg()
    code_at_start = code_state()
    database = Database.create(backend, "flood", workdir)
    database.seed_to(LETTERS, log)
    askers = [Asker(since, until, n) for since, until, n in distinct_ranges(database, REQUESTS, args.width)]
    with database.app.app_context():
        max_builds = database.app.config["PDF_MAX_BUILDS"]
        slot_files = cache.slot_paths()
    database.release()
    with gunicorn(database, workdir, args.workers, ROOT / "gunicorn.conf.py") as server:
        for _ in range(args.workers * 3):
            if get(server.base, "/")[0] != 200:
                raise RuntimeError("GET / did not answer 200 before the run")
        sampler = Sampler(server.pid, slot_files)
        readers = Readers(server.base, args.readers)
        quiet_used = _used_memory_kb()
        sampler.start()
        baseline_start = time.perf_counter()
        for thread in readers.threads:
            thread.start()
        log(f"quiet baseline: {args.readers} readers on / for {args.baseline:g} s")
        time.sleep(args.baseline)
        barrier = threading.Barrier(REQUESTS + 1)
        deadline = time.perf_counter() + args.give_up
        threads = [threading.Thread(target=asker.run, args=(server.base, barrier, args.persist, args.retry, deadline, args.max_polls), daemon=True)
                   for asker in askers]  # fmt: skip
        for thread in threads:
            thread.start()
        log(f"flood: {REQUESTS} requests for distinct ranges at once")
        flood_start = time.perf_counter()
        barrier.wait()
        for thread in threads:
            thread.join(max(0.0, deadline - time.perf_counter()) + 60)
        # Until no build is left (a builder may still be ending after its PDF was sent), within the deadline.
        while time.perf_counter() < deadline and sampler.sample().processes:
            time.sleep(SAMPLE_SECONDS)
        flood_end = time.perf_counter()
        readers.stop.set()
        sampler.done.set()
        for thread in readers.threads:
            thread.join(70)
        sampler.join()
        problems = server.log_problems()
    last = sampler.last_build_seen()
    served = [asker.served_at for asker in askers if asker.served_at]
    return Outcome(
        args=args, info=info, max_builds=max_builds, ranges=askers,
        baseline=readers.route("quiet", baseline_start, flood_start), flood=readers.route("during the flood", flood_start, flood_end),
        baseline_seconds=flood_start - baseline_start, flood_seconds=flood_end - flood_start,
        samples=sampler.samples, builders_seen=len(sampler.builders_seen), others_seen=sampler.others_seen, sampler_failures=sampler.failures,
        lives=sampler.lives, code=(code_at_start, code_state()),
        quiet_used_kb=quiet_used, builds_done_after=(last + SAMPLE_SECONDS - flood_start) if last else None,
        served_after=(max(served) - flood_start) if served else None, problems=problems,
        load=(load_start, os.getloadavg()),
    )  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", "--database", dest="database_url",
                        help="a PostgreSQL server to create a temporary database on (default: a temporary SQLite file)")
    parser.add_argument("--range-limit", default=HIGH_LIMIT,
                        help=f"PDF_RANGE_RATE_LIMIT for the run, or 'default' for the app's own (default {HIGH_LIMIT!r})")
    parser.add_argument("--persist", action="store_true", help="ask again every --retry seconds after a 503, until served or 429")
    parser.add_argument("--retry", type=float, default=5.0, help="seconds between a 503 and the next ask with --persist (default 5)")
    parser.add_argument("--width", type=int, default=7, help="days in each range (default 7)")
    parser.add_argument("--readers", type=int, default=3, help="threads reading / (default 3)")
    parser.add_argument("--baseline", type=float, default=10.0, help="seconds of quiet reading before the flood (default 10)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (default 2, gunicorn.conf.py's)")
    parser.add_argument("--give-up", type=float, default=600.0, help="seconds after which clients stop waiting (default 600)")
    parser.add_argument("--max-polls", type=int, default=36,
                        help="202s a client takes before it stops waiting for its PDF (default 36: 3 minutes at 5 s)")
    parser.add_argument("--in-place", action="store_true",
                        help="run the code of this checkout as it is on disk (default: a copy of HEAD, see in_snapshot)")
    parser.add_argument("--output", type=Path, help="Markdown report (default bench/results/pdf-flood-<backend>[-default-limit][-persist].md)")
    args = parser.parse_args(argv)
    if args.width < 1 or args.readers < 1 or args.baseline <= 0 or args.give_up <= 0 or args.retry <= 0:
        parser.error("--width, --readers, --baseline, --give-up and --retry must be positive")
    args.command_line = os.environ.get("BENCH_COMMAND_LINE") or command_line()
    return args


def in_snapshot(args: argparse.Namespace, argv: list[str]) -> int:
    """Run this script again in a copy of HEAD (git archive, translations compiled), with this script and bench/lib as
    they are in the working tree: others edit this checkout while it runs, and a builder computes BUILD_ID (templates,
    static files, compiled translations) from the files on disk, so a file changed mid-run makes
    every build one the workers never find, and the range is built again on every poll."""
    folder = Path(tempfile.mkdtemp(prefix="refusal-bench-code-"))
    try:
        archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
        shutil.copy2(Path(__file__), folder / "bench" / Path(__file__).name)
        shutil.copytree(ROOT / "bench" / "lib", folder / "bench" / "lib", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
        pybabel = Path(sys.executable).with_name("pybabel")
        subprocess.run([str(pybabel), "compile", "-f", "-d", "refusal_site/translations"], cwd=folder, check=True, capture_output=True)
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        changed = subprocess.run(["git", "status", "--porcelain", "--", Path(__file__), ROOT / "bench" / "lib"], cwd=ROOT, capture_output=True, text=True).stdout
        output = (args.output or ROOT / "bench" / "results" / default_output(args)).resolve()
        env = dict(os.environ, BENCH_COMMAND_LINE=args.command_line,
                   BENCH_CODE=f"{head} (a copy: git archive HEAD" + (", with this script and bench/lib as in the working tree)" if changed else ")"))
        return subprocess.run([sys.executable, "-m", "bench.pdf_flood", *argv, "--in-place", "--output", str(output)],
                              cwd=folder, env=env).returncode  # fmt: skip
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def default_output(args: argparse.Namespace) -> str:
    suffix = ("-default-limit" if args.range_limit == "default" else "") + ("-persist" if args.persist else "")
    return f"pdf-flood-{'postgresql' if args.database_url else 'sqlite'}{suffix}.md"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if not args.in_place:
        return in_snapshot(args, argv)
    workdir = Path(tempfile.mkdtemp(prefix="refusal-bench-flood-"))
    backend: Backend = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(workdir)
    try:
        outcome = run(args, backend, workdir)
    finally:
        backend.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    report = outcome.report()
    print(report)
    output = args.output or ROOT / "bench" / "results" / default_output(args)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report, encoding="utf-8")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
