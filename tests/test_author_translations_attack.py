"""An outside tester's attacks on the team's check of an author's translation (issue 22): a page
drawn before the translation it shows was published and replaced by a newer one must not publish
(or send back) the newer words, which no moderator read."""

import threading

import pytest
from sqlalchemy import select

from refusal_site import author_translations as at
from refusal_site import letter_translations as lt
from refusal_site import letters, moderators, pauses, tokens
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, Moderator
from tests.conftest import PASSWORD
from tests.factories import make_letter, write_author_translation
from tests.pages import hidden_fields, outbox, page_of

UNREAD = "Words no moderator has read: a third person's phone number."


@pytest.fixture
def letter(app):
    return make_letter(language="he", title="לא בשמי")


@pytest.fixture
def colleague(app):
    return moderators.create("colleague@team.example", PASSWORD)


def check_url(letter, language="en") -> str:
    return f"/moderate/translations/by-authors/{letter.public_id}/{language}"


def _replaced_after_the_page_was_drawn(client, login_as, letter, colleague):
    """A moderator draws the check page of the author's first translation; a colleague publishes
    it; the author writes a new one into the same language, which starts again at a revision."""
    first = write_author_translation(letter, "en", body_text="First words, read by the team.")
    login_as(client)
    page = client.get(check_url(letter))
    at.publish(first, by=colleague, expected_revision=first.revision)
    write_author_translation(letter, "en", body_text=UNREAD)
    db.session.rollback()
    return page


def test_a_page_drawn_before_publication_does_not_publish_the_authors_next_translation(client, login_as, letter, colleague):
    page = _replaced_after_the_page_was_drawn(client, login_as, letter, colleague)
    stale = client.post(check_url(letter) + "/publish?lang=en", data=hidden_fields(page))
    assert stale.status_code == 409 and "Nothing was done" in page_of(stale).visible_text
    assert UNREAD not in client.get(f"/letters/{letter.public_id}/en").get_data(as_text=True)
    db.session.rollback()
    assert lt.of_letter(letter, "en")[0].body_text == "First words, read by the team."
    assert at.of_letter(letter, "en")[0].status == "waiting"


def test_a_page_drawn_before_publication_does_not_send_back_the_authors_next_translation(client, login_as, letter, colleague):
    page = _replaced_after_the_page_was_drawn(client, login_as, letter, colleague)
    stale = client.post(check_url(letter) + "/send-back?lang=en", data={**hidden_fields(page), "reason": "The first words were too short."})
    assert stale.status_code == 409 and "Nothing was done" in page_of(stale).visible_text
    db.session.rollback()
    assert (at.of_letter(letter, "en")[0].status, at.of_letter(letter, "en")[0].team_reason) == ("waiting", None)


def test_the_authors_send_button_pressed_twice_after_an_earlier_publication_is_done_once(client, letter, colleague):
    write_author_translation(letter, "en", body_text="First words.", checked_by=colleague)
    manage = f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"
    form = {**hidden_fields(client.get(manage)), "own-language": "en", "own-body": "Second words."}
    assert client.post(f"{manage}/translations", data=form).status_code == 303
    twice = client.post(f"{manage}/translations?lang=en", data=form)
    assert twice.status_code == 303 and "Already done" in page_of(client.get(twice.headers["Location"])).visible_text


def test_the_list_marks_a_translation_without_a_title_in_the_language_of_what_it_shows(client, login_as, letter):
    """Without a title, the list names the translation by the author's name, which is written in the
    letter's language: marked English, a Hebrew name is read aloud letter by letter as English."""
    write_author_translation(letter, "en", body_text="My own words.")
    login_as(client)
    listed = page_of(client.get("/moderate/translations/by-authors"))
    (link,) = listed.find("a", href=check_url(letter))
    assert letter.display_name in listed.visible_text
    assert (link["lang"], link["dir"]) == ("he", "rtl")


def _scheduled_with_its_translation_waiting(moderator):
    letter = letters.submit(display_name="נועה כהן", language="he", body_text="אני מסרבת לשרת.", contact_email="noa@private.example",
                            second_text=at.SecondText(language="en", title=None, body_text="I refuse to serve."))  # fmt: skip
    letters.confirm(letter)
    return letters.schedule(db.session.get(Letter, letter.id), by=moderator, at=letters.utcnow().replace(year=2099, microsecond=0))


