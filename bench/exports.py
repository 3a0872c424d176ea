"""Benchmark of the data exports (refusal_site/public/exports.py).

At 1,000 and at 10,000 published letters (demo letters, SQLite or --database-url PostgreSQL), in
process, through the app's test client: the time to write and serve each export from nothing (no
file of this revision yet), and the peak of Python's memory allocations during it (tracemalloc),
which must not grow with the number of letters: the file is written row by row and streamed.

Target (issue 19): peak memory growth constant, not proportional to the letters.

    .venv/bin/python -m bench.exports [--database-url postgresql://...] [--output F]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench.lib.databases import Backend, Database, PostgresBackend, SQLiteBackend
from bench.lib.report import machine_info, table

ROOT = Path(__file__).resolve().parent.parent
SIZES = (1_000, 10_000)
EXPORTS = ("letters.csv", "letters.jsonl", "signatures.csv")


def measure(database: Database) -> dict[str, tuple[float, int, int]]:
    """For each export: seconds, peak allocated bytes, bytes served."""
    results = {}
    client = database.app.test_client()

    def export(name: str) -> int:
        for old in (Path(database.instance_path) / "exports").glob("*"):
            old.unlink()
        response = client.get(f"/export/{name}")
        if response.status_code != 200:
            raise RuntimeError(f"/export/{name} answered {response.status_code}")
        size = sum(len(chunk) for chunk in response.response)
        response.close()
        return size

    for name in EXPORTS:
        export(name)  # the process's first request: templates, connections
        started = time.perf_counter()
        size = export(name)
        seconds = time.perf_counter() - started
        # Measured apart: tracing allocations slows the export several times.
        tracemalloc.start()
        export(name)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results[name] = (seconds, peak, size)
    database.release()
    return results


def report(info, measured: dict[int, dict], markdown: bool) -> str:
    rows = []
    for name in EXPORTS:
        small, large = measured[SIZES[0]][name], measured[SIZES[1]][name]
        rows.append([name, f"{small[0]:.2f} s", f"{large[0]:.2f} s", f"{large[2] / 1e6:.1f} MB",
                     f"{small[1] / 1e6:.1f} MB", f"{large[1] / 1e6:.1f} MB", f"{large[1] / small[1]:.2f}x"])
    out = [("## " if markdown else "") + "Data exports", ""] + [f"- {key}: {value}" for key, value in info] + [""]
    out.append(table(["export", "time at 1,000", "time at 10,000", "size at 10,000", "peak memory at 1,000", "peak at 10,000", "peak ratio"],
                     rows, markdown))
    out.append("")
    out.append("Peak memory is Python's allocations during the request (tracemalloc); a ratio near 1 means constant memory "
               "(the letters are 10x more).")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server to create temporary databases on (default: SQLite)")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    args.wrk, args.gunicorn_config = "/bin/true", None
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    workdir = Path(tempfile.mkdtemp(prefix="refusal-bench-exports-"))
    backend: Backend = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(workdir)
    measured = {}
    try:
        info = [line for line in machine_info(backend, args) if not line[0].startswith(("wrk", "gunicorn"))]
        database = Database.create(backend, "exports", workdir)
        for size in SIZES:
            database.seed_to(size, log)
            measured[size] = measure(database)
            log(f"  {size:,} letters: " + ", ".join(f"{name} {value[0]:.2f} s, peak {value[1] / 1e6:.1f} MB" for name, value in measured[size].items()))
    finally:
        backend.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print(report(info, measured, markdown=False))
    output = args.output or ROOT / "bench" / "results" / f"exports-{backend.name}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(info, measured, markdown=True), encoding="utf-8")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
