"""The one place untrusted text becomes HTML."""

import re
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from weasyprint.formatting_structure import boxes

from refusal_site import sanitize
from refusal_site.compilation.rendering import letters_document, write_tagged
from refusal_site.compilation.selection import PrintedLetter
from refusal_site.models import LIMITS


def test_paragraphs_and_line_breaks_are_kept():
    html = sanitize.text_to_html("first line\nsecond line\n\nnew paragraph")
    assert html == "<p>first line<br>\nsecond line</p>\n<p>new paragraph</p>\n"


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict]]:
    parser = _Elements()
    parser.feed(html)
    return parser.elements


def test_script_and_event_handlers_are_inert_text():
    source = '<script>alert(1)</script><img src=x onerror=alert(1)><b onclick="x()">bold</b><svg onload=x()>'
    html = sanitize.text_to_html(source)
    found = elements(html)
    assert {tag for tag, _ in found} <= sanitize.ALLOWED_TAGS
    assert not any(name.startswith("on") for _, attrs in found for name in attrs)
    # What was not allowed is shown as the text the author typed, not dropped silently.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_only_http_https_mailto_links_survive():
    html = sanitize.text_to_html('<a href="javascript:alert(1)">x</a> <a href="data:text/html,hi">y</a> <a href="https://ok.example">z</a>')
    assert "javascript:" not in html and "data:" not in html
    assert 'href="https://ok.example"' in html


def test_links_are_linkified_with_a_safe_rel():
    html = sanitize.text_to_html("see https://example.org/a and write to me@example.org")
    assert '<a href="https://example.org/a" rel="nofollow noopener noreferrer ugc">' in html
    assert 'href="mailto:me@example.org"' in html


def test_control_characters_and_nul_are_removed_but_tabs_and_newlines_stay():
    assert sanitize.clean_text("a\x00b\x07c\td\r\ne\x1bf\x85") == "abc\td\nef"


def test_names_lose_bidi_controls_and_invisible_characters():
    name = "\u202eNoa\u2066 \u200bCohen\u2069\u202c\ufeff\u00ad"
    assert sanitize.clean_line(name) == "Noa Cohen"
    assert sanitize.clean_line("  many   spaces\nand lines ") == "many spaces and lines"


def test_text_is_nfc_normalized():
    assert sanitize.clean_text("e\u0301") == "\u00e9"


def test_names_lose_characters_drawn_as_nothing():
    for invisible in ("\u034f", "\u3164", "\ufe0f", "\u115f", "\U000e0041"):
        assert sanitize.clean_line(f"No{invisible}a") == "Noa"


def test_links_without_an_allowed_scheme_lose_their_target():
    html = sanitize.text_to_html('<a href="//evil.example/x">a</a> <a href="/relative">b</a> <a href="mailto:x@example.org">c</a>')
    assert "evil.example" not in html and 'href="/relative"' not in html
    assert 'href="mailto:x@example.org"' in html


# --- structure: how deep and how much markup a letter may hold --------------------------------------

NESTABLE = ["em", "strong", "b", "i", "ul", "ol", "li", "blockquote", "a"]
VOID = frozenset({"br"})


@pytest.fixture(params=["sqlite"])
def backend(request):
    """Nothing here touches the database: one backend is enough for the app the renders need."""
    return request.param


