"""Issue 22 attacked as an outside tester would: who may read and do what on the translation pages,
what a correction of the original does to a translation still with the team, and the author's
refusals that must say something."""

import email
from datetime import timedelta
from email.policy import default

import pytest
from sqlalchemy import select

from refusal_site import author_translations as at
from refusal_site import letter_translations as lt
from refusal_site import letters, moderators, pauses, tokens
from refusal_site.extensions import db
from refusal_site.models import QueuedMail, Role, TranslationStatus, utcnow
from tests.conftest import PASSWORD
from tests.factories import make_letter, write_author_translation
from tests.pages import hidden_fields, page_of

PRIVATE = "author-private@example.org"


@pytest.fixture
def letter(app):
    return make_letter(contact_email=PRIVATE, title="לא בשמי")


@pytest.fixture
def team(app):
    return {role: moderators.create(f"{role}@team.example", PASSWORD, role=Role(role)) for role in ("translator", "moderator")}


def edit_url(letter, language="en") -> str:
    return f"/moderate/translations/{letter.public_id}/{language}"


def manage_url(letter) -> str:
    return f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"


def translation(letter, language="en"):
    db.session.rollback()
    return lt.of_letter(letter, language)[0]


def drafted(letter, by, text="I refuse to serve."):
    current = lt.of_letter(letter, "en")
    return lt.save(letter, "en", by=by, title="Not in my name", body_text=text, expected_revision=current[0].revision if current else 0)


def correct(letter, by):
    db.session.rollback()
    return letters.edit(letter, by=by, display_name=letter.display_name, descriptor=letter.descriptor, title=letter.title,
                        body_text=letter.body_text + "\n\nתיקון.", reason="typo")  # fmt: skip


def mails(template: str) -> list:
    db.session.rollback()
    rows = db.session.execute(select(QueuedMail).where(QueuedMail.template == template).order_by(QueuedMail.id)).scalars()
    return [email.message_from_bytes(row.message, policy=default) for row in rows]


def mail_to(template: str) -> list[str]:
    return [message["To"] for message in mails(template)]


# --- a correction of the original ----------------------------------------------------------------------


def test_a_correction_does_not_put_a_draft_the_team_never_sent_before_the_author(client, letter, team):
    drafted(letter, team["translator"], "Half done, not sent.")
    correct(letter, team["moderator"])
    assert translation(letter).status == TranslationStatus.DRAFT
    page = client.get(manage_url(letter) + "?lang=en")
    assert "Half done, not sent." not in page_of(page).visible_text and "Approve this translation" not in page_of(page).visible_text
    refused = client.post(f"{manage_url(letter)}/translations/en/approve", data={**hidden_fields(page), "approve-en-revision": translation(letter).revision})
    assert refused.status_code == 409 and translation(letter).status == TranslationStatus.DRAFT
    # Its writer is told the original changed; the author is asked about nothing.
    assert mail_to("translation_review_team") == ["translator@team.example"] and mail_to("translation_review") == []
    told = mails("translation_review_team")[0].get_content()
    assert "before sending it to the author" in told and "no longer shown" not in told


def test_a_correction_leaves_a_translation_the_author_sent_back_with_the_team_and_its_comment(client, login_as, letter, team):
    sent = lt.send_to_author(drafted(letter, team["translator"]), by=team["translator"], expected_revision=1)
    lt.send_back(sent, comment="The second line is wrong.", expected_revision=sent.revision)
    correct(letter, team["moderator"])
    assert (translation(letter).status, translation(letter).author_comment) == ("returned", "The second line is wrong.")
    assert "Approve this translation" not in page_of(client.get(manage_url(letter) + "?lang=en")).visible_text
    login_as(client, "translator")
    assert "The second line is wrong." in page_of(client.get(edit_url(letter) + "?lang=en")).visible_text
    assert mail_to("translation_review") == []


