"""The public pages as a reader sees them, in Hebrew, Arabic and English."""

import re
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from refusal_site import letters
from refusal_site.models import LetterStatus, utcnow
from tests.factories import make_collective, make_letter, make_published_series, make_signature
from tests.pages import page_of


class Page(HTMLParser):
    """The elements of a page, with their attributes, and its visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data) -> None:
        self.text.append(data)

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def get_page(client, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return Page(response.get_data(as_text=True))


@pytest.mark.parametrize(
    ("lang", "direction", "count_text"),
    [("he", "rtl", "3 סרבנים"), ("ar", "rtl", "3"), ("en", "ltr", "3 public refusers")],
)
def test_home_shows_the_count_in_the_visitors_language(client, lang, direction, count_text):
    make_published_series(3)
    page = get_page(client, f"/?lang={lang}")
    html = page.find("html")[0]
    assert (html["lang"], html["dir"]) == (lang, direction)
    count = page.find("p", **{"class": "count"})
    assert count
    assert count_text in page.visible_text


def test_hebrew_is_the_default_and_a_chosen_language_is_remembered(client):
    assert get_page(client, "/").find("html")[0]["lang"] == "he"
    get_page(client, "/?lang=en")
    assert get_page(client, "/letters").find("html")[0]["lang"] == "en"


def test_the_browsers_preference_is_used_when_nothing_was_chosen(client):
    response = client.get("/", headers={"Accept-Language": "ar,en;q=0.5"})
    assert Page(response.get_data(as_text=True)).find("html")[0]["lang"] == "ar"


def test_each_letter_carries_its_own_language_and_direction(client):
    make_letter(language="en")
    make_letter(language="ar")
    make_letter(language="he")
    page = get_page(client, "/letters?lang=en")
    articles = page.find("article")
    assert sorted((a["lang"], a["dir"]) for a in articles) == [("ar", "rtl"), ("en", "ltr"), ("he", "rtl")]


@pytest.mark.parametrize("page_lang, page_dir, month", [("he", "rtl", "בדצמבר"), ("ar", "rtl", "ديسمبر"), ("en", "ltr", "December")])
def test_a_date_in_a_letter_of_the_other_direction_is_isolated_in_the_page_s(client, page_lang, page_dir, month):
    """The date is written in the page's language: inside a letter that runs the other way it keeps its
    own direction ("4 בדצמבר 2026", not "4 2026 בדצמבר") and says which language it is in."""
    moment = utcnow().replace(month=12, day=4)
    other = "he" if page_lang == "en" else "en"
    letter = make_letter(language=other, published_at=moment)
    html = client.get(f"/letters/{letter.public_id}", headers={"Accept-Language": page_lang}).get_data(as_text=True)
    (date,) = re.findall(r'<time datetime="[^"]*" lang="([a-z]+)" dir="([a-z]+)">([^<]*)</time>', html)
    assert date[:2] == (page_lang, page_dir) and month in date[2]


def test_names_are_isolated_so_they_cannot_reorder_the_page(client):
    letter = make_letter(display_name="\u202eevil\u202c Name", language="en")
    assert letter.display_name == "evil Name"
    html = client.get(f"/letters/{letter.public_id}").get_data(as_text=True)
    assert '<bdi class="letter-name">evil Name</bdi>' in html
    assert "\u202e" not in html


def test_the_list_is_newest_first_and_paginated(client, app):
    app.config["LETTERS_PER_PAGE"] = 2
    series = make_published_series(5)
    first = get_page(client, "/letters")
    ids = [a["href"].rsplit("/", 1)[1] for a in first.find("a") if a.get("href", "").startswith("/letters/")]
    assert ids[0] == series[-1].public_id
    assert series[-2].public_id in ids
    second = get_page(client, first.find("a", rel="next")[0]["href"])
    third = get_page(client, second.find("a", rel="next")[0]["href"])
    assert any(a["href"].endswith(series[0].public_id) for a in third.find("a"))
    assert not third.find("a", rel="next") and third.find("a", rel="prev")


def test_the_list_filters_by_language(client):
    he = make_letter(language="he")
    ar = make_letter(language="ar")
    html = client.get("/letters?language=ar").get_data(as_text=True)
    assert ar.public_id in html and he.public_id not in html


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/letters?page=0", 404),
        ("/letters?page=-1", 404),
        ("/letters?page=99999999999999999999", 404),
        ("/letters?page=2", 404),
        ("/letters?page=abc", 400),
        ("/letters?page=1.5", 400),
        ("/letters?page=%00", 400),
        ("/letters?page=١", 400),
        ("/?lang=xx", 400),
        ("/letters/does-not-exist", 404),
        ("/letters/%00", 404),
        ("/letters/" + "a" * 5000, 404),
        ("/no/such/page", 404),
    ],
)
def test_bad_addresses_get_a_clear_translated_error_page(client, url, status):
    response = client.get(url, headers={"Accept-Language": "he"})
    assert response.status_code == status
    page = Page(response.get_data(as_text=True))
    assert page.find("html")[0]["dir"] == "rtl"
    assert "Traceback" not in page.visible_text
    assert page.find("p", **{"class": "error-message"})


def test_malformed_query_strings_do_not_break_pages(client):
    make_letter()
    for query in ("?page=1&page=2", "?%zz", "?page", "?=&&=", "?lang=en&lang=xx"):
        assert client.get("/letters" + query).status_code in (200, 302, 400)


@pytest.mark.parametrize("status", [LetterStatus.UNCONFIRMED, LetterStatus.PENDING, LetterStatus.REJECTED, LetterStatus.WITHDRAWN, LetterStatus.UNPUBLISHED])
def test_letters_that_are_not_published_are_nowhere_public(client, status):
    hidden = make_letter(status, display_name="Hidden Person", language="en")
    make_letter(language="en")
    assert client.get(f"/letters/{hidden.public_id}").status_code == 404
    assert client.get(f"/api/v1/letters/{hidden.public_id}").status_code == 404
    for url in ("/", "/letters", "/feed.atom", "/api/v1/letters"):
        body = client.get(url).get_data(as_text=True)
        assert hidden.public_id not in body and "Hidden Person" not in body, url


def test_no_private_field_reaches_any_public_surface(client):
    letter = make_letter(contact_email="secret.author@private.example")
    for url in ("/", "/letters", f"/letters/{letter.public_id}", "/feed.atom", "/api/v1/letters",
                f"/api/v1/letters/{letter.public_id}", "/api/v1/count"):
        body = client.get(url).get_data(as_text=True)
        assert "secret.author" not in body and "private.example" not in body, url


def test_a_publication_and_a_withdrawal_show_on_the_very_next_request(client):
    first = make_letter(published_at=utcnow() - timedelta(hours=1))
    for url in ("/", "/api/v1/count", "/feed.atom", "/letters"):
        client.get(url)  # warm whatever caches there are
    second = make_letter()
    assert second.public_id in client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/count").json["count"] == 2
    assert second.public_id in client.get("/feed.atom").get_data(as_text=True)
    letters.withdraw(first)
    assert first.public_id not in client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/count").json["count"] == 1
    assert first.public_id not in client.get("/feed.atom").get_data(as_text=True)
    assert client.get(f"/letters/{first.public_id}").status_code == 404


def test_unchanged_pages_answer_304_and_change_their_etag_on_publication(client):
    make_letter()
    response = client.get("/")
    etag = response.headers["ETag"]
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    make_letter()
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag


def test_a_cached_page_never_carries_another_visitors_query(client):
    make_letter()
    client.get("/?utm=%22%3E%3Cb%3Ex")
    body = client.get("/").get_data(as_text=True)
    assert "utm" not in body


def test_no_page_loads_anything_from_another_host(client):
    letter = make_letter(body_text="see https://elsewhere.example/page")
    for url in ("/", "/letters", f"/letters/{letter.public_id}", "/nope"):
        page = Page(client.get(url).get_data(as_text=True))
        for tag, attrs in page.elements:
            for name in ("src", "href"):
                target = attrs.get(name)
                if target is None or (tag == "a" and name == "href"):
                    continue  # links are navigation, not loads
                if tag == "link" and attrs.get("rel") in ("canonical", "alternate"):
                    assert urlsplit(target).netloc in ("", "refusers.example"), (url, target)
                    continue  # this page's own addresses, for search engines: not loaded
                assert not urlsplit(target).netloc, (url, tag, target)
        # Scripts only of our own, from a file (the CSP allows no inline one).
        assert all(script.get("src", "").startswith("/static/js/") for script in page.find("script"))
    csp = client.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp and "frame-ancestors 'none'" in csp


def test_the_stylesheet_uses_logical_properties_only(app):
    for name in ("site.css",):
        with open(f"{app.static_folder}/css/{name}", encoding="utf-8") as f:
            text = f.read()
        physical = re.findall(r"(?<![\w-])(margin|padding|border)-(left|right)\b|(?<![\w-])(left|right)\s*:|text-align:\s*(left|right)|float:\s*(left|right)", text)
        assert not physical, physical


def test_the_fonts_are_served_by_the_site(client):
    with client.get("/static/css/fonts.css") as response:
        css = response.get_data(as_text=True)
    fonts = re.findall(r'url\("\.\./fonts/([^"]+)"\)', css)
    assert {"noto-sans-hebrew-400.woff2", "noto-sans-arabic-400.woff2", "noto-sans-latin-400.woff2"} <= set(fonts)
    for font in fonts:
        with client.get(f"/static/fonts/{font}") as response:
            assert response.status_code == 200 and response.data[:4] == b"wOF2"


@pytest.mark.parametrize("lang, script", [("he", "hebrew"), ("ar", "arabic"), ("en", None)])
def test_a_page_preloads_the_fonts_of_its_language_and_no_text_jumps_when_one_arrives(client, lang, script):
    """Fonts are used only if there for the first render (so a late one cannot rewrap the page), and
    the ones a page surely needs are preloaded at the very address the stylesheet asks for."""
    css = client.get("/static/css/fonts.css").get_data(as_text=True)
    assert set(re.findall(r"font-display: (\w+)", css)) == {"optional"}
    asked = {f"/static/fonts/{name}" for name in re.findall(r'url\("\.\./fonts/([^"]+)"\)', css)}
    for page in ("/", "/letters", "/press", f"/embed/count?lang={lang}"):
        html = client.get(page + ("&" if "?" in page else "?") + f"lang={lang}").get_data(as_text=True)
        preloaded = set(re.findall(r'<link rel="preload" href="([^"]+)" as="font" type="font/woff2" crossorigin>', html))
        expected = {f"/static/fonts/noto-sans-{family}-{weight}.woff2" for family in ("latin", script) if family for weight in (400, 700)}
        assert preloaded == expected and preloaded <= asked, (page, preloaded)
        # Before the stylesheets, so the fonts are fetched alongside them.
        assert html.index('rel="preload"') < html.index('rel="stylesheet"')


def test_a_cached_public_page_never_shows_one_visitors_messages_to_another(client, app):
    make_letter()
    with client.session_transaction() as session:
        session["_flashes"] = [("message", "private note for one visitor")]
    client.get("/")
    stranger = app.test_client()
    assert "private note for one visitor" not in stranger.get("/").get_data(as_text=True)


def test_if_none_match_star_does_not_fake_a_page(client):
    assert client.get("/letters/AAAAAAAAAAAAAAAA", headers={"If-None-Match": "*"}).status_code == 404
    assert client.get("/", headers={"If-None-Match": "*"}).status_code == 200


def test_home_counts_the_author_and_each_published_co_signer_of_a_collective_letter(client):
    letter = make_collective()
    make_signature(letter)
    make_signature(letter)
    make_signature(letter, "pending")
    page = get_page(client, "/?lang=en")
    assert page.find("p", **{"class": "count"}) and page.find("p", **{"class": "count-breakdown"})
    assert "3 public refusers" in page.visible_text
    assert "1 letter · 2 co-signatures on collective letters" in page.visible_text


def test_the_feed_and_the_json_are_offered_on_the_press_page_each_with_what_it_is_for(client):
    home = page_of(client.get("/?lang=en"))
    assert not [a for a in home.find("a") if a.get("href") in ("/feed.atom", "/api/v1/letters", "/api/v1/count")]
    assert home.find("link", rel="alternate", type="application/atom+xml"), "feed readers still find the feed"
    press = client.get("/press?lang=en").get_data(as_text=True)
    for href, purpose in (("/feed.atom", "feed reader"), ("/api/v1/letters", "every published letter"), ("/api/v1/count", "count of public refusers")):
        described = re.search(rf'<dt><a href="{re.escape(href)}"[^>]*>[^<]+</a></dt>\s*<dd>(.*?)</dd>', press, re.S)
        assert described and purpose in described[1], href
