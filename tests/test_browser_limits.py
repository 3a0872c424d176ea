"""A refuser in a real Chromium, in Hebrew, with scripts on and the site's own Content-Security-Policy:
pastes a letter longer than the limit, is told by the counter and by the server (with the whole letter
kept), shortens it and sends it."""

import pytest
from playwright.sync_api import expect

from refusal_site.extensions import db
from refusal_site.models import Letter

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PARAGRAPH = "אני מסרבת לשרת בשטחים, וזו החלטה שקיבלתי אחרי מחשבה ארוכה ומתוך אחריות. "
CLOSING = "\n\nבכבוד רב,\nנועה"
# 23,415 characters, as pasted by the newcomer who lost the end of a letter to the old maxlength.
PASTED = (PARAGRAPH * 400)[: 23_415 - len(CLOSING) - 1] + "." + CLOSING


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


@pytest.fixture
def scripted(browser, live_server):
    """A Hebrew tab with scripts on, under the site's CSP (not bypassed), recording CSP complaints."""
    context = browser.new_context(java_script_enabled=True, base_url=live_server, locale="he-IL")
    tab = context.new_page()
    tab.complaints = []
    # A form sent back with its errors is a 400, which Chromium reports too: that one is expected.
    expected = "Failed to load resource: the server responded with a status of 400"
    tab.on("console", lambda message: tab.complaints.append(message.text) if message.type == "error" and expected not in message.text else None)
    tab.on("pageerror", lambda error: tab.complaints.append(str(error)))
    yield tab
    context.close()


def test_a_refuser_pastes_an_overlong_letter_is_told_shortens_it_and_sends_it(scripted, app):
    page = scripted
    assert len(PASTED) == 23_415
    page.goto("/submit")
    assert page.get_attribute("html", "lang") == "he"
    page.fill("#display_name", "נועה כהן")
    page.check("input[name=language][value=he]")
    page.fill("#contact_email", "noa@private.example")
    page.check("#consent_name")
    page.check("#consent_public")

    counter = page.locator("#body-counter")
    expect(counter).to_have_text("0 מתוך 20,000 תווים")
    page.locator("#body").focus()
    page.keyboard.insert_text(PASTED)  # as a paste: one input event, no keys
    assert page.input_value("#body") == PASTED, "the box keeps every character pasted"
    expect(counter).to_have_text("23,415 מתוך 20,000 תווים: 3,415 יותר מדי. נא לקצר את הטקסט.")
    expect(counter).to_have_class("counter counter--over")
    # Screen readers hear it once typing pauses, from a polite live region.
    expect(page.locator("#body-status")).to_have_attribute("aria-live", "polite")
    expect(page.locator("#body-status")).to_have_text("23,415 מתוך 20,000 תווים: 3,415 יותר מדי. נא לקצר את הטקסט.")
    assert "body-counter" in page.get_attribute("#body", "aria-describedby").split()

    # Sent anyway: the server refuses, says why next to the box, and gives the whole letter back.
    page.click("button[type=submit]")
    expect(page.locator("#body-error")).to_contain_text("יש כאן 23,415 תווים, והמקסימום הוא 20,000")
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.input_value("#body").replace("\r\n", "\n") == PASTED
    expect(counter).to_have_text("23,415 מתוך 20,000 תווים: 3,415 יותר מדי. נא לקצר את הטקסט.")
    assert page.is_checked("#consent_name") and page.input_value("#display_name") == "נועה כהן"

    # She cuts a middle paragraph-worth of text, keeping her closing and signature.
    shortened = PASTED[:15_000].rstrip() + PASTED[-4_000:]
    page.fill("#body", shortened)
    count = len(shortened.strip())
    expect(counter).to_have_text(f"{count:,} מתוך 20,000 תווים")
    expect(page.locator("#body-status")).to_have_text(f"עכשיו בתוך המגבלה: {count:,} מתוך 20,000 תווים.")
    page.click("button[type=submit]")
    page.wait_for_url("**/submit/sent")

    db.session.expire_all()
    (letter,) = db.session.query(Letter).all()
    assert letter.body_text == shortened.strip() and letter.body_text.endswith(CLOSING)
    assert page.complaints == [], "no script error, nothing refused by the Content-Security-Policy"


def test_a_one_line_field_shows_its_count_only_near_its_limit(scripted, app):
    page = scripted
    page.goto("/submit")
    counter = page.locator("#display_name-counter")
    page.fill("#display_name", "נועה כהן")
    expect(counter).to_be_hidden()
    page.fill("#display_name", "א" * 100)
    expect(counter).to_have_text("100 מתוך 120 תווים")
    page.fill("#display_name", "א" * 130)
    expect(counter).to_have_text("130 מתוך 120 תווים: 10 יותר מדי. נא לקצר את הטקסט.")
    assert page.input_value("#display_name") == "א" * 130
    assert page.complaints == []
