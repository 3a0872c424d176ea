"""Links for named journalists to an embargo's letters before their release."""

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import UTCDateTime, utcnow
from .team import Moderator


class PressPreview(db.Model):
    """A link for named journalists to an embargo's letters before their release (press_previews.py).
    Only a hash of its token is kept: the link itself is shown once, to the admin who made it."""

    __tablename__ = "press_previews"
    __table_args__ = (UniqueConstraint("submission_key", "submission_line"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # sha256 of the link's token (256 random bits: a hash no one can reverse by trying likely ones).
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The embargo it shows: the letters scheduled for this moment. It dies then (or when none is left).
    release_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Whom it was made for, as the admin wrote it: one journalist and their outlet (one line of the
    # admin's list; before 0019, possibly several). Never shown to the public.
    recipients: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderators.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When its embargo's last letter left it (press_previews.end_emptied): dead for good, even if
    # other letters are scheduled for that moment later.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Times its page or PDF was opened (each also an audit row).
    openings: Mapped[int] = mapped_column(Integer, default=0)
    # The form post that made it, and which line of that post's list of journalists it is for: the
    # same form posted twice makes its links once (press_previews.create).
    submission_key: Mapped[str | None] = mapped_column(String(64))
    submission_line: Mapped[int | None] = mapped_column(Integer)

    created_by: Mapped[Moderator | None] = relationship()
