"""The safety pause for co-signatures: a co-signer hides their published signature at once from their
private page and shows it again later; an admin hides one or many in an emergency. A hidden signature
is off the letter's list, the count, the API and the PDFs exactly like a withdrawn one, and comes back
in its place with its original date."""

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from refusal_site import letters, pauses, published, signatures, tally, tokens
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, Signature, SignatureStatus, utcnow
from tests.factories import db_refresh, make_collective, make_signature
from tests.pages import hidden_fields, page_of
from tests.pdfs import pdf_text

ENGLISH = {"Accept-Language": "en"}
HEBREW = {"Accept-Language": "he"}


def private_url(signature: Signature) -> str:
    return f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, signature)}"


def press(client, url: str, button: str, headers=ENGLISH):
    """Press a button of the co-signer's private page, with the page's own hidden fields."""
    return client.post(f"{url}/{button}", data=hidden_fields(client.get(url, headers=headers)), headers=headers)


def counted() -> tuple[int, int]:
    row = tally.row()
    return row.refusers, row.signatures


def signer_names(client, letter: Letter) -> list[str]:
    return re.findall(r'<bdi class="signer-name">([^<]*)</bdi>', client.get(f"/letters/{letter.public_id}").get_data(as_text=True))


def api_signers(client, letter: Letter) -> list[str]:
    return [s["display_name"] for s in client.get(f"/api/v1/letters/{letter.public_id}/signers").get_json()["signers"]]


def actions_of(signature: Signature) -> list[tuple[str, str | None]]:
    events = db.session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()
    return [(e.action, e.actor_label, e.reason) for e in events if (e.details or {}).get("signature") == signature.public_id]


# --- the co-signer's private page -------------------------------------------------------------------


def test_a_co_signer_hides_their_signature_at_once_and_it_comes_back_in_its_place_with_its_date(client):
    letter = make_collective(language="en", display_name="Yael Bar")
    first, middle, last = (make_signature(letter, name=name) for name in ("Avi Cohen", "Dana Katz", "Ron Levi"))
    published_at = db_refresh(middle).published_at
    url = private_url(middle)
    assert signer_names(client, letter) == ["Avi Cohen", "Dana Katz", "Ron Levi"]
    assert counted() == (4, 3)

    assert press(client, url, "hide").status_code == 303
    assert counted() == (3, 2)
    assert signer_names(client, letter) == ["Avi Cohen", "Ron Levi"]
    assert api_signers(client, letter) == ["Avi Cohen", "Ron Levi"]
    assert client.get(f"/api/v1/letters/{letter.public_id}").get_json()["signatures"] == 2
    assert client.get("/api/v1/count").get_json()["count"] == 3
    page = page_of(client.get(url, headers=ENGLISH)).visible_text
    assert "Hidden for now" in page and "Show my signature again" in page and "Hide my signature now" not in page

    assert press(client, url, "show").status_code == 303
    assert counted() == (4, 3) and tally.check() == []
    assert signer_names(client, letter) == ["Avi Cohen", "Dana Katz", "Ron Levi"], "back in its place"
    again = db_refresh(middle)
    assert again.status == SignatureStatus.PUBLISHED and again.published_at == published_at and again.paused_by is None
    assert actions_of(middle)[-2:] == [("signature:pause", "signer", None), ("signature:resume", "signer", None)]
    assert {first.status, last.status} == {SignatureStatus.PUBLISHED}


def test_the_co_signer_s_page_speaks_hebrew_and_hides_and_shows(client):
    letter = make_collective()
    signature = make_signature(letter, name="דנה כץ")
    url = private_url(signature)
    page = page_of(client.get(url, headers=HEBREW)).visible_text
    assert "הסתרת החתימה שלי עכשיו" in page
    assert press(client, url, "hide", HEBREW).status_code == 303
    page = page_of(client.get(url, headers=HEBREW)).visible_text
    assert "מוסתר לעת עתה" in page and "הצגת החתימה שלי מחדש" in page
    assert press(client, url, "show", HEBREW).status_code == 303
    assert db_refresh(signature).status == SignatureStatus.PUBLISHED


