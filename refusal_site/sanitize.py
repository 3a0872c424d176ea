"""The one place where untrusted text becomes safe HTML or a safe one-line name."""

import re
import unicodedata
from functools import partial

import bleach
from bleach._vendor.html5lib.filters.base import Filter
from bleach.linkifier import LinkifyFilter

ALLOWED_TAGS = frozenset({"p", "br", "em", "i", "strong", "b", "ul", "ol", "li", "blockquote", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener noreferrer ugc"
# The most a letter's HTML may nest and hold. WeasyPrint lays boxes out recursively and dies of
# RecursionError some hundred levels down (bench/markup.py finds where): these bounds are far below
# that and far beyond any real letter, and they bound how long a letter's pages take to lay out.
MAX_DEPTH = 20
MAX_ELEMENTS = 2000
# Beyond the bounds, these become what they stand for (a line or paragraph break, a link's text),
# and any other tag is shown as the text it was typed as.
_BREAKS = frozenset({"p", "br"})

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n+")
# Unicode's Default_Ignorable_Code_Point set (DerivedCoreProperties.txt): characters drawn as
# nothing. Some are not format characters (U+034F, U+115F, U+3164, U+FE00-FE0F...), so the
# category check alone would let "No\u034fa" pass for "Noa".
_IGNORABLE_CHARS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
)
_DEFAULT_IGNORABLE = re.compile(f"[{_IGNORABLE_CHARS}]")
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


class _Bounds(Filter):
    """Keep at most MAX_ELEMENTS elements, none deeper than MAX_DEPTH (the outermost at depth 1);
    note in `exceeded` which bound had to be applied ("depth" first, then "elements")."""

    def __init__(self, source, exceeded: list[str]) -> None:
        super().__init__(source)
        self.exceeded = exceeded

    def __iter__(self):
        depth = elements = 0
        kept: list[bool] = []  # for each open element, whether its start tag was kept
        for token in super().__iter__():
            kind = token["type"]
            if kind in ("StartTag", "EmptyTag"):
                if depth < MAX_DEPTH and elements < MAX_ELEMENTS:
                    elements += 1
                    if kind == "StartTag":
                        depth += 1
                        kept.append(True)
                    yield token
                    continue
                self.exceeded.append("depth" if depth >= MAX_DEPTH else "elements")
                if kind == "StartTag":
                    kept.append(False)
            elif kind == "EndTag":
                if not kept or kept.pop():
                    depth = max(0, depth - 1)
                    yield token
                    continue
            else:
                yield token
                continue
            yield from _as_text(token)


def _as_text(token: dict):
    name = token["name"]
    if name in _BREAKS:
        yield {"type": "SpaceCharacters", "data": "\n"}
    elif name != "a":
        yield {"type": "Characters", "data": f"</{name}>" if token["type"] == "EndTag" else f"<{name}>"}


def _cleaner(exceeded: list[str]) -> bleach.Cleaner:
    # A cleaner per text, cheap beside the cleaning itself: the bounds' report is the text's own.
    return bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=False,
        strip_comments=True,
        filters=[
            partial(LinkifyFilter, callbacks=[_set_link_rel], parse_email=True, skip_tags={"pre"}),
            partial(_Bounds, exceeded=exceeded),
        ],
    )


def _bounded_html(text: str) -> tuple[str, str | None]:
    text = clean_text(text)
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text) if p.strip()]
    html = "".join("<p>" + p.replace("\n", "<br>\n") + "</p>\n" for p in paragraphs)
    exceeded: list[str] = []
    html = _cleaner(exceeded).clean(html)
    return html, exceeded[0] if exceeded else None


def text_to_html(text: str) -> str:
    """Turn a letter's plain text into sanitized HTML: paragraphs, line breaks, a small tag allow-list,
    at most MAX_DEPTH deep and MAX_ELEMENTS long (tags beyond that are shown as text)."""
    return _bounded_html(text)[0]


def exceeded_bound(text: str) -> str | None:
    """Which bound text_to_html would apply to this text ("depth" or "elements"), or None if it keeps
    all its markup: the forms refuse such a text rather than have part of it shown as tags."""
    if "<" not in text and sum(map(text.count, "\r\n.@:")) < MAX_ELEMENTS - 1:
        # No tag typed: the markup is paragraphs, line breaks and links made of addresses, two deep,
        # and fewer elements than the text has line breaks, dots, at signs and colons (a link has
        # one). Most letters: no need to sanitize them twice (here and when stored).
        return None
    if len(_ALLOWED_START_TAG.findall(text)) > MAX_ELEMENTS:
        # Each typed start tag of an allowed element makes one: too many, without parsing them
        # (thousands of misnested links cost the parser seconds).
        return "elements"
    return _bounded_html(text)[1]


_ALLOWED_START_TAG = re.compile(r"<(?:%s)(?=[\s/>])" % "|".join(sorted(ALLOWED_TAGS, key=len, reverse=True)), re.IGNORECASE)


def html_exceeds_bounds(html: str) -> bool:
    """Whether stored HTML (made before the bounds, say) nests deeper or holds more than they allow."""
    exceeded: list[str] = []
    parser = bleach.Cleaner(tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=False,
                            filters=[partial(_Bounds, exceeded=exceeded)])
    parser.clean(html)
    return bool(exceeded)


# What a mail client (or IDNA) reads as the dot of a host name, the at sign of an address, or the
# colon of a scheme: ASCII and its full-width, ideographic and small look-alikes.
_DOTS = ".\u2024\u3002\ufe52\uff0e\uff61"
# IDNA drops the ignorable characters: "evil.\u2063com" is evil.com to a mail program.
_HOST_DOT = re.compile(rf"(?<=\S)[{_DOTS}](?=[\w\-{_IGNORABLE_CHARS}])")
_AT = re.compile("[@\ufe6b\uff20]")
_SCHEME_COLON = re.compile(r"[:\ufe13\ufe55\uff1a](?=\s*[/\\\uff0f])")
_BARE_SCHEME = re.compile(
    r"(?i)\b(mailto|tel|sms|callto|facetime|javascript|data|sip|xmpp|magnet|bitcoin|skype|tg|whatsapp|geo|maps)[:\ufe13\ufe55\uff1a]"
)


def unlinked(text: str | None) -> str:
    """A stranger's text as a plain-text mail may show it: no mail client can make a link of it.

    Every dot inside a word becomes "[.]", every at sign "[@]", and a scheme's colon "[:]" (the usual
    way of defanging), so "evil.example", "http://evil.example/x" and "a@evil.example" read as text.
    """
    if not text:
        return ""
    text = _BARE_SCHEME.sub(r"\1[:]", text)
    text = _SCHEME_COLON.sub("[:]", text)
    text = _AT.sub("[@]", text)
    return _HOST_DOT.sub("[.]", text)
