"""Malformed requests anywhere on the site get an answer, never a 500."""

import pytest

from tests.pages import hidden_fields

URLS = [
    ("/letters/%FF%FE", 404), ("/letters?page=%FF", 400), ("/letters?language=%FF", 400), ("/?lang=%FF", 400),
    ("/api/v1/letters/%C0%80", 404), ("/confirm/%FF", 404), ("/my-letter/%00", 404), ("/%FF", 404),
    ("/letters?page=1%00", 400), ("/static/%2e%2e/%2e%2e/etc/passwd", 404), ("/static/../config.py", 404),
    ("/moderate/letters/%FF", 302), ("/api/v1/letters?page=" + "9" * 400, 404),
    # Odd but harmless: the page is served and the oddity ignored.
    ("/moderate/sign-in?next=%FF", 200), ("/feed.atom?x=%FF", 200),
]


@pytest.mark.parametrize(("url", "status"), URLS)
def test_malformed_addresses_get_a_clear_answer(client, url, status):
    response = client.get(url)
    assert response.status_code == status, url
    assert b"Traceback" not in response.data


def test_invalid_utf8_in_a_form_is_refused_cleanly(client):
    form = hidden_fields(client.get("/submit"))
    body = "&".join(f"{k}={v}" for k, v in form.items())
    body += "&display_name=%FF%FE&body=%C0%80abc&contact_email=a%40b.example&language=he&consent_name=y&consent_public=y"
    response = client.post("/submit", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500


@pytest.mark.parametrize(
    ("url", "body", "content_type"),
    [
        ("/submit", b'{"a": 1}', "application/json"),
        ("/submit", b"\x00\xff" * 100, "multipart/form-data; boundary=xx"),
        ("/moderate/sign-in", b"%%%", "application/x-www-form-urlencoded"),
        ("/submit/resend", b"contact_email=" + b"a" * 300_000, "application/x-www-form-urlencoded"),
    ],
)
def test_odd_bodies_are_refused_cleanly(client, url, body, content_type):
    response = client.post(url, data=body, content_type=content_type)
    assert 400 <= response.status_code < 500
