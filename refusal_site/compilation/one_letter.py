"""A published letter's own PDF: rendered the first time it is asked for, kept by fingerprint."""

from pathlib import Path

from flask import current_app

from ..models import Letter, Translation
from . import cache, limits, rendering, unprintable
from .selection import in_translation, printed


def key(letter: Letter, translation: Translation | None = None) -> str:
    """The name the making of this letter's PDF (in `translation`) goes by (its lock, its failure mark)."""
    return f"letter-{letter.public_id}" + (f"-{translation.language}" if translation else "")


def pdf(letter: Letter, translation: Translation | None = None, *, now: bool = False) -> tuple[Path, str]:
    """The kept PDF of a letter (rendered the first time it is asked for) and its fingerprint.
    Concurrent callers render it once. With `now` (a request rendering it itself) nothing waits: the
    letter's lock and a build slot are taken at once or not at all (BeingRendered, Busy), so a
    render in a web worker counts against PDF_MAX_BUILDS like any build. Unprintable if its pages
    could not be rendered within the last PDF_UNPRINTABLE_SECONDS: a failed render is remembered,
    not tried again on every request. With a public `translation`: the translation, then the original."""
    path, fingerprint = cache.letter_pdf_path(letter, translation)
    if not path.exists():
        unprintable.refuse_if_unprintable(letter.public_id, fingerprint)
        with limits.lock_and_slot(key(letter, translation)) if now else limits.locked(key(letter, translation)):
            if not path.exists():
                unprintable.refuse_if_unprintable(letter.public_id, fingerprint)  # another request's render just failed
                (original,) = printed([letter])
                shown = original if translation is None else in_translation(original, translation)
                try:
                    data = rendering.letter_pdf(shown) if translation is None else rendering.letter_pdf(shown, original)
                except OSError:
                    raise  # out of time, or the disk: not the letter's doing
                except Exception as error:
                    unprintable.remember(shown, error)
                    unprintable.report([letter])
                    raise unprintable.Unprintable(letter.public_id, current_app.config["PDF_UNPRINTABLE_SECONDS"]) from error
                cache.write_atomically(path, data)
                unprintable.forget_failures(letter.public_id)
    return path, fingerprint
