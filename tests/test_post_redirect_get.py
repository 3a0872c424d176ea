"""After a successful POST, Back never asks to send a form again: every POST route of the app, made to
succeed, answers with a redirect to a page that a GET shows (Post/Redirect/Get). A page that must
show something once (recovery codes, a first password) takes it from the session, not the URL."""

import time
from datetime import timedelta

import pyotp
import pytest

from refusal_site import author_translations, contact, letter_translations, letters, moderators, pauses, press_previews, rejection_reasons, signatures, tokens
from refusal_site.models import LetterStatus, Role, utcnow
from tests.conftest import PASSWORD
from tests.factories import make_collective, make_letter, make_signature
from tests.pages import hidden_fields, page_of


@pytest.fixture(params=["sqlite"])
def backend(request):
    """Routes, not storage: one backend is enough here."""
    return request.param


def manage(letter) -> str:
    return f"/my-letter/{tokens.make(tokens.Purpose.MANAGE, letter)}"


def review(client, letter) -> dict:
    return hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))


def sign_in_form(client, email: str) -> dict:
    return {**hidden_fields(client.get("/moderate/sign-in")), "email": email, "password": PASSWORD}


# --- each POST route, made to succeed: (url, form) -----------------------------------------------


def _submit(client, login_as):
    form = hidden_fields(client.get("/submit?lang=en"))
    return "/submit", {**form, "display_name": "Noa", "language": "en", "body": "I refuse.", "contact_email": "noa@private.example",
                       "consent_name": "y", "consent_public": "y", "website": ""}


def _correct_sent_address(client, login_as):
    url, form = _submit(client, login_as)
    client.post(url, data=form)
    return "/submit/sent/address", {**hidden_fields(client.get("/submit/sent")), "address-contact_email": "noa.cohen@private.example"}


def _correct_address(client, login_as):
    url = manage(make_letter(LetterStatus.UNCONFIRMED))
    return f"{url}/address", {**hidden_fields(client.get(url)), "address-contact_email": "new@private.example"}


def _correct_text(client, login_as):
    url = manage(make_letter(LetterStatus.UNCONFIRMED))
    return f"{url}/text", {**hidden_fields(client.get(f"{url}/text")), "display_name": "Noa", "body": "I refuse, corrected."}


def _resend(client, login_as):
    return "/submit/resend", {**hidden_fields(client.get("/submit/resend")), "contact_email": "noa@private.example"}


def _confirm(client, login_as):
    url = f"/confirm/{tokens.make(tokens.Purpose.CONFIRM, make_letter(LetterStatus.UNCONFIRMED))}"
    return url, hidden_fields(client.get(url))


def _withdraw(client, login_as):
    url = manage(make_letter())
    return f"{url}/withdraw", {**hidden_fields(client.get(url)), "understood": "y"}


def _pause(client, login_as):
    url = manage(make_letter())
    return f"{url}/hide", hidden_fields(client.get(url))


def _resume(client, login_as):
    letter = pauses.pause(make_letter())
    url = manage(letter)
    return f"{url}/show", hidden_fields(client.get(url))


def _sign(client, login_as):
    url = f"/letters/{make_collective().public_id}/sign"
    return url, {**hidden_fields(client.get(url)), "display_name": "Yoav", "contact_email": "yoav@private.example", "consent_public": "y", "website": ""}


def _confirm_signature(client, login_as):
    signature = make_signature(make_collective(), "unconfirmed")
    url = f"/signature/confirm/{tokens.make(tokens.Purpose.SIGNATURE_CONFIRM, signature)}"
    return url, hidden_fields(client.get(url))


def _withdraw_signature(client, login_as):
    url = f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, make_signature(make_collective()))}"
    return f"{url}/withdraw", {**hidden_fields(client.get(url)), "understood": "y"}


def _pause_signature(client, login_as):
    url = f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, make_signature(make_collective()))}"
    return f"{url}/hide", hidden_fields(client.get(url))


def _resume_signature(client, login_as):
    signature = pauses.pause_signature(make_signature(make_collective()))
    url = f"/my-signature/{tokens.make(tokens.Purpose.SIGNATURE_MANAGE, signature)}"
    return f"{url}/show", hidden_fields(client.get(url))


def _contact(client, login_as):
    return "/contact", {**hidden_fields(client.get("/contact")), "kind": "question", "message": "When?", "website": ""}


