"""Write the PDF fonts as TrueType (static/fonts/pdf/*.ttf) from the web fonts' woff2 files.

WeasyPrint would otherwise decode every woff2 font in every process that renders a PDF (about
half a second of pure Python each time). The output is the same font, only not compressed.
Run after changing a web font:  .venv/bin/python scripts/decode-pdf-fonts.py
"""

from pathlib import Path

from fontTools.ttLib import woff2

FONTS = Path(__file__).resolve().parent.parent / "refusal_site" / "static" / "fonts"

for name in ("noto-sans-latin", "noto-sans-latin-ext", "noto-sans-hebrew"):
    for weight in (400, 700):
        source, target = FONTS / f"{name}-{weight}.woff2", FONTS / "pdf" / f"{name}-{weight}.ttf"
        with open(source, "rb") as infile, open(target, "wb") as outfile:
            woff2.decompress(infile, outfile)
        print(f"{source.name} -> pdf/{target.name} ({target.stat().st_size:,} bytes)")
