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


def contents_entries(path, page: int = 1) -> list[tuple[str, str]]:
    """Each entry on a page of contents (0-based page), as pdftotext lays it out: its first line (name,
    title, page number) and its second (the letter's language, date, co-signatures). The heading of
    the first page of contents and the page's own number are left out."""
    lines = [line for line in layout_text(path, page).splitlines() if line.strip()][:-1]  # the page's "ii"
    if len(lines) % 2:
        lines = lines[1:]  # the heading "Contents"
    return list(zip(lines[0::2], lines[1::2], strict=True))


def contents_lines(path, page: int = 1) -> list[str]:
    """The first line of each entry on a page of contents: its name, title and page number."""
    return [first for first, _about in contents_entries(path, page)]


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


def pdfua_findings(path) -> list[str]:
    """What the `pdfua` checker (PDF/UA-1's machine-checkable rules) finds in a PDF: errors and warnings."""
    from pdfua import Severity, validate

    report = validate(str(path))
    return [f"{f.rule_id} {f.severity.name} page {f.location.page}: {f.message}" for f in report.findings if f.severity >= Severity.WARNING]


def _marked_texts(page) -> dict[int, str]:
    """The text of each marked-content id on a page (pypdf), as a reader of the tags gets it."""
    stack: list[int | None] = []
    texts: dict[int, str] = {}

    def before(operator, operands, _cm, _tm):
        if operator == b"BDC":
            stack.append(operands[1].get("/MCID") if hasattr(operands[1], "get") else None)
        elif operator == b"BMC":
            stack.append(None)
        elif operator == b"EMC":
            stack.pop()

    def text(shown, _cm, _tm, _font, _size):
        if stack and stack[-1] is not None:
            texts[stack[-1]] = texts.get(stack[-1], "") + shown

    page.extract_text(visitor_operand_before=before, visitor_text=text)
    return texts


def tagged(path, roles: set[str]) -> list[tuple[str, str]]:
    """Each structure element of these roles (e.g. {"/H1"}), in the tree's reading order: its role
    and the text it holds, as a screen reader walking the tags would read it."""
    import pikepdf

    reader = PdfReader(path)
    texts: dict[int, dict[int, str]] = {}
    found = []
    with pikepdf.open(path) as pdf:
        pages = {page.objgen: i for i, page in enumerate(pdf.pages)}

        def text_of(element, page=None) -> str:
            page = pages[element.Pg.objgen] if "/Pg" in element else page
            kids = element.get("/K")
            parts = []
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, int):
                    if page not in texts:
                        texts[page] = _marked_texts(reader.pages[page])
                    parts.append(texts[page].get(kid, ""))
                elif isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") != "/OBJR":
                    parts.append(text_of(kid, page))
            return "".join(parts)

        def walk(element) -> None:
            kids = element.get("/K")
            for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
                if isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") not in ("/OBJR", "/MCR"):
                    if str(kid.S) in roles:
                        found.append((str(kid.S), plain(text_of(kid)).strip()))
                    else:
                        walk(kid)

        walk(pdf.Root.StructTreeRoot)
    return found


def untagged(path) -> list:
    """What a screen reader could not reach through a PDF's tags: marked content without an element
    of the tree holding it, an element of the parent tree without content, a link outside the tree
    or without a description (each with its 0-based page)."""
    import re

    import pikepdf

    problems = []
    with pikepdf.open(path) as pdf:
        root = pdf.Root.StructTreeRoot
        nums = root.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        keys = set()

        def in_tree(element) -> bool:
            """Whether each of the element's ancestors, up to the root, holds the one below it."""
            for _ in range(200):
                if "/P" not in element:
                    return False
                parent = element.P
                kids = parent.K if isinstance(parent.K, pikepdf.Array) else [parent.K]
                if element.objgen not in [kid.objgen for kid in kids if isinstance(kid, pikepdf.Dictionary)]:
                    return False
                if parent.objgen == root.objgen:
                    return True
                element = parent
            return False

        for number, page in enumerate(pdf.pages):
            key = int(page.obj.StructParents)
            problems += [(number, "page key used twice")] if key in keys else []
            keys.add(key)
            contents = page.obj.Contents
            data = b"".join(part.read_bytes() for part in (contents if isinstance(contents, pikepdf.Array) else [contents]))
            ids = [int(found) for found in re.findall(rb"<<\s*/MCID (\d+)\s*>>\s*BDC", data)]
            problems += [(number, "marked-content id used twice")] if len(set(ids)) != len(ids) else []
            held = parents[key]
            for mcid in ids:
                element = held[mcid] if mcid < len(held) else None
                kids = [] if element is None else element.K if isinstance(element.K, pikepdf.Array) else [element.K]
                if element is None or mcid not in [kid for kid in kids if isinstance(kid, int)]:
                    problems.append((number, mcid, "marked content no element holds"))
                elif element.Pg.objgen != page.obj.objgen or not in_tree(element):
                    problems.append((number, mcid, "marked content held by an element elsewhere"))
            problems += [(number, mcid, "element without content") for mcid in range(len(held)) if held[mcid] is not None and mcid not in ids]
            for annotation in page.obj.get("/Annots", ()):
                if "/StructParent" not in annotation:
                    problems.append((number, "annotation outside the tree"))
                    continue
                key = int(annotation.StructParent)
                problems += [(number, "annotation key used twice")] if key in keys else []
                keys.add(key)
                element = parents[key]
                if not in_tree(element) or not any(
                    isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/OBJR" and kid.Obj.objgen == annotation.objgen for kid in element.K
                ):
                    problems.append((number, "annotation its element does not hold"))
                if not str(annotation.get("/Contents", "")).strip():
                    problems.append((number, "annotation without a description"))
    return problems
