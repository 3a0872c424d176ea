"""Mail goes through a transactional outbox: queued with the change that causes it, delivered outside
the request (right after the response, or by `send-mail`) through a real SMTP server, or into the
outbox folder when none is configured; retried, dropped when hopeless, never left behind."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from refusal_site import letters, mail, notify
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, QueuedMail, Signature, utcnow
from refusal_site.storage import write_transaction
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import hidden_fields, links_in, outbox


@pytest.fixture
def app_config(app_config, smtp_server):
    return {**app_config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": False}


def queued() -> list[QueuedMail]:
    db.session.rollback()  # a fresh snapshot: see what other connections committed
    return list(db.session.execute(select(QueuedMail).order_by(QueuedMail.id)).scalars())


def submit_form(client, **overrides) -> dict:
    form = hidden_fields(client.get("/submit"))
    form.update(display_name="سامي حلبي", language="ar", body="أرفض الخدمة.", contact_email="sami@private.example",
                consent_name="y", consent_public="y")
    form.update(overrides)
    return form


def test_a_submission_is_confirmed_through_a_real_smtp_server(client, app, smtp_server):
    assert client.post("/submit", data=submit_form(client)).status_code == 303
    ((recipients, message),) = smtp_server.messages
    assert recipients == ["sami@private.example"]
    assert message["Content-Language"] == "ar"
    assert "سامي حلبي" not in message.get_content(), "a stranger may have typed it: the mail repeats nothing typed"
    assert len(links_in(message)) == 2
    assert outbox(app) == [], "with a server configured nothing goes to the outbox"
    assert queued() == [], "a delivered message leaves no row behind (it holds an address and private links)"


def test_an_internationalized_address_gets_its_links_through_smtputf8(client, app, smtp_server):
    address = "דני.לוי@דואר.example"
    assert client.post("/submit", data=submit_form(client, contact_email=address)).status_code == 303
    ((recipients, message),) = smtp_server.messages
    assert recipients == [address]
    # Sent as written, with SMTPUTF8: an RFC 2047 encoded word is no address to a real mail server.
    (envelope,) = smtp_server.envelopes
    assert "SMTPUTF8" in envelope.mail_options
    assert f"To: {address}".encode() in envelope.original_content.splitlines()
    assert len(links_in(message)) == 2


def test_header_injection_through_a_recipient_is_impossible(app, smtp_server):
    with pytest.raises(ValueError):
        mail.compose("links", "a@example.org\r\nBcc: victim@example.org", language="en", letter=None, manage_url="x")


# --- queued in the transaction of the change ----------------------------------------------------


def test_the_mail_is_queued_in_the_transaction_of_the_change_and_rolled_back_with_it(app, monkeypatch, smtp_server):
    real_queue = mail.queue
    seen_inside = []

    def queue_then_fail(*args, **kwargs):
        real_queue(*args, **kwargs)
        # The row is in the database, inside the change's transaction...
        seen_inside.append(db.session.execute(select(func.count()).select_from(QueuedMail)).scalar_one())
        raise RuntimeError("the change fails after its mail was queued")

    monkeypatch.setattr(mail, "queue", queue_then_fail)
    with pytest.raises(RuntimeError):
        letters.submit(display_name="Dan Stein", language="en", body_text="I refuse.", contact_email="dan@private.example")
    assert seen_inside == [1]
    # ... and leaves with it: no letter, no message, nothing sent.
    assert queued() == [] and db.session.execute(select(Letter)).first() is None
    assert mail.deliver_due().sent == 0 and smtp_server.messages == []


def test_a_request_that_fails_after_queueing_sends_nothing(client, app, monkeypatch, smtp_server):
    real_queue = mail.queue

    def queue_then_fail(*args, **kwargs):
        real_queue(*args, **kwargs)
        raise RuntimeError("the database went away before the commit")

    monkeypatch.setattr(mail, "queue", queue_then_fail)
    response = client.post("/submit", data=submit_form(client))
    assert response.status_code == 500
    assert queued() == [] and db.session.execute(select(Letter)).first() is None
    assert smtp_server.messages == [], "the after-response delivery found nothing to send"


def test_queueing_outside_a_write_transaction_is_refused(app):
    letter = make_letter(LetterStatus.PENDING)
    with pytest.raises(RuntimeError, match="inside the write transaction"):
        notify.queue_links(letter, template="links")


def test_a_decision_and_its_mail_are_one_transaction(app, smtp_server):
    letter = make_letter(LetterStatus.PENDING, contact_email="author@private.example")
    before = len(queued())
    with pytest.raises(letters.StaleLetter):
        letters.reject(letter, by="test", reason="not verifiable", expected_revision=letter.revision - 1)
    assert len(queued()) == before, "a refused decision queues nothing"
    letters.reject(letter, by="test", reason="not verifiable", expected_revision=letter.revision)
    (rejection,) = [row for row in queued() if row.template == "rejected"]
    assert rejection.letter_id == letter.id and b"author@private.example" in rejection.message


# --- delivery -----------------------------------------------------------------------------------


def test_without_after_response_delivery_send_mail_delivers_to_the_outbox_folder(client, app, runner):
    app.config.update(MAIL_SERVER=None, MAIL_DELIVER_AFTER_RESPONSE=False)
    assert client.post("/submit", data=submit_form(client)).status_code == 303
    assert outbox(app) == [] and len(queued()) == 1, "queued, not sent, by the request"
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "sent 1;" in result.output, result.output
    (message,) = outbox(app)
    assert message["To"] == "sami@private.example" and len(links_in(message)) == 2
    assert queued() == []
    assert "sent 0;" in runner.invoke(args=["send-mail"]).output, "delivered once"


def test_a_refused_message_is_retried_after_a_backoff_and_then_delivered(client, app, smtp_server, caplog):
    smtp_server.refusals = ["451 4.3.0 Try again later"]
    assert client.post("/submit", data=submit_form(client)).status_code == 303, "the author is not told about mail trouble"
    assert smtp_server.messages == []
    (row,) = queued()
    assert (row.attempts, row.last_error) == (1, "SMTPDataError 451")
    assert timedelta(seconds=25) < row.available_at - utcnow() <= timedelta(seconds=30)

    assert mail.deliver_due().sent == 0, "not before its backoff"
    assert mail.deliver_due(now=utcnow() + timedelta(seconds=31)).sent == 1
    ((recipients, message),) = smtp_server.messages
    assert recipients == ["sami@private.example"] and message["Content-Language"] == "ar"
    assert queued() == []
    assert "sami@private.example" not in caplog.text, "logs name the kind of message, never the address"


def test_the_backoff_doubles_and_a_hopeless_message_is_dropped_and_logged_without_its_address(app, smtp_server, caplog):
    app.config.update(MAIL_MAX_ATTEMPTS=3)
    smtp_server.refusals = ["451 4.3.0 Try again later"] * 5
    make_letter(LetterStatus.UNCONFIRMED, contact_email="hopeless@private.example")
    now = utcnow()
    waits = []
    for _ in range(2):
        assert mail.deliver_due(now=now).retrying == 1
        (row,) = queued()
        waits.append(row.available_at - now)
        now = row.available_at
    assert waits == [timedelta(seconds=30), timedelta(seconds=60)]
    result = mail.deliver_due(now=now)
    assert (result.sent, result.retrying, result.dropped) == (0, 0, 1)
    assert queued() == [] and smtp_server.messages == []
    assert "dropped after 3 attempts" in caplog.text and "hopeless@private.example" not in caplog.text


def test_a_mailbox_refused_for_good_is_dropped_at_once_and_the_rest_delivered(app, smtp_server, caplog):
    smtp_server.unknown_mailboxes = {"gone@private.example"}
    make_letter(LetterStatus.UNCONFIRMED, contact_email="gone@private.example")
    make_letter(LetterStatus.UNCONFIRMED, contact_email="here@private.example")
    result = mail.deliver_due()
    assert (result.sent, result.dropped) == (1, 1)
    assert [recipients for recipients, _ in smtp_server.messages] == [["here@private.example"]]
    assert queued() == []
    assert "SMTPRecipientsRefused 550" in caplog.text and "gone@private.example" not in caplog.text


def test_a_mail_server_that_cannot_be_reached_fails_the_batch_for_a_later_retry(app):
    app.config.update(MAIL_PORT=9, MAIL_TIMEOUT=2)
    make_letter(LetterStatus.UNCONFIRMED)
    make_letter(LetterStatus.UNCONFIRMED)
    assert mail.deliver_due().retrying == 2
    assert [row.attempts for row in queued()] == [1, 1]


def test_a_message_claimed_by_a_sender_that_died_is_sent_when_its_claim_lapses(app, smtp_server):
    make_letter(LetterStatus.UNCONFIRMED, contact_email="late@private.example")
    now = utcnow()
    mail._claim(now, 10)  # a sender takes the message, then dies before sending it
    assert mail.deliver_due(now=now + timedelta(seconds=10)).sent == 0, "nobody else takes it while it is claimed"
    lapse = now + timedelta(seconds=app.config["MAIL_CLAIM_SECONDS"] + 1)
    assert mail.deliver_due(now=lapse).sent == 1
    assert [recipients for recipients, _ in smtp_server.messages] == [["late@private.example"]]
    assert queued() == []


def test_two_senders_at_once_deliver_each_message_exactly_once(app, make_app, smtp_server):
    addresses = [f"author{i}@private.example" for i in range(40)]
    for address in addresses:
        make_letter(LetterStatus.UNCONFIRMED, contact_email=address)
    db.session.remove()
    smtp_server.delay = 0.005  # slow enough that the two senders' batches interleave
    senders = [make_app(MAIL_BATCH_SIZE=2), make_app(MAIL_BATCH_SIZE=2)]
    barrier = threading.Barrier(len(senders))
    sent: list[int] = []
    errors: list[BaseException] = []

    def run(sender) -> None:
        try:
            with sender.app_context():
                barrier.wait()
                sent.append(mail.deliver_due().sent)
                db.session.remove()
        except BaseException as error:  # reported below, in the test's own thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    delivered = sorted(recipient for recipients, _ in smtp_server.messages for recipient in recipients)
    assert delivered == sorted(addresses), "every message once: none lost, none twice"
    assert sum(sent) == len(addresses) and min(sent) > 0, f"both senders worked at once: {sent}"
    assert queued() == []


def test_send_until_keeps_delivering_until_stopped(app, smtp_server):
    app.config.update(MAIL_POLL_SECONDS=0.05)
    stop = threading.Event()
    reports: list[mail.Delivery] = []

    def sender() -> None:
        with app.app_context():
            mail.send_until(stop, report=reports.append)

    thread = threading.Thread(target=sender)
    thread.start()
    try:
        make_letter(LetterStatus.UNCONFIRMED, contact_email="first@private.example")
        deadline = time.monotonic() + 10
        while len(smtp_server.messages) < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        make_letter(LetterStatus.UNCONFIRMED, contact_email="second@private.example")
        while len(smtp_server.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive(), "stopped when asked"
    assert [r for recipients, _ in smtp_server.messages for r in recipients] == ["first@private.example", "second@private.example"]
    assert sum(r.sent for r in reports) == 2 and queued() == []


@pytest.mark.slow
def test_the_send_mail_service_delivers_and_stops_on_sigterm(app, app_config, smtp_server, tmp_path):
    """`flask send-mail --loop` as production runs it: a process of its own, stopped by SIGTERM."""
    make_letter(LetterStatus.UNCONFIRMED, contact_email="service@private.example")
    db.session.remove()
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "REFUSAL_DATABASE_URL": app_config["DATABASE_URL"],
        "REFUSAL_SECRET_KEY": app_config["SECRET_KEY"],
        "REFUSAL_MAIL_SERVER": "127.0.0.1",
        "REFUSAL_MAIL_PORT": str(smtp_server.port),
        "REFUSAL_MAIL_USE_TLS": "false",
        "REFUSAL_MAIL_POLL_SECONDS": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "refusal_site", "send-mail", "--loop"],
        cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not smtp_server.messages and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert [r for recipients, _ in smtp_server.messages for r in recipients] == ["service@private.example"]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "sent 1;" in output and "service@private.example" not in output
    assert queued() == []


# --- privacy chores -------------------------------------------------------------------------------


def test_purge_and_erasure_also_remove_mail_not_sent_yet(app, runner, smtp_server):
    """Mail waiting for a retry holds the address: it goes when the letter or the address goes."""
    long_ago = utcnow() - timedelta(days=8)
    smtp_server.refusals = ["451 4.3.0 Try again later"] * 20
    make_letter(LetterStatus.UNCONFIRMED, submitted_at=long_ago, contact_email="old@private.example")
    make_letter(LetterStatus.REJECTED, contact_email="decided@private.example")
    waiting = make_letter(LetterStatus.PENDING, contact_email="waiting@private.example")
    collective = make_collective(contact_email="collective@private.example")
    old_signature = make_signature(collective, "unconfirmed", email="old-signer@private.example")
    with write_transaction():
        db.session.execute(update(Signature).where(Signature.id == old_signature.id).values(submitted_at=long_ago))
    make_signature(collective, "published", email="signer@private.example")
    # Six confirmations, a rejection, and the news that the collective letter and the signature were published.
    assert mail.deliver_due().retrying == len(queued()) == 9, "every message failed and waits for a retry"

    assert runner.invoke(args=["purge-unconfirmed"]).exit_code == 0
    assert runner.invoke(args=["erase-contacts", "--days", "0"]).exit_code == 0
    left = b" ".join(row.message for row in queued())
    for gone in ("old@", "decided@", "collective@", "old-signer@", "signer@"):
        assert f"{gone}private.example".encode() not in left, gone
    assert {row.letter_id for row in queued()} == {waiting.id}, "mail about an undecided letter stays"
