"""Translations in the press's PDFs: a language edition shows each letter in that language where it
was written in it or has a public translation into it (the translation, marked, then the original),
else the original, which the contents say has no translation yet; a letter's own PDF in a
translation; and a translation that becomes or stops being public names another compilation."""

from datetime import timedelta

import pytest
from pypdf import PdfReader

from refusal_site import letters
from refusal_site.compilation import assembly, selection
from refusal_site.models import utcnow
from tests.factories import make_letter, make_translation, set_translation_status
from tests.pdfs import contents_entries, pdf_text, pdfua_findings, plain, untagged

pytestmark = [pytest.mark.pdf, pytest.mark.slow]

ENGLISH = "I refuse to serve. This is the translation the author approved."


def _three():
    start = utcnow() - timedelta(days=1)
    hebrew = make_letter(language="he", title="לא בשמי", published_at=start)
    arabic = make_letter(language="ar", title="ليس باسمي", published_at=start + timedelta(hours=1))
    english = make_letter(language="en", title="Written in English", published_at=start + timedelta(hours=2))
    return hebrew, arabic, english


def test_the_english_edition_shows_the_translation_then_the_original_and_says_which_is_which(app):
    hebrew, arabic, english = _three()
    make_translation(hebrew, "en", title="Not in my name")
    path = assembly.build(selection.Selection(), "en").path
    assert pdfua_findings(path) == []
    assert untagged(path) == []
    text = plain(pdf_text(path))
    assert ENGLISH in " ".join(text.split())
    assert "Translation from Hebrew, approved by the author" in text
    # Contents: the translation, its original, the Arabic letter without one, the English letter as written.
    abouts = [" ".join(about.split()) for _first, about in contents_entries(path)]
    assert len(abouts) == 4
    assert abouts[0].startswith("Translation from Hebrew, approved by the author")
    assert abouts[1].startswith("The original, in Hebrew")
    assert abouts[2].startswith("In Arabic, no translation yet")
    assert abouts[3].startswith("English ·")
    firsts = [" ".join(first.split()) for first, _about in contents_entries(path)]
    assert "Not in my name" in firsts[0] and "לא בשמי" in plain(firsts[1])
    # Bookmarks follow the parts; the cover counts letters, not parts.
    outline = [item.title for item in PdfReader(path).outline][1:]
    assert len(outline) == 4 and "Translation from Hebrew" in outline[0]
    assert "3 public refusers" in " ".join(text.split())


@pytest.mark.parametrize("language", ["he", "ar"])
def test_right_to_left_editions_show_a_translation_into_their_language(app, language):
    hebrew, arabic, english = _three()
    source = english
    make_translation(source, language, title="TITLE")
    path = assembly.build(selection.Selection(), language).path
    assert pdfua_findings(path) == []
    text = " ".join(plain(pdf_text(path)).split())
    words = {"he": "התרגום שהמחבר", "ar": "الترجمة التي وافق عليها"}[language]
    assert all(word in text.split() for word in words.split())
    assert "Written in English" in text  # the original follows


def test_a_translation_made_public_or_taken_back_names_another_compilation(app):
    hebrew, _arabic, _english = _three()
    chosen = selection.Selection()
    before = assembly.existing(chosen, "en") or assembly.build(chosen, "en")
    translation = make_translation(hebrew, "en")
    with_translation = assembly.build(chosen, "en")
    assert with_translation.fingerprint != before.fingerprint
    # The Hebrew and Arabic editions do not show an English translation: they stay what they were.
    hebrew_edition = selection.fingerprint(chosen, chosen.letters(), "he", selection.whole_site(chosen))
    set_translation_status(translation, "to_review")
    assert assembly.existing(chosen, "en").fingerprint == before.fingerprint
    assert selection.fingerprint(chosen, chosen.letters(), "he", selection.whole_site(chosen)) == hebrew_edition
    assert ENGLISH not in " ".join(plain(pdf_text(assembly.build(chosen, "en").path)).split())


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_letter_s_own_pdf_in_a_translation_is_the_translation_then_the_original(client, tmp_path, language):
    letter = make_letter(language="he", title="לא בשמי")
    make_translation(letter, language, title="TRANSLATED", approved_by="team")
    response = client.get(f"/letters/{letter.public_id}/{language}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"{letter.public_id}-{language}.pdf" in response.headers["Content-Disposition"]
    path = tmp_path / "translated.pdf"
    path.write_bytes(response.data)
    assert pdfua_findings(path) == []
    assert untagged(path) == []
    reader = PdfReader(path)
    assert len(reader.pages) == 2
    first, second = (" ".join(plain(page.extract_text()).split()) for page in reader.pages)
    assert "TRANSLATED" in first and "אני מסרב לשרת" not in first
    if language == "en":
        assert "Translation from Hebrew, published by the team, not reviewed by the author" in first
    assert "לא בשמי" in plain(pdf_text(path))
    # The original's PDF is the original alone.
    original = tmp_path / "original.pdf"
    original.write_bytes(client.get(f"/letters/{letter.public_id}.pdf").data)
    assert "TRANSLATED" not in pdf_text(original)


def test_a_letter_s_pdf_in_a_translation_is_not_found_once_it_is_not_public(client):
    letter = make_letter(language="he")
    translation = make_translation(letter, "en")
    assert client.get(f"/letters/{letter.public_id}/en.pdf").status_code == 200
    assert client.get(f"/letters/{letter.public_id}/ar.pdf").status_code == 404
    assert client.get(f"/letters/{letter.public_id}/he.pdf").status_code == 404
    set_translation_status(translation, "to_review")
    assert client.get(f"/letters/{letter.public_id}/en.pdf").status_code == 404
    set_translation_status(translation, "approved")
    letters.withdraw(letter)
    assert client.get(f"/letters/{letter.public_id}/en.pdf").status_code == 404


def test_a_translation_taken_back_is_forgotten_by_every_machine_s_pdf_cache(app):
    from refusal_site import published
    from refusal_site.compilation import cleanup

    hebrew, _arabic, _english = _three()
    translation = make_translation(hebrew, "en")
    make_translation(_english, "he", status="draft")  # never public: nothing to forget
    built = assembly.build(selection.Selection(), "en").path
    since = utcnow() - timedelta(seconds=1)
    assert published.taken_away(since) == []
    sweep = cleanup.Forgetting()
    set_translation_status(translation, "to_review")
    assert [(c.public_id, c.compilations, c.contents) for c in published.taken_away(since)] == [(hebrew.public_id, True, True)]
    assert sweep.sweep() > 0
    assert not built.exists()


@pytest.mark.parametrize("how", ["withdraw", "pause", "unpublish"])
def test_a_letter_taken_from_the_public_takes_its_translation_out_of_the_next_compilation(app, how):
    from refusal_site import pauses

    hebrew, _arabic, _english = _three()
    make_translation(hebrew, "en", title="Not in my name")
    chosen = selection.Selection()
    assert ENGLISH in " ".join(plain(pdf_text(assembly.build(chosen, "en").path)).split())
    if how == "withdraw":
        letters.withdraw(hebrew)
    elif how == "pause":
        pauses.pause(hebrew)
    else:
        letters.unpublish(hebrew, by="test", reason="at the author's request")
    text = " ".join(plain(pdf_text(assembly.build(chosen, "en").path)).split())
    assert ENGLISH not in text and "Not in my name" not in text
    assert "Written in English" in text
