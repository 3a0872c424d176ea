"""Tags: the structure a screen reader reads a PDF by (PDF/UA-1). WeasyPrint tags each part as it
renders it; here what it draws in a page's margins (the running header, a page number) becomes a
pagination artifact, and parts joined into one file bring their structure with them.

A joined file has one Document element whose children are the parts' own top elements, in page
order: each part's elements are copied with the part's pages (which pikepdf copies once, so the
elements point at the joined file's pages), and every page and link is given a new key in the
one parent tree. Nothing is rendered or parsed again: a compilation of 1,000 letters copies what
each part's render made."""

import io
import re
import xml.sax.saxutils
from collections.abc import Iterable

import pikepdf

# WeasyPrint's options for a tagged part (PDF 1.7: with none given, it tags for PDF 2.0 namespaces).
RENDER_OPTIONS = {"pdf_tags": True, "pdf_version": "1.7"}
PAGINATION = b"/Artifact\n<</Type /Pagination>>\nBDC"
# A marked run of content as WeasyPrint writes it (pydyf: each operand and operator on its own line).
_MARKED = re.compile(rb"/[A-Za-z0-9]+\n<</MCID (\d+)>>\nBDC")


def tidy(data: bytes) -> bytes:
    """A PDF tagged by WeasyPrint, with what it drew in the pages' margins marked as pagination
    artifacts, and without the wrappers around each run of text (_flatten). WeasyPrint gives margin
    content structure elements of their own that no element of the document holds: a reader could
    never reach them, and they repeat on every page."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        tree = pdf.Root.StructTreeRoot
        (document,) = tree.K
        held = {kid.objgen for kid in document.K}
        parents = tree.ParentTree.Nums
        keys = {int(parents[i]): i + 1 for i in range(0, len(parents), 2)}
        marked_on = {page.objgen: parents[keys[int(page.obj.StructParents)]] for page in pdf.pages}
        for kid in document.K:
            _flatten(kid, marked_on)
        for page in pdf.pages:
            marked = parents[keys[int(page.obj.StructParents)]]
            loose = {mcid for mcid, element in enumerate(marked) if _top(element, document).objgen not in held}
            if loose:
                _as_artifacts(page.obj.Contents, loose)
                for mcid in loose:
                    marked[mcid] = None  # no element holds that content now
                while len(marked) and marked[-1] is None:
                    del marked[-1]
        out = io.BytesIO()
        pdf.save(out, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


# Elements a reader learns nothing from: WeasyPrint wraps each run of text in them. An element
# holding their content directly reads the same, and a compilation of 1,000 letters holds 20,000
# fewer objects (each one kept in memory while the compilation is joined).
_WRAPPERS = {"/NonStruct", "/Span"}
_PLAIN = {"/Type", "/S", "/K", "/P", "/Pg"}


def _flatten(element: pikepdf.Dictionary, marked_on: dict) -> None:
    """Give `element` the content of the wrappers under it (on its own page), at any depth."""
    kids = element.K if isinstance(element.K, pikepdf.Array) else [element.K]
    flat = []
    for kid in kids:
        if not isinstance(kid, pikepdf.Dictionary) or kid.get("/Type") in ("/OBJR", "/MCR"):
            flat.append(kid)
            continue
        _flatten(kid, marked_on)
        inner = list(kid.K) if isinstance(kid.K, pikepdf.Array) else [kid.K]
        if (str(kid.S) not in _WRAPPERS or set(kid.keys()) - _PLAIN or "/Pg" not in element or kid.Pg.objgen != element.Pg.objgen
                or any(isinstance(item, pikepdf.Dictionary) and item.get("/Type") in ("/OBJR", "/MCR") for item in inner)):
            flat.append(kid)
            continue
        for item in inner:
            if isinstance(item, int):
                marked_on[element.Pg.objgen][item] = element
            else:
                item.P = element
            flat.append(item)
    element.K = pikepdf.Array(flat)


def _as_artifacts(content: pikepdf.Stream, loose: set[int]) -> None:
    """Mark the content of these marked-content ids as pagination artifacts instead."""
    found = set()

    def artifact(match: re.Match) -> bytes:
        if int(match.group(1)) not in loose:
            return match.group(0)
        found.add(int(match.group(1)))
        return PAGINATION

    content.write(_MARKED.sub(artifact, content.read_bytes()))
    if found != loose:
        raise ValueError(f"marked content {sorted(loose - found)} not found in the page as WeasyPrint writes it")


def _top(element: pikepdf.Dictionary, document: pikepdf.Dictionary) -> pikepdf.Dictionary:
    """The element's ancestor just under the Document (or the element itself)."""
    while element.P.objgen != document.objgen:
        element = element.P
    return element


