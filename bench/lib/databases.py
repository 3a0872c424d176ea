"""Temporary databases for a run (SQLite files or PostgreSQL databases), migrated and seeded."""

from __future__ import annotations

import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask

from bench.lib.app import make_app

SEED_BATCH = 10_000


class Backend:
    """Creates empty databases for the run and removes them at the end."""

    name: str

    def create(self, label: str) -> str:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError

    def cleanup(self) -> None:
        pass


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def create(self, label: str) -> str:
        return f"sqlite:///{self.folder / f'{label}.sqlite3'}"

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} (temporary files, WAL)"


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, server_url: str) -> None:
        from sqlalchemy import create_engine, make_url

        from refusal_site.config import database_url

        self.server_url = make_url(database_url(server_url, ""))
        self.admin = create_engine(self.server_url, isolation_level="AUTOCOMMIT")
        self.run_id = uuid.uuid4().hex[:10]
        self.created: list[str] = []

    def create(self, label: str) -> str:
        from sqlalchemy import text

        name = f"refusal_bench_{self.run_id}_{label}"
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        self.created.append(name)
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def describe(self) -> str:
        from sqlalchemy import text

        with self.admin.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
        where = f"{self.server_url.host}:{self.server_url.port or 5432}"
        return f"PostgreSQL {version} at {where} (temporary databases refusal_bench_{self.run_id}_*)"

    def cleanup(self) -> None:
        from sqlalchemy import text

        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.created.clear()
        self.admin.dispose()


@dataclass
class Database:
    """One temporary database, its instance folder and an in-process app on it."""

    url: str
    instance_path: str
    app: Flask
    letters: int = 0

    @classmethod
    def create(cls, backend: Backend, label: str, workdir: Path) -> Database:
        from flask_migrate import upgrade

        url = backend.create(label)
        instance_path = str(workdir / f"instance-{label}")
        app = make_app(url, instance_path)
        logging.disable(logging.INFO)  # alembic's progress lines
        try:
            with app.app_context():
                upgrade()
        finally:
            logging.disable(logging.NOTSET)
        database = cls(url, instance_path, app)
        database.release()
        return database

    def seed_to(self, total: int, log: Callable[[str], None]) -> None:
        """Publish demo letters until `total` are published, in transactions of SEED_BATCH letters."""
        from refusal_site import demo, tally
        from refusal_site.extensions import db

        if self.letters >= total:
            return
        started = time.perf_counter()
        while self.letters < total:
            batch = min(SEED_BATCH, total - self.letters)
            with self.app.app_context():
                demo.seed(batch, rng_seed=self.letters + 1)
                db.session.remove()
            self.letters += batch
        with self.app.app_context():
            stored = tally.row().refusers
        self.release()
        if stored != total:
            raise RuntimeError(f"the tally says {stored} letters after seeding {total}")
        log(f"  seeded to {total:,} published letters ({time.perf_counter() - started:.1f} s)")

    def release(self) -> None:
        """Close this process's connections, so that gunicorn and DROP DATABASE have the database."""
        from refusal_site.extensions import db

        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
            # The public pages' own read engine, where the app has one.
            read_engine = self.app.extensions.get("refusal_read_engine")
            if read_engine is not None:
                read_engine.dispose()


def stored_names(database: Database, prefix: str) -> set[str]:
    from sqlalchemy import select

    from refusal_site.extensions import db
    from refusal_site.models import Letter

    with database.app.app_context():
        names = set(db.session.execute(select(Letter.display_name).where(Letter.display_name.like(f"{prefix}%"))).scalars())
    database.release()
    return names


def seed_pending(count: int) -> None:
    """Insert `count` confirmed letters waiting for a moderator, in bulk, in the current app context."""
    from sqlalchemy import insert

    from refusal_site.extensions import db
    from refusal_site.letters import content_hash
    from refusal_site.models import Letter, LetterStatus, new_public_id, utcnow

    now = utcnow()
    rows = []
    for i in range(count):
        body = f"Letter number {i}. I refuse to serve in the reserves.\n\nSigned."
        rows.append(
            dict(
                public_id=new_public_id(), display_name=f"Author {i}", language="he en ar".split()[i % 3], body_text=body,
                body_html=f"<p>{body}</p>", status=LetterStatus.PENDING.value, submitted_at=now, confirmed_at=now,
                updated_at=now, contact_email=f"a{i}@private.example", content_hash=content_hash(f"Author {i}", None, "en", None, body),
                revision=2, text_simhash=i + 1, name_key=f"author {i}",
            )
        )
    for start in range(0, count, 1000):
        db.session.execute(insert(Letter), rows[start : start + 1000])
    db.session.commit()
