"""The tables, one module per part of the site: letters and what counts them (letters), the search
index (search), the team and its audit trail (team), mail waiting to go out (mail), what visitors send
and the site's own pages (site), translations (translations), press previews (press). Every name is
importable from here, so `from .models import Letter` holds wherever a table moves."""

from .base import LIMITS, Language, LetterStatus, Role, UTCDateTime, enum_check, looks_like_public_id, new_public_id, utcnow
from .letters import Letter, LetterVersion, PublicTally, Signature, SignatureStatus
from .mail import MailMark, QueuedMail
from .press import PressPreview
from .search import SEARCH_MACHINERY, LetterSearch, described_by_models
from .site import ContactKind, ContactMessage, SitePage, SitePageSlug
from .team import AuditEvent, DelayNotice, Moderator, ModerationDigest, RecoveryCode, RejectionReason
from .translations import AuthorTranslation, AuthorTranslationStatus, Translation, TranslationApproval, TranslationStatus, TranslationVersion

__all__ = [
    "AuditEvent",
    "AuthorTranslation",
    "AuthorTranslationStatus",
    "ContactKind",
    "ContactMessage",
    "DelayNotice",
    "LIMITS",
    "Language",
    "Letter",
    "LetterSearch",
    "LetterStatus",
    "LetterVersion",
    "MailMark",
    "ModerationDigest",
    "Moderator",
    "PressPreview",
    "PublicTally",
    "QueuedMail",
    "RecoveryCode",
    "RejectionReason",
    "Role",
    "SEARCH_MACHINERY",
    "Signature",
    "SignatureStatus",
    "SitePage",
    "SitePageSlug",
    "Translation",
    "TranslationApproval",
    "TranslationStatus",
    "TranslationVersion",
    "UTCDateTime",
    "described_by_models",
    "enum_check",
    "looks_like_public_id",
    "new_public_id",
    "utcnow",
]
