"""Each letter's PDF, read back the way a journalist's tools would: text, fonts, no private data."""

import logging
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from pypdf import PdfReader

from refusal_site import letters
from refusal_site.compilation import assembly, rendering, selection
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus
from tests.factories import make_letter

pytestmark = [pytest.mark.pdf, pytest.mark.slow]


def pdf_text(path_or_bytes, tmp_path) -> str:
    path = tmp_path / "read.pdf"
    if isinstance(path_or_bytes, bytes):
        path.write_bytes(path_or_bytes)
    else:
        path = path_or_bytes
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # pdftotext wraps right-to-left runs in its own embedding marks; they are not in the PDF.
    return text.translate(dict.fromkeys(range(0x202A, 0x202F)))


def fonts_of(path) -> list[str]:
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return lines


def test_a_hebrew_letter_reads_back_in_logical_order_with_embedded_fonts(client, tmp_path):
    letter = make_letter(language="he", display_name="נועה כהן", title="לא בשמי", body_text="אני מסרבת לשרת.",
                         contact_email="noa.private@mail.example")
    response = client.get(f"/letters/{letter.public_id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f"letter-{letter.published_at:%Y-%m-%d}-{letter.public_id}.pdf" in response.headers["Content-Disposition"]
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.data)
    text = pdf_text(path, tmp_path)
    assert "נועה כהן" in text and "לא בשמי" in text and "אני מסרבת לשרת." in text
    fonts = fonts_of(path)
    assert fonts and all(" yes " in line.split("Identity-H", 1)[-1] for line in fonts), fonts
    check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
    assert check.returncode == 0 and "No syntax or stream encoding errors" in check.stdout, check.stdout + check.stderr
    reader = PdfReader(path)
    assert reader.metadata.title == "לא בשמי" and reader.trailer["/Root"]["/Lang"] == "he"
    assert b"noa.private" not in response.data and "noa.private" not in text


def test_arabic_text_copies_back_exactly(client, tmp_path):
    letter = make_letter(language="ar", display_name="سامي حلبي", title="لن ألتحق", body_text="أرفض الخدمة.")
    reader = PdfReader(__import__("io").BytesIO(client.get(f"/letters/{letter.public_id}.pdf").data))
    text = reader.pages[0].extract_text()
    # A font that builds letters from shared dotless bases makes ت copy as ق; this one must not.
    assert "لن ألتحق" in text and "أرفض الخدمة" in text and "سامي حلبي" in text


@pytest.mark.parametrize("status", [LetterStatus.PENDING, LetterStatus.WITHDRAWN, LetterStatus.UNPUBLISHED])
def test_only_published_letters_have_a_pdf(client, status):
    letter = make_letter(status)
    assert client.get(f"/letters/{letter.public_id}.pdf").status_code == 404
    assert client.get("/letters/AAAAAAAAAAAAAAAA.pdf").status_code == 404


