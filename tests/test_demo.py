"""Demo data, through the domain functions: stored and moved as real letters and signatures are, in
bulk, and counted by the tally."""

import pytest
from sqlalchemy import select

from refusal_site import demo, letters, sanitize, signatures, similarity, tally
from refusal_site.audit import AuditAction
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, Signature, SignatureStatus
from tests.factories import db_refresh, make_collective, make_letter, make_signature


def test_demo_letters_are_stored_and_moved_as_real_ones_are(app):
    real = make_letter(language="en")
    assert demo.seed(30, rng_seed=1) == 30
    seeded = db.session.execute(select(Letter).where(Letter.id != real.id)).scalars().all()
    assert len(seeded) == 30
    assert {letter.status for letter in seeded} == {LetterStatus.PUBLISHED}
    assert {letter.revision for letter in seeded} == {real.revision}, "submitted, confirmed and published, as a real letter"
    for letter in seeded:
        public = (letter.display_name, letter.descriptor, letter.language, letter.title, letter.body_text)
        assert letter.content_hash == letters.content_hash(*public)
        assert letter.body_html == sanitize.text_to_html(letter.body_text)
        assert (letter.name_key, letter.text_simhash) == (similarity.name_key(letter.display_name), similarity.text_simhash(letter.body_text))
        assert letter.submitted_at < letter.confirmed_at < letter.published_at == letter.decided_at == letter.updated_at
    assert tally.row().refusers == 31
    assert tally.check() == []


def test_a_move_the_transition_table_forbids_is_refused_in_bulk_too(app, monkeypatch):
    before = tally.snapshot()
    monkeypatch.setitem(letters.TRANSITIONS, LetterStatus.PENDING, frozenset({LetterStatus.WITHDRAWN}))
    with pytest.raises(letters.IllegalTransition):
        demo.seed(5, rng_seed=1)
    assert db.session.execute(select(Letter)).first() is None
    assert tally.snapshot() == before


def test_demo_signers_are_moved_and_counted_as_real_ones_are(app):
    real = make_signature(make_collective())
    letter = demo.seed_collective(12, rng_seed=2)
    seeded = db.session.execute(select(Signature).where(Signature.letter_id == letter.id)).scalars().all()
    assert {(signature.status, signature.revision) for signature in seeded} == {(SignatureStatus.PUBLISHED, real.revision)}
    assert all(signature.confirmed_at == signature.published_at == signature.decided_at for signature in seeded)
    assert db_refresh(letter).signatures_published == 12
    assert (tally.row().refusers, tally.row().signatures) == (15, 13)
    assert tally.check() == []


def test_signers_are_not_added_in_bulk_to_a_letter_closed_to_signing(app):
    letter = demo.seed_collective(0, rng_seed=3)
    letter = letters.withdraw(letter)
    signer = {"display_name": "x", "descriptor": None, "contact_email": None, "email_key": "k", "published_at": None}
    with pytest.raises(signatures.NotOpenForSigning):
        signatures.publish_many(letter, [signer], by="test", action=AuditAction.DEMO_SEED)
    assert db.session.execute(select(Signature)).first() is None
