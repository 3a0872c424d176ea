"""Co-signing through the web: the signer's form, mail and private page; the moderators' bulk queue;
the letter's public page, the API and the count."""

import pytest
from sqlalchemy import select

from refusal_site import signatures, tokens
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Signature, SignatureStatus
from tests.factories import db_refresh, make_collective, make_letter, make_signature
from tests.pages import hidden_fields, links_in, outbox, page_of, path_of


def sign_form(client, letter, **overrides) -> dict:
    form = hidden_fields(client.get(f"/letters/{letter.public_id}/sign"))
    form.update(display_name="יואב לוי", descriptor="טייס במילואים", contact_email="yoav@private.example", consent_public="y", website="")
    form.update(overrides)
    return {k: v for k, v in form.items() if v is not None}


def stored() -> list[Signature]:
    db.session.rollback()
    return list(db.session.execute(select(Signature).order_by(Signature.id)).scalars())


def queue_form(client, url: str) -> dict:
    page = page_of(client.get(url))
    return {
        "csrf_token": page.find("input", name="csrf_token")[0]["value"],
        "shown": [a["value"] for a in page.find("input", name="shown")],
        "ids": [a["value"] for a in page.find("input", name="selected")],
    }


def test_the_whole_journey_from_signing_to_the_count_and_withdrawal(client, app, login_as):
    letter = make_collective(title="מכתב הטייסים")
    page = client.get(f"/letters/{letter.public_id}")
    assert f'href="/letters/{letter.public_id}/sign"' in page.get_data(as_text=True)

    response = client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter))
    assert response.status_code == 303 and response.headers["Location"].endswith("/sign/sent")
    (signature,) = stored()
    assert (signature.status, signature.display_name, signature.descriptor) == (SignatureStatus.UNCONFIRMED, "יואב לוי", "טייס במילואים")
    (message,) = outbox(app)
    assert message["To"] == "yoav@private.example" and message["Content-Language"] == "he"
    confirm_url, manage_url = links_in(message)

    # A mail scanner following the link confirms nothing; the button does.
    assert client.get(path_of(confirm_url)).status_code == 200 and stored()[0].status == SignatureStatus.UNCONFIRMED
    response = client.post(path_of(confirm_url), data=hidden_fields(client.get(path_of(confirm_url))))
    assert response.status_code == 303 and stored()[0].status == SignatureStatus.PENDING
    assert client.get(path_of(confirm_url)).status_code == 410, "a used link says so"
    assert client.get("/api/v1/count").json["count"] == 1, "not counted before a moderator approves"

    login_as(client)
    queue = queue_form(client, f"/moderate/signatures?letter={letter.public_id}")
    assert len(queue["shown"]) == 1
    response = client.post(
        f"/moderate/signatures?letter={letter.public_id}",
        data={"csrf_token": queue["csrf_token"], "shown": queue["shown"], "decision": "publish", "scope": "shown"},
    )
    assert response.status_code == 303
    body = client.get("/api/v1/count").json
    assert body["count"] == 2 and body["breakdown"]["signatures"] == 1 and body["breakdown"]["letters"] == 1
    text = page_of(client.get(f"/letters/{letter.public_id}")).visible_text
    assert "יואב לוי" in text and "טייס במילואים" in text
    assert "yoav@private.example" not in client.get(f"/letters/{letter.public_id}").get_data(as_text=True)
    signers = client.get(f"/api/v1/letters/{letter.public_id}/signers").json
    assert signers["signers"] == [{"display_name": "יואב לוי", "descriptor": "טייס במילואים"}] and signers["total"] == 1

    manage = client.get(path_of(manage_url))
    assert manage.status_code == 200 and "יואב לוי" in page_of(manage).visible_text
    response = client.post(path_of(manage_url) + "/withdraw", data={**hidden_fields(manage), "understood": "y"})
    assert response.status_code == 303 and stored()[0].status == SignatureStatus.WITHDRAWN
    assert client.get("/api/v1/count").json["count"] == 1, "the withdrawn signature left the count at once"
    assert "יואב לוי" not in page_of(client.get(f"/letters/{letter.public_id}")).visible_text


def test_the_same_address_twice_makes_no_second_signature_and_mails_that_address(client, app):
    letter = make_collective()
    first = client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter))
    second = client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter, display_name="מישהו אחר", contact_email="YOAV@private.example"))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"], "the page does not reveal that the address signed"
    assert len(stored()) == 1 and stored()[0].display_name == "יואב לוי"
    messages = outbox(app)
    assert len(messages) == 2 and {m["To"] for m in messages} == {"yoav@private.example"}
    (notice,) = [m for m in messages if "no second signature was made" in m.get_content() or "לא נוספה" in m.get_content()]
    assert len(links_in(notice)) == 2, "the notice carries the confirmation link and the private page"


