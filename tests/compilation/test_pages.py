"""A compilation read back: contents that point at the right pages, bookmarks, page numbers, and
what one more approval, a withdrawal or a correction renders again."""

import subprocess
from datetime import timedelta

import pikepdf
import pytest
from pypdf import PdfReader

from refusal_site import letters
from refusal_site.compilation import assembly, cache, front, rendering, selection, stamping, tagging
from refusal_site.extensions import db
from refusal_site.models import Letter, utcnow
from tests.factories import make_letter
from tests.pdfs import contents_entries, contents_lines, layout_text, names, plain, printed_number, publish_mixed

pytestmark = [pytest.mark.pdf, pytest.mark.slow]


def test_contents_bookmarks_and_links_point_where_each_letter_starts(app):
    made = publish_mixed()
    built = assembly.build(selection.Selection(), "en")
    reader = PdfReader(built.path)
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert outline[0] == ("Contents", 1)
    outline = outline[1:]
    assert [title.split(" · ")[0] for title, _ in outline] == [l.display_name for l in made], "oldest first"
    for index, (letter, (_, page)) in enumerate(zip(made, outline, strict=True)):
        assert names(reader.pages[page].extract_text(), letter.display_name), letter.display_name
        if index > 0:  # before the first letter come the contents, which list every name
            assert not names(reader.pages[page - 1].extract_text(), letter.display_name)
    # The contents give each letter the number printed on the page it starts on, which is also
    # the page's label in a viewer (contents i, ii, ...; letters from 1).
    rows = [line.split() for line in contents_lines(built.path)]
    assert len(rows) == len(made)
    for letter, row, (_, page) in zip(made, rows, outline, strict=True):
        shown = printed_number(built.path, page)
        assert reader.page_labels[page] == shown
        assert all(word in row for word in letter.display_name.split()) and row[-1] == shown, (letter.display_name, shown, row)
    assert [reader.page_labels[0], reader.page_labels[1], reader.page_labels[outline[0][1]]] == ["i", "ii", "1"]
    assert printed_number(built.path, 1) == "ii"
    jumps = [
        reader.get_page_number(a.get_object()["/A"]["/D"][0].get_object())
        for a in reader.pages[1]["/Annots"]
        if a.get_object()["/A"].get("/S") == "/GoTo"
    ]
    # WeasyPrint makes one link per text fragment of an entry: compare the distinct targets, in order.
    distinct = [page for i, page in enumerate(jumps) if i == 0 or page != jumps[i - 1]]
    assert distinct == [page for _, page in outline]
    assert outline[3][1] - outline[2][1] >= 2, "a long letter takes more than one page"


def test_contents_run_over_several_pages_without_moving_the_letters_numbers(app, monkeypatch):
    monkeypatch.setattr(front, "CONTENTS_ROWS", 2)
    made = publish_mixed(5)
    path = assembly.build(selection.Selection(), "en").path
    reader = PdfReader(path)
    outline = [reader.get_destination_page_number(item) for item in reader.outline][1:]
    assert outline[0] == 4, "cover and three pages of contents"
    assert [printed_number(path, page) for page in (1, 2, 3)] == ["ii", "iii", "iv"]
    assert [printed_number(path, page) for page in outline] == [reader.page_labels[page] for page in outline]
    assert printed_number(path, outline[0]) == "1"
    assert names(layout_text(path, 3), made[4].display_name)


