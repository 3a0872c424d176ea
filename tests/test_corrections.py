"""Corrections are never silent: the author is told what changed and why, the public sees that the
letter was corrected and when, and only an admin changes the name a letter was published under."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from refusal_site import letters
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, utcnow
from tests.factories import make_letter
from tests.pages import hidden_fields, links_in, page_of, path_of

BODY = "I refuse to serve.\n\nI made this decision after long thought.\n\nI write under my full name."


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": False}


def correct(client, letter: Letter, **changes):
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}/edit"))
    data = {**form, "display_name": letter.display_name, "descriptor": letter.descriptor or "", "title": letter.title or "",
            "body": letter.body_text, "reason": "typos, at the author's request"}  # fmt: skip
    data.update(changes)
    return client.post(f"/moderate/letters/{letter.public_id}/edit", data=data, headers={"Accept-Language": "en"})


def corrections_to(smtp_server, address: str):
    return [m for recipients, m in smtp_server.messages if recipients == [address] and "/my-letter/" in m.get_content()
            and m["Subject"] != "Confirm your letter on Public refusers"]  # fmt: skip


def test_the_author_is_told_each_change_before_and_after_with_the_reason_and_the_private_link(client, login_as, smtp_server):
    letter = make_letter(LetterStatus.PUBLISHED, language="en", display_name="Noa Kohen", title="Not in my name",
                         body_text=BODY, contact_email="noa@private.example")  # fmt: skip
    login_as(client, "admin")
    before = len(smtp_server.messages)
    response = correct(client, letter, display_name="Noa Cohen", title="Not in our name",
                       body="I refuse to serve.\n\nI made this decision after a long thought.\n\nI write under my full name.")  # fmt: skip
    assert response.status_code == 303
    (message,) = [m for recipients, m in smtp_server.messages[before:] if recipients == ["noa@private.example"]]
    assert message["Subject"] == "Your letter on Public refusers was corrected" and message["Content-Language"] == "en"
    body = message.get_content()
    assert re.search(r"Name\nBefore: Noa Kohen\nAfter: Noa Cohen", body), body
    assert re.search(r"Title\nBefore: Not in my name\nAfter: Not in our name", body)
    assert "-I made this decision after long thought." in body and "+I made this decision after a long thought." in body
    assert "Rank, unit or role" not in body, "an unchanged field is not listed"
    assert "typos, at the author's request" in body
    (manage_url,) = links_in(message)
    assert "/my-letter/" in manage_url and client.get(path_of(manage_url)).status_code == 200


def test_the_mail_is_in_the_letters_language(client, login_as, smtp_server):
    letter = make_letter(LetterStatus.PENDING, language="he", contact_email="dana@private.example")
    login_as(client)
    assert correct(client, letter, body=letter.body_text + "\n\nתוספת.").status_code == 303
    (message,) = corrections_to(smtp_server, "dana@private.example")
    assert message["Content-Language"] == "he" and "+תוספת." in message.get_content()


def test_a_correction_of_a_letter_whose_address_was_erased_says_nobody_could_be_told(client, login_as, runner, smtp_server):
    letter = make_letter(LetterStatus.PUBLISHED, language="en", body_text=BODY)
    assert runner.invoke(args=["erase-contacts", "--days", "0"]).exit_code == 0
    login_as(client)
    letter = db.session.get(Letter, letter.id)
    page = client.get(f"/moderate/letters/{letter.public_id}/edit", headers={"Accept-Language": "en"})
    assert "they cannot be told" in page_of(page).visible_text
    response = correct(client, letter, body=BODY.replace("long", "a long"))
    done = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert "could not be told" in page_of(done).visible_text
    assert not [m for _, m in smtp_server.messages if m["Subject"] == "Your letter on Public refusers was corrected"]


def test_the_public_page_the_api_and_the_feed_say_when_a_letter_was_corrected(app, client, login_as):
    letter = make_letter(LetterStatus.PUBLISHED, language="en", body_text=BODY)
    untouched = make_letter(LetterStatus.PUBLISHED, language="en")
    assert "Corrected on" not in page_of(client.get(f"/letters/{letter.public_id}?lang=en")).visible_text
    assert client.get(f"/api/v1/letters/{letter.public_id}").json["corrected_at"] is None
    login_as(client)
    assert correct(client, letter, body=BODY.replace("long", "a long")).status_code == 303
    letter = db.session.get(Letter, letter.id)
    assert letter.corrected_at is not None and (utcnow() - letter.corrected_at).total_seconds() < 60
    day = letter.corrected_at.astimezone(ZoneInfo(app.config["DISPLAY_TIMEZONE"]))
    shown = page_of(client.get(f"/letters/{letter.public_id}?lang=en")).visible_text
    assert f"Corrected on {day:%B} {day.day}, {day.year}" in shown
    assert "Corrected on" in page_of(client.get("/letters?lang=en")).visible_text
    api = client.get(f"/api/v1/letters/{letter.public_id}").json
    assert datetime.fromisoformat(api["corrected_at"]) == letter.corrected_at
    listed = {item["id"]: item["corrected_at"] for item in client.get("/api/v1/letters").json["letters"]}
    assert listed[letter.public_id] == api["corrected_at"] and listed[untouched.public_id] is None
    feed = client.get("/feed.atom").get_data(as_text=True)
    entry = feed[feed.index(letter.public_id):]
    updated = re.search(r"<updated>([^<]+)</updated>", entry).group(1)
    assert datetime.fromisoformat(updated.replace("Z", "+00:00")) >= letter.corrected_at.replace(microsecond=0)


def test_a_correction_before_publication_is_told_to_the_author_but_not_announced(client, login_as, smtp_server):
    letter = make_letter(LetterStatus.PENDING, language="en", body_text=BODY, contact_email="early@private.example")
    login_as(client)
    assert correct(client, letter, display_name="A new name", body=BODY.replace("long", "a long")).status_code == 303
    letter = db.session.get(Letter, letter.id)
    assert letter.corrected_at is None and letter.display_name == "A new name", "a moderator may fix the name before publication"
    assert len(corrections_to(smtp_server, "early@private.example")) == 1


@pytest.mark.parametrize("status", [LetterStatus.PUBLISHED, LetterStatus.UNPUBLISHED])
def test_only_an_admin_changes_the_name_of_a_letter_the_public_has_seen(client, login_as, smtp_server, status):
    letter = make_letter(status, language="en", display_name="Noa Kohen", body_text=BODY, contact_email="noa@private.example")
    moderator = login_as(client)
    refused = correct(client, letter, display_name="Someone Else")
    assert refused.status_code == 403
    assert "Only an admin can change the name" in page_of(refused).visible_text
    letter = db.session.get(Letter, letter.id)
    assert letter.display_name == "Noa Kohen" and letter.corrected_at is None and not corrections_to(smtp_server, "noa@private.example")
    with pytest.raises(letters.NeedsAdmin):
        letters.edit(letter, by=moderator, display_name="Someone Else", descriptor=None, title=None, body_text=BODY, reason="x")
    assert correct(client, letter, body=BODY.replace("long", "a long")).status_code == 303, "other fields: any moderator"

    admin_client = client.application.test_client()
    login_as(admin_client, "admin")
    letter = db.session.get(Letter, letter.id)
    assert correct(admin_client, letter, display_name="Noa Cohen").status_code == 303
    letter = db.session.get(Letter, letter.id)
    assert letter.display_name == "Noa Cohen"
    events = db.session.execute(select(AuditEvent).where(AuditEvent.action == "letter:edit").order_by(AuditEvent.id)).scalars().all()
    assert len(events) == 2 and events[-1].actor.role == "admin"
    assert len(corrections_to(smtp_server, "noa@private.example")) == 2
