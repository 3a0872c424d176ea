"""Forms work without a Referer (privacy tools drop it; our private pages ask for none) and are still
refused when the browser says they came from another site."""

import pytest

from refusal_site import tokens
from refusal_site.models import LetterStatus
from tests.factories import make_letter
from tests.test_submit import stored_letters, valid_form

SITE = "https://refusers.example"


@pytest.fixture
def secure(client):
    """The browser on the HTTPS site (Flask-WTF's strict check applies to HTTPS only)."""
    client.environ_base["wsgi.url_scheme"] = "https"
    client.environ_base["HTTP_HOST"] = "refusers.example"
    return client


@pytest.mark.parametrize("headers", [{}, {"Origin": "null"}, {"Origin": SITE}, {"Referer": SITE + "/submit"}])
def test_a_letter_is_sent_without_a_referer_or_from_our_own_pages(secure, headers):
    response = secure.post("/submit", data=valid_form(secure), headers=headers)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    assert len(stored_letters()) == 1


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"}, {"Origin": "http://refusers.example"}, {"Referer": "https://evil.example/form"},
    {"Origin": "https://refusers.example.evil.example"}, {"Origin": "https://evil.example", "Referer": SITE + "/submit"},
])  # fmt: skip
def test_a_form_sent_from_another_site_is_refused_with_a_clear_message(secure, headers):
    response = secure.post("/submit", data=valid_form(secure), headers={**headers, "Accept-Language": "en"})
    assert response.status_code == 400 and "did not come from this site" in response.get_data(as_text=True)
    assert stored_letters() == []


def test_the_withdrawal_form_of_a_private_page_works_with_its_no_referrer_policy(secure):
    """Chromium sends "Origin: null" for a form posted from a page with Referrer-Policy: no-referrer."""
    from tests.pages import hidden_fields

    letter = make_letter(language="en")
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    page = secure.get(manage)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = secure.post(f"{manage}/withdraw", data={**hidden_fields(page), "understood": "y"}, headers={"Origin": "null"})
    assert response.status_code == 303
    assert stored_letters()[0].status == LetterStatus.WITHDRAWN
