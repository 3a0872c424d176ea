"""Search through the real index on SQLite and PostgreSQL: what a query finds (the shared cases), that
the index follows every change of what is public at once, the rank, bad queries, and excerpts."""

from datetime import timedelta

import pytest
from sqlalchemy import select, text

from refusal_site import letters, moderators, pauses, search, search_text, signatures
from refusal_site.audit import AuditAction
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterSearch, LetterStatus, Role, Signature, utcnow
from tests.factories import make_collective, make_letter, make_signature, write_author_translation
from tests.search_cases import CASES


def found(query: str) -> list[int]:
    """The ids of the letters a reader's query finds, best first, then newest, as the list shows them."""
    ranked = search.ranked(search_text.query_terms(query))
    rows = db.session.execute(
        select(Letter.id).join(ranked, ranked.c.letter_id == Letter.id).order_by(ranked.c.rank.desc(), ranked.c.published_at.desc(), ranked.c.letter_id.desc())
    )
    return list(rows.scalars())


def publish(*bodies: str, **fields) -> list[int]:
    """Publish one letter per body at once (as the demo seeding does); their ids, in order."""
    now = utcnow()
    drafts = [
        {"display_name": fields.get("display_name", f"Author {i}"), "descriptor": fields.get("descriptor"), "language": fields.get("language", "en"),
         "title": fields.get("title"), "body_text": body, "collective": False, "submitted_at": now - timedelta(hours=2),
         "confirmed_at": now - timedelta(hours=1), "published_at": now - timedelta(minutes=len(bodies) - i)}
        for i, body in enumerate(bodies)
    ]
    public_ids = letters.publish_many(drafts, by="test", action=AuditAction.DEMO_SEED)
    return [letters.letter_by_public_id(public_id).id for public_id in public_ids]


def test_the_shared_cases_find_the_same_letters_through_the_index(app):
    ids = publish(*(case.text for case in CASES))
    wrong = [
        (case.query[:40], case.text[:40], case.why)
        for case, letter_id in zip(CASES, ids)
        if (letter_id in found(case.query)) is not case.should_match
    ]
    assert wrong == []


def test_a_letter_is_found_by_its_title_name_descriptor_and_co_signers(app):
    letter = make_collective(language="en", title="Not in my name", display_name="Dana כהן", descriptor="Reserve medic, unit 8200")
    make_signature(letter, name="Omar حداد")
    make_signature(letter, "pending", name="Pending Person")
    for query in ["name", "כהן", "medics", "8200", "omar", "حداد", "refusing"]:
        assert found(query) == [letter.id], query
    assert found("pending person") == []


@pytest.mark.parametrize("leave", ["withdraw", "unpublish", "pause"])
def test_a_letter_that_leaves_the_public_is_never_a_result_on_the_next_request(app, client, leave):
    letter = make_letter(language="en", body_text="I refuse to serve in Gaza.")
    assert found("gaza") == [letter.id]
    if leave == "withdraw":
        letters.withdraw(letter)
    elif leave == "unpublish":
        letters.unpublish(letter, by="test", reason="asked")
    else:
        pauses.pause(letter)
    db.session.rollback()  # the next request: a fresh transaction
    assert found("gaza") == []
    if leave == "pause":
        pauses.resume(letter)
        assert found("gaza") == [letter.id]


def test_a_correction_is_searched_as_corrected_and_an_embargo_from_its_release(app):
    letter = make_letter(language="en", body_text="I refuse to serve in Gaza.")
    editor = moderators.create("editor@team.example", "a long enough password", role=Role.ADMIN)
    letters.edit(letter, by=editor, display_name=letter.display_name, descriptor=None, title="Hebron", body_text="I refuse to serve.", reason="asked")
    assert found("gaza") == []
    assert found("hebron") == [letter.id]
    embargoed = letters.schedule(make_letter(LetterStatus.PENDING, language="en", body_text="Pilots of Hatzerim"), by=editor, at=utcnow() + timedelta(hours=1))
    assert found("hatzerim") == []
    letters.release_due(now=utcnow() + timedelta(hours=2))
    assert found("hatzerim") == [embargoed.id]