def test_pages_of_contents_say_their_numbers_and_are_rendered_with_the_cover_in_one_document(app, monkeypatch):
    monkeypatch.setattr(front, "CONTENTS_ROWS", 2)
    made = publish_mixed(5)  # three pages of contents
    documents = []
    real = rendering.render
    monkeypatch.setattr(rendering, "render", lambda template, *a, **k: documents.append((template, bool(k.get("cover")), len(k.get("contents", ())))) or real(template, *a, **k))

    def check(path, count: int) -> None:
        reader = PdfReader(path)
        outline = [reader.get_destination_page_number(item) for item in reader.outline][1:]
        assert outline[0] == 1 + count and [printed_number(path, page) for page in range(1, 1 + count)] == ["ii", "iii", "iv"][:count]
        jumps = [reader.get_page_number(a.get_object()["/A"]["/D"][0].get_object())
                 for page in range(1, 1 + count) for a in reader.pages[page]["/Annots"] if a.get_object()["/A"].get("/S") == "/GoTo"]
        assert [page for i, page in enumerate(jumps) if i == 0 or page != jumps[i - 1]] == outline
        assert [printed_number(path, page) for page in outline] == [reader.page_labels[page] for page in outline]

    check(assembly.build(selection.Selection(), "en").path, 3)
    # The contents wait for no letter (their numbers are stamped in at the end): one document holds
    # the cover and every page of contents.
    assert [d for d in documents if d[0] == "press/front_pdf.html"] == [("press/front_pdf.html", True, 3)], documents
    documents.clear()
    letters.withdraw(db.session.get(Letter, made[0].id))  # every page of contents changes
    check(assembly.build(selection.Selection(), "en").path, 2)
    assert documents == [("press/front_pdf.html", True, 2)], "no letter rendered again; the new cover and both pages of contents at once"


def test_pages_are_numbered_and_the_file_says_what_it_is(app, tmp_path):
    publish_mixed(3)
    path = assembly.build(selection.Selection(language=None), "he").path
    reader = PdfReader(path)
    last = len(reader.pages) - 1
    assert printed_number(path, last) == reader.page_labels[last] == str(len(reader.pages) - 2)  # after cover and contents
    assert reader.metadata.title == "סרבנים בפומבי: המכתבים" and reader.trailer["/Root"]["/Lang"] == "he"
    assert reader.metadata["/CreationDate"].startswith("D:20")
    assert reader.trailer["/Root"]["/ViewerPreferences"]["/Direction"] == "/R2L"
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line.split("Identity-H", 1)[-1] for line in fonts), fonts
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout + check.stderr


def test_numbers_are_stamped_from_digits_centred_on_every_letter_page(app, tmp_path):
    with pikepdf.new() as blank:
        for _ in range(123):
            blank.add_blank_page(page_size=(595.28, 841.89))
        stamping.stamp_numbers(blank, 2, stamping.digits("en")[0])
        blank.save(tmp_path / "numbers.pdf")
    shown = {page: layout_text(tmp_path / "numbers.pdf", page).strip() for page in (0, 1, 2, 10, 11, 101, 122)}
    assert shown == {0: "", 1: "", 2: "1", 10: "9", 11: "10", 101: "100", 122: "121"}


def test_hebrew_reads_in_logical_order_and_no_contact_address_is_in_the_file(app, tmp_path):
    make_letter(language="he", display_name="נועה כהן", title="לא בשמי", contact_email="noa.private@mail.example")
    built = assembly.build(selection.Selection(), "he")
    text = plain(subprocess.run(["pdftotext", str(built.path), "-"], capture_output=True, text=True, check=True).stdout)
    assert "נועה כהן" in text and "לא בשמי" in text
    data = built.path.read_bytes()
    assert b"noa.private" not in data and "noa.private" not in text


def test_a_withdrawn_letter_is_absent_from_the_next_compilation_and_the_rest_is_reused(app, monkeypatch):
    made = publish_mixed()
    first = assembly.build(selection.Selection(), "en")
    letters.withdraw(db.session.get(Letter, made[1].id))
    rendered = []
    real_render = rendering.render
    monkeypatch.setattr(rendering, "render", lambda template, *a, **k: rendered.append(template) or real_render(template, *a, **k))
    second = assembly.build(selection.Selection(), "en")
    assert second.path != first.path and second.letters == len(made) - 1
    titles = [item.title for item in PdfReader(second.path).outline]
    assert not any(made[1].display_name in t for t in titles)
    assert "press/letters_pdf.html" not in rendered, "no letter is rendered again"


