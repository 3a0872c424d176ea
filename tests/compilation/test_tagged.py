"""PDFs a screen reader can read (PDF/UA-1): a letter's own PDF and every compilation are tagged, the
`pdfua` checker finds nothing, every letter's heading is in the tags in order, every link is
described, and page numbers are tagged (the contents') or marked as pagination (the pages' feet)."""

from datetime import timedelta

import pikepdf
import pytest

from refusal_site.compilation import assembly, selection
from refusal_site.models import utcnow
from tests.factories import make_collective, make_letter, make_signature
from tests.pdfs import pdfua_findings, plain, publish_mixed, tagged, untagged

pytestmark = [pytest.mark.pdf, pytest.mark.slow]


def _words(text: str) -> set[str]:
    """The words of a text (extractors may order a number within right-to-left text visually)."""
    return set(plain(text).split())


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_a_letter_s_pdf_passes_pdfua_with_its_heading_and_its_links_described(client, tmp_path, language):
    letter = make_letter(language=language, body_text="https://example.org/why\n\nA second paragraph.")
    path = tmp_path / "letter.pdf"
    path.write_bytes(client.get(f"/letters/{letter.public_id}.pdf").data)
    assert pdfua_findings(path) == []
    assert untagged(path) == []
    # A letter without a title is found by its author's name.
    ((role, heading),) = tagged(path, {"/H1"})
    assert _words(letter.display_name) <= _words(heading), heading
    with pikepdf.open(path) as pdf:
        (link,) = [a for a in pdf.pages[0].Annots if a.Subtype == "/Link"]
        assert str(link.Contents) == "https://example.org/why"


def test_a_compilation_passes_pdfua_and_its_tags_read_every_letter_in_order(app, tmp_path):
    made = publish_mixed()  # Hebrew, Arabic and English; the third runs over a page
    made.append(make_letter(language="en", title="Not in my name", body_text="Why: https://example.org/why", published_at=utcnow()))
    collective = make_collective(language="ar", title="لن نلتحق", published_at=utcnow() + timedelta(minutes=1))
    make_signature(collective, name="ليلى حداد")
    made.append(collective)
    path = assembly.build(selection.Selection(), "en").path
    assert pdfua_findings(path) == []
    assert untagged(path) == []
    headings = tagged(path, {"/H1"})
    assert headings[0] == ("/H1", "Public refusers: letters"), "the cover's title first"
    letters_headings = [text for _role, text in headings[1:]]
    assert len(letters_headings) == len(made)
    for letter, heading in zip(made, letters_headings, strict=True):
        assert _words(letter.title or letter.display_name) <= _words(heading), (letter.display_name, heading)
    # Each entry of contents is a link described by its entry and page; its tags read the entry, then
    # the page number stamped at its end.
    with pikepdf.open(path) as pdf:
        described = []
        for annotation in pdf.pages[1].Annots:
            if str(annotation.Contents) not in described:
                described.append(str(annotation.Contents))
        starts = [pdf.pages.index(annotation.A.D[0]) for annotation in pdf.pages[1].Annots]
    printed = [str(start - 1) for i, start in enumerate(starts) if i == 0 or start != starts[i - 1]]  # cover and one page of contents
    entries = [letter.display_name + (f" · {letter.title}" if letter.title else "") for letter in made]
    assert described == [f"{entry}, page {number}" for entry, number in zip(entries, printed, strict=True)]
    contents_links = [text for _role, text in tagged(path, {"/Link"})][: len(made)]
    for link, number in zip(contents_links, printed, strict=True):
        assert link.split()[-1] == number, (link, number)


def test_language_and_date_range_editions_pass_pdfua(app):
    publish_mixed(6)
    since = (utcnow() - timedelta(days=4)).date()
    for edition, language in ((selection.Selection(language="ar"), "ar"), (selection.Selection(language="he"), "he"),
                              (selection.Selection(since=since), "he")):
        path = assembly.build(edition, language).path
        assert pdfua_findings(path) == [], edition
        assert untagged(path) == [], edition
        with pikepdf.open(path) as pdf:
            assert str(pdf.Root.Lang) == language
            assert b"<pdfuaid:part>1</pdfuaid:part>" in pdf.Root.Metadata.read_bytes()
