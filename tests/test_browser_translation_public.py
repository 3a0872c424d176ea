"""The public side of a translation, journey's end (issue 22): an English reader finds the translation
the author approved on the letter's page, in the English feed, the API and the English compilation
(read back with pypdf); once the author withdraws the letter, it is gone from all of them on the next
request."""

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from refusal_site import letters
from refusal_site.compilation import assembly, selection
from refusal_site.extensions import db
from refusal_site.models import Letter
from tests.factories import make_letter
from tests.test_browser_translation import BODY, TITLE, translate_and_approve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def _compiled_text() -> str:
    path = assembly.build(selection.Selection(), "en").path
    return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())


def test_an_english_reader_finds_the_approved_translation_everywhere_until_the_author_withdraws(page: Page, app, client, live_server):
    letter = make_letter(language="he", title="לא בשמי", contact_email="noa@private.example")
    translate_and_approve(page, app, letter)

    page.goto(f"/letters/{letter.public_id}?lang=en")
    page.get_by_role("link", name="Translation into English").click()
    page.wait_for_url(f"**/letters/{letter.public_id}/en")
    article = page.locator("article[lang=en][dir=ltr]")
    expect(article.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(article).to_contain_text("I write under my full name.")
    expect(article.locator(".translation-note")).to_have_text("Translation from Hebrew, approved by the author")
    page.get_by_role("link", name="The original, in Hebrew").click()
    expect(page.locator("article[lang=he][dir=rtl]")).to_contain_text("לא בשמי")

    assert TITLE in client.get("/feed.atom?language=en").get_data(as_text=True)
    assert [t["title"] for t in client.get(f"/api/v1/letters/{letter.public_id}").get_json()["translations"]] == [TITLE]
    compiled = _compiled_text()
    assert "I write under my full name." in compiled and "Translation from Hebrew, approved by the author" in compiled

    letters.withdraw(db.session.get(Letter, letter.id))  # what the author's private page does
    assert page.goto(f"/letters/{letter.public_id}/en?lang=en").status == 404
    assert TITLE not in client.get("/feed.atom?language=en").get_data(as_text=True)
    assert client.get(f"/api/v1/letters/{letter.public_id}").status_code == 404
    assert client.get(f"/letters/{letter.public_id}/en.pdf").status_code == 404
    home = client.get("/?lang=en").get_data(as_text=True)
    assert TITLE not in home and BODY.splitlines()[0] not in home
    assert "I write under my full name." not in _compiled_text()
