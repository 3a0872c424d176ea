"""The press page: the count, the last publication, the curve over time drawn on the server."""

import xml.etree.ElementTree as ET
from datetime import timedelta

from refusal_site import chart, letters
from refusal_site.models import LetterStatus, utcnow
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import Page, page_of

SVG = "{http://www.w3.org/2000/svg}"


def test_the_press_page_draws_the_cumulative_curve_without_script(client):
    for days_ago in (30, 30, 10, 1):
        make_letter(published_at=utcnow() - timedelta(days=days_ago))
    make_letter(LetterStatus.PENDING)
    response = client.get("/press?lang=en")
    assert response.status_code == 200
    page = page_of(response)
    # No script draws it: the only script is our own copy button's, and the curve is in the HTML.
    assert [script["src"].split("?")[0] for script in page.find("script")] == ["/static/js/copy.js"]
    assert "4 public refusers" in page.visible_text
    html = response.get_data(as_text=True)
    drawing = ET.fromstring(html[html.index("<svg"): html.index("</svg>") + 6])
    assert drawing.find(f"{SVG}title").text == "Public refusers over time"
    assert "4 public refusers" in drawing.find(f"{SVG}desc").text
    assert [t.text for t in drawing.iter(f"{SVG}text")][-2] == "4", "the top of the axis is the total"


def test_the_curve_follows_withdrawals_on_the_next_request(client):
    first = make_letter(published_at=utcnow() - timedelta(days=3))
    make_letter(published_at=utcnow() - timedelta(days=2))
    assert "2 public refusers" in page_of(client.get("/press?lang=en")).visible_text
    letters.withdraw(first)
    assert "1 public refuser" in page_of(client.get("/press?lang=en")).visible_text


def test_the_press_page_works_with_no_letters(client):
    response = client.get("/press?lang=ar")
    assert response.status_code == 200 and page_of(response).find("html")[0]["dir"] == "rtl"


def test_chart_text_is_escaped():
    from datetime import date

    drawing = chart.svg(chart.cumulative([(date(2026, 1, 1), 2)]), title="<script>x</script>", description="a & b", labels=("<b>", "c"))
    assert "<script>" not in drawing and "&lt;script&gt;" in drawing and "&lt;b&gt;" in drawing
    ET.fromstring(str(drawing))


def test_cumulative_totals():
    from datetime import date

    points = chart.cumulative([(date(2026, 1, 1), 2), (date(2026, 1, 3), 5)])
    assert [(p.day.day, p.total) for p in points] == [(1, 2), (3, 7)]


def test_the_press_page_counts_the_author_and_each_published_co_signer(client):
    letter = make_collective()
    make_signature(letter)
    make_signature(letter)
    make_signature(letter, "unconfirmed")
    html = client.get("/press", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # The count itself, not the curve's description (which says the total too).
    count = html[html.index('<p class="count"'): html.index("</p>", html.index('<p class="count-breakdown"')) + 4]
    text = Page(count).visible_text
    assert text == "3 public refusers 1 letter · 2 co-signatures on collective letters"


def test_language_editions_are_named_in_the_page_s_language(client):
    """A Hebrew sentence names Arabic in Hebrew ("מכתבים בערבית"), not in Arabic letters mid-sentence."""
    make_letter(language="ar")
    hebrew = client.get("/press", headers={"Accept-Language": "he"}).get_data(as_text=True)
    assert "מכתבים בערבית" in hebrew and "מכתבים באנגלית" in hebrew and "בالعربية" not in hebrew
    arabic = client.get("/press", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert "رسائل باللغة العبرية" in arabic and "رسائل باللغة עברית" not in arabic
    english = client.get("/press", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Letters in Hebrew" in english and "Letters in Arabic" in english


def test_a_range_with_no_letters_is_an_error_next_to_its_field_in_the_page_s_language(client):
    make_letter(published_at=utcnow() - timedelta(days=3))
    response = client.get("/press/range?since=2030-01-01&until=2030-01-31", headers={"Accept-Language": "he"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    page = page_of(response)
    (since,) = page.find("input", name="since")
    assert since["value"] == "2030-01-01" and since["aria-invalid"] == "true", "what was typed is kept"
    assert page.find("p", id=since["aria-describedby"], **{"class": "field-error"})
    html = response.get_data(as_text=True)
    assert "לא פורסם אף מכתב בימים האלה" in html[html.index('id="since-error"'):]
    assert page.find("figure"), "the press page itself, with its count and chart, not an error page"
    assert "1 סרבן או סרבנית בפומבי" in page.visible_text


def test_days_in_the_wrong_order_or_spelling_are_refused_next_to_their_field(client):
    make_letter(published_at=utcnow() - timedelta(days=3))
    wrong_order = page_of(client.get("/press/range?since=2026-07-01&until=2026-06-30", headers={"Accept-Language": "ar"}))
    assert wrong_order.find("p", id="until-error") and "اليوم الأخير يسبق اليوم الأول" in wrong_order.visible_text
    odd = client.get("/press/range?since=2026-07-1x&language=xx", headers={"Accept-Language": "en"})
    assert odd.status_code == 400
    text = page_of(odd).visible_text
    assert "Please give a day like 2026-03-01." in text and "Please choose one of the languages." in text


def test_a_range_that_holds_letters_leads_to_its_compilation(client):
    letter = make_letter(language="en", published_at=utcnow() - timedelta(days=3))
    day = letter.published_at.date()
    response = client.get(f"/press/range?since={day - timedelta(days=1)}&until=&language=en")
    assert response.status_code == 303
    assert response.headers["Location"] == f"/press/letters.pdf?language=en&since={day - timedelta(days=1)}"


def test_an_edition_of_nobody_is_never_a_pdf(client):
    """No English letter yet: the press page offers no link to it, and its address says so in words."""
    make_letter(language="he")
    page = page_of(client.get("/press", headers={"Accept-Language": "en"}))
    assert not page.find("a", href="/press/letters.pdf?language=en") and page.find("a", href="/press/letters.pdf?language=he")
    assert "Letters in English (none yet)" in " ".join(page.visible_text.split())
    response = client.get("/press/letters.pdf?language=en", headers={"Accept-Language": "he"})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "עדיין לא פורסם אף מכתב באנגלית" in response.get_data(as_text=True)
    asked = client.get("/press/range?language=en", headers={"Accept-Language": "en"})
    assert asked.status_code == 400 and page_of(asked).find("p", id="language-error")
