"""The audit trail in words: what each action and each actor is called in the reader's language
("Published by …", "Hidden by its author", "… by the system (scheduled publication)"), for every
page that shows audit rows. The log itself keeps the codes ("letter:publish"); an action or actor
written before its wording existed still reads as something."""

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from .audit import Actor, AuditAction
from .models import Role

A = AuditAction


@dataclass(frozen=True)
class Wording:
    label: LazyString  # the action alone, as the audit log's filter offers it
    sentence: LazyString  # what happened, with %(who)s (and, about an account, %(whom)s)


ACTIONS: dict[AuditAction, Wording] = {
    A.LETTER_SUBMIT: Wording(_l("Letter sent"), _l("Sent by %(who)s")),
    A.LETTER_CONFIRM: Wording(_l("Letter confirmed"), _l("Confirmed by %(who)s")),
    A.LETTER_PUBLISH: Wording(_l("Letter published"), _l("Published by %(who)s")),
    A.LETTER_REJECT: Wording(_l("Letter rejected"), _l("Rejected by %(who)s")),
    A.LETTER_WITHDRAW: Wording(_l("Letter withdrawn"), _l("Withdrawn by %(who)s")),
    A.LETTER_UNPUBLISH: Wording(_l("Letter taken down"), _l("Taken down by %(who)s")),
    A.LETTER_SCHEDULE: Wording(_l("Letter scheduled"), _l("Scheduled for publication by %(who)s")),
    A.LETTER_UNSCHEDULE: Wording(_l("Embargo lifted"), _l("Embargo lifted by %(who)s")),
    A.LETTER_EDIT: Wording(_l("Letter corrected"), _l("Corrected by %(who)s")),
    A.LETTER_PURGE: Wording(_l("Unconfirmed letters deleted"), _l("Unconfirmed letters deleted by %(who)s")),
    A.LETTER_OPEN_SIGNING: Wording(_l("Opened for co-signing"), _l("Opened for co-signing by %(who)s")),
    A.LETTER_CLOSE_SIGNING: Wording(_l("Closed to new signatures"), _l("Closed to new signatures by %(who)s")),
    A.LETTER_RESANITIZE: Wording(_l("Letter's formatting cleaned again"), _l("Formatting cleaned again by %(who)s")),
    A.LETTER_RENDER_FAILED: Wording(_l("Letter could not be made into a PDF"), _l("Could not be made into a PDF (noted by %(who)s)")),
    A.LETTER_CORRECT_ADDRESS: Wording(_l("Address corrected before confirming"), _l("Address corrected by %(who)s")),
    A.LETTER_CORRECT_TEXT: Wording(_l("Text corrected before confirming"), _l("Text corrected by %(who)s")),
    A.LETTER_PAUSE: Wording(_l("Letter hidden for now"), _l("Hidden by %(who)s")),
    A.LETTER_RESUME: Wording(_l("Letter shown again"), _l("Shown again by %(who)s")),
    A.SIGNATURE_SUBMIT: Wording(_l("Signature given"), _l("Signature given by %(who)s")),
    A.SIGNATURE_CONFIRM: Wording(_l("Signature confirmed"), _l("Signature confirmed by %(who)s")),
    A.SIGNATURE_PUBLISH: Wording(_l("Signature published"), _l("Signature published by %(who)s")),
    A.SIGNATURE_REJECT: Wording(_l("Signature rejected"), _l("Signature rejected by %(who)s")),
    A.SIGNATURE_UNPUBLISH: Wording(_l("Signature taken down"), _l("Signature taken down by %(who)s")),
    A.SIGNATURE_WITHDRAW: Wording(_l("Signature withdrawn"), _l("Signature withdrawn by %(who)s")),
    A.SIGNATURE_PURGE: Wording(_l("Unconfirmed signatures deleted"), _l("Unconfirmed signatures deleted by %(who)s")),
    A.SIGNATURE_PAUSE: Wording(_l("Signature hidden for now"), _l("Signature hidden by %(who)s")),
    A.SIGNATURE_RESUME: Wording(_l("Signature shown again"), _l("Signature shown again by %(who)s")),
    A.TRANSLATION_CLAIM: Wording(_l("Translation claimed"), _l("Translation claimed by %(who)s")),
    A.TRANSLATION_RELEASE: Wording(_l("Translation released"), _l("Translation released by %(who)s")),
    A.TRANSLATION_SAVE: Wording(_l("Translation saved"), _l("Translation saved by %(who)s")),
    A.TRANSLATION_SEND: Wording(_l("Translation sent to the author"), _l("Translation sent to the author by %(who)s")),
    A.TRANSLATION_APPROVE: Wording(_l("Translation approved"), _l("Translation approved by %(who)s")),
    A.TRANSLATION_RETURN: Wording(_l("Translation sent back"), _l("Translation sent back by %(who)s")),
    A.TRANSLATION_WRITE_BY_AUTHOR: Wording(_l("Translation written by the author"), _l("Translation written by %(who)s")),
    A.TRANSLATION_PUBLISH_CHECKED: Wording(_l("Author's translation checked and published"), _l("Author's translation checked and published by %(who)s")),
    A.TRANSLATION_RETURN_TO_AUTHOR: Wording(_l("Author's translation sent back to the author"), _l("Author's translation sent back to the author by %(who)s")),
    A.TRANSLATION_TO_REVIEW: Wording(_l("Translation to review after a correction"), _l("Translation sent to review by %(who)s")),
    A.CONTACT_ERASE: Wording(_l("Contact addresses erased"), _l("Contact addresses erased by %(who)s")),
    A.CONTACT_MESSAGE_HANDLE: Wording(_l("Message marked handled"), _l("Message marked handled by %(who)s")),
    A.CONTACT_MESSAGE_REOPEN: Wording(_l("Message opened again"), _l("Message opened again by %(who)s")),
    A.CONTACT_MESSAGE_PURGE: Wording(_l("Handled messages deleted"), _l("Handled messages deleted by %(who)s")),
    A.SITE_PAGE_EDIT: Wording(_l("About or Privacy page edited"), _l("About or Privacy page edited by %(who)s")),
    A.TALLY_REPAIR: Wording(_l("Public count repaired"), _l("Public count repaired by %(who)s")),
    A.MODERATOR_CREATE: Wording(_l("Account created"), _l("Account %(whom)s created by %(who)s")),
    A.MODERATOR_SIGN_IN: Wording(_l("Signed in"), _l("Signed in: %(who)s")),
    A.MODERATOR_SIGN_IN_FAILED: Wording(_l("Failed sign-in"), _l("Failed sign-in to %(whom)s, by %(who)s")),
    A.MODERATOR_LOCKED: Wording(_l("Account locked"), _l("Account %(whom)s locked by %(who)s")),
    A.MODERATOR_BROWSERS_FORGET: Wording(_l("Known browsers forgotten"), _l("Known browsers of %(whom)s forgotten by %(who)s")),
    A.MODERATOR_SIGN_OUT: Wording(_l("Signed out"), _l("Signed out: %(who)s")),
    A.MODERATOR_PASSWORD_CHANGE: Wording(_l("Password changed"), _l("Password changed by %(who)s")),
    A.MODERATOR_TOTP_ENABLE: Wording(_l("One-time codes set up"), _l("One-time codes set up by %(who)s")),
    A.MODERATOR_TOTP_RESET: Wording(_l("One-time codes reset"), _l("One-time codes of %(whom)s reset by %(who)s")),
    A.MODERATOR_TOTP_REQUIRE: Wording(_l("One-time code requirement changed"), _l("One-time code requirement of %(whom)s changed by %(who)s")),
    A.MODERATOR_RECOVERY_CODE_USE: Wording(_l("Recovery code used"), _l("Recovery code used by %(who)s")),
    A.MODERATOR_RECOVERY_CODES_RENEW: Wording(_l("Recovery codes renewed"), _l("Recovery codes renewed by %(who)s")),
    A.MODERATOR_DEACTIVATE: Wording(_l("Account deactivated"), _l("Account %(whom)s deactivated by %(who)s")),
    A.MODERATOR_ACTIVATE: Wording(_l("Account activated"), _l("Account %(whom)s activated by %(who)s")),
    A.MODERATOR_ROLE_CHANGE: Wording(_l("Role changed"), _l("Role of %(whom)s changed by %(who)s")),
    A.MODERATOR_DIGEST_MAIL: Wording(_l("Digest mail turned on or off"), _l("Digest mail turned on or off by %(who)s")),
    A.DELAY_NOTICE_EDIT: Wording(_l("Delay notice edited"), _l("Delay notice edited by %(who)s")),
    A.REJECTION_REASON_CREATE: Wording(_l("Rejection reason added"), _l("Rejection reason added by %(who)s")),
    A.REJECTION_REASON_EDIT: Wording(_l("Rejection reason edited"), _l("Rejection reason edited by %(who)s")),
    A.REJECTION_REASON_RETIRE: Wording(_l("Rejection reason retired"), _l("Rejection reason retired by %(who)s")),
    A.REJECTION_REASON_RESTORE: Wording(_l("Rejection reason offered again"), _l("Rejection reason offered again by %(who)s")),
    A.PRESS_PREVIEW_CREATE: Wording(_l("Press preview created"), _l("Press preview created by %(who)s")),
    A.PRESS_PREVIEW_REVOKE: Wording(_l("Press preview revoked"), _l("Press preview revoked by %(who)s")),
    A.PRESS_PREVIEW_OPEN: Wording(_l("Press preview opened"), _l("Press preview opened by %(who)s")),
    A.AUDIT_EXPORT: Wording(_l("Audit log downloaded"), _l("Audit log downloaded by %(who)s")),
    A.DEMO_SEED: Wording(_l("Demo data added"), _l("Demo data added by %(who)s")),
}

