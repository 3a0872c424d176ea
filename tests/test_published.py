"""What the public reads, through the domain functions."""

import pytest

from refusal_site import published, tally
from refusal_site.paging import PageOutOfRange
from tests.factories import make_letter


def test_published_page_takes_its_total_from_the_tally(app):
    for language in ("he", "he", "ar"):
        make_letter(language=language)
    counted = tally.snapshot()
    page = published.published_page(1, 2, counted)
    assert (page.total, page.pages, len(page.items)) == (3, 2, 2)
    assert published.published_page(1, 2, counted, "ar").total == 1
    with pytest.raises(PageOutOfRange):
        published.published_page(3, 2, counted)
    with pytest.raises(PageOutOfRange):
        published.published_page(0, 2, counted)
