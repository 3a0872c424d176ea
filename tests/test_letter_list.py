"""The list of letters, in HTML and in the API: pages by cursor, filters that combine, old page
numbers, and every kind of bad input answered with a clear 400, never a 500."""

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask_babel import force_locale, gettext

from refusal_site import letters
from refusal_site.page_cache import page_cache
from refusal_site.paging import Key, encode_cursor
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import page_of


def api_pages(client, url: str, link: str = "next") -> list[list[str]]:
    """The ids of the letters of each page met following `link` from `url` to its end."""
    pages = []
    while url:
        body = client.get(url).json
        pages.append([letter["id"] for letter in body["letters"]])
        url = body[link]
    return pages


def walk_api(client, url: str, link: str = "next") -> list[str]:
    return [public_id for page in api_pages(client, url, link) for public_id in page]


def walk_html(client, url: str, rel: str = "next") -> list[str]:
    ids = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, url
        page = page_of(response)
        # Each letter is linked twice (its title, "Read the letter"): counted once per page.
        ids += dict.fromkeys(a["href"].rsplit("/", 1)[1] for a in page.find("a") if a.get("href", "").startswith("/letters/"))
        links = page.find("a", rel=rel)
        url = links[0]["href"] if links else None
    return ids


def newest_first(made) -> list[str]:
    return [letter.public_id for letter in sorted(made, key=lambda letter: (letter.published_at, letter.id), reverse=True)]


@pytest.fixture
def same_moments(app):
    """Nine letters, six of them published at one of two moments (a batch of moderation)."""
    app.config["LETTERS_PER_PAGE"] = 2
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    moments = [moment] * 3 + [moment + timedelta(minutes=5)] * 3 + [moment - timedelta(days=i) for i in range(1, 4)]
    return [make_letter(language="en", published_at=at) for at in moments]


def test_the_cursor_walks_every_letter_once_even_when_many_share_a_moment(client, same_moments):
    expected = newest_first(same_moments)
    assert walk_api(client, "/api/v1/letters") == expected
    assert walk_html(client, "/letters") == expected
    # And back: from the last page, `previous` meets every letter again, in the same order.
    last = "/api/v1/letters"
    while (body := client.get(last).json)["next"]:
        last = body["next"]
    pages = api_pages(client, last, link="previous")
    assert [public_id for page in reversed(pages) for public_id in page] == expected


def test_a_letter_withdrawn_between_two_pages_leaves_only_its_place(client, same_moments):
    first = client.get("/api/v1/letters").json
    order = newest_first(same_moments)
    # The last letter of the first page (the cursor's own) and one of the next page go.
    gone = {order[1], order[3]}
    for letter in same_moments:
        if letter.public_id in gone:
            letters.withdraw(letter)
    rest = walk_api(client, first["next"])
    assert rest == [public_id for public_id in order[2:] if public_id not in gone]
    # Newer letters from a page whose first letter went: the first page, whole.
    assert [l["id"] for l in client.get(client.get(first["next"]).json["previous"]).json["letters"]] == [order[0], order[2]]


def test_a_cursor_past_every_letter_is_an_empty_page_that_leads_back(client, same_moments):
    oldest = min(same_moments, key=lambda letter: letter.published_at)
    after = encode_cursor(Key(oldest.published_at, oldest.id))
    body = client.get(f"/api/v1/letters?after={after}").json
    assert (body["letters"], body["next"]) == ([], None) and body["previous"]
    html = client.get(f"/letters?after={after}", headers={"Accept-Language": "en"})
    assert html.status_code == 200 and page_of(html).find("a", rel="prev")
    assert "may have been withdrawn" in page_of(html).visible_text


