"""The safety pause: a refuser hides their letter at once and shows it again later; an admin hides
one or many letters in an emergency. A hidden letter is off every public surface, the count and the
PDFs exactly like a withdrawn one, and comes back with its original date."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from refusal_site import letters, pauses, published, tally, tokens
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, utcnow
from tests.factories import make_letter
from tests.pages import hidden_fields, page_of

ENGLISH = {"Accept-Language": "en"}


def manage_url(letter: Letter) -> str:
    return f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"


def count(client) -> int:
    return client.get("/api/v1/count").get_json()["count"]


def press(client, url: str, button: str, **data):
    """Press a button of the author's private page, with the page's own hidden fields."""
    page = client.get(url, headers=ENGLISH)
    return client.post(f"{url}/{button}", data={**hidden_fields(page), **data}, headers=ENGLISH)


def test_an_author_hides_their_letter_at_once_and_shows_it_again_with_its_date(client):
    published_at = utcnow() - timedelta(days=40)
    letter = make_letter(language="en", display_name="Noa Hidden", body_text="Hidden for a while.", published_at=published_at)
    other = make_letter(language="en")
    url = manage_url(letter)
    before = count(client)
    assert press(client, url, "hide").status_code == 303
    page = client.get(url, headers=ENGLISH).get_data(as_text=True)
    assert "Done: your letter is hidden." in page, "the author is told it is done"
    assert "Hidden for now" in page and "Show my letter again" in page
    assert count(client) == before - 1
    assert client.get(f"/letters/{letter.public_id}").status_code in (404, 410)
    listing = client.get("/letters", headers=ENGLISH).get_data(as_text=True)
    assert "Noa Hidden" not in listing and other.display_name in listing
    assert "Noa Hidden" not in client.get("/feed.atom").get_data(as_text=True)
    assert letter.public_id not in client.get("/api/v1/letters").get_data(as_text=True)

    assert press(client, url, "show").status_code == 303
    page = client.get(url, headers=ENGLISH).get_data(as_text=True)
    assert "Done: your letter is back on the site with its original date" in page
    assert "Done: your letter is hidden." not in page, "each notice is shown once"
    assert count(client) == before
    again = db.session.get(Letter, letter.id)
    assert again.status == LetterStatus.PUBLISHED and again.published_at == published_at
    assert client.get(f"/letters/{letter.public_id}").status_code == 200
    actions = [e.action for e in db.session.execute(select(AuditEvent).where(AuditEvent.letter_id == letter.id)).scalars()]
    assert actions[-2:] == ["letter:pause", "letter:resume"]


def test_a_hidden_letter_is_taken_away_from_every_machine_s_pdfs(app):
    letter = make_letter(language="he")
    since = utcnow() - timedelta(seconds=1)
    pauses.pause(letter)
    changes = published.taken_away(since)
    assert [(c.public_id, c.compilations, c.contents) for c in changes] == [(letter.public_id, True, True)]
    assert letter.public_id not in [l.public_id for l in published.compilation_letters()]


def test_a_press_on_an_out_of_date_page_changes_nothing_and_says_so(client):
    letter = make_letter(language="en")
    url = manage_url(letter)
    page = client.get(url, headers=ENGLISH)
    stale = hidden_fields(page)
    assert press(client, url, "hide").status_code == 303  # another tab hid it
    response = client.post(f"{url}/show", data=stale, headers=ENGLISH)  # the old page's revision
    assert response.status_code == 409 and "Nothing was changed" in response.get_data(as_text=True)
    assert db.session.get(Letter, letter.id).status == LetterStatus.PAUSED


@pytest.mark.parametrize("status", [LetterStatus.PENDING, LetterStatus.WITHDRAWN, LetterStatus.REJECTED])
def test_only_a_published_letter_can_be_hidden(client, status):
    letter = make_letter(status, language="en")
    url = manage_url(letter)
    token = hidden_fields(client.get("/submit"))["csrf_token"]  # a withdrawn letter's page has no form to take it from
    response = client.post(f"{url}/hide", data={"csrf_token": token, "revision": letter.revision}, headers=ENGLISH)
    assert response.status_code == (410 if status == LetterStatus.WITHDRAWN else 409)
    assert db.session.get(Letter, letter.id).status == status


def test_a_tampered_link_or_a_missing_token_hides_nothing(client):
    letter = make_letter(language="en")
    url = manage_url(letter)
    fields = hidden_fields(client.get(url))
    assert client.post(f"{url[:-3]}xyz/hide", data=fields).status_code in (400, 404, 410)
    assert client.post(f"{url}/hide", data={"revision": letter.revision}).status_code == 400  # no CSRF token
    assert db.session.get(Letter, letter.id).status == LetterStatus.PUBLISHED


def test_a_hidden_letter_can_still_be_withdrawn(client):
    letter = make_letter(language="en")
    url = manage_url(letter)
    before = count(client)
    press(client, url, "hide")
    assert press(client, url, "withdraw", understood="y").status_code == 303
    assert db.session.get(Letter, letter.id).status == LetterStatus.WITHDRAWN
    assert count(client) == before - 1, "counted out once"


def test_an_admin_hides_one_letter_with_a_reason_and_only_the_team_shows_it_again(client, login_as):
    letter = make_letter(language="en", display_name="Team Hidden")
    url = manage_url(letter)
    before = count(client)
    login_as(client, "admin")
    review = client.get(f"/moderate/letters/{letter.public_id}")
    response = client.post(f"/moderate/letters/{letter.public_id}/hide", data={**hidden_fields(review), "hide-reason": "Threats against the author"})
    assert response.status_code == 303 and count(client) == before - 1
    event = db.session.execute(select(AuditEvent).where(AuditEvent.letter_id == letter.id, AuditEvent.action == "letter:pause")).scalar_one()
    assert event.reason == "Threats against the author" and event.actor_label == "admin"
    # The author cannot undo the team's hide, and is told why there is no button.
    page = client.get(url, headers=ENGLISH).get_data(as_text=True)
    assert "Show my letter again" not in page and "team hid your letter" in page
    assert "To ask why, or to ask for it to be shown again: Write to the team" in page_of(client.get(url, headers=ENGLISH)).visible_text
    assert press(client, url, "show", revision=db.session.get(Letter, letter.id).revision).status_code == 409
    review = client.get(f"/moderate/letters/{letter.public_id}")
    assert client.post(f"/moderate/letters/{letter.public_id}/show", data=hidden_fields(review)).status_code == 303
    assert count(client) == before and db.session.get(Letter, letter.id).status == LetterStatus.PUBLISHED


def test_the_team_does_not_show_what_an_author_hid_for_their_safety(client, login_as):
    letter = make_letter(language="en")
    press(client, manage_url(letter), "hide")
    login_as(client, "admin")
    review = client.get(f"/moderate/letters/{letter.public_id}")
    assert "Show it again" not in review.get_data(as_text=True)
    fields = {**hidden_fields(review), "revision": db.session.get(Letter, letter.id).revision}
    assert client.post(f"/moderate/letters/{letter.public_id}/show", data=fields).status_code == 409
    assert db.session.get(Letter, letter.id).status == LetterStatus.PAUSED


def test_an_admin_hides_many_letters_at_once_and_is_told_which_were_not(client, login_as, app):
    many = [make_letter(language="en") for _ in range(3)]
    pending = make_letter(LetterStatus.PENDING, language="en")
    before = count(client)
    login_as(client, "admin")
    page = client.get("/moderate/hide")
    listed = "\n".join([f"https://example.org/letters/{many[0].public_id}", many[1].public_id, f"  {many[2].public_id}  ",
                        pending.public_id, "not-a-letter-id-at-all"])  # fmt: skip
    response = client.post("/moderate/hide", data={**hidden_fields(page), "letters": listed, "reason": "Coordinated doxxing"},
                           headers=ENGLISH, follow_redirects=True)  # fmt: skip
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "3 letters hidden" in text and pending.public_id in text
    assert count(client) == before - 3
    assert all(db.session.get(Letter, l.id).status == LetterStatus.PAUSED for l in many)
    assert db.session.get(Letter, pending.id).status == LetterStatus.PENDING


def test_a_moderator_who_is_not_an_admin_cannot_hide(client, login_as):
    letter = make_letter(language="en")
    login_as(client, "moderator")
    assert client.get("/moderate/hide").status_code == 403
    review = client.get(f"/moderate/letters/{letter.public_id}")
    assert "Hide now" not in review.get_data(as_text=True)
    fields = {**hidden_fields(review), "hide-reason": "x", "hide-revision": letter.revision}
    assert client.post(f"/moderate/letters/{letter.public_id}/hide", data=fields).status_code == 403
    assert db.session.get(Letter, letter.id).status == LetterStatus.PUBLISHED


def test_the_tally_stays_exact_through_pauses(app):
    letter = make_letter(language="ar")
    pauses.pause(letter)
    pauses.resume(db.session.get(Letter, letter.id))
    pauses.pause(db.session.get(Letter, letter.id))
    assert tally.check() == []
    assert letters.public_state().refusers == 0


def test_moderators_find_hidden_letters_in_the_queue_by_their_state(client, login_as):
    letter = make_letter(language="en", display_name="Found Again")
    pauses.pause(letter)
    login_as(client, "moderator")
    page = client.get("/moderate/?state=paused", headers=ENGLISH).get_data(as_text=True)
    assert "Found Again" in page and "Hidden for now (1)" in page


@pytest.mark.parametrize("status", [LetterStatus.PENDING, LetterStatus.UNPUBLISHED])
def test_showing_again_is_no_way_round_moderation(client, login_as, status):
    letter = make_letter(status, language="en")
    url = manage_url(letter)
    token = hidden_fields(client.get("/submit"))["csrf_token"]
    response = client.post(f"{url}/show", data={"csrf_token": token, "revision": letter.revision}, headers=ENGLISH)
    assert response.status_code == 409 and "Nothing was changed" in response.get_data(as_text=True)
    login_as(client, "admin")
    review = client.get(f"/moderate/letters/{letter.public_id}")
    assert client.post(f"/moderate/letters/{letter.public_id}/show", data=hidden_fields(review)).status_code == 409
    assert db.session.get(Letter, letter.id).status == status and count(client) == 0


def test_publishing_is_no_way_round_an_author_s_pause(client, login_as):
    """Only whoever hid a letter shows it again: a moderator's "publish" (a crafted post, or an old
    tab's button sent with the current revision) neither shows an author-hidden letter nor counts it."""
    letter = make_letter(language="en")
    press(client, manage_url(letter), "hide")
    before = count(client)
    login_as(client, "admin")
    review = client.get(f"/moderate/letters/{letter.public_id}")
    fields = {**hidden_fields(review), "revision": db.session.get(Letter, letter.id).revision}
    assert client.post(f"/moderate/letters/{letter.public_id}/approve", data=fields).status_code == 409
    assert db.session.get(Letter, letter.id).status == LetterStatus.PAUSED and count(client) == before
    with pytest.raises(letters.IllegalTransition):
        letters.publish(db.session.get(Letter, letter.id), by="cli")
    assert db.session.get(Letter, letter.id).status == LetterStatus.PAUSED and tally.check() == []