# An action this code does not know (written by a newer version, or renamed since): its code.
UNKNOWN_ACTION = Wording(_l("Other action"), _l("%(action)s, by %(who)s"))

# Who acted, when it was not a moderator whose account still exists.
ACTORS: dict[str, LazyString] = {
    Actor.AUTHOR: _l("its author"),
    Actor.SIGNER: _l("the co-signer"),
    Actor.SYSTEM: _l("the system"),
    Actor.CLI: _l("an operator on the server (command line)"),
    Actor.ANONYMOUS: _l("someone not signed in"),
    Actor.JOURNALIST: _l("a holder of its link"),
    Role.MODERATOR: _l("a moderator"),
    Role.ADMIN: _l("an admin"),
    Role.TRANSLATOR: _l("a translator"),
}
UNKNOWN_ACTOR = _l("someone else (%(label)s)")
# The account a row is about, when it names none that exists (a sign-in with an unknown address).
UNKNOWN_ACCOUNT = _l("an unknown account")

# What the system was doing when it acted.
SYSTEM_WORK: dict[AuditAction, LazyString] = {
    A.LETTER_PUBLISH: _l("the system (scheduled publication)"),
    A.LETTER_PURGE: _l("the system (retention period)"),
    A.SIGNATURE_PURGE: _l("the system (retention period)"),
    A.CONTACT_ERASE: _l("the system (retention period)"),
    A.CONTACT_MESSAGE_PURGE: _l("the system (retention period)"),
    A.MODERATOR_LOCKED: _l("the system (too many failed sign-ins)"),
    A.MODERATOR_BROWSERS_FORGET: _l("the system (too many failed sign-ins)"),
    A.LETTER_RENDER_FAILED: _l("the system (PDF compilation)"),
}


def wording(action: str) -> Wording:
    """How an action is said; an unknown one gets UNKNOWN_ACTION (which names its code)."""
    try:
        return ACTIONS[AuditAction(action)]
    except (ValueError, KeyError):
        return UNKNOWN_ACTION


def actor_words(action: str, label: str) -> str:
    """Who acted, in words, when it was not a moderator shown by their address: "its author",
    "the system (scheduled publication)", or for a label this code does not know, the label itself."""
    if label == Actor.SYSTEM and action in SYSTEM_WORK:
        return str(SYSTEM_WORK[AuditAction(action)])
    if label == Actor.AUTHOR and action.startswith("signature:"):
        label = Actor.SIGNER  # a signature's author (pauses say "author" of both) is its signer
    if label in ACTORS:
        return str(ACTORS[label])
    return str(UNKNOWN_ACTOR) % {"label": label}
