"""What a reader's query finds, in Hebrew, Arabic and English: one table for the normalization
(tests/test_search_text.py) and, later, for search on SQLite and PostgreSQL."""

from typing import NamedTuple


class Case(NamedTuple):
    query: str
    text: str
    should_match: bool
    why: str


CASES = [
    # Hebrew: attached prefixes, niqqud, final letters, abbreviations.
    Case("סירוב", "והסירוב שלנו ברור", True, "ו+ה attached"),
    Case("סירוב", "אנחנו בסירוב מלא", True, "ב attached"),
    Case("סירוב", "כשסירוב הופך לחובה", True, "כש attached"),
    Case("סירוב", "ולכשהסירוב יגיע", True, "ו+לכש+ה, the longest prefix listed"),
    Case("סירוב", "הבסירוב", False, "ה before ב is no prefix"),
    Case("סירוב", "הסירובים נמשכים", False, "suffixes are not expanded"),
    Case("בסירוב", "הסירוב שלנו", False, "a query with a prefix asks for that form"),
    Case("בסירוב", "ובסירוב שלנו", True, "the form typed, with ו before it"),
    Case("שלום", "שָׁלוֹם לכולם", True, "niqqud does not matter"),
    Case("שָׁלוֹם", "שלום לכולם", True, "niqqud in the query does not matter"),
    Case("מלכים", "ספר מלכימ", True, "final mem folded"),
    Case("עזה", "שירתתי בעזה", True, "a place with ב"),
    Case("עזה", "שירתתי בעזת", False, "another word"),
    Case('צה"ל', "לא אשרת בצה״ל", True, "ASCII quote and gershayim are one abbreviation"),
    Case("צהל", 'לא אשרת בצה"ל', True, "the abbreviation without its mark"),
    Case("ית", "בית", True, "the known false positive: a leading ב is taken for a prefix"),
    Case("רופא", "\u202bאני רופא\u202c", True, "bidi embedding around the text"),
    Case("רופא", "רו\u200dפא", True, "a zero-width joiner inside the word"),
    # Arabic: tashkeel, tatweel, alef forms, ta marbuta, alef maqsura, prefixes.
    Case("الجيش", "رفضت الْجَيْشَ", True, "tashkeel does not matter"),
    Case("جيش", "رفضت والجيش", True, "و+ال attached"),
    Case("جيش", "خدمة للجيش", True, "لل attached"),
    Case("جيش", "بالجيش", True, "ب+ال attached"),
    Case("جيش", "فالجيش", True, "ف+ال attached"),
    Case("جيش", "كالجيش", True, "ك+ال attached"),
    Case("جيش", "الجيوش", False, "a broken plural is another word"),
    Case("الجيش", "جيش", False, "a query with ال asks for that form"),
    Case("الجيش", "والجيش", True, "the form typed, with و before it"),
    Case("احمد", "أحمد", True, "alef with hamza above folded"),
    Case("إسرائيل", "اسرائيل", True, "alef with hamza below folded"),
    Case("مدرسة", "مدرسه", True, "ta marbuta and ha"),
    Case("على", "علي", True, "alef maqsura and ya"),
    Case("رفض", "رفــــض", True, "tatweel does not matter"),
    Case("رفض", "ٱلرفض", True, "alef wasla folded, then ال"),
    Case("٢٠٢٣", "في 2023", True, "Arabic-Indic digits are digits"),
    # English: case, inflections, contractions.
    Case("refuse", "I refused to serve", True, "past tense"),
    Case("refuse", "Refusing is hard", True, "-ing, capitalized"),
    Case("refuse", "a public refusal", True, "-al"),
    Case("refusals", "I refuse", True, "the query is stemmed too"),
    Case("REFUSE", "refuse", True, "case"),
    Case("medic", "Medics of the 8200", True, "plural"),
    Case("refuse", "referendum", False, "another word"),
    Case("O'Brien", "signed OBrien", True, "apostrophe inside a name"),
    Case("reservist", "the reservist\u2019s letter", True, "typographic apostrophe"),
    Case("Gaza pilot", "pilots who flew over Gaza", True, "two words, any order"),
    Case("Gaza pilot", "pilots who flew", False, "every word is needed"),
    Case("Müller", "signed Muller", True, "accents do not matter"),
    # Across scripts: a Hebrew or Arabic name in an English letter.
    Case("כהן", "Signed: Dana כהן, captain", True, "Hebrew name in English text"),
    Case("حيفا", "born in حيفا", True, "Arabic word in English text"),
    Case("גבריאל", "גבריאל כהן", True, "Hebrew in Hebrew"),
    Case("gabriel", "גבריאל", False, "no transliteration"),
    # Bad input: never syntax, never an error.
    Case("", "anything", False, "an empty query finds nothing"),
    Case("   ", "anything", False, "spaces only"),
    Case("a", "a letter", False, "one letter is not searched for"),
    Case("ב", "ב", False, "one Hebrew letter"),
    Case('"refuse"', "I refuse", True, "quotes are separators"),
    Case("refus*", "I refused", True, "* is a separator"),
    Case("-refuse", "I refuse", True, "- is not negation"),
    Case("^refuse:", "I refuse", True, "^ and : are separators"),
    Case("refuse NEAR gaza", "near gaza I refuse", True, "NEAR is a word"),
    Case("refuse NEAR gaza", "I refuse gaza", False, "NEAR is a word that must be there"),
    Case("refuse OR nothing", "I refuse", False, "OR is a word, not an operator"),
    Case("%", "100% refusal", False, "% alone has no terms"),
    Case("%refuse_", "I refuse", True, "% and _ are separators, never wildcards"),
    Case("r_fuse", "I refuse", False, "_ is not a one-letter wildcard"),
    Case(".*", "anything", False, "regex characters have no terms"),
    Case("(refuse|gaza)+", "I refuse", False, "a regex is words: both are needed"),
    Case("refuse\x00", "I refuse", True, "NUL separates"),
    Case("re\x00fuse", "I refuse", False, "NUL splits a word"),
    Case("\u200f\u202eesufer", "I refuse", False, "a right-to-left override does not reverse a word"),
    Case("\x07refuse\x7f\x9b", "I refuse", True, "bell, delete and a C1 control are noise"),
    Case("\x1b[31m refuse", "I refuse", False, "an escape sequence leaves a word (31m) to be found too"),
    Case("refuse " * 2000, "I refuse", True, "a 14,000-character query of one word"),
]
