"""The site's mail cannot be turned against people: no stranger's text reaches a message as a link,
one resend is one message, and every address is limited in what strangers can make it receive."""

import logging
import re
import threading
import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from refusal_site import letters, mail, notify, reminders, signatures
from refusal_site.extensions import db
from refusal_site.models import LetterStatus, MailMark, QueuedMail, utcnow
from refusal_site.sanitize import unlinked
from refusal_site.storage import write_transaction
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import hidden_fields, links_in

SITE = "https://refusers.example"

# What people type to make the site mail their bait under its own name.
HOSTILE = [
    "Win a prize at evil.example http://evil.example/x",
    "Call now: www.evil-bank.example/refund",
    "write to refunds@evil.example",
    "mailto:refunds@evil.example",
    "HTTPS://EVIL.EXAMPLE/login",
    "evil。example and ｅｖｉｌ．ｅｘａｍｐｌｅ",
    "<a href='https://evil.example'>click</a>",
    "sms:+15550100 or tel:+15550100",
]
# Roughly what mail clients make links of: schemes, www., addresses and bare host names.
LINK_LIKE = re.compile(
    r"(?i)\b[a-z][a-z0-9+.-]*:(?=[^\s\]])\S*|\bwww\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\b[\w-]+(?:\.[\w-]+)+\b"
)


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": False}


def bodies(smtp_server, to: str | None = None) -> list[str]:
    return [message.get_content() for recipients, message in smtp_server.messages if to is None or recipients == [to]]


def link_like(body: str) -> list[str]:
    """Whatever in the body a mail client could make a link of, other than the site's own links."""
    text = unicodedata.normalize("NFKC", body)
    text = re.sub(re.escape(SITE) + r"/\S+", "", text)
    return LINK_LIKE.findall(text)


def sent_mail_count(to: str, smtp_server) -> int:
    return sum(1 for recipients, _ in smtp_server.messages if recipients == [to])


def deliver() -> None:
    mail.deliver_due()


def sign_form(client, letter, **overrides) -> dict:
    form = hidden_fields(client.get(f"/letters/{letter.public_id}/sign"))
    form.update(display_name="יואב לוי", contact_email="yoav@private.example", consent_public="y", website="")
    form.update(overrides)
    return form


# --- no stranger's text as a link -----------------------------------------------------------------


@pytest.mark.parametrize("bait", HOSTILE)
def test_unlinked_leaves_nothing_a_mail_client_makes_a_link_of(bait):
    assert LINK_LIKE.findall(unicodedata.normalize("NFKC", bait)), "the bait itself is link-like"
    assert link_like(unlinked(bait)) == []


def test_unlinked_keeps_ordinary_text_as_it_is():
    for text in ("נועה כהן", "سامي حلبي", "Daniel Stein, sergeant (res.)", "I refuse. I will not serve."):
        assert unlinked(text) == text


@pytest.mark.parametrize("bait", [HOSTILE[0], HOSTILE[3], HOSTILE[5]])
def test_no_mail_of_any_kind_carries_a_strangers_text_as_a_link(app, client, smtp_server, bait, login_as):
    app.config.update(MAIL_RECIPIENT_HOURLY=100, MAIL_RECIPIENT_DAILY=100)
    fields = {"display_name": bait[:120], "descriptor": bait[:200], "title": bait[:200], "body_text": f"I refuse.\n\n{bait}"}
    # confirm, rejected, unpublished, corrected
    make_letter(LetterStatus.REJECTED, language="en", contact_email="rejected@private.example", **fields)
    make_letter(LetterStatus.UNPUBLISHED, language="en", contact_email="down@private.example", **fields)
    corrected = make_letter(LetterStatus.PUBLISHED, language="en", contact_email="fixed@private.example", **fields)
    admin = login_as(client, "admin")
    letters.edit(corrected, by=admin, display_name="Dana", descriptor=None, title=f"{bait} again"[:200],
                 body_text=f"I refuse to serve.\n\n{bait} and more", reason="a typo")  # fmt: skip
    # sign_confirm, sign_again, sign_own_letter, links: through the pages, as a stranger would
    collective = make_collective(language="en", contact_email="author@private.example", **fields)
    for _ in range(2):
        client.post(f"/letters/{collective.public_id}/sign", data=sign_form(client, collective, display_name=bait[:120], descriptor=bait[:200]))
    client.post(f"/letters/{collective.public_id}/sign", data=sign_form(client, collective, contact_email="author@private.example"))
    client.post("/submit/resend", data={**hidden_fields(client.get("/submit/resend")), "contact_email": "yoav@private.example"})
    deliver()
    kinds = {message["Subject"] for _, message in smtp_server.messages}
    assert len(kinds) >= 8, kinds
    for recipients, message in smtp_server.messages:
        body = message.get_content()
        assert link_like(body) == [], (message["Subject"], link_like(body))
        assert "evil" not in body.lower() or "[.]" in body, message["Subject"]
    # The author of a corrected letter still sees what changed, only unlinked.
    (fixed,) = bodies(smtp_server, "fixed@private.example")[-1:]
    assert "evil[.]example" in unicodedata.normalize("NFKC", fixed)


