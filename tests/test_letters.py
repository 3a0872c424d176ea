"""The letter's life and the public tally, through the domain functions."""

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.exc import IntegrityError

from refusal_site import letters
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, utcnow
from tests.factories import make_letter


def tally_numbers() -> tuple[int, int, int, int]:
    t = letters.public_tally()
    return t.refusers, t.letters_he, t.letters_ar, t.letters_en


def test_a_letter_is_counted_only_while_published(app):
    letter = make_letter(LetterStatus.PENDING, language="ar")
    assert tally_numbers() == (0, 0, 0, 0)
    letter = letters.publish(letter, by="test")
    assert tally_numbers() == (1, 0, 1, 0)
    letter = letters.unpublish(letter, by="test", reason="duplicate")
    assert tally_numbers() == (0, 0, 0, 0)
    letter = letters.publish(letter, by="test")
    assert tally_numbers() == (1, 0, 1, 0)
    letters.withdraw(letter)
    assert tally_numbers() == (0, 0, 0, 0)
    assert letters.check_tally() == []


def test_every_state_change_bumps_the_public_revision_only_when_public(app):
    letter = make_letter(LetterStatus.PENDING)
    before = letters.public_tally().revision
    letter = letters.publish(letter, by="test")
    assert letters.public_tally().revision == before + 1
    make_letter(LetterStatus.PENDING)
    assert letters.public_tally().revision == before + 1


@pytest.mark.parametrize(
    ("start", "move"),
    [
        (LetterStatus.UNCONFIRMED, lambda l: letters.publish(l, by="test")),
        (LetterStatus.PENDING, lambda l: letters.unpublish(l, by="test", reason="x")),
        (LetterStatus.PUBLISHED, lambda l: letters.confirm(l)),
        (LetterStatus.PUBLISHED, lambda l: letters.publish(l, by="test")),
        (LetterStatus.REJECTED, lambda l: letters.publish(l, by="test")),
        (LetterStatus.WITHDRAWN, lambda l: letters.publish(l, by="test")),
        (LetterStatus.WITHDRAWN, lambda l: letters.withdraw(l)),
        (LetterStatus.UNPUBLISHED, lambda l: letters.reject(l, by="test", reason="x")),
    ],
)
def test_illegal_transitions_are_refused_and_change_nothing(app, start, move):
    letter = make_letter(start)
    counted = tally_numbers()
    revision = letter.revision
    with pytest.raises(letters.IllegalTransition):
        move(letter)
    fresh = db.session.get(Letter, letter.id)
    db.session.refresh(fresh)
    assert fresh.status == start
    assert fresh.revision == revision
    assert tally_numbers() == counted


def test_the_transition_table_is_closed_over_the_states():
    assert set(letters.TRANSITIONS) == set(LetterStatus)
    assert letters.TRANSITIONS[LetterStatus.WITHDRAWN] == frozenset()


def test_a_decision_on_a_stale_revision_is_refused(app):
    letter = make_letter(LetterStatus.PENDING)
    seen = letter.revision
    letters.publish(letter, by="test", expected_revision=seen)
    with pytest.raises(letters.StaleLetter):
        letters.unpublish(letter, by="test", reason="x", expected_revision=seen)
    assert tally_numbers()[0] == 1


def test_each_state_change_leaves_one_audit_row(app):
    letter = make_letter(LetterStatus.PUBLISHED)
    letters.withdraw(letter)
    actions = db.session.execute(
        select(AuditEvent.action).where(AuditEvent.letter_id == letter.id).order_by(AuditEvent.id)
    ).scalars().all()
    assert actions == ["letter:submit", "letter:confirm", "letter:publish", "letter:withdraw"]


def test_last_published_at_follows_withdrawals(app):
    old = make_letter(published_at=utcnow() - timedelta(days=3))
    new = make_letter(published_at=utcnow() - timedelta(days=1))
    assert letters.public_tally().last_published_at == new.published_at
    letters.withdraw(new)
    assert letters.public_tally().last_published_at == old.published_at
    letters.withdraw(old)
    assert letters.public_tally().last_published_at is None


