"""Co-signing in a real Chromium, without JavaScript: a signer signs in Hebrew, a moderator approves
all shown at once, and the letter's page and count show the new refuser."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_collective, make_signature
from tests.pages import delivered, links_in, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def test_a_signer_co_signs_and_a_moderator_approves_in_bulk(page, app, live_server, browser):
    letter = make_collective(title="מכתב הטייסים")
    for _ in range(3):
        make_signature(letter, "pending")
    page.goto(f"/letters/{letter.public_id}")
    page.click(".sign-invitation a")
    page.wait_for_url(f"**/letters/{letter.public_id}/sign")
    assert page.get_attribute("html", "dir") == "rtl"

    page.fill("#display_name", "יואב לוי")
    page.fill("#contact_email", "yoav@private.example")
    page.click("button[type=submit]")  # the consent is missing: told, and what was typed stays
    expect(page.locator("#consent_public-error")).to_be_visible()
    assert page.input_value("#display_name") == "יואב לוי"
    page.check("#consent_public")
    page.click("button[type=submit]")
    page.wait_for_url("**/sign/sent")

    (message,) = delivered(app)
    confirm_url, _manage_url = links_in(message)
    page.goto(path_of(confirm_url))
    page.click("button[type=submit]")
    page.wait_for_url("**/my-signature/**")
    expect(page.locator(".status--pending")).to_have_count(1)

    # A moderator, in a browser of their own, approves the four pending signatures with one press.
    from refusal_site import moderators

    moderators.create("mod@team.example", "a long enough password")
    context = browser.new_context(base_url=live_server, java_script_enabled=False, locale="he-IL")
    moderator = context.new_page()
    moderator.goto("/moderate/sign-in")
    moderator.fill("#email", "mod@team.example")
    moderator.fill("#password", "a long enough password")
    moderator.click("button[type=submit]")
    moderator.goto(f"/moderate/signatures?letter={letter.public_id}")
    expect(moderator.locator("input[name=selected]")).to_have_count(4)
    moderator.click("button[name=scope][value=shown]")
    expect(moderator.locator(".flash")).to_contain_text("4")
    context.close()

    page.goto(f"/letters/{letter.public_id}")
    expect(page.locator(".signer-list li")).to_have_count(4)
    expect(page.locator(".signer-list")).to_contain_text("יואב לוי")
    page.goto("/?lang=en")
    expect(page.locator(".count")).to_contain_text("5 public refusers")