def test_a_correction_that_lengthens_a_letter_moves_the_numbers_after_it_without_rendering_the_contents(app, monkeypatch, one_moment):
    from refusal_site import moderators
    from refusal_site.models import Role

    made = publish_mixed(4)  # the third letter runs over a page
    first = assembly.build(selection.Selection(), "en").path
    moderator = moderators.create("editor@team.example", "a long enough password 1", role=Role.MODERATOR)
    longer = "\n\n".join(["A corrected paragraph " + "y" * 40] * 60)  # now two pages or more
    letters.edit(db.session.get(Letter, made[0].id), by=moderator, display_name=made[0].display_name, descriptor=None,
                 title=None, body_text=longer, reason="the whole text")
    rendered = []
    real_render = rendering.render
    monkeypatch.setattr(rendering, "render", lambda template, *a, **k: rendered.append(
        "letters" if "sections" in k else [len(page["rows"]) for page in k["contents"]]) or real_render(template, *a, **k))
    path = assembly.build(selection.Selection(), "en").path
    assert rendered == ["letters"], "the corrected letter alone: the cover (same count, same day) and the contents are kept"
    reader = PdfReader(path)
    starts = [reader.get_destination_page_number(item) for item in reader.outline][1:]
    before = [PdfReader(first).get_destination_page_number(item) for item in PdfReader(first).outline][1:]
    assert starts[1] - starts[0] > before[1] - before[0], "the corrected letter takes more pages"
    rows = [line.split() for line in contents_lines(path)]
    assert [row[-1] for row in rows] == [printed_number(path, page) for page in starts] == [reader.page_labels[p] for p in starts]
    assert [int(row[-1]) for row in rows][1:] == [page - 1 for page in starts[1:]], "after cover and one page of contents"


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_numbers_of_two_digits_in_the_contents_read_in_order_at_the_lines_end(app, language):
    """Page numbers in the contents are stamped in: at the left of a right-to-left line, at the right
    of a left-to-right one, and in both, 10 reads 10 (as one word for text extraction too)."""
    start = utcnow() - timedelta(days=1)
    made = [make_letter(language="en", display_name=f"Writer {chr(65 + i)}", published_at=start + timedelta(minutes=i))
            for i in range(12)]
    path = assembly.build(selection.Selection(), language).path
    reader = PdfReader(path)
    starts = [reader.get_destination_page_number(item) for item in reader.outline][1:]
    lines = contents_lines(path)
    assert len(lines) == len(made)
    right_to_left = language != "en"
    for letter, line, page in zip(made, lines, starts, strict=True):
        words = line.split()
        number, name = (words[0], words[1:3]) if right_to_left else (words[-1], words[:2])
        assert number == printed_number(path, page) == reader.page_labels[page], (letter.display_name, line)
        assert name == letter.display_name.split(), line
    assert [line.split()[0 if right_to_left else -1] for line in lines][9:] == ["10", "11", "12"]
    # the numbers stand at the line's end: the left margin in Hebrew and Arabic, the right one in English
    column = [len(line) - len(line.lstrip()) if right_to_left else len(line.rstrip()) for line in lines]
    assert max(column) - min(column) <= 1, lines
    assert {"10", "11", "12"} <= set(reader.pages[1].extract_text().split()), "each number one word"
    assert reader.pages[starts[-1]].extract_text().split()[-1] == str(len(reader.pages) - 2), "the foot's number too"


