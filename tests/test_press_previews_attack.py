"""Press previews as an outside tester goes at them: a link that died must stay dead, an opening is
one line of the audit log however a browser or a crawler fetches it, and nothing of a letter taken
back stays on the disk because a preview once held it."""

import threading

from sqlalchemy import select

from refusal_site import letters, press_previews, tokens
from refusal_site.compilation import cache
from refusal_site.compilation.selection import Selection
from refusal_site.extensions import db
from refusal_site.models import Letter, LetterStatus, Moderator, PressPreview
from tests.factories import make_letter
from tests.pages import hidden_fields, page_of
from tests.test_press_previews import embargo, make_link, openings, time_passes


def test_a_link_ended_by_a_lifted_embargo_stays_dead_when_letters_are_scheduled_for_that_moment_again(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    link = make_link(client, at)
    letters.unschedule(db.session.get(Letter, made[0].id), by=admin)
    assert client.get(link).status_code == 410
    # Weeks later, another letter is embargoed until the same round hour: the journalists of the old
    # link were never meant to read it.
    other = letters.schedule(make_letter(LetterStatus.PENDING, language="en", title="A later letter"), by=admin, at=at)
    response = client.get(f"{link}?lang=en")
    assert response.status_code == 410 and other.title not in response.get_data(as_text=True)
    assert client.get(f"{link}/en.pdf").status_code == 410
    assert openings() == []
    assert "No longer works" in page_of(client.get("/moderate/press-previews?lang=en")).visible_text


def test_a_letter_taken_back_during_its_embargo_leaves_no_preview_compilation_on_disk(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 2)
    make_link(client, at)
    leaving = db.session.get(Letter, made[0].id)
    # A preview's compilation built while both were embargoed: it holds the leaving letter's words.
    path = cache.compilation_path(Selection(embargo=at), "1" * 32)
    cache.write_atomically(cache.manifest_path(path), "\n".join(letter.public_id for letter in made).encode())
    cache.write_atomically(path, b"%PDF-1.7\n" + leaving.body_text.encode() + b"\n%%EOF\n")
    contents = cache.contents_path("en", 1, [{"name": leaving.display_name}])
    cache.write_atomically(contents, b"%PDF-1.7\n" + leaving.display_name.encode() + b"\n%%EOF\n")
    token = tokens.make(tokens.Purpose.MANAGE, leaving)
    withdrawn = client.post(f"/my-letter/{token}/withdraw", data={**hidden_fields(client.get(f"/my-letter/{token}")), "understood": "y"})
    assert withdrawn.status_code == 303 and db.session.get(Letter, leaving.id).status == LetterStatus.WITHDRAWN
    assert not path.exists() and not cache.manifest_path(path).exists() and not contents.exists()


def test_a_translator_can_neither_see_nor_make_nor_revoke_previews(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    [(preview, _token)] = press_previews.create(at, ["Dana Levi"], by=admin)
    login_as(client, "translator")
    form = hidden_fields(client.get("/moderate/account"))
    assert client.get("/moderate/press-previews").status_code == 403
    assert client.post("/moderate/press-previews", data={**form, "release_at": at.isoformat(), "recipients": "Me"}).status_code == 403
    assert client.post(f"/moderate/press-previews/{preview.id}/revoke", data=form).status_code == 403
    assert db.session.get(PressPreview, preview.id).revoked_at is None and len(db.session.execute(select(PressPreview)).all()) == 1

def test_a_head_request_is_no_opening(client, login_as):
    """A link checker or a messenger's crawler asks with HEAD: it reads nothing, so nothing is on the record."""
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    link = make_link(client, at)
    assert client.head(link).status_code == 200
    assert openings() == [] and db.session.execute(select(PressPreview.openings)).scalar_one() == 0
    client.get(link)
    assert len(openings()) == 1


def test_the_preview_pdf_is_sent_whole_so_one_opening_is_one_row(client, login_as, monkeypatch):
    """A PDF viewer that may ask for a file in ranges asks for it dozens of times in one reading:
    the preview's PDF offers no ranges, and a range asked for gets the whole file, one row."""
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    link = make_link(client, at)
    path = cache.compilation_path(Selection(embargo=at), "0" * 32)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"%PDF-1.7\n" + b"x" * 5000 + b"\n%%EOF\n")
    from refusal_site.compilation import assembly

    monkeypatch.setattr(assembly, "existing", lambda selection, language, selected=None: assembly.Compilation(path, "0" * 32, 1))
    whole = client.get(f"{link}/en.pdf")
    assert whole.status_code == 200 and "Accept-Ranges" not in whole.headers
    for start in range(0, 5000, 1000):
        part = client.get(f"{link}/en.pdf", headers={"Range": f"bytes={start}-{start + 999}"})
        assert part.status_code == 200 and len(part.data) == len(whole.data)
    assert len(openings()) == 6, "each whole file sent is one opening"


def test_a_pending_embargo_costs_a_public_page_nothing_more(client, login_as):
    """A cached page is one raw read of the tally whether or not an embargo is to come: were it slower
    while one is pending (it read the whole tally, 6 times the time), anyone timing the site would
    learn that an embargo exists. One that is due is still released by the first request."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    public = make_letter(language="en", title="Already public")
    client.get("/letters?lang=en")
    statements = []

    def count(*args):
        statements.append(args[2])

    event.listen(Engine, "before_cursor_execute", count)
    try:
        assert client.get("/letters?lang=en").status_code == 200 and statements == []
        admin = login_as(client, "admin")
        client.post("/moderate/sign-out", data=hidden_fields(client.get("/moderate/")))
        made, at = embargo(admin, 1)
        client.get("/letters?lang=en")
        statements.clear()
        assert client.get("/letters?lang=en").status_code == 200
        assert statements == [], "an embargo to come made the cached page read the database again"
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    time_passes(at)
    listed = client.get("/letters?lang=en").get_data(as_text=True)
    assert made[0].title in listed and public.title in listed


def test_a_preview_made_while_its_embargo_is_lifted_does_not_outlive_it(app, client, login_as, monkeypatch):
    """An admin makes a link in the moment another lifts the embargo: either the link is refused, or it
    ends with the embargo; it never waits, unended, for letters scheduled for that moment later.
    (SQLite runs one write transaction at a time; PostgreSQL interleaves them unless rows are locked.)"""
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    admin_id, letter_id = admin.id, made[0].id
    checked, lifted = threading.Event(), threading.Event()
    original = press_previews.embargoed_letters

    def check_then_let_the_lift_run(release_at, *args, **kwargs):
        found = original(release_at, *args, **kwargs)
        checked.set()
        lifted.wait(2)  # the lift finishes meanwhile, unless the check holds the letters
        return found

    def lift():
        with app.app_context():
            checked.wait(5)
            letters.unschedule(db.session.get(Letter, letter_id), by=db.session.get(Moderator, admin_id))
            lifted.set()

    monkeypatch.setattr(press_previews, "embargoed_letters", check_then_let_the_lift_run)
    lifter = threading.Thread(target=lift)
    lifter.start()
    try:
        preview_id = press_previews.create(at, ["Dana Levi"], by=admin)[0][0].id
    except press_previews.NoSuchEmbargo:
        preview_id = None
    lifter.join(10)
    monkeypatch.setattr(press_previews, "embargoed_letters", original)
    db.session.remove()
    assert not lifter.is_alive() and db.session.get(Letter, letter_id).status == LetterStatus.PENDING
    letters.schedule(make_letter(LetterStatus.PENDING, language="en"), by=db.session.get(Moderator, admin_id), at=at)
    if preview_id is not None:
        assert not press_previews.is_live(db.session.get(PressPreview, preview_id))
