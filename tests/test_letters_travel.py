"""A letter page that leads on, share links without trackers, and what search engines are told."""

import xml.etree.ElementTree as ElementTree
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from refusal_site import letters, pauses, tokens
from refusal_site.models import LetterStatus, utcnow
from tests.factories import make_collective, make_letter, make_signature
from tests.test_public import get_page

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_every_letter_has_a_heading_in_the_page_language(client):
    untitled = make_letter(language="ar", display_name="سلمى حداد")
    page = get_page(client, f"/letters/{untitled.public_id}?lang=en")
    assert "A letter from \u2068سلمى حداد\u2069" in page.visible_text
    html = client.get(f"/letters/{untitled.public_id}?lang=he").get_data(as_text=True)
    heading = html[html.index('<h1 class="letter-title"'): html.index("</h1>")]
    assert 'lang="he" dir="rtl"' in heading and "\u2068سلمى حداد\u2069" in heading
    titled = make_letter(language="en", title="Not in my name")
    assert "<h1 class=\"letter-title\"><bdi>Not in my name</bdi></h1>" in client.get(f"/letters/{titled.public_id}").get_data(as_text=True)


def test_a_letter_page_leads_to_the_letters_before_and_after_it_and_back_to_all(client):
    start = utcnow() - timedelta(days=3)
    first, middle, last = (make_letter(published_at=start + timedelta(hours=i), display_name=f"כותב {i}") for i in range(3))
    withdrawn_between = make_letter(published_at=start + timedelta(hours=1, minutes=30))
    letters.withdraw(withdrawn_between)
    page = get_page(client, f"/letters/{middle.public_id}?lang=en")
    links = {a.get("rel"): a["href"] for a in page.find("a") if a.get("rel") in ("prev", "next")}
    assert links == {"prev": f"/letters/{first.public_id}", "next": f"/letters/{last.public_id}"}
    assert page.find("a", href="/letters")
    assert "3 public refusers" in page.visible_text
    # At the ends, only the side that exists; a paused neighbour is skipped like a withdrawn one.
    pauses.pause(last)
    page = get_page(client, f"/letters/{middle.public_id}?lang=en")
    assert {a.get("rel") for a in page.find("a")} >= {"prev"} and not [a for a in page.find("a") if a.get("rel") == "next"]
    assert "2 public refusers" in page.visible_text


def test_a_collective_letter_invites_co_signing_near_its_top(client):
    collective = make_collective(title="מכתב הטייסים")
    make_signature(collective)
    html = client.get(f"/letters/{collective.public_id}?lang=en").get_data(as_text=True)
    call = html.index('class="sign-call"')
    assert call < html.index('class="letter-body"')
    assert f'href="/letters/{collective.public_id}/sign"' in html[call: call + 600]
    individual = make_letter()
    assert 'class="sign-call"' not in client.get(f"/letters/{individual.public_id}").get_data(as_text=True)


def test_share_links_are_plain_links_to_the_services_and_carry_the_public_address_only(client):
    letter = make_letter(language="he", title="לא בשמי", contact_email="secret-author@private.example")
    page = get_page(client, f"/letters/{letter.public_id}?lang=en")
    address = f"https://refusers.example/letters/{letter.public_id}"
    shares = {urlsplit(a["href"]).netloc or urlsplit(a["href"]).scheme: a for a in page.find("a") if (a.get("class") or "").startswith("share-")}
    assert set(shares) == {"wa.me", "t.me", "x.com", "www.facebook.com", "mailto"}
    for link in shares.values():
        assert address in "".join(value for values in parse_qs(urlsplit(link["href"]).query).values() for value in values)
        assert "private.example" not in link["href"]
    assert parse_qs(urlsplit(shares["t.me"]["href"]).query)["text"] == ["לא בשמי"]
    assert shares["wa.me"]["rel"] == "noopener noreferrer" and shares["wa.me"]["target"] == "_blank"
    # Nothing of theirs is loaded: no script, image or frame from another host.
    html = client.get(f"/letters/{letter.public_id}").get_data(as_text=True)
    for tag in ("script", "img", "iframe", "link"):
        for element in get_page(client, f"/letters/{letter.public_id}").find(tag):
            source = element.get("src") or element.get("href") or ""
            assert source.startswith("https://refusers.example/") or not source.startswith(("http:", "https:", "//")), (tag, source)
    assert "secret-author" not in html


def test_robots_keeps_private_links_out_and_points_to_the_sitemap(client):
    robots = client.get("/robots.txt").get_data(as_text=True)
    for prefix in ("/my-letter/", "/my-signature/", "/confirm/", "/signature/confirm/", "/moderate/"):
        assert any(prefix.startswith(line.removeprefix("Disallow: ")) for line in robots.splitlines() if line.startswith("Disallow: ")), prefix
    assert "Sitemap: https://refusers.example/sitemap.xml" in robots
    # Letters themselves are public: no line keeps out /letters or a letter (only the pages after a co-signature).
    assert not [line for line in robots.splitlines() if line in ("Disallow: /letters", "Disallow: /letters/", "Disallow: /")]


def test_private_pages_say_noindex_and_public_ones_do_not(client):
    pending = make_letter(LetterStatus.PENDING)
    private = client.get(f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, pending)}")
    assert private.headers["X-Robots-Tag"] == "noindex"
    assert client.get("/moderate/sign-in").headers["X-Robots-Tag"] == "noindex"
    assert client.get("/my-letter/forged-token").headers["X-Robots-Tag"] == "noindex"
    published = make_letter()
    assert "X-Robots-Tag" not in client.get(f"/letters/{published.public_id}").headers
    assert "X-Robots-Tag" not in client.get("/").headers


def test_the_sitemap_lists_every_public_letter_and_forgets_withdrawn_ones(client):
    kept, withdrawn = make_letter(), make_letter(language="en")
    make_letter(LetterStatus.PENDING)
    index = ElementTree.fromstring(client.get("/sitemap.xml").data)
    files = [urlsplit(loc.text).path for loc in index.iter(f"{SITEMAP}loc")]
    assert files == ["/sitemap-pages.xml", "/sitemap-letters-1.xml"]

    def listed() -> set[str]:
        urlset = ElementTree.fromstring(client.get("/sitemap-letters-1.xml").data)
        return {urlsplit(url.find(f"{SITEMAP}loc").text).path for url in urlset.iter(f"{SITEMAP}url")}

    assert listed() == {f"/letters/{kept.public_id}", f"/letters/{withdrawn.public_id}"}
    letters.withdraw(withdrawn)
    assert listed() == {f"/letters/{kept.public_id}"}
    pages = client.get("/sitemap-pages.xml").get_data(as_text=True)
    assert "https://refusers.example/press" in pages and 'hreflang="ar" href="https://refusers.example/press?lang=ar"' in pages
    assert "/my-letter" not in pages and "/moderate" not in pages
    assert client.get("/sitemap-letters-2.xml").status_code == 404
    assert client.get("/sitemap-letters-0.xml").status_code == 404
    # A number no database column holds is no sitemap either, not an error.
    assert client.get("/sitemap-letters-99999999999999999999.xml").status_code == 404
    assert client.get("/sitemap-letters-50001.xml").status_code == 404