def test_the_tally_stays_exact_through_random_histories(app):
    rng = random.Random(7)
    pool = [make_letter(LetterStatus.PENDING, language=rng.choice("he ar en".split())) for _ in range(12)]
    moves = {
        LetterStatus.PENDING: [lambda l: letters.publish(l, by="t"), lambda l: letters.reject(l, by="t", reason="r"), letters.withdraw],
        LetterStatus.PUBLISHED: [lambda l: letters.unpublish(l, by="t", reason="r"), letters.withdraw],
        LetterStatus.UNPUBLISHED: [lambda l: letters.publish(l, by="t"), letters.withdraw],
        LetterStatus.REJECTED: [letters.withdraw],
    }
    for _ in range(40):
        i = rng.randrange(len(pool))
        options = moves.get(LetterStatus(pool[i].status))
        if options:
            pool[i] = rng.choice(options)(pool[i])
    assert letters.check_tally() == []
    published = sum(1 for letter in pool if letter.status == LetterStatus.PUBLISHED)
    assert letters.public_tally().refusers == published


def test_public_ids_are_unique_by_constraint_and_unguessable(app):
    a, b = make_letter(), make_letter()
    assert a.public_id != b.public_id
    assert len(a.public_id) >= 16
    row = {c: getattr(a, c) for c in ("display_name", "language", "body_text", "body_html", "content_hash", "status")}
    with pytest.raises(IntegrityError):
        db.session.execute(insert(Letter).values(**row, public_id=a.public_id))
        db.session.flush()
    db.session.rollback()


def test_content_hash_covers_what_the_public_sees():
    base = dict(display_name="A", descriptor=None, language="en", title=None, body_text="text")
    assert letters.content_hash(**base) == letters.content_hash(**base)
    for field, other in [("display_name", "B"), ("descriptor", "x"), ("title", "t"), ("body_text", "text2"), ("language", "he")]:
        assert letters.content_hash(**{**base, field: other}) != letters.content_hash(**base)


def test_drift_is_reported_and_repaired(app):
    make_letter()
    make_letter(language="en")
    tally = letters.public_tally()
    tally.refusers = 17
    tally.letters_en = 0
    db.session.commit()
    drift = {d.field: (d.stored, d.actual) for d in letters.check_tally()}
    assert drift == {"refusers": (17, 2), "letters_en": (0, 1)}
    assert letters.public_tally().refusers == 17, "checking alone must not repair"
    letters.check_tally(repair=True)
    assert tally_numbers() == (2, 1, 0, 1)
    assert letters.check_tally() == []


def test_published_page_takes_its_total_from_the_tally(app):
    for language in ("he", "he", "ar"):
        make_letter(language=language)
    tally = letters.tally_snapshot()
    page = letters.published_page(1, 2, tally)
    assert (page.total, page.pages, len(page.items)) == (3, 2, 2)
    assert letters.published_page(1, 2, tally, "ar").total == 1
    with pytest.raises(letters.PageOutOfRange):
        letters.published_page(3, 2, tally)
    with pytest.raises(letters.PageOutOfRange):
        letters.published_page(0, 2, tally)


def test_a_withdrawal_racing_a_publication_leaves_the_count_exact(app, make_app):
    """The publication is in flight (row locked, not committed) when the withdrawal starts."""
    letter = make_letter(LetterStatus.PENDING)
    publisher_app = make_app()
    holding, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def publish_slowly() -> None:
        with publisher_app.app_context():
            session = db.session()

            @event.listens_for(session, "after_flush")
            def wait(_session, _context) -> None:  # rows locked and written, not yet committed
                if not release.is_set():
                    holding.set()
                    release.wait(10)

            try:
                letters.publish(db.session.get(Letter, letter.id), by="test")
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    def withdraw() -> None:
        with app.app_context():
            try:
                letters.withdraw(db.session.get(Letter, letter.id))
            except BaseException as error:
                errors.append(error)
            finally:
                db.session.remove()

    publisher = threading.Thread(target=publish_slowly)
    publisher.start()
    assert holding.wait(10)
    withdrawer = threading.Thread(target=withdraw)
    withdrawer.start()
    time.sleep(0.5)  # let the withdrawal read the letter and block on the lock
    release.set()
    publisher.join(20)
    withdrawer.join(20)
    assert not errors, errors
    db.session.rollback()
    assert db.session.get(Letter, letter.id).status == LetterStatus.WITHDRAWN
    assert letters.public_tally().refusers == 0
    assert letters.check_tally() == []


def test_the_public_revision_read_alone_is_public_state_s_and_a_failed_read_falls_back(app, monkeypatch):
    from refusal_site import storage

    assert letters.public_revision() == letters.public_state().revision
    before = letters.public_revision()
    make_letter()
    assert letters.public_revision() == letters.public_state().revision > before
    # A statement the database refuses: the pooled connection is dropped, the caller told to ask again.
    assert storage.read_raw("SELECT revision FROM no_such_table") is None
    monkeypatch.setattr(letters, "_REVISION", "SELECT revision FROM no_such_table")
    assert letters.public_revision() == letters.public_state().revision
