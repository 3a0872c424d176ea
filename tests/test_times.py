"""Times read as people read them, in the page's or the mail's language: date, hour and minute, and
the site's time zone by its name ("שעון ישראל"); never seconds, an ISO date or "Asia/Jerusalem".
Machines still get ISO in <time datetime>."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import update

from refusal_site import contact, letters, mail, site_pages
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus
from refusal_site.storage import write_transaction
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import hidden_fields, links_in, outbox, page_of, path_of

# 12:00:07 UTC on a summer day is 15:00 in Jerusalem.
MOMENT = datetime(2031, 6, 2, 12, 0, 7, tzinfo=UTC)
READ = {
    "he": "2 ביוני 2031, 15:00 (שעון ישראל)",
    "ar": "2 يونيو 2031، 3:00 م (توقيت إسرائيل)",
    "en": "June 2, 2031, 3:00 PM (Israel Time)",
}
ZONE = {"he": "שעון ישראל", "ar": "توقيت إسرائيل", "en": "Israel Time"}
TIME = re.compile(r'<time datetime="([^"]+)"[^>]*>([^<]*)</time>')


def plain(text: str) -> str:
    """The languages' own spaces (the narrow one before "PM") as plain ones."""
    return " ".join(text.split())


def times_on(html: str) -> list[tuple[str, str]]:
    """Each <time> of a page: its machine value and what people read."""
    return [(machine, plain(shown)) for machine, shown in TIME.findall(html)]


def assert_read_by_people(html: str, language: str) -> None:
    assert "Asia/Jerusalem" not in html
    shown = times_on(html)
    # A letter's date is a day; every other <time> is a moment, with its hour and zone.
    assert any(re.search(r"\d:\d\d", text) for _, text in shown), "the page shows a time"
    for machine, text in shown:
        datetime.fromisoformat(machine)  # ISO for machines
        assert not re.search(r"\d\d:\d\d:\d\d|\d{4}-\d\d-\d\d", text), text
        if re.search(r"\d:\d\d", text):
            assert text.endswith(f"({ZONE[language]})"), text


def at_moment(letter: Letter, **columns: datetime) -> None:
    with write_transaction():
        db.session.execute(update(Letter).where(Letter.id == letter.id).values(**columns))


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_the_review_page_shows_times_in_its_language_with_the_zones_name(client, login_as, language):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="en")
    at_moment(letter, submitted_at=MOMENT, confirmed_at=MOMENT)
    response = client.get(f"/moderate/letters/{letter.public_id}?lang={language}")
    html = response.get_data(as_text=True)
    assert_read_by_people(html, language)
    assert ("2031-06-02T12:00:07+00:00", READ[language]) in times_on(html)
    # The schedule form says which zone its time is in, by the zone's name.
    assert f"{ZONE[language]}." in page_of(response).visible_text


def test_a_scheduled_letter_is_announced_with_its_time_to_the_moderator_and_on_the_authors_page(client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="ar", contact_email="rami@private.example")
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))
    response = client.post(
        f"/moderate/letters/{letter.public_id}/schedule?lang=en", data={**form, "at": "2031-06-02T15:00"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "at June 2, 2031, 3:00 PM (Israel Time)." in plain(page_of(response).visible_text)
    # The author's private page (in the letter's language) says when, too.
    (message,) = [m for m in outbox(client.application) if "2031" in m.get_content()]
    manage = next(url for url in links_in(message) if "/my-letter/" in url)
    page = plain(page_of(client.get(path_of(manage) + "?lang=ar")).visible_text)
    assert READ["ar"] in page and "2031-06-02" not in page


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_the_scheduled_mail_gives_date_hour_minute_and_zone_in_the_letters_language(app, language):
    letter = make_letter(LetterStatus.PENDING, language=language, contact_email=f"{language}@private.example")
    letters.schedule(letter, by="test", at=MOMENT.replace(second=0))
    mail.deliver_due()
    (message,) = [m for m in outbox(app) if "2031" in m.get_content()]
    body = plain(message.get_content())
    assert READ[language] in body, body
    assert "2031-06-02" not in body and "Asia/Jerusalem" not in body


def test_every_moderation_page_with_times_shows_them_in_the_pages_language(app, client, login_as):
    admin = login_as(client, "admin")
    pending = make_letter(LetterStatus.PENDING)
    make_signature(make_collective(), "pending")
    contact.receive(kind="question", name=None, reply_email=None, body="שלום לצוות", language="he")
    with app.test_request_context():  # the default text it replaces is rendered from a template
        site_pages.save("about", "he", "אודות", by=admin, expected_revision=0)
    pages = ["/moderate/", "/moderate/signatures", "/moderate/inbox", "/moderate/audit", "/moderate/pages",
             f"/moderate/letters/{pending.public_id}"]
    for path in pages:
        response = client.get(path + "?lang=he")
        assert response.status_code == 200, path
        assert_read_by_people(response.get_data(as_text=True), "he")


def test_the_press_page_says_when_the_latest_letter_was_published(client):
    make_letter(published_at=MOMENT)
    text = plain(page_of(client.get("/press?lang=he")).visible_text)
    assert READ["he"] in text and "2031-06-02" not in text
