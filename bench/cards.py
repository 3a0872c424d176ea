"""Benchmark of share previews (refusal_site/public/cards.py).

1. Render from nothing. In-process, for a Hebrew, an Arabic and an English letter, the card is drawn
   --renders times each, with nothing of it kept (the process's fonts are loaded once, as in a
   worker); p50 and p90 per language. For comparison, the same card's text drawn by Pillow with
   libraqm (one font a script, no fallback between fonts inside a line), the other way the issue names.

2. Served from the cache. gunicorn (2 sync workers) serves the real app with the benchmark's
   static file route (/_bench/file/, Flask's send_from_directory, as the app serves /static/). After
   a letter's card was drawn once, the same PNG is put there as a static file, and wrk measures the
   requests/s of the static file and of the card's address, interleaved, --rounds times; the median
   of each and their ratio are reported.

Target (issue 19): a cached card served at 80% or more of the static file's requests/s.

    .venv/bin/python -m bench.cards [--quick] [--output F]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.lib.app import FILE_PATH
from bench.lib.databases import Database, SQLiteBackend
from bench.lib.report import machine_info, table, verdict, with_wrk_and_command_line
from bench.lib.servers import fetch, gunicorn, run_wrk

ROOT = Path(__file__).resolve().parent.parent
SERVED_TARGET = 0.80
LETTERS = {
    "he": dict(display_name="דנה לוי", title="לא בשמי", descriptor="רס״ל (מיל׳), גדוד 8207",
               body_text="אני מסרבת לשרת במילואים. כתבתי את זה אחרי שנתיים של מחשבה, עם חברים מ-Unit 8200 שאמרו לא. " * 4),
    "ar": dict(display_name="سلمى حداد", title=None, descriptor="جندية احتياط",
               body_text="أرفض الخدمة علنًا. هذا قرار اتخذته بعد تفكير طويل في الاحتياط، وسأكتب باسمي الكامل. " * 4),
    "en": dict(display_name="Yael Avraham", title="Not in my name", descriptor="Captain (res.)",
               body_text="I refuse to serve in the reserves. I wrote this after two years of thinking it over. " * 4),
}


def time_renders(database: Database, renders: int) -> dict[str, dict[str, list[float]]]:
    from PIL import Image, ImageDraw, ImageFont

    from refusal_site import letters
    from refusal_site.public import cards
    from tests.factories import make_letter

    fonts = Path(database.app.static_folder) / "fonts" / "pdf"
    pillow_fonts = {"he": "noto-sans-hebrew-400.ttf", "ar": "dejavu-sans-arabic.ttf", "en": "noto-sans-latin-400.ttf"}
    times: dict[str, dict[str, list[float]]] = {}
    with database.app.test_request_context():
        for language, fields in LETTERS.items():
            letter = make_letter(language=language, **fields)
            shown = cards._shown(letter, letters.public_state(), language)
            cards.draw(shown)  # the process's fonts, once
            weasy, pillow = [], []
            for _ in range(renders):
                started = time.perf_counter()
                cards.draw(shown)
                weasy.append(time.perf_counter() - started)
                started = time.perf_counter()
                image = Image.new("RGB", (cards.WIDTH, cards.HEIGHT), "#fdfcf9")
                draw = ImageDraw.Draw(image)
                font = ImageFont.truetype(str(fonts / pillow_fonts[language]), 30, layout_engine=ImageFont.Layout.RAQM)
                direction = "ltr" if language == "en" else "rtl"
                for line, y in zip(re.findall(r".{1,60}(?:\s|$)", shown["excerpt"]), range(200, 600, 42)):
                    draw.text((1128, y) if direction == "rtl" else (72, y), line, font=font, fill="#1b1b1b", direction=direction,
                              language=language, anchor="ra" if direction == "rtl" else "la")
                image.save(__import__("io").BytesIO(), format="PNG")
                pillow.append(time.perf_counter() - started)
            times[language] = {"weasyprint": weasy, "pillow": pillow}
    database.release()
    return times


def measure_served(database: Database, args, workdir: Path, log) -> dict[str, list[float]]:
    rounds: dict[str, list[float]] = {"static": [], "card": []}
    with gunicorn(database, workdir, args.workers, None) as server:
        base = server.base
        status, page = fetch(base + "/")
        letter = re.search(r'href="(/letters/[^"?/]+)"', page.decode()).group(1)
        status, page = fetch(base + letter)
        card = re.search(r'og:image" content="http://127\.0\.0\.1(/[^"]+)"', page.decode()).group(1)
        status, body = fetch(base + card)
        if status != 200 or not body.startswith(b"\x89PNG"):
            raise RuntimeError(f"the card at {card} answered {status}")
        files = Path(database.instance_path) / "bench-files"
        files.mkdir(exist_ok=True)
        (files / "card.png").write_bytes(body)
        static = FILE_PATH + "card.png"
        log(f"  the card is {len(body):,} bytes")
        for url in (static, card):
            run_wrk(args.wrk, base + url, 1, args.connections)
        for number in range(args.rounds):
            for key, url in (("static", static), ("card", card)):
                rounds[key].append(run_wrk(args.wrk, base + url, args.seconds, args.connections).rps)
            log(f"  round {number + 1}: static {rounds['static'][-1]:,.0f}, card {rounds['card'][-1]:,.0f} req/s")
    return rounds


def report(args, info, times, served, markdown: bool) -> str:
    p = lambda values, q: statistics.quantiles(values, n=10)[q - 1] if len(values) > 1 else values[0]  # noqa: E731
    rows = []
    for language, kinds in times.items():
        rows.append([language, f"{statistics.median(kinds['weasyprint']) * 1000:.0f} ms", f"{p(kinds['weasyprint'], 9) * 1000:.0f} ms",
                     f"{statistics.median(kinds['pillow']) * 1000:.0f} ms"])
    ratio = statistics.median(served["card"]) / statistics.median(served["static"])
    out = [("## " if markdown else "") + "Share previews (cards)", ""]
    out += [f"- {key}: {value}" for key, value in info] + [""]
    out.append(f"Render from nothing, {args.renders} renders a language (WeasyPrint + PDFium, as served; Pillow + libraqm for comparison):")
    out.append(table(["letter", "p50", "p90", "Pillow+raqm p50"], rows, markdown))
    out.append("")
    out.append(f"Served from the cache: gunicorn {args.workers} sync workers, wrk -c{args.connections}, {args.rounds} rounds of {args.seconds} s:")
    out.append(table(["address", "median req/s"], [["the same PNG as a static file", f"{statistics.median(served['static']):,.0f}"],
                                                   ["a letter's card", f"{statistics.median(served['card']):,.0f}"]], markdown))
    out.append("")
    out.append(f"Cached card / static: {ratio:.0%} (target {SERVED_TARGET:.0%}): {verdict(ratio >= SERVED_TARGET)}")
    return "\n".join(out) + "\n"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smoke run: 3 renders, 1 round of 1 s")
    parser.add_argument("--renders", type=int, help="renders a language (default 15)")
    parser.add_argument("--rounds", type=int, help="wrk rounds (default 5)")
    parser.add_argument("--seconds", type=int, help="seconds a wrk run (default 3)")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    args.gunicorn_config = None
    args.renders = args.renders or (3 if args.quick else 15)
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.seconds = args.seconds or (1 if args.quick else 3)
    return with_wrk_and_command_line(parser, args)


def main(argv=None) -> int:
    args = parse_args(argv)
    log = lambda message: print(message, file=sys.stderr, flush=True)  # noqa: E731
    workdir = Path(tempfile.mkdtemp(prefix="refusal-bench-cards-"))
    backend = SQLiteBackend(workdir)
    try:
        info = machine_info(backend, args)
        database = Database.create(backend, "cards", workdir)
        database.seed_to(100, log)
        log("rendering cards from nothing")
        times = time_renders(database, args.renders)
        log("serving a cached card")
        served = measure_served(database, args, workdir, log)
    finally:
        backend.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
    print(report(args, info, times, served, markdown=False))
    output = args.output or ROOT / "bench" / "results" / "cards.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(report(args, info, times, served, markdown=True), encoding="utf-8")
    print(f"written to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
