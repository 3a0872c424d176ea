"""Turn a letter's words and a reader's query into search terms: one normalization for both sides.

A letter is indexed as the set of `index_terms` of its title, text, names and descriptors; a query
is `query_terms`; a letter matches when every query term is among its index terms. The terms are
plain strings that do not depend on the letter's language, so the same lookup (term equality)
serves SQLite and PostgreSQL, and a Hebrew name in an English letter is found by a Hebrew query.

Every word is normalized the same way on both sides: case folded, compatibility forms unfolded
(NFKC), Hebrew niqqud and cantillation, Arabic tashkeel and Latin accents dropped, Arabic tatweel
dropped, Hebrew final letters folded (ך→כ ...), Arabic alef forms folded (أ إ آ ٱ→ا), ta marbuta to
ha, alef maqsura to ya, digits of any script to ASCII digits. Bidi controls, zero-width and other
format characters are dropped inside a word; control characters, punctuation and symbols separate
words (so `* - ^ : % _ "` of a query are never syntax, only separators). An apostrophe or geresh
between two letters is dropped (צה"ל, צה״ל and צהל are one word; don't and dont too).

Attached prefixes are expanded on the index side only: a Hebrew or Arabic word is indexed as itself
and as each form left after taking off one of `HEBREW_PREFIXES` / `ARABIC_PREFIXES`, as long as at
least `MIN_TERM_CHARS` letters remain. So "סירוב" finds "והסירוב" and "בסירוב", and "جيش" finds
"والجيش" and "للجيش", while a query for "בסירוב" asks for that form (or "ובסירוב"), as typed. The
price: a word that merely starts with a prefix letter is also indexed without it ("בית" also as
"ית", "מלך" also as "לך"), so a short query can find a word it is not (a query "לך" finds "מלך").
Deciding which leading letters are really prefixes needs a dictionary (a morphological analyzer),
which we do not have; the false positives are bounded (at most one term per listed prefix) and
rarer as queries get longer, while missing "והסירוב" would be a miss on nearly every letter.
Suffixes (Hebrew possessives, Arabic plurals) are not expanded.

English (any word of ASCII letters) is reduced by the Snowball English stemmer on both sides,
so "refuse" finds "refused", "refusing" and "refusal". Stop words are not removed.

Every output is bounded: terms are cut to `MAX_TERM_CHARS` (the same cut on both sides, so long
words still match), a query yields at most `MAX_QUERY_TERMS` terms, and a text yields at most
`1 + len(HEBREW_PREFIXES)` terms per word.
"""

import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import snowballstemmer

# Shorter words are not searched for (one letter finds everything) nor indexed.
MIN_TERM_CHARS = 2
# Longer words are cut, on both sides alike (a term column can then be a bounded VARCHAR).
MAX_TERM_CHARS = 48
# A query's further words are not used; the caller can tell the reader (see `query_terms_cut`).
MAX_QUERY_TERMS = 8


def _combinations(*slots: tuple[str, ...]) -> frozenset[str]:
    return frozenset("".join(parts) for parts in itertools.product(*slots)) - {""}


# ו "and", then ש/כש/מש/לכש "that/when/from when", then ה "the" or a preposition ב כ ל מ (with ה: מה).
HEBREW_PREFIXES = _combinations(("", "ו"), ("", "ש", "כש", "מש", "לכש"), ("", "ה", "ב", "כ", "ל", "מ", "מה"))
# و/ف "and/so", then ب ك ل "in/like/for", then ال "the"; ل before ال is written لل.
ARABIC_PREFIXES = frozenset(
    prefix for prefix in _combinations(("", "و", "ف"), ("", "ب", "ك", "ل", "لل"), ("", "ال")) if "لال" not in prefix and "للال" not in prefix
)

_HEBREW_LETTER = "\u05d0-\u05ea"
_ARABIC_LETTER = "\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff"
# Characters that belong inside a word without being letters: combining marks of the Latin, Hebrew
# and Arabic blocks (niqqud, cantillation, tashkeel), tatweel, and format characters (bidi controls,
# zero-width joiners and spaces, soft hyphen) that must not split a word in two.
_IN_WORD = (
    "\u0300-\u036f\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7\u0610-\u061a\u061c\u0640\u064b-\u065f\u0670"
    "\u06d6-\u06dc\u06df-\u06e4\u06e7\u06e8\u06ea-\u06ed\u08d3-\u08ff\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff"
    "\ufe20-\ufe2f\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff"
)
_WORD_CHAR = rf"(?:[^\W_]|[{_IN_WORD}])"
# A word: word characters, joined over an apostrophe or geresh (and over " only between Hebrew
# letters, as in צה"ל), so an abbreviation or a contraction stays one word.
_WORD = re.compile(rf"{_WORD_CHAR}+(?:(?:['\u2019\u05f3\u05f4]|(?<=[{_HEBREW_LETTER}])\"(?=[{_HEBREW_LETTER}])){_WORD_CHAR}+)*")
_NOT_WORD = re.compile(r"[\W_]+")
_HEBREW_WORD = re.compile(rf"[{_HEBREW_LETTER}]+")
_ARABIC_WORD = re.compile(rf"[{_ARABIC_LETTER}]+")
_ASCII_WORD = re.compile(r"[a-z]+")

