"""Error pages say what happened in their title and what to do next, in plain words and in the page's
language, never "Error 400"; a body too large for the site gets a page that says how to send less."""

import re

import pytest
from flask_babel import refresh

from refusal_site.http import ERROR_TITLES, error_response
from tests.pages import Page
from tests.test_submit import stored_letters, valid_form

STATUSES = [400, 404, 405, 409, 410, 413, 429, 500, 503]


def heading_and_title(html: str) -> tuple[str, str]:
    heading = re.search(r"<h1>(.*?)</h1>", html, re.S)[1].strip()
    title = re.search(r"<title>(.*?)</title>", html, re.S)[1].strip()
    return heading, title


@pytest.mark.parametrize("status", STATUSES)
def test_each_error_page_names_what_happened_and_a_next_step_in_each_language(app, status):
    english = None
    for lang in ("en", "he", "ar"):
        with app.test_request_context(f"/?lang={lang}"):
            refresh()  # the language is kept per app context, which the test's fixtures share
            html, code = error_response(status)
            expected = ERROR_TITLES[status]()
        heading, title = heading_and_title(html)
        assert code == status and heading == expected and title.startswith(expected)
        assert str(status) not in heading and "Error" not in html.split("<main")[1]
        message = Page(html).visible_text
        if lang == "en":
            english = heading
            assert "please" in message.lower(), f"{status}: no next step in {message!r}"
        else:
            assert heading != english, f"{status} is not translated into {lang}"


@pytest.mark.parametrize(
    ("method", "url", "status", "title"),
    [
        ("GET", "/?lang=xx", 400, "Something in the request was wrong"),
        ("GET", "/no-such-page", 404, "Page not found"),
        ("POST", "/letters", 405, "Not possible on this page"),
    ],
)
def test_real_errors_get_their_pages(client, method, url, status, title):
    response = client.open(url, method=method, headers={"Accept-Language": "en"})
    assert response.status_code == status
    assert heading_and_title(response.get_data(as_text=True))[0] == title


def test_a_page_not_found_offers_the_letters_and_a_dead_link_offers_new_links(app):
    for status, link in ((404, 'href="/letters"'), (410, 'href="/submit/resend"')):
        with app.test_request_context("/?lang=en"):
            refresh()
            html, _ = error_response(status)
        assert link in html and 'href="/"' in html


@pytest.mark.parametrize(
    ("lang", "title", "how"),
    [
        ("en", "Too much was sent at once", "up to 256 KB at once, so nothing was saved. Please go back, shorten the text"),
        ("he", "נשלח יותר מדי בבת אחת", "האתר מקבל עד 256 KB בבת אחת"),
        ("ar", "أُرسل الكثير دفعة واحدة", "يقبل الموقع حتى 256 كيلوبايت"),
    ],
)
def test_a_body_over_the_limit_gets_a_page_that_says_how_to_send_less(client, lang, title, how):
    response = client.post(f"/submit?lang={lang}", data=valid_form(client, body="אני מסרב " * 18_000), content_type="multipart/form-data")
    assert response.status_code == 413 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert heading_and_title(html)[0] == title and how in Page(html).visible_text
    assert f'lang="{lang}"' in html
    assert stored_letters() == []


def test_an_expired_form_says_so_in_its_title(client):
    form = valid_form(client)
    del form["csrf_token"]
    response = client.post("/submit", data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert heading_and_title(response.get_data(as_text=True))[0] == "This form has expired"


def test_the_api_still_answers_errors_in_json(client):
    response = client.get("/api/v1/letters/AAAAAAAAAAAA", headers={"Accept-Language": "en"})
    assert response.status_code == 404 and response.json["error"] == 404 and "public page" in response.json["message"]
