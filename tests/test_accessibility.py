"""axe-core (from the npm registry) in Debian's Chromium on every public page, every form (also
showing its errors) and every moderation page, in Hebrew and in English: no WCAG 2.1 A/AA violation.
And the forms work from the keyboard alone, with errors announced."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.judged_pages import make_pages
from tests.pages import delivered

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Every field with a limit filled past it, as a paste would (one input event each).
OVER_THE_LIMIT = """fields => fields.forEach(field => {
  field.value = "אב ".repeat(Number(field.dataset.limit));
  field.dispatchEvent(new Event("input"));
})"""


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


def violations(tab) -> list[str]:
    """Inject axe-core and run it at WCAG 2.1 AA; one line per failing rule and element."""
    if not AXE.exists():
        raise pytest.UsageError(f"{AXE} is missing: run `make test` (npm ci installs it)")
    tab.add_script_tag(path=str(AXE))
    result = tab.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA)
    return [f"{tab.url}: {v['id']} ({v['impact']}): {node['target']}" for v in result["violations"] for node in v["nodes"]]


@pytest.fixture
def judge_context(browser, live_server):
    """A tab that runs scripts (axe needs to), with the site's CSP bypassed for the injected script only."""
    context = browser.new_context(base_url=live_server, java_script_enabled=True, bypass_csp=True)
    yield context
    context.close()


def test_no_wcag_21_aa_violation_on_any_page_in_hebrew_or_english(app, judge_context, login_as):
    pages = make_pages()
    tab = judge_context.new_page()
    found = []
    for lang in ("he", "en"):
        for url in pages.public:
            tab.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
            found += violations(tab)
        for url in pages.forms_with_errors:
            tab.goto(url + f"?lang={lang}")
            tab.click("form[method=post] button[type=submit]")
            tab.wait_for_load_state()
            expect(tab.locator(".error-summary")).to_be_visible()
            found += violations(tab)
        for url in pages.overlong:
            tab.goto(url + f"?lang={lang}")
            tab.eval_on_selector_all("[data-limit]", OVER_THE_LIMIT)
            tab.click("form[method=post] button[type=submit]")
            expect(tab.locator(".counter--over").first).to_be_visible()
            found += violations(tab)
        tab.goto(f"/submit?lang={lang}")
        tab.eval_on_selector("#body", "box => { box.value = 'אב '.repeat(100000); }")
        tab.click("form[method=post] button[type=submit]")
        expect(tab.locator(".error-message")).to_be_visible()  # the page for a body too large
        found += violations(tab)
    from refusal_site import moderators

    moderators.create("axe@team.example", "a long enough password")
    tab.goto("/moderate/sign-in")
    found += violations(tab)
    tab.fill("#email", "axe@team.example")
    tab.fill("#password", "a long enough password")
    tab.click("button[type=submit]")
    tab.wait_for_url("**/moderate/")
    for lang in ("he", "en"):
        for url in pages.to_confirm:
            tab.goto(url.rsplit("/", 1)[0] + f"?lang={lang}")
            tab.fill(f"form[action$='{url}'] textarea", "שורה ראשונה\nשורה שנייה")
            tab.click(f"form[action$='{url}'] button")
            expect(tab.locator(".reason-preview")).to_be_visible()
            found += violations(tab)
        for url in [*pages.moderation, "/moderate/account/code"]:
            tab.goto(url + ("&" if "?" in url else "?") + f"lang={lang}")
            found += violations(tab)
    # Turning one-time codes on (the page above, with its QR code) shows the recovery codes.
    import pyotp

    secret = tab.locator(".secret code").inner_text()
    tab.fill("#code", pyotp.TOTP(secret).now())
    tab.press("#code", "Enter")
    expect(tab.locator(".recovery-codes")).to_be_visible()
    found += violations(tab)
    assert found == [], "\n".join(found[:40])


def test_axe_does_catch_a_violation(judge_context, live_server):
    """The judge itself works: an image without a text alternative is reported."""
    tab = judge_context.new_page()
    tab.goto("/")
    tab.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=/static/favicon.svg>')")
    assert any("image-alt" in line for line in violations(tab))


def test_signing_works_from_the_keyboard_alone_and_errors_are_announced(app, page):
    pages = make_pages()
    sign_url = next(url for url in pages.public if url.endswith("/sign"))
    page.goto(sign_url + "?lang=en")
    page.locator("#display_name").focus()
    page.keyboard.type("Adam Levi")
    page.keyboard.press("Tab")  # descriptor
    page.keyboard.press("Tab")  # e-mail
    page.keyboard.type("adam@private.example")
    page.keyboard.press("Enter")  # submits without the consent
    summary = page.locator(".error-summary")
    expect(summary).to_have_attribute("role", "alert")
    expect(page.locator("#consent_public")).to_have_attribute("aria-invalid", "true")
    described = page.get_attribute("#consent_public", "aria-describedby")
    assert "consent_public-error" in described.split()
    page.locator("#consent_public").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.wait_for_url("**/sign/sent")
    assert any(m["To"] == "adam@private.example" for m in delivered(app))
