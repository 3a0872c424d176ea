"""The letter form's optional second text (issue 22, item 1): the author's translation given with the
letter, checked by the letter form's rules, stored with it or not at all, corrected with it before
confirming, and checked by the moderator with it: published with the letter if they tick it, or left
waiting for a check; gone with the letter when it is rejected or withdrawn."""

import pytest
from sqlalchemy import func, select

from refusal_site import author_translations as at
from refusal_site import letter_translations as lt
from refusal_site import letters, tokens
from refusal_site.extensions import db
from refusal_site.models import AuthorTranslation, Letter, LetterStatus
from tests.pages import hidden_fields, links_in, outbox, page_of, path_of
from tests.test_submit import stored_letters, valid_form

ENGLISH = "I refuse to serve.\n\nI made this decision after long thought."


def submit_with(client, lang="en", **second):
    fields = {"second_language": "en", "second_title": "Not in my name", "second_body": ENGLISH, **second}
    return client.post(f"/submit?lang={lang}", data=valid_form(client, **fields))


def given(letter) -> AuthorTranslation:
    db.session.rollback()
    (mine,) = at.of_letter(letter)
    return mine


def stored_translations() -> int:
    db.session.rollback()
    return db.session.execute(select(func.count()).select_from(AuthorTranslation)).scalar_one()


def test_the_form_offers_it_folded_away_without_javascript(client):
    page = page_of(client.get("/submit?lang=en"))
    assert page.find("details", **{"class": "second-text"}) and page.find("summary")
    assert [o["value"] for o in page.find("option")] == ["", "he", "ar", "en"]
    assert page.find("textarea", name="second_body")[0]["data-limit"] == "20000"


def test_a_letter_with_its_translation_journeys_through_confirmation_to_publication(app, client, login_as):
    assert submit_with(client).status_code == 303
    (letter,) = stored_letters()
    mine = given(letter)
    assert (mine.language, mine.title, mine.status, mine.body_html) == ("en", "Not in my name", "waiting", lt.sanitize.text_to_html(ENGLISH))
    (message,) = outbox(app)
    confirm_url, manage_url = map(path_of, links_in(message))
    confirm = client.get(confirm_url)
    assert client.post(confirm_url, data=hidden_fields(confirm)).status_code == 303
    private = page_of(client.get(manage_url + "?lang=en"))
    assert "Given with your letter: the moderator checks it" in private.visible_text and "I made this decision" in private.visible_text

    login_as(client)
    review = client.get(f"/moderate/letters/{letter.public_id}?lang=en")
    shown = page_of(review)
    assert shown.find("article", lang="en", dir="ltr") and "I made this decision" in shown.visible_text
    assert len(shown.find("input", name="with_translations")) == 2  # publish now, and publish at a time
    done = client.post(f"/moderate/letters/{letter.public_id}/approve?lang=en", data={**hidden_fields(review), "with_translations": "y"})
    assert done.status_code == 303 and "with its author's translation" in page_of(client.get(done.headers["Location"])).visible_text
    page = client.get(f"/letters/{letter.public_id}/en?lang=en")
    assert page.status_code == 200 and "Translation from Hebrew, approved by the author" in page_of(page).visible_text
    assert stored_translations() == 0
    assert client.get("/api/v1/count").get_json()["count"] == 1


def test_published_without_the_box_ticked_it_waits_for_a_check(client, login_as):
    submit_with(client)
    (letter,) = stored_letters()
    letters.confirm(letter)
    login_as(client)
    review = client.get(f"/moderate/letters/{letter.public_id}?lang=en")
    done = client.post(f"/moderate/letters/{letter.public_id}/approve?lang=en", data=hidden_fields(review))
    assert "waits for a check" in page_of(client.get(done.headers["Location"])).visible_text
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404
    listed = page_of(client.get("/moderate/translations/by-authors?lang=en"))
    assert listed.find("a", href=f"/moderate/translations/by-authors/{letter.public_id}/en")


def test_scheduled_with_the_box_ticked_it_is_public_with_the_letter_and_not_before(app, client, login_as):
    submit_with(client)
    (letter,) = stored_letters()
    letters.confirm(letter)
    moderator = login_as(client)
    at_moment = letters.utcnow().replace(year=2099, microsecond=0)
    letters.schedule(db.session.get(Letter, letter.id), by=moderator, at=at_moment, with_translations=True)
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404
    assert lt.of_letter(letter)[0].status == "approved" and stored_translations() == 0
    letters.publish(db.session.get(Letter, letter.id), by=moderator)
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 200


