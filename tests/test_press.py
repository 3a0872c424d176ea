"""The press page: the count, the last publication, the curve over time drawn on the server."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from refusal_site import chart, letters, tally
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
    assert [span for span in Page(html[html.index('<div class="chart-y"'):]).text if span.strip()][:2] == ["4", "0"], "the axis runs from 0 to the total"


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

    drawing = chart.svg(chart.cumulative([(date(2026, 1, 1), 2)]), title="<script>x</script>", description="a & b",
                        labels=chart.Labels("<b>", "c", "2", "rtl", "he"))
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


def test_the_chart_s_labels_are_in_the_page_s_language_each_in_its_own_direction(client):
    """Hebrew says "10 ביוני 2026" as one isolated run, never "10 2026 ביוני"; time runs left to right."""
    first = make_letter(published_at=datetime(2026, 6, 10, 9, tzinfo=UTC))
    make_letter(published_at=datetime(2026, 7, 2, 9, tzinfo=UTC))
    for language, days in (("he", ["10 ביוני 2026", "2 ביולי 2026"]), ("ar", ["10 يونيو 2026", "2 يوليو 2026"]),
                           ("en", ["June 10, 2026", "July 2, 2026"])):
        page = page_of(client.get(f"/press?lang={language}"))
        (plot,) = page.find("div", **{"class": "chart-plot"})
        assert plot["dir"] == "ltr", "time runs left to right"
        labels = page.find("bdi")
        assert [(label["dir"], label["lang"]) for label in labels] == [("rtl" if language != "en" else "ltr", language)] * 2
        html = client.get(f"/press?lang={language}").get_data(as_text=True)
        axis = html[html.index('<div class="chart-x"'):html.index("</div>", html.index('<div class="chart-x"'))]
        assert [text for text in Page(axis).text if text.strip()] == days, axis
    assert first


def test_the_chart_comes_with_its_numbers_by_month_as_a_table(client):
    for when in (datetime(2026, 5, 30, tzinfo=UTC), datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 6, 20, tzinfo=UTC)):
        make_letter(published_at=when)
    html = client.get("/press?lang=en").get_data(as_text=True)
    table = html[html.index("<table"):html.index("</table>")]
    rows = [[cell for cell in Page(row).text if cell.strip()] for row in table.split("<tr>")[2:]]
    assert rows == [["May 2026", "1", "1"], ["June 2026", "2", "3"]]
    assert "יוני 2026" in client.get("/press?lang=he").get_data(as_text=True)


def test_journalists_download_the_chart_as_svg_and_png_and_the_count_by_day_as_csv(client):
    from io import BytesIO

    from babel.dates import format_date
    from PIL import Image

    from refusal_site.compilation.selection import day

    make_letter(published_at=datetime(2026, 6, 10, 9, tzinfo=UTC))
    collective = make_collective(published_at=datetime(2026, 6, 12, 9, tzinfo=UTC))
    make_signature(collective)
    make_signature(collective)
    counted = tally.snapshot()
    assert counted.refusers == 4
    page = page_of(client.get("/press?lang=he"))
    links = {link["type"]: link["href"] for link in page.find("a") if "download" in link}
    assert set(links) == {"image/svg+xml", "image/png", "text/csv"}

    drawn = client.get(links["image/svg+xml"])
    assert drawn.mimetype == "image/svg+xml" and "attachment" in drawn.headers["Content-Disposition"]
    svg = ET.fromstring(drawn.get_data())
    texts = {text.text: text.attrib for text in svg.iter(f"{SVG}text")}
    today = day(utcnow())  # the co-signatures were published now
    assert set(texts) == {"4", "0", "10 ביוני 2026", format_date(today, "long", locale="he")}
    assert texts["10 ביוני 2026"]["direction"] == "rtl" and texts["10 ביוני 2026"]["text-anchor"] == "end", "its left end at the axis' start"

    picture = client.get(links["image/png"])
    assert picture.mimetype == "image/png"
    image = Image.open(BytesIO(picture.get_data()))
    assert image.size == (1280, 400)
    assert image.convert("L").crop((160, 330, 640, 400)).getextrema()[0] < 128, "the first day is written under the axis"

    table = client.get(links["text/csv"]).get_data(as_text=True).splitlines()
    assert table[0] == "date,letters,co_signatures,public_refusers_that_day,public_refusers_total"
    rows = [line.split(",") for line in table[1:]]
    assert rows == [["2026-06-10", "1", "0", "1", "1"], ["2026-06-12", "1", "0", "1", "2"], [today.isoformat(), "0", "2", "2", "4"]]
    assert int(rows[-1][-1]) == counted.refusers and sum(int(r[1]) for r in rows) == counted.letters and sum(int(r[2]) for r in rows) == counted.signatures


def test_with_no_letters_there_is_no_chart_to_download_as_png(client):
    assert client.get("/press/chart.png").status_code == 404
    assert client.get("/press/chart.csv").get_data(as_text=True).strip() == "date,letters,co_signatures,public_refusers_that_day,public_refusers_total"


def test_the_press_range_and_the_list_read_days_alike(client):
    """One rule for a range of days (params.DayRange): a spelling the list refuses, the press's range
    refuses too, with the same words, and a reversed range the same way."""
    make_letter(published_at=utcnow() - timedelta(days=3))
    for query, field in (("since=2026-7-1", "since"), ("until=2026-W01-1", "until"), ("since=2026-07-02&until=2026-07-01", "until")):
        answers = [client.get(f"{url}?{query}", headers={"Accept-Language": "he"}) for url in ("/press/range", "/letters")]
        assert [answer.status_code for answer in answers] == [400, 400], query
        errors = [page_of(answer).find("p", id=f"{field}-error") for answer in answers]
        assert all(errors), query
        texts = [response.get_data(as_text=True) for response in answers]
        said = [text[text.index(f'id="{field}-error"'):].split("</p>")[0] for text in texts]
        assert said[0].strip() == said[1].strip(), query