def test_co_signers_are_found_while_their_signature_and_their_letter_are_public(app):
    letter = make_collective(language="en")
    signature = make_signature(letter, name="Yael Peretz")
    assert found("peretz") == [letter.id]
    pauses.pause_signature(signature)
    assert found("peretz") == []
    pauses.resume_signature(db.session.get(Signature, signature.id))
    assert found("peretz") == [letter.id]
    signatures.withdraw(db.session.get(Signature, signature.id))
    assert found("peretz") == []
    other = make_signature(letter, name="Noam Biton")
    letters.unpublish(letter, by="test", reason="asked")
    assert found("biton") == []
    signatures.decide({other.id: db.session.get(Signature, other.id).revision}, "unpublish", by="test", reason="x")
    assert found("biton") == []


def test_the_rank_puts_a_title_before_a_name_before_the_text_then_the_newest_first(app):
    body_only_old, body_only_new = publish("Gaza once.", "Gaza again.")
    (in_name,) = publish("A letter.", display_name="Gaza Levi")
    (in_title,) = publish("A letter.", title="Gaza")
    assert found("gaza") == [in_title, in_name, body_only_new, body_only_old]
    ranked = search.ranked(["gaza"])
    ranks = dict(db.session.execute(select(ranked.c.letter_id, ranked.c.rank)).all())
    assert ranks == {in_title: 5.0, in_name: 3.0, body_only_new: 1.0, body_only_old: 1.0}
    assert found("gaza letter") == [in_title, in_name]


def test_a_query_matching_very_many_letters_is_ranked_among_the_latest_and_counted_in_all(app, monkeypatch):
    ids = publish(*["I refuse."] * 5, "I refuse, Gaza.")
    monkeypatch.setattr(search, "CANDIDATES", 3)
    assert sorted(found("refuse")) == ids[3:]
    assert search.count(["refus"]) == 6
    assert found("refuse gaza") == [ids[5]] and search.count(["refus", "gaza"]) == 1
    assert search.count([]) == 0 and search.count(['"']) == 0


def test_filters_apply_before_the_latest_are_taken(app, monkeypatch):
    now = utcnow()
    (hebrew,) = publish("אני מסרב. refuse", language="he")
    english = publish(*["I refuse."] * 4)
    monkeypatch.setattr(search, "CANDIDATES", 2)
    assert found("refuse") == english[2:][::-1]
    ranked = search.ranked(["refus"], language="he")
    assert db.session.execute(select(ranked.c.letter_id)).scalars().all() == [hebrew]
    assert search.count(["refus"], language="he") == 1 and search.count(["refus"], language="en") == 4
    dated = search.ranked(["refus"], since=now - timedelta(minutes=3), until=now - timedelta(minutes=1))
    assert sorted(db.session.execute(select(dated.c.letter_id)).scalars()) == english[1:3]
    assert search.count(["refus"], until=now - timedelta(minutes=3)) == 1


BAD_QUERIES = [
    "", "a", "refuse " * 1500 + "x" * 10_000, '"', '""', "'", "*", "-", "^", ":", "NEAR", "AND", "OR", "NOT", "%", "_", "%_%",
    ".*", "(a|b)+", "[^]", "\\", "\\'", "\u200f\u202e", "\x00", "re\x00fuse", "\x07\x1b[31m", "refus* OR gaza NEAR/2 -x",
    'title:"x"', "{title people}: gaza", "'; DROP TABLE letters; --", "NEAR(a b, 2)", "a AND b OR c", "ﷺ", "\ufeff",
]


@pytest.mark.parametrize("query", BAD_QUERIES, ids=range(len(BAD_QUERIES)))
def test_bad_queries_are_never_syntax(app, query):
    publish("I refuse to serve in Gaza, near the border.")
    assert isinstance(found(query), list)
    # Nor strings passed as terms without normalizing them first: they find nothing, raise nothing.
    assert db.session.execute(select(search.ranked([query, query + " gaza", f'"{query}"']))).all() == []
    assert search.count([query, f'"{query}" OR "gaza"']) == 0


