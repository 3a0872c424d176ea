"""Reading pages and mail the way a person would: forms with their hidden fields, links in messages."""

import email
import re
import time
from email.message import EmailMessage
from email.policy import default
from html.parser import HTMLParser
from pathlib import Path


class Page(HTMLParser):
    """The elements of a page, with their attributes, and its visible text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self._textarea: str | None = None
        self.textareas: dict[str, str] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag == "textarea":
            self._textarea = dict(attrs).get("name")
            self.textareas[self._textarea] = ""

    def handle_endtag(self, tag) -> None:
        if tag == "textarea":
            self._textarea = None

    def handle_data(self, data) -> None:
        self.text.append(data)
        if self._textarea:
            self.textareas[self._textarea] += data

    def find(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def value(self, name: str) -> str | None:
        if name in self.textareas:
            # As browsers do: one newline right after <textarea> is not part of the value.
            value = self.textareas[name].replace("\r\n", "\n")
            return value[1:] if value.startswith("\n") else value
        inputs = self.find("input", name=name)
        return inputs[0].get("value") if inputs else None

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def over_the_limit(limit) -> str:
    """A text of short words, longer than `limit` characters."""
    return ("אב " * int(limit))[: int(limit) + 10].strip()


def page_of(response) -> Page:
    return Page(response.get_data(as_text=True))


def hidden_fields(response) -> dict[str, str]:
    """The hidden inputs of the page's forms (CSRF token, submission key)."""
    return {a["name"]: a.get("value", "") for a in page_of(response).find("input", type="hidden")}


def outbox(app) -> list[EmailMessage]:
    folder = Path(app.instance_path) / "outbox"
    if not folder.exists():
        return []
    messages = []
    for path in sorted(folder.glob("*.eml")):
        with open(path, "rb") as f:
            messages.append(email.message_from_binary_file(f, policy=default))
    return messages


def delivered(app, count: int = 1, timeout: float = 15) -> list[EmailMessage]:
    """The outbox once it holds `count` messages. Over real HTTP (a browser), mail is written after
    the response, so it may land a moment after the next page has loaded."""
    deadline = time.monotonic() + timeout
    while len(messages := outbox(app)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return messages


def links_in(message: EmailMessage, site: str = "https://refusers.example") -> list[str]:
    return re.findall(re.escape(site) + r"/[^\s]+", message.get_content())


def path_of(url: str, site: str = "https://refusers.example") -> str:
    return url[len(site):]
