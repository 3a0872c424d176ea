"""A reader writes to the team in Hebrew from the footer, in a real Chromium without JavaScript; a
moderator signs in with a password and a one-time code, reads the message in the inbox and marks it
handled."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from refusal_site import moderators
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MESSAGE = "שלום, אני כתבת ורוצה לראיין את כותבי המכתבים.\nאפשר לחזור אליי בדוא״ל."


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def test_a_reader_sends_a_press_enquiry_that_a_moderator_reads(page, live_server):
    moderator = moderators.create("inbox@team.example", PASSWORD)
    secret = pyotp.random_base32()
    # Set up with the previous step's code, so the one the moderator types now is still unused.
    moderators.enable_totp(moderator, secret, pyotp.TOTP(secret).at(time.time() - 30))

    page.goto("/")
    assert page.get_attribute("html", "lang") == "he"
    page.click("footer a[href='/contact']")
    page.wait_for_url("**/contact")
    expect(page.locator("h1")).to_have_text("כתיבה לצוות")
    page.check("input[name=kind][value=press]")
    page.fill("#name", "דנה לוי")
    page.fill("#reply_email", "dana@press.example")
    page.fill("#message", MESSAGE)
    page.click("form[action='/contact'] button[type=submit]")
    page.wait_for_url("**/contact/sent")
    expect(page.locator("h1")).to_have_text("ההודעה נשלחה")

    page.goto("/moderate/inbox")
    page.wait_for_url("**/moderate/sign-in**")
    page.fill("#email", "inbox@team.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/moderate/sign-in/code**")
    expect(page.locator("h1")).to_have_text("קוד חד־פעמי")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    page.wait_for_url("**/moderate/inbox")  # back where the moderator was going
    row = page.locator("table.inbox tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".kind-press")).to_have_text("פנייה עיתונאית")
    row.locator("a").click()
    expect(page.locator(".message-text")).to_have_text(MESSAGE)
    expect(page.locator(".private-details")).to_contain_text("dana@press.example")
    page.click("form[action$='/handled'] button")
    page.wait_for_url("**/moderate/inbox")
    expect(page.locator("table.inbox")).to_have_count(0)
    assert all(url.startswith(live_server) for url in page.requested_urls)