def test_the_index_is_used_for_the_lookup(app):
    publish("I refuse to serve in Gaza.")
    statement = select(search.ranked(["gaza", "refus"])).compile(db.engine, compile_kwargs={"literal_binds": True})
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {statement}")).all())
        assert "VIRTUAL TABLE INDEX" in plan
        filtered = select(search.ranked(["gaza"], language="en")).compile(db.engine, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row) for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {filtered}")).all())
        assert "COVERING INDEX ix_letter_search_letter_id_language_published_at" in plan
    else:
        # A tiny table, and statistics left by earlier tests: ask whether the index *can* serve, with
        # only a bitmap scan allowed, which needs an index that takes the terms' condition.
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            db.session.execute(text(f"SET LOCAL {setting} = off"))
        plan = " ".join(row[0] for row in db.session.execute(text(f"EXPLAIN {statement}")).all())
        assert "ix_letter_search_terms" in plan


def test_rebuilding_gives_the_same_index(app, runner):
    ids = publish("I refuse.", "אני מסרב בעזה", "أرفض الخدمة")
    before = db.session.execute(select(LetterSearch).order_by(LetterSearch.letter_id)).scalars().all()
    before = [(row.letter_id, row.title, row.people, row.body, row.descriptors) for row in before]
    db.session.rollback()
    result = runner.invoke(args=["rebuild-search-index"])
    assert result.exit_code == 0, result.output
    assert "3 published letters indexed" in result.output
    after = [(row.letter_id, row.title, row.people, row.body, row.descriptors) for row in db.session.execute(select(LetterSearch).order_by(LetterSearch.letter_id)).scalars()]
    assert after == before and [row[0] for row in after] == ids
    assert found("סירוב") == [] and found("מסרב") == [ids[1]] and found("عزه") == [] and found("خدمه") == [ids[2]]


# --- excerpts ---------------------------------------------------------------------------------------


def test_an_excerpt_marks_the_words_found_with_their_prefixes(app):
    letter = Letter(body_text="אני כותב את זה.\n\nוהסירוב שלי ברור: <b>בסירוב</b> אין פחד.")
    shown = str(search.excerpt(letter, search_text.query_terms("סירוב")))
    assert shown == "אני כותב את זה. <mark>והסירוב</mark> שלי ברור: &lt;b&gt;<mark>בסירוב</mark>&lt;/b&gt; אין פחד."


def test_an_excerpt_of_a_long_text_is_cut_around_the_first_match(app):
    words = [f"w{i}" for i in range(200)]
    words[120] = "Refused"
    letter = Letter(body_text=" ".join(words))
    shown = str(search.excerpt(letter, ["refus"], words=20))
    assert shown.startswith("… w115 ") and shown.endswith(" w134 …")
    assert "<mark>Refused</mark>" in shown and len(shown.split()) == 22
    # No match in the text (the title or a name matched): its start.
    assert str(search.excerpt(letter, ["gaza"], words=5)) == "w0 w1 w2 w3 w4 …"
    assert str(search.highlight("Why I <refuse>", ["refus"])) == "Why I &lt;<mark>refuse</mark>&gt;"


# --- translations -----------------------------------------------------------------------------------


def test_a_letter_is_found_by_the_words_of_its_public_translation_and_only_while_it_is_public(app):
    from refusal_site import author_translations, letter_translations

    (letter_id,) = publish("אני מסרב לשרת בעזה.", language="he")
    letter = db.session.get(Letter, letter_id)
    assert found("Gaza") == []
    checker = moderators.create("m@team.example", "correct horse battery staple")
    mine = write_author_translation(letter, "en", title="Why I refuse", body_text="I refuse to serve in Gaza.")
    assert found("Gaza") == [], "the author's own translation is not public before the team's check"
    author_translations.publish(mine, by=checker, expected_revision=mine.revision)
    assert found("Gaza") == [letter_id], "the author's own translation is found once checked"
    assert found("why refusing") == [letter_id], "its title too, with the English stemmer"
    def revision() -> int:
        db.session.expire_all()
        return letter_translations.of_letter(letter, "en")[0].revision

    moderator = moderators.create("t@team.example", "correct horse battery staple", role=Role.TRANSLATOR)
    letter_translations.save(letter, "en", by=moderator, title=None, body_text="I refuse to serve in Rafah.", expected_revision=revision())
    assert found("Gaza") == [] and found("Rafah") == [], "an edited translation is not public until approved again"
    write_author_translation(letter, "en", title=None, body_text="I refuse to serve in Gaza.", checked_by=checker)
    assert found("Gaza") == [letter_id]
    letters.withdraw(db.session.get(Letter, letter_id))
    assert found("Gaza") == [] and found("מסרב") == []
