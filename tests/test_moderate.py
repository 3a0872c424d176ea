"""Moderation: the gate, sign-in, sessions, one-time codes, roles, the queue, decisions, the audit log."""

import csv
import io
import re
import time
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import event, select

from refusal_site import contact, letters, moderators, rejection_reasons, tally
from refusal_site.extensions import db
from refusal_site.models import AuditEvent, Letter, LetterStatus, utcnow
from tests.conftest import PASSWORD
from tests.factories import make_letter
from tests.pages import hidden_fields, outbox, page_of

DUMMY_ARGS = {"public_id": "AAAAAAAAAAAAAAAA", "moderator_id": 1, "message_id": 1, "mark": "handled", "slug": "about", "language": "he", "reason_id": 1, "preview_id": 1}


def moderation_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("moderate."):
            yield rule, app.url_map.bind("localhost").build(rule.endpoint, {k: DUMMY_ARGS[k] for k in rule.arguments})


SIGN_IN_ENDPOINTS = {"moderate.sign_in", "moderate.sign_in_code", "moderate.setup_code"}


def test_every_moderation_route_turns_an_anonymous_visitor_away(app, client):
    token = hidden_fields(client.get("/moderate/sign-in"))["csrf_token"]
    checked = 0
    for rule, url in moderation_rules(app):
        if rule.endpoint in SIGN_IN_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 302, (method, url)
            assert response.headers["Location"].startswith("/moderate/sign-in"), (method, url)
            checked += 1
    assert checked >= 15


def test_every_moderation_post_needs_a_csrf_token(app, client, login_as):
    admin = login_as(client, "admin")
    letter = make_letter(LetterStatus.PENDING)
    message = contact.receive(kind="question", name=None, reply_email=None, body="?", language="he")
    args = {"public_id": letter.public_id, "moderator_id": admin.id, "message_id": message.id, "mark": "handled", "slug": "about", "language": "he",
            "reason_id": rejection_reasons.offered()[0].id, "preview_id": 1}
    posts = [
        app.url_map.bind("localhost").build(rule.endpoint, {k: args[k] for k in rule.arguments})
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("moderate.") and "POST" in rule.methods
    ]
    assert len(posts) >= 12
    before = db.session.execute(select(AuditEvent.id)).scalars().all()
    for url in posts:
        response = client.post(url, data={"revision": letter.revision, "reason": "x", "action": "deactivate"})
        assert response.status_code == 400, url
    db.session.rollback()
    assert db.session.execute(select(AuditEvent.id)).scalars().all() == before
    assert db.session.get(Letter, letter.id).status == LetterStatus.PENDING


def test_moderation_pages_are_not_cached(client, login_as):
    login_as(client)
    assert client.get("/moderate/").headers["Cache-Control"] == "no-store"
    assert client.get("/moderate/sign-in").headers["Cache-Control"] == "no-store"


def sign_in(client, email, password):
    form = hidden_fields(client.get("/moderate/sign-in"))
    return client.post("/moderate/sign-in", data={**form, "email": email, "password": password}, headers={"Accept-Language": "en"})


def test_wrong_passwords_lock_the_account_for_a_while(client, app):
    moderators.create("m@team.example", PASSWORD)
    for _ in range(moderators.MAX_FAILURES - 1):
        assert "Wrong e-mail address or password" in sign_in(client, "m@team.example", "wrong password!").get_data(as_text=True)
    locked = sign_in(client, "m@team.example", "wrong password!")
    assert locked.status_code == 400 and "too many failed attempts" in locked.get_data(as_text=True)
    assert moderators.by_email("m@team.example").locked_until > utcnow()
    assert sign_in(client, "m@team.example", PASSWORD).status_code == 400, "even the right password waits"
    moderator = moderators.by_email("m@team.example")
    moderator.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert sign_in(client, "m@team.example", PASSWORD).status_code == 302
    db.session.rollback()
    assert moderators.by_email("m@team.example").failed_sign_ins == 0
    actions = db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert actions.count("moderator:sign-in-failed") == moderators.MAX_FAILURES + 1
    assert "moderator:locked" in actions and actions[-1] == "moderator:sign-in"


def test_unknown_addresses_fail_like_wrong_passwords(client):
    response = sign_in(client, "nobody@team.example", "whatever password")
    assert response.status_code == 400 and "Wrong e-mail address or password" in response.get_data(as_text=True)


