"""Benchmark of the press compilation: build time and memory against one plain WeasyPrint render, the
rebuild after one approval, and how fast a built compilation is served.

What it measures, in one run, for each size (10, 100 and 1,000 published demo letters by default;
demo.seed through bench.lib.databases, with public ids from a fixed seed so that every run of a size gets
the same letters):

1. Plain render (the baseline): all published letters in ONE WeasyPrint document, the app's own
   letter markup (compilation.letters_document: the same pages a compilation is made of, with the
   app's StaticOnlyFetcher), written with write_pdf(). No cover, contents, outline or page numbers.
2. Full build from nothing: compilation.build(Selection(), "he") with an empty PDF cache folder.
3. After one approval: one more letter goes through letters.submit / confirm / publish (so it is
   published now, the newest, like a real approval), then build() again on the cache the full
   build left. Extra row: a letter in the middle is withdrawn (letters.withdraw), then build()
   again on the cache the approval build left.
   Each of these runs in its own process (python -m bench.pdf _child ...), so its peak memory is
   its own: the child's getrusage() peak RSS, or, if the build starts processes of its own, the
   larger of that and the process tree's summed PSS sampled every 50 ms from outside.
   The timed span is the same in both: from selecting the letters (one query) to the PDF on disk or
   in memory; creating the app and importing WeasyPrint are outside it.
   Builder service: the full build and the approval build again, each in a process that first runs
   compilation.warm_up() outside the timed span, as `build-pdf --watch` does once when it starts
   (it is the warm process that keeps the standard compilations built in production). Between
   them, the letter is first only submitted and confirmed (in the moderators' queue), and
   compilation.prepare() runs on the cache the full build left, as the service does while a letter
   waits (timed on its own); the letter is then approved and the approval build timed from there. They run
   last in each round, at normal priority (the service's nice only matters beside other load) and
   without its memory limit; judged against the 10% target beside the builds a download starts,
   which stay the figures for a site without the service (and for date ranges).
   Interleaved: round after round of plain, full build, approval build, withdrawal build, each
   against its own copy of the database (SQLite backup) and its own copy of the cache it starts from.
4. Serving: gunicorn (2 sync workers, bench.lib's gunicorn and app) serves the database the full
   builds ran on; GET /press/letters.pdf (no Accept-Language, so the default language "he", whose
   compilation was built) against /_bench/file.pdf, a byte-for-byte copy of the same PDF sent by
   flask.send_file through the same app (a route this script adds in each worker, from a generated
   gunicorn config file's post_worker_init hook). wrk -t1 -c4, interleaved rounds; the median.

Targets (from the issue):
- full build from nothing no slower than the plain render (every size);
- after one more approval, the new full compilation is ready in at most 10% of the full-build time;
- peak memory of a build at most half of the plain render's peak, at 1,000 letters;
- a cached compilation is served at at least 80% of the requests/s of a static file of the same size.
The verdicts use medians over rounds. The exit code is 0 whether targets pass or fail.

Run from the repository root (needs wrk):

    .venv/bin/python -m bench.pdf                # 10, 100, 1,000 letters, about 5 minutes on 2 cores
    .venv/bin/python -m bench.pdf --quick        # 10 and 100 letters, about 1 minute
    .venv/bin/python -m bench.pdf --sizes 1000 --build-rounds 2

Results are printed and written to bench/results/pdf-sqlite.md (git-ignored; --output to change).
Every database and cache lives in a temporary folder, removed at the end (--keep keeps it).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from flask import Flask, send_file

from bench.lib.app import make_app
from bench.lib.databases import Database, SQLiteBackend
from bench.lib.processes import descendants, pss_kb
from bench.lib.report import code_state, machine_info, table, verdict, with_wrk_and_command_line
from bench.lib.servers import fetch, gunicorn, run_wrk

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_SIZES = (10, 100, 1000)
QUICK_SIZES = (10, 100)
LANGUAGE = "he"  # the site's default interface language: what a request without Accept-Language gets
FILE_PATH = "/_bench/file.pdf"
COMPILATION_PATH = "/press/letters.pdf"

# Targets from the issue.
BUILD_TIME_TARGET = 1.0  # full build time / plain render time, at most
INCREMENTAL_TARGET = 0.10  # build after one approval / full build, at most
MEMORY_TARGET = 0.50  # build peak / plain render peak, at most
MEMORY_TARGET_SIZE = 1000  # ... judged at this size
SERVING_TARGET = 0.80  # compilation req/s / static file req/s, at least

KINDS = ("plain", "full", "approval", "withdrawal", "service full", "service prepare", "service approval")
# The builder service (`build-pdf --watch`) builds in a process that warmed up as it started, and
# prepares the parts of the next publications while letters wait for a moderator.
SERVICE_KINDS = {"service full": "full", "service prepare": "prepare", "service approval": "approval"}


# --- the app gunicorn serves: bench.lib.app's, plus one route for the static-file baseline ---------


def _file_view():
    return send_file(os.environ["BENCH_PDF_FILE"], mimetype="application/pdf", conditional=True, max_age=0)


def add_file_route(app: Flask) -> Flask:
    """/_bench/file.pdf: the file named by $BENCH_PDF_FILE, through the same app, hooks and server."""
    app.add_url_rule(FILE_PATH, "bench_pdf_file", _file_view)
    return app


def bench_app() -> Flask:
    """A factory for serving by hand: `gunicorn --chdir <repo> 'bench.pdf:bench_app()'` with
    BENCH_DATABASE_URL, BENCH_INSTANCE_PATH and BENCH_PDF_FILE set."""
    return add_file_route(make_app(os.environ["BENCH_DATABASE_URL"], os.environ["BENCH_INSTANCE_PATH"]))


# bench.lib.servers.gunicorn() always serves 'bench.lib.app:bench_app()'; this config file adds the route
# to that app in every worker, before the worker takes its first request.
GUNICORN_HOOK = '''\
def post_worker_init(worker):
    from bench.pdf import add_file_route
    add_file_route(worker.wsgi)
'''


# --- child processes: one measured render or build each -------------------------------------------


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def child_main(argv: list[str]) -> int:
    """`python -m bench.pdf _child KIND DATABASE_URL INSTANCE_PATH OUTPUT`: one timed render or build;
    prints one JSON line."""
    kind, url, instance_path, output = argv
    from pypdf import PdfReader

    from refusal_site import compilation

    app = make_app(url, instance_path)

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    with app.app_context():
        if kind in SERVICE_KINDS:
            compilation.warm_up()  # what build-pdf --watch does as it starts, before its first build
        baseline_kb = _rss_kb()
        cpu_before = cpu()
        if kind == "plain":
            started = time.perf_counter()
            selected = compilation.Selection().letters()
            # The same markup the compilation's letter pages are made of, in one document.
            document = compilation.letters_document(compilation.printed(selected))
            data = document.write_pdf()
            seconds = time.perf_counter() - started
            usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_seconds = cpu() - cpu_before
            Path(output).write_bytes(data)
            letters_count, pages, path = len(selected), len(document.pages), Path(output)
        elif kind == "service prepare":
            started = time.perf_counter()
            parts = compilation.prepare()
            seconds = time.perf_counter() - started
            usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_seconds = cpu() - cpu_before
            letters_count, pages, path = len(compilation.Selection().letters()), parts, Path(url.removeprefix("sqlite:///"))
        else:
            started = time.perf_counter()
            built = compilation.build(compilation.Selection(), LANGUAGE)
            seconds = time.perf_counter() - started
            usage = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu_seconds = cpu() - cpu_before
            letters_count, path = built.letters, built.path
            pages = len(PdfReader(path).pages)
    print(
        json.dumps(
            {
                "kind": kind,
                "seconds": seconds,
                "maxrss_kb": usage[0].ru_maxrss,
                "children_maxrss_kb": usage[1].ru_maxrss,
                "baseline_kb": baseline_kb,
                "cpu_seconds": cpu_seconds,  # the timed span, this process and any it waited for
                "letters": letters_count,
                "pages": pages,
                "bytes": path.stat().st_size,
                "path": str(path),
            }
        )
    )
    return 0


def _exe(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


class TreeSampler(threading.Thread):
    """Samples the child's process tree every 50 ms; when the child has Python processes of its own
    (a pool, a forked or spawned builder), their summed PSS (shared pages counted once), which
    getrusage() in the child cannot see. Other programs are left out: importing WeasyPrint runs gcc
    and ld to find its libraries (ctypes.util.find_library), before the timed work."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kb = 0
        self.most_processes = 1
        self.done = threading.Event()

    def run(self) -> None:
        python = ""
        while not self.done.wait(0.05):
            python = python or _exe(self.pid)
            others = [p for p in descendants(self.pid) if _exe(p) == python]
            if others:
                self.most_processes = max(self.most_processes, 1 + len(others))
                self.peak_kb = max(self.peak_kb, sum(pss_kb(p) for p in [self.pid, *others]))


