"""The JSON API and the Atom feed: public fields only, one query behind them."""

import xml.etree.ElementTree as ET
from datetime import timedelta

from refusal_site.models import utcnow
from tests.factories import make_letter, make_published_series

ATOM = "{http://www.w3.org/2005/Atom}"
PUBLIC_FIELDS = {
    "id", "url", "display_name", "descriptor", "language", "direction", "title", "text", "html", "published_at",
    "corrected_at", "collective", "open_for_signing", "signatures", "signers_url", "translations",
}


def test_count_is_the_number_of_published_letters_with_the_last_date(client):
    empty = {"letters": 0, "signatures": 0, "letters_by_language": {"he": 0, "ar": 0, "en": 0}}
    assert client.get("/api/v1/count").json == {"count": 0, "breakdown": empty, "last_published_at": None}
    letters = make_published_series(3)
    make_letter(status="pending")
    body = client.get("/api/v1/count").json
    assert body["count"] == 3
    assert body["last_published_at"] == letters[-1].published_at.isoformat()


def test_a_letter_has_exactly_the_public_fields(client):
    letter = make_letter(title="כותרת", descriptor="סרן (מיל׳)")
    response = client.get(f"/api/v1/letters/{letter.public_id}")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.json
    assert set(body) == PUBLIC_FIELDS
    assert body["id"] == letter.public_id
    assert body["url"] == f"https://refusers.example/letters/{letter.public_id}"
    assert (body["language"], body["direction"], body["title"]) == ("he", "rtl", "כותרת")
    assert "כותרת" in response.get_data(as_text=True), "Hebrew is sent as UTF-8, not escaped"


def test_the_list_pages_newest_first_with_links(client, app):
    app.config["LETTERS_PER_PAGE"] = 2
    series = make_published_series(3, language="en")
    first = client.get("/api/v1/letters").json
    assert [l["id"] for l in first["letters"]] == [series[2].public_id, series[1].public_id]
    assert (first["total"], first["previous"]) == (3, None)
    assert first["next"].startswith("https://refusers.example/api/v1/letters?after=")
    second = client.get(first["next"]).json
    assert [l["id"] for l in second["letters"]] == [series[0].public_id]
    assert second["next"] is None and second["total"] == 3
    assert [l["id"] for l in client.get(second["previous"]).json["letters"]] == [series[2].public_id, series[1].public_id]
    assert client.get("/api/v1/letters?language=ar").json["total"] == 0


def test_api_errors_are_json(client):
    for url, status in [("/api/v1/letters/nope", 404), ("/api/v1/letters?page=x", 400), ("/api/v1/letters?page=9", 404)]:
        response = client.get(url, headers={"Accept-Language": "en"})
        assert response.status_code == status
        assert response.json["error"] == status and response.json["message"]


def test_the_feed_is_atom_with_the_latest_letters(client):
    old = make_letter(published_at=utcnow() - timedelta(days=2), language="ar")
    new = make_letter(published_at=utcnow() - timedelta(days=1), language="en", title="Not in my name")
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        f"https://refusers.example/letters/{new.public_id}",
        f"https://refusers.example/letters/{old.public_id}",
    ]
    assert entries[0].find(f"{ATOM}title").text == "Not in my name"
    assert entries[1].get("{http://www.w3.org/XML/1998/namespace}lang") == "ar"
    assert "<p>" in entries[0].find(f"{ATOM}content").text


def test_links_use_the_configured_site_url_not_the_host_header(client):
    letter = make_letter()
    for url in ("/feed.atom", f"/api/v1/letters/{letter.public_id}"):
        body = client.get(url, headers={"Host": "evil.example"}).get_data(as_text=True)
        assert "evil.example" not in body and "refusers.example" in body
