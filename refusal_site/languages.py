"""The site's languages in words: each language's own name, which way it runs, and what each state of
a letter or a co-signature means to the person who wrote or signed it. Nothing here reads a request
(which language a visitor reads in is chosen in i18n.py)."""

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

# The site's one name in each language, said only here: the title and header of every page, the
# subject of every mail and the name mail comes from. A sentence that names the site takes it as
# %(site)s, so no translation spells it another way.
SITE_NAME = _l("Public refusers")

RTL_LANGUAGES = frozenset({"he", "ar"})
# Each language's own name, shown in the language switch.
LANGUAGE_NAMES = {"he": "עברית", "ar": "العربية", "en": "English"}
# Each language's name in the reader's language, for sentences: "letters in Arabic" on a Hebrew page
# is "מכתבים בערבית", not a Hebrew sentence ending in Arabic letters.
LANGUAGE_NAMES_IN_TEXT = {"he": _l("Hebrew"), "ar": _l("Arabic"), "en": _l("English")}


def translation_label(approved_by: str | None, original_language: str) -> str:
    """What a translation says of itself: from which language, and exactly who approved it."""
    language = LANGUAGE_NAMES_IN_TEXT[original_language]
    if approved_by == "team":
        return gettext("Translation from %(language)s, published by the team, not reviewed by the author", language=language)
    return gettext("Translation from %(language)s, approved by the author", language=language)


def direction(lang: str) -> str:
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


# What each state means to the letter's author.
STATUS_LABELS = {
    "unconfirmed": _l("Waiting for your confirmation"),
    "pending": _l("Waiting for a moderator"),
    "scheduled": _l("Approved, to be published at a set time"),
    "published": _l("Published"),
    "rejected": _l("Not published"),
    "withdrawn": _l("Withdrawn"),
    "unpublished": _l("Taken down"),
    "paused": _l("Hidden for now"),
}
STATUS_EXPLANATIONS = {
    "unconfirmed": _l("Open the link in the e-mail we sent and press the button to confirm the letter."),
    # Followed on the author's page by the delay notice admins set (delay_notice.py).
    "pending": _l("A moderator will check the letter before it is published."),
    "scheduled": _l("Your letter is approved and will be published together with others at a set time."),
    "published": _l("Your letter is public and you are counted among the public refusers."),
    "rejected": _l("The moderators decided not to publish this letter. We wrote to you with the reason."),
    "withdrawn": _l("You withdrew this letter. It is not shown anywhere on the site."),
    "unpublished": _l("The moderators took this letter down. We wrote to you with the reason."),
    "paused": _l("Your letter is hidden from the site, the feeds and future press compilations, and you are not counted for now. Shown again, it keeps its original date."),
}

# What each state of a translation is called, to the team and to the letter's author.
TRANSLATION_STATUS_LABELS = {
    "draft": _l("Being written"),
    "awaiting_author": _l("Waiting for the author's approval"),
    "returned": _l("Sent back by the author"),
    "approved": _l("Approved"),
    "to_review": _l("To review after a correction of the original"),
}

# What each state of a co-signature means to the person who signed.
SIGNATURE_EXPLANATIONS = {
    "unconfirmed": _l("Open the link in the e-mail we sent and press the button to confirm your signature."),
    "pending": _l("A moderator will check your signature before it is shown under the letter."),
    "published": _l("Your name is shown under the letter and you are counted among the public refusers."),
    "rejected": _l("The moderators decided not to show this signature."),
    "withdrawn": _l("You withdrew your signature. Your name is not shown anywhere on the site."),
    "unpublished": _l("The moderators took your signature down."),
    "paused": _l("Your name is hidden from the letter and future press compilations, and you are not counted for now. Shown again, it comes back in its place with its original date."),
}
