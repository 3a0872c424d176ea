"""What a report says around its figures: the machine and commit it ran on, the command that
reproduces it, its tables and verdicts."""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.lib.databases import Backend

ROOT = Path(__file__).resolve().parents[2]


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine_info(backend: Backend, args: argparse.Namespace) -> list[tuple[str, str]]:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=10).stdout.strip()
        except OSError:
            return "?"

    import gunicorn as gunicorn_package

    commit = run("git", "rev-parse", "--short", "HEAD") or f"{ROOT} is not a git checkout"
    changed = run("git", "status", "--porcelain", "--", ".", ":(exclude)bench", ":(exclude)docs").splitlines()
    dirty = f" + uncommitted changes to {len(changed)} paths outside bench/ and docs/" if changed else ""
    wrk_version = run(args.wrk, "--version").splitlines()
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")),
        ("machine", f"{platform.node()}, {platform.platform()}, nproc {os.cpu_count()}"),
        ("load average at start", " ".join(f"{x:.2f}" for x in os.getloadavg())),
        ("python", platform.python_version()),
        ("gunicorn", f"{gunicorn_package.__version__}, config file: {args.gunicorn_config or 'none'}"),
        ("wrk", wrk_version[0] if wrk_version else "?"),
        ("database", backend.describe()),
        ("commit", commit + dirty),
    ]


def table(headers: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]

    def fmt(row: list[str]) -> str:
        # The first column left-aligned, the figures right-aligned.
        return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths)))

    return "\n".join([fmt(headers), fmt(["-" * w for w in widths]), *map(fmt, rows)])


def with_wrk_and_command_line(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    """Refuse to start without wrk; record the command that reproduces the run (for the report)."""
    if not os.access(args.wrk, os.X_OK):
        parser.error(f"wrk not found at {args.wrk}; install it (Debian: apt-get install wrk) or pass --wrk")
    args.command_line = command_line()
    return args


def command_line() -> str:
    """The command that reproduces this run, as typed at the repository root (`python -m bench.<name> ...`)."""
    python = sys.executable
    if python.startswith(os.getcwd() + os.sep):
        python = os.path.relpath(python)
    spec = sys.modules["__main__"].__spec__
    script = ["-m", spec.name] if spec else sys.argv[:1]
    return shlex.join([python, *script, *sys.argv[1:]])


def code_state() -> str:
    """HEAD and a hash of the uncommitted changes outside bench/: children and gunicorn import the
    code on disk when they start, so a change during a run would mix versions."""

    def git(*command: str) -> str:
        try:
            return subprocess.run(["git", *command], capture_output=True, text=True, cwd=ROOT, timeout=10).stdout
        except OSError:
            return ""

    head = git("rev-parse", "--short", "HEAD").strip() or "?"
    diff = git("diff", "HEAD", "--", ".", ":(exclude)bench")
    return head + (f"+diff {hashlib.sha256(diff.encode()).hexdigest()[:8]}" if diff else "")
