"""Press preview links, one a journalist and one a press: an admin lists the journalists one a line and
gets a link for each, whose page names only that journalist, revoked and counted on its own; the
same form posted twice (a double press, a form sent again) makes its links once."""

import re
import threading
from html import unescape

from sqlalchemy import func, select

from refusal_site import press_previews
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Moderator, PressPreview
from tests.pages import hidden_fields, page_of
from tests.test_press_previews import assert_private, embargo, openings

DANA, SAMI = "Dana Levi (Haaretz)", "סאמי חדאד (אל-קודס)"


def previews() -> list[PressPreview]:
    db.session.rollback()
    return list(db.session.execute(select(PressPreview).order_by(PressPreview.id)).scalars())


def shown_links(html: str) -> dict[str, str]:
    """The links a created page shows, by the journalist each names."""
    pairs = re.findall(r"<dt><bdi>(.*?)</bdi></dt>\s*<dd[^>]*><code>(.*?)</code></dd>", html, re.S)
    return {unescape(name): link.removeprefix("https://refusers.example") for name, link in pairs}


def created(client) -> dict[str, str]:
    return shown_links(client.get("/moderate/press-previews/created?lang=en").get_data(as_text=True))


def test_each_journalist_gets_a_link_of_their_own_that_names_only_them(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 2)
    form = hidden_fields(client.get("/moderate/press-previews"))
    listed = f"{DANA}\n\n  {SAMI}  \r\n{DANA}\n"  # a blank line, spaces and a name twice
    response = client.post("/moderate/press-previews", data={**form, "release_at": at.isoformat(), "recipients": listed})
    assert response.status_code == 303
    links = created(client)
    assert list(links) == [DANA, SAMI], "one link a journalist, a name given twice made once"
    assert len(set(links.values())) == 2 and all("/press/preview/" in link for link in links.values())
    assert client.get("/moderate/press-previews/created", follow_redirects=True).request.path == "/moderate/press-previews", "shown once"
    stored = previews()
    assert [preview.recipients for preview in stored] == [DANA, SAMI]
    assert not any(link.rsplit("/", 1)[1] in preview.token_hash for preview in stored for link in links.values()), "hashes only"
    creations = db.session.execute(select(AuditEvent).where(AuditEvent.action == "press-preview:create")).scalars().all()
    assert sorted(row.details["preview"] for row in creations) == [preview.id for preview in stored], "each on the record"

    client.post("/moderate/sign-out", data=hidden_fields(client.get("/moderate/")))
    dana = client.get(f"{links[DANA]}?lang=en")
    assert dana.status_code == 200
    assert_private(dana)
    text = page_of(dana).visible_text
    assert DANA in text and SAMI not in text and "Sami" not in text, "a journalist's copy names only them"
    assert SAMI in page_of(client.get(links[SAMI])).visible_text and DANA not in page_of(client.get(links[SAMI])).visible_text
    client.get(links[DANA])
    dana_preview, sami_preview = previews()
    assert (dana_preview.openings, sami_preview.openings) == (2, 2), "openings counted per link"
    assert [row["preview"] for row in openings()].count(dana_preview.id) == 2

    login_as(client, "admin")
    form = hidden_fields(client.get("/moderate/press-previews"))
    assert client.post(f"/moderate/press-previews/{dana_preview.id}/revoke", data=form).status_code == 303
    assert client.get(links[DANA]).status_code == 410
    assert client.get(links[SAMI]).status_code == 200, "revoking one link leaves the others working"
    listed = page_of(client.get("/moderate/press-previews?lang=en")).visible_text
    assert DANA in listed and SAMI in listed and "Revoked on" in listed and "Works" in listed


def test_a_double_press_makes_the_links_once_and_shows_them(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    form = {**hidden_fields(client.get("/moderate/press-previews")), "release_at": at.isoformat(), "recipients": f"{DANA}\n{SAMI}"}
    first = client.post("/moderate/press-previews", data=form)
    second = client.post("/moderate/press-previews?lang=en", data=form)  # before the first answer's page was shown
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"].endswith("/moderate/press-previews/created")
    assert len(previews()) == 2, "one link a journalist, not two"
    response = client.get("/moderate/press-previews/created?lang=en")
    assert "Already done: the button was pressed twice, and nothing was done twice." in page_of(response).visible_text
    assert list(shown_links(response.get_data(as_text=True))) == [DANA, SAMI], "the links the first press made, shown this once"


def test_a_form_sent_again_after_its_links_were_shown_makes_none_and_says_so(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    form = {**hidden_fields(client.get("/moderate/press-previews")), "release_at": at.isoformat(), "recipients": DANA}
    client.post("/moderate/press-previews", data=form)
    (link,) = created(client).values()
    again = client.post("/moderate/press-previews?lang=en", data=form)  # Back, and the form sent again
    assert again.status_code == 303 and again.headers["Location"].endswith("/moderate/press-previews")
    text = page_of(client.get(again.headers["Location"] + "?lang=en")).visible_text
    assert "nothing was done twice" in text and "revoke them below and make new ones" in text
    assert len(previews()) == 1 and client.get(link).status_code == 200, "the link already sent still works"
    # A new form (a new key) is a new request: the admin may make a second link on purpose.
    fresh = {**hidden_fields(client.get("/moderate/press-previews")), "release_at": at.isoformat(), "recipients": DANA}
    assert client.post("/moderate/press-previews", data=fresh).status_code == 303 and len(previews()) == 2


def test_the_same_key_twice_is_refused_by_the_domain_too(app, login_as, client):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    first = press_previews.create(at, [DANA, SAMI], by=admin, submission_key="k" * 32)
    try:
        press_previews.create(at, [DANA, SAMI], by=admin, submission_key="k" * 32)
    except press_previews.AlreadyMade as refusal:
        assert [preview.id for preview in refusal.previews] == [preview.id for preview, _token in first]
    else:
        raise AssertionError("a second post of the same form made links")
    assert db.session.execute(select(func.count()).select_from(PressPreview)).scalar_one() == 2
    assert db.session.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "press-preview:create")).scalar_one() == 2


def test_too_many_journalists_at_once_are_refused_with_everything_kept(client, login_as):
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    listed = "\n".join(f"Journalist {n}" for n in range(press_previews.AT_ONCE + 1))
    form = hidden_fields(client.get("/moderate/press-previews"))
    response = client.post("/moderate/press-previews?lang=en", data={**form, "release_at": at.isoformat(), "recipients": listed})
    assert response.status_code == 400
    page = page_of(response)
    assert f"Up to {press_previews.AT_ONCE} journalists at once" in page.visible_text
    assert f"Journalist {press_previews.AT_ONCE}" in response.get_data(as_text=True), "what was typed is kept"
    assert previews() == []


def test_two_racing_posts_of_one_form_make_its_links_once(app, client, login_as):
    """A double press whose two posts are handled at the same moment by two workers: the unique key
    decides, so one makes the links and the other is told they were made."""
    admin = login_as(client, "admin")
    made, at = embargo(admin, 1)
    admin_id = admin.id
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def post() -> None:
        with app.app_context():
            maker = db.session.get(Moderator, admin_id)
            start.wait(5)
            try:
                press_previews.create(at, [DANA, SAMI], by=maker, submission_key="r" * 32)
                outcomes.append("made")
            except press_previews.AlreadyMade as refusal:
                outcomes.append(f"already {len(refusal.previews)}")
            finally:
                db.session.remove()

    workers = [threading.Thread(target=post) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(20)
    assert sorted(outcomes) == ["already 2", "made"]
    assert [preview.recipients for preview in previews()] == [DANA, SAMI]
