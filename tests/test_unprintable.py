"""One letter can never break the press: a letter whose pages cannot be rendered (stored before the
sanitizer bounded its markup) is left out of compilations with a note, its own PDF answers 503 for a
while instead of failing on every request, and moderators are told."""

import os
import subprocess
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from refusal_site import letters, moderation, sanitize, tally
from refusal_site.compilation import assembly, cache, one_letter, pages, rendering, selection, unprintable, worker
from refusal_site.audit import AuditAction
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, utcnow
from tests.factories import make_letter, make_collective, make_signature
from tests.pages import hidden_fields
from tests.test_submit import valid_form

pytestmark = [pytest.mark.pdf, pytest.mark.slow]
ENGLISH = {"Accept-Language": "en"}

# What got through before the sanitizer bounded markup: WeasyPrint dies of recursion on each.
DEEP = {
    "em": "<p>" + "<em> " * 250 + "deep" + " </em>" * 250 + "</p>",
    "lists": "<p>x</p>" + "<ul><li>" * 80 + "deep" + "</li></ul>" * 80,
    "quotes": "<p>x</p>" + "<blockquote>" * 150 + "deep" + "</blockquote>" * 150,
}


def store_unbounded(letter: Letter, shape: str = "em") -> Letter:
    """Give a stored letter HTML as the old sanitizer let it through (written past letters.py on purpose)."""
    letter = db.session.get(Letter, letter.id)
    letter.body_html = DEEP[shape]
    db.session.commit()
    return letter


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "read.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return text.translate(dict.fromkeys(range(0x202A, 0x202F)))


def render_failures(letter: Letter) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.letter_id == letter.id, AuditEvent.action == AuditAction.LETTER_RENDER_FAILED.value)
    return list(db.session.execute(query).scalars())


def test_a_compilation_leaves_an_unprintable_letter_out_with_a_note_and_tells_moderators(app, tmp_path):
    start = utcnow() - timedelta(days=1)
    before = make_letter(language="en", body_text="The letter before.", published_at=start)
    bad = store_unbounded(make_letter(language="en", display_name="Dana Deep", body_text="x", published_at=start + timedelta(hours=1)))
    after = [make_letter(language="en", body_text=f"Letter after number {i}.", published_at=start + timedelta(hours=2 + i)) for i in range(4)]
    built = assembly.build(selection.Selection(language="en"), "en")
    text = pdf_text(built.path.read_bytes(), tmp_path)
    assert "The letter before." in text and all(f"Letter after number {i}." in text for i in range(4))
    assert "Dana Deep" in text and "could not be laid out for print" in text and "deep" not in text
    assert f"/letters/{bad.public_id}" in text
    reader = PdfReader(built.path)
    assert [item.title for item in reader.outline][1:] == [before.display_name, "Dana Deep", *(letter.display_name for letter in after)]
    events = render_failures(bad)
    assert len(events) == 1 and events[0].details["error"] == "RecursionError" and events[0].actor_label == "system"
    # The next build (one more letter) neither renders the letter again nor tells moderators again.
    laid_out = []
    original = rendering.letters_document

    def spy(selected, fonts=None, markup=rendering.letter_markup):
        laid_out.extend((letter.public_id, markup) for letter in selected)
        return original(selected, fonts, markup)

    make_letter(language="en", body_text="One more.", published_at=start + timedelta(hours=9))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rendering, "letters_document", spy)
        again = assembly.build(selection.Selection(language="en"), "en")
    assert "One more." in pdf_text(again.path.read_bytes(), tmp_path)
    assert laid_out and bad.public_id not in [public_id for public_id, _markup in laid_out], "neither the letter nor its stand-in again"
    assert len(render_failures(bad)) == 1


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_an_unprintable_letters_pdf_answers_503_with_retry_after_and_is_not_rendered_again(app, client, caplog, shape, monkeypatch):
    bad = store_unbounded(make_letter(language="he"), shape)
    renders = []
    original = rendering.letter_pdf
    monkeypatch.setattr(rendering, "letter_pdf", lambda shown: (renders.append(shown.public_id), original(shown))[1])
    first = client.get(f"/letters/{bad.public_id}.pdf", headers=ENGLISH)
    assert first.status_code == 503 and first.mimetype == "text/html"
    assert 0 < int(first.headers["Retry-After"]) <= app.config["PDF_UNPRINTABLE_SECONDS"]
    assert "This letter's PDF cannot be made at the moment" in first.get_data(as_text=True).replace("&#39;", "'")
    assert renders == [bad.public_id]
    caplog.clear()
    second = client.get(f"/letters/{bad.public_id}.pdf", headers={"Accept-Language": "ar"})
    assert second.status_code == 503 and "Retry-After" in second.headers
    assert renders == [bad.public_id], "the failure is remembered, not rendered again"
    assert not [record for record in caplog.records if record.exc_info], "no traceback per request"
    assert len(render_failures(bad)) == 1
    # Once the failure is old enough, the letter is tried again (and fails again).
    for mark in (cache.folder() / "failures").glob(f"render-{bad.public_id}-*"):
        old = mark.stat().st_mtime - app.config["PDF_UNPRINTABLE_SECONDS"] - 1
        os.utime(mark, (old, old))
    assert client.get(f"/letters/{bad.public_id}.pdf").status_code == 503
    assert renders == [bad.public_id, bad.public_id]


