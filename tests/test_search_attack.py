"""An outside tester's attack on search (issue 20): cursors across the bound, descriptors, days."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from refusal_site import pauses, signatures
from refusal_site.paging import Key, encode_cursor
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import page_of
from tests.test_letter_list import messages_in

LEFT_OUT = "More letters hold these words than when you began: more than %(count)s, the most that are ranked, so this walk leaves some of them out."


def ids_of(client, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [letter["id"] for letter in response.json["letters"]]


@pytest.mark.parametrize("query", ["q=%00", "q=gaza%00", "descriptor=%00", "descriptor=medic%00", "q=%00gaza&descriptor=me%00dic"])
def test_nul_in_a_search_or_descriptor_is_never_a_500(client, app, query):
    make_letter(language="en", body_text="Gaza, a medic.", descriptor="medic")
    for url in ("/letters", "/api/v1/letters", "/export/chosen.csv"):
        assert client.get(f"{url}?{query}").status_code in (200, 400), (url, query)


@pytest.mark.parametrize("gone", ["withdrawn", "paused", "unpublished"])
def test_a_co_signer_who_leaves_takes_their_descriptor_from_the_filter(client, app, gone):
    signed = make_collective(language="en", display_name="Dana", descriptor="Teacher", body_text="We refuse.")
    signer = make_signature(signed, name="Omar", descriptor="Reserve medic")
    assert ids_of(client, "/api/v1/letters?descriptor=medic") == [signed.public_id]
    if gone == "withdrawn":
        signatures.withdraw(signer)
    elif gone == "paused":
        pauses.pause_signature(signer)
    else:
        signatures.decide({signer.id: signer.revision}, "unpublish", by="test", reason="test")
    assert ids_of(client, "/api/v1/letters?descriptor=medic") == []
    assert ids_of(client, "/api/v1/letters?descriptor=teacher") == [signed.public_id]


def test_descriptors_are_folded_and_their_prefixes_found_as_every_word_is(client, app):
    he = make_letter(language="he", descriptor="והטייסת ב־116", body_text="אני מסרב.")
    ar = make_letter(language="ar", descriptor="المسعفون في الكتيبة", body_text="أرفض.")
    for query in ("טייסת", "הטייסת", "\u200fטייסת\u200e"):
        assert ids_of(client, f"/api/v1/letters?descriptor={query}") == [he.public_id], query
    for query in ("كتيبة", "الكتيبه", "مسعفون"):
        assert ids_of(client, f"/api/v1/letters?descriptor={query}") == [ar.public_id], query
    assert client.get("/api/v1/letters", query_string={"descriptor": "x" * 10_000}).status_code == 200
    assert client.get("/letters", query_string={"descriptor": "טייסת " * 2000}).status_code == 200


@pytest.fixture
def many(app, monkeypatch):
    """Seven letters holding "refuse", more than the three a search ranks."""
    monkeypatch.setattr("refusal_site.search.CANDIDATES", 3)
    app.config["LETTERS_PER_PAGE"] = 2
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    return [make_letter(language="he" if i % 2 else "en", title="Why I refuse" if i in (0, 5) else None, body_text=f"I refuse, letter {i}.",
                        published_at=moment + timedelta(hours=i)) for i in range(7)]


def walk(client, url: str) -> list[str]:
    found = []
    while url:
        body = client.get(url).json
        found += [letter["id"] for letter in body["letters"]]
        url = body["next"]
    return found


def test_the_download_of_a_search_over_the_bound_is_the_list_in_its_order(client, many):
    listed = walk(client, "/api/v1/letters?q=refuse")
    assert len(listed) == 7
    exported = client.get("/export/chosen.csv?q=refuse").get_data(as_text=True).lstrip("\ufeff").splitlines()[1:]
    assert [line.split(",")[0] for line in exported] == listed


def test_a_cursor_of_another_search_or_list_is_a_page_or_a_clear_400(client, many):
    ranked = parse_qs(urlsplit(client.get("/api/v1/letters?q=refuse&language=he").json["next"]).query)["after"][0]
    newest = parse_qs(urlsplit(client.get("/api/v1/letters?q=refuse").json["next"]).query)["after"][0]
    for cursor in (ranked, newest):
        for url in (f"/api/v1/letters?q=why&after={cursor}", f"/letters?q=why&after={cursor}", f"/letters?q=refuse&before={cursor}",
                    f"/api/v1/letters?q=letter&language=en&before={cursor}", f"/letters?descriptor=medic&after={cursor}", f"/letters?after={cursor}"):
            assert client.get(url).status_code in (200, 400), url
    assert client.get(f"/letters?language=en&after={ranked}").status_code == 400


def test_a_ranked_walk_that_crosses_the_bound_says_so_and_leads_to_every_match(client, app, monkeypatch):
    """Three letters hold "refuse" (as many as are ranked): the walk is ranked. Two more are published
    before its second page: five now match, and the walk ranks only the latest three, so a letter of
    the first three that it had not shown yet is left out of it; the page says so, with a way to all five."""
    monkeypatch.setattr("refusal_site.search.CANDIDATES", 3)
    app.config["LETTERS_PER_PAGE"] = 2
    moment = datetime(2026, 3, 1, 12, tzinfo=UTC)
    first = [make_letter(language="en", title="Why I refuse" if i < 2 else None, body_text="I refuse.", published_at=moment + timedelta(hours=i))
             for i in range(3)]
    body = client.get("/api/v1/letters?q=refuse&language=en").json
    assert body["order"] == "relevance" and body["total"] == 3
    for i in range(2):
        make_letter(language="en", body_text="I refuse too.", published_at=moment + timedelta(days=1, hours=i))
    second = client.get(body["next"]).json
    assert second["total"] == 5
    shown = [letter["id"] for letter in body["letters"] + second["letters"]]
    assert first[2].public_id not in shown  # left out of this walk: ranked among the latest three
    # The reader is told, in each language, and sent to the walk that reaches every match.
    for language in ("he", "ar", "en"):
        message, link = messages_in(language, LEFT_OUT, "Show every one, newest first")
        page = page_of(client.get(body["next"].replace("https://refusers.example/api/v1", ""), headers={"Accept-Language": language}))
        assert message % {"count": 3} in page.visible_text and link in page.visible_text
        assert page.find("a", href="/letters?q=refuse&language=en")
    everything = walk(client, "/api/v1/letters?q=refuse&language=en")
    assert len(everything) == 5 and first[2].public_id in everything
    # A walk still under the bound says nothing of it.
    message, = messages_in("en", LEFT_OUT)
    assert message % {"count": 3} not in page_of(client.get("/letters?q=why", headers={"Accept-Language": "en"})).visible_text


NOT_NUMBERED = "A search's results have no numbered pages. Please start again from its first page."


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_an_old_page_number_with_a_search_says_why_it_is_refused(client, many, language):
    (message,) = messages_in(language, NOT_NUMBERED)
    for number in ("1", "2", "99"):
        response = client.get(f"/letters?q=refuse&page={number}", headers={"Accept-Language": language})
        assert response.status_code == 400 and message in page_of(response).visible_text
        api = client.get(f"/api/v1/letters?q=refuse&page={number}", headers={"Accept-Language": language})
        assert api.status_code == 400 and api.json["message"] == message
    assert client.get("/letters?q=refuse&page=x").status_code == 400


@pytest.mark.parametrize("rank", [None, 0.0, -0.0, 1e308, -1e308, 5e-324])
@pytest.mark.parametrize("moment", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)])
def test_a_forged_cursor_at_the_ends_of_time_and_rank_is_a_page(client, many, rank, moment):
    cursor = encode_cursor(Key(moment, 2**31 - 1, rank))
    for name in ("after", "before"):
        for url in (f"/api/v1/letters?q=refuse&{name}={cursor}", f"/letters?q=refuse&language=he&{name}={cursor}"):
            assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("bound", [1, 1000])
def test_a_letter_at_23_30_in_israel_is_in_its_day_searched_ranked_or_newest_first(client, app, monkeypatch, bound):
    monkeypatch.setattr("refusal_site.search.CANDIDATES", bound)
    late = make_letter(language="he", body_text="אני מסרב.", published_at=datetime(2026, 3, 1, 21, 30, tzinfo=UTC))  # 23:30 in Jerusalem
    early = make_letter(language="he", body_text="גם אני מסרב.", published_at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC))  # 00:30, March 2nd
    q = "q=%D7%9E%D7%A1%D7%A8%D7%91"  # מסרב
    assert ids_of(client, f"/api/v1/letters?{q}&until=2026-03-01") == [late.public_id]
    assert ids_of(client, f"/api/v1/letters?{q}&since=2026-03-02&until=2026-03-02") == [early.public_id]
    assert ids_of(client, f"/api/v1/letters?{q}&since=2026-03-01") == [early.public_id, late.public_id]
    assert client.get("/press/range?until=2026-03-01").headers["Location"] == "/press/letters.pdf?until=2026-03-01"
