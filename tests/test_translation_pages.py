"""The translation pages as people use them: the team's work queue, claims, the form (the letter form's
checks, a stale page, a double press), sending to the author, an admin's publication without them;
and the author's private page: approving, sending back, writing their own, and every refusal."""

from datetime import timedelta

import pytest
from refusal_site import author_translations as at
from refusal_site import letter_translations as lt
from refusal_site import letters, tally, tokens
from refusal_site.extensions import db
from refusal_site.models import TranslationStatus
from tests.factories import make_letter, make_signature
from tests.pages import delivered, hidden_fields, page_of

PRIVATE = "author-private@example.org"


@pytest.fixture
def letter(app):
    return make_letter(contact_email=PRIVATE, title="לא בשמי")


def edit_url(letter, language="en") -> str:
    return f"/moderate/translations/{letter.public_id}/{language}"


def save(client, letter, body="I refuse to serve.", title="Not in my name", language="en", **extra):
    form = hidden_fields(client.get(edit_url(letter, language)))
    return client.post(edit_url(letter, language) + "?lang=en", data={**form, "title": title, "body": body, **extra})


def claim(client, letter, language="en"):
    form = hidden_fields(client.get(f"/moderate/translations?language={language}"))
    return client.post(f"/moderate/translations/{letter.public_id}/{language}/claim?lang=en", data={"csrf_token": form["csrf_token"]})


def send(client, letter, language="en"):
    return client.post(f"/moderate/translations/{letter.public_id}/{language}/send", data=hidden_fields(client.get(edit_url(letter, language))))


def manage_url(letter) -> str:
    return f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"


def translation(letter, language="en"):
    db.session.rollback()
    return lt.of_letter(letter, language)[0]


# --- the team's side ---------------------------------------------------------------------------------


def test_the_queue_lists_letters_lacking_a_translation_most_co_signed_then_oldest(client, login_as, app):
    login_as(client, "translator")
    old = make_letter(published_at=letters.utcnow() - timedelta(days=9), title="ישן")
    new = make_letter(title="חדש")
    signed = make_letter(collective=True, title="חתום")
    make_signature(signed)
    english = make_letter(language="en", title="Already English")
    text = page_of(client.get("/moderate/translations?language=en")).visible_text
    assert text.index("חתום") < text.index("ישן") < text.index("חדש")
    assert "Already English" not in text
    assert old and new and english


def test_a_claim_shows_who_holds_it_and_refuses_a_second_one(client, app, login_as, letter, make_app):
    first = login_as(client, "translator", email="dana@team.example")
    assert claim(client, letter).headers["Location"].endswith(edit_url(letter))
    other = make_app().test_client()
    login_as(other, "moderator")
    assert "dana@team.example" in page_of(other.get("/moderate/translations?language=en")).visible_text
    refused = claim(other, letter)
    assert refused.status_code == 409
    assert "dana@team.example is translating this letter already" in page_of(refused).visible_text.replace("\u2068", "").replace("\u2069", "")
    assert translation(letter).claimed_by_id == first.id


def test_an_admin_releases_a_claim(client, login_as, letter, make_app):
    translator_client = make_app().test_client()
    login_as(translator_client, "translator")
    claim(translator_client, letter)
    login_as(client, "admin")
    page = client.get("/moderate/translations?language=en")
    form = hidden_fields(page)
    released = client.post(f"/moderate/translations/{letter.public_id}/en/release", data={"csrf_token": form["csrf_token"], "revision": translation(letter).revision})
    assert released.status_code == 303
    assert translation(letter).claimed_by_id is None


def test_saving_keeps_each_version_and_a_double_press_is_done_once(client, login_as, letter):
    login_as(client, "translator")
    assert save(client, letter, "First words.").status_code == 303
    form = hidden_fields(client.get(edit_url(letter)))
    assert client.post(edit_url(letter), data={**form, "title": "", "body": "Second words."}).status_code == 303
    assert client.post(edit_url(letter), data={**form, "title": "", "body": "Second words."}).status_code == 303
    assert "Already done" in page_of(client.get(edit_url(letter) + "?lang=en")).visible_text
    assert [v.body_text for v in lt.versions(translation(letter))] == ["First words."]
    assert "First words." in page_of(client.get(edit_url(letter))).visible_text  # the earlier version, on the page