def test_the_same_button_pressed_twice_does_nothing_twice(client):
    letter = make_collective(language="en")
    signature = make_signature(letter)
    url = private_url(signature)
    fields = hidden_fields(client.get(url))
    assert client.post(f"{url}/hide", data=fields).status_code == 303
    twice = client.post(f"{url}/hide", data=fields, headers={"Accept-Language": "en"}, follow_redirects=True)
    assert twice.status_code == 200 and "Already done" in twice.get_data(as_text=True), "already hidden: said so"
    assert counted() == (1, 0) and tally.check() == []
    assert [action for action, *_ in actions_of(signature)].count("signature:pause") == 1


def test_a_press_on_an_out_of_date_page_changes_nothing_and_says_so(client):
    letter = make_collective(language="en")
    signature = make_signature(letter)
    url = private_url(signature)
    stale = hidden_fields(client.get(url))
    assert press(client, url, "hide").status_code == 303
    assert press(client, url, "show").status_code == 303  # in another tab: hidden, and shown again
    response = client.post(f"{url}/show", data=stale, headers=ENGLISH)  # already shown: nothing to do
    assert response.status_code == 303
    response = client.post(f"{url}/hide", data=stale, headers=ENGLISH)  # the first page's revision
    assert response.status_code == 409 and "Nothing was changed" in page_of(response).visible_text
    assert db_refresh(signature).status == SignatureStatus.PUBLISHED and counted() == (2, 1)


def test_a_withdrawn_signature_is_gone_for_good_410(client):
    letter = make_collective()
    signature = make_signature(letter)
    url = private_url(signature)
    fields = hidden_fields(client.get(url))
    signatures.withdraw(signature)
    for button in ("hide", "show"):
        response = client.post(f"{url}/{button}", data=fields, headers=HEBREW)
        assert response.status_code == 410 and "החתימה הזאת כבר נמשכה" in page_of(response).visible_text
    assert db_refresh(signature).status == SignatureStatus.WITHDRAWN and counted() == (1, 0)


@pytest.mark.parametrize("status", ["pending", "unpublished", "rejected"])
def test_only_a_published_signature_is_hidden_and_only_a_hidden_one_shown(client, status):
    letter = make_collective(language="en")
    signature = make_signature(letter, status)
    url = private_url(signature)
    token = hidden_fields(client.get("/submit"))["csrf_token"]
    for button in ("hide", "show"):
        response = client.post(f"{url}/{button}", data={"csrf_token": token, "revision": signature.revision}, headers=ENGLISH)
        assert response.status_code == 409 and "Nothing was changed" in page_of(response).visible_text
    assert db_refresh(signature).status == status and counted() == (1, 0)


def test_a_tampered_link_or_a_missing_token_hides_nothing(client):
    letter = make_collective()
    signature = make_signature(letter)
    url = private_url(signature)
    fields = hidden_fields(client.get(url))
    tampered = client.post(f"{url[:-3]}xyz/hide", data=fields, headers=HEBREW)
    assert tampered.status_code == 404 and "הקישור" in page_of(tampered).visible_text
    letter_link = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    assert client.post(f"/my-signature/{letter_link.rsplit('/', 1)[1]}/hide", data=fields).status_code == 404, "a letter's link is not a signature's"
    assert client.post(f"{url}/hide", data={"revision": fields["revision"]}).status_code == 400, "no CSRF token"
    assert client.post(f"{url}/hide", data={**fields, "revision": "x"}, headers=ENGLISH).status_code == 400
    assert db_refresh(signature).status == SignatureStatus.PUBLISHED and counted() == (2, 1)