@pytest.mark.parametrize("language", ["he", "en"])
def test_page_numbers_of_three_and_four_digits_stand_in_order_in_the_contents(app, language, tmp_path):
    for i in range(3):
        make_letter(language="en", display_name=f"Writer {chr(65 + i)}", published_at=utcnow() - timedelta(minutes=10 - i))
    assembly.build(selection.Selection(), language)  # keeps the page of contents and the digits
    entries = front.contents([(letter, None) for letter in selection.Selection().letters()], language)
    digits = stamping.digits(language)[1]
    cover = front.front(selection.Selection(), selection.Selection().letters(), language, entries).pages[0][0]  # kept: nothing rendered
    with pikepdf.new() as out, pikepdf.open(cover) as cover, pikepdf.open(cache.contents_path(language, 0, entries[0])) as contents:
        joined = tagging.Joined(out)
        joined.append(cover, [0])
        joined.append(contents, [0])
        for _ in range(1234):
            out.add_blank_page(page_size=(595.28, 841.89))
        stamping.number_contents(joined, 2, [2, 2 + 99, 2 + 1233], digits, language, ["Writer A", "Writer B", "Writer C"])
        out.save(tmp_path / "numbers.pdf")
    lines = [line.split() for line in contents_lines(tmp_path / "numbers.pdf")]
    assert [words[0] if language == "he" else words[-1] for words in lines] == ["1", "100", "1234"], lines
    assert {"100", "1234"} <= set(PdfReader(tmp_path / "numbers.pdf").pages[1].extract_text().split())


def _gray(path, page: int, box: tuple[int, int, int, int]) -> list[int]:
    """The grey levels (0 black, 255 white) of a box (x, y, width, height) of a page, 1 pixel a point."""
    x, y, width, height = box
    done = subprocess.run(["pdftoppm", "-r", "72", "-gray", "-f", str(page + 1), "-l", str(page + 1), "-x", str(x), "-y", str(y),
                           "-W", str(width), "-H", str(height), str(path)], capture_output=True, check=True)  # fmt: skip
    kind, size, _depth, pixels = done.stdout.split(b"\n", 3)  # a binary PGM: P5, "width height", 255, then the pixels
    assert kind == b"P5" and size.split() == [str(width).encode(), str(height).encode()], (kind, size)
    return list(pixels)


@pytest.mark.parametrize("language", ["he", "en"])
def test_an_entry_too_long_for_its_line_is_cut_before_the_room_of_its_number(app, language):
    """Entries are cut short before layout by an estimate of their width; one that still runs long
    (em dashes are wider than the estimate) is clipped before its number, which stays readable."""
    make_letter(language="en", display_name="—" * 70)
    path = assembly.build(selection.Selection(), language).path
    with pikepdf.open(path) as pdf:
        rects = {stamping._rect(annotation) for annotation in pdf.pages[1].Annots}
    # The entry's line, from margin to margin (20 mm each side of A4); its text runs further, clipped.
    (left, bottom, right, top), = [[round(v) for v in rect] for rect in rects if round(rect[0]) == 57 and round(rect[2]) == 539]
    room = 51  # 18 mm, of which the number takes the end
    if language == "he":
        number, gap = (left, 841 - top, 8, top - bottom), (left + 9, 841 - top, room - 10, top - bottom)
    else:
        number, gap = (right - 8, 841 - top, 8, top - bottom), (right - room + 1, 841 - top, room - 10, top - bottom)
    assert min(_gray(path, 1, gap)) > 200, "nothing drawn between the entry's text and its number"
    assert min(_gray(path, 1, number)) < 100, "the number is drawn"


def test_a_language_compilation_holds_only_that_language(app):
    made = publish_mixed()
    titles = [item.title for item in PdfReader(assembly.build(selection.Selection(language="ar"), "ar").path).outline][1:]
    assert titles and all(any(l.display_name in t for l in made if l.language == "ar") for t in titles)
    assert len(titles) == sum(1 for l in made if l.language == "ar")


