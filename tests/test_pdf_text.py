"""Every word copies back out of a letter's PDF and a compilation as it was written (issue 21, item 1):
the words of the demo letters and of a corpus with tanween, shadda, lam-alef, niqqud and lines of
both directions (bench/lib/words.py), read with pypdf, poppler's pdftotext and PDFium."""

import io
import shutil

import pikepdf
import pytest

from bench.lib import words
from refusal_site import create_app, demo
from refusal_site.compilation import rendering, text_map
from refusal_site.compilation.selection import PrintedLetter
from refusal_site.extensions import db
from refusal_site.models import utcnow
from refusal_site.sanitize import text_to_html
from refusal_site.storage import dispose_engines
from tests.conftest import base_config

pytestmark = [pytest.mark.pdf, pytest.mark.slow]


@pytest.fixture(scope="module")
def read_back(sqlite_template, tmp_path_factory):
    """The corpus's letters published, rendered once (each letter's PDF, one compilation of all), and
    read by every reader: [(kind, letter, {reader: text})]."""
    folder = tmp_path_factory.mktemp("words")
    shutil.copyfile(sqlite_template, folder / "db.sqlite3")
    app = create_app(base_config(folder, f"sqlite:///{folder / 'db.sqlite3'}"))
    with app.app_context():
        documents = words.corpus_pdfs()
        db.session.remove()
    dispose_engines(app)
    texts = {}
    return [(kind, letter, texts.setdefault(id(data), {reader: words.read(data, reader) for reader in words.READERS}))
            for kind, letter, data in documents]


def test_the_corpus_holds_every_word_of_the_demo_letters():
    for language in words.CORPUS:
        corpus = {word for letter in words.letters(language) for word in words.letter_words(letter)}
        demo_words = {word for text in words.demo_texts(language) for word in words.words(text)}
        assert demo_words <= corpus, demo_words - corpus
        assert any(words.shaped(word) for word in corpus) or language == "en"


def test_pypdf_copies_back_every_word(read_back):
    """pypdf reads every word exactly but where scripts meet: there PDFium reads it exactly."""
    for kind, letter, text in read_back:
        lost = words.missing(words.letter_words(letter), text["pypdf"])
        mixed = words.where_scripts_meet(letter)
        assert [word for word in lost if word not in mixed] == [], (kind, letter["title"])
        assert words.missing([word for word in lost if word in mixed], text["pdfium"]) == [], (kind, letter["title"])


def test_pdftotext_copies_back_every_word_but_where_poppler_misreads_the_pdf(read_back):
    """pdftotext reads exactly every word but those drawn with a lam-alef ligature or a mark, whose
    glyphs poppler puts out of order or on a line of their own (pypdf reads them exactly from the
    same PDF), and those where scripts meet (PDFium reads them exactly)."""
    for kind, letter, text in read_back:
        lost = words.missing(words.letter_words(letter), text["pdftotext"])
        mixed = words.where_scripts_meet(letter)
        assert [word for word in lost if word not in mixed and not words.shaped(word)] == [], (kind, letter["title"])
        assert words.missing([word for word in lost if words.shaped(word)], text["pypdf"]) == [], (kind, letter["title"])
        assert words.missing([word for word in lost if word in mixed and not words.shaped(word)], text["pdfium"]) == [], (kind, letter["title"])


def _letter(body: str, language: str = "ar") -> PrintedLetter:
    return PrintedLetter(public_id="WORDS0000000TEST", display_name="Sami", descriptor=None, title=None, language=language,
                         body_html=text_to_html(body), published_at=utcnow(), collective=False, signers=(), fingerprint="words")


def test_a_glyph_copies_as_what_it_draws_wherever_it_was_drawn_first(app):
    # إِلَى is drawn first: WeasyPrint alone maps its kasra to the whole cluster إِ and the alef with
    # hamza below to nothing, and every later إ copies as nothing: إلا as لا. (On an English page,
    # whose running header draws no Arabic first.)
    document = rendering.letters_document([_letter("إِلَى\n\nإلا", "en")])
    as_written = document.write_pdf()
    assert "إلا" not in words.words(words.pypdf_text(as_written))
    assert "إلا" in words.words(words.pypdf_text(text_map.exact(as_written)))


def test_poppler_and_pdfium_turn_lam_alef_around_where_the_pdf_says_it_in_order(app):
    """An extractor bug, not ours: the ligature's glyph maps to لا (lam, then alef: logical order, as
    a ToUnicode map says it); pypdf copies الاحتياط, pdftotext and PDFium copy االحتياط."""
    data = rendering.letter_pdf(_letter("في الاحتياط"))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        maps = [text_map._parse_cmap(font.ToUnicode.read_bytes()) for font in pdf.pages[0].Resources.Font.values()]
    assert any("\u0644\u0627" in mapped.values() for mapped in maps)
    assert "الاحتياط" in words.words(words.pypdf_text(data))
    for reader in ("pdftotext", "pdfium"):
        read = words.words(words.read(data, reader))
        assert "االحتياط" in read and "الاحتياط" not in read, reader


def test_words_without_marks_or_ligatures_copy_back_with_every_reader(app):
    """Words of one script without marks or ligatures: every reader copies them exactly."""
    for language in ("he", "ar"):
        plain = [word for word in words.words(" ".join(demo.PARAGRAPHS[language])) if not words.shaped(word)]
        data = rendering.letter_pdf(_letter(" ".join(plain), language))
        for reader in words.READERS:
            assert words.missing(plain, words.read(data, reader)) == [], (language, reader)
