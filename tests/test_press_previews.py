"""Press previews: an admin gives named journalists a link to an embargo's letters and their
compilation before the release; it works until the release, until it is revoked, or until the
embargo is lifted or moved, every opening on the record; the public sees nothing of the embargo."""

import io
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from refusal_site import letters, press_previews, tally
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, PressPreview, utcnow
from refusal_site.storage import write_transaction
from tests.factories import make_letter
from tests.pages import hidden_fields, page_of
from tests.pdfs import pdfua_findings, plain

EMBARGO_LINE = {"he": "אמברגו עד", "ar": "يُحظر النشر حتى", "en": "Embargoed until"}


def embargo(admin, count: int = 2, *, hours: int = 30) -> tuple[list[Letter], object]:
    """`count` letters (one in each language, in turn) scheduled for one moment, and that moment."""
    at = (utcnow() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    made = []
    for i in range(count):
        letter = make_letter(LetterStatus.PENDING, language="he ar en".split()[i % 3], title=f"Embargoed letter {i}")
        made.append(letters.schedule(letter, by=admin, at=at))
    return made, at


def make_link(client, release_at, recipients: str = "Dana Levi (Haaretz), Sami Haddad (Al-Quds)") -> str:
    """The link an admin makes on the press previews page, as its page shows it once."""
    form = hidden_fields(client.get("/moderate/press-previews"))
    made = client.post("/moderate/press-previews", data={**form, "release_at": release_at.isoformat(), "recipients": recipients})
    assert made.status_code == 303, made.get_data(as_text=True)[:500]
    shown = page_of(client.get(made.headers["Location"]))
    (link,) = [text for text in shown.text if "/press/preview/" in text]
    return link.removeprefix("https://refusers.example")


def openings() -> list[dict]:
    rows = db.session.execute(select(AuditEvent).where(AuditEvent.action == "press-preview:open").order_by(AuditEvent.id)).scalars()
    return [row.details for row in rows]


def time_passes(release_at) -> None:
    """Move the embargo and its previews into the past, as if its moment had come."""
    past = utcnow() - timedelta(seconds=1)
    with write_transaction():
        tally.lock()
        db.session.execute(update(Letter).where(Letter.scheduled_at == release_at).values(scheduled_at=past))
        db.session.execute(update(PressPreview).where(PressPreview.release_at == release_at).values(release_at=past))
        tally.refresh_next_release()


def assert_private(response) -> None:
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_an_admin_makes_a_link_shown_once_and_only_its_hash_is_kept(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin)
    listed = page_of(client.get("/moderate/press-previews?lang=en")).visible_text
    assert "2 letters" in listed
    link = make_link(client, at)
    token = link.rsplit("/", 1)[1]
    assert client.get("/moderate/press-previews/created", follow_redirects=True).request.path == "/moderate/press-previews", "shown once"
    (preview,) = db.session.execute(select(PressPreview)).scalars()
    assert preview.release_at == at and preview.created_by_id == admin.id and token not in preview.token_hash
    (row,) = db.session.execute(select(AuditEvent).where(AuditEvent.action == "press-preview:create")).scalars()
    assert row.actor_id == admin.id and row.details["preview"] == preview.id and token not in str(row.details)
    listed = page_of(client.get("/moderate/press-previews?lang=en")).visible_text
    assert "Dana Levi (Haaretz)" in listed and admin.email in listed and "Works" in listed


def test_a_preview_needs_its_journalists_named_and_an_embargo_that_holds(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    form = hidden_fields(client.get("/moderate/press-previews"))
    empty = client.post("/moderate/press-previews?lang=he", data={**form, "release_at": at.isoformat(), "recipients": "  "})
    assert empty.status_code == 400 and "field-error" in empty.get_data(as_text=True)
    for moment in ((at + timedelta(hours=1)).isoformat(), "tomorrow", at.replace(tzinfo=None).isoformat()):
        stale = client.post("/moderate/press-previews?lang=en", data={**form, "release_at": moment, "recipients": "Dana Levi"})
        assert stale.status_code == 409 and "No letter is scheduled for that moment any more." in page_of(stale).visible_text
    assert db.session.execute(select(PressPreview)).first() is None


def test_moderators_who_are_not_admins_cannot_make_or_revoke_previews(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    [(preview, _token)] = press_previews.create(at, ["Dana Levi"], by=admin)
    login_as(client)
    form = hidden_fields(client.get("/moderate/"))
    assert client.get("/moderate/press-previews").status_code == 403
    assert client.post("/moderate/press-previews", data={**form, "release_at": at.isoformat(), "recipients": "Me"}).status_code == 403
    assert client.post(f"/moderate/press-previews/{preview.id}/revoke", data=form).status_code == 403
    assert db.session.get(PressPreview, preview.id).revoked_at is None and len(db.session.execute(select(PressPreview)).all()) == 1


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_the_preview_shows_the_embargoed_letters_marked_to_its_journalists_alone(client, login_as, language):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 3)
    link = make_link(client, at)
    client.post("/moderate/sign-out", data=hidden_fields(client.get("/moderate/")))
    response = client.get(f"{link}?lang={language}")
    assert response.status_code == 200
    assert_private(response)
    page = page_of(response)
    text = plain(page.visible_text)
    assert EMBARGO_LINE[language] in text and "Dana Levi (Haaretz)" in text
    assert text.count(EMBARGO_LINE[language]) >= 1 + len(made), "above the page and above each letter"
    for letter in made:
        assert letter.display_name in text and letter.title in text and letter.body_text.split("\n")[0] in text
    assert page.find("meta", name="robots", content="noindex")
    hrefs = [a.get("href", "") for a in page.find("a")]
    assert not any(letter.public_id in href for href in hrefs for letter in made), "no public address that does not exist yet"
    assert sum(f"/{code}.pdf" in href for href in hrefs for code in ("he", "ar", "en")) == 3
    preview = db.session.execute(select(PressPreview)).scalar_one()
    assert openings() == [{"preview": preview.id, "opened": "page", "language": language}] and preview.openings == 1
    client.get(link)
    assert len(openings()) == 2 and db.session.get(PressPreview, preview.id).openings == 2


@pytest.mark.pdf
@pytest.mark.parametrize("language", ["he", "en"])
def test_the_preview_pdf_is_the_press_compilation_marked_on_every_page(client, login_as, tmp_path, language):
    admin = login_as(client, "admin")
    make_letter(language="en")  # published: not in the preview
    made, at = embargo(admin, 3)
    link = make_link(client, at)
    first = client.get(f"{link}/{language}.pdf")
    assert first.status_code == 202
    assert_private(first)
    for _ in range(240):
        response = client.get(f"{link}/{language}.pdf")
        if response.status_code == 200:
            break
        time.sleep(0.5)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert_private(response)
    path = tmp_path / "preview.pdf"
    path.write_bytes(response.data)
    reader = PdfReader(io.BytesIO(response.data))
    assert [item.title.split(" · ")[0] for item in reader.outline][1:] == [letter.display_name for letter in made]
    for number, page in enumerate(reader.pages):
        assert EMBARGO_LINE[language] in plain(page.extract_text()), f"page {number} is not marked"
    assert pdfua_findings(path) == []
    preview = db.session.execute(select(PressPreview)).scalar_one()
    assert openings() == [{"preview": preview.id, "opened": "pdf", "language": language}], "the waits are no openings"


def test_a_revoked_link_is_gone_and_says_nothing_more(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    link = make_link(client, at)
    preview = db.session.execute(select(PressPreview)).scalar_one()
    form = hidden_fields(client.get("/moderate/press-previews"))
    revoked = client.post(f"/moderate/press-previews/{preview.id}/revoke", data=form)
    assert revoked.status_code == 303
    assert client.post(f"/moderate/press-previews/{preview.id}/revoke", data=form).status_code == 303, "a second press changes nothing"
    for unknown in ("12345", "99999999999999999999"):
        assert client.post(f"/moderate/press-previews/{unknown}/revoke", data=form).status_code == 404
    (row,) = db.session.execute(select(AuditEvent).where(AuditEvent.action == "press-preview:revoke")).scalars()
    assert row.actor_id == admin.id and row.details == {"preview": preview.id}
    for url in (link, f"{link}/en.pdf"):
        gone = client.get(f"{url}?lang=en")
        assert gone.status_code == 410
        assert_private(gone)
        text = page_of(gone).visible_text
        assert "This preview link is no longer valid." in text
        assert made[0].display_name not in text and "mbargo" not in text
    assert openings() == []
    assert "Revoked on" in page_of(client.get("/moderate/press-previews?lang=en")).visible_text


def test_at_the_release_the_link_dies_and_the_letters_are_public(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 2)
    link = make_link(client, at)
    assert client.get(link).status_code == 200
    time_passes(at)
    assert client.get(link).status_code == 410
    assert all(db.session.get(Letter, letter.id).status == LetterStatus.PUBLISHED for letter in made)
    assert client.get(f"/letters/{made[0].public_id}").status_code == 200


@pytest.mark.parametrize("change", ["lifted", "moved"])
def test_a_lifted_or_moved_embargo_ends_its_links(client, login_as, change):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    link = make_link(client, at)
    letter = letters.unschedule(db.session.get(Letter, made[0].id), by=admin)
    if change == "moved":
        letters.schedule(letter, by=admin, at=at + timedelta(days=1))
    assert client.get(link).status_code == 410 and client.get(f"{link}/he.pdf").status_code == 410
    assert "No longer works" in page_of(client.get("/moderate/press-previews?lang=en")).visible_text


@pytest.mark.parametrize("token", ["x", "A" * 43, "A" * 4000, "%00", "a%00" + "A" * 40, "..%2F..%2Fetc", "%D7%90" * 43, "tampered"])
def test_a_tampered_or_unknown_link_is_the_sites_404(client, login_as, token):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    link = make_link(client, at)
    if token == "tampered":
        real = link.rsplit("/", 1)[1]
        token = real[:-1] + ("A" if real[-1] != "A" else "B")
    unknown = client.get("/no-such-page?lang=en")
    for url in (f"/press/preview/{token}?lang=en", f"/press/preview/{token}/en.pdf?lang=en"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert page_of(response).visible_text == page_of(unknown).visible_text
    assert client.get(f"{link}/xx.pdf").status_code == 404
    assert openings() == []


def test_the_public_sees_nothing_of_the_embargo(client, login_as):
    admin = login_as(client, "admin")
    public = make_letter(language="en", title="Already public")
    made, at = embargo(admin, 2)
    link = make_link(client, at)
    assert client.get(link).status_code == 200
    client.post("/moderate/sign-out", data=hidden_fields(client.get("/moderate/")))
    names = [letter.display_name for letter in made] + [letter.public_id for letter in made] + ["Embargoed letter", "mbargo"]
    for url in ("/?lang=en", "/letters?lang=en", "/feed.atom", "/api/v1/letters", "/api/v1/count", "/sitemap-letters-1.xml", "/press?lang=en",
                "/press/chart.csv", "/robots.txt"):
        response = client.get(url)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and not any(name in body for name in names), url
    assert client.get("/api/v1/count").json["count"] == 1
    assert client.get(f"/letters/{made[0].public_id}").status_code == 404
    assert client.get(f"/letters/{made[0].public_id}.pdf").status_code == 404
    from refusal_site.compilation.selection import Selection

    assert [letter.public_id for letter in Selection().letters()] == [public.public_id]
