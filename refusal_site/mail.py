"""The only module that sends mail, through a transactional outbox.

`queue` composes a message and stores it in the transaction of the change that causes it, so an
acknowledged change never loses its mail and a rolled-back one sends nothing. Delivery happens
outside the request: right after the response, by the worker that queued it (wired in http.py),
and by `flask send-mail` (`deliver_due`), which also retries failures with a growing backoff.
Messages go through SMTP when MAIL_SERVER is set, else into instance/outbox/ as .eml files.
A delivered message is deleted at once; one that keeps failing is dropped after MAIL_MAX_ATTEMPTS.
Delivery is at least once: a sender that dies between handing a message over and deleting its
row leaves it to be sent again when its claim runs out (with the same Message-ID).

Nobody can make the site flood an address: a message anyone can cause by typing an address
(a confirmation, links, a sign-again notice) is not queued once its recipient got
MAIL_RECIPIENT_HOURLY of them in the last hour or MAIL_RECIPIENT_DAILY in the last day. A moderator's
decision about a letter or a signature (`DECISIONS`) is never held back: strangers cannot cause it, and its
recipient needs every one. So is the team hiding, showing again or taking down someone's public
letters or signatures: one action mails each mailbox once, however many of theirs it changed
(notify.queue_team_change), so a bulk hide during a flood sends no one a flood. The limit counts
mail_marks rows, keyed by a keyed hash of the address.
"""

import hashlib
import hmac
import os
import re
import smtplib
import ssl
import tempfile
import threading
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.header import Header
from email.message import EmailMessage
from email.mime.text import MIMEText
from email.parser import HeaderParser
from email.policy import compat32
from email.policy import default as default_policy
from email.utils import format_datetime, formataddr, getaddresses, make_msgid, parseaddr, quote

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import case, delete, func, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError

from .extensions import db
from .languages import SITE_NAME
from .models import Letter, MailMark, QueuedMail, Signature, utcnow
from .sanitize import unlinked
from .storage import in_write_transaction, write_transaction

_LINE_END = re.compile(rb"\r?\n")
# Where the ids of the messages queued in this app context are kept (the database session's info).
_QUEUED_HERE = "refusal_queued_mail"


# An address that is not ASCII travels as written, in a message with UTF-8 headers sent with
# SMTPUTF8 (RFC 6531): an RFC 2047 encoded word in an address is no address to a mail server.
_INTERNATIONAL = default_policy.clone(utf8=True)
_SMTPUTF8 = ["SMTPUTF8", "BODY=8BITMIME"]

# Messages about a moderator's decision on a letter or a signature: strangers cannot cause them and
# their recipient needs every one, so the per-recipient limit never holds them back. Every other kind
# is limited.
DECISIONS = frozenset({
    "rejected", "unpublished", "corrected", "published", "scheduled", "signature_published", "translation", "translation_review", "translation_returned",
    "unscheduled", "letter_hidden", "letter_shown", "signature_hidden", "signature_shown", "signature_unpublished",
})  # fmt: skip
# Mail to the team, not to an address anyone typed: the moderators' digest goes at most once a window.
TO_MODERATORS = frozenset({"moderation_digest", "translation_review_team"})
# Mailbox providers that ignore dots in the local part: "a.b@gmail.com" is "ab@gmail.com".
_DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def compose(template: str, to: str, *, language: str, **context) -> bytes:
    """Render templates/email/<template>/{subject,body}.txt in `language` into a message, as sent."""
    if "\r" in to or "\n" in to:
        raise ValueError("a line break in an address would start a header of its own")
    with force_locale(language):
        context.setdefault("unlinked", unlinked)
        subject = " ".join(render_template(f"email/{template}/subject.txt", **context).split())
        body = render_template(f"email/{template}/body.txt", **context).strip() + "\n"
        # The mail comes from the site, by its name in the mail's language.
        sender_name = str(SITE_NAME)
    sender_address = _sender_address()
    if (to + sender_address).isascii():
        # The email package's compat32 classes: a third of what the default policy's header objects
        # and refolding cost (every submission composes a message). Non-ASCII text is encoded here.
        message = MIMEText(body, "plain", "utf-8")
        sender, subject = formataddr((sender_name, sender_address), charset="utf-8"), Header(subject, "utf-8")
    else:
        message = EmailMessage(policy=_INTERNATIONAL)
        message.set_content(body)
        # As written, in UTF-8 (headerregistry.Address refuses a local part that is not ASCII).
        sender = f'"{quote(sender_name)}" <{sender_address}>'
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=sender_address.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    return message.as_bytes()


