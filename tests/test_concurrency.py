"""Several processes changing letters at once: no lost update, no "database is locked", an exact count."""

import multiprocessing

import pytest
from sqlalchemy import select

from refusal_site import create_app, letters, tally
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus
from tests.factories import make_letter

pytestmark = pytest.mark.slow
PROCESSES = 6


def _worker(config: dict, letter_ids: list[int], barrier, results) -> None:
    """Publish, withdraw and submit in a separate process, as a gunicorn worker would."""
    app = create_app(config)
    failures = 0
    with app.app_context():
        barrier.wait()
        for n, letter_id in enumerate(letter_ids):
            try:
                letter = db.session.get(Letter, letter_id)
                letter = letters.publish(letter, by="test")
                if n % 3 == 0:
                    letters.withdraw(letter)
                letters.submit(display_name=f"W {n}", language="en", body_text="text", contact_email="w@example.org")
            except Exception as error:  # any failure is a lost, acknowledged change
                failures += 1
                print("worker failure:", repr(error))
            finally:
                db.session.remove()
        db.engine.dispose()
    results.put(failures)


def test_concurrent_writers_lose_nothing_and_keep_the_count_exact(app, app_config):
    per_worker = 10
    pending = [make_letter(LetterStatus.PENDING, language="he ar en".split()[i % 3]).id for i in range(PROCESSES * per_worker)]
    db.session.remove()
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    workers = [
        context.Process(target=_worker, args=(app_config, pending[i::PROCESSES], barrier, results))
        for i in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
        assert worker.exitcode == 0
    assert sum(results.get(timeout=5) for _ in workers) == 0
    withdrawn = PROCESSES * len(range(0, per_worker, 3))
    assert tally.row().refusers == PROCESSES * per_worker - withdrawn
    assert tally.check() == []
    submitted = db.session.execute(select(Letter).where(Letter.status == LetterStatus.UNCONFIRMED)).scalars().all()
    assert len(submitted) == PROCESSES * per_worker
