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