def _sender_address() -> str:
    """The address MAIL_SENDER sets; a display name given with it ("Name <address>") yields to the site's name."""
    return parseaddr(current_app.config["MAIL_SENDER"])[1]


def queue(template: str, to: str, *, language: str, about: Letter | Signature | None, **context) -> QueuedMail | None:
    """Compose the message now and add it to the current write transaction: it is stored if and only
    if the change that causes it is, and sent after the commit. None when the recipient's limit
    holds it back (logged without the address)."""
    if not in_write_transaction():
        raise RuntimeError("mail.queue() belongs inside the write transaction of the change that causes the mail")
    if template not in DECISIONS | TO_MODERATORS and not _within_limit(template, to):
        return None
    row = QueuedMail(
        template=template,
        message=compose(template, to, language=language, **context),
        letter_id=about.id if isinstance(about, Letter) else None,
        signature_id=about.id if isinstance(about, Signature) else None,
        attempts=0,
    )
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(_QUEUED_HERE, []).append(row.id)
    return row


def recipient_key(address: str) -> str:
    """A keyed hash of the address as a mailbox sees it: case, Unicode form, "+tag" and (where the
    provider ignores them) dots make no difference; useless without SECRET_KEY."""
    local, _, domain = unicodedata.normalize("NFKC", address.strip()).casefold().rpartition("@")
    local = local.split("+", 1)[0]
    domain = domain.rstrip(".")
    if domain in _DOTLESS_DOMAINS:
        domain = "gmail.com"  # one mailbox under both names
        local = local.replace(".", "")
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"mail-recipient|{local}@{domain}".encode(), hashlib.sha256).hexdigest()


def _within_limit(template: str, to: str) -> bool:
    """Count this message against its recipient's limits and say whether it may go; one writer per
    recipient at a time, so a burst of requests cannot all read the same count."""
    config = current_app.config
    key = recipient_key(to)
    now = utcnow()
    hour_ago, day_ago = now - timedelta(hours=1), now - timedelta(days=1)
    if db.session.get_bind().dialect.name == "postgresql":
        # SQLite's write transaction (BEGIN IMMEDIATE) already admits one writer at a time.
        db.session.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": int(key[:15], 16)})
    # Older marks are left to prune_marks (send-mail): deleting them here cost every message a write.
    in_hour, in_day = db.session.execute(
        select(func.coalesce(func.sum(case((MailMark.queued_at >= hour_ago, 1), else_=0)), 0), func.count())
        .where(MailMark.recipient_key == key, MailMark.queued_at >= day_ago)
    ).one()
    if in_hour >= config["MAIL_RECIPIENT_HOURLY"] or in_day >= config["MAIL_RECIPIENT_DAILY"]:
        current_app.logger.warning("mail %r not queued: its recipient got %d such messages in the last hour, %d in the last day", template, in_hour, in_day)
        return False
    db.session.add(MailMark(recipient_key=key, template=template, queued_at=now))
    return True


def prune_marks(*, now: datetime | None = None) -> int:
    """Forget the marks older than a day (the longest limit); return how many."""
    cutoff = (now or utcnow()) - timedelta(days=1)
    with write_transaction():
        return db.session.execute(delete(MailMark).where(MailMark.queued_at < cutoff)).rowcount


@dataclass
class Delivery:
    """What one delivery run did, in numbers (never addresses)."""

    sent: int = 0
    retrying: int = 0  # failed this time; another attempt after the backoff
    dropped: int = 0  # failed for good (refused mailbox, or too many attempts); deleted and logged

    def __iadd__(self, other: "Delivery") -> "Delivery":
        self.sent += other.sent
        self.retrying += other.retrying
        self.dropped += other.dropped
        return self


@dataclass(frozen=True)
class _Claimed:
    id: int
    template: str
    message: bytes
    attempts: int  # including this one


def deliver_due(*, now: datetime | None = None, stop: threading.Event | None = None) -> Delivery:
    """Send every message that is due, batch after batch, each batch claimed by this sender alone;
    between batches, return early once `stop` is set."""
    total = Delivery()
    size = current_app.config["MAIL_BATCH_SIZE"]
    while not (stop and stop.is_set()):
        moment = now or utcnow()
        batch = _claim(moment, size)
        if not batch:
            break
        total += _send(batch, moment)
        if len(batch) < size:
            break
    return total


