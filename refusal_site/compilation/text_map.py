"""What a PDF's text copies back as: each glyph of each embedded font mapped to the characters it
draws, read from the font itself.

WeasyPrint maps a glyph to the text of the first cluster it is drawn in. Shaping puts a letter and
its marks in one cluster of several glyphs (نً, שָׁ), and a ligature with the marks between its
letters too (لًا): the first glyph of the cluster is then mapped to the whole cluster, the others
to nothing, and a glyph keeps that one map wherever else it is drawn. So the fathatan of سهلًا made
every later علنًا copy as علنلًاا. A font's cmap says which characters each glyph draws (a
positional form or a ligature by its presentation form, decomposed to the letters it stands for:
ﻼ is لا), and that holds wherever the glyph is drawn. A glyph no cmap names keeps the text of the
cluster it was drawn in: our Arabic font's lam-mark-alef glyphs (static/fonts/pdf/README.txt) are
each drawn for one sequence of three characters, and nothing else."""

import io
import unicodedata

import pikepdf
from fontTools.ttLib import TTFont

_CMAP_HEAD = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <ffff>
endcodespacerange
"""
_CMAP_TAIL = b"""endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


def exact(data: bytes) -> bytes:
    """The PDF with every glyph of its embedded TrueType fonts mapped to the characters it draws."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        for font in _type0_fonts(pdf):
            descendant = font.DescendantFonts[0]
            program = descendant.get("/FontDescriptor", {}).get("/FontFile2")
            if program is None or "/ToUnicode" not in font or descendant.get("/CIDToGIDMap") != pikepdf.Name.Identity:
                continue
            mapped = _parse_cmap(font.ToUnicode.read_bytes())
            drawn = glyph_text(program.read_bytes(), mapped)
            if drawn != mapped:
                font.ToUnicode = pdf.make_stream(cmap(drawn))
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.preserve, deterministic_id=True)
        return out.getvalue()


def _type0_fonts(pdf: pikepdf.Pdf):
    seen = set()
    for obj in pdf.objects:
        if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == pikepdf.Name.Font and obj.get("/Subtype") == pikepdf.Name.Type0:
            if obj.objgen not in seen:
                seen.add(obj.objgen)
                yield obj


def glyph_text(font_program: bytes, mapped: dict[int, str]) -> dict[int, str]:
    """For each glyph in `mapped` (glyph id -> the text WeasyPrint gave it), the characters the font
    says it draws; a glyph the font's cmap does not name keeps the text it was given."""
    drawn = _drawn(font_program)
    return {glyph: _pick(drawn.get(glyph, ()), text) for glyph, text in mapped.items()}


def _drawn(font_program: bytes) -> dict[int, list[int]]:
    """Glyph id -> the code points the font's cmap maps to it."""
    font = TTFont(io.BytesIO(font_program), lazy=True)
    ids = {name: i for i, name in enumerate(font.getGlyphOrder())}
    drawn: dict[int, list[int]] = {}
    for table in font["cmap"].tables:
        if table.isUnicode():
            for code_point, name in table.cmap.items():
                drawn.setdefault(ids[name], []).append(code_point)
    return drawn


def _pick(code_points, given: str) -> str:
    """The text of a glyph drawn for `code_points`: the one WeasyPrint gave if it is one of them (a
    space stays a space, a no-break space one), else a letter rather than a presentation form, else
    the letters a presentation form stands for."""
    if not code_points:
        return given
    chars = sorted({chr(c) for c in code_points}, key=lambda ch: (_is_compatibility_form(ch), ord(ch)))
    if given in chars:
        return given
    first = chars[0]
    return unicodedata.normalize("NFKC", first) if _is_compatibility_form(first) else first


def _is_compatibility_form(ch: str) -> bool:
    return unicodedata.decomposition(ch).startswith("<") or unicodedata.normalize("NFC", ch) != ch


def _parse_cmap(data: bytes) -> dict[int, str]:
    """A ToUnicode CMap of bfchar entries (as WeasyPrint writes them): glyph id -> text."""
    mapped = {}
    in_chars = False
    for line in data.decode("latin-1").splitlines():
        line = line.strip()
        if line.endswith("beginbfchar"):
            in_chars = True
        elif line == "endbfchar":
            in_chars = False
        elif in_chars and line.startswith("<"):
            code, _, text = line.partition(">")
            mapped[int(code[1:], 16)] = bytes.fromhex(text.strip().strip("<>")).decode("utf-16-be")
    return mapped


def cmap(mapped: dict[int, str]) -> bytes:
    """A ToUnicode CMap of `mapped` (glyph id -> text), as bfchar entries a hundred a block."""
    items = sorted(mapped.items())
    blocks = []
    for start in range(0, len(items), 100):
        block = items[start : start + 100]
        entries = b"".join(f"<{glyph:04x}> <{text.encode('utf-16-be').hex()}>\n".encode() for glyph, text in block)
        blocks.append(f"{len(block)} beginbfchar\n".encode() + entries + b"endbfchar\n")
    return _CMAP_HEAD + b"".join(blocks) + _CMAP_TAIL
