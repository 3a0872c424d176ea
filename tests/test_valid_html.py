"""Every page validates with the Nu HTML Checker (vnu-jar from the npm registry, on the installed
Java), in Hebrew and in English; the Atom feed parses cleanly in feedparser."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import feedparser
import pyotp
import pytest

from tests.judged_pages import MODERATOR_EMAIL, make_pages
from tests.pages import hidden_fields, over_the_limit, page_of

pytestmark = [pytest.mark.slow]

VNU = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(params=["sqlite"])
def backend(request):
    """The pages are the same on both databases (their queries are tested on both elsewhere)."""
    return request.param


def run_vnu(files: list[Path]) -> list[dict]:
    if not VNU.exists():
        raise pytest.UsageError(f"{VNU} is missing: run `make test` (npm ci installs it)")
    if shutil.which("java") is None:
        raise pytest.UsageError("java is missing: run `make test` (installs default-jre-headless)")
    done = subprocess.run(
        ["java", "-Xss8m", "-jar", str(VNU), "--format", "json", "--errors-only", *map(str, files)],
        capture_output=True, text=True, timeout=300,
    )
    return json.loads(done.stderr or "{}").get("messages", [])


def test_every_page_is_valid_html_in_hebrew_and_english(app, client, tmp_path, login_as):
    pages = make_pages()
    files = []

    def keep(name: str, response, expected: int) -> None:
        assert response.status_code == expected, (name, response.status_code)
        path = tmp_path / (re.sub(r"[^A-Za-z0-9]+", "_", name)[:120] + ".html")
        path.write_bytes(response.get_data())
        files.append(path)

    for lang in ("he", "en"):
        for url in pages.public:
            keep(f"{lang}{url}", client.get(url + ("&" if "?" in url else "?") + f"lang={lang}"), pages.answers.get(url, 200))
        for url in pages.forms_with_errors:
            token = hidden_fields(client.get(url))["csrf_token"]
            keep(f"{lang}-errors{url}", client.post(url + f"?lang={lang}", data={"csrf_token": token}), 400)
        for url in pages.overlong:
            form = page_of(client.get(url))
            data = {**hidden_fields(client.get(url)), **{f["name"]: over_the_limit(f["data-limit"]) for _, f in form.elements if "data-limit" in f}}
            keep(f"{lang}-overlong{url}", client.post(url + f"?lang={lang}", data=data), 400)
        too_large = {**hidden_fields(client.get("/submit")), "body": over_the_limit(200_000)}
        keep(f"{lang}-too-large", client.post(f"/submit?lang={lang}", data=too_large, content_type="multipart/form-data"), 413)
    keep("moderate-sign-in", client.get("/moderate/sign-in"), 200)
    token = hidden_fields(client.get("/moderate/sign-in"))["csrf_token"]
    keep("moderate-sign-in-failed", client.post("/moderate/sign-in", data={"csrf_token": token, "email": MODERATOR_EMAIL, "password": "wrong"}), 400)
    login_as(client)  # without one-time codes: their set-up page (a QR code), then the recovery codes
    for lang in ("he", "en"):
        keep(f"{lang}-set-up-code", client.get(f"/moderate/account/code?lang={lang}"), 200)
    setup = client.get("/moderate/account/code")
    secret = re.search(r"secret=([A-Z2-7]+)", setup.get_data(as_text=True))[1]
    keep("recovery-codes", client.post("/moderate/account/code", data={**hidden_fields(setup), "code": pyotp.TOTP(secret).now()}, follow_redirects=True), 200)
    login_as(client, role="admin")  # admins see every moderation page
    for lang in ("he", "en"):
        for url in [*pages.moderation, *pages.admin]:
            keep(f"{lang}{url}", client.get(url + ("&" if "?" in url else "?") + f"lang={lang}"), 200)
        for url in pages.to_confirm:
            form = hidden_fields(client.get(url.rsplit("/", 1)[0]))
            keep(f"{lang}-confirm{url}", client.post(url + f"?lang={lang}", data={**form, "reason": "שורה ראשונה\nשורה שנייה"}), 200)

    errors = run_vnu(files)
    report = [f"{Path(m.get('url', '')).name}:{m.get('lastLine')}: {m.get('message')}" for m in errors]
    assert report == [], "\n".join(report[:40])


def test_the_validator_does_catch_invalid_html(tmp_path):
    """The judge itself works: a page with a real error is reported."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>x</title></head><body><p aria-invalid="None">x</body></html>')
    assert any("aria-invalid" in m["message"] for m in run_vnu([page]))


def test_the_atom_feed_parses_without_a_bozo_flag(app, client):
    make_pages()
    response = client.get("/feed.atom")
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10" and len(feed.entries) >= 4
    assert all(entry.link.startswith("https://refusers.example/letters/") for entry in feed.entries)


def test_a_language_feed_with_translations_parses_without_a_bozo_flag(app, client):
    make_pages()  # a Hebrew letter translated into English and Arabic
    for language in ("en", "ar"):
        feed = feedparser.parse(client.get(f"/feed.atom?language={language}").get_data())
        assert not feed.bozo, feed.get("bozo_exception")
        translated = [entry for entry in feed.entries if entry.id.endswith(f"/{language}")]
        assert translated and all(entry.title_detail.language == language for entry in translated)
