"""PDF work is bounded whatever visitors ask for: slots taken before a process starts, one spelling
and one cache entry per range, a per-client limit on range builds, pruning of what nobody asks for."""

import multiprocessing
import os
import threading
import time
from datetime import timedelta

import pytest

from refusal_site.compilation import assembly, cache, cleanup, limits, selection, worker
from refusal_site.models import utcnow
from tests.factories import make_letter
from tests.pdfs import wait_for

DAYS = 12
# How long a spawned process of the builder test would take to end if it let its interpreter exit.
SLOW_EXIT = 30


@pytest.fixture
def spread(app):
    """One letter a day for DAYS days (the last one today), alternating Hebrew and English."""
    start = utcnow() - timedelta(days=DAYS - 1)
    return [make_letter(language="he en".split()[i % 2], published_at=start + timedelta(days=i)) for i in range(DAYS)]


@pytest.fixture
def spawned(monkeypatch):
    """Builds that 'run' until the test ends: each keeps the locks it was handed, as a builder would."""
    running: list[tuple[str, list[int]]] = []

    def spawn(key, job, key_lock, slot):
        running.append((key, [os.dup(key_lock.fileno()), os.dup(slot.fileno())]))

    monkeypatch.setattr(worker, "_spawn", spawn)
    yield running
    finish(running)


def finish(running: list[tuple[str, list[int]]]) -> None:
    """The spawned builds end: their locks go."""
    for _key, fds in running:
        for fd in fds:
            os.close(fd)
    running.clear()


def day(letter) -> str:
    return selection.day(letter.published_at).isoformat()


@pytest.mark.parametrize("query", ["since=2026-W01-1", "since=20260101", "since=2026-1-1", "until=2026-01-01T00:00",
                                   "since=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-01-01", "until=2026-02-30"])  # fmt: skip
def test_a_day_has_one_spelling(client, spread, query):
    response = client.get(f"/press/letters.pdf?{query}", headers={"Accept-Language": "en"})
    assert response.status_code == 400 and "not understood" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["since=0001-01-01", "until=9999-12-31", "since=0001-01-01&until=9999-12-31", "since=1900-01-01&language=en"])
def test_days_far_outside_the_publications_name_the_whole_compilation(client, spread, spawned, query):
    assert client.get(f"/press/letters.pdf?{query}").status_code == 202
    language = "en" if "language=en" in query else "all"
    assert [key for key, _ in spawned] == [f"{language}-{'en' if language == 'en' else 'he'}"]


def test_ranges_that_hold_the_same_letters_share_one_build_and_one_file(client, spread, spawned):
    """Hebrew letters fall on every other day: since=day 1 and since=day 2 hold the same Hebrew letters."""
    hebrew = [letter for letter in spread if letter.language == "he"]
    first, second = hebrew[1], hebrew[2]
    between = (selection.day(first.published_at) - timedelta(days=1)).isoformat()
    for since in (day(first), between):
        for until in (day(second), (selection.day(second.published_at) + timedelta(days=1)).isoformat()):
            response = client.get(f"/press/letters.pdf?language=he&since={since}&until={until}")
            assert response.status_code == 202
    assert [key for key, _ in spawned] == [f"he-{day(first)}_{day(second)}-he"], "one build for four spellings"
    finish(spawned)
    assembly.build(selection.Selection("he", selection.day(first.published_at), selection.day(second.published_at)), "he")
    spawned.clear()
    for since in (day(first), between):
        assert client.get(f"/press/letters.pdf?language=he&since={since}&until={day(second)}").status_code == 200
    assert spawned == []


def test_a_range_with_no_letters_says_so(client, spread):
    future = (utcnow() + timedelta(days=30)).date().isoformat()
    response = client.get(f"/press/letters.pdf?since={future}", headers={"Accept-Language": "en"})
    assert response.status_code == 404 and "No letter was published in these days" in response.get_data(as_text=True)


def test_a_burst_of_distinct_ranges_starts_no_more_builds_than_slots(app, client, spread, spawned):
    """Forty requests at once for forty different ranges: PDF_MAX_BUILDS processes start, every other
    request is told to come back in a minute, in its language."""
    app.config["PDF_MAX_BUILDS"] = 2
    app.config["PDF_RANGE_RATE_LIMIT"] = "1000 per minute"
    days = [day(letter) for letter in spread]
    ranges = [(days[a], days[b]) for a in range(DAYS) for b in range(a, DAYS) if (a, b) != (0, DAYS - 1)][:40]
    answers = []
    ready = threading.Barrier(len(ranges))

    def ask(since, until) -> None:
        ready.wait()
        response = client.get(f"/press/letters.pdf?since={since}&until={until}", headers={"Accept-Language": "ar"})
        answers.append((response.status_code, response.headers.get("Retry-After"), response.get_data(as_text=True)))

    threads = [threading.Thread(target=ask, args=pair) for pair in ranges]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(answers) == len(ranges)
    assert len(spawned) == 2 and sorted(status for status, *_ in answers).count(202) == 2
    busy = [answer for answer in answers if answer[0] == 503]
    assert len(busy) == len(ranges) - 2 and all(retry == "60" for _, retry, _ in busy)
    assert all("dir=\"rtl\"" in page and "حاول" in page for *_, page in busy), "a translated page"
    # The full compilation, not built yet (no builder service runs here), waits for a slot too.
    assert client.get("/press/letters.pdf?language=en").status_code == 503