def test_moderators_see_the_unprintable_letters_in_the_queue_until_they_are_re_sanitized(app, client, login_as, runner, tmp_path):
    bad = store_unbounded(make_letter(language="en", display_name="Dana Deep", body_text="A <em>fine</em> text."))
    fine = make_letter(language="en", display_name="Fine Letter")
    assert client.get(f"/letters/{bad.public_id}.pdf").status_code == 503
    assert client.get(f"/letters/{fine.public_id}.pdf").status_code == 200
    login_as(client)
    queue = client.get("/moderate/", headers=ENGLISH).get_data(as_text=True)
    assert "Letters whose PDF cannot be made" in queue and "Dana Deep" in queue
    assert f"/moderate/letters/{bad.public_id}" in queue and "Fine Letter" not in queue
    revision = tally.row().revision
    result = runner.invoke(args=["resanitize-letters"])
    assert result.exit_code == 0, result.output
    assert f"re-sanitized {bad.public_id}" in result.output and "1 of 2 letters re-sanitized" in result.output
    db.session.expire_all()
    stored = db.session.get(Letter, bad.id)
    assert stored.body_html == sanitize.text_to_html(stored.body_text) and "<em>fine</em>" in stored.body_html
    assert stored.content_hash == letters.content_hash(stored.display_name, stored.descriptor, stored.language, stored.title, stored.body_text)
    assert tally.row().revision == revision + 1  # cached pages and compilations are looked up again
    assert [e.action for e in moderation.letter_history(stored)][-1] == AuditAction.LETTER_RESANITIZE.value
    assert "Letters whose PDF cannot be made" not in client.get("/moderate/", headers=ENGLISH).get_data(as_text=True)
    response = client.get(f"/letters/{bad.public_id}.pdf")
    assert response.status_code == 200 and "fine" in pdf_text(response.data, tmp_path)
    assert runner.invoke(args=["resanitize-letters"]).output.strip() == "0 of 2 letters re-sanitized"


def test_the_review_page_warns_before_approving_a_letter_that_will_not_render(app, client, login_as):
    bad = store_unbounded(make_letter(LetterStatus.PENDING, language="en"), "lists")
    fine = make_letter(LetterStatus.PENDING, language="en")
    login_as(client)
    warning = "cannot be laid out for print"
    assert warning in client.get(f"/moderate/letters/{bad.public_id}", headers=ENGLISH).get_data(as_text=True)
    assert warning not in client.get(f"/moderate/letters/{fine.public_id}", headers=ENGLISH).get_data(as_text=True)
    assert len(render_failures(bad)) == 1 and render_failures(fine) == []
    # The trial render's pages are kept: the build after approving the fine letter today renders none of it.
    assert pages.placed(selection.printed([fine], {fine.id: utcnow()})[0].fingerprint) is not None
    queue = client.get("/moderate/", headers=ENGLISH).get_data(as_text=True)
    banner = queue[queue.index('id="unprintable-heading"') : queue.index("</section>", queue.index('id="unprintable-heading"'))]
    assert bad.public_id in banner and fine.public_id not in banner


def test_forms_refuse_markup_beyond_the_bounds_with_a_clear_message(app, client, login_as):
    deep = "<em> " * (sanitize.MAX_DEPTH + 5) + "too deep"
    english = ENGLISH
    response = client.post("/submit", data=valid_form(client, body=deep), headers=english)
    assert response.status_code == 400 and "nested more than 20 levels" in response.get_data(as_text=True)
    assert db.session.execute(select(Letter)).first() is None, "nothing half-stored"
    many = "line\n" * (sanitize.MAX_ELEMENTS + 1)
    response = client.post("/submit", data=valid_form(client, body=many), headers=english)
    assert response.status_code == 400 and "more than 2,000 paragraphs" in response.get_data(as_text=True)
    # Just within the bounds: stored as typed.
    assert client.post("/submit", data=valid_form(client, body="<em> " * (sanitize.MAX_DEPTH - 1) + "x")).status_code in (302, 303)
    letter = make_letter(LetterStatus.PENDING, language="en")
    login_as(client)
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}/edit"))
    response = client.post(f"/moderate/letters/{letter.public_id}/edit", headers=english,
                           data={**form, "display_name": letter.display_name, "body": deep, "reason": "formatting"})
    assert response.status_code == 400 and "nested more than 20 levels" in response.get_data(as_text=True)
    assert db.session.get(Letter, letter.id).body_text == letter.body_text


def test_co_signers_names_are_text_in_the_pdf_not_markup(app, client, tmp_path):
    letter = make_collective(language="en")
    make_signature(letter, name="<em>" * 25 + "Signer")
    response = client.get(f"/letters/{letter.public_id}.pdf")
    assert response.status_code == 200 and "<em><em><em>" in pdf_text(response.data, tmp_path)


def test_a_remembered_failure_starts_no_background_build_either(app, client, monkeypatch):
    """A letter with more co-signers than a request renders is built in the background: not while its failure is remembered."""
    letter = make_collective(language="en")
    make_signature(letter)
    bad = store_unbounded(letter, "quotes")
    with pytest.raises(unprintable.Unprintable):
        one_letter.pdf(bad)
    app.config["PDF_INLINE_SIGNERS"] = 0
    monkeypatch.setattr(worker, "start", lambda *a, **k: pytest.fail("a build was started"))
    response = client.get(f"/letters/{bad.public_id}.pdf")
    assert response.status_code == 503 and int(response.headers["Retry-After"]) > 60


def test_the_review_page_opens_when_the_trial_render_cannot_be_written(app, client, login_as, monkeypatch):
    letter = make_letter(LetterStatus.PENDING, language="en")
    monkeypatch.setattr(pages, "render_run", lambda *a, **k: (_ for _ in ()).throw(PermissionError("read-only cache")))
    login_as(client)
    response = client.get(f"/moderate/letters/{letter.public_id}", headers=ENGLISH)
    assert response.status_code == 200 and "cannot be laid out for print" not in response.get_data(as_text=True)