def test_a_hidden_signature_can_still_be_withdrawn_and_is_counted_out_once(client):
    letter = make_collective()
    signature = make_signature(letter)
    url = private_url(signature)
    press(client, url, "hide")
    form = {**hidden_fields(client.get(url)), "understood": "y"}
    assert client.post(f"{url}/withdraw", data=form).status_code == 303
    assert db_refresh(signature).status == SignatureStatus.WITHDRAWN
    assert counted() == (1, 0) and tally.check() == []


def test_a_co_signer_gets_their_link_again_while_hidden(client, app):
    from refusal_site import mail
    from tests.pages import links_in, outbox, path_of

    letter = make_collective()
    signature = make_signature(letter, email="hiding@private.example")
    pauses.pause_signature(signature)
    mail.deliver_queued()  # the mail of signing and publication, before asking again
    before = len(outbox(app))
    form = hidden_fields(client.get("/submit/resend"))
    assert client.post("/submit/resend", data={**form, "contact_email": "hiding@private.example"}).status_code == 303
    (message,) = [m for m in outbox(app)[before:] if m["To"] == "hiding@private.example"]
    (link,) = [link for link in links_in(message) if "/my-signature/" in link]
    assert client.get(path_of(link)).status_code == 200


# --- the whole letter paused -------------------------------------------------------------------------


def test_a_paused_letter_shows_no_signers_and_keeps_each_signature_s_own_pause(client):
    letter = make_collective(language="en")
    staying, hiding = make_signature(letter, name="Avi Cohen"), make_signature(letter, name="Dana Katz")
    pauses.pause_signature(hiding)
    assert counted() == (2, 1)
    letter = pauses.pause(db_refresh(letter))
    assert counted() == (0, 0)
    assert client.get(f"/letters/{letter.public_id}").status_code == 404
    assert client.get(f"/api/v1/letters/{letter.public_id}/signers").status_code == 404
    assert (db_refresh(staying).status, db_refresh(hiding).status) == (SignatureStatus.PUBLISHED, SignatureStatus.PAUSED)
    page = page_of(client.get(private_url(staying), headers=ENGLISH)).visible_text
    assert "The letter itself is hidden for now" in page and "Hide my signature now" in page

    # While the letter is hidden, a signer still chooses: the count waits for the letter.
    pauses.pause_signature(db_refresh(staying))
    pauses.resume_signature(db_refresh(hiding))
    assert counted() == (0, 0) and tally.check() == []
    pauses.resume(db_refresh(letter))
    assert counted() == (2, 1) and tally.check() == []
    assert signer_names(client, letter) == ["Dana Katz"]


# --- what the machines see ---------------------------------------------------------------------------


def test_a_hidden_signature_is_taken_away_from_every_machine_s_pdfs(app):
    letter = make_collective()
    signature = make_signature(letter)
    since = utcnow() - timedelta(seconds=1)
    assert published.taken_away(since) == []
    pauses.pause_signature(signature)
    assert [(c.public_id, c.compilations, c.contents) for c in published.taken_away(since)] == [(letter.public_id, True, False)]
    assert signatures.published_signers([letter.id]) == {letter.id: []}


@pytest.mark.pdf
def test_the_letter_s_pdf_leaves_out_a_hidden_signer_and_prints_them_again_when_shown(client, tmp_path):
    letter = make_collective(language="en", display_name="Yael Bar", body_text="We will not fly.")
    make_signature(letter, name="Avi Cohen")
    hiding = make_signature(letter, name="Dana Katz")

    def text() -> str:
        path = tmp_path / "letter.pdf"
        path.write_bytes(client.get(f"/letters/{letter.public_id}.pdf").data)
        return pdf_text(path)

    assert "Dana Katz" in text()
    pauses.pause_signature(hiding)
    hidden = text()
    assert "Avi Cohen" in hidden and "Dana Katz" not in hidden
    pauses.resume_signature(db_refresh(hiding))
    shown = text()
    assert shown.index("Avi Cohen") < shown.index("Dana Katz")
    assert "Dana Katz" in PdfReader(io.BytesIO(client.get(f"/letters/{letter.public_id}.pdf").data)).pages[0].extract_text()