def test_two_people_saving_at_once_one_gets_409_and_keeps_their_text(client, login_as, letter, make_app):
    login_as(client, "moderator")
    other = make_app().test_client()
    login_as(other, "admin")
    mine, theirs = hidden_fields(client.get(edit_url(letter))), hidden_fields(other.get(edit_url(letter)))
    assert client.post(edit_url(letter), data={**mine, "body": "My words."}).status_code == 303
    refused = other.post(edit_url(letter) + "?lang=en", data={**theirs, "body": "Their words, not lost."})
    assert refused.status_code == 409
    page = page_of(refused)
    assert page.value("body") == "Their words, not lost." and "Nothing was saved" in page.visible_text
    assert translation(letter).body_text == "My words."


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("body", "אב " * 7000, "can have up to 20,000"),
        ("title", "a\u202eb", "change the direction of text"),
        ("body", "a\x07b", "invisible control characters"),
        ("body", "x" * 5000, "longer than 300 characters"),
        ("body", "<em>" * 60 + "deep", "nested more than"),
        ("body", "", "Please write the translation."),
        ("title", "כ" * 201, "can have up to 200"),
    ],
)
def test_the_form_has_the_letter_forms_checks_and_keeps_what_was_typed(client, login_as, letter, field, value, message):
    login_as(client, "translator")
    response = save(client, letter, **{"body": "I refuse.", "title": "", field: value})
    assert response.status_code == 400
    page = page_of(response)
    assert message in page.visible_text and page.value(field) == value
    assert lt.of_letter(letter, "en") == []


def test_a_form_without_its_csrf_token_is_refused(client, login_as, letter):
    login_as(client, "translator")
    response = client.post(edit_url(letter), data={"revision": 0, "body": "I refuse."})
    assert response.status_code == 400
    assert lt.of_letter(letter, "en") == []


def test_sent_to_the_author_and_a_translator_never_sees_the_address(app, client, login_as, letter):
    login_as(client, "translator")
    pages = [client.get("/moderate/translations?language=en"), claim(client, letter), save(client, letter)]
    pages += [client.get(edit_url(letter)), send(client, letter), send(client, letter), client.get("/moderate/translations?language=en")]
    assert pages[-2].status_code == 409  # sent already: nothing to send twice
    assert all(PRIVATE not in response.get_data(as_text=True) for response in pages)
    assert translation(letter).status == TranslationStatus.AWAITING_AUTHOR
    (mail,) = [m for m in delivered(app) if "I refuse to serve." in m.get_content()]
    assert mail["To"] == PRIVATE and "/my-letter/" in mail.get_content()


def test_an_admin_publishes_without_the_author_only_once_the_address_is_erased(client, login_as, letter):
    login_as(client, "admin")
    save(client, letter)
    assert "Publish without the author" not in page_of(client.get(edit_url(letter) + "?lang=en")).visible_text
    form = hidden_fields(client.get(edit_url(letter)))
    assert client.post(f"/moderate/translations/{letter.public_id}/en/publish", data=form).status_code == 409
    letters.erase_contacts(after=timedelta(0))
    assert "Publish without the author" in page_of(client.get(edit_url(letter) + "?lang=en")).visible_text
    assert client.post(f"/moderate/translations/{letter.public_id}/en/publish", data=form).status_code == 303
    assert (translation(letter).status, translation(letter).approved_by) == ("approved", "team")


def test_a_moderator_cannot_publish_without_the_author(client, login_as, letter):
    login_as(client, "moderator")
    save(client, letter)
    letters.erase_contacts(after=timedelta(0))
    assert client.post(f"/moderate/translations/{letter.public_id}/en/publish", data=hidden_fields(client.get(edit_url(letter)))).status_code == 403


