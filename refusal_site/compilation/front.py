"""A compilation's front matter: its cover (title, counts, the curve of public refusers) and its
contents, a page at a time, each page kept in a file of its own by what it shows.

The contents leave room at the end of each entry for its letter's page number, which stamping
draws in when the compilation is assembled: pages of contents need no letter's page count, so they
are rendered beside the letters, and a letter that grows moves no entry. Pages are numbered i, ii,
... here and the letters 1, 2, ... (the book convention), so a longer contents never moves a
letter's page number."""

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pikepdf
from flask_babel import force_locale, format_date, format_number, get_translations, gettext
from sqlalchemy import select

from .. import chart
from ..extensions import db
from ..languages import LANGUAGE_NAMES_IN_TEXT, SITE_NAME, translation_label
from ..models import Language, Letter, Signature, SignatureStatus, Translation, utcnow
from . import cache, rendering, tagging
from .selection import Selection, SiteCount, day, publication_moment

CONTENTS_ROWS = 20  # entries on a page of contents (each entry is two lines: who and what, then language and date)
# The contents' links, an entry's line (placeholders turned into jumps to its letter's first page when
# the compilation is assembled), and the line of each digit that page numbers are stamped with.
TOC_LINK = "https://toc.refusers.invalid/letter/"
TOC_DIGIT = "https://toc.refusers.invalid/digit/"
# How much of a line of contents an entry's name and title may fill, in widths of an average letter: long
# ones are cut short before layout (WeasyPrint's ellipsis loses right-to-left text), so each stays one line.
CONTENTS_LINE = 64
WIDE = frozenset("MWmw@%")


def contents(parts: list[tuple[Letter, Translation | None]], language: str) -> list[list[dict]]:
    """The contents' entries, a page's worth at a time (without their page numbers: see stamping):
    one for each part of the edition (selection.edition), a letter or its translation."""
    translated = {letter.id for letter, translation in parts if translation is not None}
    entries = [_entry(i, letter, translation, language, letter.id in translated) for i, (letter, translation) in enumerate(parts)]
    return [entries[i : i + CONTENTS_ROWS] for i in range(0, len(entries), CONTENTS_ROWS)] or [[]]


def entry_text(letter: Letter, translation: Translation | None, language: str) -> str:
    """An entry's first line (and its bookmark): the name, and the title as shown (a translation's, marked)."""
    title = translation.title if translation else letter.title
    text = letter.display_name + (f" · {title}" if title else "")
    if translation is None:
        return text
    with force_locale(language):
        return f"{text} ({gettext('Translation from %(language)s', language=str(LANGUAGE_NAMES_IN_TEXT[letter.language]))})"


def _entry(index: int, letter: Letter, translation: Translation | None, language: str, translated: bool) -> dict:
    """One entry: the name and title as shown (in the language and direction of the part), and below
    them, in the edition's language, what the part is (a translation, and who approved it; the
    original; a letter in another language with no translation yet; or a letter's language), the day
    it was published and, for a collective letter, how many co-signed it: a reader of the edition can
    tell what each letter is and which is which."""
    title = translation.title if translation else letter.title
    text = letter.display_name + (f" · {title}" if title else "")
    shown = translation or letter
    with force_locale(language):
        named = str(LANGUAGE_NAMES_IN_TEXT[letter.language])
        if translation is not None:
            what = translation_label(translation.approved_by, letter.language)
        elif translated:
            what = gettext("The original, in %(language)s", language=named)
        elif letter.language != language:
            what = gettext("In %(language)s, no translation yet", language=named)
        else:
            what = named
        about = [what, format_date(day(publication_moment(letter)), "long")]
        if letter.collective and letter.signatures_published:
            count = letter.signatures_published
            # Number formatted (Flask-Babel's ngettext would not format it).
            phrase = get_translations().ungettext("collective, %(num)s co-signature", "collective, %(num)s co-signatures", count)
            about.append(phrase % {"num": format_number(count)})
    return {"index": index, "text": _cut(text, CONTENTS_LINE), "about": " · ".join(about), "language": shown.language,
            "direction": shown.direction}


