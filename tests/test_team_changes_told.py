"""Nobody's public words change by someone else's hand without them being told: the team hiding a
letter or a signature, showing it again, or taking a signature down mails its author or signer, in
their letter's language, with the reason and their private link; once per mailbox per action, however
many of theirs it touched; nobody whose address was erased; nothing for what people do themselves."""

import email
from email.policy import default

import pytest
from sqlalchemy import func, select, update

from refusal_site import moderators, pauses, signatures, tokens
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, MailMark, QueuedMail, Role, Signature
from refusal_site.storage import write_transaction
from tests.factories import db_refresh, make_collective, make_letter, make_signature
from tests.pages import hidden_fields, links_in, outbox, page_of, path_of

ENGLISH = {"Accept-Language": "en"}
TOLD = ("letter_hidden", "letter_shown", "signature_hidden", "signature_shown", "signature_unpublished")


@pytest.fixture
def admin():
    return moderators.create("admin@team.example", "a long enough password 1", role=Role.ADMIN)


def told(template: str | None = None) -> list:
    """The team's-change mails queued (and not yet sent), oldest first, as their recipients read them."""
    db.session.rollback()
    query = select(QueuedMail).where(QueuedMail.template.in_([template] if template else TOLD)).order_by(QueuedMail.id)
    return [email.message_from_bytes(row.message, policy=default) for row in db.session.execute(query).scalars()]


def erase_address(row: Letter | Signature) -> None:
    with write_transaction():
        db.session.execute(update(type(row)).where(type(row).id == row.id).values(contact_email=None))


def test_an_admin_s_hide_tells_the_author_in_the_letter_s_language_why_and_the_team_s_showing_too(client, login_as, app):
    letter = make_letter(language="ar", contact_email="sami@private.example")
    login_as(client, "admin")
    before = len(outbox(app))
    review = client.get(f"/moderate/letters/{letter.public_id}")
    response = client.post(f"/moderate/letters/{letter.public_id}/hide", data={**hidden_fields(review), "hide-reason": "تهديدات ضد الكاتب"}, headers=ENGLISH)
    assert response.status_code == 303
    assert "The author is told by e-mail." in page_of(client.get(response.headers["Location"], headers=ENGLISH)).visible_text
    [hidden] = outbox(app)[before:]
    assert hidden["To"] == "sami@private.example" and hidden["Content-Language"] == "ar"
    body = hidden.get_content()
    assert "تهديدات ضد الكاتب" in body, "the reason the admin gave"
    assert body.startswith("مرحبًا،"), "written in Arabic"
    [manage] = [link for link in links_in(hidden) if "/my-letter/" in link]
    assert client.get(path_of(manage)).status_code == 200, "the private link works"

    review = client.get(f"/moderate/letters/{letter.public_id}")
    response = client.post(f"/moderate/letters/{letter.public_id}/show", data=hidden_fields(review), headers=ENGLISH)
    assert response.status_code == 303
    assert "The author is told by e-mail." in page_of(client.get(response.headers["Location"], headers=ENGLISH)).visible_text
    [shown] = outbox(app)[before + 1:]
    assert shown["To"] == "sami@private.example" and shown["Content-Language"] == "ar"
    assert f"https://refusers.example/letters/{letter.public_id}" in links_in(shown), "the public link to share again"


def test_the_author_s_own_pause_sends_nothing_new(client, app):
    letter = make_letter(language="en")
    url = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    before = len(outbox(app))
    for button in ("hide", "show"):
        response = client.post(f"{url}/{button}", data=hidden_fields(client.get(url, headers=ENGLISH)), headers=ENGLISH)
        assert response.status_code == 303
    assert db.session.get(Letter, letter.id).status == LetterStatus.PUBLISHED
    assert len(outbox(app)) == before and told() == []


def test_a_signer_s_own_pause_sends_nothing_new(app):
    signature = make_signature(make_collective(language="en"))
    pauses.pause_signature(signature)
    pauses.resume_signature(db_refresh(signature))
    assert told() == []


def test_nobody_is_told_whose_address_was_erased(app, admin):
    letter = make_letter(language="he")
    erase_address(letter)
    pauses.pause(db.session.get(Letter, letter.id), by=admin, reason="בדיקה")
    assert db.session.get(Letter, letter.id).status == LetterStatus.PAUSED, "hidden all the same"
    signature = make_signature(make_collective(language="he"))
    erase_address(signature)
    pauses.hide_signatures({signature.id: db_refresh(signature).revision}, by=admin, reason="בדיקה")
    assert db_refresh(signature).status == "paused"
    assert told() == []