def test_a_hidden_signature_s_address_is_erased_on_the_same_schedule(app):
    letter = make_collective()
    signature = pauses.pause_signature(make_signature(letter))
    assert signatures.erase_contacts(after=timedelta(days=30), now=utcnow() + timedelta(days=31)) == 1
    assert db_refresh(signature).contact_email is None and db_refresh(signature).status == SignatureStatus.PAUSED


def test_a_moderator_s_decision_never_shows_a_hidden_signature(app):
    letter = make_collective()
    signature = pauses.pause_signature(make_signature(letter))
    for decision in ("publish", "unpublish", "reject"):
        result = signatures.decide({signature.id: signature.revision}, decision, by="test", reason="check")
        assert (result.done, result.illegal) == (0, 1)
    assert db_refresh(signature).status == SignatureStatus.PAUSED and counted() == (1, 0)


# --- the team's emergency hide -----------------------------------------------------------------------


def queue(client, url: str) -> dict:
    page = page_of(client.get(url))
    return {
        "csrf_token": page.find("input", name="csrf_token")[0]["value"],
        "shown": [a["value"] for a in page.find("input", name="shown")],
        "selected": [a["value"] for a in page.find("input", name="selected")],
    }


def test_an_admin_hides_the_ticked_signatures_with_a_reason_and_only_the_team_shows_them_again(client, login_as):
    letter = make_collective(language="en")
    made = [make_signature(letter, name=name) for name in ("Avi Cohen", "Dana Katz", "Ron Levi")]
    admin = login_as(client, "admin")
    url = f"/moderate/signatures?state=published&letter={letter.public_id}"
    form = queue(client, url)
    no_reason = client.post(
        f"/moderate/signatures/hide?state=published&letter={letter.public_id}",
        data={**form, "selected": form["selected"][:2], "safety_scope": "selected"}, headers=ENGLISH,
    )  # fmt: skip
    assert no_reason.status_code == 400 and "Please say why the signatures are hidden." in page_of(no_reason).visible_text
    response = client.post(
        f"/moderate/signatures/hide?state=published&letter={letter.public_id}",
        data={**form, "selected": form["selected"][:2], "safety_scope": "selected", "hide_reason": "Threats against signers"},
    )  # fmt: skip
    assert response.status_code == 303
    assert [db_refresh(s).status for s in made] == [SignatureStatus.PAUSED, SignatureStatus.PAUSED, SignatureStatus.PUBLISHED]
    assert counted() == (2, 1) and signer_names(client, letter) == ["Ron Levi"]
    event = db.session.execute(select(AuditEvent).where(AuditEvent.action == "signature:pause")).scalars().first()
    assert event.reason == "Threats against signers" and event.actor_id == admin.id

    # The signer is told why there is no button, and cannot show what the team hid.
    page = page_of(client.get(private_url(made[0]), headers=ENGLISH)).visible_text
    assert "team hid your signature" in page and "Show my signature again" not in page and "Write to the team" in page
    token = hidden_fields(client.get("/submit"))["csrf_token"]
    mine = client.post(f"{private_url(made[0])}/show", data={"csrf_token": token, "revision": db_refresh(made[0]).revision}, headers=ENGLISH)
    assert mine.status_code == 409 and db_refresh(made[0]).status == SignatureStatus.PAUSED

    hidden = f"/moderate/signatures?state=paused&letter={letter.public_id}&lang=en"
    listing = page_of(client.get(hidden)).visible_text
    assert "Avi Cohen" in listing and "the team" in listing
    form = queue(client, hidden)
    response = client.post(
        f"/moderate/signatures/show?state=paused&letter={letter.public_id}", data={**form, "safety_scope": "shown"}, follow_redirects=True
    )
    assert "Shown again: 2." in page_of(response).visible_text or "2" in page_of(response).visible_text
    assert counted() == (4, 3) and signer_names(client, letter) == ["Avi Cohen", "Dana Katz", "Ron Levi"]
    assert tally.check() == []