@pytest.mark.parametrize("button", ["hide", "show"])
def test_hiding_or_showing_a_letter_withdrawn_meanwhile_is_gone_for_good(client, button):
    """A page open in another tab after the letter was withdrawn: 410, as for a co-signature, and the
    page says the letter is withdrawn; nothing is done, nothing counted."""
    letter = make_letter(language="en")
    url = manage_url(letter)
    stale = hidden_fields(client.get(url, headers=ENGLISH))
    letters.withdraw(letter)
    response = client.post(f"{url}/{button}", data=stale, headers=ENGLISH)
    assert response.status_code == 410
    assert "Withdrawn" in page_of(response).visible_text
    assert db.session.get(Letter, letter.id).status == LetterStatus.WITHDRAWN and tally.check() == []


def test_hide_or_show_pressed_twice_is_done_once_and_said_so(client):
    """A frightened author double-clicks "hide" (or sends it from two tabs): the second press does not
    say "Nothing was changed" as if the letter were still public; it says it is already done."""
    letter = make_letter(language="en")
    url = manage_url(letter)
    before = count(client)
    page = hidden_fields(client.get(url, headers=ENGLISH))
    assert client.post(f"{url}/hide", data=page, headers=ENGLISH).status_code == 303
    twice = client.post(f"{url}/hide", data=page, headers=ENGLISH, follow_redirects=True)
    text = page_of(twice).visible_text
    assert twice.status_code == 200 and "Already done" in text and "Nothing was changed" not in text
    assert db.session.get(Letter, letter.id).status == LetterStatus.PAUSED and count(client) == before - 1

    page = hidden_fields(client.get(url, headers=ENGLISH))
    assert client.post(f"{url}/show", data=page, headers=ENGLISH).status_code == 303
    twice = client.post(f"{url}/show", data=page, headers=ENGLISH, follow_redirects=True)
    assert twice.status_code == 200 and "Already done" in page_of(twice).visible_text
    assert db.session.get(Letter, letter.id).status == LetterStatus.PUBLISHED and count(client) == before
    assert tally.check() == []
