"""Search at 100,000 published letters (issue 20): how long a reader waits for the first page of
results, and what the index adds to publishing a letter.

What it measures, in one run, on one database kind (SQLite files, or PostgreSQL with --database-url):

1. Search. A database with --letters published letters (default 100,000) of synthetic text in
   Hebrew, Arabic and English (a Zipf-distributed vocabulary per language: the demo letters' words
   first, then invented words for the long tail; Hebrew and Arabic words carry attached prefixes
   as written text does), inserted in bulk as publication leaves them and indexed by
   search.rebuild(), the code of `flask rebuild-search-index` (seed_bulk: minutes, where
   publishing them one batch at a time took 40; that rebuilding gives the index publication gives
   is checked on the small database, which is published through letters.publish_many). For each
   language, four queries: the most common word, a rare word, two common words, and a common with
   a rare one. Each is timed as the list runs it: published.letter_slice, the count and the first
   20 letters (best first, or newest first past search.CANDIDATES matches); and search.count() on
   its own. --rounds rounds, the queries interleaved; p50 and p95 per query (nearest rank).
2. Publishing one letter (letters.publish, the index kept in its transaction) on a database of 100
   letters and on the large one, in alternating batches; the median per publication and the ratio.

Targets (from the issue): search p95 under 50 ms for every query; publishing at 100,000 letters at
most 1.5x publishing at 100.

    .venv/bin/python -m bench.search
    .venv/bin/python -m bench.search --database-url postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python -m bench.search --letters 10000 --rounds 10      # a smoke run
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from bench.lib.app import make_app
from bench.lib.databases import Backend, Database, PostgresBackend, SQLiteBackend
from bench.lib.report import code_state, command_line, table, verdict
from bench.lib.stats import percentile

SEARCH_P95_TARGET_MS = 50.0
PUBLISH_RATIO_TARGET = 1.5
SMALL = 100
PAGE = 20
INVENTED_WORDS = 8000  # per language, after the demo letters' own words
LETTERS = {"he": "אבגדהוזחטיכלמנסעפצקרשת", "ar": "ابتثجحخدذرزسشصضطظعغفقكلمنهوي", "en": "abcdefghijklmnopqrstuvwxyz"}
PREFIXES = {"he": ["ו", "ה", "ב", "ל", "ש", "וה", "מ"], "ar": ["ال", "و", "ب", "وال", "بال", "لل"], "en": []}
LANGUAGE_SHARE = {"he": 0.5, "ar": 0.25, "en": 0.25}
# The rank (among words of 3 letters or more) of a word in about 1,500 of 100,000 letters, by language.
ABOUT_1500_RANK = {"he": 800, "ar": 300, "en": 300}


# --- the synthetic letters -----------------------------------------------------------------------


class Corpus:
    """Per language, a vocabulary in order of frequency and Zipf weights to draw words by."""

    def __init__(self, rng: random.Random) -> None:
        from refusal_site import demo

        self.rng = rng
        self.vocabulary: dict[str, list[str]] = {}
        self.weights: dict[str, list[float]] = {}
        for language, letters in LETTERS.items():
            seen: dict[str, None] = {}
            for paragraph in demo.PARAGRAPHS[language]:
                for word in re.findall(r"\w+", paragraph):
                    if not PREFIXES[language] or not word.startswith(tuple(PREFIXES[language])):
                        seen.setdefault(word.lower() if language == "en" else word, None)
            wanted = len(seen) + INVENTED_WORDS
            while len(seen) < wanted:
                seen.setdefault("".join(rng.choice(letters) for _ in range(rng.randint(3, 8))), None)
            words = list(seen)
            self.vocabulary[language] = words
            cumulative, total = [], 0.0
            for rank in range(len(words)):
                total += 1 / (rank + 1) ** 1.05
                cumulative.append(total)
            self.weights[language] = cumulative

    def text(self, language: str, count: int) -> str:
        words = self.rng.choices(self.vocabulary[language], cum_weights=self.weights[language], k=count)
        if PREFIXES[language]:
            words = [self.rng.choice(PREFIXES[language]) + word if self.rng.random() < 0.3 else word for word in words]
        sentences = [" ".join(words[i : i + 12]) + "." for i in range(0, len(words), 12)]
        return "\n\n".join(" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5))

    def draft(self, language: str, published_at) -> dict:
        from refusal_site import demo

        rng = self.rng
        return {
            "display_name": f"{rng.choice(demo.FIRST_NAMES[language])} {self.text(language, 1).rstrip('.')}",
            "descriptor": rng.choice(demo.DESCRIPTORS[language]),
            "language": language,
            "title": rng.choice([None, None, self.text(language, rng.randint(2, 6)).rstrip(".")]),
            "body_text": self.text(language, rng.randint(80, 400)),
            "collective": False,
            "submitted_at": published_at - timedelta(hours=3),
            "confirmed_at": published_at - timedelta(hours=2),
            "published_at": published_at,
        }

    def drafts(self, count: int) -> list[dict]:
        from refusal_site.models import utcnow

        now = utcnow()
        languages = self.rng.choices(list(LANGUAGE_SHARE), weights=list(LANGUAGE_SHARE.values()), k=count)
        return [self.draft(language, now - timedelta(seconds=self.rng.randint(60, 2 * 365 * 86400))) for language in languages]

    def queries(self) -> list[tuple[str, str, str, dict]]:
        """(language, kind, query, filters) for each language: a common word, a rare one, two common,
        common and rare, a word just common enough to be shown newest first; and the most common Hebrew word among the English letters (a filter that
        leaves almost none of its matches) and within one month."""
        found = []
        for language, vocabulary in self.vocabulary.items():
            words = [word for word in vocabulary if len(word) >= 3]  # "I" is no term (search_text.MIN_TERM_CHARS)
            rare = words[len(words) // 2]
            found += [
                (language, "most common word", words[0], {}),
                (language, "rare word", rare, {}),
                (language, "two common words", f"{words[1]} {words[2]}", {}),
                (language, "common and rare", f"{words[0]} {rare}", {}),
                # Just past search.CANDIDATES at 100,000 letters: the newest-first page whose
                # matches are rarest, the one an index walk newest first could read the most rows for.
                (language, "word in about 1,500 letters", words[ABOUT_1500_RANK[language]], {}),
            ]
        from refusal_site.models import utcnow

        common = found[0][2]
        found += [
            ("he", "most common word, English letters only", common, {"language": "en"}),
            ("he", "most common word, published in one month", common, {"since": (utcnow() - timedelta(days=60)).date(), "until": (utcnow() - timedelta(days=30)).date()}),
        ]
        return found


def seed(database: Database, corpus: Corpus, total: int, log) -> float:
    """Publish `total` synthetic letters in transactions of 10,000; return the seconds it took."""
    from refusal_site import letters
    from refusal_site.audit import Actor, AuditAction
    from refusal_site.extensions import db

    started = time.perf_counter()
    while database.letters < total:
        batch = min(10_000, total - database.letters)
        with database.app.app_context():
            letters.publish_many(corpus.drafts(batch), by=Actor.CLI, action=AuditAction.DEMO_SEED)
            db.session.remove()
        database.letters += batch
        log(f"  {database.letters:,} letters published ({time.perf_counter() - started:.0f} s)")
    database.release()
    return time.perf_counter() - started


# Letters made per task of seed_bulk's processes (each from its own random stream, so the same
# --seed gives the same letters however the tasks are shared out).
BULK_CHUNK = 2_000
_BULK: tuple[Corpus, int] | None = None  # the corpus and seed, inherited by seed_bulk's forked processes


def _published_rows(chunk: tuple[int, int]) -> list[dict]:
    """Chunk `number`'s `count` letters as publish_many leaves them: submit()'s public fields
    (letters.public_fields), published at their moment (status, updated_at, decided_at)."""
    from refusal_site import letters
    from refusal_site.models import LetterStatus, new_public_id

    number, count = chunk
    corpus, seed_ = _BULK
    corpus.rng = random.Random(f"{seed_}:{number}")
    rows = []
    for draft in corpus.drafts(count):
        fields = letters.public_fields(draft["display_name"], draft["descriptor"], draft["language"], draft["title"], draft["body_text"])
        rows.append({**draft, **fields, "public_id": new_public_id(), "status": LetterStatus.PUBLISHED, "revision": 3,
                     "updated_at": draft["published_at"], "decided_at": draft["published_at"]})
    return rows


def seed_bulk(database: Database, corpus: Corpus, total: int, seed_: int, log) -> tuple[float, float]:
    """`total` published letters in bulk: made on every core (_published_rows), inserted 2,000 a
    statement, counted in the tally, then indexed by search.rebuild(), the code of `flask
    rebuild-search-index` (check_index_is_publications shows it gives the index publication gives).
    Returns the seconds the letters and the index took."""
    import multiprocessing
    from collections import Counter
    from concurrent.futures import ProcessPoolExecutor

    from sqlalchemy import insert, text

    from refusal_site import search, tally
    from refusal_site.extensions import db
    from refusal_site.models import Letter

    global _BULK
    _BULK = (corpus, seed_)
    started = time.perf_counter()
    chunks = [(number, min(BULK_CHUNK, total - start)) for number, start in enumerate(range(0, total, BULK_CHUNK))]
    languages: Counter = Counter()
    with ProcessPoolExecutor(os.cpu_count(), mp_context=multiprocessing.get_context("fork")) as pool, database.app.app_context():
        for rows in pool.map(_published_rows, chunks):
            db.session.execute(insert(Letter), rows)
            db.session.commit()
            languages.update(row["language"] for row in rows)
            database.letters += len(rows)
            if database.letters % 10_000 == 0 or database.letters == total:
                log(f"  {database.letters:,} letters inserted ({time.perf_counter() - started:.0f} s)")
        tally.count_letters(dict(languages))
        db.session.commit()
    inserted = time.perf_counter() - started
    with database.app.app_context():
        indexed = search.rebuild()
        if db.engine.dialect.name == "postgresql":
            # The tables as autovacuum leaves them by the time a site holds 100,000 letters: the
            # planner's statistics (without them it takes each table for a few rows), and the rows'
            # visibility settled (measured while autovacuum still worked through the fresh rows, a
            # word in 1,500 letters took 95 ms at best where 12 ms once it was done).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        db.session.remove()
    assert indexed == total, (indexed, total)
    log(f"  {indexed:,} letters indexed by search.rebuild() ({time.perf_counter() - started - inserted:.0f} s)")
    database.release()
    return inserted, time.perf_counter() - started - inserted


def check_index_is_publications(database: Database) -> int:
    """Assert that search.rebuild() (how seed_bulk indexes) gives each letter the index row that
    publishing it gave (the database was seeded by publish_many); return how many letters were compared."""
    from sqlalchemy import select

    from refusal_site import search
    from refusal_site.extensions import db
    from refusal_site.models import LetterSearch

    def rows() -> list[tuple]:
        columns = [column for column in LetterSearch.__table__.columns]
        return [tuple(row) for row in db.session.execute(select(*columns).order_by(LetterSearch.letter_id))]

    with database.app.app_context():
        published = rows()
        db.session.rollback()
        search.rebuild()
        rebuilt = rows()
        db.session.remove()
    database.release()
    assert published == rebuilt and len(published) == database.letters, "search.rebuild() differs from what publication indexes"
    return len(published)


def upgrade_kept(database: Database) -> None:
    """Bring a kept database to this code's schema (`flask db upgrade`), as a deployment would be."""
    from flask_migrate import upgrade

    with database.app.app_context():
        upgrade()
    database.release()