def test_old_page_numbers_lead_to_the_same_letters(client, same_moments):
    order = newest_first(same_moments)
    for url, location in (("/letters?page=3", "/letters"), ("/api/v1/letters?page=3", "https://refusers.example/api/v1/letters")):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith(location + "?after=")
    assert walk_api(client, client.get("/api/v1/letters?page=3").headers["Location"])[:2] == order[4:6]
    assert walk_html(client, client.get("/letters?page=2").headers["Location"])[:2] == order[2:4]
    assert client.get("/letters?page=1").headers["Location"] == "/letters"
    # The filters go along; past the last page is still a 404.
    response = client.get("/letters?page=2&language=en&collective=no")
    assert parse_qs(urlsplit(response.headers["Location"]).query).keys() == {"after", "language", "collective"}
    for url in ("/letters?page=6", "/letters?page=2&language=he", "/api/v1/letters?page=6"):
        assert client.get(url).status_code == 404


@pytest.fixture
def varied(app):
    """Letters of each language and kind, on days either side of midnight in Jerusalem."""
    march_1_late = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)  # 23:30 in Jerusalem: still March 1st
    march_2_early = datetime(2026, 3, 1, 22, 30, tzinfo=UTC)  # 00:30 in Jerusalem: March 2nd
    return {
        "he-1": make_letter(language="he", published_at=march_1_late),
        "ar-2": make_letter(language="ar", published_at=march_2_early),
        "en-collective-5": make_collective(language="en", published_at=datetime(2026, 3, 5, 9, tzinfo=UTC)),
        "he-collective-9": make_collective(language="he", published_at=datetime(2026, 3, 9, 9, tzinfo=UTC)),
        "en-10": make_letter(language="en", published_at=datetime(2026, 3, 10, 9, tzinfo=UTC)),
    }


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("language=he", {"he-1", "he-collective-9"}),
        ("collective=yes", {"en-collective-5", "he-collective-9"}),
        ("collective=no", {"he-1", "ar-2", "en-10"}),
        ("since=2026-03-02", {"ar-2", "en-collective-5", "he-collective-9", "en-10"}),
        ("until=2026-03-01", {"he-1"}),
        ("since=2026-03-02&until=2026-03-09", {"ar-2", "en-collective-5", "he-collective-9"}),
        ("since=2026-03-05&until=2026-03-05", {"en-collective-5"}),
        ("since=2026-03-02&collective=yes&language=he", {"he-collective-9"}),
        ("until=2026-03-09&collective=no", {"he-1", "ar-2"}),
        ("since=2026-03-11", set()),
        ("since=0001-01-01&until=9999-12-31", {"he-1", "ar-2", "en-collective-5", "he-collective-9", "en-10"}),
        ("language=&since=&until=&collective=", {"he-1", "ar-2", "en-collective-5", "he-collective-9", "en-10"}),
    ],
)
def test_filters_combine_in_the_page_and_the_api(client, varied, query, names):
    expected = newest_first(varied[name] for name in names)
    body = client.get(f"/api/v1/letters?{query}").json
    assert [letter["id"] for letter in body["letters"]] == expected and body["total"] == len(expected)
    response = client.get(f"/letters?{query}", headers={"Accept-Language": "en"})
    assert walk_html(client, f"/letters?{query}") == expected
    if parse_qs(query):
        # The count of what was chosen, and a way back to every letter.
        text = page_of(response).visible_text
        assert (f"{len(expected)} letters" if len(expected) != 1 else "1 letter") in text
        assert page_of(response).find("a", href="/letters")


def test_each_chosen_filter_is_shown_with_a_way_to_remove_it(client, varied):
    response = client.get("/letters?language=he&since=2026-03-02&collective=yes", headers={"Accept-Language": "en"})
    page = page_of(response)
    text = page.visible_text
    assert "Letters in Hebrew" in text and "Published from March 2, 2026" in text and "Collective letters" in text
    removals = {a["href"] for a in page.find("a") if a.get("href", "").startswith("/letters?")}
    assert {"/letters?since=2026-03-02&collective=yes", "/letters?language=he&collective=yes", "/letters?language=he&since=2026-03-02"} <= removals
    # The form shows what was chosen, so it can be changed from there.
    assert page.value("since") == "2026-03-02"
    assert ["checked" in a for a in page.find("input", name="collective")] == [False, True, False]
    assert ["selected" in a for a in page.find("option")] == [False, True, False, False]
    # The next page keeps the filters.
    assert page_of(client.get("/letters?collective=no")).find("a", rel="next") == []