def _width(text: str) -> float:
    return sum(1.6 if char in WIDE else 1.3 if char.isupper() else 1.0 for char in text)


def _cut(text: str, room: float) -> str:
    """`text`, or as much of it as fits in `room` followed by an ellipsis."""
    if _width(text) <= room:
        return text
    used = 0.0
    for end, char in enumerate(text):
        used += _width(char)
        if used > room - 1:
            return text[:end].rstrip() + "…"
    return text


def title(selection: Selection) -> str:
    if selection.language:
        return gettext("%(site)s: letters in %(language)s", site=str(SITE_NAME), language=str(LANGUAGE_NAMES_IN_TEXT[selection.language]))
    return gettext("%(site)s: letters", site=str(SITE_NAME))


def _subtitle(selection: Selection, selected: list[Letter]) -> str:
    if selection.embargo:
        return gettext("A press preview, not for publication")
    if selection.is_range and selected:
        # The days of its first and last letters: an open end says where the letters stop.
        first, last = (format_date(day(letter.published_at), "long") for letter in (selected[0], selected[-1]))
        return gettext("Published from %(since)s to %(until)s", since=first, until=last)
    return gettext("Every published letter, oldest first")


def cover(selection: Selection, selected: list[Letter], language: str, site: SiteCount | None = None) -> dict:
    """What a compilation's cover says, as plain data (the key its page is kept under): the public
    refusers it holds and what they are (letters, co-signatures), and for part of the site (`site`)
    what the whole site counts. The day it was compiled, not the moment: the file's own creation
    date, in its metadata, is to the second."""
    signed = _signature_moments([letter.id for letter in selected if letter.collective and letter.signatures_published])
    signatures = sum(letter.signatures_published for letter in selected if letter.collective)
    with force_locale(language):
        heading, subtitle = title(selection), _subtitle(selection, selected)
    return {
        "language": language, "title": heading, "subtitle": subtitle, "letters": len(selected), "signatures": signatures,
        "refusers": len(selected) + signatures, "site": None if site is None else [site.refusers, site.letters, site.signatures],
        "compiled": day(utcnow()).isoformat(),
        "days": [[when.isoformat(), count] for when, count in _per_day([publication_moment(letter) for letter in selected] + signed)],
        # A press preview's cover says until when it is embargoed (only theirs have the key: others keep their files).
        **({"embargo": selection.embargo.isoformat()} if selection.embargo else {}),
    }


def _signature_moments(letter_ids: list[int]) -> list[datetime]:
    if not letter_ids:
        return []
    query = select(Signature.published_at).where(Signature.letter_id.in_(letter_ids), Signature.status == SignatureStatus.PUBLISHED)
    return list(db.session.execute(query).scalars())


def _per_day(moments: Iterable[datetime]) -> list[tuple[date, int]]:
    days: dict[date, int] = {}
    for moment in moments:
        days[day(moment)] = days.get(day(moment), 0) + 1
    return sorted(days.items())


@dataclass(frozen=True)
class Front:
    """A compilation's cover and pages of contents, in order: each one's kept file and, if it was
    rendered for this build, its page in `document` (None: it is read from its file)."""

    document: bytes | None
    pages: list[tuple[Path, int | None]]


def front(selection: Selection, selected: list[Letter], language: str, pages: list[list[dict]], site: SiteCount | None = None) -> Front:
    """The cover and every page of contents; those not kept yet, and (the first time) the digits that
    page numbers are stamped with, rendered in ONE document: each document costs a layout and a
    subsetting of its fonts however little it holds. Nothing is rendered when every part is kept."""
    shown = cover(selection, selected, language, site)
    paths = [cache.cover_path(shown), *(cache.contents_path(language, n, rows) for n, rows in enumerate(pages))]
    todo = [(n, pages[n]) for n, path in enumerate(paths[1:]) if not path.exists()]
    have_digits = cache.digits_path().exists() and cache.contents_digits_path(language).exists()
    if paths[0].exists() and not todo and have_digits:
        return Front(None, [(path, None) for path in paths])
    data, where = render_front(language, None if paths[0].exists() else shown, todo)
    return Front(data, [(path, where.get(path)) for path in paths])


