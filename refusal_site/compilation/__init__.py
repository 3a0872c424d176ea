"""The press engine: PDFs of published letters, rendered by WeasyPrint with a locked fetcher, kept
by fingerprint, and compilations of them assembled with pikepdf from pages rendered once.

Its rooms, each using only those listed after it:

- downloads: what a download gets (ready, being built, busy, unavailable): what the press views ask
- worker: the process a download starts to build a PDF (the only module that builds an app)
- service: the builder service that keeps the standard compilations built
- cleanup: pruning what no build used, forgetting what showed a letter no longer public
- one_letter: a letter's own PDF
- assembly: a compilation built from its parts
- stamping: page numbers and the contents' numbers, stamped in as the parts are joined (and a press
  preview's embargo line)
- front: the cover and the contents
- unprintable: letters whose pages cannot be rendered
- pages: letters' pages, rendered a few letters a file and kept
- rendering: WeasyPrint with our fetcher, fonts and templates
- limits: locks, build slots, time and memory
- cache: every kept file's path, and atomic writes
- tagging: the structure a screen reader reads (PDF/UA-1), tidied after a render and carried into a joined file
- text_map: what a PDF's glyphs copy back as, read from its fonts
- selection: which letters (published, or a press preview's embargoed ones), as PDFs show them, and the
  fingerprints that name what is kept
"""