def add_pending(database: Database, corpus: Corpus, count: int) -> list[int]:
    """`count` letters waiting for a moderator (as confirm() leaves them), in bulk; their ids."""
    from sqlalchemy import insert, select

    from refusal_site import letters
    from refusal_site.extensions import db
    from refusal_site.models import Letter, LetterStatus, new_public_id

    rows = []
    for draft in corpus.drafts(count):
        fields = letters.public_fields(draft["display_name"], draft["descriptor"], draft["language"], draft["title"], draft["body_text"])
        rows.append({**fields, "public_id": new_public_id(), "status": LetterStatus.PENDING, "contact_email": "bench@private.example",
                     "submitted_at": draft["submitted_at"], "confirmed_at": draft["confirmed_at"]})
    with database.app.app_context():
        db.session.execute(insert(Letter), rows)
        db.session.commit()
        ids = list(db.session.execute(select(Letter.id).where(Letter.status == LetterStatus.PENDING).order_by(Letter.id)).scalars())
    database.release()
    return ids


# --- the measurements ----------------------------------------------------------------------------


def first_page(query: str, filters: dict) -> tuple[object, float, float]:
    """What the list does for a search (published.letter_slice): the count, then the first PAGE
    letters, best first then newest (or newest first, past search.CANDIDATES matches); the slice,
    its seconds, and this process's CPU seconds (on SQLite the whole query; on PostgreSQL the client's part)."""
    from refusal_site import published, search_text, tally
    from refusal_site.extensions import db

    chosen = published.LetterFilter(terms=tuple(search_text.query_terms(query)), **filters)
    counted = tally.snapshot()
    started, cpu = time.perf_counter(), time.process_time()
    found = published.letter_slice(chosen, PAGE, counted)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    db.session.rollback()
    db.session.expunge_all()
    return found, took, cpu