def test_the_admin_reads_whether_anyone_could_be_told(client, login_as, app):
    erased, kept = make_letter(language="en"), make_letter(language="en")
    erase_address(erased)
    login_as(client, "admin")
    review = client.get(f"/moderate/letters/{erased.public_id}")
    response = client.post(f"/moderate/letters/{erased.public_id}/hide", data={**hidden_fields(review), "hide-reason": "Safety"}, headers=ENGLISH)
    text = page_of(client.get(response.headers["Location"], headers=ENGLISH)).visible_text
    assert "The author's address has been erased, so they could not be told." in text and "is told by e-mail" not in text
    form = {**hidden_fields(client.get("/moderate/hide")), "letters": kept.public_id, "reason": "Doxxing"}
    text = page_of(client.post("/moderate/hide", data=form, headers=ENGLISH, follow_redirects=True)).visible_text
    assert "1 letter hidden." in text and "Each person concerned is told by e-mail, once, unless their address has been erased." in text
    assert [mail["To"] for mail in outbox(app)] == [kept.contact_email], "sent after the answer, to the one with an address"


def test_a_bulk_hide_mails_each_person_once_with_all_their_letters(app, admin):
    dana = [make_letter(language="he", contact_email=address) for address in ("Dana+one@private.example", "dana+two@PRIVATE.example")]
    other = make_letter(language="en", contact_email="omar@private.example")
    erased = make_letter(language="en")
    erase_address(erased)
    marks = db.session.execute(select(func.count()).select_from(MailMark)).scalar_one()
    hidden, _ = pauses.hide_many([letter.public_id for letter in (*dana, other, erased)], by=admin, reason="Coordinated doxxing")
    assert len(hidden) == 4
    mails = told("letter_hidden")
    assert sorted(mail["To"] for mail in mails) == ["Dana+one@private.example", "omar@private.example"], "one mail a mailbox"
    to_dana = next(mail for mail in mails if mail["To"].startswith("Dana"))
    assert to_dana["Content-Language"] == "he"
    body = to_dana.get_content()
    assert "Coordinated doxxing" in body
    assert all(letter.display_name in body for letter in dana), "both of her letters named in the one mail"
    assert len([link for link in links_in(to_dana) if "/my-letter/" in link]) == 2, "each with its private link"
    assert db.session.execute(select(func.count()).select_from(MailMark)).scalar_one() == marks, "a decision: not counted against the limits"


def test_a_flood_of_signatures_hidden_at_once_mails_each_mailbox_once_even_past_its_limit(app, admin):
    letter = make_collective(language="en")
    flood = [make_signature(letter, email=f"troll+{n}@flood.example", name=f"Troll {n}") for n in range(40)]
    real = make_signature(letter, email="noa@private.example", name="Noa Real")
    assert len(flood) > app.config["MAIL_RECIPIENT_DAILY"], "more than the limit would let through one by one"
    seen = {signature.id: signature.revision for signature in (*flood, real)}
    result = pauses.hide_signatures(seen, by=admin, reason="A flood of fake names")
    assert result.done == 41
    mails = told("signature_hidden")
    assert sorted(mail["To"] for mail in mails) == ["noa@private.example", "troll+0@flood.example"]
    to_noa = next(mail for mail in mails if mail["To"] == "noa@private.example")
    assert "A flood of fake names" in to_noa.get_content() and "Noa Real" in to_noa.get_content()

    shown = pauses.show_signatures({s.id: db_refresh(s).revision for s in (*flood, real)}, by=admin)
    assert shown.done == 41
    assert sorted(mail["To"] for mail in told("signature_shown")) == ["noa@private.example", "troll+0@flood.example"]
    to_noa = next(mail for mail in told("signature_shown") if mail["To"] == "noa@private.example")
    assert f"https://refusers.example/letters/{letter.public_id}" in links_in(to_noa)


def test_an_admin_s_hide_of_one_signature_tells_its_signer(app, admin):
    signature = make_signature(make_collective(language="ar"), email="layla@private.example")
    pauses.pause_signature(signature, by=admin, reason="سلامة الموقّعة")
    [mail] = told("signature_hidden")
    assert mail["To"] == "layla@private.example" and mail["Content-Language"] == "ar"
    assert "سلامة الموقّعة" in mail.get_content()
    assert any("/my-signature/" in link for link in links_in(mail))
    pauses.resume_signature(db_refresh(signature), by=admin)
    [mail] = told("signature_shown")
    assert mail["To"] == "layla@private.example"


def test_taking_a_signature_down_tells_its_signer_why(app):
    letter = make_collective(language="he")
    signature = make_signature(letter, email="yael@private.example")
    pending = make_signature(letter, "pending", email="ido@private.example")
    seen = {signature.id: signature.revision, pending.id: pending.revision}
    result = signatures.decide(seen, "unpublish", by="moderator", reason="שם שאינו שם")
    assert result.done == 1 and result.illegal == 1
    [mail] = told("signature_unpublished")
    assert mail["To"] == "yael@private.example" and mail["Content-Language"] == "he"
    assert "שם שאינו שם" in mail.get_content()
    # Rejecting a pending signature changes nothing the public saw: its signer was never shown.
    signatures.decide({pending.id: db_refresh(pending).revision}, "reject", by="moderator", reason="לא")
    assert [mail["To"] for mail in told()] == ["yael@private.example"]


def test_closing_a_letter_to_new_signatures_changes_no_one_s_public_words(app, admin):
    letter = make_collective(language="en")
    make_signature(letter)
    signatures.close_signing(letter, by=admin)
    assert told() == []
    assert db.session.get(Letter, letter.id).signatures_published == 1