class _Structure(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.depth = self.deepest = self.elements = 0

    def handle_starttag(self, tag, attrs) -> None:
        self.elements += 1
        self.deepest = max(self.deepest, self.depth + 1)
        if tag not in VOID:
            self.depth += 1

    def handle_endtag(self, tag) -> None:
        if tag not in VOID:
            self.depth -= 1


def structure(html: str) -> _Structure:
    parser = _Structure()
    parser.feed(html)
    parser.close()
    return parser


def _open(tag: str) -> str:
    return '<a href="https://example.org/x">' if tag == "a" else f"<{tag}>"


@st.composite
def markup(draw) -> str:
    """Nested and repeated markup of many shapes: chains of tags of any depth, closed, half-closed or
    left open, separated by nothing, spaces, line breaks or words, repeated side by side, as long as a
    letter may be at most."""
    chain = draw(st.lists(st.sampled_from(NESTABLE), min_size=1, max_size=draw(st.sampled_from([5, 30, 300]))))
    separator = draw(st.sampled_from(["", " ", "\n", "w ", "\n\n"]))
    closing = draw(st.sampled_from(["all", "none", "half"]))
    copies = draw(st.sampled_from([1, 2, 50, 400]))
    closed = list(reversed(chain))[: {"all": len(chain), "none": 0, "half": len(chain) // 2}[closing]]
    block = separator.join(map(_open, chain)) + separator + "text" + separator.join(f"</{tag}>" for tag in closed)
    return separator.join([block] * copies)[: LIMITS["body_text"]]  # no letter is longer


@settings(max_examples=60, deadline=None)
@given(markup())
def test_no_text_makes_html_deeper_or_larger_than_the_bounds(text):
    html = sanitize.text_to_html(text)
    found = structure(html)
    assert found.deepest <= sanitize.MAX_DEPTH and found.elements <= sanitize.MAX_ELEMENTS
    assert not sanitize.html_exceeds_bounds(html)
    assert "text" in html, "the words stay"


@settings(max_examples=60, deadline=None)
@given(markup())
def test_a_text_within_the_bounds_keeps_all_its_markup_and_one_beyond_them_is_refused(text):
    """The bound cuts only what is beyond it: a text the forms accept is stored as if there were none."""
    bounded = sanitize.text_to_html(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sanitize, "MAX_DEPTH", 10**6)
        patch.setattr(sanitize, "MAX_ELEMENTS", 10**6)
        unbounded = sanitize.text_to_html(text)
    assert (bounded == unbounded) == (sanitize.exceeded_bound(text) is None)


@pytest.mark.parametrize("text", [
    "<em> " * 250 + "deep" + " </em>" * 250,  # what the outside testers sent
    "<ul><li>" * 120 + "deep",
    "<ol>" * 300 + "deep",
    "<blockquote>\n" * 200 + "deep",
    "<em><strong><ul><li><blockquote><b><i>" * 60 + "deep",
    "line\n" * 5000,
    "<b>x</b> " * 3000,
])
def test_what_broke_the_press_is_bounded(text):
    found = structure(sanitize.text_to_html(text))
    assert found.deepest <= sanitize.MAX_DEPTH and found.elements <= sanitize.MAX_ELEMENTS
    assert sanitize.exceeded_bound(text) in ("depth", "elements")


def test_tags_beyond_the_depth_are_shown_as_typed_and_breaks_stay_spaces():
    html = sanitize.text_to_html("<em>" * (sanitize.MAX_DEPTH + 2) + "x\ny")
    # The paragraph the text is wrapped in, then 19 levels of <em>: the other three are text.
    assert "<p>" + "<em>" * (sanitize.MAX_DEPTH - 1) + "&lt;em&gt;" * 3 + "x" in html
    assert re.search(r"x\s+y", html) and "<br>" not in html


def narrowest_line_room(document) -> float:
    """The width the narrowest block of the letter's text gives its lines, over all the pages."""

    def rooms(box, in_text: bool):
        element = getattr(box, "element", None)
        in_text = in_text or (element is not None and "letter-body" in (element.get("class") or "").split())
        children = getattr(box, "children", ())
        if in_text and isinstance(box, boxes.BlockContainerBox) and any(isinstance(child, boxes.LineBox) for child in children):
            yield box.width
        for child in children:
            yield from rooms(child, in_text)

    return min(room for page in document.pages for room in rooms(page._page_box, False))


def _at_stack_depth(frames: int, call):
    """Run `call` with `frames` more frames on the stack, as a deeply nested caller would."""
    return call() if frames == 0 else _at_stack_depth(frames - 1, call)


@pytest.mark.pdf
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=markup(), language=st.sampled_from(["he", "ar", "en"]))
def test_whatever_the_sanitizer_makes_weasyprint_lays_out(app, text, language):
    html = sanitize.text_to_html(text)
    letter = PrintedLetter(public_id="x" * 16, display_name="Dana", descriptor=None, title=None, language=language, body_html=html,
                           published_at=datetime.now(UTC), collective=False, signers=(), fingerprint="f" * 32)
    # With a fifth of the recursion limit already used: a render called from deep in a build still fits.
    document = _at_stack_depth(sys.getrecursionlimit() // 5, lambda: letters_document([letter]))
    # However deep its markup, no line of text is squeezed into a narrow column: every line has at
    # least half the page's width. (How many pages is no measure: a letter may be thousands of short
    # lines, one word a block, as a text of 20,000 characters made of "<ol>w " is, in 85 pages.)
    assert document.pages and narrowest_line_room(document) >= document.pages[0]._page_box.width / 2
    # Written as a build writes it: tagged, which walks the boxes again, as deep.
    assert _at_stack_depth(sys.getrecursionlimit() // 5, lambda: write_tagged(document))


@pytest.mark.pdf
@pytest.mark.parametrize("nesting", ["<ul> ", "<ol> <li> ", "<blockquote> ", "<ul> <blockquote> ", "<ol> <ul> <li> "])
def test_markup_nested_to_the_bound_never_squeezes_the_text(app, nesting):
    """Each list or quote indents; lists in lists to the bound once left a word a line (80 pages for a page of text)."""
    html = sanitize.text_to_html(nesting * sanitize.MAX_DEPTH + "word " * 400)
    letter = PrintedLetter(public_id="x" * 16, display_name="Dana", descriptor=None, title=None, language="en", body_html=html,
                           published_at=datetime.now(UTC), collective=False, signers=(), fingerprint="f" * 32)
    assert len(letters_document([letter]).pages) <= 2


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["a", " ", "\n", "\r\n", "\n\n", "x.co ", "a@b.example ", "http://h ", "mailto:a@b ", "."]), max_size=60),
       st.integers(min_value=0, max_value=1))
def test_the_quick_answer_for_a_text_without_tags_is_the_sanitizer_s(pieces, scale):
    """exceeded_bound skips sanitizing a text without a typed tag whose line breaks, dots, at signs and
    colons are too few to make MAX_ELEMENTS elements: its answer must be the one sanitizing gives."""
    text = "".join(pieces) * (1 if scale == 0 else sanitize.MAX_ELEMENTS // max(1, len(pieces)))
    assert sanitize.exceeded_bound(text) == sanitize._bounded_html(text)[1]


@pytest.mark.parametrize("lines", [sanitize.MAX_ELEMENTS - 3, sanitize.MAX_ELEMENTS - 1, sanitize.MAX_ELEMENTS + 1])
def test_the_quick_answer_holds_at_the_bound(lines):
    text = "a\n" * lines
    assert sanitize.exceeded_bound(text) == sanitize._bounded_html(text)[1]


def test_thousands_of_typed_tags_are_refused_without_parsing_them(monkeypatch):
    """Misnested links cost the parser seconds: a text with more allowed start tags than MAX_ELEMENTS
    is over the bound before any parse."""
    text = ((("<ul><li><a>" * 26) + " ") * 80)[:20000]
    monkeypatch.setattr(sanitize, "_bounded_html", lambda text: pytest.fail("parsed"))
    assert sanitize.exceeded_bound(text) == "elements"
    assert len(sanitize._ALLOWED_START_TAG.findall("<div> <bx> <a href=x> <B> <br/>")) == 3


@pytest.mark.parametrize("hidden", ["\u2063", "\u2061", "\u034f", "\u180b", "\ufe0f", "\u00ad", "\u200b"])
def test_a_dot_before_a_character_idna_ignores_is_broken_too(hidden):
    assert sanitize.unlinked(f"evil.{hidden}com") == f"evil[.]{hidden}com"
