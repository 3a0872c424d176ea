"""Words a journalist copies out of our PDFs: the corpus (every word of the demo letters, and lines
with tanween, shadda, lam-alef, niqqud and mixed directions), three readers of a PDF's text, and
which words do not come back exactly. bench/pdf_text.py counts them; tests/test_pdf_text.py asserts them."""

from __future__ import annotations

import io
import re
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

# Lines written for what Arabic and Hebrew shaping does to text: marks in a glyph cluster with their
# letter, lam-alef drawn as one glyph (with and without a mark between lam and alef), niqqud, and
# lines that change direction (numbers, English in Hebrew, Hebrew names in Arabic).
CORPUS = {
    "ar": [
        "يرفض علنًا ولم يكن القرار سهلًا أبدًا",
        "شكرًا جزيلًا، قليلًا ثم طويلًا، مثلًا وأيضًا يومًا ما",
        "كتابٌ في بيتٍ، ورجلٌ كريمٌ، وسلامٌ دائمٌ",
        "تحمّل المسؤولية كلّ يوم، والشّمس مشرقة على المدرّسة",
        "مُدَرِّسَةٌ كَتَبَتْ رِسَالَةً إِلَى القَاضِي",
        "الاحتياط لا يعني إلا الالتزام، والآن لأن السلام الإسلام لاجئ",
        "كتب يوسف إلى נועה כהן من תל אביב عن الكتيبة 5310 في عام 2024",
    ],
    "he": [
        "שָׁלוֹם עֲלֵיכֶם, בְּרֵאשִׁית בָּרָא",
        "סֵרוּב מַצְפּוּנִי בְּשֵׁם מָלֵא",
        "שירתתי בצה״ל עם David Cohen בגדוד 7021 משנת 2019 עד 2024",
        "קראתי את המכתב של سامي حلبي ושל Sarah Levin ביום 3 במאי",
        "רס״ל (מיל׳) כתב: ״אני לא אתייצב״ – 100% בטוח",
    ],
    "en": [
        "An office of fluffy affluent officials refused first",
        "I wrote to נועה כהן and to سامي حلبي on 5 May 2026, in unit 7021",
        "Café naïve résumé, coöperate and façade: 12.5% of 1,000",
    ],
}

