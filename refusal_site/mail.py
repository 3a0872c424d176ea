"""The only module that sends mail: through SMTP when configured, else into instance/outbox/ as .eml files."""

import os
import smtplib
import ssl
import tempfile
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import current_app, render_template
from flask_babel import force_locale

from .models import utcnow


class MailError(Exception):
    """The message could not be handed to the mail server (or written to the outbox)."""


def compose(template: str, to: str, *, language: str, **context) -> EmailMessage:
    """Render templates/email/<template>/{subject,body}.txt in `language` into a message."""
    with force_locale(language):
        subject = render_template(f"email/{template}/subject.txt", **context)
        body = render_template(f"email/{template}/body.txt", **context)
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=current_app.config["MAIL_SENDER"].rpartition("@")[2].strip(">") or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body.strip() + "\n")
    message["Content-Language"] = language  # after set_content, which drops Content-* headers
    return message


def send(template: str, to: str, *, language: str, **context) -> EmailMessage:
    """Compose and deliver one message; MailError if it could not be handed over."""
    message = compose(template, to, language=language, **context)
    try:
        if current_app.config["MAIL_SERVER"]:
            _send_smtp(message)
        else:
            _write_outbox(message)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.error("mail %r could not be sent: %s", template, type(error).__name__)
        raise MailError(str(error)) from error
    return message


def _send_smtp(message: EmailMessage) -> None:
    config = current_app.config
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    with smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(message)


def outbox_path() -> str:
    return os.path.join(current_app.instance_path, "outbox")


def _write_outbox(message: EmailMessage) -> None:
    """Write atomically, so a reader of the outbox never sees half a message."""
    folder = outbox_path()
    os.makedirs(folder, exist_ok=True)
    name = f"{utcnow():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(message.as_bytes())
        os.replace(tmp, os.path.join(folder, name))
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