def test_an_admin_makes_a_team_member_a_translator(client, login_as):
    login_as(client, "admin")
    form = hidden_fields(client.get("/moderate/team"))
    assert client.post("/moderate/team", data={**form, "email": "words@team.example", "role": "translator"}).status_code in (302, 303)
    assert "Translator" in page_of(client.get("/moderate/team?lang=en")).visible_text


# --- the author's side -------------------------------------------------------------------------------


@pytest.fixture
def waiting(client, login_as, letter, make_app):
    team = make_app().test_client()
    login_as(team, "translator")
    save(team, letter)
    send(team, letter)
    return translation(letter)


def test_the_author_sees_it_in_full_and_approves_it(client, letter, waiting):
    page = client.get(manage_url(letter) + "?lang=he")
    assert "I refuse to serve." in page_of(page).visible_text and "Not in my name" in page_of(page).visible_text
    before = tally.snapshot()
    approved = client.post(f"{manage_url(letter)}/translations/en/approve", data=hidden_fields(page))
    assert approved.status_code == 303
    after = tally.snapshot()
    assert translation(letter).status == "approved" and translation(letter).approved_by == "author"
    assert after.revision > before.revision and after.refusers == before.refusers


def test_an_approval_from_a_stale_page_is_refused_and_nothing_is_stored(client, login_as, letter, waiting, make_app):
    page = client.get(manage_url(letter))
    team = make_app().test_client()
    login_as(team, "moderator")
    lt.send_back(waiting, comment="later", expected_revision=waiting.revision)  # changed meanwhile
    refused = client.post(f"{manage_url(letter)}/translations/en/approve?lang=en", data=hidden_fields(page))
    assert refused.status_code == 409
    assert "Nothing was changed" in page_of(refused).visible_text
    assert translation(letter).status == TranslationStatus.RETURNED


def test_a_withdrawn_letters_translation_cannot_be_approved(client, letter, waiting):
    page = client.get(manage_url(letter))
    letters.withdraw(letter)
    assert client.post(f"{manage_url(letter)}/translations/en/approve", data=hidden_fields(page)).status_code == 410
    assert translation(letter).status == TranslationStatus.AWAITING_AUTHOR


def test_a_tampered_link_approves_nothing(client, letter, waiting):
    form = hidden_fields(client.get(manage_url(letter)))
    assert client.post(f"{manage_url(letter)}x/translations/en/approve", data=form).status_code == 404
    assert translation(letter).status == TranslationStatus.AWAITING_AUTHOR


def test_the_author_sends_it_back_with_a_comment(client, letter, waiting):
    form = hidden_fields(client.get(manage_url(letter)))
    empty = client.post(f"{manage_url(letter)}/translations/en/send-back?lang=en", data={**form, "back-en-comment": ""})
    assert empty.status_code == 400 and "Please say what should change" in page_of(empty).visible_text
    sent = client.post(f"{manage_url(letter)}/translations/en/send-back", data={**form, "back-en-comment": "השורה השנייה הפוכה."})
    assert sent.status_code == 303
    assert (translation(letter).status, translation(letter).author_comment) == ("returned", "השורה השנייה הפוכה.")


def test_the_author_writes_their_own_translation_and_it_waits_for_the_teams_check(client, letter):
    form = hidden_fields(client.get(manage_url(letter)))
    done = client.post(f"{manage_url(letter)}/translations", data={**form, "own-language": "ar", "own-body": "أرفض الخدمة."})
    assert done.status_code == 303
    assert lt.of_letter(letter, "ar") == [] and client.get(f"/letters/{letter.public_id}/ar").status_code == 404
    (mine,) = at.of_letter(letter, "ar")
    assert (mine.status, mine.body_text) == ("waiting", "أرفض الخدمة.")
    assert "أرفض الخدمة." in page_of(client.get(manage_url(letter))).visible_text
    same_language = client.post(f"{manage_url(letter)}/translations", data={**form, "own-language": "he", "own-body": "x"})
    assert same_language.status_code == 400