@pytest.mark.parametrize("state", ["closed", "withdrawn", "unpublished"])
def test_signing_a_closed_withdrawn_or_unpublished_letter_is_refused(client, state):
    from refusal_site import letters, moderators

    letter = make_collective()
    form = sign_form(client, letter)
    if state == "closed":
        signatures.close_signing(letter, by=moderators.create("mod@team.example", "a long enough password"))
        response = client.post(f"/letters/{letter.public_id}/sign", data=form)
        assert response.status_code == 409
        assert "closed to new signatures" in page_of(client.get(f"/letters/{letter.public_id}/sign?lang=en")).visible_text
    else:
        if state == "withdrawn":
            letters.withdraw(letter)
        else:
            letters.unpublish(letter, by="test", reason="check")
        response = client.post(f"/letters/{letter.public_id}/sign", data=form)
        assert response.status_code == 404
    assert stored() == []


def test_an_individual_letter_has_no_signing_form(client):
    letter = make_letter()
    assert client.get(f"/letters/{letter.public_id}/sign").status_code == 404
    assert "/sign" not in client.get(f"/letters/{letter.public_id}").get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "\u202eןמחנ", "change the direction of text"),
        ("display_name", "a\x00b", "control characters"),
        ("display_name", "", "name to sign with"),
        ("display_name", "x" * 121, "can have up to 120"),
        ("contact_email", "not-an-address", "valid e-mail address"),
        ("consent_public", None, "your name will be public"),
        ("website", "http://spam.example", "must stay empty"),
    ],
)
def test_bad_input_gets_a_clear_message_and_stores_nothing(client, field, value, message):
    letter = make_collective()
    response = client.post(f"/letters/{letter.public_id}/sign?lang=en", data=sign_form(client, letter, **{field: value}))
    assert response.status_code == 400
    assert message in page_of(response).visible_text
    assert stored() == []


def test_html_in_a_name_is_shown_as_text(client, login_as):
    letter = make_collective()
    signature = make_signature(letter, name="<script>alert(1)</script>")
    assert signature.status == SignatureStatus.PUBLISHED
    html = client.get(f"/letters/{letter.public_id}").get_data(as_text=True)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_signing_without_the_csrf_token_is_refused(client):
    letter = make_collective()
    form = sign_form(client, letter)
    del form["csrf_token"]
    assert client.post(f"/letters/{letter.public_id}/sign", data=form).status_code == 400
    assert stored() == []


def test_forged_or_foreign_tokens_name_no_signature(client, app):
    letter = make_collective()
    signature = make_signature(letter, "unconfirmed")
    letter_token = tokens.make(tokens.Purpose.CONFIRM, letter)
    assert client.get(f"/signature/confirm/{letter_token}").status_code == 404, "a letter's link is not a signature's"
    good = tokens.make(tokens.Purpose.SIGNATURE_CONFIRM, signature)
    assert client.get(f"/signature/confirm/{good[:-3]}xyz").status_code == 404
    assert client.get(f"/my-signature/{good}").status_code == 404, "a confirmation link is not the private page"
    signatures.withdraw(signature)
    assert client.post(f"/signature/confirm/{good}", data=hidden_fields(client.get("/submit"))).status_code == 410
    assert db_refresh(signature).status == SignatureStatus.WITHDRAWN


def test_a_moderator_approves_the_ticked_signatures_and_rejects_the_rest_with_a_reason(client, login_as):
    moderator = login_as(client)
    letter = make_collective()
    made = [make_signature(letter, "pending") for _ in range(5)]
    url = f"/moderate/signatures?letter={letter.public_id}"
    queue = queue_form(client, url)
    response = client.post(url, data={"csrf_token": queue["csrf_token"], "shown": queue["shown"], "selected": queue["ids"][:2], "decision": "publish", "scope": "selected"})
    assert response.status_code == 303
    queue = queue_form(client, url)
    assert len(queue["shown"]) == 3
    no_reason = client.post(url + "&lang=en", data={"csrf_token": queue["csrf_token"], "shown": queue["shown"], "decision": "reject", "scope": "shown"})
    assert no_reason.status_code == 400 and "Please give a reason" in page_of(no_reason).visible_text
    response = client.post(url, data={"csrf_token": queue["csrf_token"], "shown": queue["shown"], "decision": "reject", "scope": "shown", "reason": "not reservists"})
    assert response.status_code == 303
    assert [s.status for s in stored()] == [SignatureStatus.PUBLISHED, SignatureStatus.PUBLISHED, SignatureStatus.REJECTED, SignatureStatus.REJECTED, SignatureStatus.REJECTED]
    events = db.session.execute(select(AuditEvent).where(AuditEvent.actor_id == moderator.id)).scalars().all()
    decisions = [e for e in events if e.action.startswith("signature:")]
    assert len(decisions) == 5 and {e.reason for e in decisions if e.action == "signature:reject"} == {"not reservists"}
    assert made


