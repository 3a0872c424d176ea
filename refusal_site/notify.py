"""What authors are told by mail: their links, and a moderator's decision with its reason."""

from . import mail, tokens
from .http import site_url
from .models import Letter, LetterStatus, Signature, SignatureStatus


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


def signer_links(signature: Signature) -> dict[str, str]:
    """The co-signer's private page, and while unconfirmed the confirmation page, as absolute links."""
    links = {"manage_url": site_url("submit.signature", token=tokens.make(tokens.Purpose.SIGNATURE_MANAGE, signature))}
    if signature.status == SignatureStatus.UNCONFIRMED:
        links["confirm_url"] = site_url("submit.confirm_signature", token=tokens.make(tokens.Purpose.SIGNATURE_CONFIRM, signature))
    return links


def send_signer_links(signature: Signature, template: str = "sign_confirm") -> bool:
    """Mail the co-signer their links, in the letter's language; False when the mail could not go out.

    The "sign_again" template tells an address that already signed: nobody learns from the web page
    whether an address had signed, and no second signature is made."""
    if not signature.contact_email:
        return False
    letter = signature.letter
    try:
        mail.send(template, signature.contact_email, language=letter.language, letter=letter, signature=signature, **signer_links(signature))
    except mail.MailError:
        return False
    return True