def result_count(query: str, filters: dict) -> tuple[int, float]:
    """search.count() alone, within the filters' days (UTC) as the list gives them to it."""
    from datetime import UTC, datetime

    from refusal_site import search, search_text
    from refusal_site.extensions import db

    moments = {name: datetime.combine(filters[name] + timedelta(days=name == "until"), datetime.min.time(), UTC) for name in ("since", "until") if name in filters}
    started = time.perf_counter()
    count = search.count(search_text.query_terms(query), **{**filters, **moments})
    took = time.perf_counter() - started
    db.session.rollback()
    return count, took


def measure_search(database: Database, queries: list[tuple[str, str, str, dict]], rounds: int) -> list[list[str]]:
    page_times: dict[int, list[float]] = {i: [] for i in range(len(queries))}
    count_times: dict[int, list[float]] = {i: [] for i in range(len(queries))}
    cpu_times: dict[int, list[float]] = {i: [] for i in range(len(queries))}
    counts: dict[int, int] = {}
    orders: dict[int, str] = {}
    with database.app.app_context():
        for _, _, query, filters in queries:  # warm the caches once, as a running site has them
            first_page(query, filters)
            result_count(query, filters)
        for _ in range(rounds):
            for i, (_, _, query, filters) in enumerate(queries):
                found, took, cpu = first_page(query, filters)
                orders[i] = "relevance" if found.ranked else "newest"
                page_times[i].append(took)
                cpu_times[i].append(cpu)
                counts[i], took = result_count(query, filters)
                count_times[i].append(took)
    database.release()
    rows = []
    for i, (language, kind, query, _) in enumerate(queries):
        page, count, cpu = sorted(page_times[i]), sorted(count_times[i]), sorted(cpu_times[i])
        p95 = percentile(page, 95) * 1000
        rows.append([language, kind, f"`{query}`", f"{counts[i]:,}", orders[i], f"{page[0] * 1000:.1f}", f"{percentile(page, 50) * 1000:.1f}", f"{p95:.1f}",
                     f"{percentile(cpu, 50) * 1000:.1f}", f"{percentile(cpu, 95) * 1000:.1f}",
                     f"{percentile(count, 50) * 1000:.1f}", f"{percentile(count, 95) * 1000:.1f}", verdict(p95 < SEARCH_P95_TARGET_MS)])
    return rows


