"""The letter's life, through the domain functions: its moves, their refusals and their audit rows."""

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from refusal_site import letters, tally
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus
from tests.factories import make_letter


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
    counted = tally.snapshot()
    revision = letter.revision
    with pytest.raises(letters.IllegalTransition):
        move(letter)
    fresh = db.session.get(Letter, letter.id)
    db.session.refresh(fresh)
    assert fresh.status == start
    assert fresh.revision == revision
    assert tally.snapshot() == counted


def test_the_transition_table_is_closed_over_the_states():
    assert set(letters.TRANSITIONS) == set(LetterStatus)
    assert letters.TRANSITIONS[LetterStatus.WITHDRAWN] == frozenset()


def test_a_decision_on_a_stale_revision_is_refused(app):
    letter = make_letter(LetterStatus.PENDING)
    seen = letter.revision
    letters.publish(letter, by="test", expected_revision=seen)
    with pytest.raises(letters.StaleLetter):
        letters.unpublish(letter, by="test", reason="x", expected_revision=seen)
    assert tally.row().refusers == 1


def test_each_state_change_leaves_one_audit_row(app):
    letter = make_letter(LetterStatus.PUBLISHED)
    letters.withdraw(letter)
    actions = db.session.execute(
        select(AuditEvent.action).where(AuditEvent.letter_id == letter.id).order_by(AuditEvent.id)
    ).scalars().all()
    assert actions == ["letter:submit", "letter:confirm", "letter:publish", "letter:withdraw"]


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