def test_links_to_older_letters_keep_the_filters(client, varied, app):
    app.config["LETTERS_PER_PAGE"] = 1
    next_link = page_of(client.get("/letters?collective=no&since=2026-03-02")).find("a", rel="next")[0]["href"]
    assert parse_qs(urlsplit(next_link).query).keys() == {"after", "collective", "since"}
    assert client.get("/api/v1/letters?collective=no&since=2026-03-02").json["next"].count("collective=no") == 1


def messages_in(language: str, *texts: str) -> list[str]:
    with force_locale(language):
        return [gettext(text) for text in texts]


DAMAGED = "This link to a page of letters is damaged. Please start again from the first page."
NOT_A_DAY = "Please give a day like 2026-03-01."
REVERSED = "The last day comes before the first. Please choose the days again."
NOT_A_LANGUAGE = "Please choose one of the languages."
NOT_A_KIND = "Please choose collective letters, letters of one person, or all letters."
BAD_INPUT = [
    ("since=2026-02-30", NOT_A_DAY),
    ("until=2026-13-01", NOT_A_DAY),
    ("since=20260301", NOT_A_DAY),
    ("since=2026-W09-1", NOT_A_DAY),
    ("since=2026-3-1", NOT_A_DAY),
    ("since=%D9%A2%D9%A0%D9%A2%D9%A6-03-01", NOT_A_DAY),  # Arabic-Indic digits
    ("since=" + "9" * 10_000, NOT_A_DAY),
    ("since=2026-03-02&until=2026-03-01", REVERSED),
    ("language=xx", NOT_A_LANGUAGE),
    ("language=%3Cscript%3E", NOT_A_LANGUAGE),
    ("language=HE", NOT_A_LANGUAGE),
    ("collective=maybe", NOT_A_KIND),
    ("collective=1", NOT_A_KIND),
    ("collective=%27%20OR%201%3D1--", NOT_A_KIND),
    ("after=xxx", DAMAGED),
    ("after=" + "A" * 10_000, DAMAGED),
    ("after=AAZhy4cike8AAAAE%E2%80%8F", DAMAGED),  # a bidi mark after a real cursor
    ("before=AAAAAAAAAAAAAAAA", DAMAGED),  # id 0
    ("after=_____________________w", DAMAGED),  # a rank that is no number (NaN)
    ("after=P_gAAAAAAAAABkvrJsNgAAAAAAV", DAMAGED),  # other trailing bits than the one spelling (…AAU)
    ("after=AAZhy4cike8AAAAE&before=AAZhy4cike8AAAAE", DAMAGED),
    ("after=%2A%5E%3A%25_", DAMAGED),
    ("before=f%27%22%3C%3E%7C.%2A%3F%5B%5D%28%29", DAMAGED),
]


@pytest.mark.parametrize(("query", "message"), BAD_INPUT)
@pytest.mark.parametrize("language", ["he", "ar"])
def test_bad_input_is_a_translated_400_by_its_field(client, app, query, message, language):
    make_letter()
    (translated,) = messages_in(language, message)
    assert translated != message, "the message has a translation"
    response = client.get(f"/letters?{query}", headers={"Accept-Language": language})
    assert response.status_code == 400
    page = page_of(response)
    assert page.find("html")[0]["dir"] == "rtl"
    assert translated in page.visible_text
    if message == DAMAGED:
        assert page.find("p", **{"class": "error-message"})  # a link, not a choice: the error page
    else:
        assert page.find("div", **{"class": "error-summary", "role": "alert"})  # the form, with the problem by its field
        assert "no-store" in response.headers["Cache-Control"]
    api = client.get(f"/api/v1/letters?{query}", headers={"Accept-Language": language})
    assert api.status_code == 400 and api.json == {"error": 400, "message": translated}


