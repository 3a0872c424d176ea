"""Collective letters, through the domain functions: who may sign, what counts, bulk decisions."""

import threading

import pytest
from sqlalchemy import event, select

from refusal_site import letters, signatures, tally
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, LetterStatus, QueuedMail, Signature, SignatureStatus
from refusal_site.paging import PageOutOfRange
from tests.factories import db_refresh, make_collective, make_letter, make_signature


def counted() -> tuple[int, int, int]:
    t = tally.row()
    return t.refusers, t.letters, t.signatures


def test_each_published_signature_counts_as_a_refuser_while_the_letter_is_public(app):
    letter = make_collective()
    make_letter()  # an individual letter: one refuser
    published = [make_signature(letter) for _ in range(3)]
    make_signature(letter, "pending")
    make_signature(letter, "unconfirmed")
    make_signature(letter, "rejected")
    assert counted() == (5, 2, 3)
    assert db_refresh(letter).signatures_published == 3

    signatures.withdraw(published[0])
    assert counted() == (4, 2, 2), "a withdrawn signature leaves the count at once"
    signatures.decide({published[1].id: db_refresh(published[1]).revision}, "unpublish", by="test", reason="not a reservist")
    assert counted() == (3, 2, 1), "so does one a moderator takes down"

    letter = letters.unpublish(db_refresh(letter), by="test", reason="check")
    assert counted() == (1, 1, 0), "a letter taken down takes its signers with it"
    letter = letters.publish(letter, by="test")
    assert counted() == (3, 2, 1)
    letters.withdraw(letter)
    assert counted() == (1, 1, 0)
    assert tally.check() == []


def test_check_count_recounts_signatures_and_repairs_drift(app):
    letter = make_collective()
    make_signature(letter)
    stored = tally.row()
    stored.refusers, stored.signatures = 7, 5
    db.session.commit()
    drift = {item.field: (item.stored, item.actual) for item in tally.check(repair=True)}
    assert drift == {"refusers": (7, 2), "signatures": (5, 1)}
    assert counted() == (2, 1, 1) and tally.check() == []


@pytest.mark.parametrize("setup", ["individual", "closed", "withdrawn", "unpublished", "pending"])
def test_only_a_public_collective_letter_open_for_signing_takes_signatures(app, setup):
    moderator = _moderator()
    if setup == "individual":
        letter = make_letter()
    elif setup == "pending":
        letter = make_letter(LetterStatus.PENDING, collective=True)
    else:
        letter = make_collective()
        if setup == "closed":
            letter = signatures.close_signing(letter, by=moderator)
        elif setup == "withdrawn":
            letter = letters.withdraw(letter)
        else:
            letter = letters.unpublish(letter, by="test", reason="check")
    with pytest.raises(signatures.NotOpenForSigning):
        signatures.sign(letter, display_name="מישהו", contact_email="someone@private.example")
    db.session.rollback()
    assert db.session.execute(select(Signature)).first() is None


def test_closing_keeps_the_signatures_given_and_reopening_takes_new_ones(app):
    moderator = _moderator()
    letter = make_collective()
    make_signature(letter)
    pending = make_signature(letter, "pending")
    letter = signatures.close_signing(letter, by=moderator)
    assert not letter.open_for_signing and counted() == (2, 1, 1)
    signatures.decide({pending.id: pending.revision}, "publish", by=moderator)
    assert counted() == (3, 1, 2), "signatures given before closing may still be approved"
    letter = signatures.open_signing(db_refresh(letter), by=moderator)
    make_signature(letter)
    assert counted() == (4, 1, 3)
    actions = [e.action for e in db.session.execute(select(AuditEvent).where(AuditEvent.actor_id == moderator.id)).scalars()]
    assert actions.count("letter:close-signing") == 1 and actions.count("letter:open-signing") == 1


def test_one_signature_per_address_per_letter_whatever_its_case(app):
    letter = make_collective()
    first = make_signature(letter, "pending", email="Dana@Private.example")
    with pytest.raises(signatures.AlreadySigned) as caught:
        signatures.sign(letter, display_name="דנה", contact_email="dana@private.EXAMPLE")
    assert caught.value.signature.id == first.id
    other = make_collective()
    make_signature(other, "pending", email="dana@private.example")  # another letter: fine
    signatures.withdraw(first)
    again = signatures.sign(letter, display_name="דנה", contact_email="dana@private.example")
    assert again.status == SignatureStatus.UNCONFIRMED, "after withdrawing, the address may sign again"