class Joined:
    """A PDF joined from tagged parts: their pages appended with their structure, under one Document."""

    def __init__(self, out: pikepdf.Pdf) -> None:
        self.out = out
        self.document = out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document, K=pikepdf.Array()))
        self.parents: list[pikepdf.Object] = []  # the parent tree, by key: a page's marked content, or a link's element
        self._parts: dict[int, _Part] = {}
        self._role_map: dict[str, pikepdf.Object] = {}  # the parts' own roles and classes, if they name any
        self._class_map: dict[str, pikepdf.Object] = {}

    def append(self, source: pikepdf.Pdf, indices: Iterable[int], language: str | None = None) -> None:
        """Append pages of `source` with the elements on them (given `language`, if any)."""
        part = self._part(source)
        first = len(self.out.pages)
        indices = list(indices)
        for index in indices:
            self.out.pages.append(source.pages[index])
        for index, page in zip(indices, self.out.pages[first:]):
            for kid in part.on_page.get(source.pages[index].objgen, ()):
                copied = self.out.copy_foreign(kid)
                copied.P = self.document
                if language is not None:
                    copied.Lang = pikepdf.String(language)
                self.document.K.append(copied)
            page.obj.StructParents = self._key(self.out.make_indirect(pikepdf.Array(
                self._copied(element) for element in part.parents[int(page.obj.StructParents)]
            )))
            for annotation in page.obj.get("/Annots", ()):
                if "/StructParent" in annotation:
                    annotation.StructParent = self._key(self._copied(part.parents[int(annotation.StructParent)]))

    def element_of(self, annotation: pikepdf.Dictionary) -> pikepdf.Dictionary:
        """The structure element that holds a link (appended with its page)."""
        return self.parents[int(annotation.StructParent)]

    def mark(self, page: pikepdf.Page, parent: pikepdf.Dictionary, role: str = "Span") -> int:
        """A new element under `parent` for content about to be drawn on `page`; its marked-content id."""
        marked = self.parents[int(page.obj.StructParents)]
        element = self.out.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name("/" + role), P=parent,
                                                            Pg=page.obj, K=len(marked)))
        if not isinstance(parent.K, pikepdf.Array):
            parent.K = pikepdf.Array([parent.K])
        parent.K.append(element)
        marked.append(element)
        return len(marked) - 1

    def finish(self) -> None:
        """Give the file its structure tree and say that it is tagged."""
        # Made at once: growing a pikepdf array an item at a time copies it each time.
        nums = pikepdf.Array([item for key, value in enumerate(self.parents) for item in (key, value)])
        root = self.out.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.StructTreeRoot, K=self.document, ParentTree=self.out.make_indirect(pikepdf.Dictionary(Nums=nums)),
            ParentTreeNextKey=len(self.parents),
        ))
        if self._role_map:
            root.RoleMap = pikepdf.Dictionary(self._role_map)
        if self._class_map:
            root.ClassMap = pikepdf.Dictionary(self._class_map)
        self.document.P = root
        self.out.Root.StructTreeRoot = root
        self.out.Root.MarkInfo = pikepdf.Dictionary(Marked=True)

    def _key(self, value: pikepdf.Object) -> int:
        self.parents.append(value)
        return len(self.parents) - 1

    def _copied(self, element: pikepdf.Object) -> pikepdf.Object:
        return None if element is None else self.out.copy_foreign(element)

    def _part(self, source: pikepdf.Pdf) -> "_Part":
        """What is read once from a part: its top elements by page, each cut from the part's
        Document (so copying one copies it and what it holds, nothing of its siblings), and its
        parent tree."""
        if id(source) not in self._parts:
            tree = source.Root.get("/StructTreeRoot")
            if tree is None:
                raise ValueError("a part of a joined PDF is not tagged")
            (document,) = tree.K if isinstance(tree.K, pikepdf.Array) else [tree.K]
            on_page: dict[tuple[int, int], list[pikepdf.Dictionary]] = {}
            for kid in document.K:
                if "/P" in kid:  # another join read this part already
                    del kid.P
                on_page.setdefault(kid.Pg.objgen, []).append(kid)
            nums = tree.ParentTree.Nums
            parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
            for key, merged in (("/RoleMap", self._role_map), ("/ClassMap", self._class_map)):
                for name, value in tree.get(key, pikepdf.Dictionary()).items():
                    merged[name] = self.out.copy_foreign(value) if value.is_indirect else value
            self._parts[id(source)] = _Part(on_page, parents)
        return self._parts[id(source)]


class _Part:
    def __init__(self, on_page: dict, parents: dict) -> None:
        self.on_page = on_page
        self.parents = parents


def identify(out: pikepdf.Pdf, title: str, language: str) -> None:
    """Say in the file's XMP metadata that it is PDF/UA-1, with its title and language."""
    escape = xml.sax.saxutils.escape
    packet = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description rdf:about="" xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
<pdfuaid:part>1</pdfuaid:part>
<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
<dc:language><rdf:Bag><rdf:li>{escape(language)}</rdf:li></rdf:Bag></dc:language>
<pdf:Producer>refusal_site</pdf:Producer>
</rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    out.Root.Metadata = out.make_stream(packet.encode(), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML)