@pytest.mark.parametrize("undo", ["reject", "withdraw"])
def test_rejected_or_withdrawn_the_letter_takes_its_translation_with_it(client, undo):
    submit_with(client)
    (letter,) = stored_letters()
    letters.confirm(letter)
    if undo == "reject":
        letters.reject(db.session.get(Letter, letter.id), by="test", reason="not a letter of refusal")
    else:
        letters.withdraw(db.session.get(Letter, letter.id))
    assert stored_translations() == 0


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"second_language": "he"}, "second_language", "Please choose another language than the letter's"),
        ({"second_language": ""}, "second_language", "Please choose the translation's language"),
        ({"second_body": "   "}, "second_body", 'Please write the translation, or choose "No translation".'),
        ({"second_body": "x" * 301}, "second_body", "A word in the text is longer than 300 characters"),
        ({"second_title": "Not \u202ein my name"}, "second_title", "invisible characters that change the direction"),
        ({"second_body": "I refuse\x07 to serve"}, "second_body", "invisible control characters"),
        ({"second_body": "<em>" * 300 + "deep"}, "second_body", "nested more than"),
        ({"second_body": "אב " * 10_001}, "second_body", "can have up to 20,000: please shorten it by"),
        ({"second_title": "כותרת " * 40}, "second_title", "can have up to 200"),
    ],
)
def test_bad_input_on_the_second_text_is_named_next_to_its_field_and_nothing_is_stored(client, fields, field, message):
    refused = submit_with(client, **fields)
    assert refused.status_code == 400
    error = page_of(refused).find("p", id=f"{field}-error")
    assert error and message in refused.get_data(as_text=True), refused.get_data(as_text=True)[:300]
    assert page_of(refused).find("details", open=None)  # unfolded, with what was typed
    assert stored_letters() == [] and stored_translations() == 0


def test_the_message_is_in_the_pages_language(client):
    refused = submit_with(client, lang="ar", second_language="he")
    assert refused.status_code == 400 and "يُرجى اختيار لغة غير لغة الرسالة" in page_of(refused).visible_text


def test_a_letter_without_a_second_text_stores_none(client):
    assert client.post("/submit", data=valid_form(client)).status_code == 303
    assert len(stored_letters()) == 1 and stored_translations() == 0


def test_nothing_is_half_stored_when_the_translation_cannot_be(app):
    with pytest.raises(lt.FieldTooLong):
        letters.submit(display_name="נועה", language="he", body_text="אני מסרבת.", contact_email="n@private.example",
                       second_text=at.SecondText(language="en", title=None, body_text="word " * 5000))  # fmt: skip
    assert stored_letters() == [] and stored_translations() == 0


# --- correcting before confirming ---------------------------------------------------------------------


def correct(client, letter, **fields):
    url = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}/text"
    form = page_of(client.get(url))
    data = {**hidden_fields(client.get(url)), "display_name": letter.display_name, "descriptor": letter.descriptor or "", "title": letter.title or "",
            "body": letter.body_text, "second_language": form.value("second_language") or "en", "second_title": form.value("second_title") or "",
            "second_body": form.value("second_body") or ""}  # fmt: skip
    data.update(fields)
    return client.post(url, data=data)


def test_correcting_before_confirming_corrects_or_drops_the_translation_and_marks_one_left_behind(client):
    submit_with(client)
    (letter,) = stored_letters()
    url = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}/text"
    form = page_of(client.get(url))
    assert form.find("details", open=None) and [o["value"] for o in form.find("option")] == ["", "ar", "en"]  # not the letter's own
    assert correct(client, letter, second_body="I refuse to serve. Corrected.").status_code == 303
    assert given(letter).body_text == "I refuse to serve. Corrected." and not at.made_before_correction(given(letter))
    # The letter's text corrected, the translation kept as it was: marked as made from the earlier text.
    assert correct(client, letter, body="אני מסרב לשרת. תיקנתי.").status_code == 303
    assert at.made_before_correction(given(letter))
    # Dropped: no translation any more.
    assert correct(client, letter, second_language="", second_title="", second_body="").status_code == 303
    assert stored_translations() == 0 and stored_letters()[0].status == LetterStatus.UNCONFIRMED


def test_the_moderator_sees_a_translation_made_from_an_earlier_text_marked(client, login_as):
    letter = letters.submit(display_name="נועה כהן", language="he", body_text="אני מסרבת לשרת.", contact_email="noa@private.example",
                            second_text=at.SecondText(language="ar", title=None, body_text="أرفض الخدمة."))  # fmt: skip
    letters.confirm(letter)
    moderator = login_as(client)
    letters.edit(db.session.get(Letter, letter.id), by=moderator, display_name=letter.display_name, descriptor=letter.descriptor, title=letter.title,
                 body_text=letter.body_text + " תיקון.", reason="a typo")  # fmt: skip
    review = page_of(client.get(f"/moderate/letters/{letter.public_id}?lang=en")).visible_text
    assert "was corrected after the author wrote this translation" in review
