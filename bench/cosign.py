"""Collective-letter figures: a signature POST, a bulk approval of 500, the signer pages of a letter
with 5,000 signatures, and how the letter's PDF grows with its signers (each signer checked in it).

Run: .venv/bin/python -m bench.cosign [--database-url postgresql://postgres@127.0.0.1:5432/test] [--no-pdf]

In-process (Flask test client, real database, mail into the outbox folder), because these are costs
per request, not throughput. Each figure is a median over rounds; the scaling figures are ratios
taken in the same run, after a small warm-up render (the first render pays WeasyPrint's one-time
set-up: fonts, stylesheets).
"""

import argparse
import re
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import func, insert, select, update

from flask.testing import FlaskClient
from flask_migrate import upgrade

from bench.lib.databases import PostgresBackend, SQLiteBackend
from bench.lib.forms import PASSWORD, input_values
from bench.lib.report import command_line
from bench.lib.stats import median_ms
from refusal_site import create_app, demo, moderators, tally
from refusal_site.extensions import db
from refusal_site.models import Signature, SignatureStatus, new_public_id, utcnow
from refusal_site.signatures import email_key
from refusal_site.storage import dispose_engines, write_transaction



class FreshClient(FlaskClient):
    """Each request in its own app context (its own `g`, CSRF token and session), as under a server,
    while the benchmark holds an app context of its own for setting up data."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.rollback()
        return response


def add_pending(letter_id: int, count: int, tag: str) -> None:
    now = utcnow()
    rows = [
        dict(
            public_id=new_public_id(), letter_id=letter_id, display_name=f"Pending {tag} {i}", status=SignatureStatus.PENDING.value,
            submitted_at=now, confirmed_at=now, contact_email=f"p{tag}-{i}@private.example",
            email_key=email_key(f"p{tag}-{i}@private.example"), revision=2,
        )
        for i in range(count)
    ]
    db.session.execute(insert(Signature), rows)
    db.session.commit()


def uncached_get(client, url: str) -> float:
    """One GET that misses the public page cache (the public revision moves first)."""
    with write_transaction():
        tally.bump_revision()
    started = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL server to create a temporary database on")
    parser.add_argument("--signatures", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=60)
    parser.add_argument("--bulk-rounds", type=int, default=5)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF scaling figures")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="refusal-bench-cosign-"))
    databases = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(folder)
    url = databases.create("cosign")
    backend = "PostgreSQL" if args.database_url else "SQLite"
    app = create_app(
        {"DATABASE_URL": url, "INSTANCE_PATH": str(folder), "SIGN_RATE_LIMIT": "100000 per minute", "SIGN_IN_RATE_LIMIT": "1000 per minute"}
    )
    app.test_client_class = FreshClient
    rows = []
    try:
        with app.app_context():
            upgrade()
            moderators.create("bench@team.example", PASSWORD)
            empty = demo.seed_collective(0, rng_seed=1)
            big = demo.seed_collective(args.signatures, rng_seed=2)
            empty_id, big_id, big_public = empty.public_id, big.id, big.public_id

            # A signature POST (form GET first, as a browser), on an empty letter and on one with 5,000.
            def sign_times(public_id: str, tag: str) -> list[float]:
                client = app.test_client()
                times = []
                for i in range(args.posts):
                    fields = input_values(client.get(f"/letters/{public_id}/sign").get_data(as_text=True))
                    data = {**fields, "display_name": f"Signer {i}", "contact_email": f"s{tag}{i}@private.example", "consent_public": "y", "website": ""}
                    started = time.perf_counter()
                    response = client.post(f"/letters/{public_id}/sign", data=data)
                    times.append(time.perf_counter() - started)
                    assert response.status_code == 303, (response.status_code, response.get_data(as_text=True)[-3000:])
                return times

            small_posts = sign_times(empty_id, "e")
            big_posts = sign_times(big_public, "b")
            rows.append(("signature POST (mail to the outbox included), letter with 0 signatures", f"{median_ms(small_posts):.1f} ms"))
            rows.append((f"signature POST, letter with {args.signatures:,} signatures", f"{median_ms(big_posts):.1f} ms"))

            # The letter's public page: first and last page of signers, uncached, before the bulk rounds
            # below publish more (the signature POSTs above left theirs unconfirmed).
            total = db.session.execute(
                select(func.count()).select_from(Signature).where(Signature.letter_id == big_id, Signature.status == SignatureStatus.PUBLISHED)
            ).scalar_one()
            assert total == args.signatures, total
            per_page = app.config["SIGNERS_PER_PAGE"]
            last = -(-total // per_page)
            reader = app.test_client()
            first_times = [uncached_get(reader, f"/letters/{big_public}") for _ in range(15)]
            last_times = [uncached_get(reader, f"/letters/{big_public}?page={last}") for _ in range(15)]
            rows.append((f"letter page 1 of {last} ({total:,} signers, {per_page} a page), uncached", f"{median_ms(first_times):.1f} ms"))
            rows.append((f"letter page {last} of {last}, uncached", f"{median_ms(last_times):.1f} ms ({statistics.median(last_times) / statistics.median(first_times):.2f}x page 1)"))

            # Bulk approval: 500 pending on the big letter, "apply to all shown", several rounds.
            client = app.test_client()
            fields = input_values(client.get("/moderate/sign-in").get_data(as_text=True))
            assert client.post("/moderate/sign-in", data={**fields, "email": "bench@team.example", "password": PASSWORD}).status_code == 302
            queue_url = f"/moderate/signatures?letter={big_public}"
            bulk, queue_pages = [], []
            for round_ in range(args.bulk_rounds):
                db.session.execute(
                    update(Signature).where(Signature.letter_id == big_id, Signature.status == SignatureStatus.PENDING).values(status="rejected")
                )
                db.session.commit()
                add_pending(big_id, 500, f"r{round_}")
                started = time.perf_counter()
                html = client.get(queue_url).get_data(as_text=True)
                queue_pages.append(time.perf_counter() - started)
                shown = re.findall(r'name="shown" value="([0-9:]+)"', html)
                assert len(shown) == 500, len(shown)
                csrf = input_values(html)["csrf_token"]
                started = time.perf_counter()
                response = client.post(queue_url, data={"csrf_token": csrf, "shown": shown, "decision": "publish", "scope": "shown"})
                bulk.append(time.perf_counter() - started)
                assert response.status_code == 303
            rows.append(("moderation page listing 500 pending signatures", f"{median_ms(queue_pages):.0f} ms"))
            rows.append(("bulk approval of 500 (one POST, 500 audit rows)", f"{median_ms(bulk):.0f} ms"))

            if not args.no_pdf:
                rows.extend(pdf_scaling(app))
    finally:
        dispose_engines(app)
        databases.cleanup()

    print(f"# Collective letters benchmark ({backend})\n")
    print("| figure | value |\n|---|---|")
    for figure, value in rows:
        print(f"| {figure} | {value} |")
    print(f"\n(machine: {time.strftime('%Y-%m-%d')}, nproc 2; command: {command_line()})")


PDF_SIZES = (1250, 2500, 5000)
PDF_RUNS = 3
# Bidi controls pdftotext puts around right-to-left runs and numbers.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def signers_in_pdf(pdf: bytes, names: list[str]) -> tuple[int, int]:
    """Of `names` (each unique, "<first name> <number>"), how many pdftotext finds in the PDF, and how
    many of those it finds more than once."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", f.name, "-"], capture_output=True, text=True, check=True).stdout
    text = text.translate(_BIDI_CONTROLS)
    first_names = "|".join(sorted({re.escape(name.rsplit(" ", 1)[0]) for name in names}))
    found = Counter(f"{first} {number}" for first, number in re.findall(rf"(?<!\w)({first_names})\s+([0-9]+)(?![0-9])", text))
    return sum(1 for name in names if found[name]), sum(1 for name in names if found[name] > 1)