def test_nothing_ticked_is_a_clear_400(client, login_as):
    login_as(client)
    letter = make_collective()
    make_signature(letter, "pending")
    url = f"/moderate/signatures?lang=en&letter={letter.public_id}"
    queue = queue_form(client, url)
    response = client.post(url, data={"csrf_token": queue["csrf_token"], "shown": queue["shown"], "decision": "publish", "scope": "selected"})
    assert response.status_code == 400 and "No signature was ticked" in page_of(response).visible_text
    assert stored()[0].status == SignatureStatus.PENDING


def test_a_moderator_opens_and_closes_a_letter_for_signing(client, login_as):
    login_as(client)
    letter = make_letter()
    review = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))
    assert client.post(f"/moderate/letters/{letter.public_id}/open-signing", data=review).status_code == 303
    assert client.get(f"/letters/{letter.public_id}/sign").status_code == 200
    review = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))
    assert client.post(f"/moderate/letters/{letter.public_id}/close-signing", data=review).status_code == 303
    assert "closed to new signatures" in page_of(client.get(f"/letters/{letter.public_id}?lang=en")).visible_text


def test_an_author_can_submit_a_letter_open_for_co_signing(client):
    from tests.test_submit import stored_letters, valid_form

    client.post("/submit", data=valid_form(client, collective="y"))
    client.post("/submit", data=valid_form(client, contact_email="other@private.example"))
    assert [letter.collective for letter in stored_letters()] == [True, False]


def test_the_letter_page_pages_through_signers(client, app):
    app.config["SIGNERS_PER_PAGE"] = 2
    letter = make_collective()
    for i in range(5):
        make_signature(letter, name=f"חותם{i}")
    texts = [page_of(client.get(f"/letters/{letter.public_id}?page={n}")).visible_text for n in (1, 2, 3)]
    assert "חותם0" in texts[0] and "חותם2" in texts[1] and "חותם4" in texts[2] and "חותם4" not in texts[0]
    assert client.get(f"/letters/{letter.public_id}?page=4").status_code == 404
    assert client.get(f"/letters/{letter.public_id}?page=x").status_code == 400


def test_form_fields_carry_no_unset_attributes(client, login_as):
    """An unset attribute must be left out, not written as "None" (aria-invalid="None" is invalid)."""
    letter = make_collective()
    make_signature(letter, "pending")
    pages = ["/submit", f"/letters/{letter.public_id}/sign"]
    login_as(client)
    pages += [f"/moderate/letters/{letter.public_id}", f"/moderate/signatures?letter={letter.public_id}"]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert '="None"' not in html, url
    decision = page_of(client.get(f"/moderate/signatures?letter={letter.public_id}")).find("label")
    assert not any(label.get("lang") in ("publish", "reject", "unpublish") for label in decision)


def test_lost_links_are_sent_again_for_signatures_too(client, app):
    letter = make_collective()
    make_signature(letter, "pending", email="lost@private.example")
    form = hidden_fields(client.get("/submit/resend"))
    assert client.post("/submit/resend", data={**form, "contact_email": "lost@private.example"}).status_code == 303
    (message,) = [m for m in outbox(app) if m["To"] == "lost@private.example"]
    (manage_url,) = links_in(message)
    assert "/my-signature/" in manage_url and client.get(path_of(manage_url)).status_code == 200


def test_the_same_signing_form_posted_twice_is_a_double_submit_not_a_second_signer(client, app):
    letter = make_collective()
    form = sign_form(client, letter)
    first = client.post(f"/letters/{letter.public_id}/sign", data=form)
    second = client.post(f"/letters/{letter.public_id}/sign", data=form, headers={"Accept-Language": "en"})
    assert first.status_code == 303
    assert second.status_code == 409 and "We already received this signature" in page_of(second).visible_text
    assert len(stored()) == 1
    (message,) = outbox(app)
    assert "no second signature was made" not in message.get_content(), "no 'already signed' notice for a double submit"


def test_an_expired_unconfirmed_signature_makes_way_for_a_new_one_with_a_working_link(client, app):
    from datetime import timedelta

    from refusal_site.models import utcnow

    letter = make_collective()
    expired = make_signature(letter, "unconfirmed", email="yoav@private.example")
    expired.submitted_at = utcnow() - timedelta(days=8)
    db.session.commit()
    expired_id, before = expired.public_id, len(outbox(app))
    db.session.expunge(expired)  # SQLite may give the new row the deleted one's id
    assert client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter)).status_code == 303
    (signature,) = stored()
    assert signature.public_id != expired_id and signature.status == SignatureStatus.UNCONFIRMED
    (message,) = outbox(app)[before:]
    confirm_url, _manage_url = links_in(message)
    response = client.post(path_of(confirm_url), data=hidden_fields(client.get(path_of(confirm_url))))
    assert response.status_code == 303 and stored()[0].status == SignatureStatus.PENDING


