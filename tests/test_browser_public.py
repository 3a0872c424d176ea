"""A reader in a real Chromium: direction, language switch without JavaScript, self-hosted fonts only."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    """The browser journeys need one backend; the pages' database behaviour is tested on both elsewhere."""
    return request.param


def test_a_reader_switches_language_and_reads_a_letter(page, live_server):
    letter = make_letter(language="ar", display_name="سامي حلبي", title="لن ألتحق")
    make_letter(language="en", display_name="Daniel Stein")

    page.goto("/")
    assert page.get_attribute("html", "dir") == "rtl" and page.get_attribute("html", "lang") == "he"
    assert page.eval_on_selector("main", "el => getComputedStyle(el).direction") == "rtl"
    assert "2" in page.inner_text(".count")

    page.click("text=English")  # a plain link: no JavaScript involved
    page.wait_for_url("**/?lang=en")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    assert page.inner_text(".count").strip() == "2 public refusers"

    page.click(f"a[href='/letters/{letter.public_id}'] >> nth=0")
    page.wait_for_url(f"**/letters/{letter.public_id}")
    article = page.locator("article.letter")
    assert article.get_attribute("lang") == "ar" and article.get_attribute("dir") == "rtl"
    assert page.inner_text("h1.letter-title") == "لن ألتحق"

    page.goto("/letters")  # the choice of English is remembered
    assert page.get_attribute("html", "lang") == "en"

    assert page.requested_urls and all(url.startswith(live_server) for url in page.requested_urls), page.requested_urls


def test_hebrew_and_arabic_text_use_the_sites_own_fonts(browser, live_server):
    make_letter(language="he")
    make_letter(language="ar")
    # JavaScript on here only to ask the browser which fonts it really used; the page has none of its own.
    context = browser.new_context(base_url=live_server, locale="ar")
    tab = context.new_page()
    requested = []
    tab.on("request", lambda request: requested.append(request.url))
    tab.goto("/letters")
    tab.evaluate("document.fonts.ready")
    loaded = tab.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family + ' ' + f.unicodeRange)")
    assert any("Site Sans" in f and "U+590-5FF" in f for f in loaded), loaded  # Hebrew
    assert any("Site Sans" in f and "U+600-6FF" in f for f in loaded), loaded  # Arabic
    fonts = [url for url in requested if url.endswith(".woff2")]
    assert fonts and all(url.startswith(f"{live_server}/static/fonts/") for url in fonts)
    assert all(url.startswith(live_server) for url in requested), requested
    context.close()


# The largest text in the page's main part, by computed size (a heading's size counts, not its tag).
LARGEST_TEXT = """() => {
  const sized = [...document.querySelectorAll("main *")]
    .filter(el => [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()))
    .map(el => [parseFloat(getComputedStyle(el).fontSize), el.className, el.textContent.trim()]);
  return sized.sort((a, b) => b[0] - a[0]);
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_home_page_says_what_the_site_is_and_the_count_stands_out(page, live_server, width):
    make_letter(language="he")
    page.set_viewport_size({"width": width, "height": 900})
    for lang in ("he", "ar", "en"):
        page.goto(f"/?lang={lang}")
        largest, second = page.evaluate(LARGEST_TEXT)[:2]
        assert largest[1] == "count" and largest[0] > second[0] * 1.3, (lang, largest, second)
        # One sentence first, above the count; the way to publish right after it, seen without scrolling.
        purpose = page.locator("h1.site-purpose")
        assert purpose.inner_text().count(".") == 1 and purpose.bounding_box()["y"] < page.locator(".count").bounding_box()["y"]
        call = page.locator(".hero a[href='/submit']")
        box = call.bounding_box()
        assert box["y"] + box["height"] < 900 and call.evaluate("el => getComputedStyle(el).backgroundColor") != "rgba(0, 0, 0, 0)"
        assert page.locator(".site-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))") == ["/letters", "/submit", "/press"]
