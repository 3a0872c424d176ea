"""Give the PDF's Arabic fonts one glyph for each lam, mark, alef (سهلًا, كلّا): the lam-alef
ligature with the mark drawn where the font's mark positioning puts it on the lam.

Shaping draws lam-alef as one glyph and a mark between lam and alef as a glyph of its own, in one
cluster: no map of glyphs to characters can then say that the mark's character goes between the
ligature's two, and the word copies as سهلاً. With one glyph for the three characters, it maps to
exactly them. Nothing else changes: the new glyphs are composites of the ligature and the mark,
placed by the font's own anchors, and a new ligature lookup, before the lam-alef one, forms them
only where a mark stands between lam and alef.

Run once on the subsets in static/fonts/pdf (it refuses to run twice on a font):
    .venv/bin/python scripts/arabic-lam-mark-alef.py
"""

from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import otTables
from fontTools.ttLib.tables._g_l_y_f import Glyph, GlyphComponent

FONTS = Path(__file__).resolve().parent.parent / "refusal_site" / "static" / "fonts" / "pdf"
MARK, LIGATURE = 3, 2  # GDEF glyph classes


def lam_alef_ligatures(font: TTFont) -> dict[tuple[str, str], str]:
    """(lam form, alef form) -> their ligature, from the ligature lookups that skip marks (lam-alef is
    a required ligature, lam with hamza or madda on the alef a standard one in this font)."""
    gsub = font["GSUB"].table
    found = {}
    for index in _feature_lookups(gsub, "rlig") + _feature_lookups(gsub, "liga"):
        lookup = gsub.LookupList.Lookup[index]
        if _is_lam_alef(lookup):  # IgnoreMarks: lam, (marks), alef
            for table in lookup.SubTable:
                for first, ligatures in table.ligatures.items():
                    for ligature in ligatures:
                        if len(ligature.Component) == 1:
                            found[first, ligature.Component[0]] = ligature.LigGlyph
    return found


def _forms_lam_mark_alef(lookup) -> bool:
    return any(len(ligature.Component) == 2 for table in lookup.SubTable for ligatures in table.ligatures.values() for ligature in ligatures)


def _is_lam_alef(lookup) -> bool:
    return lookup.LookupType == 4 and bool(lookup.LookupFlag & 8)


def _renumber(gsub, start: int) -> None:
    """Every reference to lookup `start` or later, one on: features' and contextual lookups'."""
    for record in gsub.FeatureList.FeatureRecord:
        record.Feature.LookupListIndex = [i + (i >= start) for i in record.Feature.LookupListIndex]
    for lookup in gsub.LookupList.Lookup:
        for table in lookup.SubTable:
            table = getattr(table, "ExtSubTable", table)
            for holder in _rule_holders(table):
                for record in getattr(holder, "SubstLookupRecord", None) or []:
                    record.LookupListIndex += record.LookupListIndex >= start


def _rule_holders(table):
    """The parts of a contextual substitution that carry lookup records, in any of its formats."""
    yield table
    for sets in ("SubRuleSet", "SubClassSet", "ChainSubRuleSet", "ChainSubClassSet"):
        for rule_set in getattr(table, sets, None) or []:
            if rule_set is None:
                continue
            for rules in ("SubRule", "SubClassRule", "ChainSubRule", "ChainSubClassRule"):
                yield from getattr(rule_set, rules, None) or []


def _feature_lookups(table, tag: str) -> list[int]:
    return sorted({i for record in table.FeatureList.FeatureRecord if record.FeatureTag == tag for i in record.Feature.LookupListIndex})