@pytest.mark.parametrize("change", ["withdrawn", "unpublished"])
def test_a_confirmation_link_of_a_letter_no_longer_public_says_so(client, app, change):
    from refusal_site import letters

    letter = make_collective()
    client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter))
    confirm_url, _manage_url = links_in(outbox(app)[-1])
    form = hidden_fields(client.get(path_of(confirm_url)))
    if change == "withdrawn":
        letters.withdraw(db_refresh(letter))
    else:
        letters.unpublish(db_refresh(letter), by="test", reason="check")
    response = client.post(path_of(confirm_url) + "?lang=en", data=form)
    assert response.status_code == 409
    assert "is not public at the moment" in page_of(response).visible_text
    assert stored()[0].status == SignatureStatus.UNCONFIRMED
    shown = client.get(path_of(confirm_url) + "?lang=en")
    assert shown.status_code == 409 and letter.body_text.split(".")[0] not in shown.get_data(as_text=True)


def test_the_author_signing_their_own_letter_gets_the_usual_answer_and_a_notice(client, app):
    letter = make_collective(contact_email="author@private.example")
    before = len(outbox(app))
    usual = client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter, contact_email="other@private.example"))
    own = client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter, contact_email="Author@private.example"))
    assert usual.status_code == own.status_code == 303
    assert usual.headers["Location"] == own.headers["Location"], "the page does not reveal who wrote the letter"
    assert [s.contact_email for s in stored()] == ["other@private.example"]
    (notice,) = [m for m in outbox(app)[before:] if m["To"] == "author@private.example"]
    assert "לא נוספה" in notice.get_content() and "כבר נספר" in notice.get_content()
    (manage_url,) = links_in(notice)
    assert "/my-letter/" in manage_url and client.get(path_of(manage_url)).status_code == 200


def test_bulk_approval_of_a_stale_page_skips_the_withdrawn_signature_and_says_so(client, login_as):
    login_as(client)
    letter = make_collective()
    made = [make_signature(letter, "pending") for _ in range(3)]
    url = f"/moderate/signatures?letter={letter.public_id}"
    queue = queue_form(client, url)
    assert len(queue["shown"]) == 3
    signatures.withdraw(made[1])  # withdrawn while the moderator looks at the page
    response = client.post(
        url, data={"csrf_token": queue["csrf_token"], "shown": queue["shown"], "decision": "publish", "scope": "shown"},
        headers={"Accept-Language": "en"}, follow_redirects=True,
    )  # fmt: skip
    assert response.status_code == 200
    assert "Decided: 2. Skipped because they changed since the page was shown: 1." in page_of(response).visible_text
    assert [s.status for s in stored()] == [SignatureStatus.PUBLISHED, SignatureStatus.WITHDRAWN, SignatureStatus.PUBLISHED]
    assert client.get("/api/v1/count").json["count"] == 3 and db_refresh(letter).signatures_published == 2


def test_a_move_the_rules_forbid_is_reported_as_such(client, login_as):
    login_as(client)
    letter = make_collective()
    make_signature(letter, "pending")
    url = f"/moderate/signatures?letter={letter.public_id}"
    queue = queue_form(client, url)
    response = client.post(
        url, data={"csrf_token": queue["csrf_token"], "shown": queue["shown"], "decision": "unpublish", "scope": "shown", "reason": "check"},
        headers={"Accept-Language": "en"}, follow_redirects=True,
    )  # fmt: skip
    text = page_of(response).visible_text
    assert "Decided: 0. Skipped because they changed since the page was shown: 0." in text
    assert "Left unchanged because this decision is not allowed from their current state: 1." in text
    assert stored()[0].status == SignatureStatus.PENDING


def test_a_reused_withdrawal_link_says_the_signature_is_already_withdrawn(client, app):
    letter = make_collective()
    client.post(f"/letters/{letter.public_id}/sign", data=sign_form(client, letter))
    _confirm_url, manage_url = links_in(outbox(app)[-1])
    form = {**hidden_fields(client.get(path_of(manage_url))), "understood": "y"}
    assert client.post(path_of(manage_url) + "/withdraw", data=form).status_code == 303
    again = client.post(path_of(manage_url) + "/withdraw?lang=en", data=form)
    assert again.status_code == 409 and "This signature was already withdrawn." in page_of(again).visible_text
    assert stored()[0].status == SignatureStatus.WITHDRAWN