def _sign_in(client, login_as):
    moderators.create("m@team.example", PASSWORD)
    return "/moderate/sign-in", sign_in_form(client, "m@team.example")


def _sign_in_code(client, login_as):
    moderator = moderators.create("coded@team.example", PASSWORD)
    secret = pyotp.random_base32()
    # Set up with the previous step's code (still accepted), so the current one is unused.
    moderators.enable_totp(moderator, secret, pyotp.TOTP(secret).at(time.time() - 30))
    client.post("/moderate/sign-in", data=sign_in_form(client, "coded@team.example"))
    return "/moderate/sign-in/code", {**hidden_fields(client.get("/moderate/sign-in/code")), "code": pyotp.TOTP(secret).now()}


def _setup_code(client, login_as):
    moderators.create("new@team.example", PASSWORD, require_totp=True)
    client.post("/moderate/sign-in", data=sign_in_form(client, "new@team.example"))
    setup = client.get("/moderate/sign-in/set-up-code")
    secret = page_of(setup).visible_text.split("secret=")[1].split("&")[0]
    return "/moderate/sign-in/set-up-code", {**hidden_fields(setup), "code": pyotp.TOTP(secret).now()}


def _sign_out(client, login_as):
    login_as(client)
    return "/moderate/sign-out", hidden_fields(client.get("/moderate/account"))


def _account(client, login_as):
    login_as(client)
    return "/moderate/account", {**hidden_fields(client.get("/moderate/account")), "current": PASSWORD, "new": "a brand new passphrase"}


def _account_code(client, login_as):
    login_as(client)
    page = client.get("/moderate/account/code")
    secret = page_of(page).visible_text.split("secret=")[1].split("&")[0]
    return "/moderate/account/code", {**hidden_fields(page), "code": pyotp.TOTP(secret).now()}


def _account_digest(client, login_as):
    login_as(client)
    return "/moderate/account/digest", {**hidden_fields(client.get("/moderate/account")), "wanted": "y"}


def _renew_recovery_codes(client, login_as):
    login_as(client, "admin")
    return "/moderate/account/recovery-codes", hidden_fields(client.get("/moderate/account"))


def _decision(state: LetterStatus, action: str, collective: bool = False, role: str = "moderator", **fields):
    def case(client, login_as):
        login_as(client, role)
        letter = make_collective() if collective else make_letter(state)
        if state == LetterStatus.SCHEDULED:
            letter = make_letter(LetterStatus.PENDING)
            client.post(f"/moderate/letters/{letter.public_id}/schedule", data={**review(client, letter), "at": "2099-01-01T09:30"})
        if state == LetterStatus.PAUSED:
            letter = pauses.pause(make_letter(), by="test", reason="threats")
        if collective and action == "open-signing":
            letter = signatures.close_signing(letter, by="test")
        return f"/moderate/letters/{letter.public_id}/{action}", {**review(client, letter), **fields}

    return case