def test_a_correction_sends_a_translation_awaiting_the_author_to_review_and_asks_them_again(letter, team):
    lt.send_to_author(drafted(letter, team["translator"]), by=team["translator"], expected_revision=1)
    correct(letter, team["moderator"])
    assert translation(letter).status == TranslationStatus.TO_REVIEW
    assert mail_to("translation_review") == [PRIVATE] and mail_to("translation_review_team") == ["translator@team.example"]
    # It was never shown, so the author (in their letter's Hebrew) is not told it is "no longer" shown.
    told = mails("translation_review")[0].get_content()
    assert "אחרי שהתרגומים האלה נעשו ממנו, ולכן הם אינם מוצגים" in told and "מהנוסח הקודם אינם מוצגים" not in told


# --- what the translation page shows -------------------------------------------------------------------


@pytest.mark.parametrize("status", ["unconfirmed", "pending", "scheduled", "rejected", "unpublished", "paused"])
def test_the_translation_page_does_not_show_a_letter_that_is_not_published(client, login_as, status):
    """A translator decides nothing: the text of a letter not (or no longer) public is not theirs to read."""
    made = "pending" if status == "scheduled" else "published" if status == "paused" else status
    hidden = make_letter(status=made, body_text="Words nobody outside the team may read yet.", contact_email=PRIVATE)
    if status == "scheduled":
        hidden = letters.schedule(hidden, by=login_as(client, "moderator"), at=utcnow() + timedelta(days=3))
    elif status == "paused":
        hidden = pauses.pause(hidden)
    assert hidden.status == status
    login_as(client, "translator")
    response = client.get(edit_url(hidden) + "?lang=en")
    assert response.status_code == 409
    assert "Words nobody outside the team" not in response.get_data(as_text=True)
    assert "is not published" in page_of(response).visible_text


def test_the_translation_page_of_a_withdrawn_letter_is_gone(client, login_as):
    withdrawn = make_letter(status="withdrawn", body_text="Taken back by its author.")
    login_as(client, "translator")
    response = client.get(edit_url(withdrawn) + "?lang=en")
    assert response.status_code == 410 and "Taken back" not in response.get_data(as_text=True)


def test_no_form_to_translate_a_letter_into_its_own_language(client, login_as):
    english = make_letter(language="en", body_text="Already in English.")
    login_as(client, "translator")
    response = client.get(edit_url(english, "en") + "?lang=en")
    assert response.status_code == 409 and not page_of(response).find("textarea")


# --- the author's side -------------------------------------------------------------------------------


@pytest.mark.parametrize("comment", ["   \n\n   ", "\u00a0\u3000"])
def test_a_translation_is_not_sent_back_with_a_blank_comment(client, letter, team, comment):
    """The translator reads the comment to know what to change: blanks say nothing."""
    lt.send_to_author(drafted(letter, team["translator"]), by=team["translator"], expected_revision=1)
    form = hidden_fields(client.get(manage_url(letter)))
    response = client.post(f"{manage_url(letter)}/translations/en/send-back?lang=en", data={**form, "back-en-comment": comment})
    assert response.status_code == 400 and "This cannot be empty." in page_of(response).visible_text
    assert translation(letter).status == TranslationStatus.AWAITING_AUTHOR
    with pytest.raises(lt.WrongState):
        lt.send_back(translation(letter), comment=comment, expected_revision=translation(letter).revision)


def test_approving_twice_says_it_is_already_done(client, letter, team):
    lt.send_to_author(drafted(letter, team["translator"]), by=team["translator"], expected_revision=1)
    form = hidden_fields(client.get(manage_url(letter)))
    assert client.post(f"{manage_url(letter)}/translations/en/approve", data=form).status_code == 303
    again = client.post(f"{manage_url(letter)}/translations/en/approve?lang=en", data=form)
    assert again.status_code == 303
    assert "Already done" in page_of(client.get(again.headers["Location"])).visible_text
    assert translation(letter).status == TranslationStatus.APPROVED


def test_sending_back_twice_says_it_is_already_done(client, letter, team):
    lt.send_to_author(drafted(letter, team["translator"]), by=team["translator"], expected_revision=1)
    form = {**hidden_fields(client.get(manage_url(letter))), "back-en-comment": "The second line is wrong."}
    assert client.post(f"{manage_url(letter)}/translations/en/send-back", data=form).status_code == 303
    again = client.post(f"{manage_url(letter)}/translations/en/send-back?lang=en", data=form)
    assert again.status_code == 303 and "Already done" in page_of(client.get(again.headers["Location"])).visible_text


