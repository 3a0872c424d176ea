"""Share previews: the picture a messenger shows beside a shared link (Open Graph's og:image).

Each letter's card is 1200x630, in the letter's language and direction: its title, name,
descriptor, first lines, the count of public refusers and the site's name. The site's card (home,
press) shows the count. Drawn by WeasyPrint with the PDFs' fonts and locked fetcher (shaping,
bidi and font fallback as in the PDFs), rasterized by PDFium.

A card's address holds the fingerprint of what it shows, so it is kept for a year by anyone; when
anything on it changes (a correction, the count) the pages name a new address, and the old one
redirects there. A letter no longer public has no card: 404, and its files are removed.
"""

import hashlib
import io
import json
import threading

import pypdfium2
from flask import Blueprint, Response, abort, current_app, redirect, request, url_for
from flask_babel import force_locale, format_decimal, get_translations, gettext

from .. import letters, published
from ..compilation import cache, rendering
from ..i18n import current_language
from ..languages import direction
from ..models import Letter
from ..page_cache import page_cache
from ..tally import TallySnapshot

bp = Blueprint("cards", __name__)

WIDTH, HEIGHT = 1200, 630
# How much of the letter a card shows (whole words; the card says "…" where it cut).
EXCERPT_CHARACTERS = 260
# Renders at once in one process; more wait for none: they get the letter's last card, or a 503.
_render_slot = threading.Semaphore(1)
CARD_VERSION = 1


def _shown(letter: Letter | None, tally: TallySnapshot, language: str) -> dict:
    """Everything a card shows, and nothing else: its fingerprint is taken of this."""
    shown = {"v": CARD_VERSION, "build": current_app.config["BUILD_ID"], "language": language, "count": tally.refusers}
    if letter is not None:
        shown.update(
            public_id=letter.public_id,
            title=letter.title,
            name=letter.display_name,
            descriptor=letter.descriptor,
            excerpt=excerpt(letter.body_text),
            collective=letter.collective,
            signatures=letter.signatures_published if letter.collective else 0,
        )
    return shown


@bp.app_template_global("letter_excerpt")
def excerpt(text: str, characters: int = EXCERPT_CHARACTERS) -> str:
    """The letter's first lines, cut at a word, with "…" when anything was left out."""
    text = " ".join(text.split())
    if len(text) <= characters:
        return text
    cut = text[:characters]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"


def fingerprint_of(shown: dict) -> str:
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:20]


def letter_card_url(letter: Letter, tally: TallySnapshot) -> str:
    """The address of a published letter's card as it is now (for its page's meta tags)."""
    return url_for("cards.letter_card", public_id=letter.public_id, fingerprint=fingerprint_of(_shown(letter, tally, letter.language)))


def site_card_url(tally: TallySnapshot, language: str) -> str:
    return url_for("cards.site_card", language=language, fingerprint=fingerprint_of(_shown(None, tally, language)))


@bp.app_template_global()
def share_image(letter: Letter | None = None) -> str:
    """The absolute address of the card a shared page shows: its letter's, else the site's in the
    page's language (an address that leads to the current one, so that a page which reads nothing
    else, a form, is drawn without the database)."""
    if letter is not None:
        path = letter_card_url(letter, letters.public_state())
    else:
        path = url_for("cards.current_site_card", language=current_language())
    return current_app.config["SITE_URL"].rstrip("/") + path


@bp.get("/letters/<public_id>/card-<fingerprint>.png")
def letter_card(public_id: str, fingerprint: str):
    key = _cache_key()
    if (kept := _kept(key)) is not None:
        return _png(kept, fingerprint)
    tally = letters.public_state()
    letter = published.published_letter(public_id)
    if letter is None:
        abort(404)
    return _serve(key, f"letter-{public_id}", _shown(letter, tally, letter.language), fingerprint, lambda: letter_card_url(letter, tally),
                  still_public=lambda: published.published_letter(public_id) is not None)


