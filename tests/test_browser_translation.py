"""A translation through the real pages, in Chromium without JavaScript: a translator signs in, claims a
Hebrew letter, writes an English translation and sends it; the author gets the mail in Hebrew and
approves it on the letter's private page.

`translate_and_approve` does all of that for other journeys (the public side's) that start from an
approved translation made the way people make one."""

import pytest
from playwright.sync_api import Page, expect

from refusal_site import letter_translations, moderators
from refusal_site.extensions import db
from refusal_site.models import Letter, Role, Translation
from tests.conftest import PASSWORD
from tests.factories import make_letter
from tests.pages import delivered, links_in, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TITLE = "Not in my name"
BODY = "I refuse to serve. I made this decision after long thought.\n\nI write under my full name."


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def translate_and_approve(page: Page, app, letter: Letter, *, title: str = TITLE, body: str = BODY,
                          translator_email: str = "translator@team.example") -> Translation:  # fmt: skip
    """A translator (made now) signs in, claims `letter` (published, in Hebrew), writes its English
    translation and sends it; its author opens the mailed link and approves it. The tab is Hebrew."""
    moderators.create(translator_email, PASSWORD, role=Role.TRANSLATOR)
    page.goto("/moderate/sign-in")
    page.fill("#email", translator_email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/moderate/translations")  # a translator's home: the letters to translate
    row = page.locator("table.queue tr", has_text=letter.title or letter.display_name)
    row.locator("button:has-text('תפיסה לעבודה')").click()
    page.wait_for_url(f"**/moderate/translations/{letter.public_id}/en")
    expect(page.locator("main")).to_contain_text("נתפס בידיך לעבודה.")
    page.get_by_label("כותרת").fill(title)
    page.get_by_label("תרגום", exact=True).fill(body)
    page.get_by_role("button", name="שמירת התרגום").click()
    expect(page.locator(".flash")).to_contain_text("נשמר.")
    mail_before = {m["Message-ID"] for m in delivered(app, timeout=0)}
    page.get_by_role("button", name="שליחה לכותב המכתב").click()
    page.wait_for_url("**/moderate/translations?language=en")
    expect(page.locator(".flash")).to_contain_text("נשלח")
    page.get_by_role("button", name="התנתקות").click()

    # The author: the mail in the letter's language, the translation in it, the link to the private page.
    deadline_count = len(mail_before) + 1
    (mail,) = [m for m in delivered(app, deadline_count) if m["Message-ID"] not in mail_before]
    assert mail["To"] == letter.contact_email and mail["Content-Language"] == "he"
    assert "I refuse to serve." in mail.get_content()
    manage_path = next(path_of(url) for url in links_in(mail) if "/my-letter/" in url)
    page.goto(manage_path)
    expect(page.get_by_role("heading", name="תרגום לאנגלית ממתין לאישור")).to_be_visible()
    expect(page.locator(".translation-review article[lang=en]")).to_contain_text("I write under my full name.")
    page.get_by_role("button", name="אישור התרגום").click()
    expect(page.locator(".flash")).to_contain_text("התרגום אושר")
    db.session.rollback()
    (translation,) = letter_translations.of_letter(letter, "en")
    return translation


def test_a_translator_writes_an_english_translation_and_the_author_approves_it(page, app, live_server):
    letter = make_letter(language="he", title="לא בשמי", contact_email="noa@private.example")
    translation = translate_and_approve(page, app, letter)
    assert (translation.status, translation.approved_by, translation.title) == ("approved", "author", TITLE)
    assert translation.body_text == BODY and translation.is_public
    # Nothing reached any other host.
    assert all(url.startswith(live_server) for url in page.requested_urls)
