"""A moderator in a real Chromium, without JavaScript: sign in, approve the oldest, reject another."""

import re

import pytest
from playwright.sync_api import expect

from refusal_site import moderators
from refusal_site.models import LetterStatus
from tests.conftest import PASSWORD
from tests.factories import make_letter
from tests.pages import delivered

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def test_a_moderator_approves_the_oldest_and_rejects_another(page, app, live_server):
    oldest = make_letter(LetterStatus.PENDING, display_name="Oldest Letter", language="en")
    other = make_letter(LetterStatus.PENDING, display_name="سامي حلبي", language="ar", contact_email="sami@private.example")
    make_letter(LetterStatus.PUBLISHED)
    moderators.create("editor@team.example", PASSWORD)

    page.goto("/")
    before = int(re.search(r"\d+", page.inner_text(".count")).group())

    page.goto("/moderate/")
    page.wait_for_url("**/moderate/sign-in**")
    page.fill("#email", "editor@team.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/moderate/")

    page.click("table.queue tbody tr:first-child a")
    page.wait_for_url(f"**/moderate/letters/{oldest.public_id}")
    expect(page.locator(".public-preview article")).to_have_attribute("lang", "en")
    page.click("form[action$='/approve'] button")
    page.wait_for_url("**/moderate/")

    page.goto("/")
    expect(page.locator(".count")).to_contain_text(str(before + 1))

    page.goto(f"/moderate/letters/{other.public_id}")
    page.fill("form[action$='/reject'] textarea", "We could not verify that this letter is yours.")
    page.click("form[action$='/reject'] button")
    # Nothing is done before the confirming page's button.
    expect(page.locator(".reason-preview")).to_have_text("We could not verify that this letter is yours.")
    page.click(".confirm-form button:not([name])")
    page.wait_for_url("**/moderate/")

    # The approved letter's author is told it is public; the other, why it is not.
    published, message = delivered(app, 2)
    assert published["To"] == oldest.contact_email and "/letters/" in published.get_content()
    assert message["To"] == "sami@private.example" and message["Content-Language"] == "ar"
    assert "We could not verify that this letter is yours." in message.get_content()
    assert all(url.startswith(live_server) for url in page.requested_urls)


def test_a_letter_s_private_details_line_up_at_the_start_of_a_hebrew_page(page):
    """An address runs left to right inside its own box; the box, like the dates under it, starts on
    the page's side (right), not on the far left."""
    letter = make_letter(LetterStatus.PENDING, contact_email="noa@private.example")
    moderators.create("details@team.example", PASSWORD)
    page.goto("/moderate/sign-in")
    page.fill("#email", "details@team.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.goto(f"/moderate/letters/{letter.public_id}")
    rows = page.locator(".private-details dd")
    address, submitted = rows.nth(0).locator("bdi"), rows.nth(1).locator("time")
    expect(address).to_have_text("noa@private.example")
    right_edge = lambda locator: locator.bounding_box()["x"] + locator.bounding_box()["width"]
    assert abs(right_edge(address) - right_edge(submitted)) < 1, "the address starts where the date starts"
