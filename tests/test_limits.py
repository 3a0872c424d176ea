"""Rate limits: per client, shared by every worker through Redis, friendly when exceeded."""

import logging
import uuid

import pytest
import redis

from refusal_site.http import client_key
from tests.conftest import REDIS_URL
from tests.pages import hidden_fields, page_of


def post_submit(client, environ: dict | None = None):
    environ = environ or {}
    form = hidden_fields(client.get("/submit", environ_base=environ))
    return client.post("/submit", data=form, headers={"Accept-Language": "he"}, environ_base=environ)


@pytest.fixture
def app_config(app_config):
    return {**app_config, "SUBMIT_RATE_LIMIT": "2 per minute", "SIGN_RATE_LIMIT": "2 per minute"}


def test_too_many_submissions_get_a_friendly_translated_429(client):
    assert post_submit(client).status_code == 400  # empty form, but it counts
    assert post_submit(client).status_code == 400
    blocked = post_submit(client)
    assert blocked.status_code == 429
    page = page_of(blocked)
    assert page.find("html")[0]["lang"] == "he" and page.find("p", **{"class": "error-message"})
    assert "Retry-After" in blocked.headers
    assert client.get("/submit").status_code == 200, "reading the form is not limited"


def test_limits_are_per_client(client):
    for _ in range(2):
        post_submit(client)
    assert post_submit(client).status_code == 429
    other = client.application.test_client()
    form = hidden_fields(other.get("/submit", environ_base={"REMOTE_ADDR": "198.51.100.9"}))
    assert other.post("/submit", data=form, environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 400


def test_workers_share_their_counts_through_redis(make_app):
    # A client address of its own, so counts left in Redis by earlier runs cannot interfere.
    address = f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"
    workers = [make_app(REDIS_URL=REDIS_URL) for _ in range(2)]
    first, second = (worker.test_client() for worker in workers)
    environ = {"REMOTE_ADDR": address}
    assert post_submit(first, environ).status_code == 400
    assert post_submit(second, environ).status_code == 400
    assert post_submit(first, environ).status_code == 429
    assert post_submit(second, environ).status_code == 429
    with workers[0].test_request_context(environ_base=environ):
        hashed = client_key()
    keys = [key.decode() for key in redis.Redis.from_url(REDIS_URL).keys("*")]
    assert any(hashed in key for key in keys), "the count lives in Redis"
    assert not any(address in key for key in keys), "Redis holds a hash, not the address"


def test_with_redis_down_the_site_keeps_working_and_says_so(make_app, caplog):
    caplog.set_level(logging.WARNING)
    client = make_app(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    assert post_submit(client).status_code == 400
    assert client.get("/").status_code == 200
    assert caplog.records, "the outage is logged"


def test_an_ipv6_subscriber_cannot_escape_the_limit_by_changing_address(client):
    for n in range(2):
        assert post_submit(client, {"REMOTE_ADDR": f"2001:db8:1:2::{n + 1}"}).status_code == 400
    assert post_submit(client, {"REMOTE_ADDR": "2001:db8:1:2:ffff::9"}).status_code == 429
    assert post_submit(client, {"REMOTE_ADDR": "2001:db8:1:3::1"}).status_code == 400, "another /64 is another client"


def test_client_networks():
    from refusal_site.http import client_network

    assert client_network("203.0.113.7") == "203.0.113.7"
    assert client_network("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_network("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"


def test_too_many_signatures_get_a_friendly_translated_429(client):
    from tests.factories import make_collective

    letter = make_collective()
    url = f"/letters/{letter.public_id}/sign"

    def post_sign():
        form = hidden_fields(client.get(url))
        return client.post(url, data=form, headers={"Accept-Language": "he"})

    assert post_sign().status_code == 400  # an empty form, but it counts
    assert post_sign().status_code == 400
    blocked = post_sign()
    assert blocked.status_code == 429
    page = page_of(blocked)
    assert page.find("html")[0]["lang"] == "he" and page.find("p", **{"class": "error-message"})
    assert "Retry-After" in blocked.headers
    assert client.get(url).status_code == 200, "reading the form is not limited"


def test_every_rate_limited_view_is_in_a_blueprint_the_limiter_still_checks(app):
    """Requests outside LIMITED_BLUEPRINTS skip the limiter: a limit put anywhere else would never apply."""
    from flask_limiter.util import get_qualified_name

    from refusal_site.extensions import limiter
    from refusal_site.http import LIMITED_BLUEPRINTS

    limited = {
        endpoint for endpoint, view in app.view_functions.items()
        if limiter.limit_manager.decorated_limits(get_qualified_name(view))
    }
    assert {"submit.submit", "moderate.sign_in"} <= limited
    assert {endpoint.split(".")[0] for endpoint in limited} <= LIMITED_BLUEPRINTS
    assert not limiter.limit_manager.default_limits and not limiter.limit_manager.application_limits


def test_a_default_limit_still_applies_to_readers_when_one_is_configured(make_app, monkeypatch):
    """Readers skip the limiter only while no route but the limited ones has a limit."""
    from refusal_site.extensions import limiter

    # The limiter is one object per process: the default limit must not outlive this test.
    monkeypatch.setattr(limiter.limit_manager, "_default_limits", limiter.limit_manager._default_limits)
    app = make_app(RATELIMIT_DEFAULT="2 per minute")
    client = app.test_client()
    assert [client.get("/api/v1/count").status_code for _ in range(3)] == [200, 200, 429]
