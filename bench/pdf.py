"""Benchmark of the press compilation: build time and memory against one plain WeasyPrint render, how
soon the builder service's compilation reflects a publication, and how fast a built compilation is served.

What it measures, in one run, for each size (10, 100 and 1,000 published demo letters by default;
demo.seed through bench.lib.databases, with public ids from a fixed seed so that every run of a size gets
the same letters):

1. Plain render (the baseline): all published letters in ONE WeasyPrint document, the app's own
   letter markup (rendering.letters_document: the same pages a compilation is made of, with the
   app's StaticOnlyFetcher), written with write_pdf(). No cover, contents, outline or page numbers,
   and no tags (a build renders its parts tagged for PDF/UA-1, a cost the baseline does not pay).
2. Full build from nothing: assembly.build(Selection(), "he") with an empty PDF cache folder.
3. After one approval: one more letter goes through letters.submit / confirm / publish (so it is
   published now, the newest, like a real approval), then build() again on the cache the full
   build left. Extra row: a letter in the middle is withdrawn (letters.withdraw), then build()
   again on the cache the approval build left. Both are figures to read, not targets: issue 17
   retired "one approval rebuilds in 10% of a full build".
   Each of these runs in its own process (python -m bench.pdf _child ...). A build renders in
   the process that runs it, so its peak memory is the child's peak RSS (getrusage); a child whose
   timed work waited for processes of its own fails (their memory would go uncounted).
   The timed span is the same in all: from selecting the letters (one query) to the PDF on disk or
   in memory; creating the app and importing WeasyPrint are outside it.
4. Builder service: `build-pdf --watch` is one long-lived process, so ONE child does what it does
   after a publication: the full build from nothing, then one more letter submitted, confirmed and
   published, then the approval build, timed in that same warm process. The service builds this
   compilation (all letters, "he") first in its round, and notices a publication when it next looks,
   up to PDF_WATCH_SECONDS later: the target is judged as approval build + PDF_WATCH_SECONDS. At
   normal priority and without the service's memory limit (its nice only matters beside other load).
   Interleaved: round after round of plain, full, approval, withdrawal and service, each against its
   own copy of the database (SQLite backup) and its own copy of the cache it starts from.
5. Serving: gunicorn (2 sync workers, bench.lib's gunicorn and app) serves the database the full
   builds ran on; GET /press/letters.pdf (no Accept-Language, so the default language "he", whose
   compilation was built) against /_bench/file.pdf, a byte-for-byte copy of the same PDF sent by
   flask.send_file through the same app (a route this script adds in each worker, from a generated
   gunicorn config file's post_worker_init hook). wrk -t1 -c4, interleaved rounds; the median.

Targets (from the issues):
- full build from nothing no slower than the plain render (every size);
- peak memory of a build at most half of the plain render's peak, at 1,000 letters;
- a cached compilation is served at at least 80% of the requests/s of a static file of the same size;
- while the builder service runs, a standard compilation reflects a publication within 10 s, at 1,000 letters.
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
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

from flask import Flask, send_file

from bench.lib.app import make_app
from bench.lib.databases import Database, SQLiteBackend
from bench.lib.report import code_state, machine_info, table, verdict, with_wrk_and_command_line
from bench.lib.servers import fetch, gunicorn, run_wrk

ROOT = Path(__file__).resolve().parent.parent

DEFAULT_SIZES = (10, 100, 1000)
QUICK_SIZES = (10, 100)
LANGUAGE = "he"  # the site's default interface language: what a request without Accept-Language gets
FILE_PATH = "/_bench/file.pdf"
COMPILATION_PATH = "/press/letters.pdf"

# Targets from the issues.
BUILD_TIME_TARGET = 1.0  # full build time / plain render time, at most
MEMORY_TARGET = 0.50  # build peak / plain render peak, at most
SERVING_TARGET = 0.80  # compilation req/s / static file req/s, at least
PUBLICATION_TARGET = 10.0  # seconds from a publication to the service's compilation holding it, at most
JUDGED_SIZE = 1000  # the memory and publication targets are judged at this size

# "service full" and "service approval" run in one process, as the builder service is one.
KINDS = ("plain", "full", "approval", "withdrawal", "service full", "service approval")


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


# --- child processes: one measured render or build each (the service: two) --------------------------


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _timed(work):
    """Run `work` (from the letters' query to the PDF): its result, and the time, CPU and memory it took."""
    baseline_kb, own, children = _rss_kb(), _cpu_seconds(resource.RUSAGE_SELF), _cpu_seconds(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    if _cpu_seconds(resource.RUSAGE_CHILDREN) != children:
        raise RuntimeError("the timed work waited for processes of its own: their memory is not in this process's peak")
    figures = {"seconds": seconds, "cpu_seconds": _cpu_seconds(resource.RUSAGE_SELF) - own,
               "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "baseline_kb": baseline_kb}  # fmt: skip
    return result, figures


def child_main(argv: list[str]) -> int:
    """`python -m bench.pdf _child KIND DATABASE_URL INSTANCE_PATH OUTPUT`: one timed render or build
    (the service: two); prints a JSON line for each."""
    kind, url, instance_path, output = argv
    from pypdf import PdfReader

    from refusal_site.compilation import assembly, rendering
    from refusal_site.compilation.selection import Selection, printed

    def plain() -> tuple[int, bytes]:
        selected = Selection().letters()
        # The same markup the compilation's letter pages are made of, in one document.
        return len(selected), rendering.letters_document(printed(selected)).write_pdf()

    def build() -> tuple[int, Path]:
        built = assembly.build(Selection(), LANGUAGE)
        return built.letters, built.path

    measured = []  # (kind, figures, letters, the PDF)
    with make_app(url, instance_path).app_context():
        if kind == "plain":
            (letters_count, data), figures = _timed(plain)
            Path(output).write_bytes(data)
            measured.append((kind, figures, letters_count, Path(output)))
        elif kind == "service":
            # What the builder service does in its one process: a full build, then, after a
            # publication, the build that holds it.
            (letters_count, path), figures = _timed(build)
            measured.append(("service full", figures, letters_count, path))
            approve_one_more(rng_seed=letters_count)
            (letters_count, path), figures = _timed(build)
            measured.append(("service approval", figures, letters_count, path))
        else:
            (letters_count, path), figures = _timed(build)
            measured.append((kind, figures, letters_count, path))
    for kind, figures, letters_count, path in measured:
        pages = len(PdfReader(path).pages)
        print(json.dumps({"kind": kind, **figures, "letters": letters_count, "pages": pages, "bytes": path.stat().st_size, "path": str(path)}))
    return 0


@dataclass
class Run:
    kind: str
    seconds: float
    peak_kb: int  # the process's peak RSS (getrusage) by the end of the timed work
    baseline_kb: int  # RSS once the app is loaded, before the timed work
    cpu_seconds: float
    letters: int
    pages: int
    bytes: int
    path: str

    @property
    def peak_mb(self) -> float:
        return self.peak_kb / 1024


def run_child(kind: str, database: Database, output: Path) -> list[Run]:
    command = [sys.executable, "-m", "bench.pdf", "_child", kind, database.url, database.instance_path, str(output)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} on {database.url} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    runs = [Run(**json.loads(line)) for line in done.stdout.splitlines() if line.startswith("{")]
    if not runs:
        raise RuntimeError(f"{kind}: no result on stdout:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return runs


# --- databases and caches ---------------------------------------------------------------------------


def seed_with_fixed_ids(database: Database, size: int, log) -> None:
    """bench.lib.databases' seeding (demo.seed, which stores letters as letters.submit does), with
    public ids drawn from a fixed seed: the letters (and so the order of equal publication times) are
    the same (demo content and dates are seeded already). The ids look like models.new_public_id()'s:
    12 bytes, URL-safe base64."""
    from refusal_site import letters

    ids = random.Random(f"bench-pdf-{size}")
    with mock.patch.object(letters, "new_public_id", lambda: base64.urlsafe_b64encode(ids.randbytes(12)).decode()):
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
    """cache.folder() of the database's app."""
    from refusal_site.compilation import cache

    with database.app.app_context():
        return cache.folder()


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


def approve_one_more(rng_seed: int) -> None:
    """One more letter, the way a real one arrives: submitted, confirmed, then approved by a moderator
    (published now, the newest). In the current app context."""
    from refusal_site import demo, letters

    fields = demo.synthetic_letter(random.Random(rng_seed), LANGUAGE)
    letter = letters.submit(
        display_name=fields["display_name"],
        descriptor=fields["descriptor"],
        title=fields["title"],
        language=fields["language"],
        body_text=fields["body_text"],
        contact_email="bench-approval@private.example",
    )
    letters.publish(letters.confirm(letter), by="cli")


def publish_one_more(database: Database, rng_seed: int) -> None:
    from refusal_site.extensions import db

    with database.app.app_context():
        approve_one_more(rng_seed)
        db.session.remove()
    database.letters += 1
    database.release()


def withdraw_middle(database: Database) -> tuple[str, int]:
    """Withdraw the letter in the middle of the compilation's order; return its public id and position."""
    from refusal_site import letters
    from refusal_site.compilation.selection import Selection
    from refusal_site.extensions import db

    with database.app.app_context():
        selected = Selection().letters()
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
    watch_seconds: float  # PDF_WATCH_SECONDS: how often the builder service looks for publications
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
    def publication_seconds(self) -> float:
        """From a publication to the service's compilation holding it: its next look, then its build."""
        return self.watch_seconds + self.seconds("service approval")

    @property
    def serving_ratio(self) -> float:
        return statistics.median(self.compilation_rps) / statistics.median(self.static_rps)

    @property
    def serving_round_ratios(self) -> list[float]:
        return [c / s for c, s in zip(self.compilation_rps, self.static_rps)]


def measure_size(size: int, rounds: int, args: argparse.Namespace, workdir: Path, log) -> SizeResult:
    base = Database.create(SQLiteBackend(workdir), f"n{size}", workdir)
    seed_with_fixed_ids(base, size, log)
    result = SizeResult(size, base.app.config["PDF_WATCH_SECONDS"])
    approved = copy_database(base, f"n{size}-approved", workdir)
    publish_one_more(approved, rng_seed=size)
    withdrawn = copy_database(approved, f"n{size}-withdrawn", workdir)
    _, result.withdrawn_position = withdraw_middle(withdrawn)

    snapshots = workdir / f"snapshots-{size}"
    after_full = after_approval = None
    for number in range(1, rounds + 1):
        (plain,) = run_child("plain", base, workdir / f"plain-{size}.pdf")
        set_cache(base, None)
        (full,) = run_child("full", base, workdir / "unused")
        result.page_files = page_files(base)
        after_full = after_full or snapshot_cache(base, snapshots / "full")
        set_cache(approved, after_full)
        (approval,) = run_child("approval", approved, workdir / "unused")
        after_approval = after_approval or snapshot_cache(approved, snapshots / "approval")
        set_cache(withdrawn, after_approval)
        (withdrawal,) = run_child("withdrawal", withdrawn, workdir / "unused")
        # The service publishes a letter itself: a new copy of the seeded database, with an empty cache.
        service = copy_database(base, f"n{size}-service-{number}", workdir)
        service_full, service_approval = run_child("service", service, workdir / "unused")
        service.release()
        runs = (plain, full, approval, withdrawal, service_full, service_approval)
        expected = {"plain": size, "full": size, "approval": size + 1, "withdrawal": size, "service full": size,
                    "service approval": size + 1}  # fmt: skip
        for run in runs:
            if run.letters != expected[run.kind]:
                raise RuntimeError(f"{run.kind} at {size}: {run.letters} letters, expected {expected[run.kind]}")
            result.runs[run.kind].append(run)
        log(
            f"  {size:,} letters, round {number}/{rounds}: plain {plain.seconds:.2f} s {plain.peak_mb:.0f} MB, "
            f"full {full.seconds:.2f} s {full.peak_mb:.0f} MB, +1 approval {approval.seconds:.2f} s "
            f"{approval.peak_mb:.0f} MB, withdrawal {withdrawal.seconds:.2f} s {withdrawal.peak_mb:.0f} MB; builder service: "
            f"full {service_full.seconds:.2f} s, +1 approval {service_approval.seconds:.3f} s"
        )

    measure_serving(base, result, args, workdir, log)
    for database in (base, approved, withdrawn):
        database.release()
    return result


def measure_serving(database: Database, result: SizeResult, args: argparse.Namespace, workdir: Path, log) -> None:
    from refusal_site.compilation import assembly
    from refusal_site.compilation.selection import Selection

    with database.app.app_context():
        built = assembly.existing(Selection(), LANGUAGE)
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


def judged(r: SizeResult, ok: bool) -> str:
    """A target judged at JUDGED_SIZE letters: its verdict there, what it would be at other sizes."""
    return verdict(ok) if r.letters == JUDGED_SIZE else f"({verdict(ok).lower()}, not judged)"


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
    rows = [
        [
            f"{r.letters:,}",
            f"{r.seconds('plain'):.2f}",
            f"{r.peak_mb('plain'):.0f}",
            f"{r.seconds('full'):.2f}",
            f"{r.peak_mb('full'):.0f}",
            f"{r.time_ratio('full', 'plain'):.2f}x",
            f"{r.memory_ratio:.2f}x",
            f"{r.seconds('approval'):.2f}",
            f"{r.seconds('withdrawal'):.2f}",
            f"{statistics.median(r.static_rps):,.1f}",
            f"{statistics.median(r.compilation_rps):,.1f}",
            f"{r.serving_ratio:.0%}",
            str(len(r.runs["full"])),
        ]
        for r in results
    ]
    out.append(
        table(
            [
                "letters", "plain s", "plain MB", "full build s", "full MB", "build/plain time", "build/plain MB",
                "+1 approval s", "withdrawal s", "static file req/s", "compilation req/s", "served/static", "rounds",
            ],
            rows,
            markdown,
        )
    )  # fmt: skip
    out.append("")
    out.append(f"{h}Builder service (`build-pdf --watch`): one process, its full build, then a publication and its build")
    out.append("")
    service_rows = [
        [f"{r.letters:,}", f"{r.seconds('service full'):.2f}", f"{r.seconds('service approval'):.2f}",
         f"{r.watch_seconds:g}", f"{r.publication_seconds:.1f}"]
        for r in results
    ]  # fmt: skip
    out.append(table(["letters", "full build s", "+1 approval s", "PDF_WATCH_SECONDS", "publication reflected after s"],
                     service_rows, markdown))  # fmt: skip
    out.append("")

    out.append(f"{h}Targets")
    out.append("")
    rows = [
        [
            f"full build <= {BUILD_TIME_TARGET:.0%} of plain render time",
            f"{r.letters:,}",
            f"{r.time_ratio('full', 'plain'):.2f}x",
            " ".join(f"{x:.2f}x" for x in r.round_ratios("full", "plain")),
            verdict(r.time_ratio("full", "plain") <= BUILD_TIME_TARGET),
        ]
        for r in results
    ]
    rows += [
        [
            f"build peak memory <= {MEMORY_TARGET:.0%} of plain render's (judged at {JUDGED_SIZE:,})",
            f"{r.letters:,}",
            f"{r.memory_ratio:.2f}x ({r.peak_mb('full'):.0f} / {r.peak_mb('plain'):.0f} MB)",
            " ".join(f"{a.peak_mb / b.peak_mb:.2f}x" for a, b in zip(r.runs["full"], r.runs["plain"])),
            judged(r, r.memory_ratio <= MEMORY_TARGET),
        ]
        for r in results
    ]
    rows += [
        [
            f"compilation served >= {SERVING_TARGET:.0%} of static file req/s",
            f"{r.letters:,}",
            f"{r.serving_ratio:.0%}",
            " ".join(f"{x:.0%}" for x in r.serving_round_ratios),
            verdict(r.serving_ratio >= SERVING_TARGET),
        ]
        for r in results
    ]
    rows += [
        [
            f"builder service: publication reflected within {PUBLICATION_TARGET:g} s (approval build + PDF_WATCH_SECONDS; "
            f"judged at {JUDGED_SIZE:,})",
            f"{r.letters:,}",
            f"{r.publication_seconds:.1f} s ({r.seconds('service approval'):.2f} + {r.watch_seconds:g})",
            " ".join(f"{run.seconds + r.watch_seconds:.1f} s" for run in r.runs["service approval"]),
            judged(r, r.publication_seconds <= PUBLICATION_TARGET),
        ]
        for r in results
    ]
    if not any(r.letters == JUDGED_SIZE for r in results):
        rows.append([f"build peak memory and publication at {JUDGED_SIZE:,} letters", "-", "not measured", "", "n/a (size not run)"])
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
                        f"{run.letters:,}",
                        f"{run.pages:,}",
                        f"{run.bytes / 1024:,.0f}",
                    ]
                )
    out.append(
        table(
            ["letters", "run", "round", "wall s", "cpu s", "peak MB", "app loaded MB", "peak - loaded MB", "letters in PDF",
             "pages", "PDF KB"],
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
        "plain = one WeasyPrint document of all letters (rendering.letters_document, the app's "
        "fetcher), write_pdf() to memory: no cover, contents, outline or page numbers, and untagged, while a "
        "build's parts are rendered tagged (PDF/UA-1, issue 21): the baseline is WeasyPrint's plainest render.",
        "full = assembly.build(Selection(), \"he\") with an empty PDF cache; +1 approval = build() after "
        "letters.submit/confirm/publish of one more letter, on the cache the full build left; withdrawal = build() "
        "after letters.withdraw of the letter in the middle, on the cache the approval build left. Both are figures "
        "to read: issue 17 retired the target of a rebuild after one approval in 10% of a full build.",
        "builder service = one process, as `build-pdf --watch` is one: the full build from nothing, then one more "
        "letter submitted, confirmed and published, then the build after it, timed in that same warm process (the "
        "service builds this compilation first in its round). The service's own polling adds up to "
        f"PDF_WATCH_SECONDS={results[0].watch_seconds:g} s before that build starts: the target is judged as "
        f"approval build s + {results[0].watch_seconds:g} <= {PUBLICATION_TARGET:g} s.",
        "Demo letters from demo.seed (bench.lib.databases), public ids from a fixed seed: the same letters in every run.",
        "Each in its own process (the service's two builds in one), timed from the letters query to the finished PDF. "
        "A build renders in the process that runs it: peak MB = peak RSS of that process (getrusage), including the app "
        "loaded before the timed work (\"app loaded MB\"), and for the service's approval build its full build too.",
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
        help="interleaved rounds of plain/full/approval/withdrawal/service per size (default 3 up to 100 letters, 1 above; --quick 2 and 1)",
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
            log(f"{size:,} letters: {rounds} round(s) of plain / full / approval / withdrawal / service, then serving")
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
