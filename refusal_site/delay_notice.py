"""What authors of a waiting letter are told about how long moderators take ("moderators usually
answer within ..."), in each language as an admin set it, or a default sentence."""

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from . import audit, sanitize
from .audit import AuditAction
from .extensions import db
from .models import DelayNotice, Language, Moderator, utcnow
from .storage import write_transaction

DEFAULT = _l("Moderators usually answer within a day or two.")


def notice(language: str) -> str:
    """The notice in this language: the admins' text, else the default sentence in that language."""
    row = db.session.get(DelayNotice, Language(language).value)
    if row is not None:
        return row.text
    with force_locale(language):
        return str(DEFAULT)


def set_by_admins() -> dict[str, str]:
    """The texts admins set, by language (a language without one shows the default)."""
    return dict(db.session.execute(select(DelayNotice.language, DelayNotice.text)).all())


def set_notices(texts: dict[str, str | None], *, by: Moderator) -> list[str]:
    """Store each language's notice (an empty one goes back to the default); one audit row per
    language changed; return the languages changed."""
    changed = []
    with write_transaction():
        for language, text in texts.items():
            language = Language(language).value
            text = sanitize.clean_line(text or "") or None
            row = db.session.get(DelayNotice, language, with_for_update=True)
            if (row.text if row else None) == text:
                continue
            if text is None:
                db.session.delete(row)
            elif row is None:
                db.session.add(DelayNotice(language=language, text=text, updated_by_id=by.id))
            else:
                row.text, row.updated_at, row.updated_by_id = text, utcnow(), by.id
            audit.record(by, AuditAction.DELAY_NOTICE_EDIT, None, language=language)
            changed.append(language)
    return changed