def test_publishing_ones_own_translation_twice_says_it_is_already_done(client, letter):
    form = {**hidden_fields(client.get(manage_url(letter))), "own-language": "en", "own-body": "My own words."}
    assert client.post(f"{manage_url(letter)}/translations", data=form).status_code == 303
    again = client.post(f"{manage_url(letter)}/translations?lang=en", data=form)
    assert again.status_code == 303 and "Already done" in page_of(client.get(again.headers["Location"])).visible_text
    # Another text from the same stale page is still refused, and kept in its box.
    other = client.post(f"{manage_url(letter)}/translations?lang=en", data={**form, "own-body": "Other words."})
    assert other.status_code == 409 and "Other words." in other.get_data(as_text=True)
    db.session.rollback()
    assert [mine.body_text for mine in at.of_letter(letter, "en")] == ["My own words."]


def test_approving_after_the_team_changed_it_is_still_refused(client, letter, team):
    sent = lt.send_to_author(drafted(letter, team["translator"]), by=team["translator"], expected_revision=1)
    form = hidden_fields(client.get(manage_url(letter)))
    lt.save(letter, "en", by=team["translator"], title=None, body_text="Changed after sending.", expected_revision=sent.revision)
    refused = client.post(f"{manage_url(letter)}/translations/en/approve?lang=en", data=form)
    assert refused.status_code == 409 and "Nothing was changed" in page_of(refused).visible_text
    assert translation(letter).status == TranslationStatus.DRAFT


# --- claims ----------------------------------------------------------------------------------------------


def test_nobody_sends_a_translation_someone_else_is_still_writing(client, login_as, letter, team):
    """A claim keeps others from saving over it; sending a half-written draft to the author is no better."""
    drafted(letter, team["translator"], "Half written, the rest tomorrow.")
    login_as(client, "moderator")
    page = client.get(edit_url(letter) + "?lang=en")
    assert "Send to the author" not in page_of(page).visible_text
    refused = client.post(f"/moderate/translations/{letter.public_id}/en/send?lang=en", data=hidden_fields(page))
    assert refused.status_code == 409 and "translator@team.example" in page_of(refused).visible_text.replace("\u2068", "").replace("\u2069", "")
    assert translation(letter).status == TranslationStatus.DRAFT and mail_to("translation") == []
    # The writer sends it themselves.
    sent = lt.send_to_author(translation(letter), by=team["translator"], expected_revision=translation(letter).revision)
    assert sent.status == TranslationStatus.AWAITING_AUTHOR


def test_a_correction_of_the_rank_alone_leaves_the_translations_as_approved(client, letter, team):
    """A translation holds the title and the text; the name and rank above it are the letter's own, so
    correcting those changes nothing the author approved in the translation."""
    write_author_translation(letter, "en", title="Not in my name", body_text="I refuse to serve.", checked_by=team["moderator"])
    db.session.rollback()
    letters.edit(letter, by=team["moderator"], display_name=letter.display_name, descriptor="סרן (מיל׳)", title=letter.title,
                 body_text=letter.body_text, reason="the rank was wrong")  # fmt: skip
    assert translation(letter).status == TranslationStatus.APPROVED
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 200
    assert mail_to("translation_review") == []
    # A corrected title is in the translation: that goes to review.
    letters.edit(letter, by=team["moderator"], display_name=letter.display_name, descriptor=letter.descriptor, title="כותרת מתוקנת",
                 body_text=letter.body_text, reason="the title")  # fmt: skip
    assert translation(letter).status == TranslationStatus.TO_REVIEW


def test_a_head_request_of_the_translation_page_is_answered_as_its_get(client, login_as, letter):
    """A link checker asks with HEAD: the page is there, not a form sent wrong."""
    login_as(client, "translator")
    assert client.head(edit_url(letter)).status_code == client.get(edit_url(letter)).status_code == 200
    assert lt.of_letter(letter, "en") == []
