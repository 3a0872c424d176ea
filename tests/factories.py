"""Letters made through the domain functions, so the tally stays what the rules make it."""

import itertools
from datetime import datetime, timedelta

from refusal_site import letters
from refusal_site.models import Letter, LetterStatus, utcnow

_sequence = itertools.count(1)

TEXTS = {
    "he": "אני מסרב לשרת. זו החלטה שקיבלתי אחרי מחשבה ארוכה.\n\nאני כותב בשמי המלא.",
    "ar": "أرفض الخدمة. هذا قرار اتخذته بعد تفكير طويل.\n\nأكتب باسمي الكامل.",
    "en": "I refuse to serve. I made this decision after long thought.\n\nI write under my full name.",
}
NAMES = {"he": "נועה כהן", "ar": "سامي حلبي", "en": "Daniel Stein"}


def make_letter(
    status: LetterStatus = LetterStatus.PUBLISHED,
    *,
    language: str = "he",
    published_at: datetime | None = None,
    **fields,
) -> Letter:
    """A letter in the given state, walked there through submit/confirm/publish/... like a real one."""
    n = next(_sequence)
    values = {
        "display_name": f"{NAMES[language]} {n}",
        "language": language,
        "body_text": TEXTS[language],
        "contact_email": f"author{n}@private.example",
        "descriptor": "רס״ל (מיל׳)" if language == "he" else None,
    }
    values.update(fields)
    letter = letters.submit(**values)
    if status == LetterStatus.UNCONFIRMED:
        return letter
    letter = letters.confirm(letter)
    if status in (LetterStatus.PENDING,):
        return letter
    if status == LetterStatus.REJECTED:
        return letters.reject(letter, by="test", reason="not verifiable")
    if status == LetterStatus.WITHDRAWN:
        return letters.withdraw(letter)
    letter = letters.publish(letter, by="test", at=published_at or utcnow())
    if status == LetterStatus.UNPUBLISHED:
        return letters.unpublish(letter, by="test", reason="at the author's request")
    return letter


def make_published_series(count: int, *, language: str = "he", start: datetime | None = None) -> list[Letter]:
    """`count` published letters, one minute apart, oldest first."""
    start = start or utcnow() - timedelta(days=1)
    return [make_letter(language=language, published_at=start + timedelta(minutes=i)) for i in range(count)]


def make_collective(**fields) -> Letter:
    """A published letter open for co-signing."""
    return make_letter(collective=True, **fields)


def make_signature(letter: Letter, status: str = "published", *, email: str | None = None, name: str | None = None, descriptor: str | None = None):
    """A signature in the given state, walked there through sign/confirm/decide like a real one."""
    from refusal_site import signatures

    n = next(_sequence)
    signature = signatures.sign(letter, display_name=name or f"חותם {n}", contact_email=email or f"signer{n}@private.example", descriptor=descriptor)
    if status == "unconfirmed":
        return signature
    signature = signatures.confirm(signature)
    if status in ("published", "rejected", "unpublished"):
        decision = "reject" if status == "rejected" else "publish"
        signatures.decide({signature.id: signature.revision}, decision, by="test", reason="test")
        if status == "unpublished":
            signature = db_refresh(signature)
            signatures.decide({signature.id: signature.revision}, "unpublish", by="test", reason="test")
    elif status == "withdrawn":
        signatures.withdraw(signature)
    return db_refresh(signature)


def db_refresh(row):
    from refusal_site.extensions import db

    db.session.refresh(row)
    return row


TRANSLATED = {
    "he": ("תרגום", "אני מסרב לשרת. זה התרגום שהמחבר אישר.\n\nכתוב בשמי המלא."),
    "ar": ("ترجمة", "أرفض الخدمة. هذه الترجمة التي وافق عليها الكاتب.\n\nمكتوبة باسمي الكامل."),
    "en": ("A translation", "I refuse to serve. This is the translation the author approved.\n\nWritten under my full name."),
}


def make_translation(letter: Letter, language: str, *, status: str = "approved", approved_by: str | None = "author", title: str | None = None, body_text: str | None = None):
    """A translation of `letter` into `language`, stored as the translation pages would leave it, and
    the public revision moved as an approval moves it (so cached pages show it on the next request)."""
    from refusal_site import letter_translations, sanitize, tally
    from refusal_site.extensions import db
    from refusal_site.models import Translation

    default_title, default_text = TRANSLATED[language]
    text = body_text if body_text is not None else default_text
    approved = status == "approved"
    translation = Translation(
        letter=letter, language=language, title=title if title is not None else (default_title if letter.title else None),
        body_text=text, body_html=sanitize.text_to_html(text), status=status, source_hash=letter_translations.source_hash(letter),
        approved_by=approved_by if approved else None, approved_at=utcnow() if approved else None,
    )
    db.session.add(translation)
    tally.bump_revision()
    db.session.commit()
    return translation


def set_translation_status(translation, status: str):
    """Change a translation's state directly (as a correction of its original does), moving the public revision."""
    from refusal_site import tally
    from refusal_site.extensions import db

    translation.status = status
    tally.bump_revision()
    db.session.commit()
    return translation


def write_author_translation(letter: Letter, language: str, *, title: str | None = None, body_text: str = "My own words.", checked_by=None):
    """The author's own translation of their published letter, as their private page sends it (waiting
    for the team's check), and, given `checked_by` (a moderator), published by them as the check does."""
    from refusal_site import author_translations

    current = author_translations.of_letter(letter, language)
    mine = author_translations.write(letter, language, title=title, body_text=body_text, expected_revision=current[0].revision if current else 0)
    if checked_by is None:
        return mine
    return author_translations.publish(mine, by=checked_by, expected_revision=mine.revision)
