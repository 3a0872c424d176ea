"""Malformed requests anywhere on the site get an answer, never a 500."""

import pytest

from tests.pages import hidden_fields

URLS = [
    "/letters/%FF%FE", "/letters?page=%FF", "/letters?language=%FF", "/?lang=%FF", "/api/v1/letters/%C0%80",
    "/confirm/%FF", "/my-letter/%00", "/moderate/sign-in?next=%FF", "/feed.atom?x=%FF", "/%FF", "/letters?page=1%00",
    "/static/%2e%2e/%2e%2e/etc/passwd", "/static/../config.py", "/moderate/letters/%FF", "/api/v1/letters?page=" + "9" * 400,
]


@pytest.mark.parametrize("url", URLS)
def test_malformed_addresses_get_a_4xx(client, url):
    response = client.get(url)
    assert 400 <= response.status_code < 500 or response.status_code in (200, 302), (url, response.status_code)
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
