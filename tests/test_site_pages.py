"""About and Privacy: default texts in three languages that state the retention settings in force,
edited by admins per language (sanitized, audited), shown to readers at once; every page's footer
links to them and to the contact form."""

import pytest
from sqlalchemy import select

from refusal_site import site_pages
from refusal_site.audit import AuditAction
from refusal_site.extensions import db
from refusal_site.models import AuditEvent
from tests.factories import make_letter
from tests.pages import hidden_fields, page_of


@pytest.mark.parametrize("lang, words", [("he", "מה נשמר"), ("ar", "ما نحتفظ به"), ("en", "What we keep")])
def test_the_default_privacy_page_states_the_retention_in_force(make_app, lang, words):
    app = make_app(CONTACT_RETENTION_DAYS=45)
    with app.app_context():
        page = page_of(app.test_client().get(f"/privacy?lang={lang}"))
        assert page.find("html")[0]["lang"] == lang
        assert words in page.visible_text and "45" in page.visible_text and "7" in page.visible_text


@pytest.mark.parametrize("lang, words", [("he", "איך המכתבים נבדקים"), ("ar", "كيف تُراجَع الرسائل"), ("en", "How letters are checked")])
def test_the_default_about_page_says_who_runs_the_site_and_how_letters_are_checked(client, lang, words):
    response = client.get(f"/about?lang={lang}")
    assert response.status_code == 200 and words in page_of(response).visible_text


@pytest.mark.parametrize("lang, words", [("he", "להסתיר אותו"), ("ar", "إخفاؤها"), ("en", "hide it")])
def test_the_default_pages_tell_an_author_they_can_hide_their_letter_themselves(client, lang, words):
    for slug in ("about", "privacy"):
        assert words in page_of(client.get(f"/{slug}?lang={lang}")).visible_text, slug


def edit(client, slug: str, lang: str, text: str, **overrides):
    form = hidden_fields(client.get(f"/moderate/pages/{slug}/{lang}"))
    return client.post(f"/moderate/pages/{slug}/{lang}", data={**form, "body": text, **overrides})


def test_an_admin_edits_a_page_in_one_language_and_readers_see_it_at_once(client, app, login_as):
    reader = app.test_client()
    assert "What we keep" in reader.get("/privacy?lang=en").get_data(as_text=True)  # now in the page cache
    assert reader.get("/privacy?lang=en").status_code == 200
    admin = login_as(client, "admin")
    edit_page = page_of(client.get("/moderate/pages/privacy/en"))
    assert "What we keep" in edit_page.value("body"), "the admin starts from the text readers see"
    saved = edit(client, "privacy", "en", "We keep <strong>very little</strong>.\n\n<script>alert(1)</script>Really.")
    assert saved.status_code == 303

    shown = reader.get("/privacy?lang=en").get_data(as_text=True)
    assert "<strong>very little</strong>" in shown and "<script>" not in shown and "What we keep" not in shown
    assert "What we keep" not in shown
    assert "מה נשמר" in reader.get("/privacy?lang=he").get_data(as_text=True), "other languages keep their text"
    assert "What we keep" not in reader.get("/privacy?lang=en").get_data(as_text=True)

    (event,) = db.session.execute(select(AuditEvent).where(AuditEvent.action == AuditAction.SITE_PAGE_EDIT)).scalars()
    assert event.actor_id == admin.id and event.details == {"page": "privacy", "language": "en", "revision": 1}
    assert event.hash_before != event.hash_after


def test_an_edit_made_on_a_stale_form_is_refused_with_the_text_kept(client, app, login_as):
    login_as(client, "admin")
    form = hidden_fields(client.get("/moderate/pages/about/he"))
    assert edit(client, "about", "he", "טקסט ראשון").status_code == 303
    stale = client.post("/moderate/pages/about/he", data={**form, "body": "טקסט שני"})
    assert stale.status_code == 409
    assert page_of(stale).value("body") == "טקסט שני"
    assert "טקסט ראשון" in client.get("/about?lang=he").get_data(as_text=True)


def test_a_page_text_gets_the_letter_texts_checks(client, login_as):
    login_as(client, "admin")
    assert edit(client, "about", "ar", "").status_code == 400
    assert edit(client, "about", "ar", "نص\x07").status_code == 400
    over = edit(client, "about", "ar", "ك" * 20_001)
    assert over.status_code == 400 and page_of(over).value("body") == "ك" * 20_001
    assert site_pages.saved("about", "ar") is None


def test_a_moderator_who_is_not_an_admin_cannot_edit(client, login_as):
    login_as(client)
    assert client.get("/moderate/pages").status_code == 403
    assert client.get("/moderate/pages/about/he").status_code == 403
    token = hidden_fields(client.get("/moderate/inbox"))["csrf_token"]
    assert client.post("/moderate/pages/about/he", data={"csrf_token": token, "body": "x", "revision": "0"}).status_code == 403
    assert site_pages.saved("about", "he") is None
    assert b"/moderate/pages" not in client.get("/moderate/").data, "no link to what they cannot open"


@pytest.mark.parametrize("lang, names", [("he", ("פרטיות · ערבית", "על האתר · אנגלית")), ("en", ("Privacy · Arabic", "About this site · Hebrew"))])
def test_the_admins_pages_name_each_language_in_the_admin_s_language(client, login_as, lang, names):
    login_as(client, "admin")
    listing = page_of(client.get(f"/moderate/pages?lang={lang}")).visible_text
    assert all(name in listing for name in names)
    editor = page_of(client.get(f"/moderate/pages/privacy/ar?lang={lang}"))
    # In the tab's title (first) and the heading: an admin with two editors open tells them apart.
    assert editor.visible_text.startswith(names[0]) and editor.visible_text.count(names[0]) == 2
    assert "· العربية" not in editor.visible_text


def test_unknown_pages_and_languages_are_404(client, login_as):
    login_as(client, "admin")
    assert client.get("/moderate/pages/terms/he").status_code == 404
    assert client.get("/moderate/pages/about/fr").status_code == 404


def test_every_page_links_to_about_privacy_and_contact_in_its_footer(client):
    letter = make_letter()
    for lang, words in (("he", "פרטיות"), ("ar", "الخصوصية"), ("en", "Privacy")):
        for url in ("/", "/letters", f"/letters/{letter.public_id}", "/press", "/submit", "/submit/resend", "/contact",
                    "/about", "/privacy", "/moderate/sign-in", "/letters/AAAAAAAAAAAA"):
            page = page_of(client.get(url + f"?lang={lang}"))
            footer_links = {a.get("href") for a in page.find("a")}
            assert {"/about", "/privacy", "/contact"} <= footer_links, (lang, url)
        assert words in page_of(client.get(f"/?lang={lang}")).visible_text
