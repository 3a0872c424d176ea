"""The site has one name per language: in each page's title and header, in mail subjects, and as the
name mail comes from (at the address MAIL_SENDER sets)."""

import html
import re
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import quote

import pytest
from babel.messages.pofile import read_po

from refusal_site import mail, moderators
from tests.pages import hidden_fields, outbox

NAMES = {"he": "סרבנים בפומבי", "ar": "رافضون علنًا", "en": "Public refusers"}
BODIES = {"he": "אני מסרבת לשרת.", "ar": "أرفض الخدمة.", "en": "I refuse to serve."}


@pytest.fixture
def app_config(app_config):
    # A deployment that still writes a display name with the address: the address is kept, the
    # name yields to the site's own in each mail's language.
    return {**app_config, "MAIL_SENDER": "Old English name <team@refusers.example>"}


def submit(client, *, page: str, lang: str) -> None:
    form = hidden_fields(client.get(f"/submit?lang={page}"))
    form.update(display_name="Noa", language=lang, body=BODIES[lang], contact_email="noa@private.example",
                consent_name="y", consent_public="y")
    assert client.post("/submit", data=form).status_code == 303


@pytest.mark.parametrize("lang", ["he", "ar", "en"])
def test_pages_and_mail_name_the_site_alike_in_each_language(client, app, lang):
    page = client.get(f"/letters?lang={lang}").get_data(as_text=True)
    title = html.unescape(re.search(r"<title>(.*?)</title>", page)[1])
    header = html.unescape(re.search(r'<a class="site-name"[^>]*>(.*?)</a>', page)[1])
    assert title.endswith(" · " + NAMES[lang]) and header == NAMES[lang]

    submit(client, page=lang, lang=lang)
    (message,) = outbox(app)
    assert parseaddr(message["From"]) == (NAMES[lang], "team@refusers.example")
    assert NAMES[lang] in message["Subject"]


def test_a_mail_names_the_site_in_the_letters_language_not_the_pages(client, app):
    submit(client, page="en", lang="ar")
    (message,) = outbox(app)
    assert parseaddr(message["From"])[0] == NAMES["ar"] and NAMES["ar"] in message["Subject"]


def test_a_sender_address_that_is_not_ascii_comes_with_the_name_as_written(make_app):
    app = make_app(MAIL_SENDER="צוות@דואר.example")
    with app.test_request_context():
        raw = mail.compose("sign_own_letter", "noa@private.example", language="he", manage_url="https://refusers.example/m")
    assert f'From: "{NAMES["he"]}" <צוות@דואר.example>'.encode() in raw


def test_the_authenticator_app_names_the_site_in_the_moderators_language(app):
    moderator = moderators.create("admin@refusers.example", "a long enough password")
    with app.test_request_context("/?lang=ar"):
        uri = moderators.totp_uri(moderator, moderators.new_totp_secret())
    assert "issuer=" + quote(NAMES["ar"]) in uri


def test_no_sentence_spells_the_sites_name():
    """A sentence that names the site takes it as %(site)s (languages.SITE_NAME), so no translation
    can name it another way; the two that keep the words speak of the people counted, not the site."""
    with open(Path(__file__).parent.parent / "refusal_site" / "translations" / "messages.pot", "rb") as f:
        template = read_po(f)
    spelled = sorted(m.id for m in template if isinstance(m.id, str) and "Public refusers" in m.id)
    assert spelled == ["Public refusers", "Public refusers over time", "Public refusers over time (cumulative, per day)."]