def test_publishing_with_the_box_ticked_says_so_only_when_the_translation_was_published(client, login_as, colleague):
    """The review page's box ticked, but a colleague sent the translation back meanwhile: the
    moderator must not read that it was published with the letter."""
    moderator = login_as(client)
    letter = _scheduled_with_its_translation_waiting(moderator)
    review = client.get(f"/moderate/letters/{letter.public_id}?lang=en")
    assert page_of(review).find("input", name="with_translations")
    mine = at.of_letter(letter)[0]
    at.send_back(mine, by=colleague, reason="Half of it is missing.", expected_revision=mine.revision)
    done = client.post(f"/moderate/letters/{letter.public_id}/approve?lang=en", data={**hidden_fields(review), "with_translations": "y"})
    assert done.status_code in (302, 303)
    told = page_of(client.get(done.headers["Location"])).visible_text
    assert "with its author's translation" not in told and "Published: the letter is public and counted." in told
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404


def test_signed_out_or_without_the_required_second_factor_nobody_reaches_the_check(client, login_as, letter):
    mine = write_author_translation(letter, "en", body_text=UNREAD)
    urls = ["/moderate/translations/by-authors", check_url(letter)]
    for url in urls:
        assert client.get(url).status_code == 302 and "/moderate/sign-in" in client.get(url).headers["Location"]
    assert client.post(check_url(letter) + "/publish", data={"revision": mine.revision}).status_code in (302, 400)
    moderator = login_as(client)
    moderator.totp_required = True
    db.session.commit()
    for url in urls:
        assert "/moderate/account/code" in client.get(url).headers.get("Location", "")
    token = hidden_fields(client.get("/moderate/account/code"))["csrf_token"]
    refused = client.post(check_url(letter) + "/publish", data={"csrf_token": token, "revision": mine.revision})
    assert refused.status_code == 302 and "/moderate/account/code" in refused.headers["Location"]
    db.session.rollback()
    assert lt.of_letter(letter) == [] and at.of_letter(letter, "en")[0].status == "waiting"


def test_sending_back_what_a_colleague_published_meanwhile_says_so_and_mails_nobody(app, client, login_as, letter, colleague):
    mine = write_author_translation(letter, "en", body_text="Words the colleague read.")
    login_as(client)
    page = client.get(check_url(letter) + "?lang=en")
    at.publish(mine, by=colleague, expected_revision=mine.revision)
    late = client.post(check_url(letter) + "/send-back?lang=en", data={**hidden_fields(page), "reason": "Too short."})
    assert late.status_code == 409 and "no longer waiting for a check" in page_of(late).visible_text
    assert [m for m in outbox(app) if "Too short." in m.get_content()] == []
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 200


def test_the_authors_mail_is_in_the_letters_language_and_names_nobody_else(app, client, login_as):
    arabic = make_letter(language="ar", contact_email="author-ar@private.example")
    other = make_letter(language="ar", contact_email="someone-else@private.example")
    write_author_translation(other, "he", body_text="מילים אחרות.")
    mine = write_author_translation(arabic, "en", body_text="My words.")
    login_as(client, email="named-moderator@team.example")
    form = hidden_fields(client.get(check_url(arabic)))
    assert client.post(check_url(arabic) + "/send-back", data={**form, "reason": "نقص سطر."}).status_code == 303
    assert mine.revision
    (mail,) = [m for m in outbox(app) if "نقص سطر." in m.get_content()]
    assert mail["To"] == "author-ar@private.example" and mail["Content-Language"] == "ar"
    text = mail.get_content()
    assert "@" not in text.replace("author-ar@private.example", "") and "named-moderator" not in text
    assert "English" not in text and "الإنجليزية" in text


def test_a_moderator_deciding_an_unscheduled_letter_again_sees_the_translation_that_goes_out_with_it(client, login_as, colleague):
    """Scheduled with the box ticked, the author's translation became the letter's; the embargo lifted,
    the letter is back in the queue, and whoever publishes it publishes that translation too: the
    review page shows it to them, as it showed it to the colleague who ticked the box."""
    letter = letters.submit(display_name="נועה כהן", language="he", body_text="אני מסרבת לשרת.", contact_email="noa@private.example",
                            second_text=at.SecondText(language="en", title="Not in my name", body_text="I refuse to serve, in English."))  # fmt: skip
    letters.confirm(letter)
    letter = letters.schedule(db.session.get(Letter, letter.id), by=colleague, at=letters.utcnow().replace(year=2099, microsecond=0),
                              with_translations=True)  # fmt: skip
    letters.unschedule(letter, by=colleague)
    login_as(client)
    review = page_of(client.get(f"/moderate/letters/{letter.public_id}?lang=en"))
    assert "I refuse to serve, in English." in review.visible_text
    assert "Published with the letter" in review.visible_text
    assert review.find("article", lang="en", dir="ltr")
    assert "יפורסם עם המכתב" in page_of(client.get(f"/moderate/letters/{letter.public_id}?lang=he")).visible_text