def send_until(
    stop: threading.Event, report: Callable[[Delivery], None] = lambda _: None, every_minute: Callable[[], object] = lambda: None
) -> None:
    """The sender process (`send-mail --loop`): deliver what is due, wait MAIL_POLL_SECONDS when nothing
    is, until `stop` is set (it finishes the batch in hand first); call `every_minute` (mail that is
    due by the clock, such as the moderators' digest) about once a minute. A database that cannot be
    reached is waited for, not fatal."""
    outage, pruned, ticked = 0, 0.0, 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - pruned > 3600:
                prune_marks()
                pruned = time.monotonic()
            if time.monotonic() - ticked > 60:
                every_minute()
                ticked = time.monotonic()
            result = deliver_due(stop=stop)
        except (OperationalError, DBAPIError) as error:
            if not isinstance(error, OperationalError) and not error.connection_invalidated:
                raise
            db.session.remove()
            outage += 1
            wait = min(current_app.config["MAIL_POLL_SECONDS"] * 2**outage, 60)
            current_app.logger.warning("send-mail: database unavailable (%s); trying again in %.0f s", type(error.orig).__name__, wait)
            stop.wait(wait)
            continue
        outage = 0
        db.session.remove()
        if result.sent or result.retrying or result.dropped:
            report(result)
        else:
            stop.wait(current_app.config["MAIL_POLL_SECONDS"])


def deliver_queued() -> Delivery:
    """Send the messages queued in this app context (after a response), unless MAIL_DELIVER_AFTER_RESPONSE
    is off; whatever is left, send-mail sends."""
    ids = db.session.info.pop(_QUEUED_HERE, None) or []
    return deliver_ids(ids) if current_app.config["MAIL_DELIVER_AFTER_RESPONSE"] else Delivery()


def deliver_ids(ids: list[int]) -> Delivery:
    """Deliver these queued messages now, those still due and not claimed by another sender."""
    if not ids:
        return Delivery()
    moment = utcnow()
    return _send(_claim(moment, len(ids), ids=ids), moment)


def take_queued_here() -> list[int]:
    """Take the ids of what this session queued so far, so that one caller delivers them."""
    # Most requests never open a database session: nothing to look at then.
    if not db.session.registry.has():
        return []
    return db.session.info.pop(_QUEUED_HERE, None) or []


