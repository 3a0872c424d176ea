"""Stock rejection reasons: admins keep them in Hebrew, Arabic and English; moderators pick one (and may
add their own words); the author reads it in their letter's language."""

import pytest
from sqlalchemy import select

from refusal_site import rejection_reasons
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, RejectionReason
from tests.factories import make_letter
from tests.pages import hidden_fields, outbox, page_of


def offered_on(client, letter: Letter, lang: str = "he") -> dict[str, str]:
    """The stock reasons a moderator sees on the letter's review page: value -> label."""
    page = page_of(client.get(f"/moderate/letters/{letter.public_id}?lang={lang}"))
    labels = {}
    for index, (tag, attrs) in enumerate(page.elements):
        if tag == "input" and attrs.get("name") == "stock":
            labels[attrs["value"]] = attrs["id"]
    return labels


def decide(client, letter: Letter, decision: str, lang: str = "he", **fields):
    """Both steps: the reason from the review page, then the confirming page's button."""
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))
    asked = client.post(f"/moderate/letters/{letter.public_id}/{decision}?lang={lang}", data={**form, **fields})
    if asked.status_code != 200:
        return asked
    return client.post(f"/moderate/letters/{letter.public_id}/{decision}?lang={lang}", data=hidden_fields(asked))


def test_the_migration_seeds_reasons_in_the_three_languages(app):
    reasons = rejection_reasons.offered()
    assert len(reasons) >= 5
    for reason in reasons:
        assert all(reason.text(language).strip() for language in ("he", "ar", "en"))
    assert all("\u05d0" <= r.text_he[0] <= "\u05ea" and "\u0621" <= r.text_ar[0] <= "\u064a" for r in reasons)


def test_the_author_reads_the_stock_reason_in_the_letters_language(client, app, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="ar", contact_email="sami@private.example")
    reason = rejection_reasons.offered()[0]
    page = client.get(f"/moderate/letters/{letter.public_id}?lang=he").get_data(as_text=True)
    assert reason.text_he in page, "the moderator reads the reasons in the page's language"
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))
    asked = client.post(f"/moderate/letters/{letter.public_id}/reject?lang=he", data={**form, "stock": str(reason.id), "reason": ""})
    preview = page_of(asked).find("blockquote")[0]
    assert preview["lang"] == "ar" and reason.text_ar in page_of(asked).visible_text
    assert client.post(f"/moderate/letters/{letter.public_id}/reject?lang=he", data=hidden_fields(asked)).status_code == 303
    (message,) = outbox(app)
    assert message["To"] == "sami@private.example" and message["Content-Language"] == "ar"
    body = message.get_content()
    assert reason.text_ar in body and reason.text_he not in body and reason.text_en not in body
    row = db.session.execute(select(AuditEvent).where(AuditEvent.action == "letter:reject")).scalar_one()
    assert row.reason == reason.text_ar and row.details["stock_reason"] == reason.id


def test_own_words_go_as_written_alone_or_after_the_stock_reason(client, app, login_as):
    login_as(client)
    alone = make_letter(LetterStatus.PENDING, language="en")
    both = make_letter(LetterStatus.PUBLISHED, language="he")
    reason = rejection_reasons.offered()[1]
    assert decide(client, alone, "reject", stock="", reason="Nous ne pouvons pas le vérifier.").status_code == 303
    assert decide(client, both, "unpublish", stock=str(reason.id), reason="Please remove the second paragraph.").status_code == 303
    first, second = outbox(app)
    assert "Nous ne pouvons pas le vérifier." in first.get_content()
    assert f"{reason.text_he}\n\nPlease remove the second paragraph." in second.get_content()


def test_a_retired_reason_is_not_offered_and_cannot_be_sent(client, app, login_as):
    admin = login_as(client, "admin")
    letter = make_letter(LetterStatus.PENDING, language="he")
    retired = rejection_reasons.offered()[0]
    rejection_reasons.set_retired(retired, True, by=admin, expected_revision=retired.revision)
    assert str(retired.id) not in offered_on(client, letter)
    assert retired.text_he not in client.get(f"/moderate/letters/{letter.public_id}?lang=he").get_data(as_text=True)
    refused = decide(client, letter, "reject", stock=str(retired.id), reason="")
    assert refused.status_code == 400 and "נא לבחור אחת מהסיבות המוצעות." in page_of(refused).visible_text
    db.session.rollback()
    assert db.session.get(Letter, letter.id).status == LetterStatus.PENDING and outbox(app) == []


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"stock": "999", "reason": ""}, "נא לבחור אחת מהסיבות המוצעות."),
        ({"stock": "<script>", "reason": "x"}, "נא לבחור אחת מהסיבות המוצעות."),
        ({"stock": "", "reason": "  \n "}, "נא לבחור סיבה או לכתוב אחת"),
        ({"reason": ""}, "נא לבחור סיבה או לכתוב אחת"),
        ({"stock": "", "reason": "א" * 2001}, "2,001"),
    ],
)
def test_bad_reasons_are_translated_form_errors_and_nothing_is_done(client, app, login_as, fields, message):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="en")
    refused = decide(client, letter, "reject", **fields)
    assert refused.status_code == 400
    page = page_of(refused)
    assert message in page.visible_text and page.find("div", **{"class": "error-summary"})
    if fields.get("reason", "").strip():
        assert page.value("reason") == fields["reason"], "what was typed comes back whole"
    db.session.rollback()
    assert db.session.get(Letter, letter.id).status == LetterStatus.PENDING and outbox(app) == []