def test_a_bad_field_is_marked_with_its_message_and_the_good_ones_are_kept(client, varied):
    response = client.get("/letters?since=2026-02-30&until=2026-03-09&language=en", headers={"Accept-Language": "en"})
    page = page_of(response)
    assert (page.value("since"), page.value("until")) == ("", "2026-03-09")  # a date field cannot hold what is no day
    assert ["selected" in a for a in page.find("option")] == [False, False, False, True]
    assert page.find("input", name="since", **{"aria-invalid": "true", "aria-describedby": "since-error"})
    assert NOT_A_DAY in " ".join(page.text)


def test_nul_and_control_characters_in_a_filter_are_refused_cleanly(client, app):
    for query in ("since=%00", "after=%00", "collective=%01", "language=%1b", "until=2026-03-01%0a"):
        for url in ("/letters", "/api/v1/letters"):
            assert client.get(f"{url}?{query}").status_code == 400, (url, query)


def test_pages_of_few_spellings_are_kept_and_chosen_days_are_not(client, varied):
    cache = page_cache()
    cache.clear()
    assert client.get("/letters?language=he&collective=yes").status_code == 200
    kept = len(cache._pages)
    assert kept == 1
    response = client.get("/letters?since=2026-03-02")
    assert response.status_code == 200 and len(cache._pages) == kept
    # Still answered "not modified" while nothing changed.
    assert client.get("/letters?since=2026-03-02", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    # Each filter is part of the page's name: another value is another page.
    he = client.get("/letters?language=he").get_data(as_text=True)
    ar = client.get("/letters?language=ar").get_data(as_text=True)
    assert varied["he-1"].public_id in he and varied["he-1"].public_id not in ar


# --- search on the list --------------------------------------------------------------------------


@pytest.fixture
def texts(app):
    """Letters in three languages whose words a search tells apart (the index is kept by publishing)."""
    at = datetime(2026, 3, 1, 9, tzinfo=UTC)
    made = {
        "gaza-title": make_letter(language="en", title="Not in Gaza", body_text="I refused to go back. My unit went without me.", published_at=at),
        "gaza-old": make_letter(language="en", body_text="They sent us to Gaza in 2024; I refused the order.", published_at=at - timedelta(days=40)),
        "gaza-he": make_letter(language="he", body_text="שירתתי בעזה ובסוף הסירוב היה ברור לי.", published_at=at + timedelta(days=1),
                               descriptor="טייס, טייסת 116"),
        "gaza-ar": make_letter(language="ar", body_text="رفضتُ الخدمة في غزة بعد ما رأيت.", published_at=at + timedelta(days=2)),
        "medic": make_collective(language="en", body_text="As a medic I will not serve the occupation.", published_at=at + timedelta(days=3),
                                 descriptor="Medic, reserve battalion 8200"),
    }
    return made


def ids_of(client, url: str) -> list[str]:
    return [letter["id"] for letter in client.get(url).json["letters"]]


def test_a_search_finds_what_holds_its_words_best_first_then_newest(client, texts):
    # "gaza" in a title ranks above "gaza" in a text; among texts, newest first.
    assert ids_of(client, "/api/v1/letters?q=gaza") == [texts["gaza-title"].public_id, texts["gaza-old"].public_id]
    assert ids_of(client, "/api/v1/letters?q=%D7%A2%D7%96%D7%94") == [texts["gaza-he"].public_id]  # עזה finds בעזה
    assert ids_of(client, "/api/v1/letters?q=%D8%BA%D8%B2%D9%87") == [texts["gaza-ar"].public_id]  # غزه finds غزة
    assert ids_of(client, "/api/v1/letters?q=Refusing") == [texts["gaza-title"].public_id, texts["gaza-old"].public_id]
    assert ids_of(client, "/api/v1/letters?q=gaza+order") == [texts["gaza-old"].public_id]
    body = client.get("/api/v1/letters?q=occupation").json
    assert body["total"] == 1 and "<mark>occupation</mark>" in body["letters"][0]["excerpt"]


def test_search_results_in_the_page_say_how_many_and_mark_the_words(client, texts):
    response = client.get("/letters?q=refused", headers={"Accept-Language": "en"})
    page = page_of(response)
    assert "2 letters found" in page.visible_text
    html = response.get_data(as_text=True)
    assert html.count("<mark>refused</mark>") == 2 and "Words searched for: \u2068refused\u2069" in page.visible_text
    for language, expected in (("he", "נמצאו 2 מכתבים"), ("ar", "عُثر على رسالتين")):
        assert expected in page_of(client.get("/letters?q=refused", headers={"Accept-Language": language})).visible_text
    assert "נמצא מכתב אחד" in page_of(client.get("/letters?q=occupation", headers={"Accept-Language": "he"})).visible_text
    empty = page_of(client.get("/letters?q=submarine", headers={"Accept-Language": "en"})).visible_text
    assert "0 letters found" in empty and "No letter holds these words" in empty


def test_search_combines_with_the_filters(client, texts):
    assert ids_of(client, "/api/v1/letters?q=gaza&since=2026-03-01") == [texts["gaza-title"].public_id]
    assert ids_of(client, "/api/v1/letters?q=gaza&until=2026-02-01") == [texts["gaza-old"].public_id]
    assert ids_of(client, "/api/v1/letters?q=serve&collective=yes") == [texts["medic"].public_id]
    assert ids_of(client, "/api/v1/letters?q=serve&collective=no") == []
    assert ids_of(client, "/api/v1/letters?q=gaza&language=he") == []
    assert ids_of(client, "/api/v1/letters?q=%D7%A2%D7%96%D7%94&language=he&descriptor=%D7%98%D7%99%D7%99%D7%A1") == [texts["gaza-he"].public_id]


def test_a_filter_finds_old_matches_however_many_newer_ones_there_are(client, texts, monkeypatch):
    """A search is ranked among its latest matches only (search.CANDIDATES): the filters choose
    those candidates, so an old month's letters are not crowded out by newer ones."""
    monkeypatch.setattr("refusal_site.search.CANDIDATES", 1)
    assert ids_of(client, "/api/v1/letters?q=refused&until=2026-02-01") == [texts["gaza-old"].public_id]
    assert client.get("/api/v1/letters?q=refused&until=2026-02-01").json["order"] == "relevance"


MORE_THAN_RANKED = "More than %(count)s letters hold these words, so they are shown newest first. Add a word or a filter to see the best matches first."


@pytest.fixture
def many_matches(app, monkeypatch):
    """Eleven letters holding "refuse", more than the three a search ranks; two of the three in
    Hebrew hold it in their title too, which ranks them first; two pairs share a moment."""
    monkeypatch.setattr("refusal_site.search.CANDIDATES", 3)
    app.config["LETTERS_PER_PAGE"] = 2
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [make_letter(language="he" if i in (0, 3, 5) else "en", title="Why I refuse" if i in (0, 5) else None, body_text=f"I refuse, as letter {i}.",
                        published_at=moment + timedelta(hours=i - i % 2 * (i < 4))) for i in range(11)]


def test_a_search_finding_more_than_are_ranked_pages_to_every_match_newest_first(client, many_matches):
    expected = newest_first(many_matches)
    assert walk_api(client, "/api/v1/letters?q=refuse") == expected
    assert walk_html(client, "/letters?q=refuse") == expected
    last = "/api/v1/letters?q=refuse"
    while (body := client.get(last).json)["next"]:
        assert (body["order"], body["total"]) == ("newest", 11)
        last = body["next"]
    assert [public_id for page in reversed(api_pages(client, last, "previous")) for public_id in page] == expected
    # A narrower search is ranked again: its two letters with the word in their title first.
    body = client.get("/api/v1/letters?q=refuse&language=he").json
    assert body["total"] == 3 and body["order"] == "relevance"
    assert [letter["id"] for letter in body["letters"]] == [many_matches[5].public_id, many_matches[0].public_id]


def test_a_search_few_letters_match_pages_the_same_newest_first(client, many_matches):
    """Fewer than one letter in ten holding the words, their dates are read from the search index
    (search.dated) rather than by walking every letter: the same pages, the same order, both ways."""
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for i in range(100):
        make_letter(language="en", body_text=f"Another letter, number {i}.", published_at=moment + timedelta(minutes=7 * i - 300))
    expected = newest_first(many_matches)
    assert walk_api(client, "/api/v1/letters?q=refuse") == expected
    assert walk_html(client, "/letters?q=refuse") == expected
    last = "/api/v1/letters?q=refuse"
    while (body := client.get(last).json)["next"]:
        assert (body["order"], body["total"]) == ("newest", 11)
        last = body["next"]
    assert [public_id for page in reversed(api_pages(client, last, "previous")) for public_id in page] == expected
    english = [letter for letter in many_matches if letter.language == "en"]
    assert walk_api(client, "/api/v1/letters?q=refuse&language=en") == newest_first(english)
    assert walk_api(client, "/api/v1/letters?q=refuse&since=2026-03-01") == newest_first(many_matches)


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_a_search_shown_newest_first_says_so(client, many_matches, language):
    (message,) = messages_in(language, MORE_THAN_RANKED)
    page = page_of(client.get("/letters?q=refuse", headers={"Accept-Language": language}))
    assert message % {"count": 3} in page.visible_text
    assert messages_in(language, "Older letters")[0] in page.visible_text
    ranked = page_of(client.get("/letters?q=why", headers={"Accept-Language": language}))
    assert message % {"count": 3} not in ranked.visible_text


def test_a_walk_keeps_its_order_when_the_matches_cross_the_bound(client, many_matches):
    second = client.get("/api/v1/letters?q=refuse").json["next"]
    for letter in many_matches[:8]:
        letters.withdraw(letter)
    body = client.get(second).json  # three letters are left: few enough to rank, but this walk is newest first
    assert body["order"] == "newest" and [letter["id"] for letter in body["letters"]] == [many_matches[8].public_id]
    page = page_of(client.get(second.replace("/api/v1", ""), headers={"Accept-Language": "en"}))
    assert "These results are shown newest first. Show the best matches first" in page.visible_text
    assert client.get("/api/v1/letters?q=refuse").json["order"] == "relevance"


def test_the_descriptor_filter_matches_words_of_ranks_units_and_roles(client, texts):
    assert ids_of(client, "/api/v1/letters?descriptor=medic") == [texts["medic"].public_id]
    assert ids_of(client, "/api/v1/letters?descriptor=Medics") == [texts["medic"].public_id]  # English endings
    assert ids_of(client, "/api/v1/letters?descriptor=8200") == [texts["medic"].public_id]
    assert ids_of(client, "/api/v1/letters?descriptor=%D7%98%D7%99%D7%99%D7%A1") == [texts["gaza-he"].public_id]  # טייס
    assert ids_of(client, "/api/v1/letters?descriptor=occupation") == []  # a word of the text, not of the descriptor
    assert ids_of(client, "/api/v1/letters?descriptor=medic+battalion&collective=yes") == [texts["medic"].public_id]
    assert client.get("/api/v1/letters?descriptor=medic").json["total"] == 1
    page = page_of(client.get("/letters?descriptor=medic", headers={"Accept-Language": "en"}))
    assert "Rank, unit or role: \u2068medic\u2069" in page.visible_text and page.value("descriptor") == "medic"


def test_the_descriptor_filter_matches_descriptors_only_a_co_signer_s_too(client, app):
    named = make_letter(language="en", display_name="Medic Cohen", descriptor="Pilot", body_text="I refuse.")
    signed = make_collective(language="en", display_name="Dana Levi", descriptor="Teacher", body_text="We refuse.")
    make_signature(signed, name="Omar Haddad", descriptor="Reserve medic")
    make_signature(signed, "pending", name="Noa", descriptor="Navigator")
    assert ids_of(client, "/api/v1/letters?descriptor=medic") == [signed.public_id]  # not the letter of a man named Medic
    assert ids_of(client, "/api/v1/letters?descriptor=cohen") == [] and ids_of(client, "/api/v1/letters?descriptor=haddad") == []
    assert ids_of(client, "/api/v1/letters?descriptor=navigator") == []  # a co-signer not published
    assert ids_of(client, "/api/v1/letters?q=refuse&descriptor=medic") == [signed.public_id]
    assert ids_of(client, "/api/v1/letters?descriptor=pilot") == [named.public_id]
    # A search finds by names and descriptors alike.
    assert sorted(ids_of(client, "/api/v1/letters?q=medic")) == sorted([named.public_id, signed.public_id])


def test_the_cursor_walks_every_result_of_a_search_once(client, app):
    app.config["LETTERS_PER_PAGE"] = 2
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    made = [make_letter(language="en", title="Gaza" if i % 3 == 0 else None, body_text="Gaza, again.", published_at=moment + timedelta(minutes=i // 2))
            for i in range(9)]
    titled = [letter for i, letter in enumerate(made) if i % 3 == 0]
    expected = newest_first(titled) + newest_first(letter for letter in made if letter not in titled)
    assert walk_api(client, "/api/v1/letters?q=gaza") == expected
    assert walk_html(client, "/letters?q=gaza") == expected
    last = "/api/v1/letters?q=gaza"
    while (body := client.get(last).json)["next"]:
        last = body["next"]
    assert [public_id for page in reversed(api_pages(client, last, "previous")) for public_id in page] == expected
    # A withdrawn result leaves its place; the walk goes on.
    second = client.get("/api/v1/letters?q=gaza").json["next"]
    letters.withdraw(next(letter for letter in made if letter.public_id == expected[3]))
    assert walk_api(client, second) == expected[2:3] + expected[4:]


SEARCHES = [
    '"', "'", '"gaza', "*", "gaza*", "-gaza", "^", ":", "gaza:refused", "NEAR", "NEAR(gaza refused)", "AND", "gaza AND refused",
    "gaza OR refused", "OR", "%", "_", "%gaza%", "_aza", ".*", "(a|b)+", "[^a]", "\\", "gaza\\", "{1,3}", "$", "‏", "\u202egaza\u202c",
    "גז\u200fה", "עזה\u200e", "\u0001gaza", "gaza\u007f", "ـــ", "ً", "׳", "″", "!@#$%^&*()", "' OR 1=1 --", "gaza; DROP TABLE letters",
]


@pytest.mark.parametrize("query", SEARCHES)
def test_no_query_is_syntax_or_a_500(client, texts, query):
    for url in ("/letters", "/api/v1/letters"):
        response = client.get(url, query_string={"q": query})
        assert response.status_code in (200, 400), (url, query)
        if response.status_code == 400 and url == "/letters":
            # Nothing to search for (no word of two letters): said by the search box.
            assert page_of(response).find("input", name="q", **{"aria-invalid": "true"})


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_a_one_letter_or_empty_query_is_said_not_searched(client, texts, language):
    (message,) = messages_in(language, "Please type a word of at least two letters to search for.")
    for query in ("a", "ב", "ج", "*", " - "):
        response = client.get("/letters", query_string={"q": query}, headers={"Accept-Language": language})
        assert response.status_code == 400 and message in page_of(response).visible_text
        api = client.get("/api/v1/letters", query_string={"q": query}, headers={"Accept-Language": language})
        assert api.status_code == 400 and api.json["message"] == message
    # No words at all is no search: the list of every letter.
    assert client.get("/api/v1/letters?q=").json["total"] == len(texts)
    assert client.get("/api/v1/letters?q=+++").json["total"] == len(texts)


def test_a_long_query_is_cut_and_says_so(client, texts):
    words = "gaza refused order they sent us back went without me"
    response = client.get("/letters", query_string={"q": words}, headers={"Accept-Language": "en"})
    assert "only its first 8 words were searched for" in page_of(response).visible_text
    huge = client.get("/letters", query_string={"q": "gaza " * 2000}, headers={"Accept-Language": "en"})
    assert huge.status_code == 200 and "1 letter found" not in page_of(huge).visible_text
    assert client.get("/api/v1/letters", query_string={"q": "x" * 10_000}).status_code == 200


def test_a_ranked_cursor_of_a_list_that_is_no_search_is_refused(client, texts):
    plain = client.get("/api/v1/letters?language=en").json
    ranked = client.get("/api/v1/letters?q=gaza").json
    app_config = client.application.config
    app_config["LETTERS_PER_PAGE"] = 1
    plain_next = parse_qs(urlsplit(client.get("/api/v1/letters").json["next"]).query)["after"][0]
    ranked_next = parse_qs(urlsplit(client.get("/api/v1/letters?q=gaza").json["next"]).query)["after"][0]
    assert plain["total"] and ranked["total"]
    # A search pages newest first by a plain cursor (as when it finds too many letters to rank).
    assert client.get(f"/api/v1/letters?q=gaza&after={plain_next}").json["order"] == "newest"
    assert client.get(f"/api/v1/letters?after={ranked_next}").status_code == 400
    assert client.get(f"/letters?after={ranked_next}").status_code == 400
    assert client.get("/letters?q=gaza&page=2").status_code == 400


def test_searches_and_descriptors_are_never_kept_in_the_page_cache(client, texts):
    cache = page_cache()
    cache.clear()
    for url in ("/letters?q=gaza", "/letters?descriptor=medic", "/api/v1/letters?q=gaza"):
        assert client.get(url).status_code == 200
    assert len(cache._pages) == 0


# --- downloads of a search or filter -------------------------------------------------------------


def test_a_search_or_filter_downloads_as_the_press_exports_do(client, texts):
    page = page_of(client.get("/letters?q=gaza&until=2026-03-01", headers={"Accept-Language": "en"}))
    links = {a["href"] for a in page.find("a") if a.get("href", "").startswith("/export/chosen.")}
    assert links == {"/export/chosen.csv?q=gaza&until=2026-03-01", "/export/chosen.jsonl?q=gaza&until=2026-03-01"}
    response = client.get("/export/chosen.csv?q=gaza")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="letters-chosen.csv"' in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("id,url,display_name") and len(lines) == 3
    assert [line.split(",")[0] for line in lines[1:]] == [texts["gaza-title"].public_id, texts["gaza-old"].public_id]  # best first
    rows = [json.loads(line) for line in client.get("/export/chosen.jsonl?collective=yes").get_data(as_text=True).splitlines()]
    assert [row["id"] for row in rows] == [texts["medic"].public_id] and rows[0]["collective"] is True
    assert client.get("/export/chosen.jsonl?language=ar").get_data(as_text=True).count("\n") == 1
    # Unchanged, it is not sent again.
    again = client.get("/export/chosen.csv?q=gaza", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_download_of_too_many_or_of_a_bad_choice_is_a_clear_400(client, texts, app):
    assert client.get("/export/chosen.csv?since=2026-02-30", headers={"Accept-Language": "he"}).status_code == 400
    assert client.get("/export/chosen.csv?q=a").status_code == 400
    app.config["EXPORT_CHOSEN_MAX"] = 1
    (message,) = messages_in("ar", "These are more letters than one download holds (%(most)s). Please choose fewer, or download every letter from the press page.")
    response = client.get("/export/chosen.csv?q=gaza", headers={"Accept-Language": "ar"})
    assert response.status_code == 400 and message.replace("%(most)s", "1") in page_of(response).visible_text
    page = page_of(client.get("/letters?q=gaza", headers={"Accept-Language": "en"}))
    assert not [a for a in page.find("a") if a.get("href", "").startswith("/export/chosen.")]
    assert "more letters than one download holds" in page.visible_text


def test_the_press_page_leads_to_search(client, texts):
    page = page_of(client.get("/press", headers={"Accept-Language": "en"}))
    assert page.find("a", href="/letters") and "search them by their words" in page.visible_text