def test_sign_in_attempts_are_throttled_per_client(make_app):
    client = make_app(SIGN_IN_RATE_LIMIT="3 per minute").test_client()
    for _ in range(3):
        sign_in(client, "nobody@team.example", "whatever password")
    assert sign_in(client, "nobody@team.example", "whatever password").status_code == 429


def test_sign_in_starts_a_fresh_session(client, login_as):
    client.get("/?lang=en")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    login_as(client)
    with client.session_transaction() as session:
        assert "planted" not in session and "lang" not in session


def test_sign_out_ends_every_session_including_a_stolen_cookie(app, client, login_as):
    moderator = login_as(client)
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie("session", cookie.value)
    assert thief.get("/moderate/").status_code == 200, "the stolen cookie works until sign-out"
    client.post("/moderate/sign-out", data=hidden_fields(client.get("/moderate/")))
    assert client.get("/moderate/").status_code == 302
    assert thief.get("/moderate/").status_code == 302
    assert moderator.id


def test_a_password_change_ends_the_other_sessions_only(app, client, login_as):
    moderator = login_as(client)
    other = app.test_client()
    sign_in(other, moderator.email, PASSWORD)
    assert other.get("/moderate/").status_code == 200
    form = hidden_fields(client.get("/moderate/account"))
    changed = client.post("/moderate/account", data={**form, "current": PASSWORD, "new": "a brand new passphrase"})
    assert changed.status_code == 302
    assert client.get("/moderate/").status_code == 200
    assert other.get("/moderate/").status_code == 302
    assert sign_in(other, moderator.email, "a brand new passphrase").status_code == 302


def test_an_idle_session_ends(client, login_as):
    login_as(client)
    with client.session_transaction() as session:
        session["seen"] = int(time.time()) - 31 * 60
    response = client.get("/moderate/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/moderate/sign-in")
    assert client.get("/moderate/").status_code == 302


def test_admins_must_set_up_one_time_codes_at_first_sign_in(client):
    moderators.create("admin@team.example", PASSWORD, role="admin")
    response = sign_in(client, "admin@team.example", PASSWORD)
    assert response.headers["Location"] == "/moderate/sign-in/set-up-code"
    setup = client.get("/moderate/sign-in/set-up-code")
    secret = page_of(setup).visible_text.split("otpauth://")[1].split("secret=")[1].split("&")[0]
    wrong = client.post("/moderate/sign-in/set-up-code", data={**hidden_fields(setup), "code": "000000"})
    assert wrong.status_code == 400
    assert client.get("/moderate/").status_code == 302, "no access before the code works"
    done = client.post("/moderate/sign-in/set-up-code", data={**hidden_fields(setup), "code": pyotp.TOTP(secret).now()})
    assert done.status_code == 303 and done.headers["Location"] == "/moderate/account/recovery-codes"
    shown = client.get(done.headers["Location"])
    assert shown.status_code == 200 and page_of(shown).find("ol", **{"class": "recovery-codes secret"}), "the recovery codes, shown once"
    assert client.get(done.headers["Location"]).status_code == 302, "and never again"
    assert client.get("/moderate/").status_code == 200


def test_a_one_time_code_works_once(app, client, login_as):
    admin = login_as(client, "admin")
    used = admin.totp.now()
    other = app.test_client()
    sign_in(other, admin.email, PASSWORD)
    replay = other.post("/moderate/sign-in/code", data={**hidden_fields(other.get("/moderate/sign-in/code")), "code": used})
    assert replay.status_code == 400
    assert other.get("/moderate/").status_code == 302


def test_a_wrong_code_is_refused(client):
    moderator = moderators.create("c@team.example", PASSWORD)
    secret = pyotp.random_base32()
    moderators.enable_totp(moderator, secret, pyotp.TOTP(secret).now())
    sign_in(client, "c@team.example", PASSWORD)
    form = hidden_fields(client.get("/moderate/sign-in/code"))
    wrong = str((int(pyotp.TOTP(secret).now()) + 1) % 1_000_000).zfill(6)
    assert client.post("/moderate/sign-in/code", data={**form, "code": wrong}).status_code == 400
    assert client.get("/moderate/").status_code == 302


