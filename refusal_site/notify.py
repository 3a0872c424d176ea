"""What authors are told by mail: their links, and a moderator's decision with its reason."""

from . import mail, tokens
from .http import site_url
from .models import Letter, LetterStatus


def author_links(letter: Letter) -> dict[str, str]:
    """The author's private page, and while unconfirmed the confirmation page, as absolute links."""
    links = {"manage_url": site_url("submit.manage", token=tokens.make(tokens.Purpose.MANAGE, letter))}
    if letter.status == LetterStatus.UNCONFIRMED:
        links["confirm_url"] = site_url("submit.confirm", token=tokens.make(tokens.Purpose.CONFIRM, letter))
    return links


def send_links(letter: Letter, template: str = "confirm") -> bool:
    """Mail the author their links; False (the letter is kept) when the mail could not go out."""
    try:
        mail.send(template, letter.contact_email, language=letter.language, letter=letter, **author_links(letter))
    except mail.MailError:
        return False
    return True


def tell_decision(letter: Letter, template: str, reason: str) -> bool:
    """Tell the author a moderator's decision and its reason, in the letter's language."""
    if not letter.contact_email:
        return False
    manage_url = author_links(letter)["manage_url"]
    try:
        mail.send(template, letter.contact_email, language=letter.language, letter=letter, reason=reason, manage_url=manage_url)
    except mail.MailError:
        return False
    return True