def _claim(now: datetime, limit: int, *, ids: list[int] | None = None) -> list[_Claimed]:
    """Take up to `limit` due messages for this sender: each is postponed by MAIL_CLAIM_SECONDS (a lease
    that lapses by itself if this sender dies) and its attempt counted, in one short transaction."""
    query = (
        select(QueuedMail.id, QueuedMail.template, QueuedMail.message, QueuedMail.attempts)
        .where(QueuedMail.available_at <= now)
        .order_by(QueuedMail.id)
        .limit(limit)
        # PostgreSQL: rows another sender is claiming are skipped, not waited for; SQLite has no
        # row locks, and its write transaction (BEGIN IMMEDIATE) admits one claimer at a time.
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(QueuedMail.id.in_(ids))
    lease_end = now + timedelta(seconds=current_app.config["MAIL_CLAIM_SECONDS"])
    with write_transaction():
        rows = db.session.execute(query).all()
        if rows:
            db.session.execute(
                update(QueuedMail)
                .where(QueuedMail.id.in_([row.id for row in rows]))
                .values(available_at=lease_end, attempts=QueuedMail.attempts + 1)
            )
    return [_Claimed(row.id, row.template, bytes(row.message), row.attempts + 1) for row in rows]


def _send(batch: list[_Claimed], now: datetime) -> Delivery:
    """Hand the claimed messages over (one SMTP connection for the batch), then settle their rows."""
    if not batch:
        return Delivery()
    config = current_app.config
    # Stop in time to settle before the claim lapses, so no other sender can take a message we still hold.
    deadline = time.monotonic() + config["MAIL_CLAIM_SECONDS"] - min(2 * config["MAIL_TIMEOUT"], config["MAIL_CLAIM_SECONDS"] / 2)
    sent: list[int] = []
    failed: dict[int, Exception] = {}
    current: _Claimed | None = None
    try:
        with _transport() as hand_over:
            for item in batch:
                if time.monotonic() > deadline:
                    break
                current = item
                try:
                    hand_over(item.message)
                except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
                    # The server answered about this message; the connection is still usable
                    # unless it said it is closing (421).
                    failed[item.id] = error
                    if getattr(error, "smtp_code", None) == 421:
                        break
                else:
                    sent.append(item.id)
                current = None
    except (OSError, smtplib.SMTPException) as error:
        if current is not None:
            failed[current.id] = error  # the connection broke while this one was being sent
        elif not sent and not failed:
            failed = {item.id: error for item in batch}  # no connection at all: the whole batch failed
    return _settle(batch, sent, failed, now)


def _settle(batch: list[_Claimed], sent: list[int], failed: dict[int, Exception], now: datetime) -> Delivery:
    """Delete what was delivered; reschedule or drop what failed; give back what was not tried."""
    config = current_app.config
    logger = current_app.logger
    result = Delivery(sent=len(sent))
    untried = [item.id for item in batch if item.id not in failed and item.id not in sent]
    with write_transaction():
        if sent:
            db.session.execute(delete(QueuedMail).where(QueuedMail.id.in_(sent)))
        for item in batch:
            error = failed.get(item.id)
            if error is None:
                continue
            described = _describe(error)
            if _permanent(error) or item.attempts >= config["MAIL_MAX_ATTEMPTS"]:
                db.session.execute(delete(QueuedMail).where(QueuedMail.id == item.id))
                logger.error("mail %r #%d dropped after %d attempts: %s", item.template, item.id, item.attempts, described)
                result.dropped += 1
                continue
            delay = min(config["MAIL_RETRY_SECONDS"] * 2 ** (item.attempts - 1), config["MAIL_RETRY_MAX_SECONDS"])
            db.session.execute(
                update(QueuedMail)
                .where(QueuedMail.id == item.id)
                .values(available_at=now + timedelta(seconds=delay), last_error=described)
            )
            logger.warning("mail %r #%d: attempt %d failed (%s); next in %d s", item.template, item.id, item.attempts, described, delay)
            result.retrying += 1
        if untried:
            db.session.execute(
                update(QueuedMail).where(QueuedMail.id.in_(untried)).values(available_at=now, attempts=QueuedMail.attempts - 1)
            )
    return result


def _permanent(error: Exception) -> bool:
    """The server refused the mailbox for good (5xx): no later attempt can succeed."""
    return isinstance(error, smtplib.SMTPRecipientsRefused) and all(code >= 500 for code, _ in error.recipients.values())


def _describe(error: Exception) -> str:
    """The error's class and SMTP codes, never its text: a server's reply may quote the address."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = " ".join(str(code) for code, _ in error.recipients.values())
    else:
        codes = str(getattr(error, "smtp_code", "") or "")
    return f"{type(error).__name__} {codes}".strip()[:80]


@contextmanager
def _transport() -> Iterator[Callable[[bytes], None]]:
    """A function that hands one message over: to the SMTP server (one connection), or to the outbox folder."""
    if not current_app.config["MAIL_SERVER"]:
        yield _write_outbox
        return
    with _smtp_connection() as smtp:
        yield lambda data: _send_smtp(smtp, data)


def _send_smtp(smtp: smtplib.SMTP, data: bytes) -> None:
    """Send the stored bytes as they are: only the envelope is read from the headers."""
    head = data.partition(b"\n\n")[0].decode("utf-8")  # UTF-8 only where an address is not ASCII
    headers = HeaderParser(policy=compat32).parsestr(head, headersonly=True)
    sender = parseaddr(str(headers["From"]))[1]
    recipients = [address for _, address in getaddresses([str(v) for v in headers.get_all("To", [])])]
    options = [] if (sender + "".join(recipients)).isascii() else _SMTPUTF8
    # SMTP wants CRLF line ends; the stored message has the generator's LF (as the .eml files do).
    smtp.sendmail(sender, recipients, _LINE_END.sub(b"\r\n", data), mail_options=options)


@contextmanager
def _smtp_connection() -> Iterator[smtplib.SMTP]:
    config = current_app.config
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    try:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        yield smtp
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # a broken connection cannot say goodbye; what was sent is sent
        smtp.close()


def outbox_path() -> str:
    return os.path.join(current_app.instance_path, "outbox")


def _write_outbox(data: bytes) -> None:
    """Write atomically, so a reader of the outbox never sees half a message."""
    folder = outbox_path()
    os.makedirs(folder, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
