"""Run every benchmark script, one after the other, and write their tables to docs/benchmarks.md.

Each script runs alone on the machine (this waits for the 1-minute load to settle first); its own
report (markdown written to bench/results/, or what it prints) goes into the document under the
exact command that produced it, with the machine and the commit it ran on.

Run from the repository root:  .venv/bin/python -m bench.report   (about 25 minutes on 2 cores)
                               .venv/bin/python -m bench.report --only pdf cosign

With --only, the chosen scripts' sections replace theirs in the existing document (or are added
before "Earlier runs"); every other section stays as it was, with the machine and commit it names.
"""

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
PYTHON = ".venv/bin/python"

# name, issue, command, the markdown file the script writes (None: its printed output is the report)
BENCHES = [
    ("public", 2, [PYTHON, "-m", "bench.pages"], "bench/results/public-sqlite.md"),
    ("public", 2, [PYTHON, "-m", "bench.pages", "--database-url", POSTGRES], "bench/results/public-postgresql.md"),
    ("submit", 3, [PYTHON, "-m", "bench.submit"], None),
    ("submit", 3, [PYTHON, "-m", "bench.submit", "--database-url", POSTGRES], None),
    ("moderate", 4, [PYTHON, "-m", "bench.moderate"], None),
    ("moderate", 4, [PYTHON, "-m", "bench.moderate", "--database-url", POSTGRES], None),
    ("pdf", 5, [PYTHON, "-m", "bench.pdf"], "bench/results/pdf-sqlite.md"),
    ("cosign", 6, [PYTHON, "-m", "bench.cosign"], None),
    ("cosign", 6, [PYTHON, "-m", "bench.cosign", "--database-url", POSTGRES], None),
    ("spike", 7, [PYTHON, "-m", "bench.spike", "--database-url", POSTGRES], "bench/results/spike.md"),
    ("spike", 16, [PYTHON, "-m", "bench.spike", "--database-url", POSTGRES, "--via-nginx"], "bench/results/spike.md"),
    ("pdf_flood", 16, [PYTHON, "-m", "bench.pdf_flood"], "bench/results/pdf-flood-sqlite.md"),
    ("pdf_flood", 16, [PYTHON, "-m", "bench.pdf_flood", "--persist"], "bench/results/pdf-flood-sqlite-persist.md"),
    ("pdf_flood", 16, [PYTHON, "-m", "bench.pdf_flood", "--range-limit", "default", "--persist"], "bench/results/pdf-flood-sqlite-default-limit-persist.md"),
    ("markup", 16, [PYTHON, "-m", "bench.markup"], None),
    ("pdf_text", 21, [PYTHON, "-m", "bench.pdf_text"], None),
    ("tagged", 21, [PYTHON, "-m", "bench.tagged"], None),
    ("cards", 19, [PYTHON, "-m", "bench.cards"], "bench/results/cards.md"),
    ("exports", 19, [PYTHON, "-m", "bench.exports"], "bench/results/exports-sqlite.md"),
    ("exports", 19, [PYTHON, "-m", "bench.exports", "--database-url", POSTGRES], "bench/results/exports-postgresql.md"),
    ("search", 20, [PYTHON, "-m", "bench.search"], None),
    ("search", 20, [PYTHON, "-m", "bench.search", "--database-url", POSTGRES], None),
    ("paging", 20, [PYTHON, "-m", "bench.search", "paging"], None),
    ("paging", 20, [PYTHON, "-m", "bench.search", "paging", "--database-url", POSTGRES], None),
]


def wait_for_quiet(limit: float = 1.0, patience: float = 600) -> float:
    """Wait (up to `patience` seconds) until the 1-minute load average is under `limit`."""
    deadline = time.monotonic() + patience
    while os.getloadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(15)
    return os.getloadavg()[0]


def git(*command: str) -> str:
    return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True).stdout.strip()


