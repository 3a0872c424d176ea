"""The team's check of an author's translation through the real pages, in Chromium: the author writes
an English translation of their Hebrew letter on its private page; it is nowhere public; a moderator
finds it among those written by authors, sends it back with a reason; the author reads it in the mail
and on the private page, corrects it and sends it again; the moderator publishes it and an English
reader finds it. And a letter sent with its translation, published with it from the review page.
Every new or changed page is judged by axe (WCAG 2.1 AA) and the Nu HTML Checker on the way."""

import pytest
from playwright.sync_api import expect

from refusal_site import letters, moderators, tokens
from refusal_site.extensions import db
from refusal_site.models import Letter
from tests.conftest import PASSWORD
from tests.factories import make_letter
from tests.pages import delivered, links_in, path_of
from tests.test_accessibility import violations
from tests.test_valid_html import run_vnu

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODERATOR = "checker@team.example"


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


@pytest.fixture
def tab(browser, live_server):
    """An English tab that runs scripts (axe needs to), the site's CSP bypassed for the injected script only."""
    context = browser.new_context(base_url=live_server, java_script_enabled=True, bypass_csp=True, locale="en-US")
    yield context.new_page()
    context.close()


class Judge:
    """axe on each page as it is shown, and each page's HTML kept for one run of the Nu HTML Checker."""

    def __init__(self, tmp_path) -> None:
        self.found: list[str] = []
        self.files = []
        self.tmp_path = tmp_path

    def __call__(self, tab) -> None:
        path = self.tmp_path / f"page{len(self.files)}.html"
        path.write_text(tab.content())  # before axe adds its script to the page
        self.files.append(path)
        self.found += violations(tab)

    def verdict(self) -> list[str]:
        return self.found + [f"{m.get('url', '')}:{m.get('lastLine')}: {m.get('message')}" for m in run_vnu(self.files)]


def sign_in(tab) -> None:
    moderators.create(MODERATOR, PASSWORD)
    tab.goto("/moderate/sign-in")
    tab.fill("#email", MODERATOR)
    tab.fill("#password", PASSWORD)
    tab.click("main button[type=submit]")
    tab.wait_for_url("**/moderate/")


def test_the_authors_translation_is_checked_sent_back_corrected_and_published(app, tab, tmp_path):
    judge = Judge(tmp_path)
    letter = make_letter(language="he", title="לא בשמי", contact_email="noa@private.example")
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    tab.goto(manage)
    tab.get_by_role("radio", name="English").check()
    tab.get_by_label("Title (optional)").fill("Not in my name")
    tab.locator("#own-body").fill("I refuse to serve.")
    tab.get_by_role("button", name="Send my translation to be checked").click()
    expect(tab.locator(".flash")).to_contain_text("the site's team checks your translation")
    expect(tab.get_by_role("heading", name="Your translation into English")).to_be_visible()
    judge(tab)
    assert tab.goto(f"/letters/{letter.public_id}/en").status == 404

    sign_in(tab)
    tab.get_by_role("link", name="Translations").click()
    tab.get_by_role("link", name="Written by authors, waiting for a check").click()
    judge(tab)
    tab.get_by_role("link", name="Not in my name").click()
    expect(tab.locator("article[lang=en][dir=ltr]")).to_contain_text("I refuse to serve.")
    judge(tab)
    tab.get_by_label("Why it is not published, for the author").fill("חסרה השורה השנייה של המכתב.")
    mail_before = len(delivered(app, timeout=0))
    tab.get_by_role("button", name="Send it back to the author").click()
    expect(tab.locator(".flash")).to_contain_text("Sent back")

    mail = delivered(app, mail_before + 1)[-1]
    assert mail["To"] == "noa@private.example" and mail["Content-Language"] == "he"
    assert "חסרה השורה השנייה של המכתב." in mail.get_content()
    tab.goto(next(path_of(url) for url in links_in(mail) if "/my-letter/" in url))
    expect(tab.locator(".team-reason")).to_have_text("חסרה השורה השנייה של המכתב.")
    judge(tab)
    tab.locator("#own-body").fill("I refuse to serve.\n\nI write under my full name.")
    tab.get_by_role("button", name="Send my translation to be checked").click()
    expect(tab.locator(".flash")).to_contain_text("the site's team checks your translation")

    tab.goto("/moderate/translations/by-authors")
    tab.get_by_role("link", name="Not in my name").click()
    tab.get_by_role("button", name="Publish the translation").click()
    expect(tab.locator(".flash")).to_contain_text("Published: the translation is shown beside the letter")
    tab.goto(f"/letters/{letter.public_id}/en")
    expect(tab.locator("article[lang=en] .translation-note")).to_have_text("Translation from Hebrew, approved by the author")
    expect(tab.locator("article[lang=en]")).to_contain_text("I write under my full name.")
    assert judge.verdict() == []


def test_a_letter_sent_with_its_translation_is_published_with_it(app, tab, tmp_path):
    judge = Judge(tmp_path)
    tab.goto("/submit")
    tab.get_by_label("Your name, as it will be published").fill("Noa Cohen")
    tab.get_by_role("radio", name="עברית").check()
    tab.get_by_label("Your letter").fill("אני מסרבת לשרת.")
    tab.get_by_text("Add a translation of your letter (optional)").click()
    tab.get_by_label("Language of the translation").select_option("he")  # the letter's own: refused
    tab.get_by_label("The translation", exact=True).fill("I refuse to serve.")
    tab.get_by_label("Your e-mail address (never published)").fill("noa@private.example")
    tab.get_by_label("I want this letter published under the name above.").check()
    tab.get_by_label("I understand that the letter and my name will be public").check()
    tab.get_by_role("button", name="Send the letter").click()
    expect(tab.locator("#second_language-error")).to_contain_text("Please choose another language than the letter's")
    judge(tab)
    tab.get_by_label("Language of the translation").select_option("en")
    tab.get_by_role("button", name="Send the letter").click()
    tab.wait_for_url("**/submit/sent")

    confirm = next(path_of(url) for url in links_in(delivered(app)[-1]) if "/confirm/" in url)
    tab.goto(confirm)
    tab.get_by_role("button").last.click()
    expect(tab.locator("main")).to_contain_text("Given with your letter")
    judge(tab)
    db.session.rollback()
    (letter,) = db.session.query(Letter).all()

    sign_in(tab)
    tab.goto(f"/moderate/letters/{letter.public_id}")
    expect(tab.locator("article[lang=en][dir=ltr]")).to_contain_text("I refuse to serve.")
    judge(tab)
    tab.locator("#publish-with-translations").check()
    tab.get_by_role("button", name="Publish now").click()
    expect(tab.locator(".flash")).to_contain_text("with its author's translation")
    assert tab.goto(f"/letters/{letter.public_id}/en").status == 200
    db.session.rollback()
    assert letters.letter_by_public_id(letter.public_id).status == "published"
    assert judge.verdict() == []
