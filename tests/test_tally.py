"""The public tally: moved by the transitions that make letters public or not, exact through any
history and any race, checked and repaired against a recount, read alone by cached requests."""

import random
import threading
import time
from datetime import timedelta

from sqlalchemy import event

from refusal_site import letters, storage, tally
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, utcnow
from tests.factories import make_letter


def tally_numbers() -> tuple[int, int, int, int]:
    t = tally.row()
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
    assert tally.check() == []


def test_every_state_change_bumps_the_public_revision_only_when_public(app):
    letter = make_letter(LetterStatus.PENDING)
    before = tally.row().revision
    letter = letters.publish(letter, by="test")
    assert tally.row().revision == before + 1
    make_letter(LetterStatus.PENDING)
    assert tally.row().revision == before + 1


def test_last_published_at_follows_withdrawals(app):
    old = make_letter(published_at=utcnow() - timedelta(days=3))
    new = make_letter(published_at=utcnow() - timedelta(days=1))
    assert tally.row().last_published_at == new.published_at
    letters.withdraw(new)
    assert tally.row().last_published_at == old.published_at
    letters.withdraw(old)
    assert tally.row().last_published_at is None


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
    assert tally.check() == []
    published = sum(1 for letter in pool if letter.status == LetterStatus.PUBLISHED)
    assert tally.row().refusers == published


def test_drift_is_reported_and_repaired(app):
    make_letter()
    make_letter(language="en")
    stored = tally.row()
    stored.refusers = 17
    stored.letters_en = 0
    db.session.commit()
    drift = {d.field: (d.stored, d.actual) for d in tally.check()}
    assert drift == {"refusers": (17, 2), "letters_en": (0, 1)}
    assert tally.row().refusers == 17, "checking alone must not repair"
    tally.check(repair=True)
    assert tally_numbers() == (2, 1, 0, 1)
    assert tally.check() == []


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
    assert tally.row().refusers == 0
    assert tally.check() == []


def test_the_public_revision_read_alone_is_public_state_s_and_a_failed_read_falls_back(app, monkeypatch):
    assert letters.public_revision() == letters.public_state().revision
    before = letters.public_revision()
    make_letter()
    assert letters.public_revision() == letters.public_state().revision > before
    # A statement the database refuses: the pooled connection is dropped, the caller told to ask again.
    assert storage.read_raw("SELECT revision FROM no_such_table") is None
    monkeypatch.setattr(tally, "_REVISION", "SELECT revision FROM no_such_table")
    assert letters.public_revision() == letters.public_state().revision