def test_one_signature_per_address_even_after_the_address_is_erased(app):
    from datetime import timedelta

    letter = make_collective()
    make_signature(letter, email="erased@private.example")
    assert signatures.erase_contacts(after=timedelta(0)) == 1
    assert db.session.execute(select(Signature.contact_email)).scalar_one() is None
    with pytest.raises(signatures.AlreadySigned):
        signatures.sign(letter, display_name="שוב", contact_email="erased@private.example")


def test_a_reposted_form_stores_one_signature(app):
    letter = make_collective()
    signatures.sign(letter, display_name="א", contact_email="a@private.example", submission_key="k" * 24)
    with pytest.raises(signatures.DuplicateSigning):
        signatures.sign(letter, display_name="א", contact_email="a@private.example", submission_key="k" * 24)
    db.session.rollback()
    assert len(db.session.execute(select(Signature)).all()) == 1


def test_an_unconfirmed_signature_past_its_window_does_not_block_the_address(app):
    from datetime import timedelta

    from refusal_site.models import utcnow

    letter = make_collective()
    stale = make_signature(letter, "unconfirmed", email="late@private.example")
    stale.submitted_at = utcnow() - signatures.CONFIRMATION_WINDOW - timedelta(minutes=1)
    db.session.commit()
    again = signatures.sign(letter, display_name="מאוחר", contact_email="Late@private.example")
    assert again.status == SignatureStatus.UNCONFIRMED and again.public_id != stale.public_id
    db.session.rollback()
    assert [s.public_id for s in db.session.execute(select(Signature)).scalars()] == [again.public_id], "the expired one is gone"
    assert signatures.confirm(again).status == SignatureStatus.PENDING


def test_an_unconfirmed_signature_within_its_window_still_blocks_the_address(app):
    letter = make_collective()
    waiting = make_signature(letter, "unconfirmed", email="waiting@private.example")
    with pytest.raises(signatures.AlreadySigned) as caught:
        signatures.sign(letter, display_name="שוב", contact_email="waiting@private.example")
    assert caught.value.signature.id == waiting.id


def test_the_author_of_a_collective_letter_cannot_co_sign_it_while_their_address_is_kept(app):
    from datetime import timedelta

    letter = make_collective(contact_email="Author@Private.example")
    with pytest.raises(signatures.AuthorSigning) as caught:
        signatures.sign(letter, display_name="המחברת", contact_email=" author@private.EXAMPLE ")
    assert caught.value.letter.id == letter.id
    db.session.rollback()
    assert db.session.execute(select(Signature)).first() is None
    assert counted() == (1, 1, 0), "the author is counted once, as the letter's author"

    assert letters.erase_contacts(after=timedelta(0)) == 1
    signature = make_signature(db_refresh(letter), email="author@private.example")
    assert signature.status == SignatureStatus.PUBLISHED, "once the address is erased there is nothing to compare with"


def test_a_refused_signer_is_told_by_mail_queued_in_the_refusal_s_own_transaction(app):
    letter = make_collective(contact_email="author@private.example")
    make_signature(letter, "pending", email="dana@private.example")
    db.session.rollback()
    commits = []
    event.listen(db.session(), "after_commit", lambda session: commits.append(session))
    with pytest.raises(signatures.AlreadySigned):
        signatures.sign(letter, display_name="דנה", contact_email="Dana@private.example")
    with pytest.raises(signatures.AuthorSigning):
        signatures.sign(letter, display_name="המחברת", contact_email=" author@private.EXAMPLE ")
    assert len(commits) == 2, "one transaction for each refusal and its mail"
    templates = db.session.execute(select(QueuedMail.template).order_by(QueuedMail.id)).scalars().all()
    assert templates[-2:] == ["sign_again", "sign_own_letter"]
    assert len(db.session.execute(select(Signature)).all()) == 1, "and no second signature"


