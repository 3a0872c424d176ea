"""The count, anywhere: a page made to be framed by other sites, and an SVG badge.

Both are public surfaces like any other (exact on the next request, through the page cache), with
two differences. Only the framed page may be framed (its own frame-ancestors). And neither reads or
sets a cookie: the language is the `lang` asked for, else the site's default language, never the
reader's remembered choice, so what another site shows does not depend on who looks at it. No
parameter but the language and a size from a fixed list changes what they show.
"""

from pathlib import Path

from flask import Blueprint, current_app, g, render_template, request
from flask_babel import force_locale, format_decimal, ngettext
from markupsafe import escape
from PIL import ImageFont

from .. import letters
from ..languages import SITE_NAME, direction
from ..page_cache import cached_response
from ..urls import site_url

bp = Blueprint("embed", __name__)

# The framed page's sizes: the number's height in the other site's frame.
SIZES = ("small", "medium", "large")


def embed_language() -> str:
    """The `lang` asked for when it is one of ours, else the default (never an error: a badge on
    another site must not break because its author mistyped a code)."""
    lang = request.args.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.app_template_global()
def embed_snippets(lang: str) -> dict:
    """The HTML another site pastes to show the count, in `lang` (shown on the press page)."""
    name = escape(str(SITE_NAME))
    return {
        "frame": f'<iframe src="{escape(site_url("embed.count", lang=lang, size="medium"))}" title="{name}" '
        f'width="260" height="150" style="border:0"></iframe>',
        "badge": f'<a href="{escape(site_url("public.index", lang=lang))}"><img src="{escape(site_url("embed.badge", lang=lang))}" '
        f'alt="{name}" height="20"></a>',
    }


@bp.get("/embed/count")
def count():
    size = request.args.get("size")
    size = size if size in SIZES else "medium"
    lang = embed_language()
    g.frameable = True
    with force_locale(lang):
        return cached_response(
            "embed-count", lambda: render_template("embed/count.html", tally=letters.public_state(), size=size, lang=lang), size=size
        )


@bp.get("/badge.svg")
def badge():
    lang = embed_language()
    with force_locale(lang):
        return cached_response("badge", lambda: _badge(lang), "image/svg+xml")


def _badge(lang: str) -> str:
    tally = letters.public_state()
    label = ngettext("public refuser", "public refusers", tally.refusers)
    number = format_decimal(tally.refusers)
    return render_template(
        "embed/badge.svg", label=label, number=number, lang=lang, dir=direction(lang), width=_widths(lang, label, number)
    )


# The badge's text is measured in the fonts the site's own PDFs use, one a script.
MEASURING_FONTS = {"he": "noto-sans-hebrew-400.ttf", "ar": "dejavu-sans-arabic.ttf", "en": "noto-sans-latin-400.ttf"}
BADGE_FONT_SIZE = 11
BADGE_PADDING = 16


def _widths(lang: str, label: str, number: str) -> dict:
    """Widths of the badge's two parts. The other site draws it in whatever sans-serif it has, so
    each part is measured in ours and keeps some room."""
    fonts = Path(current_app.static_folder) / "fonts" / "pdf"
    label_width = round(ImageFont.truetype(str(fonts / MEASURING_FONTS[lang]), BADGE_FONT_SIZE).getlength(label)) + BADGE_PADDING
    digits = ImageFont.truetype(str(fonts / MEASURING_FONTS["en"]), BADGE_FONT_SIZE)
    number_width = round(digits.getlength(number)) + BADGE_PADDING
    return {"label": label_width, "number": number_width, "total": label_width + number_width}