def test_a_builder_holds_its_slot_and_key_from_before_it_starts_until_it_ends(app, client, spread, tmp_path, monkeypatch):
    """A real spawned builder: the request that starts it has taken both locks already, and the
    builder keeps them until it is gone. A process with a large heap takes seconds to end: here each
    spawned process is made to take SLOW_EXIT seconds (sitecustomize), and its slot must not be free meanwhile."""
    (tmp_path / "slow-exit").mkdir()
    (tmp_path / "slow-exit" / "sitecustomize.py").write_text(f"import atexit, time\natexit.register(time.sleep, {SLOW_EXIT})\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path / "slow-exit"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    app.config["PDF_MAX_BUILDS"] = 1
    query = f"since={day(spread[3])}&until={day(spread[5])}"
    assert client.get(f"/press/letters.pdf?{query}").status_code == 202
    key = f"all-{day(spread[3])}_{day(spread[5])}-he"
    assert limits.is_locked(key), "the key's lock was held before the process could take it"
    assert limits.take_slot() is None, "and the only slot"
    for _ in range(240):
        response = client.get(f"/press/letters.pdf?{query}")
        if response.status_code == 200:
            break
        time.sleep(0.5)
    assert response.status_code == 200
    slot = wait_for(limits.take_slot, seconds=30)  # the builder ends after writing the file, and its locks with it
    try:
        assert slot is not None, "the slot is free again"
        # The system lets go of an ending process's files a moment before its parent can reap it, a
        # moment a busy machine stretches to milliseconds: the builder is gone within that, not after
        # the SLOW_EXIT seconds its interpreter's exit would take with the slot free.
        gone = wait_for(lambda: None if builders() else "gone", seconds=SLOW_EXIT / 3)
        assert gone, "a slot is free only once its builder is gone: no third process beside two builds"
    finally:
        if slot is not None:
            slot.close()
    assert not limits.is_locked(key)


def builders() -> list[multiprocessing.Process]:
    """This test process's builder processes still running (those that ended are reaped here)."""
    return [process for process in multiprocessing.active_children() if process.name.startswith("pdf-")]


def test_range_builds_are_limited_per_client_but_built_ranges_still_download(app, client, spread, spawned):
    app.config["PDF_RANGE_RATE_LIMIT"] = "2 per minute"
    app.config["PDF_MAX_BUILDS"] = 10
    for n in (2, 3):
        assert client.get(f"/press/letters.pdf?since={day(spread[n])}&until={day(spread[n + 1])}").status_code == 202
    third = client.get(f"/press/letters.pdf?since={day(spread[6])}&until={day(spread[7])}", headers={"Accept-Language": "en"})
    assert third.status_code == 429 and third.headers["Retry-After"] == "60"
    assert "many different date ranges" in third.get_data(as_text=True) and len(spawned) == 2
    # Asking again for a range being built costs nothing, and nor does a built one.
    assert client.get(f"/press/letters.pdf?since={day(spread[2])}&until={day(spread[3])}").status_code == 202
    finish(spawned)
    assembly.build(selection.Selection(None, selection.day(spread[8].published_at), selection.day(spread[9].published_at)), "he")
    assert client.get(f"/press/letters.pdf?since={day(spread[8])}&until={day(spread[9])}").status_code == 200


def test_prune_deletes_ranges_nobody_asked_for_and_old_locks_but_not_held_ones(app, client, spread):
    ranged = assembly.build(selection.Selection(None, selection.day(spread[2].published_at), selection.day(spread[4].published_at)), "he")
    asked = assembly.build(selection.Selection(None, selection.day(spread[5].published_at), selection.day(spread[6].published_at)), "he")
    whole = assembly.build(selection.Selection(), "he")
    locks = cache.folder() / "locks"
    old = time.time() - 2 * 86400
    for path in [ranged.path, asked.path, whole.path, *locks.glob("*.lock")]:
        os.utime(path, (old, old))
    held = limits.try_lock(locks / "all-held-he.lock")
    os.utime(locks / "all-held-he.lock", (old, old))
    assert client.get(f"/press/letters.pdf?since={day(spread[5])}&until={day(spread[6])}").status_code == 200  # asked again
    cleanup.prune(timedelta(days=7))
    assert not ranged.path.exists() and asked.path.exists() and whole.path.exists()
    assert sorted(path.name for path in locks.glob("*.lock")) == ["all-held-he.lock"]
    held.close()


def test_a_letter_rendered_by_a_request_takes_a_build_slot(app, client, monkeypatch):
    """A render in a web worker counts against PDF_MAX_BUILDS like any build; a second request for the
    same letter gets the page that asks again instead of holding a worker too."""
    letter = make_letter(language="en")
    app.config["PDF_MAX_BUILDS"] = 1
    slot = limits.take_slot()  # a build of something else holds the only slot
    try:
        busy = client.get(f"/letters/{letter.public_id}.pdf", headers={"Accept-Language": "en"})
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "60"
        assert "Many PDFs are being prepared right now" in busy.get_data(as_text=True)
    finally:
        slot.close()
    key_lock = limits.try_lock(cache.lock_path(f"letter-{letter.public_id}"))  # another worker renders it
    try:
        assert client.get(f"/letters/{letter.public_id}.pdf").status_code == 202
    finally:
        key_lock.close()
    assert client.get(f"/letters/{letter.public_id}.pdf").status_code == 200


def test_a_long_letter_is_rendered_in_the_background(app, client, spawned):
    long = make_letter(language="en", body_text="\n\n".join(["I refuse. " * 80] * 12))
    assert len(long.body_text) > app.config["PDF_INLINE_CHARS"]
    assert client.get(f"/letters/{long.public_id}.pdf").status_code == 202
    assert [key for key, _ in spawned] == [f"letter-{long.public_id}"]
