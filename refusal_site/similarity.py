"""Telling moderators that two letters might be the same: folded names and SimHash of the text."""

import hashlib
import re
import unicodedata

from . import sanitize

_WORDS = re.compile(r"\w+")
SIMHASH_BITS = 64
# Texts whose fingerprints differ in at most this many bits are shown as possible duplicates.
NEAR_DUPLICATE_BITS = 6


def name_key(name: str) -> str:
    """A name folded for comparison: case, accents and Hebrew/Arabic marks, spacing, punctuation."""
    decomposed = unicodedata.normalize("NFKD", sanitize.clean_line(name).casefold())
    letters_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_WORDS.findall(letters_only))[:120]


def text_simhash(text: str) -> int:
    """A 64-bit SimHash over word trigrams, as a signed integer (fits a BIGINT column)."""
    words = _WORDS.findall(unicodedata.normalize("NFKC", text.casefold()))
    shingles = [" ".join(words[i : i + 3]) for i in range(max(1, len(words) - 2))] if words else []
    weights = [0] * SIMHASH_BITS
    for shingle in shingles:
        h = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for bit in range(SIMHASH_BITS):
            weights[bit] += 1 if h >> bit & 1 else -1
    value = sum(1 << bit for bit in range(SIMHASH_BITS) if weights[bit] > 0)
    return value - (1 << SIMHASH_BITS) if value >= 1 << (SIMHASH_BITS - 1) else value


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return ((a ^ b) & ((1 << SIMHASH_BITS) - 1)).bit_count()
