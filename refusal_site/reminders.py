"""Mailing an address, on request, the links of everything it has sent that can still be acted on.

It sits above letters and signatures (it asks both) and queues through notify, which sits below them.
"""

from . import letters, mail, notify, signatures
from .models import Letter
from .storage import write_transaction


def resend_links(address: str) -> int:
    """Mail again, in one message, the links of every letter and signature from this address that can
    still be acted on; return how many messages were queued (0 or 1)."""
    with write_transaction():
        found = letters.letters_for_contact(address)
        signed = signatures.signatures_for_contact(address)
        if not found and not signed:
            return 0
        # In the language of the latest of them; its purge or erasure takes the unsent message along.
        latest = max([*found, *signed], key=lambda item: item.submitted_at)
        language = latest.language if isinstance(latest, Letter) else latest.letter.language
        queued = mail.queue(
            "links", latest.contact_email, language=language, about=latest,
            letters=[{"letter": letter, **notify.author_links(letter)} for letter in found],
            signatures=[{"signature": signature, **notify.signer_links(signature)} for signature in signed],
        )  # fmt: skip
    return 1 if queued else 0