def mark_on_first_component(font: TTFont, ligature: str, mark: str) -> tuple[int, int] | None:
    """Where the font's mark-to-ligature positioning puts `mark` on the ligature's first letter
    (the lam), relative to the ligature's origin; None if it does not position it there."""
    gpos = font["GPOS"].table
    for index in _feature_lookups(gpos, "mark"):
        lookup = gpos.LookupList.Lookup[index]
        if lookup.LookupType != 5:
            continue
        for table in lookup.SubTable:
            if mark not in table.MarkCoverage.glyphs or ligature not in table.LigatureCoverage.glyphs:
                continue
            record = table.MarkArray.MarkRecord[table.MarkCoverage.glyphs.index(mark)]
            attach = table.LigatureArray.LigatureAttach[table.LigatureCoverage.glyphs.index(ligature)]
            anchor = attach.ComponentRecord[0].LigatureAnchor[record.Class]
            if anchor is not None:
                return anchor.XCoordinate - record.MarkAnchor.XCoordinate, anchor.YCoordinate - record.MarkAnchor.YCoordinate
    return None


def add_glyphs(font: TTFont) -> int:
    glyf, hmtx, classes = font["glyf"], font["hmtx"], font["GDEF"].table.GlyphClassDef.classDefs
    if any(lookup.LookupType == 4 and not lookup.LookupFlag & 8 and _forms_lam_mark_alef(lookup) for lookup in font["GSUB"].table.LookupList.Lookup):
        raise SystemExit("this font has its lam-mark-alef glyphs already")
    marks = sorted(name for name, cls in classes.items() if cls == MARK and name in glyf)
    ligatures: dict[str, list] = {}  # lam form -> ligature entries
    order = list(font.getGlyphOrder())
    for (lam, alef), ligature in sorted(lam_alef_ligatures(font).items()):
        for mark in marks:
            offset = mark_on_first_component(font, ligature, mark)
            if offset is None:
                continue
            name = f"{ligature}_{mark}.lammark"
            glyph = Glyph()
            glyph.components = []
            for component, (x, y) in ((ligature, (0, 0)), (mark, offset)):
                part = GlyphComponent()
                part.glyphName, part.x, part.y, part.flags = component, x, y, 0
                glyph.components.append(part)
            glyph.numberOfContours = -1
            order.append(name)
            glyf.glyphs[name] = glyph
            hmtx.metrics[name] = (hmtx[ligature][0], 0)
            classes[name] = LIGATURE
            entry = otTables.Ligature()
            entry.Component, entry.LigGlyph = [mark, alef], name
            ligatures.setdefault(lam, []).append(entry)
    font.setGlyphOrder(order)
    glyf.glyphOrder = order
    for name in order[len(order) - sum(map(len, ligatures.values())):]:
        glyf[name].recalcBounds(glyf)
        hmtx.metrics[name] = (hmtx.metrics[name][0], glyf[name].xMin)
    font["maxp"].numGlyphs = len(order)
    # Lookups apply in the order of the lookup list: the new one goes right before the lam-alef one
    # (marks not skipped), and every reference to a lookup after it moves one on.
    gsub = font["GSUB"].table
    before = min(index for index in _feature_lookups(gsub, "rlig") + _feature_lookups(gsub, "liga")
                 if _is_lam_alef(gsub.LookupList.Lookup[index]))
    table = otTables.LigatureSubst()
    table.ligatures = ligatures
    lookup = otTables.Lookup()
    lookup.LookupType, lookup.LookupFlag, lookup.SubTable, lookup.SubTableCount = 4, 1, [table], 1
    _renumber(gsub, before)
    gsub.LookupList.Lookup.insert(before, lookup)
    gsub.LookupList.LookupCount = len(gsub.LookupList.Lookup)
    for record in gsub.FeatureList.FeatureRecord:
        if record.FeatureTag == "rlig":
            record.Feature.LookupListIndex = sorted([before, *record.Feature.LookupListIndex])
            record.Feature.LookupCount = len(record.Feature.LookupListIndex)
    return sum(map(len, ligatures.values()))


if __name__ == "__main__":
    for path in sorted(FONTS.glob("dejavu-sans-arabic*.ttf")):
        font = TTFont(path)
        added = add_glyphs(font)
        font.save(path)
        print(f"{path.name}: {added} lam-mark-alef glyphs")
