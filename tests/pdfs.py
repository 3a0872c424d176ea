"""Reading press PDFs back as a journalist would (pypdf, pdftotext), and the letters they are made of."""

import subprocess
import time
from datetime import timedelta

from pypdf import PdfReader

from refusal_site.models import Letter, utcnow
from tests.factories import make_letter


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


def bookmarked(path) -> list[str]:
    """The letters a compilation holds, by their bookmarks (the first is the contents)."""
    return [item.title.split(" · ")[0] for item in PdfReader(path).outline][1:]


def wait_for(found, seconds: float = 120):
    """Poll `found()` until it returns something, at most `seconds` (CI's machine may be busy)."""
    deadline = time.monotonic() + seconds
    while (result := found()) is None and time.monotonic() < deadline:
        time.sleep(0.2)
    return result