def test_the_team_does_not_show_what_a_signer_hid_for_their_safety(client, login_as):
    letter = make_collective(language="en")
    mine, theirs = make_signature(letter, name="Avi Cohen"), make_signature(letter, name="Dana Katz")
    pauses.pause_signature(mine)
    login_as(client, "admin")
    form = queue(client, f"/moderate/signatures?state=published&letter={letter.public_id}")
    client.post(f"/moderate/signatures/hide?state=published&letter={letter.public_id}",
                data={**form, "safety_scope": "shown", "hide_reason": "Coordinated doxxing"})  # fmt: skip
    hidden = f"/moderate/signatures?state=paused&letter={letter.public_id}"
    form = queue(client, hidden)
    assert len(form["shown"]) == 2
    response = client.post(f"/moderate/signatures/show?state=paused&letter={letter.public_id}&lang=en",
                           data={**form, "safety_scope": "shown"}, follow_redirects=True)  # fmt: skip
    text = page_of(response).visible_text
    assert "Shown again: 1." in text and "only they can show them again: 1." in text
    assert (db_refresh(mine).status, db_refresh(theirs).status) == (SignatureStatus.PAUSED, SignatureStatus.PUBLISHED)
    assert counted() == (2, 1)


def test_an_emergency_hide_of_a_stale_page_skips_what_changed(client, login_as):
    letter = make_collective(language="en")
    leaving, staying = make_signature(letter), make_signature(letter)
    login_as(client, "admin")
    form = queue(client, f"/moderate/signatures?state=published&letter={letter.public_id}")
    signatures.withdraw(leaving)  # meanwhile
    response = client.post(f"/moderate/signatures/hide?state=published&letter={letter.public_id}&lang=en",
                           data={**form, "safety_scope": "shown", "hide_reason": "Threats"}, follow_redirects=True)  # fmt: skip
    assert "Hidden: 1. Skipped because they changed since the page was shown: 1." in page_of(response).visible_text
    assert (db_refresh(leaving).status, db_refresh(staying).status) == (SignatureStatus.WITHDRAWN, SignatureStatus.PAUSED)
    assert counted() == (1, 0) and tally.check() == []


def test_a_moderator_who_is_not_an_admin_cannot_hide_or_show_signatures(client, login_as):
    letter = make_collective(language="en")
    signature = make_signature(letter)
    login_as(client, "moderator")
    url = f"/moderate/signatures?state=published&letter={letter.public_id}"
    assert "Hide the ticked signatures now" not in page_of(client.get(url + "&lang=en")).visible_text
    form = queue(client, url)
    for action in ("hide", "show"):
        data = {**form, "safety_scope": "shown", "hide_reason": "x"}
        assert client.post(f"/moderate/signatures/{action}?state=published", data=data).status_code == 403
    assert db_refresh(signature).status == SignatureStatus.PUBLISHED


def test_the_tally_stays_exact_through_pauses_of_signers_and_letters(app):
    letter = make_collective(language="ar")
    made = [make_signature(letter) for _ in range(3)]
    pauses.pause_signature(made[0])
    pauses.hide_signatures({made[1].id: db_refresh(made[1]).revision}, by="test", reason="check")
    letters.unpublish(db_refresh(letter), by="test", reason="check")
    pauses.resume_signature(db_refresh(made[0]))
    assert counted() == (0, 0) and tally.check() == []
    letters.publish(db_refresh(letter), by="test")
    assert counted() == (3, 2) and tally.check() == []
    assert db_refresh(letter).status == LetterStatus.PUBLISHED
