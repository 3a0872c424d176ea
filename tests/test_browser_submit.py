"""A newcomer in a real Chromium, without JavaScript: Hebrew form, mail, confirm, pending, withdraw."""

import pytest
from playwright.sync_api import expect

from refusal_site.models import LetterStatus
from tests.pages import delivered, links_in, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def test_a_newcomer_publishes_confirms_and_withdraws(page, app, live_server):
    page.goto("/")
    page.click(".site-nav a[href='/submit']")
    page.wait_for_url("**/submit")
    assert page.get_attribute("html", "dir") == "rtl"

    # First attempt without the consents: the page says what to fix and keeps what was typed.
    page.fill("#display_name", "נועה כהן")
    page.fill("#descriptor", "סמלת במילואים, חיל ההנדסה")
    page.check("input[name=language][value=he]")
    page.fill("#body", "אני מסרבת לשרת.\n\nזו החלטה שקיבלתי אחרי מחשבה ארוכה.")
    page.fill("#contact_email", "noa@private.example")
    page.click("button[type=submit]")
    expect(page.locator("#consent_name-error")).to_be_visible()
    assert page.input_value("#display_name") == "נועה כהן"

    page.check("#consent_name")
    page.check("#consent_public")
    page.click("button[type=submit]")
    page.wait_for_url("**/submit/sent")
    expect(page.locator("bdi", has_text="noa@private.example").first).to_be_visible()  # where the mail went

    (message,) = delivered(app)
    confirm_url, manage_url = links_in(message)
    page.goto(path_of(confirm_url))
    assert page.locator("article.letter").get_attribute("dir") == "rtl"
    page.click("button[type=submit]")
    page.wait_for_url("**/my-letter/**")
    expect(page.locator(".status--pending")).to_have_count(1)

    from refusal_site import letters, mail
    from refusal_site.extensions import db
    from refusal_site.models import Letter

    db.session.rollback()
    letters.publish(db.session.query(Letter).one(), by="test")
    mail.deliver_due()
    told = delivered(app, 2)[-1]
    assert path_of(links_in(told)[0]).startswith("/letters/"), "told of publication, with the public link"
    page.reload()
    expect(page.locator(".status--published")).to_have_count(1)

    page.check("#understood")
    page.click("button.button--danger")
    expect(page.locator(".status--withdrawn")).to_have_count(1)

    db.session.expire_all()
    assert db.session.query(Letter).one().status == LetterStatus.WITHDRAWN
    assert all(url.startswith(live_server) for url in page.requested_urls)


def test_back_after_sending_a_form_shows_the_page_again_without_sending_the_form(page, live_server):
    """Post/Redirect/Get: Back to the page a form led to fetches that page (a GET); the browser never
    asks to confirm sending the form again, nor sends it."""
    navigations = []
    page.on("request", lambda request: navigations.append(request.method) if request.is_navigation_request() else None)

    page.goto("/submit?lang=en")
    page.fill("#display_name", "Noa Cohen")
    page.check("input[name=language][value=en]")
    page.fill("#body", "I refuse to serve.")
    page.fill("#contact_email", "noa@private.example")
    page.check("#consent_name")
    page.check("#consent_public")
    page.click("button[type=submit]")
    page.wait_for_url("**/submit/sent")
    page.goto("/submit/resend")
    page.fill("#contact_email", "noa@private.example")
    page.click("button[type=submit]")
    page.wait_for_url("**/submit/resend/sent")
    page.click(".site-name")  # on to another page, then back, twice
    page.wait_for_url(f"{live_server}/")

    for expected in ("/submit/resend/sent", "/submit/resend", "/submit/sent"):
        navigations.clear()
        response = page.go_back()
        assert response is not None and response.ok and response.request.method == "GET", expected
        assert page.url == f"{live_server}{expected}" and navigations == ["GET"], (expected, navigations)
    expect(page.locator("bdi", has_text="noa@private.example").first).to_be_visible()
