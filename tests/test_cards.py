"""Share previews: every public page's description and card, each letter's card image."""

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image

from refusal_site import pauses, tokens
from refusal_site.models import LetterStatus
from tests.factories import make_letter
from tests.pages import hidden_fields

META = re.compile(r'<meta (?:name|property)="([^"]+)" content="([^"]*)">')


def meta_of(client, url: str) -> dict:
    html = client.get(url).get_data(as_text=True)
    return dict(META.findall(html[: html.index("</head>")]))


def card_of(client, url: str):
    address = meta_of(client, url)["og:image"]
    assert address.startswith("https://refusers.example/")
    return urlsplit(address).path


def test_every_public_page_has_a_description_and_a_card(client):
    letter = make_letter(title="לא בשמי")
    for url in ("/", "/letters", "/press", f"/letters/{letter.public_id}", "/about", "/submit", "/contact"):
        meta = meta_of(client, url + "?lang=en")
        assert meta["description"] and meta["og:description"] == meta["description"], url
        assert meta["og:title"] and meta["og:image"] and meta["twitter:card"] == "summary_large_image", url
        assert meta["og:locale"] == "en_US"
    assert meta_of(client, "/?lang=he")["og:locale"] == "he_IL"


def test_private_pages_show_nothing_to_messengers(client):
    pending = make_letter(LetterStatus.PENDING, contact_email="private-author@private.example")
    for url in (f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, pending)}", "/moderate/sign-in", "/submit/sent"):
        assert "og:" not in client.get(url).get_data(as_text=True), url


def test_a_letters_card_is_its_own_picture_and_carries_no_private_field(client):
    letter = make_letter(language="ar", display_name="سلمى حداد", contact_email="salma@private.example", body_text="أرفض الخدمة علنًا. " * 40)
    meta = meta_of(client, f"/letters/{letter.public_id}")
    assert meta["description"].startswith("أرفض الخدمة علنًا.") and meta["description"].endswith("…")
    assert "private.example" not in str(meta)
    path = card_of(client, f"/letters/{letter.public_id}")
    assert path.startswith(f"/letters/{letter.public_id}/card-")
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["ETag"]
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (1200, 630)
    # Not a blank picture: dark text on the light card, the accent band on top.
    assert image.convert("L").getextrema()[0] < 80
    assert client.get(path, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_a_card_follows_what_it_shows_and_dies_with_the_letter(app, client):
    letter = make_letter()
    old = card_of(client, f"/letters/{letter.public_id}")
    assert client.get(old).status_code == 200
    make_letter()  # the count on the card moves
    new = card_of(client, f"/letters/{letter.public_id}")
    assert new != old
    moved = client.get(old)
    assert moved.status_code == 302 and moved.headers["Location"].endswith(new)
    assert client.get(new).status_code == 200
    pauses.pause(letter)
    assert client.get(new).status_code == 404
    pauses.resume(letter)
    assert client.get(new).status_code == 200
    # The author withdraws it: the card is gone from the server's disk too, at once.
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    assert client.post(f"{manage}/withdraw", data={**hidden_fields(client.get(manage)), "understood": "y"}).status_code == 303
    assert client.get(new).status_code == 404
    assert list((Path(app.instance_path) / "pdf" / "cards").glob(f"letter-{letter.public_id}-*")) == []


@pytest.mark.parametrize("url", ["/letters/AAAAAAAAAAAA/card-0.png", "/letters/*/card-0.png", "/card-xx-0.png", "/letters/..%2F..%2Fsecret/card-0.png"])
def test_unknown_cards_are_404(client, url):
    assert client.get(url).status_code == 404


def test_the_site_card_shows_the_count_in_the_page_language(client):
    make_letter()
    he, en = card_of(client, "/?lang=he"), card_of(client, "/press?lang=en")
    assert (he, en) == ("/card-he.png", "/card-en.png")
    # The page names an address that leads to the card of the count as it is now.
    first = client.get(he)
    assert first.status_code == 302 and "/card-he-" in first.headers["Location"]
    image = Image.open(io.BytesIO(client.get(first.headers["Location"]).data))
    assert image.size == (1200, 630)
    make_letter()
    assert client.get(he).headers["Location"] != first.headers["Location"]
    assert client.get("/card-xx.png").status_code == 404


def test_hostile_names_and_words_make_an_ordinary_card(client):
    """Bidi controls, markup and a 5,000-character word are drawn as inert text, within the card."""
    letter = make_letter(
        language="he",
        display_name="\u202eדנה\u202c <script>alert(1)</script>",
        title="<img src=x onerror=alert(1)>",
        descriptor="א" * 190,
        body_text="ב" * 5000 + " " + "https://elsewhere.example/" + " מילה" * 400,
    )
    page = client.get(f"/letters/{letter.public_id}").get_data(as_text=True)
    head = page[: page.index("</head>")]
    assert "<script>" not in head and "<img" not in head
    response = client.get(card_of(client, f"/letters/{letter.public_id}"))
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data)).size == (1200, 630)


