"""Which language a visitor reads the site in, and which way it runs."""

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l

RTL_LANGUAGES = frozenset({"he", "ar"})
# Each language's own name, shown in the language switch.
LANGUAGE_NAMES = {"he": "עברית", "ar": "العربية", "en": "English"}


# What each state means to the letter's author.
STATUS_LABELS = {
    "unconfirmed": _l("Waiting for your confirmation"),
    "pending": _l("Waiting for a moderator"),
    "scheduled": _l("Approved, to be published at a set time"),
    "published": _l("Published"),
    "rejected": _l("Not published"),
    "withdrawn": _l("Withdrawn"),
    "unpublished": _l("Taken down"),
}
STATUS_EXPLANATIONS = {
    "unconfirmed": _l("Open the link in the e-mail we sent and press the button to confirm the letter."),
    "pending": _l("A moderator will check the letter before it is published. This usually takes a day or two."),
    "scheduled": _l("Your letter is approved and will be published together with others at a set time."),
    "published": _l("Your letter is public and you are counted among the public refusers."),
    "rejected": _l("The moderators decided not to publish this letter. We wrote to you with the reason."),
    "withdrawn": _l("You withdrew this letter. It is not shown anywhere on the site."),
    "unpublished": _l("The moderators took this letter down. We wrote to you with the reason."),
}

# What each state of a co-signature means to the person who signed.
SIGNATURE_EXPLANATIONS = {
    "unconfirmed": _l("Open the link in the e-mail we sent and press the button to confirm your signature."),
    "pending": _l("A moderator will check your signature before it is shown under the letter."),
    "published": _l("Your name is shown under the letter and you are counted among the public refusers."),
    "rejected": _l("The moderators decided not to show this signature."),
    "withdrawn": _l("You withdrew your signature. Your name is not shown anywhere on the site."),
    "unpublished": _l("The moderators took your signature down."),
}


class UnknownLanguage(ValueError):
    pass


def requested_language() -> str | None:
    """The ?lang= of this request, validated; None when absent."""
    lang = request.args.get("lang")
    if lang is None:
        return None
    if lang not in current_app.config["LANGUAGES"]:
        raise UnknownLanguage(lang)
    return lang


def select_locale() -> str:
    """?lang= first, then the remembered choice, then the browser's preference, then Hebrew."""
    languages = current_app.config["LANGUAGES"]
    lang = request.args.get("lang")
    if lang in languages:
        return lang
    remembered = session.get("lang")
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]


def direction(lang: str) -> str:
    return "rtl" if lang in RTL_LANGUAGES else "ltr"


def current_language() -> str:
    return str(get_locale())


def init_app(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(format_number=format_decimal, format_date=format_date, format_datetime=format_datetime)
    app.jinja_env.globals.update(
        status_label=STATUS_LABELS.get, status_explanation=STATUS_EXPLANATIONS.get, signature_explanation=SIGNATURE_EXPLANATIONS.get
    )

    @app.context_processor
    def _language_context() -> dict:
        lang = current_language()
        return {"page_lang": lang, "page_dir": direction(lang), "language_names": LANGUAGE_NAMES}