def test_only_admins_keep_the_reasons(client, login_as):
    login_as(client)
    reason = rejection_reasons.offered()[0]
    token = hidden_fields(client.get("/moderate/account"))["csrf_token"]
    assert client.get("/moderate/reasons").status_code == 403
    assert client.get("/moderate/reasons/new").status_code == 403
    assert client.post("/moderate/reasons/new", data={"csrf_token": token, "he": "x", "ar": "x", "en": "x", "revision": "0"}).status_code == 403
    assert client.post(f"/moderate/reasons/{reason.id}", data={"csrf_token": token, "he": "x", "ar": "x", "en": "x", "revision": "1"}).status_code == 403
    assert client.post(f"/moderate/reasons/{reason.id}/retire", data={"csrf_token": token, "revision": "1"}).status_code == 403
    db.session.rollback()
    assert db.session.get(RejectionReason, reason.id).retired_at is None and db.session.get(RejectionReason, reason.id).text_he != "x"
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action.like("rejection-reason:%"))).first() is None


def test_admins_add_edit_retire_and_offer_again_each_audited(client, login_as):
    admin = login_as(client, "admin")
    new = hidden_fields(client.get("/moderate/reasons/new"))
    missing = client.post("/moderate/reasons/new?lang=en", data={**new, "he": "סיבה", "ar": "", "en": "A reason"})
    assert missing.status_code == 400 and "Please write the reason in each language" in page_of(missing).visible_text
    assert page_of(missing).value("he") == "סיבה"
    texts = {"he": "המכתב ארוך מדי לפרסום.", "ar": "الرسالة أطول من أن تُنشر.", "en": "The letter is too long to publish."}
    assert client.post("/moderate/reasons/new", data={**new, **texts}).status_code == 303
    reason = db.session.execute(select(RejectionReason).where(RejectionReason.text_en == texts["en"])).scalar_one()
    letter = make_letter(LetterStatus.PENDING)
    assert str(reason.id) in offered_on(client, letter)

    form = hidden_fields(client.get(f"/moderate/reasons/{reason.id}"))
    assert client.post(f"/moderate/reasons/{reason.id}", data={**form, **texts, "en": "Too long to publish."}).status_code == 303
    stale = client.post(f"/moderate/reasons/{reason.id}?lang=en", data={**form, **texts})
    assert stale.status_code == 409 and "Someone changed this reason" in stale.get_data(as_text=True)

    listing = hidden_fields(client.get("/moderate/reasons"))
    db.session.rollback()
    revision = db.session.get(RejectionReason, reason.id).revision
    assert client.post(f"/moderate/reasons/{reason.id}/retire", data={"csrf_token": listing["csrf_token"], "revision": revision}).status_code == 303
    assert str(reason.id) not in offered_on(client, letter)
    assert client.post(f"/moderate/reasons/{reason.id}/restore", data={"csrf_token": listing["csrf_token"], "revision": revision + 1}).status_code == 303
    assert str(reason.id) in offered_on(client, letter)
    actions = db.session.execute(select(AuditEvent.action, AuditEvent.actor_id).where(AuditEvent.action.like("rejection-reason:%")).order_by(AuditEvent.id)).all()
    assert actions == [(a, admin.id) for a in ("rejection-reason:create", "rejection-reason:edit", "rejection-reason:retire", "rejection-reason:restore")]


@pytest.mark.parametrize("path", ["", "/retire", "/restore"])
def test_a_reason_number_beyond_any_row_is_not_found_not_an_error(client, login_as, path):
    login_as(client, "admin")
    token = hidden_fields(client.get("/moderate/account"))["csrf_token"]
    huge = "/moderate/reasons/99999999999999999999"
    if not path:
        assert client.get(huge).status_code == 404
    assert client.post(huge + path, data={"csrf_token": token, "he": "x", "ar": "x", "en": "x", "revision": "1"}).status_code == 404