def test_an_admin_can_require_codes_of_a_moderator(app, client, login_as):
    admin = login_as(client, "admin")
    moderator = moderators.create("m@team.example", PASSWORD)
    page = client.get("/moderate/team")
    client.post(f"/moderate/team/{moderator.id}", data={**hidden_fields(page), "action": "require-code"})
    other = app.test_client()
    assert sign_in(other, "m@team.example", PASSWORD).headers["Location"] == "/moderate/sign-in/set-up-code"
    assert admin.id


def test_only_admins_see_the_audit_log_and_the_team(app, client, login_as):
    login_as(client, "moderator")
    for url in ("/moderate/audit", "/moderate/audit.csv", "/moderate/team"):
        assert client.get(url).status_code == 403
    admin = app.test_client()
    login_as(admin, "admin")
    for url in ("/moderate/audit", "/moderate/team"):
        assert admin.get(url).status_code == 200


def test_a_deactivated_moderator_is_signed_out_at_once(app, client, login_as):
    moderator = login_as(client)
    admin = app.test_client()
    login_as(admin, "admin")
    admin.post(f"/moderate/team/{moderator.id}", data={**hidden_fields(admin.get("/moderate/team")), "action": "deactivate"})
    assert client.get("/moderate/").status_code == 302
    assert sign_in(client, moderator.email, PASSWORD).status_code == 400


def test_an_admin_creates_an_account_with_a_first_password_shown_once(app, client, login_as):
    login_as(client, "admin")
    page = client.get("/moderate/team")
    created = client.post("/moderate/team", data={**hidden_fields(page), "email": "new@team.example", "role": "moderator"})
    assert created.status_code == 303 and "new@team.example" not in created.headers["Location"]
    shown = client.get(created.headers["Location"])
    password = re.search(r'<p class="secret" dir="ltr"><code>([^<]+)</code>', shown.get_data(as_text=True)).group(1)
    assert password not in client.get(created.headers["Location"], follow_redirects=True).get_data(as_text=True), "shown once"
    assert moderators.by_email("new@team.example").password_hash != password
    assert sign_in(app.test_client(), "new@team.example", password).status_code == 302


def test_an_account_created_to_use_codes_must_set_them_up_at_its_first_sign_in(app, client, login_as):
    admin = login_as(client, "admin")
    page = client.get("/moderate/team")
    data = {**hidden_fields(page), "email": "coded@team.example", "role": "moderator", "require_code": "y"}
    created = client.post("/moderate/team", data=data, follow_redirects=True)
    password = re.search(r'<p class="secret" dir="ltr"><code>([^<]+)</code>', created.get_data(as_text=True)).group(1)
    assert sign_in(app.test_client(), "coded@team.example", password).headers["Location"] == "/moderate/sign-in/set-up-code"
    account = moderators.by_email("coded@team.example")
    rows = db.session.execute(select(AuditEvent).where(AuditEvent.actor_id == admin.id).order_by(AuditEvent.id)).scalars().all()
    assert [(row.action, row.details) for row in rows][-2:] == [
        ("moderator:create", {"moderator_id": account.id, "role": "moderator"}),
        ("moderator:totp-require", {"moderator_id": account.id, "totp_required": "True"}),
    ]


def test_an_account_is_never_created_without_the_codes_it_was_created_to_need(app, login_as, client, monkeypatch):
    """Created and required in one transaction: a failure in between leaves no account that signs in without codes."""
    admin = login_as(client, "admin")
    real_record = moderators.audit.record

    def failing_record(actor, action, *args, **details):
        if action == "moderator:totp-require":
            raise RuntimeError("the database went away")
        return real_record(actor, action, *args, **details)

    monkeypatch.setattr(moderators.audit, "record", failing_record)
    with pytest.raises(RuntimeError):
        moderators.create_for_team("coded@team.example", role="moderator", require_totp=True, by=admin)
    db.session.rollback()
    assert moderators.by_email("coded@team.example") is None


# --- the queue -----------------------------------------------------------------------------------


def test_the_queue_lists_confirmed_letters_oldest_first_with_counts(client, login_as):
    login_as(client)
    first = make_letter(LetterStatus.PENDING, display_name="First In Line", language="en")
    second = make_letter(LetterStatus.PENDING, display_name="Second In Line", language="ar")
    make_letter(LetterStatus.UNCONFIRMED, display_name="Not Confirmed Yet")
    make_letter(LetterStatus.PUBLISHED)
    html = client.get("/moderate/").get_data(as_text=True)
    assert html.index(first.public_id) < html.index(second.public_id)
    assert "Not Confirmed Yet" not in html
    english_only = client.get("/moderate/?language=en").get_data(as_text=True)
    assert first.public_id in english_only and second.public_id not in english_only
    published = client.get("/moderate/?state=published").get_data(as_text=True)
    assert first.public_id not in published
    assert client.get("/moderate/?state=bogus").status_code == 400


