"""Downloading compilations: built once in the background, bounded, never older than what is public."""

import fcntl
import io
import threading
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader

from refusal_site import letters
from refusal_site.compilation import assembly, rendering, selection, worker
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, utcnow
from tests.factories import make_letter
from tests.pdfs import layout_text, publish_mixed

pytestmark = [pytest.mark.pdf, pytest.mark.slow]


def test_concurrent_requests_build_a_compilation_once(app, make_app, monkeypatch):
    publish_mixed(3)
    renders = []
    real_render = rendering.render
    monkeypatch.setattr(rendering, "render", lambda template, *a, **k: renders.append(k.get("cover") and "cover") or real_render(template, *a, **k))
    results = []

    def build() -> None:
        with app.app_context():
            results.append(assembly.build(selection.Selection(), "en").path)
            db.session.remove()

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(set(results)) == 1 and len(results) == 3
    assert renders.count("cover") == 1, renders


def test_a_journalist_downloads_a_compilation_built_in_the_background(client, app, monkeypatch):
    made = publish_mixed(3)
    started = []
    real_spawn = worker._spawn
    monkeypatch.setattr(worker, "_spawn", lambda key, *a: started.append(key) or real_spawn(key, *a))
    first = client.get("/press/letters.pdf?language=he", headers={"Accept-Language": "en"})
    assert first.status_code == 202 and '<meta http-equiv="refresh"' in first.get_data(as_text=True)
    for _ in range(120):
        response = client.get("/press/letters.pdf?language=he")
        if response.status_code == 200:
            break
        time.sleep(0.5)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(started) == 1, "the requests while it was starting up started no other builder"
    assert "public-refusers-he-" in response.headers["Content-Disposition"]
    titles = [item.title for item in PdfReader(io.BytesIO(response.data)).outline]
    assert titles == ["תוכן העניינים"] + [l.display_name for l in made if l.language == "he"]
    assert client.get("/press/letters.pdf?language=he", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("query", ["since=yesterday", "until=2026-13-01", "since=2026-02-01&until=2026-01-01", "language=xx"])
def test_bad_ranges_are_refused(client, query):
    assert client.get(f"/press/letters.pdf?{query}").status_code == 400


def test_a_range_too_large_for_one_request_is_refused(client, app):
    app.config["PDF_MAX_LETTERS"] = 2
    make_letter(language="he", published_at=utcnow() - timedelta(days=10))
    since = selection.day(publish_mixed(3)[0].published_at)
    response = client.get(f"/press/letters.pdf?since={since}", headers={"Accept-Language": "en"})
    assert response.status_code == 400 and "shorter range" in response.get_data(as_text=True)


def test_a_served_compilation_never_outlives_a_withdrawal(client, app):
    made = publish_mixed(3)
    make_letter(language="en")  # the English edition still holds a letter after the withdrawal
    assembly.build(selection.Selection(language="en"), "en")
    assert client.get("/press/letters.pdf?language=en").status_code == 200
    assert client.get("/press/letters.pdf?language=en").status_code == 200  # served from what is known
    letters.withdraw(db.session.get(Letter, next(l for l in made if l.language == "en").id))
    assert client.get("/press/letters.pdf?language=en").status_code == 202, "a new compilation is needed"


def test_a_download_after_an_embargo_ends_holds_the_released_letter(client, app):
    from refusal_site import moderators

    made = publish_mixed(2)
    assembly.build(selection.Selection(language="he"), "he")
    assert client.get("/press/letters.pdf?language=he").status_code == 200
    embargoed = make_letter(LetterStatus.PENDING, language="he")
    moment = utcnow() - timedelta(seconds=1)  # the embargo's time has just come (the domain refuses past times)
    letters.schedule(embargoed, by=moderators.create("m@team.example", "a long enough password"), at=moment, now=moment - timedelta(minutes=1))
    # The download's revision read sees a pending embargo and lets public_state() release it.
    assert client.get("/press/letters.pdf?language=he").status_code == 202, "a new compilation is needed"
    db.session.rollback()
    assert db.session.get(Letter, embargoed.id).status == LetterStatus.PUBLISHED
    built = assembly.build(selection.Selection(language="he"), "he")
    assert built.letters == sum(1 for l in made if l.language == "he") + 1
    assert client.get("/press/letters.pdf?language=he").status_code == 200


def test_the_bound_is_for_date_ranges_not_for_the_standard_compilations(client, app):
    app.config["PDF_MAX_LETTERS"] = 2
    publish_mixed(3)
    assert client.get("/press/letters.pdf").status_code == 202, "all letters: built in the background"


def test_an_unwritable_pdf_cache_is_a_clear_error_and_pages_keep_working(client, app, tmp_path):
    publish_mixed(1)
    cache_dir = tmp_path / "instance" / "pdf"
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cache_dir.write_text("not a folder")  # nothing can be created under it, even as root
    response = client.get("/press/letters.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 503 and "unavailable for a moment" in response.get_data(as_text=True)
    assert client.get("/press").status_code == 200 and client.get("/letters").status_code == 200


def test_a_build_that_fails_is_reported_instead_of_promised_forever(client, app, tmp_path):
    publish_mixed(1)
    pages_dir = tmp_path / "instance" / "pdf" / "pages"
    pages_dir.parent.mkdir(parents=True, exist_ok=True)
    pages_dir.write_text("not a folder")  # the builder cannot keep any letter's pages
    assert client.get("/press/letters.pdf").status_code == 202
    for _ in range(120):
        response = client.get("/press/letters.pdf", headers={"Accept-Language": "en"})
        if response.status_code != 202:
            break
        time.sleep(0.5)
    assert response.status_code == 503
    pages_dir.unlink()
    app.config["PDF_RETRY_AFTER_FAILURE"] = 0  # the wait is over: the next request tries again
    assert client.get("/press/letters.pdf").status_code == 202


def test_no_more_background_builds_than_allowed_run_at_once(client, app, tmp_path, monkeypatch):
    publish_mixed(2)
    app.config["PDF_MAX_BUILDS"] = 1
    started = []
    monkeypatch.setattr(worker, "_spawn", lambda key, *a: started.append(key))
    slot = tmp_path / "instance" / "pdf" / "locks" / "builder-0.slot"
    slot.parent.mkdir(parents=True, exist_ok=True)
    with open(slot, "w") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)  # a build of some other date range holds the only slot
        response = client.get("/press/letters.pdf?since=2000-01-01", headers={"Accept-Language": "en"})
        assert response.status_code == 503 and response.headers["Retry-After"] == "60"
        assert "Many PDFs are being prepared right now" in response.get_data(as_text=True) and started == []
    assert client.get("/press/letters.pdf?since=2000-01-01").status_code == 202 and len(started) == 1


def test_a_withdrawn_signature_leaves_the_next_compilation_and_the_letters_pdf(client, app):
    from refusal_site import signatures
    from tests.factories import make_collective, make_signature

    letter = make_collective(language="en", display_name="Yael Bar", body_text="We will not fly.")
    staying, leaving = make_signature(letter, name="Avi Cohen"), make_signature(letter, name="Dana Katz")
    first = assembly.build(selection.Selection(), "en")
    first_etag = client.get(f"/letters/{letter.public_id}.pdf").headers["ETag"]
    assert "Dana Katz" in layout_text(first.path, 2) and "3 public refusers" in layout_text(first.path, 0)
    signatures.withdraw(leaving)
    second = assembly.build(selection.Selection(), "en")
    assert second.fingerprint != first.fingerprint
    text = layout_text(second.path, 2)
    assert "Avi Cohen" in text and "Dana Katz" not in text and "2 public refusers" in layout_text(second.path, 0)
    again = client.get(f"/letters/{letter.public_id}.pdf")
    assert again.headers["ETag"] != first_etag and b"Dana Katz" not in again.data
    assert "Dana Katz" not in PdfReader(io.BytesIO(again.data)).pages[0].extract_text()
    assert staying.display_name in PdfReader(io.BytesIO(again.data)).pages[0].extract_text()
