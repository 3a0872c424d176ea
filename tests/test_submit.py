"""A refuser submits, confirms by a button behind a mailed link, sees the status and withdraws."""

import logging
import xml.etree.ElementTree as ET

import itsdangerous
import pytest
from sqlalchemy import select, text

from refusal_site import letters, tokens
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, QueuedMail, utcnow
from tests.factories import make_letter
from tests.pages import Page, hidden_fields, links_in, outbox, page_of, path_of

HEBREW_TEXT = "אני מסרב לשרת.\n\nזו החלטה שקיבלתי אחרי מחשבה ארוכה, ואני כותב בשמי המלא."


def valid_form(client, **overrides) -> dict:
    form = hidden_fields(client.get("/submit"))
    form.update(
        display_name="נועה כהן",
        descriptor="סמלת במילואים",
        language="he",
        title="לא בשמי",
        body=HEBREW_TEXT,
        contact_email="noa@private.example",
        consent_name="y",
        consent_public="y",
        website="",
    )
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def stored_letters() -> list[Letter]:
    # A fresh transaction each time: an open one would keep showing its old snapshot.
    db.session.rollback()
    return list(db.session.execute(select(Letter)).scalars())


def submit_letter(client, **overrides):
    return client.post("/submit", data=valid_form(client, **overrides))