def _edit(client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    url = f"/moderate/letters/{letter.public_id}/edit"
    page = page_of(client.get(url))
    return url, {**hidden_fields(client.get(url)), "display_name": letter.display_name, "body": page.value("body") + " Corrected.", "title": "",
                 "descriptor": letter.descriptor or "", "reason": "A typo"}


def _decide_signatures(client, login_as):
    login_as(client)
    make_signature(make_collective(), "pending")
    page = page_of(client.get("/moderate/signatures"))
    shown = [a["value"] for a in page.find("input", name="shown")]
    return "/moderate/signatures", {"csrf_token": page.value("csrf_token"), "shown": shown, "decision": "publish", "scope": "shown"}


def _signature_safety(action: str, state: str, **fields):
    def case(client, login_as):
        admin = login_as(client, "admin")
        signature = make_signature(make_collective())
        if state == "paused":
            pauses.pause_signature(signature, by=admin, reason="Threats")
        page = page_of(client.get(f"/moderate/signatures?state={state}"))
        shown = [a["value"] for a in page.find("input", name="shown")]
        return f"/moderate/signatures/{action}?state={state}", {"csrf_token": page.value("csrf_token"), "shown": shown, "safety_scope": "shown", **fields}

    return case


def _delay_notice(client, login_as):
    login_as(client, "admin")
    return "/moderate/delay-notice", {**hidden_fields(client.get("/moderate/delay-notice")), "he": "תוך שבוע.", "ar": "", "en": ""}


def _site_page(client, login_as):
    login_as(client, "admin")
    return "/moderate/pages/about/he", {**hidden_fields(client.get("/moderate/pages/about/he")), "body": "עלינו."}


def _reason(action: str):
    texts = {"he": "לא ניתן לאמת.", "ar": "تعذّر التحقق.", "en": "Not verifiable."}

    def case(client, login_as):
        admin = login_as(client, "admin")
        if action == "new":
            return "/moderate/reasons/new", {**hidden_fields(client.get("/moderate/reasons/new")), **texts}
        reason = rejection_reasons.create(texts, by=admin)
        if action == "edit":
            return f"/moderate/reasons/{reason.id}", {**hidden_fields(client.get(f"/moderate/reasons/{reason.id}")), **texts, "en": "Cannot be verified."}
        if action == "restore":
            reason = rejection_reasons.set_retired(reason, True, by=admin, expected_revision=reason.revision)
        return f"/moderate/reasons/{reason.id}/{action}", {**hidden_fields(client.get("/moderate/reasons")), "revision": reason.revision}

    return case


def _team_create(client, login_as):
    login_as(client, "admin")
    return "/moderate/team", {**hidden_fields(client.get("/moderate/team")), "email": "new@team.example", "role": "moderator"}


def _team_action(client, login_as):
    login_as(client, "admin")
    other = moderators.create("other@team.example", PASSWORD, role=Role.MODERATOR)
    return f"/moderate/team/{other.id}", {**hidden_fields(client.get("/moderate/team")), "action": "deactivate"}


def _hide_many(client, login_as):
    login_as(client, "admin")
    return "/moderate/hide", {**hidden_fields(client.get("/moderate/hide")), "letters": make_letter().public_id, "reason": "Doxxing"}


def _press_preview(action: str):
    def case(client, login_as):
        admin = login_as(client, "admin")
        at = utcnow().replace(year=2099, microsecond=0)
        letters.schedule(make_letter(LetterStatus.PENDING), by=admin, at=at)
        form = hidden_fields(client.get("/moderate/press-previews"))
        if action == "create":
            return "/moderate/press-previews", {**form, "release_at": at.isoformat(), "recipients": "Dana Levi (Haaretz)"}
        [(preview, _token)] = press_previews.create(at, ["Dana Levi (Haaretz)"], by=admin)
        return f"/moderate/press-previews/{preview.id}/revoke", form

    return case


def _inbox_mark(client, login_as):
    login_as(client)
    message = contact.receive(kind="question", name=None, reply_email=None, body="?", language="he")
    return f"/moderate/inbox/{message.id}/handled", hidden_fields(client.get(f"/moderate/inbox/{message.id}"))


def _translation(action: str, role: str = "translator", erased: bool = False):
    def case(client, login_as):
        login_as(client, role)
        letter = make_letter()
        url = f"/moderate/translations/{letter.public_id}/en"
        if action == "claim":
            return f"{url}/claim", {"csrf_token": hidden_fields(client.get("/moderate/translations"))["csrf_token"]}
        if action == "save":
            return url, {**hidden_fields(client.get(url)), "body": "I refuse."}
        client.post(url, data={**hidden_fields(client.get(url)), "body": "I refuse."})
        if erased:
            letters.erase_contacts(after=timedelta(0))
        return f"{url}/{action}", hidden_fields(client.get(url))

    return case


def _author_translation(action: str):
    def case(client, login_as):
        letter = make_letter()
        url = manage(letter)
        if action == "write":
            return f"{url}/translations", {**hidden_fields(client.get(url)), "own-language": "en", "own-body": "I refuse."}
        team = moderators.create("words@team.example", PASSWORD, role=Role.TRANSLATOR)
        draft = letter_translations.save(letter, "en", by=team, title=None, body_text="I refuse.", expected_revision=0)
        letter_translations.send_to_author(draft, by=team, expected_revision=draft.revision)
        return f"{url}/translations/en/{action}", {**hidden_fields(client.get(url)), "back-en-comment": "Not quite."}

    return case


def _check_author_translation(action: str):
    def case(client, login_as):
        login_as(client)
        letter = make_letter()
        author_translations.write(letter, "en", title=None, body_text="I refuse.", expected_revision=0)
        url = f"/moderate/translations/by-authors/{letter.public_id}/en"
        return f"{url}/{action}", {**hidden_fields(client.get(url)), "reason": "Not quite."}

    return case


SUCCESSFUL_POSTS = {
    "submit.submit": _submit,
    "submit.correct_sent_address": _correct_sent_address,
    "submit.correct_address": _correct_address,
    "submit.correct_text": _correct_text,
    "submit.resend": _resend,
    "submit.confirm": _confirm,
    "submit.withdraw": _withdraw,
    "submit.pause": _pause,
    "submit.resume": _resume,
    "submit.sign": _sign,
    "submit.confirm_signature": _confirm_signature,
    "submit.withdraw_signature": _withdraw_signature,
    "submit.pause_signature": _pause_signature,
    "submit.resume_signature": _resume_signature,
    "submit.contact_form": _contact,
    "moderate.sign_in": _sign_in,
    "moderate.sign_in_code": _sign_in_code,
    "moderate.setup_code": _setup_code,
    "moderate.sign_out": _sign_out,
    "moderate.account": _account,
    "moderate.account_code": _account_code,
    "moderate.account_digest": _account_digest,
    "moderate.renew_recovery_codes": _renew_recovery_codes,
    "moderate.approve": _decision(LetterStatus.PENDING, "approve"),
    "moderate.schedule": _decision(LetterStatus.PENDING, "schedule", at="2099-01-01T09:30"),
    "moderate.unschedule": _decision(LetterStatus.SCHEDULED, "unschedule"),
    # As sent from the confirming step (the step itself changes nothing, and is a page).
    "moderate.reject": _decision(LetterStatus.PENDING, "reject", reason="Not verifiable", confirmed="yes"),
    "moderate.unpublish": _decision(LetterStatus.PUBLISHED, "unpublish", reason="At the author's request", confirmed="yes"),
    "moderate.hide": _decision(LetterStatus.PUBLISHED, "hide", role="admin", **{"hide-reason": "Threats"}),
    "moderate.show": _decision(LetterStatus.PAUSED, "show", role="admin"),
    "moderate.open_signing": _decision(LetterStatus.PUBLISHED, "open-signing", collective=True),
    "moderate.close_signing": _decision(LetterStatus.PUBLISHED, "close-signing", collective=True),
    "moderate.edit": _edit,
    "moderate.decide_signatures": _decide_signatures,
    "moderate.hide_signatures": _signature_safety("hide", "published", hide_reason="Threats"),
    "moderate.show_signatures": _signature_safety("show", "paused"),
    "moderate.delay_notice_edit": _delay_notice,
    "moderate.site_page_edit": _site_page,
    "moderate.rejection_reason_new": _reason("new"),
    "moderate.rejection_reason_edit": _reason("edit"),
    "moderate.rejection_reason_retire": _reason("retire"),
    "moderate.rejection_reason_restore": _reason("restore"),
    "moderate.team_create": _team_create,
    "moderate.team_action": _team_action,
    "moderate.hide_many": _hide_many,
    "moderate.inbox_mark": _inbox_mark,
    "moderate.translation_claim": _translation("claim"),
    "moderate.translation": _translation("save"),
    "moderate.translation_release": _translation("release"),
    "moderate.translation_send": _translation("send"),
    "moderate.translation_publish": _translation("publish", role="admin", erased=True),
    "submit.approve_translation": _author_translation("approve"),
    "submit.send_back_translation": _author_translation("send-back"),
    "submit.write_translation": _author_translation("write"),
    "moderate.author_translation_publish": _check_author_translation("publish"),
    "moderate.author_translation_send_back": _check_author_translation("send-back"),
    "moderate.press_preview_create": _press_preview("create"),
    "moderate.press_preview_revoke": _press_preview("revoke"),
}


def test_every_post_route_of_the_app_is_walked(app):
    posted = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    assert posted == set(SUCCESSFUL_POSTS), "a new POST route: add how it succeeds to SUCCESSFUL_POSTS"


@pytest.mark.parametrize("endpoint", sorted(SUCCESSFUL_POSTS))
def test_a_successful_post_answers_with_a_redirect_to_a_page(client, login_as, endpoint):
    url, form = SUCCESSFUL_POSTS[endpoint](client, login_as)
    response = client.post(url, data=form)
    assert response.status_code in (302, 303), (endpoint, response.status_code, page_of(response).visible_text[:300])
    location = response.headers["Location"]
    assert "@" not in location and "noa" not in location, "nothing private in the address"
    landed = client.get(location, follow_redirects=True)
    assert landed.status_code == 200 and landed.request.method == "GET", (endpoint, location, landed.status_code)