_FOLD = str.maketrans(
    {
        "ך": "כ", "ם": "מ", "ן": "נ", "ף": "פ", "ץ": "צ",
        "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك",
        "ـ": None, "'": None, "\u2019": None, "\u05f3": None, "\u05f4": None, '"': None,
    }
)  # fmt: skip
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Cc", "Cs", "Co"})
_STEMMER = snowballstemmer.stemmer("english")


def _normalize(raw: str) -> tuple[str, ...]:
    """The normalized words of one raw word (usually one; compatibility forms may split it)."""
    # Only words of a sensible length are kept in the cache, so a query of one 10,000-letter word
    # costs its time once and no memory after.
    return _normalize_cached(raw) if len(raw) <= 4 * MAX_TERM_CHARS else _normalize_word(raw)


@lru_cache(maxsize=65536)
def _normalize_cached(raw: str) -> tuple[str, ...]:
    return _normalize_word(raw)


def _normalize_word(raw: str) -> tuple[str, ...]:
    # Folded between two decompositions: a compatibility form (𝑨) folds only once decomposed (A).
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", raw).casefold())
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) not in _DROPPED_CATEGORIES)
    folded = unicodedata.normalize("NFC", kept.translate(_FOLD))
    if not folded.isascii():
        folded = "".join(str(unicodedata.decimal(ch)) if unicodedata.category(ch) == "Nd" else ch for ch in folded)
    return tuple(word[:MAX_TERM_CHARS] for word in _NOT_WORD.split(folded) if len(word) >= MIN_TERM_CHARS)


def word_spans(text: str) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """Each word of the text as (start, end, its normalized words), positions in the text as given."""
    for match in _WORD.finditer(text):
        if normalized := _normalize(match.group()):
            yield match.start(), match.end(), normalized


def words(text: str) -> list[str]:
    """The normalized words of a text, in order: what both sides are built from."""
    return [word for _, _, normalized in word_spans(text) for word in normalized]


@lru_cache(maxsize=65536)
def query_term(word: str) -> str:
    """The one term a normalized word is looked up as."""
    if _ASCII_WORD.fullmatch(word):
        return _STEMMER.stemWord(word)[:MAX_TERM_CHARS]
    return word


@lru_cache(maxsize=65536)
def _word_index_terms(word: str) -> frozenset[str]:
    terms = {query_term(word)}
    for pattern, prefixes in ((_HEBREW_WORD, HEBREW_PREFIXES), (_ARABIC_WORD, ARABIC_PREFIXES)):
        if pattern.fullmatch(word):
            terms.update(
                word[len(prefix) :]
                for prefix in prefixes
                if word.startswith(prefix) and len(word) - len(prefix) >= MIN_TERM_CHARS
            )
    return frozenset(terms)


def index_terms(texts: Iterable[str]) -> set[str]:
    """The terms a letter is found by: every word of its texts, with the forms its prefixes hide."""
    terms: set[str] = set()
    for text in texts:
        for word in words(text):
            terms |= _word_index_terms(word)
    return terms


def query_terms(query: str) -> list[str]:
    """The distinct terms of a query, in the order typed, at most MAX_QUERY_TERMS of them."""
    terms: list[str] = []
    for word in words(query):
        term = query_term(word)
        if term not in terms:
            terms.append(term)
            if len(terms) == MAX_QUERY_TERMS:
                break
    return terms


def query_terms_cut(query: str) -> bool:
    """Whether the query has more distinct terms than are used."""
    return len(dict.fromkeys(query_term(word) for word in words(query))) > MAX_QUERY_TERMS


def matches(query: str, texts: Iterable[str]) -> bool:
    """Whether texts hold every term of the query (a query without terms matches nothing)."""
    wanted = query_terms(query)
    return bool(wanted) and set(wanted) <= index_terms(texts)


def matching_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Where in the text the words found by these query terms are, to highlight them."""
    wanted = set(terms)
    return [
        (start, end)
        for start, end, normalized in word_spans(text)
        if any(_word_index_terms(word) & wanted for word in normalized)
    ]
