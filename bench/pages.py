"""Benchmark of the public read paths: /, /letters and /api/v1/count against a static baseline.

What it measures, in one run, back to back:

1. HTTP throughput. gunicorn (2 sync workers) serves the real app on 127.0.0.1, with one extra
   route, /_bench/static, added by this script (not by the app): it returns b"ok" and goes through
   the same Flask app, hooks and gunicorn. At 100 and then at 10,000 published letters, wrk
   (-t1 -c4) measures the requests/s of /_bench/static, /, /letters and /api/v1/count, interleaved
   (static, /, /letters, count; repeated --rounds times); the median per URL is reported and the
   ratio url / static. The machine has few cores and wrk competes with gunicorn for them: the
   absolute figures are noisy, the ratios measured in the same run are what to compare.

2. The cost of reading the count. In-process (no HTTP), the read the count endpoint makes
   (letters.public_state() where the app has it, else letters.public_tally()) is timed on two
   databases, one with 100 letters and one with 100,000, alternating batches between them
   (A, B, A, B, ...); the median per-read time is reported and the ratio 100,000 / 100. The same
   is done for GET /api/v1/count through Flask's test client, for context.

Targets (from the issue):
- / at 10,000 published letters: at least 50% of the static baseline's requests/s on the same server;
- the count read at 100,000 letters costs no more than 1.5x the read at 100 letters.

Every database is temporary: SQLite files in a temporary folder by default, or, with
--database-url postgresql://..., fresh databases created on that server and dropped at the end.
The results are printed and written as Markdown to bench/results/public-<backend>.md.
The exit code is 0 whether the targets pass or fail; it is non-zero only on an error.

Run from the repository root (needs wrk, e.g. the Debian package):

    .venv/bin/python -m bench.pages
    .venv/bin/python -m bench.pages --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.pages --quick    # smoke run: 1 round of 1 s, count read at 100 vs 10,000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask

from bench.lib.app import STATIC_PATH
from bench.lib.databases import Backend, Database, PostgresBackend, SQLiteBackend
from bench.lib.report import machine_info, table, verdict, with_wrk_and_command_line
from bench.lib.servers import fetch, gunicorn, run_wrk

ROOT = Path(__file__).resolve().parent.parent
# The URLs measured over HTTP, in the order each round runs them; the first is the baseline.
URLS = (STATIC_PATH, "/", "/letters", "/api/v1/count")
HTTP_SIZES = (100, 10_000)
COUNT_SMALL = 100

# Targets from the issue.
INDEX_RATIO_TARGET = 0.50  # / at 10,000 letters, as a share of the static baseline's requests/s
COUNT_COST_TARGET = 1.5  # count read at the large size / count read at 100 letters


# --- the two measurements ------------------------------------------------------------------------


@dataclass
class HttpSize:
    """Throughput of every URL at one number of published letters."""

    letters: int
    rounds: dict[str, list[float]] = field(default_factory=lambda: {url: [] for url in URLS})
    problems: list[str] = field(default_factory=list)
    body_bytes: dict[str, int] = field(default_factory=dict)

    def median(self, url: str) -> float:
        return statistics.median(self.rounds[url])

    def ratio(self, url: str) -> float:
        return self.median(url) / self.median(STATIC_PATH)

    def round_ratios(self, url: str) -> list[float]:
        return [u / s for u, s in zip(self.rounds[url], self.rounds[STATIC_PATH])]

    def best_ratio(self, url: str) -> float:
        """Best round over best round: noise on a shared machine only ever lowers req/s."""
        return max(self.rounds[url]) / max(self.rounds[STATIC_PATH])


def check_urls(base: str, expected_count: int) -> dict[str, int]:
    """Every URL answers 200 (and the count is the seeded one) before anything is measured."""
    sizes = {}
    for url in URLS:
        status, body = fetch(base + url)
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status}, not 200")
        sizes[url] = len(body)
    _, body = fetch(base + "/api/v1/count")
    if json.loads(body)["count"] != expected_count:
        raise RuntimeError(f"/api/v1/count says {body!r}, expected {expected_count} letters")
    return sizes


def measure_http(
    database: Database, args: argparse.Namespace, workdir: Path, log: Callable[[str], None]
) -> list[HttpSize]:
    results = []
    for size in HTTP_SIZES:
        database.seed_to(size, log)
        result = HttpSize(size)
        with gunicorn(database, workdir, args.workers, args.gunicorn_config) as server:
            base = server.base
            result.body_bytes = check_urls(base, size)
            # Warm up: every worker renders its cached pages and opens its database connection.
            for url in URLS:
                run_wrk(args.wrk, base + url, args.warmup, args.connections)
            for number in range(1, args.rounds + 1):
                line = []
                for url in URLS:
                    run = run_wrk(args.wrk, base + url, args.seconds, args.connections)
                    result.rounds[url].append(run.rps)
                    line.append(f"{url} {run.rps:,.0f}")
                    if run.problems:
                        result.problems.append(f"round {number}, {url}: {run.problems}")
                        log(f"  ! {url}: {run.problems}\n{run.output}")
                log(f"  {size:,} letters, round {number}/{args.rounds}: " + ", ".join(line) + " req/s")
            for line in server.log_problems():
                result.problems.append(f"gunicorn log: {line}")
                log(f"  ! gunicorn log: {line}")
        results.append(result)
    return results


@dataclass
class CountCost:
    """Per-read times (seconds) of one way of reading the count, at the small and the large size."""

    name: str
    small: list[float] = field(default_factory=list)
    large: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.large) / statistics.median(self.small)

    @property
    def best_ratio(self) -> float:
        """Fastest batch over fastest batch: noise on a shared machine only ever adds time."""
        return min(self.large) / min(self.small)


def count_read() -> Callable[[], object]:
    """What GET /api/v1/count reads: public_state() (a Core read of the tally row) in newer versions
    of the app, public_tally() (an ORM read in the request's session) in older ones."""
    from refusal_site import letters

    return getattr(letters, "public_state", None) or letters.public_tally


def time_tally_reads(app: Flask, reads: int) -> float:
    """Seconds per count read, in one app context (one session), after a warm read."""
    from refusal_site.extensions import db

    read = count_read()
    with app.app_context():
        read()
        started = time.perf_counter()
        for _ in range(reads):
            read()
        elapsed = time.perf_counter() - started
        db.session.remove()
    return elapsed / reads


def time_count_requests(app: Flask, requests: int) -> float:
    """Seconds per GET /api/v1/count through the test client (each request its own app context)."""
    client = app.test_client()
    if client.get("/api/v1/count").status_code != 200:
        raise RuntimeError("GET /api/v1/count did not answer 200 in the test client")
    started = time.perf_counter()
    for _ in range(requests):
        client.get("/api/v1/count")
    return (time.perf_counter() - started) / requests


def measure_count_cost(small: Database, large: Database, args: argparse.Namespace) -> list[CountCost]:
    """Alternate batches between the two databases (A, B, A, B, ...), after one discarded warm-up batch each."""
    ways: list[tuple[CountCost, Callable[[Flask, int], float], int]] = [
        (CountCost(f"letters.{count_read().__name__}() in-process"), time_tally_reads, args.tally_reads),
        (CountCost("GET /api/v1/count, Flask test client"), time_count_requests, args.client_requests),
    ]
    for cost, timer, per_batch in ways:
        timer(small.app, per_batch // 4)
        timer(large.app, per_batch // 4)
        for _ in range(args.batches):
            cost.small.append(timer(small.app, per_batch))
            cost.large.append(timer(large.app, per_batch))
    small.release()
    large.release()
    return [cost for cost, _, _ in ways]


# --- report --------------------------------------------------------------------------------------


def report(
    args: argparse.Namespace,
    info: list[tuple[str, str]],
    http: list[HttpSize],
    costs: list[CountCost],
    count_large: int,
    markdown: bool,
) -> str:
    h = "## " if markdown else ""
    out: list[str] = []
    out.append(("# " if markdown else "") + "Public pages benchmark")
    out.append("")
    for key, value in info + [("load average at end", " ".join(f"{x:.2f}" for x in os.getloadavg()))]:
        out.append(f"- {key}: {value}" if markdown else f"{key + ':':24}{value}")
    command = "`" + args.command_line + "`" if markdown else args.command_line
    out.append(f"- command: {command}" if markdown else f"{'command:':24}{command}")
    out.append("")

    largest = next(r for r in http if r.letters == HTTP_SIZES[-1])
    index = largest.ratio("/")
    count_cost = costs[0]
    batch_ratios = [b / a for a, b in zip(count_cost.small, count_cost.large)]
    out.append(f"{h}Targets")
    out.append("")
    out.append(
        table(
            ["target", "measured (medians)", "best vs best", "each round / batch pair", "result"],
            [
                [
                    f"/ at {HTTP_SIZES[-1]:,} letters >= {INDEX_RATIO_TARGET:.0%} of static req/s",
                    f"{index:.1%}",
                    f"{largest.best_ratio('/'):.1%}",
                    " ".join(f"{x:.0%}" for x in largest.round_ratios("/")),
                    verdict(index >= INDEX_RATIO_TARGET),
                ],
                [
                    f"count read at {count_large:,} <= {COUNT_COST_TARGET}x read at {COUNT_SMALL}",
                    f"{count_cost.ratio:.2f}x",
                    f"{count_cost.best_ratio:.2f}x",
                    " ".join(f"{x:.2f}x" for x in batch_ratios),
                    verdict(count_cost.ratio <= COUNT_COST_TARGET),
                ],
            ],
            markdown,
        )
    )
    out.append("")
    out.append(
        "The verdict is on the ratio of medians; best vs best (fastest round or batch of each) is less "
        "sensitive to other load on the machine."
    )
    out.append("")

    out.append(
        f"{h}HTTP throughput: gunicorn {args.workers} sync workers, wrk -t1 -c{args.connections}, "
        f"median of {args.rounds} interleaved rounds of {args.seconds} s"
    )
    out.append("")
    rows = []
    for result in http:
        for url in URLS:
            rows.append(
                [
                    f"{result.letters:,}",
                    url,
                    f"{result.median(url):,.0f}",
                    f"{result.ratio(url):.1%}",
                    f"{result.best_ratio(url):.1%}",
                    " ".join(f"{x:.0%}" for x in result.round_ratios(url)),
                    f"{result.body_bytes.get(url, 0):,}",
                    " ".join(f"{x:,.0f}" for x in result.rounds[url]),
                ]
            )
    out.append(
        table(
            ["letters", "url", "req/s", "vs static", "best vs best", "each round vs static", "body bytes", "each round req/s"],
            rows,
            markdown,
        )
    )
    problems = [p for result in http for p in result.problems]
    out.append("")
    out.append("wrk problems: " + ("; ".join(problems) if problems else "none (no non-2xx/3xx responses, no socket errors)"))
    out.append("")

    out.append(
        f"{h}Count read cost: {COUNT_SMALL} vs {count_large:,} published letters, two databases, "
        f"{args.batches} alternating batches each, median per read"
    )
    out.append("")
    rows = [
        [
            cost.name,
            f"{statistics.median(cost.small) * 1e6:,.1f}",
            f"{statistics.median(cost.large) * 1e6:,.1f}",
            f"{cost.ratio:.2f}x",
            f"{cost.best_ratio:.2f}x",
            f"{min(cost.small) * 1e6:,.1f} - {max(cost.small) * 1e6:,.1f}",
            f"{min(cost.large) * 1e6:,.1f} - {max(cost.large) * 1e6:,.1f}",
        ]
        for cost in costs
    ]
    out.append(
        table(
            [
                "read",
                f"us @ {COUNT_SMALL}",
                f"us @ {count_large:,}",
                "ratio",
                "best vs best",
                f"batches @ {COUNT_SMALL}",
                f"batches @ {count_large:,}",
            ],
            rows,
            markdown,
        )
    )
    out.append("")
    out.append(
        f"Batches: {args.tally_reads} in-process reads or {args.client_requests} test-client requests each. "
        "The target is judged on the in-process read."
    )
    out.append("")
    out.append(
        f"Note: wrk and the {args.workers} gunicorn workers share the machine's {os.cpu_count()} cores, so the "
        "absolute req/s are low and noisy; compare the ratios, measured in the same run."
    )
    return "\n".join(out) + "\n"


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to create temporary databases on, e.g. postgresql://postgres@127.0.0.1:5432/test "
        "(its database is only used to connect); default: temporary SQLite files",
    )
    parser.add_argument("--seconds", type=int, help="length of each wrk run, whole seconds (default 3; --quick 1)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds over the URLs (default 3; --quick 1)")
    parser.add_argument("--warmup", type=int, default=1, help="wrk warm-up seconds per URL and size (default 1)")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (default 4)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument(
        "--count-letters", type=int, help="large size for the count read (default 100000; --quick 10000)"
    )
    parser.add_argument("--batches", type=int, help="alternating batches per size for the count read (default 5; --quick 3)")
    parser.add_argument("--tally-reads", type=int, default=2000, help="in-process tally reads per batch (default 2000)")
    parser.add_argument("--client-requests", type=int, default=500, help="test-client requests per batch (default 500)")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 round of 1 s, count read at 100 vs 10,000 (explicit options win)"
    )
    parser.add_argument(
        "--gunicorn-config", type=Path, help="a gunicorn config file to load, e.g. gunicorn.conf.py (default: none)"
    )
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk", help="path to wrk")
    parser.add_argument("--output", type=Path, help="Markdown report (default bench/results/public-<backend>.md)")
    args = parser.parse_args(argv)
    defaults = {"seconds": 1, "rounds": 1, "count_letters": HTTP_SIZES[-1], "batches": 3} if args.quick else {
        "seconds": 3, "rounds": 3, "count_letters": 100_000, "batches": 5
    }
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    if args.count_letters < HTTP_SIZES[-1]:
        parser.error(f"--count-letters must be at least {HTTP_SIZES[-1]}")
    if args.gunicorn_config and not args.gunicorn_config.is_file():
        parser.error(f"no gunicorn config at {args.gunicorn_config}")
    if args.seconds < 1 or args.warmup < 1 or args.rounds < 1:
        parser.error("--seconds, --warmup and --rounds must be at least 1")
    return with_wrk_and_command_line(parser, args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    workdir = Path(tempfile.mkdtemp(prefix="refusal-bench-"))
    backend: Backend = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(workdir)
    try:
        info = machine_info(backend, args)
        log(f"HTTP throughput on {backend.name} at {', '.join(f'{n:,}' for n in HTTP_SIZES)} letters")
        served = Database.create(backend, "served", workdir)
        http = measure_http(served, args, workdir, log)

        log(f"count read cost: {COUNT_SMALL} vs {args.count_letters:,} letters")
        small = Database.create(backend, "small", workdir)
        small.seed_to(COUNT_SMALL, log)
        served.seed_to(args.count_letters, log)
        costs = measure_count_cost(small, served, args)
    finally:
        backend.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)

    print(report(args, info, http, costs, args.count_letters, markdown=False))
    output = args.output or ROOT / "bench" / "results" / f"public-{backend.name}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(args, info, http, costs, args.count_letters, markdown=True), encoding="utf-8")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
