"""Building a compilation: the letters' pages not kept yet rendered (a few letters a file), the
front matter not kept yet rendered, then everything joined with pikepdf, numbered, linked,
bookmarked and labelled, and written once. After one more approval that is one letter, the cover
and the last page of contents; after a withdrawal, the cover and the contents' pages; however many
letters came before."""

import contextlib
import io
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pikepdf
from flask_babel import force_locale, gettext

from ..models import Language, Letter, Translation, utcnow
from . import cache, front, limits, rendering, stamping, tagging, unprintable
from .pages import Placed, placed, runs
from .selection import Selection, SiteCount, edition, fingerprint, part_fingerprints, printed_parts, standard_jobs, whole_site

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Compilation:
    path: Path
    fingerprint: str
    letters: int


def existing(selection: Selection, language: str, selected: list[Letter] | None = None) -> Compilation | None:
    """The compilation of what is published now (`selected`, if the caller read it), if built already."""
    selected = selection.letters() if selected is None else selected
    digest = fingerprint(selection, selected, language, whole_site(selection))
    path = cache.compilation_path(selection, digest)
    return Compilation(path, digest, len(selected)) if path.exists() else None


def build(selection: Selection, language: str) -> Compilation:
    """Build (or find) the compilation of what is published now. Concurrent builders build it once."""
    selected, site = selection.letters(), whole_site(selection)
    digest = fingerprint(selection, selected, language, site)
    path = cache.compilation_path(selection, digest)
    with limits.locked(selection.key(language)):
        if path.exists():
            cache.mark_used(path)  # still current: pruning keeps it
        else:
            # Which letters it holds, written first: a compilation is never without its list.
            cache.write_atomically(cache.manifest_path(path), "\n".join(letter.public_id for letter in selected).encode())
            pages = _render_and_assemble(selection, selected, language, path, site)
            log.info("built %s: %d letters, %d pages", path.name, len(selected), pages)
    return Compilation(path, digest, len(selected))


def build_standard() -> list[tuple[Selection, str, Compilation]]:
    """Build (or find) every standard compilation."""
    return [(selection, language, build(selection, language)) for selection, language in standard_jobs()]


def _render_and_assemble(selection: Selection, selected: list[Letter], language: str, path: Path, site: SiteCount | None) -> int:
    # Its parts: each letter, after its public translation into the edition's language if it has one.
    parts = edition(selected, language)
    fingerprints = part_fingerprints(parts)
    where = [placed(fp) for fp in fingerprints]
    missing = printed_parts([part for part, kept in zip(parts, where) if kept is None])
    for run in runs([letter for letter in missing if not unprintable.failed(letter)]):
        unprintable.render_safely(run, rendering.fonts())
    pages = front.contents(parts, language)
    made = front.front(selection, selected, language, pages, site)
    where = [kept or placed(fp) for fp, kept in zip(fingerprints, where)]
    # A letter whose pages could not be rendered (now or lately) is left out: a note stands in its place.
    failed = [letter for letter in missing if placed(letter.fingerprint) is None]
    if failed:
        stand_ins = dict(zip((letter.fingerprint for letter in failed), unprintable.stand_ins(failed, rendering.fonts())))
        where = [kept or stand_ins[fp] for fp, kept in zip(fingerprints, where)]
    total = _assemble(selection, parts, language, made, where, path)
    if failed:
        ids = {letter.public_id for letter in failed}
        unprintable.report([letter for letter in selected if letter.public_id in ids])
    return total


def _assemble(selection: Selection, parts: list[tuple[Letter, Translation | None]], language: str, made: front.Front, where: list[Placed], path: Path) -> int:
    """Join cover, contents and letters' pages; number, link, bookmark and label them; write once."""
    opened: dict[Path, pikepdf.Pdf] = {}

    def source(file: Path) -> pikepdf.Pdf:
        if file not in opened:
            opened[file] = pikepdf.open(file)
        return opened[file]

    # What this compilation is made of was in use today: pruning keeps it.
    cache.mark_used(*{*(file for file, _ in made.pages), *(cache.pages_path(kept.file) for kept in where)})
    rendered = pikepdf.open(io.BytesIO(made.document)) if made.document is not None else contextlib.nullcontext()
    with pikepdf.new() as out, rendered:
        # Each part brings its structure (tags) along with its pages, in the order they are joined.
        joined = tagging.Joined(out)
        for file, page in made.pages:
            # A page rendered for this build is taken from its document, sharing its fonts.
            joined.append(*((rendered, [page]) if page is not None else (source(file), [0])))
        front_pages = len(out.pages)  # cover and contents: the letters are numbered from the next one
        starts = []
        for (letter, translation), kept in zip(parts, where, strict=True):
            starts.append(len(out.pages))
            joined.append(source(cache.pages_path(kept.file)), range(kept.first, kept.first + kept.count), (translation or letter).language)
        entries = [front.entry_text(letter, translation, language) for letter, translation in parts]
        footer_digits, toc_digits = stamping.digits(language)
        stamping.stamp_numbers(out, front_pages, footer_digits)
        if selection.embargo:
            stamping.stamp_embargo(out, language, selection.embargo)
        stamping.number_contents(joined, front_pages, starts, toc_digits, language, entries)
        joined.finish()
        with force_locale(language):
            title = front.title(selection)
            contents_label = gettext("Contents")
        with out.open_outline() as outline:
            outline.root.append(pikepdf.OutlineItem(contents_label, 1))
            for entry, start in zip(entries, starts, strict=True):
                outline.root.append(pikepdf.OutlineItem(entry, start))
        # Viewers show the printed numbers: i, ii, ... for the cover and contents, 1, 2, ... for letters.
        out.Root.PageLabels = pikepdf.Dictionary(
            Nums=pikepdf.Array([0, pikepdf.Dictionary(S=pikepdf.Name.r), front_pages, pikepdf.Dictionary(S=pikepdf.Name.D)])
        )
        out.Root.Lang = pikepdf.String(language)
        out.Root.PageMode = pikepdf.Name.UseOutlines
        out.Root.ViewerPreferences = pikepdf.Dictionary(
            DisplayDocTitle=True, Direction=pikepdf.Name.R2L if Language(language).direction == "rtl" else pikepdf.Name.L2R
        )
        tagging.identify(out, title, language)
        out.docinfo = out.make_indirect(pikepdf.Dictionary(
            Title=pikepdf.String(title), Creator=pikepdf.String("refusal_site"), CreationDate=pikepdf.String(_pdf_date(utcnow()))
        ))
        total = len(out.pages)
        with cache.atomic_path(path) as tmp:
            out.save(tmp, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    for pdf in opened.values():
        pdf.close()
    return total


def _pdf_date(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("D:%Y%m%d%H%M%SZ")