@dataclass
class Run:
    kind: str
    seconds: float
    # The larger of the child's own peak RSS and its Python process tree's sampled summed PSS.
    # (Not RUSAGE_CHILDREN: a forked child's peak there includes the parent's pages it shared before exec.)
    peak_kb: int
    baseline_kb: int  # RSS once the app is loaded, before the timed work
    cpu_seconds: float
    letters: int
    pages: int
    bytes: int
    path: str
    processes: int

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def run_child(kind: str, database: Database, output: Path) -> Run:
    command = [sys.executable, "-m", "bench.pdf", "_child", kind, database.url, database.instance_path, str(output)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(process.pid)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.done.set()
    sampler.join()
    if process.returncode != 0:
        raise RuntimeError(f"{kind} on {database.url} failed ({process.returncode}):\n{stderr[-4000:]}")
    lines = [line for line in stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{kind}: no result on stdout:\n{stdout[-2000:]}\n{stderr[-2000:]}")
    result = json.loads(lines[-1])
    return Run(
        kind=kind,
        seconds=result["seconds"],
        peak_kb=max(result["maxrss_kb"], sampler.peak_kb),
        baseline_kb=result["baseline_kb"],
        cpu_seconds=result["cpu_seconds"],
        letters=result["letters"],
        pages=result["pages"],
        bytes=result["bytes"],
        path=result["path"],
        processes=sampler.most_processes,
    )


# --- databases and caches ---------------------------------------------------------------------------


def seed_with_fixed_ids(database: Database, size: int, log) -> None:
    """bench.lib.databases' seeding (demo.seed), with public ids drawn from a fixed seed: the letters
    (and so the order of equal publication times) are the same (demo content and dates are
    seeded already). The ids look like models.new_public_id()'s: 12 bytes, URL-safe base64."""
    from refusal_site import demo

    ids = random.Random(f"bench-pdf-{size}")
    with mock.patch.object(demo, "new_public_id", lambda: base64.urlsafe_b64encode(ids.randbytes(12)).decode()):
        database.seed_to(size, log)


def sqlite_file(url: str) -> str:
    return url.removeprefix("sqlite:///")


def copy_database(source: Database, label: str, workdir: Path) -> Database:
    """A copy of `source` (SQLite online backup), with its own, empty instance folder."""
    source.release()
    url = f"sqlite:///{workdir / f'{label}.sqlite3'}"
    with sqlite3.connect(sqlite_file(source.url)) as src, sqlite3.connect(sqlite_file(url)) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    instance_path = str(workdir / f"instance-{label}")
    database = Database(url, instance_path, make_app(url, instance_path), source.letters)
    database.release()
    return database


def pdf_cache(database: Database) -> Path:
    """compilation.cache_folder() of the database's app."""
    from refusal_site import compilation

    with database.app.app_context():
        return compilation.cache_folder()


def set_cache(database: Database, snapshot: Path | None) -> None:
    """Empty the database's PDF cache folder, or make it an exact copy of `snapshot`."""
    folder = pdf_cache(database)
    shutil.rmtree(folder, ignore_errors=True)
    if snapshot is not None:
        shutil.copytree(snapshot, folder)


def snapshot_cache(database: Database, to: Path) -> Path:
    shutil.rmtree(to, ignore_errors=True)
    shutil.copytree(pdf_cache(database), to)
    return to


def queue_one(database: Database, rng_seed: int) -> int:
    """One more letter, the way a real one arrives: submitted, confirmed, in the moderators' queue."""
    from refusal_site import demo, letters
    from refusal_site.extensions import db

    fields = demo.synthetic_letter(random.Random(rng_seed), LANGUAGE)
    with database.app.app_context():
        letter = letters.submit(
            display_name=fields["display_name"],
            descriptor=fields["descriptor"],
            title=fields["title"],
            language=fields["language"],
            body_text=fields["body_text"],
            contact_email="bench-approval@private.example",
        )
        letter_id = letters.confirm(letter).id
        db.session.remove()
    database.release()
    return letter_id


def approve(database: Database, letter_id: int) -> None:
    """A moderator approves the queued letter: published now, the newest."""
    from refusal_site import letters
    from refusal_site.extensions import db
    from refusal_site.models import Letter

    with database.app.app_context():
        letters.publish(db.session.get(Letter, letter_id), by="cli")
        db.session.remove()
    database.letters += 1
    database.release()


def withdraw_middle(database: Database) -> tuple[str, int]:
    """Withdraw the letter in the middle of the compilation's order; return its public id and position."""
    from refusal_site import compilation, letters
    from refusal_site.extensions import db

    with database.app.app_context():
        selected = compilation.Selection().letters()
        position = len(selected) // 2
        letter = letters.withdraw(selected[position])
        public_id = letter.public_id
        db.session.remove()
    database.letters -= 1
    database.release()
    return public_id, position


def page_files(database: Database) -> int:
    """How many files of letter pages the cache holds (letters rendered together share one)."""
    return len(list((pdf_cache(database) / "pages").glob("*.pdf")))


# --- one size ---------------------------------------------------------------------------------------


@dataclass
class SizeResult:
    letters: int
    runs: dict[str, list[Run]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    static_rps: list[float] = field(default_factory=list)
    compilation_rps: list[float] = field(default_factory=list)
    served_bytes: int = 0
    page_files: int = 0
    withdrawn_position: int = 0
    problems: list[str] = field(default_factory=list)

    def seconds(self, kind: str) -> float:
        return statistics.median(run.seconds for run in self.runs[kind])

    def peak_mb(self, kind: str) -> float:
        return statistics.median(run.peak_mb for run in self.runs[kind])

    def time_ratio(self, kind: str, of: str) -> float:
        return self.seconds(kind) / self.seconds(of)

    def round_ratios(self, kind: str, of: str) -> list[float]:
        return [a.seconds / b.seconds for a, b in zip(self.runs[kind], self.runs[of])]

    @property
    def memory_ratio(self) -> float:
        return self.peak_mb("full") / self.peak_mb("plain")

    @property
    def serving_ratio(self) -> float:
        return statistics.median(self.compilation_rps) / statistics.median(self.static_rps)

    @property
    def serving_round_ratios(self) -> list[float]:
        return [c / s for c, s in zip(self.compilation_rps, self.static_rps)]


def measure_size(size: int, rounds: int, args: argparse.Namespace, workdir: Path, log) -> SizeResult:
    result = SizeResult(size)
    backend = SQLiteBackend(workdir)
    base = Database.create(backend, f"n{size}", workdir)
    seed_with_fixed_ids(base, size, log)
    queued = copy_database(base, f"n{size}-queued", workdir)
    waiting = queue_one(queued, rng_seed=size)
    approved = copy_database(queued, f"n{size}-approved", workdir)
    approve(approved, waiting)
    withdrawn = copy_database(approved, f"n{size}-withdrawn", workdir)
    _, result.withdrawn_position = withdraw_middle(withdrawn)

    snapshots = workdir / f"snapshots-{size}"
    after_full = after_approval = None
    for number in range(1, rounds + 1):
        plain = run_child("plain", base, workdir / f"plain-{size}.pdf")
        set_cache(base, None)
        full = run_child("full", base, workdir / "unused")
        result.page_files = page_files(base)
        after_full = after_full or snapshot_cache(base, snapshots / "full")
        set_cache(approved, after_full)
        approval = run_child("approval", approved, workdir / "unused")
        after_approval = after_approval or snapshot_cache(approved, snapshots / "approval")
        set_cache(withdrawn, after_approval)
        withdrawal = run_child("withdrawal", withdrawn, workdir / "unused")
        set_cache(base, None)
        service_full = run_child("service full", base, workdir / "unused")
        # While the letter waited for a moderator, the service prepared its parts; then it is approved.
        set_cache(queued, after_full)
        service_prepare = run_child("service prepare", queued, workdir / "unused")
        set_cache(approved, snapshot_cache(queued, snapshots / "prepared"))
        service_approval = run_child("service approval", approved, workdir / "unused")
        runs = (plain, full, approval, withdrawal, service_full, service_prepare, service_approval)
        for run in runs:
            result.runs[run.kind].append(run)
        expected = {"plain": size, "full": size, "approval": size + 1, "withdrawal": size, "service full": size,
                    "service prepare": size, "service approval": size + 1}  # fmt: skip
        for run in runs:
            if run.letters != expected[run.kind]:
                raise RuntimeError(f"{run.kind} at {size}: {run.letters} letters, expected {expected[run.kind]}")
        log(
            f"  {size:,} letters, round {number}/{rounds}: plain {plain.seconds:.2f} s {plain.peak_mb:.0f} MB, "
            f"full {full.seconds:.2f} s {full.peak_mb:.0f} MB, +1 approval {approval.seconds:.2f} s "
            f"{approval.peak_mb:.0f} MB, withdrawal {withdrawal.seconds:.2f} s {withdrawal.peak_mb:.0f} MB; builder service: "
            f"full {service_full.seconds:.2f} s, preparing the queued letter {service_prepare.seconds:.2f} s "
            f"({service_prepare.pages} parts), +1 approval {service_approval.seconds:.3f} s"
        )

    measure_serving(base, result, args, workdir, log)
    for database in (base, queued, approved, withdrawn):
        database.release()
    return result


def measure_serving(database: Database, result: SizeResult, args: argparse.Namespace, workdir: Path, log) -> None:
    from refusal_site import compilation

    with database.app.app_context():
        built = compilation.existing(compilation.Selection(), LANGUAGE)
    database.release()
    if built is None:
        # Serving it now would start a background build in a gunicorn worker instead of measuring.
        raise RuntimeError(f"no built compilation for {database.url} in {database.instance_path}")
    copy = workdir / f"static-copy-{result.letters}.pdf"
    shutil.copyfile(built.path, copy)
    result.served_bytes = copy.stat().st_size
    config = workdir / "gunicorn-pdf-hook.py"
    config.write_text(GUNICORN_HOOK)
    os.environ["BENCH_PDF_FILE"] = str(copy)
    with gunicorn(database, workdir, args.workers, config) as server:
        urls = {"static": server.base + FILE_PATH, "compilation": server.base + COMPILATION_PATH}
        for name, url in urls.items():
            status, body = fetch(url)
            if status != 200 or len(body) != result.served_bytes or not body.startswith(b"%PDF"):
                raise RuntimeError(f"GET {url}: {status}, {len(body):,} bytes (expected 200 and the {result.served_bytes:,}-byte PDF)")
        for url in urls.values():
            run_wrk(args.wrk, url, args.warmup, args.connections)
        for number in range(1, args.rounds + 1):
            runs = {name: run_wrk(args.wrk, url, args.seconds, args.connections) for name, url in urls.items()}
            result.static_rps.append(runs["static"].rps)
            result.compilation_rps.append(runs["compilation"].rps)
            for name, run in runs.items():
                if run.problems:
                    result.problems.append(f"{result.letters} letters, round {number}, {name}: {run.problems}")
            log(
                f"  {result.letters:,} letters, serving round {number}/{args.rounds}: static file "
                f"{runs['static'].rps:,.1f} req/s, compilation {runs['compilation'].rps:,.1f} req/s"
            )
        result.problems += [f"{result.letters} letters, gunicorn log: {line}" for line in server.log_problems()]


# --- report -----------------------------------------------------------------------------------------


def report(args: argparse.Namespace, info: list[tuple[str, str]], results: list[SizeResult], markdown: bool) -> str:
    h = "## " if markdown else ""
    out = [("# " if markdown else "") + "Press compilation benchmark", ""]
    for key, value in info + [("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg()))]:
        out.append(f"- {key}: {value}" if markdown else f"{key + ':':24}{value}")
    command = f"`{args.command_line}`" if markdown else args.command_line
    out.append(f"- command: {command}" if markdown else f"{'command:':24}{command}")
    out.append("")

    out.append(f"{h}Results (medians over rounds)")
    out.append("")
    rows = []
    for r in results:
        rows.append(
            [
                f"{r.letters:,}",
                f"{r.seconds('plain'):.2f}",
                f"{r.peak_mb('plain'):.0f}",
                f"{r.seconds('full'):.2f}",
                f"{r.peak_mb('full'):.0f}",
                f"{r.time_ratio('full', 'plain'):.2f}x",
                f"{r.memory_ratio:.2f}x",
                f"{r.seconds('approval'):.2f}",
                f"{r.time_ratio('approval', 'full'):.0%}",
                f"{r.seconds('withdrawal'):.2f}",
                f"{r.time_ratio('withdrawal', 'full'):.0%}",
                f"{statistics.median(r.static_rps):,.1f}",
                f"{statistics.median(r.compilation_rps):,.1f}",
                f"{r.serving_ratio:.0%}",
                str(len(r.runs["full"])),
            ]
        )
    service_rows = [
        [f"{r.letters:,}", f"{r.seconds('service full'):.2f}", f"{r.seconds('service prepare'):.2f}",
         f"{r.runs['service prepare'][0].pages}", f"{r.seconds('service approval'):.3f}",
         f"{r.time_ratio('service approval', 'service full'):.1%}"]
        for r in results
    ]  # fmt: skip
    out.append(
        table(
            [
                "letters", "plain s", "plain MB", "full build s", "full MB", "build/plain time", "build/plain MB",
                "+1 approval s", "% of full", "withdrawal s", "% of full", "static file req/s", "compilation req/s",
                "served/static", "rounds",
            ],
            rows,
            markdown,
        )
    )  # fmt: skip
    out.append("")
    out.append(f"{h}Builder service (`build-pdf --watch`): the same builds in a process that warmed up as it started")
    out.append("")
    out.append(table(["letters", "full build s", "preparing the queued letter s", "parts rendered", "+1 approval s", "% of full"],
                     service_rows, markdown))  # fmt: skip
    out.append("")

    out.append(f"{h}Targets")
    out.append("")
    rows = []
    for r in results:
        rows.append(
            [
                f"full build <= {BUILD_TIME_TARGET:.0%} of plain render time",
                f"{r.letters:,}",
                f"{r.time_ratio('full', 'plain'):.2f}x",
                " ".join(f"{x:.2f}x" for x in r.round_ratios("full", "plain")),
                verdict(r.time_ratio("full", "plain") <= BUILD_TIME_TARGET),
            ]
        )
    for kind, of, where in (("approval", "full", ""), ("service approval", "service full", ", builder service")):
        for r in results:
            rows.append(
                [
                    f"after one approval <= {INCREMENTAL_TARGET:.0%} of full build time{where}",
                    f"{r.letters:,}",
                    f"{r.time_ratio(kind, of):.1%}",
                    " ".join(f"{x:.1%}" for x in r.round_ratios(kind, of)),
                    verdict(r.time_ratio(kind, of) <= INCREMENTAL_TARGET),
                ]
            )
    for r in results:
        judged = r.letters == MEMORY_TARGET_SIZE
        rows.append(
            [
                f"build peak memory <= {MEMORY_TARGET:.0%} of plain render's (judged at {MEMORY_TARGET_SIZE:,})",
                f"{r.letters:,}",
                f"{r.memory_ratio:.2f}x ({r.peak_mb('full'):.0f} / {r.peak_mb('plain'):.0f} MB)",
                " ".join(f"{a.peak_mb / b.peak_mb:.2f}x" for a, b in zip(r.runs["full"], r.runs["plain"])),
                verdict(r.memory_ratio <= MEMORY_TARGET) if judged else f"({verdict(r.memory_ratio <= MEMORY_TARGET).lower()}, not judged)",
            ]
        )
    if not any(r.letters == MEMORY_TARGET_SIZE for r in results):
        rows.append([f"build peak memory at {MEMORY_TARGET_SIZE:,} letters", "-", "not measured", "", "n/a (size not run)"])
    for r in results:
        rows.append(
            [
                f"compilation served >= {SERVING_TARGET:.0%} of static file req/s",
                f"{r.letters:,}",
                f"{r.serving_ratio:.0%}",
                " ".join(f"{x:.0%}" for x in r.serving_round_ratios),
                verdict(r.serving_ratio >= SERVING_TARGET),
            ]
        )
    out.append(table(["target", "letters", "measured (medians)", "each round", "result"], rows, markdown))
    out.append("")

    out.append(f"{h}Details: every round")
    out.append("")
    rows = []
    for r in results:
        for kind in KINDS:
            for number, run in enumerate(r.runs[kind], 1):
                rows.append(
                    [
                        f"{r.letters:,}",
                        kind,
                        str(number),
                        f"{run.seconds:.2f}",
                        f"{run.cpu_seconds:.2f}",
                        f"{run.peak_mb:.0f}",
                        f"{run.baseline_kb / 1024:.0f}",
                        f"{(run.peak_kb - run.baseline_kb) / 1024:.0f}",
                        str(run.processes),
                        f"{run.letters:,}",
                        f"{run.pages:,}",
                        f"{run.bytes / 1024:,.0f}",
                    ]
                )
    out.append(
        table(
            ["letters", "run", "round", "wall s", "cpu s", "peak MB", "app loaded MB", "peak - loaded MB", "python processes",
             "letters in PDF", "pages", "PDF KB"],
            rows,
            markdown,
        )
    )  # fmt: skip
    out.append("")
    rows = [
        [
            f"{r.letters:,}",
            str(r.page_files),
            f"{r.withdrawn_position:,}",
            f"{r.served_bytes / 1024:,.0f}",
            " ".join(f"{x:,.1f}" for x in r.static_rps),
            " ".join(f"{x:,.1f}" for x in r.compilation_rps),
        ]
        for r in results
    ]
    out.append(
        table(["letters", "files of letter pages", "withdrawn letter at", "served KB", "static file req/s, each round", "compilation req/s, each round"],
              rows, markdown)
    )  # fmt: skip
    out.append("")
    problems = [p for r in results for p in r.problems]
    out.append("Serving problems: " + ("; ".join(problems) if problems else "none (no non-2xx/3xx responses, no socket errors, no errors logged)"))
    out.append("")
    notes = [
        "plain = one WeasyPrint document of all letters (compilation.letters_document, the app's "
        "fetcher), write_pdf() to memory: no cover, contents, outline or page numbers.",
        "full = compilation.build(Selection(), \"he\") with an empty PDF cache; +1 approval = build() after "
        "letters.submit/confirm/publish of one more letter, on the cache the full build left; withdrawal = build() "
        "after letters.withdraw of the letter in the middle, on the cache the approval build left.",
        "builder service = the same full and +1 approval builds, each in a process that first ran compilation.warm_up() "
        "(outside the timed span), as `build-pdf --watch` does when it starts: the warm process that builds the standard "
        "compilations in production. Between them, while the letter waited in the moderators' queue (submitted and "
        "confirmed, not yet approved), compilation.prepare() on the cache the full build left, as the service does when "
        "the queue changes: its own time is the \"preparing\" column (it renders for all six standard compilations, "
        "not only this one), outside the approval's timed span, which starts at the approval. The rows above are builds "
        "started by a download, each in a new process, with nothing prepared.",
        "Demo letters from demo.seed (bench.lib.databases), public ids from a fixed seed: the same letters in every run.",
        "Each in its own process, timed from the letters query to the finished PDF. peak MB = peak RSS of that "
        "process (getrusage), including the app loaded before the timed work (\"app loaded MB\"); if the build starts "
        "processes, the summed PSS of the process tree, sampled every 50 ms, when larger.",
        f"Serving: gunicorn {args.workers} sync workers, wrk -t1 -c{args.connections}, {args.rounds} interleaved rounds "
        f"of {args.seconds} s after {args.warmup} s warm-up each; {COMPILATION_PATH} (no Accept-Language: "
        f"\"{LANGUAGE}\") against {FILE_PATH}, a copy of the same file sent by flask.send_file in the same app.",
        f"wrk and the workers share the machine's {os.cpu_count()} cores and other load moves absolute figures; "
        "compare ratios from the same run.",
    ]
    out += [f"- {note}" if markdown else f"* {note}" for note in notes]
    return "\n".join(out) + "\n"


# --- main -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", help="comma-separated numbers of letters (default 10,100,1000; --quick 10,100)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 10 and 100 letters, fewer rounds (explicit options win)")
    parser.add_argument(
        "--build-rounds", type=int,
        help="interleaved rounds of plain/full/approval/withdrawal per size (default 3 up to 100 letters, 1 above; --quick 2 and 1)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, help="interleaved wrk rounds per size (default 3; --quick 2)")
    parser.add_argument("--seconds", type=int, help="length of each wrk run, whole seconds (default 3; --quick 1)")
    parser.add_argument("--warmup", type=int, default=1, help="wrk warm-up seconds per URL and size (default 1)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk", help="path to wrk")
    parser.add_argument("--output", type=Path, help="Markdown report (default bench/results/pdf-sqlite.md)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (databases, caches, PDFs, logs)")
    args = parser.parse_args(argv)
    if args.sizes:
        try:
            args.size_list = [int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
        except ValueError:
            parser.error("--sizes takes comma-separated whole numbers, e.g. 10,100,1000")
        if not args.size_list or min(args.size_list) < 2:
            parser.error("--sizes: at least 2 letters (one is withdrawn in the middle)")
    else:
        args.size_list = list(QUICK_SIZES if args.quick else DEFAULT_SIZES)
    defaults = {"rounds": 2, "seconds": 1} if args.quick else {"rounds": 3, "seconds": 3}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.seconds < 1 or args.warmup < 1 or args.rounds < 1 or (args.build_rounds is not None and args.build_rounds < 1):
        parser.error("--seconds, --warmup, --rounds and --build-rounds must be at least 1")
    return with_wrk_and_command_line(parser, args)


def build_rounds(args: argparse.Namespace, size: int) -> int:
    if args.build_rounds is not None:
        return args.build_rounds
    if args.quick:
        return 2 if size <= 10 else 1
    return 3 if size <= 100 else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_child"]:
        return child_main(argv[1:])
    args = parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    workdir = Path(tempfile.mkdtemp(prefix="refusal-bench-pdf-"))
    started = time.monotonic()
    code_at_start = code_state()
    try:
        info = machine_info(
            SQLiteBackend(workdir),
            SimpleNamespace(wrk=args.wrk, gunicorn_config=f"none (a generated hook adds {FILE_PATH} in each worker)"),
        )
        results = []
        for size in args.size_list:
            rounds = build_rounds(args, size)
            log(f"{size:,} letters: {rounds} round(s) of plain / full / approval / withdrawal, then serving")
            results.append(measure_size(size, rounds, args, workdir, log))
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info.append(("benchmark wall time", f"{time.monotonic() - started:.0f} s"))
    if code_state() != code_at_start:
        # Each measurement runs the code on disk at the time: the sizes may have measured different code.
        log("! the app's code changed during the run (new commit or edited files): results mix versions")
        info.append(("WARNING", f"the code changed during the run: {code_at_start} at the start, {code_state()} at the end"))
    print(report(args, info, results, markdown=False))
    output = args.output or ROOT / "bench" / "results" / "pdf-sqlite.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(args, info, results, markdown=True), encoding="utf-8")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