def test_the_queue_pages_keep_the_chosen_state_and_language(app, client, login_as):
    app.config["QUEUE_PER_PAGE"] = 2
    login_as(client)
    waiting = [make_letter(LetterStatus.PENDING, language="en") for _ in range(3)]
    make_letter(LetterStatus.PENDING, language="he")
    first = client.get("/moderate/?language=en&lang=en").get_data(as_text=True)
    assert "Page 1 of 2" in first and 'rel="prev"' not in first
    (later,) = re.findall(r'<a rel="next" href="([^"]+)"', first)
    later = later.replace("&amp;", "&")
    assert "language=en" in later and "state=pending" in later and "page=2" in later
    second = client.get(later).get_data(as_text=True)
    assert waiting[2].public_id in second and waiting[0].public_id not in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def count_queries(app, client, url: str) -> int:
    statements = []
    engine = db.engine

    def before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])


def test_the_queue_costs_the_same_number_of_queries_whatever_the_page_size(app, client, login_as):
    login_as(client)
    for _ in range(30):
        make_letter(LetterStatus.PENDING)
    app.config["QUEUE_PER_PAGE"] = 5
    small = count_queries(app, client, "/moderate/")
    app.config["QUEUE_PER_PAGE"] = 30
    large = count_queries(app, client, "/moderate/")
    assert small == large <= 5


# --- the review page and decisions ---------------------------------------------------------------


def test_the_review_page_shows_the_letter_as_published_with_private_details(client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="ar", contact_email="private.author@mail.example")
    page = page_of(client.get(f"/moderate/letters/{letter.public_id}"))
    article = page.find("article")[0]
    assert (article["lang"], article["dir"]) == ("ar", "rtl")
    assert "private.author@mail.example" in page.visible_text


def test_possible_duplicates_are_pointed_out(client, login_as):
    login_as(client)
    original = make_letter(LetterStatus.PUBLISHED, display_name="Noa Cohen", language="en",
                           body_text="I will not report for reserve duty this year. " * 5)
    same_name = make_letter(LetterStatus.PENDING, display_name="  noa   COHEN ", language="en", body_text="Something else entirely, about other things.")
    same_text = make_letter(LetterStatus.PENDING, display_name="Dana Levi", language="en",
                            body_text=("I will not report for reserve duty this year. " * 5).replace("year", "year!"))
    unrelated = make_letter(LetterStatus.PENDING, display_name="Someone Else", language="en", body_text="A different letter with different words in it.")
    assert original.public_id in client.get(f"/moderate/letters/{same_name.public_id}").get_data(as_text=True)
    assert original.public_id in client.get(f"/moderate/letters/{same_text.public_id}").get_data(as_text=True)
    assert original.public_id not in client.get(f"/moderate/letters/{unrelated.public_id}").get_data(as_text=True)


def review_forms(client, letter):
    return hidden_fields(client.get(f"/moderate/letters/{letter.public_id}"))


def test_approving_publishes_and_counts_with_the_moderator_on_record(client, login_as):
    moderator = login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    response = client.post(f"/moderate/letters/{letter.public_id}/approve", data=review_forms(client, letter))
    assert response.status_code == 303
    assert client.get("/api/v1/count").json["count"] == 1
    row = db.session.execute(select(AuditEvent).where(AuditEvent.action == "letter:publish")).scalar_one()
    assert row.actor_id == moderator.id and row.hash_after == letter.content_hash


