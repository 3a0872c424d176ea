"""A translation the author writes from the private page waits for the team's check, as their letter
did: public nowhere until a moderator or an admin publishes it (a public one in that language stays
meanwhile), or sent back to the author with a reason they read by mail and on the private page.
Translators decide nothing; stale pages, double presses and withdrawn letters are refused clearly."""

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from refusal_site import author_translations as at
from refusal_site import letter_translations as lt
from refusal_site import letters, moderators, pauses, tokens
from refusal_site.compilation import assembly, selection
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Role, TranslationVersion
from tests.conftest import PASSWORD
from tests.factories import make_letter, make_translation, write_author_translation
from tests.pages import hidden_fields, outbox, page_of
from tests.test_translations_public import _shows_translation, _surfaces

PRIVATE = "author-private@example.org"
TITLE = "TRANSLATED TITLE"
BODY = "I refuse to serve. This is the translation the author approved."


@pytest.fixture
def letter(app):
    return make_letter(language="he", title="לא בשמי", contact_email=PRIVATE)


@pytest.fixture
def checker(app):
    return moderators.create("checker@team.example", PASSWORD)


def manage_url(letter) -> str:
    return f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"


def check_url(letter, language="en") -> str:
    return f"/moderate/translations/by-authors/{letter.public_id}/{language}"


def waiting(letter, language="en"):
    db.session.rollback()
    return at.of_letter(letter, language)[0]


def test_written_from_the_private_page_it_is_public_nowhere_until_a_moderator_publishes_it(client, letter, checker):
    other = make_letter(language="he")  # keeps the lists and the sitemap non-empty
    form = hidden_fields(client.get(manage_url(letter)))
    sent = client.post(f"{manage_url(letter)}/translations?lang=en", data={**form, "own-language": "en", "own-title": TITLE, "own-body": BODY})
    assert sent.status_code == 303
    assert "the site's team checks your translation" in page_of(client.get(sent.headers["Location"])).visible_text
    assert _shows_translation(_surfaces(client, letter)) == []
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404
    assert client.get(f"/letters/{letter.public_id}/en.pdf").status_code == 404
    assert letter.public_id not in client.get("/letters?q=refuse&lang=en").get_data(as_text=True)
    before = client.get("/api/v1/count").get_json()

    at.publish(waiting(letter), by=checker, expected_revision=waiting(letter).revision)
    assert _shows_translation(_surfaces(client, letter)) == ["page", "home", "list", "feed", "api", "api list"]
    assert "Translation from Hebrew, approved by the author" in page_of(client.get(f"/letters/{letter.public_id}/en?lang=en")).visible_text
    assert client.get("/api/v1/count").get_json() == before
    assert at.of_letter(letter) == [] and other.public_id


def test_a_public_translation_stays_public_until_the_authors_new_one_is_checked(client, letter, checker):
    make_translation(letter, "en", title="THE TEAM'S TITLE", approved_by="author")
    mine = write_author_translation(letter, "en", title=TITLE, body_text="Newer words of my own.")
    page = client.get(f"/letters/{letter.public_id}/en").get_data(as_text=True)
    assert "THE TEAM&#39;S TITLE" in page and TITLE not in page
    at.publish(mine, by=checker, expected_revision=mine.revision)
    page = client.get(f"/letters/{letter.public_id}/en").get_data(as_text=True)
    assert TITLE in page and "Newer words of my own." in page and "TEAM" not in page
    (translation,) = lt.of_letter(letter, "en")
    assert (translation.approved_by, translation.written_by_id, translation.approved_by_id) == ("author", None, None)
    assert db.session.execute(select(TranslationVersion.title)).scalars().all() == ["THE TEAM'S TITLE"]
    events = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id).order_by(AuditEvent.id)).all()
    assert events[-2:] == [("translation:write-by-author", None), ("translation:publish-checked", checker.id)]


