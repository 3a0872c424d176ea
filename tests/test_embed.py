"""The count on other sites: the framed page, the badge, and the API read by other sites' scripts."""

import re
import xml.etree.ElementTree as ElementTree

import pytest

from refusal_site import letters, pauses
from tests.factories import make_collective, make_letter, make_signature


def count_on_badge(client, lang: str = "en") -> tuple[str, str]:
    response = client.get(f"/badge.svg?lang={lang}")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    svg = ElementTree.fromstring(response.data)
    texts = [element.text for element in svg.iter("{http://www.w3.org/2000/svg}text")]
    return texts[1], texts[0]


def test_the_badge_counts_every_public_refuser_and_changes_on_the_next_request(app, client):
    letter = make_letter()
    make_letter(language="en")
    collective = make_collective()
    make_signature(collective)
    assert count_on_badge(client) == ("4", "public refusers")
    letters.withdraw(letter)
    assert count_on_badge(client) == ("3", "public refusers")


def test_the_badge_speaks_the_language_asked_for_and_nothing_else(app, client):
    make_letter()
    number, label = count_on_badge(client, "he")
    assert number == "1" and re.search("[\u0590-\u05ff]", label)
    number, label = count_on_badge(client, "ar")
    assert re.search("[\u0600-\u06ff]", label)
    svg = client.get("/badge.svg?lang=ar").get_data(as_text=True)
    assert 'direction="rtl"' in svg and 'xml:lang="ar"' in svg
    # An unknown language, or a parameter that tries to change the markup, gives the default badge.
    default = client.get("/badge.svg").data
    assert client.get("/badge.svg?lang=xx").data == default
    assert client.get("/badge.svg?lang=<script>&color=red&label=hacked").data == default


def test_the_framed_page_may_be_framed_and_no_other_page_may(app, client):
    framed = client.get("/embed/count?lang=en")
    assert framed.status_code == 200
    assert "frame-ancestors *" in framed.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in framed.headers
    for url in ("/", "/press", "/letters", "/badge.svg", "/api/v1/count", "/submit"):
        response = client.get(url)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"], url
        assert response.headers["X-Frame-Options"] == "DENY", url


def test_the_framed_page_sets_no_cookie_has_no_form_and_reads_no_remembered_language(app, client):
    make_letter()
    client.get("/letters?lang=ar")  # the reader chose Arabic on our site
    response = client.get("/embed/count?lang=he&size=large")
    assert "Set-Cookie" not in response.headers
    html = response.get_data(as_text=True)
    assert "<form" not in html and "csrf" not in html.lower()
    assert 'lang="he" dir="rtl"' in html and "embed--large" in html
    assert '<span class="embed-number">1</span>' in html
    # Without a language, the site's default, whatever the reader chose here before.
    assert 'lang="he"' in client.get("/embed/count").get_data(as_text=True)
    # Unknown values fall back; nothing asked for reaches the markup.
    odd = client.get('/embed/count?lang=xx&size="><script>alert(1)</script>').get_data(as_text=True)
    assert "embed--medium" in odd and "<script" not in odd and "alert" not in odd
    # Its link opens the site in a new tab, in the same language.
    assert re.search(r'<a class="embed-link" href="[^"]+/\?lang=he" target="_blank" rel="noopener">', html)


def test_a_hidden_letter_leaves_the_framed_count_at_once(app, client):
    letter = make_letter()
    make_letter()
    assert '<span class="embed-number">2</span>' in client.get("/embed/count?lang=en").get_data(as_text=True)
    pauses.pause(letter)
    assert '<span class="embed-number">1</span>' in client.get("/embed/count?lang=en").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/api/v1/count", "/api/v1/letters", "/api/v1/openapi.json"])
def test_any_site_may_read_the_api_without_credentials(client, url):
    response = client.get(url, headers={"Origin": "https://supporters.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    preflight = client.open(url, method="OPTIONS", headers={"Origin": "https://supporters.example", "Access-Control-Request-Method": "GET"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET"
    assert client.post(url, headers={"Origin": "https://supporters.example"}).status_code in (400, 403, 405)


def test_the_press_page_shows_how_to_embed(client):
    html = client.get("/press?lang=en").get_data(as_text=True)
    # The snippets, shown as text to copy.
    assert '&lt;iframe src=&#34;https://refusers.example/embed/count?lang=en&amp;amp;size=medium&#34;' in html
    assert "/badge.svg?lang=en" in html
    assert 'src="/embed/count?lang=en&amp;size=medium"' in html


def test_the_framed_page_in_a_real_browser_on_another_site(browser, live_server, tmp_path, app):
    """Another site (a page on another origin) frames the count; the browser shows it and fetches
    nothing from anyone but us."""
    import http.server
    import threading

    make_letter()
    (tmp_path / "index.html").write_text(
        f'<!doctype html><title>supporters</title><iframe src="{live_server}/embed/count?lang=ar" width="260" height="150"></iframe>'
        f'<img src="{live_server}/badge.svg?lang=ar" alt="badge">'
    )
    handler = lambda *a, **k: http.server.SimpleHTTPRequestHandler(*a, directory=str(tmp_path), **k)  # noqa: E731
    other = http.server.ThreadingHTTPServer(("127.0.0.2", 0), handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        context = browser.new_context()
        tab = context.new_page()
        requested = []
        tab.on("request", lambda request: requested.append(request.url))
        tab.goto(f"http://127.0.0.2:{other.server_port}/index.html")
        frame = tab.frame_locator("iframe")
        assert frame.locator(".embed-number").inner_text() == "1"
        assert tab.locator("img").evaluate("img => img.naturalWidth") > 40
        assert all(url.startswith((live_server, f"http://127.0.0.2:{other.server_port}")) for url in requested), requested
        context.close()
    finally:
        other.shutdown()
        other.server_close()
