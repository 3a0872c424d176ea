"""Press compilations, read back: contents that point at the right pages, bookmarks, numbers, freshness."""

import io
import re
import shutil
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader

from refusal_site import compilation, letters
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, utcnow
from tests.factories import make_letter

pytestmark = [pytest.mark.pdf, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    """Compilations read the same query as the public pages (tested on both backends); one is enough here."""
    return request.param


def publish_mixed(count: int = 6) -> list[Letter]:
    start = utcnow() - timedelta(days=count)
    made = []
    for i in range(count):
        language = "he ar en".split()[i % 3]
        body = "\n\n".join(["Paragraph " + "x" * 40] * (40 if i == 2 else 2))  # the third letter runs over a page
        made.append(make_letter(language=language, published_at=start + timedelta(hours=i), body_text=body,
                                contact_email=f"private{i}@mail.example"))
    return made


def pdf_text(path) -> str:
    """The text of a PDF as pdftotext reads it."""
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def plain(text: str) -> str:
    return text.translate(dict.fromkeys(range(0x202A, 0x202F)))


def names(text: str, name: str) -> bool:
    """The name is on the page (extractors may order a number within right-to-left text visually)."""
    return all(word in plain(text).split() for word in name.split())


def layout_text(path, page: int) -> str:
    """One page's text as pdftotext lays it out (0-based page): columns stay apart."""
    done = subprocess.run(["pdftotext", "-f", str(page + 1), "-l", str(page + 1), "-layout", str(path), "-"], capture_output=True, text=True, check=True)
    return plain(done.stdout)


def printed_number(path, page: int) -> str:
    """The number printed at the foot of a page (its last word, as pdftotext reads it)."""
    return layout_text(path, page).split()[-1]


def test_contents_bookmarks_and_links_point_where_each_letter_starts(app):
    made = publish_mixed()
    built = compilation.build(compilation.Selection(), "en")
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
    rows = [line.split() for line in layout_text(built.path, 1).splitlines()[1:] if line.strip()][:-1]  # heading, then rows, then "ii"
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
    monkeypatch.setattr(compilation, "CONTENTS_ROWS", 2)
    made = publish_mixed(5)
    path = compilation.build(compilation.Selection(), "en").path
    reader = PdfReader(path)
    outline = [reader.get_destination_page_number(item) for item in reader.outline][1:]
    assert outline[0] == 4, "cover and three pages of contents"
    assert [printed_number(path, page) for page in (1, 2, 3)] == ["ii", "iii", "iv"]
    assert [printed_number(path, page) for page in outline] == [reader.page_labels[page] for page in outline]
    assert printed_number(path, outline[0]) == "1"
    assert names(layout_text(path, 3), made[4].display_name)


def test_many_pages_of_contents_are_rendered_in_blocks_beside_the_cover_and_say_their_numbers(app, monkeypatch):
    monkeypatch.setattr(compilation, "CONTENTS_ROWS", 2)
    monkeypatch.setattr(compilation, "PARALLEL_FROM", 2)
    app.config["PDF_BUILD_WORKERS"] = 2
    made = publish_mixed(5)  # three pages of contents
    here = []
    real = compilation._render_front
    monkeypatch.setattr(compilation, "_render_front", lambda language, fonts, cover, todo, **k: here.append((cover is not None, [n for n, _ in todo])) or real(language, fonts, cover, todo, **k))

    def check(path, count: int) -> None:
        reader = PdfReader(path)
        outline = [reader.get_destination_page_number(item) for item in reader.outline][1:]
        assert outline[0] == 1 + count and [printed_number(path, page) for page in range(1, 1 + count)] == ["ii", "iii", "iv"][:count]
        jumps = [reader.get_page_number(a.get_object()["/A"]["/D"][0].get_object())
                 for page in range(1, 1 + count) for a in reader.pages[page]["/Annots"] if a.get_object()["/A"].get("/S") == "/GoTo"]
        assert [page for i, page in enumerate(jumps) if i == 0 or page != jumps[i - 1]] == outline
        assert [printed_number(path, page) for page in outline] == [reader.page_labels[page] for page in outline]

    check(compilation.build(compilation.Selection(), "en").path, 3)
    # The contents wait for no letter (their numbers are stamped in at the end): here the cover alone,
    # beside the worker taking runs of letters and blocks of contents; then here too, the tasks left.
    assert here[0] == (True, []) and all(not cover and pages in ([0, 1], [2]) for cover, pages in here[1:]), here
    here.clear()
    letters.withdraw(db.session.get(Letter, made[0].id))  # every page of contents changes
    check(compilation.build(compilation.Selection(), "en").path, 2)
    assert here[0] == (True, []) and all(not cover and pages in ([0], [1]) for cover, pages in here[1:]), here


def test_pages_are_numbered_and_the_file_says_what_it_is(app, tmp_path):
    publish_mixed(3)
    path = compilation.build(compilation.Selection(language=None), "he").path
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
    import pikepdf

    with pikepdf.new() as blank:
        for _ in range(123):
            blank.add_blank_page(page_size=(595.28, 841.89))
        compilation._stamp_numbers(blank, 2, compilation._digits("en")[0])
        blank.save(tmp_path / "numbers.pdf")
    shown = {page: layout_text(tmp_path / "numbers.pdf", page).strip() for page in (0, 1, 2, 10, 11, 101, 122)}
    assert shown == {0: "", 1: "", 2: "1", 10: "9", 11: "10", 101: "100", 122: "121"}


def test_hebrew_reads_in_logical_order_and_no_contact_address_is_in_the_file(app, tmp_path):
    make_letter(language="he", display_name="נועה כהן", title="לא בשמי", contact_email="noa.private@mail.example")
    built = compilation.build(compilation.Selection(), "he")
    text = plain(subprocess.run(["pdftotext", str(built.path), "-"], capture_output=True, text=True, check=True).stdout)
    assert "נועה כהן" in text and "לא בשמי" in text
    data = built.path.read_bytes()
    assert b"noa.private" not in data and "noa.private" not in text


def test_a_withdrawn_letter_is_absent_from_the_next_compilation_and_the_rest_is_reused(app, monkeypatch):
    made = publish_mixed()
    first = compilation.build(compilation.Selection(), "en")
    letters.withdraw(db.session.get(Letter, made[1].id))
    rendered = []
    real_render = compilation._render
    monkeypatch.setattr(compilation, "_render", lambda template, *a, **k: rendered.append(template) or real_render(template, *a, **k))
    second = compilation.build(compilation.Selection(), "en")
    assert second.path != first.path and second.letters == len(made) - 1
    titles = [item.title for item in PdfReader(second.path).outline]
    assert not any(made[1].display_name in t for t in titles)
    assert "press/letters_pdf.html" not in rendered, "no letter is rendered again"


def test_a_correction_that_lengthens_a_letter_moves_the_numbers_after_it_without_rendering_the_contents(app, monkeypatch, one_moment):
    from refusal_site import moderators
    from refusal_site.models import Role

    app.config["PDF_BUILD_WORKERS"] = 1  # every render in this process, where they are counted
    made = publish_mixed(4)  # the third letter runs over a page
    first = compilation.build(compilation.Selection(), "en").path
    moderator = moderators.create("editor@team.example", "a long enough password 1", role=Role.MODERATOR)
    longer = "\n\n".join(["A corrected paragraph " + "y" * 40] * 60)  # now two pages or more
    letters.edit(db.session.get(Letter, made[0].id), by=moderator, display_name=made[0].display_name, descriptor=None,
                 title=None, body_text=longer, reason="the whole text")
    rendered = []
    real_render = compilation._render
    monkeypatch.setattr(compilation, "_render", lambda template, *a, **k: rendered.append(
        "letters" if "sections" in k else [len(page["rows"]) for page in k["contents"]]) or real_render(template, *a, **k))
    path = compilation.build(compilation.Selection(), "en").path
    assert rendered == ["letters"], "the corrected letter alone: the cover (same count, same day) and the contents are kept"
    reader = PdfReader(path)
    starts = [reader.get_destination_page_number(item) for item in reader.outline][1:]
    before = [PdfReader(first).get_destination_page_number(item) for item in PdfReader(first).outline][1:]
    assert starts[1] - starts[0] > before[1] - before[0], "the corrected letter takes more pages"
    rows = [line.split() for line in layout_text(path, 1).splitlines()[1:] if line.strip()][:-1]
    assert [row[-1] for row in rows] == [printed_number(path, page) for page in starts] == [reader.page_labels[p] for p in starts]
    assert [int(row[-1]) for row in rows][1:] == [page - 1 for page in starts[1:]], "after cover and one page of contents"


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_numbers_of_two_digits_in_the_contents_read_in_order_at_the_lines_end(app, language):
    """Page numbers in the contents are stamped in: at the left of a right-to-left line, at the right
    of a left-to-right one, and in both, 10 reads 10 (as one word for text extraction too)."""
    start = utcnow() - timedelta(days=1)
    made = [make_letter(language="en", display_name=f"Writer {chr(65 + i)}", published_at=start + timedelta(minutes=i))
            for i in range(12)]
    path = compilation.build(compilation.Selection(), language).path
    reader = PdfReader(path)
    starts = [reader.get_destination_page_number(item) for item in reader.outline][1:]
    lines = [line for line in layout_text(path, 1).splitlines()[1:] if line.strip()][:-1]  # heading; the page's "ii"
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
    import pikepdf

    for i in range(3):
        make_letter(language="en", display_name=f"Writer {chr(65 + i)}", published_at=utcnow() - timedelta(minutes=10 - i))
    compilation.build(compilation.Selection(), language)  # keeps the page of contents and the digits
    pages = compilation._contents(compilation.Selection().letters(), language)
    digits = compilation._digits(language)[1]
    with pikepdf.new() as out, pikepdf.open(compilation._contents_paths(language, pages)[0]) as contents:
        out.add_blank_page(page_size=(595.28, 841.89))  # the cover
        out.pages.append(contents.pages[0])
        for _ in range(1234):
            out.add_blank_page(page_size=(595.28, 841.89))
        compilation._number_contents(out, 2, [2, 2 + 99, 2 + 1233], digits, language)
        out.save(tmp_path / "numbers.pdf")
    lines = [line.split() for line in layout_text(tmp_path / "numbers.pdf", 1).splitlines()[1:] if line.strip()][:-1]
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
    import pikepdf

    make_letter(language="en", display_name="—" * 70)
    path = compilation.build(compilation.Selection(), language).path
    with pikepdf.open(path) as pdf:
        rects = {compilation._rect(annotation) for annotation in pdf.pages[1].Annots}
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
    titles = [item.title for item in PdfReader(compilation.build(compilation.Selection(language="ar"), "ar").path).outline][1:]
    assert titles and all(any(l.display_name in t for l in made if l.language == "ar") for t in titles)
    assert len(titles) == sum(1 for l in made if l.language == "ar")


def test_concurrent_requests_build_a_compilation_once(app, make_app, monkeypatch):
    publish_mixed(3)
    renders = []
    real_render = compilation._render
    monkeypatch.setattr(compilation, "_render", lambda template, *a, **k: renders.append(k.get("cover") and "cover") or real_render(template, *a, **k))
    results = []

    def build() -> None:
        with app.app_context():
            results.append(compilation.build(compilation.Selection(), "en").path)
            db.session.remove()

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(set(results)) == 1 and len(results) == 3
    assert renders.count("cover") == 1, renders


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PDF_BUILD_SECONDS": 120}


def test_a_journalist_downloads_a_compilation_built_in_the_background(client, app, monkeypatch):
    made = publish_mixed(3)
    started = []
    real_spawn = compilation._spawn
    monkeypatch.setattr(compilation, "_spawn", lambda key, *a: started.append(key) or real_spawn(key, *a))
    first = client.get("/press/letters.pdf?language=he", headers={"Accept-Language": "en"})
    assert first.status_code == 202 and '<meta http-equiv="refresh"' in first.get_data(as_text=True)
    for _ in range(120):
        response = client.get("/press/letters.pdf?language=he")
        if response.status_code == 200:
            break
        time.sleep(0.5)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(started) == 1, "the requests while it was starting up started no other builder"
    assert "public-refusers-he-" in response.headers["Content-Disposition"]
    titles = [item.title for item in PdfReader(io.BytesIO(response.data)).outline]
    assert titles == ["תוכן העניינים"] + [l.display_name for l in made if l.language == "he"]
    assert client.get("/press/letters.pdf?language=he", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("query", ["since=yesterday", "until=2026-13-01", "since=2026-02-01&until=2026-01-01", "language=xx"])
def test_bad_ranges_are_refused(client, query):
    assert client.get(f"/press/letters.pdf?{query}").status_code == 400


def test_a_range_too_large_for_one_request_is_refused(client, app):
    app.config["PDF_MAX_LETTERS"] = 2
    make_letter(language="he", published_at=utcnow() - timedelta(days=10))
    since = compilation._day(publish_mixed(3)[0].published_at)
    response = client.get(f"/press/letters.pdf?since={since}", headers={"Accept-Language": "en"})
    assert response.status_code == 400 and "shorter range" in response.get_data(as_text=True)


def test_build_pdf_builds_the_standard_compilations(runner, app):
    publish_mixed(3)
    result = runner.invoke(args=["build-pdf"])
    assert result.exit_code == 0, result.output
    assert "all (he): 3 letters" in result.output and "ar (ar): 1 letters" in result.output
    assert compilation.existing(compilation.Selection(), "en") is not None
    assert "prepared 0 parts" in result.output, "no letter waits for a moderator"
    make_letter(LetterStatus.PENDING, language="en")
    result = runner.invoke(args=["build-pdf"])
    # Its pages, and for the four compilations it would join (all, in each language, and English) a
    # cover and a page of contents.
    assert "prepared 9 parts" in result.output, result.output


def test_build_pdf_prunes_what_no_build_used_for_days_and_keeps_what_is_current(runner, app, tmp_path):
    import os

    made = publish_mixed(3)
    before = compilation.build(compilation.Selection(), "he").path
    letters.withdraw(db.session.get(Letter, next(l for l in made if l.language == "en").id))
    cache = tmp_path / "instance" / "pdf"
    week_ago = time.time() - 8 * 86400
    for path in cache.rglob("*.*"):
        os.utime(path, (week_ago, week_ago))  # everything built so far: last used more than a week ago
    result = runner.invoke(args=["build-pdf"])
    assert result.exit_code == 0, result.output
    assert not before.exists(), "the compilation that still held the withdrawn letter is gone"
    current = compilation.existing(compilation.Selection(), "he")
    assert current is not None and current.path.exists()
    assert "all (he): 2 letters" in result.output and re.search(r"removed [1-9]\d* cached PDF files", result.output)
    reader = PdfReader(current.path)
    assert [item.title.split(" · ")[0] for item in reader.outline][1:] == [made[0].display_name, made[1].display_name]


def test_workers_get_runs_of_letters_about_as_long_to_lay_out(app):
    """Runs are consecutive, in order, at most RUN_LETTERS letters, and as long as each other: a run
    with a long letter takes fewer others, so that both workers finish together."""
    from refusal_site.compilation import PrintedLetter

    def letters_of(lengths):
        return [PrintedLetter(public_id=str(i), display_name="x", descriptor=None, title=None, language="en", body_html="x" * n,
                              published_at=utcnow(), collective=False, signers=(), fingerprint=str(i)) for i, n in enumerate(lengths)]

    def sizes(runs):
        return [sum(compilation._layout_weight(letter) for letter in run) for run in runs]  # text, and a page's worth each

    even = letters_of([2000] * 100)
    runs = compilation._runs(even, 2)
    assert [letter for run in runs for letter in run] == even
    assert [len(run) for run in runs] == [25, 25, 25, 25], "two even runs for each of two processes, each at most 32 letters"
    uneven = letters_of([500] * 4 + [8000] + [500] * 13)
    runs = compilation._runs(uneven, 2)
    assert [letter for run in runs for letter in run] == uneven and len(runs) == 4
    assert uneven[4] in min(runs, key=len), "the long letter's run has the fewest letters"
    assert max(sizes(runs)) < 1.35 * sum(sizes(runs)) / len(runs), "runs of 5, 5, 5 and 3 letters: the longest 1.6 times the mean"


def test_letters_rendered_by_worker_processes_make_the_same_compilation(app, monkeypatch, tmp_path, caplog):
    made = publish_mixed(6)
    monkeypatch.setattr(compilation, "RUN_LETTERS", 2)
    monkeypatch.setattr(compilation, "PARALLEL_FROM", 2)
    app.config["PDF_BUILD_WORKERS"] = 2  # this process and one fork
    pages = tmp_path / "instance" / "pdf" / "pages"
    here = []
    real = compilation.letters_document
    monkeypatch.setattr(compilation, "letters_document", lambda run, *a: here.append(run) or real(run, *a))
    real_front = compilation._front
    # The cover here waits until the fork has rendered a run, so that both take some.
    monkeypatch.setattr(compilation, "_front", lambda *a: _wait_for(lambda: any(pages.glob("*.pdf")) or None, 60) and real_front(*a))
    parallel = compilation.build(compilation.Selection(), "en")
    assert len(list(pages.glob("*.pdf"))) == 4, "two runs of letters a process, of two letters at most"
    assert len(here) < 4, "the fork rendered runs (this process takes what is left after the cover)"
    assert "workers failed" not in caplog.text
    reader = PdfReader(parallel.path)
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline][1:]
    assert [title.split(" · ")[0] for title, _ in outline] == [l.display_name for l in made]
    for letter, (_, page) in zip(made, outline, strict=True):
        assert names(reader.pages[page].extract_text(), letter.display_name)


def test_one_more_approval_renders_one_letter_the_cover_and_the_last_page_of_contents(app, monkeypatch):
    monkeypatch.setattr(compilation, "CONTENTS_ROWS", 3)
    app.config["PDF_BUILD_WORKERS"] = 1  # every render in this process, where the spy sees it
    made = publish_mixed(7)
    compilation.build(compilation.Selection(), "en")
    newest = make_letter(language="ar", display_name="سامي حلبي")
    rendered = []
    real_render = compilation._render
    shown = lambda k: [len(k["sections"])] if "sections" in k else [len(page["rows"]) for page in k["contents"]]  # noqa: E731
    monkeypatch.setattr(compilation, "_render", lambda template, *a, **k: rendered.append((template, shown(k))) or real_render(template, *a, **k))
    again = compilation.build(compilation.Selection(), "en")
    # One document for the cover and the last page of contents (two entries of three), one for the letter.
    assert sorted(rendered) == [("press/front_pdf.html", [2]), ("press/letters_pdf.html", [1])]
    reader = PdfReader(again.path)
    titles = [item.title for item in reader.outline][1:]
    assert titles[-1] == newest.display_name and len(titles) == len(made) + 1
    assert "8 public refusers" in plain(reader.pages[0].extract_text())
    # The page rendered with the cover says its own number; those kept from before say theirs.
    assert [printed_number(again.path, page) for page in (1, 2, 3)] == ["ii", "iii", "iv"]
    assert names(layout_text(again.path, 3), newest.display_name)


_REAL_RENDER, _REAL_POOL = compilation._render, compilation._pool


def _renders(monkeypatch) -> list[str]:
    """Every WeasyPrint layout from now on, by template; and loading the PDF fonts fails the test."""
    rendered = []
    monkeypatch.setattr(compilation, "_render", lambda template, *a, **k: rendered.append(template) or _REAL_RENDER(template, *a, **k))
    monkeypatch.setattr(compilation, "_pool", lambda: pytest.fail("the fonts were loaded: something was rendered"))
    return rendered


def _same_as_built_from_nothing(path, selection, language, monkeypatch, tmp_path) -> None:
    """The compilation at `path` reads, page by page, as the same one built with an empty cache."""
    with monkeypatch.context() as fresh:
        fresh.setattr(compilation, "cache_folder", lambda: tmp_path / "fresh")
        fresh.setattr(compilation, "_render", _REAL_RENDER)
        fresh.setattr(compilation, "_pool", _REAL_POOL)
        again = compilation.build(selection, language).path
    pages = len(PdfReader(again).pages)
    assert len(PdfReader(path).pages) == pages
    assert [layout_text(path, n) for n in range(pages)] == [layout_text(again, n) for n in range(pages)]


@pytest.fixture
def one_moment(monkeypatch):
    """Now, for the builds (and the approvals that pass it on): the same day all through the test."""
    moment = utcnow()
    monkeypatch.setattr(compilation, "utcnow", lambda: moment)
    return moment


def test_a_letter_prepared_while_it_waits_for_a_moderator_is_published_by_assembly_alone(app, monkeypatch, tmp_path, one_moment):
    monkeypatch.setattr(compilation, "CONTENTS_ROWS", 3)
    app.config["PDF_BUILD_WORKERS"] = 1
    made = publish_mixed(5)
    compilation.build_standard()
    waiting = make_letter(LetterStatus.PENDING, language="ar", display_name="نادية فارس", contact_email="nadia@private.example")
    # Its pages; a cover and the last page of contents for all letters in each language, and for Arabic.
    assert compilation.prepare() == 9
    assert compilation.prepare() == 0, "kept: nothing twice"
    # Nothing of it is public until a moderator approves it: compilations built again from the kept
    # parts, its own among them, hold the published letters only.
    shutil.rmtree(compilation.cache_folder() / "compilations")
    for _selection, _language, built in compilation.build_standard():
        assert "فارس" not in pdf_text(built.path)
    assert _bookmarked(compilation.existing(compilation.Selection(), "en").path) == [letter.display_name for letter in made]
    letters.publish(db.session.get(Letter, waiting.id), by="test", at=one_moment)
    rendered = _renders(monkeypatch)
    built = {(s.name, language): compilation.build(s, language) for s, language in compilation.standard_jobs()}
    assert rendered == [], "every part was kept: the builds only assembled them"
    english = built[("all", "en")].path
    assert _bookmarked(english)[-1] == waiting.display_name and built[("ar", "ar")].letters == 3
    _same_as_built_from_nothing(english, compilation.Selection(), "en", monkeypatch, tmp_path)
    # No contact address in any file of the cache, the parts rendered ahead included.
    assert not [path for path in compilation.cache_folder().rglob("*.pdf") if "@private.example" in pdf_text(path)]


def test_a_correction_while_a_letter_waits_is_prepared_again_and_a_rejected_one_never_shows(app, monkeypatch, one_moment):
    app.config["PDF_BUILD_WORKERS"] = 1
    publish_mixed(2)
    compilation.build_standard()
    from refusal_site import moderators

    moderator = moderators.create("m@team.example", "a long enough password")
    first = make_letter(LetterStatus.PENDING, language="en", display_name="Ruth Amir")
    second = make_letter(LetterStatus.PENDING, language="he")
    # The two letters; all letters in three languages: a cover (either approval makes the same one) and
    # a page of contents each; Hebrew and English: a cover and a page.
    assert compilation.prepare() == 2 + 3 * (1 + 2) + 2 * 2
    letters.edit(db.session.get(Letter, first.id), by=moderator, display_name="Ruth Amir", descriptor=None, title="Why",
                 body_text="A corrected text.", reason="typo")
    assert compilation.prepare() == 1 + 4, "the corrected letter and its entry in four compilations; the covers are kept"
    letters.reject(db.session.get(Letter, second.id), by="test", reason="not verifiable")
    letters.publish(db.session.get(Letter, first.id), by="test", at=one_moment)
    rendered = _renders(monkeypatch)
    built = compilation.build(compilation.Selection(), "he")
    assert rendered == []
    assert _bookmarked(built.path) == [*_bookmarked(built.path)[:2], "Ruth Amir"] and len(_bookmarked(built.path)) == 3


def test_the_letters_of_an_embargo_are_prepared_together_and_released_by_assembly_alone(app, monkeypatch, tmp_path):
    from refusal_site import moderators

    app.config["PDF_BUILD_WORKERS"] = 1
    publish_mixed(2)
    compilation.build_standard()
    moderator = moderators.create("m@team.example", "a long enough password")
    release = utcnow() + timedelta(hours=30)
    coordinated = [make_letter(LetterStatus.PENDING, language=code) for code in ("he", "ar", "en", "he")]
    for letter in coordinated:
        letters.schedule(letter, by=moderator, at=release)
    later = make_letter(LetterStatus.PENDING, language="en")
    letters.schedule(later, by=moderator, at=release + timedelta(hours=1))  # a later embargo: not this one
    # The four letters; for each of the six compilations a cover and the page of contents they end.
    assert compilation.prepare() == 4 + 6 + 6
    assert letters.release_due(now=release) == 4
    # The service builds as the embargo ends (a day later here: the covers say the day it ends).
    monkeypatch.setattr(compilation, "utcnow", lambda: release + timedelta(seconds=2))
    rendered = _renders(monkeypatch)
    built = {(s.name, language): compilation.build(s, language) for s, language in compilation.standard_jobs()}
    assert rendered == []
    hebrew = built[("he", "he")].path
    assert _bookmarked(hebrew)[-2:] == [coordinated[0].display_name, coordinated[3].display_name]
    assert later.display_name not in _bookmarked(built[("all", "en")].path)
    _same_as_built_from_nothing(hebrew, compilation.Selection(language="he"), "he", monkeypatch, tmp_path)


def test_a_collective_letter_prints_its_text_once_then_its_signers_and_they_count_as_refusers(app):
    from tests.factories import make_collective, make_signature

    make_letter(language="en", display_name="Dan Stein")
    collective = make_collective(language="en", display_name="Yael Bar", title="The pilots' letter", body_text="We will not fly.")
    signers = [make_signature(collective, name=f"Signer {i:02d}").display_name for i in range(12)]
    make_signature(collective, "pending", name="Not yet published")
    path = compilation.build(compilation.Selection(), "en").path
    text = plain(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout)
    assert text.count("We will not fly.") == 1
    assert all(name in text for name in signers) and "Not yet published" not in text
    assert "Signed by 12 more people" in text
    assert "14 public refusers" in text and "2 letters" in text


def test_a_served_compilation_never_outlives_a_withdrawal(client, app):
    made = publish_mixed(3)
    compilation.build(compilation.Selection(language="en"), "en")
    assert client.get("/press/letters.pdf?language=en").status_code == 200
    assert client.get("/press/letters.pdf?language=en").status_code == 200  # served from what is known
    letters.withdraw(db.session.get(Letter, next(l for l in made if l.language == "en").id))
    assert client.get("/press/letters.pdf?language=en").status_code == 202, "a new compilation is needed"


def test_a_download_after_an_embargo_ends_holds_the_released_letter(client, app):
    from refusal_site import moderators
    from refusal_site.models import LetterStatus

    made = publish_mixed(2)
    compilation.build(compilation.Selection(language="he"), "he")
    assert client.get("/press/letters.pdf?language=he").status_code == 200
    embargoed = make_letter(LetterStatus.PENDING, language="he")
    moment = utcnow() - timedelta(seconds=1)  # the embargo's time has just come (the domain refuses past times)
    letters.schedule(embargoed, by=moderators.create("m@team.example", "a long enough password"), at=moment, now=moment - timedelta(minutes=1))
    # The download's revision read sees a pending embargo and lets public_state() release it.
    assert client.get("/press/letters.pdf?language=he").status_code == 202, "a new compilation is needed"
    db.session.rollback()
    assert db.session.get(Letter, embargoed.id).status == LetterStatus.PUBLISHED
    built = compilation.build(compilation.Selection(language="he"), "he")
    assert built.letters == sum(1 for l in made if l.language == "he") + 1
    assert client.get("/press/letters.pdf?language=he").status_code == 200


def test_the_bound_is_for_date_ranges_not_for_the_standard_compilations(client, app):
    app.config["PDF_MAX_LETTERS"] = 2
    publish_mixed(3)
    assert client.get("/press/letters.pdf").status_code == 202, "all letters: built in the background"


def test_an_unwritable_pdf_cache_is_a_clear_error_and_pages_keep_working(client, app, tmp_path):
    publish_mixed(1)
    cache = tmp_path / "instance" / "pdf"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not a folder")  # nothing can be created under it, even as root
    response = client.get("/press/letters.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 503 and "unavailable for a moment" in response.get_data(as_text=True)
    assert client.get("/press").status_code == 200 and client.get("/letters").status_code == 200


def test_a_build_that_fails_is_reported_instead_of_promised_forever(client, app, tmp_path):
    publish_mixed(1)
    pages = tmp_path / "instance" / "pdf" / "pages"
    pages.parent.mkdir(parents=True, exist_ok=True)
    pages.write_text("not a folder")  # the builder cannot keep any letter's pages
    assert client.get("/press/letters.pdf").status_code == 202
    for _ in range(120):
        response = client.get("/press/letters.pdf", headers={"Accept-Language": "en"})
        if response.status_code != 202:
            break
        time.sleep(0.5)
    assert response.status_code == 503
    pages.unlink()
    app.config["PDF_RETRY_AFTER_FAILURE"] = 0  # the wait is over: the next request tries again
    assert client.get("/press/letters.pdf").status_code == 202


@pytest.mark.parametrize("language", ["he", "en"])
def test_a_long_title_is_cut_short_in_the_contents_and_its_name_and_page_still_show(app, language):
    made = [make_letter(language="he", display_name="נועה כהן", title=("כותרת ארוכה מאוד " * 10).strip()),
            make_letter(language="en", display_name="Dan Stein", title=("A very long title " * 10).strip())]
    built = compilation.build(compilation.Selection(), language)
    rows = [line.split() for line in layout_text(built.path, 1).splitlines()[1:] if line.strip()][:-1]
    assert len(rows) == 2, "one line an entry"
    for letter, row, number in zip(made, rows, ("1", "2")):
        assert any("…" in word for word in row), row
        words = [word.strip("…") for word in row]  # extractors put the ellipsis at either end of a run
        assert all(word in words for word in letter.display_name.split()) and number in (words[0], words[-1]), row


def test_an_entry_of_wide_capitals_is_cut_to_one_line_with_its_signers_and_page(app):
    from tests.factories import make_collective, make_signature

    letter = make_collective(language="en", display_name="W" * 60, title="M" * 150)
    make_signature(letter, name="Dana Katz")
    built = compilation.build(compilation.Selection(), "he")
    rows = [line.split() for line in layout_text(built.path, 1).splitlines()[1:] if line.strip()][:-1]
    assert len(rows) == 1 and "1" in (rows[0][0], rows[0][-1]), rows
    assert any(word.startswith("WWWW") for word in rows[0]) and "…" in " ".join(rows[0]) and "אדם" in " ".join(rows[0]), rows


def test_no_more_background_builds_than_allowed_run_at_once(client, app, tmp_path, monkeypatch):
    import fcntl

    publish_mixed(2)
    app.config["PDF_MAX_BUILDS"] = 1
    started = []
    monkeypatch.setattr(compilation, "_spawn", lambda key, *a: started.append(key))
    slot = tmp_path / "instance" / "pdf" / "locks" / "builder-0.slot"
    slot.parent.mkdir(parents=True, exist_ok=True)
    with open(slot, "w") as busy:
        fcntl.flock(busy, fcntl.LOCK_EX)  # a build of some other date range holds the only slot
        response = client.get("/press/letters.pdf?since=2000-01-01", headers={"Accept-Language": "en"})
        assert response.status_code == 503 and response.headers["Retry-After"] == "60"
        assert "Many PDFs are being prepared right now" in response.get_data(as_text=True) and started == []
    assert client.get("/press/letters.pdf?since=2000-01-01").status_code == 202 and len(started) == 1


def test_a_withdrawn_signature_leaves_the_next_compilation_and_the_letters_pdf(client, app):
    from refusal_site import signatures
    from tests.factories import make_collective, make_signature

    letter = make_collective(language="en", display_name="Yael Bar", body_text="We will not fly.")
    staying, leaving = make_signature(letter, name="Avi Cohen"), make_signature(letter, name="Dana Katz")
    first = compilation.build(compilation.Selection(), "en")
    first_etag = client.get(f"/letters/{letter.public_id}.pdf").headers["ETag"]
    assert "Dana Katz" in layout_text(first.path, 2) and "3 public refusers" in layout_text(first.path, 0)
    signatures.withdraw(leaving)
    second = compilation.build(compilation.Selection(), "en")
    assert second.fingerprint != first.fingerprint
    text = layout_text(second.path, 2)
    assert "Avi Cohen" in text and "Dana Katz" not in text and "2 public refusers" in layout_text(second.path, 0)
    again = client.get(f"/letters/{letter.public_id}.pdf")
    assert again.headers["ETag"] != first_etag and b"Dana Katz" not in again.data
    assert "Dana Katz" not in PdfReader(io.BytesIO(again.data)).pages[0].extract_text()
    assert staying.display_name in PdfReader(io.BytesIO(again.data)).pages[0].extract_text()


def test_after_an_approval_the_contents_rendered_beside_the_new_letter_give_its_page(app):
    app.config["PDF_BUILD_WORKERS"] = 2  # the new letter and the last page of contents in worker processes
    made = publish_mixed(3)  # the third letter runs over a page
    compilation.build(compilation.Selection(), "en")
    newest = make_letter(language="en", display_name="Dan Stein")
    path = compilation.build(compilation.Selection(), "en").path
    reader = PdfReader(path)
    start = [reader.get_destination_page_number(item) for item in reader.outline][-1]
    assert names(layout_text(path, start), newest.display_name)
    row = [line.split() for line in layout_text(path, 1).splitlines() if line.strip()][-2]  # the last entry, then "ii"
    assert row[:2] == ["Dan", "Stein"], row
    assert row[-1] == printed_number(path, start) == reader.page_labels[start], (row, start)
    assert int(row[-1]) > len(made) + 1, "after the long letter's pages"


def _bookmarked(path) -> list[str]:
    """The letters a compilation holds, by their bookmarks (the first is the contents)."""
    return [item.title.split(" · ")[0] for item in PdfReader(path).outline][1:]


def _wait_for(found, seconds: float = 120):
    """Poll `found()` until it returns something, at most `seconds` (CI's machine may be busy)."""
    deadline = time.monotonic() + seconds
    while (result := found()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return result


def _service_thread(app, stop: threading.Event, rounds: list) -> threading.Thread:
    """`build-pdf --watch`'s loop, started in a thread of this process, until `stop` is set."""

    def service() -> None:
        with app.app_context():
            compilation.keep_built(stop, report=rounds.append)

    thread = threading.Thread(target=service)
    thread.start()
    return thread


def test_the_builder_service_builds_again_after_each_public_change(app):
    """`build-pdf --watch`'s loop: a publication and a withdrawal each reach every standard compilation
    without any download asking for it, and the service stops when told."""
    app.config.update(PDF_WATCH_SECONDS=0.05)
    made = publish_mixed(2)
    first, second, first_id = made[0].display_name, made[1].display_name, made[0].id
    db.session.remove()
    stop, rounds = threading.Event(), []

    def current(language: str, holding: list[str]):
        built = compilation.existing(compilation.Selection(), language)
        return built if built is not None and _bookmarked(built.path) == holding else None

    thread = _service_thread(app, stop, rounds)
    try:
        assert _wait_for(lambda: current("ar", [first, second]))
        assert compilation.is_building(compilation.job_key(compilation.Selection(), "ar")), "the service says it keeps it"
        newest = make_letter(language="en", published_at=utcnow()).display_name
        db.session.remove()
        assert _wait_for(lambda: current("he", [first, second, newest]))
        letters.withdraw(db.session.get(Letter, first_id))
        db.session.remove()
        assert _wait_for(lambda: current("en", [second, newest]))
        english = compilation.existing(compilation.Selection(language="en"), "en")
        assert english is not None and _bookmarked(english.path) == [newest]
    finally:
        stop.set()
        thread.join(timeout=120)
    assert not thread.is_alive(), "stopped when asked"
    assert len(rounds) >= 3 and all(len(built) == 6 for built in rounds), "every round builds all six standard compilations"
    assert not compilation.is_building(compilation.job_key(compilation.Selection(), "ar")), "stopped: downloads build again"


def test_the_builder_service_survives_a_failed_round(app, monkeypatch, caplog):
    """A round that fails is logged and tried again later; the service does not die of it."""
    app.config.update(PDF_WATCH_SECONDS=0.05, PDF_RETRY_AFTER_FAILURE=0.1)
    publish_mixed(1)
    db.session.remove()
    calls, real = [], compilation.build

    def fails_once(selection, language):
        calls.append(1)
        if len(calls) == 1:
            raise MemoryError("out of memory in a render")
        return real(selection, language)

    monkeypatch.setattr(compilation, "build", fails_once)
    stop, rounds = threading.Event(), []

    thread = _service_thread(app, stop, rounds)
    try:
        assert _wait_for(lambda: rounds or None)
    finally:
        stop.set()
        thread.join(timeout=60)
    assert len(calls) >= 7 and "this round failed" in caplog.text and len(rounds[0]) == 6
    # Downloads were told for a while that the compilation it failed on is not coming.
    assert compilation.failed_recently(compilation.job_key(compilation.Selection(), "he"), within=60)
    assert compilation.existing(compilation.Selection(), "he") is not None


def test_the_builder_service_prepares_a_waiting_letter_and_a_failure_to_does_not_hold_up_builds(app, monkeypatch, caplog, one_moment):
    """Between rounds, the service renders ahead what approving the letters in the queue adds; if that
    fails, the failure is logged and the next publication is built at once all the same."""
    app.config.update(PDF_WATCH_SECONDS=0.05, PDF_RETRY_AFTER_FAILURE=600, PDF_BUILD_WORKERS=1)
    caplog.set_level("INFO", logger="refusal_site.compilation")
    publish_mixed(2)
    waiting_id = make_letter(LetterStatus.PENDING, language="he", display_name="מאיה לוי").id
    db.session.remove()
    stop, rounds = threading.Event(), []
    failing = threading.Event()
    real_prepare = compilation.prepare
    monkeypatch.setattr(compilation, "prepare", lambda between: (_ for _ in ()).throw(OSError("disk full")) if failing.is_set() else real_prepare(between))

    thread = _service_thread(app, stop, rounds)
    try:
        assert _wait_for(lambda: "prepared 9 parts" in caplog.text or None, 60), "its pages; a cover and a page of contents for four compilations"
        failing.set()
        make_letter(LetterStatus.PENDING, language="en")  # the queue changes: the service prepares again, and fails
        db.session.remove()
        assert _wait_for(lambda: "preparing the next publications failed" in caplog.text or None)
        stop.set()
        thread.join(timeout=120)
        letters.publish(db.session.get(Letter, waiting_id), by="test", at=one_moment)
        db.session.remove()
        rendered = _renders(monkeypatch)
        assert compilation.build(compilation.Selection(), "ar").letters == 3 and rendered == [], "prepared before it failed"
        monkeypatch.setattr(compilation, "_render", _REAL_RENDER)
        monkeypatch.setattr(compilation, "_pool", _REAL_POOL)
        stop.clear()
        thread = _service_thread(app, stop, rounds)
        assert _wait_for(lambda: caplog.text.count("preparing the next publications failed") == 2 or None, 60)
        make_letter(language="en", display_name="Lior Ben")
        db.session.remove()
        # A failure to prepare does not make the service wait PDF_RETRY_AFTER_FAILURE before building.
        assert _wait_for(lambda: (built := compilation.existing(compilation.Selection(), "he")) and "Lior Ben" in _bookmarked(built.path) or None, 60)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert "this round failed" not in caplog.text


def test_the_builder_service_runs_as_a_process_and_stops_on_sigterm(app, app_config):
    """`flask build-pdf --watch` as production runs it, on the same database and instance folder."""
    import os
    import signal
    import sys
    from pathlib import Path

    first = publish_mixed(1)[0].display_name
    db.session.remove()
    env = {
        **os.environ,
        "REFUSAL_DATABASE_URL": app_config["DATABASE_URL"],
        "REFUSAL_SECRET_KEY": app_config["SECRET_KEY"],
        "REFUSAL_INSTANCE_PATH": app.instance_path,
        "REFUSAL_PDF_WATCH_SECONDS": "0.1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "refusal_site", "build-pdf", "--watch"],
        cwd=Path(__file__).resolve().parent.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        built = _wait_for(lambda: compilation.existing(compilation.Selection(), "he"))
        assert built is not None and _bookmarked(built.path) == [first]
        newest = make_letter(language="he", published_at=utcnow()).display_name
        db.session.remove()
        built = _wait_for(lambda: compilation.existing(compilation.Selection(), "he"))
        assert built is not None and _bookmarked(built.path) == [first, newest]
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=120)
    assert process.returncode == 0, output
    assert "all (he): 1 letters" in output and "all (he): 2 letters" in output
    assert "private0@mail.example" not in output


def test_warming_up_renders_in_every_script_and_keeps_nothing(app, monkeypatch):
    """The builder service's warm-up lays out a letter, cover and contents in each language, and
    leaves no file behind; it needs no letter published yet."""
    made = []
    real = compilation._render
    monkeypatch.setattr(compilation, "_render", lambda template, language, *a, **k: made.append((template, language)) or real(template, language, *a, **k))
    compilation.warm_up()
    assert made == [("press/letters_pdf.html", "he"), *(("press/front_pdf.html", code) for code in app.config["LANGUAGES"])]
    assert not compilation.cache_folder().exists() or not any(p.is_file() for p in compilation.cache_folder().rglob("*"))


@pytest.mark.parametrize("sigterm", ["default", "the service's"])
def test_workers_stop_when_the_build_that_started_them_fails(app, sigterm):
    """A build out of time (or memory) stops its render workers: none goes on rendering for nobody,
    also in the builder service, whose SIGTERM handler only asks its loop to stop."""
    import multiprocessing
    import signal

    def out_of_time():
        time.sleep(0.5)  # the fork has taken a task
        raise TimeoutError("the PDF build ran out of time")

    previous = signal.signal(signal.SIGTERM, lambda *_: None) if sigterm != "default" else None
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            compilation._on_every_core([lambda: time.sleep(60)] * 3, meanwhile=out_of_time, workers=2)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    assert time.monotonic() - started < 30 and multiprocessing.active_children() == []


def test_front_matter_whose_part_runs_over_its_page_is_refused_not_filed_under_another(app):
    """Pages of contents are kept by their place in the document: a page that ran over would file the
    next page under another part's key (another letter's entry, when prepared). It is an error."""
    rows = [{"index": i, "text": f"Entry {i}", "note": "", "language": "en", "direction": "ltr"} for i in range(90)]
    with pytest.raises(ValueError, match="ran over"):
        compilation._render_front("en", compilation._pool_fonts(), None, [(0, rows[:3]), (1, rows)], digits=False)
    assert not any(compilation.cache_folder().glob("contents/*.pdf")), "nothing kept"


def test_while_the_builder_service_runs_downloads_of_its_compilations_start_no_build(client, app, monkeypatch):
    """The service will build a standard compilation in its next round: a download waits for it
    (202) instead of starting a second build in a new process. A date range is not the service's."""
    import os

    publish_mixed(2)
    latest = make_letter(language="en", published_at=utcnow())
    today = compilation._day(latest.published_at)
    started = []
    monkeypatch.setattr(compilation, "_spawn", lambda key, *a: started.append(key))
    with compilation._service_presence():
        compilation._service_heartbeat()
        assert client.get("/press/letters.pdf?language=he").status_code == 202
        assert client.get("/press/letters.pdf", headers={"Accept-Language": "ar"}).status_code == 202
        assert client.get("/press/letters.pdf?since=2000-01-01").status_code == 202, "all letters: the service's"
        assert started == []
        assert client.get(f"/press/letters.pdf?since={today}").status_code == 202
        assert started == [f"all-{today}_now-he"]
        with pytest.raises(compilation.ServiceRunning):  # one service an instance folder
            with compilation._service_presence():
                pass
        # A service silent for a minute is stuck: downloads build again.
        stale = time.time() - compilation.HEARTBEAT_SECONDS - 1
        os.utime(compilation._service_path(), (stale, stale))
        assert client.get("/press/letters.pdf?language=en").status_code == 202
        assert started == [f"all-{today}_now-he", "en-en"]
        compilation._service_heartbeat()
        assert client.get("/press/letters.pdf?language=ar").status_code == 202 and len(started) == 2
    # A heartbeat without the service holding its lock (it stopped) promises nothing.
    compilation._service_heartbeat()
    assert client.get("/press/letters.pdf?language=ar").status_code == 202
    assert started == [f"all-{today}_now-he", "en-en", "ar-ar"]


def test_a_builder_service_killed_outright_is_gone_at_once_and_a_second_one_refuses_to_start(client, app, app_config, monkeypatch):
    """The out-of-memory killer leaves no time to clean up: the service's lock goes with its process,
    so downloads start their own builds at once instead of waiting for a round that never comes."""
    import os
    import signal
    import sys
    from pathlib import Path

    publish_mixed(1)
    db.session.remove()
    env = {**os.environ, "REFUSAL_DATABASE_URL": app_config["DATABASE_URL"], "REFUSAL_SECRET_KEY": app_config["SECRET_KEY"],
           "REFUSAL_INSTANCE_PATH": app.instance_path}  # fmt: skip
    command = [sys.executable, "-m", "flask", "--app", "refusal_site", "build-pdf", "--watch"]
    root = Path(__file__).resolve().parent.parent
    service = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: compilation._service_alive() or None)
        second = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)
        assert second.returncode != 0 and "another builder service keeps the compilations" in second.stderr, second.stderr
        assert service.poll() is None and compilation._service_alive()
    finally:
        service.send_signal(signal.SIGKILL)
        service.wait(timeout=60)
    assert compilation._service_path().exists(), "killed outright, it cleaned nothing up"
    assert not compilation._service_alive()
    started = []
    monkeypatch.setattr(compilation, "_spawn", lambda key, *a: started.append(key))
    monkeypatch.setattr(compilation, "existing", lambda *a, **k: None)  # whatever the service built before it died
    assert client.get("/press/letters.pdf?language=en").status_code == 202 and started == ["en-en"]