def test_the_team_lists_them_previews_one_escaped_and_publishes_it(client, login_as, letter):
    write_author_translation(letter, "en", title="<b>Bold</b> title", body_text="<script>alert(1)</script>\n\nSecond paragraph.")
    write_author_translation(make_letter(language="en", title="English letter"), "ar", body_text="ترجمة عربية.")
    login_as(client)
    listed = page_of(client.get("/moderate/translations/by-authors?lang=en"))
    assert len(listed.find("a", href=check_url(letter))) == 1 and "ترجمة" not in listed.visible_text  # titles: only the Hebrew one's is "<b>Bold..."
    assert [a["href"] for a in page_of(client.get("/moderate/translations/by-authors?language=ar")).find("a") if "/by-authors/" in a["href"]][0].endswith("/ar")
    assert "translations/by-authors" in client.get("/moderate/translations?lang=en").get_data(as_text=True)
    preview = client.get(check_url(letter) + "?lang=en")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "<script>alert(1)" not in html and "&lt;script&gt;" in html
    assert page_of(preview).find("article", lang="en", dir="ltr") and page_of(preview).find("article", lang="he", dir="rtl")
    done = client.post(check_url(letter) + "/publish?lang=en", data=hidden_fields(preview))
    assert done.status_code == 303
    assert "Published: the translation is shown beside the letter" in page_of(client.get(done.headers["Location"])).visible_text
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 200
    again = client.post(check_url(letter) + "/publish?lang=en", data=hidden_fields(preview))
    assert again.status_code == 303 and "Already done" in page_of(client.get(again.headers["Location"])).visible_text


def test_sent_back_with_a_reason_the_author_reads_by_mail_and_on_the_private_page_then_sends_it_again(app, client, login_as, letter):
    write_author_translation(letter, "en", title=TITLE, body_text=BODY)
    login_as(client)
    form = hidden_fields(client.get(check_url(letter)))
    blank = client.post(check_url(letter) + "/send-back?lang=en", data={**form, "reason": "  "})
    assert blank.status_code == 400 and "This cannot be empty." in page_of(blank).visible_text
    sent = client.post(check_url(letter) + "/send-back?lang=en", data={**form, "reason": "השורה השנייה חסרה."})
    assert sent.status_code == 303
    assert (waiting(letter).status, waiting(letter).team_reason) == ("returned", "השורה השנייה חסרה.")
    (mail,) = [m for m in outbox(app) if "לא פורסם" in m["Subject"]]
    assert mail["To"] == PRIVATE and mail["Content-Language"] == "he"
    assert "השורה השנייה חסרה." in mail.get_content() and "/my-letter/" in mail.get_content()
    assert client.get(f"/letters/{letter.public_id}/en").status_code == 404
    twice = client.post(check_url(letter) + "/send-back?lang=en", data={**form, "reason": "השורה השנייה חסרה."})
    assert twice.status_code == 303 and "Already done" in page_of(client.get(twice.headers["Location"])).visible_text

    private = client.get(manage_url(letter) + "?lang=en")
    assert "השורה השנייה חסרה." in page_of(private).visible_text
    assert page_of(private).value("own-body") == BODY  # the form holds it, to correct and send again
    again = client.post(f"{manage_url(letter)}/translations", data={**hidden_fields(private), "own-language": "en", "own-body": BODY + " Fixed."})
    assert again.status_code == 303
    assert (waiting(letter).status, waiting(letter).team_reason) == ("waiting", None)


def test_a_translator_neither_publishes_nor_sends_back_an_authors_translation(client, login_as, letter):
    mine = write_author_translation(letter, "en", body_text=BODY)
    translator = login_as(client, "translator")
    assert client.get("/moderate/translations/by-authors").status_code == 403
    assert client.get(check_url(letter)).status_code == 403
    token = hidden_fields(client.get("/moderate/translations"))["csrf_token"]
    assert client.post(check_url(letter) + "/publish", data={"csrf_token": token, "revision": mine.revision}).status_code == 403
    assert client.post(check_url(letter) + "/send-back", data={"csrf_token": token, "revision": mine.revision, "reason": "no"}).status_code == 403
    assert "translations/by-authors" not in client.get("/moderate/translations").get_data(as_text=True)
    with pytest.raises(at.DecidersOnly):
        at.publish(mine, by=translator, expected_revision=mine.revision)
    with pytest.raises(at.DecidersOnly):
        at.send_back(mine, by=translator, reason="no", expected_revision=mine.revision)
    assert waiting(letter).status == "waiting" and lt.of_letter(letter) == []