_BIDI_CONTROLS = dict.fromkeys([*range(0x200E, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def demo_texts(language: str) -> list[str]:
    """Every text of the demo letters in one language: names, descriptors, titles, paragraphs."""
    from refusal_site import demo

    return [
        *demo.FIRST_NAMES[language], *demo.LAST_NAMES[language], *demo.SIGNER_NAMES[language],
        *(text for text in demo.DESCRIPTORS[language] if text), *(text for text in demo.TITLES[language] if text),
        *demo.PARAGRAPHS[language],
    ]


def letters(language: str) -> list[dict]:
    """Three letters that hold every word of the demo letters and of CORPUS in `language`, in the
    places a PDF prints text (the name and title in bold, the descriptor, the body): submit()'s fields."""
    from refusal_site import demo

    titles = [title for title in demo.TITLES[language] if title]
    descriptors = [text for text in demo.DESCRIPTORS[language] if text]
    names = [*demo.FIRST_NAMES[language], *demo.LAST_NAMES[language], *demo.SIGNER_NAMES[language]]
    bodies = [demo.PARAGRAPHS[language], [" ".join(names), " · ".join(descriptors), " · ".join(titles)], CORPUS[language]]
    return [
        {"display_name": f"{demo.FIRST_NAMES[language][i]} {demo.LAST_NAMES[language][i]}", "descriptor": descriptors[i],
         "title": CORPUS[language][0] if i == 2 else titles[i], "body_text": "\n\n".join(body)}
        for i, body in enumerate(bodies)
    ]


def corpus_pdfs() -> list[tuple[str, dict, bytes]]:
    """Publish the letters of every language (in the current app context, on an empty database) and
    render them as the site serves them: (kind, the letter's fields, PDF) for each letter's own PDF
    and, for each letter, the one compilation of all of them (the Hebrew edition)."""
    from datetime import timedelta

    from refusal_site import letters as domain
    from refusal_site.audit import AuditAction
    from refusal_site.compilation import assembly, rendering
    from refusal_site.compilation.selection import Selection
    from refusal_site.models import utcnow

    now = utcnow()
    drafts = []
    for language in CORPUS:
        for fields in letters(language):
            moment = now - timedelta(hours=len(drafts) + 1)
            drafts.append({**fields, "language": language, "collective": False, "submitted_at": moment - timedelta(hours=2),
                           "confirmed_at": moment - timedelta(hours=1), "published_at": moment})
    public_ids = domain.publish_many(drafts, by="cli", action=AuditAction.DEMO_SEED)
    compilation = assembly.build(Selection(), "he").path.read_bytes()
    documents = [("letter PDF", draft, rendering.render_letter(domain.letter_by_public_id(public_id)))
                 for draft, public_id in zip(drafts, public_ids)]
    return documents + [("compilation", draft, compilation) for draft in drafts]


def words(text: str) -> list[str]:
    """The words of a text as a reader compares them: NFC, without direction marks, split on white
    space, punctuation around a word left out (extractors may move it to the other end of a line)."""
    found = []
    for token in unicodedata.normalize("NFC", text.translate(_BIDI_CONTROLS)).split():
        word = token.strip("".join(ch for ch in set(token) if unicodedata.category(ch)[0] in "PS"))
        if word:
            found.append(word)
    return found


def letter_words(letter: dict) -> list[str]:
    return words(" ".join(str(letter[field]) for field in ("display_name", "descriptor", "title", "body_text") if letter.get(field)))


def where_scripts_meet(letter: dict) -> set[str]:
    """Words of the letter's lines that mix Hebrew, Arabic, Latin letters or digits: each reader orders
    the runs of such a line (and the spaces between them) by its own rules."""
    mixed = set()
    for field in ("display_name", "descriptor", "title", "body_text"):
        for line in (letter.get(field) or "").splitlines():
            if len({_script(ch) for ch in line} - {None}) > 1:
                mixed.update(words(line))
    return mixed


def _script(ch: str) -> str | None:
    if "\u0590" <= ch <= "\u05ff" or "\ufb1d" <= ch <= "\ufb4f":
        return "Hebrew"
    if "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff":
        return "Arabic"
    return {"L": "Latin", "EN": "digits", "AN": "digits"}.get(unicodedata.bidirectional(ch))


def shaped(word: str) -> bool:
    """A word drawn with a glyph for more than one character, or with a mark moved onto its letter:
    a lam-alef (ligature), an Arabic or Hebrew mark (tanween, shadda, harakat, niqqud)."""
    return bool(LAM_ALEF.search(word)) or any(unicodedata.category(ch) == "Mn" for ch in word)


# Lam then alef (with any marks between): drawn as one glyph, ﻻ.
LAM_ALEF = re.compile("\u0644[\u064b-\u065f\u0670]*[\u0622\u0623\u0625\u0627]")


def missing(expected: Iterable[str], text: str) -> list[str]:
    """The expected words (each as often as it is expected) that the text does not hold exactly."""
    have = Counter(words(text))
    lost = []
    for word in expected:
        if have[word]:
            have[word] -= 1
        else:
            lost.append(word)
    return lost


def pypdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def pdftotext_text(data: bytes) -> str:
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def pdfium_text(data: bytes) -> str:
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_bounded() for page in document)
    finally:
        document.close()


READERS: dict[str, Callable[[bytes], str]] = {"pypdf": pypdf_text, "pdftotext": pdftotext_text, "pdfium": pdfium_text}


def read(path_or_data: Path | bytes, reader: str) -> str:
    data = path_or_data.read_bytes() if isinstance(path_or_data, Path) else path_or_data
    return READERS[reader](data)
