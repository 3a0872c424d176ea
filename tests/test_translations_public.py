"""Approved translations as the public reads them: beside the original on the letter page, in the
lists, the home page, the feeds and the API; gone on the next request once the letter or the
translation stops being public."""

import pytest

from refusal_site import letters, pauses
from tests.factories import make_letter, make_translation, set_translation_status
from tests.test_public import get_page


def _article(page):
    return page.find("article")[0]


@pytest.mark.parametrize("lang", ["he", "ar", "en"])
def test_a_letter_page_offers_the_original_and_its_approved_translation_each_in_its_own_language(client, lang):
    letter = make_letter(language="he", title="מכתב")
    make_translation(letter, "en")
    make_translation(letter, "ar")
    original = get_page(client, f"/letters/{letter.public_id}?lang={lang}")
    assert (_article(original)["lang"], _article(original)["dir"]) == ("he", "rtl")
    links = [a["href"] for a in original.find("a") if a.get("hreflang") in ("en", "ar") and a["href"].startswith("/letters/") and "?" not in a["href"]]
    assert links == [f"/letters/{letter.public_id}/ar", f"/letters/{letter.public_id}/en"]

    english = get_page(client, f"/letters/{letter.public_id}/en?lang={lang}")
    assert (_article(english)["lang"], _article(english)["dir"]) == ("en", "ltr")
    assert "This is the translation the author approved." in english.visible_text
    assert "אני מסרב לשרת" not in english.visible_text
    note = english.find("p", **{"class": "translation-note"})[0]
    assert (note["lang"], note.get("dir")) == (lang, "ltr" if lang == "en" else "rtl")
    # The original is one click away, and this address is the translation's own canonical one.
    assert english.find("a", href=f"/letters/{letter.public_id}", hreflang="he")
    assert english.find("link", rel="canonical")[0]["href"] == f"https://refusers.example/letters/{letter.public_id}/en"

    arabic = get_page(client, f"/letters/{letter.public_id}/ar?lang={lang}")
    assert (_article(arabic)["lang"], _article(arabic)["dir"]) == ("ar", "rtl")


def test_the_label_says_who_approved_it(client):
    letter = make_letter(language="he")
    make_translation(letter, "en", approved_by="author")
    make_translation(letter, "ar", approved_by="team")
    assert "Translation from Hebrew, approved by the author" in get_page(client, f"/letters/{letter.public_id}/en?lang=en").visible_text
    team = get_page(client, f"/letters/{letter.public_id}/ar?lang=en").visible_text
    assert "Translation from Hebrew, published by the team, not reviewed by the author" in team
    assert "approved by the author" not in team
    assert "תרגום מעברית, באישור מי שכתב את המכתב" in get_page(client, f"/letters/{letter.public_id}/en?lang=he").visible_text


@pytest.mark.parametrize("status", ["draft", "awaiting_author", "returned", "to_review"])
def test_a_translation_not_approved_is_nowhere(client, status):
    letter = make_letter(language="he")
    make_translation(letter, "en", status=status)
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404
    assert f"/letters/{letter.public_id}/en" not in client.get(f"/letters/{letter.public_id}").get_data(as_text=True)
    assert "This is the translation" not in client.get("/?lang=en").get_data(as_text=True)


def test_unknown_languages_and_the_original_language_are_not_found(client):
    letter = make_letter(language="he")
    make_translation(letter, "en")
    for path in ("fr", "he", "EN", "ar", "en/"):
        assert client.get(f"/letters/{letter.public_id}/{path}").status_code == 404, path
    assert client.get("/letters/nosuchletter1/en").status_code == 404


@pytest.mark.parametrize("lang", ["he", "ar", "en"])
def test_the_home_page_shows_a_translated_title_and_excerpt_in_the_page_language_marked_as_such(client, lang):
    letter = make_letter(language="he" if lang != "he" else "en", title="Original title" if lang == "he" else "כותרת המקור")
    make_translation(letter, lang, title="TRANSLATED TITLE")
    page = get_page(client, f"/?lang={lang}")
    article = _article(page)
    assert (article["lang"], article["dir"]) == (lang, "ltr" if lang == "en" else "rtl")
    assert "TRANSLATED TITLE" in page.visible_text
    assert "כותרת המקור" not in page.visible_text and "Original title" not in page.visible_text
    assert page.find("a", href=f"/letters/{letter.public_id}/{lang}")
    assert page.find("p", **{"class": "translation-note"})
    # In another language the home page shows the original.
    other = "ar" if lang != "ar" else "he"
    elsewhere = get_page(client, f"/?lang={other}")
    assert "TRANSLATED TITLE" not in elsewhere.visible_text
    assert not elsewhere.find("p", **{"class": "translation-note"})


def test_a_language_feed_includes_letters_translated_into_it(client):
    hebrew = make_letter(language="he", title="מכתב בעברית")
    make_letter(language="en", title="Written in English")
    untranslated = make_letter(language="he", title="בלי תרגום")
    make_translation(hebrew, "en", title="Translated into English")
    feed = client.get("/feed.atom?language=en&lang=en").get_data(as_text=True)
    assert "Written in English" in feed and "Translated into English" in feed
    assert "מכתב בעברית" not in feed and untranslated.public_id not in feed
    assert f"<id>https://refusers.example/letters/{hebrew.public_id}/en</id>" in feed
    assert 'hreflang="he"' in feed
    assert "Translation from Hebrew, approved by the author" in feed
    # The feed of every letter shows each in its original.
    everything = client.get("/feed.atom").get_data(as_text=True)
    assert "מכתב בעברית" in everything and "Translated into English" not in everything
    hebrew_feed = client.get("/feed.atom?language=he").get_data(as_text=True)
    assert "מכתב בעברית" in hebrew_feed and "Translated into English" not in hebrew_feed


