"""The append-only audit trail: one row for every state change and who made it."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import AuditEvent, Letter, Moderator
from .storage import write_transaction


class AuditAction(StrEnum):
    LETTER_SUBMIT = "letter:submit"
    LETTER_CONFIRM = "letter:confirm"
    LETTER_PUBLISH = "letter:publish"
    LETTER_REJECT = "letter:reject"
    LETTER_WITHDRAW = "letter:withdraw"
    LETTER_UNPUBLISH = "letter:unpublish"
    LETTER_SCHEDULE = "letter:schedule"
    LETTER_UNSCHEDULE = "letter:unschedule"
    LETTER_EDIT = "letter:edit"
    LETTER_PURGE = "letter:purge"
    LETTER_OPEN_SIGNING = "letter:open-signing"
    LETTER_CLOSE_SIGNING = "letter:close-signing"
    LETTER_RESANITIZE = "letter:resanitize"
    LETTER_RENDER_FAILED = "letter:render-failed"
    LETTER_CORRECT_ADDRESS = "letter:correct-address"  # by the author, before confirming
    LETTER_CORRECT_TEXT = "letter:correct-text"  # by the author, before confirming
    LETTER_PAUSE = "letter:pause"  # hidden for now, by its author or an admin (with a reason)
    LETTER_RESUME = "letter:resume"  # shown again, with its original date
    SIGNATURE_SUBMIT = "signature:submit"
    SIGNATURE_CONFIRM = "signature:confirm"
    SIGNATURE_PUBLISH = "signature:publish"
    SIGNATURE_REJECT = "signature:reject"
    SIGNATURE_UNPUBLISH = "signature:unpublish"
    SIGNATURE_WITHDRAW = "signature:withdraw"
    SIGNATURE_PURGE = "signature:purge"
    SIGNATURE_PAUSE = "signature:pause"  # hidden for now, by its signer or an admin (with a reason)
    SIGNATURE_RESUME = "signature:resume"  # shown again, in its place and with its original date
    TRANSLATION_CLAIM = "translation:claim"  # held by one member of the team while they write it
    TRANSLATION_RELEASE = "translation:release"
    TRANSLATION_SAVE = "translation:save"  # written or edited by the team (a draft)
    TRANSLATION_SEND = "translation:send"  # mailed to the author to approve
    TRANSLATION_APPROVE = "translation:approve"  # public: by the author, or by an admin once the author's address is erased
    TRANSLATION_RETURN = "translation:return"  # sent back by the author with a comment
    TRANSLATION_WRITE_BY_AUTHOR = "translation:write-by-author"  # waits for the team's check (author_translations.py)
    TRANSLATION_PUBLISH_CHECKED = "translation:publish-checked"  # the author's own, published after a moderator's check
    TRANSLATION_RETURN_TO_AUTHOR = "translation:return-to-author"  # the author's own, sent back by a moderator with a reason
    TRANSLATION_TO_REVIEW = "translation:to-review"  # the original was corrected
    CONTACT_ERASE = "contact:erase"
    CONTACT_MESSAGE_HANDLE = "contact-message:handle"
    CONTACT_MESSAGE_REOPEN = "contact-message:reopen"
    CONTACT_MESSAGE_PURGE = "contact-message:purge"
    SITE_PAGE_EDIT = "site-page:edit"
    TALLY_REPAIR = "tally:repair"
    MODERATOR_CREATE = "moderator:create"
    MODERATOR_SIGN_IN = "moderator:sign-in"
    MODERATOR_SIGN_IN_FAILED = "moderator:sign-in-failed"
    MODERATOR_LOCKED = "moderator:locked"
    # A known browser failed MAX_FAILURES times: the account's known browsers are forgotten.
    MODERATOR_BROWSERS_FORGET = "moderator:browsers-forget"
    MODERATOR_SIGN_OUT = "moderator:sign-out"
    MODERATOR_PASSWORD_CHANGE = "moderator:password-change"
    MODERATOR_TOTP_ENABLE = "moderator:totp-enable"
    MODERATOR_TOTP_RESET = "moderator:totp-reset"
    MODERATOR_TOTP_REQUIRE = "moderator:totp-require"
    MODERATOR_RECOVERY_CODE_USE = "moderator:recovery-code-use"
    MODERATOR_RECOVERY_CODES_RENEW = "moderator:recovery-codes-renew"
    MODERATOR_DEACTIVATE = "moderator:deactivate"
    MODERATOR_ACTIVATE = "moderator:activate"
    MODERATOR_ROLE_CHANGE = "moderator:role-change"
    MODERATOR_DIGEST_MAIL = "moderator:digest-mail"  # turned the moderation digest on or off
    DELAY_NOTICE_EDIT = "delay-notice:edit"
    REJECTION_REASON_CREATE = "rejection-reason:create"
    REJECTION_REASON_EDIT = "rejection-reason:edit"
    REJECTION_REASON_RETIRE = "rejection-reason:retire"  # no longer offered to moderators
    REJECTION_REASON_RESTORE = "rejection-reason:restore"  # offered again
    PRESS_PREVIEW_CREATE = "press-preview:create"  # a link for named journalists to an embargo's letters
    PRESS_PREVIEW_REVOKE = "press-preview:revoke"
    PRESS_PREVIEW_OPEN = "press-preview:open"  # its page or its PDF, opened through the link
    AUDIT_EXPORT = "audit:export"
    DEMO_SEED = "demo:seed"


class Actor(StrEnum):
    """Who acted, when it was not a moderator (a moderator's row names their account)."""

    AUTHOR = "author"  # a letter's author, through their private links
    SIGNER = "signer"  # a co-signer, through theirs
    SYSTEM = "system"  # the site by itself: a scheduled publication, retention, a lockout, a PDF
    CLI = "cli"  # someone on the server, through a flask command
    ANONYMOUS = "anonymous"  # a visitor not signed in (a failed sign-in)
    JOURNALIST = "journalist"  # whoever holds a press preview's link


def record(
    actor: Moderator | Actor,
    action: AuditAction,
    letter: Letter | None = None,
    *,
    reason: str | None = None,
    hash_before: str | None = None,
    hash_after: str | None = None,
    **details: object,
) -> AuditEvent:
    """Add an audit row to the current transaction (the caller commits it with the change)."""
    event = AuditEvent(
        action=str(action),
        actor_id=actor.id if isinstance(actor, Moderator) else None,
        actor_label=str(actor.role if isinstance(actor, Moderator) else actor),
        letter_id=letter.id if letter is not None else None,
        reason=reason,
        hash_before=hash_before,
        hash_after=hash_after,
        details=details,
    )
    db.session.add(event)
    return event


def record_export(by: Moderator, where: "AuditFilter") -> None:
    """Put an export of the log on the log itself, in its own transaction, before the file is sent."""
    with write_transaction():
        record(by, AuditAction.AUDIT_EXPORT, None, **{k: str(v) for k, v in vars(where).items() if v is not None})


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    moderator_id: int | None = None
    letter_public_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def events(where: AuditFilter) -> Select[tuple[AuditEvent]]:
    """Audit rows matching a filter, newest first, with their actor and letter loaded in bulk."""
    query = select(AuditEvent).options(selectinload(AuditEvent.actor), selectinload(AuditEvent.letter))
    if where.action:
        query = query.where(AuditEvent.action == where.action)
    if where.moderator_id is not None:
        query = query.where(AuditEvent.actor_id == where.moderator_id)
    if where.letter_public_id:
        query = query.where(AuditEvent.letter.has(Letter.public_id == where.letter_public_id))
    if where.since:
        query = query.where(AuditEvent.at >= where.since)
    if where.until:
        query = query.where(AuditEvent.at < where.until)
    return query.order_by(AuditEvent.id.desc())


CSV_COLUMNS = ("id", "at", "action", "actor", "letter", "reason", "hash_before", "hash_after", "details")


def csv_rows(where: AuditFilter, batch: int = 1000) -> Iterator[str]:
    """The filtered log as CSV text, streamed in batches (spreadsheet formula characters neutralized)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    yield out.getvalue()
    for event in db.session.execute(events(where).execution_options(yield_per=batch)).scalars():
        out.seek(0)
        out.truncate()
        writer.writerow(
            _cell(v)
            for v in (
                event.id,
                event.at.isoformat(),
                event.action,
                event.actor.email if event.actor else event.actor_label,
                event.letter.public_id if event.letter else "",
                event.reason or "",
                event.hash_before or "",
                event.hash_after or "",
                event.details,
            )
        )
        yield out.getvalue()


def _cell(value: object) -> str:
    text = str(value)
    # A cell starting with = + - @ would run as a formula in a spreadsheet.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