def test_one_more_approval_renders_one_letter_the_cover_and_the_last_page_of_contents(app, monkeypatch, tmp_path):
    monkeypatch.setattr(front, "CONTENTS_ROWS", 3)
    made = publish_mixed(7)
    assembly.build(selection.Selection(), "en")
    newest = make_letter(language="ar", display_name="سامي حلبي")
    rendered = []
    real_render = rendering.render
    shown = lambda k: [len(k["sections"])] if "sections" in k else [len(page["rows"]) for page in k["contents"]]  # noqa: E731
    monkeypatch.setattr(rendering, "render", lambda template, *a, **k: rendered.append((template, shown(k))) or real_render(template, *a, **k))
    again = assembly.build(selection.Selection(), "en")
    # One document for the cover and the last page of contents (two entries of three), one for the letter.
    assert sorted(rendered) == [("press/front_pdf.html", [2]), ("press/letters_pdf.html", [1])]
    reader = PdfReader(again.path)
    titles = [item.title for item in reader.outline][1:]
    assert titles[-1] == newest.display_name and len(titles) == len(made) + 1
    assert "8 public refusers" in plain(reader.pages[0].extract_text())
    # The page rendered with the cover says its own number; those kept from before say theirs.
    assert [printed_number(again.path, page) for page in (1, 2, 3)] == ["ii", "iii", "iv"]
    assert names(layout_text(again.path, 3), newest.display_name)
    _same_as_built_from_nothing(again.path, selection.Selection(), "en", monkeypatch, tmp_path)


_REAL_RENDER, _REAL_POOL = rendering.render, rendering._pool


def _same_as_built_from_nothing(path, chosen, language, monkeypatch, tmp_path) -> None:
    """The compilation at `path` reads, page by page, as the same one built with an empty cache."""
    with monkeypatch.context() as fresh:
        fresh.setattr(cache, "folder", lambda: tmp_path / "fresh")
        fresh.setattr(rendering, "render", _REAL_RENDER)
        fresh.setattr(rendering, "_pool", _REAL_POOL)
        again = assembly.build(chosen, language).path
    count = len(PdfReader(again).pages)
    assert len(PdfReader(path).pages) == count
    assert [layout_text(path, n) for n in range(count)] == [layout_text(again, n) for n in range(count)]


@pytest.fixture
def one_moment(monkeypatch):
    """Now, for the builds (and the approvals that pass it on): the same day all through the test."""
    moment = utcnow()
    monkeypatch.setattr(front, "utcnow", lambda: moment)
    return moment








