"""What the public reads, through the domain functions."""

import dataclasses

import pytest

from refusal_site import published, tally
from refusal_site.paging import PageOutOfRange
from tests.factories import make_letter


def test_the_list_takes_its_total_from_the_tally_and_old_page_numbers_end_with_the_letters(app):
    for language in ("he", "he", "ar"):
        make_letter(language=language)
    counted = tally.snapshot()
    found = published.letter_slice(published.LetterFilter(), 2, counted)
    assert (found.total, len(found.items), found.newer) == (3, 2, None) and found.older is not None
    # The tally is what the list says, even when it says what the rows do not (it is the one count).
    told = dataclasses.replace(counted, letters_ar=41)
    assert published.letter_slice(published.LetterFilter(language="ar"), 2, told).total == 41
    assert published.start_of_page(1, published.LetterFilter(), 2, counted) is None
    assert published.start_of_page(2, published.LetterFilter(), 2, counted) == found.older
    with pytest.raises(PageOutOfRange):
        published.start_of_page(3, published.LetterFilter(), 2, counted)
    with pytest.raises(PageOutOfRange):
        published.start_of_page(0, published.LetterFilter(), 2, counted)
