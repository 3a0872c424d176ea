"""Deleting kept PDFs: what no build used for a while (prune), and, at once, every file that shows
a letter that is not public any more or changed (forget, and the builder service's sweep of
such decisions, whichever machine they came to)."""

import contextlib
import glob
import json
from datetime import datetime, timedelta

from flask import current_app

from .. import published
from ..models import utcnow
from . import cache, limits


def prune(older_than: timedelta, ranges_older_than: timedelta | None = None) -> int:
    """Delete cached PDFs and pages that no build has used for `older_than`, compilations of date
    ranges nobody asked for in `ranges_older_than` (PDF_RANGE_KEEP_HOURS), and locks of keys nobody
    built in that time; return how many files went.

    Builds mark what they use, and downloads of a range mark its file, so a compilation that is
    still current, and the pages it is made of, stay; anything deleted by mistake is rendered again
    when next asked for."""
    now = utcnow().timestamp()
    cutoff = now - older_than.total_seconds()
    range_cutoff = now - (ranges_older_than or timedelta(hours=current_app.config["PDF_RANGE_KEEP_HOURS"])).total_seconds()
    removed = 0
    for kind in cache.PRUNED:
        for path in (cache.folder() / kind).glob("*"):
            if path.suffix == ".letters":
                continue  # goes with its compilation, below
            if path.is_file() and path.stat().st_mtime < (max(cutoff, range_cutoff) if cache.is_range(path) else cutoff):
                path.unlink(missing_ok=True)
                removed += 1
    building = now - current_app.config["PDF_BUILD_SECONDS"]  # a build writes its list first, its PDF last
    for manifest in (cache.folder() / "compilations").glob("*.letters"):
        if not manifest.with_suffix(".pdf").exists() and manifest.stat().st_mtime < building:
            manifest.unlink(missing_ok=True)
    for path in (cache.folder() / "locks").glob("*.lock"):
        # Opening a lock file to take it truncates it: an old one is no build's. Deleted while held
        # here, so no builder holds it; one that opens it in between takes a lock of its own file
        # and at worst builds what another builds too (both write atomically).
        if path.stat().st_mtime < range_cutoff and (lock := limits.try_lock(path)) is not None:
            with lock:
                path.unlink(missing_ok=True)
            removed += 1
    return removed


def forget(public_id: str, *, compilations: bool = True, contents: bool = True) -> int:
    """Delete every cached file that shows a letter: its own PDFs and share previews, the files of pages that hold its
    pages (the other letters in them are rendered again when next needed), the `compilations` that
    hold it and every page of `contents` (they may name it; the next build renders those it needs).
    Covers show counts only and stay. A press preview's compilations that hold it, and the contents,
    go whatever the flags say: they showed it while it was embargoed. For a letter that is not public any more (or never will be),
    or whose text, name or signers changed: a disk taken from the server must not show what went,
    nor a download of an older compilation. Returns how many files went."""
    folder = cache.folder()
    doomed = set(folder.glob(f"letters/{glob.escape(public_id)}-*.pdf")) | set(cache.card_paths(f"letter-{public_id}"))
    for entry in folder.glob("pages/index/*.json"):
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            where = json.loads(entry.read_text())
            if where["letter"] == public_id:
                doomed |= {entry, cache.pages_path(where["file"])}
    # A press preview's compilations (and their contents) showed the letter before it was public,
    # whatever `compilations` and `contents` say.
    previewed = False
    for built in (path for path in folder.glob("compilations/*.pdf") if compilations or cache.is_embargo(path)):
        try:
            holds = public_id in cache.manifest_path(built).read_text().split()
        except FileNotFoundError:
            holds = True  # no list: it may hold the letter
        if holds:
            doomed |= {built, cache.manifest_path(built)}
            previewed = previewed or cache.is_embargo(built)
    if contents or previewed:
        doomed |= set(folder.glob("contents/*.pdf"))
    for path in doomed:
        path.unlink(missing_ok=True)
    return len(doomed)


class Forgetting:
    """The builder service's sweep: forget() what each letter withdrawn, unpublished, rejected or
    corrected, or left by a signer, showed before, in this machine's cache, whichever machine the
    decision came to. Each decision is acted on once; the sweep looks back a minute more than its
    last run, for clocks that differ between machines."""

    OVERLAP = timedelta(minutes=1)

    def __init__(self) -> None:
        # At start, what was taken away while no service ran (older files are pruned anyway).
        self.since = utcnow() - timedelta(days=current_app.config["PDF_KEEP_DAYS"])
        self.done: set[tuple[str, datetime]] = set()

    def sweep(self) -> int:
        now = utcnow()
        taken = [change for change in published.taken_away(self.since - self.OVERLAP) if (change.public_id, change.at) not in self.done]
        removed = sum(forget(change.public_id, compilations=change.compilations, contents=change.contents) for change in taken)
        self.done = {(public_id, at) for public_id, at in self.done if at >= self.since - self.OVERLAP}
        self.done |= {(change.public_id, change.at) for change in taken}
        self.since = now
        return removed