def render_front(language: str, shown: dict | None, todo: list[tuple[int, list[dict]]]) -> tuple[bytes, dict[Path, int]]:
    """One document: the cover `shown` (if any), the pages of contents in `todo` (each its number and
    its entries) and the digits not kept yet; the cover, each page of contents and each set of digits
    kept in a file of its own. Returns the document and where in it each kept page is."""
    footer_digits, toc_digits = cache.digits_path(), cache.contents_digits_path(language)
    with_digits, with_toc_digits = not footer_digits.exists(), not toc_digits.exists()
    first = 0 if shown is None else 1  # the first page of contents in the document (0-based)
    # The cover is page i and the contents' pages ii, iii, ...: each page rendered says its own number.
    numbering = [f"@page :nth({first + 1 + i}) {{ counter-reset: page {n + 2} }}" for i, (n, _rows) in enumerate(todo)]
    if with_digits:
        # The foot of the first page of digits says 0, of the second 123456789.
        numbering.append(f"@page :nth({first + len(todo) + 1}) {{ counter-reset: page 0 }}")
        numbering.append(f"@page :nth({first + len(todo) + 2}) {{ counter-reset: page 123456789 }}")
    drawn = None
    if shown is not None:
        with force_locale(language):
            points = chart.cumulative([(date.fromisoformat(when), count) for when, count in shown["days"]])
            labels = chart.Labels(format_date(points[0].day, "long"), format_date(points[-1].day, "long"), format_number(points[-1].total),
                                  Language(language).direction, language) if points else None
            drawn = {**shown, "compiled": date.fromisoformat(shown["compiled"]), "chart_labels": labels,
                     "embargo": datetime.fromisoformat(shown["embargo"]) if "embargo" in shown else None,
                     "chart": chart.svg(points, title=gettext("Public refusers over time"), description="", width=560, height=180)}
    document = rendering.render("press/front_pdf.html", language, rendering.fonts(), extra_css="\n".join(numbering), cover=drawn,
                      contents=[{"rows": rows, "first": n == 0} for n, rows in todo], toc_link=TOC_LINK, toc_digit=TOC_DIGIT,
                      digits=with_digits, toc_digits=with_toc_digits)
    data = rendering.write_tagged(document)
    del document
    where = {}
    with pikepdf.open(io.BytesIO(data)) as made:
        expected = first + len(todo) + 2 * (with_digits + with_toc_digits)
        if len(made.pages) != expected:
            # Each part is kept by its place in the document: one that ran over a page would file the
            # pages after it under other parts' keys.
            raise ValueError(f"front matter of {len(made.pages)} pages, not {expected}: a part ran over its page")
        if shown is not None:
            where[cache.cover_path(shown)] = 0
        for i, (n, rows) in enumerate(todo):
            where[cache.contents_path(language, n, rows)] = first + i
        for path, page in where.items():
            _keep_pages(made, [page], path)
        following = first + len(todo)
        for wanted, path in ((with_digits, footer_digits), (with_toc_digits, toc_digits)):
            if wanted:
                _keep_pages(made, range(following, following + 2), path)
                following += 2
    return data, where


def _keep_pages(source: pikepdf.Pdf, pages: Iterable[int], path: Path) -> None:
    """Write some pages of `source` to a file of their own (atomically), with only the fonts they use:
    WeasyPrint gives every page of a document the same resources, the cover's fonts included."""
    with pikepdf.new() as kept, cache.atomic_path(path) as tmp:
        joined = tagging.Joined(kept)
        joined.append(source, pages)
        joined.finish()
        for page in kept.pages:
            page.remove_unreferenced_resources()
        kept.save(tmp)
