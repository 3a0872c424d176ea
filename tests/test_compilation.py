"""Press compilations, read back: contents that point at the right pages, bookmarks, numbers, freshness."""

import io
import re
import subprocess
import threading
import time
from datetime import timedelta

import pytest
from pypdf import PdfReader

from refusal_site import compilation, letters
from refusal_site.extensions import db
from refusal_site.models import Letter, utcnow
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


def plain(text: str) -> str:
    return text.translate(dict.fromkeys(range(0x202A, 0x202F)))


def names(text: str, name: str) -> bool:
    """The name is on the page (extractors may order a number within right-to-left text visually)."""
    return all(word in plain(text).split() for word in name.split())


def test_contents_bookmarks_and_links_point_where_each_letter_starts(app):
    made = publish_mixed()
    built = compilation.build(compilation.Selection(), "en")
    reader = PdfReader(built.path)
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert [title.split(" · ")[0] for title, _ in outline] == [l.display_name for l in made], "oldest first"
    for index, (letter, (_, page)) in enumerate(zip(made, outline, strict=True)):
        assert names(reader.pages[page].extract_text(), letter.display_name), letter.display_name
        if index > 0:  # before the first letter come the contents, which list every name
            assert not names(reader.pages[page - 1].extract_text(), letter.display_name)
    contents = plain(reader.pages[1].extract_text())
    for letter, (_, page) in zip(made, outline, strict=True):
        assert re.search(rf"\b{page + 1}\b", contents), (letter.display_name, page + 1)
    jumps = [
        reader.get_page_number(a.get_object()["/A"]["/D"][0].get_object())
        for a in reader.pages[1]["/Annots"]
        if a.get_object()["/A"].get("/S") == "/GoTo"
    ]
    # WeasyPrint makes one link per text fragment of an entry: compare the distinct targets, in order.
    distinct = [page for i, page in enumerate(jumps) if i == 0 or page != jumps[i - 1]]
    assert distinct == [page for _, page in outline]
    assert outline[3][1] - outline[2][1] >= 2, "a long letter takes more than one page"


def test_pages_are_numbered_and_the_file_says_what_it_is(app, tmp_path):
    publish_mixed(3)
    reader = PdfReader(compilation.build(compilation.Selection(language=None), "he").path)
    assert plain(reader.pages[len(reader.pages) - 1].extract_text()).strip().endswith(str(len(reader.pages)))
    assert reader.metadata.title and reader.trailer["/Root"]["/Lang"] == "he"
    fonts = subprocess.run(["pdffonts", str(compilation.build(compilation.Selection(), "he").path)],
                           capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in line.split("Identity-H", 1)[-1] for line in fonts), fonts


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
    assert rendered.count("press/part_pdf.html") <= 1, "only the chunk that held the letter is rendered again"


def test_a_language_compilation_holds_only_that_language(app):
    made = publish_mixed()
    titles = [item.title for item in PdfReader(compilation.build(compilation.Selection(language="ar"), "ar").path).outline]
    assert titles and all(any(l.display_name in t for l in made if l.language == "ar") for t in titles)
    assert len(titles) == sum(1 for l in made if l.language == "ar")


def test_concurrent_requests_build_a_compilation_once(app, make_app, monkeypatch):
    publish_mixed(3)
    renders = []
    real_render = compilation._render
    monkeypatch.setattr(compilation, "_render", lambda template, *a, **k: renders.append(template) or real_render(template, *a, **k))
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
    assert renders.count("press/front_pdf.html") <= 2, renders  # one build (a second pass at most)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "PDF_BUILD_SECONDS": 120}


def test_a_journalist_downloads_a_compilation_built_in_the_background(client, app):
    made = publish_mixed(3)
    first = client.get("/press/letters.pdf?language=he", headers={"Accept-Language": "en"})
    assert first.status_code == 202 and '<meta http-equiv="refresh"' in first.get_data(as_text=True)
    for _ in range(120):
        response = client.get("/press/letters.pdf?language=he")
        if response.status_code == 200:
            break
        time.sleep(0.5)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "public-refusers-he-" in response.headers["Content-Disposition"]
    titles = [item.title for item in PdfReader(io.BytesIO(response.data)).outline]
    assert titles == [l.display_name for l in made if l.language == "he"]
    assert client.get("/press/letters.pdf?language=he", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("query", ["since=yesterday", "until=2026-13-01", "since=2026-02-01&until=2026-01-01", "language=xx"])
def test_bad_ranges_are_refused(client, query):
    assert client.get(f"/press/letters.pdf?{query}").status_code == 400


def test_a_range_too_large_for_one_request_is_refused(client, app):
    app.config["PDF_MAX_LETTERS"] = 2
    publish_mixed(3)
    assert client.get("/press/letters.pdf?since=2000-01-01").status_code == 400


def test_build_pdf_builds_the_standard_compilations(runner, app):
    publish_mixed(3)
    result = runner.invoke(args=["build-pdf"])
    assert result.exit_code == 0, result.output
    assert "all (he): 3 letters" in result.output and "ar (ar): 1 letters" in result.output
    assert compilation.existing(compilation.Selection(), "en") is not None


def test_page_numbers_continue_across_overlay_blocks(app):
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    first, second = (PdfReader(str(compilation._numbers_block(block, fonts))) for block in (0, 1))
    shown = lambda reader, i: reader.pages[i].extract_text().strip()  # noqa: E731
    assert [shown(first, 0), shown(first, 1), shown(first, 99)] == ["1", "2", "100"]
    assert [shown(second, 0), shown(second, 99)] == ["101", "200"]


def test_chunks_rendered_by_worker_processes_make_the_same_compilation(app, make_app, monkeypatch, tmp_path):
    made = publish_mixed(6)
    monkeypatch.setattr(compilation, "CHUNK_MAX", 2)  # three chunks of two letters
    monkeypatch.setattr(compilation, "PARALLEL_FROM", 2)
    app.config["PDF_BUILD_WORKERS"] = 2
    here = []
    real_render = compilation._render
    monkeypatch.setattr(compilation, "_render", lambda template, *a, **k: here.append(template) or real_render(template, *a, **k))
    parallel = compilation.build(compilation.Selection(), "en")
    assert len(list((tmp_path / "instance" / "pdf" / "parts").glob("*.pdf"))) == 3
    assert "press/part_pdf.html" not in here, "the chunks were rendered by the worker processes"
    reader = PdfReader(parallel.path)
    outline = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline]
    assert [title.split(" · ")[0] for title, _ in outline] == [l.display_name for l in made]
    for letter, (_, page) in zip(made, outline, strict=True):
        assert names(reader.pages[page].extract_text(), letter.display_name)


def test_a_served_compilation_never_outlives_a_withdrawal(client, app):
    made = publish_mixed(3)
    compilation.build(compilation.Selection(language="en"), "en")
    assert client.get("/press/letters.pdf?language=en").status_code == 200
    assert client.get("/press/letters.pdf?language=en").status_code == 200  # served from what is known
    letters.withdraw(db.session.get(Letter, next(l for l in made if l.language == "en").id))
    assert client.get("/press/letters.pdf?language=en").status_code == 202, "a new compilation is needed"


def test_the_bound_is_for_date_ranges_not_for_the_standard_compilations(client, app):
    app.config["PDF_MAX_LETTERS"] = 2
    publish_mixed(3)
    assert client.get("/press/letters.pdf").status_code == 202, "all letters: built in the background"
