"""`flask db upgrade` on an empty database yields exactly the models' schema, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from refusal_site import create_app
from refusal_site.extensions import db
from tests.conftest import base_config


def schema_differences(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    engine.dispose()
    return diff


def empty_database(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    url = request.getfixturevalue("postgres_database")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def test_upgrade_on_an_empty_database_yields_the_models_schema(backend, tmp_path, request):
    url = empty_database(backend, tmp_path, request)
    app = create_app(base_config(tmp_path, url))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert schema_differences(url) == []
        db.engine.dispose()
    engine = create_engine(url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT id, refusers, revision FROM public_tally")).all() == [(1, 0, 0)]
        names = {c["name"] for c in inspect(connection).get_check_constraints("letters")}
        assert {"ck_letters_status", "ck_letters_language"} <= names
    engine.dispose()
    # Leave the PostgreSQL database migrated for the tests after this one.
    if backend == "postgres":
        from tests.conftest import reset_postgres

        reset_postgres(url)


def test_downgrade_to_nothing_and_back(backend, tmp_path, request):
    url = empty_database(backend, tmp_path, request)
    app = create_app(base_config(tmp_path, url))
    for args in (["db", "upgrade"], ["db", "downgrade", "base"], ["db", "upgrade"]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
    with app.app_context():
        assert schema_differences(url) == []
        db.engine.dispose()
    if backend == "postgres":
        from tests.conftest import reset_postgres

        reset_postgres(url)
