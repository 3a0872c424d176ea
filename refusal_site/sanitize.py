"""The one place where untrusted text becomes safe HTML or a safe one-line name."""

import re
import unicodedata
from functools import partial

import bleach
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset({"p", "br", "em", "i", "strong", "b", "ul", "ol", "li", "blockquote", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt): characters drawn as
# nothing. Some are not format characters (U+034F, U+115F, U+3164, U+FE00-FE0F...), so the
# category check alone would let "No\u034fa" pass for "Noa".
_DEFAULT_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
_SPACES = re.compile(r"\s+")
# Category Cc is exactly U+0000-U+001F and U+007F-U+009F, and Cs exactly U+D800-U+DFFF, in every
# Unicode version; one expression drops them all but tab and newline, much faster than a category
# look-up per character (this runs on every letter's text, several times per submission).
_CONTROLS_BUT_TAB_AND_NEWLINE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _drop_chars(text: str, drop_categories: tuple[str, ...] = ("Cc",)) -> str:
    if text.isprintable():
        return text  # no character of any C* category (nor a separator but the space): nothing to drop
    return "".join(ch for ch in text if unicodedata.category(ch) not in drop_categories)


def clean_text(text: str) -> str:
    """Normalize a letter's text: NFC, unified newlines, no control characters but newline and tab."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    # Cc covers NUL and the C0/C1 controls; surrogates (Cs) go too.
    text = _CONTROLS_BUT_TAB_AND_NEWLINE.sub("", text)
    return text.strip()


def clean_line(text: str) -> str:
    """Normalize a one-line field (name, descriptor, title): no controls, no invisible format characters.

    Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), zero-width
    characters and other format characters (Unicode category Cf) are removed, so one name
    cannot reorder the text around it or be made to look like another.
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text))
    text = _DEFAULT_IGNORABLE.sub("", _drop_chars(text, drop_categories=("Cc", "Cf", "Cs", "Co")))
    return _SPACES.sub(" ", text).strip()


def _set_link_rel(attrs: dict, new: bool = False) -> dict:
    """Every link gets a safe rel; a link without an allowed scheme ("//host", "/path") loses its href."""
    href = attrs.get((None, "href"), "")
    if href and href.split(":", 1)[0].lower() not in ALLOWED_PROTOCOLS | {href}:
        attrs.pop((None, "href"), None)
    elif href and ":" not in href:
        attrs.pop((None, "href"), None)
    attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=False,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_link_rel], parse_email=True, skip_tags={"pre"})],
)


def text_to_html(text: str) -> str:
    """Turn a letter's plain text into sanitized HTML: paragraphs, line breaks, a small tag allow-list."""
    text = clean_text(text)
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    html = "".join("<p>" + p.replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)
    return _cleaner.clean(html)
