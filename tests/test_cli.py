"""The command line: moderators, demo letters, the count check."""

from sqlalchemy import select

from refusal_site import tally
from refusal_site.extensions import db
from refusal_site.models import Letter, Moderator
from tests.factories import make_letter


def test_create_moderator_reads_the_password_from_stdin(runner, app):
    result = runner.invoke(args=["create-moderator", "Editor@Example.org", "--role", "admin", "--password-stdin"],
                           input="a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    moderator = db.session.execute(select(Moderator)).scalar_one()
    assert (moderator.email, moderator.role) == ("editor@example.org", "admin")
    assert moderator.password_hash.startswith("$argon2id$")
    assert "passphrase" not in result.output


def test_create_moderator_prompts_and_confirms(runner):
    result = runner.invoke(args=["create-moderator", "m@example.org"], input="a long enough passphrase\na long enough passphrase\n")
    assert result.exit_code == 0, result.output
    assert "created moderator m@example.org" in result.output


def test_create_moderator_has_no_password_argument(runner):
    result = runner.invoke(args=["create-moderator", "m@example.org", "--password", "x"])
    assert result.exit_code != 0


def test_weak_passwords_and_duplicate_addresses_are_refused(runner):
    weak = runner.invoke(args=["create-moderator", "m@example.org", "--password-stdin"], input="short\n")
    assert weak.exit_code == 1 and "12" in weak.output
    ok = runner.invoke(args=["create-moderator", "m@example.org", "--password-stdin"], input="a long enough passphrase\n")
    assert ok.exit_code == 0
    again = runner.invoke(args=["create-moderator", "M@example.org", "--password-stdin"], input="another long passphrase\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_seed_demo_publishes_letters_in_three_languages(runner, app):
    result = runner.invoke(args=["seed-demo", "--letters", "40", "--seed", "3", "--signatures", "0"])
    assert result.exit_code == 0, result.output
    assert tally.row().refusers == 40
    languages = set(db.session.execute(select(Letter.language)).scalars())
    assert languages == {"he", "ar", "en"}
    assert tally.check() == []
    assert runner.invoke(args=["seed-demo", "--if-empty"]).output.startswith("letters already published")
    assert tally.row().refusers == 40


def test_seed_demo_adds_a_collective_letter_whose_signers_count(runner, app, client):
    result = runner.invoke(args=["seed-demo", "--letters", "5", "--signatures", "30"])
    assert result.exit_code == 0, result.output
    stored = tally.row()
    assert (stored.refusers, stored.signatures) == (36, 30)
    assert tally.check() == []
    collective = db.session.execute(select(Letter).where(Letter.collective)).scalar_one()
    assert client.get(f"/api/v1/letters/{collective.public_id}/signers").json["total"] == 30


def test_seed_demo_refuses_to_run_in_production(runner, app):
    app.config["ENV"] = "production"
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 1 and "production" in result.output
    assert tally.row().refusers == 0


def test_check_count_reports_and_repairs_drift(runner, app):
    make_letter()
    assert "count is exact: 1" in runner.invoke(args=["check-count"]).output
    stored = tally.row()
    stored.refusers = 5
    db.session.commit()
    report = runner.invoke(args=["check-count"])
    assert report.exit_code == 1 and "refusers: stored 5, actual 1" in report.output
    repaired = runner.invoke(args=["check-count", "--repair"])
    assert repaired.exit_code == 0 and "repaired" in repaired.output
    assert tally.row().refusers == 1