def test_a_stale_page_publishes_nothing_and_a_withdrawn_letters_translation_is_gone(client, login_as, letter):
    write_author_translation(letter, "en", body_text="First words.")
    login_as(client)
    page = client.get(check_url(letter))
    write_author_translation(letter, "en", body_text="Words changed after the page was loaded.")
    stale = client.post(check_url(letter) + "/publish?lang=he", data=hidden_fields(page))
    assert stale.status_code == 409 and "לא נעשה דבר" in page_of(stale).visible_text
    assert lt.of_letter(letter) == [] and waiting(letter).body_text == "Words changed after the page was loaded."
    pauses.pause(letter)
    hidden = client.post(check_url(letter) + "/publish?lang=en", data=hidden_fields(client.get(check_url(letter))))
    assert hidden.status_code == 409 and "not published now" in page_of(hidden).visible_text and lt.of_letter(letter) == []
    letters.withdraw(letter)
    assert at.of_letter(letter) == []
    assert client.post(check_url(letter) + "/publish?lang=en", data=hidden_fields(page)).status_code == 410
    assert client.get(check_url(letter)).status_code == 410


def test_the_audit_log_says_each_new_move_in_the_pages_language(client, login_as, letter):
    mine = write_author_translation(letter, "en", body_text=BODY)
    admin = login_as(client, "admin")
    at.send_back(mine, by=admin, reason="Too short.", expected_revision=mine.revision)
    mine = write_author_translation(letter, "en", body_text=BODY + " More.")
    at.publish(mine, by=admin, expected_revision=mine.revision)
    history = page_of(client.get(f"/moderate/letters/{letter.public_id}?lang=he")).visible_text
    assert "תרגום של כותב המכתב הוחזר אליו בידי" in history and "תרגום של כותב המכתב נבדק ופורסם בידי" in history
    arabic = page_of(client.get(f"/moderate/letters/{letter.public_id}?lang=ar")).visible_text
    assert "ترجمة كاتب الرسالة أُعيدت إليه من قِبل" in arabic and "ترجمة كاتب الرسالة روجعت ونُشرت من قِبل" in arabic


def test_a_role_without_decisions_is_refused_in_the_domain_too(app, letter):
    translator = moderators.create("t@team.example", PASSWORD, role=Role.TRANSLATOR)
    with pytest.raises(at.DecidersOnly):
        at.publish_with_letter(letter, by=translator)


def test_the_private_page_refuses_a_translation_of_a_hidden_or_withdrawn_letter(client, letter):
    form = {**hidden_fields(client.get(manage_url(letter))), "own-language": "en", "own-body": BODY}
    pauses.pause(letter)
    hidden = client.post(f"{manage_url(letter)}/translations?lang=en", data=form)
    assert hidden.status_code == 409 and "Nothing was changed" in page_of(hidden).visible_text
    letters.withdraw(db.session.get(type(letter), letter.id))
    gone = client.post(f"{manage_url(letter)}/translations?lang=en", data=form)
    assert gone.status_code == 410
    assert at.of_letter(letter) == []


@pytest.mark.pdf
def test_the_english_compilation_prints_it_only_once_checked(app, letter, checker):
    def compiled() -> str:
        path = assembly.build(selection.Selection(), "en").path
        return " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())

    mine = write_author_translation(letter, "en", title=TITLE, body_text="Words only a moderator has read.")
    assert "Words only a moderator has read." not in compiled()
    at.publish(mine, by=checker, expected_revision=mine.revision)
    assert "Words only a moderator has read." in compiled()