def run(command: list[str], written: str | None) -> tuple[str, float, int]:
    started = time.monotonic()
    if written:
        (ROOT / written).unlink(missing_ok=True)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if written and (ROOT / written).exists():
        body = (ROOT / written).read_text(encoding="utf-8")
    else:
        body = "```\n" + (done.stdout.strip() or done.stderr.strip()[-4000:]) + "\n```"
    return body, seconds, done.returncode


def demote(markdown: str) -> str:
    """Headings of a script's own report go under this document's (## per script)."""
    return "\n".join("##" + line if line.startswith("#") else line for line in markdown.splitlines())


def earlier_runs(output: Path) -> list[str]:
    """Links to earlier whole runs kept beside the output (benchmarks-<date>-<machine>.md): the
    machines differ, so a run is compared with another only through its own ratios."""
    kept = sorted(output.parent.glob(f"{output.stem}-*.md"), reverse=True)
    if not kept:
        return []
    return ["## Earlier runs", ""] + [f"- [{path.stem}]({path.name})" for path in kept] + [""]


def sections(document: str) -> tuple[list[str], list[list[str]]]:
    """A document's lines before its first `## ` heading, and each `## ` section's lines."""
    head: list[str] = []
    found: list[list[str]] = []
    for line in document.splitlines():
        if line.startswith("## "):
            found.append([line])
        elif found:
            found[-1].append(line)
        else:
            head.append(line)
    return head, found


def splice(document: str, names: set[str], new: list[str]) -> list[str]:
    """`document` without its list of earlier runs, with the sections of the scripts `names` replaced
    by the lines `new` (put where the first of them was, or at the end)."""
    head, found = sections(document)
    out, placed = list(head), False
    for section in found:
        if section[0] == "## Earlier runs":
            continue
        if any(section[0].startswith(f"## `{name}` (") for name in names):
            if not placed:
                out += new
                placed = True
        else:
            out += section
    return out if placed else out + new


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="names of the scripts to run (public, submit, moderate, pdf, cosign, spike, markup, pdf_flood, pdf_text, tagged, cards, exports, search, paging)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--patience", type=float, default=600, help="seconds to wait for the load to settle before each script (default 600)")
    args = parser.parse_args()
    chosen = [b for b in BENCHES if not args.only or b[0] in args.only]
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    dirty = git("status", "--porcelain", "--", "refusal_site", "bench")
    out = [
        "# Benchmarks",
        "",
        "Every table below was produced by the command above it, on this machine, one script at a time",
        "(each waited for the 1-minute load average to fall under 1.0 first). Targets are the issues'; each",
        "script compares figures taken in the same run, because absolute numbers move with other load.",
        "Regenerate the whole document with `.venv/bin/python -m bench.report`.",
        "",
        f"- machine: {platform.node()}, {platform.platform()}, {os.cpu_count()} cores ({cpu}), {int(memory) // 1024 // 1024} GiB",
        f"- python {platform.python_version()}; PostgreSQL and Redis on loopback",
        f"- commit: {git('rev-parse', '--short', 'HEAD')}" + (" + uncommitted changes" if dirty else ""),
        f"- run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
    ]
    existing = args.output.read_text(encoding="utf-8") if args.only and args.output.exists() else None
    if existing is not None:
        out = []
    for name, issue, command, written in chosen:
        load = wait_for_quiet(patience=args.patience)
        print(f"running {' '.join(command)} (load {load:.2f})", flush=True)
        body, seconds, code = run(command, written)
        out += [
            f"## `{name}` (issue {issue}): `{' '.join(command)}`",
            "",
            f"Load average before: {load:.2f}; took {seconds:.0f} s" + (f"; exit code {code}" if code else "") + ".",
            "",
            demote(body).strip(),
            "",
        ]
        args.output.parent.mkdir(parents=True, exist_ok=True)
        whole = out + earlier_runs(args.output)
        if existing is not None:
            whole = splice(existing, {b[0] for b in chosen}, out) + earlier_runs(args.output)
        args.output.write_text("\n".join(whole) + "\n", encoding="utf-8")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
