"""Before confirming, the author sees where the confirmation went and can correct the address or the
text: a new address gets a new confirmation and the links mailed to the old one die. The address is
shown only to the browser that submitted."""

from sqlalchemy import select

from refusal_site import drafts, letters, tokens
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus
from tests.factories import make_letter
from tests.pages import hidden_fields, links_in, outbox, page_of, path_of
from tests.test_submit import valid_form


def the_letter() -> Letter:
    db.session.rollback()
    return db.session.execute(select(Letter)).scalar_one()


def test_the_sent_page_shows_the_address_to_the_browser_that_submitted_only(client, app):
    assert client.post("/submit", data=valid_form(client, contact_email="noa@private.example")).status_code == 303
    page = client.get("/submit/sent")
    assert "noa@private.example" in page.get_data(as_text=True)
    assert "no-store" in page.headers["Cache-Control"]
    stranger = app.test_client()
    assert "noa@private.example" not in stranger.get("/submit/sent").get_data(as_text=True)
    # Nothing in a URL names the letter: the address reaches the page through the signed session only.
    assert "/submit/sent" == client.post("/submit", data=valid_form(client)).location


def test_the_address_is_no_longer_shown_once_the_letter_is_confirmed(client, app):
    client.post("/submit", data=valid_form(client, contact_email="noa@private.example"))
    letters.confirm(the_letter())
    assert "noa@private.example" not in client.get("/submit/sent").get_data(as_text=True)


def test_correcting_the_address_sends_a_new_confirmation_and_the_old_links_die(client, app):
    client.post("/submit", data=valid_form(client, contact_email="noa@privte.example"))
    (first,) = outbox(app)
    old_confirm, old_manage = (path_of(url) for url in links_in(first))
    form = hidden_fields(client.get("/submit/sent"))
    response = client.post("/submit/sent/address", data={**form, "address-contact_email": "noa@private.example"})
    assert response.status_code == 303 and response.location == "/submit/sent"
    assert "noa@private.example" in client.get("/submit/sent").get_data(as_text=True)
    second = outbox(app)[-1]
    assert second["To"] == "noa@private.example" and second["Content-Language"] == "he"
    new_confirm, new_manage = (path_of(url) for url in links_in(second))
    for old in (old_confirm, old_manage):
        dead = client.get(old, headers={"Accept-Language": "en"})
        assert dead.status_code == 410 and "This link was replaced" in dead.get_data(as_text=True)
    assert "הקישור הזה הוחלף" in client.get(old_confirm, headers={"Accept-Language": "he"}).get_data(as_text=True)
    assert client.get(new_manage).status_code == 200
    form = hidden_fields(client.get(new_confirm))
    assert client.post(new_confirm, data=form).status_code == 303
    assert the_letter().status == LetterStatus.PENDING and the_letter().contact_email == "noa@private.example"
    (event,) = db.session.execute(select(AuditEvent).where(AuditEvent.action == "letter:correct-address")).scalars()
    assert "privte" not in str(event.details) and "private" not in str(event.details), "the audit row keeps no address"


def test_the_private_page_corrects_the_address_before_confirmation_only(client, app):
    letter = make_letter(LetterStatus.UNCONFIRMED, contact_email="dan@wrong.example")
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    page = client.get(manage)
    assert "dan@wrong.example" in page.get_data(as_text=True)
    form = hidden_fields(page)
    response = client.post(f"{manage}/address", data={**form, "address-contact_email": "dan@right.example"})
    assert response.status_code == 303
    assert client.get(manage).status_code == 410, "this page's own link went to the wrong address too"
    confirmed = make_letter(LetterStatus.PENDING)
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, confirmed)}"
    assert "address-contact_email" not in client.get(manage).get_data(as_text=True)
    response = client.post(f"{manage}/address", data={**hidden_fields(client.get(manage)), "address-contact_email": "x@y.example"})
    assert response.status_code == 410, "once confirmed, the address stays"
    db.session.rollback()
    assert db.session.get(Letter, confirmed.id).contact_email != "x@y.example"


def test_a_bad_address_is_refused_next_to_its_field(client, app):
    client.post("/submit", data=valid_form(client))
    form = hidden_fields(client.get("/submit/sent"))
    response = client.post("/submit/sent/address", data={**form, "address-contact_email": "not an address"})
    assert response.status_code == 400 and page_of(response).find("p", id="address-contact_email-error")


def test_another_browser_cannot_correct_the_address(client, app):
    client.post("/submit", data=valid_form(client, contact_email="noa@private.example"))
    stranger = app.test_client()
    form = hidden_fields(stranger.get("/submit"))
    response = stranger.post("/submit/sent/address", data={"csrf_token": form["csrf_token"], "address-contact_email": "thief@evil.example"})
    assert response.status_code == 409
    assert the_letter().contact_email == "noa@private.example"


def test_the_text_can_be_corrected_before_confirmation(client, app):
    letter = make_letter(LetterStatus.UNCONFIRMED, language="en", body_text="I refuse to serv.")
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    form = hidden_fields(client.get(f"{manage}/text"))
    response = client.post(f"{manage}/text", data={**form, "display_name": letter.display_name, "body": "I refuse to serve."})
    assert response.status_code == 303
    corrected = the_letter()
    assert corrected.body_text == "I refuse to serve." and corrected.status == LetterStatus.UNCONFIRMED
    assert corrected.content_hash == letters.content_hash(corrected.display_name, None, "en", None, "I refuse to serve.")
    assert client.get(manage).status_code == 200, "the links still work: the address did not change"
    letters.confirm(corrected)
    assert client.get(f"{manage}/text").status_code == 410


def test_a_corrected_address_cannot_be_used_on_a_confirmed_letter(app):
    letter = make_letter(LetterStatus.PENDING)
    try:
        drafts.correct_address(letter, "other@private.example")
    except letters.IllegalTransition:
        pass
    else:
        raise AssertionError("a confirmed letter's address was changed")