def test_a_collective_letter_prints_its_text_once_then_its_signers_and_they_count_as_refusers(app):
    from tests.factories import make_collective, make_signature

    make_letter(language="en", display_name="Dan Stein")
    collective = make_collective(language="en", display_name="Yael Bar", title="The pilots' letter", body_text="We will not fly.")
    signers = [make_signature(collective, name=f"Signer {i:02d}").display_name for i in range(12)]
    make_signature(collective, "pending", name="Not yet published")
    path = assembly.build(selection.Selection(), "en").path
    text = plain(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    assert text.count("We will not fly.") == 1
    assert all(name in text for name in signers) and "Not yet published" not in text
    assert "Signed by 12 more people" in text
    assert "14 public refusers" in text and "2 letters" in text


@pytest.mark.parametrize("language", ["he", "en"])
def test_a_long_title_is_cut_short_in_the_contents_and_its_name_and_page_still_show(app, language):
    made = [make_letter(language="he", display_name="נועה כהן", title=("כותרת ארוכה מאוד " * 10).strip()),
            make_letter(language="en", display_name="Dan Stein", title=("A very long title " * 10).strip())]
    built = assembly.build(selection.Selection(), language)
    rows = [line.split() for line in contents_lines(built.path)]
    assert len(rows) == 2, "one line an entry's name and title"
    for letter, row, number in zip(made, rows, ("1", "2")):
        assert any("…" in word for word in row), row
        words = [word.strip("…") for word in row]  # extractors put the ellipsis at either end of a run
        assert all(word in words for word in letter.display_name.split()) and number in (words[0], words[-1]), row


def test_an_entry_of_wide_capitals_is_cut_to_one_line_with_its_signers_and_page(app):
    from tests.factories import make_collective, make_signature

    letter = make_collective(language="en", display_name="W" * 60, title="M" * 150)
    make_signature(letter, name="Dana Katz")
    built = assembly.build(selection.Selection(), "he")
    ((first, about),) = contents_entries(built.path)
    row = first.split()
    # Extractors put the ellipsis at either end of a run.
    assert "1" in (row[0], row[-1]) and any(word.strip("…").startswith("WWWW") for word in row) and "…" in first, row
    assert "חתימה נוספת" in about and "קבוצתי" in about, about


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_each_entry_says_the_letter_s_language_date_and_co_signatures_in_the_edition_s_language(app, language):
    """Names and titles stay as written; the rest is in the edition's language, so a reader of the
    English edition who reads no Hebrew or Arabic can tell what each letter is."""
    from flask_babel import force_locale, format_date

    from tests.factories import make_collective, make_signature

    moment = utcnow() - timedelta(days=40)
    made = [make_letter(language="he", display_name="נועה כהן", title="לא בשמי", published_at=moment),
            make_collective(language="ar", display_name="سامي حلبي", published_at=moment + timedelta(days=1)),
            make_letter(language="en", display_name="Dan Stein", published_at=moment + timedelta(days=2))]
    for _ in range(3):
        make_signature(made[1])
    path = assembly.build(selection.Selection(), language).path
    entries = contents_entries(path)
    assert len(entries) == 3
    english = {"en": "English", "he": "Hebrew", "ar": "Arabic"}
    for letter, (first, about) in zip(made, entries, strict=True):
        assert names(first, letter.display_name), first
        with force_locale(language):
            published = format_date(selection.day(letter.published_at), "long")
        if language == "en":  # read in order: "In Hebrew, no translation yet · March 1, 2026 · collective, 3 co-signatures"
            written = english[letter.language] if letter.language == "en" else f"In {english[letter.language]}, no translation yet"
            said = f"{written} · {published}" + (" · collective, 3 co-signatures" if letter.collective else "")
            assert " ".join(plain(about).split()) == said, about
        else:  # right-to-left lines come out of pdftotext with their numbers and dots in visual order
            assert all(word in about for word in published.split() if not word.isdigit()), (published, about)
            assert published.split()[-1] in about, about
    if language == "he":
        assert "עברית" in entries[0][1] and "ערבית" in entries[1][1] and "קבוצתי" in entries[1][1] and "חתימות נוספות" in entries[1][1]
    if language == "ar":
        assert "العربية" in entries[1][1] and "جماعية" in entries[1][1] and "توقيعات مشتركة" in entries[1][1], entries[1][1]  # 3: plural form of 3 to 10


def test_after_an_approval_the_contents_rendered_beside_the_new_letter_give_its_page(app):
    made = publish_mixed(3)  # the third letter runs over a page
    assembly.build(selection.Selection(), "en")
    newest = make_letter(language="en", display_name="Dan Stein")
    path = assembly.build(selection.Selection(), "en").path
    reader = PdfReader(path)
    start = [reader.get_destination_page_number(item) for item in reader.outline][-1]
    assert names(layout_text(path, start), newest.display_name)
    row = contents_lines(path)[-1].split()
    assert row[:2] == ["Dan", "Stein"], row
    assert row[-1] == printed_number(path, start) == reader.page_labels[start], (row, start)
    assert int(row[-1]) > len(made) + 1, "after the long letter's pages"


def test_front_matter_whose_part_runs_over_its_page_is_refused_not_filed_under_another(app):
    """Pages of contents are kept by their place in the document: a page that ran over would file the
    next page under another part's key. It is an error."""
    rows = [{"index": i, "text": f"Entry {i}", "note": "", "language": "en", "direction": "ltr"} for i in range(90)]
    with pytest.raises(ValueError, match="ran over"):
        front.render_front("en", None, [(0, rows[:3]), (1, rows)])
    assert not any(cache.folder().glob("contents/*.pdf")), "nothing kept"
