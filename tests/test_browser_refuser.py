"""A refuser's whole loop in Hebrew, in a real Chromium: an over-long letter is refused with a word
and kept whole, shortened and sent; the address is shown, the mail confirms it; a moderator
publishes it and the refuser is told by mail with the public link; the refuser hides it from the
private page (off the list, counted out) and shows it again (back in its place, counted in)."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from refusal_site import letters, mail, moderators
from refusal_site.extensions import db
from refusal_site.models import Letter, utcnow
from tests.conftest import PASSWORD
from tests.factories import make_letter
from tests.pages import delivered, links_in, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PARAGRAPH = "אני מסרבת לשרת בשטחים, וזו החלטה שקיבלתי אחרי מחשבה ארוכה ומתוך אחריות. "
CLOSING = "\n\nבכבוד רב,\nנועה כהן, סמלת במילואים"
# 23,415 characters ending with a signature, as pasted by the newcomer who once lost the end of a letter.
PASTED = (PARAGRAPH * 400)[: 23_415 - len(CLOSING) - 1] + "." + CLOSING
TITLE = "לא בשמי"


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def public_list(page) -> tuple[int, list[str]]:
    """The count of public refusers and the titles of the letters, as the list of letters shows them."""
    page.goto("/letters")
    count = int(re.search(r"[\d,]+", page.inner_text(".count")).group().replace(",", ""))
    return count, page.locator("article.letter .letter-title").all_inner_texts()


def test_a_refuser_is_told_at_every_step_from_an_overlong_letter_to_a_pause(page, app, browser, live_server):
    assert len(PASTED) == 23_415
    make_letter(title="מכתב קודם", published_at=utcnow() - timedelta(days=30))
    before, _ = public_list(page)

    # On her phone, with scripts on, the counter says at once that the pasted letter is too long.
    scripted = browser.new_context(java_script_enabled=True, base_url=live_server, locale="he-IL")
    phone = scripted.new_page()
    phone.goto("/submit")
    phone.locator("#body").focus()
    phone.keyboard.insert_text(PASTED)
    expect(phone.locator("#body-counter")).to_have_text("23,415 מתוך 20,000 תווים: 3,415 יותר מדי. נא לקצר את הטקסט.")
    assert phone.input_value("#body") == PASTED, "nothing cut"
    scripted.close()

    # Without scripts, the server refuses it with a message and gives the whole letter back.
    page.goto("/submit")
    assert page.get_attribute("html", "lang") == "he" and page.get_attribute("html", "dir") == "rtl"
    page.fill("#display_name", "נועה כהן")
    page.fill("#title", TITLE)
    page.check("input[name=language][value=he]")
    page.fill("#contact_email", "noa@private.example")
    page.check("#consent_name")
    page.check("#consent_public")
    page.fill("#body", PASTED)
    with page.expect_response(lambda response: response.request.method == "POST") as refused:
        page.click("form[action='/submit'] button[type=submit]")
    assert refused.value.status == 400
    expect(page.locator("#body-error")).to_contain_text("יש כאן 23,415 תווים, והמקסימום הוא 20,000")
    expect(page.locator(".error-summary")).to_be_visible()
    assert page.input_value("#body").replace("\r\n", "\n") == PASTED, "the whole letter kept in the box"
    assert page.input_value("#display_name") == "נועה כהן" and page.is_checked("#consent_public")

    shortened = PASTED[:15_000].rstrip() + PASTED[-4_000:]
    page.fill("#body", shortened)
    page.click("form[action='/submit'] button[type=submit]")
    page.wait_for_url("**/submit/sent")
    expect(page.locator("h1")).to_have_text("נא לבדוק את תיבת הדוא״ל")
    expect(page.locator("main bdi", has_text="noa@private.example").first).to_be_visible()

    (confirmation,) = delivered(app)
    assert confirmation["To"] == "noa@private.example" and confirmation["Content-Language"] == "he"
    confirm_url, _ = links_in(confirmation)
    page.goto(path_of(confirm_url))
    page.click("main button[type=submit]")
    page.wait_for_url("**/my-letter/**")
    expect(page.locator(".status--pending")).to_have_count(1)
    expect(page.locator(".letter-body")).to_contain_text("נועה כהן, סמלת במילואים")

    # A moderator publishes it (the moderators' own journey goes through their pages).
    db.session.rollback()
    letters.publish(db.session.query(Letter).filter_by(title=TITLE).one(), by=moderators.create("editor@team.example", PASSWORD))
    mail.deliver_due()

    # She is told by mail, in Hebrew, with the public link to share and her private link.
    told = delivered(app, 2)[-1]
    public_url, manage_url = links_in(told)
    assert told["To"] == "noa@private.example" and told["Content-Language"] == "he"
    assert "פורסם" in told["Subject"]
    assert f"הדף הציבורי שלו:\n{public_url}" in told.get_content()
    assert re.fullmatch(r"/letters/[\w-]+", path_of(public_url)) and path_of(manage_url).startswith("/my-letter/")
    page.goto(path_of(public_url))
    expect(page.locator("h1.letter-title")).to_have_text(TITLE)
    expect(page.locator(".letter-body")).to_contain_text("נועה כהן, סמלת במילואים")
    published_on = page.get_attribute("article.letter time", "datetime")

    # Another refuser's letter is published after hers: hers is second on the list, by its date.
    make_letter(title="מכתב חדש יותר")
    shown = before + 2
    assert public_list(page) == (shown, ["מכתב חדש יותר", TITLE, "מכתב קודם"])

    page.goto(path_of(manage_url))
    expect(page.locator(".status--published")).to_have_count(1)
    page.click("form[action$='/hide'] button")
    page.wait_for_url(f"**{path_of(manage_url)}")
    expect(page.locator(".flash")).to_have_text("בוצע: המכתב שלך מוסתר. איש לא רואה אותו באתר עד להצגתו מחדש מהדף הזה.")
    expect(page.locator(".status--paused")).to_contain_text("מוסתר לעת עתה")
    expect(page.locator("form[action$='/show'] button")).to_have_text("הצגת המכתב שלי מחדש")
    assert public_list(page) == (shown - 1, ["מכתב חדש יותר", "מכתב קודם"])
    assert page.goto(path_of(public_url)).status in (404, 410)

    page.goto(path_of(manage_url))
    page.click("form[action$='/show'] button")
    page.wait_for_url(f"**{path_of(manage_url)}")
    expect(page.locator(".flash")).to_have_text("בוצע: המכתב שלך חזר לאתר עם תאריכו המקורי, ושמך נספר שוב.")
    expect(page.locator(".status--published")).to_have_count(1)
    assert public_list(page) == (shown, ["מכתב חדש יותר", TITLE, "מכתב קודם"]), "back in its place, with its date"
    page.goto(path_of(public_url))
    assert page.get_attribute("article.letter time", "datetime") == published_on
    assert all(url.startswith(live_server) for url in page.requested_urls)
