"""Nothing a person writes is cut: a text over its field's limit is refused next to the field, with
the whole of it kept in the box, and no field carries a maxlength (browsers cut a pasted text with it,
without a word). The limit reaches the page as data for the counter, a script of our own."""

import re

import pytest
from sqlalchemy import select

from refusal_site.extensions import db
from refusal_site.forms import TEXT_MAX
from refusal_site.http import CONTENT_SECURITY_POLICY
from refusal_site.models import Letter, LetterStatus
from tests.factories import make_collective, make_letter, make_signature
from tests.judged_pages import make_pages
from tests.pages import hidden_fields, outbox, page_of
from tests.test_submit import stored_letters, valid_form


def text_of(length: int) -> str:
    """Hebrew words, exactly `length` characters once trimmed (no word over the letter's word limit)."""
    text = ("לא בשמי " * (length // 8 + 2))[:length]
    return text[:-1] + "י" if text.endswith(" ") else text


def address_of(length: int) -> str:
    return "a" * (length - len("@example.org")) + "@example.org"


# A 23,415-character letter, pasted: the one a newcomer lost the end of.
PASTED_LETTER = text_of(23_415)


def test_an_overlong_letter_is_refused_with_the_whole_text_kept_and_nothing_stored(client, app):
    response = client.post("/submit?lang=en", data=valid_form(client, body=PASTED_LETTER))
    assert response.status_code == 400
    page = page_of(response)
    assert page.value("body") == PASTED_LETTER, "every character the refuser wrote is back in the box"
    message = re.search(r'<p class="field-error" id="body-error">(.*?)</p>', response.get_data(as_text=True), re.S)[1]
    assert "23,415 characters" in message and "up to 20,000" in message and "shorten it by 3,415" in message
    assert "body-error" in page.find("textarea", name="body")[0]["aria-describedby"].split()
    assert stored_letters() == [] and outbox(app) == []


def test_the_message_is_in_the_pages_language_with_its_numbers(client):
    response = client.post("/submit?lang=he", data=valid_form(client, body=PASTED_LETTER))
    text = page_of(response).visible_text
    assert "יש כאן 23,415 תווים, והמקסימום הוא 20,000" in text and "נא לקצר ב־3,415 תווים" in text


@pytest.mark.parametrize("lang, over, words", [
    ("en", 1, "please shorten it by 1 character."),
    ("he", 1, "נא לקצר ב־1 תו."),
    ("he", 2, "נא לקצר ב־2 תווים."),
    # Arabic counts in six forms: two, three to ten, eleven to ninety-nine and whole hundreds each their own.
    ("ar", 2, "يُرجى الاختصار بمقدار حرفين (2)."),
    ("ar", 5, "يُرجى الاختصار بمقدار 5 أحرف."),
    ("ar", 15, "يُرجى الاختصار بمقدار 15 حرفًا."),
    ("ar", 3_400, "يُرجى الاختصار بمقدار 3,400 حرف."),
])
def test_how_much_to_shorten_is_said_in_the_grammar_of_its_number(client, lang, over, words):
    response = client.post(f"/submit?lang={lang}", data=valid_form(client, body=text_of(TEXT_MAX + over)))
    assert response.status_code == 400 and words in page_of(response).visible_text


def test_the_limit_is_on_what_is_stored_so_a_letter_of_exactly_the_limit_is_taken(client):
    # Browsers send each new line as CR LF: 20,000 characters stored, more bytes and characters sent.
    paragraphs = [text_of(99)] * 199 + [text_of(100)]
    body = "\r\n".join(paragraphs)
    assert len(body.replace("\r\n", "\n")) == TEXT_MAX < len(body)
    assert client.post("/submit", data=valid_form(client, body=body)).status_code == 303
    assert client.post("/submit", data=valid_form(client, body=body + "ם")).status_code == 400


def _submit(client, login_as, field, value):
    return "/submit", valid_form(client, **{field: value})


def _sign(client, login_as, field, value):
    letter = make_collective()
    form = hidden_fields(client.get(f"/letters/{letter.public_id}/sign"))
    form.update(display_name="יואב לוי", descriptor="טייס במילואים", contact_email="yoav@private.example", consent_public="y", website="")
    return f"/letters/{letter.public_id}/sign", {**form, field: value}


def _resend(client, login_as, field, value):
    return "/submit/resend", {**hidden_fields(client.get("/submit/resend")), field: value}


def _correct(client, login_as, field, value):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="he")
    url = f"/moderate/letters/{letter.public_id}/edit"
    data = {**hidden_fields(client.get(url)), "display_name": letter.display_name, "descriptor": letter.descriptor or "",
            "title": letter.title or "", "body": letter.body_text, "reason": "שגיאת כתיב"}  # fmt: skip
    return url, {**data, field: value}


def _reject(client, login_as, field, value):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    return f"/moderate/letters/{letter.public_id}/reject", {**hidden_fields(client.get(f"/moderate/letters/{letter.public_id}")), field: value}


def _unpublish(client, login_as, field, value):
    login_as(client)
    letter = make_letter(LetterStatus.PUBLISHED)
    return f"/moderate/letters/{letter.public_id}/unpublish", {**hidden_fields(client.get(f"/moderate/letters/{letter.public_id}")), field: value}


def _decide_signatures(client, login_as, field, value):
    login_as(client)
    make_signature(make_collective(), "pending")
    page = page_of(client.get("/moderate/signatures"))
    shown = [a["value"] for a in page.find("input", name="shown")]
    token = page.find("input", name="csrf_token")[0]["value"]
    return "/moderate/signatures", {"csrf_token": token, "shown": shown, "decision": "reject", "scope": "shown", field: value}


def _add_moderator(client, login_as, field, value):
    login_as(client, role="admin")
    return "/moderate/team", {**hidden_fields(client.get("/moderate/team")), "role": "moderator", field: value}


# Every field a person types text into that has a limit, in every form: (form, field, limit, a value one over).
LIMITED_FIELDS = [
    (_submit, "display_name", 120, text_of(121)),
    (_submit, "descriptor", 200, text_of(201)),
    (_submit, "title", 200, text_of(201)),
    (_submit, "body", 20_000, text_of(20_001)),
    (_submit, "contact_email", 254, address_of(255)),
    (_sign, "display_name", 120, text_of(121)),
    (_sign, "descriptor", 200, text_of(201)),
    (_sign, "contact_email", 254, address_of(255)),
    (_resend, "contact_email", 254, address_of(255)),
    (_correct, "display_name", 120, text_of(121)),
    (_correct, "descriptor", 200, text_of(201)),
    (_correct, "title", 200, text_of(201)),
    (_correct, "body", 20_000, text_of(20_001)),
    (_correct, "reason", 2000, text_of(2001)),
    (_reject, "reason", 2000, text_of(2001)),
    (_unpublish, "reason", 2000, text_of(2001)),
    (_decide_signatures, "reason", 2000, text_of(2001)),
    (_add_moderator, "email", 254, address_of(255)),
]


@pytest.mark.parametrize(("form", "field", "limit", "value"), LIMITED_FIELDS, ids=lambda p: getattr(p, "__name__", None))
def test_every_limited_field_refuses_a_longer_text_next_to_it_and_keeps_all_of_it(client, login_as, form, field, limit, value):
    url, data = form(client, login_as, field, value)
    response = client.post(url, data=data, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    page = page_of(response)
    assert page.find("p", id=f"{field}-error"), f"no message next to {field}"
    assert f"up to {limit:,}" in page.visible_text
    assert page.value(field) == value, "the whole text is back in its box"
    assert "maxlength" not in response.get_data(as_text=True)


def test_nothing_changes_when_a_reason_is_too_long(client, login_as):
    url, data = _reject(client, login_as, "reason", text_of(2001))
    assert client.post(url, data=data).status_code == 400
    db.session.rollback()
    assert db.session.execute(select(Letter.status)).scalar_one() == LetterStatus.PENDING


def test_no_form_on_any_page_cuts_with_maxlength_and_each_counted_field_carries_its_limit(client, login_as):
    pages = make_pages()
    assert "maxlength" not in client.get("/moderate/sign-in").get_data(as_text=True)
    login_as(client, role="admin")
    seen = {}
    for url in [*pages.public, *pages.moderation, "/moderate/team"]:
        response = client.get(url)
        assert "maxlength" not in response.get_data(as_text=True), url
        for tag, attrs in page_of(response).elements:
            if "data-limit" in attrs:
                seen[attrs["name"]] = int(attrs["data-limit"])
    assert seen.items() >= {"display_name": 120, "descriptor": 200, "title": 200, "body": 20_000, "reason": 2000}.items()


def test_the_counter_is_our_own_script_allowed_by_the_content_security_policy(client):
    response = client.get("/submit?lang=he")
    page = page_of(response)
    (script,) = page.find("script")
    assert re.fullmatch(r"/static/js/counter\.js\?v=\w+", script["src"]) and "defer" in script
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY and "default-src 'self'" in CONTENT_SECURITY_POLICY
    served = client.get(script["src"])
    assert served.status_code == 200 and served.mimetype in ("text/javascript", "application/javascript")
    (counter,) = page.find("p", id="body-counter")
    assert counter["data-count"] == "{count} מתוך 20,000 תווים"
    assert counter["data-over"].startswith("{count} מתוך 20,000 תווים: {over}")
    assert page.find("p", id="body-status")[0]["aria-live"] == "polite"


def test_the_public_pages_load_the_counter_only_where_a_field_is_counted(client):
    """Readers' pages never load the counter: only pages with a counted field do (a letter's page and
    the press page load only the copy-a-link script)."""
    letter = make_letter()
    for url in ("/", "/letters", "/press", f"/letters/{letter.public_id}"):
        scripts = [script["src"].split("?")[0] for script in page_of(client.get(url)).find("script")]
        assert "/static/js/counter.js" not in scripts and set(scripts) <= {"/static/js/copy.js"}, url
    assert page_of(client.get("/")).find("script") == []
