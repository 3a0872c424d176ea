"""The audit log and a letter's history say what happened in the page's language ("Published by
dana@…", "Hidden by its author", "… by the system (scheduled publication)"), never the codes the
log keeps (`letter:publish`, `author`, `cli`); a row this code has no words for still reads."""

import ast
from pathlib import Path

import pytest
from sqlalchemy import update

import refusal_site
from refusal_site import audit_words, letters, pauses
from refusal_site.audit import Actor, AuditAction
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, utcnow
from refusal_site.storage import write_transaction
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import page_of

SOURCE = Path(refusal_site.__file__).parent


def python_files():
    return sorted(SOURCE.rglob("*.py"))


def actions_written_by_the_code() -> set[str]:
    """Every AuditAction member the site's code names (what it can write to the log)."""
    named = set()
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "AuditAction":
                named.add(node.attr)
    return named - {"__members__"}


def test_every_action_the_code_can_write_has_words():
    named = actions_written_by_the_code()
    assert len(named) > 40, "the scan finds the actions"
    for name in named:
        assert AuditAction[name] in audit_words.ACTIONS, name
    # And every member (some are written through a variable, e.g. retention's purges).
    assert set(AuditAction) == set(audit_words.ACTIONS)
    for wording in audit_words.ACTIONS.values():
        assert "%(who)s" in str(wording.sentence), wording.sentence


def test_every_actor_the_code_can_write_has_words_and_no_code_writes_a_bare_string():
    assert set(Actor) <= set(audit_words.ACTORS)
    bare = []
    for path in python_files():
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            is_record = isinstance(node.func, ast.Attribute) and node.func.attr == "record" and getattr(node.func.value, "id", "") == "audit"
            if is_record and node.args and isinstance(node.args[0], ast.Constant):
                bare.append(f"{path.name}:{node.lineno}")
            bare += [f"{path.name}:{node.lineno}" for k in node.keywords if k.arg == "by" and isinstance(k.value, ast.Constant)]
    assert bare == [], "name who acted with audit.Actor, so it has words"


@pytest.fixture
def admin_client(client, login_as):
    client.admin = login_as(client, "admin", email="dana@team.example")
    return client


def audit_text(client, language: str, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"lang": language, **args}.items())
    return page_of(client.get(f"/moderate/audit?{query}")).visible_text


@pytest.mark.parametrize(
    ("language", "published", "hidden", "released"),
    [
        ("en", "Published by dana@team.example", "Hidden by its author", "Published by the system (scheduled publication)"),
        ("he", "פורסם בידי dana@team.example", "הוסתר בידי מי שכתב את המכתב", "פורסם בידי המערכת (פרסום מתוזמן)"),
        ("ar", "نُشرت من قِبل dana@team.example", "أُخفيت من قِبل كاتب الرسالة", "نُشرت من قِبل النظام (نشر مجدول)"),
    ],
)
def test_the_audit_log_says_what_happened_and_who_did_it_in_the_pages_language(admin_client, language, published, hidden, released):
    letter = make_letter(LetterStatus.PENDING)
    letters.publish(letter, by=admin_client.admin)
    pauses.pause(db.session.get(Letter, letter.id))
    embargoed = make_letter(LetterStatus.PENDING)
    letters.schedule(embargoed, by=admin_client.admin, at=utcnow().replace(year=2099))
    with write_transaction():
        db.session.execute(update(Letter).where(Letter.id == embargoed.id).values(scheduled_at=utcnow()))
    assert letters.release_due() == 1
    text = audit_text(admin_client, language)
    assert published in text and hidden in text and released in text, text
    assert "letter:publish" not in text and "letter:pause" not in text
    if language != "en":  # in English "its author" and "the system" are the words themselves
        assert "author" not in text and "system" not in text
    # The filter offers the actions by name, and still filters by code.
    options = page_of(admin_client.get(f"/moderate/audit?lang={language}"))
    assert {"letter:publish", "letter:pause"} <= {o["value"] for o in options.find("option")}
    only = audit_text(admin_client, language, action="letter:pause")
    assert hidden in only and published not in only


def test_a_letters_history_on_its_review_page_is_in_words(admin_client):
    letter = make_letter(LetterStatus.PENDING, language="ar")
    letters.reject(letter, by=admin_client.admin, reason="Not a refusal letter")
    text = page_of(admin_client.get(f"/moderate/letters/{letter.public_id}?lang=en")).visible_text
    assert "Sent by its author" in text and "Confirmed by its author" in text
    assert "Rejected by dana@team.example" in text and "Not a refusal letter" in text
    assert "letter:reject" not in text and "letter:submit" not in text


def test_a_co_signers_own_pause_is_said_to_be_theirs(admin_client):
    signature = make_signature(make_collective(), "published")
    pauses.pause_signature(signature)
    text = audit_text(admin_client, "en", action="signature:pause")
    assert "Signature hidden by the co-signer" in text, text


def test_rows_about_accounts_name_the_account_and_the_operator(admin_client, runner):
    result = runner.invoke(args=["create-moderator", "noa@team.example", "--password-stdin"], input="correct horse battery staple\n")
    assert result.exit_code == 0, result.output
    text = audit_text(admin_client, "en")
    assert "Account noa@team.example created by an operator on the server (command line)" in text, text


def test_an_action_or_actor_this_code_does_not_know_still_reads(admin_client):
    with write_transaction():
        db.session.add(AuditEvent(action="letter:teleport", actor_label="robot", details={}))
    text = audit_text(admin_client, "en")
    assert "letter:teleport" in text and "by someone else (robot)" in text
    assert "letter:teleport" in page_of(admin_client.get("/moderate/audit?lang=he")).visible_text
