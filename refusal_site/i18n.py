"""Which language a request is answered in: the ?lang= asked, the choice remembered, the browser's
preference; and Flask-Babel and the templates wired to it. What the languages are called, and which
way each runs, is in languages.py."""

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal, get_locale

from .languages import LANGUAGE_NAMES, LANGUAGE_NAMES_IN_TEXT, SIGNATURE_EXPLANATIONS, SITE_NAME, STATUS_EXPLANATIONS, STATUS_LABELS, direction


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


def current_language() -> str:
    return str(get_locale())


def init_app(app: Flask, babel: Babel) -> None:
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(format_number=format_decimal, format_date=format_date, format_datetime=format_datetime)
    app.jinja_env.globals.update(
        status_label=STATUS_LABELS.get, status_explanation=STATUS_EXPLANATIONS.get, signature_explanation=SIGNATURE_EXPLANATIONS.get,
        site_name=SITE_NAME,
    )

    @app.context_processor
    def _language_context() -> dict:
        lang = current_language()
        return {"page_lang": lang, "page_dir": direction(lang), "language_names": LANGUAGE_NAMES, "language_in_text": LANGUAGE_NAMES_IN_TEXT}