def test_a_check_page_drawn_before_the_letter_was_corrected_publishes_nothing(client, login_as, letter, colleague):
    """The page showed the translation beside the original as it was; a colleague corrected the
    letter's text since: published, the translation would stand beside words its checker never
    compared it with. Refused, the page shows the correction's notice."""
    write_author_translation(letter, "en", body_text="A translation of the first text.")
    login_as(client)
    page = client.get(check_url(letter) + "?lang=en")
    letters.edit(db.session.get(Letter, letter.id), by=colleague, display_name=letter.display_name, descriptor=letter.descriptor,
                 title=letter.title, body_text=letter.body_text + " משפט שנוסף.", reason="the author asked")  # fmt: skip
    stale = client.post(check_url(letter) + "/publish?lang=en", data=hidden_fields(page))
    assert stale.status_code == 409 and "was corrected after the author wrote this translation" in page_of(stale).visible_text
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404


@pytest.mark.parametrize("how", ["pause and resume", "unpublish and republish unticked", "correction of the original", "given, scheduled unticked, released"])
def test_an_unchecked_translation_reaches_no_public_surface_after(client, colleague, how):
    from tests.test_translations_public import _shows_translation, _surfaces

    make_letter(language="he")  # keeps the lists and the sitemap non-empty
    words = at.SecondText(language="en", title="TRANSLATED TITLE", body_text="I refuse. This is the translation the author approved.")
    if how == "given, scheduled unticked, released":
        letter = letters.submit(display_name="נועה כהן", language="he", title="מכתב", body_text="אני מסרבת.", contact_email="noa@private.example",
                                second_text=words)  # fmt: skip
        letters.confirm(letter)
    else:
        letter = make_letter(language="he", title="מכתב")
        write_author_translation(letter, "en", title=words.title, body_text=words.body_text)
    if how == "pause and resume":
        pauses.pause(letter)
        pauses.resume(db.session.get(Letter, letter.id))
    elif how == "unpublish and republish unticked":
        letters.unpublish(letter, by=colleague, reason="at the author's request")
        letters.publish(db.session.get(Letter, letter.id), by=colleague)
    elif how == "correction of the original":
        letters.edit(db.session.get(Letter, letter.id), by=colleague, display_name=letter.display_name, descriptor=letter.descriptor,
                     title=letter.title, body_text=letter.body_text + " תיקון.", reason="a typo")  # fmt: skip
    else:
        later = letters.utcnow().replace(year=2099, microsecond=0)
        letters.schedule(db.session.get(Letter, letter.id), by=colleague, at=later)
        letters.release_due(now=later)
    db.session.rollback()
    assert db.session.get(Letter, letter.id).status == "published"
    assert _shows_translation(_surfaces(client, letter)) == []
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404
    assert client.get(f"/letters/{letter.public_id}/en.pdf").status_code == 404
    assert at.of_letter(letter, "en")[0].status == "waiting"


def test_two_moderators_publishing_and_sending_back_at_the_same_moment_one_decides(app, letter, colleague, make_app):
    """Two workers, each its own connection, both from a page at the same revision: one decides, the
    other is told its page is stale; the translation is either public or back with its author, and
    the record holds exactly one decision, naming who made it."""
    mine = write_author_translation(letter, "en", body_text=UNREAD)
    other = moderators.create("other@team.example", PASSWORD)
    ids = {"letter": letter.id, "deciders": [colleague.id, other.id], "revision": mine.revision}
    db.session.remove()
    barrier, outcomes = threading.Barrier(2), []
    apps = [make_app(), make_app()]

    def decide(n: int) -> None:
        with apps[n].app_context():
            found, decider = at.of_letter(db.session.get(Letter, ids["letter"]), "en")[0], db.session.get(Moderator, ids["deciders"][n])
            barrier.wait()
            try:
                if n == 0:
                    at.publish(found, by=decider, expected_revision=ids["revision"])
                else:
                    at.send_back(found, by=decider, reason="Too short.", expected_revision=ids["revision"])
                outcomes.append(("done", n))
            except at.TranslationError as refused:
                outcomes.append((type(refused).__name__, n))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(kind for kind, _ in outcomes) == ["StaleTranslation", "done"]
    (winner,) = [n for kind, n in outcomes if kind == "done"]
    letter = db.session.get(Letter, ids["letter"])
    decisions = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id).where(
        AuditEvent.action.in_(["translation:publish-checked", "translation:return-to-author"]))).all()  # fmt: skip
    if winner == 0:
        assert [t.body_text for t in lt.of_letter(letter, "en")] == [UNREAD] and at.of_letter(letter) == []
        assert decisions == [("translation:publish-checked", ids["deciders"][0])]
    else:
        assert lt.of_letter(letter, "en") == [] and at.of_letter(letter, "en")[0].status == "returned"
        assert decisions == [("translation:return-to-author", ids["deciders"][1])]