def test_a_busy_renderer_never_stands_in_a_card_of_words_taken_back(app, client, login_as):
    """While another card is drawn, a letter's older card may stand in for a moment only if it differs
    in the count: never one showing words a correction took out (a machine whose sweep has not run yet)."""
    from refusal_site import letters
    from refusal_site.extensions import db
    from refusal_site.models import Letter
    from refusal_site.public import cards

    letter = make_letter(language="en", display_name="Dana", body_text="I refuse. Call me on 050-1234567.")
    assert client.get(card_of(client, f"/letters/{letter.public_id}")).status_code == 200
    admin = login_as(app.test_client(), role="admin")
    letters.edit(db.session.get(Letter, letter.id), by=admin, display_name="Dana", descriptor=None, title=None,
                 body_text="I refuse.", reason="a phone number")  # fmt: skip
    corrected = card_of(client, f"/letters/{letter.public_id}")
    assert cards._render_slot.acquire(blocking=False)
    try:
        busy = client.get(corrected)
    finally:
        cards._render_slot.release()
    assert busy.status_code == 503 and busy.headers["Retry-After"]
    make_letter()  # only the count moves: the card drawn now may stand in while the next is drawn
    assert client.get(corrected).status_code == 302
    assert client.get(card_of(client, f"/letters/{letter.public_id}")).status_code == 200
    make_letter()
    assert cards._render_slot.acquire(blocking=False)
    try:
        stand_in = client.get(card_of(client, f"/letters/{letter.public_id}"))
    finally:
        cards._render_slot.release()
    assert stand_in.status_code == 200 and stand_in.headers["Cache-Control"] == "no-cache"


def test_a_card_drawn_while_its_letter_is_hidden_is_gone_on_the_next_request(app, client, monkeypatch):
    """The author hides the letter while its card is being drawn: the card drawn for the request under
    way is not kept as the answer after the hiding."""
    from refusal_site.compilation import cleanup
    from refusal_site.extensions import db
    from refusal_site.models import Letter
    from refusal_site.public import cards

    letter = make_letter(language="en")
    path = card_of(client, f"/letters/{letter.public_id}")
    drawing = cards.draw

    def draw_while_hidden(shown):
        png = drawing(shown)
        pauses.pause(db.session.get(Letter, letter.id))
        cleanup.forget(letter.public_id)  # as the hiding page does, before this card is written
        return png

    monkeypatch.setattr(cards, "draw", draw_while_hidden)
    client.get(path)
    assert client.get(path).status_code == 404
    # Nor is it left on the server's disk.
    assert list((Path(app.instance_path) / "pdf" / "cards").glob(f"letter-{letter.public_id}-*")) == []


def test_a_card_file_removed_by_another_worker_as_it_is_read_is_drawn_again(client, monkeypatch):
    """Another worker, drawing a newer card of the letter, removes this one between this worker finding
    it and reading it: the reader still gets the card, not an error."""
    letter = make_letter(language="en")
    path = card_of(client, f"/letters/{letter.public_id}")
    assert client.get(path).status_code == 200
    from refusal_site.page_cache import page_cache

    page_cache().clear()  # another worker: nothing kept in its memory
    exists = Path.exists

    def found_then_removed(file):
        there = exists(file)
        if there and file.parent.name == "cards":
            file.unlink()
        return there

    monkeypatch.setattr(Path, "exists", found_then_removed)
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "image/png"
