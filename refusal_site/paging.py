"""One page of a long list (the public letters, the moderators' queues, a letter's signers): how many
pages a total fills, which numbers are pages, and what a page carries."""

import math
from dataclasses import dataclass


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
