"""What goes into a PDF: which published letters (Selection), what a PDF shows of each
(PrintedLetter: public fields only), and the fingerprints that name what is kept of them."""

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import to_user_timezone

from .. import press_previews, published, signatures, tally, translated
from ..models import Language, Letter, Translation

# Bumped whenever a PDF template or the PDF stylesheet changes what a PDF looks like.
TEMPLATE_VERSION = "8"


@dataclass(frozen=True)
class Signer:
    display_name: str
    descriptor: str | None


@dataclass(frozen=True)
class PrintedLetter:
    """A published letter as PDFs show it: public fields only, so no contact address can reach a PDF,
    and plain data, so a PDF can be rendered from it without the database."""

    public_id: str
    display_name: str
    descriptor: str | None
    title: str | None
    language: str
    body_html: str  # sanitized when the letter was stored (sanitize.py): the only markup a PDF takes
    published_at: datetime
    collective: bool
    signers: tuple[Signer, ...]
    fingerprint: str
    # Shown in a translation (title, body_html and language are the translation's): from which
    # language, approved by whom ("author" or "team"); the original follows it in a compilation.
    translated_from: str | None = None
    approved_by: str | None = None

    @property
    def direction(self) -> str:
        return Language(self.language).direction

    @property
    def part_id(self) -> str:
        """What names its pages in a file of pages: the letter's public id, and a translation's language."""
        return f"{self.public_id}-{self.language}" if self.translated_from else self.public_id


def html_digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:16]


def letter_fingerprint(letter: Letter, published_at: datetime | None = None) -> str:
    """What a letter's pages depend on: its public content and signers, its address, the day they say
    it was published (`published_at`, for a letter that is not yet), the templates. The day, not the
    moment: pages rendered while the letter waited for a moderator are those of its approval that day.
    The HTML too, not only the text's hash: re-sanitizing a stored letter changes its HTML alone."""
    parts = (
        TEMPLATE_VERSION, current_app.config["BUILD_ID"], letter.public_id, letter.content_hash, html_digest(letter.body_html),
        to_user_timezone(published_at or publication_moment(letter)).date().isoformat(), str(letter.signers_version if letter.collective else 0),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def printed(selected: list[Letter], moments: dict[int, datetime] | None = None) -> list[PrintedLetter]:
    """The letters as PDFs show them, with the published signers of collective ones (one query).
    `moments`: for letters not published yet, by id, the moment they would be."""
    moments = moments or {}
    signed = signatures.published_signers([letter.id for letter in selected if letter.collective])
    shown = []
    for letter in selected:
        published_at = moments.get(letter.id) or publication_moment(letter)
        shown.append(PrintedLetter(
            public_id=letter.public_id, display_name=letter.display_name, descriptor=letter.descriptor,
            title=letter.title, language=letter.language, body_html=letter.body_html, published_at=published_at,
            collective=letter.collective,
            signers=tuple(Signer(s.display_name, s.descriptor) for s in signed.get(letter.id, ())),
            fingerprint=letter_fingerprint(letter, published_at),
        ))
    return shown


def translation_fingerprint(original: str, translation: Translation) -> str:
    """What a translation's pages depend on: its letter's pages (`original`: the letter's fingerprint,
    for the name, date and address they share), its language, words and who approved it."""
    parts = (original, translation.language, translation.title or "", html_digest(translation.body_html), translation.approved_by or "")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def in_translation(shown: PrintedLetter, translation: Translation) -> PrintedLetter:
    """A letter as a PDF shows it in a public translation: its words, under the letter's name and date
    (its signers follow with the original)."""
    return dataclasses.replace(
        shown, language=translation.language, title=translation.title, body_html=translation.body_html, signers=(),
        translated_from=shown.language, approved_by=translation.approved_by, fingerprint=translation_fingerprint(shown.fingerprint, translation),
    )


def edition(selected: list[Letter], language: str) -> list[tuple[Letter, Translation | None]]:
    """The parts of a compilation in `language`, in order: each letter written in another language
    with a public translation into `language`, as that translation and then as written; every other
    letter as written (one query for the translations)."""
    into = translated.translations_into(selected, language)
    parts: list[tuple[Letter, Translation | None]] = []
    for letter in selected:
        if letter.id in into:
            parts.append((letter, into[letter.id]))
        parts.append((letter, None))
    return parts


def part_fingerprints(parts: list[tuple[Letter, Translation | None]]) -> list[str]:
    return [letter_fingerprint(letter) if translation is None else translation_fingerprint(letter_fingerprint(letter), translation)
            for letter, translation in parts]


def printed_parts(parts: list[tuple[Letter, Translation | None]]) -> list[PrintedLetter]:
    """The parts as PDFs show them (printed(), the translations as in_translation())."""
    originals = {shown.public_id: shown for shown in printed(list({letter.id: letter for letter, _ in parts}.values()))}
    return [originals[letter.public_id] if translation is None else in_translation(originals[letter.public_id], translation)
            for letter, translation in parts]


def publication_moment(letter: Letter) -> datetime | None:
    """When the letter was published, or for an embargoed one, when it will be (letters.release_due
    publishes it at that moment): a press preview shows it as it will be."""
    return letter.published_at or letter.scheduled_at


def day(moment: datetime) -> date:
    """The day a moment falls on where the site's dates are shown (DISPLAY_TIMEZONE)."""
    return moment.astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])).date()


