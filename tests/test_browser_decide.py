"""A moderator decides deliberately, in Hebrew, in a real Chromium without JavaScript: the digest mail
leads to the queue; after the password and the one-time code, they reject a letter with a stock
reason through the confirming page (its author is told in the letter's language), and correct
another letter and land back on it."""

import time

import pyotp
import pytest
from playwright.sync_api import expect

from refusal_site import moderators, rejection_reasons
from refusal_site.models import LetterStatus
from tests.conftest import PASSWORD
from tests.factories import make_letter
from tests.pages import delivered, links_in, path_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def test_a_moderator_rejects_with_a_stock_reason_and_corrects_a_letter(page, app, runner, live_server):
    refused = make_letter(LetterStatus.PENDING, display_name="יונתן כהן", language="he", contact_email="yonatan@private.example")
    typo = make_letter(LetterStatus.PENDING, display_name="נועה לוי", language="he", body_text="אני מסרבת לשרת במילואים.\n\nזו החלטה שקיבלתי אחרי מחשבה ארוכה מאוד.")
    moderator = moderators.create("decide@team.example", PASSWORD)
    secret = pyotp.random_base32()
    moderators.enable_totp(moderator, secret, pyotp.TOTP(secret).at(time.time() - 30))
    reason = rejection_reasons.offered()[0]

    # The digest: counts only, and the way to the queue.
    assert runner.invoke(args=["send-mail"]).exit_code == 0
    (digest,) = [m for m in delivered(app) if m["To"] == "decide@team.example"]
    assert "מכתבים ממתינים: 2" in digest.get_content() and "private.example" not in digest.get_content()
    def to_author(after: set[str] = frozenset(), wait: float = 0) -> list:
        """Mail to the rejected letter's author, other than `after` (Message-IDs), waiting for one up to `wait` s."""
        deadline = time.monotonic() + wait
        while not (found := [m for m in delivered(app, timeout=0) if m["To"] == "yonatan@private.example" and m["Message-ID"] not in after]):
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        return found

    earlier = {m["Message-ID"] for m in to_author()}  # its confirmation, long ago
    queue_path = next(path_of(url) for url in links_in(digest) if url.endswith("/moderate/"))

    page.goto(queue_path)
    page.wait_for_url("**/moderate/sign-in**")
    page.fill("#email", "decide@team.example")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/moderate/sign-in/code**")
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("main button[type=submit]")
    page.wait_for_url("**/moderate/")

    page.click("table.queue a:has-text('יונתן כהן')")
    page.wait_for_url(f"**/moderate/letters/{refused.public_id}")
    expect(page.get_by_role("heading", level=1, name="בדיקה: יונתן כהן")).to_be_visible()
    # Publishing and refusing look apart: green at the start, red at the end.
    publish, reject = page.locator(".decision-group--publish .button--publish"), page.locator(".decision-group--refuse .button--danger")
    expect(publish).to_have_css("background-color", "rgb(30, 107, 52)")
    expect(reject).to_have_css("background-color", "rgb(179, 38, 30)")
    assert publish.bounding_box()["x"] > reject.bounding_box()["x"], "in Hebrew, publishing is on the right, where reading starts"

    page.get_by_label(reason.text_he).check()
    reject.click()
    expect(page.locator("h1")).to_have_text("לדחות את המכתב הזה?")
    expect(page.locator(".notice").first).to_contain_text("עוד לא נעשה דבר.")
    expect(page.locator(".reason-preview")).to_have_text(reason.text_he)
    assert to_author(earlier) == [], "nothing is done before the confirmation"
    page.click("button:has-text('דחייה ושליחת הסיבה למי שכתב את המכתב')")
    page.wait_for_url("**/moderate/")
    expect(page.locator(".flash")).to_contain_text("נדחה. הסיבה בדרך בדוא״ל למי שכתב את המכתב.")
    expect(page.locator("table.queue")).not_to_contain_text("יונתן כהן")
    told = to_author(earlier, wait=15)
    assert len(told) == 1 and told[0]["Content-Language"] == "he" and reason.text_he in told[0].get_content()

    page.click("table.queue a:has-text('נועה לוי')")
    page.click("text=תיקון שגיאת הקלדה בשם או בטקסט")
    page.fill("#body", "אני מסרבת לשרת במילואים.\n\nזו החלטה שקיבלתי אחרי מחשבה ארוכה.")
    page.fill("#reason", "הסרת מילה כפולה, לבקשת הכותבת")
    page.click("form:has(#body) button[type=submit]")
    page.wait_for_url(f"**/moderate/letters/{typo.public_id}")
    expect(page.locator(".flash")).to_contain_text("תוקן: הטקסט.")
    expect(page.get_by_role("heading", level=1, name="בדיקה: נועה לוי")).to_be_visible()
    expect(page.locator(".public-preview")).to_contain_text("אחרי מחשבה ארוכה.")
    expect(page.locator(".public-preview")).not_to_contain_text("מאוד")
    assert all(url.startswith(live_server) for url in page.requested_urls)