def test_the_api_carries_public_translations_only(client):
    letter = make_letter(language="he")
    make_translation(letter, "en", approved_by="team")
    make_translation(letter, "ar", status="awaiting_author")
    data = client.get(f"/api/v1/letters/{letter.public_id}").get_json()
    assert [t["language"] for t in data["translations"]] == ["en"]
    (english,) = data["translations"]
    assert english["approved_by"] == "team" and english["direction"] == "ltr"
    assert english["text"].startswith("I refuse to serve. This is the translation")
    assert english["url"] == f"https://refusers.example/letters/{letter.public_id}/en"
    listed = client.get("/api/v1/letters").get_json()["letters"]
    assert [t["language"] for t in listed[0]["translations"]] == ["en"]
    assert "contact" not in str(data) and "written_by" not in str(data)


def test_the_sitemap_lists_each_public_translation(client):
    letter = make_letter(language="he")
    make_translation(letter, "en")
    make_translation(letter, "ar", status="draft")
    sitemap = client.get("/sitemap-letters-1.xml").get_data(as_text=True)
    assert f"<loc>https://refusers.example/letters/{letter.public_id}/en</loc>" in sitemap
    assert f"/letters/{letter.public_id}/ar</loc>" not in sitemap


def test_a_translation_never_changes_the_count(client):
    letter = make_letter(language="he")
    before = client.get("/api/v1/count").get_json()
    make_translation(letter, "en")
    make_translation(letter, "ar")
    assert client.get("/api/v1/count").get_json() == before


def _surfaces(client, letter) -> dict[str, str]:
    """Every public surface that can show the English translation, as an English reader gets it."""
    return {
        "page": client.get(f"/letters/{letter.public_id}/en?lang=en").get_data(as_text=True),
        "original": client.get(f"/letters/{letter.public_id}?lang=en").get_data(as_text=True),
        "home": client.get("/?lang=en").get_data(as_text=True),
        "list": client.get("/letters?lang=en").get_data(as_text=True),
        "feed": client.get("/feed.atom?language=en").get_data(as_text=True),
        "api": client.get(f"/api/v1/letters/{letter.public_id}").get_data(as_text=True),
        "api list": client.get("/api/v1/letters").get_data(as_text=True),
        "sitemap": client.get("/sitemap-letters-1.xml").get_data(as_text=True),
    }


def _shows_translation(surfaces: dict[str, str]) -> list[str]:
    return [name for name, body in surfaces.items() if "TRANSLATED TITLE" in body or "translation the author approved" in body]


@pytest.mark.parametrize("how", ["withdraw", "pause", "unpublish", "to_review"])
def test_the_translation_is_gone_from_every_surface_on_the_next_request(client, how):
    letter = make_letter(language="he", title="מכתב")
    translation = make_translation(letter, "en", title="TRANSLATED TITLE")
    other = make_letter(language="he")  # keeps the lists and the sitemap non-empty
    assert _shows_translation(_surfaces(client, letter)) == ["page", "home", "list", "feed", "api", "api list"]
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 200
    if how == "withdraw":
        letters.withdraw(letter)
    elif how == "pause":
        pauses.pause(letter, by="test", reason="safety")
    elif how == "unpublish":
        letters.unpublish(letter, by="test", reason="at the author's request")
    else:
        set_translation_status(translation, "to_review")
    assert _shows_translation(_surfaces(client, letter)) == []
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404
    assert f"/letters/{letter.public_id}/en" not in client.get("/sitemap-letters-1.xml").get_data(as_text=True)
    assert other.public_id in client.get("/sitemap-letters-1.xml").get_data(as_text=True)


@pytest.mark.parametrize("lang", ["he", "ar", "en"])
def test_the_list_shows_each_letter_in_the_reader_s_language_where_it_has_a_public_translation(client, lang):
    source = "en" if lang == "he" else "he"
    translated_letter = make_letter(language=source, title="ORIGINAL TITLE")
    other = make_letter(language=source, title="UNTRANSLATED")
    make_translation(translated_letter, lang, title="TRANSLATED TITLE")
    make_translation(other, lang, title="NOT YET", status="awaiting_author")
    for url in (f"/letters?lang={lang}", f"/letters?language={source}&lang={lang}"):
        page = get_page(client, url)
        assert "TRANSLATED TITLE" in page.visible_text and "ORIGINAL TITLE" not in page.visible_text
        assert "UNTRANSLATED" in page.visible_text and "NOT YET" not in page.visible_text
        assert page.find("a", href=f"/letters/{translated_letter.public_id}/{lang}")
        assert len(page.find("p", **{"class": "translation-note"})) == 1
        assert [a["lang"] for a in page.find("article")] == [source, lang]  # newest first
    # Counted as the letters they are, whatever their translations.
    assert "2 letters" in get_page(client, f"/letters?language={source}&lang=en").visible_text


def test_many_letters_find_their_translations_in_one_query_without_naming_each(app, monkeypatch):
    from refusal_site import translated

    hebrew, english = make_letter(language="he"), make_letter(language="en")
    make_translation(hebrew, "en")
    make_translation(english, "ar", status="draft")
    for named in (1000, 0):  # naming each letter, and (a compilation of very many) not
        monkeypatch.setattr(translated, "NAMED_LETTERS", named)
        assert list(translated.translations_into([hebrew, english], "en")) == [hebrew.id]
        assert translated.translations_into([english], "en") == {}
        assert {k: [t.language for t in v] for k, v in translated.translations_of_many([hebrew, english]).items()} == {hebrew.id: ["en"], english.id: []}
