"""What authors and co-signers are told by mail: their links, and a moderator's decision with its reason.

Each message is queued inside the write transaction of the change that causes it (see mail.queue),
in the letter's language; the queue_* functions are called from within that transaction.

Anyone can type any address into a form, so a message to an address that has not confirmed
anything (links, confirmations, sign-again notices) repeats nothing a stranger typed: no name, no
title, no text; the private page it links to shows them. Messages to a letter's confirmed author
(a decision, a correction) quote the letter through `unlinked`, which no mail client makes a link of.
"""

import difflib
from collections.abc import Sequence

from flask_babel import lazy_gettext as _l

from . import mail, tokens
from .languages import LANGUAGE_NAMES_IN_TEXT
from .models import AuthorTranslation, Letter, LetterStatus, Signature, SignatureStatus, Translation
from .urls import site_url


def author_links(letter: Letter) -> dict[str, str]:
    """The author's private page, and while unconfirmed the confirmation page, as absolute links."""
    links = {"manage_url": site_url("submit.manage", token=tokens.make(tokens.Purpose.MANAGE, letter))}
    if letter.status == LetterStatus.UNCONFIRMED:
        links["confirm_url"] = site_url("submit.confirm", token=tokens.make(tokens.Purpose.CONFIRM, letter))
    return links


def queue_links(letter: Letter, template: str = "confirm") -> None:
    """Mail the author their links (in the caller's transaction)."""
    mail.queue(template, letter.contact_email, language=letter.language, about=letter, letter=letter, **author_links(letter))


def queue_decision(letter: Letter, template: str, reason: str) -> bool:
    """Tell the author a moderator's decision and its reason (in the caller's transaction); False when
    there is no address to tell (erased after the retention period)."""
    if not letter.contact_email:
        return False
    manage_url = author_links(letter)["manage_url"]
    mail.queue(template, letter.contact_email, language=letter.language, about=letter, letter=letter, reason=reason, manage_url=manage_url)
    return True


def queue_publication(letter: Letter, template: str = "published") -> bool:
    """Tell the author their letter is public ("published") or approved to be at a set time
    ("scheduled"), with its public link to share (in the caller's transaction); False when there is
    no address to tell."""
    if not letter.contact_email:
        return False
    mail.queue(
        template, letter.contact_email, language=letter.language, about=letter, letter=letter,
        public_url=site_url("public.letter", public_id=letter.public_id), manage_url=author_links(letter)["manage_url"],
    )  # fmt: skip
    return True


def signer_links(signature: Signature) -> dict[str, str]:
    """The co-signer's private page, and while unconfirmed the confirmation page, as absolute links."""
    links = {"manage_url": site_url("submit.signature", token=tokens.make(tokens.Purpose.SIGNATURE_MANAGE, signature))}
    if signature.status == SignatureStatus.UNCONFIRMED:
        links["confirm_url"] = site_url("submit.confirm_signature", token=tokens.make(tokens.Purpose.SIGNATURE_CONFIRM, signature))
    return links


def queue_signer_links(signature: Signature, template: str = "sign_confirm") -> None:
    """Mail the co-signer their links, in the letter's language (in the caller's transaction)."""
    if not signature.contact_email:
        return
    letter = signature.letter
    mail.queue(
        template, signature.contact_email, language=letter.language, about=signature,
        letter=letter, signature=signature, **signer_links(signature),
    )  # fmt: skip


def queue_signature_published(signature: Signature) -> bool:
    """Tell the co-signer their signature is shown under the letter, with the letter's public link
    (in the caller's transaction); False when there is no address to tell."""
    if not signature.contact_email:
        return False
    letter = signature.letter
    mail.queue(
        "signature_published", signature.contact_email, language=letter.language, about=signature, letter=letter,
        signature=signature, public_url=site_url("public.letter", public_id=letter.public_id), manage_url=signer_links(signature)["manage_url"],
    )  # fmt: skip
    return True


def queue_team_change(template: str, changed: Sequence[Letter | Signature], reason: str | None = None) -> int:
    """Tell each person whose letters or signatures the team just hid, showed again or took down
    (`template`: letter_hidden, letter_shown, signature_hidden, signature_shown or
    signature_unpublished) what changed, in the caller's transaction: one mail per mailbox
    (mail.recipient_key) whatever how many of theirs one action changed, in the language of the
    first one's letter, with each one's private link and, on their own page, public link; nobody
    whose address was erased. Return how many mails were queued."""
    by_mailbox: dict[str, list[Letter | Signature]] = {}
    for row in changed:
        if row.contact_email:
            by_mailbox.setdefault(mail.recipient_key(row.contact_email), []).append(row)
    for rows in by_mailbox.values():
        items = [_changed_item(row) for row in rows]
        first = rows[0]
        mail.queue(template, first.contact_email, language=items[0]["letter"].language, about=first, items=items, reason=reason)
    return len(by_mailbox)