@bp.get("/card-<language>.png")
def current_site_card(language: str):
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    response = redirect(site_card_url(letters.public_state(), language), 302)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/card-<language>-<fingerprint>.png")
def site_card(language: str, fingerprint: str):
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    key = _cache_key()
    if (kept := _kept(key)) is not None:
        return _png(kept, fingerprint)
    tally = letters.public_state()
    return _serve(key, f"site-{language}", _shown(None, tally, language), fingerprint, lambda: site_card_url(tally, language))


def _serve(key: tuple, name: str, shown: dict, asked: str, current_url, still_public=lambda: True) -> Response:
    current = fingerprint_of(shown)
    if asked != current:
        # An older card (the count moved, the letter was corrected): the one it is now.
        response = redirect(current_url(), 302)
        response.headers["Cache-Control"] = "no-cache"
        return response
    # A card's file is named by what it shows but the count too: only such a card may stand in for
    # this one while the renderer is busy, never one whose words a correction took back.
    same_words = f"{name}-{fingerprint_of({key: value for key, value in shown.items() if key != 'count'})}"
    path = cache.card_path(same_words, current)
    # Read at once, not looked for first: a worker drawing a newer card removes this one any time.
    body = _read(path)
    if body is None:
        if not _render_slot.acquire(blocking=False):
            return _busy(same_words)
        try:
            body = _read(path)
            if body is None:
                body = draw(shown)
                cache.write_atomically(path, body)
                for older in cache.card_paths(name):
                    if older != path:
                        older.unlink(missing_ok=True)
                # Withdrawn or hidden while it was drawn: the files were removed before this one was
                # written, so this one goes too.
                if letters.public_revision() != key[1] and not still_public():
                    path.unlink(missing_ok=True)
        finally:
            _render_slot.release()
    # Kept under the revision taken before the letter was read: a change while it was drawn moved
    # the revision, so the next request looks again.
    page_cache().put(key, (body, "image/png"), current_app.config["PAGE_CACHE_SIZE"])
    return _png(body, current)


def _cache_key() -> tuple:
    # Like the public pages (page_cache.py): an answer holds until anything public changes.
    return (current_app.config["BUILD_ID"], letters.public_revision(), "card", request.path)


def _kept(key: tuple) -> bytes | None:
    """The card at this address, as served since the last public change: no query but the revision."""
    kept = page_cache().get(key)
    return kept[0] if kept else None


def _png(body: bytes, fingerprint: str) -> Response:
    response = Response(body, mimetype="image/png")
    response.set_etag(fingerprint)
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response.make_conditional(request)


def _read(path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _busy(same_words: str) -> Response:
    """Another card is being drawn: this letter's last card with the same words if there is one (its
    count may be a few publications behind, for a moment), else a 503 that says when to ask again."""
    for older in reversed(cache.card_paths(same_words)):
        if (body := _read(older)) is not None:
            response = Response(body, mimetype="image/png")
            response.headers["Cache-Control"] = "no-cache"
            return response
    response = Response(status=503)
    response.headers["Retry-After"] = "2"
    return response


def draw(shown: dict) -> bytes:
    """The card as a PNG."""
    language = shown["language"]
    with force_locale(language):
        # Flask-Babel's ngettext would not format the number.
        count = get_translations().ungettext("%(num)s public refuser", "%(num)s public refusers", shown["count"]) % {"num": format_decimal(shown["count"])}
        heading = shown.get("title") or (gettext("A letter from %(name)s", name=shown["name"]) if "name" in shown else None)
        with rendering.no_cycle_collection():
            layout = rendering.render(
                "cards/card.html", language, rendering.fonts(), card=shown, count=count, heading=heading, site_direction=direction(language)
            )
            pdf = layout.write_pdf()
    rasterizer = pypdfium2.PdfDocument(pdf)
    try:
        page = rasterizer[0]
        image = page.render(scale=WIDTH / page.get_width()).to_pil()
    finally:
        rasterizer.close()  # with its page: PDFium's memory is not Python's, and no collector frees it
    out = io.BytesIO()
    image.convert("RGB").resize((WIDTH, HEIGHT)).save(out, format="PNG")
    return out.getvalue()


