"""Moderation tables on a phone: every page with a table fits 390 pixels without scrolling sideways,
and shows all it shows on a desktop (each row's cells stacked under their column's name)."""

import pyotp
import pytest
from playwright.sync_api import expect

from refusal_site import contact, letters, moderators, pauses
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, Role
from tests.conftest import PASSWORD
from tests.factories import make_collective, make_letter, make_signature

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
LONG_ADDRESS = "a.reservist.with.a.rather.long.address@mail.long-domain-name.example"


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def sign_in_as_admin(page, email: str) -> None:
    secret = pyotp.random_base32()
    admin = moderators.create(email, PASSWORD, role=Role.ADMIN)
    moderators.enable_totp(admin, secret, pyotp.TOTP(secret).at(__import__("time").time() - 30))
    page.goto("/moderate/sign-in")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/moderate/sign-in/code")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    page.wait_for_url("**/moderate/")


def busy_moderation(admin_email: str) -> str:
    """Rows in every table, with long words and addresses; the public id of a letter to review."""
    admin = moderators.by_email(admin_email)
    for language, name in (("he", "אביגיל בן־שושן"), ("ar", "سامي حلبي"), ("en", "Maximilian Featherstonehaugh-Wolfeschlegelstein")):
        make_letter(LetterStatus.PENDING, language=language, display_name=name, contact_email=LONG_ADDRESS)
    published = make_letter(LetterStatus.PENDING, language="en")
    letters.publish(published, by=admin)
    pauses.pause(db.session.get(Letter, published.id))
    collective = make_collective(title="A collective letter with a long title that wraps somewhere")
    for n in range(2):
        make_signature(collective, "pending", email=f"{n}.{LONG_ADDRESS}")
    contact.receive(kind="press", name="Journalist with a long name", reply_email=LONG_ADDRESS, body="שאלה " * 40, language="he")
    moderators.create("second.moderator.with.a.long.address@team.example", PASSWORD)
    return published.public_id


@pytest.mark.parametrize("language", ["he", "ar", "en"])
def test_moderation_tables_fit_a_phone_without_scrolling_sideways(page, live_server, language):
    sign_in_as_admin(page, "admin.person.with.a.long.address@team.example")
    review = busy_moderation("admin.person.with.a.long.address@team.example")
    page.set_viewport_size(PHONE)
    paths = ["/moderate/", "/moderate/signatures", "/moderate/inbox", "/moderate/audit", "/moderate/team", "/moderate/pages",
             f"/moderate/letters/{review}"]
    for path in paths:
        page.goto(f"{path}?lang={language}")
        expect(page.locator("html")).to_have_attribute("lang", language)
        scroll_width, inner_width = page.evaluate("document.fonts.ready.then(() => [document.scrollingElement.scrollWidth, window.innerWidth])")
        assert scroll_width <= inner_width, (path, scroll_width)
    # Stacked, a row still names each of its cells: the audit log's rows say when and what happened.
    page.goto(f"/moderate/audit?lang={language}")
    first = page.locator("table.audit tbody tr").first
    assert first.locator("td").count() >= 3
    label = first.locator("td").first.evaluate("cell => getComputedStyle(cell, '::before').content")
    assert label not in ("none", "normal", '""'), label