def pdf_scaling(app) -> list[tuple[str, str]]:
    """Render one collective letter's PDF at 1,250, 2,500 and 5,000 signers (median of 3 renders each,
    after a warm-up): time per signer should not grow. Then check every signer is in the largest."""
    from refusal_site import signatures
    from refusal_site.compilation.rendering import render_letter

    results = []
    with app.app_context():
        render_letter(demo.seed_collective(50, rng_seed=50))  # warm-up: one-time set-up costs
        for count in PDF_SIZES:
            letter = demo.seed_collective(count, rng_seed=count)
            samples = []
            for _ in range(PDF_RUNS):
                started = time.perf_counter()
                pdf = render_letter(letter)
                samples.append(time.perf_counter() - started)
            results.append((count, statistics.median(samples)))
        names = [s.display_name for s in signatures.published_signers([letter.id])[letter.id]]
        found, twice = signers_in_pdf(pdf, names)
    base_count, base_time = results[0]
    rows = [
        (
            f"one letter's PDF with {count:,} signers (median of {PDF_RUNS})",
            f"{seconds:.2f} s ({seconds / base_time:.2f}x the {base_count:,} render for {count / base_count:.0f}x the signers)",
        )
        for count, seconds in results
    ]
    verdict = f"{found:,} of {len(names):,}, {twice} of them more than once"
    if found != len(names) or twice:
        verdict += " (NOT every signer exactly once)"
    rows.append((f"signers found in the {PDF_SIZES[-1]:,}-signer PDF (pdftotext)", verdict))
    return rows


if __name__ == "__main__":
    main()