def test_rejecting_needs_a_reason_that_reaches_the_author_in_their_language(client, app, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="ar")
    empty = client.post(f"/moderate/letters/{letter.public_id}/reject", data={**review_forms(client, letter), "reason": "  "})
    assert empty.status_code == 400
    db.session.rollback()
    assert db.session.get(Letter, letter.id).status == LetterStatus.PENDING
    reason = "<b>Not verifiable</b> <script>alert(1)</script>"
    done = client.post(f"/moderate/letters/{letter.public_id}/reject", data={**review_forms(client, letter), "reason": reason, "confirmed": "yes"})
    assert done.status_code == 303
    (message,) = outbox(app)
    assert message["To"] == letter.contact_email and message["Content-Language"] == "ar"
    assert "Not verifiable" in message.get_content()
    history = client.get(f"/moderate/letters/{letter.public_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in history and "&lt;script&gt;" in history


@pytest.mark.parametrize("at", ["", "yesterday", "2026-13-45T99:99", "2000-01-01T10:00"])
def test_a_schedule_in_the_past_or_unparseable_is_refused(client, login_as, at):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    response = client.post(f"/moderate/letters/{letter.public_id}/schedule", data={**review_forms(client, letter), "at": at})
    assert response.status_code == 400
    db.session.rollback()
    assert db.session.get(Letter, letter.id).status == LetterStatus.PENDING


def test_an_embargoed_letter_appears_and_is_counted_at_its_moment_by_itself(client, login_as):
    moderator = login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jerusalem"))
    response = client.post(
        f"/moderate/letters/{letter.public_id}/schedule",
        data={**review_forms(client, letter), "at": tomorrow.strftime("%Y-%m-%dT%H:%M")},
    )
    assert response.status_code == 303
    assert client.get("/api/v1/count").json["count"] == 0
    assert client.get(f"/letters/{letter.public_id}").status_code == 404
    # Move the embargo into the past, as time passing would (the domain refuses past times).
    moment = utcnow() - timedelta(seconds=1)
    letters.unschedule(db.session.get(Letter, letter.id), by=moderator)
    letters.schedule(db.session.get(Letter, letter.id), by=moderator, at=moment, now=moment - timedelta(minutes=1))
    assert client.get("/api/v1/count").json["count"] == 1
    assert client.get(f"/letters/{letter.public_id}").status_code == 200
    db.session.rollback()
    published = db.session.get(Letter, letter.id)
    assert published.status == LetterStatus.PUBLISHED and published.published_at == moment.replace(microsecond=moment.microsecond)
    assert tally.check() == []


def test_an_author_told_when_their_letter_goes_out_is_told_when_that_is_lifted(app, client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING, language="ar")
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Jerusalem"))
    scheduled = client.post(f"/moderate/letters/{letter.public_id}/schedule", data={**review_forms(client, letter), "at": tomorrow.strftime("%Y-%m-%dT%H:%M")})
    assert scheduled.status_code == 303
    db.session.rollback()
    lifted = client.post(f"/moderate/letters/{letter.public_id}/unschedule", data=review_forms(client, db.session.get(Letter, letter.id)))
    assert lifted.status_code == 303
    told, untold = outbox(app)
    assert told["To"] == untold["To"] == letter.contact_email and untold["Content-Language"] == "ar"
    assert "لن تُنشر في الموعد" in untold["Subject"]
    body = untold.get_content()
    assert "ليست منشورة" in body and "/my-letter/" in body
    assert client.get(f"/letters/{letter.public_id}").status_code == 404


def test_lifting_an_embargo_tells_no_one_whose_address_is_erased(app, client, login_as):
    moderator = login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    letters.schedule(db.session.get(Letter, letter.id), by=moderator, at=utcnow() + timedelta(days=1))
    db.session.get(Letter, letter.id).contact_email = None
    db.session.commit()
    before = len(outbox(app))
    letters.unschedule(db.session.get(Letter, letter.id), by=moderator)
    assert len(outbox(app)) == before
    assert db.session.get(Letter, letter.id).status == LetterStatus.PENDING


def test_two_moderators_deciding_at_once_the_second_is_refused(app, client, login_as):
    login_as(client)
    other = app.test_client()
    login_as(other)
    letter = make_letter(LetterStatus.PENDING)
    mine, theirs = review_forms(client, letter), review_forms(other, letter)
    assert client.post(f"/moderate/letters/{letter.public_id}/approve", data=mine).status_code == 303
    late = other.post(f"/moderate/letters/{letter.public_id}/reject", data={**theirs, "reason": "no", "confirmed": "yes"}, headers={"Accept-Language": "en"})
    assert late.status_code == 409 and "changed since you loaded it" in late.get_data(as_text=True)
    again = other.post(f"/moderate/letters/{letter.public_id}/approve", data=theirs)
    assert again.status_code == 409
    assert client.get("/api/v1/count").json["count"] == 1
    assert tally.check() == []


def test_a_decision_on_a_letter_no_longer_pending_or_gone_is_refused(client, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    forms = review_forms(client, letter)
    letters.withdraw(letter)
    assert client.post(f"/moderate/letters/{letter.public_id}/approve", data=forms).status_code == 409
    assert client.post("/moderate/letters/AAAAAAAAAAAAAAAA/approve", data=forms).status_code == 404
    assert client.get("/api/v1/count").json["count"] == 0


def test_a_correction_keeps_every_earlier_version_and_shows_at_once(client, login_as):
    login_as(client, "admin")  # the name changes: an admin's correction
    letter = make_letter(LetterStatus.PUBLISHED, display_name="Noa Kohen", language="en", body_text="I refuze to serve.")
    original_hash = letter.content_hash
    client.get(f"/letters/{letter.public_id}")
    form = hidden_fields(client.get(f"/moderate/letters/{letter.public_id}/edit"))
    data = {**form, "display_name": "Noa Cohen", "descriptor": "", "title": "", "body": "I refuse to serve. <script>x</script>", "reason": "typos"}
    assert client.post(f"/moderate/letters/{letter.public_id}/edit", data=data).status_code == 303
    public = client.get(f"/letters/{letter.public_id}").get_data(as_text=True)
    assert "Noa Cohen" in public and "I refuse to serve." in public and "<script>x" not in public
    review = client.get(f"/moderate/letters/{letter.public_id}").get_data(as_text=True)
    assert "Noa Kohen" in review and "I refuze to serve." in review
    row = db.session.execute(select(AuditEvent).where(AuditEvent.action == "letter:edit")).scalar_one()
    assert row.hash_before == original_hash and row.hash_after == letter.content_hash != original_hash and row.reason == "typos"


def test_unpublishing_lowers_the_count_and_tells_the_author(client, app, login_as):
    login_as(client)
    letter = make_letter(LetterStatus.PUBLISHED)
    response = client.post(f"/moderate/letters/{letter.public_id}/unpublish", data={**review_forms(client, letter), "reason": "the author asked by phone", "confirmed": "yes"})
    assert response.status_code == 303
    assert client.get("/api/v1/count").json["count"] == 0
    assert "the author asked by phone" in outbox(app)[0].get_content()


def test_taking_down_a_letter_whose_address_was_erased_says_the_author_was_not_told(client, app, login_as, runner):
    login_as(client)
    letter = make_letter(LetterStatus.PUBLISHED)
    assert runner.invoke(args=["erase-contacts", "--days", "0"]).exit_code == 0
    letter = db.session.get(Letter, letter.id)
    response = client.post(f"/moderate/letters/{letter.public_id}/unpublish", data={**review_forms(client, letter), "reason": "old", "confirmed": "yes"},
                           headers={"Accept-Language": "en"}, follow_redirects=True)
    assert "address has been erased" in response.get_data(as_text=True)
    assert outbox(app) == []


# --- the audit log -------------------------------------------------------------------------------


def test_admins_filter_and_download_the_audit_log_and_the_export_is_recorded(client, login_as):
    admin = login_as(client, "admin")
    letter = make_letter(LetterStatus.PENDING, display_name="=HYPERLINK(evil)")
    letters.publish(letter, by=admin)
    page = client.get("/moderate/audit?action=letter:publish").get_data(as_text=True)
    assert letter.public_id in page and "letter:confirm</code>" not in page
    response = client.get(f"/moderate/audit.csv?letter={letter.public_id}")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:3] == ["id", "at", "action"]
    assert {r[2] for r in rows[1:]} == {"letter:submit", "letter:confirm", "letter:publish"}
    assert db.session.execute(select(AuditEvent).where(AuditEvent.action == "audit:export")).scalar_one().actor_id == admin.id
    for bad in ("?action=nope", "?since=yesterday", "?moderator=x", "?letter=%3Cscript%3E"):
        assert client.get("/moderate/audit" + bad).status_code == 400


def test_nothing_in_the_web_interface_can_change_an_audit_row(app):
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_moderator_addresses_never_reach_the_public(client, login_as):
    moderator = login_as(client)
    letter = make_letter(LetterStatus.PENDING)
    client.post(f"/moderate/letters/{letter.public_id}/approve", data=review_forms(client, letter))
    for url in ("/", "/letters", f"/letters/{letter.public_id}", "/feed.atom", f"/api/v1/letters/{letter.public_id}"):
        assert moderator.email not in client.get(url).get_data(as_text=True)
