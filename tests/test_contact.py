"""The contact form and the moderators' inbox: a message is kept, read and marked handled (audited),
mailed to the team when a team address is set; the form has the letter form's protections."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from refusal_site import contact, letters, mail, moderators
from refusal_site.audit import AuditAction
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, ContactMessage, LetterStatus, QueuedMail, utcnow
from tests.factories import make_letter
from tests.pages import hidden_fields, outbox, page_of

HEBREW = "שלום, אני עיתונאית ב״הארץ״ ורוצה לשוחח עם אחד הכותבים."


def send(client, lang: str = "he", **fields):
    form = hidden_fields(client.get(f"/contact?lang={lang}"))
    form.update({"kind": "press", "name": "דנה לוי", "reply_email": "dana@press.example", "message": HEBREW, **fields})
    return client.post("/contact", data=form)


def stored() -> list[ContactMessage]:
    db.session.rollback()
    return list(db.session.execute(select(ContactMessage).order_by(ContactMessage.id)).scalars())


def test_a_message_is_kept_and_a_moderator_reads_it_and_marks_it_handled(client, app, login_as):
    sent = send(client)
    assert sent.status_code == 303 and sent.headers["Location"] == "/contact/sent"
    assert "dana@press.example" not in client.get("/contact/sent").get_data(as_text=True)
    (message,) = stored()
    assert (message.kind, message.name, message.reply_email, message.body, message.language) == (
        "press", "דנה לוי", "dana@press.example", HEBREW, "he"
    )

    moderator = login_as(client)  # any moderator, not only admins
    inbox = page_of(client.get("/moderate/inbox?lang=en"))
    assert "A press enquiry" in inbox.visible_text and inbox.find("strong", **{"class": "kind-press"})
    assert inbox.find("a", href=f"/moderate/inbox/{message.id}")
    read = client.get(f"/moderate/inbox/{message.id}?lang=en")
    assert read.status_code == 200 and read.headers["Cache-Control"] == "no-store"
    text = read.get_data(as_text=True)
    assert HEBREW in text
    assert "dana@press.example" in text and "דנה לוי" in text

    marked = client.post(f"/moderate/inbox/{message.id}/handled", data=hidden_fields(read))
    assert marked.status_code == 303
    (message,) = stored()
    assert message.handled_at is not None and message.handled_by_id == moderator.id
    (event,) = db.session.execute(select(AuditEvent).where(AuditEvent.action == AuditAction.CONTACT_MESSAGE_HANDLE)).scalars()
    assert event.actor_id == moderator.id and event.details == {"message": message.id, "kind": "press"}
    assert "Nothing here." in page_of(client.get("/moderate/inbox?lang=en")).visible_text
    assert f"/moderate/inbox/{message.id}" in client.get("/moderate/inbox?handled=1").get_data(as_text=True)

    # A second tab marking it again: told, nothing recorded twice.
    again = client.post(f"/moderate/inbox/{message.id}/handled", data=hidden_fields(read))
    assert again.status_code == 303
    assert len(db.session.execute(select(AuditEvent).where(AuditEvent.action == AuditAction.CONTACT_MESSAGE_HANDLE)).all()) == 1


def test_name_and_address_are_optional_and_the_kind_is_required(client):
    assert send(client, name="", reply_email="", kind="question").status_code == 303
    (message,) = stored()
    assert message.name is None and message.reply_email is None
    refused = send(client, kind="", lang="en")
    assert refused.status_code == 400 and "Please choose what your message is about." in refused.get_data(as_text=True)
    assert send(client, kind="spam").status_code == 400
    assert len(stored()) == 1


def test_the_rejection_mail_preselects_a_problem_with_a_letter(client):
    page = page_of(client.get("/contact?kind=letter"))
    (letter,) = page.find("input", name="kind", value="letter")
    assert "checked" in letter
    assert client.get("/contact?kind=nonsense").status_code == 400


def test_the_honeypot_refuses_with_a_clear_message_and_keeps_the_text(client):
    refused = send(client, lang="en", website="http://spam.example")
    assert refused.status_code == 400
    assert "This field must stay empty" in refused.get_data(as_text=True)
    assert page_of(refused).value("message") == HEBREW
    assert stored() == []


def test_an_over_long_message_is_refused_with_all_of_it_kept(client):
    long = ("מילה " * 1100).strip()  # 5,499 characters
    refused = send(client, lang="en", message=long)
    assert refused.status_code == 400
    assert "can have up to 5,000" in refused.get_data(as_text=True)
    assert page_of(refused).value("message") == long, "never cut"
    assert not page_of(refused).find("textarea", maxlength="5000"), "a maxlength would cut a pasted text"
    assert stored() == []


def test_an_over_long_name_or_address_is_refused_not_cut(client):
    assert send(client, name="א" * 121).status_code == 400
    assert send(client, reply_email="a" * 250 + "@x.example").status_code == 400
    assert stored() == []


@pytest.mark.parametrize(
    "field, value",
    [
        ("message", "hello\x07there"),  # a control character
        ("message", "hello\x00there"),  # NUL, which PostgreSQL cannot store
        ("name", "Dana\u202eevil"),  # a direction override in a one-line field
        ("name", "Dana\x1b"),
    ],
)
def test_control_and_direction_characters_are_refused_next_to_the_field(client, field, value):
    refused = send(client, lang="en", **{field: value})
    assert refused.status_code == 400
    assert "invisible" in page_of(refused).visible_text
    assert stored() == []


def test_direction_marks_in_a_message_are_kept_as_typed_like_a_letters(client):
    text = "אני כותב מ\u200fתל אביב, see https://example.org"
    assert send(client, message=text).status_code == 303
    assert stored()[0].body == text


def test_without_a_csrf_token_nothing_is_kept(client):
    refused = client.post("/contact", data={"kind": "question", "message": "hello"})
    assert refused.status_code == 400
    assert stored() == []


def test_the_message_is_mailed_to_the_team_when_an_address_is_set(make_app):
    app = make_app(CONTACT_TEAM_EMAIL="team@refusers.example")
    with app.app_context():
        client = app.test_client()
        assert send(client, message="See http://evil.example now", reply_email="dana@press.example").status_code == 303
        (team_mail,) = outbox(app)
        assert team_mail["To"] == "team@refusers.example" and team_mail["Content-Language"] == "he"
        assert "Press enquiry" in team_mail["Subject"] or "עיתונ" in team_mail["Subject"]
        body = team_mail.get_content()
        assert "evil[.]example" in body and "http://evil.example" not in body, "a stranger's text is never a link"
        assert "dana@press.example" in body
        (message,) = stored()
        assert f"https://refusers.example/moderate/inbox/{message.id}" in body


def test_nothing_is_mailed_without_a_team_address(client, app):
    assert send(client).status_code == 303
    assert db.session.execute(select(QueuedMail)).all() == []
    assert outbox(app) == []


def test_the_senders_address_is_on_no_public_page(client, app):
    make_letter()
    assert send(client).status_code == 303
    for url in ("/", "/letters", "/about", "/privacy", "/contact", "/contact/sent", "/feed.atom", "/api/v1/letters"):
        assert "dana@press.example" not in client.get(url).get_data(as_text=True), url


def test_handled_messages_are_deleted_after_the_retention_period(client, app, runner):
    send(client)
    send(client, kind="other")
    first, second = stored()
    editor = moderators.create("inbox@team.example", "a long enough password")
    contact.mark_handled(first, by=editor)
    assert contact.purge_handled(after=timedelta(days=90)) == 0
    assert contact.purge_handled(after=timedelta(days=90), now=utcnow() + timedelta(days=91)) == 1
    assert [m.id for m in stored()] == [second.id], "an open message is never deleted"
    assert runner.invoke(args=["erase-contacts", "--days", "0"]).exit_code == 0
    assert [m.id for m in stored()] == [second.id]


def test_too_many_messages_get_a_clear_translated_429(make_app):
    app = make_app(CONTACT_RATE_LIMIT="2 per minute")
    with app.app_context():
        client = app.test_client()
        assert send(client).status_code == 303
        assert send(client, kind="").status_code == 400  # a refused form counts too
        blocked = send(client)
        assert blocked.status_code == 429
        assert page_of(blocked).find("html")[0]["lang"] == "he"
        assert "Retry-After" in blocked.headers
        assert client.get("/contact").status_code == 200, "reading the form is not limited"
        assert len(stored()) == 1


def test_a_rejected_author_is_pointed_to_the_contact_form_in_their_language(client, app):
    letter = make_letter(LetterStatus.PENDING, language="ar")
    letters.reject(letter, by="test", reason="not verifiable")
    mail.deliver_due()
    (rejection,) = [m for m in outbox(app) if "not verifiable" in m.get_content()]
    assert rejection["Content-Language"] == "ar"
    assert "https://refusers.example/contact?kind=letter&lang=ar" in rejection.get_content()
    assert client.get("/contact?kind=letter&lang=ar").status_code == 200