def measure_publish(small: Database, large: Database, pending: dict[str, list[int]], batches: int, per_batch: int) -> dict[str, list[float]]:
    """Seconds per letters.publish() on each database, in alternating batches."""
    from refusal_site import letters
    from refusal_site.extensions import db
    from refusal_site.models import Letter

    times: dict[str, list[float]] = {"small": [], "large": []}
    for _ in range(batches):
        for name, database in (("small", small), ("large", large)):
            with database.app.app_context():
                for _ in range(per_batch):
                    letter = db.session.get(Letter, pending[name].pop())
                    started = time.perf_counter()
                    letters.publish(letter, by="bench")
                    times[name].append(time.perf_counter() - started)
                    db.session.remove()
            database.release()
    return times


# --- the report ----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="a PostgreSQL server to create temporary databases on (default: SQLite files)")
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40, help="timings per query")
    parser.add_argument("--publish-batches", type=int, default=5)
    parser.add_argument("--publish-per-batch", type=int, default=20)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the large database (print its URL) to measure it again with --large-url")
    parser.add_argument("--large-url", help="measure on this database, which an earlier run with the same --seed and --letters seeded and kept")
    args = parser.parse_args()

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    backend: Backend = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(work)
    load_before = os.getloadavg()[0]
    try:
        corpus = Corpus(random.Random(args.seed))
        if args.large_url:
            large = Database(args.large_url, str(work / "instance-large"), make_app(args.large_url, str(work / "instance-large")), args.letters)
            upgrade_kept(large)
            seeded = None
        else:
            large = Database.create(backend, "large", work)
            seeded = seed_bulk(large, corpus, args.letters, args.seed, log)
            if args.keep:
                backend.created = [name for name in getattr(backend, "created", []) if not name.endswith("_large")]
                log(f"kept: {large.url}")
        small = Database.create(backend, "small", work)
        seed(small, corpus, SMALL, log)
        compared = check_index_is_publications(small)
        publications = args.publish_batches * args.publish_per_batch
        pending = {"small": add_pending(small, corpus, publications), "large": add_pending(large, corpus, publications)}
        log("searching")
        rows = measure_search(large, corpus.queries(), args.rounds)
        log("publishing")
        times = measure_publish(small, large, pending, args.publish_batches, args.publish_per_batch)
        description = backend.describe()
    finally:
        backend.cleanup()

    small_ms, large_ms = statistics.median(times["small"]) * 1000, statistics.median(times["large"]) * 1000
    ratio = large_ms / small_ms
    worst = max(float(row[7]) for row in rows)
    print("### Search benchmark\n")
    print(f"- machine: {platform.node()}, {platform.platform()}, nproc {os.cpu_count()}")
    print(f"- load average (1 min) before {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"- database: {description}")
    print(f"- commit: {code_state()}")
    if seeded is None:
        print(f"- {args.letters:,} published letters: the database an earlier run of this script seeded and kept (--large-url)")
    else:
        print(f"- {args.letters:,} published letters inserted in bulk in {seeded[0]:.0f} s (seed_bulk), indexed in {seeded[1]:.0f} s "
              "(search.rebuild(), as `flask rebuild-search-index`)")
    print(f"- the index search.rebuild() makes is the one publication makes: checked on the {compared} letters of the small database, published by letters.publish_many")
    print(f"- command: `{command_line()}`\n")
    print("#### Targets\n")
    print(table(["target", "measured", "result"], [
        [f"search p95 < {SEARCH_P95_TARGET_MS:.0f} ms (first {PAGE} results, every query)", f"worst p95 {worst:.1f} ms", verdict(worst < SEARCH_P95_TARGET_MS)],
        [f"publishing at {args.letters:,} <= {PUBLISH_RATIO_TARGET}x at {SMALL}", f"{ratio:.2f}x", verdict(ratio <= PUBLISH_RATIO_TARGET)],
    ], markdown=True))
    print(f"\n#### Search at {args.letters:,} letters: the list's first page of {PAGE} (published.letter_slice: count and page), and the count alone ({args.rounds} timings each, interleaved)\n")
    print(table(["language", "query", "terms", "results", "order", "page best ms", "page p50 ms", "page p95 ms", "page CPU p50 ms", "page CPU p95 ms", "count p50 ms", "count p95 ms", "page p95 < 50 ms"], rows, markdown=True))
    print("\nCPU: this process's CPU time for the page, which on SQLite is the whole query (the database runs in the process) and on PostgreSQL the client's part only: on a machine whose load is above its cores, it is what the page costs without waiting for a core.")
    print(f"\n#### Publishing one letter (letters.publish, index included): {args.publish_batches} alternating batches of {args.publish_per_batch}\n")
    print(table(["letters", "median ms", "p95 ms"], [
        [f"{SMALL:,}", f"{small_ms:.2f}", f"{percentile(sorted(times['small']), 95) * 1000:.2f}"],
        [f"{args.letters:,}", f"{large_ms:.2f}", f"{percentile(sorted(times['large']), 95) * 1000:.2f}"],
    ], markdown=True))
    print(f"\nratio {ratio:.2f}x")
    return 0


# --- page 4,000 of the list against page 1 (issue 20, item 4) ---------------------------------------

PAGING_RATIO_TARGET = 1.5


def seed_list(database: Database, corpus: Corpus, total: int, log) -> float:
    """`total` published letters for the list alone, in bulk: 1,000 synthetic letters (their public
    fields made as submit() makes them), each published under many ids and moments, and the tally
    counted. The search index is not filled: the list does not read it. Returns the seconds taken."""
    from collections import Counter

    from sqlalchemy import insert

    from refusal_site import letters, tally
    from refusal_site.extensions import db
    from refusal_site.models import Letter, LetterStatus, new_public_id

    started = time.perf_counter()
    drafts = corpus.drafts(min(1000, total))
    fields = [letters.public_fields(d["display_name"], d["descriptor"], d["language"], d["title"], d["body_text"]) for d in drafts]
    moments = sorted((draft["published_at"] for draft in corpus.drafts(total)), reverse=True)
    with database.app.app_context():
        languages: Counter = Counter()
        for first in range(0, total, 10_000):
            rows = []
            for n in range(first, min(total, first + 10_000)):
                # Every 50th letter shares its moment with the one before: publications in one batch.
                moment = moments[n - 1] if n % 50 == 1 else moments[n]
                rows.append({**fields[n % len(fields)], "public_id": new_public_id(), "status": LetterStatus.PUBLISHED,
                             "contact_email": "bench@private.example", "submitted_at": moment, "confirmed_at": moment, "published_at": moment})
                languages[rows[-1]["language"]] += 1
            db.session.execute(insert(Letter), rows)
            db.session.commit()
            log(f"  {first + len(rows):,} letters inserted ({time.perf_counter() - started:.0f} s)")
        tally.count_letters(dict(languages))
        db.session.commit()
    database.letters = total
    database.release()
    return time.perf_counter() - started


def measure_paging(database: Database, rounds: int) -> dict[str, list[float]]:
    """Seconds per request through the app (test client), the page cache emptied before each so the
    page is rendered: /letters and /api/v1/letters, page 1 and page 4,000 (the cursor the list's own
    links would carry there), interleaved; and an old ?page=4,000 link's redirect."""
    from refusal_site import published, tally
    from refusal_site.page_cache import page_cache
    from refusal_site.paging import encode_cursor

    with database.app.app_context():
        per_page = database.app.config["LETTERS_PER_PAGE"]
        deep = min(4000, database.letters // per_page)
        start = published.start_of_page(deep, published.LetterFilter(), per_page, tally.snapshot())
        cursor = encode_cursor(start)
    database.release()
    urls = {
        "/letters page 1": "/letters", f"/letters page {deep:,}": f"/letters?after={cursor}",
        "/api/v1/letters page 1": "/api/v1/letters", f"/api/v1/letters page {deep:,}": f"/api/v1/letters?after={cursor}",
        f"/letters?page={deep} (old link: redirect)": f"/letters?page={deep}",
    }
    times: dict[str, list[float]] = {name: [] for name in urls}
    client = database.app.test_client()
    for round_ in range(rounds + 1):
        for name, url in urls.items():
            with database.app.app_context():
                page_cache().clear()
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
            if response.status_code not in (200, 302):
                raise RuntimeError(f"{url} answered {response.status_code}")
            if round_:  # the first round warms templates and connections
                times[name].append(elapsed)
    database.release()
    return times


def paging(argv=None) -> int:
    """`python -m bench.search paging`: the list's page 4,000 against its page 1 at --letters letters."""
    parser = argparse.ArgumentParser(prog="python -m bench.search paging", description=measure_paging.__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL server to create a temporary database on (default: an SQLite file)")
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args(argv)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-paging-"))
    backend: Backend = PostgresBackend(args.database_url) if args.database_url else SQLiteBackend(work)
    try:
        database = Database.create(backend, "paging", work)
        seeded = seed_list(database, Corpus(random.Random(args.seed)), args.letters, log)
        log("paging")
        times = measure_paging(database, args.rounds)
        description = backend.describe()
    finally:
        backend.cleanup()
    names = list(times)
    rows = [[name, f"{statistics.median(values) * 1000:.2f}", f"{percentile(sorted(values), 95) * 1000:.2f}"] for name, values in times.items()]
    html_ratio = statistics.median(times[names[1]]) / statistics.median(times[names[0]])
    api_ratio = statistics.median(times[names[3]]) / statistics.median(times[names[2]])
    print("### Paging benchmark\n")
    print(f"- machine: {platform.node()}, {platform.platform()}, nproc {os.cpu_count()}")
    print(f"- database: {description}")
    print(f"- commit: {code_state()}")
    print(f"- {args.letters:,} published letters inserted in bulk in {seeded:.0f} s (seed_list); {args.rounds} requests per address, interleaved, page cache emptied before each")
    print(f"- command: `{command_line()}`\n")
    print(table(["target", "measured", "result"], [
        [f"{names[1]} <= {PAGING_RATIO_TARGET}x page 1 (median)", f"{html_ratio:.2f}x", verdict(html_ratio <= PAGING_RATIO_TARGET)],
        [f"{names[3]} <= {PAGING_RATIO_TARGET}x page 1 (median)", f"{api_ratio:.2f}x", verdict(api_ratio <= PAGING_RATIO_TARGET)],
    ], markdown=True))
    print()
    print(table(["request", "median ms", "p95 ms"], rows, markdown=True))
    return 0


if __name__ == "__main__":
    sys.exit(paging(sys.argv[2:]) if sys.argv[1:2] == ["paging"] else main())
