"""Settings in layers, and refusing to run production on unsafe defaults."""

import pytest

from refusal_site import create_app
from refusal_site.config import database_url


def test_production_refuses_to_start_without_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.delenv("REFUSAL_SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"ENV": "production", "INSTANCE_PATH": str(tmp_path)})


def test_development_generates_a_secret_key_once(tmp_path):
    first = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    second = create_app({"INSTANCE_PATH": str(tmp_path)}).config["SECRET_KEY"]
    assert first == second and len(first) >= 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_layers_defaults_instance_file_environment_test_config(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("LETTERS_PER_PAGE = 7\nLATEST_LETTERS = 3\nSITE_URL = 'https://from-file.example'\n")
    monkeypatch.setenv("REFUSAL_LATEST_LETTERS", "4")
    monkeypatch.setenv("REFUSAL_SITE_URL", "https://from-env.example")
    app = create_app({"INSTANCE_PATH": str(tmp_path), "SITE_URL": "https://from-test.example"})
    assert app.config["PAGE_CACHE_SIZE"] == 256  # default
    assert app.config["LETTERS_PER_PAGE"] == 7  # instance file
    assert app.config["LATEST_LETTERS"] == 4  # environment beats the file
    assert app.config["SITE_URL"] == "https://from-test.example"  # test config beats all


PRODUCTION = {
    "ENV": "production",
    "SECRET_KEY": "k" * 64,
    "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SITE_URL": "https://refusers.example",
    "TRUSTED_HOSTS": ["refusers.example"],
    "MAIL_SERVER": "smtp.refusers.example",
}


@pytest.mark.parametrize("missing", ["REDIS_URL", "SITE_URL", "TRUSTED_HOSTS", "MAIL_SERVER"])
def test_production_refuses_to_start_on_unsafe_defaults(tmp_path, monkeypatch, missing):
    for name in PRODUCTION:
        monkeypatch.delenv(f"REFUSAL_{name}", raising=False)
    config = {**PRODUCTION, "INSTANCE_PATH": str(tmp_path)}
    config[missing] = "http://127.0.0.1:5000" if missing == "SITE_URL" else None
    with pytest.raises(RuntimeError, match=missing):
        create_app(config)


def test_production_cookies_are_secure(tmp_path):
    app = create_app({**PRODUCTION, "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_database_urls():
    assert database_url(None, "/srv/instance") == "sqlite:////srv/instance/refusal_site.sqlite3"
    assert database_url("postgresql://u@h/db", "") == "postgresql+psycopg://u@h/db"
    assert database_url("postgres://u@h/db", "") == "postgresql+psycopg://u@h/db"


def test_wsgi_module_serves_the_app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    import importlib

    import wsgi

    assert importlib.reload(wsgi).app.name == "refusal_site"


def test_gunicorn_access_log_leaves_out_client_addresses():
    import runpy
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    assert "%(h)s" not in settings["access_log_format"] and "{x-forwarded-for}" not in settings["access_log_format"].lower()
    assert settings["redact"]('"POST /my-letter/ImVvUmdwd2lEbGFXQ0xKb0Ei.awZxSA.4KH_i31K/withdraw HTTP/1.1"') == (
        '"POST /my-letter/ImVvUm…/withdraw HTTP/1.1"'
    )
    assert "abcdefghijklmnop" not in settings["redact"]("GET /confirm/abcdefghijklmnop HTTP/1.1")
    # A co-signer's links carry tokens too.
    assert settings["redact"]('"POST /my-signature/ImVvUmdwd2lEbGFXQ0xKb0Ei.awZxSA.4KH_i31K/withdraw HTTP/1.1"') == (
        '"POST /my-signature/ImVvUm…/withdraw HTTP/1.1"'
    )
    assert settings["redact"]("GET /signature/confirm/abcdefghijklmnop?x=1 HTTP/1.1") == "GET /signature/confirm/abcdef…?x=1 HTTP/1.1"
    # A journalist's press preview is opened by its token, the page and its PDF alike.
    assert settings["redact"]("GET /press/preview/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcde/he.pdf HTTP/1.1") == (
        "GET /press/preview/AbCdEf…/he.pdf HTTP/1.1"
    )


@pytest.mark.parametrize("spelling", [
    "/my%2Dletter/{t}", "/my-letter//{t}", "//my-letter/{t}/withdraw", "/MY%252Dletter/{t}", "/my-letter/%2F{t}",
    "/signature%2Fconfirm/{t}", "/moderate/sign-in?next=%2Fmy-letter%2F{t}", "/moderate/sign-in?next=/my-signature/{t}&x=1",
    "http://refusers.example/my-letter/{t}", "/x?next=https://refusers.example/my-letter/{t}", "/x?u=x;/my-letter/{t}",
    "/x?u=x,/confirm/{t}", "/my-letter%252525252F{t}",
])  # fmt: skip
def test_the_access_log_redacts_every_spelling_of_a_private_link(spelling):
    """The token is cut from the path as the application routes it: decoded, without empty segments."""
    import runpy
    from pathlib import Path

    settings = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))
    secret = "SecretTokenValue1234567890"
    target = spelling.format(t=secret)
    assert secret not in settings["redact"](f'"GET {target} HTTP/1.1"') and "Secret…" in settings["redact"](f"GET {target} HTTP/1.1")
    assert secret not in settings["_redact_query"](target.partition("?")[2] or "x=1")
    assert "\n" not in settings["redact"]("GET /a%0AGET%20/forged HTTP/1.1"), "a decoded newline forges no log line"


def test_the_access_log_redacts_the_token_of_every_route_that_takes_one(tmp_path):
    """A new private link (a route with <token>) must not reach the access log in full."""
    import runpy
    from pathlib import Path

    redact = runpy.run_path(str(Path(__file__).parent.parent / "gunicorn.conf.py"))["redact"]
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    secret = "SecretTokenValue1234567890"
    private = [rule for rule in app.url_map.iter_rules() if "token" in rule.arguments]
    assert len(private) >= 6  # confirm, my-letter (+withdraw), signature confirm, my-signature (+withdraw)
    for rule in private:
        path = rule.rule.replace("<token>", secret)
        assert secret not in redact(f'"GET {path} HTTP/1.1"'), rule.rule


def test_a_pdf_builder_keeps_the_build_id_of_the_workers_that_started_it(tmp_path):
    """Files changed on disk since the workers started must not rename the builder's PDFs."""
    assert create_app({"INSTANCE_PATH": str(tmp_path), "BUILD_ID": "handed"}).config["BUILD_ID"] == "handed"
    assert len(create_app({"INSTANCE_PATH": str(tmp_path)}).config["BUILD_ID"]) == 12
