"""The press page's chart in a real Chromium, at a phone's width and a desktop's: labels a person can
read, in the page's language, each day shown whole and in order; the range form's errors in place."""

from datetime import UTC, datetime

import pytest

from tests.factories import make_letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


@pytest.mark.parametrize("width", [390, 1280])
def test_the_chart_s_labels_are_readable_on_a_phone_and_read_in_order(page, width):
    make_letter(published_at=datetime(2026, 6, 10, 9, tzinfo=UTC))
    make_letter(language="ar", published_at=datetime(2026, 7, 2, 9, tzinfo=UTC))
    page.set_viewport_size({"width": width, "height": 900})
    for language, first, last in (("he", "10 ביוני 2026", "2 ביולי 2026"), ("ar", "10 يونيو 2026", "2 يوليو 2026"), ("en", "June 10, 2026", "July 2, 2026")):
        page.goto(f"/press?lang={language}")
        labels = page.locator(".chart-x bdi")
        assert labels.all_inner_texts() == [first, last]
        boxes = [labels.nth(i).bounding_box() for i in range(2)]
        drawing = page.locator(".chart-drawing svg").bounding_box()
        assert boxes[0]["x"] + boxes[0]["width"] < boxes[1]["x"], "the first day at the left, the last at the right"
        assert abs(boxes[0]["x"] - drawing["x"]) < 2 and abs(boxes[1]["x"] + boxes[1]["width"] - drawing["x"] - drawing["width"]) < 2
        size = float(labels.first.evaluate("label => getComputedStyle(label).fontSize").removesuffix("px"))
        assert size >= 13, f"{size} px: readable without zooming"
        assert drawing["width"] <= width - 16, "the chart fits the screen"
        top = page.locator(".chart-y span").first
        assert top.inner_text() == "2" and top.bounding_box()["height"] >= 12
