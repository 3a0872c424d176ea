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
    # How many shingle hashes have each bit set, counted for all 64 bits at once: planes[i] holds
    # bit i of every bit's count (a binary counter per bit, added to like a carry-save adder), so a
    # hash costs a few integer operations instead of 64 (this runs on every submission).
    planes: list[int] = []
    for shingle in shingles:
        carry = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "big")
        for i, plane in enumerate(planes):
            planes[i] = plane ^ carry
            carry &= plane
            if not carry:
                break
        else:
            if carry:
                planes.append(carry)
    # A bit is set when more hashes have it than not.
    value = 0
    for bit in range(SIMHASH_BITS):
        ones = sum((plane >> bit & 1) << i for i, plane in enumerate(planes))
        if 2 * ones > len(shingles):
            value |= 1 << bit
    return value - (1 << SIMHASH_BITS) if value >= 1 << (SIMHASH_BITS - 1) else value


def distance(a: int, b: int) -> int:
    """How many of the 64 bits differ."""
    return ((a ^ b) & ((1 << SIMHASH_BITS) - 1)).bit_count()
