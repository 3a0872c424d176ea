"""The life of a translation through letter_translations: claims, drafts and their versions, the
author's approval, an admin's publication when the author cannot be asked, corrections of the
original, and every refusal (a stale page, someone else's claim, a withdrawn letter)."""

import email
import threading
from datetime import timedelta
from email.policy import default

import pytest
from sqlalchemy import select

from refusal_site import author_translations as at
from refusal_site import letter_translations as lt
from refusal_site import letters, moderators, tally
from refusal_site.extensions import db
from refusal_site.forms import DESCRIPTOR_MAX, NAME_MAX, TEXT_MAX, TITLE_MAX
from refusal_site.models import (LIMITS, AuditEvent, AuthorTranslation, Letter, LetterVersion, Moderator, QueuedMail, Role, Signature, Translation,
                                 TranslationStatus, TranslationVersion, utcnow)
from tests.conftest import PASSWORD
from tests.factories import make_letter


@pytest.fixture
def team():
    return {role: moderators.create(f"{role}@team.example", PASSWORD, role=Role(role)) for role in ("translator", "moderator", "admin")}


def mails(template: str) -> list:
    db.session.rollback()
    rows = db.session.execute(select(QueuedMail).where(QueuedMail.template == template).order_by(QueuedMail.id)).scalars()
    return [email.message_from_bytes(row.message, policy=default) for row in rows]


def actions() -> list[str]:
    return list(db.session.execute(select(AuditEvent.action).where(AuditEvent.action.like("translation:%")).order_by(AuditEvent.id)).scalars())


def drafted(letter, by, text="I refuse to serve.", language="en"):
    current = lt.of_letter(letter, language)
    return lt.save(letter, language, by=by, title="Not in my name", body_text=text, expected_revision=current[0].revision if current else 0)


def sent(letter, by):
    translation = drafted(letter, by)
    return lt.send_to_author(translation, by=by, expected_revision=translation.revision)


