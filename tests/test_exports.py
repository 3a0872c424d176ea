"""The data, whole: exports of every published letter and co-signature, and per-language feeds."""

import csv
import io
import json

import feedparser

from refusal_site import letters, pauses
from refusal_site.extensions import db
from refusal_site.models import LetterStatus
from tests.factories import make_collective, make_letter, make_signature


def rows(client, name: str) -> list[dict]:
    response = client.get(f"/export/{name}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    if name.endswith(".csv"):
        return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    return [json.loads(line) for line in text.splitlines()]


def test_the_exports_hold_every_published_letter_and_nothing_private(client):
    first = make_letter(title="לא בשמי", contact_email="secret@private.example", body_text="שורה ראשונה.\n\nשורה שנייה, \"במרכאות\".")
    make_letter(language="ar")
    make_letter(LetterStatus.PENDING, display_name="Pending Person")
    withdrawn = make_letter(language="en")
    letters.withdraw(withdrawn)
    collective = make_collective(language="en", title="Not in my name")
    make_signature(collective, name="Signer One", email="signer@private.example")
    make_signature(collective, "pending", name="Waiting Signer")
    for form in ("csv", "jsonl"):
        exported = rows(client, f"letters.{form}")
        assert [row["id"] for row in exported] == [first.public_id, exported[1]["id"], collective.public_id]
        assert exported[0]["text"] == "שורה ראשונה.\n\nשורה שנייה, \"במרכאות\"."
        assert exported[0]["url"] == f"https://refusers.example/letters/{first.public_id}"
        assert str(exported[2]["signatures"]) == "1"
        signed = rows(client, f"signatures.{form}")
        assert [(row["letter_id"], row["display_name"]) for row in signed] == [(collective.public_id, "Signer One")]
    for name in ("letters.csv", "letters.jsonl", "signatures.csv", "signatures.jsonl"):
        body = client.get(f"/export/{name}").get_data(as_text=True)
        assert "private.example" not in body and "Pending Person" not in body and "Waiting Signer" not in body
        assert withdrawn.public_id not in body


def test_a_withdrawn_or_hidden_letter_leaves_the_exports_on_the_next_request(client):
    kept, leaving = make_letter(), make_letter()
    etag = client.get("/export/letters.jsonl").headers["ETag"]
    assert client.get("/export/letters.jsonl", headers={"If-None-Match": etag}).status_code == 304
    pauses.pause(leaving)
    response = client.get("/export/letters.jsonl", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    assert [row["id"] for row in rows(client, "letters.jsonl")] == [kept.public_id]
    pauses.resume(leaving)
    letters.withdraw(leaving)
    assert [row["id"] for row in rows(client, "letters.csv")] == [kept.public_id]


def test_a_spreadsheet_does_not_run_a_cell_as_a_formula(client):
    make_letter(language="en", display_name="=HYPERLINK(\"http://evil.example\")", descriptor="+972 unit", body_text="@everyone -- a text")
    row = rows(client, "letters.csv")[0]
    assert row["display_name"] == "'=HYPERLINK(\"http://evil.example\")"
    assert row["descriptor"] == "'+972 unit" and row["text"] == "'@everyone -- a text"
    exact = rows(client, "letters.jsonl")[0]
    assert exact["display_name"] == "=HYPERLINK(\"http://evil.example\")"


def test_ids_stay_exact_in_the_csv_even_when_they_start_like_a_formula(client):
    letter = make_letter()
    letter.public_id = "-" + letter.public_id[1:]
    db.session.commit()
    assert rows(client, "letters.csv")[0]["id"] == letter.public_id


def test_unknown_exports_are_404_and_other_sites_may_read_them(client):
    assert client.get("/export/letters.xml").status_code == 404
    assert client.get("/export/moderators.csv").status_code == 404
    response = client.get("/export/letters.csv")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.mimetype == "text/csv" and response.headers["Cache-Control"] == "no-cache"


def test_each_language_has_its_feed(client):
    make_letter(language="he", title="לא בשמי")
    make_letter(language="ar", display_name="سلمى حداد")
    make_letter(language="en", title="Not in my name")
    everything = feedparser.parse(client.get("/feed.atom").data)
    assert len(everything.entries) == 3
    arabic = feedparser.parse(client.get("/feed.atom?language=ar&lang=en").data)
    assert [entry.title for entry in arabic.entries] == ["سلمى حداد"]
    assert arabic.feed.title.endswith("Latest letters in Arabic")
    assert arabic.feed.id.endswith("/feed.atom?language=ar")
    assert client.get("/feed.atom?language=xx").status_code == 400
    press = client.get("/press?lang=en").get_data(as_text=True)
    assert 'href="/feed.atom?language=he"' in press and 'href="/export/letters.csv"' in press


def test_an_export_file_removed_by_another_worker_as_it_is_sent_is_still_sent(client, monkeypatch):
    """Another worker, at a newer revision, removes the older file between this worker finding it and
    sending it: the reader still gets the whole file, not an error."""
    from pathlib import Path

    make_letter(language="en", title="Still here")
    assert client.get("/export/letters.csv").status_code == 200
    exists = Path.exists

    def found_then_removed(path):
        there = exists(path)
        if there and path.parent.name == "exports":
            path.unlink()
        return there

    monkeypatch.setattr(Path, "exists", found_then_removed)
    response = client.get("/export/letters.csv")
    assert response.status_code == 200 and "Still here" in response.get_data(as_text=True)
    assert int(response.headers["Content-Length"]) == len(response.data)
