"""`flask db upgrade` on an empty database yields exactly the models' schema, on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from refusal_site import create_app
from refusal_site.extensions import db
from refusal_site.models import described_by_models
from tests.conftest import base_config


def schema_differences(url: str) -> list:
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": described_by_models})
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


def test_the_search_index_is_filled_for_the_letters_published_before_it(backend, tmp_path, request):
    from sqlalchemy import insert, select

    from refusal_site import search
    from refusal_site.models import Letter, Signature, utcnow

    url = empty_database(backend, tmp_path, request)
    app = create_app(base_config(tmp_path, url))
    assert app.test_cli_runner().invoke(args=["db", "upgrade", "0015"]).exit_code == 0
    with app.app_context():
        fields = {"language": "en", "body_text": "I refuse.", "body_html": "<p>I refuse.</p>", "content_hash": "x", "published_at": utcnow()}
        db.session.execute(insert(Letter), [{**fields, "display_name": "Dana Levi", "descriptor": "Pilot", "status": "published"},
                                            {**fields, "display_name": "Noa Levi", "status": "withdrawn"}])
        (letter_id,) = db.session.execute(select(Letter.id).where(Letter.status == "published")).one()
        db.session.execute(insert(Signature), [{"letter_id": letter_id, "display_name": "Omar حداد", "descriptor": "Reserve medic", "email_key": "k", "status": "published"}])
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["db", "upgrade"]).exit_code == 0
    with app.app_context():
        for terms, expected in [(["levi"], [letter_id]), (["حداد", "refus"], [letter_id]), (["noa"], [])]:
            assert [row.letter_id for row in db.session.execute(select(search.ranked(terms)))] == expected
        # The descriptors apart (0020), for the descriptor filter: the author's and the co-signer's, no name.
        for term, expected in [("medic", [letter_id]), ("pilot", [letter_id]), ("levi", []), ("حداد", [])]:
            assert list(db.session.execute(search.holding([term], also=[search.descriptors_hold(term)])).scalars()) == expected, term
        db.session.remove()
        db.engine.dispose()
    if backend == "postgres":
        from tests.conftest import reset_postgres

        reset_postgres(url)
