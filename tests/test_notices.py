"""Refusers and co-signers are told by mail, in the letter's language and with their private link,
when their letter is published or scheduled and when their signature is published; an erased
address gets nothing, and nothing breaks."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from refusal_site import letters, mail, signatures
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, QueuedMail, Signature
from refusal_site.storage import write_transaction
from tests.factories import db_refresh, make_collective, make_letter, make_signature
from tests.pages import links_in, path_of


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": False}


def delivered_to(smtp_server, address: str) -> dict:
    """Deliver what is queued; the messages that reached `address`, by subject."""
    mail.deliver_due()
    return {m["Subject"]: m for recipients, m in smtp_server.messages if recipients == [address]}


def templates_queued() -> list[str]:
    db.session.rollback()
    return list(db.session.execute(select(QueuedMail.template).order_by(QueuedMail.id)).scalars())


def test_a_published_letter_mails_its_author_the_public_link_and_the_private_one(app, client, smtp_server):
    letter = make_letter(LetterStatus.PENDING, language="en", contact_email="noa@private.example")
    letters.publish(letter, by="test")
    message = delivered_to(smtp_server, "noa@private.example")["Your letter on Public refusers is published"]
    assert message["Content-Language"] == "en"
    public_url, manage_url = links_in(message)
    assert path_of(public_url) == f"/letters/{letter.public_id}" and client.get(path_of(public_url)).status_code == 200
    assert "/my-letter/" in manage_url and client.get(path_of(manage_url)).status_code == 200
    assert "To share your letter, send this link" in message.get_content()


def test_the_mail_is_in_the_letters_language(app, smtp_server):
    letter = make_letter(LetterStatus.PENDING, language="ar", contact_email="sami@private.example")
    letters.publish(letter, by="test")
    (message,) = [m for subject, m in delivered_to(smtp_server, "sami@private.example").items() if "/letters/" in m.get_content()]
    assert message["Content-Language"] == "ar"
    assert "published" not in message["Subject"], "translated, not English"
    assert len(links_in(message)) == 2


@pytest.mark.parametrize(("language", "hour", "zone"), [("he", "15:00", "שעון ישראל"), ("en", "3:00 PM", "Israel Time"), ("ar", "3:00 م", "توقيت إسرائيل")])
def test_a_scheduled_letter_mails_the_time_in_the_sites_zone_in_its_language(app, smtp_server, language, hour, zone):
    letter = make_letter(LetterStatus.PENDING, language=language, contact_email=f"{language}@private.example")
    # 12:00 UTC on a summer day is 15:00 in Jerusalem.
    letters.schedule(letter, by="test", at=datetime(2031, 6, 2, 12, 0, tzinfo=UTC))
    (message,) = [m for m in delivered_to(smtp_server, f"{language}@private.example").values() if "2031" in m.get_content()]
    assert message["Content-Language"] == language
    body = " ".join(message.get_content().split())  # the languages' own spaces (e.g. before "PM") as plain ones
    assert hour in body and zone in body and "12:00" not in body, body
    public_url, manage_url = links_in(message)
    assert path_of(public_url) == f"/letters/{letter.public_id}" and "/my-letter/" in manage_url


def test_a_released_embargo_mails_the_author_that_the_letter_is_public(app, smtp_server):
    letter = make_letter(LetterStatus.PENDING, language="en", contact_email="dan@private.example")
    at = datetime.now(UTC) + timedelta(hours=1)
    letters.schedule(letter, by="test", at=at)
    assert letters.release_due(now=at + timedelta(seconds=1)) == 1
    subjects = delivered_to(smtp_server, "dan@private.example")
    assert {"Your letter on Public refusers is approved", "Your letter on Public refusers is published"} <= set(subjects)


def test_a_published_signature_mails_the_signer_in_the_letters_language(app, client, smtp_server):
    letter = make_collective(language="en")
    signature = make_signature(letter, "pending", email="signer@private.example")
    signatures.decide({signature.id: signature.revision}, "publish", by="test")
    message = delivered_to(smtp_server, "signer@private.example")["Your signature on Public refusers is published"]
    assert message["Content-Language"] == "en"
    public_url, manage_url = links_in(message)
    assert path_of(public_url) == f"/letters/{letter.public_id}"
    assert "/my-signature/" in manage_url and client.get(path_of(manage_url)).status_code == 200


def test_a_bulk_publication_mails_each_signer_once(app, smtp_server):
    letter = make_collective(language="he")
    pending = [make_signature(letter, "pending", email=f"s{n}@private.example") for n in range(3)]
    before = templates_queued().count("signature_published")
    result = signatures.decide({s.id: s.revision for s in pending}, "publish", by="test")
    assert result.done == 3 and templates_queued().count("signature_published") == before + 3


def test_an_erased_address_gets_no_mail_and_the_decision_still_happens(app):
    letter = make_letter(LetterStatus.UNPUBLISHED, language="en")
    collective = make_collective(language="en")
    signature = make_signature(collective, "unpublished")
    pending = make_letter(LetterStatus.PENDING)
    with write_transaction():
        db.session.execute(update(Letter).values(contact_email=None))
        db.session.execute(update(Signature).values(contact_email=None))
    before = templates_queued()
    letter = letters.publish(db_refresh(letter), by="test")
    letters.schedule(db_refresh(pending), by="test", at=datetime.now(UTC) + timedelta(days=1))
    signature = db_refresh(signature)
    assert signatures.decide({signature.id: signature.revision}, "publish", by="test").done == 1
    assert letter.status == LetterStatus.PUBLISHED
    assert templates_queued() == before, "no address, no mail"


def test_publication_mail_is_never_held_back_by_the_recipients_limit(app):
    app.config.update(MAIL_RECIPIENT_HOURLY=1, MAIL_RECIPIENT_DAILY=1)
    letter = make_letter(LetterStatus.PENDING, contact_email="busy@private.example")
    letters.publish(letter, by="test")
    assert "published" in templates_queued(), "a moderator's decision: strangers cannot cause it"