@pytest.mark.parametrize("change", ["withdrawn", "unpublished"])
def test_a_signature_cannot_be_confirmed_while_its_letter_is_not_public(app, change):
    letter = make_collective()
    signature = make_signature(letter, "unconfirmed")
    if change == "withdrawn":
        letters.withdraw(letter)
    else:
        letters.unpublish(letter, by="test", reason="check")
    with pytest.raises(signatures.NotOpenForSigning):
        signatures.confirm(signature)
    db.session.rollback()
    assert db.session.get(Signature, signature.id).status == SignatureStatus.UNCONFIRMED


def test_publishing_skips_signatures_whose_letter_is_not_public(app):
    letter = make_collective()
    waiting = [make_signature(letter, "pending") for _ in range(2)]
    other = make_collective()
    fine = make_signature(other, "pending")
    letters.unpublish(letter, by="test", reason="check")
    result = signatures.decide({s.id: s.revision for s in [*waiting, fine]}, "publish", by="test")
    assert (result.done, result.skipped, result.illegal) == (1, 2, 0)
    db.session.rollback()
    assert [db.session.get(Signature, s.id).status for s in waiting] == [SignatureStatus.PENDING, SignatureStatus.PENDING]
    assert db_refresh(letter).signatures_published == 0
    assert counted() == (2, 1, 1)
    assert tally.check() == []


def test_a_move_the_state_rules_forbid_is_counted_apart_from_a_stale_one(app):
    letter = make_collective()
    pending = make_signature(letter, "pending")
    published = make_signature(letter, "published")
    stale = make_signature(letter, "pending")
    seen = {pending.id: pending.revision, published.id: published.revision, stale.id: stale.revision - 1}
    result = signatures.decide(seen, "unpublish", by="test", reason="check")
    assert (result.done, result.skipped, result.illegal) == (1, 1, 1)
    db.session.rollback()
    assert [db.session.get(Signature, s.id).status for s in (pending, published, stale)] == [SignatureStatus.PENDING, SignatureStatus.UNPUBLISHED, SignatureStatus.PENDING]


def test_bulk_approval_skips_what_changed_since_the_page_was_shown(app):
    letter = make_collective()
    shown = [make_signature(letter, "pending") for _ in range(5)]
    seen = {s.id: s.revision for s in shown}
    signatures.withdraw(shown[1])  # withdrawn while the moderator looked at the page
    signatures.decide({shown[2].id: shown[2].revision}, "reject", by="test", reason="fake")  # decided by a colleague

    result = signatures.decide(seen, "publish", by="test")
    assert (result.done, result.skipped) == (3, 2)
    db.session.rollback()
    states = {s.id: db.session.get(Signature, s.id).status for s in shown}
    assert [states[s.id] for s in shown] == [SignatureStatus.PUBLISHED, SignatureStatus.WITHDRAWN, SignatureStatus.REJECTED, SignatureStatus.PUBLISHED, SignatureStatus.PUBLISHED]
    assert counted() == (4, 1, 3)
    publishes = db.session.execute(select(AuditEvent).where(AuditEvent.action == "signature:publish")).scalars().all()
    assert sorted(e.details["signature"] for e in publishes) == sorted(shown[i].public_id for i in (0, 3, 4))
    assert tally.check() == []


def test_the_same_bulk_approval_twice_publishes_once(app):
    letter = make_collective()
    shown = [make_signature(letter, "pending") for _ in range(4)]
    seen = {s.id: s.revision for s in shown}
    assert signatures.decide(seen, "publish", by="test").done == 4
    assert signatures.decide(seen, "publish", by="test").done == 0
    assert counted() == (5, 1, 4)