def _changed_item(row: Letter | Signature) -> dict:
    """What a mail about a team's change says of one letter or signature: its letter, its private
    page, and the letter's public page while it is public."""
    if isinstance(row, Signature):
        letter, manage_url = row.letter, signer_links(row)["manage_url"]
    else:
        letter, manage_url = row, author_links(row)["manage_url"]
    public = letter.status == LetterStatus.PUBLISHED
    return {
        "letter": letter, "signature": row if isinstance(row, Signature) else None, "manage_url": manage_url,
        "public_url": site_url("public.letter", public_id=letter.public_id) if public else None,
    }  # fmt: skip


# What each corrected field is called in the author's mail.
FIELD_LABELS = {"display_name": _l("Name"), "descriptor": _l("Rank, unit or role"), "title": _l("Title")}


def queue_correction(letter: Letter, before: dict[str, str | None], reason: str) -> bool:
    """Tell the author what a moderator changed in their letter (each field before and after, the
    text as a diff) and why (in the caller's transaction); False when there is no address to tell."""
    if not letter.contact_email:
        return False
    changes = [
        (field, before[field] or "", getattr(letter, field) or "")
        for field in FIELD_LABELS
        if (before[field] or "") != (getattr(letter, field) or "")
    ]
    diff = difflib.unified_diff(before["body_text"].splitlines(), letter.body_text.splitlines(), lineterm="", n=1)
    # Without the two file-name lines and the blank lines between paragraphs; a hunk's line numbers
    # mean nothing to an author.
    text_diff = ["…" if line.startswith("@@") else line for line in list(diff)[2:] if line.strip()]
    mail.queue(
        "corrected", letter.contact_email, language=letter.language, about=letter, letter=letter, reason=reason,
        changes=changes, text_diff=text_diff, field_labels=FIELD_LABELS, manage_url=author_links(letter)["manage_url"],
    )  # fmt: skip
    return True


def queue_translation(translation: Translation) -> bool:
    """Send the author the team's translation in full, in the letter's language, with the link to the
    private page where they approve it or send it back (in the caller's transaction); False when
    there is no address to send it to."""
    letter = translation.letter
    if not letter.contact_email:
        return False
    mail.queue(
        "translation", letter.contact_email, language=letter.language, about=letter, letter=letter, translation=translation,
        language_names=LANGUAGE_NAMES_IN_TEXT, manage_url=author_links(letter)["manage_url"],
    )  # fmt: skip
    return True


def queue_translation_review(letter: Letter, to_review: list[Translation], made_before: list[Translation]) -> None:
    """Tell the author that a correction of the original sent `to_review` back to their review, and
    each member of the team who wrote one of `made_before` (those and the team's unsent ones) that
    the original changed under it (in the caller's transaction)."""
    if to_review and letter.contact_email:
        mail.queue(
            "translation_review", letter.contact_email, language=letter.language, about=letter, letter=letter, translations=to_review,
            language_names=LANGUAGE_NAMES_IN_TEXT, manage_url=author_links(letter)["manage_url"],
        )  # fmt: skip
    for translation in made_before:
        writer = translation.written_by
        if writer is not None and writer.is_active:
            mail.queue(
                "translation_review_team", writer.email, language=translation.language, about=letter, translation=translation,
                language_names=LANGUAGE_NAMES_IN_TEXT,
                edit_url=site_url("moderate.translation", public_id=letter.public_id, language=translation.language),
            )  # fmt: skip


def queue_translation_returned(mine: AuthorTranslation) -> bool:
    """Tell the author that the team did not publish the translation they wrote, with the team's
    reason, in the letter's language, and the link to the private page where they correct it and
    send it again (in the caller's transaction); False when there is no address to tell."""
    letter = mine.letter
    if not letter.contact_email:
        return False
    mail.queue(
        "translation_returned", letter.contact_email, language=letter.language, about=letter, letter=letter, translation=mine,
        reason=mine.team_reason, language_names=LANGUAGE_NAMES_IN_TEXT, manage_url=author_links(letter)["manage_url"],
    )  # fmt: skip
    return True
