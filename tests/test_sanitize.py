"""The one place untrusted text becomes HTML."""

from html.parser import HTMLParser

from refusal_site import sanitize


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
