"""A co-signer's safety pause in a real Chromium, in Hebrew and without JavaScript: the signer hides
their signature from their private page (off the letter's list and the count at once) and shows it
again (back in its place among the signers, counted again)."""

import pytest
from playwright.sync_api import expect

from refusal_site import tokens
from tests.factories import make_collective, make_signature

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def test_a_co_signer_hides_their_signature_and_shows_it_again_in_its_place(page, app):
    letter = make_collective(title="מכתב הטייסים")
    names = ["אבי כהן", "דנה כץ", "רון לוי"]
    hiding = [make_signature(letter, name=name) for name in names][1]
    private = f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, hiding)}"
    signers = page.locator(".signer-list .signer-name")

    page.goto(private)
    assert page.get_attribute("html", "dir") == "rtl"
    expect(page.locator(".status--published")).to_have_count(1)
    page.click("form[action$='/hide'] button")
    expect(page.locator(".flash")).to_contain_text("בוצע: החתימה שלך מוסתרת")
    expect(page.locator(".status--paused")).to_contain_text("מוסתר לעת עתה")
    expect(page.locator("form[action$='/hide']")).to_have_count(0)
    expect(page.locator("form[action$='/show'] button")).to_have_text("הצגת החתימה שלי מחדש")

    page.goto(f"/letters/{letter.public_id}")
    expect(signers).to_have_text(["אבי כהן", "רון לוי"])
    page.goto("/?lang=en")
    expect(page.locator(".count")).to_contain_text("3 public refusers")

    page.goto(f"{private}?lang=he")  # the language chosen last stays: back to Hebrew
    page.click("form[action$='/show'] button")
    expect(page.locator(".flash")).to_contain_text("בוצע: שמך חזר אל מתחת למכתב")
    expect(page.locator(".status--published")).to_have_count(1)
    page.go_back()  # the page before showing again: loaded afresh, without asking to resend a form
    expect(page.locator(".status--published")).to_have_count(1)
    page.goto(f"/letters/{letter.public_id}")
    expect(signers).to_have_text(names)
    page.goto("/?lang=en")
    expect(page.locator(".count")).to_contain_text("4 public refusers")
