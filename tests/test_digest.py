"""Moderators get one digest of what waits, at most every MODERATION_DIGEST_MINUTES, however many
senders run; with counts and the oldest wait, never an author's address; each can turn it off.
Admins set the delay notice authors see."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from refusal_site import delay_notice, digest, mail, moderators, tokens
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, LetterStatus, Moderator, QueuedMail, utcnow
from tests.conftest import PASSWORD
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import hidden_fields, outbox, page_of


def digests() -> list[QueuedMail]:
    db.session.rollback()
    return list(db.session.execute(select(QueuedMail).where(QueuedMail.template == "moderation_digest")).scalars())


def team(*addresses: str) -> None:
    for address in addresses:
        moderators.create(address, PASSWORD)


def test_one_digest_per_window_across_two_machines(app, make_app):
    team("a@team.example", "b@team.example")
    make_letter(LetterStatus.PENDING, contact_email="author@private.example")
    now = utcnow()
    machines = [make_app(), make_app()]
    queued = []
    for machine in machines * 2:
        with machine.app_context():
            queued.append(digest.queue_if_due(now=now))
            db.session.remove()
    assert queued == [2, 0, 0, 0], "one digest (one message per moderator) for the window, whichever machine"
    make_letter(LetterStatus.PENDING)
    with machines[1].app_context():
        assert digest.queue_if_due(now=now + timedelta(minutes=59)) == 0, "not before the window has passed"
        assert digest.queue_if_due(now=now + timedelta(minutes=61)) == 2, "something new came in"
        db.session.remove()
    assert sorted(row.message.count(b"@team.example") for row in digests()) == [1, 1, 1, 1]


def test_the_digest_has_counts_and_the_oldest_wait_and_no_address(app):
    team("a@team.example")
    old = make_letter(LetterStatus.PENDING, language="en", contact_email="author@private.example")
    old.confirmed_at = utcnow() - timedelta(hours=5)
    db.session.commit()
    make_letter(LetterStatus.PENDING, contact_email="second@private.example")
    make_letter(LetterStatus.UNCONFIRMED, contact_email="third@private.example")
    collective = make_collective()
    make_signature(collective, "pending", email="signer@private.example")
    assert digest.queue_if_due() == 1
    mail.deliver_due()
    (message,) = [m for m in outbox(app) if m["To"] == "a@team.example"]
    body = message.get_content()
    assert message["Content-Language"] == app.config["BABEL_DEFAULT_LOCALE"]
    assert "2" in message["Subject"] and "1" in message["Subject"]
    assert "5 שעות" in body, body
    assert "private.example" not in message.as_string(), "never an author's or signer's address"
    assert "https://refusers.example/moderate/" in body


def test_nothing_waiting_no_digest_and_the_same_wait_is_repeated_daily_only(app):
    team("a@team.example")
    now = utcnow()
    assert digest.queue_if_due(now=now) == 0
    make_letter(LetterStatus.PENDING)
    assert digest.queue_if_due(now=now + timedelta(minutes=1)) == 1
    assert digest.queue_if_due(now=now + timedelta(hours=3)) == 0, "nothing new: no digest every window"
    assert digest.queue_if_due(now=now + timedelta(days=1, minutes=2)) == 1, "but a daily reminder"


def test_a_moderator_can_turn_the_digest_off(app, client, login_as):
    team("stays@team.example")
    moderator = login_as(client)
    form = hidden_fields(client.get("/moderate/account"))
    assert client.post("/moderate/account/digest", data={"csrf_token": form["csrf_token"]}).status_code == 303
    db.session.rollback()
    assert db.session.get(Moderator, moderator.id).digest_mail is False
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "moderator:digest-mail")).scalar_one().details == {"on": False}
    make_letter(LetterStatus.PENDING)
    assert digest.queue_if_due() == 1
    (row,) = digests()
    assert b"stays@team.example" in row.message and moderator.email.encode() not in row.message
    client.post("/moderate/account/digest", data={"csrf_token": form["csrf_token"], "wanted": "y"})
    db.session.rollback()
    assert db.session.get(Moderator, moderator.id).digest_mail is True


def test_the_send_mail_command_sends_the_digest(app, runner):
    team("a@team.example")
    make_letter(LetterStatus.PENDING)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert [m["To"] for m in outbox(app) if m["To"] == "a@team.example"] == ["a@team.example"]


# --- the delay notice ------------------------------------------------------------------------------


def test_authors_see_the_default_delay_notice_in_their_pages_language(app, client):
    letter = make_letter(LetterStatus.PENDING)
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    assert "Moderators usually answer within a day or two." in client.get(manage, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert delay_notice.notice("he") != delay_notice.notice("en")


def test_an_admin_sets_the_delay_notice_in_three_languages(app, client, login_as):
    login_as(client, "admin")
    form = hidden_fields(client.get("/moderate/delay-notice"))
    response = client.post("/moderate/delay-notice", data={**form, "he": "בדרך כלל תוך שבוע.", "ar": "", "en": "Moderators usually answer within a week."})
    assert response.status_code == 303
    letter = make_letter(LetterStatus.PENDING)
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    assert "within a week" in client.get(manage, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "בדרך כלל תוך שבוע." in client.get(manage, headers={"Accept-Language": "he"}).get_data(as_text=True)
    assert delay_notice.notice("ar") == delay_notice.notice("ar") and "week" not in delay_notice.notice("ar"), "empty: the default"
    assert len(db.session.execute(select(AuditEvent).where(AuditEvent.action == "delay-notice:edit")).all()) == 2


def test_only_admins_set_the_delay_notice(app, client, login_as):
    login_as(client)
    assert client.get("/moderate/delay-notice").status_code == 403


@pytest.mark.parametrize("field", ["he", "en"])
def test_an_over_long_notice_is_refused(app, client, login_as, field):
    login_as(client, "admin")
    form = hidden_fields(client.get("/moderate/delay-notice"))
    response = client.post("/moderate/delay-notice", data={**form, field: "x" * 301})
    assert response.status_code == 400 and page_of(response).find("p", id=f"{field}-error")


def test_translators_get_no_digest_of_the_moderation_queue(app):
    team("a@team.example")
    moderators.create("t@team.example", PASSWORD, role="translator")
    make_letter(LetterStatus.PENDING)
    assert digest.queue_if_due() == 1
    assert [b"t@team.example" in row.message for row in digests()] == [False]