@dataclass(frozen=True)
class Selection:
    """Which published letters a compilation holds."""

    language: str | None = None
    since: date | None = None  # first day included, in DISPLAY_TIMEZONE
    until: date | None = None  # last day included
    # A press preview's: the letters scheduled for this moment, not public yet (press_previews.py).
    embargo: datetime | None = None

    @property
    def name(self) -> str:
        if self.embargo:
            return f"embargo-{self.embargo.astimezone(UTC):%Y%m%dT%H%M%S}"
        parts = [self.language or "all"]
        if self.since or self.until:
            parts.append(f"{self.since or 'start'}_{self.until or 'now'}")
        return "-".join(str(p) for p in parts)

    @property
    def is_range(self) -> bool:
        return bool(self.since or self.until)

    def letters(self) -> list[Letter]:
        if self.embargo:
            return press_previews.embargoed_letters(self.embargo)
        zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
        start = datetime.combine(self.since, time.min, zone) if self.since else None
        end = datetime.combine(self.until + timedelta(days=1), time.min, zone) if self.until else None
        return published.compilation_letters(language=self.language, since=start, until=end)

    def key(self, language: str) -> str:
        """The name its compilation in `language` goes by (its build's lock, its failure mark)."""
        return f"{self.name}-{language}"


STANDARD = [Selection(), *(Selection(language=code) for code in ("he", "ar", "en"))]


def standard_jobs() -> list[tuple[Selection, str]]:
    """Every standard compilation, in each language it is offered in: all letters in every site
    language, and each language's letters in that language."""
    languages = list(current_app.config["LANGUAGES"])
    return [(selection, language) for selection in STANDARD for language in ([selection.language] if selection.language else languages)]


def standard_keys() -> set[str]:
    return {selection.key(language) for selection, language in standard_jobs()}


def choose(language: str | None, since: date | None, until: date | None) -> tuple[Selection, list[Letter]]:
    """The compilation of the letters (of `language`) published from `since` to `until` (days in
    DISPLAY_TIMEZONE, both included; None: open), and those letters (none, when none was).

    Ranges that hold the same letters name one compilation, so any number of spellings of a range
    start one build and keep one file: the range is narrowed to its first and last letters' days,
    and left open at an end that no letter lies beyond. Days far outside the publications (year 1,
    year 9999) never reach a query."""
    span = published.publication_span(language)
    if span is None or (since and since > day(span[1])) or (until and until < day(span[0])):
        return Selection(language, since, until), []
    since = since if since and since > day(span[0]) else None
    until = until if until and until < day(span[1]) else None
    selected = Selection(language, since, until).letters()
    if not selected:
        return Selection(language, since, until), []
    first, last = day(selected[0].published_at), day(selected[-1].published_at)
    return Selection(language, since and first, until and last), selected


@dataclass(frozen=True)
class SiteCount:
    """What the whole site counts, as its tally says: public refusers, the letters and the
    co-signatures they are made of."""

    refusers: int
    letters: int
    signatures: int


def whole_site(selection: Selection) -> SiteCount | None:
    """What the whole site counts, for an edition that holds part of it (one language, a date range),
    whose cover says both; None for the edition of every letter, whose own count is the site's."""
    if not (selection.language or selection.is_range):
        return None
    counted = tally.snapshot()
    return SiteCount(counted.refusers, counted.letters, counted.signatures)


def fingerprint(selection: Selection, selected: list[Letter], language: str, site: SiteCount | None = None) -> str:
    """What a compilation depends on: its selection, its language, each of its parts' pages (its
    letters' and their public translations into `language`: edition) and, for part of the site
    (`site`: whole_site), what the whole site counts, which its cover says."""
    parts = [TEMPLATE_VERSION, current_app.config["BUILD_ID"], selection.name, language, *part_fingerprints(edition(selected, language))]
    if site is not None:
        parts.append(f"site:{site.refusers}:{site.letters}:{site.signatures}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]