def test_signers_are_listed_in_order_of_signing_page_by_page(app):
    from datetime import timedelta

    from refusal_site.models import utcnow

    letter = make_collective()
    # Names in reverse alphabetical order of creation, confirmed in yet another order and published in a
    # third: the list follows SIGNING_ORDER (when each signer confirmed), none of the others.
    made = [make_signature(letter, "unconfirmed", name=f"חותם {i:02}") for i in range(6, -1, -1)]
    confirmation_order = [made[i] for i in (3, 0, 5, 6, 1, 4, 2)]
    start = utcnow()
    for minutes, signature in enumerate(confirmation_order):
        signatures.confirm(signature, at=start + timedelta(minutes=minutes))
    for signature in reversed(made):
        signature = db_refresh(signature)
        signatures.decide({signature.id: signature.revision}, "publish", by="test")
    make_signature(letter, "pending")
    letter = db_refresh(letter)
    pages = [signatures.signer_page(letter, n, 3) for n in (1, 2, 3)]
    listed = [s.display_name for p in pages for s in p.items]
    assert listed == [s.display_name for s in confirmation_order] == [
        "חותם 03", "חותם 06", "חותם 01", "חותם 00", "חותם 05", "חותם 02", "חותם 04"
    ]
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert (pages[0].total, pages[0].pages, pages[2].first) == (7, 3, 7)
    assert [s.display_name for s in signatures.published_signers([letter.id])[letter.id]] == listed, "the PDF's order too"
    with pytest.raises(PageOutOfRange):
        signatures.signer_page(letter, 4, 3)


def test_racing_bulk_approvals_and_a_withdrawal_keep_the_count_exact(app):
    letter = make_collective()
    shown = [make_signature(letter, "pending") for _ in range(40)]
    seen = {s.id: s.revision for s in shown}
    ids = [s.id for s in shown]
    db.session.commit()
    errors = []

    def run(work):
        with app.app_context():
            try:
                work()
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.session.remove()

    def withdraw_one():
        signatures.withdraw(db.session.get(Signature, ids[7]))

    threads = [threading.Thread(target=run, args=(w,)) for w in (
        lambda: signatures.decide(seen, "publish", by="a"), lambda: signatures.decide(seen, "publish", by="b"), withdraw_one
    )]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    db.session.rollback()
    published = db.session.execute(select(Signature).where(Signature.status == SignatureStatus.PUBLISHED)).scalars().all()
    # Withdrawn before the approvals, it is skipped (its revision moved); after them, it leaves the list:
    # every interleaving publishes the other 39, once each.
    assert len(published) == 39 and ids[7] not in {s.id for s in published}
    assert counted() == (1 + len(published), 1, len(published))
    assert tally.check() == []


def test_a_signature_waits_for_a_close_being_committed_and_is_refused(app):
    from refusal_site.models import Letter, utcnow
    from refusal_site.storage import write_transaction

    letter = make_collective()
    letter_id = letter.id
    db.session.commit()
    locked, errors = threading.Event(), []

    def close_slowly():
        # close_signing's writes, with the commit held back while the signer arrives.
        with app.app_context():
            try:
                with write_transaction():
                    row = db.session.execute(select(Letter).where(Letter.id == letter_id).with_for_update()).scalar_one()
                    row.signing_closed_at = utcnow()
                    locked.set()
                    threading.Event().wait(0.5)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                locked.set()
                db.session.remove()

    closer = threading.Thread(target=close_slowly)
    closer.start()
    locked.wait(10)
    with pytest.raises(signatures.NotOpenForSigning):
        signatures.sign(letter, display_name="מאחר", contact_email="late@private.example")
    closer.join()
    assert not errors
    db.session.rollback()
    assert db.session.execute(select(Signature)).first() is None


def _moderator():
    from refusal_site import moderators

    return moderators.create("mod@team.example", "a long enough password")


def test_unconfirmed_signatures_are_purged_after_the_confirmation_window(app, runner):
    from datetime import timedelta

    from refusal_site.models import utcnow

    letter = make_collective()
    old = make_signature(letter, "unconfirmed")
    fresh = make_signature(letter, "unconfirmed")
    kept = make_signature(letter, "pending")
    old.submitted_at = utcnow() - timedelta(days=8)
    db.session.commit()
    result = runner.invoke(args=["purge-unconfirmed"])
    assert "0 unconfirmed letters and 1 unconfirmed signatures" in result.output
    db.session.rollback()
    assert {s.id for s in db.session.execute(select(Signature)).scalars()} == {fresh.id, kept.id}
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "signature:purge")).scalar_one().details == {"signatures": 1}