def test_the_whole_journey_from_form_to_withdrawal(client, app):
    form_page = client.get("/submit?lang=he")
    assert form_page.status_code == 200 and form_page.headers["Cache-Control"] == "no-store"

    response = submit_letter(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/submit/sent")
    (letter,) = stored_letters()
    assert (letter.status, letter.display_name, letter.language) == (LetterStatus.UNCONFIRMED, "נועה כהן", "he")
    assert "<p>אני מסרב לשרת.</p>" in letter.body_html

    (message,) = outbox(app)
    assert message["To"] == "noa@private.example"
    assert message["Content-Language"] == "he" and "אישור" in message["Subject"]
    confirm_url, manage_url = links_in(message)
    assert "/confirm/" in confirm_url and "/my-letter/" in manage_url

    # Opening the link (as a mail scanner would) shows a button and changes nothing.
    opened = client.get(path_of(confirm_url))
    assert opened.status_code == 200 and page_of(opened).find("button")
    assert stored_letters()[0].status == LetterStatus.UNCONFIRMED

    pressed = client.post(path_of(confirm_url), data=hidden_fields(opened))
    assert pressed.status_code == 303
    assert stored_letters()[0].status == LetterStatus.PENDING
    status_page = client.get(pressed.headers["Location"])
    assert "ממתין לבדיקה" in page_of(status_page).visible_text
    assert status_page.headers["Cache-Control"] == "no-store"

    letters.publish(stored_letters()[0], by="test")
    assert client.get("/api/v1/count").json["count"] == 1

    manage = client.get(path_of(manage_url))
    refused = client.post(path_of(manage_url) + "/withdraw", data=hidden_fields(manage))
    assert refused.status_code == 400 and stored_letters()[0].status == LetterStatus.PUBLISHED
    withdrawn = client.post(path_of(manage_url) + "/withdraw", data={**hidden_fields(manage), "understood": "y"})
    assert withdrawn.status_code == 303
    assert stored_letters()[0].status == LetterStatus.WITHDRAWN
    assert client.get("/api/v1/count").json["count"] == 0
    assert client.get(f"/letters/{letter.public_id}").status_code == 404


def test_every_visitor_gets_their_own_token_and_key_in_the_blank_form(app):
    """The blank form is rendered once per language; the CSRF token and submission key are each visitor's."""
    first, second = app.test_client(), app.test_client()
    mine, theirs = hidden_fields(first.get("/submit")), hidden_fields(second.get("/submit"))
    assert set(mine) == {"csrf_token", "submission_key"}
    assert mine["csrf_token"] != theirs["csrf_token"] and mine["submission_key"] != theirs["submission_key"]
    fields = {k: v for k, v in valid_form(first).items() if k not in mine}
    assert first.post("/submit", data={**fields, **theirs}).status_code == 400, "another visitor's token is refused"
    assert first.post("/submit", data={**fields, **mine}).status_code == 303
    english = page_of(first.get("/submit?lang=en"))
    assert "checked" in english.find("input", name="language", value="en")[0]
    assert "checked" not in english.find("input", name="language", value="he")[0]
    assert "checked" in page_of(first.get("/submit?lang=he")).find("input", name="language", value="he")[0]


def test_the_mail_is_in_the_letters_language(client, app):
    client.get("/?lang=he")
    submit_letter(client, language="en", body="I refuse.", display_name="Dan Stein")
    (message,) = outbox(app)
    assert message["Content-Language"] == "en" and message["Subject"] == "Confirm your letter on Public refusers"


LONG_WORD = "א" * 5000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"display_name": ""}, "display_name"),
        ({"display_name": "   "}, "display_name"),
        ({"display_name": "n" * 121}, "display_name"),
        ({"display_name": "Noa\x00Cohen"}, "display_name"),
        ({"display_name": "Noa\u202eCohen"}, "display_name"),
        ({"display_name": "\u2067Noa Cohen\u2069"}, "display_name"),
        ({"descriptor": "x" * 201}, "descriptor"),
        ({"title": "t\x07"}, "title"),
        ({"body": ""}, "body"),
        ({"body": " \n\t \n "}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "text with a NUL \x00 byte"}, "body"),
        ({"body": "text with an escape \x1b[31m"}, "body"),
        ({"body": "one long word " + LONG_WORD}, "body"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"contact_email": ""}, "contact_email"),
        ({"contact_email": "a@b\x00.example"}, "contact_email"),
        ({"language": "fr"}, "language"),
        ({"consent_name": None}, "consent_name"),
        ({"consent_public": None}, "consent_public"),
        ({"website": "http://spam.example"}, "website"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(client, app, overrides, field):
    response = client.post("/submit", data=valid_form(client, **overrides), headers={"Accept-Language": "he"})
    assert response.status_code == 400
    page = page_of(response)
    errors = page.find("p", id=f"{field}-error")
    assert errors, f"no error shown next to {field}"
    assert page.find("html")[0]["dir"] == "rtl"
    if field != "display_name":
        assert page.value("display_name") == "נועה כהן", "what was typed is kept"
    if field != "body":
        assert page.value("body").replace("\r\n", "\n") == HEBREW_TEXT
    assert stored_letters() == [] and outbox(app) == []


def test_error_messages_are_translated(client):
    response = client.post("/submit?lang=ar", data=valid_form(client, display_name=""))
    html = response.get_data(as_text=True)
    assert 'lang="ar"' in html
    assert "Please write the name" not in html


def assert_inert(html: str, where: str) -> None:
    """No element that runs script but our own files: no inline <script>, no <img>/<svg>, no on*
    attribute, no javascript:/data: URL."""
    page = Page(html)
    for tag, attrs in page.elements:
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/js/"), (where, attrs)
            continue
        assert tag not in ("img", "svg", "iframe", "object"), (where, tag)
        for name, value in attrs.items():
            assert not name.startswith("on"), (where, tag, name)
            if name in ("href", "src", "action"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:")), (where, value)


def test_script_and_link_payloads_are_inert_on_every_public_surface(client, app):
    payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    submit_letter(
        client,
        display_name=f"Mallory {payload}"[:120],
        descriptor=payload,
        title=payload,
        body=f'{payload}\n\n<a href="javascript:alert(3)">click</a> <a href="data:text/html,x">data</a> <b onmouseover=alert(4)>hi</b>',
        language="en",
    )
    (letter,) = stored_letters()
    assert "javascript:" not in letter.body_html and "onmouseover" not in letter.body_html
    letters.confirm(letter)
    letters.publish(letter, by="test")
    for url in ("/", "/letters", f"/letters/{letter.public_id}", f"/api/v1/letters/{letter.public_id}"):
        body = client.get(url).get_data(as_text=True)
        assert_inert(body if not url.startswith("/api") else client.get(url).json["html"], url)
    feed = ET.fromstring(client.get("/feed.atom").data)
    for content in feed.iter("{http://www.w3.org/2005/Atom}content"):
        assert_inert(content.text, "feed")
    # What was refused is shown as the text the author typed.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/letters/{letter.public_id}").get_data(as_text=True)


def test_a_post_without_csrf_token_is_refused(client, app):
    form = valid_form(client)
    del form["csrf_token"]
    response = client.post("/submit", data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)
    assert stored_letters() == []


def test_a_body_over_the_limit_gets_a_friendly_413(client, app):
    form = valid_form(client, body="x " * 200_000)
    response = client.post("/submit", data=form, headers={"Accept-Language": "en"})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert stored_letters() == []


def test_the_letter_travels_as_the_form_declares_it_multipart_and_arrives_intact(client, app):
    (form,) = page_of(client.get("/submit")).find("form", **{"class": "letter-form"})
    assert form["enctype"] == "multipart/form-data", "a browser sends what the form declares"
    body = HEBREW_TEXT + "\n\nسطر بالعربية & <b>not bold</b> 100% = %D7%90"
    response = client.post("/submit", data=valid_form(client, body=body), content_type="multipart/form-data")
    assert response.status_code == 303
    (letter,) = stored_letters()
    assert letter.body_text == body, "no escape decoded twice, no character lost"
    assert "<p>سطر بالعربية &amp; <b>not bold</b> 100% = %D7%90</p>" in letter.body_html

    too_long = client.post("/submit", data=valid_form(client, body="x " * 200_000), content_type="multipart/form-data")
    assert too_long.status_code == 413 and len(stored_letters()) == 1


def test_the_same_form_posted_twice_stores_one_letter(client, app):
    form = valid_form(client)
    first = client.post("/submit", data=form)
    second = client.post("/submit", data=form, headers={"Accept-Language": "en"})
    assert first.status_code == 303
    assert second.status_code == 409 and "already received" in second.get_data(as_text=True)
    assert len(stored_letters()) == 1 and len(outbox(app)) == 1


def test_a_new_form_makes_a_new_letter(client, app):
    submit_letter(client)
    submit_letter(client)
    assert len(stored_letters()) == 2


def confirm_link(app) -> str:
    return path_of(links_in(outbox(app)[-1])[0])


def test_a_tampered_token_is_refused(client, app):
    submit_letter(client)
    link = confirm_link(app)
    for bad in (link[:-3] + "xyz", link[:-10], "/confirm/" + "A" * 60, "/confirm/%00"):
        assert client.get(bad).status_code == 404
    # A management token cannot confirm.
    manage = path_of(links_in(outbox(app)[-1])[1]).split("/my-letter/")[1]
    assert client.get(f"/confirm/{manage}").status_code == 404
    assert stored_letters()[0].status == LetterStatus.UNCONFIRMED


def test_a_reused_confirmation_link_is_refused(client, app):
    submit_letter(client)
    link = confirm_link(app)
    client.post(link, data=hidden_fields(client.get(link)))
    again = client.get(link, headers={"Accept-Language": "en"})
    assert again.status_code == 410 and "already" in again.get_data(as_text=True)


def test_an_expired_confirmation_link_is_refused(client, app, monkeypatch):
    letter = make_letter(LetterStatus.UNCONFIRMED)
    eight_days_ago = int(itsdangerous.timed.time.time()) - 8 * 86400
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: eight_days_ago)
    token = tokens.make(tokens.Purpose.CONFIRM, letter)
    monkeypatch.undo()
    response = client.get(f"/confirm/{token}", headers={"Accept-Language": "en"})
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_a_link_for_a_letter_older_than_seven_days_cannot_confirm_it(client, app):
    from datetime import timedelta

    from refusal_site.models import utcnow

    letter = make_letter(LetterStatus.UNCONFIRMED, submitted_at=utcnow() - timedelta(days=7, minutes=1))
    token = tokens.make(tokens.Purpose.CONFIRM, letter)
    page = client.get(f"/confirm/{token}")
    assert client.post(f"/confirm/{token}", data=hidden_fields(page)).status_code == 410
    assert stored_letters()[0].status == LetterStatus.UNCONFIRMED


def test_when_mail_fails_the_letter_is_kept_and_its_mail_waits_for_another_try(client, app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=9, MAIL_USE_TLS=False, MAIL_TIMEOUT=2)
    response = submit_letter(client)
    assert response.status_code == 303 and response.headers["Location"].endswith("/submit/sent")
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"})
    assert "on its way" in page.get_data(as_text=True) and page_of(page).find("a", href="/submit/resend")
    assert [l.status for l in stored_letters()] == [LetterStatus.UNCONFIRMED]
    (waiting,) = db.session.execute(select(QueuedMail)).scalars().all()
    assert (waiting.template, waiting.attempts, waiting.last_error) == ("confirm", 1, "ConnectionRefusedError")
    assert waiting.available_at > utcnow(), "retried later, by send-mail"


def test_links_are_sent_again_on_request_without_revealing_who_wrote(client, app):
    make_letter(LetterStatus.PENDING, contact_email="known@private.example")
    known = client.post("/submit/resend", data={**hidden_fields(client.get("/submit/resend")), "contact_email": "known@private.example"})
    unknown = client.post("/submit/resend", data={**hidden_fields(client.get("/submit/resend")), "contact_email": "nobody@private.example"})
    assert known.status_code == unknown.status_code == 303
    assert known.headers["Location"] == unknown.headers["Location"] == "/submit/resend/sent"
    assert "on their way" in client.get("/submit/resend/sent?lang=en").get_data(as_text=True)
    (message,) = outbox(app)
    assert message["To"] == "known@private.example"
    assert len(links_in(message)) == 1 and "/my-letter/" in links_in(message)[0]


def test_links_in_mail_use_the_site_url_not_the_host_header(client, app):
    evil = {"Host": "evil.example"}
    form = {**valid_form(client), **hidden_fields(client.get("/submit", headers=evil))}
    assert client.post("/submit", data=form, headers=evil).status_code == 303
    assert all(link.startswith("https://refusers.example/") for link in links_in(outbox(app)[0]))
    assert "evil.example" not in outbox(app)[0].get_content()


def test_untrusted_host_headers_are_refused(make_app):
    client = make_app(TRUSTED_HOSTS=["refusers.example"]).test_client()
    assert client.get("/submit", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/submit", headers={"Host": "refusers.example"}).status_code == 200


def test_security_headers_and_cookies(client):
    response = client.get("/submit")
    csp = response.headers["Content-Security-Policy"]
    for directive in ("default-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_client_addresses_reach_neither_the_database_nor_the_logs(client, app, caplog):
    caplog.set_level(logging.DEBUG)
    address = "203.0.113.77"
    client.post("/submit", data=valid_form(client), environ_base={"REMOTE_ADDR": address})
    client.get("/submit", environ_base={"REMOTE_ADDR": address})
    dump = []
    for table in ("letters", "audit_events", "moderators", "public_tally"):
        dump += [str(row) for row in db.session.execute(text(f"SELECT * FROM {table}")).all()]
    assert len(stored_letters()) == 1
    assert address not in " ".join(dump)
    assert address not in caplog.text


def test_purge_and_erasure_commands(runner, app):
    from datetime import timedelta

    from refusal_site.models import utcnow

    old = make_letter(LetterStatus.UNCONFIRMED, submitted_at=utcnow() - timedelta(days=8)).public_id
    fresh = make_letter(LetterStatus.UNCONFIRMED)
    published = make_letter(LetterStatus.PUBLISHED)
    result = runner.invoke(args=["purge-unconfirmed"])
    assert "deleted 1 " in result.output
    assert {l.public_id for l in stored_letters()} == {fresh.public_id, published.public_id}
    assert old not in {l.public_id for l in stored_letters()}

    assert "erased the contact address of 0 " in runner.invoke(args=["erase-contacts"]).output
    assert "erased the contact address of 1 " in runner.invoke(args=["erase-contacts", "--days", "0"]).output
    by_id = {l.public_id: l for l in stored_letters()}
    assert by_id[published.public_id].contact_email is None
    assert by_id[fresh.public_id].contact_email is not None, "undecided letters keep their contact"


def test_a_form_left_open_for_hours_can_still_be_sent(client, app, monkeypatch):
    three_hours_ago = int(itsdangerous.timed.time.time()) - 3 * 3600
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: three_hours_ago)
    form = valid_form(client)
    monkeypatch.undo()
    assert client.post("/submit", data=form).status_code == 303
    assert len(stored_letters()) == 1


def test_text_that_grows_when_normalized_is_held_to_the_limit(client, app):
    # U+FB2A (a Hebrew presentation form) becomes two characters under NFC.
    response = client.post("/submit", data=valid_form(client, display_name="\ufb2a" * 120))
    assert response.status_code == 400 and page_of(response).find("p", id="display_name-error")
    assert stored_letters() == []