def test_a_pdf_is_rendered_once_served_with_an_etag_and_follows_corrections(client, app, login_as):
    letter = make_letter(language="en", display_name="Dan Stein", body_text="I refuse.")
    first = client.get(f"/letters/{letter.public_id}.pdf")
    etag = first.headers["ETag"]
    assert client.get(f"/letters/{letter.public_id}.pdf", headers={"If-None-Match": etag}).status_code == 304
    moderator = login_as(app.test_client(), role="admin")  # only an admin changes a published name
    letters.edit(db.session.get(Letter, letter.id), by=moderator, display_name="Daniel Stein", descriptor=None, title=None,
                 body_text="I refuse.", reason="full name")
    again = client.get(f"/letters/{letter.public_id}.pdf", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert b"Daniel" in again.data or "Daniel Stein" in PdfReader(__import__("io").BytesIO(again.data)).pages[0].extract_text()
    letters.withdraw(db.session.get(Letter, letter.id))
    assert client.get(f"/letters/{letter.public_id}.pdf").status_code == 404


class Canary(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        Canary.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("made_by", ["letter", "compilation"])
def test_the_renderer_fetches_nothing_but_our_own_fonts_and_stylesheet(app, tmp_path, caplog, made_by):
    server = HTTPServer(("127.0.0.1", 0), Canary)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    canary_url = f"http://127.0.0.1:{server.server_port}"
    secret = tmp_path / "canary.txt"
    secret.write_text("CANARY-SECRET-7f3a")
    Canary.requests = []
    letter = make_letter(language="en", body_text="text")
    # As if a sanitizer hole let markup through: the fetcher is the last line.
    letter.body_html = (
        f'<p><img src="{canary_url}/img.png"><img src="file://{secret}"></p>'
        f'<link rel="stylesheet" href="{canary_url}/x.css"><style>@import url("file://{secret}"); '
        f'p {{ background: url("{canary_url}/bg.png") }}</style>'
        f'<object data="file://{secret}"></object><a rel="attachment" href="file://{secret}">a</a>'
        f'<img src="https://pdf.refusers.invalid/static/../../config.py">'
    )
    caplog.set_level(logging.WARNING, logger="refusal_site.compilation")
    if made_by == "letter":
        pdf = rendering.render_letter(letter)
        db.session.rollback()
    else:
        db.session.commit()  # stored as if it had got through: the compilation reads it back
        pdf = assembly.build(selection.Selection(), "en").path.read_bytes()
    server.shutdown()
    server.server_close()
    assert Canary.requests == []
    assert b"CANARY-SECRET" not in pdf
    assert "CANARY-SECRET" not in pdf_text(pdf, tmp_path)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert any(canary_url in m for m in refused) and any("file://" in m for m in refused)
    assert PdfReader(__import__("io").BytesIO(pdf)).pages, "the letter still renders"


def test_an_unwritable_pdf_cache_is_a_clear_error_and_the_site_keeps_serving(client, app, tmp_path):
    letter = make_letter(language="en")
    cache = tmp_path / "instance" / "pdf"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not a folder")  # nothing can be created under it, even as root
    response = client.get(f"/letters/{letter.public_id}.pdf", headers={"Accept-Language": "en"})
    assert response.status_code == 503
    assert client.get("/").status_code == 200


def test_a_collective_letter_pdf_lists_its_published_signers_in_order(client, tmp_path):
    from tests.factories import make_collective, make_signature

    letter = make_collective(language="he", display_name="יעל בר", title="מכתב הטייסים", body_text="לא נטוס.")
    signed = [make_signature(letter, name=name) for name in ("אבי כהן", "דנה כץ", "רון לוי")]
    make_signature(letter, "pending", name="עוד לא פורסם")
    path = tmp_path / "collective.pdf"
    path.write_bytes(client.get(f"/letters/{letter.public_id}.pdf").data)
    text = pdf_text(path, tmp_path)
    assert text.count("לא נטוס.") == 1 and "עוד לא פורסם" not in text
    drawn = PdfReader(path).pages[0].extract_text()  # in drawing order: columns from the right
    positions = [drawn.index(s.display_name) for s in signed]
    assert positions == sorted(positions), "in order of signing"
    # "Signed by 3 more people" (extractors place a number inside right-to-left text as they see fit)
    heading = next(line for line in text.splitlines() if "חתמו עליו עוד" in line)
    assert "3" in heading and "אנשים" in heading


def test_a_letter_with_many_signers_is_built_in_the_background_not_in_the_request(client, app):
    import time

    from tests.factories import make_collective, make_signature

    app.config["PDF_INLINE_SIGNERS"] = 1
    app.config["PDF_BUILD_SECONDS"] = 120
    letter = make_collective(language="en", display_name="Yael Bar")
    for name in ("Avi Cohen", "Dana Katz"):
        make_signature(letter, name=name)
    first = client.get(f"/letters/{letter.public_id}.pdf")
    assert first.status_code == 202 and first.headers["Retry-After"] == "5"
    for _ in range(120):
        response = client.get(f"/letters/{letter.public_id}.pdf")
        if response.status_code == 200:
            break
        time.sleep(0.5)
    assert response.status_code == 200 and b"%PDF" in response.data[:8]
    text = PdfReader(__import__("io").BytesIO(response.data)).pages[0].extract_text()
    assert "Avi Cohen" in text and "Dana Katz" in text
