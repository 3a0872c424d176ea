"""Moderators decide deliberately: rejecting and taking down show the reason as the author will read
it and wait for a confirmation; a double click does nothing twice; after a correction the moderator
is back on the letter, told what changed."""

import pytest
from sqlalchemy import func, select

from refusal_site import letters
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus
from tests.factories import make_letter
from tests.pages import hidden_fields, outbox, page_of

EN = {"Accept-Language": "en"}


def status_of(letter: Letter) -> str:
    db.session.rollback()
    return db.session.get(Letter, letter.id).status


def ask(client, letter: Letter, decision: str, reason: str):
    """The first step: the reason typed on the review page, sent."""
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))
    return client.post(f"/moderate/letters/{letter.public_id}/{decision}", data={**form, "reason": reason}, headers=EN)


def test_rejecting_shows_the_letter_and_the_reason_and_does_nothing_until_confirmed(client, app, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, display_name="Dana Levi", language="he", contact_email="dana@private.example")
    asked = ask(client, letter, "reject", "We could not verify\nthat you wrote it.")
    assert asked.status_code == 200
    page = page_of(asked)
    assert "Reject this letter?" in page.visible_text and "Dana Levi" in page.visible_text
    assert "as the author will read it in the mail (in Hebrew)" in page.visible_text
    assert page.find("blockquote")[0]["class"] == "reason-preview" and "We could not verify that you wrote it." in page.visible_text
    assert status_of(letter) == LetterStatus.PENDING and outbox(app) == []

    done = client.post(f"/moderate/letters/{letter.public_id}/reject", data=hidden_fields(asked), headers=EN, follow_redirects=True)
    assert "Rejected. The reason is on its way to the author" in done.get_data(as_text=True)
    assert status_of(letter) == LetterStatus.REJECTED
    (message,) = outbox(app)
    assert message["To"] == "dana@private.example" and "We could not verify\nthat you wrote it." in message.get_content()


def test_taking_down_asks_too_and_says_when_the_author_cannot_be_told(client, app, login_as, runner):
    login_as(client)
    letter = make_letter(LetterStatus.PUBLISHED, language="ar")
    assert runner.invoke(args=["erase-contacts", "--days", "0"]).exit_code == 0
    asked = ask(client, letter, "unpublish", "Asked by phone")
    text = page_of(asked).visible_text
    assert "Take this letter down?" in text and "address has been erased: they will not be told" in text
    assert status_of(letter) == LetterStatus.PUBLISHED and client.get("/api/v1/count").json["count"] == 1
    assert client.post(f"/moderate/letters/{letter.public_id}/unpublish", data=hidden_fields(asked)).status_code == 303
    assert status_of(letter) == LetterStatus.UNPUBLISHED and client.get("/api/v1/count").json["count"] == 0


def test_changing_the_reason_brings_it_back_whole_into_its_box(client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    asked = ask(client, letter, "reject", "First thought,\nsecond line")
    back = client.post(f"/moderate/letters/{letter.public_id}/reject", data={**hidden_fields(asked), "change": "yes"}, headers=EN)
    assert back.status_code == 200
    assert page_of(back).value("reason") == "First thought,\nsecond line"
    assert status_of(letter) == LetterStatus.PENDING


def test_a_reason_missing_or_too_long_is_refused_at_the_first_step_with_the_text_kept(client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    assert ask(client, letter, "reject", "   ").status_code == 400
    long = "x" * 2001
    refused = ask(client, letter, "reject", long)
    assert refused.status_code == 400 and page_of(refused).value("reason") == long
    assert status_of(letter) == LetterStatus.PENDING


def test_a_letter_decided_by_someone_else_meanwhile_is_refused_at_either_step(app, client, login_as):
    login_as(client)
    other = app.test_client()
    colleague = login_as(other)
    letter = make_letter(LetterStatus.PENDING)
    stale_first = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))
    asked = ask(client, letter, "reject", "no")
    letters.publish(db.session.get(Letter, letter.id), by=colleague)
    late = client.post(f"/moderate/letters/{letter.public_id}/reject", data=hidden_fields(asked), headers=EN)
    assert late.status_code == 409 and "changed since you loaded it" in late.get_data(as_text=True)
    early = client.post(f"/moderate/letters/{letter.public_id}/reject", data={**stale_first, "reason": "no"}, headers=EN)
    assert early.status_code == 409
    assert status_of(letter) == LetterStatus.PUBLISHED


def test_a_confirmation_sent_twice_rejects_once_and_mails_once(client, app, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    confirmation = hidden_fields(ask(client, letter, "reject", "Not verifiable"))
    assert client.post(f"/moderate/letters/{letter.public_id}/reject", data=confirmation).status_code == 303
    again = client.post(f"/moderate/letters/{letter.public_id}/reject", data=confirmation, headers=EN, follow_redirects=True)
    assert again.status_code == 200 and "nothing was done twice" in again.get_data(as_text=True)
    assert len(outbox(app)) == 1
    rejections = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "letter:reject", AuditEvent.letter_id == letter.id)
    assert db.session.execute(rejections).scalar_one() == 1


def test_after_a_correction_the_moderator_is_back_on_the_letter_told_what_changed(client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="en", title="Not in my name", body_text="I refuze to serve.")
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}/edit"))
    data = {**form, "display_name": letter.display_name, "descriptor": letter.descriptor or "", "title": "Not in our name",
            "body": "I refuse to serve.", "reason": "typos"}  # fmt: skip
    response = client.post(f"/moderate/letters/{letter.public_id}/edit", data=data, headers=EN)
    assert response.status_code == 303 and response.location.endswith(f"/moderate/letters/{letter.public_id}")
    review = page_of(client.get(response.location, headers=EN)).visible_text
    assert "Corrected: the title and the text." in review and "Review" in review


@pytest.mark.parametrize("lang, words", [("he", "תוקן: הכותרת והטקסט."), ("ar", "تم التصحيح: العنوان والنص.")])
def test_the_correction_flash_is_in_the_page_language(client, login_as, lang, words):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="en", title="Not in my name", body_text="I refuze to serve.")
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}/edit"))
    data = {**form, "display_name": letter.display_name, "descriptor": letter.descriptor or "", "title": "Not in our name",
            "body": "I refuse to serve.", "reason": "typos"}  # fmt: skip
    response = client.post(f"/moderate/letters/{letter.public_id}/edit?lang={lang}", data=data, follow_redirects=True)
    assert words in page_of(response).visible_text
