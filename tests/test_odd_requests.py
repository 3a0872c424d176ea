"""Odd query strings and form bodies, thrown at every route by hypothesis, on both databases: an answer
every time, never a 5xx, for a visitor and for a signed-in admin."""

import io
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from refusal_site import contact, tokens
from refusal_site.compilation import worker
from tests.factories import make_collective, make_letter
from tests.pages import hidden_fields

# Names the site's forms and lists read, and some they do not.
NAMES = [
    "page", "language", "since", "until", "lang", "next", "q", "state", "letter", "action", "moderator", "confirmed",
    "display_name", "descriptor", "title", "body", "contact_email", "consent_name", "consent_public", "collective",
    "website", "submission_key", "email", "password", "code", "reason", "at", "understood", "selected", "decision",
    "scope", "revision", "role", "require_code", "current", "new", "csrf_token", "x",
]  # fmt: skip
ODD = [
    "", "\x00", "a\x00b", "\r\n", "x\r\nSet-Cookie: a=b", "0001-01-01", "9999-12-31", "2026-W01-1", "-1", "0", "99999999999999999999",
    "//evil.example", "\\\\evil.example", "/moderate/\r\n", "%00", "‮", "𝔘", "\ud7ff", "\ufeff", "א" * 300, "1e309", "nan",
    "https://evil.example/", "javascript:alert(1)", "<em>" * 300, "he", "ar", "en", "xx", "selected", "shown", "approve",
]  # fmt: skip
texts = st.one_of(st.sampled_from(ODD), st.text(max_size=40), st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=20))
pairs = st.lists(st.tuples(st.one_of(st.sampled_from(NAMES), st.text(max_size=8)), texts), max_size=6)


# Each example sends one request to every route: few examples, and no shrinking (the failing request
# is in the assertion's message already).
ODD_SETTINGS = dict(max_examples=8, deadline=None, database=None, phases=[Phase.generate],
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def encode(pairs: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


def multipart(pairs: list[tuple[str, str]], as_files: list[bool]) -> dict:
    """Form fields, some sent as file parts (as a tool can, and a browser would for a file input)."""
    data = {}
    for (name, value), as_file in zip(pairs, as_files, strict=True):
        data[name] = (io.BytesIO(value.encode("utf-8", "surrogatepass")), "a.txt") if as_file else value
    return data


@pytest.fixture
def odd_app(app, monkeypatch):
    app.config.update(RATELIMIT_ENABLED=False)
    monkeypatch.setattr(worker, "_spawn", lambda *a: None)  # range builds start no process here
    return app


@pytest.fixture
def routes(odd_app):
    """Every route with real values in its address: a published collective letter, live private links."""
    letter = make_collective(language="en")
    pending = make_letter(status="pending")
    from refusal_site import signatures

    signature = signatures.sign(letter, display_name="Dana Katz", descriptor=None, contact_email="dana@private.example",
                                submission_key="k" * 20)  # fmt: skip
    from refusal_site import moderators

    other = moderators.create("other@team.example", "another long password")
    message = contact.receive(kind="press", name="Dana Katz", reply_email="dana@press.example", body="A question.", language="en")
    values = {
        "public_id": letter.public_id, "moderator_id": str(other.id),
        "token": tokens.make(tokens.Purpose.MANAGE, pending), "filename": "css/site.css",
        "message_id": str(message.id), "mark": "handled", "slug": "about", "language": "he",
        "number": "1", "fingerprint": "0", "kind": "letters", "form": "csv", "reason_id": "1", "preview_id": "1",
    }  # fmt: skip
    signature_token = tokens.make(tokens.Purpose.SIGNATURE_CONFIRM, signature)
    found = []
    for rule in odd_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for name in rule.arguments:
            value = signature_token if "signature" in rule.endpoint and name == "token" else values[name]
            path = re.sub(rf"<(?:[^<>]*:)?{name}>", value, path)  # <name>, <int:name>, <any(a, b):name>
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


def ask(client, method: str, path: str, query: list, form: list, as_files: list[bool], multipart_body: bool):
    """The request, with the session's real CSRF token, so that forms get as far as reading their fields."""
    url = path + ("?" + encode(query) if query else "")
    form, as_files = [*form, ("csrf_token", client.csrf_token)], [*as_files, False]
    if method == "GET":
        return client.get(url)
    if multipart_body:
        return client.post(url, data=multipart(form, as_files), content_type="multipart/form-data")
    return client.post(url, data=encode(form), content_type="application/x-www-form-urlencoded")


def check(client, routes, data) -> None:
    """One odd request to each route."""
    client.csrf_token = hidden_fields(client.get("/submit/resend"))["csrf_token"]
    for method, path in routes:
        query, form = data.draw(pairs), data.draw(pairs)
        as_files = data.draw(st.lists(st.booleans(), min_size=len(form), max_size=len(form)))
        response = ask(client, method, path, query, form, as_files, data.draw(st.booleans()))
        assert response.status_code < 500, (method, path, query, form, response.status_code)
        assert b"Traceback" not in response.data


@settings(**ODD_SETTINGS)
@given(data=st.data())
def test_a_visitor_never_gets_a_server_error(client, routes, data):
    check(client, routes, data)


def test_a_head_request_is_answered_as_its_get(client, routes):
    """A link checker or a messenger's preview asks with HEAD: it must get what GET gets, not a form's
    error (a page that answered HEAD with 400 looked broken to them)."""
    for path in sorted({path for method, path in routes if method == "GET"}):
        head = client.head(path)
        assert head.status_code == client.get(path).status_code, path
        assert head.data == b"", path


@pytest.fixture
def admin(odd_app, login_as):
    client = odd_app.test_client()
    login_as(client, role="admin")
    return client


@settings(**ODD_SETTINGS)
@given(data=st.data())
def test_an_admin_never_gets_a_server_error(admin, routes, data):
    check(admin, [(method, path) for method, path in routes if path != "/moderate/sign-out"], data)
    assert admin.get("/moderate/").status_code == 200, "still signed in: the odd requests reached the admin's pages"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/moderate/sign-in", "email=a%00b%40team.example&password=x"),
        ("POST", "/submit/resend", "contact_email=a%00%40b.example"),
        ("GET", "/press/letters.pdf?since=0001-01-01", None),
        ("GET", "/press/letters.pdf?until=9999-12-31", None),
        ("GET", "/letters?language=he%00", None),
    ],
)
def test_the_testers_requests_get_a_clear_answer(odd_app, client, method, path, body):
    make_letter(language="he")
    if body:
        body += "&csrf_token=" + hidden_fields(client.get(path))["csrf_token"]
    response = client.open(path, method=method, data=body, content_type="application/x-www-form-urlencoded", headers={"Accept-Language": "en"})
    assert response.status_code < 500
    if "%00" in path or "sign-in" in path:
        assert response.status_code == 400 and "invisible" in response.get_data(as_text=True)


def test_a_text_field_sent_as_a_file_is_refused_on_every_form(odd_app, client, routes):
    token = hidden_fields(client.get("/submit/resend"))["csrf_token"]
    for method, path in routes:
        if method != "POST":
            continue
        data = {"csrf_token": token, "display_name": (io.BytesIO(b"Noa"), "name.txt")}
        response = client.post(path, data=data, content_type="multipart/form-data",
                               headers={"Accept-Language": "en"})  # fmt: skip
        assert response.status_code == 400 and "This form takes no files" in response.get_data(as_text=True), path