def test_a_confirmation_repeats_nothing_typed_in_the_form(client, smtp_server):
    form = hidden_fields(client.get("/submit"))
    form.update(display_name="Win a prize at evil.example", descriptor="Claim it now", title="Your account is locked",
                language="en", body="Log in at once.", contact_email="victim@private.example", consent_name="y", consent_public="y")  # fmt: skip
    assert client.post("/submit", data=form).status_code == 303
    (body,) = bodies(smtp_server, "victim@private.example")
    for typed in ("Win a prize", "evil", "Claim it now", "account is locked", "Log in at once"):
        assert typed not in body
    assert len(links_in_body(body)) == 2, "the confirmation link and the private page"


def links_in_body(body: str) -> list[str]:
    return re.findall(re.escape(SITE) + r"/\S+", body)


# --- one resend, one message ----------------------------------------------------------------------


def test_ten_letters_and_one_resend_make_one_message_with_every_link(app, client, smtp_server):
    app.config.update(MAIL_RECIPIENT_HOURLY=100, MAIL_RECIPIENT_DAILY=100)
    held = [make_letter(LetterStatus.PENDING, contact_email="many@private.example") for _ in range(9)]
    held.append(make_letter(LetterStatus.UNCONFIRMED, contact_email="many@private.example"))
    signature = make_signature(make_collective(), "pending", email="many@private.example")
    deliver()
    before = len(smtp_server.messages)
    response = client.post("/submit/resend", data={**hidden_fields(client.get("/submit/resend")), "contact_email": "many@private.example"})
    assert response.status_code == 303
    deliver()
    (message,) = [m for _, m in smtp_server.messages[before:]]
    links = links_in(message)
    assert len([link for link in links if "/my-letter/" in link]) == len(held) == 10
    assert sum("/confirm/" in link for link in links) == 1, "the unconfirmed letter's confirmation link"
    assert sum("/my-signature/" in link or "/signature/" in link for link in links) >= 1
    assert len(links) == 10 + 1 + len(notify.signer_links(signature))
    for link in links:
        assert client.get(link[len(SITE):]).status_code == 200, link


def test_a_resend_to_an_unknown_address_sends_nothing(app, client, smtp_server):
    assert reminders.resend_links("nobody@private.example") == 0
    assert db.session.execute(select(func.count()).select_from(QueuedMail)).scalar() == 0


# --- the per-recipient limit ----------------------------------------------------------------------


def test_signing_again_and_again_from_one_address_sends_a_bounded_number_of_mails(app, client, smtp_server):
    limit = app.config["MAIL_RECIPIENT_HOURLY"]
    app.config["SIGN_RATE_LIMIT"] = "1000 per minute"  # many clients, one address: the mail limit is what holds
    letter = make_collective()
    for _ in range(limit + 3):
        assert client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter)).status_code == 303
    deliver()
    assert sent_mail_count("yoav@private.example", smtp_server) == limit
    assert len(signatures.signatures_for_contact("yoav@private.example")) == 1


