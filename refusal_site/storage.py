"""Database engine tuning and the one way to open a write transaction."""

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from .extensions import db

_IMMEDIATE = "refusal_immediate"


def tune_engine(engine: Engine, busy_timeout_ms: int, *, explicit_begin: bool = True) -> None:
    """Make SQLite safe for several processes: WAL, a busy timeout, explicit BEGIN."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    if not explicit_begin:
        return  # the read engine: each statement is its own transaction

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # A deferred transaction that reads and then writes fails with SQLITE_BUSY
        # when another writer got there first; IMMEDIATE takes the write lock up front.
        immediate = connection.get_execution_options().get(_IMMEDIATE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@contextmanager
def write_transaction() -> Iterator[None]:
    """Run the block as one write transaction: commit on success, roll back on error."""
    session = db.session()
    if session.in_transaction():
        # End the read transaction a view may have started, so the write lock is
        # taken at the start of this one (and the rows below are read fresh).
        session.commit()
    session.connection(execution_options={_IMMEDIATE: True})
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def in_write_transaction() -> bool:
    """Whether the session is inside `write_transaction` (not merely in a read transaction)."""
    session = db.session()
    return session.in_transaction() and bool(session.connection().get_execution_options().get(_IMMEDIATE))


def read_engine(app: Flask | None = None) -> Engine:
    """An engine for single-statement public reads, made once per process.

    No transaction is opened around the read (SQLite: no BEGIN; PostgreSQL: autocommit),
    and connections are not pinged before use: a dropped connection is retried once
    instead (see `read_one`), so the read costs one round trip.
    """
    app = app or current_app
    engine = app.extensions.get("refusal_read_engine")
    if engine is None:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        options = {**app.config["SQLALCHEMY_ENGINE_OPTIONS"], "pool_pre_ping": False}
        if not url.startswith("sqlite"):
            options["isolation_level"] = "AUTOCOMMIT"
        engine = create_engine(url, **options)
        tune_engine(engine, app.config["SQLITE_BUSY_TIMEOUT_MS"], explicit_begin=False)
        engine = app.extensions.setdefault("refusal_read_engine", engine)
    return engine


def read_one(statement):
    """Run one read statement on the read engine; retry once if the connection had died."""
    for attempt in (1, 2):
        try:
            with read_engine().connect() as connection:
                return connection.execute(statement).one()
        except OperationalError as error:
            # After a database restart every pooled connection is dead; SQLAlchemy has now
            # invalidated the pool, so the second attempt gets a fresh connection.
            if attempt == 2 or not error.connection_invalidated:
                raise


def read_raw(sql: str) -> tuple | None:
    """One row of a constant statement, run on the read engine's DBAPI cursor.

    A quarter of `read_one`'s cost (no Connection, statement compilation, execution context or result object),
    for a read made on every request of a hot path. If connecting fails, or the statement does (the
    connection is then dropped from the pool), None is returned: the caller asks `read_one`, which
    retries once and reports errors the usual way (a database that cannot be reached is a 503)."""
    engine = read_engine()
    try:
        connection = engine.raw_connection()  # the pooled DBAPI connection, without a Connection around it
    except engine.dialect.loaded_dbapi.Error:
        return None  # not wrapped by SQLAlchemy here: read_one connects again and reports it as usual
    try:
        cursor = connection.cursor()
        try:
            cursor.execute(sql)
            row = cursor.fetchone()
            cursor.close()
            return row
        except engine.dialect.loaded_dbapi.Error:
            connection.invalidate()  # closes the DBAPI connection, its cursor with it
            return None
    finally:
        connection.close()  # back to the pool


def end_sessions_safely(app: Flask) -> None:
    """End each request's session without turning a finished page into a 500.

    Flask-SQLAlchemy ends the session after the response is made, by rolling back its transaction.
    If the database dropped the connection meanwhile (a restart, a failover), that rollback raises,
    and the server answers 500 in place of a page that was already made. Registered after
    `db.init_app`, this runs first: it ends the session, and if the connection is gone it
    invalidates it (the pool replaces it) and lets the page go out as made."""

    @app.teardown_appcontext
    def _end_session(_error: BaseException | None) -> None:
        try:
            db.session.remove()
        except DBAPIError:
            db.session().invalidate()
            db.session.remove()


def dispose_engines(app: Flask) -> None:
    """Close every pooled connection of this app (tests, and forks that must not share sockets)."""
    with app.app_context():
        db.engine.dispose()
        engine = app.extensions.pop("refusal_read_engine", None)
        if engine is not None:
            engine.dispose()