@pytest.mark.parametrize("model", [Letter, Signature, LetterVersion, Translation, TranslationVersion, AuthorTranslation])
def test_every_column_of_a_public_field_holds_what_the_forms_allow_and_the_domain_refuses_beyond(app, model):
    """One place says how long a name, descriptor or title may be: each such column is that long, and
    the forms state the same limit."""
    sized = {name: column.type.length for name, column in model.__table__.columns.items() if name in LIMITS and name != "body_text"}
    assert sized and sized == {name: LIMITS[name] for name in sized}
    assert (NAME_MAX, DESCRIPTOR_MAX, TITLE_MAX, TEXT_MAX) == (LIMITS["display_name"], LIMITS["descriptor"], LIMITS["title"], LIMITS["body_text"])
    with pytest.raises(lt.FieldTooLong):
        lt.cleaned("x" * (LIMITS["title"] + 1), "text")
    with pytest.raises(lt.FieldTooLong):
        lt.cleaned(None, "word " * (LIMITS["body_text"] // 5 + 1))


def test_a_claim_keeps_others_out_until_released_or_lapsed(app, team):
    letter = make_letter()
    translation = lt.claim(letter, "en", by=team["translator"])
    assert translation.claimed_by_id == team["translator"].id and translation.status == TranslationStatus.DRAFT
    with pytest.raises(lt.ClaimedByOther) as refused:
        lt.claim(letter, "en", by=team["moderator"])
    assert refused.value.translation.claimed_by.email == "translator@team.example"
    # Lapsed after the claim window: anyone may claim it.
    later = utcnow() + timedelta(hours=app.config["TRANSLATION_CLAIM_HOURS"] + 1)
    assert lt.claim(letter, "en", by=team["moderator"], now=later).claimed_by_id == team["moderator"].id
    # An admin releases anyone's claim; a moderator cannot release another's.
    translation = lt.of_letter(letter, "en")[0]
    with pytest.raises(lt.ClaimedByOther):
        lt.release(translation, by=team["translator"], expected_revision=translation.revision)
    translation = lt.release(translation, by=team["admin"], expected_revision=translation.revision)
    assert translation.claimed_by_id is None
    assert actions() == ["translation:claim", "translation:claim", "translation:release"]


def test_nothing_to_translate_in_the_letters_own_language_or_before_publication(app, team):
    with pytest.raises(lt.NotTranslatable):
        lt.claim(make_letter(), "he", by=team["translator"])
    with pytest.raises(lt.NotTranslatable):
        lt.claim(make_letter("pending"), "en", by=team["translator"])


def test_each_save_keeps_the_version_it_replaces_and_a_stale_page_is_refused(app, team):
    letter = make_letter()
    first_revision = drafted(letter, team["translator"], "First words.").revision
    second = drafted(letter, team["translator"], "Better words.")
    assert second.body_text == "Better words." and "<p>Better words.</p>" in second.body_html
    assert [v.body_text for v in lt.versions(second)] == ["First words."]
    with pytest.raises(lt.StaleTranslation):
        lt.save(letter, "en", by=team["translator"], title=None, body_text="From an old page.", expected_revision=first_revision)
    assert lt.of_letter(letter, "en")[0].body_text == "Better words."


def test_two_saving_at_once_one_is_refused_and_nothing_is_lost(app, team):
    letter = make_letter()
    lt.save(letter, "en", by=team["translator"], title=None, body_text="Mine.", expected_revision=0)
    with pytest.raises(lt.StaleTranslation):
        lt.save(letter, "en", by=team["moderator"], title=None, body_text="Yours.", expected_revision=0)
    translation = lt.of_letter(letter, "en")[0]
    assert translation.body_text == "Mine." and translation.written_by_id == team["translator"].id
    # Someone else's claim keeps a second writer out, even on a fresh page.
    with pytest.raises(lt.ClaimedByOther):
        lt.save(letter, "en", by=team["moderator"], title=None, body_text="Yours.", expected_revision=translation.revision)


def test_sent_to_the_author_in_the_letters_language_with_the_translation_and_private_link(app, team):
    letter = make_letter(contact_email="noa@private.example")
    translation = sent(letter, team["translator"])
    assert translation.status == TranslationStatus.AWAITING_AUTHOR
    (message,) = mails("translation")
    assert message["To"] == "noa@private.example" and message["Content-Language"] == "he"
    body = message.get_content()
    assert "I refuse to serve." in body and "Not in my name" in body and "/my-letter/" in body
    assert "אנגלית" in body  # "English", in the letter's language


def test_the_author_approves_the_public_revision_moves_and_the_count_does_not(app, team):
    letter = make_letter()
    translation = sent(letter, team["translator"])
    before = tally.snapshot()
    seen = translation.revision
    approved = lt.approve(translation, expected_revision=seen)
    after = tally.snapshot()
    assert (approved.status, approved.approved_by, approved.approved_by_id) == ("approved", "author", None)
    assert approved.approved_at is not None and approved.is_public
    assert after.revision > before.revision and after.refusers == before.refusers
    # The same approval again (a reused page): refused, nothing changed.
    with pytest.raises(lt.StaleTranslation):
        lt.approve(approved, expected_revision=seen)
    with pytest.raises(lt.WrongState):
        lt.approve(approved, expected_revision=approved.revision)


def test_the_author_sends_it_back_with_a_comment(app, team):
    translation = sent(make_letter(), team["translator"])
    returned = lt.send_back(translation, comment="The second line says the opposite.", expected_revision=translation.revision)
    assert returned.status == TranslationStatus.RETURNED and returned.author_comment == "The second line says the opposite."
    assert not returned.is_public
    assert actions()[-1] == "translation:return"


def test_a_withdrawn_letters_translation_is_neither_approved_nor_sent(app, team):
    letter = make_letter()
    waiting = sent(letter, team["translator"])
    letters.withdraw(letter)
    with pytest.raises(lt.LetterWithdrawn):
        lt.approve(waiting, expected_revision=waiting.revision)
    with pytest.raises(lt.LetterWithdrawn):
        lt.send_to_author(waiting, by=team["translator"], expected_revision=waiting.revision)
    assert lt.of_letter(letter, "en")[0].status == TranslationStatus.AWAITING_AUTHOR


def test_an_admin_publishes_without_the_author_only_once_the_address_is_erased(app, team):
    letter = make_letter()
    translation = drafted(letter, team["translator"])
    with pytest.raises(lt.AuthorReachable):
        lt.publish_without_author(translation, by=team["admin"], expected_revision=translation.revision)
    assert letters.erase_contacts(after=timedelta(0)) == 1
    with pytest.raises(lt.WrongState):
        lt.publish_without_author(translation, by=team["moderator"], expected_revision=translation.revision)
    with pytest.raises(lt.AuthorUnreachable):
        lt.send_to_author(translation, by=team["translator"], expected_revision=translation.revision)
    published = lt.publish_without_author(translation, by=team["admin"], expected_revision=translation.revision)
    assert (published.status, published.approved_by, published.approved_by_id) == ("approved", "team", team["admin"].id)


def test_a_correction_sends_translations_of_the_earlier_text_to_review_and_tells_writer_and_author(app, team):
    letter = make_letter(contact_email="noa@private.example")
    translation = sent(letter, team["translator"])
    lt.approve(translation, expected_revision=translation.revision)
    revision = tally.snapshot().revision
    letter = letters.edit(letter, by=team["moderator"], display_name=letter.display_name, descriptor=letter.descriptor, title=None,
                          body_text=letter.body_text + " תיקון.", reason="typo")  # fmt: skip
    translation = lt.of_letter(letter, "en")[0]
    assert translation.status == TranslationStatus.TO_REVIEW and not translation.is_public
    assert tally.snapshot().revision > revision
    assert [m["To"] for m in mails("translation_review")] == ["noa@private.example"]
    assert [m["To"] for m in mails("translation_review_team")] == ["translator@team.example"]
    # The author approves it as it is: public again, made from the corrected text.
    approved = lt.approve(translation, expected_revision=translation.revision)
    assert approved.is_public and approved.source_hash == lt.source_hash(letter)


def test_the_authors_own_translation_waits_for_a_check_and_published_keeps_the_teams_as_a_version(app, team):
    letter = make_letter()
    draft = drafted(letter, team["translator"], "The team's words.")
    mine = at.write(letter, "en", title=None, body_text="My own words.", expected_revision=0)
    assert lt.of_letter(letter, "en") == [draft] and draft.body_text == "The team's words."
    published = at.publish(mine, by=team["moderator"], expected_revision=mine.revision)
    assert (published.status, published.approved_by, published.written_by_id, published.body_text) == ("approved", "author", None, "My own words.")
    assert db.session.execute(select(TranslationVersion.body_text)).scalars().all() == ["The team's words."]
    assert actions()[-2:] == ["translation:write-by-author", "translation:publish-checked"]
    assert at.of_letter(letter) == []


def test_two_saving_the_same_new_translation_at_the_same_moment_one_is_refused(app, team, make_app):
    """Two workers, each its own connection, both from a page showing no translation yet: one stores
    its text, the other is told its page is stale (the unique letter and language, or the lock)."""
    letter = make_letter()
    ids = {"letter": letter.id, "writers": [team["translator"].id, team["moderator"].id]}
    db.session.remove()
    barrier, outcomes = threading.Barrier(2), []
    # Made here: building an app parses code, which CPython 3.11 does not do safely in two threads at once.
    apps = [make_app(), make_app()]

    def write(n: int) -> None:
        with apps[n].app_context():
            letter, writer = db.session.get(Letter, ids["letter"]), db.session.get(Moderator, ids["writers"][n])
            barrier.wait()
            try:
                lt.save(letter, "en", by=writer, title=None, body_text=f"Words of writer {n}.", expected_revision=0)
                outcomes.append(("saved", n))
            except lt.TranslationError as refused:
                outcomes.append((type(refused).__name__, n))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(kind for kind, _ in outcomes) == ["StaleTranslation", "saved"]
    (winner,) = [n for kind, n in outcomes if kind == "saved"]
    (translation,) = lt.of_letter(db.session.get(Letter, ids["letter"]), "en")
    assert translation.body_text == f"Words of writer {winner}." and translation.revision == 1
