"""One page of a long list. Numbered pages (the moderators' queues, a letter's signers): how many pages
a total fills, which numbers are pages, and what a page carries. Keyset pages (the public letters,
which may be 100,000): a page is named by where it starts, as an opaque cursor."""

import base64
import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


class PageOutOfRange(Exception):
    """There is no page of that number (the views answer 404)."""


@dataclass(frozen=True)
class Page:
    items: list
    number: int
    pages: int
    total: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def count_pages(number: int, per_page: int, total: int) -> int:
    """How many pages `total` items fill (an empty list is one empty page); PageOutOfRange unless
    page `number` is one of them."""
    pages = max(1, math.ceil(total / per_page))
    if not 1 <= number <= pages:
        raise PageOutOfRange(f"page {number} of {pages}")
    return pages


# --- keyset paging: a page starts where the last one stopped, so page 4,000 costs what page 1 costs ---

# What an id may be (a PostgreSQL INTEGER): a larger one would be a database error, not "no letter".
_MAX_ID = 2**31 - 1
_PLAIN = struct.Struct(">qi")  # microseconds since the epoch, id
_RANKED = struct.Struct(">dqi")  # rank, then the same
# Longer than any cursor we write (27 characters); a longer text is refused before it is decoded.
_CURSOR_MAX = 40
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class BadCursor(ValueError):
    """A cursor that is not one we could have written (damaged, forged, cut)."""


@dataclass(frozen=True)
class Key:
    """Where an item stands in a list ordered by rank (search results only), then time, then id,
    each descending: the first and last items of a page are where the pages beside it start."""

    published_at: datetime
    id: int
    rank: float | None = None


@dataclass(frozen=True)
class Slice:
    """One page of a keyset-paged list: the items, how many the whole list holds, and where the
    pages before and after it start (None: there is none)."""

    items: list
    total: int
    newer: Key | None
    older: Key | None
    ranked: bool = False  # best first (a search's keys carry the rank), else newest first


def encode_cursor(key: Key) -> str:
    """The key as an opaque, URL-safe text: not secret (it only says where a page starts), and
    one key has one spelling, so a page has one address."""
    micros = (key.published_at - _EPOCH) // timedelta(microseconds=1)
    packed = _PLAIN.pack(micros, key.id) if key.rank is None else _RANKED.pack(key.rank, micros, key.id)
    return base64.urlsafe_b64encode(packed).rstrip(b"=").decode()


def decode_cursor(text: str) -> Key:
    """The key `encode_cursor` wrote; BadCursor for anything else (any length, any bytes)."""
    if not 0 < len(text) <= _CURSOR_MAX or not text.isascii():
        raise BadCursor("not a cursor")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError:
        raise BadCursor("not base64") from None
    if len(packed) == _PLAIN.size:
        rank, (micros, id_) = None, _PLAIN.unpack(packed)
    elif len(packed) == _RANKED.size:
        rank, micros, id_ = _RANKED.unpack(packed)
        if not math.isfinite(rank):
            raise BadCursor("not a rank")
    else:
        raise BadCursor("not a key's length")
    if not 1 <= id_ <= _MAX_ID:
        raise BadCursor("not an id")
    try:
        key = Key(_EPOCH + timedelta(microseconds=micros), id_, rank)
    except OverflowError:
        raise BadCursor("not a time") from None
    if encode_cursor(key) != text:
        raise BadCursor("not the one spelling of its key")  # e.g. other trailing bits
    return key
