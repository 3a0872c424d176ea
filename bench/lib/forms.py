"""The site's forms as a client fills them in: the letter form, hidden fields, a browser."""

from __future__ import annotations

import hashlib
import http.client
import re
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from werkzeug.test import encode_multipart

LETTER_5KB = ("אני מסרב לשרת במילואים. זו החלטה שקיבלתי אחרי מחשבה ארוכה, ואני כותב אותה בשמי המלא. " * 40).strip()
# A moderator's password long enough for the site's rules.
PASSWORD = "bench password that is long"
# What a request can fail with on the client's side (refused, reset, timed out, garbled).
CLIENT_ERRORS = (OSError, http.client.HTTPException, ValueError)

TOKENS = re.compile(r'<input[^>]*name="(csrf_token|submission_key)"[^>]*value="([^"]*)"')
HIDDEN_INPUT = re.compile(
    r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"|<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"'
)
INPUT_VALUE = re.compile(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"')
LETTER_FORM = re.compile(r'<form[^>]*class="letter-form"[^>]*>')
ENCTYPE = re.compile(r'enctype="([^"]+)"')


def tokens(html: str) -> dict[str, str]:
    """The CSRF token and the submission key a page's form carries."""
    return dict(TOKENS.findall(html))


def hidden_fields(html: str) -> dict[str, str]:
    """Every hidden input of `html`, by name."""
    return {a or c: b or d for a, b, c, d in HIDDEN_INPUT.findall(html)}


def input_values(html: str) -> dict[str, str]:
    """Every named input of `html` that has a value (hidden or not), by name."""
    return dict(INPUT_VALUE.findall(html))


class Browser:
    """One client on a keep-alive connection: fetch the form, post it, like a person would."""

    def __init__(self, base: str) -> None:
        self.address = urlsplit(base).netloc
        self.connection = http.client.HTTPConnection(self.address, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | bytes | None = None,
                content_type: str = "application/x-www-form-urlencoded") -> http.client.HTTPResponse:  # fmt: skip
        headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in self.cookies.items())} if self.cookies else {}
        if body is not None:
            headers["Content-Type"] = content_type
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection(self.address, timeout=30)
            raise
        # Every cookie the site sets (the session, and a moderator's known-browser mark), as a browser keeps them.
        for set_cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, value = set_cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value
        return response

    def submit(self, name: str) -> bool:
        """True only when the site acknowledged the letter (303 to the 'check your mail' page)."""
        return acknowledged(self.post_letter(name))

    def post_letter(self, name: str) -> http.client.HTTPResponse:
        """Fetch the form and post a letter signed `name`; the answer to the post, its body read."""
        html = self.request("GET", "/submit?lang=he").read().decode()
        # An address per letter, as real authors have: one address would meet the per-recipient mail limit.
        address = f"bench-{hashlib.sha256(name.encode()).hexdigest()[:12]}@private.example"
        response = self.request("POST", "/submit", *letter_form(html, name, address))
        response.read()
        return response


def letter_form(html: str, name: str, email: str) -> tuple[bytes, str]:
    """The letter form of the page `html`, filled in and encoded as its enctype says (as a browser does)."""
    form = LETTER_FORM.search(html)
    enctype = ENCTYPE.search(form[0]) if form else None
    fields = {
        **tokens(html),
        "display_name": name,
        "language": "he",
        "body": LETTER_5KB[:2000],
        "contact_email": email,
        "consent_name": "y",
        "consent_public": "y",
    }
    if enctype and enctype[1] == "multipart/form-data":
        boundary, body = encode_multipart(fields)
        return body, f"multipart/form-data; boundary={boundary}"
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def acknowledged(response: http.client.HTTPResponse) -> bool:
    return response.status == 303 and "/submit/sent" in (response.getheader("Location") or "")


@dataclass
class Outcome:
    acknowledged: list[str] = field(default_factory=list)
    failed: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def run_submissions(base: str, names: list[str], threads: int, on_progress=None) -> tuple[Outcome, float]:
    outcome = Outcome()
    queue = iter(names)
    queue_lock = threading.Lock()

    def client() -> None:
        browser = Browser(base)
        while True:
            with queue_lock:
                name = next(queue, None)
            if name is None:
                return
            try:
                ok = browser.submit(name)
            except (http.client.HTTPException, OSError):
                ok = False
            with outcome.lock:
                if ok:
                    outcome.acknowledged.append(name)
                else:
                    outcome.failed += 1
                done = len(outcome.acknowledged)
            if on_progress:
                on_progress(done)

    workers = [threading.Thread(target=client) for _ in range(threads)]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcome, time.perf_counter() - started
