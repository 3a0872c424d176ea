"""Share links without trackers: each service's public share address, opened by the reader's own
click. Nothing of theirs is loaded on our pages (no script, no image, no frame), so a reader who
does not click tells them nothing."""

from urllib.parse import quote, urlencode

# The services' documented share addresses. A service not in this list is not offered.
SERVICES = (
    ("whatsapp", "WhatsApp", lambda url, text: "https://wa.me/?" + urlencode({"text": f"{text}\n{url}"}, quote_via=quote)),
    ("telegram", "Telegram", lambda url, text: "https://t.me/share/url?" + urlencode({"url": url, "text": text}, quote_via=quote)),
    ("x", "X", lambda url, text: "https://x.com/intent/post?" + urlencode({"url": url, "text": text}, quote_via=quote)),
    ("facebook", "Facebook", lambda url, text: "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}, quote_via=quote)),
)


def share_links(url: str, text: str, mail_subject: str) -> list[tuple[str, str, str]]:
    """(key, the service's name, the address) for each service, and e-mail last."""
    links = [(key, name, make(url, text)) for key, name, make in SERVICES]
    mail = "mailto:?" + urlencode({"subject": mail_subject, "body": f"{text}\n{url}"}, quote_via=quote)
    return links + [("email", "", mail)]