def test_the_limit_counts_every_path_by_the_mailbox_and_never_holds_back_a_decision(app, client, smtp_server, caplog):
    app.config.update(MAIL_RECIPIENT_HOURLY=4, MAIL_RECIPIENT_DAILY=10)
    first = make_letter(LetterStatus.PENDING, contact_email="victim@private.example")  # 1: confirm
    make_letter(LetterStatus.UNCONFIRMED, contact_email="Victim+bait@Private.Example")  # 2: the same mailbox
    client.post("/submit/resend", data={**hidden_fields(client.get("/submit/resend")), "contact_email": "victim@private.example"})  # 3
    collective = make_collective()
    client.post(f"/letters/{collective.public_id}/sign", data=sign_form(client, collective, contact_email="victim@private.example"))  # 4
    with caplog.at_level(logging.WARNING):
        client.post(f"/letters/{collective.public_id}/sign", data=sign_form(client, collective, contact_email="VICTIM@private.example"))
        reminders.resend_links("victim@private.example")
    deliver()
    assert len(to_victim(smtp_server)) == 4
    assert "not queued" in caplog.text and "victim" not in caplog.text.lower(), "logged without the address"
    letters.reject(first, by="test", reason="not verifiable")
    deliver()
    assert len(to_victim(smtp_server)) == 5, "the decision went out although the limit was reached"
    assert to_victim(smtp_server)[-1] == "rejected"


def to_victim(smtp_server) -> list[str]:
    """The kinds of message the victim's mailbox got (whatever spelling of the address was typed)."""
    kinds = []
    for recipients, message in smtp_server.messages:
        if mail.recipient_key(recipients[0]) == mail.recipient_key("victim@private.example"):
            kinds.append("rejected" if "/my-letter/" in message.get_content() and "not verifiable" in message.get_content() else "other")
    return kinds


def test_the_hourly_limit_lapses_and_the_daily_one_still_holds(app, smtp_server):
    app.config.update(MAIL_RECIPIENT_HOURLY=2, MAIL_RECIPIENT_DAILY=3)
    make_letter(LetterStatus.PENDING, contact_email="slow@private.example")  # 1
    assert reminders.resend_links("slow@private.example") == 1  # 2
    assert reminders.resend_links("slow@private.example") == 0, "the hour's limit"
    with write_transaction():
        db.session.execute(update(MailMark).values(queued_at=utcnow() - timedelta(hours=2)))
    assert reminders.resend_links("slow@private.example") == 1, "an hour later: a new hour, the day's third"
    assert reminders.resend_links("slow@private.example") == 0, "the day's limit"
    with write_transaction():
        db.session.execute(update(MailMark).values(queued_at=utcnow() - timedelta(hours=25)))
    assert mail.prune_marks() == 3
    assert reminders.resend_links("slow@private.example") == 1


def test_a_burst_at_once_cannot_pass_the_limit_together(app, make_app, smtp_server):
    limit = app.config["MAIL_RECIPIENT_HOURLY"]
    make_letter(LetterStatus.PENDING, contact_email="burst@private.example")  # one message already
    workers = [make_app(MAIL_DELIVER_AFTER_RESPONSE=False) for _ in range(limit + 3)]
    start = threading.Barrier(len(workers))
    queued = []

    def resend(worker) -> None:
        with worker.app_context():
            start.wait()
            queued.append(reminders.resend_links("burst@private.example"))
            db.session.remove()

    threads = [threading.Thread(target=resend, args=(worker,)) for worker in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(queued) == limit - 1 and len(queued) == len(workers)
    db.session.rollback()
    assert db.session.execute(select(func.count()).select_from(MailMark)).scalar() == limit


def test_the_limit_keeps_no_address(app, smtp_server):
    make_letter(LetterStatus.PENDING, contact_email="kept@private.example")
    (mark,) = db.session.execute(select(MailMark)).scalars()
    assert "kept" not in mark.recipient_key and len(mark.recipient_key) == 64
    assert mark.recipient_key == mail.recipient_key("Kept+x@PRIVATE.example ")
    assert mail.recipient_key("a.b@gmail.com") == mail.recipient_key("ab@gmail.com")
    assert mail.recipient_key("a.b@googlemail.com") == mail.recipient_key("ab@gmail.com"), "one mailbox under both names"
    assert mail.recipient_key("a.b@private.example") != mail.recipient_key("ab@private.example")
